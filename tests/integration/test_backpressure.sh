#!/usr/bin/env bash
# When the daemon falls behind, the gate keeps its word: governed statements
# wait (backpressure) and then run as policy says; none is cancelled because
# the machine is busy; ungoverned statements are never refused either, but
# with the ring buffer nearly full they too wait for room, so no record is
# lost: every transaction pgbench ran is in the ledger. And one session's huge
# statement does not hold up everyone else's decisions.
#
# The daemon is made to fall behind on purpose: while the file named by
# SQLWARD_TEST_STALL_FILE exists its loop decides nothing (it stays alive and
# keeps the kernel's heartbeat), so an ungoverned pgbench fills the ring buffer
# and governed statements arriving meanwhile take the kernel's overflow path.
# Outcomes are asserted, never timings.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
. tests/lib/assert.sh
. tests/lib/pg.sh
. tests/integration/lib_gate.sh

pg_start
pg_fixtures
pg_loaddb

POLICY=$SW_TMP/policy.yaml
cat >"$POLICY" <<'YAML'
sqlward_policy: 1
govern:
  roles: ["agent_*"]
default: deny
rules:
  - id: allow-reads
    match: { class: [read, session, transaction] }
    action: allow
YAML

status_field() { "$SQLWARD" status --socket "$SW_SOCK" 2>/dev/null |
	python3 -c 'import json,sys; print(json.load(sys.stdin).get(sys.argv[1], 0))' "$1"; }
# Ledger statement records of a role, counted by outcome: "ran=12 cancelled=0 ..."
outcomes() {  # ROLE TEXT-PREFIX
	python3 - "$SW_LEDGER" "$1" "$2" <<'PY'
import collections, json, sys
c = collections.Counter()
for line in open(sys.argv[1]):
    r = json.loads(line)
    if r.get("type") == "statement" and r.get("role") == sys.argv[2] and r.get("statement", "").startswith(sys.argv[3]):
        c[r.get("outcome")] += 1
print(" ".join(f"{k}={v}" for k, v in sorted(c.items())))
PY
}
count_of() { tr ' ' '\n' | awk -F= -v k="$1" '$1 == k {print $2}'; }

STALL=$SW_TMP/stall
export SQLWARD_TEST_STALL_FILE=$STALL
gate_start "$POLICY"

# ---- backpressure: the ring buffer fills while the daemon is behind --------------------
touch "$STALL"
cmd_bg "${SW_AS_CLIENT[@]}" "$SW_PG_BINDIR/pgbench" -n -S -c 4 -j 2 -T 12 -h "$SW_PG_HOST" -p "$SW_PG_PORT" -U analyst loaddb
bench=$SQL_BG
# The 8 MiB ring holds ~13,000 short records: give pgbench time to fill it.
sleep 6
# Governed sessions arriving while the ring is full: each is held, none cancelled.
handles=() handles_ext=()
for i in $(seq 1 8); do
	cmd_bg "${SW_AS_CLIENT[@]}" psql -X -At -v ON_ERROR_STOP=1 -h "$SW_PG_HOST" -p "$SW_PG_PORT" -U agent_test \
		-d loaddb -c "SELECT $i AS client_$i, count(*) FROM pgbench_branches"
	handles+=("$SQL_BG")
done
for i in $(seq 1 4); do
	cmd_bg "${SW_AS_CLIENT[@]}" "$PQ_EXTENDED" --repeat 3 "$(pg_conninfo agent_test | sed 's/dbname=gatedb/dbname=loaddb/')" \
		"SELECT bid FROM pgbench_branches WHERE bid = \$1 AND $i = $i" 1
	handles_ext+=("$SQL_BG")
done
sleep 2
rm -f "$STALL"
fails=0
for h in "${handles[@]}" "${handles_ext[@]}"; do sql_wait "$h" 60 || fails=$((fails + 1)); done
sql_wait "$bench" 60
assert_eq "ungoverned pgbench ran to the end while the daemon was behind" 0 "$SQL_RC"
assert_eq "every governed statement held during the stall ran (none cancelled)" 0 "$fails"
check "the ring buffer really filled (statements waited for room: held while the ring was full)" \
	test "$(status_field held_while_ring_full)" -gt 0
