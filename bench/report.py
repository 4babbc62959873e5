#!/usr/bin/env python3
"""Helpers for bench/run.sh (make bench).

  report.py lat DIR                      p50 and p99 transaction latency (us) over
                                         every pgbench per-transaction log in DIR
  report.py ledger LEDGER ROLE OUT       for one governed run: "held_n cache_n p50 p90
                                         p99 max" of held_us (statements the daemon
                                         decided while the backend was stopped); the
                                         held_us values are appended to OUT
  report.py count LEDGER                 statement records in LEDGER and its rotated
                                         segments (LEDGER.seg/, gzip or not)
  report.py report TSV HELDDIR META CLS OUT.md OUT.png
                                         the markdown report and the gnuplot plot
  report.py targets TSV MY_TSV|- HELDDIR CLS OUT.md
                                         appends issue 16's targets table (both engines,
                                         judged against the A/A' noise: bench_stats.py)
"""
import glob
import gzip
import json
import os
import statistics
import subprocess
import sys

from bench_stats import (NOISE_STEPS, RULE_TEXT, fmt_noise_counts, fmt_verdict, noise_sigma, num,
                         paired_ratios, target_verdict)

CONFIG_NAMES = {
    "A": "PostgreSQL alone",
    "B": "sqlward, ungoverned role",
    "C": "sqlward, governed role (allowed)",
    "D": "pgaudit log=all",
    "E": "pgbouncer (transaction)",
    "A2": "PostgreSQL alone again (A/A′: the noise floor)",
}
WL_NAMES = {"select": "-S", "select-unix": "-S (unix)", "select-prepared": "-S -M prepared",
            "select-prepared-unix": "-S -M prepared (unix)", "tpcb": "TPC-B-like",
            "nested": "-M prepared, a PL/pgSQL function per call (one nested SELECT)"}
WL_SHORT = {"select": "-S", "select-unix": "-S unix", "select-prepared": "prepared",
            "select-prepared-unix": "prepared unix", "tpcb": "TPC-B", "nested": "nested"}
PREPARED_WL = ("select-prepared", "select-prepared-unix", "nested")


def pct(sorted_vals, p):
    if not sorted_vals:
        return 0
    return sorted_vals[min(len(sorted_vals) - 1, int(p * len(sorted_vals)))]


def cmd_lat(d):
    lat = []
    for f in glob.glob(os.path.join(d, "log*")):
        with open(f) as fh:
            for line in fh:
                parts = line.split()
                if len(parts) >= 3:
                    lat.append(int(parts[2]))
    lat.sort()
    print(pct(lat, 0.50), pct(lat, 0.99))


def ledger_lines(ledger):
    """Every line of a ledger: its rotated segments (oldest first), then the live file."""
    for seg in sorted(glob.glob(glob.escape(ledger) + ".seg/*.jsonl*")):
        op = gzip.open if seg.endswith(".gz") else open
        with op(seg, "rt", errors="replace") as fh:
            yield from fh
    try:
        fh = open(ledger, errors="replace")
    except OSError:
        return
    with fh:
        yield from fh


def cmd_count(ledger):
    # A key of a record, never text inside one: a statement's own quotes are escaped (\").
    print(sum(1 for line in ledger_lines(ledger) if '"type":"statement"' in line))


def cmd_ledger(ledger, role, out):
    held, cached = [], 0
    if not os.path.exists(ledger):
        print("0 0 0 0 0 0")
        return
    for line in ledger_lines(ledger):
        try:
            r = json.loads(line)
        except ValueError:
            continue
        if r.get("type") != "statement" or r.get("role") != role:
            continue
        if r.get("decided_by") in ("cache", "shape-cache"):
            cached += 1
        elif "held_us" in r:
            held.append(int(r["held_us"]))
    with open(out, "a") as fh:
        fh.write("".join(f"{v}\n" for v in held))
    held.sort()
    print(len(held), cached, pct(held, 0.5), pct(held, 0.9), pct(held, 0.99), held[-1] if held else 0)


def fmt_ratio(vals):
    if not vals:
        return "n/a"
    return f"{statistics.median(vals):.3f} ({min(vals):.3f}–{max(vals):.3f})"


