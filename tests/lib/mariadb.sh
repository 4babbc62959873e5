# shellcheck shell=bash
# Throwaway MariaDB servers for sqlward's integration tests.
#
# Source this file (needs root) after tests/lib/pg.sh (it is sourced here if it
# was not: its cleanup stack sw_at_exit, SW_TMP, SW_KEEP and the client OS user
# SW_CLIENT_USER are shared), then:
#   my_start [--pool]   mariadb-install-db + start a private mariadbd as the system
#                       user sqlward-my, on 127.0.0.1:<free port> and a unix socket
#                       in its own temp dir; --pool: thread_handling=pool-of-threads
#                       (else one-thread-per-connection). Exports SW_MY_PORT
#                       SW_MY_SOCK SW_MY_DATA SW_MY_DIR SW_MY_PID SW_MY_LOG SW_MY_BIN
#                       SW_MY_MODE. SW_MY_EXTRA_ARGS: more mariadbd options (one
#                       string, split on blanks).
#   my_fixtures         database gatedb, its tables and the test accounts (below)
#   myc USER CMD...     tests/tools/my_client as USER (q:SQL, p:SQL, ...): MYC_OUT MYC_RC
#   my_sql USER SQL...  run the SQL statements as USER on gatedb in ONE connection
#                       (one mariadb client run, statements joined), as the OS user
#                       $SW_CLIENT_USER; sets MY_OUT MY_ERR MY_RC. Output is batch
#                       mode without column names (tab separated). Stops at the
#                       first error unless MY_CONTINUE=1. SW_MY_VIA=socket connects
#                       over the unix socket (host 'localhost') instead of TCP
#                       127.0.0.1 (the default).
#   my_sql_admin SQL... the same as the bootstrap superuser root (over the socket)
#   my_sql_bg USER SQL...  the same in the background; sets MY_BG (a handle)
#   my_sql_wait HANDLE [SECS]  wait for it (default 60 s, then it is killed) and
#                       set MY_OUT MY_ERR MY_RC (124 on timeout)
#   my_stop             stop the server and remove its directory (SW_KEEP=1 keeps it)
#
# Accounts made by my_fixtures (password $SW_MY_PASSWORD for all of them):
#   agent_test@'%', agent_test@'localhost'  governed in tests: ALL on gatedb.*, so
#                       whatever stops their statements is the gate, not a grant
#   analyst@'%'         ungoverned, SELECT on gatedb.*
#   admin_user@'%'      ungoverned, ALL PRIVILEGES on *.* WITH GRANT OPTION
#   root@localhost      (from mariadb-install-db, no password) the setup superuser
#
# Only the server started here is touched: Debian's own instance (/var/lib/mysql,
# its service, its configuration files) is never used; mariadbd and the client
# both run with --no-defaults. Everything is removed on exit, also on failure.

if ! declare -F sw_at_exit >/dev/null; then
	# shellcheck source=tests/lib/pg.sh
	. "$(dirname "${BASH_SOURCE[0]}")/pg.sh"
fi

SW_MY_BIN=${SW_MY_BIN:-/usr/sbin/mariadbd}
SW_MY_USER=${SW_MY_USER:-sqlward-my}
SW_MY_DB=${SW_MY_DB:-gatedb}
SW_MY_PASSWORD=${SW_MY_PASSWORD:-sqlward-test-pw}
export SW_MY_BIN

# ---- server -------------------------------------------------------------------------
# Stop one instance: shutdown through the socket, then SIGTERM, then SIGKILL.
# Threads a gate left stopped are woken first (SIGCONT to this server only).
_my_stop_instance() {
	local dir=$1 pid=$2 sock=$1/mysqld.sock i
	[ -n "$dir" ] && [ -d "$dir" ] || return 0
	if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
		kill -CONT "$pid" 2>/dev/null
		timeout -k 2 15 mariadb-admin --no-defaults -uroot --socket="$sock" \
			--connect-timeout=5 shutdown >/dev/null 2>&1 || kill -TERM "$pid" 2>/dev/null
		for i in $(seq 1 200); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
		if kill -0 "$pid" 2>/dev/null; then
			kill -TERM "$pid" 2>/dev/null
			for i in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
		fi
		if kill -0 "$pid" 2>/dev/null; then
			kill -KILL "$pid" 2>/dev/null
			sleep 0.3
		fi
	fi
	if [ "${SW_KEEP:-0}" = 1 ]; then
		echo "# kept MariaDB dir $dir" >&2
	else
		rm -rf "$dir"
	fi
}

