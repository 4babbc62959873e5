#!/usr/bin/env bash
# The adversarial suite in brief on other PostgreSQL majors (default 12, 16, 17, 18; the full
# suite, test_adversarial.sh, runs on the Debian 15 build): one attack per class (simple,
# extended and fastpath protocol, functions, a denylisted built-in behind a view, DO,
# writable CTE, EXPLAIN ANALYZE, plpgsql through SPI, settings, startup options, COPY,
# transactions, maintenance) and the version-specific ones (MERGE and its forms from 15,
# GRANT ... WITH INHERIT/SET from 16, pg_maintain / MAINTAIN, MERGE ... RETURNING,
# COPY ... ON_ERROR, transaction_timeout from 17, RETURNING old/new, virtual generated
# columns, COPY ... REJECT_LIMIT and the statistics-writing functions from 18).
# Each major runs in its own process, twice over one cluster: first without the gate, where
# every attack must take effect (the control: the fixtures grant enough and the state check
# sees the effect), then under the gate, where none may. The state check is one fingerprint
# of everything an attack could change. Analysts' reads new in 16 to 18 (pg_stat_io,
# pg_wait_events, pg_aios) must run. The policy is policies/default.yaml with its holds
# made denials (a hold denied by a reviewer is the same refusal; this keeps the run short).
# SW_PG_MAJORS="17 18" limits the run to those majors.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1

# The driver (one child per major, summed) or one major: tests/lib/pg_majors.sh.
PG_MAJORS_DEFAULT="12 16 17 18"
. tests/lib/pg_majors.sh "$@"
for t in "$PQ_EXTENDED" "$PQ_FASTPATH"; do [ -x "$t" ] || sw_die "missing $t (make build/tools/${t##*/})"; done

pg_start
pg_fixtures
got=$(sql_admin_val "SHOW server_version_num")
[ "$((got / 10000))" = "$MAJOR" ] ||
	sw_die "the server from $SW_PG_BINDIR is $got, not PostgreSQL $MAJOR: scripts/fetch-postgres.sh cached the wrong build"
diag "---- PostgreSQL $(sql_admin_val "SHOW server_version") ($SW_PG_BIN)"
MARKER=$SW_PG_DIR/copy_to_program_marker

# Fixtures of this test (an admin's objects; what each control needs to show an effect).
fx=("CREATE SEQUENCE app.seq" "GRANT ALL ON SEQUENCE app.seq TO agent_test"
	"CREATE TABLE app.files (line text)" "GRANT ALL ON app.files TO agent_test"
	"CREATE TABLE app.admin_t (id int)" "INSERT INTO app.admin_t VALUES (1)"
	"CREATE FUNCTION app.purge_pl() RETURNS int LANGUAGE plpgsql AS
	   \$\$ BEGIN DELETE FROM app.scratch; RETURN 1; END \$\$"
	"GRANT EXECUTE ON FUNCTION app.purge_pl() TO agent_test"
	"CREATE VIEW app.scratch_v AS SELECT * FROM app.scratch" "GRANT ALL ON app.scratch_v TO agent_test"
	"CREATE ROLE sw_priv" "GRANT sw_priv TO agent_test WITH ADMIN OPTION")
# pg_maintain (17): VACUUM FULL, CLUSTER, REINDEX, ... on every table, app.admin_t included.
[ "$MAJOR" -ge 17 ] && fx+=("GRANT pg_maintain TO agent_test")
# A denylisted built-in of 18 behind a view: reached only through the function checkpoint.
[ "$MAJOR" -ge 18 ] && fx+=("CREATE VIEW app.stats_v AS SELECT pg_catalog.pg_clear_relation_stats('app', 't')::text AS x"
	"GRANT SELECT ON app.stats_v TO agent_test" "GRANT SELECT ON pg_aios TO agent_test")
sql_admin "${fx[@]}" >/dev/null || sw_die "fixtures: $SQL_ERR"

# Everything an attack could change, in one row (the COPY ... TO PROGRAM marker apart); an
# error (app.t dropped) is a state too.
sql_admin "CREATE FUNCTION public.sw_state() RETURNS text LANGUAGE plpgsql AS \$\$
	DECLARE r text;
	BEGIN
	  EXECUTE \$q\$SELECT concat_ws('|',
	    (SELECT md5(string_agg(id || ':' || v, ',' ORDER BY id)) FROM app.scratch),
	    (SELECT count(*) || ':' || md5(coalesce(string_agg(id || v, ','), '')) FROM app.t),
	    pg_relation_filenode('app.t'), pg_relation_filenode('app.t_pkey'), pg_relation_filenode('app.admin_t'),
	    (SELECT coalesce(relacl::text, '') || reltuples FROM pg_class WHERE oid = 'app.t'::regclass),
	    (SELECT count(*) FROM app.files), (SELECT last_value || '/' || is_called FROM app.seq),
	    (SELECT count(*) FROM pg_largeobject_metadata), to_regclass('app.vg'), to_regclass('app.x'),
	    pg_has_role('ai_bot', 'sw_priv', 'MEMBER'))\$q\$ INTO r;
	  RETURN r;
	EXCEPTION WHEN OTHERS THEN RETURN 'error: ' || SQLERRM;
	END \$\$" >/dev/null || sw_die "sw_state(): $SQL_ERR"
