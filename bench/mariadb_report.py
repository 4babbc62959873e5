#!/usr/bin/env python3
"""MariaDB part of bench/run.sh (make bench): sysbench runs with and without sqlward.

  mariadb_report.py sysbench OUT          "tps qps queries p50_us p99_us" from one sysbench
                                          run's output (run with --histogram=on
                                          --percentile=99; p50 comes from the histogram)
  mariadb_report.py status STATUS.json    "lost refused": lost_events and refused_unreported
                                          summed over gate.mariadb[] of `sqlward status`
                                          ("NA NA" if the daemon had no MariaDB gate)
  mariadb_report.py ledger LEDGER ROLE REFUSALS HELD
                                          for one run: "records held_n held_p50 held_p99
                                          refused_n" over the ledger's MariaDB statement
                                          records; ROLE's held_us values are appended to
                                          HELD, its refused or held-for-a-human records
                                          (one JSON line each) to REFUSALS
  mariadb_report.py report TSV HELDDIR REFUSALS META OUT.md
                                          appends the MariaDB section to the markdown report
"""
import collections
import json
import os
import statistics
import sys

from bench_stats import NOISE_STEPS, fmt_noise_counts, noise_sigma

CONFIG_NAMES = {
    "MA": "MariaDB alone",
    "MB": "sqlward, ungoverned account (observe + ledger)",
    "MC": "sqlward, governed account (allowed)",
    "MA2": "MariaDB alone again (A/A′: the noise floor)",
}
WL_NAMES = {"oltp_read_only": "sysbench oltp_read_only", "oltp_read_write": "sysbench oltp_read_write"}


def pct(sorted_vals, p):
    if not sorted_vals:
        return 0
    return sorted_vals[min(len(sorted_vals) - 1, int(p * len(sorted_vals)))]


def num(s):
    try:
        return float(s)
    except (TypeError, ValueError):
        return None


def cmd_sysbench(path):
    """Parse sysbench 1.0's report; 0 for what is missing (a failed run)."""
    tps = qps = queries = p99 = 0.0
    hist = []  # (value_ms, count)
    in_hist = False
    for line in open(path, errors="replace"):
        s = line.strip()
        if s.startswith("Latency histogram"):
            in_hist = True
            continue
        if in_hist:
            parts = s.split("|")
            if len(parts) == 2 and num(parts[0]) is not None:
                cnt = parts[1].split()
                if cnt and num(cnt[-1]) is not None:
                    hist.append((float(parts[0]), int(cnt[-1])))
                continue
            if s.startswith("value"):
                continue
            in_hist = False
        if s.startswith("transactions:") and "per sec" in s:
            tps = num(s.split("(")[1].split()[0]) or 0
        elif s.startswith("queries:") and "per sec" in s:
            queries = num(s.split()[1]) or 0
            qps = num(s.split("(")[1].split()[0]) or 0
        elif s.startswith("99th percentile:"):
            p99 = (num(s.split(":")[1]) or 0) * 1000
    p50 = 0.0
    total = sum(c for _, c in hist)
    if total:
        seen = 0
        for v, c in hist:
            seen += c
            if seen * 2 >= total:
                p50 = v * 1000
                break
    print(f"{tps:.2f} {qps:.2f} {queries:.0f} {p50:.0f} {p99:.0f}")


def cmd_status(path):
    try:
        st = json.load(open(path))
    except (OSError, ValueError):
        print("NA NA")
        return
    gates = (st.get("gate") or {}).get("mariadb") or []
    if not gates:
        print("NA NA")
        return
    print(sum(int(g.get("lost_events", 0)) for g in gates), sum(int(g.get("refused_unreported", 0)) for g in gates))


def cmd_ledger(ledger, role, refusals, held_out):
    records, held, refused = 0, [], 0
    out = []
    try:
        fh = open(ledger)
    except OSError:
        print("0 0 0 0 0")
        return
    with fh:
        for line in fh:
            try:
                r = json.loads(line)
            except ValueError:
                continue
            if r.get("type") != "statement" or r.get("engine") != "mysql":
                continue
            records += 1
            if r.get("role") != role:
                continue
            if r.get("outcome") == "ran" and r.get("decided_by") == "policy" and "held_us" in r:
                held.append(int(r["held_us"]))
            if r.get("outcome") not in ("ran", "observed"):
                refused += 1
                out.append({k: r.get(k) for k in ("outcome", "verdict", "rule", "reason", "refusal", "class",
                                                  "command", "via", "statement", "parse_error")})
    with open(held_out, "a") as fh:
        fh.write("".join(f"{v}\n" for v in held))
    with open(refusals, "a") as fh:
        fh.write("".join(json.dumps(o) + "\n" for o in out))
    held.sort()
    print(records, len(held), pct(held, 0.5), pct(held, 0.99), refused)


