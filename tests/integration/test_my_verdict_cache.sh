#!/usr/bin/env bash
# MariaDB's kernel verdict cache (issue 16): a governed account's command the
# policy allowed runs again without stopping its thread, and every repetition
# is still recorded (decided_by cache). Adversarial: the same text after USE of
# another database, under another sql_mode, from another account, after a
# policy reload or with a freeze on is judged again; a held-then-approved
# statement is held again; a prepared statement's cached id does not cover a
# new PREPARE; a cached SELECT calling a stored function that writes is still
# stopped at the execution checkpoint.
set -uo pipefail
SW_TOP=$(cd "$(dirname "$0")/../.." && pwd)
. "$SW_TOP/tests/lib/assert.sh"
. "$SW_TOP/tests/lib/pg.sh"
. "$SW_TOP/tests/lib/mariadb.sh"
. "$SW_TOP/tests/integration/lib_gate.sh"

POLICY=$SW_TMP/my-cache.yaml
write_policy() {  # EXTRA_RULES (YAML lines, first)
	cat >"$POLICY" <<EOF
sqlward_policy: 1
govern: { roles: ["agent_*"] }
default: deny
freeze: { classes: [read, write, ddl, privilege] }
rules:
  - { id: deny-otherdb, match: { database: otherdb }, action: deny }
$1
  - { id: hold-writes, match: { class: [write] }, action: hold, timeout: 2m }
  - { id: allow-reads, match: { class: [read, transaction, session] }, action: allow }
EOF
}

# count_records TEXT DECIDED_BY: statement records whose statement contains TEXT, decided that way.
count_records() { ledger_count type=statement "statement~$1" "decided_by=$2"; }
# wait_count TEXT DECIDED_BY N: until at least N such records are in the ledger (10 s).
wait_count() {
	local n=0
	while [ "$n" -lt 50 ]; do
		[ "$(count_records "$1" "$2")" -ge "$3" ] && return 0
		sleep 0.2; n=$((n + 1))
	done
	return 1
}
expect_count() {  # NAME TEXT DECIDED_BY N
	wait_count "$2" "$3" "$4"
	assert_eq "$1" "$4" "$(count_records "$2" "$3")"
}
cache_status() {  # the gate's verdict_cache object (status --format json)
	"$SQLWARD" status --socket "$SW_SOCK" 2>/dev/null | python3 -c '
import json, sys
def walk(o):
    if isinstance(o, dict):
        if "verdict_cache" in o and isinstance(o["verdict_cache"], dict) and "hits" in o["verdict_cache"]:
            print(json.dumps(o["verdict_cache"]))
        for v in o.values(): walk(v)
    elif isinstance(o, list):
        for v in o: walk(v)
walk(json.load(sys.stdin))' 2>/dev/null
}
admin_count() {
	my_sql_admin "SELECT count(*) FROM gatedb.$1" >/dev/null 2>&1
	echo "$MY_OUT"
}

pg_start
my_start
my_fixtures
my_sql_admin "CREATE DATABASE otherdb" "CREATE TABLE otherdb.accounts (id int PRIMARY KEY, owner varchar(40))" \
	"INSERT INTO otherdb.accounts VALUES (1,'mallory')" "GRANT ALL PRIVILEGES ON otherdb.* TO 'agent_test'@'%'" \
	"CREATE USER 'agent_other'@'%' IDENTIFIED BY '$SW_MY_PASSWORD'" \
	"GRANT ALL PRIVILEGES ON gatedb.* TO 'agent_other'@'%'" || sw_die "fixtures: $MY_ERR"
# A stored function that writes: a SELECT calling it is a read to the classifier.
_my_argv root ""
timeout -k 5 30 "${SW_MY_ARGV[@]}" >/dev/null 2>"$SW_TMP/fn.err" <<'EOF' || sw_die "CREATE FUNCTION: $(cat "$SW_TMP/fn.err")"
DELIMITER //
CREATE FUNCTION gatedb.f_write() RETURNS INT MODIFIES SQL DATA BEGIN INSERT INTO gatedb.scratch VALUES (100, 'via function'); RETURN 1; END//
DELIMITER ;
GRANT EXECUTE ON FUNCTION gatedb.f_write TO 'agent_test'@'%';
EOF

write_policy ""
METRICS=$SW_TMP/metrics.prom
SW_GATE_EXTRA="--mariadb-pid $SW_MY_PID --metrics-textfile $METRICS" gate_start "$POLICY"

