#!/usr/bin/env bash
# Where a held statement's wait goes, measured: one governed pgbench client, every statement
# judged in userspace (--no-cache), traced system-wide with perf (sched_switch/waking/wakeup,
# signal_generate, the daemon's write/kill/fdatasync, irq_work, IPIs, idle), then split per
# statement by bench/hold_trace.py into: the backend's stop, the ring buffer's wake-up of the
# daemon, the daemon's scheduling delay, the decision up to its record's write(2), the release
# (decision mode: the covering fdatasync), SIGCONT, and the backend's scheduling delay back.
# Usage: bench/hold_trace.sh [TRANSACTIONS]   (root; default 2000)
#   SQLWARD=PATH     the daemon (default build/sqlward)
#   CASES="none interval decision"   which --ledger-sync modes (default all three; none: no daemon,
#                    the backend's own time from a query's recv(2) to its reply's send(2))
#   EXTRA_FLAGS="..."           more flags for `sqlward run`
#   KEEP_DIR=DIR     copy the perf data and the per-statement table there
# Holds the integration tests' lock (they attach to the same binary). The 1-min load average is
# printed with each case: a busy machine's scheduling delays are not the product's. Tracing costs
# about 1 us per traced event (the daemon's syscalls are all traced), so absolute times are a little
# high; the split is what this is for. hold_trace.py prints the median hold's timeline and the
# slowest ones (--explain), and says when a switch-in was missing from the trace (seen for idle
# vCPUs on the 2-vCPU VM) and the task's first own event stood for it.
set -uo pipefail
TOP=$(cd "$(dirname "$0")/.." && pwd)
cd "$TOP" || exit 1
N=${1:-2000}
SQLWARD=${SQLWARD:-$TOP/build/sqlward}
CASES=${CASES:-none interval decision}
EXTRA_FLAGS=${EXTRA_FLAGS:-}
KEEP_DIR=${KEEP_DIR:-}
command -v perf >/dev/null || { echo "hold_trace: needs perf (Debian: linux-perf)" >&2; exit 1; }
HOLD_BENCH=hold_trace
. "$TOP/bench/hold_setup.sh"
mountpoint -q /sys/kernel/tracing || mount -t tracefs tracefs /sys/kernel/tracing

# System-wide: scheduling, signals, the ring buffer's irq_work, IPIs, idle, softirqs, the backend's
# recv/send. The daemon's own syscalls (every one: which work lies between a decision and its
# release) are filtered to its pid once it runs; the sync thread's fdatasync is rare system-wide.
EVENTS=(sched:sched_switch sched:sched_waking sched:sched_wakeup signal:signal_generate
	syscalls:sys_enter_fdatasync syscalls:sys_exit_fdatasync irq_vectors:irq_work_entry
	irq_vectors:reschedule_entry ipi:ipi_send_cpu power:cpu_idle irq:softirq_entry irq:softirq_exit
	irq_vectors:local_timer_entry syscalls:sys_exit_recvfrom syscalls:sys_enter_sendto)
DAEMON_EVENTS=(raw_syscalls:sys_enter raw_syscalls:sys_exit)

for mode in $CASES; do
	name="trace-$mode" pin="/sys/fs/bpf/sqlward-trace-$$"
	ledger="$SW_TMP/ledger-$name.jsonl"
	d=0
	if [ "$mode" != none ]; then
		# shellcheck disable=SC2086
		"$SQLWARD" run --policy policies/default.yaml --ledger "$ledger" --socket "$SW_TMP/$name.sock" \
			--pg-bin "$SW_PG_BIN" --postmaster-pid "$(pg_postmaster_pid)" --pin-dir "$pin" \
			--no-cache --ledger-sync "$mode" $EXTRA_FLAGS >"$SW_TMP/$name.log" 2>&1 &
		d=$!
		for _ in $(seq 100); do grep -qs "gate ready" "$SW_TMP/$name.log" && break; sleep 0.1; done
	fi
	pgbench_run() {
		(cd "$SW_TMP" && pgbench -n -M simple -c 1 -j 1 -t "$1" -f "$SW_TMP/select.sql" \
			-h "$SW_PG_HOST" -p "$SW_PG_PORT" -U agent_bench bench 2>&1 | awk '/^tps/ {print $3; exit}')
	}
	pgbench_run 300 >/dev/null   # warm: the session known, the daemon's caches filled
	ev=()
	for e in "${EVENTS[@]}"; do ev+=(-e "$e"); done
	if [ "$d" != 0 ]; then
		for e in "${DAEMON_EVENTS[@]}"; do ev+=(-e "$e" --filter "common_pid == $d"); done
	fi
	load=$(cut -d' ' -f1 /proc/loadavg)
	perf record -q -a -m 4M "${ev[@]}" -o "$SW_TMP/$name.data" -- \
		bash -c "cd '$SW_TMP' && pgbench -n -M simple -c 1 -j 1 -t $N -f '$SW_TMP/select.sql' \
			-h '$SW_PG_HOST' -p '$SW_PG_PORT' -U agent_bench bench" >"$SW_TMP/$name.pgbench" 2>&1
	if [ "$mode" != none ]; then
		kill -TERM "$d"; wait "$d" 2>/dev/null
		"$SQLWARD" detach "$pin" >/dev/null
	fi
	echo "== --ledger-sync $mode, $N transactions, 1-min load $load at the start, $(awk '/^tps/ {print $3; exit}' "$SW_TMP/$name.pgbench") tps"
	perf script -i "$SW_TMP/$name.data" -F comm,pid,tid,cpu,time,event,trace 2>/dev/null >"$SW_TMP/$name.txt"
	[ -z "$KEEP_DIR" ] || mkdir -p "$KEEP_DIR"
	[ "$mode" != none ] || ledger=/dev/null
	python3 "$TOP/bench/hold_trace.py" --daemon "$d" --ledger "$ledger" ${KEEP_DIR:+--table "$KEEP_DIR/$name.tsv"} \
		"$SW_TMP/$name.txt"
	if [ -n "$KEEP_DIR" ]; then
		cp "$SW_TMP/$name.data" "$KEEP_DIR/" && cp "$SW_TMP/$name.log" "$KEEP_DIR/" 2>/dev/null
	fi
done
