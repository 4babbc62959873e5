#!/usr/bin/env bash
# `make bench`: what sqlward costs, next to what a user would otherwise pick.
# A benchmark, never a test: it asserts nothing, it measures and reports.
#
# Configurations (issues 5 and 16), all against throwaway PostgreSQL 15 clusters:
#   A  PostgreSQL alone (cluster P)
#   B  sqlward running, client role ungoverned (bench_app): observe + ledger only
#   C  sqlward running, client role governed (agent_bench), policy
#      bench/policy-allow.yaml (governs agent_*, allows reads AND writes, so the
#      TPC-B mix's UPDATE/INSERT run instead of waiting for a human)
#   D  pgaudit, pgaudit.log = 'all' (cluster Q: the same data, its own postmaster
#      with shared_preload_libraries = pgaudit; a second cluster instead of
#      restarting P between configurations, so every configuration keeps a warm
#      buffer cache and the rounds can interleave cheaply)
#   E  pgbouncer (transaction pooling) in front of cluster P (it listens on TCP
#      and on a Unix socket of its own; it reaches P over TCP). Not run on the
#      -M prepared workloads: Debian 12's pgbouncer (1.18) has no support for
#      protocol-level prepared statements in transaction pooling (every run fails).
#   A2 PostgreSQL alone again, last of its workload and client count in each round
#      (as MariaDB's MA2): A2/A is the A/A' noise floor that the report judges
#      every target against (bench/bench_stats.py)
# Workloads: pgbench -S (simple protocol, literal values), -S -M prepared
# (extended protocol), each over TCP (127.0.0.1) and over the Unix socket
# ("select-unix", "select-prepared-unix": no TCP stack, so per-statement costs
# weigh more), the default TPC-B-like mix and "nested" (each
# transaction calls a PL/pgSQL function that runs one SELECT, -M prepared: the
# execution checkpoint's cost once both the call and the statement inside are
# in the verdict cache; it is on governed backends only), each with 4 and 16
# clients. Rounds are interleaved (round 1: every workload x every config,
# round 2: ...), so slow drift of the machine hits every configuration alike.
# For B and C the daemon's CPU seconds are divided by the statement records it
# wrote to the ledger during the run (µs per recorded statement); the ledgers
# of round 1 are checked with `sqlward verify`, then every ledger is deleted.
# bench/record_bench2 (the daemon's per-statement path with no kernel) runs
# BENCH_RECORD_REPS times observed and governed: the report gives the median.
# sqlward is started fresh for each B/C run (its CPU, peak RSS, drops and
# ledger belong to that run) and detached after it, so A, D, E run with no
# probe attached.
#
# MariaDB (10.11, a throwaway mariadbd from tests/lib/mariadb.sh, one thread per
# connection), sysbench 1.0 oltp_read_only and oltp_read_write (prepared
# statements, BENCH_MY_TABLES x BENCH_MY_ROWS, prepared once), with the same
# threads, seconds and interleaved rounds:
#   MA  MariaDB alone
#   MB  sqlward running (--mariadb-pid), account bench_app ungoverned: observe + ledger
#   MC  sqlward running, account agent_bench governed, bench/policy-allow.yaml: every
#       command stops its thread and is judged in the daemon, then resumed
#   MA2 MariaDB alone again, last in each round: MA2/MA is the A/A' noise floor
# Any refusal in MC is listed in the report (a finding: the policy allows reads
# and writes). bench/mariadb_report.py parses sysbench and writes that section.
#
# Knobs (environment): BENCH_SECONDS (5) per run, BENCH_ROUNDS (5),
# BENCH_CLIENTS ("4 16"), BENCH_WORKLOADS ("select select-unix select-prepared
# select-prepared-unix tpcb nested"), BENCH_CONFIGS ("A B C D E A2"; E is skipped on the
# -M prepared workloads), BENCH_SCALE (10), BENCH_CORPUS (300000),
# BENCH_SKIP_PG=1 / BENCH_SKIP_CLASSIFIER=1 / BENCH_SKIP_RECORD=1 (record_bench2),
# BENCH_RECORD_N (200000 statements per record_bench2 run), BENCH_RECORD_REPS (5),
# BENCH_RESULTS (tests/bench/results), SQLWARD (the binary; the tools are taken from its
# directory's tools/ unless CLASSIFY_BENCH / RECORD_BENCH / RECORD_BENCH2 say otherwise),
# BENCH_SQLWARD_VERSION (the report's sqlward line),
# BENCH_MARIADB (1; 0 skips MariaDB), BENCH_MY_WORKLOADS ("oltp_read_only oltp_read_write"),
# BENCH_MY_CONFIGS ("MA MB MC MA2"), BENCH_MY_THREADS (BENCH_CLIENTS), BENCH_MY_TABLES (4),
# BENCH_MY_ROWS (10000), BENCH_MY_POOL=1 (mariadbd with thread_handling=pool-of-threads).
# Defaults: 330 pgbench runs and 80 sysbench runs of 5 s, setup, record_bench2 and the
# classifier: about 50 minutes on 2 cores (the expected duration is printed at the start).
# 5 rounds stay the default although the A/A' noise often leaves a target
# "inconclusive" (the report says how many rounds a yes would need): 7 rounds would
# take 70 minutes. Use BENCH_ROUNDS to buy confidence.
# Needs root (BPF, throwaway clusters run as a system user).
set -uo pipefail
TOP=$(cd "$(dirname "$0")/.." && pwd)
cd "$TOP"
SECS=${BENCH_SECONDS:-5}
ROUNDS=${BENCH_ROUNDS:-5}
CLIENTS=${BENCH_CLIENTS:-4 16}
WORKLOADS=${BENCH_WORKLOADS:-select select-unix select-prepared select-prepared-unix tpcb nested}
CONFIGS=${BENCH_CONFIGS:-A B C D E A2}
SCALE=${BENCH_SCALE:-10}
CORPUS_N=${BENCH_CORPUS:-300000}
RESULTS=${BENCH_RESULTS:-$TOP/tests/bench/results}
SQLWARD=${SQLWARD:-$TOP/build/sqlward}
SW_BIN_DIR=$(dirname "$SQLWARD")
CLASSIFY_BENCH=${CLASSIFY_BENCH:-$SW_BIN_DIR/tools/classify_bench}
RECORD_BENCH=${RECORD_BENCH:-$SW_BIN_DIR/tools/record_bench}
RECORD_BENCH2=${RECORD_BENCH2:-$SW_BIN_DIR/tools/record_bench2}
RECORD_N=${BENCH_RECORD_N:-200000}
RECORD_REPS=${BENCH_RECORD_REPS:-5}
SW_PG_DB=bench
MY_ON=${BENCH_MARIADB:-1}
MY_WORKLOADS=${BENCH_MY_WORKLOADS:-oltp_read_only oltp_read_write}
MY_CONFIGS=${BENCH_MY_CONFIGS:-MA MB MC MA2}
MY_THREADS=${BENCH_MY_THREADS:-$CLIENTS}
MY_TABLES=${BENCH_MY_TABLES:-4}
MY_ROWS=${BENCH_MY_ROWS:-10000}
. "$TOP/tests/lib/pg.sh"
if [ "$MY_ON" != 0 ]; then
	SW_MY_DB=sbtest
	. "$TOP/tests/lib/mariadb.sh"
