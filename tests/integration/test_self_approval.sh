#!/usr/bin/env bash
# No self-approval through a forwarder, and reviewers see exactly what they
# approve. A governed psql client (OS user sqlward-client) connects through a
# tiny python TCP relay run by another OS user (sqlward-fwd); the client's user
# must not approve the held statement (the requester chain), root may; with
# `approvers_distinct_from: chain` the relay's user is refused too; with two
# clients behind the relay the requester is unknown and every user in the chain
# is refused. Statements carrying ANSI sequences, bidi controls and zero-width
# characters show escaped in `pending`, `show` and `log`, and exact in
# `pending --format json`; `show` lists every statement of a multi-statement string.
#
# NEEDS THE DAEMON INTEGRATION (sw_client_chain + sw_approval_set_chain when a
# hold is created, "requester_chain" in sw_hold_json): the assertions made
# through `chain_check` and `chain_refuses`. Until the daemon reports
# "requester_chain" in its dossier they are printed as "# SKIP" (not counted);
# everything else runs against the daemon as it is.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
. tests/lib/assert.sh
. tests/lib/pg.sh
. tests/integration/lib_gate.sh

FWD=sqlward-fwd
IDLE=nobody          # a third OS user: an idle second client behind the relay
SOCKGROUP=sw-test-selfctl

pg_start
pg_fixtures
sw_ensure_system_user "$FWD"
getent group $SOCKGROUP >/dev/null || groupadd --system $SOCKGROUP
# The client's and the relay's users reach the control socket: a refusal must
# come from the approval rules, not from socket permissions.
usermod -a -G $SOCKGROUP "$SW_CLIENT_USER"
usermod -a -G $SOCKGROUP "$FWD"
sw_at_exit "groupdel $SOCKGROUP 2>/dev/null; userdel $FWD 2>/dev/null"
SW_PIN_DIR=/sys/fs/bpf/sqlward-test-$$
sw_at_exit gate_detach

# ---- the relay: one thread pair per accepted connection ------------------------------
cat >"$SW_TMP/relay.py" <<'PY'
import socket, sys, threading
port, target, once = int(sys.argv[1]), int(sys.argv[2]), "--once" in sys.argv
ls = socket.socket()
ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(("127.0.0.1", port))
ls.listen(16)
print(__import__("os").getpid(), flush=True)
def pipe(a, b):
    try:
        while True:
            d = a.recv(65536)
            if not d:
                break
            b.sendall(d)
    except OSError:
        pass
    for s in (a, b):
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
def serve(c):
    u = socket.create_connection(("127.0.0.1", target))
    t1 = threading.Thread(target=pipe, args=(c, u), daemon=True)
    t2 = threading.Thread(target=pipe, args=(u, c), daemon=True)
    t1.start(); t2.start()
    t1.join(); t2.join()
    c.close(); u.close()
while True:
    c, _ = ls.accept()
    if once:            # like socat without fork: the listener is gone once it has a client
        ls.close()
        serve(c)
        threading.Event().wait()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
PY

# start_relay PORT [--once]: run the relay as $FWD; sets RELAY_PID.
start_relay() {
	local port=$1 out="$SW_TMP/relay.$1.out" n=0
	runuser -u "$FWD" -- python3 "$SW_TMP/relay.py" "$port" "$SW_PG_PORT" ${2:-} >"$out" 2>&1 </dev/null 9>&- &
	while [ "$n" -lt 100 ] && ! [ -s "$out" ]; do sleep 0.1; n=$((n + 1)); done
	RELAY_PID=$(head -n1 "$out")
	[[ $RELAY_PID =~ ^[0-9]+$ ]] || sw_die "the relay did not start: $(cat "$out")"
	sw_at_exit "kill $RELAY_PID 2>/dev/null"
}

RELAY_PORT=$(pg_free_port)
start_relay "$RELAY_PORT"
RELAY=$RELAY_PID

