#!/usr/bin/env bash
# Human approval against a real PostgreSQL and the real BPF programs: approvers
# named by OS group, the two-person rule, no self-approval, deny, timeout,
# statement_timeout on release, freeze (and that it survives a restart), a
# client that hangs up while held, and kill -9 of the daemon with three
# statements held (none may stay stopped). Approvers are real OS users who
# reach the control socket through its group. Also: `show` prints the exact
# approve command bound to the statement's hash (--sha256), a wrong hash is
# refused; an id that was decided is answered with what happened to it; a
# daemon restart between `pending` and `approve` refuses the stale id; a
# multi-statement string is approved under ALL its rules. A session's holds are
# shown as one dossier and decided as one batch bound to its digest
# (show/approve/deny --session): a stale digest or a barred approver decides nothing.
#
# NEEDS THE DAEMON INTEGRATION (skipped, as "# SKIP", until the daemon does it):
#   - every held rule on a hold (sw_approval_add_judged at hold creation):
#     detected from `pending --format json` "approval.rules" having 2 entries
#     for the UPDATE + ALTER string;
#   - hold ids unique across restarts (d->next_hold_id = sw_control_hold_id_base):
#     detected from a text id ("k7q2m3-1") in `pending --format json`.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
. tests/lib/assert.sh
. tests/lib/pg.sh
. tests/integration/lib_gate.sh

# ---- OS users: alice and bob approve (group sw-test-dba), carol does not --------
GROUP=sw-test-dba
OPS=sw-test-ops          # approvers of writes to app.transactions: carol, alice, bob
SOCKGROUP=sw-test-ctl
for g in $GROUP $OPS $SOCKGROUP; do getent group $g >/dev/null || groupadd --system $g; done
for u in sw-alice sw-bob sw-carol; do
	getent passwd $u >/dev/null || useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin $u
done
usermod -a -G $GROUP,$SOCKGROUP sw-alice
usermod -a -G $GROUP,$SOCKGROUP sw-bob
usermod -a -G $SOCKGROUP sw-carol
for u in sw-alice sw-bob sw-carol; do usermod -a -G $OPS $u; done
sw_at_exit "for u in sw-alice sw-bob sw-carol; do userdel \$u 2>/dev/null; done; groupdel $GROUP 2>/dev/null; groupdel $OPS 2>/dev/null; groupdel $SOCKGROUP 2>/dev/null"

pg_start
pg_fixtures
SW_PIN_DIR=/sys/fs/bpf/sqlward-test-$$
sw_at_exit gate_detach
# A webhook receiver on loopback that fails its first POST (to exercise the retry).
HOOK_PORT=$(pg_free_port)
DEAD_PORT=$(pg_free_port)
cat >"$SW_TMP/hook.py" <<'PY'
import http.server, sys
port, out = int(sys.argv[1]), sys.argv[2]
seen = {"n": 0}
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        seen["n"] += 1
        with open(out, "a") as f:
            f.write("%d %s\n" % (seen["n"], body.decode()))
        self.send_response(500 if seen["n"] == 1 else 200)
        self.end_headers()
    def log_message(self, *a):
        pass
http.server.HTTPServer(("127.0.0.1", port), H).serve_forever()
PY
python3 "$SW_TMP/hook.py" "$HOOK_PORT" "$SW_TMP/hook.log" &
HOOK_PID=$!
sw_at_exit "kill $HOOK_PID 2>/dev/null"

POLICY=$SW_TMP/approvals.yaml
cat >"$POLICY" <<EOF
sqlward_policy: 1
govern: { roles: ["agent_*"] }
default: deny
freeze:
  classes: [write, ddl]
  operators: ["group:$GROUP"]
rules:
  - id: hold-risk-notify
    match: { class: write, relation: "app.risk_countries" }
    action: hold
    approvers: ["group:$GROUP"]
    notify: { webhook: "http://127.0.0.1:$HOOK_PORT/hold" }
  - id: hold-customers-dead-hook
    match: { class: write, relation: "app.customers" }
    action: hold
    approvers: ["group:$GROUP"]
    notify: { webhook: "http://127.0.0.1:$DEAD_PORT/nobody" }
  - id: hold-transactions
    match: { class: write, relation: "app.transactions" }
    action: hold
    approvers: ["group:$OPS"]
  - id: hold-ddl-two-person
    match: { class: ddl }
    action: hold
    timeout: 10m
    approvers: ["group:$GROUP"]
    approvals_required: 2
  - id: hold-scratch-short
    match: { class: write, relation: "app.scratch" }
    action: hold
    timeout: 2s
    approvers: ["group:$GROUP"]
  - id: hold-writes
    match: { class: write }
    action: hold
    approvers: ["group:$GROUP"]
  - id: allow-read
    match: { class: [read, transaction, session] }
    action: allow
