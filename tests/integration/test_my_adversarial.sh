#!/usr/bin/env bash
# The MariaDB gate against a governed SUPER account (ALL PRIVILEGES ON *.* WITH GRANT
# OPTION, so only the gate stands in the way) under the default policy: protocol
# commands that act without a statement (COM_SHUTDOWN, COM_PROCESS_KILL,
# COM_REFRESH, COM_BINLOG_DUMP, COM_STMT_BULK_EXECUTE, ...), connection options
# (an init command, compression, the default database), comment and sql_mode
# tricks inside one packet, deferred execution (events, triggers, routines,
# EXECUTE IMMEDIATE, init_connect, SET STATEMENT) and statements with side
# effects are each stopped (refused, or held and then denied), and after each
# one nothing in the database changed: the data, the schema, stored programs,
# server settings and the server itself. Analysts' reads keep working.
# (test_mariadb_gate.sh covers the classes it already tests: stacked statements,
# /*! */ comments, global sql_mode lexing, PREPARE FROM @var, CALL, OUTFILE,
# LOAD DATA INFILE, LOAD_FILE, COM_CHANGE_USER, COM_INIT_DB, triggers/functions
# that write.)
set -uo pipefail
SW_TOP=$(cd "$(dirname "$0")/../.." && pwd)
. "$SW_TOP/tests/lib/assert.sh"
. "$SW_TOP/tests/lib/pg.sh"
. "$SW_TOP/tests/lib/mariadb.sh"
. "$SW_TOP/tests/integration/lib_gate.sh"

POLICY=$SW_TOP/policies/default.yaml
SU=agent_super

# What an attack could change, read as root: the data (checksums), schemas, tables and their
# engines, stored programs, foreign servers, plugins, the settings an attack would aim at, and the
# server's own count of KILL and FLUSH commands. The server must answer at all.
fingerprint() {
	my_sql_admin "SELECT (SELECT GROUP_CONCAT(schema_name ORDER BY schema_name) FROM information_schema.schemata),
	  (SELECT GROUP_CONCAT(table_name, ':', engine ORDER BY table_name) FROM information_schema.tables
	   WHERE table_schema = 'gatedb'),
	  (SELECT count(*) FROM information_schema.events), (SELECT count(*) FROM information_schema.triggers),
	  (SELECT count(*) FROM information_schema.routines WHERE routine_schema = 'gatedb'),
	  (SELECT count(*) FROM mysql.servers), (SELECT count(*) FROM information_schema.plugins),
	  @@global.init_connect, @@global.read_only, @@global.event_scheduler, @@global.general_log,
	  @@global.general_log_file, @@global.sql_mode, @@global.max_connections, @@global.tx_read_only,
	  (SELECT GROUP_CONCAT(variable_value) FROM information_schema.global_status
	   WHERE variable_name IN ('COM_KILL', 'COM_FLUSH', 'COM_SHUTDOWN')),
	  (SELECT next_not_cached_value FROM gatedb.seq)" \
		"CHECKSUM TABLE gatedb.accounts, gatedb.orders, gatedb.scratch EXTENDED" 2>/dev/null || echo "server down: $MY_ERR"
	echo "$MY_OUT"
}

