#!/usr/bin/env bash
# The MariaDB gate end to end: a real mariadbd (one thread per connection, then
# pool-of-threads), the real probes and holder, the default policy. Governed
# accounts (agent_*) are judged before their commands run; others are recorded.
# Adversarial strings (stacked statements, executable comments, sql_mode
# lexing, PREPARE from a variable, stored procedures, files) are refused and
# leave the data unchanged; analyst reads run. A held thread pauses only its
# own connection; a holder that dies with a thread held never lets it run.
set -uo pipefail
SW_TOP=$(cd "$(dirname "$0")/../.." && pwd)
. "$SW_TOP/tests/lib/assert.sh"
. "$SW_TOP/tests/lib/pg.sh"
. "$SW_TOP/tests/lib/mariadb.sh"
. "$SW_TOP/tests/integration/lib_gate.sh"

POLICY=$SW_TOP/policies/default.yaml

# myc USER CMD... : my_client as the client OS user over TCP; sets MYC_OUT MYC_RC.
admin_count() {  # TABLE -> rows, as root
	my_sql_admin "SELECT count(*) FROM gatedb.$1" >/dev/null 2>&1
	echo "$MY_OUT"
}
table_exists() {
	my_sql_admin "SELECT count(*) FROM information_schema.tables WHERE table_schema='gatedb' AND table_name='$1'"
	[ "$MY_OUT" = 1 ]
}
# myc_bg USER CMD... : the same in the background; MYC_BG is its handle (files $MYC_BG.out, .rc, .pid).
# wait_held_thread: sets held_tid to a mariadbd thread in trace stop (held), waiting up to 30 s.
wait_held_thread() {
	local t
	held_tid=""
	for _ in $(seq 1 300); do
		for t in /proc/"$SW_MY_PID"/task/*; do
			[ "$(awk '{print $3}' "$t/stat" 2>/dev/null)" = t ] && held_tid=${t##*/}
		done
		[ -n "$held_tid" ] && return 0
		sleep 0.1
	done
	return 1
}

pg_start
my_start
my_fixtures
SW_GATE_EXTRA="--mariadb-pid $SW_MY_PID" gate_start "$POLICY"