EOF
# The socket lives in this test's temp dir (mode 0755); the daemon gives it to the group.
SW_GATE_EXTRA="--socket-group $SOCKGROUP"
gate_start "$POLICY"
chmod 755 "$SW_TMP"

as() { local u=$1; shift; runuser -u "$u" -- "$SQLWARD" "$@" --socket "$SW_SOCK"; }
val() { sql_admin_val "SELECT v FROM app.t WHERE id = $1"; }
# hold_field ID PYEXPR: a field of held statement ID in `pending --format json` (p is the entry).
hold_field() {
	pending_json 2>/dev/null | python3 -c '
import json, sys
for p in json.load(sys.stdin):
    if str(p.get("id")) == sys.argv[1]:
        print(eval(sys.argv[2]))' "$1" "$2"
}
# Does the daemon give text ids (unique across restarts)? Set by the first hold.
TEXT_IDS=unknown
NO_TEXT_IDS="needs hold ids unique across restarts (daemon: d->next_hold_id = sw_control_hold_id_base(d))"

# ---- approve releases exactly that statement -------------------------------------
sql_bg agent_test "UPDATE app.t SET v = 'approved' WHERE id = 1"
h=$SQL_BG
wait_pending 15 "'approved'"
check "an UPDATE is held" test -n "$PENDING_ID"
out=$(as sw-carol approve "$PENDING_ID" 2>&1)
assert_contains "carol is not an approver: refused, with the reason" "$out" "not an approver"
assert_eq "after carol's refusal the row is unchanged" v1 "$(val 1)"
out=$(as sw-alice approve "$PENDING_ID" --comment "ticket 1" 2>&1)
assert_contains "alice (group $GROUP) approves" "$out" "approved by sw-alice"
sql_wait "$h" 15
assert_eq "the approved UPDATE ran" "0:approved" "$SQL_RC:$(val 1)"
case $PENDING_ID in *-*) TEXT_IDS=yes ;; *) TEXT_IDS=no; diag "the daemon issues plain-number hold ids: $NO_TEXT_IDS" ;; esac
assert_ledger "ledger: what the approved UPDATE did (outcome record)" type=outcome hold="$PENDING_ID" \
	outcome=completed rows=1
out=$(as sw-bob approve "$PENDING_ID" 2>&1)
assert_contains "an approval is not a standing permission: the id is no longer held" "$out" "is not waiting any more"
assert_contains "the refusal says who approved it and how it ended" "$out" "was approved by sw-alice at"
assert_contains "... with what really happened" "$out" "(outcome completed)"
assert_ledger "ledger: the stale approval is recorded as refused" type=approval_refused user=sw-bob stale=true

# ---- a statement differing by one byte is a new request -------------------------
sql_bg agent_test "UPDATE app.t SET v = 'approved' WHERE id = 1 "
h=$SQL_BG
wait_pending 15 "'approved' WHERE id = 1 "
check "the same UPDATE plus one byte is held again" test -n "$PENDING_ID"
show=$("$SQLWARD" show "$PENDING_ID" --socket "$SW_SOCK")
sha=$(hold_field "$PENDING_ID" 'p["statement_sha256"]')
assert_contains "show prints the exact approve command, bound to the statement's hash" "$show" \
	"sqlward approve $PENDING_ID --sha256 ${sha:0:16}"
out=$(as sw-alice approve "$PENDING_ID" --sha256 0123456789abcdef 2>&1)
assert_contains "an approval with another statement's hash is refused" "$out" "which does not start with 0123456789abcdef"
out=$(as sw-alice approve "$PENDING_ID" --sha256 abc 2>&1)
assert_contains "a hash prefix shorter than 8 hex digits is refused" "$out" "8 to 64 hex digits"
assert_eq "after the refusals the backend is still stopped" T "$(proc_state "$PENDING_PID")"
as sw-bob deny "$PENDING_ID" --comment "no" >/dev/null 2>&1
sql_wait "$h" 15
assert_contains "bob denies: the client gets an error" "$SQL_ERR" "$SW_CANCEL_MSG"
out=$(as sw-alice approve "$PENDING_ID" 2>&1)
assert_contains "approving a denied hold says who denied it" "$out" "was denied by sw-bob at"

# ---- --sha256 alone names the hold; the hash binds the approval ---------------------
sql_bg agent_test "UPDATE app.t SET v = 'by-hash' WHERE id = 10"
h=$SQL_BG
wait_pending 15 "'by-hash'"
sha=$(hold_field "$PENDING_ID" 'p["statement_sha256"]')
out=$(as sw-alice approve --sha256 "${sha:0:8}" --comment "by hash" 2>&1)
assert_contains "--sha256 alone needs 16 hex digits (a short prefix can be ground by the statement's author)" \
	"$out" "at least 16 hex digits"
