#!/usr/bin/env bash
# The MariaDB observe path (issue 16): an ungoverned connection's commands after
# its first reach the daemon without the account names (SW_MY_EV_NAMELESS: a
# shorter ring event) and are still recorded under the connection's login,
# account and client host; each observed command gets its completion (carried
# by its record when both reach the daemon in one pass); a COM_CHANGE_USER to a
# governed account makes the connection's next command carry the names again
# and be judged as that account.
set -uo pipefail
SW_TOP=$(cd "$(dirname "$0")/../.." && pwd)
. "$SW_TOP/tests/lib/assert.sh"
. "$SW_TOP/tests/lib/pg.sh"
. "$SW_TOP/tests/lib/mariadb.sh"
. "$SW_TOP/tests/integration/lib_gate.sh"

pg_start
my_start
my_fixtures
SW_GATE_EXTRA="--mariadb-pid $SW_MY_PID" gate_start "$SW_TOP/policies/default.yaml"

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

gate_stop_check
finish
