#!/usr/bin/env bash
# Every door a governed login has into PostgreSQL is judged (issue 9): the
# lexing settings the server parses under, fastpath function calls (PQfn),
# replication connections and commands (psql replication=..., pg_recvlogical,
# pg_basebackup), the COPY sub-protocol, every execution of a prepared
# statement (Bind), settings applied at connection start (startup packet,
# ALTER ROLE/DATABASE ... SET) and session settings (allowlist), two-phase
# commit, xid-consuming functions and sensitive catalogs. Each case runs as an
# ordinary governed login (agent_test) and as a governed SUPERUSER (ai_root),
# and is judged on the database's state, the client's error and the ledger.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
. tests/lib/assert.sh
. tests/lib/pg.sh
. tests/integration/lib_gate.sh

export SW_PG_EXTRA_CONF="wal_level = logical
max_prepared_transactions = 5
max_wal_senders = 10
max_replication_slots = 10"
pg_start
pg_fixtures
sql_admin "CREATE ROLE ai_root LOGIN SUPERUSER" \
	"ALTER ROLE agent_test REPLICATION" "ALTER ROLE analyst REPLICATION" \
	"CREATE FUNCTION app.wipe() RETURNS int LANGUAGE plpgsql AS
	   \$\$ BEGIN DELETE FROM app.scratch; RETURN 1; END \$\$" \
	"CREATE FUNCTION app.sneaky_path() RETURNS int LANGUAGE plpgsql AS
	   \$\$ DECLARE v text; BEGIN v := set_config('search_path', 'app, pg_catalog', false); RETURN 1; END \$\$" \
	"GRANT EXECUTE ON FUNCTION app.wipe(), app.sneaky_path() TO agent_test, ai_bot" >/dev/null ||
	sw_die "fixtures: $SQL_ERR"
LOGINS=(agent_test ai_root)

# Ledger records of ROLE's executions (via bind) whose statement contains TEXT.
binds_of() {
	ledger_json 2>/dev/null | python3 -c '
import json, sys
n = 0
for line in sys.stdin:
    r = json.loads(line)
    n += r.get("via") == "bind" and r.get("role") == sys.argv[1] and sys.argv[2] in r.get("statement", "")
print(n)' "$1" "$2"
}
scratch_n() { sql_admin_val "SELECT count(*) FROM app.scratch"; }
scratch_reset() {
	sql_admin "TRUNCATE app.scratch" "INSERT INTO app.scratch SELECT g, 'row ' || g FROM generate_series(1, 20) g" \
		>/dev/null || sw_die "scratch_reset: $SQL_ERR"
}
conn() { echo "host=$SW_PG_HOST port=$SW_PG_PORT dbname=$SW_PG_DB user=$1 connect_timeout=10 ${2:-}"; }
# refused NAME : the client failed and the gate wrote a deny for its statement
refused_ok() {  # NAME CHECK-RESULT(0/1) DETAIL...
	local name=$1 rc=$2; shift 2
	if [ "$rc" -eq 0 ]; then ok "$name"; else not_ok "$name" "$@"; fi
}
# refused_by_gate NAME LEDGER-CONDITION... : the client failed, nothing was held (so the test did
# not deny it itself), and the gate recorded a deny for this login matching the conditions (a
# refusal PostgreSQL would have made on its own, e.g. to a non-superuser, does not pass)
refused_by_gate() {
	local name=$1; shift
	if [ "$SQL_RC" -ne 0 ] && [ "${SETTLE_HELD:-0}" -eq 0 ] && ledger_match role="$L" verdict=deny "$@"; then
		ok "$name"
	else
		not_ok "$name" "rc=$SQL_RC held=${SETTLE_HELD:-?} conditions: $*" "$SQL_ERR"
	fi
}
# run a client command (as the client OS user) in the background, denying
# whatever the gate holds; sets SQL_RC SQL_OUT SQL_ERR
client() { cmd_bg "${SW_AS_CLIENT[@]}" "$@"; settle "$SQL_BG" 40; }
# psql with extra environment (PGOPTIONS ...) as the client OS user
psql_as() {  # ROLE EXTRA-CONNINFO SQL...
	local role=$1 extra=$2 a=(); shift 2
	for s in "$@"; do a+=(-c "$s"); done
	client psql -X -At -v ON_ERROR_STOP=1 "$(conn "$role" "$extra")" "${a[@]}"
}

