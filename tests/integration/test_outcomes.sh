#!/usr/bin/env bash
# The ledger records what happened to an approved statement, not what was
# intended: after release, the backend is watched until it is idle again and
# an "outcome" record says completed (command tags, rows), cancelled by the
# server (statement_timeout ran out during the hold), failed (SQLSTATE and
# message), or terminated. Asserted against the database and the client.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
. tests/lib/assert.sh
. tests/lib/pg.sh
. tests/integration/lib_gate.sh

pg_start
pg_fixtures
POLICY=$SW_TMP/outcomes.yaml
cat >"$POLICY" <<'EOF2'
sqlward_policy: 1
govern: { roles: ["agent_*"] }
default: deny
rules:
  - id: hold-writes
    match: { class: write }
    action: hold
    approvers: [root]
  - id: allow-read
    match: { class: [read, transaction, session] }
    action: allow
EOF2
gate_start "$POLICY"
val() { sql_admin_val "SELECT v FROM app.t WHERE id = $1"; }
approve() { "$SQLWARD" approve "$1" --socket "$SW_SOCK" ${2:-} >"$SW_TMP/approve.out" 2>&1; }

# ---- completed: the command tag and rows PostgreSQL reported ------------------------------
sql_bg agent_test "UPDATE app.t SET v = 'done' WHERE id <= 2"
h=$SQL_BG
check "an UPDATE is held" wait_pending 15 "'done'"
id=$PENDING_ID
approve "$id"
sql_wait "$h"
assert_eq "approved, it runs" "0:done" "$SQL_RC:$(val 2)"
assert_ledger "ledger: outcome completed, UPDATE 2, 2 rows" type=outcome hold="$id" outcome=completed \
	rows=2 commands~'"tag": "UPDATE", "rows": 2'

# ---- several statements in one string: every command is listed ---------------------------
sql_bg agent_test "UPDATE app.t SET v = 'a' WHERE id = 1; DELETE FROM app.t WHERE id = 999"
h=$SQL_BG
check "a two-statement write is held" wait_pending 15 "id = 999"
id=$PENDING_ID
approve "$id"
sql_wait "$h"
assert_ledger "ledger: both commands of the string are in the outcome" type=outcome hold="$id" \
	outcome=completed commands~'"tag": "DELETE", "rows": 0'

# ---- failed: SQLSTATE and message ---------------------------------------------------------
sql_bg agent_test "UPDATE app.t SET v = (1 / (id - id))::text WHERE id = 3"
h=$SQL_BG
check "an UPDATE that will fail is held" wait_pending 15 "(id - id)"
id=$PENDING_ID
approve "$id"
sql_wait "$h"
assert_contains "the client sees the error" "$SQL_ERR" "division by zero"
assert_ledger "ledger: outcome failed, SQLSTATE 22012" type=outcome hold="$id" outcome=failed sqlstate=22012 \
	message~"division by zero"

# ---- cancelled by the server: statement_timeout ran out while held ------------------------
sql_bg agent_test "SET statement_timeout = '1s'" "UPDATE app.t SET v = 'too-late' WHERE id = 4"
h=$SQL_BG
check "an UPDATE with a 1 s statement_timeout is held" wait_pending 15 "'too-late'"
id=$PENDING_ID
sleep 1.5
approve "$id"
if grep -q -- "--force" "$SW_TMP/approve.out"; then
	ok "approve warns that the server will cancel it and asks for --force"
	approve "$id" --force
else
	not_ok "approve warns that the server will cancel it and asks for --force" "$(cat "$SW_TMP/approve.out")"
fi
sql_wait "$h"
client_msg=$(printf '%s' "$SQL_ERR" | grep -o 'canceling statement due to [a-z ]*' | head -n1)
assert_contains "the client is told the statement was cancelled" "$client_msg" "canceling statement due to"
assert_eq "the UPDATE did not run" v4 "$(val 4)"
assert_ledger "ledger: outcome cancelled (57014) with the message the client saw" type=outcome hold="$id" \
	outcome=cancelled sqlstate=57014 message="$client_msg"
python3 - "$client_msg" <<'PY'
import sys
text = open("README.md").read()
para = next(p for p in text.split("\n\n") if "outlasts the session's `statement_timeout`" in p)
sys.exit(0 if sys.argv[1] in " ".join(para.split()) else 1)
PY
check "README describes the error as the client sees it ($client_msg)" test $? -eq 0

# ---- terminated while running ------------------------------------------------------------
sql_bg agent_test "UPDATE app.t SET v = pg_sleep(30)::text WHERE id = 5"
h=$SQL_BG
check "a slow UPDATE is held" wait_pending 15 "pg_sleep(30)"
id=$PENDING_ID pid=$PENDING_PID
approve "$id"
sleep 1
sql_admin "SELECT pg_terminate_backend($pid)" >/dev/null
sql_wait "$h"
assert_ledger "ledger: outcome terminated (57P01)" type=outcome hold="$id" outcome=terminated sqlstate=57P01

# ---- denied statements get no outcome record; their decision says cancelled ---------------
sql_bg agent_test "UPDATE app.t SET v = 'denied' WHERE id = 1"
h=$SQL_BG
check "an UPDATE is held" wait_pending 15 "'denied'"
id=$PENDING_ID
"$SQLWARD" deny "$id" --socket "$SW_SOCK" >/dev/null 2>&1
sql_wait "$h"
sleep 0.5
ledger_match type=outcome hold="$id"
check "a denied statement has no outcome record" test $? -ne 0
check "the ledger verifies" "$SQLWARD" verify --ledger "$SW_LEDGER"
gate_stop_check
gate_log_on_failure
finish
