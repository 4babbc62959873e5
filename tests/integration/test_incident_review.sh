#!/usr/bin/env bash
# Incident review from the ledger: one scripted client session on a real PostgreSQL (connect,
# reads allowed, a write held and approved, a DROP denied, a read cancelled at its budget,
# disconnect) read back as its timeline with `sqlward log --session`, found with `--sessions`,
# the filters (client, application, request, engine, plan) combined, `--follow` seeing records
# written after it started and surviving rotation and copytruncate, and `--format ocsf` events
# validated against the OCSF field list (tests/ocsf_validate.py).
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
. tests/lib/assert.sh
. tests/lib/pg.sh
. tests/integration/lib_gate.sh

pg_start
pg_fixtures
POLICY=$SW_TMP/incident.yaml
cat >"$POLICY" <<'EOF2'
sqlward_policy: 1
govern: { roles: ["agent_*"] }
default: deny
rules:
  - id: hold-writes
    match: { class: write }
    action: hold
    approvers: [root]
  - id: bounded-reads
    match: { class: read }
    action: allow
    budget: 1s
  - id: allow-session
    match: { class: [transaction, session] }
    action: allow
EOF2
gate_start "$POLICY"
log() { "$SQLWARD" log --ledger "$SW_LEDGER" "$@"; }

# ---- the scripted session: one psql connection, going on after errors -------------------------
SQL_CONTINUE=1 sql_bg agent_test \
	"/* sqlward: request=inc-42 */ SELECT v FROM app.t WHERE id = 1" \
	"SELECT count(*) FROM app.t" \
	"UPDATE app.t SET v = 'reviewed' WHERE id = 2" \
	"DROP TABLE app.t" \
	"SELECT pg_sleep(3)"
h=$SQL_BG
check "the session's write is held" wait_pending 20 "'reviewed'"
id=$PENDING_ID
"$SQLWARD" approve "$id" --socket "$SW_SOCK" --comment "INC-42 fix" >/dev/null 2>&1
check "approved, it runs" test $? -eq 0
sql_wait "$h" 30
assert_eq "the write ran" reviewed "$(sql_admin_val "SELECT v FROM app.t WHERE id = 2")"
assert_eq "the DROP was refused (the table is there)" 1 "$(sql_admin_val "SELECT count(*) FROM pg_tables WHERE schemaname = 'app' AND tablename = 't'")"
assert_contains "the long read was cancelled" "$SQL_ERR" "canceling statement"

pid=$(ledger_show type=statement request_id=inc-42 | head -n1 | python3 -c 'import json, sys; print(json.loads(sys.stdin.readline())["pid"])')
check "the session's backend pid is in its first statement's record" test -n "$pid"
assert_ledger "ledger: session_start names the session as PID@START" type=session_start pid="$pid" \
	session~"$pid@" learned=connect role=agent_test client~127.0.0.1:
assert_ledger "ledger: a budget kill is a completion over_budget" type=completion pid="$pid" outcome=over_budget \
	budget_ms=1000
