#!/usr/bin/env bash
# A governed mariadbd restarted (shutdown and start, as systemd's restart or a
# package upgrade does; or killed and started again, as after a crash) runs
# under a new pid. The gate must follow it: the successor (the mariadbd whose
# working directory is the same data directory) is gated as the first one was,
# the exit and the restart are in the ledger, and `sqlward status` names the
# new pid. While no successor runs, status says so. Adversarial: the first
# governed command after each restart is refused, and what was refused did not
# run.
set -uo pipefail
SW_TOP=$(cd "$(dirname "$0")/../.." && pwd)
. "$SW_TOP/tests/lib/assert.sh"
. "$SW_TOP/tests/lib/pg.sh"
. "$SW_TOP/tests/lib/mariadb.sh"
. "$SW_TOP/tests/integration/lib_gate.sh"

POLICY=$SW_TOP/policies/default.yaml

rows() {  # TABLE -> its row count, as root
	my_sql_admin "SELECT count(*) FROM gatedb.$1" >/dev/null 2>&1
	echo "$MY_OUT"
}
status_pids() {  # the mariadbd pids `sqlward status` lists, and their state
	"$SQLWARD" status --socket "$SW_SOCK" --format json 2>/dev/null | python3 -c '
import json, sys
st = json.load(sys.stdin)
def walk(o):
    if isinstance(o, dict):
        if o.get("engine") == "mysql" and "pid" in o:
            print(o["pid"], o.get("server", "running"))
        for v in o.values(): walk(v)
    elif isinstance(o, list):
        for v in o: walk(v)
walk(st)' 2>/dev/null | sort -u | head -n1
}

pg_start
my_start
my_fixtures
SW_GATE_EXTRA="--mariadb-pid $SW_MY_PID" gate_start "$POLICY"

before=$(rows orders)
myc agent_test "q:DELETE FROM orders"
myc_refused "before any restart a governed DELETE is refused"

# ---- the kernel's watch: a MariaDB server process entering the data directory, by chdir(2) or
# fchdir(2), is stopped there (stand-ins: a Python named mariadbd; another name is left alone) ------
mkdir -p "$SW_TMP/fake"
cp -L /usr/bin/python3 "$SW_TMP/fake/mariadbd"
cp -L /usr/bin/python3 "$SW_TMP/fake/mariadb-tool"
enter() {  # NAME HOW: start the stand-in NAME entering the data directory by HOW (chdir|fchdir); sets fake
	local how="os.chdir('$SW_MY_DATA')"
	[ "$2" = fchdir ] && how="os.fchdir(os.open('$SW_MY_DATA', os.O_RDONLY))"
	(cd / && exec "$SW_TMP/fake/$1" -c "import os, time; $how; time.sleep(60)") &
	fake=$!
	sleep 0.5
}
for how in chdir fchdir; do
	enter mariadbd "$how"
	n=0; while [ "$(proc_state "$fake")" != T ] && [ "$n" -lt 50 ]; do sleep 0.1; n=$((n + 1)); done
	assert_eq "a process named mariadbd entering the data directory by $how is stopped there" T "$(proc_state "$fake")"
	kill -KILL "$fake"; wait "$fake" 2>/dev/null
done
enter mariadb-tool chdir
assert_eq "another program entering it runs on" S "$(proc_state "$fake")"
kill -KILL "$fake"; wait "$fake" 2>/dev/null
myc agent_test "q:SELECT owner FROM accounts WHERE id = 1"
myc_ran "the gated server serves on" alice

# ---- a clean restart: shutdown, then the same server started again -------------------------
pid1=$SW_MY_PID
check "mariadbd restarts (shutdown + start)" my_restart
pid2=$SW_MY_PID
assert_ne "the restarted server has a new pid" "$pid1" "$pid2"
myc agent_test "q:DELETE FROM orders"
myc_refused "the first governed DELETE after the restart is refused"
assert_eq "... and deleted nothing" "$before" "$(rows orders)"
myc agent_test "q:SELECT owner FROM accounts WHERE id = 1"
myc_ran "a governed read after the restart runs" alice
assert_ledger "ledger: the read is recorded under the new server's pid" engine=mysql role=agent_test \
	"statement~WHERE id = 1" outcome=ran pid="$pid2"