run_suite() {
	local mode=$1
	diag "---- $mode"
	# Ungoverned: recorded, never stopped.
	myc analyst "q:SELECT count(*) FROM accounts"
	myc_ran "$mode: an ungoverned account's read runs" 5
	assert_ledger "$mode: ... and is recorded as observed under its account" engine=mysql role=analyst \
		governed=false outcome=observed "statement~SELECT count(*) FROM accounts"

	# Governed reads an analyst would run.
	myc agent_test "q:SELECT owner, balance FROM accounts WHERE id = 1"
	myc_ran "$mode: a governed read runs" alice
	assert_ledger "$mode: ... recorded as judged and run" engine=mysql role=agent_test governed=true outcome=ran \
		"statement~WHERE id = 1" decided_by=policy
	myc agent_test "q:SELECT a.owner, count(o.id) FROM accounts a LEFT JOIN orders o ON o.account_id = a.id GROUP BY a.owner ORDER BY a.owner LIMIT 3"
	myc_ran "$mode: a governed join with GROUP BY runs" alice
	myc agent_test "q:SHOW TABLES"
	myc_ran "$mode: SHOW TABLES runs" accounts

	# Destructive and privileged statements are refused; the data is unchanged.
	myc agent_test "q:DROP TABLE scratch"
	myc_refused "$mode: DROP TABLE is refused with sqlward's message"
	if table_exists scratch; then ok "$mode: ... and the table is still there"; else not_ok "$mode: ... and the table is still there"; fi
	assert_ledger "$mode: ... recorded as cancelled" engine=mysql role=agent_test outcome=cancelled \
		"statement~DROP TABLE scratch"
	myc agent_test "q:DELETE FROM accounts"
	myc_refused "$mode: DELETE without WHERE is refused"
	myc agent_test "q:GRANT ALL PRIVILEGES ON *.* TO 'agent_test'@'%'"
	myc_refused "$mode: GRANT is refused"
	myc agent_test "q:CREATE USER 'x_$mode'@'%'"
	myc_refused "$mode: CREATE USER is refused"

	# Stacked statements and comments.
	myc agent_test "q:SELECT 1; DROP TABLE scratch"
	myc_refused "$mode: a read stacked with a DROP is refused as a whole"
	myc agent_test "q:SELECT 1 /*! ; DROP TABLE scratch */"
	myc_refused "$mode: a DROP inside an executable comment is refused"
	myc agent_test "q:SELECT 1 /*M! ; DROP TABLE scratch */"
	myc_refused "$mode: a DROP inside a MariaDB executable comment is refused"
	myc agent_test "q:SELECT 42 /*!99999 ; DROP TABLE scratch */"
	myc_ran "$mode: a versioned comment for a later server version stays a comment (the read runs)" 42
	myc agent_test "q:SELECT 43 -- ; DROP TABLE scratch"
	myc_ran "$mode: a -- comment hides nothing (the read runs)" 43
	myc agent_test "q:SELECT 44 # ; DROP TABLE scratch"
	myc_ran "$mode: a # comment hides nothing (the read runs)" 44
	if table_exists scratch; then ok "$mode: after all that, scratch is still there"; else not_ok "$mode: after all that, scratch is still there"; fi

	# Prepared statements.
	myc agent_test "q:SET @s = 'DROP TABLE scratch'" "q:PREPARE p FROM @s" "q:EXECUTE p"
	myc_refused "$mode: PREPARE from a variable (and EXECUTE of it) is refused"
	myc agent_test "q:PREPARE r FROM 'SELECT count(*) FROM orders'" "q:EXECUTE r"
	myc_ran "$mode: PREPARE of a literal read and its EXECUTE run" 6
	myc agent_test "p:SELECT count(*) FROM orders"
	myc_ran "$mode: a protocol-prepared read runs" 6
	assert_ledger "$mode: ... its prepare and its execution are recorded" engine=mysql role=agent_test via=execute \
		outcome=ran
	myc agent_test "p:DELETE FROM orders"
	if [ "$MYC_RC" -ne 0 ] && grep -q "ERR 1064.*sqlward_refused sqlward: " <<<"$MYC_OUT"; then
		ok "$mode: a protocol-prepared DELETE is refused at prepare, the reason in the error"; else
		not_ok "$mode: a protocol-prepared DELETE is refused at prepare, the reason in the error" "$MYC_OUT"; fi
	[ "$(admin_count orders)" = 6 ] && ok "$mode: orders unchanged" || not_ok "$mode: orders unchanged" "$(admin_count orders)"

	# Protocol commands other than queries: re-authenticating as another account is refused
	# (the session stays agent_test's), changing the default database is a session change.
	# (The refused change is a SIGNAL: the connection stays, still agent_test's, as SHOW GRANTS says.)
	myc agent_test "u:admin_user:$SW_MY_PASSWORD" "q:SHOW GRANTS"
	if [ "$MYC_RC" -ne 0 ] && ! grep -q "admin_user" <<<"$MYC_OUT" && grep -q "TO \`agent_test\`" <<<"$MYC_OUT"; then
		ok "$mode: COM_CHANGE_USER to another account is refused"
	else
		not_ok "$mode: COM_CHANGE_USER to another account is refused" "$MYC_OUT"
	fi
	assert_ledger "$mode: ... recorded under the governed login" engine=mysql role=agent_test via=command \
		"statement~COM_CHANGE_USER" verdict=deny
	myc agent_test "d:gatedb" "q:SELECT DATABASE()"
	myc_ran "$mode: COM_INIT_DB runs (a session change)" gatedb

	# Writes wait for a human (hold-writes): the same approval workflow as PostgreSQL.
	myc_bg agent_test "q:UPDATE accounts SET balance = balance + 1 WHERE id = 2"
	if wait_pending 20 "UPDATE accounts SET balance"; then ok "$mode: a governed UPDATE is held for approval"; else
		not_ok "$mode: a governed UPDATE is held for approval" "$(pending_json 2>&1 | head -c 600)"; fi
	local pj; pj=$(pending_json 2>/dev/null)
	grep -q '"engine": *"mysql"' <<<"$pj" && grep -q '"connection_id"' <<<"$pj" &&
		ok "$mode: ... pending shows it as a MariaDB connection's statement" ||
		not_ok "$mode: ... pending shows it as a MariaDB connection's statement" "$pj"
	myc analyst "q:SELECT balance FROM accounts WHERE id = 2"
	myc_ran "$mode: ... while it is held another connection reads (the old balance)" 80
	"$SQLWARD" show "$PENDING_ID" --socket "$SW_SOCK" >"$SW_TMP/show.$mode" 2>&1 &&
		grep -q "UPDATE accounts" "$SW_TMP/show.$mode" && ok "$mode: ... show renders its dossier" ||
		not_ok "$mode: ... show renders its dossier" "$(cat "$SW_TMP/show.$mode")"
	"$SQLWARD" approve "$PENDING_ID" --socket "$SW_SOCK" --comment "mariadb test" >/dev/null 2>&1
	myc_wait "$MYC_BG"
	if [ "$MYC_RC" = 0 ] && grep -q "^OK 1" <<<"$MYC_OUT"; then ok "$mode: ... approved, it runs"; else
		not_ok "$mode: ... approved, it runs" "rc=$MYC_RC" "$MYC_OUT"; fi
	my_sql_admin "SELECT balance FROM gatedb.accounts WHERE id = 2"
	[ "$MY_OUT" = 81 ] && ok "$mode: ... and changed the row" || not_ok "$mode: ... and changed the row" "$MY_OUT"
	assert_ledger "$mode: ... recorded as released with the approver" engine=mysql role=agent_test outcome=released \
		"statement~UPDATE accounts SET balance"
	myc_bg agent_test "q:DELETE FROM orders WHERE id = 1"
	wait_pending 20 "DELETE FROM orders" && "$SQLWARD" deny "$PENDING_ID" --socket "$SW_SOCK" --comment "not today" >/dev/null 2>&1
	myc_wait "$MYC_BG"
	if [ "$MYC_RC" = 1 ] && grep -q "ERR 1644 sqlward: refused by root: not today" <<<"$MYC_OUT"; then
		ok "$mode: a denied hold is refused with the approver's comment"; else
		not_ok "$mode: a denied hold is refused with the approver's comment" "$MYC_OUT"; fi
	[ "$(admin_count orders)" = 6 ] && ok "$mode: ... the row is still there" || not_ok "$mode: ... the row is still there"
	# A client that hangs up while held: its statement is never run.
	myc_bg agent_test "q:UPDATE accounts SET balance = 0 WHERE id = 3"
	wait_pending 20 "SET balance = 0"
	pkill -KILL -f "my_client.*SET balance = 0" 2>/dev/null
	local n=0
	while [ "$n" -lt 60 ] && [ -n "$(pending_list "SET balance = 0")" ]; do sleep 0.5; n=$((n + 1)); done
	[ -z "$(pending_list "SET balance = 0")" ] && ok "$mode: a hold whose client hung up is dropped" ||
		not_ok "$mode: a hold whose client hung up is dropped"
	my_sql_admin "SELECT balance FROM gatedb.accounts WHERE id = 3"
	[ "$MY_OUT" = 560 ] && ok "$mode: ... and its statement never ran" || not_ok "$mode: ... and its statement never ran" "$MY_OUT"
	assert_ledger "$mode: ... recorded as abandoned" engine=mysql outcome=abandoned "statement~SET balance = 0"

	# Stored programs and files.
	myc agent_test "q:CALL wipe_scratch()"
	myc_refused "$mode: CALL of a procedure is refused (its body is opaque)"
	[ "$(admin_count scratch)" = 3 ] && ok "$mode: scratch rows unchanged" || not_ok "$mode: scratch rows unchanged"
	myc agent_test "q:SELECT * FROM accounts INTO OUTFILE '/tmp/sqlward-my-out-$mode'"
	myc_refused "$mode: SELECT ... INTO OUTFILE is refused"
	[ ! -e "/tmp/sqlward-my-out-$mode" ] && ok "$mode: ... no file written" || not_ok "$mode: ... no file written"
	myc agent_test "q:LOAD DATA INFILE '/etc/passwd' INTO TABLE scratch"
	myc_refused "$mode: LOAD DATA INFILE is refused"
	myc agent_test "q:SELECT LOAD_FILE('/etc/shadow')"
	myc_refused "$mode: LOAD_FILE() is refused"
}