assert_ledger "ledger: session_end when the backend exits" type=session_end pid="$pid" session~"$pid@"
sid=$(log --type session --format json 2>/dev/null |
	python3 -c 'import json, sys
for l in sys.stdin:
    r = json.loads(l)
    if r["type"] == "session_start" and r["pid"] == int(sys.argv[1]): print(r["session"]); break' "$pid")
check "the session has an id ($sid)" test -n "$sid"

# ---- --sessions: where a reviewer starts ------------------------------------------------------
log --sessions >"$SW_TMP/sessions.txt" 2>&1
assert_contains "--sessions lists the session" "$(cat "$SW_TMP/sessions.txt")" "$sid"
row=$(log --sessions --format json | python3 -c 'import json, sys
for l in sys.stdin:
    r = json.loads(l)
    if r["session"] == sys.argv[1]:
        print(r["role"], r["client"].split(":")[0], r.get("application_name"), r["statements"], r["allowed"],
              r["held"], r["denied"], r["connect_recorded"], r["ended"])' "$sid")
# statements: SET application_name, 2 reads, UPDATE, DROP, pg_sleep and the SELECT pg_sleep() it runs
# inside (judged too); allowed: all but the DROP (the UPDATE after its approval); held: the UPDATE
assert_eq "--sessions: role, client, application, counts by verdict" \
	"agent_test 127.0.0.1 psql 7 6 1 1 True True" "$row"

# ---- the timeline ------------------------------------------------------------------------------
order=$(log --session "$sid" --format json | python3 -c "$_ledger_records_py"'
import json, sys
out = []
for r in records(sys.stdin):
    t = r["type"]
    if t == "statement":
        t += ":" + r["verdict"] + (":decided" if "hold_seq" in r else "")
    elif t == "completion":
        t += ":" + r["outcome"]
    if r.get("statement", "").startswith("SET application_name"):
        continue   # psql sends it first; its completion may come before or after
    out.append(t)
print(" ".join(out))')
want="session_start statement:allow completion:ran statement:allow completion:ran statement:hold statement:allow:decided"
assert_contains "timeline: connect, two reads, a hold then its approval (in order)" "$order" "$want"
assert_contains "timeline: the denied DROP" "$order" "statement:deny"
assert_contains "timeline: the read killed at its budget" "$order" "completion:over_budget"
assert_eq "timeline: ends with the disconnect" session_end "${order##* }"
log --session "$sid" >"$SW_TMP/timeline.txt" 2>&1
tl=$(cat "$SW_TMP/timeline.txt")
assert_contains "timeline text: heading names the session" "$tl" "session $sid"
assert_contains "timeline text: connect" "$tl" "connect"
assert_contains "timeline text: who approved and their comment" "$tl" "approved by root \"INC-42 fix\""
assert_contains "timeline text: the held write's outcome" "$tl" "completed, 1 row"
assert_contains "timeline text: denied" "$tl" "DROP TABLE app.t"
assert_contains "timeline text: the budget kill" "$tl" "stopped at its budget of 1000 ms"
assert_contains "timeline text: disconnect" "$tl" "disconnect"
assert_eq "--session PID (bare) shows the same records" "$(log --session "$sid" --format json | wc -l)" \
	"$(log --session "$pid" --format json | wc -l)"

# ---- filters, combined -------------------------------------------------------------------------
n() { log "$@" --format json 2>/dev/null | wc -l; }
assert_eq "--request: the one statement" 1 "$(n --request inc-42)"
assert_eq "--client address glob + --session + --verdict: the session's allowed statements" 6 \
	"$(n --client '127.0.0.*' --session "$sid" --type statement --verdict allow)"
check "--client program glob matches" test "$(n --client '*/psql' --session "$sid")" -gt 0
assert_eq "--client that is not it: nothing" 0 "$(n --client '10.9.*' --session "$sid")"
assert_eq "--application psql + --role + --verdict deny: the DROP" 1 \
	"$(n --application psql --role agent_test --verdict deny --session "$sid")"
check "--engine postgresql shows the session" test "$(n --engine postgresql --session "$sid")" -gt 0
assert_eq "--engine mariadb: none of it" 0 "$(n --engine mariadb --session "$sid")"
assert_eq "--plan: no plan ran" 0 "$(n --plan plan-0000)"
log --engine oracle >/dev/null 2>"$SW_TMP/err"
assert_eq "--engine oracle is a usage error" 2 $?
assert_contains "... that says what to use" "$(cat "$SW_TMP/err")" "postgresql or mariadb"

# ---- --follow: a record written after it started ----------------------------------------------
"$SQLWARD" log --ledger "$SW_LEDGER" --follow --format json --role agent_test >"$SW_TMP/follow.out" 2>"$SW_TMP/follow.err" &
fpid=$!
sleep 1
sql agent_test "SELECT 'followed' AS x FROM app.t LIMIT 1" >/dev/null
n=0; until grep -q "'followed'" "$SW_TMP/follow.out" || [ $n -ge 50 ]; do sleep 0.2; n=$((n + 1)); done
check "--follow prints a statement recorded after it started" grep -q "'followed'" "$SW_TMP/follow.out"
kill -INT $fpid; wait $fpid
assert_eq "--follow stops cleanly on SIGINT (exit 0)" 0 $?
assert_eq "--follow: no record twice" "$(sort "$SW_TMP/follow.out" | uniq -d | wc -l)" 0

# rotation (renamed and created again) and copytruncate, on a copy (the daemon keeps its file)
F=$SW_TMP/follow-ledger.jsonl
log --type all --format json | head -n 5 >"$F"
log --type all --format json | sed -n 6,9p >"$SW_TMP/later.jsonl"
"$SQLWARD" log --ledger "$F" --follow --type all --format json >"$SW_TMP/rot.out" 2>"$SW_TMP/rot.err" &
fpid=$!
sleep 0.5
sed -n 1p "$SW_TMP/later.jsonl" >>"$F"
sleep 0.5
mv "$F" "$F.1"
sed -n 2p "$SW_TMP/later.jsonl" >>"$F.1"          # written to the old file just before it was noticed
sed -n 3p "$SW_TMP/later.jsonl" >"$F"             # the new live file
sleep 0.8
: >"$F"                                            # copytruncate
sed -n 4p "$SW_TMP/later.jsonl" >>"$F"
sleep 0.8
kill -TERM $fpid; wait $fpid
assert_eq "--follow stops cleanly on SIGTERM (exit 0)" 0 $?
want_seqs=$(log --type all --format json | head -n 9 | python3 -c 'import json, sys; print(" ".join(str(json.loads(l)["seq"]) for l in sys.stdin))')
got_seqs=$(python3 -c 'import json, sys; print(" ".join(str(json.loads(l)["seq"]) for l in open(sys.argv[1])))' "$SW_TMP/rot.out")
assert_eq "--follow across rotation and copytruncate: every record once, in order" "$want_seqs" "$got_seqs"

# ---- OCSF ---------------------------------------------------------------------------------------
log --format ocsf --session "$sid" >"$SW_TMP/ocsf-session.jsonl"
python3 tests/ocsf_validate.py "$SW_TMP/ocsf-session.jsonl" >"$SW_TMP/ocsf.check" 2>&1
check "OCSF: every event of the session is valid ($(tail -n1 "$SW_TMP/ocsf.check"))" test $? -eq 0
log --format ocsf >"$SW_TMP/ocsf-all.jsonl"
python3 tests/ocsf_validate.py "$SW_TMP/ocsf-all.jsonl" >"$SW_TMP/ocsf-all.check" 2>&1
check "OCSF: every event of the whole ledger is valid ($(tail -n1 "$SW_TMP/ocsf-all.check"))" test $? -eq 0
[ $? -eq 0 ] || diag "$(head -n 5 "$SW_TMP/ocsf-all.check")"
acts=$(python3 -c 'import json, sys
evs = [json.loads(l) for l in open(sys.argv[1])]
print(" ".join(sorted({"%s/%s/%s" % (e["activity_name"], e["action_id"], e.get("disposition_id")) for e in evs})))' "$SW_TMP/ocsf-session.jsonl")
assert_contains "OCSF: the connect" "$acts" "Connect/1/"
assert_contains "OCSF: the held write (Update, Allowed, Delayed)" "$acts" "Update/1/14"
assert_contains "OCSF: the approved write (Approved)" "$acts" "Update/1/8"
assert_contains "OCSF: the denied DROP (Delete, Denied, Blocked)" "$acts" "Delete/2/2"
chain=$(python3 -c 'import json, sys
ev = json.loads(open(sys.argv[1]).readline())
seq, h = ev["metadata"]["uid"].split(":")
print(seq == str(ev["metadata"]["sequence"]) and len(h) == 64)' "$SW_TMP/ocsf-session.jsonl")
assert_eq "OCSF: metadata.uid is the record's seq and chain hash" True "$chain"

check "the ledger verifies" "$SQLWARD" verify --ledger "$SW_LEDGER"
gate_stop_check
gate_log_on_failure
finish