STATE_SQL="SELECT 'state=' || public.sw_state()"
RESET_SQL=("DROP TABLE IF EXISTS app.t, app.vg, app.x"
	"CREATE TABLE app.t (id int PRIMARY KEY, v text)"
	"INSERT INTO app.t SELECT g, 'v' || g FROM generate_series(1, 10) g"
	"ALTER TABLE app.t OWNER TO agent_test" "ANALYZE app.t"
	"TRUNCATE app.scratch, app.files"
	"INSERT INTO app.scratch SELECT g, 'row ' || g FROM generate_series(1, 20) g"
	"ALTER SEQUENCE app.seq RESTART" "SELECT count(lo_unlink(oid)) FROM pg_largeobject_metadata"
	"REVOKE sw_priv FROM ai_bot")
# read_state [reset]: LAST (the state now), and with "reset" STATE (the fixtures' state after
# putting them back), in one client.
read_state() {
	local r=()
	[ "${1:-}" = reset ] && r=("${RESET_SQL[@]}" "$STATE_SQL")
	sql_admin "$STATE_SQL" "${r[@]}" >/dev/null || sw_die "reading the state${1:+ and resetting}: $SQL_ERR"
	LAST=$(grep -m1 '^state=' <<<"$SQL_OUT"); LAST=${LAST#state=}
	[ -z "${1:-}" ] || { STATE=${SQL_OUT##*state=}; DIRTY=0; }
}
# same_state (a CHECK): nothing changed since the last reset. In the control run the attack
# did change something: the same client puts it back.
same_state() {
	local before=$STATE
	if [ "$PHASE" = control ]; then read_state reset; else read_state; fi
	CHECKED=1
	[ "$LAST" == "$before" ] || DIRTY=1
	[ "$PHASE" = control ] && DIRTY=0
	[ ! -e "$MARKER" ] && [ "$LAST" == "$before" ]
}
STATE='' LAST='' DIRTY=1 CHECKED=0
out_lacks() { [[ "$SQL_OUT" != *"$1"* ]]; }

# attack MIN CHECK NAME KIND ARGS... : from major MIN on (the first whose server runs it),
# as agent_test. KIND sql: ARGS are statements (one message each, one session); ext: the
# extended protocol (pq_extended ARGS); fp: a fastpath call (pq_fastpath ARGS); opt: ARGS
# are PGOPTIONS then statements. CHECK (eval'd) passes when the attack had no effect.
attack() {
	local min=$1 chk=$2 name=$3 kind=$4; shift 4
	[ "$MAJOR" -ge "$min" ] || return 0
	rm -f "$MARKER"
	[ "$DIRTY" = 0 ] || read_state reset
	CHECKED=0
	case $kind in
	sql) sql_bg agent_test "$@" ;;
	ext) cmd_bg "${SW_AS_CLIENT[@]}" "$PQ_EXTENDED" "$(pg_conninfo agent_test)" "$@" ;;
	fp) cmd_bg "${SW_AS_CLIENT[@]}" "$PQ_FASTPATH" "$(pg_conninfo agent_test)" "$@" ;;
	opt) local o=$1; shift; PGOPTIONS=$o sql_bg agent_test "$@" ;;
	esac
	settle "$SQL_BG" 30
	local rc=$SQL_RC out=$SQL_OUT err=$SQL_ERR   # (a state check runs a client of its own)
	[ "$SETTLE_MS" -lt 2000 ] || diag "(slow: $name took ${SETTLE_MS} ms)"
	if [ "$PHASE" = control ]; then
		if eval "$chk"; then
			not_ok "PostgreSQL $MAJOR control: $name takes effect without the gate" \
				"rc=$rc out=$(head -c 300 <<<"$out")" "err=$(head -c 300 <<<"$err")"
		else
			ok "PostgreSQL $MAJOR control: $name takes effect without the gate"
		fi
	elif [ "$rc" -ne 0 ] && eval "$chk"; then
		ok "PostgreSQL $MAJOR: $name: no effect"
	else
		not_ok "PostgreSQL $MAJOR: $name: no effect" "client rc=$rc (want non-zero); state check: $chk" \
			"stdout: $(head -c 300 <<<"$out")" "stderr: $(head -c 300 <<<"$err")"
	fi
	# A check that did not read the state (a session's output): the next attack resets first.
	[ "$CHECKED" = 1 ] || DIRTY=1
}

