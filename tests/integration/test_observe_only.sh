#!/usr/bin/env bash
# `sqlward run --observe-only` on both engines: nothing is stopped, refused or cancelled, and
# everything is recorded with what the policy says of it. MariaDB: the session is read from
# mariadbd's memory without the holder (nothing is traced; this crashed the daemon at the first
# command), and a restarted server is followed without the kernel's restart watch stopping it
# (nor killing it when no daemon beats), with no pin outliving the daemon.
set -uo pipefail
SW_TOP=$(cd "$(dirname "$0")/../.." && pwd)
. "$SW_TOP/tests/lib/assert.sh"
. "$SW_TOP/tests/lib/pg.sh"
. "$SW_TOP/tests/lib/mariadb.sh"
. "$SW_TOP/tests/integration/lib_gate.sh"

pg_start
pg_fixtures
my_start
my_fixtures
SW_GATE_EXTRA="--observe-only --mariadb-pid $SW_MY_PID" gate_start "$SW_TOP/policies/default.yaml"

# PostgreSQL: a governed statement the policy denies runs, and is recorded as denied-but-observed.
sql agent_test "DROP TABLE IF EXISTS app.sw_not_there"
check "observe-only: a governed DROP the policy denies runs on PostgreSQL" test "$SQL_RC" = 0
sql agent_test "SELECT count(*) FROM app.t"
check "observe-only: a governed read runs on PostgreSQL" test "$SQL_RC" = 0
assert_ledger "ledger: the PostgreSQL DROP is recorded with the policy's verdict" engine=postgres \
	role=agent_test "statement~DROP TABLE IF EXISTS app.sw_not_there" verdict=deny

# Observe-only reads the session from mariadbd's memory without the holder (it traces nothing):
# a governed read, a statement the policy would refuse, and an ungoverned one all run and are recorded.
myc agent_test "q:SELECT owner FROM accounts WHERE id = 1"
myc_ran "observe-only: a governed read runs" alice
myc agent_test "q:DROP TABLE IF EXISTS sw_not_there"
myc_ran "observe-only: a governed DROP the policy denies runs (observe-only stops nothing)" ""
myc analyst "q:SELECT count(*) FROM accounts"
myc_ran "observe-only: an ungoverned read runs" 5
assert_ledger "ledger: the governed read is recorded" engine=mysql role=agent_test governed=true \
	"statement~WHERE id = 1" outcome=ran
assert_ledger "ledger: the DROP is recorded as what the policy says of it" engine=mysql role=agent_test \
	"statement~DROP TABLE IF EXISTS sw_not_there" verdict=deny outcome=ran
assert_ledger "ledger: the ungoverned read is observed" engine=mysql role=analyst governed=false \
	"statement~SELECT count(*) FROM accounts" outcome=observed
check "observe-only: the daemon is still running" kill -0 "$SW_GATE_PID"

# The restart watch: a process named mariadbd entering the data directory (a stand-in for a
# restart's chdir) is stopped there while a live daemon follows servers, observing too: what a
# restarted server serves before it is followed must not go unrecorded. It serves on otherwise.
mkdir -p "$SW_TMP/fake"
cp -L /usr/bin/python3 "$SW_TMP/fake/mariadbd"
enter() {
	(cd / && exec "$SW_TMP/fake/mariadbd" -c "import os, time; os.chdir('$SW_MY_DATA'); time.sleep(60)") &
	fake=$!
	n=0; while [ "$(proc_state "$fake")" != T ] && [ "$n" -lt 50 ]; do sleep 0.1; n=$((n + 1)); done
}
alive() {  # PID -> its state, or "dead"
	local st; st=$(proc_state "$1")
	if [ -z "$st" ] || [ "$st" = Z ]; then echo dead; else echo "$st"; fi
}
enter
assert_eq "observe-only: a mariadbd entering the data directory is stopped until followed" T "$(proc_state "$fake")"
kill -KILL "$fake"; wait "$fake" 2>/dev/null

for how in shutdown --kill; do
	prev=$SW_MY_PID
	# shellcheck disable=SC2046  # no argument for a clean shutdown
	check "observe-only: mariadbd restarts ($how)" my_restart $([ "$how" = --kill ] && echo --kill)
	assert_ne "... under a new pid" "$prev" "$SW_MY_PID"
	myc agent_test "q:DELETE FROM orders WHERE id = -1"
	myc_ran "observe-only: a governed DELETE on the restarted server runs (nothing is refused)" ""
	assert_ledger "ledger: the successor is followed ($how), held at its chdir until then" type=daemon \
		event=mariadbd_followed previous_pid="$prev" mariadbd="$SW_MY_PID" stopped_in_data_directory=true
	assert_ledger "ledger: ... and its governed DELETE recorded (hold, ran: nothing is stopped), under the new pid" \
		engine=mysql role=agent_test "statement~DELETE FROM orders WHERE id = -1" verdict=hold outcome=ran \
		pid="$SW_MY_PID"
done

# The daemon stops with a server stopped in the data directory: observing, it resumes it (enforcing,
# it would kill it).
enter
gate_stop_check "observe-only daemon stops cleanly"
n=0; while [ "$(alive "$fake")" = T ] && [ "$n" -lt 50 ]; do sleep 0.1; n=$((n + 1)); done
assert_eq "observe-only: a server stopped in the data directory when the daemon stops is resumed" S "$(alive "$fake")"
assert_ledger "ledger: ... and recorded" type=daemon event=mariadbd_resumed resumed_pid="$fake"
kill -KILL "$fake"; wait "$fake" 2>/dev/null
assert_eq "observe-only: no MariaDB pin is left behind (nothing would stop or kill a restart)" "" \
	"$(ls "$SW_PIN_DIR" 2>/dev/null | grep mariadb)"
check "after the daemon stopped, mariadbd restarts and serves" my_restart --kill
myc analyst "q:SELECT count(*) FROM accounts"
myc_ran "... ungated" 5

# The daemon killed (SIGKILL) with a server stopped there: its watchdog resumes it, and says so.
SW_GATE_EXTRA="--observe-only --mariadb-pid $SW_MY_PID" gate_start "$SW_TOP/policies/default.yaml"
enter
assert_eq "observe-only again: a mariadbd entering the data directory is stopped" T "$(proc_state "$fake")"
kill -KILL "$SW_GATE_PID"; wait "$SW_GATE_PID" 2>/dev/null; SW_GATE_PID=
n=0; while [ "$(alive "$fake")" = T ] && [ "$n" -lt 50 ]; do sleep 0.1; n=$((n + 1)); done
assert_eq "the daemon killed: its watchdog resumes the stopped server (observe-only)" S "$(alive "$fake")"
assert_ledger "ledger: ... and records it" type=daemon event=mariadbd_resumed resumed_pid="$fake" \
	"reason~observe-only daemon died"
kill -KILL "$fake"; wait "$fake" 2>/dev/null
sleep 1.5   # the kernel's grace for a daemon's heartbeat (1 s) runs out
check "with the observing daemon dead, a restarted server starts and serves" my_restart
myc analyst "q:SELECT count(*) FROM accounts"
myc_ran "... ungated" 5

gate_detach
gate_log_on_failure
finish
