#!/usr/bin/env bash
# How long a governed statement is held before the daemon decides: pgbench as a
# governed role, every statement judged in userspace (--no-cache). Two views:
# - held_us (the ledger): from the probe to the decision, before the record is
#   synced and the backend resumed;
# - added (the client's): pgbench's per-transaction latency (-l) at p50/p99 minus
#   the same percentile with no gate running: everything the hold costs, the
#   stop, the wake-up, the judgement, the fdatasync and the resume.
# Then the same with the in-kernel verdict caches on (exact text and statement
# shape: both count as cache hits).
# Usage: bench/hold_latency.sh [TRANSACTIONS]   (root; default 3000)
# A/B, interleaved (PROFILE's rule on a noisy 2-core machine):
#   SQLWARD_B=PATH    a second binary: every case runs with both, alternating which goes first
#   ROUNDS=N          repeat everything N times (default 1); the no-gate baseline is measured again
#                     each round, and a last table gives each case's median and range over rounds
#   CASES="NAME ..."  only these cases (names as printed: simple-nocache, simple-nocache-c16, ...)
#   The run holds the integration tests' lock (they attach to the same binary).
set -uo pipefail
TOP=$(cd "$(dirname "$0")/.." && pwd)
cd "$TOP"
N=${1:-3000}
SQLWARD=${SQLWARD:-$TOP/build/sqlward}
SQLWARD_B=${SQLWARD_B:-}
ROUNDS=${ROUNDS:-1}
CASES=${CASES:-}
HOLD_BENCH=hold_latency
. "$TOP/bench/hold_setup.sh"

# p50 and p99 of pgbench's per-transaction latency in µs, from its -l logs (PREFIX*).
latency_pcts() {
	cat "$1".* 2>/dev/null | awk '{print $3}' | sort -n | awk '{v[NR] = $1} END {
		if (!NR) { print "0 0"; exit }
		i50 = int(NR * 0.50); i99 = int(NR * 0.99); if (i50 < 1) i50 = 1; if (i99 < 1) i99 = 1
		print v[i50], v[i99] }'
}

declare -A BASE_P50 BASE_P99

run_one() {  # BINARY TAG NAME DAEMON-FLAGS PGBENCH-MODE [CLIENTS]
	local bin=$1 tag=$2 case=$3 flags=$4 mode=$5 clients=${6:-1}
	local name="$case${tag:+-$tag}-r$ROUND" ledger pin="/sys/fs/bpf/sqlward-bench-$$"
	ledger="$SW_TMP/ledger-$name.jsonl"
	"$bin" run --policy policies/default.yaml --ledger "$ledger" --socket "$SW_TMP/$name.sock" \
		--pg-bin "$SW_PG_BIN" --postmaster-pid "$(pg_postmaster_pid)" --pin-dir "$pin" $flags \
		>"$SW_TMP/$name.log" 2>&1 &
	local d=$!
	for _ in $(seq 100); do grep -qs "gate ready" "$SW_TMP/$name.log" && break; sleep 0.1; done
	local tps
	tps=$(cd "$SW_TMP" && pgbench -n -M "$mode" -c "$clients" -j "$((clients > 1 ? 2 : 1))" -t "$((N / clients))" \
		-l --log-prefix="lat-$name" -f "$SW_TMP/select.sql" -h "$SW_PG_HOST" -p "$SW_PG_PORT" \
		-U agent_bench bench 2>&1 | awk '/^tps/ {print $3; exit}')
	kill -TERM "$d"; wait "$d" 2>/dev/null
	"$bin" detach "$pin" >/dev/null
	local p50 p99 key="$mode-$clients"
	read -r p50 p99 < <(latency_pcts "$SW_TMP/lat-$name")
	python3 - "$ledger" "$name" "$tps" "$p50" "$p99" "${BASE_P50[$key]:-0}" "${BASE_P99[$key]:-0}" \
		"$SW_TMP/rows.tsv" "$case" "${tag:-A}" <<'PY'
import json, sys
ledger, name, tps = sys.argv[1:4]
p50, p99, b50, b99 = (int(x) for x in sys.argv[4:8])
rows, case, tag = sys.argv[8:11]
held, cached = [], 0
for line in open(ledger):
    r = json.loads(line)
    if r.get("type") != "statement" or r.get("role") != "agent_bench":
        continue
    if r.get("decided_by") in ("cache", "shape-cache"):   # the kernel let it through: no hold
        cached += 1
    elif r.get("outcome") == "ran":
        held.append(r["held_us"])
held.sort()
def pct(p):
    return held[min(len(held) - 1, int(p * len(held)))] if held else 0
print(f"{name:26s} statements held={len(held):5d} cache-hits={cached:5d} "
      f"held_us p50={pct(0.50):6d} p90={pct(0.90):6d} p99={pct(0.99):6d} max={held[-1] if held else 0:6d}  tps={tps}")
print(f"{'':26s} client latency us p50={p50} p99={p99}; added to the no-gate run: p50={p50 - b50} p99={p99 - b99}")
with open(rows, "a") as f:
    f.write(f"{case}\t{tag}\t{pct(0.50)}\t{pct(0.99)}\t{p50 - b50}\t{p99 - b99}\n")
PY
}