out=$(as sw-alice approve --sha256 "${sha:0:16}" --comment "by hash" 2>&1)
assert_contains "approve --sha256 PREFIX (no id) approves the one statement with that hash" "$out" "approved by sw-alice"
sql_wait "$h" 15
assert_eq "the UPDATE approved by hash ran" "0:by-hash" "$SQL_RC:$(val 10)"

# ---- two-person rule for DDL --------------------------------------------------------
sql_bg agent_test "ALTER TABLE app.t ADD COLUMN reviewed boolean"
h=$SQL_BG
wait_pending 15 "ADD COLUMN reviewed"
out=$(as sw-alice approve "$PENDING_ID" 2>&1)
assert_contains "the first approval is recorded, one more needed" "$out" "1 more distinct approver"
out=$(as sw-alice approve "$PENDING_ID" 2>&1)
assert_contains "the same approver twice does not count twice" "$out" "already approved"
sleep 0.3
assert_eq "with one approval the ALTER has not run" 0 \
	"$(sql_admin_val "SELECT count(*) FROM information_schema.columns WHERE table_name = 't' AND column_name = 'reviewed'")"
assert_eq "with one approval the backend is still stopped" T "$(proc_state "$PENDING_PID")"
out=$(as sw-bob approve "$PENDING_ID" 2>&1)
assert_contains "the second distinct approver releases it" "$out" "approved by sw-alice,sw-bob"
sql_wait "$h" 15
assert_eq "the ALTER ran after two approvals" 1 \
	"$(sql_admin_val "SELECT count(*) FROM information_schema.columns WHERE table_name = 't' AND column_name = 'reviewed'")"

# ---- a multi-statement string is approved under ALL its rules ---------------------
# The UPDATE's rule wants one approval from $OPS (carol may give it); the ALTER's
# wants two from $GROUP. Putting the easy statement first must not pick the easy rule.
sql_bg agent_test "UPDATE app.transactions SET note = 'multi' WHERE transaction_id = 1; ALTER TABLE app.transactions ADD COLUMN flagged boolean"
h=$SQL_BG
wait_pending 15 "ADD COLUMN flagged"
check "an UPDATE + ALTER TABLE string is held" test -n "$PENDING_ID"
nrules=$(hold_field "$PENDING_ID" 'len(p.get("approval", {}).get("rules", []))')
flagged() { sql_admin_val "SELECT count(*) FROM information_schema.columns WHERE table_name = 'transactions' AND column_name = 'flagged'"; }
if [ "${nrules:-0}" -ge 2 ]; then
	assert_eq "the hold carries both rules" "hold-transactions hold-ddl-two-person" \
		"$(hold_field "$PENDING_ID" '" ".join(r["rule"] for r in p["approval"]["rules"])')"
	assert_eq "it needs the larger count (2)" 2 "$(hold_field "$PENDING_ID" 'p["approvals_required"]')"
	left=$(hold_field "$PENDING_ID" 'int(p["time_left_s"])')
	check "it times out after the shorter timeout (10m, $left s left)" test "${left:-9999}" -le 600
	show=$("$SQLWARD" show "$PENDING_ID" --socket "$SW_SOCK")
	assert_contains "show lists every rule it must satisfy" "$show" "approvers of every rule below"
	out=$(as sw-carol approve "$PENDING_ID" 2>&1)
	assert_contains "carol (an approver of the UPDATE's rule only) is refused, naming the ALTER's rule" "$out" \
		"sw-carol is not an approver of rule hold-ddl-two-person (approvers: group:$GROUP)"
	assert_eq "after carol's attempt nothing ran" "T:0" "$(proc_state "$PENDING_PID"):$(flagged)"
	out=$(as sw-alice approve "$PENDING_ID" 2>&1)
	assert_contains "alice's approval counts, one more is needed" "$out" "1 more distinct approver"
	out=$(as sw-bob approve "$PENDING_ID" 2>&1)
	assert_contains "bob's (the second under both rules) releases it" "$out" "approved by sw-alice,sw-bob"
	sql_wait "$h" 15
	assert_eq "the string ran after two approvals from people allowed by both rules" "0:1" "$SQL_RC:$(flagged)"
else
	diag "the hold carries one rule: the daemon does not add every held rule yet (sw_approval_add_judged)"
	for n in "the hold carries both rules" "it needs the larger count (2)" "it times out after the shorter timeout" \
		"show lists every rule it must satisfy" "carol (an approver of the UPDATE's rule only) is refused" \
		"alice's approval counts, one more is needed" "bob's (the second under both rules) releases it" \
		"the string ran after two approvals from people allowed by both rules"; do
		not_ok "$n" "needs every held rule on the hold (daemon: sw_approval_add_judged at hold creation)"
	done
	as root deny "$PENDING_ID" >/dev/null 2>&1
	sql_wait "$h" 15
