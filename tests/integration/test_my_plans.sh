#!/usr/bin/env bash
# Approved plans on MariaDB (issue 13): a plan built with --engine mysql,
# signed offline and submitted, runs its steps as a governed account without
# a hold (an ALTER the policy holds, a DROP COLUMN it denies but marks
# `plan: allow`), each recorded with the plan id and step; a second run of a
# used plan is judged by the policy again (held, and the DROP denied); a step
# sent with different constants is another statement.
set -uo pipefail
SW_TOP=$(cd "$(dirname "$0")/../.." && pwd)
. "$SW_TOP/tests/lib/assert.sh"
. "$SW_TOP/tests/lib/pg.sh"
. "$SW_TOP/tests/lib/mariadb.sh"
. "$SW_TOP/tests/integration/lib_gate.sh"

APPROVER=sw-my-alice
getent passwd $APPROVER >/dev/null || useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin $APPROVER
sw_at_exit "userdel $APPROVER 2>/dev/null"
KEYS=$SW_TMP/keys
mkdir -p "$KEYS"
"$SQLWARD" plan keygen --private "$KEYS/alice.key" --public "$KEYS/alice.pub" >/dev/null 2>&1 || sw_die "plan keygen failed"

POLICY=$SW_TMP/my-plans.yaml
cat >"$POLICY" <<EOF
sqlward_policy: 1
govern: { roles: ["agent_*"] }
default: deny
plans: { approvers: [$APPROVER], keys: { $APPROVER: $KEYS/alice.pub } }
rules:
  - { id: deny-destructive, match: { trait: destructive }, action: deny, plan: allow }
  - { id: allow-reads, match: { class: [read, transaction, session] }, action: allow }
  - { id: hold-changes, match: { class: [write, ddl] }, action: hold, approvers: [$APPROVER], timeout: 2m }
EOF

columns() {
	my_sql_admin "SELECT group_concat(column_name ORDER BY ordinal_position) FROM information_schema.columns WHERE table_schema='gatedb' AND table_name='orders'" >/dev/null 2>&1
	echo "$MY_OUT"
}

pg_start
my_start
my_fixtures
cat >"$SW_TMP/migration.sql" <<'EOF'
-- add a note, backfill nothing, then drop the old column
ALTER TABLE orders ADD COLUMN note TEXT;
ALTER TABLE orders DROP COLUMN note;
EOF
"$SQLWARD" plan build --engine mysql --policy "$POLICY" --role agent_test --database gatedb --author dev \
	--title "orders note" --valid-for 1h -o "$SW_TMP/plan.json" "$SW_TMP/migration.sql" >"$SW_TMP/build.out" 2>&1
assert_rc "plan build --engine mysql" 0 $?
"$SQLWARD" plan sign --key "$KEYS/alice.key" --as $APPROVER "$SW_TMP/plan.json" >/dev/null 2>&1
PLAN_ID=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["id"])' "$SW_TMP/plan.json")

SW_GATE_EXTRA="--mariadb-pid $SW_MY_PID" gate_start "$POLICY"
"$SQLWARD" plan submit --socket "$SW_SOCK" "$SW_TMP/plan.json" >"$SW_TMP/submit.out" 2>&1
assert_rc "submit: the signed plan is accepted" 0 $?

before=$(columns)
myc agent_test "q:ALTER TABLE orders ADD COLUMN note TEXT" "q:ALTER   TABLE orders DROP COLUMN note -- as reviewed"
assert_eq "the plan's steps run as a governed account without a hold" 0 "$MYC_RC"
[ "$MYC_RC" -eq 0 ] || diag "$MYC_OUT"
assert_eq "... and did what was reviewed (the column came and went)" "$before" "$(columns)"
assert_ledger "ledger: the held ALTER ran under the plan, step 1" engine=mysql role=agent_test "statement~ADD COLUMN note" rule=plan outcome=ran
assert_ledger "ledger: the denied DROP COLUMN ran under the plan, step 2" engine=mysql "statement~DROP COLUMN note" rule=plan "plan~\"step\": 2"

# Used (max_runs 1): the same statements are judged by the policy again.
myc_bg_out=$SW_TMP/second.out
( timeout -k 5 60 "${SW_AS_CLIENT[@]}" "$MY_CLIENT" -h 127.0.0.1 -P "$SW_MY_PORT" -u agent_test \
	-p "$SW_MY_PASSWORD" -D gatedb "q:ALTER TABLE orders ADD COLUMN note TEXT" >"$myc_bg_out" 2>&1; echo $? >"$myc_bg_out.rc" ) &
if wait_pending 20 "ADD COLUMN note"; then ok "second run: the first step is held (the plan is used)"; else not_ok "second run: the first step is held"; fi
deny_all_pending >/dev/null
for _ in $(seq 1 100); do [ -f "$myc_bg_out.rc" ] && break; sleep 0.1; done
myc agent_test "q:ALTER TABLE orders DROP COLUMN note"
if [ "$MYC_RC" -ne 0 ] && grep -q "deny-destructive" <<<"$MYC_OUT"; then ok "second run: DROP COLUMN is denied by the policy"; else
	not_ok "second run: DROP COLUMN denied" "$MYC_OUT"; fi
assert_eq "the table is as before" "$before" "$(columns)"

gate_stop_check
gate_log_on_failure
finish
