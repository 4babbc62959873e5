#!/usr/bin/env bash
# The PostgreSQL gate end to end under policies/default.yaml: allow, deny
# (cancel), hold -> deny, hold -> approve, ungoverned roles untouched, over
# the simple protocol (psql) and the extended protocol (pq_extended); then
# the ledger's records and its hash chain.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
. tests/lib/assert.sh
. tests/lib/pg.sh
. tests/integration/lib_gate.sh

[ -x "$PQ_EXTENDED" ] || sw_die "missing $PQ_EXTENDED (make build/tools/pq_extended)"

pg_start
pg_fixtures
gate_start "$SW_TOP/policies/default.yaml"
ok "daemon started: gate ready"

tx_count() { sql_admin_val "SELECT count(*) FROM app.transactions"; }
has_tx() { sql_admin_val "SELECT count(*) FROM app.transactions WHERE transaction_id = $1"; }

# ---- simple protocol (psql) -----------------------------------------------------
# 1. allowed read
sql agent_test "SELECT count(*) FROM app.transactions"
assert_eq "agent_test: SELECT is allowed and returns rows" "0:200" "$SQL_RC:$SQL_OUT"

# 2. DROP TABLE is cancelled before it runs
sql agent_test "DROP TABLE app.transactions"
assert_contains "agent_test: DROP TABLE is cancelled" "$SQL_ERR" "$SW_CANCEL_MSG"
assert_eq "agent_test: table survives DROP TABLE" "t" "$(sql_admin_val "SELECT to_regclass('app.transactions') IS NOT NULL")"
sql agent_test "DROP TABLE app.transactions CASCADE"
assert_contains "agent_test: DROP TABLE ... CASCADE is cancelled" "$SQL_ERR" "$SW_CANCEL_MSG"
assert_eq "agent_test: table and its dependent view survive CASCADE" "t|t" \
	"$(sql_admin_val "SELECT to_regclass('app.transactions') IS NOT NULL, to_regclass('analytics_agent.agent_fraud_transactions_v1') IS NOT NULL")"

# 3. DELETE without WHERE is destructive: denied at once (never held)
sql_bg agent_test "DELETE FROM app.transactions"
h=$SQL_BG
if wait_pending 2 "DELETE FROM app.transactions"; then
	not_ok "agent_test: DELETE without WHERE is denied, not held" "it was held (id $PENDING_ID)"
	"$SQLWARD" deny "$PENDING_ID" --socket "$SW_SOCK" >/dev/null 2>&1
else
	ok "agent_test: DELETE without WHERE is denied, not held"
fi
sql_wait "$h" 30
assert_contains "agent_test: DELETE without WHERE is cancelled" "$SQL_ERR" "$SW_CANCEL_MSG"
assert_eq "agent_test: no rows deleted" 200 "$(tx_count)"

# 4. DELETE with WHERE is a write: held; a reviewer denies it
sql_bg agent_test "DELETE FROM app.transactions WHERE transaction_id = 5"
h=$SQL_BG
if wait_pending 15 "WHERE transaction_id = 5"; then
	ok "agent_test: DELETE ... WHERE is held for approval"
	held_json=$(pending_json)
	python3 - "$held_json" "$PENDING_ID" <<-'EOF' && ok "pending entry names role, database, statement, class" || not_ok "pending entry names role, database, statement, class" "$held_json"
		import json, sys
		items = {str(p["id"]): p for p in json.loads(sys.argv[1])}
		p = items[sys.argv[2]]
		assert p["role"] == "agent_test", p
		assert p["database"] == "gatedb", p
		assert "DELETE FROM app.transactions WHERE transaction_id = 5" in p["statement"], p
		assert p["class"] == "write", p
		assert str(p["command"]).upper().startswith("DELETE"), p
		assert p.get("rule"), p
	EOF
	sleep 0.5
	assert_eq "held backend is stopped (state T) and the client waits" "T:waiting" \
		"$(proc_state "$PENDING_PID"):$(bg_done "$h" && echo finished || echo waiting)"
	"$SQLWARD" deny "$PENDING_ID" --socket "$SW_SOCK" >"$SW_TMP/deny.out" 2>&1
	assert_rc "sqlward deny exits 0" 0 $?