POLICY=$SW_TMP/self-approval.yaml
cat >"$POLICY" <<EOF
sqlward_policy: 1
govern: { roles: ["agent_*"] }
default: deny
rules:
  - id: hold-scratch-chain
    match: { class: write, relation: "app.scratch" }
    action: hold
    approvers: [root, $SW_CLIENT_USER, $FWD]
    approvers_distinct_from: chain
  - id: hold-writes
    match: { class: write }
    action: hold
    approvers: [root, $SW_CLIENT_USER, $FWD]
  - id: allow-read
    match: { class: [read, transaction, session] }
    action: allow
EOF
SW_GATE_EXTRA="--socket-group $SOCKGROUP"
gate_start "$POLICY"

as() { local u=$1; shift; runuser -u "$u" -- "$SQLWARD" "$@" --socket "$SW_SOCK" 2>&1; }
val() { sql_admin_val "SELECT v FROM app.t WHERE id = $1"; }
via_relay() { local port=$1; shift; SW_PG_PORT=$port sql_bg "$@"; }

# The dossier of hold $1 as JSON (pending --format json, that entry).
dossier() {
	pending_json | python3 -c '
import json, sys
for p in json.load(sys.stdin):
    if str(p.get("id")) == sys.argv[1]:
        print(json.dumps(p))' "$1"
}

# Does the daemon report the requester chain (the lead's integration)?
CHAIN=unknown
chain_detect() {
	[ "$CHAIN" = unknown ] || return 0
	if dossier "$1" | python3 -c 'import json,sys; sys.exit(0 if isinstance(json.load(sys.stdin).get("requester_chain"), dict) else 1)'; then
		CHAIN=yes
	else
		CHAIN=no
		diag "the daemon does not report \"requester_chain\" yet: chain assertions are skipped" \
			"(needs sw_client_chain + sw_approval_set_chain at hold creation, see test header)"
	fi
}
NO_CHAIN="needs the daemon's requester chain (lead integration)"
# chain_check ASSERTION ARGS...: run it when the daemon reports the chain, else skip it.
chain_check() {
	if [ "$CHAIN" = yes ]; then "$@"; else not_ok "$2" "$NO_CHAIN"; fi
}
# chain_refuses NAME USER TEXT...: USER's approval of $PENDING_ID is refused with
# every TEXT in the message (needs the chain: before it, USER could approve).
chain_refuses() {
	local name=$1 user=$2 out t
	shift 2
	if [ "$CHAIN" != yes ]; then not_ok "$name" "$NO_CHAIN"; return; fi
	out=$(as "$user" approve "$PENDING_ID")
	for t in "$@"; do assert_contains "$name: \"$t\"" "$out" "$t"; done
}
# root_approves NAME: root approves $PENDING_ID and its client ($h) finishes.
root_approves() {
	local out
	out=$(as root approve "$PENDING_ID")
	assert_contains "$1" "$out" "approved by root"
	sql_wait "$h" 15
}

# ---- through the relay: the client's user may not approve, root may -------------------
via_relay "$RELAY_PORT" agent_test "UPDATE app.t SET v = 'via-relay' WHERE id = 1"
h=$SQL_BG
wait_pending 15 "'via-relay'"
check "an UPDATE sent through the relay is held" test -n "$PENDING_ID"
chain_detect "$PENDING_ID"
show=$("$SQLWARD" show "$PENDING_ID" --socket "$SW_SOCK")
chain_check assert_contains "show: the requester is the client behind the relay" "$show" "by OS user $SW_CLIENT_USER"
chain_check assert_contains "show: the relay is listed in the connection" "$show" "user $FWD), relaying"
chain_check assert_contains "show: so is the client process" "$show" "user $SW_CLIENT_USER), where the connection starts"
chain_refuses "$SW_CLIENT_USER cannot approve the statement it sent through the relay" "$SW_CLIENT_USER" \
	"$SW_CLIENT_USER cannot approve this statement" "owns the client process that sent it, psql" \
	"(pid $RELAY, user $FWD)"
assert_eq "the row is unchanged until someone may approve" v1 "$(val 1)"
root_approves "root (not in the chain) approves it"
assert_eq "the UPDATE ran through the relay" "0:via-relay" "$SQL_RC:$(val 1)"
chain_check assert_ledger "ledger: the refusal is recorded with the chain" type=approval_refused \
	user="$SW_CLIENT_USER" message~"user $FWD"

