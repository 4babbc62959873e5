#!/usr/bin/env bash
# MariaDB live context (`sqlward check --engine mysql --dsn DSN`, my_live.c)
# against a private MariaDB 10.11: an ALTER's online-DDL prediction, offline the
# worst case, becomes certain from the table's real definition
# (information_schema); table_size / table_rows / est_rows policy rules match on
# real facts; without a DSN the live rules never match; an unreachable DSN makes
# the facts unknown with the reason and `when_unknown` decides.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
. tests/lib/assert.sh
. tests/lib/pg.sh
. tests/lib/mariadb.sh
SQLWARD=${SQLWARD:-build/test/sqlward}

if [ ! -x "${SW_MY_BIN:-/usr/sbin/mariadbd}" ]; then
	skip "MariaDB live context" "no mariadbd at ${SW_MY_BIN:-/usr/sbin/mariadbd} (scripts/install-deps.sh installs it)"
	finish; exit
fi

my_start
my_fixtures
my_sql_admin "USE $SW_MY_DB" \
	"CREATE TABLE lc_t (id int NOT NULL PRIMARY KEY, v varchar(50), n int NOT NULL, u int, w varchar(10),
	  KEY ku (u)) ENGINE=InnoDB ROW_FORMAT=DYNAMIC" \
	"INSERT INTO lc_t VALUES (1, 'a', 1, 1, 'x'), (2, 'b', 2, 2, 'y')" \
	"CREATE TABLE lc_big (id int NOT NULL PRIMARY KEY, pad varchar(200)) ENGINE=InnoDB" \
	"SET SESSION max_recursive_iterations = 100000" \
	"INSERT INTO lc_big WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < 40000)
	  SELECT i, repeat('x', 150) FROM s" \
	"ANALYZE TABLE lc_t, lc_big" || sw_die "fixtures failed: $MY_ERR"
DSN="host=127.0.0.1 port=$SW_MY_PORT user=admin_user password=$SW_MY_PASSWORD database=$SW_MY_DB"

POLICY=$SW_TMP/my-live.yaml
cat >"$POLICY" <<'YAML'
sqlward_policy: 1
default: allow
rules:
  - { id: big-delete, match: { command: [DELETE, UPDATE], est_rows: ">10000" }, action: deny }
  - { id: big-copy, match: { rewrite: true, table_size: ">1MB" }, action: deny }
  - { id: many-rows, match: { command: ["ALTER TABLE"], table_rows: ">10000", when_unknown: ignore }, action: deny }
YAML

check() {  # check [--dsn DSN] SQL -> the first statement's JSON line
	local args=()
	if [ "$1" = --dsn ]; then args=(--dsn "$2"); shift 2; fi
	printf '%s\n' "$1" | "$SQLWARD" check --engine mysql --policy "$POLICY" --format json "${args[@]}" - \
		2>"$SW_TMP/check.err" | head -n 1
}
field() {  # field PYTHON-EXPR < JSON line  (d is the statement)
	python3 -c 'import json,sys; d=json.loads(sys.stdin.readline()); print('"$1"')'
}
ddl() {  # ddl [--dsn DSN] SQL -> "algorithm lock certain"
	check "$@" | field 'd["online_ddl"]["algorithm"], d["online_ddl"]["lock"], d["online_ddl"]["certain"]'
}
verdict() { check "$@" | field 'd["verdict"], d["rule"]'; }

# ---- the real definition decides the online-DDL prediction ----------------------
assert_eq "modify: offline, VARCHAR growth is the worst case (COPY, not certain)" \
	"COPY SHARED False" "$(ddl "ALTER TABLE lc_t MODIFY COLUMN v varchar(60)")"
assert_eq "modify: with the DSN, varchar(50) -> varchar(60) is certain INSTANT" \
	"INSTANT NONE True" "$(ddl --dsn "$DSN" "ALTER TABLE lc_t MODIFY COLUMN v varchar(60)")"
assert_eq "modify: with the DSN, NOT NULL -> NULL is certain INPLACE (DYNAMIC row format)" \
	"INPLACE NONE True" "$(ddl --dsn "$DSN" "ALTER TABLE lc_t MODIFY COLUMN n int NULL")"
assert_eq "modify: with the DSN, int -> bigint is certain COPY" \
	"COPY SHARED True" "$(ddl --dsn "$DSN" "ALTER TABLE lc_t MODIFY COLUMN u bigint")"