# stopped NAME CMD...: my_client as the governed SUPER account; the command is refused, or held
# (then denied here, as a human would); and the database is as it was.
stopped() {
	local name=$1 n=0 how=refused; shift
	myc_bg "$SU" "$@"
	while ! [ -f "$MYC_BG.rc" ] && [ "$n" -lt 300 ]; do
		if [ -n "$(pending_list | head -n1)" ] && wait_pending 1; then
			how=held
			"$SQLWARD" deny "$PENDING_ID" --socket "$SW_SOCK" --comment "adversarial" >/dev/null 2>&1
		fi
		sleep 0.1; n=$((n + 1))
	done
	myc_wait "$MYC_BG"
	if [ "$MYC_RC" -ne 0 ] && grep -q "^ERR" <<<"$MYC_OUT" && ! grep -q "^OK [1-9]" <<<"$MYC_OUT"; then
		ok "$name: stopped ($how)"
	else
		not_ok "$name: stopped" "rc=$MYC_RC" "$MYC_OUT"
	fi
	local now; now=$(fingerprint)
	if [ "$now" = "$BASE" ]; then ok "$name: ... nothing changed in the database"; else
		not_ok "$name: ... nothing changed in the database" "before: $BASE" "after: $now"; fi
}
# refused NAME CMD...: as stopped, and refused by sqlward itself (its message, error 1644).
refused() {
	local name=$1; shift
	stopped "$name" "$@"
	grep -q "ERR 1644 sqlward" <<<"$MYC_OUT" && ok "$name: ... with sqlward's reason" ||
		not_ok "$name: ... with sqlward's reason" "$MYC_OUT"
}
reads() {  # NAME EXPECTED CMD...: the governed SUPER account's read runs
	local name=$1 want=$2; shift 2
	myc "$SU" "$@"
	myc_ran "$name" "$want"
}
le32() { printf '%02x%02x%02x%02x' $(($1 & 255)) $(($1 >> 8 & 255)) $(($1 >> 16 & 255)) $(($1 >> 24 & 255)); }

pg_start
my_start
my_fixtures
my_sql_admin "CREATE USER '$SU'@'%' IDENTIFIED BY '$SW_MY_PASSWORD'" \
	"GRANT ALL PRIVILEGES ON *.* TO '$SU'@'%' WITH GRANT OPTION" \
	"SET GLOBAL event_scheduler = ON" "CREATE SEQUENCE gatedb.seq" || sw_die "cannot create $SU: $MY_ERR"
SW_GATE_EXTRA="--mariadb-pid $SW_MY_PID" gate_start "$POLICY"
BASE=$(fingerprint)
grep -q "server down" <<<"$BASE" && sw_die "no fingerprint of the database: $BASE"

# An ungoverned connection that an attack would kill: it waits, then reads.
GO=$SW_TMP/go.victim
myc_bg analyst "w:$GO" "q:SELECT 'victim alive'"
VICTIM_BG=$MYC_BG
VICTIM=""
for _ in $(seq 1 100); do
	my_sql_admin "SELECT id FROM information_schema.processlist WHERE user = 'analyst' LIMIT 1"
	VICTIM=$MY_OUT; [ -n "$VICTIM" ] && break; sleep 0.1
done
[ -n "$VICTIM" ] || sw_die "the analyst connection never showed in the processlist"

