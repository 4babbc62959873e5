#!/usr/bin/env bash
# Webhook events for held statements, signed: a python3 http.server receiver
# on loopback checks every POST's X-Sqlward-Signature (HMAC-SHA256 of the body
# with the policy's secret_file) and records the events: held, approval_refused,
# approved, denied, timed_out, abandoned, refused (a freeze, the daemon
# stopping). Each carries the host, the exact approve/deny commands and the
# dossier. A receiver that refuses (HTTP 403) shows in `sqlward status` and as
# a "webhook_failed" ledger record. A world-readable secret file is refused
# when the policy loads.
#
# NEEDS THE DAEMON INTEGRATION, skipped ("# SKIP") until it is there:
#   - events from the daemon (sw_hold_webhooks_held at hold creation instead of
#     the old "statement_held" POST, sw_hold_webhooks_decided in
#     sw_holds_release, every held rule on the hold): detected from the first
#     event the receiver gets being a signed "held";
#   - "webhook_failed" ledger records (sw_notifier_drain on every tick):
#     detected from `status` "webhooks.recorded";
#   - events of holds refused when the daemon stops (sw_notifier_flush before
#     sw_notifier_stop).
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
. tests/lib/assert.sh
. tests/lib/pg.sh
. tests/integration/lib_gate.sh

OTHER=sw-wh-other SOCKGROUP=sw-wh-ctl
getent group $SOCKGROUP >/dev/null || groupadd --system $SOCKGROUP
sw_ensure_system_user "$OTHER"
usermod -a -G $SOCKGROUP "$OTHER"
sw_at_exit "userdel $OTHER 2>/dev/null; groupdel $SOCKGROUP 2>/dev/null"

pg_start
pg_fixtures
SW_PIN_DIR=/sys/fs/bpf/sqlward-test-$$
sw_at_exit gate_detach

SECRET=$SW_TMP/hook.secret
head -c 32 /dev/urandom | base64 >"$SECRET"
chmod 600 "$SECRET"

# ---- receivers: one checks signatures and records events, one refuses everything ------
cat >"$SW_TMP/receiver.py" <<'PY'
import hashlib, hmac, http.server, json, sys
port, mode, secret_file, out = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
secret = open(secret_file, "rb").read().rstrip()
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        want = "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()
        signed = hmac.compare_digest(self.headers.get("X-Sqlward-Signature", ""), want)
        try:
            ev = json.loads(body)
        except ValueError:
            ev = {}
        with open(out, "a") as f:
            f.write(json.dumps({"event": ev.get("event"), "header_event": self.headers.get("X-Sqlward-Event"),
                                "header_hold": self.headers.get("X-Sqlward-Hold"), "signed": signed,
                                "body": ev}) + "\n")
        self.send_response(403 if mode == "refuse" else 200 if signed else 401)
        self.send_header("Content-Length", "0")
        self.end_headers()
    def log_message(self, *a):
        pass
http.server.ThreadingHTTPServer(("127.0.0.1", port), H).serve_forever()
PY
OK_PORT=$(pg_free_port)
python3 "$SW_TMP/receiver.py" "$OK_PORT" check "$SECRET" "$SW_TMP/events.jsonl" &
sw_at_exit "kill $! 2>/dev/null"
REFUSE_PORT=$(pg_free_port)
python3 "$SW_TMP/receiver.py" "$REFUSE_PORT" refuse "$SECRET" "$SW_TMP/refused.jsonl" &
sw_at_exit "kill $! 2>/dev/null"

POLICY=$SW_TMP/webhooks.yaml
cat >"$POLICY" <<EOF
sqlward_policy: 1
govern: { roles: ["agent_*"] }
default: deny
rules:
  - id: hook-scratch-timeout
    match: { class: write, relation: "app.scratch" }
    action: hold
    timeout: 2s
    notify: { webhook: "http://127.0.0.1:$OK_PORT/sqlward", secret_file: "$SECRET" }
  - id: hook-refused
    match: { class: write, relation: "app.customers" }
    action: hold
    notify: { webhook: "http://127.0.0.1:$REFUSE_PORT/sqlward", secret_file: "$SECRET" }
  - id: hook-writes
    match: { class: write }
    action: hold
    notify: { webhook: "http://127.0.0.1:$OK_PORT/sqlward", secret_file: "$SECRET" }
  - id: allow-read
    match: { class: [read, transaction, session] }
    action: allow