else
	not_ok "agent_test: DELETE ... WHERE is held for approval" "nothing pending; client: $(cat "$h.err" 2>/dev/null)"
fi
sql_wait "$h" 30
assert_contains "denied hold: client gets the cancel error" "$SQL_ERR" "$SW_CANCEL_MSG"
assert_eq "denied hold: row 5 still there" 1 "$(has_tx 5)"

# 4b. a cancel ends the statement, not the session (no stale cancel either)
SQL_CONTINUE=1 sql agent_test "DROP TABLE app.transactions" "SELECT 42" "SELECT count(*) FROM app.transactions"
assert_contains "same session: DROP cancelled" "$SQL_ERR" "$SW_CANCEL_MSG"
assert_eq "same session: the next statements run after a cancel" "$(printf '42\n200')" "$SQL_OUT"

# 5. UPDATE with WHERE: held; a reviewer approves it; it runs
sql_bg agent_test "UPDATE app.transactions SET note = 'approved-by-test' WHERE transaction_id = 7"
h=$SQL_BG
if wait_pending 15 "approved-by-test"; then
	ok "agent_test: UPDATE ... WHERE is held for approval"
	"$SQLWARD" approve "$PENDING_ID" --socket "$SW_SOCK" --comment "integration test approval" >"$SW_TMP/approve.out" 2>&1
	assert_rc "sqlward approve exits 0" 0 $?
else
	not_ok "agent_test: UPDATE ... WHERE is held for approval" "nothing pending; client: $(cat "$h.err" 2>/dev/null)"
fi
sql_wait "$h" 30
assert_eq "approved hold: client sees UPDATE 1" "0:UPDATE 1" "$SQL_RC:$SQL_OUT"
assert_eq "approved hold: the change is visible" "approved-by-test" \
	"$(sql_admin_val "SELECT note FROM app.transactions WHERE transaction_id = 7")"

# 5b. A serial column's default calls nextval through fmgr (watched at the function checkpoint):
# inside the approved INSERT it is that INSERT's own write, not a second hold; behind a view a
# read reaches, it is judged as the write it is (held here, then denied).
sql_admin "CREATE TABLE app.sw_serial (id serial PRIMARY KEY, v text);
	GRANT INSERT, SELECT ON app.sw_serial TO agent_test; GRANT USAGE ON SEQUENCE app.sw_serial_id_seq TO agent_test;
	CREATE VIEW app.sw_nextval_v AS SELECT nextval('app.sw_serial_id_seq') AS n; GRANT SELECT ON app.sw_nextval_v TO agent_test" >/dev/null
sql_bg agent_test "INSERT INTO app.sw_serial (v) VALUES ('serial-approved') RETURNING id"
h=$SQL_BG
if wait_pending 15 "serial-approved"; then
	"$SQLWARD" approve "$PENDING_ID" --socket "$SW_SOCK" --comment "serial insert" >/dev/null 2>&1
	assert_rc "serial INSERT: held, then approved" 0 $?
else
	not_ok "serial INSERT: held, then approved" "nothing pending; client: $(cat "$h.err" 2>/dev/null)"
fi
sql_wait "$h" 30
assert_eq "serial INSERT: runs after one approval (its default's nextval is not held again)" "0:1" \
	"$SQL_RC:$(head -n1 <<<"$SQL_OUT")"
assert_eq "... and nothing else waits" "" "$(pending_list)"
assert_ledger "ledger: the default's nextval is recorded as part of the approved write" role=agent_test \
	"statement~nextval" rule=inside-allowed-write decided_by=inside-allowed-write
sql_bg agent_test "SELECT n FROM app.sw_nextval_v"
h=$SQL_BG
if wait_pending 15 "nextval"; then
	ok "nextval behind a view a read reaches is held as the write it is"
	"$SQLWARD" deny "$PENDING_ID" --socket "$SW_SOCK" --comment "no" >/dev/null 2>&1
else
	not_ok "nextval behind a view a read reaches is held as the write it is" "client: $(cat "$h.err" 2>/dev/null)"
