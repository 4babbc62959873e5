#!/usr/bin/env bash
# MariaDB under a full ledger filesystem (as test_ledger_full.sh for PostgreSQL):
# an allowed governed command's thread stays stopped until its record is on
# disk, and is refused (it does not run), with a release_refused_unrecorded
# record, only if that takes longer than the wait; refusals go ahead at once;
# ungoverned commands keep running; `verify` passes; and a daemon stopped
# (SIGTERM) while a command waits leaves no thread stopped.
set -uo pipefail
SW_TOP=$(cd "$(dirname "$0")/../.." && pwd)
. "$SW_TOP/tests/lib/assert.sh"
. "$SW_TOP/tests/lib/pg.sh"
. "$SW_TOP/tests/lib/mariadb.sh"
. "$SW_TOP/tests/integration/lib_gate.sh"

pg_start
my_start
my_fixtures
ledger_tmpfs myledger
# Allowed commands wait up to 12 s for their record here (30 s in production): long enough for
# phase 1's steps, short enough for phase 2 to see the refusal.
export SQLWARD_TEST_LEDGER_WAIT_MS=12000
POLICY=$SW_TMP/policy.yaml   # (a copy: a phase below reloads a changed one)
cp "$SW_TOP/policies/default.yaml" "$POLICY"
SW_GATE_EXTRA="--mariadb-pid $SW_MY_PID" gate_start "$POLICY"
unset SQLWARD_TEST_LEDGER_WAIT_MS

status_json() { "$SQLWARD" status --socket "$SW_SOCK" 2>/dev/null; }
# Fill the disk and make the daemon find out: ungoverned reads run (OK_READS of them) until a
# write fails.
fill_until_unwritable() {
	local i=0
	ledger_fill
	OK_READS=0
	while [ "$i" -lt 300 ]; do
		i=$((i + 1))
		myc analyst "q:SELECT $i"
		[ "$MYC_RC" = 0 ] && grep -qx "$i" <<<"$MYC_OUT" && OK_READS=$((OK_READS + 1))
		status_json | grep -q '"writable": false' && return 0
		sleep 0.05
	done
	return 1
}
# mariadbd threads the holder has stopped (state t: tracing stop).
stopped_threads() { grep -l '^State:[[:space:]]*t' /proc/"$SW_MY_PID"/task/*/status 2>/dev/null | wc -l; }
wait_stopped() {
	local n=0
	while [ "$n" -lt 100 ] && [ "$(stopped_threads)" -eq 0 ]; do sleep 0.1; n=$((n + 1)); done
	[ "$(stopped_threads)" -gt 0 ]
}
waiting_in_status() { status_json | grep -q '"statements_waiting_for_ledger": [1-9]'; }

# ---- full: an allowed governed command waits for its record --------------------------------
check "the daemon finds the ledger unwritable (status says so)" fill_until_unwritable
check "ungoverned reads go on while the ledger is full" test "$OK_READS" -ge 1
myc_bg agent_test "q:SELECT 4201"
WAIT1=$MYC_BG
check "an allowed governed command's thread waits (stopped) while its record cannot be written" wait_stopped
sleep 1
check "... its client has no result yet" test ! -f "$WAIT1.rc"
check "... and status counts it as waiting for the ledger" waiting_in_status
myc agent_test "q:DROP TABLE scratch"
myc_refused "a refusal goes ahead meanwhile"
myc analyst "q:SELECT 77"
check "an ungoverned command runs meanwhile" test "$MYC_RC:$(tail -n1 <<<"$MYC_OUT")" = "0:77"
rm -f "$LED/filler"
myc_wait "$WAIT1" 20
check "with room again, the waiting command runs" test "$MYC_RC" = 0 -a -n "$(grep -x 4201 <<<"$MYC_OUT")"
assert_ledger "ledger: ... and its record is there" engine=mysql role=agent_test outcome=ran "statement~SELECT 4201"
my_sql_admin "SELECT count(*) FROM information_schema.tables WHERE table_schema='gatedb' AND table_name='scratch'"
assert_eq "scratch survives" 1 "$MY_OUT"

# ---- full for longer than the wait: refused, and the ledger says so -------------------------
check "the ledger fills up again" fill_until_unwritable
myc_bg agent_test "q:SELECT 4202"
WAIT2=$MYC_BG
myc_wait "$WAIT2" 30
check "after the wait the command is refused, not run unrecorded" \
	test "$MYC_RC" != 0 -a -n "$(grep 'ERR 1644 sqlward: allowed, but its record could not be written' <<<"$MYC_OUT")"
check "... and it did not run" test -z "$(grep -x 4202 <<<"$MYC_OUT")"
rm -f "$LED/filler"
myc agent_test "q:SELECT 2"
check "afterwards governed commands run again" test "$MYC_RC:$(tail -n1 <<<"$MYC_OUT")" = "0:2"
assert_ledger "ledger: the refusal for want of a record is recorded" type=daemon event=release_refused_unrecorded \
	engine=mysql
assert_ledger "ledger: the ungoverned reads made during the outage are recorded" engine=mysql role=analyst \
	"statement~SELECT $OK_READS"
assert_ledger "ledger: the gate says when the ledger worked again" type=daemon event=ledger_writable_again
st=$(status_json)
assert_contains "status says the ledger is writable again" "$st" '"writable": true'

# ---- the policy reloaded (twice) while a command waits: no verdict of the old policy is cached ----
check "the ledger fills up once more" fill_until_unwritable
myc_bg agent_test "q:SELECT 4204 FROM accounts"
WAIT4=$MYC_BG
check "a governed read of accounts waits for its record" wait_stopped
sed -i '/^rules:/a\  - { id: deny-accounts-now, match: { relation: accounts }, action: deny }' "$POLICY"
reloaded() {  # N: wait (20 s) until the daemon has said policy_reloaded N times
	local n=0
	while [ "$(grep -c policy_reloaded "$SW_GATE_LOG")" -lt "$1" ] && [ "$n" -lt 200 ]; do sleep 0.1; n=$((n + 1)); done
	[ "$(grep -c policy_reloaded "$SW_GATE_LOG")" -ge "$1" ]
}
kill -HUP "$SW_GATE_PID"
check "the daemon reloads the changed policy" reloaded 1
kill -HUP "$SW_GATE_PID"
check "... and again" reloaded 2
rm -f "$LED/filler"
myc_wait "$WAIT4" 20
check "with room again it runs, as the policy it was judged under allowed" test "$MYC_RC" = 0
myc agent_test "q:SELECT 4204 FROM accounts"
myc_refused "the same text after the reloads is refused (judged under the new policy, not a cached verdict)"
check "... by the new rule" grep -q "deny-accounts-now" <<<"$MYC_OUT"

# ---- stopped while a command waits: nothing stays stopped ----------------------------------
check "the ledger fills up a third time" fill_until_unwritable
myc_bg agent_test "q:SELECT 4203"
WAIT3=$MYC_BG
check "a governed command waits again" wait_stopped
gate_stop_check "the daemon stops on SIGTERM while a command waits"
myc_wait "$WAIT3" 20
check "the waiting command was refused at the stop, not run" test "$MYC_RC" != 0 -a -z "$(grep -x 4203 <<<"$MYC_OUT")"
assert_eq "no mariadbd thread is left stopped" 0 "$(stopped_threads)"
rm -f "$LED/filler"
check "the ledger verifies" "$SQLWARD" verify --ledger "$SW_LEDGER"
gate_log_on_failure
finish