gate_start "$SW_TOP/policies/default.yaml"

for L in "${LOGINS[@]}"; do
	# ---- 1. the statement the server will run: lexing settings ------------------
	scratch_reset
	ATTACK="SELECT 'x\\''; DELETE FROM app.scratch; --'"
	# Under standard_conforming_strings = on this is one harmless SELECT: allowed and
	# cached in the kernel. Under off, the same bytes are a SELECT and a DELETE.
	psql_as "$L" "" "$ATTACK"
	assert_eq "[$L] lexing: under the default the bytes are one SELECT (allowed)" "0/20" "$SQL_RC/$(scratch_n)"
	psql_as "$L" "" "SET standard_conforming_strings = off" "$ATTACK"
	check "[$L] lexing: SET standard_conforming_strings = off, then the same bytes: refused" \
		test "$SQL_RC" -ne 0 -a "$(scratch_n)" = 20
	assert_ledger "[$L] lexing: the ledger names the hidden DELETE" role="$L" "statement~DELETE FROM app.scratch" \
		verdict=deny "statements~DELETE"
	PGOPTIONS="-c standard_conforming_strings=off" psql_as "$L" "" "$ATTACK"
	check "[$L] lexing: off from the startup packet: refused" test "$SQL_RC" -ne 0 -a "$(scratch_n)" = 20
	sql_admin "ALTER ROLE $L SET standard_conforming_strings = off" >/dev/null
	psql_as "$L" "" "$ATTACK"
	check "[$L] lexing: off from ALTER ROLE ... SET: refused" test "$SQL_RC" -ne 0 -a "$(scratch_n)" = 20
	sql_admin "ALTER ROLE $L RESET standard_conforming_strings" "ALTER SYSTEM SET standard_conforming_strings = off" \
		"SELECT pg_reload_conf()" >/dev/null
	sleep 0.5
	psql_as "$L" "" "$ATTACK"
	check "[$L] lexing: off in the server configuration: refused" test "$SQL_RC" -ne 0 -a "$(scratch_n)" = 20
	psql_as "$L" "" "SELECT 'it\\'s'"
	assert_eq "[$L] lexing: a read under standard_conforming_strings = off still runs" "0/it's" "$SQL_RC/$SQL_OUT"
	sql_admin "ALTER SYSTEM RESET standard_conforming_strings" "SELECT pg_reload_conf()" >/dev/null
	sleep 0.5

	# ---- 2. fastpath function calls (PQfn never reaches the parser) -------------
	lo_before=$(sql_admin_val "SELECT count(*) FROM pg_largeobject_metadata")
	client "$PQ_FASTPATH" "$(conn "$L")" 'lo_creat(integer)' int4:-1
	check "[$L] fastpath: lo_creat refused, no large object created" \
		test "$SQL_RC" -ne 0 -a "$(sql_admin_val "SELECT count(*) FROM pg_largeobject_metadata")" = "$lo_before"
	assert_ledger "[$L] fastpath: recorded via fastpath with the function's name" role="$L" via=fastpath \
		"statement~lo_creat" verdict=deny
	client "$PQ_FASTPATH" "$(conn "$L")" 'app.wipe()'
	check "[$L] fastpath: a user function that deletes is not run" test "$SQL_RC" -ne 0 -a "$(scratch_n)" = 20
	sql_bg analyst "SELECT set_config('application_name', 'sw_victim', false), pg_sleep(30)"
	victim=$SQL_BG
	vpid=
	for _ in $(seq 1 100); do  # (its session may take a while to start on a loaded machine)
		vpid=$(sql_admin_val "SELECT pid FROM pg_stat_activity WHERE application_name = 'sw_victim'")
		[ -n "$vpid" ] && break; sleep 0.1
	done
	client "$PQ_FASTPATH" "$(conn "$L")" 'pg_terminate_backend(integer,bigint)' "int4:${vpid:-0}" int8:0
	check "[$L] fastpath: pg_terminate_backend refused, the other session lives" \
		test "$SQL_RC" -ne 0 -a "$(sql_admin_val "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'sw_victim'")" = 1
	kill "$(cat "$victim.pid")" 2>/dev/null; sql_admin "SELECT pg_cancel_backend(${vpid:-0})" >/dev/null
	client "$PQ_FASTPATH" "$(conn "$L")" 'abs(integer)' int4:-5
	assert_eq "[$L] fastpath: a read-only builtin runs" "0/5" "$SQL_RC/$SQL_OUT"

	# ---- 3. replication connections and commands ---------------------------------
	REPL="replication=database"
	psql_as "$L" "$REPL" "CREATE_REPLICATION_SLOT sw_slot_$L LOGICAL test_decoding"
	check "[$L] replication: CREATE_REPLICATION_SLOT refused, no slot" \
		test "$SQL_RC" -ne 0 -a "$(sql_admin_val "SELECT count(*) FROM pg_replication_slots WHERE slot_name = 'sw_slot_$L'")" = 0
	assert_ledger "[$L] replication: recorded as class replication" role="$L" via=replication class=replication \
		command=CREATE_REPLICATION_SLOT verdict=deny
	psql_as "$L" "$REPL" "IDENTIFY_SYSTEM"
	check "[$L] replication: IDENTIFY_SYSTEM refused" test "$SQL_RC" -ne 0
	psql_as "$L" "replication=true" "IDENTIFY_SYSTEM"
	check "[$L] replication: a physical walsender's command refused" test "$SQL_RC" -ne 0
	psql_as "$L" "$REPL" "SELECT count(*) FROM app.scratch"
	assert_eq "[$L] replication: SQL on a database walsender is judged as SQL (a read runs)" "0/20" "$SQL_RC/$SQL_OUT"
	psql_as "$L" "$REPL" "DELETE FROM app.scratch"
	check "[$L] replication: SQL on a database walsender is judged as SQL (a DELETE is refused)" \
		test "$SQL_RC" -ne 0 -a "$(scratch_n)" = 20
	sql_admin "SELECT pg_create_logical_replication_slot('admin_slot_$L', 'test_decoding')" \
		"INSERT INTO app.scratch VALUES (1000, 'secret change')" >/dev/null
	rm -f "$SW_TMP/recv.out"
	client "$SW_PG_BINDIR/pg_recvlogical" -d "$(conn "$L")" --slot "admin_slot_$L" --start -f "$SW_TMP/recv.out" \
		--no-loop
	check "[$L] pg_recvlogical --start refused, no change streamed" \
		test "$SQL_RC" -ne 0 -a ! -s "$SW_TMP/recv.out"
	assert_ledger "[$L] pg_recvlogical: its replication commands are refused and recorded" role="$L" via=replication \
		verdict=deny
	client "$SW_PG_BINDIR/pg_recvlogical" -d "$(conn "$L")" --slot "recv_slot_$L" --create-slot --plugin test_decoding
	check "[$L] pg_recvlogical --create-slot refused" \
		test "$SQL_RC" -ne 0 -a "$(sql_admin_val "SELECT count(*) FROM pg_replication_slots WHERE slot_name = 'recv_slot_$L'")" = 0
	sql_admin "SELECT pg_drop_replication_slot('admin_slot_$L')" "DELETE FROM app.scratch WHERE id = 1000" >/dev/null
	rm -rf "$SW_TMP/bb_$L"
	client "$SW_PG_BINDIR/pg_basebackup" -d "$(conn "$L")" -D "$SW_TMP/bb_$L" -X none --no-sync
	check "[$L] pg_basebackup refused, nothing copied" \
		test "$SQL_RC" -ne 0 -a ! -e "$SW_TMP/bb_$L/PG_VERSION"
	assert_ledger "[$L] pg_basebackup: its first replication command recorded" role="$L" via=replication verdict=deny

	# ---- 4. COPY sub-protocol -------------------------------------------------------
	cmd_bg bash -c "printf '99\tcopied\n' | runuser -u $SW_CLIENT_USER -- psql -X -v ON_ERROR_STOP=1 '$(conn "$L")' -c '\\copy app.scratch FROM STDIN'"
	settle "$SQL_BG" 40
	check "[$L] COPY FROM STDIN is judged as a write (held, denied): no row copied" \
		test "$SQL_RC" -ne 0 -a "$(scratch_n)" = 20
	psql_as "$L" "" "COPY (SELECT id FROM app.scratch ORDER BY id LIMIT 3) TO STDOUT"
	assert_eq "[$L] COPY ... TO STDOUT (a read) runs" "0/1 2 3" "$SQL_RC/$(echo $SQL_OUT)"

	# ---- 5. an approval covers one execution; each execution is judged ------------
	scratch_reset
	cmd_bg "${SW_AS_CLIENT[@]}" "$PQ_EXTENDED" --each "$(conn "$L")" "DELETE FROM app.scratch WHERE id = \$1" 1 2
	h=$SQL_BG
	if wait_pending 20 "DELETE FROM app.scratch WHERE id"; then
		dossier=$(pending_json)
		check "[$L] bind: the held execution shows its parameter value (1)" \
			python3 -c 'import json,sys; p=[x for x in json.load(sys.stdin) if "DELETE" in x["statement"]][0]; sys.exit(0 if p.get("via")=="bind" and p["parameters"][0]["value"]=="1" else 1)' <<<"$dossier"
		"$SQLWARD" approve "$PENDING_ID" --socket "$SW_SOCK" >/dev/null 2>&1
		first=$PENDING_ID
		if wait_pending 20 "DELETE FROM app.scratch WHERE id" && [ "$PENDING_ID" != "$first" ]; then
			check "[$L] bind: the next execution is held again, with its own value (2)" \
				python3 -c 'import json,sys; p=[x for x in json.load(sys.stdin) if "DELETE" in x["statement"]][0]; sys.exit(0 if p["parameters"][0]["value"]=="2" else 1)' <<<"$(pending_json)"
			"$SQLWARD" deny "$PENDING_ID" --socket "$SW_SOCK" >/dev/null 2>&1
		else
			not_ok "[$L] bind: the next execution is held again" "nothing new held"
		fi
	else
		not_ok "[$L] bind: the execution of a parameterized DELETE is held" "nothing held"
	fi
	settle "$h" 30
	assert_eq "[$L] bind: exactly the approved execution ran (row 1 gone, row 2 kept)" "0/1" \
		"$(sql_admin_val "SELECT count(*) FILTER (WHERE id = 1) || '/' || count(*) FILTER (WHERE id = 2) FROM app.scratch")"
	assert_ledger "[$L] bind: the denied execution is recorded with its parameter" role="$L" via=bind verdict=deny \
		"parameters~\"2\""
	# A parse approved by a human covers its first execution only.
	scratch_reset
	cmd_bg "${SW_AS_CLIENT[@]}" "$PQ_EXTENDED" --repeat 2 "$(conn "$L")" "UPDATE app.scratch SET v = v || 'x' WHERE id = 3"
	h=$SQL_BG
	if wait_pending 20 "UPDATE app.scratch"; then
		"$SQLWARD" approve "$PENDING_ID" --socket "$SW_SOCK" >/dev/null 2>&1
		first=$PENDING_ID
		if wait_pending 20 "UPDATE app.scratch" && [ "$PENDING_ID" != "$first" ]; then
			ok "[$L] token: the second execution of an approved parse is held again"
			"$SQLWARD" deny "$PENDING_ID" --socket "$SW_SOCK" >/dev/null 2>&1
		else
			not_ok "[$L] token: the second execution of an approved parse is held again" "nothing new held"
		fi
	else
		not_ok "[$L] token: the parse of an UPDATE is held" "nothing held"
	fi
	settle "$h" 30
	assert_eq "[$L] token: the approved statement ran exactly once" "row 3x" \
		"$(sql_admin_val "SELECT v FROM app.scratch WHERE id = 3")"
	# What policy allows may run again and again; each execution is recorded.
	before=$(binds_of "$L" 'WHERE id = $1 AND true')
	client "$PQ_EXTENDED" --repeat 5 "$(conn "$L")" "SELECT v FROM app.scratch WHERE id = \$1 AND true" 4
	assert_eq "[$L] bind: an allowed prepared SELECT runs five times" "0/5" "$SQL_RC/$(grep -c 'row 4' <<<"$SQL_OUT")"
	sleep 1.2
	after=$(binds_of "$L" 'WHERE id = $1 AND true')
	assert_eq "[$L] bind: each of the five executions is in the ledger" 5 "$((after - before))"

	# SQL EXECUTE runs what the session really prepared: a PREPARE that failed in an
	# aborted transaction, then a protocol-level Parse reusing its name.
	scratch_reset
	cmd_bg "${SW_AS_CLIENT[@]}" "$PQ_EXTENDED" --steps "$(conn "$L")" "Q:BEGIN" "Q:SELECT 1/0" \
		"Q:PREPARE p AS SELECT 1" "Q:ROLLBACK" "P:p:DELETE FROM app.scratch WHERE id = \$1" "Q:EXECUTE p(1)"
	settle "$SQL_BG" 40
	check "[$L] EXECUTE of a name whose PREPARE failed runs what is really prepared: judged, refused" \
		test "$(sql_admin_val "SELECT count(*) FROM app.scratch WHERE id = 1")" = 1
	assert_ledger "[$L] EXECUTE: the prepared DELETE is judged at its execution" role="$L" via=bind \
		"statement~DELETE FROM app.scratch WHERE id = \$1" verdict=hold
	# An approved EXECUTE of what sqlward saw prepared runs once, with no second review.
	scratch_reset
	cmd_bg "${SW_AS_CLIENT[@]}" "$PQ_EXTENDED" --steps "$(conn "$L")" \
		"Q:PREPARE q AS UPDATE app.scratch SET v = v || 'e' WHERE id = 5" "Q:EXECUTE q"
	h=$SQL_BG approvals=0
	for _ in 1 2 3; do
		if wait_pending 10 ""; then
			"$SQLWARD" approve "$PENDING_ID" --socket "$SW_SOCK" >/dev/null 2>&1 && approvals=$((approvals + 1))
			sleep 0.3
		fi
		bg_done "$h" && break
	done
	settle "$h" 30
	assert_eq "[$L] EXECUTE: PREPARE and EXECUTE approved once each, the execution covered" "2/row 5e" \
		"$approvals/$(sql_admin_val "SELECT v FROM app.scratch WHERE id = 5")"
	# An approval used by a simple Query does not also cover a later Bind of the same text:
	# Parse s1 (approved: covers its first Bind), the same text as a Query (approved), then
	# Bind s1 again, which must be held anew. Two approvals, two runs.
	scratch_reset
	cmd_bg "${SW_AS_CLIENT[@]}" "$PQ_EXTENDED" --steps "$(conn "$L")" \
		"P:s1:UPDATE app.scratch SET v = v || 't' WHERE id = 6" "E:s1:" \
		"Q:UPDATE app.scratch SET v = v || 't' WHERE id = 6" "E:s1:"
	h=$SQL_BG approvals=0 third=no
	for _ in 1 2 3 4; do
		wait_pending 20 "WHERE id = 6" || break
		if [ "$approvals" -lt 2 ]; then
			"$SQLWARD" approve "$PENDING_ID" --socket "$SW_SOCK" >/dev/null 2>&1 && approvals=$((approvals + 1))
			n=0; while [ "$(pending_list "WHERE id = 6" | awk '{print $1}')" = "$PENDING_ID" ] && [ "$n" -lt 50 ]; do
				sleep 0.1; n=$((n + 1)); done
		else
			third=yes
			"$SQLWARD" deny "$PENDING_ID" --socket "$SW_SOCK" >/dev/null 2>&1
			break
		fi
	done
	settle "$h" 30
	assert_eq "[$L] token: the Bind after an approved Query of the same text is held again" yes "$third"
	assert_eq "[$L] token: two approvals, two runs" "2/row 6tt" \
		"$approvals/$(sql_admin_val "SELECT v FROM app.scratch WHERE id = 6")"

	# ---- 6. settings applied at connection start ---------------------------------------
	PGOPTIONS="-c role=app_owner" psql_as "$L" "" "SELECT current_user"
	check "[$L] startup: -c role=app_owner refuses the connection" test "$SQL_RC" -ne 0 -a "$SQL_OUT" != app_owner
	assert_ledger "[$L] startup: the refused setting is recorded" role="$L" via=setting "setting~role" verdict=deny
	PGOPTIONS="-c search_path=app,pg_catalog" psql_as "$L" "" "SELECT 1"
	refused_by_gate "[$L] startup: a search_path ahead of pg_catalog refuses the connection" via=setting "setting~search_path"
	PGOPTIONS="-c statement_timeout=0" psql_as "$L" "" "SELECT 1"
	refused_by_gate "[$L] startup: statement_timeout=0 refuses the connection" via=setting "setting~statement_timeout"
	PGOPTIONS="-c session_replication_role=replica" psql_as "$L" "" "SELECT 1"
	refused_by_gate "[$L] startup: session_replication_role refuses the connection" via=setting \
		"setting~session_replication_role"
	PGOPTIONS="-c application_name=agentx -c statement_timeout=30s" psql_as "$L" "" "SELECT current_setting('statement_timeout')"
	assert_eq "[$L] startup: harmless settings connect" "0/30s" "$SQL_RC/$SQL_OUT"
	sql_admin "ALTER ROLE $L SET role = 'app_owner'" >/dev/null
	psql_as "$L" "" "SELECT current_user"
	check "[$L] ALTER ROLE ... SET role: the connection is refused" test "$SQL_RC" -ne 0 -a "$SQL_OUT" != app_owner
	sql_admin "ALTER ROLE $L RESET role" "ALTER DATABASE $SW_PG_DB SET log_statement = 'none'" >/dev/null
	psql_as "$L" "" "SELECT 1"
	refused_by_gate "[$L] ALTER DATABASE ... SET log_statement: the connection is refused" via=setting \
		"setting~log_statement"
	sql_admin "ALTER DATABASE $SW_PG_DB RESET log_statement" "ALTER ROLE $L SET default_transaction_read_only = on" >/dev/null
	psql_as "$L" "" "SHOW default_transaction_read_only"
	assert_eq "[$L] ALTER ROLE ... SET default_transaction_read_only = on: connects (it only tightens)" "0/on" "$SQL_RC/$SQL_OUT"
	for weaken in "SET default_transaction_read_only = off" "SET SESSION CHARACTERISTICS AS TRANSACTION READ WRITE" \
		"BEGIN READ WRITE" "SET transaction_read_only = off"; do
		psql_as "$L" "" "$weaken" "SELECT 1"
		refused_by_gate "[$L] read-only kept: '$weaken' refused" "statement~$weaken"
	done
	sql_admin "ALTER ROLE $L RESET default_transaction_read_only" >/dev/null

	# ---- 7. session settings: an allowlist ---------------------------------------------
	for bad in "SET statement_timeout = 0" "RESET ROLE" "SET search_path = app, pg_catalog" "SET work_mem = '1GB'" \
		"SET log_statement = 'none'" "SET pgaudit.log = 'none'" "SET session_replication_role = replica" \
		"SELECT set_config('search_path', 'app, pg_catalog', false)"; do
		psql_as "$L" "" "$bad" "SELECT 1"
		refused_by_gate "[$L] session setting refused: $bad" "statement~$bad"
	done
	psql_as "$L" "" "SET statement_timeout = '2min'" "SET search_path = app" "SET application_name = 'a'" \
		"SET TimeZone = 'UTC'" "SHOW statement_timeout"
	assert_eq "[$L] session settings on the allowlist run" "0/2min" "$SQL_RC/$(tail -n1 <<<"$SQL_OUT")"
	psql_as "$L" "" "SET statement_timeout = '1min'" "SET statement_timeout = '10min'"
	refused_by_gate "[$L] a timeout may be lowered, not raised again" "statement~SET statement_timeout = '10min'"

	# ---- 8. two-phase commit, xid-consuming functions, sensitive catalogs ---------------
	psql_as "$L" "" "BEGIN" "SELECT 1" "PREPARE TRANSACTION 'sw_$L'"
	check "[$L] PREPARE TRANSACTION refused" \
		test "$SQL_RC" -ne 0 -a "$(sql_admin_val "SELECT count(*) FROM pg_prepared_xacts")" = 0
	sql_admin "BEGIN" "INSERT INTO app.scratch VALUES (500, 'two-phase')" "PREPARE TRANSACTION 'admin_$L'" >/dev/null
	psql_as "$L" "" "COMMIT PREPARED 'admin_$L'"
	check "[$L] COMMIT PREPARED of another session's transaction refused" \
		test "$SQL_RC" -ne 0 -a "$(sql_admin_val "SELECT count(*) FROM pg_prepared_xacts WHERE gid = 'admin_$L'")" = 1
	refused_by_gate "[$L] ... by the gate" "statement~COMMIT PREPARED 'admin_$L'"
	sql_admin "ROLLBACK PREPARED 'admin_$L'" >/dev/null
	psql_as "$L" "" "SELECT txid_current()"
	check "[$L] txid_current() (consumes a transaction id) is held as a write, not run as a read" \
		test "${SETTLE_HELD:-0}" -ge 1 -a "$SQL_RC" -ne 0
	for cat in pg_authid pg_shadow pg_user_mappings pg_hba_file_rules pg_file_settings pg_stat_activity pg_settings; do
		psql_as "$L" "" "SELECT count(*) FROM $cat"
		refused_by_gate "[$L] sensitive catalog refused: $cat" "statement~FROM $cat"
	done
