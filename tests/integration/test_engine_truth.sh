#!/usr/bin/env bash
# Engine truth: what the server runs on a governed client's behalf is judged
# at execution (uprobes on ExecutorStart and ProcessUtility), not only what
# the client sent. Every NESTED statement (plpgsql static SQL and dynamic
# EXECUTE, SQL-function bodies, triggers, rule actions, the functions behind
# operators, casts and domain CHECKs, event triggers, procedure bodies under
# CALL, query_to_xml's query, DO blocks, nested utility statements) goes
# through the same policy before it runs: refused, the client statement fails
# and its writes are rolled back; held, it waits in `sqlward pending` like any
# hold. Trusted functions (policy `trusted_functions:`) are callable without
# an unknown_function hold; `nested: record` runs their statements unjudged
# but recorded. Each case runs as an ordinary governed login (agent_test) and
# as a governed SUPERUSER (agent_super), and is judged on the database's
# state, the client's error and the ledger (via nested, nesting, rule,
# outcome, decided_by, statement_id).
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
. tests/lib/assert.sh
. tests/lib/pg.sh
. tests/integration/lib_gate.sh

pg_start
pg_fixtures

# ---- fixtures (as the bootstrap superuser, before the gate starts) -----------------------
# Every function below writes somewhere a governed login must not reach through
# it. Names matching app.report_* / app.audited_* are trusted by the policy, so
# the client's call itself is allowed and only what runs inside is judged.
# app.t2's trigger fires only for v = 'x' and its rule only on UPDATE, so the
# other cases' INSERTs into app.t2 do not set them off. The event trigger is
# created last: it fires on every CREATE TABLE (the admin's too).
psql -X -q -v ON_ERROR_STOP=1 -h "$SW_PG_HOST" -p "$SW_PG_PORT" -U "$SW_PG_SUPER" -d "$SW_PG_DB" \
	>"$SW_TMP/engine-fixtures.log" 2>&1 <<-'EOF' || { cat "$SW_TMP/engine-fixtures.log" >&2; sw_die "engine fixtures failed"; }
	CREATE ROLE agent_super LOGIN SUPERUSER;
	CREATE TABLE app.secret (v int);
	CREATE TABLE app.t2 (id int, v text);
	CREATE TABLE app.rule_log (v int);
	CREATE TABLE app.victim (a int);
	ALTER TABLE app.victim OWNER TO app_owner;
	GRANT ALL ON app.secret, app.t2, app.rule_log, app.victim TO agent_test;
	INSERT INTO app.t2 VALUES (50, 'r');

	-- 1. plpgsql static SQL (not trusted: the call is held as unknown_function)
	CREATE FUNCTION app.f_static() RETURNS int LANGUAGE plpgsql AS $$
	BEGIN
	  INSERT INTO app.secret VALUES (1);
	  RETURN 1;
	END $$;
	-- 2. plpgsql dynamic SQL (also 14: the verdict cache)
	CREATE FUNCTION app.report_dyn(q text) RETURNS int LANGUAGE plpgsql AS $$
	BEGIN
	  EXECUTE q;
	  RETURN 1;
	END $$;
	-- 3. an SQL-language function body
	CREATE FUNCTION app.report_sql() RETURNS int LANGUAGE sql AS $$ INSERT INTO app.secret VALUES (3); SELECT 1 $$;
	-- 4. a trigger
	CREATE FUNCTION app.t2_trigger() RETURNS trigger LANGUAGE plpgsql AS $$
	BEGIN
	  INSERT INTO app.secret VALUES (4);
	  RETURN NULL;
	END $$;
	CREATE TRIGGER t2_secret AFTER INSERT ON app.t2 FOR EACH ROW WHEN (NEW.v = 'x')
	  EXECUTE FUNCTION app.t2_trigger();
	-- 5. a rule action
	CREATE RULE t2_update_log AS ON UPDATE TO app.t2 DO ALSO INSERT INTO app.rule_log VALUES (5);
	-- 6. the function behind an operator
	CREATE FUNCTION app.report_eq(int, int) RETURNS bool LANGUAGE plpgsql AS $$
	BEGIN
	  INSERT INTO app.secret VALUES (6);
	  RETURN $1 = $2;
	END $$;
	CREATE OPERATOR app.=== (LEFTARG = int, RIGHTARG = int, FUNCTION = app.report_eq);
	-- 7. the function behind a cast
	CREATE TYPE app.pt AS (x int, y int);
	CREATE FUNCTION app.report_cast(int) RETURNS app.pt LANGUAGE plpgsql AS $$
	BEGIN
	  INSERT INTO app.secret VALUES (7);
	  RETURN ROW($1, $1)::app.pt;
	END $$;
	CREATE CAST (int AS app.pt) WITH FUNCTION app.report_cast(int);
	-- 8. a domain CHECK constraint
	CREATE FUNCTION app.report_check(int) RETURNS bool LANGUAGE plpgsql AS $$
	BEGIN
	  INSERT INTO app.secret VALUES (8);
	  RETURN true;
	END $$;
	CREATE DOMAIN app.checked AS int CHECK (app.report_check(VALUE));
	-- 10. a procedure with transaction control
	CREATE PROCEDURE app.report_proc(n int) LANGUAGE plpgsql AS $$
	BEGIN
	  INSERT INTO app.t2 VALUES (n, 'p');
	  COMMIT;
	  INSERT INTO app.secret VALUES (10);
	END $$;
	-- 11. a builtin shadowed by an exact-type match (pg_catalog.lower takes text)
	CREATE FUNCTION public.lower(integer) RETURNS text LANGUAGE plpgsql AS $$
	BEGIN
	  INSERT INTO app.secret VALUES (11);
	  RETURN 'shadowed';
	END $$;
	-- 15. trusted, nested: record
	CREATE FUNCTION app.audited_write(n int) RETURNS int LANGUAGE plpgsql AS $$
	BEGIN
	  INSERT INTO app.t2 VALUES (n, 'a');
	  RETURN n;
	END $$;
	-- 16. two levels deep
	CREATE FUNCTION app.report_inner() RETURNS int LANGUAGE plpgsql AS $$
	BEGIN
	  PERFORM count(*) FROM app.t WHERE id > 1;
	  RETURN 2;
	END $$;
	CREATE FUNCTION app.report_outer() RETURNS int LANGUAGE plpgsql AS $$
	BEGIN
	  PERFORM app.report_inner();
	  RETURN 1;
	END $$;
	-- 17. a nested utility statement
	CREATE FUNCTION app.report_drop() RETURNS int LANGUAGE plpgsql AS $$
	BEGIN
	  DROP TABLE app.victim;
	  RETURN 1;
	END $$;
	-- 18. denied built-ins the server calls without a statement naming them: a view, a column
	--     default, a PL/pgSQL simple expression (evaluated without the executor), a view over
	--     a sensitive catalog view
	CREATE VIEW app.v_slow AS SELECT 1 AS x FROM pg_sleep(0.2);
	CREATE TABLE app.t_default (id int, b text DEFAULT pg_sleep(0.2)::text);
	CREATE FUNCTION app.report_simple() RETURNS text LANGUAGE plpgsql AS $$
	DECLARE v text;
	BEGIN
	  v := pg_sleep(0.2)::text;
	  RETURN 'slept';
	END $$;
	CREATE VIEW app.v_activity AS SELECT pid, query FROM pg_stat_activity;
	GRANT SELECT ON app.v_slow, app.v_activity TO PUBLIC;
	GRANT ALL ON app.t_default TO agent_test;
	-- 19. a nested utility statement that acts before any interrupt check
	CREATE FUNCTION app.report_copy(path text) RETURNS int LANGUAGE plpgsql AS $$
	BEGIN
	  EXECUTE format('COPY (SELECT 1) TO PROGRAM %L', 'touch ' || path);
	  RETURN 1;
	END $$;
	-- 21. SECURITY DEFINER (runs as its owner, the superuser): still judged for the login
	CREATE FUNCTION app.report_definer() RETURNS int LANGUAGE plpgsql SECURITY DEFINER AS $$
	BEGIN
	  INSERT INTO app.secret VALUES (21);
	  RETURN 1;
	END $$;
	-- 22. a handler that catches the refusal and carries on
	CREATE FUNCTION app.report_catch() RETURNS int LANGUAGE plpgsql AS $$
	BEGIN
	  BEGIN
	    INSERT INTO app.secret VALUES (22);
	  EXCEPTION WHEN query_canceled THEN
	    RETURN 0;
	  END;
	  RETURN 1;
	END $$;
	-- 9. an event trigger (last: it fires on the admin's CREATE TABLE too)
	CREATE FUNCTION app.et_secret() RETURNS event_trigger LANGUAGE plpgsql AS $$
	BEGIN
	  INSERT INTO app.secret VALUES (9);
	END $$;
	CREATE EVENT TRIGGER et_secret ON ddl_command_end WHEN TAG IN ('CREATE TABLE')
	  EXECUTE FUNCTION app.et_secret();
EOF
LOGINS=(agent_test agent_super)

secret_n() { sql_admin_val "SELECT count(*) FROM app.secret"; }
t_n() { sql_admin_val "SELECT count(*) FROM app.t"; }
t2_n() { sql_admin_val "SELECT count(*) FROM app.t2 WHERE id = $1"; }

# ---- without a gate, every case really writes (so below, the gate is what stops it) ---------
# Each runs in a transaction that is rolled back; the procedure commits inside, so it
# runs for real and is cleaned up after.
for L in "${LOGINS[@]}"; do
	for q in "SELECT app.f_static()" "SELECT app.report_dyn('INSERT INTO app.secret VALUES (2)')" \
		"SELECT app.report_sql()" "INSERT INTO app.t2 VALUES (1, 'x')" "SELECT 1 OPERATOR(app.===) 1" \
		"SELECT CAST(7 AS app.pt)" "SELECT 5::app.checked" "CREATE TABLE app.et_probe_pre (a int)" \
		"SELECT lower(42)" 'DO $$ BEGIN INSERT INTO app.secret VALUES (13); END $$' \
		"SELECT app.report_definer()" "SELECT app.report_catch()"; do
		sql "$L" "BEGIN" "$q" "SELECT 'secret=' || count(*) FROM app.secret" "ROLLBACK"
		assert_eq "[$L] ungated: '$q' writes app.secret" "0/secret=1" "$SQL_RC/$(grep '^secret=' <<<"$SQL_OUT")"
	done
	sql "$L" "BEGIN" "UPDATE app.t2 SET v = 'y' WHERE id = 50" "SELECT 'log=' || count(*) FROM app.rule_log" "ROLLBACK"
	assert_eq "[$L] ungated: the UPDATE fires the rule" "0/log=1" "$SQL_RC/$(grep '^log=' <<<"$SQL_OUT")"
	sql "$L" "BEGIN" "SELECT app.report_dyn('DELETE FROM app.t')" "SELECT 't=' || count(*) FROM app.t" "ROLLBACK"
	assert_eq "[$L] ungated: report_dyn runs a DELETE" "0/t=0" "$SQL_RC/$(grep '^t=' <<<"$SQL_OUT")"
	sql "$L" "BEGIN" "SELECT app.report_drop()" "SELECT 'victim=' || (to_regclass('app.victim') IS NULL)" "ROLLBACK"
	assert_eq "[$L] ungated: report_drop drops app.victim" "0/victim=true" "$SQL_RC/$(grep '^victim=' <<<"$SQL_OUT")"
	sql "$L" "SELECT query_to_xml('SELECT v FROM app.secret', true, false, '')" "SELECT app.report_outer()" \
		"SELECT app.report_dyn('SELECT count(*) FROM app.t')"
	assert_eq "[$L] ungated: query_to_xml, report_outer and a dynamic read run" 0 "$SQL_RC"
	sql "$L" "SELECT * FROM app.v_slow" "SELECT app.report_simple()" "SELECT count(*) > 0 FROM app.v_activity" \
		"BEGIN" "INSERT INTO app.t_default (id) VALUES (1)" "ROLLBACK"
	assert_eq "[$L] ungated: the view, the default and the expression call their built-ins" 0 "$SQL_RC"
	sql "$L" "CALL app.report_proc(999)"
	assert_eq "[$L] ungated: the procedure commits its first INSERT and writes app.secret" "0/1/1" \
		"$SQL_RC/$(t2_n 999)/$(secret_n)"
	sql_admin "DELETE FROM app.t2 WHERE id = 999" "TRUNCATE app.secret" >/dev/null || sw_die "cleanup: $SQL_ERR"
done
MARKER=/tmp/sqlward-copy-program-ran.$$   # written by the server's OS user
sw_at_exit "rm -f $MARKER"
sql agent_super "SELECT app.report_copy('$MARKER')"
check "[agent_super] ungated: report_copy runs its program" test -e "$MARKER"
rm -f "$MARKER"
[ "$SW_T_FAIL" -eq 0 ] || { finish; exit 1; }
# The secret a governed login must not read (case 12) nor add to.
sql_admin "INSERT INTO app.secret VALUES (-1)" >/dev/null || sw_die "secret: $SQL_ERR"

# ---- the policy ---------------------------------------------------------------------------
# query_to_xml runs a string the parser cannot see: it is not refused at the top, the
# query it runs is judged where it runs.
POLICY=$SW_TMP/engine-truth.yaml
cat >"$POLICY" <<'EOF2'
sqlward_policy: 1
govern: { roles: ["agent_*"] }
default: deny
trusted_functions:
  - { schema: app, name: "report_*", nested: judge }
  - { schema: app, name: "audited_*", nested: record }
rules:
  - { id: deny-destructive, match: { trait: destructive }, action: deny }
  - { id: deny-dangerous-function, match: { trait: dangerous_function }, action: deny }
  - { id: deny-secret, match: { relation: "secret" }, action: deny }
  - { id: deny-sensitive, match: { trait: sensitive_catalog }, action: deny }
  - { id: hold-ddl, match: { class: ddl }, action: hold, approvers: [root] }
  - { id: hold-writes, match: { class: write }, action: hold, approvers: [root] }
  - { id: hold-unknown-function, match: { trait: unknown_function }, action: hold, approvers: [root] }
  - { id: allow-procedural, match: { command: [DO, CALL] }, action: allow }
  - { id: allow-read, match: { class: [read, transaction, session] }, action: allow }
EOF2
gate_start "$POLICY"

# Held statements as "ID<TAB>statement" (one line each).
held_texts() {
	pending_json 2>/dev/null | python3 -c '
import json, sys
try:
    items = json.load(sys.stdin)
except Exception:
    sys.exit(0)
for p in items or []:
    print("%s\t%s" % (p.get("id"), " ".join(str(p.get("statement", "")).split())))
'
}

# run_as ROLE APPROVE SQL... : run SQL as ROLE (one session, in the background) and
# decide whatever the gate holds meanwhile: a held statement whose text contains one of
# the |-separated substrings of APPROVE is approved by root (each hold once), any other
# is denied. Sets SQL_RC SQL_OUT SQL_ERR, RUN_APPROVED and RUN_DENIED (counts),
# RUN_HELD (the held texts, one a line) and SECRET0 / T0 (the rows in app.secret and
# app.t before it ran: each case is judged on what it changed, whatever came before).
run_as() {
	local role=$1 approve=$2 h start n id text a hit pats=()
	shift 2
	local -A seen=()
	RUN_APPROVED=0 RUN_DENIED=0 RUN_HELD=""
	IFS='|' read -ra pats <<<"$approve"
	SECRET0=$(secret_n) T0=$(t_n)
	# RUN_EXT=1: over the extended protocol (Parse/Bind/Execute, tests/tools/pq_extended: SQL then parameters)
	if [ -n "${RUN_EXT:-}" ]; then
		cmd_bg "${SW_AS_CLIENT[@]}" "$PQ_EXTENDED" "$(pg_conninfo "$role")" "$@"
	else
		sql_bg "$role" "$@"
	fi
	h=$SQL_BG
	n=0
	while ! bg_done "$h" && [ "$n" -lt 12 ]; do sleep 0.05; n=$((n + 1)); done
	start=$(date +%s)
	while ! bg_done "$h" && [ $(($(date +%s) - start)) -lt 40 ]; do
		while IFS=$'\t' read -r id text; do
			if [ -z "$id" ] || [ -n "${seen[$id]:-}" ]; then continue; fi
			seen[$id]=1
			RUN_HELD+="$text"$'\n'
			hit=0
			for a in "${pats[@]}"; do [ -n "$a" ] && [[ "$text" == *"$a"* ]] && hit=1; done
			if [ "$hit" = 1 ]; then
				"$SQLWARD" approve "$id" --socket "$SW_SOCK" >>"$SW_TMP/decisions.log" 2>&1 &&
					RUN_APPROVED=$((RUN_APPROVED + 1))
			else
				"$SQLWARD" deny "$id" --socket "$SW_SOCK" >>"$SW_TMP/decisions.log" 2>&1 &&
					RUN_DENIED=$((RUN_DENIED + 1))
			fi
		done < <(held_texts)
		bg_done "$h" || sleep 0.2
	done
	bg_done "$h" || deny_all_pending >/dev/null
	sql_wait "$h" 10
}

# decided NAME "APPROVED/DENIED" : how many holds run_as approved and denied
decided() {
	if [ "$RUN_APPROVED/$RUN_DENIED" = "$2" ]; then ok "$1"
	else not_ok "$1" "expected approved/denied: $2" "     got: $RUN_APPROVED/$RUN_DENIED" "held: $RUN_HELD" "client: $SQL_ERR"; fi
}

# refused NAME [DENIED] : the client's statement failed (the client saw an ERROR), and the
# test denied DENIED holds (default 0) on the way: the refusal was the gate's own
refused() {
	if [ "$SQL_RC" -ne 0 ] && [ "$RUN_DENIED" -eq "${2:-0}" ]; then ok "$1"
	elif [ "$SQL_RC" -eq 0 ]; then not_ok "$1" "the client statement succeeded: $SQL_OUT"
	else not_ok "$1" "the test denied $RUN_DENIED held statement(s), expected ${2:-0}: $RUN_HELD"; fi
}

# nested NAME CONDITIONS... : a ledger record of a nested statement of this login
nested() { local name=$1; shift; assert_ledger "$name" type=statement role="$L" via=nested "$@"; }

# shares_statement_id ROLE NESTED-TEXT LEVEL TOP-TEXT : a nested record (at LEVEL) whose
# nesting.statement_id is the statement_id of the login's top-level record of TOP-TEXT
shares_statement_id() {
	local n=0
	while [ "$n" -lt 25 ]; do
		ledger_json --type all 2>/dev/null | python3 -c '
import json, sys
role, nsub, level, tsub = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
recs = []
for line in sys.stdin:
    try:
        recs.append(json.loads(line))
    except Exception:
        pass
mine = [r for r in recs if r.get("type") == "statement" and r.get("role") == role]
tops = {r.get("statement_id") for r in mine
        if r.get("via") != "nested" and tsub in str(r.get("statement", "")) and r.get("statement_id") is not None}
for r in mine:
    nest = r.get("nesting") if isinstance(r.get("nesting"), dict) else {}
    if r.get("via") == "nested" and nsub in str(r.get("statement", "")) and nest.get("level") == level \
            and nest.get("statement_id") in tops:
        sys.exit(0)
sys.exit(1)' "$@" && return 0
		sleep 0.2; n=$((n + 1))
	done
	return 1
}

i=0
for L in "${LOGINS[@]}"; do
	i=$((i + 1))

	# ---- 1. plpgsql static SQL: the call is held (unknown function), approved; the INSERT inside is refused
	run_as "$L" "app.f_static()" "SELECT app.f_static()"
	decided "[$L] static: the call is held as an unknown function and approved" "1/0"
	assert_ledger "[$L] static: the call was released by root (hold-unknown-function)" type=statement role="$L" \
		"statement=SELECT app.f_static()" rule=hold-unknown-function outcome=released decided_by=root
	refused "[$L] static: the client's statement fails"
	assert_eq "[$L] static: nothing reached app.secret" "$SECRET0" "$(secret_n)"
	nested "[$L] static: the nested INSERT is recorded, refused by deny-secret" \
		"statement~INSERT INTO app.secret VALUES (1)" rule=deny-secret outcome=cancelled \
		'nesting~"level": 1' 'nesting~"checkpoint": "executor"'
	check "[$L] static: the nested record shares the approved call's statement_id" \
		shares_statement_id "$L" "INSERT INTO app.secret VALUES (1)" 1 "SELECT app.f_static()"

	# ---- 2. plpgsql dynamic SQL (EXECUTE of a string the client passed) -----------------------
	run_as "$L" "" "SELECT app.report_dyn('DELETE FROM app.t')"
	decided "[$L] dynamic: a trusted report_* call is not held" "0/0"
	refused "[$L] dynamic: EXECUTE 'DELETE FROM app.t' fails the call"
	assert_eq "[$L] dynamic: app.t keeps its rows" "$T0" "$(t_n)"
	nested "[$L] dynamic: the nested DELETE is refused by deny-destructive" \
		"statement=DELETE FROM app.t" rule=deny-destructive outcome=cancelled decided_by=policy
	run_as "$L" "" "SELECT app.report_dyn('SELECT count(*) FROM app.t')"
	assert_eq "[$L] dynamic: EXECUTE of a read runs" "0/1" "$SQL_RC/$SQL_OUT"
	nested "[$L] dynamic: the nested read is recorded as ran (allow-read)" \
		"statement=SELECT count(*) FROM app.t" rule=allow-read outcome=ran

	# ---- 3. SQL-language function body -----------------------------------------------------
	run_as "$L" "" "SELECT app.report_sql()"
	decided "[$L] sql function: not held" "0/0"
	refused "[$L] sql function: the call fails"
	assert_eq "[$L] sql function: nothing reached app.secret" "$SECRET0" "$(secret_n)"
	nested "[$L] sql function: the INSERT in its body is refused by deny-secret" \
		"statement~INSERT INTO app.secret VALUES (3)" rule=deny-secret outcome=cancelled

	# ---- 4. a trigger: the client's INSERT is approved, the trigger's INSERT is refused ------
	run_as "$L" "INSERT INTO app.t2 VALUES ($i, 'x')" "INSERT INTO app.t2 VALUES ($i, 'x')"
	decided "[$L] trigger: the client's INSERT is held and approved, nothing else held" "1/0"
	refused "[$L] trigger: the client's INSERT fails"
	assert_eq "[$L] trigger: app.t2 has no row $i, app.secret nothing new" "0/$SECRET0" "$(t2_n "$i")/$(secret_n)"
	nested "[$L] trigger: the trigger function's INSERT is refused by deny-secret" \
		"statement~INSERT INTO app.secret VALUES (4)" rule=deny-secret outcome=cancelled 'nesting~"level": 1'

	# ---- 5. a rule action: held, then denied by a person ------------------------------------
	log0=$(sql_admin_val "SELECT count(*) FROM app.rule_log")
	run_as "$L" "UPDATE app.t2" "UPDATE app.t2 SET v = 'y' WHERE id = 50"
	decided "[$L] rule: the UPDATE is approved, its rule action held and denied" "1/1"
	assert_contains "[$L] rule: the rule action is described in the queue" "$RUN_HELD" "rule action"
	refused "[$L] rule: the client's UPDATE fails" 1
	assert_eq "[$L] rule: row 50 unchanged, nothing new in app.rule_log and app.secret" "r/$log0/$SECRET0" \
		"$(sql_admin_val "SELECT v FROM app.t2 WHERE id = 50")/$(sql_admin_val "SELECT count(*) FROM app.rule_log")/$(secret_n)"
	nested "[$L] rule: the rule action was held by hold-writes (checkpoint rule)" \
		"statement~rule action" 'nesting~"checkpoint": "rule"' rule=hold-writes outcome=held
	nested "[$L] rule: ... and denied by root" \
		"statement~rule action" 'nesting~"checkpoint": "rule"' rule=hold-writes outcome=cancelled decided_by=root
	# The same over the extended protocol: the execution (Bind) is approved, the rule action in its portal held
	RUN_EXT=1 run_as "$L" "UPDATE app.t2" 'UPDATE app.t2 SET v = $1 WHERE id = 50' ext
	decided "[$L] rule (extended): the execution is approved, its rule action held and denied" "1/1"
	assert_contains "[$L] rule (extended): the rule action is described in the queue" "$RUN_HELD" "rule action"
	assert_eq "[$L] rule (extended): row 50 unchanged, nothing new in app.rule_log" "r/$log0" \
		"$(sql_admin_val "SELECT v FROM app.t2 WHERE id = 50")/$(sql_admin_val "SELECT count(*) FROM app.rule_log")"

	# ---- 6. the function behind an operator ----------------------------------------------------
	run_as "$L" "" "SELECT 1 OPERATOR(app.===) 1"
	decided "[$L] operator: not held" "0/0"
	refused "[$L] operator: the SELECT fails"
	assert_eq "[$L] operator: nothing reached app.secret" "$SECRET0" "$(secret_n)"
	nested "[$L] operator: the INSERT in its function is refused" \
		"statement~INSERT INTO app.secret VALUES (6)" rule=deny-secret outcome=cancelled

	# ---- 7. the function behind a cast ----------------------------------------------------------
	run_as "$L" "" "SELECT CAST(7 AS app.pt)"
	decided "[$L] cast: not held" "0/0"
	refused "[$L] cast: the SELECT fails"
	assert_eq "[$L] cast: nothing reached app.secret" "$SECRET0" "$(secret_n)"
	nested "[$L] cast: the INSERT in the cast function is refused" \
		"statement~INSERT INTO app.secret VALUES (7)" rule=deny-secret outcome=cancelled

	# ---- 8. a domain CHECK constraint -------------------------------------------------------------
	run_as "$L" "" "SELECT 5::app.checked"
	decided "[$L] domain check: not held" "0/0"
	refused "[$L] domain check: the SELECT fails"
	assert_eq "[$L] domain check: nothing reached app.secret" "$SECRET0" "$(secret_n)"
	nested "[$L] domain check: the INSERT in the CHECK function is refused" \
		"statement~INSERT INTO app.secret VALUES (8)" rule=deny-secret outcome=cancelled

	# ---- 9. an event trigger: the CREATE TABLE is approved, the trigger's INSERT refused ------
	run_as "$L" "CREATE TABLE app.et_probe_$L" "CREATE TABLE app.et_probe_$L (a int)"
	decided "[$L] event trigger: the CREATE TABLE is held and approved, nothing else held" "1/0"
	refused "[$L] event trigger: the CREATE TABLE fails"
	assert_eq "[$L] event trigger: no table, nothing new in app.secret" "t/$SECRET0" \
		"$(sql_admin_val "SELECT to_regclass('app.et_probe_$L') IS NULL")/$(secret_n)"
	nested "[$L] event trigger: its INSERT is refused by deny-secret" \
		"statement~INSERT INTO app.secret VALUES (9)" rule=deny-secret outcome=cancelled

	# ---- 10. CALL with transaction control ------------------------------------------------------
	n=$((100 + i))
	run_as "$L" "INSERT INTO app.t2" "CALL app.report_proc($n)"
	decided "[$L] CALL: the procedure's INSERT into app.t2 is held and approved, nothing else" "1/0"
	refused "[$L] CALL: the CALL fails at its INSERT into app.secret"
	assert_eq "[$L] CALL: the committed INSERT stays (id $n), app.secret nothing new" "1/$SECRET0" "$(t2_n "$n")/$(secret_n)"
	nested "[$L] CALL: the nested INSERT into app.t2 was held by hold-writes" \
		"statement~INSERT INTO app.t2 VALUES (n, 'p')" rule=hold-writes outcome=held
	nested "[$L] CALL: ... approved by root" \
		"statement~INSERT INTO app.t2 VALUES (n, 'p')" rule=hold-writes "outcome=released|ran" decided_by=root
	nested "[$L] CALL: the INSERT after COMMIT is refused by deny-secret" \
		"statement~INSERT INTO app.secret VALUES (10)" rule=deny-secret outcome=cancelled

	# ---- 11. a builtin shadowed by an exact-type match ------------------------------------------
	run_as "$L" "" "SELECT lower(42)"
	decided "[$L] shadowed lower(): not held (it looks like the builtin)" "0/0"
	refused "[$L] shadowed lower(): the SELECT fails"
	assert_eq "[$L] shadowed lower(): nothing reached app.secret" "$SECRET0" "$(secret_n)"
	nested "[$L] shadowed lower(): the INSERT in public.lower(integer) is refused" \
		"statement~INSERT INTO app.secret VALUES (11)" rule=deny-secret outcome=cancelled

	# ---- 12. query_to_xml's query ------------------------------------------------------------------
	run_as "$L" "" "SELECT query_to_xml('SELECT v FROM app.secret', true, false, '')"
	decided "[$L] query_to_xml: not held" "0/0"
	refused "[$L] query_to_xml: reading app.secret through it fails"
	assert_not_contains "[$L] query_to_xml: no row of app.secret reaches the client" "$SQL_OUT" "<v>-1</v>"
	nested "[$L] query_to_xml: its query is refused by deny-secret" \
		"statement=SELECT v FROM app.secret" rule=deny-secret outcome=cancelled
	run_as "$L" "" "SELECT query_to_xml('SELECT id FROM app.t', true, false, '')"
	check "[$L] query_to_xml: an allowed query returns its XML" \
		test "$SQL_RC" -eq 0 -a "$(grep -c '<id>[0-9]*</id>' <<<"$SQL_OUT")" -eq "$T0"
	nested "[$L] query_to_xml: the allowed query is recorded as ran" \
		"statement=SELECT id FROM app.t" rule=allow-read outcome=ran

	# ---- 13. a DO block the policy allows ----------------------------------------------------------
	run_as "$L" "" 'DO $$ BEGIN INSERT INTO app.secret VALUES (13); END $$'
	decided "[$L] DO: not held" "0/0"
	refused "[$L] DO: the block fails"
	assert_eq "[$L] DO: nothing reached app.secret" "$SECRET0" "$(secret_n)"
	nested "[$L] DO: the INSERT inside is refused by deny-secret" \
		"statement~INSERT INTO app.secret VALUES (13)" rule=deny-secret outcome=cancelled

	# ---- 14. nested verdicts are cached in the kernel ---------------------------------------------
	q="SELECT app.report_dyn('SELECT count(*) FROM app.t')"
	run_as "$L" "" "$q" "$q" "$q" "$q"
	assert_eq "[$L] cache: four calls in one session all run" "0/1 1 1 1" "$SQL_RC/$(tr '\n' ' ' <<<"$SQL_OUT" | sed 's/ $//')"
	nested "[$L] cache: a later nested read is allowed by the kernel's cache" \
		"statement=SELECT count(*) FROM app.t" decided_by=cache outcome=ran

	# ---- 15. trusted, nested: record --------------------------------------------------------------
	n=$((200 + i))
	run_as "$L" "" "SELECT app.audited_write($n)"
	decided "[$L] audited: not held" "0/0"
	assert_eq "[$L] audited: its INSERT runs unjudged (id $n in app.t2)" "0/$n/1" "$SQL_RC/$SQL_OUT/$(t2_n "$n")"
	nested "[$L] audited: the nested INSERT is recorded, decided by trusted-function" \
		"statement~INSERT INTO app.t2 VALUES (n, 'a')" decided_by=trusted-function outcome=ran

	# ---- 16. nesting level -----------------------------------------------------------------------------
	run_as "$L" "" "SELECT app.report_outer()"
	assert_eq "[$L] nesting: report_outer runs" "0/1" "$SQL_RC/$SQL_OUT"
	nested "[$L] nesting: the call of report_inner is level 1" \
		"statement~app.report_inner()" 'nesting~"level": 1' outcome=ran
	nested "[$L] nesting: report_inner's SELECT is level 2" \
		"statement~FROM app.t WHERE id > 1" 'nesting~"level": 2' rule=allow-read outcome=ran
	check "[$L] nesting: the level-2 record shares the top-level record's statement_id" \
		shares_statement_id "$L" "FROM app.t WHERE id > 1" 2 "SELECT app.report_outer()"

	# ---- 17. a nested utility statement ---------------------------------------------------------------
	run_as "$L" "" "SELECT app.report_drop()"
	decided "[$L] utility: not held" "0/0"
	refused "[$L] utility: the call fails"
	assert_eq "[$L] utility: app.victim still exists" f "$(sql_admin_val "SELECT to_regclass('app.victim') IS NULL")"
	nested "[$L] utility: the nested DROP TABLE is refused by deny-destructive (checkpoint utility)" \
		"statement~DROP TABLE app.victim" rule=deny-destructive outcome=cancelled 'nesting~"checkpoint": "utility"'

	# ---- 18. built-ins reached without a statement naming them: the function checkpoint ------------------
	run_as "$L" "" "SELECT * FROM app.v_slow"
	refused "[$L] builtin: a view over pg_sleep fails"
	nested "[$L] builtin: pg_sleep's call through the view is refused (checkpoint function)" \
		"statement=SELECT pg_catalog.pg_sleep()" rule=deny-dangerous-function outcome=cancelled \
		'nesting~"checkpoint": "function"'
	run_as "$L" "app.t_default" "INSERT INTO app.t_default (id) VALUES ($i)"
	decided "[$L] builtin: the INSERT is held and approved" "1/0"
	refused "[$L] builtin: its column default's pg_sleep fails it"
	assert_eq "[$L] builtin: no row was inserted" 0 "$(sql_admin_val "SELECT count(*) FROM app.t_default")"
	run_as "$L" "" "SELECT app.report_simple()"
	refused "[$L] builtin: a PL/pgSQL simple expression calling pg_sleep fails"
	run_as "$L" "" "SELECT count(*) FROM app.v_activity"
	refused "[$L] builtin: a view over pg_stat_activity fails"
	nested "[$L] builtin: pg_stat_get_activity through the view is refused as sensitive" \
		"statement=SELECT pg_catalog.pg_stat_get_activity()" rule=deny-sensitive outcome=cancelled

	# ---- 21. SECURITY DEFINER: what it runs as its owner is judged for the login that called it ---------
	run_as "$L" "" "SELECT app.report_definer()"
	refused "[$L] definer: the call fails"
	assert_eq "[$L] definer: nothing reached app.secret" "$SECRET0" "$(secret_n)"
	nested "[$L] definer: its INSERT is refused by deny-secret" "statement~INSERT INTO app.secret VALUES (21)" \
		rule=deny-secret outcome=cancelled
	# ---- 22. a PL/pgSQL handler catches the refusal: the statement still never ran -----------------------
	run_as "$L" "" "SELECT app.report_catch()"
	assert_eq "[$L] catch: the function carries on after catching the refusal" "0/0" "$SQL_RC/$SQL_OUT"
	assert_eq "[$L] catch: the refused INSERT never ran" "$SECRET0" "$(secret_n)"

	# ---- 20. a nested text that lexes into other statements under the other standard_conforming_strings ---
	# (a PL/pgSQL statement's plan may have been prepared under the other setting): refused
	run_as "$L" "" "SELECT app.report_dyn(\$q\$SELECT 'x\\', 1, ''\$q\$)"
	refused "[$L] lexing: a nested statement that means other statements under the other lexing fails"
	nested "[$L] lexing: recorded with the reason" "statement~SELECT 'x" verdict=deny \
		"reasons~standard_conforming_strings on and off"

	# ---- 19. COPY ... TO PROGRAM run by a function: refused before the program starts --------------------
	if [ "$L" = agent_super ]; then
		run_as "$L" "" "SELECT app.report_copy('$MARKER')"
		refused "[$L] copy program: the call fails"
		check "[$L] copy program: the program never ran" test ! -e "$MARKER"
		nested "[$L] copy program: the nested COPY TO PROGRAM is refused (checkpoint utility)" \
			"statement~TO PROGRAM" verdict=deny outcome=cancelled 'nesting~"checkpoint": "utility"'
	fi

	assert_eq "[$L] nothing left pending" 0 "$(pending_list "" | wc -l)"
done

# ---- an ungoverned login's nested statements are not stopped --------------------------------------
sql analyst "SELECT app.report_dyn('SELECT count(*) FROM app.scratch')"
assert_eq "ungoverned: analyst's call and its nested read run" "0/1" "$SQL_RC/$SQL_OUT"
sql analyst "SELECT x FROM app.v_slow"
assert_eq "ungoverned: analyst's read of the view (pg_sleep inside) runs" "0/1" "$SQL_RC/$SQL_OUT"

check "the ledger verifies" "$SQLWARD" verify --ledger "$SW_LEDGER"
gate_stop_check
gate_log_on_failure
finish