attacks() {
	# protocol paths, functions, code
	attack 12 same_state "simple protocol: SELECT 1; DROP TABLE" sql "SELECT 1; DROP TABLE app.t"
	# shellcheck disable=SC2016  # $1 is SQL's
	attack 12 same_state "extended protocol: DELETE ... \$1" ext 'DELETE FROM app.scratch WHERE id > $1' 0
	attack 12 same_state "fastpath: lo_creat" fp 'lo_creat(integer)' int4:-1
	attack 12 same_state "setval()" sql "SELECT setval('app.seq', 100)"
	attack 12 same_state "DO block with dynamic EXECUTE" sql "DO \$\$ BEGIN EXECUTE 'DELETE FROM app.scratch'; END \$\$"
	attack 12 same_state "writable CTE" sql "WITH d AS (DELETE FROM app.scratch RETURNING *) SELECT count(*) FROM d"
	attack 12 same_state "EXPLAIN ANALYZE DELETE" sql "EXPLAIN ANALYZE DELETE FROM app.scratch WHERE id > 0"
	attack 12 same_state "plpgsql function deleting through SPI" sql "SELECT app.purge_pl()"
	attack 12 same_state "BEGIN / DELETE / COMMIT" sql "BEGIN" "DELETE FROM app.scratch WHERE id = 1" "COMMIT"
	attack 12 same_state "VACUUM FULL" sql "VACUUM FULL app.t"
	# settings and startup options
	attack 12 "out_lacks app_owner" "SET ROLE" sql "SET ROLE app_owner" "SELECT current_user"
	attack 12 "out_lacks app_owner" "PGOPTIONS='-c role=app_owner' (refused at connection)" opt "-c role=app_owner" "SELECT current_user"
	# server files and programs
	attack 12 same_state "COPY FROM a server file" sql "COPY app.files FROM '/etc/hostname'"
	attack 12 same_state "COPY TO PROGRAM" sql "COPY (SELECT 1) TO PROGRAM 'touch $MARKER'"
	# MERGE (15)
	attack 15 same_state "MERGE ... DELETE" sql \
		"MERGE INTO app.scratch s USING (SELECT 1 AS id) v ON s.id = v.id WHEN MATCHED THEN DELETE"
	attack 15 same_state "MERGE ... DO NOTHING / INSERT" sql \
		"MERGE INTO app.scratch s USING (VALUES (100, 'x')) v(id, v) ON s.id = v.id
		 WHEN MATCHED THEN DO NOTHING WHEN NOT MATCHED THEN INSERT VALUES (v.id, v.v)"
	# 16
	attack 16 same_state "GRANT ... WITH INHERIT TRUE, SET TRUE" sql "GRANT sw_priv TO ai_bot WITH INHERIT TRUE, SET TRUE"
	# 17
	attack 17 same_state "MERGE into a view" sql \
		"MERGE INTO app.scratch_v s USING (SELECT 1 AS id) v ON s.id = v.id WHEN MATCHED THEN DELETE"
	attack 17 same_state "MERGE ... RETURNING" sql \
		"MERGE INTO app.scratch s USING (SELECT 1 AS id) v ON s.id = v.id WHEN MATCHED THEN DELETE RETURNING merge_action(), s.*"
	attack 17 same_state "MERGE ... RETURNING in a writable CTE" sql \
		"WITH m AS (MERGE INTO app.scratch s USING (SELECT 2 AS id) v ON s.id = v.id WHEN MATCHED THEN DELETE RETURNING s.id)
		 SELECT count(*) FROM m"
	attack 17 same_state "MERGE ... WHEN NOT MATCHED BY SOURCE" sql \
		"MERGE INTO app.scratch s USING (SELECT 1 AS id) v ON s.id = v.id WHEN NOT MATCHED BY SOURCE THEN DELETE"
	attack 17 same_state "EXPLAIN (SERIALIZE, ANALYZE) DELETE" sql \
		"EXPLAIN (SERIALIZE text, ANALYZE) DELETE FROM app.scratch WHERE id > 0"
	attack 17 same_state "pg_maintain: VACUUM FULL of an admin's table" sql "VACUUM FULL app.admin_t"
	attack 17 same_state "GRANT MAINTAIN" sql "GRANT MAINTAIN ON app.t TO ai_bot, analyst"
	attack 17 same_state "COPY ... ON_ERROR ignore from a server file" sql \
		"COPY app.files FROM '/etc/hostname' WITH (ON_ERROR ignore)"
	attack 17 "out_lacks 1s" "SET transaction_timeout" sql "SET transaction_timeout = '1s'" "SHOW transaction_timeout"
	# 18
	attack 18 same_state "RETURNING old/new" sql "UPDATE app.scratch SET v = 'x' WHERE id = 1 RETURNING old.v, new.v"
	attack 18 same_state "CREATE TABLE with a virtual generated column" sql \
		"CREATE TABLE app.vg (a int, b int GENERATED ALWAYS AS (a * 2) VIRTUAL)"
	attack 18 same_state "COPY ... REJECT_LIMIT from a server file" sql \
		"COPY app.files FROM '/etc/hostname' WITH (ON_ERROR ignore, REJECT_LIMIT 5)"
	attack 18 same_state "pg_restore_relation_stats" sql \
		"SELECT pg_restore_relation_stats('schemaname', 'app', 'relname', 't', 'reltuples', 1e6::real)"
	attack 18 same_state "fastpath: pg_clear_relation_stats" fp 'pg_clear_relation_stats(text,text)' text:app text:t
	attack 18 same_state "pg_clear_relation_stats behind a view (function checkpoint)" sql "SELECT * FROM app.stats_v"
}