fi
sql_wait "$h" 30
check "... denied, the read fails" test "$SQL_RC" != 0
assert_eq "... and the sequence did not move" "1" "$(sql_admin_val "SELECT last_value FROM app.sw_serial_id_seq")"
# setval is never part of a write: hidden in a view an approved INSERT reads, it is judged (held,
# then denied here) and the sequence is not reset.
sql_admin "CREATE VIEW app.sw_setval_v AS SELECT setval('app.sw_serial_id_seq', 100) AS n;
	GRANT SELECT ON app.sw_setval_v TO agent_test" >/dev/null
sql_bg agent_test "INSERT INTO app.sw_serial (v) SELECT 'setval-hidden' FROM app.sw_setval_v"
h=$SQL_BG
if wait_pending 15 "setval-hidden"; then
	"$SQLWARD" approve "$PENDING_ID" --socket "$SW_SOCK" --comment "insert" >/dev/null 2>&1
else
	not_ok "INSERT reading a setval view: held" "client: $(cat "$h.err" 2>/dev/null)"
fi
if wait_pending 15 "pg_catalog.setval"; then
	ok "... approved, its hidden setval is held as a decision of its own"
	"$SQLWARD" deny "$PENDING_ID" --socket "$SW_SOCK" --comment "no" >/dev/null 2>&1
else
	not_ok "... approved, its hidden setval is held as a decision of its own" "client: $(cat "$h.err" 2>/dev/null)"
fi
sql_wait "$h" 30
check "... denied, the INSERT fails" test "$SQL_RC" != 0
assert_eq "... and the sequence was not reset" "1" "$(sql_admin_val "SELECT last_value FROM app.sw_serial_id_seq")"

# 6. ungoverned analyst: runs untouched, never held
sql_bg analyst "DELETE FROM app.scratch WHERE id = 3"
h=$SQL_BG
if wait_pending 1 "app.scratch"; then
	not_ok "analyst: DELETE ... WHERE is not held" "held as id $PENDING_ID"
	"$SQLWARD" approve "$PENDING_ID" --socket "$SW_SOCK" >/dev/null 2>&1
else
	ok "analyst: DELETE ... WHERE is not held"
fi
sql_wait "$h" 30
assert_eq "analyst: DELETE ... WHERE runs" "0:DELETE 1" "$SQL_RC:$SQL_OUT"
assert_eq "analyst: row is gone" 0 "$(sql_admin_val "SELECT count(*) FROM app.scratch WHERE id = 3")"
assert_eq "nothing left pending (simple protocol)" 0 "$(pending_list "" | wc -l)"

# ---- extended protocol (Parse/Bind/Execute) -----------------------------------------
AGENT=$(pg_conninfo agent_test)
ANALYST=$(pg_conninfo analyst)

out=$("${SW_AS_CLIENT[@]}" "$PQ_EXTENDED" "$AGENT" 'SELECT transaction_id, amount_cents FROM app.transactions WHERE transaction_id <= $1 ORDER BY 1' 3 2>&1)
assert_eq "extended: agent_test SELECT with \$1 is allowed" \
	"$(printf '1\t7919\n2\t15838\n3\t23757')" "$out"
out=$("${SW_AS_CLIENT[@]}" "$PQ_EXTENDED" --unnamed "$AGENT" 'SELECT count(*) FROM app.transactions WHERE tenant_id = $1' 42 2>&1)
assert_eq "extended (unnamed): agent_test SELECT with \$1 is allowed" \
	"$(sql_admin_val "SELECT count(*) FROM app.transactions WHERE tenant_id = 42")" "$out"
err=$("${SW_AS_CLIENT[@]}" "$PQ_EXTENDED" "$AGENT" 'DROP TABLE IF EXISTS app.transactions' 2>&1 >/dev/null); rc=$?
assert_eq "extended: agent_test DROP TABLE fails" 1 "$rc"
assert_contains "extended: agent_test DROP TABLE is cancelled" "$err" "$SW_CANCEL_MSG"
err=$("${SW_AS_CLIENT[@]}" "$PQ_EXTENDED" --unnamed "$AGENT" 'DROP TABLE IF EXISTS app.transactions CASCADE' 2>&1 >/dev/null)
assert_contains "extended (unnamed): agent_test DROP TABLE CASCADE is cancelled" "$err" "$SW_CANCEL_MSG"
assert_eq "extended: table survives" "t" "$(sql_admin_val "SELECT to_regclass('app.transactions') IS NOT NULL")"
err=$("${SW_AS_CLIENT[@]}" "$PQ_EXTENDED" "$AGENT" 'DELETE FROM app.transactions' 2>&1 >/dev/null)
assert_contains "extended: agent_test DELETE without WHERE is cancelled" "$err" "$SW_CANCEL_MSG"
assert_eq "extended: no rows deleted" 200 "$(tx_count)"

