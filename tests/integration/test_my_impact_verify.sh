#!/usr/bin/env bash
# MariaDB impact predictions against the real server: for each ALTER, sqlward's
# offline prediction (`sqlward check --engine mysql --format json`: algorithm,
# lock_clause) is forced on a private MariaDB 10.11 with ALGORITHM=<predicted>,
# LOCK=<predicted>, which must succeed, and the next more efficient algorithm (and
# the next less restrictive lock) must be refused. Predictions sqlward marks as not
# certain (they depend on the table's current definition) are reported, not failed.
# A predicted refusal (an ALGORITHM= the operation cannot honour) must be refused.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
. tests/lib/assert.sh
. tests/lib/pg.sh
. tests/lib/mariadb.sh
SQLWARD=${SQLWARD:-build/test/sqlward}

if [ ! -x "${SW_MY_BIN:-/usr/sbin/mariadbd}" ]; then
	skip "MariaDB impact verification" "no mariadbd at ${SW_MY_BIN:-/usr/sbin/mariadbd} (scripts/install-deps.sh installs it)"
	finish; exit
fi

my_start
my_fixtures

# Fresh tables for every case (each ALTER changes them).
SETUP=(
	"SET foreign_key_checks = 0"
	"DROP TABLE IF EXISTS imp_t, imp_t2, imp_n, imp_p, imp_tp"
	"SET foreign_key_checks = 1"
	"CREATE TABLE imp_p (id int NOT NULL PRIMARY KEY) ENGINE=InnoDB"
	"CREATE TABLE imp_t (id int NOT NULL PRIMARY KEY, a int, b varchar(50), c int NOT NULL DEFAULT 0,
	  body text, g point NOT NULL, pid int, qid int, KEY ka (a),
	  CONSTRAINT fk0 FOREIGN KEY (qid) REFERENCES imp_p (id)) ENGINE=InnoDB ROW_FORMAT=DYNAMIC"
	"CREATE TABLE imp_n (id int NOT NULL, a int) ENGINE=InnoDB"
	"CREATE TABLE imp_tp (id int NOT NULL) ENGINE=InnoDB PARTITION BY RANGE (id)
	  (PARTITION p0 VALUES LESS THAN (10), PARTITION p1 VALUES LESS THAN (20))"
	"INSERT INTO imp_p VALUES (1), (2)"
	"INSERT INTO imp_t (id, a, b, c, body, g, pid, qid) VALUES
	  (1, 1, 'x', 1, 'hello', POINT(1, 1), 1, 1), (2, 2, 'y', 2, 'world', POINT(2, 2), 2, 2)"
	"INSERT INTO imp_n VALUES (1, 1), (2, 2)"
	"INSERT INTO imp_tp VALUES (1), (15)"
)

setup() { my_sql_db "$SW_MY_DB" root "${SETUP[@]}" || sw_die "setup failed: $MY_ERR"; }