# ---- repeated allowed SELECT: judged once, then allowed in the kernel, every one recorded -----------
Q="SELECT owner FROM accounts WHERE id = 1"
myc agent_test "q:$Q" "q:$Q" "q:$Q"
assert_eq "a governed account's repeated SELECT runs" 0 "$MYC_RC"
expect_count "the first is judged by the policy" "$Q" policy 1
expect_count "... the next two are allowed by the kernel's verdict cache, and recorded" "$Q" cache 2
assert_ledger "... recorded as ran, rule of the policy, database known" engine=mysql role=agent_test "statement=$Q" \
	decided_by=cache outcome=ran rule=allow-reads database=gatedb
# A new connection's first command teaches the daemon who is asking (its context); from then on
# it shares the account's verdicts.
myc agent_test "q:SELECT 1" "q:$Q"
expect_count "another connection of the same account reuses the verdict" "$Q" cache 3
st=$(cache_status)
if grep -q '"on": true' <<<"$st" && ! grep -q '"hits": 0' <<<"$st"; then ok "status shows the cache on, with hits"; else
	not_ok "status shows the cache on, with hits" "$st"; fi
# The same counters for Prometheus (the textfile is rewritten every few seconds).
metric() {  # SERIES MIN: its value in the textfile, once it is >= MIN (15 s)
	local n=0 v
	while [ "$n" -lt 75 ]; do
		v=$(awk -v s="$1" '$1 == s { print $2 }' "$METRICS" 2>/dev/null)
		[ -n "$v" ] && [ "$v" -ge "$2" ] 2>/dev/null && { echo "$v"; return; }
		sleep 0.2; n=$((n + 1))
	done
	echo "${v:-missing}"
}
v=$(metric 'sqlward_kernel_verdict_cache_hits_total{engine="mariadb",cache="exact"}' 3)
check "the cache's hits are in the metrics ($v)" test "$v" -ge 3
v=$(metric 'sqlward_kernel_verdict_cache_misses_total{engine="mariadb"}' 1)
check "... and the commands it stopped for the daemon ($v)" test "$v" -ge 1

# ---- another account does not reuse it ---------------------------------------------------------
myc agent_other "q:$Q"
assert_ledger "another governed account is judged by the policy" role=agent_other "statement=$Q" decided_by=policy

# ---- USE another database: the same text is judged again (and denied there) -------------------
myc agent_test "q:$Q" "q:USE otherdb" "q:$Q"
if [ "$MYC_RC" -ne 0 ] && grep -q "deny-otherdb" <<<"$MYC_OUT" && ! grep -q mallory <<<"$MYC_OUT"; then
	ok "after USE otherdb the cached text is judged again and denied"; else
	not_ok "after USE otherdb the cached text is judged again and denied" "$MYC_OUT"; fi
myc agent_test "d:otherdb" "q:$Q"
if [ "$MYC_RC" -ne 0 ] && ! grep -q mallory <<<"$MYC_OUT"; then ok "... and after COM_INIT_DB"; else
	not_ok "... and after COM_INIT_DB" "$MYC_OUT"; fi

# ---- another sql_mode: the same bytes are judged again -------------------------------------------
QQ='SELECT "owner" FROM accounts WHERE id = 2'
myc agent_test "q:$QQ" "q:$QQ" "q:SET sql_mode = 'ANSI_QUOTES'" "q:$QQ"
expect_count "sql_mode default: judged once, then cached" "$QQ" cache 1
expect_count "... under ANSI_QUOTES the same text is judged again" "$QQ" policy 2

# ---- a cached SELECT calling a function that writes: the write still stops at the checkpoint ----
# One connection: the first SELECT f_write() is judged and cached, its INSERT held and approved
# (one row); the second comes from the cache, and its INSERT is held again (denied: no second row).
before=$(admin_count scratch)
myc_bg agent_test "q:SELECT f_write()" "q:SELECT f_write()"
if wait_pending 20 "INSERT INTO gatedb.scratch"; then
	ok "the function's INSERT is held at the checkpoint"
	"$SQLWARD" approve "$PENDING_ID" --socket "$SW_SOCK" --comment "once" >/dev/null 2>&1
	first=$PENDING_ID
	if wait_pending 20 "INSERT INTO gatedb.scratch" && [ "$PENDING_ID" != "$first" ]; then
		ok "... and held again when the SELECT itself came from the verdict cache"; else
		not_ok "... and held again when the SELECT itself came from the verdict cache" "$(cat "$MYC_BG.out" 2>/dev/null)"; fi
else
	not_ok "the function's INSERT is held at the checkpoint" "$(cat "$MYC_BG.out" 2>/dev/null)"
fi
deny_all_pending >/dev/null
myc_wait "$MYC_BG"
expect_count "... the second SELECT f_write() was allowed by the cache" "SELECT f_write()" cache 1
assert_eq "... only the approved INSERT wrote" "$((before + 1))" "$(admin_count scratch)"

