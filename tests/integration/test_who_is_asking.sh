#!/usr/bin/env bash
# Who is asking (issue 14, item 5): every statement record carries the session's
# application_name, the client process's executable and command line (the client
# runs on this host), and the request id of a leading /* sqlward: request=ID */
# comment or of request=ID in application_name (the comment wins). application_name
# is followed when the session changes it. The policy matches on application_name
# and client executable, and a verdict the kernel cached for one client is not
# reused for another on the same login.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
. tests/lib/assert.sh
. tests/lib/pg.sh
. tests/integration/lib_gate.sh

pg_start
pg_fixtures
POLICY=$SW_TMP/who.yaml
cat >"$POLICY" <<'EOF2'
sqlward_policy: 1
govern: { roles: ["agent_*"] }
default: deny
rules:
  - id: no-reads-from-pq-extended
    match: { class: read, client_exe: ["*/pq_extended"], command: [SELECT], relation: ["app.*"] }
    action: deny
    reason: this tool may not read app tables
  - id: no-blocked-app
    match: { class: read, application: ["blocked-*"] }
    action: deny
    reason: blocked application
  - id: allow-read
    match: { class: [read, transaction, session] }
    action: allow
EOF2
gate_start "$POLICY"

# no_field FIELD STATEMENT-SUBSTR: the statement's records exist and none has FIELD.
no_field() {
	local field=$1 sub=$2
	ledger_match statement~"$sub" || return 1
	ledger_json --type all 2>/dev/null | python3 -c '
import json, sys
field, sub = sys.argv[1], sys.argv[2]
bad = [l for l in sys.stdin if l.strip() and sub in json.loads(l).get("statement", "") and field in json.loads(l)]
sys.exit(1 if bad else 0)' "$field" "$sub"
}

# ---- psql with PGAPPNAME and a leading request comment ------------------------------------
PGAPPNAME=agent-7 sql agent_test "/* sqlward: request=q-001 */ SELECT 'who-1'"
assert_eq "psql runs the commented SELECT" "0:who-1" "$SQL_RC:$SQL_OUT"
assert_ledger "ledger: application_name, request_id from the comment" role=agent_test statement~"'who-1'" \
	application_name=agent-7 request_id=q-001 outcome=ran
assert_ledger "ledger: client_exe is psql, client_cmdline its argv" statement~"'who-1'" client_exe~/psql \
	client_cmdline~"psql -X"

# A comment that is not leading, or inside a string, is no request id.
PGAPPNAME=agent-7 sql agent_test "SELECT 'who-2' /* sqlward: request=late */"
check "a trailing comment gives no request_id" no_field request_id "'who-2'"
PGAPPNAME=agent-7 sql agent_test "SELECT '/* sqlward: request=str */ who-3'"
check "a comment inside a string gives no request_id" no_field request_id "who-3'"

# request=ID in application_name; the comment wins over it.
PGAPPNAME="agent-8 request=app-42" sql agent_test "SELECT 'who-4'"
assert_ledger "ledger: request_id from application_name" statement~"'who-4'" request_id=app-42 \
	application_name="agent-8 request=app-42"
PGAPPNAME="agent-8 request=app-42" sql agent_test "/* sqlward: request=cmt-1 */ SELECT 'who-5'"
assert_ledger "ledger: the comment wins over application_name" statement~"'who-5'" request_id=cmt-1

# ---- the extended protocol (Parse/Bind/Execute) -------------------------------------------
PGAPPNAME=ext-agent "${SW_AS_CLIENT[@]}" "$PQ_EXTENDED" "$(pg_conninfo agent_test)" \
	"/* sqlward: request=ext-1 */ SELECT 'who-6', \$1::int" 5 >"$SW_TMP/ext.out" 2>&1
assert_eq "pq_extended runs the parameterized SELECT" "0" "$?"
assert_ledger "ledger: the Parse has application_name and request_id" statement~"'who-6'" \
	application_name=ext-agent request_id=ext-1 client_exe~/pq_extended
assert_ledger "ledger: the Bind too" statement~"'who-6'" via=bind request_id=ext-1 client_exe~/pq_extended

