#!/usr/bin/env bash
# Under load, with pgbench as the client: every statement is recorded once or
# its loss counted (batched ledger writes, ring-buffer backlog wakeups),
# governed statements decided together are all released (group commit: nobody
# is left paused), denials under concurrency are all cancelled, and with a CPU
# hog beside the database no statement policy allowed is cancelled. Counts are
# checked against what pgbench says it ran; no timing is asserted, and a busy
# machine may drop records (counted) but must never cancel allowed work.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
. tests/lib/assert.sh
. tests/lib/pg.sh
. tests/integration/lib_gate.sh

pg_start
pg_fixtures
pg_loaddb
sql_db loaddb app_owner "GRANT DELETE ON pgbench_history TO agent_test" >/dev/null || sw_die "grants: $SQL_ERR"

# Governs agent_*; allows reads, denies everything destructive (DELETE without WHERE).
POLICY=$SW_TMP/policy.yaml
cat >"$POLICY" <<'YAML'
sqlward_policy: 1
govern:
  roles: ["agent_*"]
default: deny
rules:
  - id: allow-reads
    match: { class: read }
    action: allow
  - id: allow-session
    match: { class: [transaction, session] }
    action: allow
YAML

# pgbench as the client OS user; prints the number of transactions it processed.
run_pgbench() {  # ROLE ARGS...
	local role=$1; shift
	"${SW_AS_CLIENT[@]}" "$SW_PG_BINDIR/pgbench" -n -h "$SW_PG_HOST" -p "$SW_PG_PORT" -U "$role" "$@" loaddb \
		>"$SW_TMP/pgbench.out" 2>&1
	PGBENCH_RC=$?
	PGBENCH_N=$(awk -F': ' '/number of transactions actually processed/ {split($2, a, "/"); print a[1]}' \
		"$SW_TMP/pgbench.out")
}
drops() { "$SQLWARD" status --socket "$SW_SOCK" 2>/dev/null | awk '/ring_buffer_drops/ {gsub(/[^0-9]/, "", $NF); print $NF; exit}'; }
# Ledger statement records of ROLE whose text starts like pgbench -S's query, by decided_by.
count_selects() {  # ROLE
	python3 - "$SW_LEDGER" "$1" <<'PY'
import collections, json, sys
c = collections.Counter()
for line in open(sys.argv[1]):
    r = json.loads(line)
    if r.get("type") == "statement" and r.get("role") == sys.argv[2] and \
       r.get("statement", "").startswith("SELECT abalance FROM pgbench_accounts WHERE aid ="):
        c["all"] += 1
        c[r.get("outcome", "?") + "/" + str(r.get("decided_by"))] += 1
print(" ".join(f"{k}={v}" for k, v in sorted(c.items())))
PY
}
field() { tr ' ' '\n' | awk -F= -v k="$1" '$1 == k {print $2}'; }
# Ledger statement records of ROLE that were refused (cancelled or terminated).
refused_of() {  # ROLE
	python3 - "$SW_LEDGER" "$1" <<'PY'
import json, sys
print(sum(1 for l in open(sys.argv[1]) for r in [json.loads(l)]
          if r.get("type") == "statement" and r.get("role") == sys.argv[2]
          and r.get("outcome") in ("cancelled", "terminated")))
PY
}
# every statement pgbench ran is recorded once, or its record's loss is counted
recorded_or_counted() {  # NAME ROLE DROPS
	local counts all
	counts=$(count_selects "$2"); all=$(echo "$counts" | field all)
	if [ "${all:-0}" -le "${PGBENCH_N:-0}" ] && [ $((${all:-0} + $3)) -ge "${PGBENCH_N:-0}" ]; then
		ok "$1"
	else
		not_ok "$1" "pgbench ran $PGBENCH_N, ledger has ${all:-0}, drops counted $3"
	fi
}

# ---- observed burst ---------------------------------------------------------------
gate_start "$POLICY"
run_pgbench analyst -S -c 4 -j 2 -T 3
assert_eq "pgbench -S as an ungoverned role runs" 0 "$PGBENCH_RC"
d=$(drops)
gate_stop_check
recorded_or_counted "every observed SELECT pgbench ran is in the ledger once, or its loss is counted" analyst "${d:-0}"
check "pgbench ran a burst (>1000 statements)" test "${PGBENCH_N:-0}" -gt 1000

# ---- governed, kernel caches on ----------------------------------------------------
rm -f "$SW_LEDGER"
gate_start "$POLICY"
run_pgbench agent_test -S -c 4 -j 2 -T 3
assert_eq "pgbench -S as a governed role runs" 0 "$PGBENCH_RC"
d=$(drops)
gate_stop_check
counts=$(count_selects agent_test)
recorded_or_counted "every governed SELECT is in the ledger once, or its loss is counted" agent_test "${d:-0}"
check "most governed SELECTs were allowed by the kernel's shape cache" \
	test "$(echo "$counts" | field ran/shape-cache)" -gt $((PGBENCH_N / 2))

# ---- governed, every statement decided in userspace, sixteen at once -----------------
rm -f "$SW_LEDGER"
SW_GATE_EXTRA=--no-cache gate_start "$POLICY"
run_pgbench agent_test -S -c 16 -j 2 -t 50
assert_eq "16 governed sessions, every statement judged by the daemon: all finish" "0:800" "$PGBENCH_RC:$PGBENCH_N"
# Sixteen destructive statements at once: all cancelled, none ran.
hs=()
for i in $(seq 16); do sql_bg agent_test "DELETE FROM pgbench_history"; hs+=("$SQL_BG"); done
cancelled=0
for h in "${hs[@]}"; do
	sql_wait "$h" 30
	grep -q "$SW_CANCEL_MSG" "$h.err" && cancelled=$((cancelled + 1))
done
assert_eq "16 concurrent denied DELETEs are all cancelled" 16 "$cancelled"
gate_stop_check
counts=$(count_selects agent_test)
assert_eq "all 800 decided by policy and recorded as ran" 800 "$(echo "$counts" | field ran/policy)"
check "the ledger records 16 cancelled DELETEs" test "$(python3 -c '
import json, sys
print(sum(1 for l in open(sys.argv[1]) for r in [json.loads(l)]
          if r.get("type") == "statement" and r.get("statement") == "DELETE FROM pgbench_history"
          and r.get("outcome") == "cancelled"))' "$SW_LEDGER")" -eq 16
"$SQLWARD" verify --ledger "$SW_LEDGER" >/dev/null
assert_rc "the ledger verifies after the load" 0 $?

# ---- a CPU hog beside the database: the daemon falls behind, allowed work waits ---------
rm -f "$SW_LEDGER"
gate_start "$POLICY"
hogs=()
for i in 1 2 3; do (while :; do :; done) & hogs+=($!); done
sw_at_exit "kill ${hogs[*]} 2>/dev/null"
run_pgbench agent_test -S -c 8 -j 2 -T 5
pg1=$PGBENCH_RC
SW_GATE_EXTRA=
run_pgbench analyst -S -c 4 -j 2 -T 3
pg2=$PGBENCH_RC
kill "${hogs[@]}" 2>/dev/null
wait "${hogs[@]}" 2>/dev/null
assert_eq "with a CPU hog: governed and ungoverned pgbench both run to the end" "0/0" "$pg1/$pg2"
gate_stop_check
assert_eq "with a CPU hog: no allowed governed statement was cancelled" 0 "$(refused_of agent_test)"
finish
