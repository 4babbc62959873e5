# shellcheck shell=bash
# Throwaway PostgreSQL 15 clusters for sqlward's integration tests.
#
# Source this file (needs root), then:
#   pg_start            initdb + start a private cluster owned by the system user
#                       sqlward-pg, on 127.0.0.1:<free port> and a socket in its
#                       own temp dir; exports SW_PG_HOST SW_PG_PORT SW_PG_DATA
#                       SW_PG_DIR SW_PG_SOCKDIR SW_PG_BIN SW_PG_LOG
#   pg_fixtures         create the test roles, database gatedb and its tables
#   pg_loaddb           database loaddb with pgbench's tables (scale 1), readable
#                       by analyst and agent_test
#   SW_PG_EXTRA_CONF    lines appended to the cluster's configuration before
#                       it starts (e.g. wal_level = logical)
#   sql ROLE SQL...     run each SQL (one psql -c each, same session) as ROLE on
#                       gatedb; sets SQL_OUT SQL_ERR SQL_RC. Stops at the first
#                       error unless SQL_CONTINUE=1.
#   sql_admin SQL...    the same as the bootstrap superuser (postgres)
#   sql_bg ROLE SQL...  the same in the background; sets SQL_BG (a handle);
#   sql_wait HANDLE [SECS]  wait for it (default 60 s, then it is killed) and
#                       set SQL_OUT SQL_ERR SQL_RC (124 on timeout)
#   pg_stop             stop the cluster and remove its directory
#   sw_at_exit CMD      run CMD when the script exits (last registered first)
#
# Only the cluster started here is ever touched: Debian's own clusters
# (/var/lib/postgresql/...) are left alone. Everything is removed on exit,
# also on failure or Ctrl-C. SW_KEEP=1 keeps the temp directories for debugging.

SW_PG_BINDIR=${SW_PG_BINDIR:-/usr/lib/postgresql/15/bin}
SW_PG_BIN=${SW_PG_BIN:-$SW_PG_BINDIR/postgres}
# Client tools (pg_isready, pgbench, ...): a server-only build (the npm builds of the version
# matrix ship postgres, initdb and pg_ctl only) uses Debian's PostgreSQL 15 client tools.
if [ -z "${SW_PG_CLIENT_BINDIR:-}" ]; then
	SW_PG_CLIENT_BINDIR=$SW_PG_BINDIR
	[ -x "$SW_PG_BINDIR/pg_isready" ] || SW_PG_CLIENT_BINDIR=/usr/lib/postgresql/15/bin
fi
export SW_PG_CLIENT_BINDIR
SW_PG_USER=${SW_PG_USER:-sqlward-pg}
# Database clients (psql, pq_extended) run as their own OS user, as an agent
# would: the gate identifies the requesting OS user and refuses to let it
# approve its own statement, so clients must not be root (the approver).
SW_CLIENT_USER=${SW_CLIENT_USER:-sqlward-client}
SW_PG_SUPER=${SW_PG_SUPER:-postgres}
SW_PG_DB=${SW_PG_DB:-gatedb}
SW_SQL_TIMEOUT=${SW_SQL_TIMEOUT:-60}
export SW_PG_BIN SW_PG_BINDIR