fi

# ---- a daemon restart between `pending` and `approve` ---------------------------------
sql_bg agent_test "UPDATE app.t SET v = 'before-restart' WHERE id = 9"
h=$SQL_BG
wait_pending 15 "'before-restart'"
old_id=$PENDING_ID
gate_stop
sql_wait "$h" 15
assert_contains "the daemon stopping refused what it held" "$SQL_ERR" "$SW_CANCEL_MSG"
gate_start "$POLICY"
sql_bg agent_test "UPDATE app.t SET v = 'after-restart' WHERE id = 9"
h=$SQL_BG
wait_pending 15 "'after-restart'"
new_id=$PENDING_ID
if [ "$TEXT_IDS" = yes ]; then
	assert_ne "the new daemon's hold has another id" "$old_id" "$new_id"
else
	not_ok "the new daemon's hold has another id" "$NO_TEXT_IDS"
fi
if [ "$old_id" != "$new_id" ]; then
	out=$(as sw-alice approve "$old_id" 2>&1)
	assert_contains "approving the id seen before the restart is refused with what happened to it" "$out" \
		"belonged to a previous daemon run and was refused when it stopped"
	assert_eq "... and the statement held now was not touched" T "$(proc_state "$PENDING_PID")"
else
	not_ok "approving the id seen before the restart is refused with what happened to it" "$NO_TEXT_IDS"
	not_ok "... and the statement held now was not touched" "$NO_TEXT_IDS"
fi
if [ "$TEXT_IDS" = yes ]; then
	out=$(as sw-alice approve "${new_id##*-}" 2>&1)
	assert_contains "a bare number is refused without --sha256 (it could name another statement)" "$out" \
		"a bare number names a hold only within one daemon run"
	out=$(as sw-alice show "${new_id##*-}" 2>&1)
	assert_contains "show takes the bare number of this run's hold" "$out" "Held statement $new_id"
else
	not_ok "a bare number is refused without --sha256 (it could name another statement)" "$NO_TEXT_IDS"
	not_ok "show takes the bare number of this run's hold" "$NO_TEXT_IDS"
fi
as sw-bob deny "$new_id" >/dev/null 2>&1
sql_wait "$h" 15
assert_eq "row 9 never changed" v9 "$(val 9)"

# ---- the requesting OS user cannot approve its own statement ---------------------
h_out=$SW_TMP/self.out
(runuser -u sw-alice -- psql -X -At -h "$SW_PG_HOST" -p "$SW_PG_PORT" -U agent_test -d gatedb \
	-c "UPDATE app.t SET v = 'self' WHERE id = 2" >"$h_out" 2>&1; echo $? >"$h_out.rc") &
wait_pending 15 "'self'"
show=$("$SQLWARD" show "$PENDING_ID" --socket "$SW_SOCK")
assert_contains "the dossier names the requesting OS user" "$show" "by OS user sw-alice"
out=$(as sw-alice approve "$PENDING_ID" 2>&1)
assert_contains "sw-alice cannot approve the statement her own client sent" "$out" "owns the client process"
out=$(as sw-bob approve "$PENDING_ID" 2>&1)
assert_contains "another approver can" "$out" "approved by sw-bob"
for _ in $(seq 50); do [ -f "$h_out.rc" ] && break; sleep 0.1; done
assert_eq "the self-requested UPDATE ran after bob's approval" self "$(val 2)"

# ---- the dossier shows the transaction so far ---------------------------------------
sql_bg agent_test "BEGIN" "SELECT count(*) FROM app.t" "UPDATE app.t SET v = 'in-tx' WHERE id = 3" "COMMIT"
h=$SQL_BG
wait_pending 15 "'in-tx'"
show=$("$SQLWARD" show "$PENDING_ID" --socket "$SW_SOCK")
assert_contains "the dossier lists earlier statements of the transaction" "$show" "SELECT count(*) FROM app.t"
assert_contains "the dossier shows the lock mode" "$show" "RowExclusiveLock"
assert_contains "the dossier shows the statement hash" "$show" "sha256"
as sw-bob deny "$PENDING_ID" >/dev/null 2>&1
sql_wait "$h" 15
assert_eq "denied inside a transaction: row unchanged" v3 "$(val 3)"