diag "---- protocol commands that act without a statement"
refused "COM_SHUTDOWN" "c:8:00"
kill -0 "$SW_MY_PID" 2>/dev/null && ok "COM_SHUTDOWN: ... mariadbd still runs" || not_ok "COM_SHUTDOWN: ... mariadbd still runs"
assert_ledger "COM_SHUTDOWN: ... recorded as refused" engine=mysql role=$SU "statement~COM_SHUTDOWN" verdict=deny
refused "COM_PROCESS_KILL of another connection" "c:12:$(le32 "$VICTIM")"
refused "COM_REFRESH (FLUSH TABLES, STATUS)" "c:7:14"
refused "COM_DEBUG" "c:13"
refused "COM_PROCESS_INFO (other sessions' SQL)" "c:10"
refused "COM_BINLOG_DUMP" "c:18:04000000000000000000"
refused "COM_REGISTER_SLAVE" "c:21:0900000000000000000000000000000000"
refused "COM_DROP_DB" "c:6:$(printf gatedb | od -An -tx1 | tr -d ' \n')"
refused "KILL (SQL) of another connection" "q:KILL $VICTIM"
refused "SHUTDOWN (SQL)" "q:SHUTDOWN"
refused "KILL HARD QUERY of another connection" "q:KILL HARD QUERY $VICTIM"
refused "KILL SOFT CONNECTION of another connection" "q:KILL SOFT CONNECTION $VICTIM"
refused "KILL QUERY ID" "q:KILL QUERY ID $VICTIM"
refused "KILL USER (every connection of an account)" "q:KILL USER analyst"
refused "KILL HARD CONNECTION USER" "q:KILL HARD CONNECTION USER 'analyst'@'%'"
# Another connection's running statement through its plan: other sessions' SQL, as SHOW PROCESSLIST.
refused "SHOW EXPLAIN FOR another connection" "q:SHOW EXPLAIN FOR $VICTIM"
refused "SHOW ANALYZE FORMAT=JSON FOR another connection" "q:SHOW ANALYZE FORMAT=JSON FOR $VICTIM"
refused "EXPLAIN FOR CONNECTION" "q:EXPLAIN FORMAT=JSON FOR CONNECTION $VICTIM"
touch "$GO"
myc_wait "$VICTIM_BG"
myc_ran "the connection the attacks aimed at was never killed" "victim alive"
stopped "COM_SET_OPTION (multi-statements on), then a read stacked with a DELETE" "c:27:0000" \
	"q:SELECT 1; DELETE FROM scratch"
# An array-bound DELETE: its prepare is held and approved (one execution would be held again);
# the bulk execution is a command sqlward does not judge: refused.
myc_bg "$SU" "b:DELETE FROM scratch WHERE id = ?"
if wait_pending 20 "DELETE FROM scratch WHERE id = ?"; then
	"$SQLWARD" approve "$PENDING_ID" --socket "$SW_SOCK" >/dev/null 2>&1
fi
myc_wait "$MYC_BG"
if [ "$MYC_RC" -ne 0 ] && grep -q "ERR 1644 sqlward" <<<"$MYC_OUT"; then
	ok "COM_STMT_BULK_EXECUTE of an approved prepare is refused"
else
	not_ok "COM_STMT_BULK_EXECUTE of an approved prepare is refused" "rc=$MYC_RC" "$MYC_OUT"
fi
[ "$(fingerprint)" = "$BASE" ] && ok "COM_STMT_BULK_EXECUTE: ... nothing changed" ||
	not_ok "COM_STMT_BULK_EXECUTE: ... nothing changed" "$(fingerprint)"
assert_ledger "COM_STMT_BULK_EXECUTE: ... recorded as refused" engine=mysql "statement~COM_STMT_BULK_EXECUTE" verdict=deny

diag "---- connection options"
stopped "an init command (MYSQL_INIT_COMMAND) that deletes" -I "DELETE FROM scratch" "q:SELECT 1"
stopped "an init command that sets init_connect" -I "SET GLOBAL init_connect = 'DELETE FROM gatedb.scratch'" "q:SELECT 1"
refused "the compressed protocol: a DROP" -C "q:DROP TABLE scratch"
# A compressed frame may carry several packets; the last one then lies near the end of the server's
# read buffer, where a refusal's SIGNAL text (~170 bytes) does not fit: written there, it would run past
# the buffer into mariadbd's heap. It must arrive empty instead ("Query was empty"), the server unharmed.
stopped "the compressed protocol: a DROP ending a frame of two packets, near the end of the server's buffer" \
	-C "z:16370:DROP TABLE scratch"
assert_contains "... refused as an empty command: no text written past the server's buffer" "$MYC_OUT" "ERR 1065"
myc "$SU" "q:SELECT 1"
myc_ran "... and the server still serves" 1
refused "USE mysql, then a read of global_priv unqualified" "q:USE mysql" "q:SELECT user, priv FROM global_priv"
grep -q "root" <<<"$MYC_OUT" && not_ok "... no account rows came back" "$MYC_OUT" || ok "... no account rows came back"
refused "COM_INIT_DB mysql, then a read of user unqualified" "d:mysql" "q:SELECT user, password FROM user"
refused "COM_INIT_DB performance_schema, then other sessions' SQL" "d:performance_schema" \
	"q:SELECT sql_text FROM events_statements_history LIMIT 1"