def read_tsv(tsv):
    rows = []
    with open(tsv) as fh:
        header = fh.readline().rstrip("\n").split("\t")
        for line in fh:
            rows.append(dict(zip(header, line.rstrip("\n").split("\t"))))
    return rows


def ok(r):
    return r.get("status") == "ok" and bool(num(r.get("tps")))


class PgRuns:
    """The pgbench runs of one make bench, by (workload, clients, config)."""

    def __init__(self, tsv):
        self.rows = read_tsv(tsv)
        self.cells = []  # (workload, clients) in run order
        self.by = {}
        for r in self.rows:
            k = (r["workload"], r["clients"])
            if k not in self.cells:
                self.cells.append(k)
            self.by.setdefault((r["workload"], r["clients"], r["config"]), []).append(r)
        self.configs = [c for c in CONFIG_NAMES if any(r["config"] == c for r in self.rows)]

    def runs(self, wl, c, cfg):
        return self.by.get((wl, c, cfg), [])

    def tps_by_round(self, wl, c, cfg):
        return {r["round"]: num(r["tps"]) for r in self.runs(wl, c, cfg) if ok(r)}

    def ratios(self, wl, c, cfg, base="A"):
        """Paired TPS ratios cfg/base, one per round both ran."""
        b = self.tps_by_round(wl, c, base)
        return [t / b[rd] for rd, t in self.tps_by_round(wl, c, cfg).items() if b.get(rd)]

    def med(self, wl, c, cfg, key):
        v = [num(r.get(key)) for r in self.runs(wl, c, cfg) if ok(r) and num(r.get(key)) is not None]
        return statistics.median(v) if v else None

    def aa(self, wl):
        """A2/A ratios of a workload, all client counts."""
        return [x for w, c in self.cells if w == wl for x in self.ratios(w, c, "A2")]

    def us_per_statement(self, wl, c, cfg):
        """The daemon's CPU µs per statement record it wrote, one value per run."""
        out = []
        for r in self.runs(wl, c, cfg):
            s, n = num(r.get("daemon_cpu_s")), num(r.get("ledger_statements"))
            if ok(r) and s is not None and n:
                out.append(s * 1e6 / n)
        return out


def read_cls(cls_f):
    """The micro-benchmarks' lines: {name: {key: value}}; record2-* keep every repetition."""
    cls = {}
    for line in open(cls_f) if os.path.exists(cls_f) else []:
        parts = line.split()
        if not parts:
            continue
        kv = dict(p.split("=", 1) for p in parts[1:] if "=" in p)
        if parts[0].startswith("record2-"):
            cls.setdefault(parts[0], []).append(kv)
            continue
        cls[parts[0]] = kv
        if "statements" in line and "->" in line:
            cls["corpus"] = {"text": line.strip()}
    return cls


def record2_us(cls, mode):
    return [num(kv.get("us_per_statement")) for kv in cls.get(f"record2-{mode}", [])
            if num(kv.get("us_per_statement")) is not None]


