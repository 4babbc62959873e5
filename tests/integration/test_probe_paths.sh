#!/usr/bin/env bash
# The PostgreSQL probes' cheaper paths (bench/PROFILE-2026-12.md, "Probe cost") record what the
# slower ones did: an observed statement read straight into its ring record when it fits a short
# one (up to 511 bytes) and through the scratch otherwise (512 bytes, a full record, more than the
# record carries); completions from a backend whose per-statement state stays in the kernel while
# it is idle (every statement of a session gets its own rows and command, none a stale one); command
# tag names from the kernel's per-binary cache, the same in a second session; governed statements
# (decided by the daemon, then by the kernel's exact and shape caches) recorded whole at the same
# boundaries, over the simple and the extended protocol; and a statement over its budget still
# cancelled after idle periods.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
. tests/lib/assert.sh
. tests/lib/pg.sh
. tests/integration/lib_gate.sh

[ -x "$PQ_EXTENDED" ] || sw_die "missing $PQ_EXTENDED (make build/tools/pq_extended)"
pg_start
pg_fixtures
POLICY=$SW_TMP/probe-paths.yaml
cat >"$POLICY" <<'EOF2'
sqlward_policy: 1
govern: { roles: ["agent_*"] }
default: deny
rules:
  - id: slow-reads
    match: { class: read, function: "pg_sleep" }
    action: allow
    budget: 1s
  - id: reads
    match: { class: read }
    action: allow
  - id: session
    match: { class: [transaction, session] }
    action: allow
  - id: temp-tables
    match: { class: [write, ddl] }
    action: allow
EOF2
gate_start "$POLICY"

