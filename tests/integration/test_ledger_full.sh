#!/usr/bin/env bash
# The ledger's filesystem fills up under a running gate: allowed governed
# statements wait (held) until their record is on disk, and are refused, with
# a record saying so, only if that takes too long; refusals go ahead at once;
# ungoverned work goes on and its records are kept in memory until the disk
# has room; `status` says the ledger is unwritable; `verify` passes afterwards
# and nothing stays stopped.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
. tests/lib/assert.sh
. tests/lib/pg.sh
. tests/integration/lib_gate.sh

pg_start
pg_fixtures
ledger_tmpfs ledger
# Allowed statements wait up to 15 s for their record here (30 s in production): long enough
# for every step of phase 1 on a busy machine, short enough for phase 2 to see the refusal.
export SQLWARD_TEST_LEDGER_WAIT_MS=15000
gate_start policies/default.yaml
unset SQLWARD_TEST_LEDGER_WAIT_MS
status_json() { "$SQLWARD" status --socket "$SW_SOCK" 2>/dev/null; }
# Fill the disk and make the daemon find out: the ledger file's last page still takes a few
# records, so ungoverned reads run until writing fails (OK_READS: how many ran).
fill_until_unwritable() {
	local i=0 n=0
	ledger_fill
	OK_READS=0
	while [ "$n" -lt 300 ]; do
		i=$((i + 1))
		sql analyst "SELECT $i"
		[ "$SQL_RC:$SQL_OUT" = "0:$i" ] && OK_READS=$((OK_READS + 1))
		status_json | grep -q '"writable": false' && return 0
		n=$((n + 1))
	done
	return 1
}
# The backend running the statement containing $1 is stopped (state T) within 30 s.
backend_stopped() {
	local n=0 pid
	while [ "$n" -lt 150 ]; do
		pid=$(sql_admin_val "SELECT pid FROM pg_stat_activity WHERE query LIKE '%$1%' AND pid <> pg_backend_pid()")
		[ -n "$pid" ] && [ "$(proc_state "$pid")" = T ] && return 0
		sleep 0.2; n=$((n + 1))
	done
	return 1
}

# Governed sessions opened before the outage (a connection opened during it waits too: its
# startup settings are governed events whose records cannot be written). Each reads its
# statements from a FIFO: session_open NAME, then session_send NAME SQL.
session_open() {
	local f=$SW_TMP/$1.in n=0
	mkfifo -m 0666 "$f"
	cmd_bg "${SW_AS_CLIENT[@]}" psql -X -At "$(pg_conninfo agent_test)" -f "$f"
	eval "SESSION_$1=$SQL_BG"
	exec {fd}>"$f"
	eval "SESSION_FD_$1=$fd"
	session_send "$1" "SELECT 'ready-$1';"
	while ! grep -q "ready-$1" "$SQL_BG.out" 2>/dev/null && [ "$n" -lt 150 ]; do sleep 0.2; n=$((n + 1)); done
	grep -q "ready-$1" "$SQL_BG.out"
}
session_send() { local v="SESSION_FD_$1"; printf '%s\n' "$2" >&"${!v}"; }
session_close() { local v="SESSION_FD_$1"; eval "exec ${!v}>&-"; }

check "a governed session is open before the outage" session_open s1
check "a second one too" session_open s2

# ---- full: allowed governed statements wait for their record ------------------------------
# (Statements the kernel allows from its cache are recorded after they run; from the first
# failed write on, the caches are off and every governed statement waits for its record.)
check "the daemon finds the ledger unwritable (status says so)" fill_until_unwritable
check "ungoverned reads go on while the ledger is full" test "$OK_READS" -ge 1
session_send s1 "SELECT 4201;"
check "an allowed governed read waits (stopped) while its record cannot be written" backend_stopped "SELECT 4201"
session_send s2 "DROP TABLE app.scratch;"
n=0; while ! grep -q "$SW_CANCEL_MSG" "$SESSION_s2.err" 2>/dev/null && [ "$n" -lt 100 ]; do sleep 0.2; n=$((n + 1)); done
assert_contains "a refusal goes ahead meanwhile" "$(cat "$SESSION_s2.err")" "$SW_CANCEL_MSG"
rm -f "$LED/filler"
n=0; while ! grep -qx 4201 "$SESSION_s1.out" 2>/dev/null && [ "$n" -lt 300 ]; do sleep 0.2; n=$((n + 1)); done
check "with room again, the waiting read runs" grep -qx 4201 "$SESSION_s1.out"
assert_eq "app.scratch survives" "t" "$(sql_admin_val "SELECT to_regclass('app.scratch') IS NOT NULL")"

# ---- full for longer than the wait: refused, and the ledger says so -----------------------
check "the ledger fills up again" fill_until_unwritable
session_send s1 "SELECT 4202;"
session_close s1
session_close s2
sql_wait "$SESSION_s1" 90
assert_contains "after the wait the statement is refused, not run unrecorded" "$SQL_ERR" "$SW_CANCEL_MSG"
check "... and it did not run" test -z "$(grep -x 4202 "$SESSION_s1.out")"
sql_wait "$SESSION_s2" 30
rm -f "$LED/filler"
sql agent_test "SELECT 2"
assert_eq "afterwards governed reads run again" "0:2" "$SQL_RC:$SQL_OUT"
assert_ledger "ledger: the refusal for want of a record is recorded" type=daemon event=release_refused_unrecorded
assert_ledger "ledger: the ungoverned reads made during the outage are recorded" role=analyst \
	statement="SELECT $OK_READS"
assert_ledger "ledger: the gate says when the ledger worked again" type=daemon event=ledger_writable_again
st=$(status_json)
assert_contains "status says the ledger is writable again" "$st" '"writable": true'
check "the ledger verifies" "$SQLWARD" verify --ledger "$SW_LEDGER"
stopped=$(for p in $(pgrep -P "$(pg_postmaster_pid)"); do [ "$(proc_state "$p")" = T ] && echo "$p"; done)
assert_eq "no backend is left stopped" "" "$stopped"
gate_stop_check
gate_log_on_failure
finish
