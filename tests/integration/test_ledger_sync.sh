#!/usr/bin/env bash
# --ledger-sync: when a statement decided in userspace may move against its
# record. decision (the default): once the record is fdatasynced. interval:
# once the record is written into the kernel (synced within 100 ms). In both
# modes a statement never runs before its record is written: a kill -9 of the
# daemon right after the client got its answers loses none of their records.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
. tests/lib/assert.sh
. tests/lib/pg.sh
. tests/integration/lib_gate.sh

pg_start
pg_fixtures

# ---- a value it does not know: told what to give ---------------------------------------------
out=$("$SQLWARD" run --ledger-sync sometimes --ledger "$SW_TMP/never.jsonl" 2>&1); rc=$?
assert_eq "--ledger-sync with an unknown mode exits 2" 2 "$rc"
assert_contains "and says which modes there are" "$out" "give decision"

# ---- the default: decision --------------------------------------------------------------------
gate_start policies/default.yaml
assert_ledger "the start record says how decisions are synced (default: decision)" \
	type=daemon event=start ledger_sync=decision
gate_stop_check "the daemon (decision) stops cleanly"

# ---- interval: every decided statement's record is written before it runs -----------------------
# --no-cache: every statement of the governed session is held and decided in userspace.
SW_GATE_EXTRA="--ledger-sync interval --no-cache" gate_start policies/default.yaml
assert_ledger "the start record says interval" type=daemon event=start ledger_sync=interval
N=30
stmts=()
for i in $(seq "$N"); do stmts+=("SELECT $i AS ledger_sync_probe_$i"); done
sql agent_test "${stmts[@]}"
assert_eq "$N governed reads decided one by one all ran" 0 "$SQL_RC"
# Killed at once, with no chance to write anything more: what the statements moved on is there.
kill -KILL "$SW_GATE_PID"
wait "$SW_GATE_PID" 2>/dev/null
SW_GATE_PID=
got=$(python3 - "$SW_LEDGER" "$N" <<'PY'
import json, sys
seen = set()
for line in open(sys.argv[1]):
    try: r = json.loads(line)
    except Exception: continue
    s = r.get("statement", "")
    if r.get("type") == "statement" and r.get("role") == "agent_test" and "ledger_sync_probe_" in s \
            and r.get("outcome") == "ran":
        seen.add(s)
print(len(seen))
PY
)
assert_eq "after kill -9 the ledger holds the record of every statement that ran" "$N" "$got"

SW_GATE_EXTRA="--ledger-sync interval --no-cache" gate_start policies/default.yaml
sql agent_test "DROP TABLE app.customers"
check "a denied statement is still refused in interval mode" test "$SQL_RC" -ne 0
assert_ledger "and recorded as denied" role=agent_test statement~"DROP TABLE app.customers" verdict=deny
sql agent_test "SELECT 1 AS after_restart"
assert_eq "a governed read runs after the restart" "1" "$SQL_OUT"
# Synced on the daemon's tick: wait past it, then stop and check the chain.
sleep 0.3
gate_stop_check "the daemon (interval) stops cleanly"
out=$("$SQLWARD" verify --ledger "$SW_LEDGER" 2>&1); rc=$?
assert_rc "the ledger written in interval mode (with a kill -9 in it) verifies" 0 "$rc"

gate_log_on_failure
finish
