#!/usr/bin/env bash
# Completion and runtime budget (issue 14, daemon side). Every client statement
# the ledger records gets a "completion" record pointing at it (statement_seq):
# outcome, rows processed (EndCommand), the last command tag, SQLSTATE of an
# error, duration. A governed read allowed by a rule with `budget: 2s` that
# still runs after two seconds is cancelled by the gate and recorded as
# over_budget, while other sessions keep answering and a later statement of the
# same session is never cancelled. Outcomes are asserted, not timings.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
. tests/lib/assert.sh
. tests/lib/pg.sh
. tests/integration/lib_gate.sh

pg_start
pg_fixtures
POLICY=$SW_TMP/budget.yaml
cat >"$POLICY" <<'EOF2'
sqlward_policy: 1
govern: { roles: ["agent_*"] }
default: deny
rules:
  - id: bounded-reads
    match: { class: read }
    action: allow
    budget: 2s
  - id: allow-rest
    match: { class: [write, transaction, session] }
    action: allow
EOF2
gate_start "$POLICY"

# field JSON KEY
field() { python3 -c 'import json,sys; v=json.loads(sys.argv[1]).get(sys.argv[2]); print("" if v is None else v)' "$1" "$2"; }

# ---- rows and outcome: observed (ungoverned) and governed, reads and writes ------------------
sql analyst "SELECT * FROM app.risk_countries /* observed-read */" >/dev/null
c=$(completion_of "observed-read")
check "an observed read has a completion record" test -n "$c"
assert_eq "observed read: ran, 5 rows, SELECT" "ran:5:SELECT:analyst" \
	"$(field "$c" outcome):$(field "$c" rows):$(field "$c" command):$(field "$c" role)"

sql agent_test "SELECT country_code FROM app.risk_countries WHERE risk_level = 'high' /* governed-read */" >/dev/null
c=$(completion_of "governed-read")
assert_eq "governed read: ran, 2 rows" "ran:2" "$(field "$c" outcome):$(field "$c" rows)"

sql agent_test "UPDATE app.t SET v = 'x' WHERE id <= 2 /* governed-write */" >/dev/null
assert_eq "the UPDATE ran" "0" "$SQL_RC"
c=$(completion_of "governed-write")
assert_eq "governed write: ran, 2 rows changed, UPDATE" "ran:2:UPDATE" \
	"$(field "$c" outcome):$(field "$c" rows):$(field "$c" command)"

sql agent_test "SELECT 1; SELECT * FROM app.risk_countries /* two-in-one */" >/dev/null
c=$(completion_of "two-in-one")
assert_eq "two statements in one string: one completion, rows summed, 2 commands" "6:2" \
	"$(field "$c" rows):$(field "$c" commands)"

sql agent_test "SELECT 1 / (id - id) FROM app.t /* division */" >/dev/null
c=$(completion_of "division")
assert_eq "an error: outcome error with its SQLSTATE" "error:22012" "$(field "$c" outcome):$(field "$c" sqlstate)"

# Extended protocol (Parse, Bind, Execute, Sync): the execution's record gets the completion.
if [ -x "$PQ_EXTENDED" ]; then
	"$PQ_EXTENDED" --unnamed "$(pg_conninfo analyst)" "SELECT * FROM app.risk_countries WHERE risk_level = \$1 /* ext-read */" low \
		>"$SW_TMP/ext.out" 2>&1
	c=$(completion_of "ext-read")
	assert_eq "extended protocol: ran, 2 rows" "ran:2" "$(field "$c" outcome):$(field "$c" rows)"
fi

# ---- runtime budget: heavy reads are cancelled at their budget --------------------------------
budget_case() {
	local name=$1 text=$2 h c other
	sql_bg agent_test "$text"
	h=$SQL_BG
	# Another session keeps answering while the heavy read runs.
	sleep 0.5
	other=$(sql_admin_val "SELECT 40 + 2")
	assert_eq "$name: other sessions answer while it runs" "42" "$other"
	sql_wait "$h" 60
	assert_contains "$name: the client is told it was cancelled" "$SQL_ERR" "$SW_CANCEL_MSG"
	c=$(completion_of "$3")
	assert_eq "$name: completion over_budget, 57014, budget 2000 ms" "over_budget:57014:2000" \
		"$(field "$c" outcome):$(field "$c" sqlstate):$(field "$c" budget_ms)"
}
budget_case "generate_series(1, 1e12)" "SELECT count(*) FROM generate_series(1, 1e12) /* heavy-series */" heavy-series
budget_case "4-way cartesian join" \
	"SELECT count(*) FROM generate_series(1, 100000) a, generate_series(1, 100000) b, generate_series(1, 100000) c, generate_series(1, 100000) d /* heavy-join */" \
	heavy-join
budget_case "unbounded recursive CTE" \
	"WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) SELECT count(*) FROM r /* heavy-cte */" heavy-cte

# A statement that ends within its budget is not cancelled, nor is the next one of the same
# session (two 1.5 s statements: 3 s in all, each within its own 2 s budget).
sql agent_test "SELECT pg_sleep(1.5) /* first-sleep */" "SELECT pg_sleep(1.5) /* second-sleep */" >/dev/null
assert_eq "two statements each within budget both run" "0" "$SQL_RC"
c=$(completion_of "second-sleep")
assert_eq "the later statement's completion says ran" "ran" "$(field "$c" outcome)"

# A cancel by someone else is "cancelled", not over_budget.
sql_bg analyst "SELECT pg_sleep(30) /* cancelled-by-admin */"
h=$SQL_BG
sleep 1
sql_admin "SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE query LIKE '%cancelled-' || 'by-admin%' AND pid <> pg_backend_pid()" >/dev/null
sql_wait "$h" 30
c=$(completion_of "cancelled-by-admin")
assert_eq "an outside cancel is recorded as cancelled" "cancelled:57014" "$(field "$c" outcome):$(field "$c" sqlstate)"

# A backend that ends mid-statement still gets its completion (the kernel's exit hook).
sql_bg analyst "SELECT pg_sleep(30) /* terminated-mid */"
h=$SQL_BG
sleep 1
sql_admin "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE '%terminated-' || 'mid%' AND pid <> pg_backend_pid()" >/dev/null
sql_wait "$h" 30
c=$(completion_of "terminated-mid")
assert_eq "a terminated backend's statement is recorded as terminated" "terminated" "$(field "$c" outcome)"

check "the ledger verifies" "$SQLWARD" verify --ledger "$SW_LEDGER"
gate_stop_check
gate_log_on_failure
finish
