#!/usr/bin/env bash
# A restarted daemon reads what the previous daemon's pinned gate did while no
# daemon ran (its ring buffer and counters) only when that gate was built with
# the same SW_ABI_VERSION: a gate of another build (another number, or none: a
# build from before the number) is not interpreted as ours. It is reported
# (ledger note previous_gate_other_build), its pins and links are removed, and
# the new gate governs as before. Another build's gate is simulated by
# rewriting the number in the dead daemon's pinned .bss (bpftool), and by
# replacing that .bss with a map that carries none.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
. tests/lib/assert.sh
. tests/lib/pg.sh
. tests/integration/lib_gate.sh

pg_start
pg_fixtures
POLICY=$SW_TMP/policy.yaml
cp policies/default.yaml "$POLICY"
OUR_ABI=$(sed -n 's/^#define SW_ABI_VERSION \([0-9]*\).*/\1/p' bpf/sqlward.h)

# Kill the daemon and its watchdog (the pinned gate stays); sets old to the dead daemon's pid.
kill_daemon() {
	local wd n=0
	old=$SW_GATE_PID
	wd=$(pgrep -P "$old" -x sqlward-watch)
	kill -KILL "$old"; wait "$old" 2>/dev/null; SW_GATE_PID=
	while [ -n "$wd" ] && kill -0 "$wd" 2>/dev/null && [ "$n" -lt 50 ]; do sleep 0.1; n=$((n + 1)); done
}

# set_pinned_abi PIN NUMBER: write NUMBER into sw_abi_version of the pinned .bss map PIN.
set_pinned_abi() {
	local pin=$1 abi=$2 off
	off=$(bpftool btf dump map pinned "$pin" value | sed -n "s/.* offset=\([0-9]*\) size=4 (VAR 'sw_abi_version')/\1/p")
	[ -n "$off" ] || return 1
	bpftool -j map lookup pinned "$pin" key 0 0 0 0 | python3 -c '
import json, struct, sys
off, abi = int(sys.argv[1]), int(sys.argv[2])
v = [int(b, 16) for b in json.load(sys.stdin)["value"]]
v[off:off + 4] = list(struct.pack("<I", abi))
print(" ".join(str(b) for b in v))' "$off" "$abi" >"$SW_TMP/bss.value" || return 1
	# shellcheck disable=SC2046
	bpftool map update pinned "$pin" key 0 0 0 0 value $(cat "$SW_TMP/bss.value")
}

no_record_of() { ! ledger_json --type all 2>/dev/null | python3 -c "$_ledger_py" match "statement~$1"; }

# ---- same build: the previous gate is read (baseline) ---------------------------------------
gate_start "$POLICY"
kill_daemon
check "the killed daemon's gate is pinned" test -e "$SW_PIN_DIR/bss-$old" -a -e "$SW_PIN_DIR/ring-$old"
sql agent_test "DROP TABLE app.scratch /* abi-same */"
assert_contains "with no daemon the gate cancels a governed DROP" "$SQL_ERR" "$SW_CANCEL_MSG"
gate_start "$POLICY"
assert_ledger "ledger: the same build's gate is read by the next daemon" \
	role=agent_test statement~"abi-same" outcome=cancelled decided_by=kernel comment~"next daemon"
assert_not_contains "no other-build note for the same build" "$(cat "$SW_GATE_LOG")" "previous_gate_other_build"
check "the read gate's map pins are gone" test ! -e "$SW_PIN_DIR/bss-$old" -a ! -e "$SW_PIN_DIR/ring-$old"

# ---- another SW_ABI_VERSION: not read, reported, pins removed ------------------------------
kill_daemon
if set_pinned_abi "$SW_PIN_DIR/bss-$old" $((OUR_ABI + 1)); then ok "the dead gate's ABI number is rewritten"; else
	not_ok "the dead gate's ABI number is rewritten" "bpftool could not rewrite $SW_PIN_DIR/bss-$old"; fi
sql agent_test "DROP TABLE app.scratch /* abi-other */"
assert_contains "the other-build gate still cancels a governed DROP" "$SQL_ERR" "$SW_CANCEL_MSG"
gate_start "$POLICY"
sleep 1
assert_contains "the daemon says the previous gate is another build's" "$(cat "$SW_GATE_LOG")" \
	"\"their_abi\":$((OUR_ABI + 1))"
assert_ledger "ledger: the other build's gate is noted" type=daemon event=previous_gate_other_build \
	their_abi=$((OUR_ABI + 1)) our_abi="$OUR_ABI"
check "ledger: its events are not recorded as ours" no_record_of "abi-other"
check "its map pins are gone" test ! -e "$SW_PIN_DIR/bss-$old" -a ! -e "$SW_PIN_DIR/ring-$old"
check "its link pins are gone" test -z "$(ls "$SW_PIN_DIR" | grep "^link-$old-")"
check "the new daemon's pins are there" test -e "$SW_PIN_DIR/bss-$SW_GATE_PID" -a -n "$(ls "$SW_PIN_DIR" | grep "^link-$SW_GATE_PID-")"
sql agent_test "SELECT count(*) FROM app.scratch"
assert_eq "the new gate allows a governed read" "0:20" "$SQL_RC:$SQL_OUT"
sql agent_test "DROP TABLE app.scratch /* after-other */"
assert_contains "the new gate denies a governed DROP" "$SQL_ERR" "$SW_CANCEL_MSG"
assert_ledger "ledger: the new gate's decisions are recorded" role=agent_test statement~"after-other" verdict=deny

# ---- a build from before the number (a .bss without it): not read either -------------------
kill_daemon
rm -f "$SW_PIN_DIR/bss-$old"
bpftool map create "$SW_PIN_DIR/bss-$old" type array key 4 value 64 entries 1 name bss
check "the dead gate's .bss is replaced by one without a number" test -e "$SW_PIN_DIR/bss-$old"
sql agent_test "DROP TABLE app.scratch /* abi-none */"
assert_contains "that gate still cancels a governed DROP" "$SQL_ERR" "$SW_CANCEL_MSG"
gate_start "$POLICY"
sleep 1
assert_ledger "ledger: a gate without a number is noted as another build's" type=daemon \
	event=previous_gate_other_build their_abi=null
check "ledger: its events are not recorded as ours" no_record_of "abi-none"
check "its map pins are gone" test ! -e "$SW_PIN_DIR/bss-$old" -a ! -e "$SW_PIN_DIR/ring-$old"
sql agent_test "SELECT count(*) FROM app.scratch"
assert_eq "the new gate allows a governed read" "0:20" "$SQL_RC:$SQL_OUT"
assert_eq "app.scratch survived every DROP" "t" "$(sql_admin_val "SELECT to_regclass('app.scratch') IS NOT NULL")"

gate_stop_check
"$SQLWARD" verify --ledger "$SW_LEDGER" >/dev/null
assert_rc "the ledger verifies" 0 $?

gate_log_on_failure
finish
