#!/usr/bin/env bash
# The daemon's own failure modes, each asserted fail-closed: it refuses to
# start on a malformed policy or a broken ledger; while it is dead (crash,
# stop) governed statements are cancelled by the kernel, not run and not
# paused; a hold is resolved by the watchdog when the daemon is killed, and
# by the next daemon when both are killed; SIGTERM denies what was held; SIGHUP reloads the policy
# and keeps the old one when the new one is malformed; statements longer
# than the event's 4 KiB copy are read in full from the held backend.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
. tests/lib/assert.sh
. tests/lib/pg.sh
. tests/integration/lib_gate.sh

pg_start
pg_fixtures
PM=$(pg_postmaster_pid)
SW_PIN_DIR=/sys/fs/bpf/sqlward-test-$$
sw_at_exit gate_detach

# ---- refusing to start ------------------------------------------------------------
bad=tests/policies/bad/approvals-not-number.yaml
"$SQLWARD" run --policy "$bad" --ledger "$SW_TMP/x.jsonl" --socket "$SW_TMP/x.sock" --pg-bin "$SW_PG_BIN" \
	--postmaster-pid "$PM" --pin-dir "$SW_PIN_DIR" >"$SW_TMP/bad.log" 2>&1 </dev/null 9>&-
rc=$?
assert_ne "run refuses a malformed policy (non-zero exit)" 0 "$rc"
assert_contains "run names the policy file and line" "$(cat "$SW_TMP/bad.log")" "$bad:9:"
assert_eq "run on a malformed policy creates no ledger" "no" "$([ -e "$SW_TMP/x.jsonl" ] && echo yes || echo no)"

printf '{"seq":1,"type":"daemon","broken":true}\n' >"$SW_TMP/broken.jsonl"
sum_before=$(sha256sum <"$SW_TMP/broken.jsonl")
"$SQLWARD" run --policy policies/default.yaml --ledger "$SW_TMP/broken.jsonl" --socket "$SW_TMP/x.sock" \
	--pg-bin "$SW_PG_BIN" --postmaster-pid "$PM" --pin-dir "$SW_PIN_DIR" >"$SW_TMP/broken.log" 2>&1 </dev/null 9>&-
assert_ne "run refuses a ledger that does not verify" 0 "$?"
assert_eq "the broken ledger is left byte for byte" "$sum_before" "$(sha256sum <"$SW_TMP/broken.jsonl")"
assert_contains "the refusal says which record is bad" "$(cat "$SW_TMP/broken.log")" "line 1"

# ---- statements longer than the event's copy ---------------------------------------
POLICY=$SW_TMP/policy.yaml
cp policies/default.yaml "$POLICY"
gate_start "$POLICY"
pad=$(printf 'x%.0s' $(seq 1 6000))
sql agent_test "SELECT count(*) /* $pad */ FROM app.transactions"
assert_eq "a 6 KB SELECT is read in full and allowed" "0:200" "$SQL_RC:$SQL_OUT"
sql agent_test "SELECT 1 /* $pad */; DROP TABLE app.scratch"
assert_contains "a DROP after 6 KB of comment is cancelled" "$SQL_ERR" "$SW_CANCEL_MSG"
assert_eq "app.scratch survives" "t" "$(sql_admin_val "SELECT to_regclass('app.scratch') IS NOT NULL")"
sleep 0.3
ledger_match role=agent_test statement~"DROP TABLE app.scratch" verdict=deny statement_complete=true
check "ledger: the long statement is recorded complete" test $? -eq 0

# ---- SIGHUP: reload, and keep the old policy when the new one is bad --------------
cat >"$POLICY" <<'EOF'
sqlward_policy: 1
govern:
  roles: ["agent_*"]
default: deny
rules:
  - id: only-transactions
    match: { class: transaction }
    action: allow
