#!/usr/bin/env python3
"""Helpers for bench/run.sh (make bench).

  report.py lat DIR                      p50 and p99 transaction latency (us) over
                                         every pgbench per-transaction log in DIR
  report.py ledger LEDGER ROLE OUT       for one governed run: "held_n cache_n p50 p90
                                         p99 max" of held_us (statements the daemon
                                         decided while the backend was stopped); the
                                         held_us values are appended to OUT
  report.py report TSV HELDDIR META CLS OUT.md OUT.png
                                         the markdown report and the gnuplot plot
"""
import glob
import json
import os
import statistics
import subprocess
import sys

CONFIG_NAMES = {
    "A": "PostgreSQL alone",
    "B": "sqlward, ungoverned role",
    "C": "sqlward, governed role (allowed)",
    "D": "pgaudit log=all",
    "E": "pgbouncer (transaction)",
}
WL_NAMES = {"select": "-S", "select-prepared": "-S -M prepared", "tpcb": "TPC-B-like",
            "nested": "-M prepared, a PL/pgSQL function per call (one nested SELECT)"}
WL_SHORT = {"select": "-S", "select-prepared": "prepared", "tpcb": "TPC-B", "nested": "nested"}


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


def cmd_ledger(ledger, role, out):
    held, cached = [], 0
    try:
        fh = open(ledger)
    except OSError:
        print("0 0 0 0 0 0")
        return
    with fh:
        for line in fh:
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


def num(s):
    try:
        return float(s)
    except (TypeError, ValueError):
        return None


def fmt_ratio(vals):
    if not vals:
        return "n/a"
    return f"{statistics.median(vals):.3f} ({min(vals):.3f}–{max(vals):.3f})"