def cmd_report(tsv, held_dir, meta_f, cls_f, out_md, out_png):
    runs = PgRuns(tsv)
    rows, cells, configs = runs.rows, runs.cells, runs.configs
    meta = dict(l.rstrip("\n").split("=", 1) for l in open(meta_f) if "=" in l)

    L = []
    L.append(f"# sqlward benchmark — {meta.get('date', '')}")
    L.append("")
    L.append("| | |")
    L.append("|---|---|")
    for k in ("host", "cpu", "memory", "os", "kernel", "postgresql", "pgaudit", "pgbouncer", "sqlward", "params", "elapsed_s", "noise"):
        if k in meta:
            L.append(f"| {k} | {meta[k]} |")
    L.append("")
    L.append("Configurations: " + "; ".join(f"**{c}** {n}" for c, n in CONFIG_NAMES.items()) + ".")
    L.append("Workloads marked (unix) connect over the server's Unix socket (E: pgbouncer's own socket; "
             "pgbouncer reaches PostgreSQL over TCP), the others over TCP to 127.0.0.1.")
    L.append("TPS ratio = TPS / TPS of A in the same round (paired), median and (min–max) over rounds; "
             "A2 is A measured again last in the round, so A2/A is what the machine's noise alone does to a ratio. "
             "Latency = median over rounds of each run's p50/p99 from pgbench's per-transaction log. "
             "Extra CPU = the sqlward daemon (B, C) or pgbouncer (E), % of one core over the run; "
             "µs/stmt = the daemon's CPU from its start to its exit divided by the statement records it wrote "
             "to the ledger (median over rounds); "
             "peak RSS = its VmHWM. Drops = `sqlward status` ring_buffer_drops at the end of each run, "
             "max and sum over rounds; waits = statements that waited (stopped) for room in the ring buffer "
             "instead of losing their record (held_while_ring_full), summed over rounds.")
    L.append("")
    L.append("## pgbench")
    L.append("")
    L.append("| workload | clients | config | TPS (median) | TPS ratio to A | p50 µs | p99 µs | p99 − A p99 µs | extra CPU % | µs/stmt | peak RSS MB | drops max / sum | failed runs |")
    L.append("|---|---|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---|")
    plot_rows = []
    others = [c for c in configs if c != "A"]
    for wl, c in cells:
        a_p99 = runs.med(wl, c, "A", "p99_us")
        prow = [f"{WL_SHORT.get(wl, wl)} c{c}"]
        for cfg in configs:
            rs = runs.runs(wl, c, cfg)
            rat = runs.ratios(wl, c, cfg)
            if cfg != "A":
                prow += [statistics.median(rat), min(rat), max(rat)] if rat else [0, 0, 0]
            if not rs:
                continue  # not run here (E on -M prepared)
            tps = runs.med(wl, c, cfg, "tps")
            p50, p99 = runs.med(wl, c, cfg, "p50_us"), runs.med(wl, c, cfg, "p99_us")
            cpu = runs.med(wl, c, cfg, "extra_cpu_pct") if cfg in ("B", "C", "E") else None
            ups = runs.us_per_statement(wl, c, cfg)
            hwm = [num(r["extra_hwm_kb"]) for r in rs if num(r["extra_hwm_kb"])]
            drops = [num(r["drops"]) for r in rs if num(r["drops"]) is not None]
            waits = [num(r.get("ring_waits")) for r in rs if num(r.get("ring_waits")) is not None]
            failed = [r for r in rs if not ok(r)]
            fail_txt = ""
            if failed:
                fail_txt = f"{len(failed)}/{len(rs)}: {failed[0]['status'][:70]}"
            L.append("| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |".format(
                WL_NAMES.get(wl, wl), c, f"{cfg} {CONFIG_NAMES.get(cfg, '')}",
                f"{tps:.0f}" if tps else "n/a",
                "1 (baseline)" if cfg == "A" else fmt_ratio(rat),
                f"{p50:.0f}" if p50 is not None and tps else "n/a",
                f"{p99:.0f}" if p99 is not None and tps else "n/a",
                "" if cfg == "A" or p99 is None or a_p99 is None or not tps else f"{p99 - a_p99:+.0f}",
                f"{cpu:.1f}" if cpu is not None else "",
                f"{statistics.median(ups):.2f}" if ups else "",
                f"{max(hwm) / 1024:.1f}" if hwm and cfg in ("B", "C", "E") else "",
                (f"{max(drops):.0f} / {sum(drops):.0f}" if drops else "") +
                (f" ({sum(waits):.0f} waits)" if waits and sum(waits) else ""),
                fail_txt))
        plot_rows.append(prow)
    L.append("")
    if "E" in configs and any(wl in PREPARED_WL for wl, _ in cells):
        L.append("E is not run on the -M prepared workloads: pgbouncer's transaction pooling hands each "
                 "transaction any server connection, so protocol-level named prepared statements fail "
                 "(`prepared statement \"P_0\" already exists`) on Debian 12's pgbouncer 1.18; "
                 "`max_prepared_statements` arrived in 1.21.")
        L.append("")

    # A/A': what the machine does to a ratio on its own.
    if "A2" in configs:
        L.append("## Noise: A/A′ (PostgreSQL alone, measured twice in each round)")
        L.append("")
        L.append("| workload | clients | A2/A median (min–max) |")
        L.append("|---|---|---|")
        for wl, c in cells:
            L.append(f"| {WL_NAMES.get(wl, wl)} | {c} | {fmt_ratio(runs.ratios(wl, c, 'A2'))} |")
        L.append("")
        L.append("How often one A2/A ratio strays from 1 by more than "
                 + ", ".join(f"{s * 100:.0f}%" for s in NOISE_STEPS) + " (all rounds and client counts of a "
                 "workload), and the σ of one paired ratio it implies (1.4826 × median |A2/A − 1|):")
        L.append("")
        L.append("| workload | " + " | ".join(f"A2/A off by > {s * 100:.0f}%" for s in NOISE_STEPS) + " | σ |")
        L.append("|---|" + "---:|" * (len(NOISE_STEPS) + 1))
        for wl in dict.fromkeys(w for w, _ in cells):
            aa = runs.aa(wl)
            sg = noise_sigma(aa)
            L.append(f"| {WL_NAMES.get(wl, wl)} | " + " | ".join(fmt_noise_counts(aa)) +
                     (f" | {sg:.3f} |" if sg is not None else " | n/a |"))
        L.append("")

    # The daemon's CPU per statement.
    cls = read_cls(cls_f)
    in_run = any(r.get("ledger_statements") not in (None, "NA") for r in rows if r["config"] in ("B", "C"))
    if in_run or cls.get("record2-observed"):
        L.append("## The daemon's CPU per recorded statement")
        L.append("")
        L.append("In the runs: the daemon's CPU seconds from ready to exit (so the statements it drained after "
                 "pgbench ended count too) / the statement records it wrote to the ledger, median (min–max) over "
                 "rounds. It includes the daemon's fixed cost per second (timers, heartbeat, status), which "
                 "weighs more when few statements run. `sqlward verify` = round 1's ledger of that cell.")
        L.append("")
        L.append("| workload | clients | config | statements recorded (median) | pgbench transactions (median) | records / transaction | daemon CPU s (median) | µs / recorded statement | sqlward verify |")
        L.append("|---|---|---|---:|---:|---:|---:|---|---|")
        for wl, c in cells:
            for cfg in ("B", "C"):
                rs = runs.runs(wl, c, cfg)
                if not rs or not in_run:
                    continue
                ups = runs.us_per_statement(wl, c, cfg)
                n, x, s = (runs.med(wl, c, cfg, k) for k in ("ledger_statements", "xacts", "daemon_cpu_s"))
                ver = ", ".join(sorted({r.get("verify") for r in rs if r.get("verify") not in (None, "", "-", "NA")})) or "not run"
                if n is None or x is None or s is None:
                    L.append(f"| {WL_NAMES.get(wl, wl)} | {c} | {cfg} | n/a | n/a | n/a | n/a | {fmt_us(ups)} | {ver} |")
                    continue
                L.append(f"| {WL_NAMES.get(wl, wl)} | {c} | {cfg} | {n:.0f} | {x:.0f} | "
                         f"{(n / x if x else 0):.2f} | {s:.2f} | {fmt_us(ups)} | {ver} |")
        L.append("")
        # (Builds before 2 December recorded only the Parse of an observed prepared statement.)
        sparse = [(wl, c) for wl, c in cells if wl in PREPARED_WL and runs.runs(wl, c, "B") and
                  (runs.med(wl, c, "B", "ledger_statements") or 0) < 0.5 * (runs.med(wl, c, "B", "xacts") or 0)]
        if sparse:
            L.append("On the -M prepared workloads B's ledger holds about one record per session, not one per "
                     "execution: this build records an observed session's Parse but not its executions, so its "
                     "µs per recorded statement there is the daemon's fixed cost, not per-statement work.")
            L.append("")
        for mode, what in (("observed", "an ungoverned role (as B): outcome observed"),
                           ("governed", "a governed role the kernel allowed from its shape cache (as C)")):
            v = record2_us(cls, mode)
            if v:
                kv = cls[f"record2-{mode}"][0]
                L.append(f"- `record_bench2` {mode}, {what}: **{statistics.median(v):.2f} µs** per statement "
                         f"(median of {len(v)}, {min(v):.2f}–{max(v):.2f}; {kv.get('statements')} statements, "
                         f"batch {kv.get('batch')}, who fields on; bench/record_bench2.c: the daemon's real "
                         "per-statement path, statement and completion records, no kernel).")
        if cls.get("record2-observed") or cls.get("record2-governed"):
            L.append("")

    # Config C: how long held statements waited.
    L.append("## Governed path (C): how long a held statement waited for its decision")
    L.append("")
    L.append("held_us from the ledger: kernel event time to the daemon's resume, for statements the "
             "in-kernel verdict caches did not decide (all rounds pooled). Cache hits are "
             "statements the kernel let through with no hold: same text as an allowed statement "
             "(ledger `decided_by: cache`) or same shape with other literals (`decided_by: shape-cache`). "
             "With `-M prepared` only the Parse of each prepared statement reaches the gate; "
             "its executions run the statement already judged.")
    L.append("")
    L.append("| workload | clients | statements | cache hits | held | held_us p50 | p90 | p99 | max |")
    L.append("|---|---|---:|---:|---:|---:|---:|---:|---:|")
    for wl, c in cells:
        rs = runs.runs(wl, c, "C")
        if not rs:
            continue
        nh = sum(int(num(r["held_n"]) or 0) for r in rs)
        nc = sum(int(num(r["cache_n"]) or 0) for r in rs)
        vals = held_values(held_dir, wl, c)
        tot = nh + nc
        L.append(f"| {WL_NAMES.get(wl, wl)} | {c} | {tot} | {nc} ({(nc / tot * 100 if tot else 0):.1f}%) | {nh} | "
                 f"{pct(vals, .5)} | {pct(vals, .9)} | {pct(vals, .99)} | {vals[-1] if vals else 0} |")
    L.append("")

    # Classifier.
    if any(k in cls for k in ("inproc", "inproc-cached", "record", "check-json", "check-text")):
        L.append("## Classifier micro-benchmark")
        L.append("")
        if "corpus" in cls:
            L.append(f"Corpus: {cls['corpus']['text'].split(' ->')[0]} generated by bench/gen_corpus.py "
                     "(one statement per line; `check` gets the parseable ones in files of 5,000, "
                     "since it parses a file as one string).")
            L.append("")
        L.append("| path | statements | CPU s | statements/s/core | peak RSS MB |")
        L.append("|---|---:|---:|---:|---:|")
        ip = cls.get("inproc")
        if ip:
            L.append(f"| in-process sw_pg_analyze + sw_policy_judge (the daemon's per-statement work) | "
                     f"{ip['statements']} | {float(ip['cpu_s']):.2f} | {float(ip['statements_per_core_s']):,.0f} | "
                     f"{int(ip['peak_rss_kb']) / 1024:.1f} |")
        ipc = cls.get("inproc-cached")
        if ipc:
            hits, misses = int(ipc.get("shape_cache_hits", 0)), int(ipc.get("shape_cache_misses", 0))
            rate = hits / (hits + misses) * 100 if hits + misses else 0
            L.append(f"| the same through the daemon's shape-keyed classification cache "
                     f"({rate:.0f}% of statements had a shape seen before) | "
                     f"{ipc['statements']} | {float(ipc['cpu_s']):.2f} | "
                     f"{float(ipc['statements_per_core_s']):,.0f} | {int(ipc['peak_rss_kb']) / 1024:.1f} |")
        rec = cls.get("record")
        if rec:
            L.append(f"| the daemon's whole per-statement userspace work for an observed or kernel-allowed "
                     f"statement (cached classification, judge, ledger record; bench/record_bench.c: "
                     f"{float(rec['us_per_record']):.1f} µs each; record_bench2 above is the real path) | "
                     f"{rec['records']} | {float(rec['cpu_s']):.2f} | "
                     f"{float(rec['records_per_core_s']):,.0f} | {int(rec['peak_rss_kb']) / 1024:.1f} |")
        for k, name in (("check-json", "`sqlward check --format json`"), ("check-text", "`sqlward check --format text`")):
            v = cls.get(k)
            if not v or "user" not in v:
                continue
            cpu = float(v["user"]) + float(v["sys"])
            n = int(v["outputs"])
            rate = n / cpu if cpu else 0
            L.append(f"| {name} | {n} | {cpu:.2f} | {rate:,.0f} | {int(v['maxrss_kb']) / 1024:.1f} |")
        L.append("")

    L.append(f"Plot: `{os.path.basename(out_png)}`; raw runs: `{os.path.splitext(os.path.basename(out_md))[0]}.tsv`. "
             "Issue 16's targets are judged at the end of this report.")
    L.append("")
    with open(out_md, "w") as fh:
        fh.write("\n".join(L))

    if not plot_rows or not others:
        return 0  # nothing to compare with A
    return plot(plot_rows, others, out_png)