EOF
kill -HUP "$SW_GATE_PID"
sleep 0.5
sql agent_test "SELECT 1"
assert_contains "after SIGHUP the new policy denies a read" "$SQL_ERR" "$SW_CANCEL_MSG"
printf 'sqlward_policy: 1\ndefault: maybe\n' >"$POLICY"
kill -HUP "$SW_GATE_PID"
sleep 0.5
sql agent_test "SELECT 1"
assert_contains "a malformed reload is refused; the last good policy stays" "$SQL_ERR" "$SW_CANCEL_MSG"
assert_contains "the refused reload is logged with file and line" "$(cat "$SW_GATE_LOG")" "policy_reload_refused"
cp policies/default.yaml "$POLICY"
kill -HUP "$SW_GATE_PID"
sleep 0.5
sql agent_test "SELECT 1"
assert_eq "reloading the default policy allows reads again" "0:1" "$SQL_RC:$SQL_OUT"

# ---- SIGTERM with a statement held: it is denied, nobody stays paused -------------
sql_bg agent_test "UPDATE app.t SET v = 'while-stopping' WHERE id = 1"
h=$SQL_BG
wait_pending 15 "while-stopping"
check "an UPDATE is held" test -n "$PENDING_ID"
gate_stop
assert_eq "the daemon exits 0 on SIGTERM" 0 "$SW_GATE_RC"
sql_wait "$h" 10
assert_contains "the held UPDATE is cancelled when the daemon stops" "$SQL_ERR" "$SW_CANCEL_MSG"
assert_eq "the row is unchanged" "v1" "$(sql_admin_val "SELECT v FROM app.t WHERE id = 1")"

# ---- no daemon: the pinned probes cancel governed statements at once --------------
start=$(date +%s%N)
sql agent_test "UPDATE app.t SET v = 'no-daemon' WHERE id = 2"
ms=$((($(date +%s%N) - start) / 1000000))
assert_contains "with no daemon a governed write is cancelled" "$SQL_ERR" "$SW_CANCEL_MSG"
check "it is cancelled at once, not paused (${ms} ms)" test "$ms" -lt 5000
sql agent_test "SELECT 1"
assert_contains "with no daemon even a governed read does not run" "$SQL_ERR" "$SW_CANCEL_MSG"
sql analyst "SELECT count(*) FROM app.scratch"
assert_eq "ungoverned roles are not affected while the daemon is down" "0:20" "$SQL_RC:$SQL_OUT"
assert_eq "row 2 unchanged" "v2" "$(sql_admin_val "SELECT v FROM app.t WHERE id = 2")"

# ---- detach: every pin goes, the per-backend execution checkpoints' (nested-*) included -------
# (regression: detach left nested-* pins behind, which kept their probes attached)
nested=$(ls "$SW_PIN_DIR" 2>/dev/null | grep -c '^nested-')
"$SQLWARD" detach "$SW_PIN_DIR" >/dev/null 2>&1
check "sqlward detach removes every pin ($nested nested-*) and the pin directory" test ! -e "$SW_PIN_DIR"
sql agent_test "SELECT 1"
assert_eq "after detach a governed read runs (the gate is open)" "0:1" "$SQL_RC:$SQL_OUT"

# ---- crash while holding: the watchdog resolves the hold at once -----------------------
gate_start "$POLICY"
sql_bg agent_test "UPDATE app.t SET v = 'crashed' WHERE id = 3"
h=$SQL_BG
wait_pending 15 "crashed"
held_pid=$PENDING_PID
check "an UPDATE is held before the crash" test -n "$held_pid"
kill -KILL "$SW_GATE_PID"; wait "$SW_GATE_PID" 2>/dev/null; SW_GATE_PID=
sql_wait "$h" 10
assert_contains "after kill -9 the watchdog cancels the held statement" "$SQL_ERR" "$SW_CANCEL_MSG"
check "the held backend is not left stopped" test "$(proc_state "$held_pid")" != T
assert_eq "the crashed hold's UPDATE never ran" "v3" "$(sql_admin_val "SELECT v FROM app.t WHERE id = 3")"
sql agent_test "SELECT 1"
assert_contains "with the daemon dead a new governed statement is cancelled by the kernel" "$SQL_ERR" "$SW_CANCEL_MSG"