run_case() {  # NAME DAEMON-FLAGS PGBENCH-MODE [CLIENTS]: with SQLWARD, and SQLWARD_B (order alternating)
	[ -z "$CASES" ] || [[ " $CASES " == *" $1 "* ]] || return 0
	if [ -z "$SQLWARD_B" ]; then
		run_one "$SQLWARD" "" "$@"
	elif [ $((ROUND % 2)) -eq 1 ]; then
		run_one "$SQLWARD" A "$@"; run_one "$SQLWARD_B" B "$@"
	else
		run_one "$SQLWARD_B" B "$@"; run_one "$SQLWARD" A "$@"
	fi
}

echo "hold latency, $N pgbench transactions (one SELECT each) as governed role agent_bench:"
[ -z "$SQLWARD_B" ] || echo "A: $SQLWARD"$'\n'"B: $SQLWARD_B"
: >"$SW_TMP/rows.tsv"
for ROUND in $(seq "$ROUNDS"); do
	[ "$ROUNDS" -eq 1 ] || echo "-- round $ROUND of $ROUNDS"
	for mc in simple:1 extended:1 simple:16; do
		mode=${mc%:*} clients=${mc#*:}
		tps=$(cd "$SW_TMP" && rm -f lat-base-"$mode-$clients".* && pgbench -n -M "$mode" -c "$clients" \
			-j "$((clients > 1 ? 2 : 1))" -t "$((N / clients))" -l --log-prefix="lat-base-$mode-$clients" \
			-f "$SW_TMP/select.sql" -h "$SW_PG_HOST" -p "$SW_PG_PORT" -U agent_bench bench 2>&1 |
			awk '/^tps/ {print $3; exit}')
		read -r p50 p99 < <(latency_pcts "$SW_TMP/lat-base-$mode-$clients")
		BASE_P50[$mode-$clients]=$p50 BASE_P99[$mode-$clients]=$p99
		printf '%-22s no gate running: client latency us p50=%s p99=%s  tps=%s\n' "baseline-$mode-c$clients" "$p50" "$p99" "$tps"
	done
	run_case simple-nocache "--no-cache" simple
	run_case extended-nocache "--no-cache" extended
	# Sixteen sessions at once, every statement still judged in userspace: decisions
	# written before a sync began share it (group commit).
	run_case simple-nocache-c16 "--no-cache" simple 16
	# The same, with each decided statement moving once its record is written (synced within 100 ms)
	# instead of once it is fdatasynced: what the disk's flush adds to a hold.
	run_case simple-nocache-interval "--no-cache --ledger-sync interval" simple
	run_case extended-nocache-interval "--no-cache --ledger-sync interval" extended
	run_case simple-nocache-interval-c16 "--no-cache --ledger-sync interval" simple 16
	run_case simple-cache "" simple
	run_case extended-cache "" extended
done
if [ "$ROUNDS" -gt 1 ]; then
	echo "-- median (min..max) over $ROUNDS rounds, us: held_us p50, p99; added to the client's latency p50, p99"
	python3 - "$SW_TMP/rows.tsv" <<'PY'
import sys, statistics
rows = {}
for line in open(sys.argv[1]):
    case, tag, *v = line.split("\t")
    rows.setdefault((case, tag), []).append([int(x) for x in v])
for (case, tag), vs in rows.items():
    cols = []
    for i in range(4):
        xs = [v[i] for v in vs]
        cols.append(f"{statistics.median(xs):7.0f} ({min(xs)}..{max(xs)})")
    print(f"{case:28s} {tag}  " + "  ".join(cols))
PY
fi