cmd_bg "${SW_AS_CLIENT[@]}" "$PQ_EXTENDED" "$AGENT" 'UPDATE app.transactions SET note = $1 WHERE transaction_id = $2' ext-approved 9
h=$SQL_BG
if wait_pending 15 "UPDATE app.transactions SET note = \$1"; then
	ok "extended: parameterised UPDATE is held"
	"$SQLWARD" approve "$PENDING_ID" --socket "$SW_SOCK" >/dev/null 2>&1
else
	not_ok "extended: parameterised UPDATE is held" "nothing pending; client: $(cat "$h.err" 2>/dev/null)"
fi
sql_wait "$h" 30
assert_eq "extended: approved UPDATE ran with its parameters" "0:ext-approved" \
	"$SQL_RC:$(sql_admin_val "SELECT note FROM app.transactions WHERE transaction_id = 9")"

cmd_bg "${SW_AS_CLIENT[@]}" "$PQ_EXTENDED" "$AGENT" 'DELETE FROM app.transactions WHERE transaction_id = $1' 11
h=$SQL_BG
if wait_pending 15 "DELETE FROM app.transactions WHERE transaction_id = \$1"; then
	"$SQLWARD" deny "$PENDING_ID" --socket "$SW_SOCK" >/dev/null 2>&1
fi
sql_wait "$h" 30
assert_eq "extended: denied parameterised DELETE fails, row 11 intact" "1:1" "$SQL_RC:$(has_tx 11)"

out=$("${SW_AS_CLIENT[@]}" "$PQ_EXTENDED" "$ANALYST" 'DELETE FROM app.scratch WHERE id = $1' 4 2>&1); rc=$?
assert_eq "extended: analyst DELETE with \$1 runs untouched" "0:0" \
	"$rc:$(sql_admin_val "SELECT count(*) FROM app.scratch WHERE id = 4")"
