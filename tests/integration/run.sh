#!/usr/bin/env bash
# Run every tests/integration/test_*.sh (or the ones named as arguments),
# each against its own throwaway PostgreSQL cluster and sqlward daemon.
# Prints one summary line "N passed, N failed" (assertions) and exits
# non-zero when anything failed. Needs root: the gate loads BPF programs.
#
#   SQLWARD=build/test/sqlward   the binary under test (default)
#   SW_KEEP=1                    keep temp dirs (clusters, ledgers, logs)
#   SW_LANES=N                   run N scripts at a time (default 2; 1: one after another, output
#                                streamed). With N > 1 each script's output is kept and printed
#                                together when it ends; the scripts in SERIAL below run first,
#                                one at a time, with nothing else running.
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


# Scripts that run alone, first, with nothing else running: test_package changes host-wide state
# (dpkg's database, /etc/sqlward, /etc/default/sqlward, /run/sqlward, /var/lib/sqlward, the pins
# in /sys/fs/bpf/sqlward); test_doctor checks the host (every daemon's instance lock in
# /run/sqlward: another script's gate is "another daemon"). test_containers reads only its own
# daemon's maps and namespaces but has not yet been validated in a lane.
SERIAL=" test_package.sh test_containers.sh test_doctor.sh "
# Slowest first (CI, 2026-12, seconds), so that the lanes end together; a script not listed
# here (new) runs first of all, its duration unknown.
ORDER="test_pg_versions 130 test_adversarial 102 test_containers 91 test_backpressure 90 test_pg_versions_adversarial 90
test_doors 75 test_approvals 65 test_package 63 test_engine_truth 63 test_ledger_ops 46
test_ledger_rotation 44 test_mariadb_gate 38 test_plans 35 test_operations 35 test_load 35
test_daemon_lifecycle 31 test_my_impact_verify 30 test_my_restart 65 test_observe_only 45 test_my_adversarial 45 test_my_tracefs 13 test_my_backpressure 29 test_doctor 29
test_my_prepared_race 27 test_my_ledger_full 27 test_metrics 26 test_pg_syntax_versions 24
test_ledger_sync 23 test_ledger_full 23 test_read_only_analytics 21 test_read_guardrails_daemon 21
test_outcomes 21 test_my_verdict_cache 19 test_gate_abi 19 test_incident_review 18 test_webhooks 17
test_self_approval 17 test_pg_gate 17 test_my_live_context 17 test_live_context 17
test_probe_paths 15 test_my_observe_path 15 test_powers 13 test_my_completion 13 test_who_is_asking 11
test_my_layout_live 11 test_check_files 10 test_live_daemon 9 test_my_plans 8 test_my_harness 8
test_engine_truth_unverified 8 test_observed_binds 7 test_shape_cache 6
test_impact_verify 5 test_run_options 3"

lanes=${SW_LANES:-2}
case $lanes in '' | *[!0-9]* | 0) echo "integration: SW_LANES must be a number >= 1, not '$lanes'" >&2; echo "0 passed, 1 failed"; exit 1 ;; esac
if [ "$lanes" -gt 1 ] && { [ "${BASH_VERSINFO[0]}" -lt 5 ] || { [ "${BASH_VERSINFO[0]}" -eq 5 ] && [ "${BASH_VERSINFO[1]}" -lt 1 ]; }; }; then
	echo "integration: SW_LANES=$lanes needs bash >= 5.1 (wait -n -p); running one script at a time" >&2
	lanes=1
fi