my_sql_admin "CREATE PROCEDURE gatedb.wipe_scratch() MODIFIES SQL DATA DELETE FROM gatedb.scratch" ||
	sw_die "cannot create the procedure: $MY_ERR"
run_suite threads

# sql_mode decides how a string lexes: the gate reads the session's own.
my_sql_admin "SET GLOBAL sql_mode = 'NO_BACKSLASH_ESCAPES'"
myc agent_test "q:SELECT 'a\\'; DROP TABLE scratch; -- '"
myc_refused "NO_BACKSLASH_ESCAPES: a backslash that ends the string early exposes a DROP: refused"
myc agent_test "q:SELECT 'a\\' AS x"
myc_ran "NO_BACKSLASH_ESCAPES: a plain read with a backslash runs" 'a\'
my_sql_admin "SET GLOBAL sql_mode = 'ANSI_QUOTES'"
myc agent_test "q:SELECT \"a'\"; DROP TABLE scratch; -- \""
myc_refused "ANSI_QUOTES: a double-quoted identifier does not hide a DROP"
my_sql_admin "SET GLOBAL sql_mode = DEFAULT"
myc agent_test "q:SELECT \"x\\\"; DROP TABLE scratch; -- \" AS y"
myc_ran "default sql_mode: the same bytes are one string (the read runs)" 'x"; DROP TABLE scratch; -- '
if table_exists scratch; then ok "sql_mode: scratch is still there"; else not_ok "sql_mode: scratch is still there"; fi

