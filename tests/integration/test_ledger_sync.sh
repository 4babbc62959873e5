#!/usr/bin/env bash
# --ledger-sync: when a statement decided in userspace may move against its
# record. decision (the default): once the record is fdatasynced. interval:
# once the record is written into the kernel (synced within 100 ms). In both
# modes a statement never runs before its record is written: a kill -9 of the
# daemon right after the client got its answers loses none of their records.
# The syncs run on the ledger's sync thread: with a slow disk, a decision waits
# for the sync that covers its record (decision; sessions share syncs) or for
# none (interval), never behind one it does not need.
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

# ---- a slow disk: a decision waits for the sync that covers its record, and for no other -------
# Every fdatasync takes 400 ms more (SQLWARD_TEST_SYNC_DELAY_MS); the ledger's sync thread runs them.
now_ms() { echo $(($(date +%s%N) / 1000000)); }
gate_stop
export SQLWARD_TEST_SYNC_DELAY_MS=400
# decision: each statement moves only once a sync that began after its record was written finished.
SW_GATE_EXTRA="--no-cache" gate_start policies/default.yaml
sql agent_test "SELECT 1 AS warm_up"
t0=$(now_ms)
sql agent_test "SELECT 1 AS slow_disk_1" "SELECT 2 AS slow_disk_2" "SELECT 3 AS slow_disk_3"
t=$(($(now_ms) - t0))
assert_eq "decision, slow disk: three governed reads run" 0 "$SQL_RC"
check "decision: each waited for a sync covering its record (3 x 400 ms; took $t ms)" test "$t" -ge 1200
# A new session (its startup settings are decided too, each waiting for its sync).
sql_bg agent_test "SELECT 0 AS slow_disk_group_0"
sql_wait "$SQL_BG" 60
assert_eq "decision, slow disk: a new session's read runs" 0 "$SQL_RC"
# Sixteen sessions, connected first (their start-up decisions done), send one read each at the
# same moment: their decisions share syncs (group commit). One sync per decision would take at
# least 16 x 400 ms however fast or busy the machine: the syncs run one after another on the sync
# thread. (An outcome, not a speed: it does not depend on how loaded the machine is.)
G=16
rm -f "$SW_TMP/go"
bgs=()
for i in $(seq "$G"); do
	cmd_bg bash -c '(while [ ! -e "$1" ]; do sleep 0.02; done; echo "$2") | "${@:3}"' _ "$SW_TMP/go" \
		"SELECT $i AS slow_disk_group_$i;" "${SW_AS_CLIENT[@]}" "$SW_PG_CLIENT_BINDIR/psql" -X -v ON_ERROR_STOP=1 -At \
		-h "$SW_PG_HOST" -p "$SW_PG_PORT" -U agent_test -d "$SW_PG_DB"
	bgs+=("$SQL_BG")
done
n=0
while [ "$(sql_admin_val "SELECT count(*) FROM pg_stat_activity WHERE usename = 'agent_test' AND state = 'idle'")" != "$G" ] &&
	[ "$n" -lt 300 ]; do sleep 0.2; n=$((n + 1)); done
check "decision, slow disk: $G sessions connected and waiting" test "$n" -lt 300
t0=$(now_ms)
touch "$SW_TMP/go"
ok=0
for h in "${bgs[@]}"; do sql_wait "$h" 60; [ "$SQL_RC" = 0 ] && ok=$((ok + 1)); done
t=$(($(now_ms) - t0))
assert_eq "decision, slow disk: $G sessions at once all ran" "$G" "$ok"
check "... sharing syncs: $G reads at once in $t ms, under the $((G * 400)) ms of one 400 ms sync each" test "$t" -lt $((G * 400))
gate_stop_check "the daemon (decision, slow disk) stops cleanly"
# interval: the 100 ms tick's sync runs on the thread; the loop goes on deciding meanwhile (with
# the sync in the loop, every statement would wait up to 400 ms behind it).
SW_GATE_EXTRA="--ledger-sync interval --no-cache" gate_start policies/default.yaml
sql agent_test "SELECT 1 AS warm_up"
stmts=()
for i in $(seq 20); do stmts+=("SELECT $i AS slow_disk_interval_$i"); done
t0=$(now_ms)
sql agent_test "${stmts[@]}"
t=$(($(now_ms) - t0))
assert_eq "interval, slow disk: twenty governed reads run" 0 "$SQL_RC"
check "interval: none waited behind the tick's 400 ms syncs (took $t ms)" test "$t" -lt 3000
gate_stop_check "the daemon (interval, slow disk) stops cleanly"
unset SQLWARD_TEST_SYNC_DELAY_MS
out=$("$SQLWARD" verify --ledger "$SW_LEDGER" 2>&1); rc=$?
assert_rc "the ledger verifies after the slow-disk runs" 0 "$rc"
got=$(python3 - "$SW_LEDGER" <<'PY'
import json, sys
n = 0
for line in open(sys.argv[1]):
    r = json.loads(line)
    n += r.get("type") == "statement" and "slow_disk_" in r.get("statement", "") and r.get("outcome") == "ran"
print(n)
PY
)
assert_eq "every slow-disk statement that ran is recorded" $((24 + G)) "$got"

gate_log_on_failure
finish
