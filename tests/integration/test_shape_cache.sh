#!/usr/bin/env bash
# The in-kernel statement-shape cache against a real PostgreSQL: a statement
# differing only in its literals is allowed in the kernel without a hold, and
# nothing built from an allowed shape slips through (second statements,
# comments, dollar quotes, E'' strings, functions); a policy reload flushes it.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
. tests/lib/assert.sh
. tests/lib/pg.sh
. tests/integration/lib_gate.sh

pg_start
pg_fixtures
POLICY=$SW_TMP/policy.yaml
cp policies/default.yaml "$POLICY"
gate_start "$POLICY"

sql agent_test "SELECT id, v FROM app.t WHERE id = 1"
assert_eq "a read is allowed (and its shape remembered)" "0:1|v1" "$SQL_RC:$SQL_OUT"
sleep 0.3
sql agent_test "SELECT id, v FROM app.t WHERE id = 2"
assert_eq "the same shape with another literal is allowed" "0:2|v2" "$SQL_RC:$SQL_OUT"
ledger_match statement~"WHERE id = 2" decided_by=shape-cache held_us=0
check "ledger: it was allowed by the kernel's shape cache, never held" test $? -eq 0
sql agent_test "SELECT id, v FROM app.t WHERE id = 'x'"
assert_contains "a string where the number was is a new shape (judged, PostgreSQL rejects it)" "$SQL_ERR" "invalid input"

for attack in \
	"SELECT id, v FROM app.t WHERE id = 3; DROP TABLE app.t" \
	"SELECT id, v FROM app.t WHERE id = 3 -- x
; DROP TABLE app.t" \
	"SELECT id, v FROM app.t WHERE id = 3 /* */; DROP TABLE app.t" \
	"SELECT id, v FROM app.t WHERE id = (SELECT count(*) FROM (SELECT pg_sleep(3)) s)" \
	"SELECT id, v FROM app.t WHERE id = \$\$3\$\$::int; DROP TABLE app.t"; do
	start=$(date +%s%N)
	sql agent_test "$attack"
	ms=$((($(date +%s%N) - start) / 1000000))
	assert_contains "not allowed by shape: $(echo "$attack" | head -c 60 | tr '\n' ' ')" "$SQL_ERR" "$SW_CANCEL_MSG"
done
assert_eq "app.t survives every attempt" "t" "$(sql_admin_val "SELECT to_regclass('app.t') IS NOT NULL")"

# A reload flushes every cached verdict: the same shape is judged by the new policy.
cat >"$POLICY" <<'P'
sqlward_policy: 1
govern: { roles: ["agent_*"] }
default: deny
P
kill -HUP "$SW_GATE_PID"
sleep 0.5
sql agent_test "SELECT id, v FROM app.t WHERE id = 4"
assert_contains "after a policy reload the cached shape no longer allows" "$SQL_ERR" "$SW_CANCEL_MSG"
st=$("$SQLWARD" status --socket "$SW_SOCK")
assert_contains "status reports shape-cache counters" "$st" "shape_hits"

gate_stop_check
gate_log_on_failure
finish