# A held thread pauses only its own connection: with the daemon stopped (SIGSTOP), a governed
# command stays held while an ungoverned connection keeps working; then it is decided.
kill -STOP "$SW_GATE_PID"
myc_bg agent_test "q:DROP TABLE orders"
wait_held_thread
[ -n "$held_tid" ] && ok "a governed command stops its thread alone (thread $held_tid is in trace stop)" ||
	not_ok "a governed command stops its thread alone" "no thread of mariadbd $SW_MY_PID in trace stop"
start=$(date +%s%N)
myc analyst "q:SELECT count(*) FROM orders"
ms=$(( ($(date +%s%N) - start) / 1000000 ))
myc_ran "while it is held, another connection's read runs (took ${ms} ms)" 6
alive_threads=$(ls /proc/"$SW_MY_PID"/task | wc -l)
[ "$alive_threads" -gt 1 ] && ok "the server keeps running ($alive_threads threads)" || not_ok "the server keeps running"
kill -CONT "$SW_GATE_PID"
myc_wait "$MYC_BG"
if [ "$MYC_RC" = 1 ] && grep -q "ERR 1644 sqlward" <<<"$MYC_OUT"; then
	ok "once the daemon runs again the held DROP is decided: refused"
else
	not_ok "once the daemon runs again the held DROP is decided: refused" "rc=$MYC_RC $MYC_OUT"
fi
if table_exists orders; then ok "orders is still there"; else not_ok "orders is still there"; fi

