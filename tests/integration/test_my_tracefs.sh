#!/usr/bin/env bash
# The MariaDB restart watch (the kernel stops a restarted mariadbd where it enters the data directory, until
# it is gated) attaches to the chdir/fchdir tracepoints, which libbpf finds through tracefs. On a host that
# never mounted tracefs, `sqlward run` mounts it rather than fall back to a /proc look a restarted server can
# race; `sqlward doctor` warns there with the mount command. The daemon runs in its own mount namespace with
# tracefs unmounted, so the host's mounts are never touched.
set -uo pipefail
SW_TOP=$(cd "$(dirname "$0")/../.." && pwd)
. "$SW_TOP/tests/lib/assert.sh"
. "$SW_TOP/tests/lib/pg.sh"
. "$SW_TOP/tests/lib/mariadb.sh"
. "$SW_TOP/tests/integration/lib_gate.sh"

POLICY=$SW_TOP/policies/default.yaml

# A mount namespace of its own with no tracefs reachable, then the command.
cat >"$SW_TMP/no-tracefs.sh" <<'SH'
#!/bin/sh
for m in /sys/kernel/debug/tracing /sys/kernel/debug /sys/kernel/tracing; do
	while umount -l "$m" 2>/dev/null; do :; done
done
[ -e /sys/kernel/tracing/events ] && { echo "no-tracefs.sh: tracefs is still mounted" >&2; exit 97; }
exec "$@"
SH
chmod 755 "$SW_TMP/no-tracefs.sh"
NO_TRACEFS="unshare -m --propagation private $SW_TMP/no-tracefs.sh"

host_tracefs() { awk '$3 == "tracefs" {print $2}' /proc/self/mounts | sort | tr '\n' ' '; }
host_before=$(host_tracefs)

# ---- doctor, where tracefs is missing: a warning with the mount command ----------------------------
$NO_TRACEFS "$SQLWARD" doctor --format json >"$SW_TMP/doctor.json" 2>/dev/null
doc=$(python3 -c '
import json, sys
for c in json.load(open(sys.argv[1]))["checks"]:
    if c["name"] == "tracefs":
        print(c["status"], "|", c.get("fix") or "")' "$SW_TMP/doctor.json" 2>&1)
assert_contains "doctor without tracefs: the tracefs check warns" "$doc" "warn |"
assert_contains "... and gives the mount command" "$doc" "mount -t tracefs tracefs /sys/kernel/tracing"

pg_start
my_start
my_fixtures
SW_GATE_WRAP=$NO_TRACEFS SW_GATE_EXTRA="--mariadb-pid $SW_MY_PID" gate_start "$POLICY"

assert_contains "sqlward run mounted tracefs for the restart watch" "$(cat "$SW_GATE_LOG")" \
	"mounted tracefs at /sys/kernel/tracing"
assert_not_contains "... and did not fall back to the /proc look" "$(cat "$SW_GATE_LOG")" "cannot watch chdir"
watch=$("$SQLWARD" status --socket "$SW_SOCK" --format json 2>/dev/null | python3 -c '
import json, sys
def walk(o):
    if isinstance(o, dict):
        if o.get("engine") == "mysql" and "restart_watch" in o:
            print(o["restart_watch"])
        for v in o.values(): walk(v)
    elif isinstance(o, list):
        for v in o: walk(v)
walk(json.load(sys.stdin))' | head -n1)
assert_eq "status: the restart watch is the kernel's" kernel "$watch"
assert_eq "the host's tracefs mounts are untouched" "$host_before" "$(host_tracefs)"

# ---- the watch works: a stand-in named mariadbd entering the data directory is stopped there --------
mkdir -p "$SW_TMP/fake"
cp -L /usr/bin/python3 "$SW_TMP/fake/mariadbd"
(cd / && exec "$SW_TMP/fake/mariadbd" -c "import os, time; os.chdir('$SW_MY_DATA'); time.sleep(60)") &
fake=$!
n=0; while [ "$(proc_state "$fake")" != T ] && [ "$n" -lt 100 ]; do sleep 0.1; n=$((n + 1)); done
assert_eq "a process named mariadbd entering the data directory is stopped there" T "$(proc_state "$fake")"
kill -KILL "$fake"; wait "$fake" 2>/dev/null

# ---- and a real restart is held until gated ---------------------------------------------------------
before=$(my_sql_admin "SELECT count(*) FROM gatedb.orders" >/dev/null 2>&1; echo "$MY_OUT")
pid1=$SW_MY_PID
check "mariadbd restarts (shutdown + start)" my_restart
myc agent_test "q:DELETE FROM orders"
myc_refused "the first governed DELETE after the restart is refused"
assert_eq "... and deleted nothing" "$before" "$(my_sql_admin "SELECT count(*) FROM gatedb.orders" >/dev/null 2>&1; echo "$MY_OUT")"
assert_ledger "ledger: the restarted server was stopped in its data directory until gated" \
	type=daemon event=mariadbd_followed previous_pid="$pid1" mariadbd="$SW_MY_PID" stopped_in_data_directory=true

gate_stop
assert_eq "sqlward run exits cleanly" 0 "$SW_GATE_RC"
gate_log_on_failure
finish
