#!/usr/bin/env bash
# An observed (ungoverned) session's executions of its prepared statements reach the ledger one
# record each, as its simple Queries do: every client Bind is a statement record (via "bind",
# outcome "observed") with its completion (rows, command, outcome, SQLSTATE), over libpq's
# extended protocol (pq_extended) and pgbench -M prepared. One execution is one Bind: a portal
# run in pieces (Execute with a row limit, again and again, before one Sync) is one record. A
# statement parsed and executed in the same round trip (the unnamed statement) leaves a record of
# its Parse, which ran nothing, and one of its execution, which points at it (parse_seq).
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
. tests/lib/assert.sh
. tests/lib/pg.sh
. tests/integration/lib_gate.sh

[ -x "$PQ_EXTENDED" ] || sw_die "missing $PQ_EXTENDED (make build/tools/pq_extended)"
pg_start
pg_fixtures
pg_loaddb
POLICY=$SW_TMP/observed-binds.yaml
cat >"$POLICY" <<'EOF2'
sqlward_policy: 1
govern: { roles: ["agent_*"] }
default: deny
rules:
  - id: reads
    match: { class: [read, session, transaction] }
    action: allow
EOF2
gate_start "$POLICY"

# The statement records of ROLE whose text contains TAG, in ledger order, one line each:
# "via outcome command rows completion_outcome sqlstate parse_seq seq" ("-" for none).
records_of() {
	ledger_json --type all 2>/dev/null | python3 -c '
import json, sys
recs, done = [], {}
for line in sys.stdin:
    try: r = json.loads(line)
    except Exception: continue
    if r.get("type") == "completion" and r.get("statement_seq"):
        done[r["statement_seq"]] = r
    if r.get("type") == "statement" and r.get("role") == sys.argv[1] and sys.argv[2] in r.get("statement", ""):
        recs.append(r)
for r in recs:
    c = r.get("completion") or done.get(r.get("seq")) or {}
    f = [r.get("via"), r.get("outcome"), c.get("command"), c.get("rows"), c.get("outcome"), c.get("sqlstate"),
         r.get("parse_seq"), r.get("seq")]
    print(" ".join("-" if v is None else str(v) for v in f))
' "$1" "$2"
}
# Wait until ROLE has at least N records tagged TAG and every bind record has its completion.
wait_records() {
	local role=$1 tag=$2 want=$3 n=0 out
	while [ "$n" -lt 60 ]; do
		out=$(records_of "$role" "$tag")
		[ "$(printf '%s\n' "$out" | grep -c .)" -ge "$want" ] &&
			[ "$(printf '%s\n' "$out" | awk '$1 == "bind" && $5 == "-"' | wc -l)" -eq 0 ] && break
		sleep 0.25; n=$((n + 1))
	done
	printf '%s\n' "$out"
}
count_lines() { printf '%s\n' "$1" | grep -c -- "$2"; }

# ---- named statement: one Parse, five executions ------------------------------------------------
out=$("${SW_AS_CLIENT[@]}" "$PQ_EXTENDED" --repeat 5 "$(pg_conninfo analyst)" 'SELECT $1::int + 1 AS obs_named' 41 2>&1)
check "the prepared statement ran five times" test "$(printf '%s\n' "$out" | grep -c '^42$')" -eq 5
recs=$(wait_records analyst obs_named 6)
diag "$recs"
assert_eq "five executions: five bind records, observed, SELECT 1 row, ran" 5 \
	"$(count_lines "$recs" '^bind observed SELECT 1 ran - - ')"
assert_eq "and one record of its Parse (no via)" 1 "$(count_lines "$recs" '^- observed ')"
assert_eq "a statement prepared in a round trip of its own: no parse_seq on its executions" 0 \
	"$(printf '%s\n' "$recs" | awk '$1 == "bind" && $7 != "-"' | wc -l)"

# ---- a failing execution is recorded with its error ---------------------------------------------
out=$("${SW_AS_CLIENT[@]}" "$PQ_EXTENDED" --each "$(pg_conninfo analyst)" 'SELECT 10 / $1::int AS obs_div' 5 0 2 2>&1)
assert_contains "the second execution failed (division by zero)" "$out" "exec 2: error"
assert_contains "the third ran after it" "$out" "exec 3: ok"
recs=$(wait_records analyst obs_div 4)
diag "$recs"
assert_eq "three executions: three bind records" 3 "$(count_lines "$recs" '^bind ')"
assert_eq "two ran (SELECT, 1 row)" 2 "$(count_lines "$recs" '^bind observed SELECT 1 ran ')"
assert_eq "the failing one: outcome error, SQLSTATE 22012" 1 "$(count_lines "$recs" '^bind observed - 0 error 22012 ')"
assert_eq "in order: ran, error, ran" "ran error ran" \
	"$(printf '%s\n' "$recs" | awk '$1 == "bind" {print $5}' | paste -sd' ')"