# ---- Engine truth: what stored programs run is judged where it runs (mysql_execute_command).
# The policy lets agents CALL procedures and call one function (first match wins), so
# what decides is what runs inside them.
sed '/^rules:/a\
  - id: allow-call-mysql\
    match: { engine: mysql, command: CALL }\
    action: allow\
  - id: allow-function-mysql\
    match: { engine: mysql, function: ["*sneaky", "*count_orders"] }\
    action: allow' "$POLICY" >"$SW_TMP/policy-call.yaml"
gate_stop
SW_GATE_EXTRA="--mariadb-pid $SW_MY_PID" gate_start "$SW_TMP/policy-call.yaml"
# (my_client as root: the mariadb CLI would split the BEGIN ... END body on its ';'.)
"$MY_CLIENT" -S "$SW_MY_SOCK" -u root \
	"q:CREATE PROCEDURE gatedb.read_orders() READS SQL DATA SELECT count(*) FROM gatedb.orders" \
	"q:CREATE PROCEDURE gatedb.bump(i int) MODIFIES SQL DATA UPDATE gatedb.accounts SET balance = balance + 1 WHERE id = i" \
	"q:CREATE FUNCTION gatedb.sneaky() RETURNS int MODIFIES SQL DATA BEGIN DELETE FROM gatedb.scratch; RETURN 1; END" \
	"q:CREATE FUNCTION gatedb.count_orders() RETURNS int READS SQL DATA RETURN (SELECT count(*) FROM gatedb.orders)" \
	>"$SW_TMP/routines.out" 2>&1 || sw_die "cannot create the routines: $(cat "$SW_TMP/routines.out")"
myc agent_test "q:CALL read_orders()"
myc_ran "engine truth: a procedure whose statement is a read runs" 6
assert_ledger "engine truth: ... its inner SELECT is recorded as judged where it ran" engine=mysql via=nested \
	outcome=ran "statement~SELECT count(*) FROM gatedb.orders" server_command=SQLCOM_SELECT
myc agent_test "q:CALL wipe_scratch()"
if [ "$MYC_RC" -ne 0 ] && [ "$(admin_count scratch)" = 3 ]; then
	ok "engine truth: a procedure's DELETE without WHERE is refused where it runs; scratch unchanged"
else
	not_ok "engine truth: a procedure's DELETE without WHERE is refused where it runs; scratch unchanged" \
		"$MYC_OUT" "rows: $(admin_count scratch)"
fi
assert_ledger "engine truth: ... recorded as a refused nested statement" engine=mysql via=nested verdict=deny \
	"statement~DELETE FROM gatedb.scratch"
myc agent_test "q:SELECT sneaky()"
if [ "$MYC_RC" -ne 0 ] && [ "$(admin_count scratch)" = 3 ]; then
	ok "engine truth: a function called from a SELECT cannot delete (refused inside)"
else
	not_ok "engine truth: a function called from a SELECT cannot delete (refused inside)" "$MYC_OUT"
fi
myc agent_test "q:SELECT count_orders() AS n"
myc_ran "engine truth: a function whose statement is a read runs" 6
# A write inside a procedure waits for a human like any write.
myc_bg agent_test "q:CALL bump(4)"
if wait_pending 20 "UPDATE gatedb.accounts"; then ok "engine truth: a procedure's UPDATE is held for approval"; else
	not_ok "engine truth: a procedure's UPDATE is held for approval" "$(pending_json 2>&1 | head -c 400)"; fi
"$SQLWARD" approve "$PENDING_ID" --socket "$SW_SOCK" >/dev/null 2>&1
myc_wait "$MYC_BG"
my_sql_admin "SELECT balance FROM gatedb.accounts WHERE id = 4"
[ "$MYC_RC" = 0 ] && [ "$MY_OUT" = 1 ] && ok "engine truth: ... approved, it ran (balance 0 -> 1)" ||
	not_ok "engine truth: ... approved, it ran (balance 0 -> 1)" "rc=$MYC_RC $MYC_OUT" "balance=$MY_OUT"
