# shellcheck shell=bash
# The held-statement benches' common start (hold_latency.sh, hold_trace.sh), sourced with TOP set
# and HOLD_BENCH naming the caller: the integration tests' lock (they attach to the same binary;
# SW_IT_LOCKED=1 when the caller holds it already), a private PostgreSQL cluster with the governed
# role agent_bench owning database bench with pgbench's tables (scale 1), and the one-SELECT
# pgbench script "$SW_TMP/select.sql".
if [ -z "${SW_IT_LOCKED:-}" ]; then
	exec 9>/run/lock/sqlward-integration.lock
	flock -w 900 9 || { echo "$HOLD_BENCH: another run holds /run/lock/sqlward-integration.lock" >&2; exit 1; }
fi
# shellcheck disable=SC2034  # read by tests/lib/pg.sh
SW_PG_DB=bench
. "$TOP/tests/lib/pg.sh"
mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf

pg_start
sql_db postgres "$SW_PG_SUPER" "CREATE ROLE agent_bench LOGIN" "CREATE DATABASE bench OWNER agent_bench" >/dev/null ||
	sw_die "setup: $SQL_ERR"
pgbench -i -q -s 1 -h "$SW_PG_HOST" -p "$SW_PG_PORT" -U agent_bench bench >/dev/null 2>&1 || sw_die "pgbench -i failed"
cat >"$SW_TMP/select.sql" <<'SQL'
\set aid random(1, 100000)
SELECT abalance FROM pgbench_accounts WHERE aid = :aid;
SQL