ALGS=(INSTANT NOCOPY INPLACE COPY)
LOCKS=(NONE SHARED EXCLUSIVE)
idx() { local want=$1 i; shift; for ((i = 1; i <= $#; i++)); do [ "${!i}" = "$want" ] && { echo $((i - 1)); return; }; done; echo -1; }

# Append ALGORITHM/LOCK to a statement: CREATE/DROP INDEX take them without a comma.
with_clause() {
	case "$1" in
	CREATE*) printf '%s %s' "$1" "$2" ;;
	*) printf '%s, %s' "$1" "$2" ;;
	esac
}

# verify "SQL" [PREFIX-SQL] [check options]
verify() {
	local sql=$1 prefix=${2:-} opts=${3:-} json alg lock certain refused ai li weaker
	json=$(printf '%s;\n' "$sql" | "$SQLWARD" check --engine mysql --policy policies/default.yaml --format json $opts)
	alg=$(jq -r '.algorithm // "none"' <<<"$json")
	lock=$(jq -r '.lock_clause // "none"' <<<"$json")
	certain=$(jq -r '.online_ddl.certain' <<<"$json")
	refused=$(jq -r '.online_ddl.refused // ""' <<<"$json")
	if [ "$alg" = none ]; then
		not_ok "$sql: sqlward predicts an algorithm" "$json"
		return
	fi
	if [ -n "$refused" ]; then
		setup
		my_sql "admin_user" ${prefix:+"$prefix"} "$sql"
		if [ "$MY_RC" -ne 0 ]; then ok "$sql: refused as predicted ($(head -c 150 <<<"$MY_ERR"))"
		else not_ok "$sql: predicted refusal ($refused), the server ran it"; fi
		return
	fi
	# The predicted algorithm and lock must work.
	setup
	my_sql "admin_user" ${prefix:+"$prefix"} "$(with_clause "$sql" "ALGORITHM=$alg, LOCK=$lock" | sed 's/^\(CREATE.*\)ALGORITHM=\([A-Z]*\), LOCK=/\1ALGORITHM=\2 LOCK=/')"
	local label="$sql => $alg, LOCK=$lock"
	[ "$certain" = true ] || label="$label (not certain offline)"
	if [ "$MY_RC" -ne 0 ]; then
		if [ "$certain" = true ]; then not_ok "$label: runs with the predicted ALGORITHM and LOCK" "$MY_ERR"
		else diag "uncertain prediction wrong: $label: $MY_ERR"; ok "$label: (uncertain, reported)"; fi
		return
	fi
	ok "$label: runs with the predicted ALGORITHM and LOCK"
	# The next more efficient algorithm must be refused.
	ai=$(idx "$alg" "${ALGS[@]}")
	if [ "$ai" -gt 0 ]; then
		weaker=${ALGS[$((ai - 1))]}
		setup
		my_sql "admin_user" ${prefix:+"$prefix"} "$(with_clause "$sql" "ALGORITHM=$weaker")"
		if [ "$MY_RC" -ne 0 ]; then ok "$sql: ALGORITHM=$weaker refused"
		elif [ "$certain" = true ]; then not_ok "$sql: ALGORITHM=$weaker refused" "the server accepted it: sqlward predicts too weak an algorithm"
		else diag "uncertain: $sql also runs with ALGORITHM=$weaker"; ok "$sql: ALGORITHM=$weaker (uncertain, reported)"; fi
	fi
	# The next less restrictive lock must be refused.
	li=$(idx "$lock" "${LOCKS[@]}")
	if [ "$li" -gt 0 ]; then
		weaker=${LOCKS[$((li - 1))]}
		setup
		my_sql "admin_user" ${prefix:+"$prefix"} "$(with_clause "$sql" "LOCK=$weaker")"
		if [ "$MY_RC" -ne 0 ]; then ok "$sql: LOCK=$weaker refused"
		elif [ "$certain" = true ]; then not_ok "$sql: LOCK=$weaker refused" "the server accepted it: sqlward predicts too strong a lock"
		else diag "uncertain: $sql also runs with LOCK=$weaker"; ok "$sql: LOCK=$weaker (uncertain, reported)"; fi
	fi
}

verify "ALTER TABLE imp_t ADD COLUMN x int"
verify "ALTER TABLE imp_t ADD COLUMN x int FIRST"
verify "ALTER TABLE imp_t ADD COLUMN x int NOT NULL AUTO_INCREMENT UNIQUE"
verify "ALTER TABLE imp_t ADD COLUMN s int AS (a + 1) STORED"
verify "ALTER TABLE imp_t RENAME COLUMN b TO b2"
verify "ALTER TABLE imp_t ALTER COLUMN a SET DEFAULT 5"
verify "ALTER TABLE imp_t DROP COLUMN c"
verify "ALTER TABLE imp_t MODIFY b varchar(60)"
verify "ALTER TABLE imp_t ADD INDEX ib (b)"
verify "CREATE INDEX ib ON imp_t (b)"
verify "ALTER TABLE imp_t DROP INDEX ka"
verify "ALTER TABLE imp_t RENAME INDEX ka TO kb"
verify "ALTER TABLE imp_t ADD FULLTEXT INDEX ft (body)"
verify "ALTER TABLE imp_t ADD SPATIAL INDEX sg (g)"
verify "ALTER TABLE imp_n ADD PRIMARY KEY (id)"
verify "ALTER TABLE imp_t DROP PRIMARY KEY"
verify "ALTER TABLE imp_t DROP PRIMARY KEY, ADD PRIMARY KEY (id, c)"
verify "ALTER TABLE imp_t ADD CONSTRAINT fk1 FOREIGN KEY (pid) REFERENCES imp_p (id)"
verify "ALTER TABLE imp_t ADD CONSTRAINT fk1 FOREIGN KEY (pid) REFERENCES imp_p (id)" \
	"SET foreign_key_checks = 0" "--foreign-key-checks 0"
verify "ALTER TABLE imp_t DROP FOREIGN KEY fk0"
verify "ALTER TABLE imp_t ADD CONSTRAINT ck CHECK (a > -100)"
verify "ALTER TABLE imp_t ENGINE=InnoDB"
verify "ALTER TABLE imp_t ROW_FORMAT=COMPACT"
verify "ALTER TABLE imp_t CONVERT TO CHARACTER SET utf8mb4"
verify "ALTER TABLE imp_t DEFAULT CHARSET=utf8mb4"
verify "ALTER TABLE imp_t COMMENT = 'x'"
verify "ALTER TABLE imp_t FORCE"
verify "ALTER TABLE imp_t RENAME TO imp_t2"
# Partition operations are predicted coarsely and take no ALGORITHM/LOCK after their clause: not forced here.
# Predicted refusals.
verify "ALTER TABLE imp_t ADD INDEX ib (b), ALGORITHM=INSTANT"
verify "ALTER TABLE imp_t ENGINE=InnoDB, ALGORITHM=NOCOPY"
verify "ALTER TABLE imp_t CONVERT TO CHARACTER SET utf8mb4, LOCK=NONE"

my_stop
finish