assert_eq "modify: a qualified table name is looked up in its own database" \
	"INSTANT NONE True" "$(ddl --dsn "$DSN" "ALTER TABLE $SW_MY_DB.lc_t CHANGE v v varchar(60)")"
assert_eq "drop column: offline, the worst case (INPLACE rebuild, not certain)" \
	"INPLACE NONE False" "$(ddl "ALTER TABLE lc_t DROP COLUMN w")"
assert_eq "drop column: with the DSN, an unindexed column is certain INSTANT" \
	"INSTANT NONE True" "$(ddl --dsn "$DSN" "ALTER TABLE lc_t DROP COLUMN w")"
assert_eq "drop column: with the DSN, an indexed column is certain INPLACE" \
	"INPLACE NONE True" "$(ddl --dsn "$DSN" "ALTER TABLE lc_t DROP COLUMN u")"
# The server agrees: the predicted algorithm is accepted.
my_sql_admin "ALTER TABLE $SW_MY_DB.lc_t MODIFY COLUMN v varchar(60), ALGORITHM=INSTANT" "ALTER TABLE $SW_MY_DB.lc_t DROP COLUMN w, ALGORITHM=INSTANT"
assert_eq "server: the refined INSTANT predictions are accepted with ALGORITHM=INSTANT" "0" "$MY_RC"
out=$(printf 'ALTER TABLE lc_t MODIFY COLUMN n int NULL;\n' | "$SQLWARD" check --engine mysql --policy "$POLICY" --dsn "$DSN" -)
assert_contains "text: the refined prediction is printed" "$out" "INPLACE, the table is rebuilt in place"
assert_not_contains "text: no worst-case note with the DSN" "$out" "worst case"

# ---- live facts and the policy keys --------------------------------------------
assert_eq "table_size: a COPY of a table over 1 MB is denied" \
	"deny big-copy" "$(verdict --dsn "$DSN" "ALTER TABLE lc_big MODIFY COLUMN pad varchar(100)")"
assert_eq "table_size: the same on a small table is allowed" \
	"allow default" "$(verdict --dsn "$DSN" "ALTER TABLE lc_t MODIFY COLUMN u bigint")"
assert_eq "table_rows: an ALTER of a table with 40000 rows is denied" \
	"deny many-rows" "$(verdict --dsn "$DSN" "ALTER TABLE lc_big ADD COLUMN c int")"
rows=$(check --dsn "$DSN" "ALTER TABLE lc_big ADD COLUMN c int" |
	field 'int(30000 < d["live"]["relations"][0]["rows"] < 50000), int(d["live"]["relations"][0]["bytes"] > 1000000)')
assert_eq "facts: rows (TABLE_ROWS) about 40000 and bytes over 1 MB" "1 1" "$rows"
assert_eq "est_rows: a DELETE of ~39900 rows is denied (EXPLAIN)" \
	"deny big-delete" "$(verdict --dsn "$DSN" "DELETE FROM lc_big WHERE id > 100")"
assert_eq "est_rows: a DELETE of one row is allowed" \
	"allow default" "$(verdict --dsn "$DSN" "DELETE FROM lc_big WHERE id = 5")"
my_sql_admin "SELECT count(*) FROM $SW_MY_DB.lc_big"
assert_eq "est_rows: EXPLAIN deleted nothing" "40000" "$MY_OUT"
assert_eq "est_rows: a function sqlward does not know is not EXPLAINed" \
	"unknown" "$(check --dsn "$DSN" "DELETE FROM lc_big WHERE id > my_udf(1)" | field 'd["live"]["est_rows"]')"
assert_eq "create: a table that does not exist yet has size 0" \
	"allow default" "$(verdict --dsn "$DSN" "CREATE TABLE lc_new (id int)")"

# ---- a transaction holding a conflicting metadata lock -------------------------
QPOL=$SW_TMP/my-queue.yaml
cat >"$QPOL" <<'YAML'
sqlward_policy: 1
default: allow
rules:
  - { id: queue, match: { blocked_by_xact_older_than: 2s }, action: deny }
YAML
qverdict() {
	printf '%s\n' "$1" | "$SQLWARD" check --engine mysql --policy "$QPOL" --format json --dsn "$DSN" - |
		field 'd["verdict"], d["rule"], d["live"].get("error")'
}
assert_eq "queue: without the metadata_lock_info plugin the blocker is unknown (deny, with the reason)" \
	"deny queue who holds metadata locks on lc_t is not visible" \
	"$(qverdict "ALTER TABLE lc_t ADD COLUMN q int" | sed 's/ (Unknown.*//')"