# ---- daemon and watchdog both killed: the next daemon reconciles --------------------------
gate_start "$POLICY"
sql_bg agent_test "UPDATE app.t SET v = 'orphan' WHERE id = 4"
h=$SQL_BG
wait_pending 15 "orphan"
held_pid=$PENDING_PID
pkill -KILL -P "$SW_GATE_PID" 2>/dev/null   # the watchdog
kill -KILL "$SW_GATE_PID"; wait "$SW_GATE_PID" 2>/dev/null; SW_GATE_PID=
sleep 0.5
assert_eq "with daemon and watchdog gone the held backend stays stopped" "T" "$(proc_state "$held_pid")"
gate_start "$POLICY"
sql_wait "$h" 15
assert_contains "the restarted daemon cancels the orphaned hold" "$SQL_ERR" "$SW_CANCEL_MSG"
assert_eq "the orphaned UPDATE never ran" "v4" "$(sql_admin_val "SELECT v FROM app.t WHERE id = 4")"
assert_contains "the orphan is recorded" "$(cat "$SW_GATE_LOG")" "orphan_hold_cancelled"
sql agent_test "SELECT count(*) FROM app.t"
assert_eq "after the restart reads run again" "0:10" "$SQL_RC:$SQL_OUT"

# ---- a held execution (Bind) when the daemon dies: the watchdog ends that session ----------
sql_admin "CREATE FUNCTION app.t_wipe() RETURNS int LANGUAGE plpgsql AS
	\$\$ BEGIN DELETE FROM app.t; RETURN 1; END \$\$" "GRANT EXECUTE ON FUNCTION app.t_wipe() TO agent_test" >/dev/null
cmd_bg "${SW_AS_CLIENT[@]}" "$PQ_EXTENDED" --each "$(pg_conninfo agent_test)" "DELETE FROM app.t WHERE id = \$1" 5
h=$SQL_BG
wait_pending 15 "DELETE FROM app.t"
held_pid=$PENDING_PID
check "an execution (Bind) is held before the crash" test -n "$held_pid"
kill -KILL "$SW_GATE_PID"; wait "$SW_GATE_PID" 2>/dev/null; SW_GATE_PID=
sql_wait "$h" 10
check "after kill -9 the watchdog ends the held execution's session" test "$(proc_state "$held_pid")" != T
assert_eq "the held execution never ran" 1 "$(sql_admin_val "SELECT count(*) FROM app.t WHERE id = 5")"

# ---- a fastpath call stopped with daemon and watchdog gone: refused from where it stopped --
gate_start "$POLICY"
cmd_bg "${SW_AS_CLIENT[@]}" "$PQ_FASTPATH" "$(pg_conninfo agent_test)" 'app.t_wipe()'
h=$SQL_BG
wait_pending 15 "fastpath function OID"
held_pid=$PENDING_PID
check "a fastpath call of a user function is held" test -n "$held_pid"
pkill -KILL -P "$SW_GATE_PID" 2>/dev/null   # the watchdog
kill -KILL "$SW_GATE_PID"; wait "$SW_GATE_PID" 2>/dev/null; SW_GATE_PID=
sleep 0.5
gate_start "$POLICY"
sql_wait "$h" 15
assert_contains "the restarted daemon refuses the orphaned fastpath call" "$SQL_ERR" "function with OID 0 does not exist"
assert_eq "the function never ran" 10 "$(sql_admin_val "SELECT count(*) FROM app.t")"
assert_contains "the refusal names the fastpath call" "$(cat "$SW_GATE_LOG")" "fastpath function call"