diag "---- comments and sql_mode inside one packet"
refused "'--1' is not a comment: a DELETE after it" "q:SELECT 1 --1; DELETE FROM scratch"
refused "comments do not nest: a DELETE after '/* /* */'" "q:SELECT 1 /* /* */; DELETE FROM scratch; /* */"
refused "/*!100000 ... */ runs on 10.11: a DELETE inside" "q:SELECT 1 /*!100000 ; DELETE FROM scratch */"
refused "/*M!100000 ... */ runs on 10.11: a DELETE inside" "q:SELECT 1 /*M!100000 ; DELETE FROM scratch */"
refused "/*!00000 ... */: a DELETE inside" "q:SELECT 1 /*!00000 ; DELETE FROM scratch */"
stopped "SET sql_mode=NO_BACKSLASH_ESCAPES in the same packet exposes a DELETE" \
	"q:SET sql_mode = 'NO_BACKSLASH_ESCAPES'; SELECT 'a\\'; DELETE FROM scratch; -- '"
stopped "SET sql_mode=ANSI_QUOTES in the same packet exposes a DELETE" \
	"q:SET sql_mode = 'ANSI_QUOTES'; SELECT \"x\\\"; DELETE FROM scratch; -- \" AS y"
stopped "sql_mode=ORACLE: an anonymous block that updates" "q:SET sql_mode = ORACLE" \
	"q:BEGIN UPDATE accounts SET balance = 0 WHERE id = 1; END"
stopped "sql_mode=ORACLE: DECLARE ... BEGIN ... END that deletes" "q:SET sql_mode = ORACLE" \
	"q:DECLARE n INT; BEGIN DELETE FROM scratch; END"

diag "---- deferred execution and server settings"
refused "EXECUTE IMMEDIATE of a literal DELETE" "q:EXECUTE IMMEDIATE 'DELETE FROM scratch'"
refused "EXECUTE IMMEDIATE of a variable" "q:SET @s = 'DELETE FROM scratch'" "q:EXECUTE IMMEDIATE @s"
refused "EXECUTE IMMEDIATE of an expression" "q:EXECUTE IMMEDIATE CONCAT('DELETE FROM ', 'scratch')"
refused "CREATE EVENT that deletes at once (the scheduler is on)" \
	"q:CREATE EVENT wipe ON SCHEDULE AT CURRENT_TIMESTAMP DO DELETE FROM gatedb.scratch"
refused "CREATE TRIGGER" "q:CREATE TRIGGER wipe BEFORE INSERT ON accounts FOR EACH ROW DELETE FROM scratch"
refused "CREATE PROCEDURE ... SQL SECURITY DEFINER as root" \
	"q:CREATE DEFINER = 'root'@'localhost' PROCEDURE wipe() SQL SECURITY DEFINER DELETE FROM gatedb.scratch"