# ---- prepared statements: a cached id covers only itself ----------------------------------------
P="SELECT owner FROM accounts WHERE id = 3"
myc agent_test "x:$P" "x:$P"
assert_eq "a prepared SELECT executed twice, twice" 0 "$MYC_RC"
# Recorded with the text the statement id runs (not the protocol command's bytes).
cached_executes() { ledger_count type=statement via=execute decided_by=cache "statement=$P"; }
n=0; while [ "$(cached_executes)" -lt 2 ] && [ "$n" -lt 50 ]; do sleep 0.2; n=$((n + 1)); done
if [ "$(cached_executes)" -ge 2 ]; then ok "each PREPARE's second execution is allowed by the kernel's cache"; else
	not_ok "each PREPARE's second execution is allowed by the kernel's cache" "$(ledger_show role=agent_test via=execute | tail -n 4)"; fi
before=$(admin_count scratch)
myc_bg agent_test "x:$P" "x:DELETE FROM scratch WHERE id = 3"
if wait_pending 20 "DELETE FROM scratch"; then ok "after COM_STMT_CLOSE, a new PREPARE's execution is judged again (held)"; else
	not_ok "after COM_STMT_CLOSE, a new PREPARE's execution is judged again (held)" "$(cat "$MYC_BG.out" 2>/dev/null)"; fi
deny_all_pending >/dev/null
myc_wait "$MYC_BG"
sleep 0.5
deny_all_pending >/dev/null
myc_wait "$MYC_BG"
assert_eq "... and did not run" "$before" "$(admin_count scratch)"

# ---- held, then approved: not cached -------------------------------------------------------------
U="UPDATE scratch SET v = 'approved' WHERE id = 1"
myc_bg agent_test "q:$U" "q:$U"
if wait_pending 20 "$U"; then
	"$SQLWARD" approve "$PENDING_ID" --socket "$SW_SOCK" --comment "once" >/dev/null 2>&1
	first=$PENDING_ID
	if wait_pending 20 "$U" && [ "$PENDING_ID" != "$first" ]; then ok "an approved statement is held again the next time"; else
		not_ok "an approved statement is held again the next time" "$(pending_json)"; fi
else
	not_ok "the UPDATE is held" "$(cat "$MYC_BG.out" 2>/dev/null)"
fi
deny_all_pending >/dev/null
myc_wait "$MYC_BG"

# ---- freeze: nothing runs from the cache ---------------------------------------------------------
myc agent_test "q:$Q"
"$SQLWARD" freeze on --reason "cache test" --socket "$SW_SOCK" >/dev/null 2>&1 || not_ok "freeze on" "failed"
sleep 0.3
myc agent_test "q:$Q"
if [ "$MYC_RC" -ne 0 ] && grep -q "freeze" <<<"$MYC_OUT"; then ok "freeze on: the cached SELECT is refused (frozen reads)"; else
	not_ok "freeze on: the cached SELECT is refused (frozen reads)" "$MYC_OUT"; fi
st=$(cache_status)
if grep -q '"on": false' <<<"$st"; then ok "... and the cache is off while frozen"; else not_ok "... and the cache is off while frozen" "$st"; fi
"$SQLWARD" freeze off --socket "$SW_SOCK" >/dev/null 2>&1
sleep 0.3
c0=$(count_records "$Q" cache)
myc agent_test "q:$Q" "q:$Q"
expect_count "freeze off: judged once more, then cached again" "$Q" cache $((c0 + 1))

# ---- policy reload: the cached text is judged under the new policy -------------------------------
myc agent_test "q:$Q" "q:$Q"
write_policy "  - { id: deny-accounts, match: { relation: accounts }, action: deny }"
kill -HUP "$SW_GATE_PID"
sleep 1
myc agent_test "q:$Q"
if [ "$MYC_RC" -ne 0 ] && grep -q "deny-accounts" <<<"$MYC_OUT"; then ok "after a reload denying it, the cached SELECT is denied"; else
	not_ok "after a reload denying it, the cached SELECT is denied" "$MYC_OUT"; fi

if grep -q "WARNING: the kernel's verdict cache allowed" "$SW_GATE_LOG"; then
	not_ok "no command was allowed from a stale verdict" "$(grep "verdict cache allowed" "$SW_GATE_LOG" | head -3)"; else
	ok "no command was allowed from a stale verdict"; fi
gate_stop_check
"$SQLWARD" verify --ledger "$SW_LEDGER" >"$SW_TMP/verify.out" 2>&1
assert_rc "sqlward verify passes on the ledger" 0 $?
gate_log_on_failure
finish
