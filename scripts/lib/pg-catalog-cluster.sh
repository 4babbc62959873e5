# shellcheck shell=bash
# A throwaway PostgreSQL cluster of one major version, for reading its catalog
# (scripts/gen-pg-proc-oids.sh, scripts/gen-pg-catalog-data.sh). Source it (as root), then:
#   cat_cluster_start MAJOR   initdb + start, from the version matrix's build
#                             ($SQLWARD_PG_CACHE/MAJOR/bin, scripts/fetch-postgres.sh) or,
#                             for 15 when that is missing, Debian's /usr/lib/postgresql/15/bin;
#                             runs as the OS user sqlward-pg, in a temp dir, on a free
#                             port, socket only (no TCP)
#   cat_q SQL                 run SQL as the superuser; rows as a|b|c
#   cat_cluster_stop          stop it and remove its directory (also done on exit)
# Only the cluster started here is touched. Queries go through the system psql
# (the npm builds ship no client), which reads any newer server's catalog with -c.

CAT_PG_USER=${SW_PG_USER:-sqlward-pg}
CAT_PG_CACHE=${SQLWARD_PG_CACHE:-/var/cache/sqlward-test/postgres}
CAT_DIR=
CAT_BINDIR=
CAT_PORT=

# (fd 9, the integration-suite lock, is not passed on to the server)
_cat_as() { (cd / && runuser -u "$CAT_PG_USER" -- "$@" 9>&-); }

cat_cluster_bindir() {
	local major=$1
	if [ -x "$CAT_PG_CACHE/$major/bin/postgres" ]; then
		echo "$CAT_PG_CACHE/$major/bin"
	elif [ "$major" = 15 ] && [ -x /usr/lib/postgresql/15/bin/postgres ]; then
		echo /usr/lib/postgresql/15/bin
	else
		echo "no PostgreSQL $major server build in $CAT_PG_CACHE/$major/bin: run scripts/fetch-postgres.sh $major" >&2
		return 1
	fi
}

cat_cluster_start() {
	local major=$1 try
	[ "$(id -u)" -eq 0 ] || { echo "needs root (PostgreSQL runs as $CAT_PG_USER)" >&2; return 1; }
	id "$CAT_PG_USER" >/dev/null 2>&1 ||
		{ echo "OS user $CAT_PG_USER missing: run a test once (tests/lib/pg.sh creates it)" >&2; return 1; }
	CAT_BINDIR=$(cat_cluster_bindir "$major") || return 1
	CAT_DIR=$(mktemp -d /tmp/sqlward-pgcat.XXXXXX)
	chmod 755 "$CAT_DIR"
	chown "$CAT_PG_USER:" "$CAT_DIR"
	trap cat_cluster_stop EXIT
	trap 'exit 130' INT   # so that Ctrl-C still stops the cluster (EXIT trap)
	trap 'exit 143' TERM
	_cat_as "$CAT_BINDIR/initdb" -D "$CAT_DIR/data" -U postgres --auth=trust --encoding=UTF8 \
		--locale=C.UTF-8 --no-sync >"$CAT_DIR/initdb.log" 2>&1 ||
		{ cat "$CAT_DIR/initdb.log" >&2; echo "initdb of PostgreSQL $major failed" >&2; return 1; }
	for try in 1 2 3 4 5; do
		CAT_PORT=$((20000 + RANDOM % 20000))
		if _cat_as "$CAT_BINDIR/pg_ctl" -D "$CAT_DIR/data" -l "$CAT_DIR/log" -w -t 60 \
			-o "-c listen_addresses= -c port=$CAT_PORT -c unix_socket_directories=$CAT_DIR -c fsync=off" \
			start >/dev/null 2>&1; then
			return 0
		fi
	done
	cat "$CAT_DIR/log" >&2
	echo "PostgreSQL $major did not start (log above)" >&2
	return 1
}

cat_q() {
	psql -X -A -t -F '|' -v ON_ERROR_STOP=1 -h "$CAT_DIR" -p "$CAT_PORT" -U postgres -d postgres -c "$1"
}

cat_cluster_stop() {
	[ -n "$CAT_DIR" ] || return 0
	_cat_as "$CAT_BINDIR/pg_ctl" -D "$CAT_DIR/data" -m immediate -w -t 20 stop >/dev/null 2>&1 || true
	rm -rf "$CAT_DIR"
	CAT_DIR=
}