fi

[ "$(id -u)" -eq 0 ] || sw_die "bench/run.sh needs root (BPF probes, throwaway clusters)"
[ -x "$SQLWARD" ] || sw_die "$SQLWARD missing: run make"
for t in pgbench pgbouncer gnuplot /usr/bin/time; do
	command -v "$t" >/dev/null || sw_die "$t missing: run scripts/install-deps.sh --bench"
done
[ -f "$SW_PG_BINDIR/../lib/pgaudit.so" ] || [ -f /usr/lib/postgresql/15/lib/pgaudit.so ] ||
	sw_die "pgaudit missing: run scripts/install-deps.sh --bench"
if [ "$MY_ON" != 0 ]; then
	command -v sysbench >/dev/null || sw_die "sysbench missing: run scripts/install-deps.sh (or skip MariaDB with BENCH_MARIADB=0)"
	for cfg in $MY_CONFIGS; do
		case $cfg in MA | MB | MC | MA2) ;; *) sw_die "BENCH_MY_CONFIGS: unknown configuration '$cfg' (use MA MB MC MA2)" ;; esac
	done
	for wl in $MY_WORKLOADS; do
		case $wl in oltp_read_only | oltp_read_write) ;;
		*) sw_die "BENCH_MY_WORKLOADS: unknown workload '$wl' (use oltp_read_only oltp_read_write)" ;; esac
	done
fi
for cfg in $CONFIGS; do
	case $cfg in A | B | C | D | E | A2) ;; *) sw_die "BENCH_CONFIGS: unknown configuration '$cfg' (use A B C D E A2)" ;; esac
done
for wl in $WORKLOADS; do
	case $wl in select | select-unix | select-prepared | select-prepared-unix | tpcb | nested) ;;
	*) sw_die "BENCH_WORKLOADS: unknown workload '$wl' (use select select-unix select-prepared select-prepared-unix tpcb nested)" ;;
	esac
done
mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf

T0=$(date +%s)
# Expected duration, from the last runs on the 2-core VM: a run costs its seconds plus
# about 1 s (B, C: 3 s: the daemon's start and stop, the ledger count, round 1's verify);
# setup about 90 s, record_bench2 about 4 s a run, the classifier about 2 minutes.
est_s=90 n_pg=0 n_my=0
if [ "${BENCH_SKIP_PG:-0}" != 1 ]; then
	for wl in $WORKLOADS; do
		for cfg in $CONFIGS; do
			[ "$cfg" = E ] && case $wl in *prepared* | nested) continue ;; esac
			for _ in $CLIENTS; do
				n_pg=$((n_pg + ROUNDS))
				case $cfg in B | C) est_s=$((est_s + ROUNDS * (SECS + 3))) ;; *) est_s=$((est_s + ROUNDS * (SECS + 1))) ;; esac
			done
		done
	done
fi
if [ "$MY_ON" != 0 ]; then
	for _ in $MY_WORKLOADS; do
		for cfg in $MY_CONFIGS; do
			for _ in $MY_THREADS; do
				n_my=$((n_my + ROUNDS))
				case $cfg in MB | MC) est_s=$((est_s + ROUNDS * (SECS + 3))) ;; *) est_s=$((est_s + ROUNDS * (SECS + 1))) ;; esac
			done
		done
	done
fi
[ "${BENCH_SKIP_RECORD:-0}" != 1 ] && est_s=$((est_s + 2 * RECORD_REPS * (RECORD_N / 50000)))
[ "${BENCH_SKIP_CLASSIFIER:-0}" != 1 ] && est_s=$((est_s + 120 * CORPUS_N / 300000))
printf '[bench] expected duration: about %d minutes (%d pgbench and %d sysbench runs of %d s, %d rounds)\n' \
	$(((est_s + 59) / 60)) "$n_pg" "$n_my" "$SECS" "$ROUNDS" >&2