refused "CREATE FUNCTION" "q:CREATE FUNCTION wipe() RETURNS int RETURN 1"
refused "SET GLOBAL init_connect" "q:SET GLOBAL init_connect = 'DELETE FROM gatedb.scratch'"
refused "SET @@global.init_connect" "q:SET @@global.init_connect = 'DELETE FROM gatedb.scratch'"
refused "SET GLOBAL read_only" "q:SET GLOBAL read_only = 1"
refused "SET GLOBAL general_log_file" "q:SET GLOBAL general_log_file = '/tmp/sqlward-my-adv.log'"
refused "SET GLOBAL event_scheduler" "q:SET GLOBAL event_scheduler = OFF"
refused "SET GLOBAL max_connections" "q:SET @@GLOBAL.max_connections = 1"
refused "SET sql_log_bin = 0, then a write" "q:SET sql_log_bin = 0" "q:DELETE FROM scratch WHERE id = 1"
refused "SET check_constraint_checks = 0" "q:SET check_constraint_checks = 0"
refused "SET log_slow_filter (hides statements from the slow log)" "q:SET SESSION log_slow_filter = ''"
refused "SET GLOBAL TRANSACTION READ ONLY (every new session)" "q:SET GLOBAL TRANSACTION READ ONLY"
refused "SHOW BINLOG EVENTS (every change, other sessions' SQL)" "q:SHOW BINLOG EVENTS"
refused "SET STATEMENT sql_log_bin = 0 FOR a write" "q:SET STATEMENT sql_log_bin = 0 FOR DELETE FROM scratch WHERE id = 1"
refused "SET STATEMENT foreign_key_checks = 0 FOR a write" \
	"q:SET STATEMENT foreign_key_checks = 0 FOR DELETE FROM accounts WHERE id = 1"
refused "SET STATEMENT ... FOR a DELETE without WHERE" "q:SET STATEMENT max_statement_time = 5 FOR DELETE FROM scratch"
refused "nested SET STATEMENT: sql_log_bin = 0 inside" \
	"q:SET STATEMENT max_statement_time = 5 FOR SET STATEMENT sql_log_bin = 0 FOR DELETE FROM scratch WHERE id = 1"
stopped "SET STATEMENT ... FOR an UPDATE (held as the UPDATE)" \
	"q:SET STATEMENT max_statement_time = 5 FOR UPDATE scratch SET v = 'pwned' WHERE id = 1"
refused "SET STATEMENT check_constraint_checks = 0 FOR an INSERT" \
	"q:SET STATEMENT check_constraint_checks = 0 FOR INSERT INTO scratch VALUES (9, 'x')"
# An approved PREPARE of a write, then EXECUTE under sql_log_bin = 0: refused outright, not held as the
# prepared DELETE alone (which would hide the setting from the approver).
myc_bg "$SU" "q:PREPARE w FROM 'DELETE FROM scratch WHERE id = 1'" "q:SET STATEMENT sql_log_bin = 0 FOR EXECUTE w"
wait_pending 20 "PREPARE w" && "$SQLWARD" approve "$PENDING_ID" --socket "$SW_SOCK" >/dev/null 2>&1
HELD_AGAIN=no n=0
while ! [ -f "$MYC_BG.rc" ] && [ "$n" -lt 300 ]; do
	if [ -n "$(pending_list | head -n1)" ] && wait_pending 1; then
		HELD_AGAIN=yes; "$SQLWARD" deny "$PENDING_ID" --socket "$SW_SOCK" >/dev/null 2>&1
	fi
	sleep 0.1; n=$((n + 1))
done
myc_wait "$MYC_BG"
if [ "$HELD_AGAIN" = no ] && grep -q "^OK 0" <<<"$MYC_OUT" && grep -q "ERR 1644 sqlward" <<<"$MYC_OUT"; then
	ok "SET STATEMENT sql_log_bin = 0 FOR EXECUTE of an approved prepared write: refused, not held"
else
	not_ok "SET STATEMENT sql_log_bin = 0 FOR EXECUTE of an approved prepared write: refused, not held" \
		"held again: $HELD_AGAIN" "$MYC_OUT"
