#!/usr/bin/env bash
# The mariadbd offsets my_layout.c derives from the binary, read out of a live
# server's memory (tests/tools/my_layout_dump --pid) in both thread modes, equal
# what the server itself reports for the same sessions: CONNECTION_ID(), the
# login and the matched account, @@sql_mode, @@character_set_client; and inside
# an SQL SECURITY DEFINER procedure the effective context is the definer's while
# the login context stays the caller's.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
. tests/lib/assert.sh
. tests/lib/pg.sh
. tests/lib/mariadb.sh

DUMP=${MY_LAYOUT_DUMP:-${SW_TOP:-$PWD}/build/tools/my_layout_dump}
if [ ! -x "${SW_MY_BIN:-/usr/sbin/mariadbd}" ]; then
	skip "mariadbd layout, live" "no mariadbd (scripts/install-deps.sh installs it)"; finish; exit
fi
if [ ! -x "$DUMP" ]; then
	not_ok "my_layout_dump is built" "missing $DUMP (make build/tools/my_layout_dump, or set MY_LAYOUT_DUMP)"
	finish; exit
fi
"$DUMP" >"$SW_TMP/layout.txt" 2>&1
assert_rc "the layout of $SW_MY_BIN is valid" 0 $?
diag "$(cat "$SW_TMP/layout.txt")"

for mode in threads pool; do
	if [ "$mode" = pool ]; then my_start --pool; else my_start; fi
	my_fixtures
	my_sql_admin "CREATE DEFINER='admin_user'@'%' PROCEDURE $SW_MY_DB.slow_definer()
	              SQL SECURITY DEFINER SELECT SLEEP(3)" \
		"GRANT EXECUTE ON PROCEDURE $SW_MY_DB.slow_definer TO 'agent_test'@'%'" ||
		not_ok "$mode: procedure" "$MY_ERR"

	# A plain session: latin1, its own sql_mode, sleeping while we read it.
	my_sql_bg agent_test "SET NAMES latin1" "SET sql_mode = 'ANSI_QUOTES,NO_BACKSLASH_ESCAPES'" \
		"SELECT CONNECTION_ID(), @@sql_mode, @@character_set_client, SLEEP(2)"
	h1=$MY_BG
	# A definer call over the socket (agent_test@localhost).
	SW_MY_VIA=socket my_sql_bg agent_test "SELECT CONNECTION_ID()" "CALL slow_definer()"
	h2=$MY_BG
	sleep 1
	"$DUMP" --pid "$SW_MY_PID" "$SW_MY_BIN" >"$SW_TMP/live.$mode" 2>&1
	my_sql_wait "$h1" 20
	read -r id1 mode1 cs1 _ <<<"$MY_OUT"
	my_sql_wait "$h2" 20
	id2=$(head -n1 <<<"$MY_OUT")
	l1=$(grep "^id=$id1 " "$SW_TMP/live.$mode")
	l2=$(grep "^id=$id2 " "$SW_TMP/live.$mode")
	assert_ne "$mode: connection $id1 found by its thread_id" "" "$l1"
	assert_contains "$mode: login user, address and account" "$l1" \
		"user=agent_test host=(null) ip=127.0.0.1 priv_user=agent_test priv_host=% login_user=agent_test"
	assert_eq "$mode: @@sql_mode as the server reports it" "ANSI_QUOTES,NO_BACKSLASH_ESCAPES" "$mode1"
	assert_contains "$mode: sql_mode bits (ANSI_QUOTES 0x4 | NO_BACKSLASH_ESCAPES 0x100000)" "$l1" "sql_mode=0x100004 "
	assert_eq "$mode: @@character_set_client" latin1 "$cs1"
	assert_contains "$mode: character_set_client is latin1 (8)" "$l1" "charset=8 csname=latin1 "
	assert_contains "$mode: LEX.sql_command is SQLCOM_SELECT (0)" "$l1" "sql_command=0"
	assert_ne "$mode: connection $id2 found" "" "$l2"
	assert_contains "$mode: inside the definer routine the effective account is the definer's" "$l2" \
		"priv_user=admin_user priv_host=%"
	assert_contains "$mode: ... and the login is still the caller's, over the socket" "$l2" \
		"login_user=agent_test login_priv_user=agent_test"
	my_stop
done
finish