STAMP=$(date -u +%Y-%m-%d)
HOST=$(hostname -s 2>/dev/null || hostname)
OUT_MD="$RESULTS/$STAMP-$HOST.md"
OUT_PNG="$RESULTS/$STAMP-$HOST.png"
OUT_TSV="$RESULTS/$STAMP-$HOST.tsv"
mkdir -p "$RESULTS" "$SW_TMP/pgl" "$SW_TMP/held"
TSV="$SW_TMP/runs.tsv"
CLK_TCK=$(getconf CLK_TCK)
say() { printf '[bench %4ds] %s\n' "$(($(date +%s) - T0))" "$*" >&2; }

# ---- clusters -------------------------------------------------------------------
# start_cluster NAME EXTRA-CONF: pg_start, then our settings, restart; the
# cluster's variables are saved as NAME_PORT, NAME_DATA, NAME_LOG, NAME_DIR.
start_cluster() {
	local name=$1 extra=$2
	SW_PG_DIR=
	pg_start
	cat >"$SW_PG_DATA/bench.conf" <<-EOF
		shared_buffers = 512MB
		max_connections = 100
		max_wal_size = 8GB
		checkpoint_timeout = 30min
		wal_buffers = 16MB
		$extra
	EOF
	chown "$SW_PG_USER:" "$SW_PG_DATA/bench.conf"
	echo "include 'bench.conf'" >>"$SW_PG_DATA/postgresql.conf"
	_pg_as "$SW_PG_BINDIR/pg_ctl" -D "$SW_PG_DATA" -l "$SW_PG_LOG" -w -t 60 restart >/dev/null 2>&1 ||
		{ tail -20 "$SW_PG_LOG" >&2; sw_die "cluster $name did not restart with bench.conf"; }
	sql_db postgres "$SW_PG_SUPER" \
		"CREATE ROLE bench_app LOGIN" "CREATE ROLE agent_bench LOGIN" \
		"CREATE DATABASE bench OWNER bench_app" >/dev/null || sw_die "setup $name: $SQL_ERR"
	pgbench -i -q -s "$SCALE" -h "$SW_PG_HOST" -p "$SW_PG_PORT" -U bench_app bench >"$SW_TMP/init-$name.log" 2>&1 ||
		{ cat "$SW_TMP/init-$name.log" >&2; sw_die "pgbench -i on $name failed"; }
	# The "nested" workload's function: one SELECT run inside it per call.
	sql_db bench bench_app \
		"CREATE FUNCTION bench_balance(p int) RETURNS int LANGUAGE plpgsql STABLE AS \$\$
		 DECLARE b int; BEGIN SELECT abalance INTO b FROM pgbench_accounts WHERE aid = p; RETURN b; END \$\$" \
		>/dev/null || sw_die "bench function on $name: $SQL_ERR"
	# The governed role gets exactly what pgbench needs.
	sql_db bench bench_app \
		"GRANT SELECT, UPDATE ON pgbench_accounts, pgbench_branches, pgbench_tellers TO agent_bench" \
		"GRANT SELECT, INSERT ON pgbench_history TO agent_bench" >/dev/null || sw_die "grants on $name: $SQL_ERR"
	eval "${name}_PORT=$SW_PG_PORT ${name}_DATA=$SW_PG_DATA ${name}_LOG=$SW_PG_LOG ${name}_DIR=$SW_PG_DIR"
}

say "starting cluster P (plain) and Q (pgaudit), pgbench -i -s $SCALE on each"
start_cluster P ""
# pg_start registered a pg_stop for the current globals; stop P by its own values.
sw_at_exit 'SW_PG_DIR=$P_DIR SW_PG_DATA=$P_DATA pg_stop'
start_cluster Q "shared_preload_libraries = 'pgaudit'
		pgaudit.log = 'all'"
sql_db bench "$SW_PG_SUPER" "CREATE EXTENSION IF NOT EXISTS pgaudit" >/dev/null || sw_die "pgaudit: $SQL_ERR"
PGAUDIT_SETTING=$(sql_db bench "$SW_PG_SUPER" "SHOW pgaudit.log" && echo "$SQL_OUT")
[ "$PGAUDIT_SETTING" = all ] || sw_die "pgaudit.log is '$PGAUDIT_SETTING' on Q, expected all"
P_PM=$(head -n1 "$P_DATA/postmaster.pid")