EOF

# ---- a secret file other users can read is refused at load ------------------------------
sed "s#$SECRET#$SW_TMP/open.secret#" "$POLICY" >"$SW_TMP/open.yaml"
cp "$SECRET" "$SW_TMP/open.secret" && chmod 644 "$SW_TMP/open.secret"
out=$(echo "SELECT 1" | "$SQLWARD" check --policy "$SW_TMP/open.yaml" --role agent_x 2>&1)
assert_contains "a world-readable secret_file is refused when the policy loads" "$out" \
	"secret_file $SW_TMP/open.secret is readable by every user (mode 0644)"
assert_contains "... saying what to do" "$out" "chmod o-rw $SW_TMP/open.secret"

SW_GATE_EXTRA="--socket-group $SOCKGROUP"
gate_start "$POLICY"

# wait_event EVENT HOLD [SECS]: the receiver's record of that event (JSON), or nothing. HOLD is
# a hold id, or "stmt:TEXT" for the hold whose statement contains TEXT.
wait_event() {
	local n=0 secs=${3:-10} rec
	while [ "$n" -lt $((secs * 5)) ]; do
		rec=$(python3 -c '
import json, sys
want = sys.argv[3]
for line in open(sys.argv[1]):
    r = json.loads(line)
    b = r["body"]
    hit = want[5:] in str(b.get("hold", {}).get("statement")) if want.startswith("stmt:") else str(b.get("hold_id")) == want
    if r["event"] == sys.argv[2] and hit:
        print(json.dumps(r)); break' "$SW_TMP/events.jsonl" "$1" "$2" 2>/dev/null)
		[ -n "$rec" ] && { printf '%s' "$rec"; return 0; }
		sleep 0.2; n=$((n + 1))
	done
	return 1
}
# field JSON PYEXPR (r is the record)
field() { python3 -c 'import json, sys; r = json.loads(sys.argv[1]); print(eval(sys.argv[2]))' "$1" "$2"; }

EVENTS=unknown
NO_EVENTS="needs the daemon's hold events (sw_hold_webhooks_held/_decided, every held rule on the hold)"
# event_check NAME EVENT HOLD_ID [PYEXPR EXPECTED]...: the event arrived, signed, with each field as expected.
event_check() {
	local name=$1 event=$2 id=$3 rec
	shift 3
	if [ "$EVENTS" != yes ]; then not_ok "$name" "$NO_EVENTS"; return; fi
	if ! rec=$(wait_event "$event" "$id"); then
		not_ok "$name" "no \"$event\" event for hold $id" "received: $(cut -c1-300 "$SW_TMP/events.jsonl" 2>/dev/null)"
		return
	fi
	local bad="" got
	[ "$(field "$rec" 'r["signed"]')" = True ] || bad+=" signature"
	[ "$(field "$rec" 'r["header_event"]')" = "$event" ] || bad+=" X-Sqlward-Event"
	while [ $# -ge 2 ]; do
		got=$(field "$rec" "$1")
		[[ "$got" == *"$2"* ]] || bad+=" $1=$got (want $2)"
		shift 2
	done
	if [ -z "$bad" ]; then ok "$name"; else not_ok "$name" "wrong:$bad" "$rec"; fi
}

# ---- held: signed, with the host, the commands and the dossier ------------------------------
sql_bg agent_test "UPDATE app.t SET v = 'hooked' WHERE id = 1"
h=$SQL_BG
wait_pending 15 "'hooked'"
ID=$PENDING_ID
n=0; while [ "$n" -lt 50 ] && ! [ -s "$SW_TMP/events.jsonl" ]; do sleep 0.2; n=$((n + 1)); done
first=$(head -n1 "$SW_TMP/events.jsonl" 2>/dev/null)
if [ -n "$first" ] && [ "$(field "$first" 'r["event"]')" = held ]; then
	EVENTS=yes
else
	EVENTS=no
	diag "the receiver's first event is \"$( [ -n "$first" ] && field "$first" 'r["event"]')\", not a signed \"held\": $NO_EVENTS"
fi
event_check "held: a signed event for the hold" held "$ID" \
	'r["body"]["host"]' "$(hostname)" \
	'r["body"]["commands"]["approve"]' "sqlward approve $ID --sha256 " \
	'r["body"]["commands"]["deny"]' "sqlward deny $ID" \
	'r["body"]["hold"]["statement"]' "SET v = 'hooked' WHERE id = 1" \
	'r["body"]["rules"]' "hook-writes" \
	'r["header_hold"]' "$ID"

# ---- a refused approval, then approved -----------------------------------------------------------
out=$(runuser -u "$OTHER" -- "$SQLWARD" approve "$ID" --socket "$SW_SOCK" 2>&1)
assert_contains "$OTHER may not approve (the rule names no approvers: root only)" "$out" "only root"
event_check "approval_refused: told to the webhook, with who and why" approval_refused "$ID" \
	'r["body"]["user"]' "$OTHER" 'r["body"]["message"]' "only root"
"$SQLWARD" approve "$ID" --socket "$SW_SOCK" --comment "OPS-7" >/dev/null
sql_wait "$h" 15
assert_eq "root approved: the UPDATE ran" "0" "$SQL_RC"
event_check "approved: released, by root, with the comment" approved "$ID" \
	'r["body"]["decision"]["outcome"]' released 'r["body"]["decision"]["decided_by"]' root \
	'r["body"]["decision"]["comment"]' OPS-7

# ---- denied ---------------------------------------------------------------------------------------
sql_bg agent_test "UPDATE app.t SET v = 'denied' WHERE id = 2"
h=$SQL_BG
wait_pending 15 "'denied'"
ID=$PENDING_ID
"$SQLWARD" deny "$ID" --socket "$SW_SOCK" --comment "no" >/dev/null
sql_wait "$h" 15
event_check "denied: by root" denied "$ID" 'r["body"]["decision"]["decided_by"]' root \
	'r["body"]["decision"]["outcome"]' cancelled

# ---- timed_out ----------------------------------------------------------------------------------------
sql agent_test "UPDATE app.scratch SET v = 'late' WHERE id = 1"
assert_contains "a hold past its 2 s timeout is refused" "$SQL_ERR" "$SW_CANCEL_MSG"
event_check "timed_out: told when nobody decided in time" timed_out "stmt:SET v = 'late'" \
	'r["body"]["decision"]["outcome"]' timed_out 'r["body"]["rules"]' hook-scratch-timeout

# ---- abandoned ---------------------------------------------------------------------------------------
sql_bg agent_test "UPDATE app.t SET v = 'gone' WHERE id = 3"
h=$SQL_BG
wait_pending 15 "'gone'"
ID=$PENDING_ID
pkill -KILL -f "psql.*SET v = 'gone'" 2>/dev/null
n=0; while [ "$n" -lt 50 ] && [ -n "$(pending_list "'gone'")" ]; do sleep 0.2; n=$((n + 1)); done
assert_eq "a hold whose client hung up is resolved" "" "$(pending_list "'gone'")"
event_check "abandoned: the client hung up" abandoned "$ID" 'r["body"]["decision"]["outcome"]' abandoned

# ---- refused by sqlward: a freeze ---------------------------------------------------------------------
sql_bg agent_test "UPDATE app.t SET v = 'frozen' WHERE id = 4"
h=$SQL_BG
wait_pending 15 "'frozen'"
ID=$PENDING_ID
"$SQLWARD" freeze on --reason "incident 9" --socket "$SW_SOCK" >/dev/null
sql_wait "$h" 15
assert_contains "the freeze refused the held write" "$SQL_ERR" "$SW_CANCEL_MSG"
"$SQLWARD" freeze off --socket "$SW_SOCK" >/dev/null
event_check "refused: sqlward refused it (freeze), decided by sqlward" refused "$ID" \
	'r["body"]["decision"]["decided_by"]' sqlward 'r["body"]["decision"]["comment"]' "freeze"

# ---- a receiver that refuses: status and the ledger ------------------------------------------------------
sql_bg agent_test "UPDATE app.customers SET name = 'x' WHERE customer_id = 1"
h=$SQL_BG
wait_pending 15 "name = 'x'"
ID=$PENDING_ID
n=0; st=""
while [ "$n" -lt 50 ]; do
	st=$("$SQLWARD" status --socket "$SW_SOCK")
	[ "$(field "$st" 'r["webhooks"]["given_up"]')" -ge 1 ] 2>/dev/null && break
	sleep 0.2; n=$((n + 1))
done
check "status: the refused notification is counted as given up" test "$(field "$st" 'r["webhooks"]["given_up"]')" -ge 1
assert_eq "status: the last error says what the receiver answered" "HTTP 403" "$(field "$st" 'r["webhooks"]["last_error"]["error"]')"
assert_not_contains "status: the webhook's path is not shown (it may be a password)" \
	"$(field "$st" 'r["webhooks"]["last_error"]["webhook"]')" "/sqlward"
check "with its webhook failing, the statement is still held" test -n "$(pending_list "name = 'x'")"
n=0
while [ "$n" -lt 25 ] && [ "$(field "$("$SQLWARD" status --socket "$SW_SOCK")" 'r["webhooks"]["recorded"]')" = 0 ]; do
	sleep 0.2; n=$((n + 1))
done
if [ "$(field "$("$SQLWARD" status --socket "$SW_SOCK")" 'r["webhooks"]["recorded"]')" != 0 ]; then
	assert_ledger "ledger: a webhook_failed record for the refused delivery" type=webhook_failed error="HTTP 403"
	if [ "$EVENTS" = yes ]; then
		assert_ledger "ledger: ... naming the event and the hold" type=webhook_failed event=held hold_id="$ID"
	else
		not_ok "ledger: ... naming the event and the hold" "$NO_EVENTS"
	fi
else
	not_ok "ledger: a webhook_failed record for the refused delivery" "needs the daemon to call sw_notifier_drain each tick"
	not_ok "ledger: ... naming the event and the hold" "needs the daemon to call sw_notifier_drain each tick"
fi
"$SQLWARD" deny "$ID" --socket "$SW_SOCK" >/dev/null
sql_wait "$h" 15

# ---- the daemon stops: what it held is refused, and said so -----------------------------------------------
sql_bg agent_test "UPDATE app.t SET v = 'stopping' WHERE id = 5"
h=$SQL_BG
wait_pending 15 "'stopping'"
ID=$PENDING_ID
gate_stop_check
sql_wait "$h" 15
assert_contains "the stopping daemon refused the held write" "$SQL_ERR" "$SW_CANCEL_MSG"
# (The daemon waits for undelivered notifications before it exits: sw_notifier_flush.)
if [ "$EVENTS" = yes ]; then
	event_check "refused at stop: delivered before the daemon exits" refused "$ID" \
		'r["body"]["decision"]["comment"]' "sqlward daemon stopping"
else
	not_ok "refused at stop: delivered before the daemon exits" "needs sw_notifier_flush before sw_notifier_stop"
fi
python3 - "$SW_TMP/events.jsonl" <<'EOF' && ok "every event the receiver got was signed" || not_ok "every event the receiver got was signed" "$(cut -c1-200 "$SW_TMP/events.jsonl")"
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
sys.exit(0 if recs and all(r["signed"] or r["event"] == "statement_held" for r in recs) else 1)
EOF
gate_log_on_failure
finish