done

# ---- 9. an ungoverned replication client is observed, not stopped -------------------------
psql_as analyst "replication=database" "IDENTIFY_SYSTEM"
assert_eq "ungoverned: IDENTIFY_SYSTEM runs" 0 "$SQL_RC"
assert_ledger "ungoverned: the replication command is recorded (observed)" role=analyst via=replication outcome=observed

# ---- 10. a setting changed at run time inside code the policy allows ------------------------
# (a PL/pgSQL simple expression: evaluated without the executor, so it is the setting
# checkpoint that sees it; a PERFORM would be refused as a nested statement first)
gate_stop_check "daemon stops cleanly (default policy)"
cat >"$SW_TMP/allow-fn.yaml" <<'YAML'
sqlward_policy: 1
govern:
  roles: ["agent_*", "ai_*"]
default: deny
rules:
  - id: deny-unsafe-setting
    match: { trait: [unsafe_setting, session_escalation] }
    action: deny
  - id: allow-app-functions
    match: { function: "app.*" }
    action: allow
  - id: allow-identify-system
    match: { class: replication, command: [IDENTIFY_SYSTEM, SHOW] }
    action: allow
  - id: allow-read
    match: { class: [read, session, transaction] }
    action: allow
YAML
gate_start "$SW_TMP/allow-fn.yaml"
psql_as agent_test "" "SELECT app.sneaky_path()" "SHOW search_path"
check "run-time set_config() inside an allowed function is judged: refused, search_path unchanged" \
	test "$SQL_RC" -ne 0