# ---- pgbouncer ------------------------------------------------------------------
BDIR="$SW_TMP/pgbouncer"
mkdir -p "$BDIR" && chown "$SW_PG_USER:" "$BDIR"
B_PORT=$(pg_free_port)
cat >"$BDIR/pgbouncer.ini" <<EOF
[databases]
bench = host=127.0.0.1 port=$P_PORT dbname=bench
[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $B_PORT
unix_socket_dir = $BDIR
auth_type = trust
auth_file = $BDIR/userlist.txt
pool_mode = transaction
default_pool_size = 20
max_client_conn = 200
ignore_startup_parameters = extra_float_digits
logfile = $BDIR/pgbouncer.log
pidfile = $BDIR/pgbouncer.pid
log_connections = 0
log_disconnections = 0
EOF
printf '"bench_app" ""\n"agent_bench" ""\n' >"$BDIR/userlist.txt"
chown "$SW_PG_USER:" "$BDIR"/*
(cd / && runuser -u "$SW_PG_USER" -- pgbouncer "$BDIR/pgbouncer.ini" >"$BDIR/stdout" 2>&1 9>&-) &
BOUNCER=$!
# (runuser does not pass SIGTERM on: stop pgbouncer by the pid it wrote)
sw_at_exit 'kill -TERM $(cat "$BDIR/pgbouncer.pid" 2>/dev/null) $BOUNCER 2>/dev/null; wait $BOUNCER 2>/dev/null'
for _ in $(seq 50); do
	psql -X -At -h 127.0.0.1 -p "$B_PORT" -U bench_app -d bench -c "SELECT 1" >/dev/null 2>&1 && break
	sleep 0.1
done
psql -X -At -h 127.0.0.1 -p "$B_PORT" -U bench_app -d bench -c "SELECT 1" >/dev/null 2>&1 ||
	{ cat "$BDIR/stdout" "$BDIR/pgbouncer.log" >&2 2>/dev/null; sw_die "pgbouncer did not come up"; }
BOUNCER_PID=$(cat "$BDIR/pgbouncer.pid" 2>/dev/null || echo "$BOUNCER")

# ---- MariaDB ----------------------------------------------------------------------
# my_sysbench WORKLOAD ACCOUNT THREADS SYSBENCH-ARGS...: sysbench's mysql driver over
# TCP to the throwaway server (prepared statements: its default --db-ps-mode=auto).
my_sysbench() {
	local wl=$1 acct=$2 t=$3
	shift 3
	timeout -k 5 $((SECS + 120)) sysbench "$wl" --db-driver=mysql --mysql-host=127.0.0.1 \
		--mysql-port="$SW_MY_PORT" --mysql-user="$acct" --mysql-password="$SW_MY_PASSWORD" --mysql-db=sbtest \
		--tables="$MY_TABLES" --table-size="$MY_ROWS" --threads="$t" "$@"
}
if [ "$MY_ON" != 0 ]; then
	say "starting a throwaway mariadbd, sysbench prepare ($MY_TABLES tables x $MY_ROWS rows)"
	SW_MY_EXTRA_ARGS="--innodb-buffer-pool-size=256M"
	if [ "${BENCH_MY_POOL:-0}" = 1 ]; then my_start --pool; else my_start; fi
	my_sql_admin "CREATE DATABASE sbtest" \
		"CREATE USER 'bench_app'@'%' IDENTIFIED BY '$SW_MY_PASSWORD'" \
		"GRANT ALL PRIVILEGES ON sbtest.* TO 'bench_app'@'%'" \
		"CREATE USER 'agent_bench'@'%' IDENTIFIED BY '$SW_MY_PASSWORD'" \
		"GRANT SELECT, INSERT, UPDATE, DELETE ON sbtest.* TO 'agent_bench'@'%'" ||
		sw_die "MariaDB accounts and database sbtest: $MY_ERR"
	# The writes of oltp_read_write delete and re-insert the same ids: the tables keep their size.
	my_sysbench oltp_read_write bench_app 4 prepare >"$SW_TMP/sysbench-prepare.log" 2>&1 ||
		{ cat "$SW_TMP/sysbench-prepare.log" >&2; sw_die "sysbench prepare on MariaDB failed (log above)"; }
	MY_VERSION=$(my_sql_admin "SELECT CONCAT(VERSION(), ', ', @@thread_handling)" && echo "$MY_OUT")
fi

# ---- the gate -------------------------------------------------------------------
GATE_PID= GATE_PIN= GATE_SOCK= GATE_CPU_END=0
gate_start() {  # POLICY TAG [MORE sqlward run OPTIONS...]
	GATE_PIN="/sys/fs/bpf/sqlward-bench-$$"
	GATE_SOCK="$SW_TMP/gate.sock"
	GATE_LEDGER="$SW_TMP/ledger-$2.jsonl"
	GATE_LOG="$SW_TMP/gate-$2.log"
	rm -f "$GATE_LEDGER"
	"$SQLWARD" run --policy "$1" --ledger "$GATE_LEDGER" --socket "$GATE_SOCK" --pg-bin "$SW_PG_BIN" \
		--postmaster-pid "$P_PM" --pin-dir "$GATE_PIN" "${@:3}" >"$GATE_LOG" 2>&1 &
	GATE_PID=$!
	for _ in $(seq 300); do
		grep -qs "gate ready" "$GATE_LOG" && return 0
		kill -0 "$GATE_PID" 2>/dev/null || break
		sleep 0.05
	done
	cat "$GATE_LOG" >&2
	sw_die "sqlward did not become ready"
}
# GATE_CPU_END: the daemon's CPU ticks over its whole life, read while it is a
# zombie (it has exited, its threads' times are summed, the shell has not reaped it)
gate_stop() {
	[ -n "$GATE_PID" ] || return 0
	local st
	GATE_CPU_END=$(cpu_ticks "$GATE_PID")
	kill -TERM "$GATE_PID" 2>/dev/null
	for _ in $(seq 200); do
		st=$(sed 's/.*) //' "/proc/$GATE_PID/stat" 2>/dev/null)
		[ -n "$st" ] || break
		GATE_CPU_END=$(awk '{print $12 + $13}' <<<"$st")
		[ "${st%% *}" = Z ] && break
		sleep 0.05
	done
	wait "$GATE_PID" 2>/dev/null
	GATE_PID=
	"$SQLWARD" detach "$GATE_PIN" >/dev/null 2>&1
}
sw_at_exit gate_stop

cpu_ticks() { [ -r "/proc/$1/stat" ] && sed 's/.*) //' "/proc/$1/stat" | awk '{print $12 + $13}' || echo 0; }
hwm_kb() { awk '/^VmHWM:/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }

# Noise this benchmark cannot remove, recorded so the report can say so: other
# sqlward daemons (their uprobes fire in every backend of the same postgres
# binary, ours included) and the load average, sampled before each run.
FOREIGN_MAX=0 FOREIGN_RUNS=0 NRUNS=0 LOAD_MAX=0
note_noise() {
	local p n=0 l
	for p in $(pgrep -x sqlward); do
		[ "$p" = "${GATE_PID:-}" ] || n=$((n + 1))
	done
	NRUNS=$((NRUNS + 1))
	[ "$n" -gt 0 ] && FOREIGN_RUNS=$((FOREIGN_RUNS + 1))
	[ "$n" -gt "$FOREIGN_MAX" ] && FOREIGN_MAX=$n
	l=$(cut -d' ' -f1 /proc/loadavg)
	LOAD_MAX=$(awk -v a="$LOAD_MAX" -v b="$l" 'BEGIN {print (b > a ? b : a)}')
}

# ---- one pgbench run ----------------------------------------------------------------
wl_flags() {
	case $1 in
	select | select-unix) echo "-S" ;;
	select-prepared | select-prepared-unix) echo "-S -M prepared" ;;
	tpcb) echo "" ;;
	nested) echo "-M prepared -f $SW_TMP/nested.sql" ;;
	esac
}
# runs_cell CONFIG WORKLOAD: whether that configuration runs that workload at all
# (pgbouncer 1.18's transaction pooling breaks protocol-level prepared statements).
runs_cell() {
	[ "$1" = E ] && [[ "$(wl_flags "$2")" == *"-M prepared"* ]] && return 1
	return 0
}
# pg_host CONFIG WORKLOAD: what pgbench's -h gets (a socket directory for *-unix)
pg_host() {
	case $2 in
	*-unix)
		case $1 in D) echo "$Q_DIR" ;; E) echo "$BDIR" ;; *) echo "$P_DIR" ;; esac ;;
	*) echo 127.0.0.1 ;;
	esac
}
# ledger_check TAG ROUND -> "statement_records verify": the records the daemon wrote
# (segments included); round 1's ledgers also get `sqlward verify` (a few seconds
# per ledger: once per cell is enough to show the chain holds at full rate). The
# ledger is deleted afterwards (one run can write hundreds of MB).
ledger_check() {
	local n v=-
	n=$(python3 bench/report.py count "$GATE_LEDGER")
	if [ "$2" = 1 ]; then
		if "$SQLWARD" verify "$GATE_LEDGER" >"$SW_TMP/verify-$1.txt" 2>&1; then v=ok; else
			v=FAIL
			say "sqlward verify failed on the ledger of $1: $(tail -1 "$SW_TMP/verify-$1.txt")"
			cp "$SW_TMP/verify-$1.txt" "$RESULTS/verify-failed-$1.txt" 2>/dev/null
		fi
	fi
	rm -rf "$GATE_LEDGER" "$GATE_LEDGER".*
	echo "$n $v"
}

# run_one ROUND CONFIG WORKLOAD CLIENTS -> one line appended to $TSV
run_one() {
	local round=$1 cfg=$2 wl=$3 c=$4 port=$P_PORT role=bench_app proc= tag="$2-$3-$4-r$1"
	local t0=0 t1=0 hwm=0 drops=NA waits=NA held="NA NA NA NA NA NA" out tps p status xacts lc="NA NA" host
	host=$(pg_host "$cfg" "$wl")
	case $cfg in
	B) gate_start policies/default.yaml "$tag"; proc=$GATE_PID ;;
	C) gate_start bench/policy-allow.yaml "$tag"; proc=$GATE_PID; role=agent_bench ;;
	D) port=$Q_PORT ;;
	E) port=$B_PORT; proc=$BOUNCER_PID ;;
	esac
	[ -n "$proc" ] && t0=$(cpu_ticks "$proc")
	rm -f "$SW_TMP/pgl/"*
	note_noise
	# shellcheck disable=SC2046
	out=$(pgbench -n -T "$SECS" -c "$c" -j 2 $(wl_flags "$wl") -l --log-prefix="$SW_TMP/pgl/log" \
		-h "$host" -p "$port" -U "$role" bench 2>&1)
	status=ok
	tps=$(awk '/^tps = / {print $3; exit}' <<<"$out")
	xacts=$(awk -F': ' '/^number of transactions actually processed/ {split($2, a, "/"); print a[1]; exit}' <<<"$out")
	[ -n "$xacts" ] || xacts=0
	if [ -z "$tps" ] || grep -qiE 'aborted|error' <<<"$out"; then
		status=$(grep -m1 -iE 'error|aborted' <<<"$out" | tr '\t' ' ' | cut -c1-120)
		[ -n "$status" ] || status=failed
		echo "$out" >"$SW_TMP/failed-$tag.log"
	fi
	[ -n "$tps" ] || tps=0
	if [ -n "$proc" ]; then
		t1=$(cpu_ticks "$proc")
		hwm=$(hwm_kb "$proc")
	fi
	if [ "$cfg" = B ] || [ "$cfg" = C ]; then
		"$SQLWARD" status --socket "$GATE_SOCK" >"$SW_TMP/status-$tag.txt" 2>&1
		drops=$(grep -oE 'ring_buffer_drops[^0-9]*[0-9]+' "$SW_TMP/status-$tag.txt" | grep -oE '[0-9]+$')
		[ -n "$drops" ] || drops=NA
		# statements that waited for room in the ring buffer instead of losing their record
		waits=$(grep -oE 'held_while_ring_full[^0-9]*[0-9]+' "$SW_TMP/status-$tag.txt" | grep -oE '[0-9]+$')
		[ -n "$waits" ] || waits=NA
		gate_stop
	fi
	[ "$cfg" = C ] && held=$(python3 bench/report.py ledger "$GATE_LEDGER" agent_bench "$SW_TMP/held/$wl-$c.txt")
	if [ "$cfg" = B ] || [ "$cfg" = C ]; then lc=$(ledger_check "$tag" "$round"); fi
	[ "$cfg" = D ] && : >"$Q_LOG"  # pgaudit's log: measured, then emptied so /tmp does not fill up
	p=$(python3 bench/report.py lat "$SW_TMP/pgl")
	local cpu cpu_s
	cpu=$(awk -v a="$t0" -v b="$t1" -v hz="$CLK_TCK" -v s="$SECS" 'BEGIN {printf "%.1f", (b - a) / hz / s * 100}')
	# the daemon's CPU until it exited (the statements it wrote after pgbench ended included)
	[ -n "$proc" ] && { [ "$cfg" = B ] || [ "$cfg" = C ]; } && t1=$GATE_CPU_END
	cpu_s=$(awk -v a="$t0" -v b="$t1" -v hz="$CLK_TCK" 'BEGIN {if (b >= a) printf "%.2f", (b - a) / hz; else print "NA"}')
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$round" "$cfg" "$wl" "$c" "$tps" "${p// /$'\t'}" \
		"$cpu" "$hwm" "$drops" "${held// /$'\t'}" "$xacts" "$cpu_s" "${lc// /$'\t'}" "$waits" "$status" >>"$TSV"
	say "r$round $cfg $wl c=$c tps=$tps lat(p50 p99 us)=$p cpu%=$cpu hwm=${hwm}kB drops=$drops waits=$waits held=[$held] ledger[statements verify]=[$lc] $status"
}

# ---- one sysbench run on MariaDB -----------------------------------------------------
MY_TSV="$SW_TMP/runs-mariadb.tsv"
MY_REFUSALS="$SW_TMP/mariadb-refusals.jsonl"
# run_my_one ROUND CONFIG WORKLOAD THREADS -> one line appended to $MY_TSV
run_my_one() {
	local round=$1 cfg=$2 wl=$3 t=$4 acct=bench_app tag="my-$2-$3-$4-r$1"
	local t0=0 t1=0 hwm=0 drops="NA NA" ledger="0 0 0 0 0" stats rc status cpu cpus queries out="$SW_TMP/sysbench-$tag.out"
	local life_s=NA per_rec=NA verify=NA
	case $cfg in
	MB) gate_start policies/default.yaml "$tag" --mariadb-pid "$SW_MY_PID" ;;
	MC) gate_start bench/policy-allow.yaml "$tag" --mariadb-pid "$SW_MY_PID"; acct=agent_bench ;;
	esac
	[ -n "$GATE_PID" ] && t0=$(cpu_ticks "$GATE_PID")
	note_noise
	my_sysbench "$wl" "$acct" "$t" --time="$SECS" --percentile=99 --histogram=on run >"$out" 2>&1
	rc=$?
	if [ -n "$GATE_PID" ]; then
		t1=$(cpu_ticks "$GATE_PID")
		hwm=$(hwm_kb "$GATE_PID")
		"$SQLWARD" status --socket "$GATE_SOCK" >"$SW_TMP/status-$tag.json" 2>&1
		drops=$(python3 bench/mariadb_report.py status "$SW_TMP/status-$tag.json")
		gate_stop
		# Held times and refusals are the governed account's (MC); MB's account is never held.
		ledger=$(python3 bench/mariadb_report.py ledger "$GATE_LEDGER" "$acct" "$MY_REFUSALS" \
			"$SW_TMP/my-held/$wl-$t.txt")
		read -r _ verify <<<"$(ledger_check "$tag" "$round")"
		# the daemon's CPU until it exited, per MariaDB statement record it wrote
		life_s=$(awk -v a="$t0" -v b="$GATE_CPU_END" -v hz="$CLK_TCK" 'BEGIN {if (b >= a) printf "%.2f", (b - a) / hz; else print "NA"}')
		per_rec=$(awk -v s="$life_s" -v n="${ledger%% *}" 'BEGIN {if (n > 0 && s != "NA") printf "%.2f", s * 1e6 / n; else print "NA"}')
	fi
	stats=$(python3 bench/mariadb_report.py sysbench "$out")
	status=ok
	if [ "$rc" -ne 0 ] || grep -q FATAL "$out" || [ "${stats%% *}" = 0.00 ]; then
		status=$(grep -m1 -E 'FATAL|ERROR|error' "$out" | tr '\t' ' ' | cut -c1-120)
		[ -n "$status" ] || status="sysbench exit $rc"
		cp "$out" "$SW_TMP/failed-$tag.log"
	fi
	read -r _ _ queries _ <<<"$stats"
	cpu=$(awk -v a="$t0" -v b="$t1" -v hz="$CLK_TCK" -v s="$SECS" 'BEGIN {printf "%.1f", (b - a) / hz / s * 100}')
	cpus=$(awk -v a="$t0" -v b="$t1" -v hz="$CLK_TCK" -v q="$queries" 'BEGIN {printf "%.2f", (q > 0 ? (b - a) / hz * 1e6 / q : 0)}')
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$round" "$cfg" "$wl" "$t" "${stats// /$'\t'}" \
		"$cpu" "$cpus" "$hwm" "${drops// /$'\t'}" "${ledger// /$'\t'}" "$life_s" "$per_rec" "$verify" "$status" >>"$MY_TSV"
	say "r$round $cfg $wl t=$t tps qps queries p50 p99(us)=[$stats] cpu%=$cpu cpu_us/stmt=$cpus us/record=$per_rec hwm=${hwm}kB lost refused_unreported=[$drops] ledger[n held p50 p99 refused]=[$ledger] verify=$verify $status"
}
printf 'round\tconfig\tworkload\tthreads\ttps\tqps\tqueries\tp50_us\tp99_us\tcpu_pct\tcpu_us_per_stmt\thwm_kb\tdrops\trefused_unreported\tledger_n\theld_n\theld_p50\theld_p99\trefused_n\tdaemon_cpu_s\tdaemon_us_per_record\tverify\tstatus\n' >"$MY_TSV"
: >"$MY_REFUSALS"
mkdir -p "$SW_TMP/my-held"

printf '\\set aid random(1, 100000 * %s)\nSELECT bench_balance(:aid);\n' "$SCALE" >"$SW_TMP/nested.sql"

printf 'round\tconfig\tworkload\tclients\ttps\tp50_us\tp99_us\textra_cpu_pct\textra_hwm_kb\tdrops\theld_n\tcache_n\theld_p50\theld_p90\theld_p99\theld_max\txacts\tdaemon_cpu_s\tledger_statements\tverify\tring_waits\tstatus\n' >"$TSV"

if [ "${BENCH_SKIP_PG:-0}" != 1 ]; then
	say "warm-up"
	for port in "$P_PORT" "$Q_PORT" "$B_PORT"; do
		pgbench -n -T 2 -c 4 -j 2 -S -h 127.0.0.1 -p "$port" -U bench_app bench >/dev/null 2>&1
	done
	: >"$Q_LOG"
	say "matrix: configs [$CONFIGS] x workloads [$WORKLOADS] x clients [$CLIENTS] x $ROUNDS rounds, ${SECS}s each"
	for round in $(seq 1 "$ROUNDS"); do
		for wl in $WORKLOADS; do
			for c in $CLIENTS; do
				for cfg in $CONFIGS; do
					runs_cell "$cfg" "$wl" && run_one "$round" "$cfg" "$wl" "$c"
				done
			done
		done
	done
fi

if [ "$MY_ON" != 0 ]; then
	say "MariaDB warm-up"
	my_sysbench oltp_read_only bench_app 4 --time=2 run >/dev/null 2>&1
	say "MariaDB matrix: configs [$MY_CONFIGS] x workloads [$MY_WORKLOADS] x threads [$MY_THREADS] x $ROUNDS rounds, ${SECS}s each"
	for round in $(seq 1 "$ROUNDS"); do
		for wl in $MY_WORKLOADS; do
			for t in $MY_THREADS; do
				for cfg in $MY_CONFIGS; do
					run_my_one "$round" "$cfg" "$wl" "$t"
				done
			done
		done
	done
fi

# ---- the daemon's per-statement path, no kernel (bench/record_bench2.c) ------------------
CLS="$SW_TMP/classifier.txt"
: >"$CLS"
if [ "${BENCH_SKIP_RECORD:-0}" != 1 ]; then
	if [ -x "$RECORD_BENCH2" ]; then
		# observed: an ungoverned role (as in B); governed: a role the kernel allowed from its
		# shape cache (as in C). Batch 64: the ledger is flushed every 64 statements.
		for i in $(seq 1 "$RECORD_REPS"); do
			for mode in observed governed; do
				case $mode in observed) pol=policies/default.yaml role=bench_app ;; governed) pol=bench/policy-allow.yaml role=agent_bench ;; esac
				rm -rf "$SW_TMP/record-bench2.jsonl" "$SW_TMP/record-bench2.jsonl".*
				line=$("$RECORD_BENCH2" "$pol" "$role" "$SW_TMP/record-bench2.jsonl" "$RECORD_N" 64 0 1 2>&1 | tail -1)
				echo "record2-$mode $line" >>"$CLS"
				say "record_bench2 $mode $i/$RECORD_REPS: $line"
			done
		done
		rm -rf "$SW_TMP/record-bench2.jsonl" "$SW_TMP/record-bench2.jsonl".*
	else
		say "$RECORD_BENCH2 missing (make \$(BUILD)/tools/record_bench2): the report has no record_bench2 line"
	fi
fi

# ---- classifier micro-benchmark ----------------------------------------------------------
if [ "${BENCH_SKIP_CLASSIFIER:-0}" != 1 ]; then
	say "classifier: generating $CORPUS_N statements"
	python3 bench/gen_corpus.py "$CORPUS_N" "$SW_TMP/corpus.sql" "$SW_TMP/corpus-check" 5000 >>"$CLS"
	if [ -x "$CLASSIFY_BENCH" ]; then
		say "classifier: in-process (analyze + judge per statement, default policy)"
		echo "inproc $("$CLASSIFY_BENCH" policies/default.yaml agent_bench "$SW_TMP/corpus.sql")" >>"$CLS"
		say "classifier: in-process through the daemon's shape-keyed classification cache"
		echo "inproc-cached $("$CLASSIFY_BENCH" --shape-cache policies/default.yaml agent_bench "$SW_TMP/corpus.sql")" >>"$CLS"
	fi
	if [ -x "$RECORD_BENCH" ]; then
		say "record path: classify (cached shape) + judge + ledger record, per observed statement"
		echo "record $("$RECORD_BENCH" bench/policy-allow.yaml bench_app "$SW_TMP/record-bench.jsonl" 300000)" >>"$CLS"
		rm -f "$SW_TMP/record-bench.jsonl"
	fi
	say "classifier: sqlward check --format json"
	n_check=$(cat "$SW_TMP/corpus-check/"*.sql | wc -l)
	/usr/bin/time -f 'time user=%U sys=%S wall=%e maxrss_kb=%M' -o "$SW_TMP/time-json.txt" \
		"$SQLWARD" check --policy policies/default.yaml --role agent_bench --format json \
		"$SW_TMP/corpus-check/"*.sql >"$SW_TMP/check.json" 2>/dev/null
	echo "check-json inputs=$n_check outputs=$(wc -l <"$SW_TMP/check.json") $(cat "$SW_TMP/time-json.txt" | tail -1)" >>"$CLS"
	say "classifier: sqlward check --format text"
	/usr/bin/time -f 'time user=%U sys=%S wall=%e maxrss_kb=%M' -o "$SW_TMP/time-text.txt" \
		"$SQLWARD" check --policy policies/default.yaml --role agent_bench --format text \
		"$SW_TMP/corpus-check/"*.sql >/dev/null 2>&1
	echo "check-text inputs=$n_check outputs=$(wc -l <"$SW_TMP/check.json") $(cat "$SW_TMP/time-text.txt" | tail -1)" >>"$CLS"
fi

# ---- report -----------------------------------------------------------------------------
META="$SW_TMP/meta.txt"
{
	echo "date=$(date -u '+%Y-%m-%d %H:%M UTC')"
	echo "host=$HOST"
	echo "cpu=$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo) ($(nproc) cores)"
	echo "memory=$(awk '/^MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo)"
	echo "kernel=$(uname -r)"
	echo "os=$(. /etc/os-release && echo "$PRETTY_NAME")"
	echo "postgresql=$("$SW_PG_BIN" --version)"
	echo "pgaudit=$(dpkg-query -W -f='${Version}' postgresql-15-pgaudit 2>/dev/null)"
	echo "pgbouncer=$(pgbouncer --version 2>/dev/null | head -1)"
	echo "sqlward=${BENCH_SQLWARD_VERSION:-$(git rev-parse --short=12 HEAD 2>/dev/null)$(git diff --quiet HEAD -- bpf userspace 2>/dev/null || echo ' + uncommitted changes in bpf/ or userspace/')}"
	echo "params=scale $SCALE, $ROUNDS rounds, ${SECS} s per run, pgbench -j 2, clients $CLIENTS, configurations $CONFIGS"
	echo "elapsed_s=$(($(date +%s) - T0)) (expected $est_s)"
	echo "noise=other sqlward daemons running before $FOREIGN_RUNS of $NRUNS runs (at most $FOREIGN_MAX at once); highest 1-min load average $LOAD_MAX$([ "$FOREIGN_RUNS" -gt 0 ] && echo ' -- NOT a quiet machine: their probes and CPU use perturb every configuration')"
} >"$META"
cp "$TSV" "$OUT_TSV"
# A failed PostgreSQL report (its markdown may be written) still gets the MariaDB section below.
PG_REPORT_RC=0
python3 bench/report.py report "$TSV" "$SW_TMP/held" "$META" "$CLS" "$OUT_MD" "$OUT_PNG" || PG_REPORT_RC=$?
if [ "$MY_ON" != 0 ]; then
	OUT_MY_TSV="$RESULTS/$STAMP-$HOST-mariadb.tsv"
	cp "$MY_TSV" "$OUT_MY_TSV"
	{
		echo "mariadb=$MY_VERSION ($SW_MY_BIN), innodb_buffer_pool_size 256M, innodb_flush_log_at_trx_commit 0"
		echo "sysbench=$(sysbench --version 2>/dev/null), mysql driver over TCP 127.0.0.1, prepared statements"
		echo "my_params=$MY_TABLES tables x $MY_ROWS rows, $ROUNDS rounds, ${SECS} s per run, threads $MY_THREADS"
	} >"$SW_TMP/meta-mariadb.txt"
	python3 bench/mariadb_report.py report "$OUT_MY_TSV" "$SW_TMP/my-held" "$MY_REFUSALS" \
		"$SW_TMP/meta-mariadb.txt" "$OUT_MD" || sw_die "MariaDB report failed"
fi
# Issue 16's targets, both engines, judged against the A/A' noise (appended last).
python3 bench/report.py targets "$TSV" "$([ "$MY_ON" != 0 ] && echo "$MY_TSV" || echo -)" "$SW_TMP/held" "$CLS" \
	"$OUT_MD" || sw_die "bench/report.py targets failed (its error above): $OUT_MD has no Targets table"
cat "$OUT_MD"
[ "$PG_REPORT_RC" = 0 ] || sw_die "bench/report.py failed (exit $PG_REPORT_RC, its error above): $OUT_MD may lack its end or the plot"
say "report: $OUT_MD, plot: $OUT_PNG, raw runs: $OUT_TSV$([ "$MY_ON" != 0 ] && echo ", $OUT_MY_TSV")"
