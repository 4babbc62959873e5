#!/usr/bin/env bash
# Operations events must not open the gate: the cluster restarted under
# --postmaster-pid (a new postmaster pid), the server binary replaced on disk
# (cp + mv, as package upgrades do) and the cluster restarted on it, pins
# removed while the daemon runs, a daemon restart and a crash of daemon and
# watchdog together (what the gate did meanwhile is recorded), a second
# daemon on the same host, two daemons (one per cluster) stopping the same exec of a replaced
# binary, `pg_ctl stop -m fast` with a statement held, and
# SIGHUP storms alternating valid and malformed policies.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
. tests/lib/assert.sh
. tests/lib/pg.sh
. tests/integration/lib_gate.sh

# A private copy of the server installation, so replacing its binary touches nothing else.
pg_private_copy

pg_start
pg_fixtures
POLICY=$SW_TMP/policy.yaml
cp policies/default.yaml "$POLICY"

pg_restart() {
	_pg_as "$SW_PG_BINDIR/pg_ctl" -D "$SW_PG_DATA" -l "$SW_PG_LOG" -m fast -w -t 60 restart \
		>"$SW_PG_DIR/pg_ctl.log" 2>&1 || { cat "$SW_PG_DIR/pg_ctl.log" "$SW_PG_LOG" >&2; return 1; }
	local i
	for i in $(seq 1 60); do
		"$SW_PG_BINDIR/pg_isready" -q -h "$SW_PG_HOST" -p "$SW_PG_PORT" && return 0
		sleep 0.5
	done
	return 1
}

scratch_exists() { sql_admin_val "SELECT to_regclass('app.scratch') IS NOT NULL"; }
recreate_scratch() { sql_admin "CREATE TABLE IF NOT EXISTS app.scratch (id int)" "GRANT ALL ON app.scratch TO agent_test" >/dev/null; }

# ---- the cluster restarted under --postmaster-pid ------------------------------------
gate_start "$POLICY"
pm1=$(pg_postmaster_pid)
check "the cluster restarts with the gate attached" pg_restart
pm2=$(pg_postmaster_pid)
assert_ne "the restarted cluster has a new postmaster" "$pm1" "$pm2"
sql agent_test "DROP TABLE app.scratch"
assert_contains "after a cluster restart a governed DROP is still cancelled" "$SQL_ERR" "$SW_CANCEL_MSG"
assert_eq "app.scratch survives" "t" "$(scratch_exists)"
ledger_match role=agent_test statement~"DROP TABLE app.scratch" verdict=deny
check "ledger: the DROP after the restart is recorded" test $? -eq 0
ledger_match type=daemon event=postmaster_restarted postmaster_pid="$pm2"
check "ledger: the gate followed the new postmaster" test $? -eq 0
sql analyst "SELECT count(*) FROM app.transactions"
assert_eq "an analyst's read after the restart runs" "0:200" "$SQL_RC:$SQL_OUT"

# ---- the binary replaced on disk (cp + mv), noticed before the restart -------------------
cp "$SW_PG_BIN" "$SW_PG_BIN.new" && mv -f "$SW_PG_BIN.new" "$SW_PG_BIN"
ino_new=$(stat -c %i "$SW_PG_BIN")
ledger_match type=daemon event=binary_attached inode="$ino_new"
check "ledger: the daemon attached to the new file on its own" test $? -eq 0
check "the cluster restarts on the new binary" pg_restart
sql agent_test "DROP TABLE app.scratch"
assert_contains "on the new binary a governed DROP is cancelled" "$SQL_ERR" "$SW_CANCEL_MSG"
assert_eq "app.scratch survives the new binary" "t" "$(scratch_exists)"
gate_stop_check "daemon (binary replaced, polled)"

