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

# ---- a hold pending when the server is killed: the hold ends with the server, is recorded, and cannot
# be approved afterwards (its thread is gone; approving must run nothing on the successor) ------------
balance2() { my_sql_admin "SELECT balance FROM gatedb.accounts WHERE id = 2" >/dev/null 2>&1; echo "$MY_OUT"; }
stopped_tasks() {  # PID -> how many of its threads are stopped (t or T)
	local f c=0
	for f in /proc/"$1"/task/*/stat; do
		case $(sed 's/.*) //' "$f" 2>/dev/null | cut -d' ' -f1) in t | T) c=$((c + 1)) ;; esac
	done
	echo "$c"
}
bal=$(balance2)
pid_h=$SW_MY_PID
myc_bg agent_test "q:UPDATE accounts SET balance = balance + 1 WHERE id = 2"
if wait_pending 20 "UPDATE accounts SET balance"; then ok "a governed UPDATE is held for approval"; else
	not_ok "a governed UPDATE is held for approval" "$(pending_json 2>&1 | head -c 600)"; fi
held_id=$PENDING_ID
check "mariadbd killed with the hold pending, and started again" my_restart --kill
myc_wait "$MYC_BG" 30
check "the held client gets an error (its server died), not a result" test "$MYC_RC" != 0 -a "$MYC_RC" != 124
n=0; while [ -n "$(pending_list "UPDATE accounts SET balance")" ] && [ "$n" -lt 50 ]; do sleep 0.1; n=$((n + 1)); done
assert_eq "the hold is no longer pending" "" "$(pending_list "UPDATE accounts SET balance")"
assert_ledger "ledger: the hold is recorded as ended by the server's exit" engine=mysql role=agent_test \
	"statement~UPDATE accounts SET balance" verdict=deny outcome=abandoned decided_by=server \
	"comment~mariadbd exited" pid="$pid_h"
out=$("$SQLWARD" approve "$held_id" --socket "$SW_SOCK" --comment "too late" 2>&1); rc=$?
check "approving the old hold afterwards fails" test "$rc" != 0
assert_contains "... with a message naming the hold" "$out" "$held_id"
assert_contains "... and why it cannot be approved" "$out" "mariadbd exited"
assert_eq "... and nothing ran (the balance is unchanged)" "$bal" "$(balance2)"
check "... nor is it recorded as released" test "$(ledger_count engine=mysql outcome=released \
	"statement~UPDATE accounts SET balance")" = 0
assert_eq "no thread of the new server is left stopped" 0 "$(stopped_tasks "$SW_MY_PID")"
assert_ledger "ledger: followed after the crash with a hold pending" type=daemon event=mariadbd_followed \
	previous_pid="$pid_h" mariadbd="$SW_MY_PID" stopped_in_data_directory=true
myc agent_test "q:DELETE FROM orders"
myc_refused "after it, the first governed DELETE is refused"
assert_eq "... and deleted nothing" "$before" "$(rows orders)"
myc agent_test "q:SELECT owner FROM accounts WHERE id = 1"
myc_ran "... while a governed read runs" alice

# ---- the data directory replaced at its path while the server is down (a restore) -------------------
pid_r=$SW_MY_PID
mariadb-admin --no-defaults -uroot --socket="$SW_MY_SOCK" --connect-timeout=5 shutdown >/dev/null 2>&1
n=0; while kill -0 "$pid_r" 2>/dev/null && [ "$n" -lt 200 ]; do sleep 0.1; n=$((n + 1)); done
wait "$pid_r" 2>/dev/null
mv "$SW_MY_DATA" "$SW_MY_DATA.old" && cp -a "$SW_MY_DATA.old" "$SW_MY_DATA"
# The daemon looks every tick; wait (generously: a busy machine) until it has followed the new
# directory, as a restore takes longer than that anyway. Each ledger_match waits up to 5 s.
n=0; until ledger_match type=daemon event=mariadbd_data_directory_replaced || [ "$n" -ge 6 ]; do n=$((n + 1)); done
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

# ---- the daemon and its watchdog both killed while a restarted server is stopped in the directory:
# nobody is left to kill it (or gate it), so it stays stopped. A new daemon started on it gates it,
# then resumes it; a server stopped by someone else (an operator's SIGSTOP) it leaves stopped. --------
watchdog_of() {  # DAEMON_PID -> the pid of its watchdog (a child named sqlward-watch)
	local p
	for p in $(ps -o pid= --ppid "$1" 2>/dev/null); do
		[ "$(cat "/proc/$p/comm" 2>/dev/null)" = sqlward-watch ] && echo "$p"
	done
}
doctor_watch() {  # the mariadb-restart-watch findings of `sqlward doctor`: "STATUS SUMMARY FIX" lines
	"$SQLWARD" doctor --pg-bin "$SW_PG_BIN" --mariadb-pid "$SW_MY_PID" --policy "$POLICY" --ledger "$SW_LEDGER" \
		--format json 2>/dev/null | python3 -c '
import json, sys
for c in json.load(sys.stdin)["checks"]:
    if c["name"] == "mariadb-restart-watch":
        print(c["status"], c["detail"], c["fix"] or "")' 2>/dev/null
}
# (A long heartbeat grace: with its daemon dead the watch still stops, not kills, a server for 20 s, so a slow start on a busy machine still reaches its chdir inside it.)
SW_GATE_EXTRA="--mariadb-pid $SW_MY_PID --grace-ms 20000" gate_start "$POLICY"
pid_o=$SW_MY_PID
wd=$(watchdog_of "$SW_GATE_PID")
check "the daemon's watchdog is found" test -n "$wd"
kill -KILL "$pid_o"
n=0; while kill -0 "$pid_o" 2>/dev/null && [ "$n" -lt 100 ]; do sleep 0.1; n=$((n + 1)); done
wait "$pid_o" 2>/dev/null
assert_ledger "ledger: the server's exit is recorded (no successor yet)" type=daemon event=mariadbd_exited \
	mariadbd="$pid_o"
kill -KILL "$wd" "$SW_GATE_PID"
t_dead=$(date +%s.%N)
wait "$SW_GATE_PID" 2>/dev/null; SW_GATE_PID=
n=0; while kill -0 "$wd" 2>/dev/null && [ "$n" -lt 50 ]; do sleep 0.1; n=$((n + 1)); done
_my_launch
export SW_MY_PID
sw_at_exit "_my_stop_pid '$SW_MY_SOCK' '$SW_MY_PID'"
n=0; while [ "$(proc_state "$SW_MY_PID")" != T ] && [ "$n" -lt 100 ]; do sleep 0.1; n=$((n + 1)); done
assert_eq "daemon and watchdog dead: the restarted server stays stopped where it entered the directory" T \
	"$(proc_state "$SW_MY_PID")"
doc=$(doctor_watch)
assert_contains "doctor fails on the server a dead gate's watch stopped" "$doc" "fail MariaDB server process $SW_MY_PID "
assert_contains "... and names the fix" "$doc" "sqlward run --mariadb-pid PID"
SW_GATE_EXTRA="--mariadb-pid $SW_MY_PID" gate_start "$POLICY"
check "a new daemon on it gates it, then resumes it: it starts" my_wait_ready
assert_ledger "ledger: ... and records why it resumed it" type=daemon event=mariadbd_resumed mariadbd="$SW_MY_PID" \
	"reason~restart watch whose daemon and watchdog died"
check "... and says so" grep -q "mariadbd $SW_MY_PID was stopped by the restart watch .*gated, and resumed" \
	"$SW_GATE_LOG"
myc agent_test "q:DELETE FROM orders"
myc_refused "the resumed server is gated: a governed DELETE is refused"
assert_eq "... and deleted nothing" "$before" "$(rows orders)"
myc agent_test "q:SELECT owner FROM accounts WHERE id = 1"
myc_ran "... and a governed read runs" alice
assert_ledger "ledger: the dead daemon's watch of the directory is removed (it would kill the next restart)" \
	type=daemon event=mariadb_restart_watch_removed previous_pid="$pid_o" mariadbd="$SW_MY_PID"
pid_r2=$SW_MY_PID
# Past the dead daemon's grace its watch (were it still there) would kill a server entering the directory.
sleep "$(awk -v t0="$t_dead" -v now="$(date +%s.%N)" 'BEGIN { l = t0 + 20.5 - now; print (l > 0 ? l : 0) }')"
check "after the recovery the server restarts (not killed by the dead daemon's watch)" my_restart
assert_ledger "ledger: ... and is followed" type=daemon event=mariadbd_followed previous_pid="$pid_r2" \
	mariadbd="$SW_MY_PID" stopped_in_data_directory=true
myc agent_test "q:DELETE FROM orders"
myc_refused "... and gated: a governed DELETE is refused"
assert_not_contains "doctor no longer finds a stopped server" "$(doctor_watch)" "fail MariaDB server process"
gate_stop_check "the daemon that resumed it stops cleanly"
# An operator's SIGSTOP is not the watch's: the daemon gates the server and leaves it stopped.
kill -STOP "$SW_MY_PID"
SW_GATE_EXTRA="--mariadb-pid $SW_MY_PID" gate_start "$POLICY"
st=$(proc_state "$SW_MY_PID")
assert_eq "a server an operator stopped is not resumed by the daemon" stopped \
	"$(case $st in T | t) echo stopped ;; *) echo "$st" ;; esac)"
check "... which says so, and what to do" grep -q \
	"mariadbd $SW_MY_PID is stopped (state T), and not by a sqlward restart watch.*kill -CONT $SW_MY_PID" "$SW_GATE_LOG"
resumes() {  # how many mariadbd_resumed records the ledger has
	ledger_json --type all 2>/dev/null | python3 -c '
import json, sys
n = 0
for line in sys.stdin:
    try: n += json.loads(line).get("event") == "mariadbd_resumed"
    except ValueError: pass
print(n)'
}
assert_eq "... and records no resume (only the one before)" 1 "$(resumes)"
kill -CONT "$SW_MY_PID"
myc agent_test "q:DELETE FROM orders"
myc_refused "resumed by the operator, it is gated: a governed DELETE is refused"
gate_stop_check "the daemon stops cleanly"
gate_detach
gate_log_on_failure
finish