assert_ledger "the run-time setting is recorded" role=agent_test via=setting "setting~app, pg_catalog" verdict=deny \
	"setting~SET or set_config"

# pg_recvlogical gets as far as START_REPLICATION when IDENTIFY_SYSTEM is allowed: that is refused.
sql_admin "SELECT pg_create_logical_replication_slot('admin_slot', 'test_decoding')" \
	"INSERT INTO app.scratch VALUES (1001, 'secret change')" >/dev/null
rm -f "$SW_TMP/recv2.out"
client "$SW_PG_BINDIR/pg_recvlogical" -d "$(conn agent_test)" --slot admin_slot --start -f "$SW_TMP/recv2.out" --no-loop
check "pg_recvlogical: START_REPLICATION refused, no change streamed" test "$SQL_RC" -ne 0 -a ! -s "$SW_TMP/recv2.out"
assert_ledger "pg_recvlogical: START_REPLICATION recorded with its slot" role=agent_test command=START_REPLICATION \
	verdict=deny "reasons~admin_slot"
assert_ledger "pg_recvlogical: IDENTIFY_SYSTEM (allowed by this policy) ran" role=agent_test command=IDENTIFY_SYSTEM \
	outcome=ran
sql_admin "SELECT pg_drop_replication_slot('admin_slot')" "DELETE FROM app.scratch WHERE id = 1001" >/dev/null

gate_log_on_failure
finish