def fmt_ratio(vals):
    if not vals:
        return "n/a"
    return f"{statistics.median(vals):.3f} ({min(vals):.3f}–{max(vals):.3f})"


def cmd_report(tsv, held_dir, refusals, meta_f, out_md):
    rows = []
    with open(tsv) as fh:
        header = fh.readline().rstrip("\n").split("\t")
        for line in fh:
            rows.append(dict(zip(header, line.rstrip("\n").split("\t"))))
    meta = dict(l.rstrip("\n").split("=", 1) for l in open(meta_f) if "=" in l)
    cells, by = [], {}
    for r in rows:
        k = (r["workload"], r["threads"])
        if k not in cells:
            cells.append(k)
        by.setdefault((r["workload"], r["threads"], r["config"]), []).append(r)
    configs = [c for c in CONFIG_NAMES if any(r["config"] == c for r in rows)]

    def ok(r):
        return r["status"] == "ok" and num(r["tps"])

    def ratios(wl, t, cfg):
        base = {r["round"]: num(r["tps"]) for r in by.get((wl, t, "MA"), []) if ok(r)}
        return [num(r["tps"]) / base[r["round"]] for r in by.get((wl, t, cfg), []) if ok(r) and base.get(r["round"])]

    def added_us(wl, t, cfg):
        base = {r["round"]: num(r["qps"]) for r in by.get((wl, t, "MA"), []) if ok(r) and num(r["qps"])}
        v = [int(t) / num(r["qps"]) * 1e6 - int(t) / base[r["round"]] * 1e6
             for r in by.get((wl, t, cfg), []) if ok(r) and num(r["qps"]) and base.get(r["round"])]
        return f"{statistics.median(v):+.0f}" if v else "n/a"

    def med(wl, t, cfg, key):
        v = [num(r.get(key)) for r in by.get((wl, t, cfg), []) if ok(r) and num(r.get(key)) is not None]
        return statistics.median(v) if v else None

    L = ["", "## MariaDB (sysbench)", ""]
    L.append("| | |")
    L.append("|---|---|")
    for k in ("mariadb", "sysbench", "my_params"):
        if k in meta:
            L.append(f"| {k} | {meta[k]} |")
    L.append("")
    L.append("Configurations: " + "; ".join(f"**{c}** {CONFIG_NAMES[c]}" for c in configs) + ". "
             "MB uses policies/default.yaml with the ungoverned account bench_app (every command recorded "
             "in the ledger, none stopped); MC uses bench/policy-allow.yaml with the governed account "
             "agent_bench: a command's first occurrence in a context stops its thread and is judged in the "
             "daemon, then resumed; what the policy allowed runs again from the kernel's verdict cache "
             "without stopping (README, \"Kernel verdict cache\"), and is still recorded.")
    L.append("TPS = sysbench transactions/s. TPS ratio = TPS / TPS of MA in the same round (paired), median "
             "and (min–max) over rounds; MA2/MA is the same server with nothing changed, run last in each "
             "round: ratios of MB and MC inside its spread are noise. Latency = median over rounds of each run's "
             "p50 (from sysbench's histogram) and p99 per transaction. CPU = the sqlward daemon, % of one "
             "core over the run and µs per statement (sysbench queries; it includes the daemon's fixed cost "
             "per second, which dominates when few statements run); µs/record = the daemon's CPU from ready "
             "to exit / the MariaDB statement records it wrote to the ledger; peak RSS = its VmHWM; drops = "
             "`lost_events` of gate.mariadb[] in `sqlward status` (commands the ring buffer had no room "
             "for), refused = its `refused_unreported` (of those, commands the holder stopped and the daemon "
             "then refused unjudged), max / sum over rounds; "
             "ledger = MariaDB statement records per run (median).")
    L.append("")
    L.append("| workload | threads | config | TPS (median) | TPS ratio to MA | p50 µs | p99 µs | p99 − MA p99 µs | "
             "sqlward CPU % | CPU µs/statement | µs/record | peak RSS MB | drops max / sum | refused | ledger records | "
             "verify | failed runs |")
    L.append("|---|---|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|")
    for wl, t in cells:
        a99 = med(wl, t, "MA", "p99_us")
        for cfg in configs:
            rs = by.get((wl, t, cfg), [])
            if not rs:
                continue
            tps, p50, p99 = med(wl, t, cfg, "tps"), med(wl, t, cfg, "p50_us"), med(wl, t, cfg, "p99_us")
            gated = cfg in ("MB", "MC")
            cpu, cpus = med(wl, t, cfg, "cpu_pct"), med(wl, t, cfg, "cpu_us_per_stmt")
            hwm = [num(r["hwm_kb"]) for r in rs if num(r["hwm_kb"])]
            drops = [num(r["drops"]) for r in rs if num(r["drops"]) is not None]
            unrep = [num(r["refused_unreported"]) for r in rs if num(r["refused_unreported"]) is not None]
            ledg = med(wl, t, cfg, "ledger_n")
            per_rec = med(wl, t, cfg, "daemon_us_per_record")
            ver = ", ".join(sorted({r.get("verify") for r in rs if r.get("verify") in ("ok", "FAIL")}))
            failed = [r for r in rs if not ok(r)]
            L.append("| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |".format(
                WL_NAMES.get(wl, wl), t, f"{cfg} {CONFIG_NAMES[cfg]}",
                f"{tps:.0f}" if tps else "n/a",
                "1 (baseline)" if cfg == "MA" else fmt_ratio(ratios(wl, t, cfg)),
                f"{p50:.0f}" if p50 is not None else "n/a",
                f"{p99:.0f}" if p99 is not None else "n/a",
                "" if cfg == "MA" or p99 is None or a99 is None else f"{p99 - a99:+.0f}",
                f"{cpu:.1f}" if gated and cpu is not None else "",
                f"{cpus:.1f}" if gated and cpus is not None else "",
                f"{per_rec:.2f}" if gated and per_rec is not None else "",
                f"{max(hwm) / 1024:.1f}" if gated and hwm else "",
                f"{max(drops):.0f} / {sum(drops):.0f}" if gated and drops else "",
                f"{max(unrep):.0f}" if gated and unrep else "",
                f"{ledg:.0f}" if gated and ledg is not None else "",
                ver if gated else "",
                f"{len(failed)}/{len(rs)}: {failed[0]['status'][:70]}" if failed else ""))
    L.append("")
    unrep_mb = sum(int(num(r["refused_unreported"]) or 0) for r in rows if r["config"] == "MB")
    if unrep_mb:
        L.append(f"**Finding:** in MB, {unrep_mb} commands of the *ungoverned* account were refused "
                 "(`refused_unreported`): the ring buffer was full, the probe holds every traced thread "
                 "whose report it could not write, governed or not, and the daemon refused the command unjudged; sysbench ends at the first such error (a protocol EXECUTE "
                 "refused this way reaches the client as error 1835 \"Malformed communication packet\").")
        L.append("")

    if "MC" in configs:
        L.append("### Governed path (MC): how long a held command waited for its decision")
        L.append("")
        L.append("held_us from the ledger: from the moment the holder saw the thread stopped to the daemon's "
                 "decision, for every command of the governed account that ran (all rounds pooled). It leaves "
                 "out the wait before the holder sees the stop and the resume after the decision: the added "
                 "µs per statement below counts those too.")
        L.append("")
        L.append("| workload | threads | held commands | held_us p50 | p90 | p99 | max |")
        L.append("|---|---|---:|---:|---:|---:|---:|")
        for wl, t in cells:
            fn = os.path.join(held_dir, f"{wl}-{t}.txt")
            vals = sorted(int(x) for x in open(fn) if x.strip()) if os.path.exists(fn) else []
            L.append(f"| {WL_NAMES.get(wl, wl)} | {t} | {len(vals)} | {pct(vals, .5)} | {pct(vals, .9)} | "
                     f"{pct(vals, .99)} | {vals[-1] if vals else 0} |")
        L.append("")

    # Refusals of the allow-everything benchmark policy are findings, listed as they are.
    seen = collections.Counter()
    first = {}
    if os.path.exists(refusals):
        for line in open(refusals):
            try:
                o = json.loads(line)
            except ValueError:
                continue
            k = (o.get("outcome"), o.get("rule"), o.get("refusal") or o.get("reason"), o.get("statement"))
            seen[k] += 1
            first.setdefault(k, o)
    if "MC" in configs:
        L.append("### Refusals under bench/policy-allow.yaml (MC)")
        L.append("")
        if not seen:
            L.append("None: every command sysbench sent as agent_bench was judged and allowed.")
        else:
            L.append("The policy allows reads and writes, so each of these is a finding (a statement "
                     "sysbench needs that sqlward does not let through), not an expected refusal:")
            L.append("")
            L.append("| count | outcome | rule | why | class | statement |")
            L.append("|---:|---|---|---|---|---|")
            for k, n in seen.most_common(20):
                o = first[k]
                stmt = (o.get("statement") or "").replace("|", "\\|").replace("\n", " ")[:120]
                why = (o.get("refusal") or o.get("reason") or o.get("parse_error") or "").replace("|", "\\|")[:160]
                L.append(f"| {n} | {o.get('outcome')} | {o.get('rule') or ''} | {why} | {o.get('class') or ''} | "
                         f"`{stmt}` |")
        L.append("")

    # The numbers that matter, side by side with the noise floor.
    if "MA2" in configs and any(c in configs for c in ("MB", "MC")):
        L.append("### Ratios against the noise floor")
        L.append("")
        L.append("Added µs per statement = what each sysbench thread waited longer per statement than under "
                 "MA in the same round (threads / QPS − threads / QPS of MA), median over rounds: the cost a "
                 "client sees, including the wake-ups around a hold that held_us does not count.")
        L.append("")
        L.append("| workload | threads | MA2/MA (noise) | MB/MA | MC/MA | added µs/statement MA2 | MB | MC |")
        L.append("|---|---|---|---|---|---:|---:|---:|")
        for wl, t in cells:
            L.append(f"| {WL_NAMES.get(wl, wl)} | {t} | {fmt_ratio(ratios(wl, t, 'MA2'))} | "
                     f"{fmt_ratio(ratios(wl, t, 'MB'))} | {fmt_ratio(ratios(wl, t, 'MC'))} | "
                     f"{added_us(wl, t, 'MA2')} | {added_us(wl, t, 'MB')} | {added_us(wl, t, 'MC')} |")
        L.append("")
        L.append("How often one MA2/MA ratio strays from 1 by more than "
                 + ", ".join(f"{s * 100:.0f}%" for s in NOISE_STEPS) + " (all rounds and thread counts of a "
                 "workload), and the σ of one paired ratio it implies (1.4826 × median |MA2/MA − 1|; the "
                 "targets at the end of the report are judged against it):")
        L.append("")
        L.append("| workload | " + " | ".join(f"MA2/MA off by > {s * 100:.0f}%" for s in NOISE_STEPS) + " | σ |")
        L.append("|---|" + "---:|" * (len(NOISE_STEPS) + 1))
        for wl in dict.fromkeys(w for w, _ in cells):
            aa = [x for w, t in cells if w == wl for x in ratios(w, t, "MA2")]
            sg = noise_sigma(aa)
            L.append(f"| {WL_NAMES.get(wl, wl)} | " + " | ".join(fmt_noise_counts(aa)) +
                     (f" | {sg:.3f} |" if sg is not None else " | n/a |"))
        L.append("")
    L.append(f"Raw MariaDB runs: `{os.path.basename(tsv)}`.")
    L.append("")
    with open(out_md, "a") as fh:
        fh.write("\n".join(L))
    return 0


def main():
    a = sys.argv
    if len(a) == 3 and a[1] == "sysbench":
        cmd_sysbench(a[2])
    elif len(a) == 3 and a[1] == "status":
        cmd_status(a[2])
    elif len(a) == 6 and a[1] == "ledger":
        cmd_ledger(*a[2:6])
    elif len(a) == 7 and a[1] == "report":
        sys.exit(cmd_report(*a[2:7]))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