def fmt_us(vals):
    if not vals:
        return "n/a"
    return f"{statistics.median(vals):.2f} ({min(vals):.2f}–{max(vals):.2f})"


def held_values(held_dir, wl, c):
    fn = os.path.join(held_dir, f"{wl}-{c}.txt")
    return sorted(int(x) for x in open(fn) if x.strip()) if os.path.exists(fn) else []


# Issue 16's ratio targets on pgbench: (workloads, config, target).
PG_RATIO_TARGETS = (
    (("select", "select-unix"), "B", 0.98), (("select", "select-unix"), "C", 0.95),
    (("select-prepared", "select-prepared-unix"), "B", 0.98),
    (("select-prepared", "select-prepared-unix"), "C", 0.98),
    (("tpcb",), "B", 0.95), (("tpcb",), "C", 0.95),
)
MY_RATIO_TARGETS = (("oltp_read_only", "MB", 0.98), ("oltp_read_only", "MC", 0.95))
ROLE_WORDS = {"B": "observe-only (B)", "C": "governed-allowed (C)", "MB": "observe-only (MB)",
              "MC": "governed-allowed (MC)"}
HELD_MIN_SAMPLES = 100  # a p99 of fewer held statements says nothing


def cmd_targets(tsv, my_tsv, held_dir, cls_f, out_md):
    runs = PgRuns(tsv)
    cells = runs.cells
    my = read_tsv(my_tsv) if my_tsv != "-" and os.path.exists(my_tsv) else []
    cls = read_cls(cls_f)
    L = ["", "## Issue 16 targets", "", RULE_TEXT, ""]
    L.append("| target | cell | measured | rule | met |")
    L.append("|---|---|---|---|---|")

    def row(target, cell, measured, rule, verdict):
        L.append(f"| {target} | {cell} | {measured} | {rule} | {fmt_verdict(verdict)} |")

    # pgbench ratios.
    for wls, cfg, thr in PG_RATIO_TARGETS:
        for wl, c in cells:
            if wl not in wls or not runs.runs(wl, c, cfg):
                continue
            v, d = target_verdict(runs.ratios(wl, c, cfg), thr, noise_sigma(runs.aa(wl)))
            row(f"{ROLE_WORDS[cfg]} ≥ {thr:.2f} of A", f"`{WL_NAMES[wl]}`, {c} clients", d, "interval", v)

    # The daemon's work per observed statement.
    for mode in ("observed", "governed"):
        v = record2_us(cls, mode)
        if v:
            vd, d = target_verdict(v, 1.0, None, at_least=False)
            row("daemon CPU per observed statement ≤ 1 µs", f"`record_bench2` {mode} (no kernel)",
                d.replace("median", "median µs"), "interval", vd)
    for wl, c in cells:
        if wl not in ("select", "select-unix"):  # B records only the Parse of a prepared statement
            continue
        ups = runs.us_per_statement(wl, c, "B")
        if ups:
            vd, d = target_verdict(ups, 1.0, None, at_least=False)
            row("daemon CPU per observed statement ≤ 1 µs", f"B in the run, `{WL_NAMES[wl]}`, {c} clients",
                d.replace("median", "median µs"), "interval", vd)

    # Every statement in the ledger (one per transaction on these workloads; an
    # observed session's Binds are not recorded, so B only on the simple protocol).
    for cfg, wls in (("B", ("select", "select-unix")),
                     ("C", ("select", "select-unix", "select-prepared", "select-prepared-unix"))):
        short = []
        seen = 0
        for wl, c in cells:
            if wl not in wls:
                continue
            for r in runs.runs(wl, c, cfg):
                n, x = num(r.get("ledger_statements")), num(r.get("xacts"))
                if not ok(r) or n is None or not x:
                    continue
                seen += 1
                if n < x:
                    short.append(f"{WL_NAMES[wl]} c{c} r{r['round']}: {n:.0f} < {x:.0f}")
        if seen:
            row("every statement in the ledger", f"{cfg}, every run of " + ", ".join(f"`{WL_NAMES[w]}`" for w in wls)
                + " (one statement per transaction)",
                f"{seen} runs; " + ("ledger ≥ transactions in all" if not short else "short: " + "; ".join(short[:4])),
                "every run", "no" if short else "yes")
    ver = [(r["config"], r.get("verify")) for r in runs.rows + my if r.get("verify") in ("ok", "FAIL")]
    if ver:
        bad = sum(1 for _, v in ver if v == "FAIL")
        row("chain verifiable record by record", "round 1's ledgers (B, C, MB, MC)",
            f"`sqlward verify`: {len(ver) - bad} of {len(ver)} pass", "every ledger", "no" if bad else "yes")

    # Held decisions.
    for wl, c in cells:
        if not runs.runs(wl, c, "C"):
            continue
        vals = held_values(held_dir, wl, c)
        if not vals:
            continue
        p99 = pct(vals, .99)
        if len(vals) < HELD_MIN_SAMPLES:
            vd, why = "inconclusive", f"only {len(vals)} held"
        elif p99 <= 100:
            vd, why = "yes", "under full load, so a fortiori with a free core"
        else:
            vd, why = "inconclusive", ("no core is free in make bench (clients ≥ cores): "
                                       "bench/hold_latency.sh measures it with one free")
        row("held decisions p99 ≤ 100 µs added", f"C, `{WL_NAMES[wl]}`, {c} clients",
            f"held_us p99 {p99} (n={len(vals)}); {why}", "pooled p99", vd)

    # MariaDB ratios.
    if my:
        my_by = {}
        for r in my:
            if ok(r):
                my_by.setdefault((r["workload"], r["threads"], r["config"]), {})[r["round"]] = num(r["tps"])
        threads = list(dict.fromkeys(r["threads"] for r in my))
        for wl, cfg, thr in MY_RATIO_TARGETS:
            aa = [x for t in threads for x in paired_ratios(my_by.get((wl, t, "MA2"), {}), my_by.get((wl, t, "MA"), {}))]
            for t in threads:
                if not any(r["workload"] == wl and r["threads"] == t and r["config"] == cfg for r in my):
                    continue
                rat = paired_ratios(my_by.get((wl, t, cfg), {}), my_by.get((wl, t, "MA"), {}))
                v, d = target_verdict(rat, thr, noise_sigma(aa))
                row(f"MariaDB {ROLE_WORDS[cfg]} ≥ {thr:.2f} of MA", f"sysbench `{wl}`, {t} threads", d, "interval", v)

    # Ahead of pgaudit in every cell (paired X/D per round).
    for cfg in ("B", "C"):
        verdicts = []
        for wl, c in cells:
            if not runs.runs(wl, c, cfg) or not runs.runs(wl, c, "D"):
                continue
            v, d = target_verdict(runs.ratios(wl, c, cfg, base="D"), 1.0, noise_sigma(runs.aa(wl)))
            verdicts.append((v, f"{WL_SHORT.get(wl, wl)} c{c}: {v}, {d}"))
        if verdicts:
            vs = {v for v, _ in verdicts}
            met = "no" if "no" in vs else "yes" if vs == {"yes"} else "inconclusive"
            not_yes = [t for v, t in verdicts if v != "yes"]
            row(f"{cfg} ahead of pgaudit log=all ({cfg}/D > 1)", f"every cell ({len(verdicts)})",
                "; ".join(not_yes) if not_yes else "ahead in every cell", "interval, every cell", met)

    # Drops and RSS: as measured.
    for eng, rows_, cfgs, col, hcol in (("PostgreSQL", runs.rows, ("B", "C"), "drops", "extra_hwm_kb"),
                                        ("MariaDB", my, ("MB", "MC"), "drops", "hwm_kb")):
        rs = [r for r in rows_ if r["config"] in cfgs]
        if not rs:
            continue
        drops = [num(r.get(col)) for r in rs if num(r.get(col)) is not None]
        missing = len(rs) - len(drops)
        if drops:
            row("zero ring-buffer drops at full rate", f"{eng}, every {'/'.join(cfgs)} run",
                f"max {max(drops):.0f}, sum {sum(drops):.0f} over {len(drops)} runs"
                + (f" ({missing} runs without a count)" if missing else ""), "every run",
                "yes" if max(drops) == 0 and not missing else "no" if max(drops) else "inconclusive")
        if eng == "MariaDB":
            unrep = [num(r.get("refused_unreported")) for r in rs if num(r.get("refused_unreported")) is not None]
            if unrep:
                row("zero ring-buffer drops at full rate", "MariaDB: commands refused unjudged (no room)",
                    f"max {max(unrep):.0f}, sum {sum(unrep):.0f}", "every run", "yes" if max(unrep) == 0 else "no")
        hwm = [num(r.get(hcol)) for r in rs if num(r.get(hcol))]
        if hwm:
            row("daemon RSS < 64 MB", f"{eng}, every {'/'.join(cfgs)} run", f"max {max(hwm) / 1024:.1f} MB",
                "every run", "yes" if max(hwm) < 64 * 1024 else "no")
    L.append("")
    with open(out_md, "a") as fh:
        fh.write("\n".join(L))
    return 0


