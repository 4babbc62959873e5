#!/usr/bin/env bash
# The MariaDB observe path (issue 16): an ungoverned connection's commands after
# its first reach the daemon without the account names (SW_MY_EV_NAMELESS: a
# shorter ring event) and are still recorded under the connection's login,
# account and client host; each observed command gets its completion (carried
# by its record when both reach the daemon in one pass); a COM_CHANGE_USER to a
# governed account makes the connection's next command carry the names again
# and be judged as that account.
#
# Observed executions of protocol-prepared statements (COM_STMT_EXECUTE names
# its statement by id): each is recorded with the text the server ran (read at
# the statement's execution, sent once per connection and id), its own
# classification and its prepared_statement_id; closed and reset statements'
# ids are forgotten; a statement prepared before the daemon attached is known
# from its first execution; an execution with no text (the server ran nothing)
# is unknown, saying why.
set -uo pipefail
SW_TOP=$(cd "$(dirname "$0")/../.." && pwd)
. "$SW_TOP/tests/lib/assert.sh"
. "$SW_TOP/tests/lib/pg.sh"
. "$SW_TOP/tests/lib/mariadb.sh"
. "$SW_TOP/tests/integration/lib_gate.sh"

pg_start
my_start
my_fixtures
# Prepared before the daemon attached; executed after.
GO=$SW_TMP/go.prepared
myc_bg analyst "P:SELECT 'ps-pre-attach' AS t FROM accounts LIMIT 1" "I:1" "w:$GO" "E:1" "E:1"
EARLY=$MYC_BG
n=0
until grep -q "^ID " "$EARLY.out" 2>/dev/null || [ "$n" -ge 300 ]; do sleep 0.1; n=$((n + 1)); done
SW_GATE_EXTRA="--mariadb-pid $SW_MY_PID" gate_start "$SW_TOP/policies/default.yaml"
touch "$GO"
myc_wait "$EARLY"
assert_rc "a connection prepared before the daemon attached executes after" 0 "$MYC_RC"

# Three commands on one ungoverned connection: the 2nd and 3rd come without names.
myc analyst "q:SELECT 'observe-path-1' FROM accounts LIMIT 1" "q:SELECT 'observe-path-2' FROM accounts LIMIT 1" \
	"q:SELECT 'observe-path-3' FROM accounts LIMIT 1"
assert_rc "an ungoverned connection runs three reads" 0 "$MYC_RC"
for i in 1 2 3; do
	assert_ledger "command $i is recorded under the login, its account and host" engine=mysql role=analyst \
		"statement~observe-path-$i" governed=false outcome=observed "account='analyst'@'%'" client=127.0.0.1