my_sql_admin "INSTALL SONAME 'metadata_lock_info'" || sw_die "INSTALL SONAME metadata_lock_info: $MY_ERR"
assert_eq "queue: nobody holds a lock: allowed" "allow default None" "$(qverdict "ALTER TABLE lc_t ADD COLUMN q int")"
my_sql_bg admin_user "START TRANSACTION" "SELECT count(*) FROM lc_t" "SELECT SLEEP(8)" "COMMIT"
BG=$MY_BG
sleep 3.5
assert_eq "queue: an ALTER behind a 3 s old transaction holding MDL_SHARED_READ is denied" \
	"deny queue None" "$(qverdict "ALTER TABLE lc_t ADD COLUMN q int")"
assert_eq "queue: an UPDATE does not conflict with MDL_SHARED_READ (allowed)" \
	"allow default None" "$(qverdict "UPDATE lc_t SET n = 3 WHERE id = 1")"
blk=$(printf 'ALTER TABLE lc_t ADD COLUMN q int;\n' | "$SQLWARD" check --engine mysql --policy "$QPOL" --format json --dsn "$DSN" - |
	field 'd["live"]["relations"][0]["blocked_by"]["mode"]')
assert_eq "queue: the blocker's lock mode is reported" "MDL_SHARED_READ" "$blk"
my_sql_wait "$BG" 30

# ---- no DSN / unreachable DSN ---------------------------------------------------
assert_eq "offline: without --dsn the live rules never match" \
	"allow default" "$(verdict "ALTER TABLE lc_big ADD COLUMN c int")"
assert_eq "offline: no live facts at all" "False" "$(check "DELETE FROM lc_big WHERE id > 100" | field '"live" in d')"
port=$(pg_free_port)
BAD="host=127.0.0.1 port=$port user=nobody database=$SW_MY_DB connect_timeout=2"
j=$(check --dsn "$BAD" "ALTER TABLE lc_big MODIFY COLUMN pad varchar(100)")
assert_eq "unreachable: the check still runs and the facts are unknown" \
	"unknown unknown" "$(printf '%s\n' "$j" | field 'd["live"]["relations"][0]["bytes"], d["live"]["relations"][0]["rows"]')"
assert_contains "unreachable: the reason is given" "$(printf '%s\n' "$j" | field 'd["live"]["error"]')" \
	"cannot connect for live context"
assert_eq "unreachable: the prediction stays the offline worst case" \
	"COPY False" "$(printf '%s\n' "$j" | field 'd["online_ddl"]["algorithm"], d["online_ddl"]["certain"]')"
assert_eq "unreachable: an unknown table_size matches the deny rule (when_unknown default)" \
	"deny big-copy" "$(printf '%s\n' "$j" | field 'd["verdict"], d["rule"]')"
assert_eq "unreachable: an unknown table_rows with when_unknown: ignore does not match" \
	"allow default" "$(verdict --dsn "$BAD" "ALTER TABLE lc_big ADD COLUMN c int")"
assert_eq "unreachable: est_rows unknown" \
	"unknown" "$(check --dsn "$BAD" "DELETE FROM lc_big WHERE id > 100" | field 'd["live"]["est_rows"]')"
j=$(check --dsn "host=127.0.0.1 port=$SW_MY_PORT user=admin_user password=wrong database=$SW_MY_DB" \
	"DELETE FROM lc_big WHERE id > 100")
assert_contains "bad password: the reason names the server's refusal" "$(printf '%s\n' "$j" | field 'd["live"]["error"]')" \
	"Access denied"

# ---- usage ----------------------------------------------------------------------
err=$(printf 'SELECT 1;\n' | "$SQLWARD" check --engine mysql --dsn "hostname=x" - 2>&1 >/dev/null); rc=$?
assert_eq "usage: a bad DSN is refused (exit 2)" "2" "$rc"
assert_contains "usage: the message names the unknown key" "$err" 'unknown key "hostname"'
err=$(printf 'SELECT 1;\n' | "$SQLWARD" check --engine mysql --verify --dsn "$DSN" - 2>&1 >/dev/null); rc=$?
assert_eq "usage: --verify with --engine mysql is refused (exit 2)" "2" "$rc"
assert_contains "usage: --verify says it is PostgreSQL-only" "$err" "PostgreSQL scratch database"

finish
