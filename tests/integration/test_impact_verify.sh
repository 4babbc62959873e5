#!/usr/bin/env bash
# The static lock table against reality: `sqlward check --verify` runs every
# statement of tests/corpus/pg_locks_corpus.sql in a rolled-back transaction
# on a throwaway PostgreSQL 15 and compares the locks in pg_locks and the
# relfilenode changes with the prediction. Any disagreement fails the test.
# Statements PostgreSQL refuses inside a transaction block are reported as
# "cited" (the source that forbids it) instead.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
. tests/lib/assert.sh
. tests/lib/pg.sh

CORPUS=tests/corpus/pg_locks_corpus.sql
FIXTURES=tests/corpus/pg_locks_fixtures.sql

pg_start
sql_db postgres "$SW_PG_SUPER" "CREATE DATABASE lockdb" || sw_die "CREATE DATABASE lockdb failed: $SQL_ERR"
psql -X -q -v ON_ERROR_STOP=1 -h "$SW_PG_HOST" -p "$SW_PG_PORT" -U "$SW_PG_SUPER" -d lockdb \
	-f "$FIXTURES" >"$SW_TMP/fixtures.log" 2>&1 || { cat "$SW_TMP/fixtures.log" >&2; sw_die "fixtures failed"; }
DSN="host=$SW_PG_HOST port=$SW_PG_PORT dbname=lockdb user=$SW_PG_SUPER connect_timeout=10"

# Refuses a database not marked as scratch.
"$SQLWARD" check --policy policies/default.yaml --verify --dsn "$DSN" "$CORPUS" >"$SW_TMP/refuse.out" 2>"$SW_TMP/refuse.err"
rc=$?
assert_eq "verify: refuses a database not marked sqlward.scratch (exit 2)" 2 "$rc"
assert_contains "verify: says how to mark a scratch database" "$(cat "$SW_TMP/refuse.err")" "sqlward.scratch"

sql_db lockdb "$SW_PG_SUPER" "ALTER DATABASE lockdb SET sqlward.scratch = 'on'" || sw_die "$SQL_ERR"

"$SQLWARD" check --policy policies/default.yaml --verify --dsn "$DSN" "$CORPUS" >"$SW_TMP/verify.out" 2>"$SW_TMP/verify.err"
rc=$?
summary=$(grep '^verify:' "$SW_TMP/verify.out")
diag "$summary"
grep -A4 -E '^(MISMATCH|error)' "$SW_TMP/verify.out" | sed 's/^/# /' >&2
assert_eq "verify: every statement of the corpus agrees with PostgreSQL 15 (exit 0)" 0 "$rc"
grep '^verify category' "$SW_TMP/verify.out" | sed 's/^/# /' >&2
n=$(grep -cE '^(agree|MISMATCH|cited|error|skip|conservative|refused) ' "$SW_TMP/verify.out")
if [ "$n" -ge 150 ]; then ok "verify: corpus has $n statements (>= 150)"; else not_ok "verify: corpus has >= 150 statements" "only $n"; fi
assert_contains "verify: CONCURRENTLY is cited, not run" "$(grep -A1 '^cited' "$SW_TMP/verify.out")" "PreventInTransactionBlock"
# The issue's categories each have a measured agreement line (pg_lock_table.c categories).
for cat in ddl.comment privilege.grant dml.sequence_function utility.copy_from ddl.alter_table ddl.domain \
	ddl.function maint.vacuum maint.cluster; do
	assert_contains "verify: category $cat reported" "$(grep '^verify category' "$SW_TMP/verify.out")" "verify category $cat:"
done
assert_contains "verify: ADD COLUMN NOT NULL without DEFAULT on a table with rows is refused as predicted" \
	"$(grep -A1 '^refused' "$SW_TMP/verify.out")" "the table has rows"
assert_contains "verify: a conservative (catalog-dependent) prediction is reported as such, not as a mismatch" \
	"$(grep '^conservative' "$SW_TMP/verify.out")" "ENABLE TRIGGER ALL"
# Nothing was left behind: every statement was rolled back.
assert_eq "verify: fixtures untouched (rolled back)" "100|true" \
	"$(sql_db lockdb "$SW_PG_SUPER" "SELECT count(*) || '|' || (to_regclass('s.lonely') IS NOT NULL) FROM s.plain" >/dev/null; echo "$SQL_OUT")"

finish