# ---- exit-time cleanup stack ------------------------------------------------
SW_CLEANUP=()
sw_at_exit() { SW_CLEANUP+=("$1"); }
_sw_run_cleanup() {
	local rc=$? i
	for ((i = ${#SW_CLEANUP[@]} - 1; i >= 0; i--)); do
		eval "${SW_CLEANUP[i]}" || true
	done
	SW_CLEANUP=()
	return $rc
}
trap _sw_run_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

# A scratch directory for the test itself (ledger, sockets, logs, outputs).
if [ -z "${SW_TMP:-}" ]; then
	SW_TMP=$(mktemp -d /tmp/sqlward-test.XXXXXX)
	chmod 755 "$SW_TMP"
	if [ "${SW_KEEP:-0}" = 1 ]; then
		sw_at_exit 'echo "# kept $SW_TMP" >&2'
	else
		sw_at_exit 'rm -rf "$SW_TMP"'
	fi
fi
export SW_TMP

sw_die() { echo "FATAL: $*" >&2; exit 1; }

# ---- cluster ------------------------------------------------------------------
pg_ensure_user() { sw_ensure_system_user "$SW_PG_USER"; sw_ensure_system_user "$SW_CLIENT_USER"; }

# sw_ensure_system_user NAME: a system user without home or login shell (for
# test processes that must run as another OS user, e.g. a forwarder).
# sw_ensure_group NAME: a system group. Both may run in two scripts at once (run.sh's lanes):
# one creates it, the other finds it made (no "already exists" failure).
sw_ensure_system_user() {
	local err
	getent passwd "$1" >/dev/null && return 0
	err=$(useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin "$1" 2>&1) ||
		getent passwd "$1" >/dev/null || sw_die "could not create system user $1: $err"
}
sw_ensure_group() {
	local err
	getent group "$1" >/dev/null && return 0
	err=$(groupadd --system "$1" 2>&1) || getent group "$1" >/dev/null || sw_die "could not create system group $1: $err"
}

# Run a command as the client OS user (for libpq tools such as pq_extended).
SW_AS_CLIENT=(runuser -u "$SW_CLIENT_USER" --)

# sw_reachable_binaries VAR...: a checkout in a private directory (root's home
# is mode 0700) holds binaries other OS users (the client user, approvers)
# cannot run. Each binary named by a VAR that nobody could run is copied to one
# directory under /tmp they can reach, and VAR points at the copy (removed at exit).
sw_reachable_binaries() {
	local v dir="" probe=nobody
	for v in "$@"; do
		[ -n "${!v:-}" ] && [ -x "${!v}" ] || continue
		runuser -u "$probe" -- test -x "${!v}" 2>/dev/null && continue
		if [ -z "$dir" ]; then
			dir=$(mktemp -d /tmp/sqlward-bin.XXXXXX) || sw_die "cannot create a directory under /tmp for the test binaries"
			chmod 755 "$dir"
			sw_at_exit "rm -rf $dir"
		fi
		cp "${!v}" "$dir/" && chmod 755 "$dir/$(basename "${!v}")" ||
			sw_die "cannot copy ${!v} to $dir: other OS users could not run it from this checkout"
		printf -v "$v" '%s' "$dir/$(basename "${!v}")"
		export "${v?}"
	done
}

pg_free_port() {
	local p
	p=$(python3 -c 'import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()' 2>/dev/null)
	if [ -z "$p" ]; then
		for _ in $(seq 1 200); do
			p=$((20000 + RANDOM % 40000))
			ss -ltnH "sport = :$p" 2>/dev/null | grep -q . || break
		done
	fi
	echo "$p"
}

# (fd 9, the integration-suite lock, is not passed on to the server)
_pg_as() { (cd / && runuser -u "$SW_PG_USER" -- "$@" 9>&-); }

# initdb into SW_PG_DATA; under run.sh, a copy of the first cluster this run made with the same
# binaries (SW_TEMPLATE_DIR) instead.
_pg_initdb() {
	local tpl=
	if [ -n "${SW_TEMPLATE_DIR:-}" ] && [ -d "$SW_TEMPLATE_DIR" ]; then
		tpl=$SW_TEMPLATE_DIR/pg${SW_PG_BINDIR//\//_}-$SW_PG_USER-$SW_PG_SUPER
		if [ -d "$tpl" ]; then cp -a "$tpl" "$SW_PG_DATA" && return 0; rm -rf "$SW_PG_DATA"; fi
	fi
	_pg_as "$SW_PG_BINDIR/initdb" -D "$SW_PG_DATA" -U "$SW_PG_SUPER" --auth=trust \
		--encoding=UTF8 --locale=C.UTF-8 --no-sync >"$SW_PG_DIR/initdb.log" 2>&1 ||
		{ cat "$SW_PG_DIR/initdb.log" >&2; sw_die "initdb failed"; }
	if [ -n "$tpl" ]; then
		cp -a "$SW_PG_DATA" "$tpl.$$" && mv -T "$tpl.$$" "$tpl" 2>/dev/null || rm -rf "$tpl.$$"
	fi
	return 0
}

pg_start() {
	[ "$(id -u)" -eq 0 ] || sw_die "pg_start needs root (it runs PostgreSQL as $SW_PG_USER)"
	[ -x "$SW_PG_BINDIR/initdb" ] || sw_die "PostgreSQL (initdb) not found in $SW_PG_BINDIR (run scripts/install-deps.sh," \
		"or scripts/fetch-postgres.sh for the version matrix's builds)"
	pg_ensure_user

	SW_PG_DIR=$(mktemp -d /tmp/sqlward-pg.XXXXXX)
	chmod 755 "$SW_PG_DIR"
	chown "$SW_PG_USER:" "$SW_PG_DIR"
	SW_PG_DATA=$SW_PG_DIR/data
	SW_PG_SOCKDIR=$SW_PG_DIR
	SW_PG_LOG=$SW_PG_DIR/postgres.log
	SW_PG_HOST=127.0.0.1
	export SW_PG_DIR SW_PG_DATA SW_PG_SOCKDIR SW_PG_LOG SW_PG_HOST
	sw_at_exit pg_stop

	_pg_initdb

	# Trust on the local socket and 127.0.0.1 only (the cluster is private and short-lived).
	cat >"$SW_PG_DATA/pg_hba.conf" <<-'EOF'
		local all all                trust
		host  all all 127.0.0.1/32   trust
		local replication all              trust
		host  replication all 127.0.0.1/32 trust
	EOF
	chown "$SW_PG_USER:" "$SW_PG_DATA/pg_hba.conf"

	local try
	for try in 1 2 3 4 5; do
		SW_PG_PORT=$(pg_free_port)
		export SW_PG_PORT
		cat >"$SW_PG_DATA/sqlward-test.conf" <<-EOF
			listen_addresses = '127.0.0.1'
			port = $SW_PG_PORT
			unix_socket_directories = '$SW_PG_SOCKDIR'
			max_connections = 50
			shared_buffers = 32MB
			fsync = off
			synchronous_commit = off
			full_page_writes = off
			log_min_messages = warning
			log_line_prefix = '%m [%p] %u@%d '
			${SW_PG_EXTRA_CONF:-}
		EOF
		chown "$SW_PG_USER:" "$SW_PG_DATA/sqlward-test.conf"
		grep -q "^include 'sqlward-test.conf'" "$SW_PG_DATA/postgresql.conf" ||
			echo "include 'sqlward-test.conf'" >>"$SW_PG_DATA/postgresql.conf"
		if _pg_as "$SW_PG_BINDIR/pg_ctl" -D "$SW_PG_DATA" -l "$SW_PG_LOG" -w -t 60 start \
			>"$SW_PG_DIR/pg_ctl.log" 2>&1; then
			break
		fi
		if [ "$try" -eq 5 ] || ! grep -q "could not bind\|Address already in use" "$SW_PG_LOG" 2>/dev/null; then
			cat "$SW_PG_DIR/pg_ctl.log" "$SW_PG_LOG" >&2 2>/dev/null
			sw_die "PostgreSQL did not start"
		fi
	done

	local i
	for i in $(seq 1 60); do
		"$SW_PG_CLIENT_BINDIR/pg_isready" -q -h "$SW_PG_HOST" -p "$SW_PG_PORT" && return 0
		sleep 0.5
	done
	cat "$SW_PG_LOG" >&2
	sw_die "PostgreSQL not ready on $SW_PG_HOST:$SW_PG_PORT"
}

# The postmaster's pid (empty if not running).
pg_postmaster_pid() {
	[ -n "${SW_PG_DATA:-}" ] && [ -f "$SW_PG_DATA/postmaster.pid" ] && head -n1 "$SW_PG_DATA/postmaster.pid"
}

pg_stop() {
	[ -n "${SW_PG_DIR:-}" ] || return 0
	local pm kids
	pm=$(pg_postmaster_pid)
	if [ -n "$pm" ] && kill -0 "$pm" 2>/dev/null; then
		# A backend a gate left stopped (SIGSTOP) would never see the shutdown
		# signal: wake this cluster's children first (never anyone else's).
		kids=$(pgrep -P "$pm" 2>/dev/null | tr '\n' ' ')
		[ -n "$kids" ] && kill -CONT $kids 2>/dev/null
		_pg_as "$SW_PG_BINDIR/pg_ctl" -D "$SW_PG_DATA" -m fast -w -t 20 stop >/dev/null 2>&1 ||
			_pg_as "$SW_PG_BINDIR/pg_ctl" -D "$SW_PG_DATA" -m immediate -w -t 10 stop >/dev/null 2>&1
		if kill -0 "$pm" 2>/dev/null; then
			kids=$(pgrep -P "$pm" 2>/dev/null | tr '\n' ' ')
			kill -KILL "$pm" $kids 2>/dev/null
			sleep 0.5
		fi
	fi
	if [ "${SW_KEEP:-0}" = 1 ]; then
		echo "# kept cluster dir $SW_PG_DIR" >&2
	else
		rm -rf "$SW_PG_DIR"
	fi
	SW_PG_DIR=
}

# ---- fixtures -------------------------------------------------------------------
# Roles: governed agent_test, ai_bot (default policy: agent_*, ai_*), and
# analytics_agent_1 (governed by policies/examples/analytics-views.yaml);
# ungoverned analyst and app_owner. The governed roles get every privilege a
# statement in the tests needs to SUCCEED, so a test that sees "nothing
# happened" proves the gate stopped it, not a permission check.
pg_fixtures() {
	sql_db postgres "$SW_PG_SUPER" \
		"CREATE ROLE app_owner LOGIN" \
		"CREATE ROLE analyst LOGIN" \
		"CREATE ROLE agent_test LOGIN" \
		"CREATE ROLE ai_bot LOGIN" \
		"CREATE ROLE analytics_agent_1 LOGIN" \
		"CREATE DATABASE gatedb OWNER app_owner" ||
		sw_die "creating roles/database failed: $SQL_ERR"
	"$SW_PG_CLIENT_BINDIR/psql" -X -q -v ON_ERROR_STOP=1 -h "$SW_PG_HOST" -p "$SW_PG_PORT" -U "$SW_PG_SUPER" -d gatedb \
		>"$SW_TMP/fixtures.log" 2>&1 <<-'EOF' || { cat "$SW_TMP/fixtures.log" >&2; sw_die "fixtures failed"; }
		CREATE SCHEMA app AUTHORIZATION app_owner;
		CREATE SCHEMA analytics_agent AUTHORIZATION app_owner;
		SET ROLE app_owner;
		CREATE TABLE app.risk_countries (
		  country_code text PRIMARY KEY,
		  risk_level text NOT NULL,
		  definition_version text NOT NULL);
		INSERT INTO app.risk_countries VALUES
		  ('US','low','risk_country_v2'), ('DE','low','risk_country_v2'),
		  ('KP','high','risk_country_v2'), ('IR','high','risk_country_v2'),
		  ('BR','medium','risk_country_v2');
		CREATE TABLE app.customers (
		  customer_id bigint PRIMARY KEY,
		  tenant_id bigint NOT NULL,
		  name text NOT NULL,
		  email text NOT NULL,
		  card_number text NOT NULL);
		INSERT INTO app.customers
		  SELECT g, 40 + g % 3, 'customer ' || g, 'user' || g || '@example.com',
		         '4111-1111-1111-' || lpad(g::text, 4, '0')
		  FROM generate_series(1, 50) g;
		CREATE TABLE app.transactions (
		  transaction_id bigint PRIMARY KEY,
		  tenant_id bigint NOT NULL,
		  user_id bigint NOT NULL,
		  amount_cents bigint NOT NULL,
		  transaction_at timestamptz NOT NULL,
		  destination_country text NOT NULL,
		  deleted_at timestamptz,
		  note text);
		INSERT INTO app.transactions
		  SELECT g, 40 + g % 3, 12340 + g % 10, (g * 7919) % 2000000,
		         timestamptz '2025-04-01 00:00:00+00' + g * interval '7 hours',
		         (ARRAY['US','DE','KP','IR','BR'])[1 + g % 5], NULL, NULL
		  FROM generate_series(1, 200) g;
		CREATE VIEW analytics_agent.agent_fraud_transactions_v1
		WITH (security_barrier = true) AS
		SELECT t.tenant_id, t.transaction_id, t.user_id, t.amount_cents,
		       t.transaction_at, t.destination_country,
		       rc.risk_level, rc.definition_version AS risk_definition_version
		FROM app.transactions t
		JOIN app.risk_countries rc ON rc.country_code = t.destination_country
		WHERE t.deleted_at IS NULL;
		CREATE TABLE app.scratch (id int PRIMARY KEY, v text);
		INSERT INTO app.scratch SELECT g, 'row ' || g FROM generate_series(1, 20) g;
		RESET ROLE;
		-- A table the governed role owns outright.
		CREATE TABLE app.t (id int PRIMARY KEY, v text);
		INSERT INTO app.t SELECT g, 'v' || g FROM generate_series(1, 10) g;
		ALTER TABLE app.t OWNER TO agent_test;
		-- Governed roles: members of the owner (DROP, TRUNCATE, GRANT, SET ROLE
		-- all work) plus the server-file, program and signal roles.
		GRANT app_owner TO agent_test, ai_bot, analytics_agent_1;
		GRANT pg_read_server_files, pg_write_server_files, pg_execute_server_program,
		      pg_signal_backend, pg_read_all_settings
		  TO agent_test, ai_bot, analytics_agent_1;
		GRANT EXECUTE ON FUNCTION lo_import(text), lo_import(text, oid),
		      lo_export(oid, text), pg_read_file(text), pg_read_file(text, bigint, bigint),
		      pg_read_binary_file(text), pg_ls_dir(text)
		  TO agent_test, ai_bot, analytics_agent_1;
		GRANT ALL ON SCHEMA app, analytics_agent TO agent_test, ai_bot, analytics_agent_1;
		GRANT ALL ON ALL TABLES IN SCHEMA app TO agent_test, ai_bot, analytics_agent_1;
		GRANT ALL ON ALL TABLES IN SCHEMA analytics_agent TO agent_test, ai_bot, analytics_agent_1;
		-- The ungoverned analyst: reads everything, writes app.scratch.
		GRANT USAGE ON SCHEMA app, analytics_agent TO analyst;
		GRANT SELECT ON ALL TABLES IN SCHEMA app TO analyst;
		GRANT SELECT ON ALL TABLES IN SCHEMA analytics_agent TO analyst;
		GRANT ALL ON app.scratch TO analyst;
	EOF
}

pg_loaddb() {
	sql_db postgres "$SW_PG_SUPER" "CREATE DATABASE loaddb OWNER app_owner" || sw_die "loaddb: $SQL_ERR"
	"$SW_PG_CLIENT_BINDIR/pgbench" -i -q -s 1 -h "$SW_PG_HOST" -p "$SW_PG_PORT" -U app_owner loaddb \
		>"$SW_TMP/pgbench-init.log" 2>&1 || { cat "$SW_TMP/pgbench-init.log" >&2; sw_die "pgbench -i failed"; }
	sql_db loaddb app_owner \
		"GRANT SELECT ON pgbench_accounts, pgbench_branches, pgbench_tellers TO analyst, agent_test" \
		>/dev/null || sw_die "grants: $SQL_ERR"
}

# ---- running SQL ----------------------------------------------------------------
_sql_argv() {  # ROLE DB SQL... -> psql argv in SW_PSQL_ARGV
	local role=$1 db=$2 s; shift 2
	# SQL_CONTINUE=1: keep going after an error (same session), psql's default.
	local stop=1; [ "${SQL_CONTINUE:-0}" = 1 ] && stop=0
	# (The client binary itself: Debian's /usr/bin/psql is a Perl wrapper that costs ~0.1 s a start.)
	SW_PSQL_ARGV=("${SW_AS_CLIENT[@]}" "$SW_PG_CLIENT_BINDIR/psql" -X -v ON_ERROR_STOP=$stop -At -h "$SW_PG_HOST" -p "$SW_PG_PORT" -U "$role" -d "$db")
	for s in "$@"; do SW_PSQL_ARGV+=(-c "$s"); done
}

# sql_db DB ROLE SQL... : like sql, against another database.
sql_db() {
	local db=$1 role=$2; shift 2
	_sql_argv "$role" "$db" "$@"
	local o="$SW_TMP/sql.$$.out" e="$SW_TMP/sql.$$.err"
	PGCONNECT_TIMEOUT=10 timeout -k 5 "$SW_SQL_TIMEOUT" "${SW_PSQL_ARGV[@]}" >"$o" 2>"$e" </dev/null
	SQL_RC=$?
	SQL_OUT=$(<"$o"); SQL_ERR=$(<"$e")
	rm -f "$o" "$e"
	return $SQL_RC
}

sql() { local role=$1; shift; sql_db "$SW_PG_DB" "$role" "$@"; }
sql_admin() { sql_db "$SW_PG_DB" "$SW_PG_SUPER" "$@"; }

# sql_val ROLE SQL : print the single result (stdout) of an admin-style query.
sql_admin_val() { sql_admin "$@" >/dev/null; printf '%s' "$SQL_OUT"; }

SW_BG_SEQ=0
sql_bg() {
	local role=$1; shift
	SW_BG_SEQ=$((SW_BG_SEQ + 1))
	local h="$SW_TMP/bg.$SW_BG_SEQ"
	_sql_argv "$role" "$SW_PG_DB" "$@"
	(
		PGCONNECT_TIMEOUT=10 timeout -k 5 300 "${SW_PSQL_ARGV[@]}" >"$h.out" 2>"$h.err" </dev/null
		echo $? >"$h.rc.tmp"; mv "$h.rc.tmp" "$h.rc"
	) &
	echo $! >"$h.pid"
	SQL_BG=$h
}

# Start any command in the background with the same handle protocol.
cmd_bg() {
	SW_BG_SEQ=$((SW_BG_SEQ + 1))
	local h="$SW_TMP/bg.$SW_BG_SEQ"
	(
		timeout -k 5 300 "$@" >"$h.out" 2>"$h.err" </dev/null
		echo $? >"$h.rc.tmp"; mv "$h.rc.tmp" "$h.rc"
	) &
	echo $! >"$h.pid"
	SQL_BG=$h
}

bg_done() { [ -f "$1.rc" ]; }

sql_wait() {
	local h=$1 secs=${2:-60} n=0
	while ! [ -f "$h.rc" ] && [ "$n" -lt $((secs * 10)) ]; do sleep 0.1; n=$((n + 1)); done
	if ! [ -f "$h.rc" ]; then
		local pid; pid=$(cat "$h.pid")
		pkill -TERM -P "$pid" 2>/dev/null; kill -TERM "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
		SQL_RC=124
	else
		SQL_RC=$(<"$h.rc")
		wait "$(<"$h.pid")" 2>/dev/null
	fi
	SQL_OUT=$(cat "$h.out" 2>/dev/null); SQL_ERR=$(cat "$h.err" 2>/dev/null)
	return "$SQL_RC"
}

# conninfo for libpq tools (tests/tools/pq_extended).
pg_conninfo() { echo "host=$SW_PG_HOST port=$SW_PG_PORT dbname=$SW_PG_DB user=$1 connect_timeout=10"; }

# pg_private_copy: a private copy of the PostgreSQL 15 installation under $SW_TMP (its
# binaries copied, lib and share linked), made the one pg_start uses: tests that replace
# or patch the server binary touch nothing else. Sets SW_PG_BINDIR, SW_PG_BIN.
pg_private_copy() {
	local copy=$SW_TMP/pginst
	mkdir -p "$copy/usr/lib/postgresql/15" "$copy/usr/share/postgresql"
	cp -a /usr/lib/postgresql/15/bin "$copy/usr/lib/postgresql/15/"
	ln -s /usr/lib/postgresql/15/lib "$copy/usr/lib/postgresql/15/lib"
	ln -s /usr/share/postgresql/15 "$copy/usr/share/postgresql/15"
	chmod -R a+rX "$SW_TMP"
	SW_PG_BINDIR=$copy/usr/lib/postgresql/15/bin
	SW_PG_BIN=$SW_PG_BINDIR/postgres
	export SW_PG_BINDIR SW_PG_BIN
}
