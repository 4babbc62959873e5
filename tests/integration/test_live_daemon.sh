#!/usr/bin/env bash
# Live context in the daemon (policy `live: { dsn: ... }`): a governed DELETE
# that the planner estimates to touch many rows is denied by its rule at
# once; a small one is held for a human as usual; a session that holds a
# conflicting lock for long makes a governed ALTER TABLE be denied instead of
# queueing behind it. The DSN's user is not governed (the gate would hold
# its own queries) and only reads.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
. tests/lib/assert.sh
. tests/lib/pg.sh
. tests/integration/lib_gate.sh

pg_start
pg_fixtures
sql_admin "CREATE TABLE app.big (id int PRIMARY KEY, v text)" \
	"INSERT INTO app.big SELECT g, 'x' FROM generate_series(1, 50000) g" \
	"GRANT ALL ON app.big TO agent_test" "ANALYZE app.big" \
	"CREATE ROLE sqlward_live LOGIN" "GRANT USAGE ON SCHEMA app TO sqlward_live" \
	"GRANT SELECT, DELETE, UPDATE ON app.big TO sqlward_live" "GRANT pg_read_all_stats TO sqlward_live" \
	"ALTER ROLE sqlward_live SET default_transaction_read_only = on" || sw_die "fixtures failed: $SQL_ERR"
# The live role: PostgreSQL checks table privileges even for a plain EXPLAIN, so
# it has them, and every transaction it opens is read-only (EXPLAIN without
# ANALYZE is allowed there; executing a write is not). pg_read_all_stats lets
# it see how old other sessions' transactions are.

POLICY=$SW_TMP/live.yaml
cat >"$POLICY" <<YAML
sqlward_policy: 1
govern: { roles: ["agent_*"] }
live: { dsn: "host=$SW_PG_HOST port=$SW_PG_PORT dbname=gatedb user=sqlward_live" }
default: deny
rules:
  - id: deny-queue-behind-old-xact
    match: { class: [write, ddl], blocked_by_xact_older_than: 2s }
    action: deny
  - id: deny-big-delete
    match: { command: [DELETE, UPDATE], est_rows: ">10000" }
    action: deny
  - id: hold-writes
    match: { class: [write, ddl] }
    action: hold
  - id: allow-read
    match: { class: read }
    action: allow
YAML
gate_start "$POLICY"

sql agent_test "DELETE FROM app.big WHERE id > 100"
assert_contains "a DELETE estimated at ~50k rows is denied" "$SQL_ERR" "$SW_CANCEL_MSG"
assert_eq "no rows were deleted" 50000 "$(sql_admin_val "SELECT count(*) FROM app.big")"
ledger_match statement~"DELETE FROM app.big WHERE id > 100" rule=deny-big-delete verdict=deny
check "ledger: denied by the est_rows rule" test $? -eq 0
"${SW_AS_CLIENT[@]}" psql -X -At -h "$SW_PG_HOST" -p "$SW_PG_PORT" -U sqlward_live -d gatedb \
	-c "DELETE FROM app.big WHERE id = 1" >/dev/null 2>"$SW_TMP/ro.err"
assert_contains "the live role cannot write (read-only transactions)" "$(cat "$SW_TMP/ro.err")" "read-only transaction"

sql_bg agent_test "DELETE FROM app.big WHERE id = 7"
h=$SQL_BG
wait_pending 15 "id = 7"
check "a one-row DELETE is held for a human instead" test -n "$PENDING_ID"
pj=$(pending_json)
assert_contains "the dossier carries the live estimate" "$pj" "est_rows"
"$SQLWARD" deny "$PENDING_ID" --socket "$SW_SOCK" >/dev/null 2>&1
sql_wait "$h" 10

# A long transaction holding a lock that conflicts with ALTER TABLE.
sql_bg analyst "BEGIN" "SELECT count(*) FROM app.scratch" "SELECT pg_sleep(20)"
blocker=$SQL_BG
sleep 3
sql agent_test "ALTER TABLE app.scratch ADD COLUMN extra int"
assert_contains "an ALTER that would queue behind a 3 s old transaction is denied" "$SQL_ERR" "$SW_CANCEL_MSG"
ledger_match statement~"ADD COLUMN extra" rule=deny-queue-behind-old-xact
check "ledger: denied by the queue-risk rule" test $? -eq 0
sql_admin "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = 'analyst' AND query LIKE '%pg_sleep%'" >/dev/null
sql_wait "$blocker" 30 >/dev/null

gate_stop_check
gate_log_on_failure
finish