fi
[ "$(fingerprint)" = "$BASE" ] && ok "... nothing changed in the database" || not_ok "... nothing changed in the database"
stopped "SELECT NEXTVAL (advances a sequence)" "q:SELECT NEXTVAL(seq)"
stopped "SELECT NEXT VALUE FOR" "q:SELECT NEXT VALUE FOR seq"
stopped "SELECT SETVAL" "q:SELECT SETVAL(seq, 1000)"
stopped "DO NEXTVAL" "q:DO nextval (gatedb.seq)"
stopped "INSERT ... NEXT VALUE FOR" "q:INSERT INTO scratch VALUES (NEXT VALUE FOR seq, 'x')"
stopped "ALTER SEQUENCE ... RESTART" "q:ALTER SEQUENCE seq RESTART WITH 500"
refused "CREATE OR REPLACE SEQUENCE over a sequence" "q:CREATE OR REPLACE SEQUENCE seq"
refused "DROP SEQUENCE" "q:DROP SEQUENCE seq"
# The privilege catalog is one class: mysql.*, information_schema's *_PRIVILEGES / *_ROLES, others' grants.
refused "information_schema.USER_PRIVILEGES" "q:SELECT grantee, privilege_type FROM information_schema.USER_PRIVILEGES"
refused "information_schema.table_privileges" "q:SELECT * FROM information_schema.table_privileges LIMIT 5"
refused "information_schema.applicable_roles" "q:SELECT * FROM information_schema.applicable_roles"
refused "USE information_schema, then schema_privileges unqualified" "q:USE information_schema" \
	"q:SELECT grantee FROM schema_privileges"
refused "SHOW GRANTS FOR another account" "q:SHOW GRANTS FOR 'root'@'localhost'"
refused "mysql.roles_mapping" "q:SELECT * FROM mysql.roles_mapping"
refused "CREATE TEMPORARY TABLE ... SELECT from the privilege catalog" \
	"q:CREATE TEMPORARY TABLE tt SELECT * FROM mysql.global_priv"
refused "HANDLER OPEN of mysql.global_priv" "q:HANDLER mysql.global_priv OPEN" "q:HANDLER global_priv READ FIRST"
# SELECT ... INTO @v runs (a read into a variable); the PREPARE FROM @v after it is refused, and so the EXECUTE.
myc "$SU" "q:SELECT 'DELETE FROM scratch' INTO @v" "q:PREPARE s FROM @v" "q:EXECUTE s"
[ "$(grep -c "ERR 1644 sqlward" <<<"$MYC_OUT")" -eq 2 ] && ok "SELECT ... INTO @v, then PREPARE FROM @v and EXECUTE: both refused" ||
	not_ok "SELECT ... INTO @v, then PREPARE FROM @v and EXECUTE: both refused" "$MYC_OUT"
[ "$(fingerprint)" = "$BASE" ] && ok "... nothing changed in the database" || not_ok "... nothing changed in the database"
# Session settings that forge what the logs record, or change an approved statement behind its text.
refused "SET log_disabled_statements (hides from the general log)" "q:SET log_disabled_statements = 'sp'"
refused "SET binlog_row_image" "q:SET SESSION binlog_row_image = MINIMAL"
refused "SET insert_id (forges the next AUTO_INCREMENT)" "q:SET insert_id = 1000000"
refused "SET system_versioning_insert_history (forges history)" "q:SET system_versioning_insert_history = 1"
refused "SET default_storage_engine = BLACKHOLE" "q:SET default_storage_engine = BLACKHOLE"
refused "SET alter_algorithm = COPY" "q:SET alter_algorithm = COPY"
stopped "ANALYZE TABLE ... PERSISTENT FOR ALL (writes statistics)" "q:ANALYZE TABLE scratch PERSISTENT FOR ALL"
stopped "REPAIR TABLE" "q:REPAIR TABLE scratch USE_FRM"
refused "BACKUP STAGE START" "q:BACKUP STAGE START"
refused "BACKUP LOCK" "q:BACKUP LOCK scratch"
refused "RESET MASTER" "q:RESET MASTER"
refused "PURGE BINARY LOGS" "q:PURGE BINARY LOGS BEFORE NOW()"
refused "CHANGE MASTER" "q:CHANGE MASTER TO MASTER_HOST = '127.0.0.1'"
refused "SET DEFAULT ROLE for another account" "q:SET DEFAULT ROLE NONE FOR 'root'@'localhost'"
# gbk: 0xbf5c is one character, so the server reads the quote after it as the string's end.
refused "SET NAMES gbk, then a quote hidden behind a multibyte character" "q:SET NAMES gbk" \
	$'q:SELECT \'x\xbf\\\'; DELETE FROM scratch; -- \''