my_stop() {
	[ -n "${SW_MY_DIR:-}" ] || return 0
	_my_stop_instance "$SW_MY_DIR" "${SW_MY_PID:-}"
	SW_MY_DIR= SW_MY_PID=
}

# my_start [--pool]
# mariadb-install-db into SW_MY_DATA; under run.sh, a copy of the first data directory this run
# made with the same server binary (SW_TEMPLATE_DIR) instead.
_my_install_db() {
	local tpl=
	if [ -n "${SW_TEMPLATE_DIR:-}" ] && [ -d "$SW_TEMPLATE_DIR" ]; then
		tpl=$SW_TEMPLATE_DIR/my${SW_MY_BIN//\//_}-$SW_MY_USER
		if [ -d "$tpl" ]; then cp -a "$tpl" "$SW_MY_DATA" && return 0; rm -rf "$SW_MY_DATA"; fi
	fi
	(cd / && runuser -u "$SW_MY_USER" -- mariadb-install-db --no-defaults --datadir="$SW_MY_DATA" \
		--auth-root-authentication-method=normal --skip-test-db --skip-name-resolve \
		--innodb-buffer-pool-size=32M 9>&-) >"$SW_MY_DIR/install-db.log" 2>&1 ||
		{ cat "$SW_MY_DIR/install-db.log" >&2; rm -rf "$SW_MY_DIR"; sw_die "mariadb-install-db failed (log above)"; }
	if [ -n "$tpl" ]; then
		cp -a "$SW_MY_DATA" "$tpl.$$" && mv -T "$tpl.$$" "$tpl" 2>/dev/null || rm -rf "$tpl.$$"
	fi
	return 0
}

# Start mariadbd on SW_MY_DIR's data directory and port (SW_MY_PID: its pid). Started as root
# with --user: mariadbd switches to sqlward-my itself, so $! is the server's own pid.
_my_launch() {
	(cd / && exec "$SW_MY_BIN" --no-defaults --user="$SW_MY_USER" --datadir="$SW_MY_DATA" \
		--bind-address=127.0.0.1 --port="$SW_MY_PORT" --socket="$SW_MY_SOCK" \
		--pid-file="$SW_MY_DIR/mariadbd.pid" --log-error="$SW_MY_LOG" --tmpdir="$SW_MY_DIR" \
		--skip-name-resolve --thread-handling="$SW_MY_MODE" --max-connections=200 \
		--innodb-buffer-pool-size=32M --innodb-flush-log-at-trx-commit=0 --innodb-doublewrite=0 \
		--skip-log-bin "$@" </dev/null >>"$SW_MY_DIR/stdout.log" 2>&1 9>&-) &
	SW_MY_PID=$!
}

# my_wait_ready: until the server answers on its socket (30 s); false if it died or did not.
my_wait_ready() {
	local i
	for i in $(seq 1 300); do
		kill -0 "$SW_MY_PID" 2>/dev/null || return 1
		mariadb-admin --no-defaults -uroot --socket="$SW_MY_SOCK" --connect-timeout=2 ping >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	return 1
}

# my_restart [--kill]: the same server (data directory, port, mode) stopped (shutdown, or SIGKILL
# with --kill: a crash) and started again: a new pid, as systemd's restart gives. Sets SW_MY_PID.
my_restart() {
	local old=$SW_MY_PID i extra=()
	# shellcheck disable=SC2206
	[ -n "${SW_MY_EXTRA_ARGS:-}" ] && extra=($SW_MY_EXTRA_ARGS)
	kill -CONT "$old" 2>/dev/null
	if [ "${1:-}" = --kill ]; then
		kill -KILL "$old" 2>/dev/null
	else
		timeout -k 2 15 mariadb-admin --no-defaults -uroot --socket="$SW_MY_SOCK" --connect-timeout=5 \
			shutdown >/dev/null 2>&1 || kill -TERM "$old" 2>/dev/null
	fi
	for i in $(seq 1 200); do kill -0 "$old" 2>/dev/null || break; sleep 0.1; done
	wait "$old" 2>/dev/null
	_my_launch "${extra[@]}"
	export SW_MY_PID
	# The first instance's cleanup has its pid: this one is stopped by its own.
	sw_at_exit "_my_stop_pid '$SW_MY_SOCK' '$SW_MY_PID'"
	my_wait_ready || { cat "$SW_MY_LOG" >&2; return 1; }
}

# Stop a restarted instance (its directory goes with the first instance's cleanup).
_my_stop_pid() {
	local sock=$1 pid=$2 i
	kill -0 "$pid" 2>/dev/null || return 0
	kill -CONT "$pid" 2>/dev/null
	timeout -k 2 15 mariadb-admin --no-defaults -uroot --socket="$sock" --connect-timeout=5 shutdown \
		>/dev/null 2>&1 || kill -TERM "$pid" 2>/dev/null
	for i in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
	kill -KILL "$pid" 2>/dev/null
}

my_start() {
	local mode=one-thread-per-connection
	case "${1:-}" in
	--pool) mode=pool-of-threads ;;
	"") ;;
	*) sw_die "my_start: unknown option '$1' (use --pool or nothing)" ;;
	esac
	[ "$(id -u)" -eq 0 ] || sw_die "my_start needs root (it runs mariadbd as $SW_MY_USER)"
	[ -x "$SW_MY_BIN" ] || sw_die "$SW_MY_BIN not found (run scripts/install-deps.sh, or set SW_MY_BIN)"
	command -v mariadb-install-db >/dev/null && command -v mariadb >/dev/null ||
		sw_die "mariadb-install-db or the mariadb client is missing (run scripts/install-deps.sh)"
	sw_ensure_system_user "$SW_MY_USER"
	sw_ensure_system_user "$SW_CLIENT_USER"

	SW_MY_DIR=$(mktemp -d /tmp/sqlward-my.XXXXXX) || sw_die "my_start: mktemp failed"
	chmod 755 "$SW_MY_DIR"
	chown "$SW_MY_USER:" "$SW_MY_DIR"
	SW_MY_DATA=$SW_MY_DIR/data
	SW_MY_SOCK=$SW_MY_DIR/mysqld.sock
	SW_MY_LOG=$SW_MY_DIR/mariadbd.log
	SW_MY_MODE=$mode
	SW_MY_PID=
	export SW_MY_DIR SW_MY_DATA SW_MY_SOCK SW_MY_LOG SW_MY_MODE

	_my_install_db

	local try i extra=()
	# shellcheck disable=SC2206  # SW_MY_EXTRA_ARGS is a blank-separated option list
	[ -n "${SW_MY_EXTRA_ARGS:-}" ] && extra=($SW_MY_EXTRA_ARGS)
	for try in 1 2 3 4 5; do
		SW_MY_PORT=$(pg_free_port)
		export SW_MY_PORT
		: >"$SW_MY_LOG"; chown "$SW_MY_USER:" "$SW_MY_LOG"
		# Started as root with --user: mariadbd switches to sqlward-my itself, so $! is
		# the server's own pid (no runuser in between).
		_my_launch "${extra[@]}"
		export SW_MY_PID
		if [ "$try" -eq 1 ]; then
			# One cleanup per instance, with its own dir and pid (a test may start several).
			sw_at_exit "_my_stop_instance '$SW_MY_DIR' '$SW_MY_PID'"
		fi
		for i in $(seq 1 300); do
			kill -0 "$SW_MY_PID" 2>/dev/null || break
			if mariadb-admin --no-defaults -uroot --socket="$SW_MY_SOCK" --connect-timeout=2 ping \
				>/dev/null 2>&1; then
				return 0
			fi
			sleep 0.1
		done
		if kill -0 "$SW_MY_PID" 2>/dev/null; then
			cat "$SW_MY_LOG" >&2
			sw_die "mariadbd (pid $SW_MY_PID) not answering on $SW_MY_SOCK after 30 s (log above)"
		fi
		wait "$SW_MY_PID" 2>/dev/null
		if [ "$try" -eq 5 ] || ! grep -q "Address already in use\|Can't start server: Bind" "$SW_MY_LOG"; then
			cat "$SW_MY_LOG" >&2
			sw_die "mariadbd did not start (log above)"
		fi
		# The port was taken meanwhile: the cleanup registered above still covers
		# this directory; only the pid changes (a dead pid is harmless there).
	done
}

