#!/usr/bin/env bash
# A/B of two sqlward builds on MariaDB, interleaved in every round: sysbench
# oltp_read_only against mariadbd alone (MA), then MB (observed account, default
# policy) and MC (governed account, bench/policy-allow.yaml) under each build in
# turn. One line per run on stdout (TSV): round config build tps queries (sysbench's)
# lost_events waited longest_gap_ms (gate.mariadb[] of `sqlward status`; NA for a build
# without them) statement_records (segments included); the medians at the end.
#
#   bench/mariadb_ab.sh A=/path/to/sqlward B=/path/to/sqlward
#
# Knobs: AB_ROUNDS (5), AB_SECONDS (10), AB_THREADS (4), AB_TABLES (2), AB_ROWS (10000),
# AB_KEEP_DIR (keep each run's ledger and daemon log there), AB_FAILED_DIR (/tmp: failed sysbench runs).
# Needs root (BPF; a throwaway cluster and mariadbd run as system users).
set -uo pipefail
TOP=$(cd "$(dirname "$0")/.." && pwd)
cd "$TOP"
ROUNDS=${AB_ROUNDS:-5}
SECS=${AB_SECONDS:-10}
THREADS=${AB_THREADS:-4}
TABLES=${AB_TABLES:-2}
ROWS=${AB_ROWS:-10000}
declare -A BIN
NAMES=()
for a in "$@"; do
	BIN[${a%%=*}]=${a#*=}
	NAMES+=("${a%%=*}")
	[ -x "${a#*=}" ] || { echo "not an executable: ${a#*=}" >&2; exit 2; }
done
[ "${#NAMES[@]}" -gt 0 ] || { echo "usage: $0 NAME=SQLWARD [NAME=SQLWARD...]" >&2; exit 2; }
SW_MY_DB=sbtest
. tests/lib/pg.sh
. tests/lib/mariadb.sh

pg_start
SW_MY_EXTRA_ARGS="--innodb-buffer-pool-size=256M"
my_start
my_sql_admin "CREATE DATABASE sbtest" \
	"CREATE USER 'bench_app'@'%' IDENTIFIED BY '$SW_MY_PASSWORD'" \
	"GRANT ALL PRIVILEGES ON sbtest.* TO 'bench_app'@'%'" \
	"CREATE USER 'agent_bench'@'%' IDENTIFIED BY '$SW_MY_PASSWORD'" \
	"GRANT SELECT, INSERT, UPDATE, DELETE ON sbtest.* TO 'agent_bench'@'%'" || sw_die "setup: $MY_ERR"
sb() {  # ACCOUNT sysbench-args...
	local acct=$1; shift
	timeout -k 5 $((SECS + 120)) sysbench oltp_read_only --db-driver=mysql --mysql-host=127.0.0.1 \
		--mysql-port="$SW_MY_PORT" --mysql-user="$acct" --mysql-password="$SW_MY_PASSWORD" --mysql-db=sbtest \
		--tables="$TABLES" --table-size="$ROWS" --threads="$THREADS" "$@"
}
sb bench_app prepare >/dev/null 2>&1 || sw_die "sysbench prepare failed"

GATE_PID= GATE_BIN=
gate_stop() {
	[ -n "$GATE_PID" ] || return 0
	kill -TERM "$GATE_PID" 2>/dev/null
	wait "$GATE_PID" 2>/dev/null
	GATE_PID=
	"$GATE_BIN" detach "/sys/fs/bpf/sqlward-ab-$$" >/dev/null 2>&1   # the build that pinned them
	rm -rf "/sys/fs/bpf/sqlward-ab-$$"
}
sw_at_exit gate_stop
gate_start() {  # SQLWARD POLICY
	rm -rf "$SW_TMP/ledger.jsonl"*   # its rotated segments (ledger.jsonl.seg/) too
	# The previous run's log says "gate ready" too, and the redirection below truncates it only
	# once the child runs: without this, sysbench could start before this daemon attached (its
	# PREPAREs unseen, its EXECUTEs then refused with error 1835, or nothing recorded at all).
	rm -f "$SW_TMP/gate.log"
	GATE_BIN=$1
	"$1" run --policy "$2" --ledger "$SW_TMP/ledger.jsonl" --socket "$SW_TMP/ab.sock" --pg-bin "$SW_PG_BIN" \
		--postmaster-pid "$(pg_postmaster_pid)" --pin-dir "/sys/fs/bpf/sqlward-ab-$$" --mariadb-pid "$SW_MY_PID" \
		>"$SW_TMP/gate.log" 2>&1 &
	GATE_PID=$!
	for _ in $(seq 300); do
		grep -qs "gate ready" "$SW_TMP/gate.log" && return 0
		kill -0 "$GATE_PID" 2>/dev/null || break
		sleep 0.05
	done
	cat "$SW_TMP/gate.log" >&2
	sw_die "sqlward did not become ready"
}
one() {  # ROUND CONFIG BUILD
	local out tps q st="NA NA NA" n=NA acct=bench_app policy=policies/default.yaml
	[ "$2" = MC ] && { acct=agent_bench; policy=bench/policy-allow.yaml; }
	[ "$2" != MA ] && gate_start "${BIN[$3]}" "$policy"
	out=$(sb "$acct" --time="$SECS" run 2>&1)
	tps=$(awk '/transactions:/ {gsub(/\(/, "", $3); print $3; exit}' <<<"$out")
	q=$(awk '/queries:/ {print $2; exit}' <<<"$out")
	[ -n "$tps" ] || { echo "$out"; tail -5 "$SW_TMP/gate.log"; } >"${AB_FAILED_DIR:-/tmp}/mariadb_ab-failed-$1-$2-$3.log"
	if [ "$2" != MA ]; then
		st=$("${BIN[$3]}" status --socket "$SW_TMP/ab.sock" 2>/dev/null | python3 -c '
import json, sys
g = (json.load(sys.stdin).get("gate") or {}).get("mariadb", [{}])[0]
print(g.get("lost_events", "NA"), (g.get("waited") or {}).get("commands", "NA"), g.get("longest_gap_ms", "NA"))')
		gate_stop
		n=$(python3 bench/report.py count "$SW_TMP/ledger.jsonl")
		if [ -n "${AB_KEEP_DIR:-}" ]; then   # the ledger and log of each run, to look into
			cp "$SW_TMP/ledger.jsonl" "$AB_KEEP_DIR/ledger-$1-$2-$3.jsonl"
			cp "$SW_TMP/gate.log" "$AB_KEEP_DIR/gate-$1-$2-$3.log"
		fi
	fi
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "${3:--}" "${tps:-0}" "${q:-0}" "${st// /$'\t'}" "$n"
}
printf 'round\tconfig\tbuild\ttps\tqueries\tlost_events\twaited\tlongest_gap_ms\tstatement_records\n'
for r in $(seq 1 "$ROUNDS"); do
	one "$r" MA ""
	for cfg in MB MC; do for b in "${NAMES[@]}"; do one "$r" "$cfg" "$b"; done; done
done | tee "$SW_TMP/ab.tsv"
python3 - "$SW_TMP/ab.tsv" <<'PY'
import statistics, sys
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1])]
rows = [r for r in rows if r[0] != "round"]
alone = {r[0]: float(r[3]) for r in rows if r[1] == "MA"}
cells = {}
for r in rows:
    if r[1] != "MA" and alone.get(r[0]):
        cells.setdefault((r[1], r[2]), []).append(float(r[3]) / alone[r[0]])
print("# TPS ratio to MariaDB alone in the same round: median (min-max)")
for (cfg, b), v in sorted(cells.items()):
    print(f"# {cfg} {b}: {statistics.median(v):.3f} ({min(v):.3f}-{max(v):.3f}) over {len(v)} rounds")
PY