# ---- SET application_name mid-session ------------------------------------------------------
PGAPPNAME=first-name sql agent_test "SELECT 'who-7'" "SET application_name = 'second-name'" "SELECT 'who-8'"
assert_eq "the session runs" "0" "$SQL_RC"
assert_ledger "ledger: before the SET, the first name" statement~"'who-7'" application_name=first-name
assert_ledger "ledger: after the SET, the new name" statement~"'who-8'" application_name=second-name
# Ungoverned (observed) sessions are followed too. They are never stopped, so what the daemon reads
# is the session as it is when the record is written: the pauses keep each statement apart.
PGAPPNAME=adm-first sql_admin "SELECT 'who-9'" "SELECT pg_sleep(0.3)" "SET application_name = 'adm-second'" \
	"SELECT 'who-10'" "SELECT pg_sleep(0.5)"
assert_ledger "ledger (observed): before the SET" statement~"'who-9'" application_name=adm-first outcome=observed
assert_ledger "ledger (observed): after the SET" statement~"'who-10'" application_name=adm-second \
	outcome=observed
sql_admin "SELECT set_config('application_name', 'via-function', false)" "SELECT 'who-11'" "SELECT pg_sleep(0.5)"
assert_ledger "ledger (observed): set_config() is followed" statement~"'who-11'" application_name=via-function

# ---- policy on client_exe and application_name; verdicts cached per client -----------------
sql agent_test "SELECT v FROM app.t WHERE id = 1"
assert_eq "psql may read app.t" "0" "$SQL_RC"
sql agent_test "SELECT v FROM app.t WHERE id = 1"
assert_eq "psql reads it again (now from the kernel's cache)" "0" "$SQL_RC"
"${SW_AS_CLIENT[@]}" "$PQ_EXTENDED" --unnamed "$(pg_conninfo agent_test)" "SELECT v FROM app.t WHERE id = 1" \
	>"$SW_TMP/ext2.out" 2>&1
rc=$?
assert_eq "the same SELECT from pq_extended is refused (client_exe)" "1" "$rc"
assert_contains "the client reads the cancel" "$(cat "$SW_TMP/ext2.out")" "$SW_CANCEL_MSG"
assert_ledger "ledger: denied by the client_exe rule" statement~"FROM app.t WHERE id = 1" \
	rule=no-reads-from-pq-extended verdict=deny client_exe~/pq_extended

PGAPPNAME=blocked-bot sql agent_test "SELECT v FROM app.t WHERE id = 1"
assert_eq "the same SELECT under application_name blocked-bot is refused" "1" "$SQL_RC"
assert_ledger "ledger: denied by the application rule" statement~"FROM app.t WHERE id = 1" \
	rule=no-blocked-app application_name=blocked-bot

# Mid-session: allowed (and cached) under one name, refused once the session renames itself.
SQL_CONTINUE=1 sql agent_test "SELECT v FROM app.t WHERE id = 2" "SET application_name = 'blocked-later'" \
	"SELECT v FROM app.t WHERE id = 2"
assert_contains "after renaming itself, the cached SELECT is refused" "$SQL_ERR" "$SW_CANCEL_MSG"
assert_ledger "ledger: the renamed session's SELECT denied" statement~"WHERE id = 2" rule=no-blocked-app \
	application_name=blocked-later

# ---- sqlward log --request / --application --------------------------------------------------
out=$("$SQLWARD" log --ledger "$SW_LEDGER" --format json --request q-001 2>&1)
assert_contains "log --request q-001 shows that request's statement" "$out" "who-1"
assert_not_contains "log --request q-001 shows no other" "$out" "who-4"
out=$("$SQLWARD" log --ledger "$SW_LEDGER" --format json --application 'adm-*' 2>&1)
assert_contains "log --application 'adm-*' shows the renamed admin session" "$out" "who-10"
assert_not_contains "log --application 'adm-*' shows no agent statement" "$out" "who-1'"

check "the ledger verifies" "$SQLWARD" verify --ledger "$SW_LEDGER"
gate_stop_check
gate_log_on_failure
finish
