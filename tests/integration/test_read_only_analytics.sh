#!/usr/bin/env bash
# The shipped read-only-analytics profile (policies/read-only-analytics.yaml)
# on a live PostgreSQL 15 with the gate running, against the analytics-agent
# article's fixture (app.* base tables, analytics_agent.* views, tenant 41). The article's rejection suite is refused and its
# repaired query runs; each guardrail is tried with the usual dodges (aliases,
# quoted identifiers, `*`, views that expose a column, CTEs, subqueries,
# UNION, OR tautologies, LIMIT ALL, FETCH FIRST, cursors); heavy reads are
# stopped by the planner bound before they run; what ran has its rows in the
# ledger; every refusal names its rule.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
. tests/lib/assert.sh
. tests/lib/pg.sh
. tests/integration/lib_gate.sh

AGENT=analytics_agent_1
V=analytics_agent.agent_fraud_transactions_v1
T="tenant_id = 41"   # the orchestrator's tenant, bound as a constant (or $1) in the statement

pg_start
pg_fixtures
sql_admin "CREATE VIEW analytics_agent.leaky_customers_v1 AS SELECT tenant_id, customer_id, card_number AS cn FROM app.customers" \
	"CREATE VIEW analytics_agent.clean_customers_v1 AS SELECT tenant_id, customer_id, name FROM app.customers" \
	"CREATE VIEW analytics_agent.agent_events_v1 AS SELECT tenant_id, transaction_id, transaction_at AS occurred_at FROM app.transactions" \
	"GRANT SELECT ON analytics_agent.leaky_customers_v1, analytics_agent.clean_customers_v1, analytics_agent.agent_events_v1 TO analyst, $AGENT" \
	"ANALYZE" >/dev/null || sw_die "fixtures: $SQL_ERR"
POLICY=$SW_TMP/read-only-analytics.yaml
# The shipped profile, pointed at this cluster's live context (analyst: ungoverned, reads the views).
# Its 30 s budget is 3 s here, so a read the planner misjudges is cancelled quickly.
sed -e "s|^  dsn: .*|  dsn: \"host=$SW_PG_HOST port=$SW_PG_PORT dbname=$SW_PG_DB user=analyst connect_timeout=5\"|" \
	-e "s|^    budget: 30s|    budget: 3s|" policies/read-only-analytics.yaml >"$POLICY"
grep -q "budget: 3s" "$POLICY" || sw_die "the profile's budget line moved: update this test"
gate_start "$POLICY"

# run NAME SQL: the agent's statement runs (rc 0).
runs() {
	sql "$AGENT" "$2" >/dev/null
	if [ "$SQL_RC" -eq 0 ]; then ok "$1"; else not_ok "$1" "rc=$SQL_RC" "$SQL_ERR"; fi
}
# refused NAME RULE SQL: refused by sqlward, under RULE.
refused() {
	local name=$1 rule=$2 sqlt=$3
	sql "$AGENT" "$sqlt" >/dev/null
	if [ "$SQL_RC" -ne 0 ] && ledger_match role=$AGENT "statement=$sqlt" rule=$rule; then ok "$name"; else
		not_ok "$name" "rc=$SQL_RC, expected rule $rule" "$SQL_ERR" "$(ledger_show role=$AGENT "statement=$sqlt" | tail -1 | head -c 400)"
	fi
}