def plot(plot_rows, others, out_png):
    # Plot: clustered bars of TPS ratio (median, min-max error bars) per workload.
    dat = out_png + ".dat"
    with open(dat, "w") as fh:
        for pr in plot_rows:
            fh.write('"' + pr[0] + '" ' + " ".join(f"{v:.4f}" for v in pr[1:]) + "\n")
    plots = []
    for i, cfg in enumerate(others):
        col = 2 + 3 * i
        src = f"'{dat}'" if i == 0 else "''"
        xt = ":xtic(1)" if i == 0 else ""
        plots.append(f"{src} using {col}:{col + 1}:{col + 2}{xt} title '{cfg}: {CONFIG_NAMES[cfg]}'")
    ymax = max([1.2] + [v + 0.05 for pr in plot_rows for v in pr[1:]])
    gp = f"""
set terminal pngcairo size 1400,700 font 'sans,10'
set output '{out_png}'
set title 'TPS relative to PostgreSQL alone (median of paired rounds; bars: min-max)'
set ylabel 'TPS / TPS(PostgreSQL alone)'
set yrange [0:{ymax:.2f}]
set grid ytics
set xtics rotate by -30
set key outside bottom center horizontal
set style data histogram
set style histogram errorbars gap 1 lw 1
set style fill solid 0.8 border -1
set boxwidth 0.9
set arrow from graph 0, first 1 to graph 1, first 1 nohead dt 2 lc rgb 'black'
plot {', '.join(plots)}
"""
    r = subprocess.run(["gnuplot"], input=gp, text=True, capture_output=True)
    if r.returncode != 0:
        gp = gp.replace("pngcairo size 1400,700 font 'sans,10'", "png size 1400,700")
        r = subprocess.run(["gnuplot"], input=gp, text=True, capture_output=True)
    if r.returncode != 0:
        sys.stderr.write(r.stderr)
        return 1
    os.unlink(dat)
    return 0


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    cmd = sys.argv[1]
    if cmd == "lat" and len(sys.argv) == 3:
        cmd_lat(sys.argv[2])
    elif cmd == "ledger" and len(sys.argv) == 5:
        cmd_ledger(*sys.argv[2:5])
    elif cmd == "count" and len(sys.argv) == 3:
        cmd_count(sys.argv[2])
    elif cmd == "report" and len(sys.argv) == 8:
        sys.exit(cmd_report(*sys.argv[2:8]))
    elif cmd == "targets" and len(sys.argv) == 7:
        sys.exit(cmd_targets(*sys.argv[2:7]))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
