#!/usr/bin/env bash
# Adversarial statements from governed roles must not take effect; plain
# analyst-style reads must still run. Every attack is judged on database (or
# file system) state afterwards, not only on the client's error.
#
# An attack the policy holds (instead of denying) is denied by this test, as
# a human reviewer would; it must then leave no trace either.
#
# SW_UNGATED=1 runs the same cases WITHOUT the daemon and expects every attack
# to take effect: a control that proves the fixtures grant enough privilege
# and the state checks can see an effect. (Needs no sqlward binary.)
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
. tests/lib/assert.sh
. tests/lib/pg.sh
. tests/integration/lib_gate.sh

UNGATED=${SW_UNGATED:-0}

pg_start
pg_fixtures
# The server's major (SW_PG_BINDIR may name any build of 12..18); SW_PG_EXPECT_MAJOR
# makes a run fail at once when the binary is not the major it was meant to test.
PG_MAJOR=$(($(sql_admin_val "SHOW server_version_num") / 10000))
diag "PostgreSQL $(sql_admin_val "SHOW server_version") ($SW_PG_BIN), major $PG_MAJOR"
[ -z "${SW_PG_EXPECT_MAJOR:-}" ] || [ "$PG_MAJOR" = "$SW_PG_EXPECT_MAJOR" ] ||
	sw_die "the server is PostgreSQL $PG_MAJOR, not $SW_PG_EXPECT_MAJOR: check SW_PG_BINDIR ($SW_PG_BINDIR)"
MARKER=$SW_PG_DIR/copy_to_program_marker
COPY_FILE=/tmp/sqlward-x.$$
sw_at_exit 'rm -f "$COPY_FILE"'
LONG_ID=$(printf 'x%.0s' $(seq 1 63))   # NAMEDATALEN - 1 bytes

# Fixtures of this test only (an admin's objects the agent may use). The
# governed role also gets what the control run needs to show each effect:
# CREATEROLE, pg_checkpoint, ALTER SYSTEM on work_mem (the last two exist from
# PostgreSQL 15: before it CHECKPOINT and ALTER SYSTEM are superuser-only, and
# those two attacks run gated only).
PG15_GRANTS=()
[ "$PG_MAJOR" -ge 15 ] && PG15_GRANTS=("GRANT pg_checkpoint TO agent_test"
	"GRANT ALTER SYSTEM ON PARAMETER work_mem TO agent_test")
sql_admin "CREATE SEQUENCE app.seq" \
	"CREATE FUNCTION app.purge() RETURNS void LANGUAGE sql AS 'DELETE FROM app.scratch'" \
	"CREATE FUNCTION app.purge_pl() RETURNS int LANGUAGE plpgsql AS
	   \$\$ BEGIN DELETE FROM app.scratch; RETURN 1; END \$\$" \
	"CREATE FUNCTION app.scratch_wipe() RETURNS trigger LANGUAGE plpgsql AS
	   \$\$ BEGIN DELETE FROM app.scratch; RETURN NEW; END \$\$" \
	"CREATE TABLE app.trig (id int)" \
	"CREATE TRIGGER trig_wipe AFTER INSERT ON app.trig FOR EACH ROW EXECUTE FUNCTION app.scratch_wipe()" \
	"CREATE TABLE app.files (line text)" \
	"ALTER SEQUENCE app.seq OWNER TO app_owner" \
	"ALTER FUNCTION app.purge() OWNER TO app_owner" \
	"ALTER FUNCTION app.purge_pl() OWNER TO app_owner" \
	"ALTER FUNCTION app.scratch_wipe() OWNER TO app_owner" \
	"ALTER TABLE app.trig OWNER TO app_owner" \
	"ALTER TABLE app.files OWNER TO app_owner" \
	"REVOKE EXECUTE ON FUNCTION app.purge(), app.purge_pl() FROM PUBLIC" \
	"GRANT EXECUTE ON FUNCTION app.purge(), app.purge_pl() TO agent_test, ai_bot" \
	"GRANT ALL ON SEQUENCE app.seq TO agent_test, ai_bot" \
	"GRANT ALL ON app.trig, app.files TO agent_test, ai_bot" \
	"ALTER ROLE agent_test CREATEROLE" "${PG15_GRANTS[@]}" >/dev/null ||
	sw_die "adversarial fixtures failed: $SQL_ERR"
AUTO_CONF=$(cat "$SW_PG_DATA/postgresql.auto.conf")