# ---- the article's repaired query runs; its rows are recorded ----------------------
GOOD="SELECT transaction_id, user_id, amount_cents, transaction_at, destination_country, risk_level, risk_definition_version FROM $V WHERE $T AND amount_cents > 100000 AND transaction_at >= TIMESTAMPTZ '2025-04-01 00:00:00+00' AND transaction_at < TIMESTAMPTZ '2025-07-01 00:00:00+00' ORDER BY amount_cents DESC LIMIT 100"
sql "$AGENT" "$GOOD" >/dev/null
rows=$(printf '%s\n' "$SQL_OUT" | grep -c .)
if [ "$SQL_RC" -eq 0 ] && [ "$rows" -gt 0 ]; then ok "the article's repaired query runs ($rows rows)"; else not_ok "the article's repaired query runs" "$SQL_ERR"; fi
assert_ledger "... allowed by the profile's read rule" role=$AGENT "statement=$GOOD" rule=allow-analytics-read outcome=ran
n=0; got=
while [ $n -lt 40 ] && [ -z "$got" ]; do
	got=$(ledger_json --type all 2>/dev/null | python3 -c "$_ledger_records_py"'
import json, sys
recs = list(records(sys.stdin))
seqs = {r["seq"] for r in recs if r.get("type") == "statement" and r.get("statement") == sys.argv[1]}
print(next((str(r.get("rows")) for r in recs if r.get("type") == "completion" and r.get("statement_seq") in seqs), ""))' "$GOOD")
	[ -n "$got" ] || sleep 0.25; n=$((n + 1))
done
assert_eq "ledger: the rows it returned are recorded (completion)" "$rows" "$got"

# ---- the article's rejection suite ----------------------------------------------------
refused "article: DELETE ...; SELECT * FROM app.customers (two statements)" deny-multi-statement \
	"DELETE FROM app.transactions WHERE tenant_id = 42; SELECT * FROM app.customers"
refused "article: SELECT * FROM app.customers (a base table)" deny-outside-surface "SELECT * FROM app.customers"
refused "article: email, card_number from the view" deny-sensitive-columns "SELECT email, card_number FROM $V"
refused "article: SELECT * ... WHERE amount_cents > 1000000 (no tenant, no limit)" deny-missing-tenant \
	"SELECT * FROM $V WHERE amount_cents > 1000000"
refused "article: SELECT pg_sleep(30)" deny-functions "SELECT pg_sleep(30)"
refused "article: SELECT * FROM the view" deny-missing-tenant "SELECT * FROM $V"
refused "article: DROP TABLE app.transactions" deny-not-a-read "DROP TABLE app.transactions"

# ---- relations ----------------------------------------------------------------------------
refused "relations: quoted identifiers still name the base table" deny-outside-surface \
	"SELECT \"customer_id\" FROM \"app\".\"customers\" WHERE tenant_id = 41 LIMIT 5"
refused "relations: a base table hidden in a CTE" deny-outside-surface \
	"WITH x AS (SELECT customer_id, tenant_id FROM app.customers) SELECT customer_id FROM x WHERE tenant_id = 41 LIMIT 5"
refused "relations: the catalog" deny-outside-surface "SELECT relname FROM pg_class LIMIT 5"
runs "relations: a clean approved view" "SELECT customer_id, name FROM analytics_agent.clean_customers_v1 WHERE $T LIMIT 5"

# ---- columns ---------------------------------------------------------------------------------
refused "columns: a view that exposes card_number under another name" deny-sensitive-columns \
	"SELECT cn FROM analytics_agent.leaky_customers_v1 WHERE $T LIMIT 5"
refused "columns: * on that view (expanded live)" deny-sensitive-columns \
	"SELECT * FROM analytics_agent.leaky_customers_v1 WHERE $T LIMIT 5"
refused "columns: in WHERE only" deny-sensitive-columns \
	"SELECT customer_id FROM analytics_agent.leaky_customers_v1 WHERE $T AND cn LIKE '4111%' LIMIT 5"
refused "columns: inside a function, through an alias" deny-sensitive-columns \
	"SELECT length(l.cn) FROM analytics_agent.leaky_customers_v1 l WHERE l.$T LIMIT 5"
runs "columns: * on a view without sensitive columns (expanded live)" "SELECT * FROM $V WHERE $T LIMIT 5"

# ---- tenant --------------------------------------------------------------------------------------
refused "tenant: an OR tautology" deny-missing-tenant "SELECT transaction_id FROM $V WHERE $T OR true LIMIT 5"
refused "tenant: pinned through a subquery the agent controls" deny-missing-tenant \
	"SELECT transaction_id FROM $V WHERE tenant_id = (SELECT 41) LIMIT 5"
refused "tenant: one UNION branch unpinned" deny-missing-tenant \
	"SELECT transaction_id FROM $V WHERE $T UNION ALL SELECT transaction_id FROM $V LIMIT 5"
refused "tenant: the inner view of a join unpinned" deny-missing-tenant \
	"SELECT v.transaction_id FROM $V v JOIN analytics_agent.clean_customers_v1 c ON c.customer_id = v.user_id WHERE v.$T LIMIT 5"
refused "tenant: application_name is the agent's own, not a binding" deny-missing-tenant \
	"SELECT transaction_id FROM $V WHERE tenant_id = current_setting('application_name')::bigint LIMIT 5"
refused "tenant: the agent may not set app.tenant_id" deny-settings "SET app.tenant_id = '40'"
runs "tenant: a constant binding in a join, both sides pinned" \
	"SELECT v.transaction_id FROM $V v JOIN analytics_agent.clean_customers_v1 c ON c.customer_id = v.user_id WHERE v.$T AND c.tenant_id = 41 LIMIT 5"

# ---- rows ------------------------------------------------------------------------------------------
refused "rows: no LIMIT" deny-unbounded-rows "SELECT transaction_id FROM $V WHERE $T"
refused "rows: LIMIT ALL" deny-unbounded-rows "SELECT transaction_id FROM $V WHERE $T LIMIT ALL"
refused "rows: LIMIT over 5000" deny-unbounded-rows "SELECT transaction_id FROM $V WHERE $T LIMIT 5001"
refused "rows: the LIMIT is inside, not on the outer query" deny-unbounded-rows \
	"SELECT transaction_id FROM (SELECT transaction_id FROM $V WHERE $T LIMIT 5) s"
runs "rows: FETCH FIRST n ROWS ONLY" "SELECT transaction_id FROM $V WHERE $T FETCH FIRST 5 ROWS ONLY"
refused "rows: a cursor over an unbounded query, sent with its FETCH in one string" deny-multi-statement \
	"BEGIN; DECLARE c CURSOR FOR SELECT transaction_id FROM $V WHERE $T; FETCH 5 FROM c; COMMIT"
sql "$AGENT" "BEGIN" "DECLARE c CURSOR FOR SELECT transaction_id FROM $V WHERE $T" "COMMIT" >/dev/null
if [ "$SQL_RC" -ne 0 ] && ledger_match role=$AGENT "statement=DECLARE c CURSOR FOR SELECT transaction_id FROM $V WHERE $T" rule=deny-unbounded-rows; then
	ok "rows: DECLARE CURSOR over an unbounded query is refused (the FETCH would page through it all)"; else not_ok "rows: cursor refused" "$SQL_ERR"; fi

# ---- time window on event views -------------------------------------------------------------------
EV=analytics_agent.agent_events_v1
refused "time: an event view read without a window" deny-unbounded-time "SELECT transaction_id FROM $EV WHERE $T LIMIT 5"
refused "time: a window inside an OR" deny-unbounded-time \
	"SELECT transaction_id FROM $EV WHERE $T AND (occurred_at >= '2025-04-01' OR true) LIMIT 5"
runs "time: an event view read within a window" \
	"SELECT transaction_id FROM $EV WHERE $T AND occurred_at >= TIMESTAMPTZ '2025-04-01 00:00:00+00' AND occurred_at < TIMESTAMPTZ '2025-05-01 00:00:00+00' LIMIT 5"

# ---- heavy reads: refused before they run (the planner bound) or cancelled at the budget ------
# stopped NAME SQL: refused by one of the profile's bounds, or run and cancelled over budget.
stopped() {
	local name=$1 sqlt=$2 out
	sql "$AGENT" "$sqlt" >/dev/null
	out=$(ledger_json --type all 2>/dev/null | python3 -c "$_ledger_records_py"'
import json, sys
recs = list(records(sys.stdin))
st = [r for r in recs if r.get("type") == "statement" and r.get("statement") == sys.argv[1]]
if st and st[-1].get("verdict") == "deny":
    print("refused:" + st[-1]["rule"])
else:
    seqs = {r["seq"] for r in st}
    c = [r for r in recs if r.get("type") == "completion" and r.get("statement_seq") in seqs]
    print("ran:" + (c[-1]["outcome"] if c else "?"))' "$sqlt")
	case $out in
	refused:deny-expensive-plan | refused:deny-expensive-cost | refused:deny-unbounded-rows | \
	refused:deny-unbounded-recursion | ran:over_budget)
		[ "$SQL_RC" -ne 0 ] && ok "$name ($out)" || not_ok "$name" "the client saw success" ;;
	*) not_ok "$name" "$out" "$SQL_ERR" ;;
	esac
}
stopped "heavy: generate_series(1, 1e12) with a LIMIT" "SELECT count(*) FROM generate_series(1, 1e12) g LIMIT 1"
stopped "heavy: a four-way cartesian join of the view" \
	"SELECT count(*) FROM $V a, $V b, $V c, $V d WHERE a.$T AND b.$T AND c.$T AND d.$T LIMIT 1"
stopped "heavy: an unbounded recursive CTE" "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) SELECT n FROM r"
stopped "heavy: a recursive CTE counted under a LIMIT (consumes every row)" \
	"WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) SELECT count(*) FROM r LIMIT 1"
stopped "heavy: repeat('x', 1e9)" "SELECT length(repeat('x', 1000000000)) LIMIT 1"
# The server still answers the agent.
runs "the database is responsive after all of that" "SELECT transaction_id FROM $V WHERE $T LIMIT 1"

gate_stop_check
gate_log_on_failure
finish
