#!/usr/bin/env bash
# Governed MariaDB prepared statements at start-up (bench/mariadb_ab.sh's error 1835).
#
# What the benchmark saw: sysbench's first COM_STMT_EXECUTEs refused by
# deny-unparseable ("no statement this session prepared passed sqlward"). The
# cause was the harness: it waited for "gate ready" in a log the previous
# daemon had already written it to, so sysbench connected and prepared before
# the new daemon attached, and the daemon then saw EXECUTEs of statements it
# never saw prepared. Refusing those is right (fail closed), and is checked
# here; so is that connections which prepare once the gate is ready, many at
# once, are never refused for lack of a record (the race first suspected).
set -uo pipefail
SW_TOP=$(cd "$(dirname "$0")/../.." && pwd)
. "$SW_TOP/tests/lib/assert.sh"
. "$SW_TOP/tests/lib/pg.sh"
. "$SW_TOP/tests/lib/mariadb.sh"
. "$SW_TOP/tests/integration/lib_gate.sh"

POLICY=$SW_TOP/bench/policy-allow.yaml   # the benchmark's: governs agent_*, allows reads and writes
CONNS=${SW_RACE_CONNS:-12}
ROUNDS=${SW_RACE_ROUNDS:-3}

# refused_executes: statement records of protocol EXECUTEs the gate refused.
refused_executes() { ledger_count type=statement via=execute verdict!=allow; }

pg_start
my_start
my_fixtures

# ---- prepared before the gate attached: its EXECUTE is refused (fail closed) -------------------
GO=$SW_TMP/go.before
rm -f "$GO"
myc_bg agent_test "P:SELECT owner FROM accounts WHERE id = 1" "P:SELECT count(*) FROM orders" "w:$GO" "E:1" "E:2"
EARLY=$MYC_BG
n=0
until grep -q "OK prepared 2" "$EARLY.out" 2>/dev/null || [ "$n" -ge 300 ]; do sleep 0.1; n=$((n + 1)); done
assert_contains "a governed connection prepared two statements with no gate running" \
	"$(cat "$EARLY.out" 2>/dev/null)" "OK prepared 2"
SW_GATE_EXTRA="--mariadb-pid $SW_MY_PID" gate_start "$POLICY"
touch "$GO"
myc_wait "$EARLY"
assert_eq "its EXECUTEs after the gate attached fail (the gate never saw them prepared)" 1 "$MYC_RC"
assert_contains "the client is told" "$MYC_OUT" "ERR"
assert_ledger "the refusal is recorded: no prepare on record for the connection" \
	via=execute verdict=deny statement~"COM_STMT_EXECUTE of prepared statement"
assert_contains "the record says why" "$(ledger_json 2>/dev/null)" "prepared before sqlward attached"
BEFORE=$(refused_executes)
assert_eq "one or two EXECUTE records refused (the client stops or goes on after the first)" 1 \
	"$([ "$BEFORE" -ge 1 ] && [ "$BEFORE" -le 2 ] && echo 1 || echo 0)"

# ---- prepared once the gate is ready, many connections at once: none refused --------------------
fails=0
for r in $(seq "$ROUNDS"); do
	handles=()
	for c in $(seq "$CONNS"); do
		myc_bg agent_test "P:SELECT owner FROM accounts WHERE id = $c" "P:SELECT count(*) FROM orders WHERE amount > $r" \
			"P:SELECT v FROM scratch WHERE id = 1" "P:BEGIN" "P:COMMIT" \
			"E:4" "E:1" "E:2" "E:3" "E:5" "E:4" "E:1" "E:3" "E:5" \
			"x:SELECT id FROM accounts WHERE id = 2"
		handles+=("$MYC_BG")
	done
	for h in "${handles[@]}"; do
		myc_wait "$h"
		if [ "$MYC_RC" != 0 ]; then
			fails=$((fails + 1))
			echo "round $r $h: rc $MYC_RC: $(grep ERR <<<"$MYC_OUT" | head -2)" >&2
		fi
	done
done
assert_eq "$((CONNS * ROUNDS)) governed connections preparing then executing at once: none failed" 0 "$fails"
assert_eq "no EXECUTE refused for lack of a prepare on record" "$BEFORE" "$(refused_executes)"
# An execution the kernel's cache allowed is recorded with the text its statement id was prepared with.
assert_ledger "a cached EXECUTE's record holds the text it runs, and its statement id" type=statement \
	via=execute decided_by=cache "statement=SELECT v FROM scratch WHERE id = 1" prepared_statement_id=3

# ---- sysbench, the benchmark's own client (server-side prepared statements) ---------------------
if command -v sysbench >/dev/null 2>&1; then
	my_sql_admin "GRANT SELECT, INSERT, UPDATE, DELETE ON gatedb.* TO 'agent_test'@'%'" >/dev/null 2>&1
	sbr() {  # ACCOUNT ARGS...
		local acct=$1; shift
		timeout -k 5 120 sysbench oltp_read_only --db-driver=mysql --mysql-host=127.0.0.1 --mysql-port="$SW_MY_PORT" \
			--mysql-user="$acct" --mysql-password="$SW_MY_PASSWORD" --mysql-db=gatedb --tables=2 --table-size=1000 \
			--threads=8 "$@"
	}
	my_sql_admin "CREATE USER 'sb_setup'@'%' IDENTIFIED BY '$SW_MY_PASSWORD'" \
		"GRANT ALL PRIVILEGES ON gatedb.* TO 'sb_setup'@'%'" >/dev/null 2>&1
	sbr sb_setup prepare >"$SW_TMP/sb.prepare" 2>&1 || sw_die "sysbench prepare: $(tail -3 "$SW_TMP/sb.prepare")"
	for r in 1 2; do
		out=$(sbr agent_test --time=3 run 2>&1)
		rc=$?
		assert_eq "sysbench run $r (8 threads, prepared statements) as a governed account succeeds" 0 "$rc"
		[ "$rc" = 0 ] || echo "$out" | grep -i -m3 "error" >&2
	done
	assert_eq "no sysbench EXECUTE refused" "$BEFORE" "$(refused_executes)"
else
	echo "SKIP: sysbench is not installed: its part of this test did not run" >&2
fi

gate_stop_check
finish