# ---- timeout: nobody decides, the statement is denied -----------------------------------
start=$(date +%s)
sql agent_test "UPDATE app.scratch SET v = 'late' WHERE id = 1"
assert_contains "a hold past its 2 s timeout is cancelled" "$SQL_ERR" "$SW_CANCEL_MSG"
check "it was cancelled after about the timeout, not hours later" test $(($(date +%s) - start)) -lt 10
assert_eq "the timed-out UPDATE never ran" "row 1" "$(sql_admin_val "SELECT v FROM app.scratch WHERE id = 1")"
ledger_match statement~"SET v = 'late'" outcome=timed_out
check "ledger: recorded as timed_out" test $? -eq 0

# ---- statement_timeout keeps running while held --------------------------------------
sql_bg agent_test "SET statement_timeout = '1s'" "UPDATE app.t SET v = 'too-late' WHERE id = 4"
h=$SQL_BG
wait_pending 15 "'too-late'"
sleep 1.5
pj=$(pending_json)
assert_contains "pending says the server will cancel it on release" "$pj" '"server_cancels_on_release": true'
out=$(as sw-bob approve "$PENDING_ID" 2>&1)
assert_contains "approve refuses it without --force, saying PostgreSQL would cancel it" "$out" "--force"
check "... and it stays held" wait_pending 2 "'too-late'"
as sw-bob approve "$PENDING_ID" --force >/dev/null 2>&1
sql_wait "$h" 15
# PostgreSQL's timer fired while the backend was stopped; on release it cancels the
# statement itself (it may report "user request": the timeout's SIGINT is what it sees).
assert_contains "approved after statement_timeout: PostgreSQL cancels it on release" "$SQL_ERR" "canceling statement due to"
assert_eq "so the UPDATE did not run" v4 "$(val 4)"

# ---- lock_timeout only counts lock waits after release ----------------------------------
sql_bg agent_test "SET lock_timeout = '1s'" "UPDATE app.t SET v = 'lock-ok' WHERE id = 4"
h=$SQL_BG
wait_pending 15 "'lock-ok'"
sleep 1.5
pj=$(pending_json)
assert_contains "pending shows the session's lock_timeout" "$pj" '"lock_timeout_ms": 1000'
assert_contains "a lock_timeout alone does not make the server cancel on release" "$pj" '"server_cancels_on_release": false'
as sw-bob approve "$PENDING_ID" >/dev/null 2>&1
sql_wait "$h" 15
assert_eq "held longer than lock_timeout, then approved: the UPDATE runs" "0:lock-ok" "$SQL_RC:$(val 4)"

# ---- freeze ----------------------------------------------------------------------------
sql_bg agent_test "UPDATE app.t SET v = 'pre-freeze' WHERE id = 5"
h=$SQL_BG
wait_pending 15 "'pre-freeze'"
out=$(as sw-carol freeze on --reason "carol tries" 2>&1)
assert_contains "carol may not freeze" "$out" "may not switch the freeze"
out=$(as sw-alice freeze on --reason "incident 42" 2>&1)
assert_contains "alice (an operator) freezes" "$out" "frozen: incident 42"
sql_wait "$h" 10
assert_contains "a write held when the freeze starts is denied" "$SQL_ERR" "$SW_CANCEL_MSG"
start=$(date +%s%N)
sql agent_test "UPDATE app.t SET v = 'frozen' WHERE id = 5"
ms=$((($(date +%s%N) - start) / 1000000))
assert_contains "while frozen a write is denied" "$SQL_ERR" "$SW_CANCEL_MSG"
check "at once, without waiting for a human (${ms} ms)" test "$ms" -lt 3000
sql agent_test "SELECT count(*) FROM app.t"
assert_eq "while frozen reads go on" "0:10" "$SQL_RC:$SQL_OUT"
gate_stop
gate_start "$POLICY"
sql agent_test "UPDATE app.t SET v = 'frozen2' WHERE id = 5"
assert_contains "the freeze survives a daemon restart" "$SQL_ERR" "$SW_CANCEL_MSG"
as sw-bob freeze off >/dev/null 2>&1
sql_bg agent_test "UPDATE app.t SET v = 'thawed' WHERE id = 5"
h=$SQL_BG
wait_pending 15 "'thawed'"
check "after freeze off writes are held again" test -n "$PENDING_ID"
as sw-bob deny "$PENDING_ID" >/dev/null 2>&1
sql_wait "$h" 10
ledger_match type=daemon event=freeze_on
check "ledger: the freeze is recorded" test $? -eq 0
assert_eq "row 5 never changed" v5 "$(val 5)"