# ---- approvers_distinct_from: chain -- the relay's user is refused too -----------------
via_relay "$RELAY_PORT" agent_test "UPDATE app.scratch SET v = 'chain-rule' WHERE id = 1"
h=$SQL_BG
wait_pending 15 "'chain-rule'"
check "an UPDATE of app.scratch through the relay is held" test -n "$PENDING_ID"
out=$(as "$FWD" approve "$PENDING_ID")
# Holds before the integration too: the daemon's own check names the relay as the client.
assert_contains "$FWD (the relay's user) cannot approve under approvers_distinct_from: chain" "$out" \
	"$FWD cannot approve this statement"
chain_check assert_contains "the refusal says it is the chain rule" "$out" \
	"approvers_distinct_from: chain and the statement's connection passed through python"
chain_check assert_contains "and names the relay's process" "$out" "(pid $RELAY, user $FWD) (connection: psql"
chain_refuses "$SW_CLIENT_USER is refused too" "$SW_CLIENT_USER" "owns the client process"
show=$("$SQLWARD" show "$PENDING_ID" --socket "$SW_SOCK")
chain_check assert_contains "show lists who may not approve" "$show" \
	"barred     $FWD, $SW_CLIENT_USER may not approve it (approvers_distinct_from: chain)"
assert_eq "nothing ran yet" "row 1" "$(sql_admin_val "SELECT v FROM app.scratch WHERE id = 1")"
root_approves "root approves it"
assert_eq "the UPDATE ran" "0:chain-rule" "$SQL_RC:$(sql_admin_val "SELECT v FROM app.scratch WHERE id = 1")"

# ---- two clients behind the relay: who sent it is unknown ----------------------------------
runuser -u "$IDLE" -- python3 -c '
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
time.sleep(60)' "$RELAY_PORT" </dev/null >/dev/null 2>&1 9>&- &
IDLE_PID=$!
sw_at_exit "pkill -TERM -P $IDLE_PID 2>/dev/null; kill $IDLE_PID 2>/dev/null"
sleep 0.5
via_relay "$RELAY_PORT" agent_test "UPDATE app.t SET v = 'two-clients' WHERE id = 2"
h=$SQL_BG
wait_pending 15 "'two-clients'"
check "an UPDATE sent while another client uses the relay is held" test -n "$PENDING_ID"
show=$("$SQLWARD" show "$PENDING_ID" --socket "$SW_SOCK")
chain_check assert_contains "show says plainly the requester could not be established" "$show" \
	"by UNKNOWN: who sent it could not be established (2 client processes"
chain_check assert_contains "show lists the other client too" "$show" "user $IDLE), where the connection starts"
out=$(as "$FWD" approve "$PENDING_ID")
assert_contains "$FWD is refused" "$out" "$FWD cannot approve this statement"
chain_check assert_contains "because every user in the chain counts as the requester" "$out" \
	"every OS user whose process its connection passed through counts as the requester"
chain_refuses "$SW_CLIENT_USER is refused" "$SW_CLIENT_USER" "could not be established"
root_approves "root, outside the chain, approves"
assert_eq "the UPDATE ran" "0:two-clients" "$SQL_RC:$(val 2)"
pkill -TERM -P "$IDLE_PID" 2>/dev/null; kill "$IDLE_PID" 2>/dev/null

# ---- a single-shot relay that closes its listener (socat without fork) -----------------------
ONCE_PORT=$(pg_free_port)
start_relay "$ONCE_PORT" --once
ONCE=$RELAY_PID
via_relay "$ONCE_PORT" agent_test "UPDATE app.t SET v = 'once' WHERE id = 3"
h=$SQL_BG
wait_pending 15 "'once'"
check "an UPDATE through a single-shot relay is held" test -n "$PENDING_ID"
check "that relay no longer listens" bash -c "! ss -ltnH 'sport = :$ONCE_PORT' | grep -q ."
show=$("$SQLWARD" show "$PENDING_ID" --socket "$SW_SOCK")
chain_check assert_contains "show still sees the client behind it" "$show" "by OS user $SW_CLIENT_USER"
chain_refuses "and $SW_CLIENT_USER cannot approve" "$SW_CLIENT_USER" "(pid $ONCE, user $FWD)"
as root deny "$PENDING_ID" >/dev/null
sql_wait "$h" 15
assert_contains "root denies it: the client gets an error" "$SQL_ERR" "$SW_CANCEL_MSG"