assert_eq "no record was lost (ring buffer drops)" 0 "$(status_field ring_buffer_drops)"
# Every transaction pgbench ran (one SELECT each with -S) is a statement record of its role.
txns=$(printf '%s\n' "$SQL_OUT" | sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p')
recorded() { python3 - "$SW_LEDGER" <<'PY'
import json, sys
print(sum(1 for l in open(sys.argv[1]) if (r := json.loads(l)).get("type") == "statement"
          and r.get("role") == "analyst" and r.get("statement", "").startswith("SELECT abalance")))
PY
}
n=0; got=$(recorded)
while [ "$n" -lt 50 ] && [ "$got" != "$txns" ]; do sleep 0.2; n=$((n + 1)); got=$(recorded); done
check "pgbench reported its transactions" test -n "$txns"
assert_eq "every ungoverned transaction is in the ledger (none lost while the daemon was behind)" "$txns" "$got"
o=$(outcomes agent_test "SELECT")
assert_eq "no governed statement was cancelled" "" "$(count_of cancelled <<<"$o")$(count_of terminated <<<"$o")"
check "the governed statements are in the ledger as ran" test "$(count_of ran <<<"$o")" -ge 20
assert_ledger "the wait is written to the ledger (counters)" type=daemon event=counters "held_while_ring_full~"

# ---- an observed session's executions (-M prepared: one Bind each) wait for room too ------------
held_before=$(status_field held_while_ring_full)
touch "$STALL"
cmd_bg "${SW_AS_CLIENT[@]}" "$SW_PG_BINDIR/pgbench" -n -S -M prepared -c 4 -j 2 -T 10 -h "$SW_PG_HOST" \
	-p "$SW_PG_PORT" -U analyst loaddb
bench=$SQL_BG
sleep 6
rm -f "$STALL"
sql_wait "$bench" 60
assert_eq "ungoverned pgbench -M prepared ran to the end while the daemon was behind" 0 "$SQL_RC"
check "its executions waited for room (held while the ring was full)" \
	test "$(status_field held_while_ring_full)" -gt "$held_before"
assert_eq "no record was lost (ring buffer drops)" 0 "$(status_field ring_buffer_drops)"
txns=$(printf '%s\n' "$SQL_OUT" | sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p')
executions() { python3 - "$SW_LEDGER" <<'PY'
import json, sys
print(sum(1 for l in open(sys.argv[1]) if (r := json.loads(l)).get("type") == "statement"
          and r.get("role") == "analyst" and r.get("via") == "bind" and r.get("statement", "").startswith("SELECT abalance")))
PY
}
n=0; got=$(executions)
while [ "$n" -lt 50 ] && [ "$got" != "$txns" ]; do sleep 0.2; n=$((n + 1)); got=$(executions); done
check "pgbench -M prepared reported its transactions" test -n "$txns"
assert_eq "every execution is in the ledger (one Bind record each, none lost while the daemon was behind)" "$txns" "$got"

# ---- a huge statement does not stall other sessions' decisions ---------------------------
big=$(python3 -c 'print("SELECT 1" + "+1" * 600000)')   # ~1.2 MB, a deep expression: slow to parse
printf '%s' "$big" >"$SW_TMP/big.sql"
chmod 644 "$SW_TMP/big.sql"
cmd_bg "${SW_AS_CLIENT[@]}" psql -X -At -h "$SW_PG_HOST" -p "$SW_PG_PORT" -U agent_test -d gatedb -f "$SW_TMP/big.sql"
bigh=$SQL_BG
sleep 0.2
smalls=()
for i in $(seq 1 20); do
	sql_bg agent_test "SELECT $i AS small_$i"
	smalls+=("$SQL_BG")
done
fails=0
for h in "${smalls[@]}"; do sql_wait "$h" 60 || fails=$((fails + 1)); done
sql_wait "$bigh" 120
assert_eq "the small statements all ran" 0 "$fails"
assert_eq "the huge statement was judged too (a read: allowed)" 0 "$SQL_RC"
order=$(python3 - "$SW_LEDGER" <<'PY'
import json, sys
big = small = None
for line in open(sys.argv[1]):
    r = json.loads(line)
    if r.get("type") != "statement" or r.get("role") != "agent_test":
        continue
    s = r.get("statement", "")
    if s.startswith("SELECT 1+1+1") and big is None:
        big = r["seq"]
    if "AS small_" in s and small is None:
        small = r["seq"]
print("small-first" if big and small and small < big else f"big={big} small={small}")
PY
)
assert_eq "others were decided while the huge statement was still being classified" small-first "$order"
gate_stop_check

# ---- the daemon dies while ungoverned backends wait for room: its watchdog resumes them ----------
gate_start "$POLICY"
touch "$STALL"
# A number of transactions, not a time: 20,000 statements fill the 8 MiB ring however slow the
# machine is, since the stalled daemon takes none of them.
cmd_bg "${SW_AS_CLIENT[@]}" "$SW_PG_BINDIR/pgbench" -n -S -c 4 -j 2 -t 5000 -h "$SW_PG_HOST" -p "$SW_PG_PORT" -U analyst loaddb
bench=$SQL_BG
# (this cluster's backends only: another script's cluster may run the same workload meanwhile)
stopped_backends() { local p n=0; for p in $(pgrep -P "$(pg_postmaster_pid)" -f "postgres: analyst loaddb"); do
	[ "$(awk '/^State:/ {print $2}' "/proc/$p/status" 2>/dev/null)" = T ] && n=$((n + 1)); done; echo "$n"; }
n=0; while [ "$n" -lt 600 ] && [ "$(stopped_backends)" -eq 0 ]; do sleep 0.1; n=$((n + 1)); done
check "ungoverned backends wait for room in the ring buffer (stopped)" test "$(stopped_backends)" -gt 0
kill -KILL "$SW_GATE_PID"
wait "$SW_GATE_PID" 2>/dev/null
SW_GATE_PID=
rm -f "$STALL"
sql_wait "$bench" 120
assert_eq "after kill -9 the watchdog resumed them: the ungoverned pgbench ran to the end" 0 "$SQL_RC"
assert_eq "no ungoverned backend is left stopped" 0 "$(stopped_backends)"
assert_ledger "the watchdog recorded each backend it resumed" type=failure_mode role=analyst outcome=resumed

# ---- daemon and watchdog both killed while they wait: the next daemon resumes them ----------------
gate_start "$POLICY"
touch "$STALL"
# A number of transactions, not a time: 20,000 statements fill the 8 MiB ring however slow the
# machine is, since the stalled daemon takes none of them.
cmd_bg "${SW_AS_CLIENT[@]}" "$SW_PG_BINDIR/pgbench" -n -S -c 4 -j 2 -t 5000 -h "$SW_PG_HOST" -p "$SW_PG_PORT" -U analyst loaddb
bench=$SQL_BG
n=0; while [ "$n" -lt 600 ] && [ "$(stopped_backends)" -eq 0 ]; do sleep 0.1; n=$((n + 1)); done
check "ungoverned backends wait for room again (stopped)" test "$(stopped_backends)" -gt 0
pkill -KILL -P "$SW_GATE_PID" 2>/dev/null   # the watchdog
kill -KILL "$SW_GATE_PID"
wait "$SW_GATE_PID" 2>/dev/null
SW_GATE_PID=
rm -f "$STALL"
sleep 1
check "with daemon and watchdog gone they stay stopped (nobody else resumes them)" test "$(stopped_backends)" -gt 0
gate_start "$POLICY"
sql_wait "$bench" 120
assert_eq "the next daemon resumed them at start-up: the ungoverned pgbench ran to the end" 0 "$SQL_RC"
assert_eq "no ungoverned backend is left stopped after the restart" 0 "$(stopped_backends)"
assert_ledger "the next daemon recorded each backend it resumed" type=daemon event=paused_backend_resumed role=analyst
gate_stop_check "the next daemon stops cleanly"

gate_log_on_failure
finish