out=$("${SW_AS_CLIENT[@]}" "$PQ_EXTENDED" --repeat 3 "$ANALYST" 'SELECT count(*) FROM app.scratch WHERE id > $1' 0 2>&1)
assert_eq "extended: analyst prepared SELECT executes 3 times" "$(printf '18\n18\n18')" "$out"
n=0
for _ in $(seq 40); do
	n=$(ledger_json 2>/dev/null | python3 -c '
import json, sys
print(sum(1 for l in sys.stdin if (r := json.loads(l)).get("type") == "statement" and r.get("role") == "analyst"
          and r.get("via") == "bind" and r.get("outcome") == "observed" and "WHERE id > $1" in r.get("statement", "")))')
	[ "${n:-0}" -ge 3 ] && break
	sleep 0.25
done
assert_eq "extended: each of the analyst's 3 executions is a record of its own (via bind, observed)" 3 "$n"
assert_eq "nothing left pending (extended protocol)" 0 "$(pending_list "" | wc -l)"

# ---- the ledger -------------------------------------------------------------------------
assert_ledger "ledger: allowed SELECT ran" type=statement role=agent_test governed=true \
	"statement~SELECT count(*) FROM app.transactions" verdict=allow outcome=ran database=gatedb
assert_ledger "ledger: DROP TABLE denied and cancelled" role=agent_test governed=true \
	"statement~DROP TABLE app.transactions" verdict=deny outcome=cancelled
assert_ledger "ledger: DELETE without WHERE denied and cancelled" role=agent_test \
	"statement=DELETE FROM app.transactions" verdict=deny outcome=cancelled
assert_ledger "ledger: denied hold recorded as hold" role=agent_test \
	"statement~WHERE transaction_id = 5" verdict=hold
assert_ledger "ledger: denied hold cancelled" role=agent_test \
	"statement~WHERE transaction_id = 5" outcome=cancelled
assert_ledger "ledger: approved hold recorded as hold" role=agent_test \
	"statement~approved-by-test" verdict=hold
assert_ledger "ledger: approved hold released" role=agent_test \
	"statement~approved-by-test" outcome=released
assert_ledger "ledger: what the approved statement then did" type=outcome outcome=completed role=agent_test
assert_ledger "ledger: analyst observed, not governed" role=analyst governed=false \
	"statement~DELETE FROM app.scratch WHERE id = 3" outcome=observed
assert_ledger "ledger: extended-protocol DROP cancelled" role=agent_test \
	"statement=DROP TABLE IF EXISTS app.transactions CASCADE" verdict=deny outcome=cancelled
assert_ledger "ledger: extended-protocol approved UPDATE released" role=agent_test \
	"statement~SET note = \$1" outcome=released

ledger_json >"$SW_TMP/ledger.json" 2>"$SW_TMP/ledger.err"
assert_rc "sqlward log --format json exits 0" 0 $?
python3 - "$SW_TMP/ledger.json" <<-'EOF' && ok "ledger: every record has the documented fields" || not_ok "ledger: every record has the documented fields"
	import json, sys
	need = ["seq", "type", "time", "engine", "pid", "role", "database", "client",
	        "governed", "statement", "class", "command", "objects", "verdict",
	        "rule", "outcome", "held_us", "prev", "hash"]
	n = 0; last = 0
	for line in open(sys.argv[1]):
	    if not line.strip():
	        continue
	    r = json.loads(line); n += 1
	    if r.get("type") != "statement":
	        continue
	    missing = [k for k in need if k not in r]
	    if missing:
	        print("# record", r.get("seq"), "lacks", missing); sys.exit(1)
	    if r["verdict"] not in ("allow", "hold", "deny"):
	        print("# bad verdict", r); sys.exit(1)
	    if r["outcome"] not in ("ran", "released", "cancelled", "terminated", "held", "observed", "timed_out",
	                            "abandoned", "applied", "deferred"):
	        print("# bad outcome", r); sys.exit(1)
	    if r["seq"] <= last:
	        print("# seq not increasing at", r["seq"]); sys.exit(1)
	    last = r["seq"]
	if n == 0:
	    print("# empty ledger"); sys.exit(1)
EOF
python3 - "$SW_TMP/ledger.json" <<-'EOF' && ok "ledger: held statements record held_us > 0" || not_ok "ledger: held statements record held_us > 0"
	import json, sys
	rs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
	h = [r for r in rs if "approved-by-test" in r.get("statement", "") and r.get("outcome") == "released"]
	sys.exit(0 if h and all(r["held_us"] > 0 for r in h) else 1)
EOF
filtered=$(ledger_json --role agent_test --verdict deny 2>&1)
python3 - "$filtered" <<-'EOF' && ok "sqlward log --role/--verdict filter" || not_ok "sqlward log --role/--verdict filter" "$filtered"
	import json, sys
	rs = [json.loads(l) for l in sys.argv[1].splitlines() if l.strip()]
	assert rs, "no records"
	assert all(r["role"] == "agent_test" and r["verdict"] == "deny" for r in rs), rs
EOF

gate_stop_check "daemon stops cleanly on SIGTERM"
"$SQLWARD" verify --ledger "$SW_LEDGER" >"$SW_TMP/verify.out" 2>&1
assert_rc "sqlward verify: intact ledger passes" 0 $?
# Tamper with a copy: change the role in one record; verify must fail.
python3 - "$SW_LEDGER" "$SW_TMP/tampered.jsonl" <<-'EOF'
	import sys
	lines = open(sys.argv[1]).read().splitlines(True)
	i = next(i for i, l in enumerate(lines) if '"agent_test"' in l)
	lines[i] = lines[i].replace('"agent_test"', '"agent_tesT"', 1)
	open(sys.argv[2], "w").writelines(lines)
EOF
"$SQLWARD" verify --ledger "$SW_TMP/tampered.jsonl" >"$SW_TMP/verify2.out" 2>&1
rc=$?
if [ "$rc" -ne 0 ]; then ok "sqlward verify: a tampered ledger fails"; else not_ok "sqlward verify: a tampered ledger fails"; fi

gate_log_on_failure
finish