assert_ledger "ledger: the server's exit is recorded" type=daemon event=mariadbd_exited mariadbd="$pid1"
assert_ledger "ledger: the gate followed it to the new pid, stopped in its data directory until gated" \
	type=daemon event=mariadbd_followed previous_pid="$pid1" mariadbd="$pid2" stopped_in_data_directory=true
assert_eq "status names the new pid" "$pid2 running" "$(status_pids)"
myc analyst "q:SELECT count(*) FROM accounts"
myc_ran "an ungoverned read runs" 5
assert_ledger "ledger: ... and is observed on the new server" engine=mysql role=analyst governed=false \
	"statement~SELECT count(*) FROM accounts" pid="$pid2"

# ---- a crash: SIGKILL, then started again ------------------------------------------------------
check "mariadbd killed and started again" my_restart --kill
pid3=$SW_MY_PID
myc agent_test "q:DROP TABLE orders"
myc_refused "after a crash and restart a governed DROP is refused"
assert_eq "... and the table is still there" "$before" "$(rows orders)"
assert_ledger "ledger: followed after the crash" type=daemon event=mariadbd_followed previous_pid="$pid2" \
	mariadbd="$pid3"

# ---- the data directory replaced at its path while the server is down (a restore) -------------------
pid_r=$SW_MY_PID
mariadb-admin --no-defaults -uroot --socket="$SW_MY_SOCK" --connect-timeout=5 shutdown >/dev/null 2>&1
n=0; while kill -0 "$pid_r" 2>/dev/null && [ "$n" -lt 200 ]; do sleep 0.1; n=$((n + 1)); done
wait "$pid_r" 2>/dev/null
mv "$SW_MY_DATA" "$SW_MY_DATA.old" && cp -a "$SW_MY_DATA.old" "$SW_MY_DATA"
sleep 0.3   # (the daemon looks every tick; a restore takes longer than this anyway)
_my_launch
export SW_MY_PID
sw_at_exit "_my_stop_pid '$SW_MY_SOCK' '$SW_MY_PID'"
check "the server starts on the restored data directory" my_wait_ready
myc agent_test "q:DELETE FROM orders"
myc_refused "on the restored directory the first governed DELETE is refused"
assert_eq "... and deleted nothing" "$before" "$(rows orders)"
assert_ledger "ledger: the replaced directory is followed" type=daemon event=mariadbd_data_directory_replaced
assert_ledger "ledger: ... and the server on it, stopped there until gated" type=daemon event=mariadbd_followed \
	previous_pid="$pid_r" mariadbd="$SW_MY_PID" stopped_in_data_directory=true

# ---- restarted in the other thread mode (pool-of-threads): connections move between threads -------
pid_t=$SW_MY_PID
SW_MY_MODE=pool-of-threads
check "mariadbd restarts with pool-of-threads" my_restart
myc agent_test "q:DELETE FROM orders"
myc_refused "pool: the first governed DELETE after the restart is refused"
assert_eq "... and deleted nothing" "$before" "$(rows orders)"
myc agent_test "q:SELECT owner FROM accounts WHERE id = 2"
myc_ran "pool: a governed read runs" bob
assert_ledger "ledger: followed into pool-of-threads" type=daemon event=mariadbd_followed previous_pid="$pid_t" \
	mariadbd="$SW_MY_PID" stopped_in_data_directory=true
pid3=$SW_MY_PID