# ---- replaced and restarted before the daemon looks: the kernel stops the exec ----------
export SQLWARD_TEST_NO_BINARY_POLL=1
gate_start "$POLICY"
unset SQLWARD_TEST_NO_BINARY_POLL
cp "$SW_PG_BIN" "$SW_PG_BIN.new" && mv -f "$SW_PG_BIN.new" "$SW_PG_BIN"
ino_new=$(stat -c %i "$SW_PG_BIN")
check "the cluster restarts on a binary the daemon has not looked at" pg_restart
ledger_match type=daemon event=binary_attached inode="$ino_new" reason~"executed"
check "ledger: the exec was stopped until the probes were on the new file" test $? -eq 0
sql agent_test "DROP TABLE app.scratch"
assert_contains "a governed DROP on that binary is cancelled" "$SQL_ERR" "$SW_CANCEL_MSG"
assert_eq "app.scratch survives" "t" "$(scratch_exists)"
sql analyst "SELECT 1"
assert_eq "ungoverned work runs on it" "0:1" "$SQL_RC:$SQL_OUT"

# ---- replaced by a file sqlward cannot gate: refused, and whatever executes it is killed --------
cp "$SW_PG_BIN" "$SW_TMP/postgres.good"
cp /bin/sleep "$SW_PG_BIN.new" && mv -f "$SW_PG_BIN.new" "$SW_PG_BIN"
timeout 60 "$SW_PG_BIN" 30 >/dev/null 2>&1
assert_eq "executing the ungateable file at the governed path is killed at once" 137 "$?"
assert_ledger "ledger: the file is refused with the reason" type=daemon event=binary_refused \
	error~"no PostgreSQL version string found"
cp "$SW_TMP/postgres.good" "$SW_PG_BIN.new" && mv -f "$SW_PG_BIN.new" "$SW_PG_BIN"
sql agent_test "DROP TABLE app.scratch"
assert_contains "the running cluster is still gated" "$SQL_ERR" "$SW_CANCEL_MSG"
gate_stop_check "daemon (binary replaced, stopped at exec)"

# ---- two gates stop the same exec: the last to let go resumes it, one that never does gets it killed --
# Cluster 2 on the same private binary, governed by daemon B (scoped to it); gate A (this script's,
# scoped to cluster 1) stops cluster 2's execs of a replaced binary too, attaches at once and must not
# resume the exec before B (delayed by a test hook) has its probes on the new file.
# (Cluster 2's postmaster is started by exec'ing the binary: pg_ctl would run `postgres -V` first, and
# that exec would be the one stopped.)
# (A first: the previous gate's pins kill execs of the file it never attached to.)
export SQLWARD_TEST_NO_BINARY_POLL=1 SQLWARD_TEST_EXEC_SIBLING_TIMEOUT_MS=12000
gate_start "$POLICY"
unset SQLWARD_TEST_NO_BINARY_POLL SQLWARD_TEST_EXEC_SIBLING_TIMEOUT_MS
C2_DIR=$(mktemp -d /tmp/sqlward-pg2.XXXXXX) && chmod 755 "$C2_DIR" && chown "$SW_PG_USER:" "$C2_DIR"
C2_DATA=$C2_DIR/data C2_PORT=$(pg_free_port)
c2_pm() { head -n1 "$C2_DATA/postmaster.pid" 2>/dev/null; }
c2_proc() { pgrep -f "^$SW_PG_BIN -D $C2_DATA" | head -n1; }
c2_sql() { SW_PG_PORT=$C2_PORT sql_db postgres "$@"; }
c2_run() {   # start the postmaster in the background (setpriv execs it: runuser would stop itself when it stops)
	(cd / && exec setpriv --reuid="$SW_PG_USER" --regid="$SW_PG_USER" --init-groups -- "$SW_PG_BIN" -D "$C2_DATA" \
		>>"$C2_DIR/postgres.log" 2>&1 9>&-) &
}
c2_ready() {
	local i
	for i in $(seq 1 150); do
		"$SW_PG_CLIENT_BINDIR/pg_isready" -q -h 127.0.0.1 -p "$C2_PORT" && return 0
		sleep 0.2
	done
	return 1
}
c2_halt() {
	local p; p=$(c2_proc)
	[ -n "$p" ] && kill -CONT "$p" $(pgrep -P "$p") 2>/dev/null
	_pg_as "$SW_PG_BINDIR/pg_ctl" -D "$C2_DATA" -m fast -w -t 20 stop >/dev/null 2>&1
	p=$(c2_proc); [ -n "$p" ] && kill -KILL "$p" 2>/dev/null
	return 0
}
sw_at_exit 'c2_halt; [ "${SW_KEEP:-0}" = 1 ] || rm -rf "$C2_DIR"'
_pg_as "$SW_PG_BINDIR/initdb" -D "$C2_DATA" -U "$SW_PG_SUPER" --auth=trust --encoding=UTF8 --locale=C.UTF-8 \
	--no-sync >"$C2_DIR/initdb.log" 2>&1 || { cat "$C2_DIR/initdb.log" >&2; sw_die "initdb of cluster 2 failed"; }
