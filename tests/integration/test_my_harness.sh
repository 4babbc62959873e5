#!/usr/bin/env bash
# The MariaDB test harness itself (tests/lib/mariadb.sh): a private server starts in
# both thread modes, the fixtures load, every test account logs in with the rights
# it is meant to have, one my_sql call is one session, and stopping removes it all.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
. tests/lib/assert.sh
. tests/lib/pg.sh
. tests/lib/mariadb.sh

if [ ! -x "${SW_MY_BIN:-/usr/sbin/mariadbd}" ]; then
	skip "MariaDB harness" "no mariadbd at ${SW_MY_BIN:-/usr/sbin/mariadbd} (scripts/install-deps.sh installs it)"
	finish; exit
fi

for mode in threads pool; do
	if [ "$mode" = pool ]; then my_start --pool; want=pool-of-threads; else my_start; want=one-thread-per-connection; fi
	dir=$SW_MY_DIR pid=$SW_MY_PID
	check "$mode: server pid $pid runs $SW_MY_BIN" test "$(readlink "/proc/$pid/exe")" = "$(readlink -f "$SW_MY_BIN")"
	assert_eq "$mode: server runs as sqlward-my" sqlward-my "$(ps -o user= -p "$pid" | tr -d ' ')"
	check "$mode: datadir is private (not /var/lib/mysql)" test -d "$SW_MY_DATA/mysql" -a "${SW_MY_DATA#/var/lib/mysql}" = "$SW_MY_DATA"

	my_sql_admin "SELECT @@thread_handling"
	assert_eq "$mode: @@thread_handling" "$want" "$MY_OUT"

	my_fixtures
	my_sql analyst "SELECT count(*) FROM accounts" "SELECT count(*) FROM orders"
	assert_eq "$mode: analyst reads the fixtures" $'5\n6' "$MY_OUT"

	my_sql agent_test "SELECT CURRENT_USER()"
	assert_eq "$mode: agent_test over TCP is agent_test@%" "agent_test@%" "$MY_OUT"
	SW_MY_VIA=socket my_sql agent_test "SELECT CURRENT_USER()"
	assert_eq "$mode: agent_test over the socket is agent_test@localhost" "agent_test@localhost" "$MY_OUT"

	# One client run is one session: a user variable and a transaction carry over.
	my_sql agent_test "SET @x = 41" "START TRANSACTION" "UPDATE accounts SET balance = balance + 1 WHERE id = 4" \
		"SELECT @x + 1, CONNECTION_ID() = CONNECTION_ID()" "ROLLBACK" "SELECT balance FROM accounts WHERE id = 4"
	assert_eq "$mode: my_sql keeps one session" $'42\t1\n0' "$MY_OUT"

	my_sql agent_test "DELETE FROM scratch WHERE id = 3"
	assert_rc "$mode: agent_test may write gatedb" 0 "$MY_RC"
	my_sql analyst "DELETE FROM scratch WHERE id = 2"
	assert_contains "$mode: analyst may not write" "$MY_ERR" "DELETE command denied"
	my_sql admin_user "SELECT COUNT(*) FROM mysql.global_priv WHERE user IN ('agent_test','analyst','admin_user')"
	assert_eq "$mode: admin_user reads the grant tables" 4 "$MY_OUT"

	MY_CONTINUE=1 my_sql agent_test "SELECT nosuchcol FROM accounts" "SELECT 7"
	assert_contains "$mode: MY_CONTINUE runs past an error" "$MY_OUT" 7

	my_sql_bg agent_test "SELECT SLEEP(0.5), CONNECTION_ID() > 0"
	my_sql_wait "$MY_BG" 20
	assert_eq "$mode: my_sql_bg/my_sql_wait" $'0\t1' "$MY_OUT"

	my_stop
	check "$mode: my_stop ended the server" bash -c "! kill -0 $pid 2>/dev/null"
	check "$mode: my_stop removed its directory" test ! -e "$dir"
done
finish