# Past the 4096 bytes an event carries: the whole text is judged.
PAD=$(head -c 6000 /dev/zero | tr '\0' x)
refused "INTO DUMPFILE after 6000 bytes of padding" \
	"q:SELECT '$PAD' AS pad, v FROM scratch WHERE id = 1 INTO DUMPFILE '/tmp/sqlward-my-adv-long-$$'"
[ ! -e "/tmp/sqlward-my-adv-long-$$" ] && ok "... no file written" || not_ok "... no file written"
refused "LOAD DATA LOCAL INFILE" "q:LOAD DATA LOCAL INFILE '/etc/hostname' INTO TABLE scratch"
refused "LOAD XML INFILE" "q:LOAD XML INFILE '/etc/hostname' INTO TABLE scratch"
refused "SELECT ... INTO DUMPFILE" "q:SELECT owner FROM accounts LIMIT 1 INTO DUMPFILE '/tmp/sqlward-my-adv-$$'"
[ ! -e "/tmp/sqlward-my-adv-$$" ] && ok "... no file written" || not_ok "... no file written"
refused "INSTALL SONAME" "q:INSTALL SONAME 'ha_blackhole'"
refused "INSTALL PLUGIN" "q:INSTALL PLUGIN blackhole SONAME 'ha_blackhole.so'"
refused "CREATE SERVER (FederatedX / CONNECT)" \
	"q:CREATE SERVER evil FOREIGN DATA WRAPPER mysql OPTIONS (HOST '127.0.0.1', DATABASE 'gatedb', USER 'root')"
refused "BINLOG (raw replication events)" "q:BINLOG 'AAAA'"
refused "XA START" "q:XA START 'x'"
refused "TRUNCATE without TABLE" "q:TRUNCATE scratch"
refused "CREATE OR REPLACE TABLE over a table (drops it first)" "q:CREATE OR REPLACE TABLE scratch (id int)"
refused "CREATE OR REPLACE DATABASE over a database" "q:CREATE OR REPLACE DATABASE gatedb"
refused "SET PASSWORD" "q:SET PASSWORD = PASSWORD('x')"
refused "DO SLEEP" "q:DO SLEEP(0)"
refused "DO GET_LOCK" "q:DO GET_LOCK('sw', 0)"
refused "DO RELEASE_ALL_LOCKS" "q:DO RELEASE_ALL_LOCKS()"
refused "a CTE that takes a named lock" "q:WITH t AS (SELECT GET_LOCK('sw', 0) AS g) SELECT g FROM t"
stopped "CREATE TABLE ... ENGINE=CONNECT" \
	"q:CREATE TABLE fed (id int) ENGINE=CONNECT TABLE_TYPE=MYSQL CONNECTION='mysql://root@127.0.0.1/gatedb/scratch'"
refused "ALTER TABLE ... ENGINE=BLACKHOLE (discards every row)" "q:ALTER TABLE scratch ENGINE=BLACKHOLE"
refused "ALTER TABLE ... DISCARD TABLESPACE" "q:ALTER TABLE scratch DISCARD TABLESPACE"
refused "CREATE TABLE ... ENGINE=CONNECT on a server file" \
	"q:CREATE TABLE pw (line varchar(500)) ENGINE=CONNECT TABLE_TYPE=DOS FILE_NAME='/etc/passwd'"