# ---- a client that hangs up while held ------------------------------------------------
sql_bg agent_test "UPDATE app.t SET v = 'gone' WHERE id = 6"
h=$SQL_BG
wait_pending 15 "'gone'"
gone_pid=$PENDING_PID
pkill -KILL -f "psql.* -p $SW_PG_PORT .*SET v = 'gone'" 2>/dev/null   # (this cluster's client only)
n=0; while [ "$n" -lt 50 ] && [ -n "$(pending_list "'gone'")" ]; do sleep 0.2; n=$((n + 1)); done
assert_eq "a hold whose client hung up is resolved" "" "$(pending_list "'gone'")"
ledger_match statement~"'gone'" outcome=abandoned
check "ledger: recorded as abandoned" test $? -eq 0
assert_eq "its UPDATE never ran" v6 "$(val 6)"

# ---- kill -9 with three statements held: none stays stopped ------------------------
hs=()
for i in 7 8 9; do
	sql_bg agent_test "UPDATE app.t SET v = 'crash$i' WHERE id = $i"
	hs+=("$SQL_BG")
	wait_pending 15 "'crash$i'"
done
pids=$(pending_list "crash" | awk '{print $2}' | tr '\n' ' ')
assert_eq "three statements are held" 3 "$(echo $pids | wc -w)"
kill -KILL "$SW_GATE_PID"; wait "$SW_GATE_PID" 2>/dev/null; SW_GATE_PID=
sleep 10
stopped=0
for p in $pids; do [ "$(proc_state "$p")" = T ] && stopped=$((stopped + 1)); done
assert_eq "ten seconds after kill -9 no backend is left stopped" 0 "$stopped"
for h in "${hs[@]}"; do
	sql_wait "$h" 5
	assert_contains "each held client got an error" "$SQL_ERR" "$SW_CANCEL_MSG"
done
assert_eq "none of the three ran" "v7|v8|v9" "$(sql_admin_val "SELECT string_agg(v, '|' ORDER BY id) FROM app.t WHERE id IN (7,8,9)")"
ledger_match type=failure_mode outcome=cancelled
check "ledger: the watchdog recorded the failure-mode resolution" test $? -eq 0
"$SQLWARD" verify --ledger "$SW_LEDGER" >/dev/null
assert_rc "the ledger verifies after kill -9" 0 $?
gate_start "$POLICY"
sql agent_test "SELECT 1"
assert_eq "the restarted daemon serves again" "0:1" "$SQL_RC:$SQL_OUT"

# ---- webhooks: the dossier is POSTed; failures are retried and never block ---------
sql_bg agent_test "UPDATE app.risk_countries SET risk_level = 'hooked' WHERE country_code = 'US'"
h=$SQL_BG
wait_pending 15 "'hooked'"
n=0; while [ "$n" -lt 60 ] && [ "$(wc -l <"$SW_TMP/hook.log" 2>/dev/null || echo 0)" -lt 2 ]; do sleep 0.2; n=$((n + 1)); done
check "the webhook got the dossier again after its first POST failed" test "$(wc -l <"$SW_TMP/hook.log")" -ge 2
assert_contains "the webhook body holds the exact statement" "$(tail -n1 "$SW_TMP/hook.log")" "risk_level = 'hooked'"
assert_contains "the webhook body names the rule" "$(tail -n1 "$SW_TMP/hook.log")" "hold-risk-notify"
as sw-bob deny "$PENDING_ID" >/dev/null 2>&1
sql_wait "$h" 10
sql_bg agent_test "UPDATE app.customers SET name = 'hooked' WHERE customer_id = 1"
h=$SQL_BG
wait_pending 15 "name = 'hooked'"
check "with its webhook unreachable the statement is still held" test -n "$PENDING_ID"
out=$(as sw-bob approve "$PENDING_ID" 2>&1)
sql_wait "$h" 10
assert_eq "and approving it works as usual" "0:hooked" "$SQL_RC:$(sql_admin_val "SELECT name FROM app.customers WHERE customer_id = 1")"

# ---- the ledger binds decisions to the statement ------------------------------------
ledger_match type=approval user=sw-alice
check "ledger: a partial approval is recorded with its approver" test $? -eq 0
ledger_match type=approval_refused user=sw-carol
check "ledger: a refused approval is recorded" test $? -eq 0
python3 - "$SW_LEDGER" <<-'EOF' && ok "ledger: decisions carry the statement hash and the approvers" || not_ok "ledger: decisions carry the statement hash and the approvers"
	import json, sys
	ok = False
	for line in open(sys.argv[1]):
	    r = json.loads(line)
	    if r.get("type") == "statement" and r.get("decided_by") == "sw-alice,sw-bob":
	        users = [a["user"] for a in r.get("approvals", [])]
	        ok = users == ["sw-alice", "sw-bob"] and len(r.get("statement_sha256", "")) == 64 and r.get("hold_id")
	sys.exit(0 if ok else 1)