# ---- fixtures -----------------------------------------------------------------------
my_fixtures() {
	local pw=$SW_MY_PASSWORD
	my_sql_admin \
		"CREATE DATABASE $SW_MY_DB" \
		"CREATE TABLE $SW_MY_DB.accounts (id int PRIMARY KEY, owner varchar(40) NOT NULL,
		   balance int NOT NULL, ssn varchar(11))" \
		"INSERT INTO $SW_MY_DB.accounts VALUES (1,'alice',1200,'123-45-6789'), (2,'bob',80,'987-65-4321'),
		   (3,'carol',560,'555-12-3456'), (4,'dave',0,NULL), (5,'erin',9900,'111-22-3333')" \
		"CREATE TABLE $SW_MY_DB.orders (id int PRIMARY KEY AUTO_INCREMENT, account_id int NOT NULL,
		   item varchar(40) NOT NULL, amount int NOT NULL, created_at datetime NOT NULL DEFAULT '2025-04-01 10:00:00',
		   FOREIGN KEY (account_id) REFERENCES $SW_MY_DB.accounts(id))" \
		"INSERT INTO $SW_MY_DB.orders (account_id, item, amount) VALUES (1,'book',20), (1,'lamp',45),
		   (2,'pen',3), (3,'chair',120), (5,'desk',400), (5,'monitor',250)" \
		"CREATE TABLE $SW_MY_DB.scratch (id int PRIMARY KEY, v varchar(40))" \
		"INSERT INTO $SW_MY_DB.scratch VALUES (1,'row 1'), (2,'row 2'), (3,'row 3')" \
		"CREATE USER 'agent_test'@'%' IDENTIFIED BY '$pw'" \
		"CREATE USER 'agent_test'@'localhost' IDENTIFIED BY '$pw'" \
		"GRANT ALL PRIVILEGES ON $SW_MY_DB.* TO 'agent_test'@'%', 'agent_test'@'localhost'" \
		"CREATE USER 'analyst'@'%' IDENTIFIED BY '$pw'" \
		"GRANT SELECT ON $SW_MY_DB.* TO 'analyst'@'%'" \
		"CREATE USER 'admin_user'@'%' IDENTIFIED BY '$pw'" \
		"GRANT ALL PRIVILEGES ON *.* TO 'admin_user'@'%' WITH GRANT OPTION" ||
		sw_die "my_fixtures failed: $MY_ERR"
}