printf "listen_addresses = '127.0.0.1'\nport = %s\nunix_socket_directories = '%s'\nmax_connections = 20\nfsync = off\n" \
	"$C2_PORT" "$C2_DIR" >>"$C2_DATA/postgresql.conf"
c2_run
c2_ready || { cat "$C2_DIR/postgres.log" >&2; sw_die "cluster 2 did not start"; }
c2_sql "$SW_PG_SUPER" "CREATE ROLE agent_test LOGIN" "CREATE TABLE keep2 (id int)" "ALTER TABLE keep2 OWNER TO agent_test" ||
	sw_die "cluster 2 fixtures: $SQL_ERR"
c2_keep() { c2_sql "$SW_PG_SUPER" "SELECT to_regclass('keep2') IS NOT NULL" >/dev/null; printf '%s' "$SQL_OUT"; }

SW_B_N=0 SW_B_PID='' SW_B_PINS=/sys/fs/bpf/sqlward-test-$$-b
gate_b_start() {   # DELAY_MS: daemon B on cluster 2, attaching DELAY_MS late
	SW_B_N=$((SW_B_N + 1))
	SW_B_LEDGER=$SW_TMP/b$SW_B_N.jsonl SW_B_LOG=$SW_TMP/b$SW_B_N.log
	SQLWARD_TEST_NO_BINARY_POLL=1 SQLWARD_TEST_EXEC_ATTACH_DELAY_MS=$1 "$SQLWARD" run --policy "$POLICY" \
		--ledger "$SW_B_LEDGER" --socket "$SW_TMP/b$SW_B_N.sock" --pg-bin "$SW_PG_BIN" --postmaster-pid "$(c2_pm)" \
		--pin-dir "$SW_B_PINS" >"$SW_B_LOG" 2>&1 </dev/null 9>&- &
	SW_B_PID=$!
	local n=0
	while ! grep -q "gate ready" "$SW_B_LOG" 2>/dev/null; do
		if ! kill -0 "$SW_B_PID" 2>/dev/null || [ "$n" -ge 300 ]; then cat "$SW_B_LOG" >&2; sw_die "daemon B did not start"; fi
		sleep 0.1; n=$((n + 1))
	done
}
gate_b_stop() {
	[ -n "$SW_B_PID" ] && kill -TERM "$SW_B_PID" 2>/dev/null && wait "$SW_B_PID" 2>/dev/null
	SW_B_PID=
	"$SQLWARD" detach "$SW_B_PINS" >/dev/null 2>&1; rm -rf "$SW_B_PINS" 2>/dev/null
	return 0
}
sw_at_exit gate_b_stop
gate_b_start 4000
c2_sql agent_test "DROP TABLE keep2"
assert_contains "daemon B gates cluster 2 (a governed DROP is cancelled)" "$SQL_ERR" "$SW_CANCEL_MSG"

c2_halt
cp "$SW_PG_BIN" "$SW_PG_BIN.new" && mv -f "$SW_PG_BIN.new" "$SW_PG_BIN"
ino_new=$(stat -c %i "$SW_PG_BIN")
c2_run
check "cluster 2 starts on a binary neither daemon has looked at" c2_ready
c2_sql agent_test "DROP TABLE keep2"
assert_contains "at once, a governed DROP on cluster 2 is cancelled (not run before B attached)" "$SQL_ERR" "$SW_CANCEL_MSG"
assert_eq "keep2 survives" "t" "$(c2_keep)"
SW_LEDGER=$SW_B_LEDGER assert_ledger "ledger B: B attached to the new file" type=daemon event=binary_attached \
	inode="$ino_new" reason~"executed"
assert_ledger "ledger A: gate A resumed the exec only once B let go" type=daemon event=binary_exec_resumed \
	other_gates=1 waited_ms~""