stopped "RENAME TABLE" "q:RENAME TABLE scratch TO scratch2"
stopped "REPLACE" "q:REPLACE INTO scratch VALUES (1, 'pwned')"
stopped "INSERT ... ON DUPLICATE KEY UPDATE" "q:INSERT INTO scratch VALUES (1, 'x') ON DUPLICATE KEY UPDATE v = 'pwned'"
stopped "INSERT ... SELECT" "q:INSERT INTO scratch SELECT id + 10, v FROM scratch"
stopped "SELECT ... FOR UPDATE" "q:SELECT v FROM scratch WHERE id = 1 FOR UPDATE"
stopped "FLUSH TABLES WITH READ LOCK" "q:FLUSH TABLES WITH READ LOCK"
stopped "LOCK TABLES ... WRITE" "q:LOCK TABLES scratch WRITE"

diag "---- analysts' reads keep working"
reads "SELECT runs" alice "q:SELECT owner FROM accounts WHERE id = 1"
reads "SHOW TABLES runs" scratch "q:SHOW TABLES"
reads "SHOW CREATE TABLE runs" "CREATE TABLE" "q:SHOW CREATE TABLE accounts"
reads "DESCRIBE runs" owner "q:DESCRIBE accounts"
reads "EXPLAIN of a SELECT runs" accounts "q:EXPLAIN SELECT owner FROM accounts WHERE id = 1"
reads "information_schema.tables runs" orders \
	"q:SELECT table_name FROM information_schema.tables WHERE table_schema = 'gatedb' ORDER BY 1 LIMIT 5"
reads "information_schema.columns runs" balance \
	"q:SELECT column_name FROM information_schema.columns WHERE table_schema = 'gatedb' AND table_name = 'accounts' LIMIT 10"
reads "a read through a cursor (COM_STMT_EXECUTE + COM_STMT_FETCH) runs" bob "C:SELECT owner FROM accounts WHERE id = 2"
reads "a read over the compressed protocol runs" carol -C "q:SELECT owner FROM accounts WHERE id = 3"
reads "HANDLER OPEN / READ / CLOSE runs" "row 1" "q:HANDLER scratch OPEN" "q:HANDLER scratch READ FIRST" "q:HANDLER scratch CLOSE"
reads "a read after an allowed init command runs" dave -I "SET NAMES utf8mb4" "q:SELECT owner FROM accounts WHERE id = 4"
reads "a read of an application table after COM_INIT_DB runs" erin "d:gatedb" "q:SELECT owner FROM accounts WHERE id = 5"
reads "SET STATEMENT max_statement_time FOR a read runs" alice \
	"q:SET STATEMENT max_statement_time = 5 FOR SELECT owner FROM accounts WHERE id = 1"
reads "a window function runs" "bob	2" \
	"q:SELECT owner, ROW_NUMBER() OVER (ORDER BY id) AS rn FROM accounts ORDER BY id LIMIT 1 OFFSET 1"
reads "a table value constructor (VALUES) runs" tvc "q:VALUES (1, 'tvc')"
reads "CHECKSUM TABLE runs" "gatedb.scratch" "q:CHECKSUM TABLE scratch"
reads "SHOW GRANTS FOR CURRENT_USER() (its own) runs" "GRANT ALL PRIVILEGES" "q:SHOW GRANTS FOR CURRENT_USER()"
reads "a sequence's state read as a table runs" 1 "q:SELECT next_not_cached_value FROM seq"
reads "LASTVAL / PREVIOUS VALUE FOR (this session's last value) run" "none	none" \
	"q:SELECT COALESCE(LASTVAL(seq), 'none'), COALESCE(PREVIOUS VALUE FOR seq, 'none')"
reads "SHOW CREATE SEQUENCE runs" "CREATE SEQUENCE" "q:SHOW CREATE SEQUENCE seq"
reads "a read of 6000 bytes runs" alice "q:SELECT '$PAD' AS pad, owner FROM accounts WHERE id = 1"

[ "$(fingerprint)" = "$BASE" ] && ok "at the end the database is as it was" || not_ok "at the end the database is as it was"
gate_stop_check
gate_log_on_failure
finish