# A SELECT of v FROM TABLE (default pt) exactly LEN bytes long (padded with a comment), tagged TAG
# so each is found on its own.
select_of_len() {
	local len=$1 tag=$2 table=${3:-pt} head pad
	head="SELECT v FROM $table /* $tag "
	pad=$((len - ${#head} - 3))
	printf '%s%*s */' "$head" "$pad" ""
}

# The statement record (JSON) whose statement is exactly TEXT for ROLE, once it is in the ledger.
record_of() {
	local role=$1 text=$2 n=0 out
	while [ "$n" -lt 40 ]; do
		out=$(ledger_json 2>/dev/null | python3 -c '
import json, sys
for line in sys.stdin:
    try: r = json.loads(line)
    except Exception: continue
    if r.get("type") == "statement" and r.get("role") == sys.argv[1] and r.get("statement") == sys.argv[2]:
        print(json.dumps(r))
' "$role" "$text")
		[ -n "$out" ] && { printf '%s\n' "$out"; return 0; }
		sleep 0.25; n=$((n + 1))
	done
	return 1
}
field() { python3 -c 'import json, sys; r = json.loads(sys.stdin.readline()); v = r
for k in sys.argv[1].split("."): v = v.get(k) if isinstance(v, dict) else None
print("" if v is None else (str(v).lower() if isinstance(v, bool) else v))' "$1"; }

# ---- observed (analyst): one session, every boundary of the short record -------------------
S510=$(select_of_len 510 obs-510)
S511=$(select_of_len 511 obs-511)
S512=$(select_of_len 512 obs-512)
S600=$(select_of_len 600 obs-600)
S4094=$(select_of_len 4094 obs-4094)
S4095=$(select_of_len 4095 obs-4095)
assert_eq "the padded statements have the lengths meant" "510 511 512 600 4094 4095" \
	"${#S510} ${#S511} ${#S512} ${#S600} ${#S4094} ${#S4095}"
sql analyst "CREATE TEMP TABLE pt(v int)" "INSERT INTO pt SELECT generate_series(1, 3)" \
	"UPDATE pt SET v = v + 1 WHERE v > 1" "$S510" "$S511" "$S512" "$S600" "$S4094" "$S4095" \
	"DELETE FROM pt WHERE v = 4"
check "the observed session ran" test "$SQL_RC" -eq 0

expect() {  # NAME ROLE TEXT COMMAND ROWS [COMPLETE]
	local r
	r=$(record_of "$2" "$3")
	if [ -z "$r" ]; then not_ok "$1: recorded" "no statement record of role $2 with that text"; return; fi
	ok "$1: recorded"
	assert_eq "$1: statement_complete" "${6:-true}" "$(printf '%s\n' "$r" | field statement_complete)"
	local c
	c=$(completion_of "$(printf '%s' "$3" | head -c 60)" | field command)
	assert_eq "$1: completion command" "$4" "$c"
	c=$(completion_of "$(printf '%s' "$3" | head -c 60)" | field rows)
	assert_eq "$1: completion rows" "$5" "$c"
}
expect "observed CREATE TEMP TABLE" analyst "CREATE TEMP TABLE pt(v int)" "CREATE TABLE" 0
expect "observed INSERT" analyst "INSERT INTO pt SELECT generate_series(1, 3)" INSERT 3
expect "observed UPDATE" analyst "UPDATE pt SET v = v + 1 WHERE v > 1" UPDATE 2
expect "observed 510 bytes (short record, read straight into it)" analyst "$S510" SELECT 3
expect "observed 511 bytes (fills the short record)" analyst "$S511" SELECT 3
expect "observed 512 bytes (through the scratch)" analyst "$S512" SELECT 3
expect "observed 600 bytes (a full record)" analyst "$S600" SELECT 3
expect "observed 4094 bytes (a full record, whole)" analyst "$S4094" SELECT 3
# 4095 bytes and the NUL fill the record: an observed statement is not stopped for the daemon
# to read the rest, so its record says it may be cut (as it always did).
expect "observed 4095 bytes (the record is full)" analyst "$(printf '%s' "$S4095" | head -c 4095)" SELECT 3 false
expect "observed DELETE after them" analyst "DELETE FROM pt WHERE v = 4" DELETE 1

# A second backend: the tag names come from the kernel's cache now.
sql analyst "SELECT 7 AS second_session" "CREATE TEMP TABLE pt2(v int)"
expect "second session SELECT" analyst "SELECT 7 AS second_session" SELECT 1
expect "second session CREATE TABLE" analyst "CREATE TEMP TABLE pt2(v int)" "CREATE TABLE" 0

# ---- governed (agent_test): decided by the daemon, then by the kernel's caches ----------------
# Schema-qualified: a statement whose objects resolve the same in every session is what the
# daemon lets the kernel cache.
G510=$(select_of_len 510 gov-510 app.t)
G511=$(select_of_len 511 gov-511 app.t)
G512=$(select_of_len 512 gov-512 app.t)
sql agent_test "SELECT 1 AS warm_up" "$G510" "$G510" "$G511" "$G511" "$G512" "$G512" \
	"SELECT v FROM app.t WHERE id = 1" "SELECT v FROM app.t WHERE id = 2"
check "the governed session ran" test "$SQL_RC" -eq 0
whole_runs() {
	ledger_json 2>/dev/null | python3 -c '
import json, sys
print(sum(1 for l in sys.stdin if (lambda r: r.get("type") == "statement" and r.get("role") == "agent_test"
          and r.get("statement") == sys.argv[1] and r.get("statement_complete") is True)(json.loads(l))))' "$1"
}
for t in "$G510" "$G511" "$G512"; do
	n=0
	for _ in $(seq 40); do n=$(whole_runs "$t"); [ "${n:-0}" -ge 2 ] && break; sleep 0.25; done
	assert_eq "governed ${#t} bytes: both executions recorded whole" 2 "$n"
done
assert_ledger "governed: the second ${#G510}-byte run was allowed by the kernel's exact cache" \
	type=statement role=agent_test statement="$G510" decided_by=cache outcome=ran
assert_ledger "governed: a literal's other value allowed by the shape cache" \
	type=statement role=agent_test statement="SELECT v FROM app.t WHERE id = 2" decided_by=shape-cache outcome=ran
expect "governed shape-cached SELECT" agent_test "SELECT v FROM app.t WHERE id = 2" SELECT 1
expect "governed exact-cached ${#G511} bytes" agent_test "$G511" SELECT 10

# Extended protocol: one Parse, then Binds the kernel allows from its exact cache.
out=$("${SW_AS_CLIENT[@]}" "$PQ_EXTENDED" --repeat 3 "$(pg_conninfo agent_test)" 'SELECT $1::int + 1 AS probe_bind' 41 2>&1)
check "prepared statement ran three times" test "$(printf '%s\n' "$out" | grep -c '^42$')" -eq 3
binds() {
	ledger_json 2>/dev/null | python3 -c '
import json, sys
print(sum(1 for l in sys.stdin if (lambda r: r.get("type") == "statement" and r.get("role") == "agent_test"
          and "probe_bind" in r.get("statement", ""))(json.loads(l))))'
}
n=0
for _ in $(seq 40); do n=$(binds); [ "${n:-0}" -ge 3 ] && break; sleep 0.25; done
check "every Bind recorded (the Parse may be too)" test "${n:-0}" -ge 3

# ---- a budget still cancels after the backend was idle between statements ---------------------
sql agent_test "SELECT 1 AS before_budget" "SELECT pg_sleep(3) AS over_budget"
assert_contains "the statement over its budget was cancelled" "$SQL_ERR" "canceling statement"
assert_ledger "its completion says over_budget" type=completion role=agent_test outcome=over_budget

gate_stop_check
"$SQLWARD" verify --ledger "$SW_LEDGER" >/dev/null 2>&1
check "sqlward verify passes on the ledger" test $? -eq 0
finish