def cmd_report(tsv, held_dir, meta_f, cls_f, out_md, out_png):
    rows = []
    with open(tsv) as fh:
        header = fh.readline().rstrip("\n").split("\t")
        for line in fh:
            f = line.rstrip("\n").split("\t")
            rows.append(dict(zip(header, f)))
    meta = dict(l.rstrip("\n").split("=", 1) for l in open(meta_f) if "=" in l)
    cells = []  # (workload, clients) in run order
    for r in rows:
        k = (r["workload"], r["clients"])
        if k not in cells:
            cells.append(k)
    configs = sorted({r["config"] for r in rows})
    by = {}
    for r in rows:
        by.setdefault((r["workload"], r["clients"], r["config"]), []).append(r)

    def ok(r):
        return r["status"] == "ok" and num(r["tps"])

    def ratios(wl, c, cfg):
        base = {r["round"]: num(r["tps"]) for r in by.get((wl, c, "A"), []) if ok(r)}
        out = []
        for r in by.get((wl, c, cfg), []):
            if ok(r) and base.get(r["round"]):
                out.append(num(r["tps"]) / base[r["round"]])
        return out

    def med(wl, c, cfg, key):
        v = [num(r[key]) for r in by.get((wl, c, cfg), []) if ok(r) and num(r[key]) is not None]
        return statistics.median(v) if v else None

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
    L.append("TPS ratio = TPS / TPS of A in the same round (paired), median and (min–max) over rounds. "
             "Latency = median over rounds of each run's p50/p99 from pgbench's per-transaction log. "
             "Extra CPU = the sqlward daemon (B, C) or pgbouncer (E), % of one core over the run; "
             "peak RSS = its VmHWM. Drops = `sqlward status` ring_buffer_drops at the end of each run (max over rounds).")
    L.append("")
    L.append("## pgbench")
    L.append("")
    L.append("| workload | clients | config | TPS (median) | TPS ratio to A | p50 µs | p99 µs | p99 − A p99 µs | extra CPU % | peak RSS MB | drops | failed runs |")
    L.append("|---|---|---|---:|---|---:|---:|---:|---:|---:|---:|---|")
    plot_rows = []
    for wl, c in cells:
        a_p99 = med(wl, c, "A", "p99_us")
        prow = [f"{WL_SHORT.get(wl, wl)} c{c}"]
        for cfg in configs:
            rs = by.get((wl, c, cfg), [])
            tps = med(wl, c, cfg, "tps")
            rat = ratios(wl, c, cfg)
            p50, p99 = med(wl, c, cfg, "p50_us"), med(wl, c, cfg, "p99_us")
            cpu = med(wl, c, cfg, "extra_cpu_pct") if cfg in "BCE" else None
            hwm = [num(r["extra_hwm_kb"]) for r in rs if num(r["extra_hwm_kb"])]
            drops = [num(r["drops"]) for r in rs if num(r["drops"]) is not None]
            failed = [r for r in rs if not ok(r)]
            fail_txt = ""
            if failed:
                fail_txt = f"{len(failed)}/{len(rs)}: {failed[0]['status'][:70]}"
            L.append("| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |".format(
                WL_NAMES.get(wl, wl), c, f"{cfg} {CONFIG_NAMES.get(cfg, '')}",
                f"{tps:.0f}" if tps else "n/a",
                "1 (baseline)" if cfg == "A" else fmt_ratio(rat),
                f"{p50:.0f}" if p50 is not None and tps else "n/a",
                f"{p99:.0f}" if p99 is not None and tps else "n/a",
                "" if cfg == "A" or p99 is None or a_p99 is None or not tps else f"{p99 - a_p99:+.0f}",
                f"{cpu:.1f}" if cpu is not None else "",
                f"{max(hwm) / 1024:.1f}" if hwm and cfg in "BCE" else "",
                f"{max(drops):.0f}" if drops else "",
                fail_txt))
            if cfg != "A":
                prow += [statistics.median(rat), min(rat), max(rat)] if rat else [0, 0, 0]
        plot_rows.append(prow)
    L.append("")
    if any(r["config"] == "E" and "prepared statement" in r["status"] for r in rows):
        L.append("pgbouncer runs that failed with `prepared statement \"P_0\" already exists`/`does not exist`: "
                 "pgbouncer's transaction pooling hands each transaction any server connection, so protocol-level "
                 "named prepared statements (`pgbench -M prepared`) break; support for them "
                 "(`max_prepared_statements`) arrived in pgbouncer 1.21, newer than Debian 12's. Its ratio there is "
                 "over the runs that happened to survive, if any.")
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
        rs = by.get((wl, c, "C"), [])
        if not rs:
            continue
        nh = sum(int(num(r["held_n"]) or 0) for r in rs)
        nc = sum(int(num(r["cache_n"]) or 0) for r in rs)
        vals = []
        fn = os.path.join(held_dir, f"{wl}-{c}.txt")
        if os.path.exists(fn):
            vals = sorted(int(x) for x in open(fn) if x.strip())
        tot = nh + nc
        L.append(f"| {WL_NAMES.get(wl, wl)} | {c} | {tot} | {nc} ({(nc / tot * 100 if tot else 0):.1f}%) | {nh} | "
                 f"{pct(vals, .5)} | {pct(vals, .9)} | {pct(vals, .99)} | {vals[-1] if vals else 0} |")
    L.append("")

    # Classifier.
    cls = {}
    for line in open(cls_f) if os.path.exists(cls_f) else []:
        parts = line.split()
        if not parts:
            continue
        kv = dict(p.split("=", 1) for p in parts[1:] if "=" in p)
        cls[parts[0]] = kv
        if "statements" in line and "->" in line:
            cls["corpus"] = {"text": line.strip()}
    check_rate = None
    if cls:
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
            cls_rate = float(ip["statements_per_core_s"])
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
                     f"{float(rec['us_per_record']):.1f} µs each) | {rec['records']} | {float(rec['cpu_s']):.2f} | "
                     f"{float(rec['records_per_core_s']):,.0f} | {int(rec['peak_rss_kb']) / 1024:.1f} |")
        for k, name in (("check-json", "`sqlward check --format json`"), ("check-text", "`sqlward check --format text`")):
            v = cls.get(k)
            if not v or "user" not in v:
                continue
            cpu = float(v["user"]) + float(v["sys"])
            n = int(v["outputs"])
            rate = n / cpu if cpu else 0
            if k == "check-json":
                check_rate = rate
            L.append(f"| {name} | {n} | {cpu:.2f} | {rate:,.0f} | {int(v['maxrss_kb']) / 1024:.1f} |")
        L.append("")

    # Targets.
    L.append("## Issue 5 targets")
    L.append("")
    L.append("| target | measured | met |")
    L.append("|---|---|---|")

    def target(desc, measured, met):
        L.append(f"| {desc} | {measured} | {'yes' if met else '**no**'} |")

    def rmed(wl, c, cfg):
        r = ratios(wl, c, cfg)
        return statistics.median(r) if r else None

    clients = sorted({c for _, c in cells}, key=int)
    if ("select", "4") in cells and "B" in configs:
        r = rmed("select", "4", "B")
        drops = [num(x["drops"]) for x in rows if x["config"] in "BC" and num(x["drops"]) is not None]
        target("B ≥ 0.98 of A, `-S`, 4 clients", f"{r:.3f}" if r else "n/a", r is not None and r >= 0.98)
        target("zero ring-buffer drops (every B and C run)", f"max {max(drops):.0f}" if drops else "n/a",
               bool(drops) and max(drops) == 0)
    if "C" in configs:
        for wl, thr in (("select-prepared", 0.95), ("select", 0.90)):
            for c in clients:
                if (wl, c) not in cells:
                    continue
                r = rmed(wl, c, "C")
                target(f"C ≥ {thr:.2f} of A, `{WL_NAMES[wl]}`, {c} clients", f"{r:.3f}" if r else "n/a",
                       r is not None and r >= thr)
                a99, c99 = med(wl, c, "A", "p99_us"), med(wl, c, "C", "p99_us")
                if a99 is not None and c99 is not None:
                    target(f"C p99 added ≤ 100 µs, `{WL_NAMES[wl]}`, {c} clients", f"{c99 - a99:+.0f} µs",
                           c99 - a99 <= 100)
    for cfg in ("B", "C"):
        if cfg not in configs:
            continue
        behind = []
        for wl, c in cells:
            mine = rmed(wl, c, cfg)
            for other in ("D", "E"):
                if other not in configs:
                    continue
                theirs = rmed(wl, c, other)
                if theirs is None:
                    continue  # the other cannot run this workload at all
                if mine is None or mine <= theirs:
                    behind.append(f"{WL_NAMES[wl]} c{c} vs {other} ({mine or 0:.3f} ≤ {theirs:.3f})")
        target(f"{cfg} ahead of pgaudit (D) and pgbouncer (E) on every workload",
               "behind on: " + "; ".join(behind) if behind else "ahead everywhere", not behind)
    if cls.get("inproc"):
        r = float(cls["inproc"]["statements_per_core_s"])
        target("classifier ≥ 50,000 statements/s/core (every statement parsed, in-process)", f"{r:,.0f}",
               r >= 50000)
    if cls.get("inproc-cached"):
        r = float(cls["inproc-cached"]["statements_per_core_s"])
        target("classifier ≥ 50,000 statements/s/core (daemon path: shape-keyed cache, in-process)",
               f"{r:,.0f}", r >= 50000)
    if check_rate:
        target("classifier ≥ 50,000 statements/s/core (`sqlward check --format json`)", f"{check_rate:,.0f}",
               check_rate >= 50000)
    hwm = [num(r["extra_hwm_kb"]) for r in rows if r["config"] in "BC" and num(r["extra_hwm_kb"])]
    if hwm:
        target("daemon peak RSS < 64 MB", f"max {max(hwm) / 1024:.1f} MB", max(hwm) < 64 * 1024)
    L.append("")
    L.append(f"Plot: `{os.path.basename(out_png)}`; raw runs: `{os.path.splitext(os.path.basename(out_md))[0]}.tsv`.")
    L.append("")
    with open(out_md, "w") as fh:
        fh.write("\n".join(L))

    return plot(plot_rows, [c for c in configs if c != "A"], out_png)


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
set terminal pngcairo size 1100,650 font 'sans,10'
set output '{out_png}'
set title 'TPS relative to PostgreSQL alone (median of paired rounds; bars: min-max)'
set ylabel 'TPS / TPS(PostgreSQL alone)'
set yrange [0:{ymax:.2f}]
set grid ytics
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
        gp = gp.replace("pngcairo size 1100,650 font 'sans,10'", "png size 1200,600")
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
    elif cmd == "report" and len(sys.argv) == 8:
        sys.exit(cmd_report(*sys.argv[2:8]))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
