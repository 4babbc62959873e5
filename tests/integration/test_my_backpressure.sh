#!/usr/bin/env bash
# MariaDB's observe path waits instead of losing records (bpf/mariadb.h,
# SW_MY_ACT_WAITED): when the daemon falls behind and the ring buffer is nearly
# full, an ungoverned connection's command is not run unrecorded; its thread
# stops (SW_MY_WAIT_SIGNAL, taken by the holder) with its report in the ring's
# headroom, and runs once the daemon has read and recorded it. Nothing is
# refused; every command is in the ledger, in order; the ledger verifies. A
# daemon killed while threads wait leaves none stopped: a wait stop has no deny
# state, so the threads run on when the kernel detaches them.
#
# The daemon is made to fall behind on purpose: while the file named by
# SQLWARD_TEST_STALL_FILE exists its loop decides nothing (it stays alive and
# keeps its heartbeat). Outcomes are asserted, never timings.
set -uo pipefail
SW_TOP=$(cd "$(dirname "$0")/../.." && pwd)
. "$SW_TOP/tests/lib/assert.sh"
. "$SW_TOP/tests/lib/pg.sh"
. "$SW_TOP/tests/lib/mariadb.sh"
. "$SW_TOP/tests/integration/lib_gate.sh"

pg_start
my_start
my_fixtures

CLIENTS=4
PER=6000   # ~380 ring bytes a command (its event with a 200-byte text, and its completion)
PAD=$(printf 'x%.0s' $(seq 200))
STALL=$SW_TMP/stall
export SQLWARD_TEST_STALL_FILE=$STALL

my_status() {  # FIELD (a dotted path in gate.mariadb[0])
	"$SQLWARD" status --socket "$SW_SOCK" 2>/dev/null | python3 -c '
import json, sys
v = (json.load(sys.stdin).get("gate") or {}).get("mariadb", [{}])[0]
for k in sys.argv[1].split("."):
    v = v.get(k, 0) if isinstance(v, dict) else 0
print(v)' "$1"
}
# mariadbd threads the holder has stopped (state t: tracing stop).
stopped_threads() { grep -l '^State:[[:space:]]*t' /proc/"$SW_MY_PID"/task/*/status 2>/dev/null | wc -l; }
start_clients() {  # TAG
	local c i stmts
	HANDLES=()
	for c in $(seq 1 "$CLIENTS"); do
		stmts=()
		for i in $(seq -w 1 "$PER"); do stmts+=("SELECT '$1-c$c-$i', '$PAD'"); done
		my_sql_bg analyst "${stmts[@]}"
		HANDLES+=("$MY_BG")
	done
}
wait_clients() {
	local h fails=0
	for h in "${HANDLES[@]}"; do my_sql_wait "$h" 240 || fails=$((fails + 1)); done
	echo "$fails"
}
wait_stopped() {
	local n=0
	while [ "$n" -lt 600 ] && [ "$(stopped_threads)" -eq 0 ]; do sleep 0.1; n=$((n + 1)); done
	stopped_threads
}

# ---- the ring fills while the daemon is behind: commands wait, none is lost ------------------
SW_GATE_EXTRA="--mariadb-pid $SW_MY_PID" gate_start "$SW_TOP/policies/default.yaml"
check "backpressure is on while enforcing" test "$(my_status waited.on)" = True
touch "$STALL"
start_clients bp
check "connection threads wait for the daemon (stopped by the holder)" test "$(wait_stopped)" -gt 0
sleep 1
rm -f "$STALL"
assert_eq "every client ran all its commands (none refused)" 0 "$(wait_clients)"
check "commands waited for room in the ring buffer" test "$(my_status waited.commands)" -gt 0
assert_eq "... and each was recorded as it waited" "$(my_status waited.commands)" "$(my_status waited.recorded)"
assert_eq "no event was lost" 0 "$(my_status lost_events)"
assert_eq "no command was refused unreported" 0 "$(my_status refused_unreported)"
gate_stop_check
out=$(python3 - "$SW_LEDGER" "$CLIENTS" "$PER" <<'PY'
import json, sys
ledger, clients, per = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
seen = {}      # client -> the numbers of its commands, in ledger order
bad = 0
for line in open(ledger):
    r = json.loads(line)
    s = r.get("statement", "")
    if r.get("type") != "statement" or not s.startswith("SELECT 'bp-c"):
        continue
    if r.get("role") != "analyst" or r.get("outcome") != "observed":
        bad += 1
    c, i = s.split("'")[1].split("-")[1:3]
    seen.setdefault(c, []).append(int(i))
complete = sum(1 for c in seen.values() if c == list(range(1, per + 1)))
print(f"{sum(len(v) for v in seen.values())} {complete} {bad}")
PY
)
assert_eq "every command is in the ledger once, in order, observed as analyst" "$((CLIENTS * PER)) $CLIENTS 0" "$out"
last=$(python3 - "$SW_LEDGER" <<'PY'
import json, sys
last = None
for line in open(sys.argv[1]):
    r = json.loads(line)
    if r.get("type") == "daemon" and r.get("event") == "counters" and r.get("engine") == "mysql":
        last = r
print("none" if last is None else f"{last.get('ring_buffer_drops')} {int(last.get('held_while_ring_full', 0)) > 0}")
PY
)
assert_eq "the ledger's last MariaDB counters: no drops, commands that waited" "0 True" "$last"
check "sqlward verify passes" "$SQLWARD" verify "$SW_LEDGER"
check "no thread of mariadbd is left stopped" test "$(stopped_threads)" -eq 0

# ---- the daemon is killed while threads wait: they run on (no deny state, nobody left) --------
SW_GATE_EXTRA="--mariadb-pid $SW_MY_PID" gate_start "$SW_TOP/policies/default.yaml"
touch "$STALL"
start_clients kill
check "threads wait again" test "$(wait_stopped)" -gt 0
kill -KILL "$SW_GATE_PID"
wait "$SW_GATE_PID" 2>/dev/null
SW_GATE_PID=
rm -f "$STALL"
assert_eq "after kill -9 every client ran to the end (nothing refused, nothing left stopped)" 0 "$(wait_clients)"
check "no thread of mariadbd is left stopped" test "$(stopped_threads)" -eq 0
MY_CONTINUE=1 my_sql analyst "SELECT 'after-kill'"
assert_eq "mariadbd still serves" "after-kill" "$MY_OUT"
gate_detach

gate_log_on_failure
finish