if [ $# -gt 0 ]; then args=("$@"); else args=(tests/integration/test_*.sh); fi
pass=0; fail=0; bad_scripts=(); durations=(); tests=()
for t in "${args[@]}"; do
	[ -e "$t" ] || [ ! -e "tests/integration/$t" ] || t="tests/integration/$t"
	if [ ! -e "$t" ]; then echo "not ok - no such integration test: $t"; fail=$((fail + 1)); continue; fi
	tests+=("$t")
done
# The expected duration of a script (999: not in ORDER).
expected_s() {
	local -a o; local i
	read -r -d '' -a o <<<"$ORDER"
	for ((i = 0; i < ${#o[@]}; i += 2)); do [ "${o[i]}.sh" = "$1" ] && { echo "${o[i + 1]}"; return; }; done
	echo 999
}
is_serial() { case $SERIAL in *" $1 "*) return 0 ;; esac; return 1; }
if [ "$lanes" -gt 1 ] && [ ${#tests[@]} -gt 0 ]; then
	mapfile -t tests < <(for t in "${tests[@]}"; do echo "$(expected_s "$(basename "$t")") $t"; done | sort -s -k1,1rn | cut -d' ' -f2-)
fi

# Count one finished script: LOG (its whole output), RC, SECONDS.
account() {
	local name=$1 log=$2 rc=$3 secs=$4 summary p=0 f=0
	summary=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$log" | tail -n1)
	if [ -n "$summary" ]; then
		p=${summary%% passed*}; f=${summary#*, }; f=${f%% failed}
		pass=$((pass + p)); fail=$((fail + f))
	fi
	if [ -z "$summary" ] || { [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; }; then
		# Died before its summary (or failed without a failed assertion).
		fail=$((fail + 1))
		echo "not ok - $name exited $rc without a clean summary"
	fi
	[ "$rc" -ne 0 ] && bad_scripts+=("$name")
	echo "== $name: exit $rc, $secs s"
	durations+=("$secs $name")
}

# One script in the foreground, its output streamed (SW_LANES=1, and the serial group).
run_alone() {
	local t=$1 name log start rc
	name=$(basename "$t")
	echo "== integration: $name"
	log=$(mktemp /tmp/sqlward-it.XXXXXX)
	start=$(date +%s)
	bash "$t" 2>&1 | tee "$log"
	rc=${PIPESTATUS[0]}
	account "$name" "$log" "$rc" $(($(date +%s) - start))
	rm -f "$log"
}

# Lanes: up to $lanes scripts in the background, each writing its own log; a finished script's
# log is printed whole, then the next script starts. On exit (also Ctrl-C) the running ones get
# SIGTERM (their own cleanup stops their servers and gates) and are waited for.
declare -A lane_name=() lane_log=() lane_start=()
stop_lanes() {
	local pid
	for pid in "${!lane_name[@]}"; do kill -TERM "$pid" 2>/dev/null; done
	for pid in "${!lane_name[@]}"; do wait "$pid" 2>/dev/null; done
}
trap 'stop_lanes; rm -rf "$SW_RUN_DIR"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
lane_start_one() {
	local t=$1 log
	log=$SW_RUN_DIR/log.$(basename "$t")
	bash "$t" </dev/null >"$log" 2>&1 &
	lane_name[$!]=$(basename "$t"); lane_log[$!]=$log; lane_start[$!]=$(date +%s)
}
lane_reap_one() {
	local pid rc
	wait -n -p pid "${!lane_name[@]}"
	rc=$?
	if [ -z "${pid:-}" ]; then   # not expected: no job left to wait for
		for pid in "${!lane_name[@]}"; do
			echo "not ok - ${lane_name[$pid]}: its process was lost (log: ${lane_log[$pid]})"
			fail=$((fail + 1)); bad_scripts+=("${lane_name[$pid]}")
		done
		lane_name=() lane_log=() lane_start=()
		return 0
	fi
	echo "== integration: ${lane_name[$pid]}"
	cat "${lane_log[$pid]}"
	account "${lane_name[$pid]}" "${lane_log[$pid]}" "$rc" $(($(date +%s) - lane_start[$pid]))
	rm -f "${lane_log[$pid]}"
	unset "lane_name[$pid]" "lane_log[$pid]" "lane_start[$pid]"
}

if [ "$lanes" -eq 1 ]; then
	for t in "${tests[@]}"; do run_alone "$t"; done
else
	echo "# integration: ${#tests[@]} scripts in $lanes lanes (serial first:$(for t in "${tests[@]}"; do is_serial "$(basename "$t")" && printf ' %s' "$(basename "$t")"; done))"
	for t in "${tests[@]}"; do is_serial "$(basename "$t")" && run_alone "$t"; done
	for t in "${tests[@]}"; do
		is_serial "$(basename "$t")" && continue
		while [ ${#lane_name[@]} -ge "$lanes" ]; do lane_reap_one || break; done
		lane_start_one "$t"
	done
	while [ ${#lane_name[@]} -gt 0 ]; do lane_reap_one || break; done
fi
[ ${#durations[@]} -gt 1 ] && echo "# slowest: $(printf '%s\n' "${durations[@]}" | sort -rn | head -n 8 | awk '{printf "%s%s %s s", (NR > 1 ? ", " : ""), $2, $1}')"
[ ${#bad_scripts[@]} -gt 0 ] && echo "# failing scripts: ${bad_scripts[*]}"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
