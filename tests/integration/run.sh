#!/usr/bin/env bash
# Run every tests/integration/test_*.sh (or the ones named as arguments),
# each against its own throwaway PostgreSQL cluster and sqlward daemon.
# Prints one summary line "N passed, N failed" (assertions) and exits
# non-zero when anything failed. Needs root: the gate loads BPF programs.
#
#   SQLWARD=build/test/sqlward   the binary under test (default)
#   SW_KEEP=1                    keep temp dirs (clusters, ledgers, logs)
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
export SW_TOP=$PWD

if [ "$(id -u)" -ne 0 ]; then
	echo "integration: must run as root (BPF uprobes, and the test clusters run as user sqlward-pg)" >&2
	echo "0 passed, 1 failed"
	exit 1
fi
if ! mountpoint -q /sys/fs/bpf 2>/dev/null; then
	mkdir -p /sys/fs/bpf 2>/dev/null
	mount -t bpf bpf /sys/fs/bpf 2>/dev/null ||
		echo "integration: warning: could not mount bpffs at /sys/fs/bpf" >&2
fi

# The run's scratch: the python3 link (system_python.sh) and the data directories that
# initdb and mariadb-install-db made once, copied by every later pg_start and my_start
# of the same binaries (tests/lib/pg.sh, tests/lib/mariadb.sh): ~3-5 s less per server.
SW_RUN_DIR=$(mktemp -d /tmp/sqlward-run.XXXXXX) || { echo "integration: mktemp failed" >&2; exit 1; }
trap 'rm -rf "$SW_RUN_DIR"' EXIT
export SW_RUN_DIR SW_TEMPLATE_DIR=$SW_RUN_DIR/templates
mkdir -p "$SW_TEMPLATE_DIR"
. tests/lib/system_python.sh

export SQLWARD=${SQLWARD:-$SW_TOP/build/test/sqlward}
export PQ_EXTENDED=${PQ_EXTENDED:-$SW_TOP/build/tools/pq_extended}
export PQ_FASTPATH=${PQ_FASTPATH:-$SW_TOP/build/tools/pq_fastpath}
export MY_CLIENT=${MY_CLIENT:-$SW_TOP/build/tools/my_client}
for f in "$SQLWARD" "$PQ_EXTENDED" "$PQ_FASTPATH" "$MY_CLIENT"; do
	if [ ! -x "$f" ]; then
		echo "integration: missing $f (run: make build/test/sqlward build/tools/pq_extended build/tools/pq_fastpath build/tools/my_client)" >&2
		echo "0 passed, 1 failed"
		exit 1
	fi
done

# One integration run at a time on a host (see lib_gate.sh).
exec 9>/run/lock/sqlward-integration.lock
flock -w 900 9 || { echo "integration: another run holds /run/lock/sqlward-integration.lock" >&2; echo "0 passed, 1 failed"; exit 1; }
export SW_IT_LOCKED=1

if [ $# -gt 0 ]; then tests=("$@"); else tests=(tests/integration/test_*.sh); fi
pass=0; fail=0; bad_scripts=(); durations=()
for t in "${tests[@]}"; do
	[ -e "$t" ] || [ ! -e "tests/integration/$t" ] || t="tests/integration/$t"
	if [ ! -e "$t" ]; then echo "not ok - no such integration test: $t"; fail=$((fail + 1)); continue; fi
	echo "== integration: $(basename "$t")"
	log=$(mktemp /tmp/sqlward-it.XXXXXX)
	start=$(date +%s)
	bash "$t" 2>&1 | tee "$log"
	rc=${PIPESTATUS[0]}
	p=0; f=0
	summary=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$log" | tail -n1)
	rm -f "$log"
	if [ -n "$summary" ]; then
		p=${summary%% passed*}; f=${summary#*, }; f=${f%% failed}
		pass=$((pass + p)); fail=$((fail + f))
	fi
	if [ -z "$summary" ] || { [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; }; then
		# Died before its summary (or failed without a failed assertion).
		fail=$((fail + 1))
		echo "not ok - $(basename "$t") exited $rc without a clean summary"
	fi
	[ "$rc" -ne 0 ] && bad_scripts+=("$(basename "$t")")
	echo "== $(basename "$t"): exit $rc, $(($(date +%s) - start)) s"
	durations+=("$(($(date +%s) - start)) $(basename "$t")")
done
[ ${#durations[@]} -gt 1 ] && echo "# slowest: $(printf '%s\n' "${durations[@]}" | sort -rn | head -n 8 | awk '{printf "%s%s %s s", (NR > 1 ? ", " : ""), $2, $1}')"
[ ${#bad_scripts[@]} -gt 0 ] && echo "# failing scripts: ${bad_scripts[*]}"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