EOF
# ---- a session's holds decided as one batch (show/approve/deny --session) -------------------
# PostgreSQL holds one statement per session (the backend is stopped), so a session's batch is
# its held statement, shown with the transaction so far; the digest binds exactly that set.
sql_bg agent_test "BEGIN" "SELECT count(*) FROM app.t" "UPDATE app.t SET v = 'batch-a' WHERE id = 3" "COMMIT"
ha=$SQL_BG
wait_pending 15 "'batch-a'"
ida=$PENDING_ID; pida=$PENDING_PID
sql_bg agent_test "UPDATE app.t SET v = 'batch-b' WHERE id = 8"
hb=$SQL_BG
wait_pending 15 "'batch-b'"
idb=$PENDING_ID; pidb=$PENDING_PID
sa=$(hold_field "$ida" 'p.get("session", "")')
sb=$(hold_field "$idb" 'p.get("session", "")')
assert_eq "pending gives each hold's session (its backend pid)" "$pida $pidb" "$sa $sb"
show=$(as sw-alice show --session "$sa" 2>&1)
assert_contains "show --session renders one dossier for the session" "$show" "Session $sa on"
assert_contains "... with its held statement" "$show" "SET v = 'batch-a'"
assert_contains "... and the transaction so far" "$show" "SELECT count(*) FROM app.t"
case $show in *"'batch-b'"*) not_ok "... and nothing of the other session" "$show" ;; *) ok "... and nothing of the other session" ;; esac
digest=$(as sw-alice show --session "$sa" --format json 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["batch_digest"])')
check "show --session gives a batch digest" test "${#digest}" -eq 64
assert_contains "show --session prints the exact command, bound to the digest" "$show" \
	"sqlward approve --session $sa --batch-digest ${digest:0:16}"
want=$(python3 -c 'import hashlib,sys; print(hashlib.sha256(("%s %s\n" % (sys.argv[1], sys.argv[2])).encode()).hexdigest())' \
	"$ida" "$(hold_field "$ida" 'p["statement_sha256"]')")
assert_eq "the batch digest is SHA-256 over (hold id, statement sha256)" "$want" "$digest"
out=$(as sw-alice approve --session "$sa" 2>&1)
assert_contains "approve --session without --batch-digest is refused" "$out" "give --batch-digest"
out=$(as sw-alice approve --session "$sa" --batch-digest "${digest:0:8}" 2>&1)
assert_contains "a batch digest prefix shorter than 16 hex digits is refused" "$out" "16 to 64 hex digits"
out=$(as sw-alice approve --session "$sa" --batch-digest 0123456789abcdef 2>&1)
assert_contains "a stale batch digest decides nothing and says to show again" "$out" \
	"not the ones you reviewed"
assert_contains "... naming the command to run" "$out" "sqlward show --session $sa"
out=$(as sw-carol approve --session "$sa" --batch-digest "${digest:0:16}" 2>&1)
assert_contains "a caller barred from a hold is refused the whole batch, naming the hold" "$out" "on $ida, "
assert_contains "... and the refusal says nothing was decided" "$out" "nothing was decided"
assert_eq "after the refusals both backends are still stopped" "T T" "$(proc_state "$pida") $(proc_state "$pidb")"
assert_ledger "ledger: the refused batch is recorded against its hold" type=approval_refused user=sw-carol \
	hold="$ida" message~"all or nothing"
out=$(as sw-alice approve --session "$sa" --batch-digest "${digest:0:16}" --comment "batch OPS-7" 2>&1)
assert_contains "approve --session releases the session's hold" "$out" "held statement $ida: approved by sw-alice"
sql_wait "$ha" 15
assert_eq "session A's transaction ran" "0:batch-a" "$SQL_RC:$(val 3)"
assert_eq "the other session's hold is untouched (backend stopped, row unchanged)" "T:v8" \
	"$(proc_state "$pidb"):$(val 8)"
assert_ledger "ledger: the decision names its batch" type=statement hold="$ida" outcome=released \
	batch~"\"digest\": \"$digest\""
out=$(as sw-alice approve --session "$sa" --batch-digest "${digest:0:16}" 2>&1)
assert_contains "the same batch approved again: nothing is waiting in that session" "$out" \
	"no held statement is waiting in session $sa"
digb=$(as sw-bob show --session "$sb" --format json 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["batch_digest"])')
out=$(as sw-carol deny --session "$sb" --batch-digest "${digb:0:16}" 2>&1)
assert_contains "deny --session follows the deny rules (carol may not)" "$out" "not an approver"
out=$(as sw-bob deny --session "$sb" --batch-digest "${digb:0:16}" --comment "not now" 2>&1)
assert_contains "deny --session refuses the session's hold" "$out" "held statement $idb: denied by sw-bob"
sql_wait "$hb" 15
assert_contains "the denied session's client gets an error" "$SQL_ERR" "$SW_CANCEL_MSG"
assert_eq "and its UPDATE never ran" v8 "$(val 8)"