# refused MIN NAME SQL : (gated) refused by the gate, named in the ledger; no control possible
# (it fails by itself on a primary, or changes nothing a state check can see).
refused() {
	local min=$1 name=$2 sql=$3
	[ "$MAJOR" -ge "$min" ] || return 0
	sql_bg agent_test "$sql"
	settle "$SQL_BG" 30
	if [ "$SQL_RC" -ne 0 ] && ledger_match role=agent_test "statement~${sql:0:40}" "verdict=deny|hold"; then
		ok "PostgreSQL $MAJOR: $name: refused by the gate"
	else
		not_ok "PostgreSQL $MAJOR: $name: refused by the gate" "rc=$SQL_RC err=$SQL_ERR" "$(ledger_show role=agent_test | tail -n 3)"
	fi
}

# allowed MIN NAME SQL : (gated) a read that runs, with the superuser's output.
allowed() {
	local min=$1 name=$2 sql=$3
	[ "$MAJOR" -ge "$min" ] || return 0
	sql_admin "$sql" >/dev/null
	local want=$SQL_OUT
	sql agent_test "$sql"
	if [ "$SQL_RC" -eq 0 ] && [ "$SQL_OUT" == "$want" ]; then
		ok "PostgreSQL $MAJOR: allowed: $name"
	else
		not_ok "PostgreSQL $MAJOR: allowed: $name" "rc=$SQL_RC err=$SQL_ERR" "got: $SQL_OUT" "want: $want"
	fi
}

PHASE=control
t0=$(date +%s)
attacks
diag "control phase: $(($(date +%s) - t0)) s"

POLICY=$SW_TMP/default-deny.yaml
# (a hold rule's timeout has no meaning for a deny rule: the policy loader refuses it)
sed -e 's/^\(\s*action:\s*\)hold\b/\1deny/' -e '/^\s*timeout:/d' "$SW_TOP/policies/default.yaml" >"$POLICY"
grep -q 'action: *hold' "$POLICY" && sw_die "$POLICY still holds"
t0=$(date +%s)
gate_start "$POLICY"
diag "gate start: $(($(date +%s) - t0)) s"
PHASE=gated
t0=$(date +%s)
attacks
diag "gated attacks: $(($(date +%s) - t0)) s"
# (heap is the only table access method built in: no other one to rewrite into)
refused 15 "ALTER TABLE ... SET ACCESS METHOD" "ALTER TABLE app.t SET ACCESS METHOD heap"
refused 17 "pg_sync_replication_slots()" "SELECT pg_sync_replication_slots()"
refused 18 "pg_stat_reset_backend_stats()" "SELECT pg_stat_reset_backend_stats(pg_backend_pid())"
# JSON_TABLE is a read, but the classifier's grammar is 15's: refused, saying why.
refused 17 "JSON_TABLE (PostgreSQL 17 syntax; the 15 grammar cannot read it)" \
	"SELECT * FROM JSON_TABLE('[1, 2]'::jsonb, '\$[*]' COLUMNS (x int PATH '\$')) AS jt"
[ "$MAJOR" -ge 17 ] && assert_ledger "PostgreSQL $MAJOR: JSON_TABLE's reason names the newer syntax" \
	role=agent_test "statement~JSON_TABLE" "reasons~PostgreSQL $MAJOR syntax the classifier"
allowed 12 "plain SELECT" "SELECT id, v FROM app.t ORDER BY id"
allowed 16 "pg_stat_io" "SELECT count(*) > 0 FROM pg_stat_io"
allowed 17 "pg_wait_events" "SELECT count(*) > 0 FROM pg_wait_events"
allowed 18 "pg_aios" "SELECT count(*) FROM pg_aios WHERE false"
gate_stop_check "PostgreSQL $MAJOR"
gate_log_on_failure
finish