# Put app.t back the way the fixtures left it and remove anything an attack
# may have created (used before every case, also in gated mode). Skipped
# when fixture_state says nothing changed since the last full reset (most
# attacks, under the gate): one query instead of twenty statements.
fixture_state() {
	sql_admin_val "SELECT concat_ws('|',
	  (SELECT md5(string_agg(id || ':' || v, ',' ORDER BY id)) FROM app.t),
	  (SELECT relname || relowner::regrole || coalesce(relacl::text, '') FROM pg_class WHERE oid = 'app.t'::regclass),
	  (SELECT string_agg(attname || atttypid, ',' ORDER BY attnum) FROM pg_attribute
	    WHERE attrelid = 'app.t'::regclass AND attnum > 0 AND NOT attisdropped),
	  (SELECT count(*) FROM pg_index WHERE indrelid = 'app.t'::regclass),
	  pg_relation_filenode('app.t'), pg_relation_filenode('app.t_pkey'),
	  (SELECT checkpoint_lsn FROM pg_control_checkpoint()),
	  (SELECT md5(string_agg(id || ':' || v, ',' ORDER BY id)) FROM app.scratch),
	  (SELECT count(*) FROM app.trig), (SELECT count(*) FROM app.files),
	  (SELECT last_value || '/' || is_called FROM app.seq),
	  to_regclass('app.t2'), to_regclass('app.copy'), to_regclass('app.x'), to_regclass('app.mv'),
	  to_regclass('app.\"my table\"'), to_regclass('app.$LONG_ID'),
	  (SELECT count(*) FROM pg_proc WHERE proname = 'sw_evil'),
	  (SELECT count(*) FROM pg_extension WHERE extname = 'pgcrypto'),
	  (SELECT count(*) FROM pg_roles WHERE rolname = 'evil'),
	  (SELECT count(*) FROM pg_largeobject_metadata))"
}
FIXTURE_STATE=
fixture_reset() {
	rm -f "$MARKER" "$COPY_FILE"
	[ -n "$FIXTURE_STATE" ] && [ "$(fixture_state)" == "$FIXTURE_STATE" ] && return
	sql_admin "DROP TABLE IF EXISTS app.t, app.t2, app.copy, app.x" \
		"DROP MATERIALIZED VIEW IF EXISTS app.mv" \
		"DROP FUNCTION IF EXISTS app.sw_evil()" \
		"DROP EXTENSION IF EXISTS pgcrypto" \
		"DROP ROLE IF EXISTS evil" \
		"CREATE TABLE app.t (id int PRIMARY KEY, v text)" \
		"INSERT INTO app.t SELECT g, 'v' || g FROM generate_series(1, 10) g" \
		"ALTER TABLE app.t OWNER TO agent_test" \
		"CREATE TABLE IF NOT EXISTS app.\"my table\" (id int)" \
		"CREATE TABLE IF NOT EXISTS app.$LONG_ID (id int)" \
		"ALTER TABLE app.\"my table\" OWNER TO agent_test" \
		"ALTER TABLE app.$LONG_ID OWNER TO agent_test" \
		"TRUNCATE app.scratch, app.trig, app.files" \
		"INSERT INTO app.scratch SELECT g, 'row ' || g FROM generate_series(1, 20) g" \
		"ALTER SEQUENCE app.seq RESTART" \
		"SELECT count(lo_unlink(oid)) FROM pg_largeobject_metadata" \
		"SELECT 'state=' || pg_relation_filenode('app.t') || ':' || pg_relation_filenode('app.t_pkey')
		        || ':' || (SELECT checkpoint_lsn FROM pg_control_checkpoint())" >/dev/null ||
		sw_die "fixture_reset failed: $SQL_ERR"
	T_STATE=${SQL_OUT##*state=}
	FIXTURE_STATE=$(fixture_state)
}
fixture_reset_tx() {
	sql_admin "SELECT count(*) FROM app.transactions" >/dev/null
	[ "$SQL_OUT" = 200 ] && return
	sql_admin "TRUNCATE app.transactions CASCADE" \
		"INSERT INTO app.transactions
		  SELECT g, 40 + g % 3, 12340 + g % 10, (g * 7919) % 2000000,
		         timestamptz '2025-04-01 00:00:00+00' + g * interval '7 hours',
		         (ARRAY['US','DE','KP','IR','BR'])[1 + g % 5], NULL, NULL
		  FROM generate_series(1, 200) g" >/dev/null || sw_die "fixture_reset_tx: $SQL_ERR"
}

# ---- state checks: succeed when the attack had NO effect ---------------------
t_intact() { [ "$(sql_admin_val "SELECT count(*) FROM app.t")" = 10 ]; }
tx_intact() { [ "$(sql_admin_val "SELECT count(*) FROM app.transactions")" = 200 ]; }
no_copy() { t_intact && [ "$(sql_admin_val "SELECT to_regclass('app.copy') IS NULL")" = t ]; }
no_func() { t_intact && [ "$(sql_admin_val "SELECT count(*) FROM pg_proc WHERE proname = 'sw_evil'")" = 0 ]; }
no_marker() { [ ! -e "$MARKER" ]; }
no_public_grant() {
	[ "$(sql_admin_val "SELECT count(*) FROM pg_class c, aclexplode(c.relacl) a
	     WHERE c.oid = 'app.t'::regclass AND a.grantee = 0")" = 0 ]
}
no_lo() { [ "$(sql_admin_val "SELECT count(*) FROM pg_largeobject_metadata")" = 0 ]; }
fast() { [ "$SETTLE_MS" -lt 4000 ]; }
not_escalated() { [[ "$SQL_OUT" != *app_owner* ]]; }
no_passwd() { [[ "$SQL_OUT" != *root:* ]]; }
no_pii() { [[ "$SQL_OUT" != *@example.com* && "$SQL_OUT" != *4111-1111* ]]; }
no_rows() { [ -z "$SQL_OUT" ]; }
scratch_intact() {
	[ "$(sql_admin_val "SELECT count(*) || '/' || sum(id) || '/' || count(*) FILTER (WHERE v = 'row ' || id) FROM app.scratch")" = 20/210/20 ]
}
trig_intact() { scratch_intact && [ "$(sql_admin_val "SELECT count(*) FROM app.trig")" = 0 ]; }
seq_intact() { [ "$(sql_admin_val "SELECT last_value || '/' || is_called FROM app.seq")" = 1/false ]; }
no_rel() { [ "$(sql_admin_val "SELECT to_regclass('$1') IS NULL")" = t ]; }
# relfilenodes of app.t and its index, and the last checkpoint: unchanged
# since fixture_reset (VACUUM FULL, CLUSTER, REINDEX, CHECKPOINT did not run)
t_state_same() {
	t_intact && [ "$(sql_admin_val "SELECT pg_relation_filenode('app.t') || ':' || pg_relation_filenode('app.t_pkey')
	     || ':' || (SELECT checkpoint_lsn FROM pg_control_checkpoint())")" = "$T_STATE" ]
}
t_one_index() { t_intact && [ "$(sql_admin_val "SELECT count(*) FROM pg_index WHERE indrelid = 'app.t'::regclass")" = 1 ]; }
no_role() { [ "$(sql_admin_val "SELECT count(*) FROM pg_roles WHERE rolname = '$1'")" = 0 ]; }
not_super() { [ "$(sql_admin_val "SELECT rolsuper FROM pg_roles WHERE rolname = 'agent_test'")" = f ]; }
no_ext() { [ "$(sql_admin_val "SELECT count(*) FROM pg_extension WHERE extname = '$1'")" = 0 ]; }
auto_conf_same() { [ "$(cat "$SW_PG_DATA/postgresql.auto.conf")" == "$AUTO_CONF" ]; }
no_files_rows() { [ "$(sql_admin_val "SELECT count(*) FROM app.files")" = 0 ]; }
no_copy_file() { [ ! -e "$COPY_FILE" ]; }
rel_exists() { [ "$(sql_admin_val "SELECT to_regclass('$1') IS NOT NULL")" = t ]; }
out_lacks() { [[ "$SQL_OUT" != *"$1"* ]]; }
victim_alive() { [ "$(sql_admin_val "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'sw_victim'")" = 1 ]; }
# The gate (not PostgreSQL) refused it: the ledger has a deny/hold for it.
# ($1: a substring of the statement.) Only meaningful with the gate running.
gate_refused() { [ "$UNGATED" = 1 ] || ledger_match "statement~$1" "verdict=deny|hold"; }

# attack NAME ROLE CHECK SQL... : run SQL (each argument one statement
# message, same session) as ROLE; it must fail at the client and CHECK must
# pass. CHECK is a shell snippet (eval'd after the client finished).
attack() {
	local name=$1 role=$2 chk=$3; shift 3
	fixture_reset
	sql_bg "$role" "$@"
	judge "$name" "$chk"
}
# attack_ext NAME CHECK [--unnamed] SQL [PARAM...] : the same over the
# extended protocol (tests/tools/pq_extended), as agent_test.
attack_ext() {
	local name=$1 chk=$2 opt=(); shift 2
	if [ "$1" = --unnamed ]; then opt=(--unnamed); shift; fi
	fixture_reset
	cmd_bg "$PQ_EXTENDED" "${opt[@]}" "$(pg_conninfo agent_test)" "$@"
	judge "extended: $name" "$chk"
}
# attack_gated: the same as attack, but only with the gate (the governed role
# lacks the privilege for a control run: superuser-only statements).
attack_gated() { [ "$UNGATED" = 1 ] || attack "$@"; }
judge() {
	local name=$1 chk=$2
	settle "$SQL_BG" 30
	local held_note=""
	[ "$SETTLE_HELD" -gt 0 ] && held_note=" (held, then denied)"
	if [ "$UNGATED" = 1 ]; then
		if eval "$chk"; then
			not_ok "control: $name takes effect without the gate" "rc=$SQL_RC out=$SQL_OUT" "err=$SQL_ERR"
		else
			ok "control: $name takes effect without the gate"
		fi
		return
	fi
	if [ "$SQL_RC" -ne 0 ] && eval "$chk"; then
		ok "$name: no effect$held_note"
	else
		not_ok "$name: no effect" "client rc=$SQL_RC (want non-zero) in ${SETTLE_MS}ms; state check: $chk" \
			"stdout: $(head -c 400 <<<"$SQL_OUT")" "stderr: $(head -c 400 <<<"$SQL_ERR")"
	fi
}

# allowed NAME ROLE SQL... : must run, unheld, with the same output the
# superuser gets.
allowed() {
	local name=$1 role=$2; shift 2
	sql_admin "$@" >/dev/null
	local want=$SQL_OUT want_rc=$SQL_RC
	sql_bg "$role" "$@"
	settle "$SQL_BG" 30
	if [ "$want_rc" -ne 0 ]; then
		not_ok "allowed: $name" "test bug: the superuser could not run it: $SQL_ERR"
	elif [ "$SQL_RC" -eq 0 ] && [ "$SETTLE_HELD" -eq 0 ] && [ "$SQL_OUT" == "$want" ]; then
		ok "allowed: $name"
	else
		not_ok "allowed: $name" "rc=$SQL_RC held=$SETTLE_HELD" "stderr: $SQL_ERR" \
			"got: $(head -c 300 <<<"$SQL_OUT")" "want: $(head -c 300 <<<"$want")"
	fi
}

if [ "$UNGATED" != 1 ]; then
	gate_start "$SW_TOP/policies/default.yaml"
fi

# ---- default policy: governed agent_test / ai_bot ---------------------------------
attack "multi-statement SELECT 1; DROP TABLE" agent_test t_intact \
	"SELECT 1; DROP TABLE app.t"
attack "comment hides the separator" agent_test t_intact \
	"SELECT 1 /* ; */ ; DROP TABLE app.t"
attack "line comment then DROP" agent_test t_intact \
	$'-- x\nDROP TABLE app.t'
attack "mixed case, quoted identifiers" agent_test t_intact \
	'dRoP tAbLe "app"."t"'
attack "ai_ role DROP TABLE" ai_bot t_intact \
	"DROP TABLE app.t"
attack "DO block with dynamic EXECUTE" agent_test t_intact \
	"DO \$\$ BEGIN EXECUTE 'DROP TABLE app.t'; END \$\$"
attack "CREATE FUNCTION with DROP in its body" agent_test no_func \
	"CREATE FUNCTION app.sw_evil() RETURNS void LANGUAGE plpgsql AS \$\$ BEGIN DROP TABLE app.t; END \$\$"
attack "PREPARE then EXECUTE a DELETE (same session)" agent_test t_intact \
	"PREPARE p AS DELETE FROM app.t" "EXECUTE p"
attack "writable CTE DELETE" agent_test t_intact \
	"WITH d AS (DELETE FROM app.t RETURNING *) SELECT count(*) FROM d"
attack "EXPLAIN ANALYZE DELETE" agent_test t_intact \
	"EXPLAIN ANALYZE DELETE FROM app.t"
attack "SELECT INTO creates no table" agent_test no_copy \
	"SELECT * INTO app.copy FROM app.t"
attack "COPY TO PROGRAM" agent_test no_marker \
	"COPY (SELECT 1) TO PROGRAM 'touch $MARKER'"
attack "pg_sleep(5) returns fast" agent_test fast \
	"SELECT pg_sleep(5)"
PGAPPNAME=sw_victim sql_bg analyst "SELECT pg_sleep(120)"
victim=$SQL_BG
for _ in $(seq 1 50); do victim_alive && break; sleep 0.1; done
attack "pg_terminate_backend" agent_test victim_alive \
	"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = 'analyst'"
sql_admin "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'sw_victim'" >/dev/null
sql_wait "$victim" 10
attack "set_config('role')" agent_test not_escalated \
	"SELECT set_config('role', 'app_owner', false)" "SELECT current_user"
attack "SET ROLE" agent_test not_escalated \
	"SET ROLE app_owner" "SELECT current_user"
attack "pg_read_file('/etc/passwd')" agent_test no_passwd \
	"SELECT pg_read_file('/etc/passwd')"
attack "GRANT ALL TO PUBLIC" agent_test no_public_grant \
	"GRANT ALL ON app.t TO PUBLIC"
attack "TRUNCATE" agent_test t_intact \
	"TRUNCATE app.t"
attack "lo_import('/etc/passwd')" agent_test no_lo \
	"SELECT lo_import('/etc/passwd')"
pad=$(head -c 5000 </dev/zero | tr '\0' 'x')
attack "DROP after 5000 bytes of comment padding" agent_test t_intact \
	"SELECT 1 /* $pad */; DROP TABLE app.t"
if [ "$UNGATED" != 1 ]; then
	attack "unparseable statement is denied by the gate" agent_test "gate_refused 'SELEC * FRM'" \
		"SELEC * FRM app.t WHERE"
	SQL_CONTINUE=1 sql agent_test "SELEC * FRM app.t WHERE" "SELECT 42" "SELECT 43"
	assert_eq "session survives a denied unparseable statement" "$(printf '42\n43')" "$SQL_OUT"
fi

# ---- more bypass attempts (default policy) -----------------------------------------
# EXPLAIN that runs its statement
attack "EXPLAIN (ANALYZE true) DELETE" agent_test scratch_intact \
	"EXPLAIN (ANALYZE true) DELETE FROM app.scratch WHERE id > 0"
attack "EXPLAIN (ANALYZE, FORMAT JSON) UPDATE" agent_test scratch_intact \
	"EXPLAIN (ANALYZE, FORMAT JSON) UPDATE app.scratch SET v = 'x' WHERE id > 0"
# PostgreSQL takes the LAST of a repeated option (was a bypass: the classifier took the first)
attack "EXPLAIN (ANALYZE false, ANALYZE true) DELETE" agent_test scratch_intact \
	"EXPLAIN (ANALYZE false, ANALYZE true) DELETE FROM app.scratch WHERE id > 0"
attack "EXPLAIN (ANALYZE 'on', COSTS off) DELETE" agent_test scratch_intact \
	"EXPLAIN (ANALYZE 'on', COSTS off) DELETE FROM app.scratch WHERE id > 0"
# PostgreSQL rejects a data-modifying WITH below the top level (no control
# run possible); the gate must not depend on that
attack_gated "writable CTE nested in a FROM subquery" agent_test scratch_intact \
	"SELECT * FROM (WITH d AS (DELETE FROM app.scratch RETURNING *) SELECT * FROM d) s"
attack_gated "writable CTE nested in a scalar subquery" agent_test scratch_intact \
	"SELECT (WITH d AS (DELETE FROM app.scratch WHERE id > 0 RETURNING 1) SELECT count(*) FROM d)"
attack "COPY (DELETE ... RETURNING) TO STDOUT" agent_test scratch_intact \
	"COPY (DELETE FROM app.scratch WHERE id > 0 RETURNING *) TO STDOUT"
attack "PREPARE of a writable CTE, then EXECUTE" agent_test scratch_intact \
	"PREPARE q AS WITH d AS (DELETE FROM app.scratch WHERE id > 0 RETURNING *) SELECT count(*) FROM d" "EXECUTE q"

# pg_sleep in every spelling and position
for s in "SELECT pg_catalog.pg_sleep(5)" 'SELECT "pg_sleep"(5)' "SELECT PG_SLEEP(5)" \
	'SELECT U&"pg_sle\0065p"(5)' "SELECT 1 WHERE pg_sleep(5) IS NOT NULL" \
	"SELECT 1 ORDER BY pg_sleep(5)::text" "VALUES (pg_sleep(5))" "SELECT CASE WHEN true THEN pg_sleep(5) END" \
	"SELECT pg_sleep(1) FROM generate_series(1, 5)" "SELECT * FROM pg_sleep(5)" \
	"SELECT pg_sleep_for('5 seconds')" \
	"SELECT make_interval(secs => length(pg_sleep(5)::text))" \
	"SELECT sum(1) OVER (ORDER BY 1 ROWS BETWEEN (SELECT 1 FROM pg_sleep(5)) PRECEDING AND CURRENT ROW)" \
	"SELECT * FROM app.t ORDER BY id FETCH FIRST (SELECT 1 FROM pg_sleep(5)) ROWS ONLY" \
	"SELECT * FROM XMLTABLE('/x' PASSING '<x/>' COLUMNS a text DEFAULT pg_sleep(5)::text)" \
	"SELECT 1 FROM app.t TABLESAMPLE BERNOULLI (100) REPEATABLE (length(pg_sleep(5)::text))" \
	"SELECT count(*) FILTER (WHERE pg_sleep(0.5) IS NULL) FROM app.t"; do
	attack "$s returns fast" agent_test fast "$s"
done

# SQL run through SPI by a builtin (query_to_xml, table_to_xml, ...): the string
# is not parsed at the top; every statement it runs is judged at the execution
# checkpoint like any other (test_engine_truth.sh refuses a denied relation read
# this way). PostgreSQL runs the string read-only (a DELETE or DROP in it fails
# by itself: no control run for those two), but a volatile function called from
# it may write: judged there.
attack_gated "query_to_xml(DELETE ... RETURNING)" agent_test scratch_intact \
	"SELECT query_to_xml('DELETE FROM app.scratch RETURNING 1', true, false, '')"
attack_gated "query_to_xml(DROP TABLE)" agent_test t_intact \
	"SELECT query_to_xml('DROP TABLE app.t', true, false, '')"
attack "query_to_xml calling a writing function" agent_test scratch_intact \
	"SELECT query_to_xml('SELECT app.purge_pl()', true, false, '')"
attack "query_to_xml calling nextval" agent_test seq_intact \
	"SELECT query_to_xml('SELECT nextval(''app.seq'')', true, false, '')"
if [ "$UNGATED" != 1 ]; then
	# A read the policy allows directly is allowed through them too, and judged where it runs.
	fixture_reset
	sql agent_test "SELECT query_to_xml('SELECT * FROM app.customers', true, false, '')" \
		"SELECT table_to_xml('app.customers', true, false, '')"
	check "query_to_xml / table_to_xml of an allowed read run" test "$SQL_RC" -eq 0
	assert_ledger "query_to_xml's query is judged where it runs (nested)" role=agent_test via=nested \
		"statement=SELECT * FROM app.customers" verdict=allow
fi

# Admin-written functions and triggers the agent may execute
attack "SQL-language function app.purge() deleting" agent_test scratch_intact \
	"SELECT app.purge()"
attack "plpgsql function app.purge_pl() deleting" agent_test scratch_intact \
	"SELECT app.purge_pl()"
attack "function in FROM: SELECT * FROM app.purge_pl()" agent_test scratch_intact \
	"SELECT * FROM app.purge_pl()"
attack "INSERT firing a trigger that deletes" agent_test trig_intact \
	"INSERT INTO app.trig VALUES (1)"

# Server files
attack "COPY FROM '/etc/hostname'" agent_test no_files_rows \
	"COPY app.files FROM '/etc/hostname'"
attack "COPY TO a server file" agent_test no_copy_file \
	"COPY app.scratch TO '$COPY_FILE'"

# Server configuration, roles, extensions, identity
attack_since 15 "ALTER SYSTEM SET work_mem" agent_test auto_conf_same \
	"ALTER SYSTEM SET work_mem = '1GB'"
[ "$UNGATED" = 1 ] && sql_admin "ALTER SYSTEM RESET ALL" >/dev/null
attack_gated "ALTER ROLE agent_test SUPERUSER" agent_test not_super \
	"ALTER ROLE agent_test SUPERUSER"
attack "CREATE ROLE evil" agent_test "no_role evil" \
	"CREATE ROLE evil"
# (pgcrypto is a trusted extension from 13: before it only a superuser creates it)
attack_since 13 "CREATE EXTENSION pgcrypto" agent_test "no_ext pgcrypto" \
	"CREATE EXTENSION pgcrypto"
attack_gated "SET SESSION AUTHORIZATION" agent_test not_escalated \
	"SET SESSION AUTHORIZATION app_owner" "SELECT current_user"
# GUC names are case-insensitive (was a bypass: the classifier compared them exactly)
attack 'SET "ROLE" = ...' agent_test not_escalated \
	"SET \"ROLE\" = 'app_owner'" "SELECT current_user"
attack_gated 'SET "Session_Authorization" = ...' agent_test not_escalated \
	"SET \"Session_Authorization\" = 'app_owner'" "SELECT current_user"
# Decided: deny a search_path that puts a schema before pg_catalog (an admin
# function there could shadow a builtin the classifier trusts). A path that
# leaves pg_catalog implicit (first) stays allowed.
attack "SET search_path = app, pg_catalog" agent_test "out_lacks 'app, pg_catalog'" \
	"SET search_path = app, pg_catalog" "SHOW search_path"
attack 'SET "Search_Path" = app, pg_catalog' agent_test "out_lacks 'app, pg_catalog'" \
	"SET \"Search_Path\" = app, pg_catalog" "SHOW search_path"
attack "set_config('search_path')" agent_test "out_lacks 'app, pg_catalog'" \
	"SELECT set_config('search_path', 'app, pg_catalog', false)" "SHOW search_path"

# Locks, sequences, maintenance, schema changes
attack "pg_advisory_lock(1)" agent_test "out_lacks 1" \
	"SELECT pg_advisory_lock(1)" \
	"SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()"
attack "nextval() does not advance the sequence" agent_test seq_intact \
	"SELECT nextval('app.seq')"
attack "setval()" agent_test seq_intact \
	"SELECT setval('app.seq', 100)"
attack "LOCK TABLE ... ACCESS EXCLUSIVE" agent_test "out_lacks 'LOCK TABLE'" \
	"BEGIN" "LOCK TABLE app.t IN ACCESS EXCLUSIVE MODE" \
	"SELECT count(*) FROM pg_locks WHERE relation = 'app.t'::regclass AND mode = 'AccessExclusiveLock'"
attack "VACUUM FULL" agent_test t_state_same "VACUUM FULL app.t"
attack "CLUSTER" agent_test t_state_same "CLUSTER app.t USING t_pkey"
attack "REINDEX TABLE" agent_test t_state_same "REINDEX TABLE app.t"
# (a control run only from 15, where pg_checkpoint exists)
attack_since 15 "CHECKPOINT" agent_test t_state_same "CHECKPOINT"
attack "CREATE TABLE AS" agent_test "no_rel app.x" "CREATE TABLE app.x AS SELECT 1"
attack "CREATE MATERIALIZED VIEW" agent_test "no_rel app.mv" "CREATE MATERIALIZED VIEW app.mv AS SELECT 1"
attack "CREATE INDEX" agent_test t_one_index "CREATE INDEX ON app.t (v)"
attack "ALTER TABLE ... RENAME" agent_test "t_intact && no_rel app.t2" "ALTER TABLE app.t RENAME TO t2"

# Transactions
attack "BEGIN; DELETE; COMMIT (one string)" agent_test scratch_intact \
	"BEGIN; DELETE FROM app.scratch WHERE id = 1; COMMIT"
attack "BEGIN / DELETE / COMMIT (separate messages)" agent_test scratch_intact \
	"BEGIN" "DELETE FROM app.scratch WHERE id = 1" "COMMIT"
attack "DELETE in a transaction after an allowed SELECT" agent_test scratch_intact \
	"BEGIN" "SELECT count(*) FROM app.scratch" "DELETE FROM app.scratch WHERE id = 1" "COMMIT"

# Extended protocol (Parse/Bind/Execute)
attack_ext "DROP via PQprepare" t_intact "DROP TABLE app.t"
attack_ext "DELETE with \$1" scratch_intact "DELETE FROM app.scratch WHERE id > \$1" 0
attack_ext "DELETE with \$1 (unnamed)" scratch_intact --unnamed "DELETE FROM app.scratch WHERE id > \$1" 0
attack_ext "writable CTE" scratch_intact \
	"WITH d AS (DELETE FROM app.scratch WHERE id > \$1 RETURNING *) SELECT count(*) FROM d" 0
attack_ext "EXPLAIN (ANALYZE false, ANALYZE true) DELETE" scratch_intact \
	"EXPLAIN (ANALYZE false, ANALYZE true) DELETE FROM app.scratch WHERE id > \$1" 0
# PostgreSQL refuses several commands in one Parse; either way nothing runs
if [ "$UNGATED" != 1 ]; then
	attack_ext "multi-statement SELECT; DROP" t_intact "SELECT 1; DROP TABLE app.t"
	attack_ext "multi-statement SELECT; DROP (unnamed)" t_intact --unnamed "SELECT 1; DROP TABLE app.t"
fi

# Identifier, quoting and whitespace tricks
attack 'DROP TABLE U&"app".U&"\0074"' agent_test t_intact 'DROP TABLE U&"app".U&"\0074"'
attack 'DROP TABLE app."my table"' agent_test "rel_exists 'app.\"my table\"'" 'DROP TABLE app."my table"'
# PostgreSQL truncates identifiers to 63 bytes: this names app.xxx...x (63)
attack "DROP with a 100-byte identifier (truncated to an existing table)" agent_test "rel_exists app.$LONG_ID" \
	"DROP TABLE app.${LONG_ID}yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy"
attack "form feeds as whitespace" agent_test t_intact $'SELECT 1;\f\fDROP\fTABLE\fapp.t'
# (PostgreSQL 15 does not take \v as whitespace: a syntax error there)
attack_gated "vertical tab before the DROP" agent_test t_intact $'SELECT 1;\v DROP TABLE app.t'
attack "no-break space inside a string, then DROP" agent_test t_intact \
	$'SELECT \'a\u00a0b\'; DROP TABLE app.t'
pad100k=$(head -c 102400 </dev/zero | tr '\0' 'x')
attack "100 KB statement ending in a DROP" agent_test t_intact \
	"SELECT 1 /* $pad100k */; DROP TABLE app.t"
attack "100 KB string literal, then DROP" agent_test t_intact \
	"SELECT length('$pad100k'); DROP TABLE app.t"
# The kernel's verdict cache carries at most SW_TEXT_CAP (4096) bytes of text:
# a cached, allowed statement of 4095/4096 bytes followed by '; DROP' must
# not ride on that cache entry.
for len in 4095 4096; do
	stmt="SELECT 1 /* $(head -c $((len - 15)) </dev/zero | tr '\0' 'y') */"
	allowed "cache seed: ${#stmt}-byte SELECT" agent_test "$stmt"
	allowed "cache seed again: ${#stmt}-byte SELECT" agent_test "$stmt"
	attack "${#stmt}-byte cached SELECT + '; DROP TABLE'" agent_test t_intact "$stmt; DROP TABLE app.t"
done

# An unqualified builtin name can resolve to an admin's non-SQL function of the
# same name with a closer argument type (CVE-2018-1058 style): public.lower(varchar)
# wins over pg_catalog.lower(text) for a varchar argument, and plpgsql runs its
# DELETE through SPI. The parse sees a builtin read; the execution checkpoint
# judges the DELETE. The same class through a domain's CHECK (a function the
# statement never names). (Was a known gap; closed by the execution checkpoint.)
sql_admin "CREATE FUNCTION public.lower(varchar) RETURNS text LANGUAGE plpgsql AS
	\$\$ BEGIN DELETE FROM app.scratch; RETURN 'x'; END \$\$" >/dev/null
attack "builtin-named plpgsql function public.lower(varchar)" agent_test scratch_intact \
	"SELECT lower('X'::varchar)"
sql_admin "DROP FUNCTION public.lower(varchar)" >/dev/null
sql_admin "CREATE FUNCTION public.sw_dom_ok(text) RETURNS boolean LANGUAGE plpgsql AS
	\$\$ BEGIN DELETE FROM app.scratch; RETURN true; END \$\$;
	CREATE DOMAIN public.sw_dom AS text CHECK (public.sw_dom_ok(VALUE))" >/dev/null
attack "domain CHECK calling a writing plpgsql function" agent_test scratch_intact \
	"SELECT 'x'::public.sw_dom"
sql_admin "DROP DOMAIN public.sw_dom; DROP FUNCTION public.sw_dom_ok(text)" >/dev/null
# A builtin that writes without being denylisted (nextval, setval, the xid-assigning ones) is
# watched at the function checkpoint: reached through a view a read names, it is judged as the
# write it is. (Was a known gap.)
sql_admin "CREATE VIEW public.sw_nextval_v AS SELECT nextval('app.seq') AS n;
	GRANT SELECT ON public.sw_nextval_v TO agent_test" >/dev/null
attack "nextval() behind a view" agent_test seq_intact "SELECT * FROM public.sw_nextval_v"
sql_admin "DROP VIEW public.sw_nextval_v" >/dev/null
# Startup options are settings too: judged like SET ROLE, the connection is refused.
# (PGOPTIONS for the agent's client only, never for the checks run as the superuser.)
if [ "$UNGATED" != 1 ]; then
	fixture_reset
	PGOPTIONS="-c role=app_owner" sql_bg agent_test "SELECT current_user"
	judge "PGOPTIONS='-c role=app_owner' (refused at connection)" not_escalated
fi

# ---- reads a governed role must still be able to run ----------------------------
fixture_reset
allowed "plain SELECT" agent_test "SELECT id, v FROM app.t ORDER BY id"
allowed "join" agent_test \
	"SELECT t.transaction_id, rc.risk_level FROM app.transactions t
	 JOIN app.risk_countries rc ON rc.country_code = t.destination_country
	 ORDER BY 1 LIMIT 5"
allowed "CTE read" agent_test \
	"WITH big AS (SELECT * FROM app.transactions WHERE amount_cents > 1000000)
	 SELECT count(*) FROM big"
allowed "aggregate" agent_test \
	"SELECT destination_country, count(*), sum(amount_cents) FROM app.transactions GROUP BY 1 ORDER BY 1"
allowed "window function" agent_test \
	"SELECT transaction_id, rank() OVER (PARTITION BY tenant_id ORDER BY amount_cents DESC)
	 FROM app.transactions ORDER BY 1 LIMIT 5"
allowed "EXPLAIN without ANALYZE" agent_test \
	"EXPLAIN (COSTS OFF) SELECT * FROM app.transactions WHERE tenant_id = 42"
allowed "information_schema" agent_test \
	"SELECT table_name FROM information_schema.tables WHERE table_schema = 'app' ORDER BY 1"
allowed "SHOW" agent_test "SHOW statement_timeout"
allowed "BEGIN / SELECT / COMMIT (separate messages)" agent_test \
	"BEGIN" "SELECT count(*) FROM app.t" "COMMIT"
allowed "BEGIN READ ONLY; SELECT; COMMIT (one message)" agent_test \
	"BEGIN READ ONLY; SELECT count(*) FROM app.t; COMMIT"
allowed "curated view" agent_test \
	"SELECT count(*) FROM analytics_agent.agent_fraud_transactions_v1"
allowed "ai_ role SELECT" ai_bot "SELECT count(*) FROM app.transactions"
allowed "recursive CTE" agent_test \
	"WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 10) SELECT sum(n) FROM r"
allowed "LATERAL join" agent_test \
	"SELECT c.customer_id, x.n FROM app.customers c
	 CROSS JOIN LATERAL (SELECT count(*) AS n FROM app.transactions t WHERE t.tenant_id = c.tenant_id) x
	 ORDER BY 1 LIMIT 5"
allowed "window function with a frame" agent_test \
	"SELECT transaction_id, sum(amount_cents) OVER (ORDER BY transaction_id ROWS BETWEEN 2 PRECEDING AND CURRENT ROW),
	        avg(amount_cents) OVER (PARTITION BY tenant_id ORDER BY transaction_at RANGE BETWEEN interval '1 day' PRECEDING AND CURRENT ROW)
	 FROM app.transactions ORDER BY 1 LIMIT 10"
allowed "GROUPING SETS / ROLLUP" agent_test \
	"SELECT tenant_id, destination_country, count(*), grouping(tenant_id, destination_country)
	 FROM app.transactions GROUP BY GROUPING SETS ((tenant_id), (destination_country), ()) ORDER BY 1, 2"
allowed "ROLLUP" agent_test \
	"SELECT tenant_id, destination_country, sum(amount_cents) FROM app.transactions
	 GROUP BY ROLLUP (tenant_id, destination_country) ORDER BY 1, 2"
allowed "FILTER clause" agent_test \
	"SELECT count(*) FILTER (WHERE amount_cents > 1000000), count(*) FILTER (WHERE destination_country = 'KP')
	 FROM app.transactions"
allowed "DISTINCT ON" agent_test \
	"SELECT DISTINCT ON (tenant_id) tenant_id, transaction_id, amount_cents FROM app.transactions
	 ORDER BY tenant_id, amount_cents DESC"
allowed "json/jsonb operators and functions" agent_test \
	"SELECT j->>'a', j->'b'->0, j #>> '{b,1}', j ? 'a', j @> '{\"a\": 1}', jsonb_array_length(j->'b'),
	        jsonb_pretty(j), jsonb_build_object('k', 1) || j, to_json(ARRAY[1, 2]), json_agg(x)
	 FROM (SELECT '{\"a\": 1, \"b\": [10, 20]}'::jsonb AS j) s, generate_series(1, 3) x GROUP BY j"
allowed "jsonb_path_query and jsonb_each" agent_test \
	"SELECT key, value FROM jsonb_each('{\"a\": 1, \"b\": 2}') UNION ALL
	 SELECT 'p', v FROM jsonb_path_query('{\"x\": [1, 2, 3]}', '\$.x[*] ? (@ > 1)') v ORDER BY 1, 2"
allowed "string_agg / array_agg" agent_test \
	"SELECT tenant_id, string_agg(DISTINCT destination_country, ',' ORDER BY destination_country),
	        (array_agg(transaction_id ORDER BY transaction_id))[1:3]
	 FROM app.transactions GROUP BY 1 ORDER BY 1"
allowed "date_trunc / extract / age" agent_test \
	"SELECT date_trunc('month', transaction_at AT TIME ZONE 'UTC'), extract(dow FROM transaction_at AT TIME ZONE 'UTC'),
	        age(timestamp '2025-07-01', date_trunc('day', transaction_at AT TIME ZONE 'UTC'))
	 FROM app.transactions ORDER BY transaction_id LIMIT 5"
allowed "generate_series" agent_test \
	"SELECT d::date FROM generate_series(timestamp '2025-04-01', timestamp '2025-04-10', interval '3 days') d"
allowed "EXISTS / NOT EXISTS" agent_test \
	"SELECT rc.country_code FROM app.risk_countries rc
	 WHERE EXISTS (SELECT 1 FROM app.transactions t WHERE t.destination_country = rc.country_code)
	   AND NOT EXISTS (SELECT 1 FROM app.transactions t WHERE t.destination_country = rc.country_code AND t.amount_cents < 0)
	 ORDER BY 1"
allowed "UNION / INTERSECT / EXCEPT" agent_test \
	"(SELECT destination_country FROM app.transactions UNION SELECT country_code FROM app.risk_countries)
	 INTERSECT SELECT country_code FROM app.risk_countries EXCEPT SELECT 'US' ORDER BY 1"
allowed "VALUES" agent_test "VALUES (1, 'a'), (2, 'b') ORDER BY 1"
allowed "TABLE app.t" agent_test "TABLE app.t"
allowed "LIMIT / OFFSET / FETCH FIRST" agent_test \
	"SELECT id FROM app.t ORDER BY id OFFSET 2 LIMIT 3" \
	"SELECT id FROM app.t ORDER BY id OFFSET 5 ROWS FETCH FIRST 2 ROWS ONLY"
allowed "pg_class introspection" agent_test \
	"SELECT relname, relkind FROM pg_class WHERE relnamespace = 'app'::regnamespace ORDER BY 1"
allowed "pg_stat_user_tables / pg_indexes" agent_test \
	"SELECT relname FROM pg_stat_user_tables WHERE schemaname = 'app' ORDER BY 1" \
	"SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'app' ORDER BY 1"
allowed "information_schema.columns" agent_test \
	"SELECT table_name, column_name, data_type FROM information_schema.columns
	 WHERE table_schema = 'app' ORDER BY 1, ordinal_position"
allowed "EXPLAIN (FORMAT JSON) of a read" agent_test \
	"EXPLAIN (FORMAT JSON, COSTS OFF) SELECT * FROM app.transactions WHERE tenant_id = 42"
allowed "EXPLAIN ANALYZE of a read" agent_test \
	"EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) SELECT count(*) FROM app.transactions"
allowed "SHOW work_mem" agent_test "SHOW work_mem"
allowed "current_setting('work_mem')" agent_test "SELECT current_setting('work_mem')"
allowed "SET statement_timeout" agent_test "SET statement_timeout = '5s'" "SHOW statement_timeout"
allowed "SET search_path = app, public (pg_catalog stays first)" agent_test \
	"SET search_path = app, public" "SELECT count(*) FROM t"
allowed "BEGIN READ ONLY / SELECT / COMMIT (separate messages)" agent_test \
	"BEGIN READ ONLY" "SELECT count(*) FROM app.transactions" "COMMIT"
allowed "EXPLAIN (ANALYZE true, ANALYZE false) DELETE (not run)" agent_test \
	"EXPLAIN (ANALYZE true, ANALYZE false, COSTS OFF) DELETE FROM app.scratch WHERE id > 0"
allowed "100 KB SELECT (full text read from the held backend)" agent_test \
	"SELECT length('$pad100k') /* $(head -c 2000 </dev/zero | tr '\0' 'z') */"
if [ "$UNGATED" != 1 ]; then
	check "nothing left held" [ "$(pending_list "" | wc -l)" -eq 0 ]
	gate_stop_check "daemon (default policy) stops cleanly"
	check "ledger verifies after the adversarial run" "$SQLWARD" verify --ledger "$SW_LEDGER"
fi

# ---- the article's rejection suite, policies/examples/analytics-views.yaml -------
# Role analytics_agent_1 (a member of app_owner: without the gate every one of
# these would run).
VIEWS_POLICY=$SW_TOP/policies/examples/analytics-views.yaml
VIEW=analytics_agent.agent_fraud_transactions_v1
run_rejection_suite=1
if [ "$UNGATED" != 1 ]; then
	if [ -f "$VIEWS_POLICY" ]; then
		gate_start "$VIEWS_POLICY"
	else
		not_ok "rejection suite: $VIEWS_POLICY exists"
		run_rejection_suite=0
	fi
fi
if [ "$run_rejection_suite" = 1 ]; then
	attack "rejection: DELETE ... WHERE tenant_id = 42" analytics_agent_1 "tx_intact" \
		"DELETE FROM app.transactions WHERE tenant_id = 42"
	fixture_reset_tx
	attack "rejection: SELECT * FROM app.customers" analytics_agent_1 "no_pii" \
		"SELECT * FROM app.customers"
	if [ "$UNGATED" != 1 ]; then
		attack "rejection: raw email, card_number from the view" analytics_agent_1 \
			"no_pii && gate_refused 'SELECT email, card_number'" \
			"SELECT email, card_number FROM $VIEW"
	fi
	attack "rejection: SELECT * from the view, no LIMIT" analytics_agent_1 "no_rows" \
		"SELECT * FROM $VIEW WHERE amount_cents > 1000000"
	attack "rejection: pg_sleep(30)" analytics_agent_1 "fast" \
		"SELECT pg_sleep(30)"
	attack "rejection: SELECT *; DROP TABLE app.transactions" analytics_agent_1 \
		"tx_intact && no_rows && gate_refused 'DROP TABLE app.transactions'" \
		"SELECT * FROM $VIEW; DROP TABLE app.transactions"
	fixture_reset_tx
	allowed "rejection suite: a bounded view read runs" analytics_agent_1 \
		"SELECT tenant_id, amount_cents FROM $VIEW WHERE tenant_id = 42 ORDER BY amount_cents LIMIT 100"
	# The article's repaired query: one bounded SELECT on the curated view,
	# tenant bound through a setting (sent at connect time, not as SET).
	PGOPTIONS="-c app.tenant_id=42" allowed "rejection suite: the repaired query runs" analytics_agent_1 \
		"SELECT transaction_id, user_id, amount_cents, transaction_at, destination_country,
		        risk_level, risk_definition_version
		 FROM $VIEW
		 WHERE tenant_id = current_setting('app.tenant_id')::bigint
		   AND user_id = 12345 AND amount_cents > 1000000
		   AND transaction_at >= TIMESTAMPTZ '2025-04-01 00:00:00+00'
		   AND transaction_at < TIMESTAMPTZ '2025-07-01 00:00:00+00'
		   AND risk_level = 'high'
		 ORDER BY amount_cents DESC LIMIT 500"
	if [ "$UNGATED" != 1 ]; then
		gate_stop_check "daemon (analytics-views policy) stops cleanly"
		check "ledger verifies after the rejection suite" "$SQLWARD" verify --ledger "$SW_LEDGER"
	fi
fi

gate_log_on_failure
finish