# ---- running SQL ----------------------------------------------------------------------
# USER DB SQL... -> client argv in SW_MY_ARGV and the statements (its stdin) in
# SW_MY_INPUT: read from stdin, not -e, so that --force can go on past an error.
_my_argv() {
	local user=$1 db=$2 s joined=""; shift 2
	SW_MY_ARGV=("${SW_AS_CLIENT[@]}" mariadb --no-defaults --batch --skip-column-names --connect-timeout=10
		-u "$user")
	if [ "$user" = root ] || [ "${SW_MY_VIA:-tcp}" = socket ]; then
		SW_MY_ARGV+=(--socket="$SW_MY_SOCK")
	else
		SW_MY_ARGV+=(--protocol=tcp -h 127.0.0.1 -P "$SW_MY_PORT")
	fi
	[ "$user" = root ] || SW_MY_ARGV+=(--password="$SW_MY_PASSWORD")
	[ "${MY_CONTINUE:-0}" = 1 ] && SW_MY_ARGV+=(--force)
	[ -n "$db" ] && SW_MY_ARGV+=(-D "$db")
	for s in "$@"; do joined+="$s;"$'\n'; done
	SW_MY_INPUT=$joined
}

# my_sql_db DB USER SQL... : like my_sql, against another database ("" for none).
my_sql_db() {
	local db=$1 user=$2; shift 2
	_my_argv "$user" "$db" "$@"
	local o="$SW_TMP/mysql.$$.out" e="$SW_TMP/mysql.$$.err"
	timeout -k 5 "$SW_SQL_TIMEOUT" "${SW_MY_ARGV[@]}" >"$o" 2>"$e" <<<"$SW_MY_INPUT"
	MY_RC=$?
	MY_OUT=$(cat "$o"); MY_ERR=$(cat "$e")
	rm -f "$o" "$e"
	return $MY_RC
}