# Daemon B killed while its gate holds a stop: nobody from B will let go; A kills the process (12 s here).
gate_b_stop
gate_b_start 60000
c2_halt
cp "$SW_PG_BIN" "$SW_PG_BIN.new" && mv -f "$SW_PG_BIN.new" "$SW_PG_BIN"
ino_new=$(stat -c %i "$SW_PG_BIN")
c2_run
n=0; while ! ledger_match type=daemon event=binary_attached inode="$ino_new" && [ "$n" -lt 4 ]; do n=$((n + 1)); done
stuck=$(c2_proc)
check "A attached to the new file (the exec is stopped)" ledger_match type=daemon event=binary_attached inode="$ino_new"
b_wd=$(pgrep -P "$SW_B_PID" -x sqlward-watch)
kill -KILL "$SW_B_PID" $b_wd; wait "$SW_B_PID" 2>/dev/null; SW_B_PID=
sleep 1
assert_eq "with B dead the exec stays stopped for now" "T" "$(proc_state "${stuck:-0}")"
n=0; while [ "$(proc_state "${stuck:-0}")" = T ] && [ "$n" -lt 200 ]; do sleep 0.1; n=$((n + 1)); done
check "A kills it once B held it too long" test -n "$stuck" -a "$(proc_state "${stuck:-0}")" != T
check "cluster 2 does not run on it" test "$(proc_state "${stuck:-0}")" = Z -o ! -d "/proc/${stuck:-0}"
assert_ledger "ledger A: the kill with its reason" type=daemon event=binary_exec_killed pid="${stuck:-0}" \
	reason~"did not release it within 12 s"
gate_b_stop
c2_halt
gate_stop_check "daemon A (two gates on one binary)"

# ---- a second daemon on the same binary ---------------------------------------------------
gate_start "$POLICY"
sql_bg agent_test "UPDATE app.t SET v = 'held-across-second-daemon' WHERE id = 1"
h_bg=$SQL_BG
check "an UPDATE is held by the first daemon" wait_pending 15 held-across-second-daemon
first_id=$PENDING_ID
"$SQLWARD" run --policy "$POLICY" --ledger "$SW_TMP/second.jsonl" --socket "$SW_TMP/second.sock" \
	--pg-bin "$SW_PG_BIN" --pin-dir "$SW_PIN_DIR-second" >"$SW_TMP/second.log" 2>&1 </dev/null 9>&- &
second=$!
sleep 0.5
n=0; while kill -0 "$second" 2>/dev/null && [ "$n" -lt 100 ]; do sleep 0.1; n=$((n + 1)); done
if kill -0 "$second" 2>/dev/null; then kill "$second"; fi
wait "$second"; rc=$?
assert_ne "a second unscoped daemon on the same binary refuses to start" 0 "$rc"
# It names one daemon holding the binary's lock: ours, or (under run.sh's lanes) another script's
# gate on the same binary, each scoped to its own cluster (all hold it shared).
holder=$(sed -n 's/.*another sqlward daemon (pid \([0-9]*\)) already governs.*/\1/p' "$SW_TMP/second.log" | head -n1)
if [ "$holder" = "$SW_GATE_PID" ] || [ "$(cat "/proc/${holder:-0}/comm" 2>/dev/null)" = sqlward ]; then
	ok "it names the daemon already governing (pid $holder)"
else
	not_ok "it names the daemon already governing" "named pid '${holder}', ours is $SW_GATE_PID" "$(cat "$SW_TMP/second.log")"
fi
"$SQLWARD" run --policy "$POLICY" --ledger "$SW_TMP/third.jsonl" --socket "$SW_TMP/third.sock" \
	--pg-bin "$SW_PG_BIN" --postmaster-pid "$(pg_postmaster_pid)" --pin-dir "$SW_PIN_DIR-third" \
	>"$SW_TMP/third.log" 2>&1 </dev/null 9>&-