# ---- executions inside a transaction, and a portal run in pieces ---------------------------------
out=$("${SW_AS_CLIENT[@]}" "$PQ_EXTENDED" --steps "$(pg_conninfo analyst)" \
	'Q:CREATE TEMP TABLE obs_t(v int)' 'Q:BEGIN' 'P:ins:INSERT INTO obs_t SELECT g FROM generate_series(1, $1::int) g /* obs_ins */' \
	'E:ins:2' 'E:ins:3' 'P:cur:SELECT v FROM obs_t ORDER BY v /* obs_pieces */' 'F:cur:2' 'Q:COMMIT' 2>&1)
diag "$out"
check "the transaction's steps all ran" test "$(printf '%s\n' "$out" | grep -c 'step [0-9]*: ok')" -eq 8
assert_contains "the portal ran in three pieces of 2, 2 and 1 rows" "$(printf '%s\n' "$out" | grep '^piece' | paste -sd' ')" \
	"piece 1: 2 rows piece 2: 2 rows piece 3: 1 rows"
last=$(printf '%s\n' "$out" | sed -n 's/^complete: SELECT \([0-9]*\)$/\1/p')
recs=$(wait_records analyst obs_ins 3)
diag "$recs"
assert_eq "two executions in the transaction: two bind records (INSERT, 2 and 3 rows)" "2 3" \
	"$(printf '%s\n' "$recs" | awk '$1 == "bind" && $3 == "INSERT" && $5 == "ran" {print $4}' | paste -sd' ')"
recs=$(wait_records analyst obs_pieces 2)
diag "$recs"
assert_eq "the portal run in pieces is one execution: one bind record" 1 "$(count_lines "$recs" '^bind ')"
assert_eq "its rows are what the server's CommandComplete said (the last piece's)" "bind observed SELECT ${last:-?} ran" \
	"$(printf '%s\n' "$recs" | awk '$1 == "bind" {print $1, $2, $3, $4, $5}')"

# ---- the unnamed statement: Parse, Bind and Execute in one round trip, three times ---------------
out=$("${SW_AS_CLIENT[@]}" "$PQ_EXTENDED" --unnamed --repeat 3 "$(pg_conninfo analyst)" 'SELECT $1::int AS obs_unnamed' 7 2>&1)
check "the unnamed statement ran three times" test "$(printf '%s\n' "$out" | grep -c '^7$')" -eq 3
recs=$(wait_records analyst obs_unnamed 6)
diag "$recs"
assert_eq "three executions: three bind records with their rows" 3 "$(count_lines "$recs" '^bind observed SELECT 1 ran ')"
assert_eq "three Parse records, which ran nothing (no completion)" 3 "$(count_lines "$recs" '^- observed - - - - ')"
assert_eq "each execution points at the Parse just before it" "ok ok ok" "$(printf '%s\n' "$recs" | awk '
	$1 == "-" {parse = $8} $1 == "bind" {print ($7 == parse ? "ok" : "bad " $7 " " parse)}' | paste -sd' ')"

# ---- a governed session's Binds are judged and recorded as before --------------------------------
out=$("${SW_AS_CLIENT[@]}" "$PQ_EXTENDED" --repeat 3 "$(pg_conninfo agent_test)" 'SELECT $1::int + 1 AS gov_named' 41 2>&1)
check "the governed prepared statement ran three times" test "$(printf '%s\n' "$out" | grep -c '^42$')" -eq 3
recs=$(wait_records agent_test gov_named 3)
diag "$recs"
assert_eq "governed: three bind records that ran" 3 "$(printf '%s\n' "$recs" | awk '$1 == "bind" && $2 == "ran"' | wc -l)"

# ---- pgbench -M prepared: N executions, N records -----------------------------------------------
N=300
out=$(runuser -u "$SW_CLIENT_USER" -- "$SW_PG_BINDIR/pgbench" -n -S -M prepared -c 3 -j 1 -t $((N / 3)) \
	-h "$SW_PG_HOST" -p "$SW_PG_PORT" -U analyst loaddb 2>&1)
check "pgbench -S -M prepared ran" test "$(printf '%s\n' "$out" | sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p')" = "$N"
recs=$(wait_records analyst pgbench_accounts $((N + 4)))
assert_eq "pgbench: $N executions, $N bind records with 1 row each" "$N" "$(count_lines "$recs" '^bind observed SELECT 1 ran ')"
# (pgbench's own catalog query at start, naming pgbench_accounts, is a simple Query: 1 row.)
assert_eq "pgbench: and one Parse per client (3), which ran nothing" 3 "$(count_lines "$recs" '^- observed - 0 ran ')"

gate_stop_check
"$SQLWARD" verify --ledger "$SW_LEDGER" >/dev/null 2>&1
check "sqlward verify passes on the ledger" test $? -eq 0
finish