# A new hold in the session after it was shown: the old digest no longer matches.
sql_bg agent_test "UPDATE app.t SET v = 'batch-c' WHERE id = 3" "UPDATE app.t SET v = 'batch-d' WHERE id = 8"
hc=$SQL_BG
wait_pending 15 "'batch-c'"
idc=$PENDING_ID; sc=$(hold_field "$idc" 'p.get("session", "")')
digc=$(as sw-alice show --session "$sc" --format json 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["batch_digest"])')
as sw-alice approve "$idc" >/dev/null 2>&1
wait_pending 15 "'batch-d'"
idd=$PENDING_ID
assert_eq "the session's next statement is held in the same session" "$sc" "$(hold_field "$idd" 'p.get("session", "")')"
out=$(as sw-alice approve --session "$sc" --batch-digest "${digc:0:16}" 2>&1)
assert_contains "a digest shown before the session's set changed decides nothing" "$out" "not the ones you reviewed"
assert_eq "... and the new hold stays held" T "$(proc_state "$PENDING_PID")"
digd=$(as sw-alice show --session "$sc" --format json 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["batch_digest"])')
out=$(as sw-alice approve --session "$sc" --batch-digest "${digd:0:16}" 2>&1)
assert_contains "shown again, the session's new hold is approved by its new digest" "$out" "held statement $idd: approved"
sql_wait "$hc" 15
assert_eq "both statements of that session ran" "0:batch-c:batch-d" "$SQL_RC:$(val 3):$(val 8)"

# ---- MariaDB: a connection's hold is decided as a batch too ----------------------------------
. tests/lib/mariadb.sh
my_start
my_fixtures
gate_stop
SW_GATE_EXTRA="--socket-group $SOCKGROUP --mariadb-pid $SW_MY_PID"
gate_start "$POLICY"
owner() { my_sql_admin "SELECT owner FROM gatedb.accounts WHERE id = $1" >/dev/null 2>&1; echo "$MY_OUT"; }
owner4=$(owner 4)
myc_bg agent_test "q:UPDATE accounts SET owner = 'batch-my' WHERE id = 3"
m1=$MYC_BG
wait_pending 20 "'batch-my'"
idm=$PENDING_ID
myc_bg agent_test "q:UPDATE accounts SET owner = 'batch-my2' WHERE id = 4"
m2=$MYC_BG
wait_pending 20 "'batch-my2'"
idm2=$PENDING_ID
sm=$(hold_field "$idm" 'p.get("session", "")')
sm2=$(hold_field "$idm2" 'p.get("session", "")')
case $sm in
"$SW_MY_PID":[0-9]*) ok "a MariaDB hold's session is mariadbd-pid:connection-id ($sm)" ;;
*) not_ok "a MariaDB hold's session is mariadbd-pid:connection-id" "session \"$sm\", mariadbd $SW_MY_PID" ;;
esac
assert_ne "two MariaDB connections are two sessions" "$sm" "$sm2"
show=$(as sw-alice show --session "$sm" 2>&1)
assert_contains "show --session renders the MariaDB connection's dossier" "$show" "owner = 'batch-my' WHERE id = 3"
digm=$(as sw-alice show --session "$sm" --format json 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["batch_digest"])')
out=$(as sw-carol approve --session "$sm" --batch-digest "${digm:0:16}" 2>&1)
assert_contains "MariaDB: a barred approver is refused the whole batch" "$out" "nothing was decided"
out=$(as sw-alice approve --session "$sm" --batch-digest "${digm:0:16}" 2>&1)
assert_contains "MariaDB: approve --session releases that connection's hold" "$out" "held statement $idm: approved by sw-alice"
myc_wait "$m1" 20
if [ "$MYC_RC" = 0 ] && grep -q "^OK 1" <<<"$MYC_OUT"; then ok "MariaDB: ... and its UPDATE ran"; else
	not_ok "MariaDB: ... and its UPDATE ran" "rc=$MYC_RC" "$MYC_OUT"; fi
assert_eq "MariaDB: the other connection's hold is untouched" "$idm2:$owner4" \
	"$(pending_list "'batch-my2'" | awk '{print $1}'):$(owner 4)"
digm2=$(as sw-bob show --session "$sm2" --format json 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["batch_digest"])')
out=$(as sw-bob deny --session "$sm2" --batch-digest "${digm2:0:16}" 2>&1)
assert_contains "MariaDB: deny --session refuses the other connection's hold" "$out" "held statement $idm2: denied by sw-bob"
myc_wait "$m2" 20
assert_eq "MariaDB: ... its UPDATE never ran" "$owner4" "$(owner 4)"

gate_stop_check
gate_log_on_failure
finish