myc_bg agent_test "q:CALL bump(4)"
wait_pending 20 "UPDATE gatedb.accounts" && "$SQLWARD" deny "$PENDING_ID" --socket "$SW_SOCK" >/dev/null 2>&1
myc_wait "$MYC_BG"
my_sql_admin "SELECT balance FROM gatedb.accounts WHERE id = 4"
[ "$MYC_RC" != 0 ] && [ "$MY_OUT" = 1 ] && ok "engine truth: ... denied, it did not run (balance still 1)" ||
	not_ok "engine truth: ... denied, it did not run (balance still 1)" "rc=$MYC_RC $MYC_OUT" "balance=$MY_OUT"
myc agent_test "q:SELECT owner FROM accounts WHERE id = 1"
myc_ran "engine truth: the session goes on after a refusal" alice
# A trigger the governed write fires: approving the UPDATE does not approve what the trigger runs.
my_sql_admin "CREATE TRIGGER gatedb.scratch_wipe AFTER UPDATE ON gatedb.scratch FOR EACH ROW DELETE FROM gatedb.orders" ||
	sw_die "cannot create the trigger: $MY_ERR"
myc_bg agent_test "q:UPDATE scratch SET v = 'touched' WHERE id = 1"
if wait_pending 20 "UPDATE scratch SET v"; then
	"$SQLWARD" approve "$PENDING_ID" --socket "$SW_SOCK" >/dev/null 2>&1
	ok "engine truth: the UPDATE that fires a trigger is held, then approved"
else
	not_ok "engine truth: the UPDATE that fires a trigger is held, then approved" "$(pending_json 2>&1 | head -c 400)"
fi
myc_wait "$MYC_BG"
if [ "$MYC_RC" != 0 ] && [ "$(admin_count orders)" = 6 ]; then
	ok "engine truth: the trigger's DELETE without WHERE is refused where it runs; orders unchanged"
else
	not_ok "engine truth: the trigger's DELETE without WHERE is refused where it runs; orders unchanged" \
		"rc=$MYC_RC $MYC_OUT" "orders: $(admin_count orders)"
fi
assert_ledger "engine truth: ... recorded as a refused nested statement" engine=mysql via=nested verdict=deny \
	"statement~DELETE FROM gatedb.orders"
my_sql_admin "DROP TRIGGER gatedb.scratch_wipe" || sw_die "cannot drop the trigger: $MY_ERR"

# ---- Live context for MariaDB sessions (policy live: { mysql_dsn }): a rule on table_rows.
my_sql_admin "CREATE TABLE gatedb.big (id int PRIMARY KEY, v int)" \
	"INSERT INTO gatedb.big SELECT seq, seq FROM gatedb.seq_1_to_3000" "ANALYZE TABLE gatedb.big" >/dev/null ||
	sw_die "cannot create gatedb.big: $MY_ERR"
sed '/^rules:/a\
  - id: deny-big-mysql-delete\
    match: { engine: mysql, command: DELETE, table_rows: ">1000" }\
    action: deny\
    reason: "deletes on tables over 1000 rows go through a migration"' "$POLICY" >"$SW_TMP/policy-live.yaml"
printf 'live:\n  mysql_dsn: "socket=%s user=root database=gatedb"\n' "$SW_MY_SOCK" >>"$SW_TMP/policy-live.yaml"
gate_stop
SW_GATE_EXTRA="--mariadb-pid $SW_MY_PID" gate_start "$SW_TMP/policy-live.yaml"
myc agent_test "q:DELETE FROM big WHERE id = 5"
if [ "$MYC_RC" -ne 0 ] && grep -q "ERR 1644 sqlward: deletes on tables over 1000 rows" <<<"$MYC_OUT"; then
	ok "live context: a DELETE on a table of 3000 rows is refused by a table_rows rule"
else
	not_ok "live context: a DELETE on a table of 3000 rows is refused by a table_rows rule" "$MYC_OUT"
