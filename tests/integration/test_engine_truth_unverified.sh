#!/usr/bin/env bash
# A server binary whose executor layout sqlward cannot verify: the execution
# checkpoint is not attached (rather than misread), `sqlward status` says so
# and why, and what the gate would have needed it for is refused instead:
# procedural code and SQL run from a string, even where the policy allows
# them. Everything else is gated as before. The binary is a private copy of
# PostgreSQL 15 whose PortalDefineQuery stores its fields in another order (two
# independent stores swapped: the server behaves the same, but the code is not
# the field copy sqlward verifies).
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
. tests/lib/assert.sh
. tests/lib/pg.sh
. tests/integration/lib_gate.sh

pg_private_copy
# mov %rsi,0x8(%rdi); mov %rdx,0x38(%rdi)  ->  the same two stores, the other way round.
patched=$(python3 - "$SW_PG_BIN" <<'PY'
import sys
p = sys.argv[1]
b = bytearray(open(p, "rb").read())
pat = bytes.fromhex("48897708" "48895738")
n = 0
i = b.find(pat)
while i >= 0:
    b[i:i + 8] = bytes.fromhex("48895738" "48897708")
    n += 1
    i = b.find(pat, i + 8)
open(p, "wb").write(b)
print(n)
PY
)
[ "${patched:-0}" -ge 1 ] || sw_die "the field copy to patch was not found in $SW_PG_BIN"

pg_start
pg_fixtures
POLICY=$SW_TMP/unverified.yaml
cat >"$POLICY" <<'EOF2'
sqlward_policy: 1
govern: { roles: ["agent_*"] }
default: deny
rules:
  - { id: allow-procedural, match: { command: [DO, CALL] }, action: allow }
  - { id: allow-read, match: { class: [read, transaction, session] }, action: allow }
EOF2
gate_start "$POLICY"

"$SQLWARD" status --socket "$SW_SOCK" >"$SW_TMP/status.json" 2>&1
cp_state=$(python3 -c 'import json,sys; b=json.load(open(sys.argv[1]))["gate"]["binaries"][0]["checkpoints"]; print(b["ExecutorStart"]); print(b["pg_parse_query"])' "$SW_TMP/status.json" 2>&1)
assert_contains "status: the execution checkpoint is off, with the reason" "$cp_state" "off: PortalDefineQuery"
assert_contains "status: the parse checkpoint is live" "$cp_state" "live"

sql agent_test "SELECT count(*) FROM app.t"
assert_eq "a plain read runs" 0 "$SQL_RC"
sql agent_test 'DO $$ BEGIN PERFORM 1; END $$'
check "a DO block the policy allows is refused: nothing could judge what it runs" test "$SQL_RC" -ne 0
assert_ledger "ledger: refused as nested-judgment-unavailable" role=agent_test "statement~DO \$\$" \
	rule=nested-judgment-unavailable outcome=cancelled
sql agent_test "SELECT query_to_xml('SELECT 1', true, false, '')"
check "query_to_xml (SQL run from a string) is refused" test "$SQL_RC" -ne 0
assert_ledger "ledger: query_to_xml refused as nested-judgment-unavailable" role=agent_test \
	"statement~query_to_xml" rule=nested-judgment-unavailable
"$SQLWARD" status --socket "$SW_SOCK" >"$SW_TMP/status2.json" 2>&1
assert_eq "status: governed sessions without the execution checkpoint are counted" yes \
	"$(python3 -c 'import json,sys; g=json.load(open(sys.argv[1]))["gate"]["governed_sessions"]; print("yes" if g["execution_checkpoint_live"] == 0 else g)' "$SW_TMP/status2.json" 2>&1)"

gate_stop_check
gate_log_on_failure
finish