# ---- a nested utility statement held when the daemon dies: the watchdog refuses it ----------
# (the default policy plus a function the agent may call: what it runs is judged)
NPOL=$SW_TMP/nested.yaml
cp policies/default.yaml "$NPOL"
printf '\ntrusted_functions:\n  - { schema: app, name: "lc_*" }\n' >>"$NPOL"
gate_stop
gate_start "$NPOL"
sql_admin "CREATE FUNCTION app.lc_ddl(n text) RETURNS int LANGUAGE plpgsql AS
	\$\$ BEGIN EXECUTE format('CREATE TABLE app.%I (a int)', n); RETURN 1; END \$\$" \
	"GRANT CREATE ON SCHEMA app TO agent_test" >/dev/null
sql_bg agent_test "SELECT app.lc_ddl('lc_made1')"
h=$SQL_BG
wait_pending 15 "lc_made1"
held_pid=$PENDING_PID
check "a nested CREATE TABLE is held" test -n "$held_pid"
assert_contains "what is held is the nested statement" "$(pending_json)" "CREATE TABLE app.lc_made1"
kill -KILL "$SW_GATE_PID"; wait "$SW_GATE_PID" 2>/dev/null; SW_GATE_PID=
sql_wait "$h" 10
assert_contains "after kill -9 the watchdog refuses the held nested statement" "$SQL_ERR" "$SW_CANCEL_MSG"
assert_eq "the nested CREATE TABLE never ran" f "$(sql_admin_val "SELECT to_regclass('app.lc_made1') IS NOT NULL")"

# ---- ... and with daemon and watchdog gone: the next daemon refuses it from where it stopped --
gate_start "$NPOL"
sql_bg agent_test "SELECT app.lc_ddl('lc_made2')"
h=$SQL_BG
wait_pending 15 "lc_made2"
held_pid=$PENDING_PID
pkill -KILL -P "$SW_GATE_PID" 2>/dev/null   # the watchdog
kill -KILL "$SW_GATE_PID"; wait "$SW_GATE_PID" 2>/dev/null; SW_GATE_PID=
sleep 0.5
assert_eq "with daemon and watchdog gone the nested statement stays stopped" "T" "$(proc_state "$held_pid")"
gate_start "$NPOL"
sql_wait "$h" 15
assert_contains "the restarted daemon refuses the orphaned nested statement" "$SQL_ERR" "$SW_CANCEL_MSG"
assert_eq "that CREATE TABLE never ran either" f "$(sql_admin_val "SELECT to_regclass('app.lc_made2') IS NOT NULL")"
assert_contains "the refusal names the nested utility statement" "$(cat "$SW_GATE_LOG")" "nested utility statement"

# ---- status shows the kernel counters -----------------------------------------------
st=$("$SQLWARD" status --socket "$SW_SOCK")
assert_contains "status reports ring-buffer drops" "$st" "ring_buffer_drops"
gate_stop_check
"$SQLWARD" verify --ledger "$SW_LEDGER" >/dev/null
assert_rc "the ledger verifies after a crash and restarts" 0 $?

# ---- a daemon that died mid-write left half a line: the next start sets it aside ----------
printf '{"seq":999,"type":"statement","time":"2026-11-21T1' >>"$SW_LEDGER"
"$SQLWARD" verify --ledger "$SW_LEDGER" >/dev/null 2>&1
assert_ne "verify reports the torn last line" 0 $?
gate_start "$POLICY"
sql agent_test "SELECT count(*) FROM app.t"
assert_eq "the daemon starts on a ledger with a torn last line" "0:10" "$SQL_RC:$SQL_OUT"
torn_file=$(ls "$SW_LEDGER".torn-* 2>/dev/null | head -1)
assert_eq "the torn bytes are kept aside" '{"seq":999,"type":"statement","time":"2026-11-21T1' "$(cat "$torn_file" 2>/dev/null)"
gate_stop_check
ledger_match event=torn_tail_set_aside
check "ledger: the repair is recorded" test $? -eq 0
"$SQLWARD" verify --ledger "$SW_LEDGER" >/dev/null
assert_rc "the repaired ledger verifies" 0 $?

gate_log_on_failure
finish