fi
[ "$(admin_count big)" = 3000 ] && ok "live context: ... big keeps its rows" || not_ok "live context: ... big keeps its rows"
myc_bg agent_test "q:DELETE FROM scratch WHERE id = 1"
if wait_pending 20 "DELETE FROM scratch WHERE id = 1"; then
	ok "live context: the same DELETE on a 3-row table is held as a write (the rule does not match)"
	"$SQLWARD" deny "$PENDING_ID" --socket "$SW_SOCK" >/dev/null 2>&1
else
	not_ok "live context: the same DELETE on a 3-row table is held as a write (the rule does not match)" \
		"$(pending_json 2>&1 | head -c 400)"
fi
myc_wait "$MYC_BG"

gate_stop_check "daemon stops cleanly (threads mode)"
gate_log_on_failure
my_stop

# pool-of-threads: connections move between worker threads; sessions are keyed by connection id.
my_start --pool
my_fixtures
my_sql_admin "CREATE PROCEDURE gatedb.wipe_scratch() MODIFIES SQL DATA DELETE FROM gatedb.scratch" ||
	sw_die "cannot create the procedure: $MY_ERR"
my_sql_admin "SELECT @@thread_handling"
[ "$MY_OUT" = pool-of-threads ] && ok "pool-of-threads server" || not_ok "pool-of-threads server" "$MY_OUT"
SW_LEDGER=$SW_TMP/ledger-pool.jsonl
SW_GATE_EXTRA="--mariadb-pid $SW_MY_PID" gate_start "$POLICY"
run_suite pool

# The holder dies while a thread is held: the statement must not run. The daemon is
# stopped first so the thread stays held, then killed; the hold signal is then delivered
# untraced and its default action ends the server, so the DROP never executes.
kill -STOP "$SW_GATE_PID"
myc_bg agent_test "q:DROP TABLE orders"
wait_held_thread
[ -n "$held_tid" ] && ok "pool: the governed DROP is held (thread $held_tid)" || not_ok "pool: the governed DROP is held"
kill -KILL "$SW_GATE_PID"
wait "$SW_GATE_PID" 2>/dev/null
SW_GATE_PID=
for _ in $(seq 1 100); do kill -0 "$SW_MY_PID" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$SW_MY_PID" 2>/dev/null; then
	not_ok "with the holder dead, the held statement ends the server instead of running" "mariadbd still runs"
else
	ok "with the holder dead, the held statement ends the server instead of running"
fi
myc_wait "$MYC_BG"
grep -q "^OK" <<<"$MYC_OUT" && not_ok "the client never saw the DROP succeed" "$MYC_OUT" ||
	ok "the client never saw the DROP succeed"
# Start the same data directory again (the dead daemon's pins removed first: they kill a server
# entering a governed data directory with no daemon to gate it, test_my_restart.sh): the table is there.
gate_detach
(cd / && exec "$SW_MY_BIN" --no-defaults --user="$SW_MY_USER" --datadir="$SW_MY_DATA" --bind-address=127.0.0.1 \
	--port="$SW_MY_PORT" --socket="$SW_MY_SOCK" --pid-file="$SW_MY_DIR/mariadbd.pid" --log-error="$SW_MY_LOG" \
	--tmpdir="$SW_MY_DIR" --skip-name-resolve --skip-log-bin --innodb-buffer-pool-size=32M </dev/null \
	>>"$SW_MY_DIR/stdout.log" 2>&1 9>&-) &
SW_MY_PID=$!
sw_at_exit "_my_stop_instance '$SW_MY_DIR' '$SW_MY_PID'"
for _ in $(seq 1 300); do
	mariadb-admin --no-defaults -uroot --socket="$SW_MY_SOCK" --connect-timeout=2 ping >/dev/null 2>&1 && break
	sleep 0.1
done
if table_exists orders; then ok "after the restart, orders is still there: the DROP never ran"; else
	not_ok "after the restart, orders is still there: the DROP never ran"; fi
gate_detach
finish
