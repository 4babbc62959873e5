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
LED=$SW_TMP/ledfs
mkdir -p "$LED"
mount -t tmpfs -o size=2m,mode=0755 sqlward-test-ledger "$LED" || sw_die "cannot mount a tmpfs for the ledger"
sw_at_exit "umount -l '$LED' 2>/dev/null"
SW_LEDGER=$LED/ledger.jsonl
export SQLWARD_TEST_LEDGER_WAIT_MS=4000
gate_start policies/default.yaml
unset SQLWARD_TEST_LEDGER_WAIT_MS
fill() { dd if=/dev/zero of="$LED/filler" bs=64k count=100 >/dev/null 2>&1; sync; }
status_json() { "$SQLWARD" status --socket "$SW_SOCK" 2>/dev/null; }

sql agent_test "SELECT 1"
assert_eq "before: a governed read runs" "0:1" "$SQL_RC:$SQL_OUT"

# ---- full: allowed governed statements wait for their record ------------------------------
# (Statements the kernel allows from its cache are recorded after they run; from the first
# failed write on, the caches are off and every governed statement waits for its record.)
# (The ledger file's last page still takes a few records: the reads below fill it.)
fill
ok_reads=0
for i in $(seq 1 40); do
	sql analyst "SELECT $i"
	[ "$SQL_RC:$SQL_OUT" = "0:$i" ] && ok_reads=$((ok_reads + 1))
done
assert_eq "ungoverned reads go on while the ledger is full" 40 "$ok_reads"
sleep 1.5
sql_bg agent_test "SELECT 4201"
h=$SQL_BG
sleep 1.5
check "an allowed governed read waits while its record cannot be written" test ! -f "$h.rc"
sql agent_test "DROP TABLE app.scratch"
assert_contains "a refusal goes ahead at once" "$SQL_ERR" "$SW_CANCEL_MSG"
st=$(status_json)
assert_contains "status says the ledger is unwritable" "$st" '"writable": false'
rm -f "$LED/filler"
sql_wait "$h" 30
assert_eq "with room again, the waiting read runs" "0:4201" "$SQL_RC:$SQL_OUT"

# ---- full for longer than the wait: refused, and the ledger says so -----------------------
fill
sql_bg agent_test "SELECT 4202"
h=$SQL_BG
sql_wait "$h" 30
assert_contains "after the wait the statement is refused, not run unrecorded" "$SQL_ERR" "$SW_CANCEL_MSG"
rm -f "$LED/filler"
sql agent_test "SELECT 2"
assert_eq "afterwards governed reads run again" "0:2" "$SQL_RC:$SQL_OUT"
assert_ledger "ledger: the refusal for want of a record is recorded" type=daemon event=release_refused_unrecorded
assert_ledger "ledger: the ungoverned reads made during the outage are recorded" role=analyst statement="SELECT 40"
assert_ledger "ledger: the gate says when the ledger worked again" type=daemon event=ledger_writable_again
st=$(status_json)
assert_contains "status says the ledger is writable again" "$st" '"writable": true'
check "the ledger verifies" "$SQLWARD" verify --ledger "$SW_LEDGER"
stopped=$(for p in $(pgrep -P "$(pg_postmaster_pid)"); do [ "$(proc_state "$p")" = T ] && echo "$p"; done)
assert_eq "no backend is left stopped" "" "$stopped"
gate_stop_check
gate_log_on_failure
finish