# ---- reviewers see exactly what they approve -------------------------------------------------
ESC=$'\x1b' BEL=$'\x07'
RLO=$'\xe2\x80\xae' LRI=$'\xe2\x81\xa6' ZWSP=$'\xe2\x80\x8b' BOM=$'\xef\xbb\xbf'
ANSI_SQL="UPDATE app.t SET v='${ESC}[2J${ESC}]0;title${BEL}' WHERE id=5"
ANSI_SHOWN='UPDATE app.t SET v='"'"'\x1B[2J\x1B]0;title\x07'"'"' WHERE id=5'
BIDI_SQL="UPDATE app.t SET v='${RLO}x${LRI}${ZWSP}${BOM}' WHERE id=5"
BIDI_SHOWN='UPDATE app.t SET v='"'"'\u202Ex\u2066\u200B\uFEFF'"'"' WHERE id=5'

# no_raw NAME TEXT: no ESC, BEL, bidi or zero-width character reached the output.
no_raw() {
	local c bad=""
	for c in "$ESC" "$BEL" "$RLO" "$LRI" "$ZWSP" "$BOM"; do [[ $2 == *"$c"* ]] && bad+=" $(printf '%q' "$c")"; done
	if [ -z "$bad" ]; then ok "$1"; else not_ok "$1" "raw characters in the output:$bad"; fi
}

for kind in ANSI BIDI; do
	sqlv=${kind}_SQL shownv=${kind}_SHOWN
	stmt=${!sqlv} shown=${!shownv}
	PGCLIENTENCODING=UTF8 sql_bg agent_test "$stmt"
	h=$SQL_BG
	wait_pending 15 "WHERE id=5"
	check "$kind: the statement is held" test -n "$PENDING_ID"
	out=$("$SQLWARD" pending --socket "$SW_SOCK")
	assert_contains "$kind: pending shows it escaped" "$out" "$shown"
	no_raw "$kind: pending prints no raw control, bidi or zero-width character" "$out"
	out=$("$SQLWARD" show "$PENDING_ID" --socket "$SW_SOCK")
	assert_contains "$kind: show shows it escaped" "$out" "$shown"
	no_raw "$kind: show prints no raw control, bidi or zero-width character" "$out"
	pending_json | python3 -c '
import json, os, sys
want = os.fsencode(sys.argv[1])
got = [p["statement"].encode() for p in json.load(sys.stdin) if str(p["id"]) == sys.argv[2]]
sys.exit(0 if got == [want] else 1)' "$stmt" "$PENDING_ID"
	check "$kind: pending --format json carries the statement byte for byte" test $? -eq 0
	as root deny "$PENDING_ID" >/dev/null
	sql_wait "$h" 15
	out=$(COLUMNS=400 "$SQLWARD" log --ledger "$SW_LEDGER" --role agent_test)
	assert_contains "$kind: log shows it escaped" "$out" "$shown"
	no_raw "$kind: log prints no raw control, bidi or zero-width character" "$out"
done