assert_ne "a second daemon on the same cluster refuses to start" 0 "$?"
assert_contains "it names the cluster" "$(cat "$SW_TMP/third.log")" "the cluster in $SW_PG_DATA"
assert_eq "the first daemon's hold is still pending" "$first_id" "$(pending_list held-across-second-daemon | awk '{print $1}')"
assert_eq "its backend is still stopped" "T" "$(proc_state "$PENDING_PID")"
"$SQLWARD" deny "$first_id" --socket "$SW_SOCK" >/dev/null 2>&1
sql_wait "$h_bg"
assert_contains "the held UPDATE is refused by its own daemon" "$SQL_ERR" "$SW_CANCEL_MSG"
"$SQLWARD" detach "$SW_PIN_DIR-second" >/dev/null 2>&1; "$SQLWARD" detach "$SW_PIN_DIR-third" >/dev/null 2>&1

# ---- pins removed while the daemon runs --------------------------------------------------
rm -f "$SW_PIN_DIR"/*
n=0; while ! ledger_match type=daemon event=pins_restored && [ "$n" -lt 3 ]; do n=$((n + 1)); done
check "ledger: the removed pins were noticed and restored" ledger_match type=daemon event=pins_restored
check "the pins are back" test -n "$(ls "$SW_PIN_DIR" 2>/dev/null | grep '^link-')"

# ---- a daemon killed: what the gate did meanwhile is recorded by the next ------------------
wd=$(pgrep -P "$SW_GATE_PID" -x sqlward-watch)
kill -KILL "$SW_GATE_PID"; wait "$SW_GATE_PID" 2>/dev/null; SW_GATE_PID=
n=0; while [ -n "$wd" ] && kill -0 "$wd" 2>/dev/null && [ "$n" -lt 50 ]; do sleep 0.1; n=$((n + 1)); done
sql agent_test "DROP TABLE app.scratch /* while no daemon */"
assert_contains "with the daemon dead the restored pins still cancel a governed DROP" "$SQL_ERR" "$SW_CANCEL_MSG"
sql analyst "SELECT 4242 /* while no daemon */"
assert_eq "an ungoverned read runs while no daemon runs" "0:4242" "$SQL_RC:$SQL_OUT"
gate_start "$POLICY"
assert_ledger "ledger: the DROP cancelled while no daemon ran is recorded by the next daemon" \
	role=agent_test statement~"while no daemon" outcome=cancelled decided_by=kernel comment~"next daemon"
assert_ledger "ledger: the read that ran while no daemon ran is recorded by the next daemon" \
	role=analyst statement~"SELECT 4242" outcome=observed comment~"next daemon"
assert_ledger "ledger: the previous gate's counters are recorded" type=daemon event=previous_gate

# ---- daemon and watchdog killed together with a statement held ------------------------------
sql_bg agent_test "UPDATE app.t SET v = 'held-at-crash' WHERE id = 2"
h_bg=$SQL_BG
check "an UPDATE is held" wait_pending 15 held-at-crash
crash_pid=$PENDING_PID
wd=$(pgrep -P "$SW_GATE_PID" -x sqlward-watch)
kill -KILL "$SW_GATE_PID" $wd; wait "$SW_GATE_PID" 2>/dev/null; SW_GATE_PID=
sleep 0.5
assert_eq "with both gone the backend stays stopped (nobody could decide)" "T" "$(proc_state "$crash_pid")"
gate_start "$POLICY"
sql_wait "$h_bg"
assert_contains "the next daemon refuses what the stopped backend was doing" "$SQL_ERR" "$SW_CANCEL_MSG"
assert_eq "the UPDATE did not run" "f" "$(sql_admin_val "SELECT count(*) > 0 FROM app.t WHERE v = 'held-at-crash'")"
assert_ledger "ledger: the undecided hold gets a record from the next daemon" type=hold_unresolved \
	pid="$crash_pid" outcome=cancelled

