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
MARKER=$SW_PG_DIR/copy_to_program_marker

# Put app.t back the way the fixtures left it and remove anything an attack
# may have created (used before every case, also in gated mode).
fixture_reset() {
	sql_admin "DROP TABLE IF EXISTS app.t, app.copy" \
		"DROP FUNCTION IF EXISTS app.sw_evil()" \
		"CREATE TABLE app.t (id int PRIMARY KEY, v text)" \
		"INSERT INTO app.t SELECT g, 'v' || g FROM generate_series(1, 10) g" \
		"ALTER TABLE app.t OWNER TO agent_test" \
		"SELECT count(lo_unlink(oid)) FROM pg_largeobject_metadata" >/dev/null ||
		sw_die "fixture_reset failed: $SQL_ERR"
	rm -f "$MARKER"
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