# ---- show escapes every field of a dossier, not only the statement ---------------------------
# A stand-in control socket answers with a dossier whose names carry escapes
# (an executable, a role, an object, a Bind parameter) as a hostile host could.
python3 - "$SW_TMP/evil.json" <<'PY'
import json, sys
E = "\x1b"
hold = {"id": 7, "time": "2026-12-01T00:00:00Z", "age_s": 1.5, "pid": 99, "role": "agent_" + E + "[31mx",
        "database": "db\u202e", "client": "127.0.0.1:5000", "statement": "EXECUTE p(1)", "rule": "r",
        "reason": "why" + E + "]0;t\x07", "class": "write", "command": "UPDATE", "via": "bind",
        "parameters": [{"index": 1, "type": "text", "value": "a'b" + E + "[2J\u200b"},
                       {"index": 2, "type": "int4", "value": None}],
        "objects": ["app.t" + E + "[2J"], "locks": {"app.t" + E + "[2J": "RowExclusiveLock"},
        "reasons": ["note\u2066"], "statement_sha256": "ab", "approvers": ["root"], "approvals_required": 1,
        "approvals": [], "transaction": [],
        "requester_chain": {"established": False, "why": "2 client processes", "backend_pid": 99,
                            "truncated": False, "approvers_distinct_from": "requester",
                            "may_not_approve": ["fwd", "cli" + E + "[0m"],
                            "nodes": [{"kind": "process", "depth": 0, "via": -1, "origin": False, "pid": 5,
                                       "uid": 2, "user": "fwd", "exe": "py" + E + "[2Jthon"},
                                      {"kind": "process", "depth": 1, "via": 0, "origin": True, "pid": 6,
                                       "uid": 3, "user": "cli" + E + "[0m", "exe": "psql"}]}}
open(sys.argv[1], "w").write(json.dumps({"ok": True, "hold": hold}))
PY
python3 -c '
import os, socket, sys
s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.listen(4)
while True:
    c, _ = s.accept(); c.recv(65536); c.sendall(open(sys.argv[2], "rb").read() + b"\n"); c.close()
' "$SW_TMP/evil.sock" "$SW_TMP/evil.json" 9>&- &
EVIL_PID=$!
sw_at_exit "kill $EVIL_PID 2>/dev/null"
n=0; while [ "$n" -lt 50 ] && ! [ -S "$SW_TMP/evil.sock" ]; do sleep 0.1; n=$((n + 1)); done
out=$("$SQLWARD" show 7 --socket "$SW_TMP/evil.sock" 2>&1)
assert_contains "show escapes the role and the database" "$out" 'role agent_\x1B[31mx, database db\u202E'
assert_contains "show escapes the rule's reason" "$out" 'why\x1B]0;t\x07'
assert_contains "show prints a Bind's parameters escaped, as SQL literals" "$out" "\$1 text = 'a''b\\x1B[2J\\u200B'"
assert_contains "show prints a NULL parameter" "$out" '$2 int4 = NULL'
assert_contains "show escapes object names" "$out" 'objects    app.t\x1B[2J (RowExclusiveLock)'
assert_contains "show escapes executable names in the chain" "$out" 'py\x1B[2Jthon (pid 5, user fwd)'
assert_contains "show escapes user names in the chain" "$out" 'barred     fwd, cli\x1B[0m may not approve it'
no_raw "show prints no raw control, bidi or zero-width character from any field" "$out"
kill "$EVIL_PID" 2>/dev/null

# ---- show lists every statement of a multi-statement string ---------------------------------
sql_bg agent_test "UPDATE app.t SET v = 'multi' WHERE id = 6; DELETE FROM app.scratch WHERE id = 20"
h=$SQL_BG
wait_pending 15 "'multi'"
show=$("$SQLWARD" show "$PENDING_ID" --socket "$SW_SOCK")
assert_contains "show: the string has two statements" "$show" "statements 2 in this string"
assert_contains "show: the first statement's object and lock" "$show" "1. write, command UPDATE: hold (rule hold-writes)"
assert_contains "show: ... app.t with its lock" "$show" "objects    app.t (RowExclusiveLock)"
assert_contains "show: the second statement's object and lock" "$show" "objects    app.scratch (RowExclusiveLock)"
assert_contains "show: ... judged by its own rule" "$show" "2. write, command DELETE: hold (rule hold-scratch-chain)"
as root deny "$PENDING_ID" >/dev/null
sql_wait "$h" 15
assert_eq "denied: neither statement ran" "v6:1" \
	"$(val 6):$(sql_admin_val "SELECT count(*) FROM app.scratch WHERE id = 20")"

"$SQLWARD" verify --ledger "$SW_LEDGER" >/dev/null
assert_rc "the ledger verifies" 0 $?
gate_stop_check
gate_log_on_failure
finish