# ---- pg_ctl stop -m fast with a statement held -------------------------------------------
sql_bg agent_test "UPDATE app.t SET v = 'held-at-shutdown' WHERE id = 1"
h_bg=$SQL_BG
check "an UPDATE is held" wait_pending 15 held-at-shutdown
t0=$(date +%s)
_pg_as "$SW_PG_BINDIR/pg_ctl" -D "$SW_PG_DATA" -m fast -w -t 30 stop >"$SW_TMP/stop.log" 2>&1
assert_eq "pg_ctl stop -m fast completes with a statement held" 0 "$?"
check "it does not wait for the hold's timeout" test $(($(date +%s) - t0)) -lt 20
sql_wait "$h_bg"
assert_ne "the held client is told its session ended" 0 "$SQL_RC"
assert_ledger "ledger: the hold is decided by the server's shutdown" hold="$PENDING_ID" decided_by=server outcome=terminated
_pg_as "$SW_PG_BINDIR/pg_ctl" -D "$SW_PG_DATA" -l "$SW_PG_LOG" -w -t 60 start >"$SW_TMP/start.log" 2>&1
check "the cluster starts again" "$SW_PG_BINDIR/pg_isready" -q -t 30 -h "$SW_PG_HOST" -p "$SW_PG_PORT"
assert_eq "the UPDATE did not run" "f" "$(sql_admin_val "SELECT count(*) > 0 FROM app.t WHERE v = 'held-at-shutdown'")"

# ---- SIGHUP storm: valid and malformed policies alternating, statements flowing -----------
good=$SW_TMP/good.yaml bad=$SW_TMP/bad.yaml
cp policies/default.yaml "$good"
printf 'sqlward_policy: 1\ndefault: maybe\n' >"$bad"
(
	for i in $(seq 1 30); do
		if [ $((i % 2)) -eq 0 ]; then cp "$good" "$POLICY"; else cp "$bad" "$POLICY"; fi
		kill -HUP "$SW_GATE_PID" 2>/dev/null
		sleep 0.05
	done
	cp "$good" "$POLICY"; kill -HUP "$SW_GATE_PID" 2>/dev/null
) &
storm=$!
drops=0 reads=0
for i in $(seq 1 15); do
	sql agent_test "DROP TABLE app.scratch /* storm $i */"
	case $SQL_ERR in *"$SW_CANCEL_MSG"*) drops=$((drops + 1)) ;; esac
	sql agent_test "SELECT count(*) FROM app.transactions /* storm $i */"
	[ "$SQL_RC:$SQL_OUT" = "0:200" ] && reads=$((reads + 1))
done
wait "$storm"
assert_eq "every governed DROP during the storm is cancelled" 15 "$drops"
assert_eq "every read during the storm runs" 15 "$reads"
assert_eq "app.scratch survives the storm" "t" "$(scratch_exists)"
check "the daemon survives the storm" kill -0 "$SW_GATE_PID"
sleep 0.5
contradictions=$(ledger_json --type all | python3 -c '
import json, sys
n = 0
for line in sys.stdin:
    r = json.loads(line)
    if r.get("verdict") == "deny" and r.get("outcome") in ("ran", "applied"): n += 1
    if r.get("verdict") == "allow" and r.get("outcome") == "cancelled" and r.get("decided_by") != "kernel": n += 1
print(n)')
assert_eq "no record says deny and ran (or allow and cancelled)" 0 "$contradictions"
check "the ledger verifies after everything" "$SQLWARD" verify --ledger "$SW_LEDGER"
gate_stop_check "daemon (after the storm)"

# ---- reviewers read the ledger without root (--ledger-group) -------------------------------
getent group sw-test-reviewers >/dev/null || groupadd --system sw-test-reviewers
getent passwd sw-rev >/dev/null || useradd --system --no-create-home --home-dir /nonexistent \
	--shell /usr/sbin/nologin -G sw-test-reviewers sw-rev
sw_at_exit "userdel sw-rev 2>/dev/null; groupdel sw-test-reviewers 2>/dev/null"
SW_GATE_EXTRA="--ledger-group sw-test-reviewers" gate_start "$POLICY"
sql agent_test "SELECT 77"
gate_stop
out=$(runuser -u sw-rev -- "$SQLWARD" verify --ledger "$SW_LEDGER" 2>&1)
check "a reviewer in the ledger group verifies the ledger without root" test $? -eq 0
out=$(runuser -u sw-rev -- "$SQLWARD" log --ledger "$SW_LEDGER" --format json 2>&1)
assert_contains "... and reads it" "$out" "SELECT 77"
check "the ledger is not world-readable" test "$(stat -c %a "$SW_LEDGER")" = 640
gate_log_on_failure

finish