my_sql() { local user=$1; shift; my_sql_db "$SW_MY_DB" "$user" "$@"; }
# As root, on no particular database (gatedb may not exist yet).
my_sql_admin() { my_sql_db "" root "$@"; }

# myc USER CMD...: tests/tools/my_client ($MY_CLIENT) as USER on gatedb, as the client OS user
# (q:SQL, p:SQL, x:SQL, u:USER:PASS, d:DB); sets MYC_OUT (stdout+stderr) and MYC_RC.
myc() {
	local user=$1; shift
	MYC_OUT=$(timeout -k 5 60 "${SW_AS_CLIENT[@]}" "$MY_CLIENT" -h 127.0.0.1 -P "$SW_MY_PORT" -u "$user" \
		-p "$SW_MY_PASSWORD" -D gatedb "$@" 2>&1)
	MYC_RC=$?
}

# myc_refused NAME: the last myc run was refused by sqlward (error 1644 with its message).
myc_refused() {
	if [ "$MYC_RC" -ne 0 ] && grep -q "ERR 1644 sqlward" <<<"$MYC_OUT"; then ok "$1"; else
		not_ok "$1" "rc=$MYC_RC" "$MYC_OUT"; fi
}
# myc_ran NAME EXPECTED_OUTPUT_FRAGMENT: the last myc run succeeded with that in its output.
myc_ran() {
	if [ "$MYC_RC" -eq 0 ] && grep -qF -- "$2" <<<"$MYC_OUT"; then ok "$1"; else
		not_ok "$1" "rc=$MYC_RC, expected output containing '$2'" "$MYC_OUT"; fi
}

# myc_bg USER CMD...: myc in the background; MYC_BG is its handle ($MYC_BG.out, $MYC_BG.rc).
myc_bg() {
	local user=$1; shift
	SW_BG_SEQ=$((${SW_BG_SEQ:-0} + 1))
	MYC_BG=$SW_TMP/mycbg.$SW_BG_SEQ
	( timeout -k 5 120 "${SW_AS_CLIENT[@]}" "$MY_CLIENT" -h 127.0.0.1 -P "$SW_MY_PORT" -u "$user" \
		-p "$SW_MY_PASSWORD" -D gatedb "$@" >"$MYC_BG.out" 2>&1; echo $? >"$MYC_BG.rc" ) &
	echo $! >"$MYC_BG.pid"
}
# myc_wait HANDLE [SECS]: sets MYC_OUT and MYC_RC (124: still running after SECS, 30 by default).
myc_wait() {
	local n=0
	while ! [ -f "$1.rc" ] && [ "$n" -lt $((${2:-30} * 10)) ]; do sleep 0.1; n=$((n + 1)); done
	MYC_OUT=$(cat "$1.out" 2>/dev/null); MYC_RC=$(cat "$1.rc" 2>/dev/null || echo 124)
}

my_sql_bg() {
	local user=$1; shift
	SW_BG_SEQ=$((SW_BG_SEQ + 1))
	local h="$SW_TMP/mybg.$SW_BG_SEQ"
	_my_argv "$user" "$SW_MY_DB" "$@"
	(
		timeout -k 5 300 "${SW_MY_ARGV[@]}" >"$h.out" 2>"$h.err" <<<"$SW_MY_INPUT"
		echo $? >"$h.rc.tmp"; mv "$h.rc.tmp" "$h.rc"
	) &
	echo $! >"$h.pid"
	MY_BG=$h
}

my_sql_wait() {
	local h=$1 secs=${2:-60} n=0
	while ! [ -f "$h.rc" ] && [ "$n" -lt $((secs * 10)) ]; do sleep 0.1; n=$((n + 1)); done
	if ! [ -f "$h.rc" ]; then
		local pid; pid=$(cat "$h.pid")
		pkill -TERM -P "$pid" 2>/dev/null; kill -TERM "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
		MY_RC=124
	else
		MY_RC=$(cat "$h.rc")
		wait "$(cat "$h.pid")" 2>/dev/null
	fi
	MY_OUT=$(cat "$h.out" 2>/dev/null); MY_ERR=$(cat "$h.err" 2>/dev/null)
	return "$MY_RC"
}