done
# Each completion is carried by its statement record or (when it came in a later pass of the
# daemon's loop, which depends on its tick) a record of its own: either way, three that ran.
out=$(ledger_json --type all 2>/dev/null | python3 -c "$_ledger_records_py"'
import sys
recs = list(records(sys.stdin))
mine = [r for r in recs if r.get("type") == "statement" and "observe-path-" in r.get("statement", "")]
seqs = {r["seq"] for r in mine}
print(len(mine), len({r.get("connection_id") for r in mine}),
      sum(1 for r in recs if r.get("type") == "completion" and r.get("statement_seq") in seqs and r.get("outcome") == "ran"))')
assert_eq "three records, one connection, a completion that ran for each" "3 1 3" "$out"

# Ungoverned, then re-authenticated as a governed account on the same connection: the names come
# again and the governed policy applies (a DELETE without WHERE is refused).
before=$(MY_CONTINUE=1 my_sql admin_user "SELECT count(*) FROM orders" && echo "$MY_OUT")
myc analyst "q:SELECT 'observe-path-before-change' FROM accounts LIMIT 1" "u:agent_test:$SW_MY_PASSWORD" \
	"q:DELETE FROM orders"
assert_ne "after COM_CHANGE_USER to agent_test the DELETE is refused" 0 "$MYC_RC"
after=$(MY_CONTINUE=1 my_sql admin_user "SELECT count(*) FROM orders" && echo "$MY_OUT")
assert_eq "... orders unchanged" "$before" "$after"
assert_ledger "... recorded as agent_test, governed, refused" engine=mysql role=agent_test \
	"statement~DELETE FROM orders" governed=true verdict=deny

# ---- observed protocol-prepared statements ------------------------------------------------------
# exec_records PREFIX N: the first N COM_STMT_EXECUTE records whose connection ran a statement with
# PREFIX, one line each: statement, class, command, objects, prepared_statement_id, reason (waits for
# N of them).
exec_records() {
	local n=0 out
	while :; do
		out=$(ledger_json 2>/dev/null | python3 -c "$_ledger_records_py"'
import sys
recs = [r for r in records(sys.stdin) if r.get("type") == "statement" and r.get("protocol_command") == "COM_STMT_EXECUTE"]
conns = {r.get("connection_id") for r in recs if sys.argv[1] in r.get("statement", "")}
mine = [r for r in recs if r.get("connection_id") in conns][:int(sys.argv[2])]
for r in mine:
    print("|".join(str(x) for x in (r.get("statement"), r.get("class"), r.get("command"),
        ",".join(r.get("objects") or []), r.get("prepared_statement_id"),
        "; ".join(r.get("reasons") or []) if r.get("class") == "unknown" else "")))
' "$1" "$2")
		[ "$(grep -c . <<<"$out")" -ge "$2" ] || [ "$n" -ge 40 ] && break
		sleep 0.25; n=$((n + 1))
	done
	printf '%s\n' "$out"
}

out=$(exec_records ps-pre-attach 2)
pre_id=$(sed -n 's/^ID //p' "$EARLY.out")
assert_eq "prepared before the daemon attached: both executions carry the text the server ran" \
	"SELECT 'ps-pre-attach' AS t FROM accounts LIMIT 1|read|SELECT|accounts|$pre_id|
SELECT 'ps-pre-attach' AS t FROM accounts LIMIT 1|read|SELECT|accounts|$pre_id|" "$out"

# A read and a write, executed interleaved; the read closed, another prepared; then the connection
# reset (the server forgets its statements: the write's id no longer runs) and one more prepared.
R="SELECT 'ps-read', v FROM scratch WHERE id = 1"
W="UPDATE scratch SET v = 'ps-write' WHERE id = 2"
A="SELECT 'ps-again', v FROM scratch WHERE id = 3"
N="SELECT 'ps-after-reset' FROM scratch WHERE id = 1"
myc admin_user "P:$R" "P:$W" "I:1" "I:2" "E:1" "E:2" "E:1" "E:2" "E:1" "K:1" "P:$A" "I:3" "E:3" "E:2" "E:3" \
	"c:31" "E:2" "P:$N" "I:4" "E:4"
assert_contains "the prepared statements ran until the reset, which forgot them" "$MYC_OUT" "Unknown prepared statement"
ids=($(sed -n 's/^ID //p' <<<"$MYC_OUT"))
assert_eq "four statement ids" 4 "${#ids[@]}"
rd="$R|read|SELECT|scratch|${ids[0]}|"
wr="$W|write|UPDATE|scratch|${ids[1]}|"
ag="$A|read|SELECT|scratch|${ids[2]}|"
nr="$N|read|SELECT|scratch|${ids[3]}|"
gone="(COM_STMT_EXECUTE of prepared statement ${ids[1]})|unknown|EXECUTE||${ids[1]}|the server has no prepared statement ${ids[1]} on this connection (error 1243): nothing ran"
out=$(exec_records ps-read 10)
assert_eq "each execution: the statement's text, class, command, tables and id; the reset id unknown, saying why" \
	"$rd
$wr
$rd
$wr
$rd
$ag
$wr
$ag
$gone
$nr" "$out"
assert_ledger "... the write is recorded as observed with its completion's rows" engine=mysql role=admin_user \
	"statement~ps-write" prepared_statement_id="${ids[1]}" outcome=observed governed=false

# An execution that opens a cursor (its rows fetched by COM_STMT_FETCH) runs its statement too.
myc analyst "C:SELECT 'ps-cursor' FROM accounts LIMIT 1"
assert_eq "a cursor's execution carries its text" "SELECT 'ps-cursor' FROM accounts LIMIT 1|read|SELECT|accounts" \
	"$(exec_records ps-cursor 1 | cut -d"|" -f1-4)"

# Once the daemon has a statement's text, its later executions send only its id: none reports it.
texts() { "$SQLWARD" status --socket "$SW_SOCK" 2>/dev/null | python3 -c '
import json, sys
t = json.load(sys.stdin)["gate"]["mariadb"][0]["prepared_texts"]
print(t["kept"], t["reported"])'; }
GO2=$SW_TMP/go.once
myc_bg analyst "P:SELECT 'ps-once' FROM accounts LIMIT 1" "E:1" "w:$GO2" "E:1" "E:1" "E:1"
ONCE=$MYC_BG
n=0
until [ "$(texts | cut -d" " -f1)" = 1 ] || [ "$n" -ge 80 ]; do sleep 0.25; n=$((n + 1)); done
read -r kept before <<<"$(texts)"
assert_eq "the daemon keeps the text of the statement executed once" 1 "$kept"
touch "$GO2"
myc_wait "$ONCE"
out=$(exec_records ps-once 4)
assert_eq "four executions recorded with the text" 4 "$(grep -c "^SELECT 'ps-once' FROM accounts LIMIT 1|read|" <<<"$out")"
read -r kept after <<<"$(texts)"
assert_eq "... the three after the daemon had it reported no text" "$before" "$after"
# The texts went with their connections (a connection's end forgets its statements).
n=0
until [ "$(texts | cut -d" " -f1)" = 0 ] || [ "$n" -ge 40 ]; do sleep 0.25; n=$((n + 1)); done
assert_eq "no text kept once the connections ended" 0 "$(texts | cut -d" " -f1)"

# A statement id the server does not have: nothing ran, so no text: unknown, and why.
myc analyst "c:23:e70300000001000000"
out=$(exec_records "prepared statement 999" 1)
assert_eq "an id the server does not know: unknown, the server's error given" \
	"(COM_STMT_EXECUTE of prepared statement 999)|unknown|EXECUTE||999|the server has no prepared statement 999 on this connection (error 1243): nothing ran" "$out"

gate_stop_check
finish