# ---- no successor yet: status says the server is gone --------------------------------------------
kill -KILL "$pid3"
n=0; while kill -0 "$pid3" 2>/dev/null && [ "$n" -lt 50 ]; do sleep 0.1; n=$((n + 1)); done
n=0; while [ "$(status_pids)" != "$pid3 exited" ] && [ "$n" -lt 50 ]; do sleep 0.1; n=$((n + 1)); done
assert_eq "with no successor, status shows the server exited" "$pid3 exited" "$(status_pids)"
_my_launch
export SW_MY_PID
sw_at_exit "_my_stop_pid '$SW_MY_SOCK' '$SW_MY_PID'"
check "the server starts again later" my_wait_ready
myc agent_test "q:DELETE FROM orders"
myc_refused "a governed DELETE on the server started later is refused"
assert_eq "... and deleted nothing" "$before" "$(rows orders)"

# A server stopped in the data directory when the daemon stops: nobody will gate it, so it is killed
# (never left stopped with nobody to decide, never resumed ungated).
enter mariadbd chdir
n=0; while [ "$(proc_state "$fake")" != T ] && [ "$n" -lt 50 ]; do sleep 0.1; n=$((n + 1)); done
gate_stop_check "daemon stops cleanly after following restarts"
st=$(proc_state "$fake")
assert_eq "a server stopped in the data directory when the daemon stops is killed" dead \
	"$([ -z "$st" ] || [ "$st" = Z ] && echo dead || echo "$st")"
wait "$fake" 2>/dev/null
assert_ledger "ledger: ... and recorded" type=daemon event=mariadbd_refused killed_pid="$fake"

# ---- no daemon: the pins left behind kill a restarted server (it would serve ungated) ---------------
SW_GATE_EXTRA="--mariadb-pid $SW_MY_PID" gate_start "$POLICY"
# First a server stopped entering the directory, then the daemon killed before it gated it: the
# watchdog kills it (nobody would ever decide; resumed, it would serve ungated).
enter mariadbd chdir
n=0; while [ "$(proc_state "$fake")" != T ] && [ "$n" -lt 50 ]; do sleep 0.1; n=$((n + 1)); done
kill -KILL "$SW_GATE_PID"; wait "$SW_GATE_PID" 2>/dev/null; SW_GATE_PID=
n=0; while st=$(proc_state "$fake") && [ -n "$st" ] && [ "$st" != Z ] && [ "$n" -lt 50 ]; do sleep 0.1; n=$((n + 1)); done
st=$(proc_state "$fake")
assert_eq "the daemon killed with a server stopped in the directory: the watchdog kills it" dead \
	"$([ -z "$st" ] || [ "$st" = Z ] && echo dead || echo "$st")"
wait "$fake" 2>/dev/null
assert_ledger "ledger: ... and records it" type=daemon event=mariadbd_refused killed_pid="$fake" reason~"daemon died"
doc=$("$SQLWARD" doctor --pg-bin "$SW_PG_BIN" --mariadb-pid "$SW_MY_PID" --policy "$POLICY" --ledger "$SW_LEDGER" \
	--pin-dir "$SW_PIN_DIR" --socket "$SW_SOCK" --format json 2>/dev/null | python3 -c '
import json, sys
for c in json.load(sys.stdin)["checks"]:
    if c["name"] == "mariadb-restart-watch":
        print(c["status"], c.get("fix", ""))' 2>/dev/null)
assert_contains "doctor warns that the dead daemon's restart watch kills a restarted server" "$doc" "warn"
assert_contains "... and names the fix" "$doc" "sqlward detach $SW_PIN_DIR"
sleep 1.5   # the kernel's grace for a daemon's heartbeat (1 s) runs out
pid_dead=$SW_MY_PID
my_restart >/dev/null 2>&1
assert_eq "with the daemon dead, a restarted server is killed as it enters its data directory" \
	"dead" "$(kill -0 "$SW_MY_PID" 2>/dev/null && echo alive || echo dead)"
gate_detach
_my_launch
export SW_MY_PID
sw_at_exit "_my_stop_pid '$SW_MY_SOCK' '$SW_MY_PID'"
check "once the pins are removed (sqlward detach) the server starts" my_wait_ready
gate_log_on_failure
finish
