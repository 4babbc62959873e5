#!/usr/bin/env bash
# Live context against a real PostgreSQL 15 (`sqlward check --dsn`, the same
# code the daemon runs when the policy has `live: { dsn: ... }`): a
# long-running transaction holding a lock that conflicts with a statement, a
# column with NULLs under SET NOT NULL, and a table large enough for the
# planner's row estimate to matter. Policy rules on these facts deny.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
. tests/lib/assert.sh
. tests/lib/pg.sh

pg_start
SW_PG_DB=livedb
sql_db postgres "$SW_PG_SUPER" "CREATE DATABASE livedb" || sw_die "CREATE DATABASE failed: $SQL_ERR"
sql_admin "CREATE TABLE big (id int PRIMARY KEY, v text, s varchar(10))" \
	"INSERT INTO big SELECT g, repeat('x', 20) FROM generate_series(1, 200000) g" \
	"CREATE TABLE nulls (id int, n int)" \
	"INSERT INTO nulls SELECT g, CASE WHEN g % 10 = 0 THEN NULL ELSE g END FROM generate_series(1, 100) g" \
	"CREATE TABLE locked (id int)" \
	"ANALYZE" || sw_die "fixtures failed: $SQL_ERR"
DSN="host=$SW_PG_HOST port=$SW_PG_PORT dbname=livedb user=$SW_PG_SUPER"

POLICY=$SW_TMP/live.yaml
cat >"$POLICY" <<'YAML'
sqlward_policy: 1
default: allow
rules:
  - { id: queue, match: { blocked_by_xact_older_than: 2s }, action: deny }
  - { id: big-delete, match: { command: [DELETE, UPDATE], est_rows: ">10000" }, action: deny }
  - { id: nulls, match: { null_rows: ">0" }, action: deny }
  - { id: big-rewrite, match: { rewrite: true, lock: AccessExclusiveLock, table_size: ">1MB" }, action: deny }
YAML

verdict() {  # verdict [--dsn DSN] SQL -> "verdict rule"
	local args=()
	if [ "$1" = --dsn ]; then args=(--dsn "$2"); shift 2; fi
	printf '%s\n' "$1" | "$SQLWARD" check --policy "$POLICY" --format json "${args[@]}" - 2>"$SW_TMP/check.err" |
		python3 -c 'import json,sys; d=json.loads(sys.stdin.readline()); print(d["verdict"], d["rule"])'
}

# A transaction that has held AccessShareLock on `locked` for a while. It
# sleeps far longer than the checks take (on a loaded machine they have taken
# over 20 s) and is cancelled once the checks that need it are done.
sql_bg "$SW_PG_SUPER" "BEGIN" "SELECT count(*) FROM locked" "SELECT pg_sleep(280)" "COMMIT"
BG=$SQL_BG
n=0
until [ "$(sql_admin_val "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation WHERE c.relname = 'locked' AND l.granted")" = 1 ] ||
	[ "$n" -ge 300 ]; do sleep 0.1; n=$((n + 1)); done
sleep 2.5  # the rule needs a transaction older than 2 s

assert_eq "queue: ALTER TABLE behind a 3s-old transaction holding AccessShareLock is denied" \
	"deny queue" "$(verdict --dsn "$DSN" "ALTER TABLE locked ADD COLUMN c int")"
assert_eq "queue: INSERT does not conflict with AccessShareLock (allowed)" \
	"allow default" "$(verdict --dsn "$DSN" "INSERT INTO locked VALUES (1)")"
out=$(printf 'ALTER TABLE locked ADD COLUMN c int;\n' | "$SQLWARD" check --policy "$POLICY" --dsn "$DSN" -)
assert_contains "queue: text output names the blocking backend" "$out" "WOULD QUEUE behind pid"
assert_eq "est_rows: DELETE of ~199900 rows is denied" \
	"deny big-delete" "$(verdict --dsn "$DSN" "DELETE FROM big WHERE id > 100")"
assert_eq "est_rows: DELETE of one row is allowed" \
	"allow default" "$(verdict --dsn "$DSN" "DELETE FROM big WHERE id = 5")"
est=$(printf 'UPDATE big SET v = $$y$$ WHERE id <= 50000;\n' | "$SQLWARD" check --policy "$POLICY" --format json --dsn "$DSN" - |
	python3 -c 'import json,sys; d=json.loads(sys.stdin.readline()); print(int(d["live"]["est_rows"] > 40000 and d["live"]["est_rows"] < 60000))')
assert_eq "est_rows: the UPDATE's estimate is about 50000 (EXPLAIN, not ANALYZE)" "1" "$est"
assert_eq "est_rows: nothing was changed by EXPLAIN" "200000" "$(sql_admin_val "SELECT count(*) FROM big WHERE v = repeat('x', 20)")"
assert_eq "null_rows: SET NOT NULL over 10 NULLs is denied" \
	"deny nulls" "$(verdict --dsn "$DSN" "ALTER TABLE nulls ALTER COLUMN n SET NOT NULL")"
assert_eq "null_rows: SET NOT NULL on a column without NULLs is allowed" \
	"allow default" "$(verdict --dsn "$DSN" "ALTER TABLE nulls ALTER COLUMN id SET NOT NULL")"
assert_eq "table_size: volatile DEFAULT on a table over 1 MB is denied" \
	"deny big-rewrite" "$(verdict --dsn "$DSN" "ALTER TABLE big ADD COLUMN r float8 DEFAULT random()")"
assert_eq "table_size: the same on a small table is allowed" \
	"allow default" "$(verdict --dsn "$DSN" "ALTER TABLE nulls ADD COLUMN r float8 DEFAULT random()")"
assert_eq "table_size: a table created by the statement has size 0" \
	"allow default" "$(verdict --dsn "$DSN" "CREATE TABLE fresh (id int)")"
# No live context: the live rules never match.
assert_eq "offline: without --dsn the live rules never match" \
	"allow default" "$(verdict "DELETE FROM big WHERE id > 100")"
# Live context asked for but unreachable: unknown facts match deny rules (fail closed).
port=$(pg_free_port)
assert_eq "unreachable: unknown facts match a deny rule by default" \
	"deny queue" "$(verdict --dsn "host=127.0.0.1 port=$port dbname=x user=x" "ALTER TABLE locked ADD COLUMN c int")"

# A migration file as a whole: tables it creates are new and empty, so the
# size-based rules skip them even when the database already has a big one
# (staging where the file ran before); IF NOT EXISTS keeps the old table.
verdicts() {  # verdicts FILE -> "verdict rule" per statement
	"$SQLWARD" check --policy "$POLICY" --format json --dsn "$DSN" "$1" 2>"$SW_TMP/check.err" |
		python3 -c 'import json,sys; print(" / ".join(d["verdict"] + " " + d["rule"] for d in map(json.loads, sys.stdin)))'
}
printf 'CREATE TABLE big (id int);\nALTER TABLE big ADD COLUMN r float8 DEFAULT random();\nDELETE FROM big WHERE id > 100;\nCREATE TABLE locked (id int);\nALTER TABLE locked ADD COLUMN c int;\n' >"$SW_TMP/m1.sql"
assert_eq "migration: tables created earlier in the file are exempt from size, row and queue rules" \
	"allow default / allow default / allow default / allow default / allow default" "$(verdicts "$SW_TMP/m1.sql")"
printf 'CREATE TABLE IF NOT EXISTS big (id int);\nALTER TABLE big ADD COLUMN r float8 DEFAULT random();\nDELETE FROM big WHERE id > 100;\n' >"$SW_TMP/m2.sql"
assert_eq "migration: CREATE TABLE IF NOT EXISTS does not exempt an existing table" \
	"allow default / deny big-rewrite / deny big-delete" "$(verdicts "$SW_TMP/m2.sql")"
printf 'ALTER TABLE big ADD COLUMN r float8 DEFAULT random();\nCREATE TABLE big (id int);\n' >"$SW_TMP/m3.sql"
assert_eq "migration: only statements after the CREATE are exempt" \
	"deny big-rewrite / allow default" "$(verdicts "$SW_TMP/m3.sql")"
out=$("$SQLWARD" check --policy "$POLICY" --dsn "$DSN" "$SW_TMP/m1.sql")
assert_contains "migration: text output says why" "$out" "created earlier in this file"

# ALTER COLUMN TYPE with live context: the column's type now decides the rewrite.
assert_eq "alter type: varchar(10) -> varchar(20) does not rewrite (allowed on a big table)" \
	"allow default" "$(verdict --dsn "$DSN" "ALTER TABLE big ALTER COLUMN s TYPE varchar(20)")"
assert_eq "alter type: varchar(10) -> text does not rewrite" \
	"allow default" "$(verdict --dsn "$DSN" "ALTER TABLE big ALTER COLUMN s TYPE text")"
assert_eq "alter type: text -> varchar does not rewrite" \
	"allow default" "$(verdict --dsn "$DSN" "ALTER TABLE big ALTER COLUMN v TYPE character varying")"
assert_eq "alter type: varchar(10) -> varchar(5) rewrites (denied on a big table)" \
	"deny big-rewrite" "$(verdict --dsn "$DSN" "ALTER TABLE big ALTER COLUMN s TYPE varchar(5)")"
assert_eq "alter type: int -> bigint rewrites" \
	"deny big-rewrite" "$(verdict --dsn "$DSN" "ALTER TABLE big ALTER COLUMN id TYPE bigint")"
assert_eq "alter type: USING keeps the static prediction (rewrite)" \
	"deny big-rewrite" "$(verdict --dsn "$DSN" "ALTER TABLE big ALTER COLUMN s TYPE varchar(20) USING s")"
assert_eq "alter type: offline, the static prediction is a rewrite" \
	"true" "$(printf 'ALTER TABLE big ALTER COLUMN s TYPE varchar(20);\n' | "$SQLWARD" check --policy "$POLICY" --format json - |
		python3 -c 'import json,sys; print(str(json.loads(sys.stdin.readline())["rewrite"]).lower())')"
old=$(printf 'ALTER TABLE big ALTER COLUMN s TYPE varchar(20);\n' | "$SQLWARD" check --policy "$POLICY" --format json --dsn "$DSN" - |
	python3 -c 'import json,sys; d=json.loads(sys.stdin.readline()); print(d["live"]["old_type"], d["live"]["type_rewrite"], d["rewrite"])')
assert_eq "alter type: JSON shows the old type and no rewrite" "character varying(10) False False" "$old"

# Markdown report with live facts and the safer alternative.
printf 'ALTER TABLE locked ADD COLUMN c int;\nDELETE FROM big WHERE id > 100;\nALTER TABLE nulls ALTER COLUMN n SET NOT NULL;\nALTER TABLE big ALTER COLUMN s TYPE text;\n' >"$SW_TMP/md.sql"
md=$("$SQLWARD" check --policy "$POLICY" --format markdown --dsn "$DSN" "$SW_TMP/md.sql")
assert_contains "markdown: live row" "$md" "| Live (database now) |"
assert_contains "markdown: would queue behind the old transaction" "$md" "**would queue** behind pid"
assert_contains "markdown: estimated rows" "$md" "estimated rows touched: ~"
assert_contains "markdown: table size" "$md" " MB, ~"
assert_contains "markdown: NULL count" "$md" "**SET NOT NULL would fail**"
assert_contains "markdown: old column type" "$md" "<code>character varying(10)</code> (binary-coercible: no rewrite)"
assert_contains "markdown: safer alternative" "$md" "| Safer | "

sql_admin "SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE query = 'SELECT pg_sleep(280)'" >/dev/null
sql_wait "$BG" 60
# ---- trusted_functions by owner: who owns the function is read from the live catalog ----------
sql_admin "CREATE ROLE vetted_owner" "CREATE SCHEMA app2" \
	"CREATE FUNCTION app2.report_ok() RETURNS int LANGUAGE sql AS 'SELECT 1'" \
	"ALTER FUNCTION app2.report_ok() OWNER TO vetted_owner" \
	"CREATE FUNCTION app2.report_other() RETURNS int LANGUAGE sql AS 'SELECT 1'" >/dev/null ||
	sw_die "owner fixtures: $SQL_ERR"
TPOL=$SW_TMP/trusted-owner.yaml
cat >"$TPOL" <<YAML
sqlward_policy: 1
govern: { roles: ["agent_*"] }
live: { dsn: "$DSN" }
default: allow
trusted_functions:
  - { schema: app2, owner: vetted_owner }
rules:
  - { id: hold-unknown, match: { trait: unknown_function }, action: hold }
YAML
owner_verdict() {
	"$SQLWARD" check --policy "$TPOL" --role agent_x "$@" --format json - 2>&1 | python3 -c '
import json, sys
r = json.loads(sys.stdin.readline())
print(r.get("verdict"), r.get("rule"))'
}
assert_eq "owner: a function owned by the vetted role is trusted" "allow default" \
	"$(echo "SELECT app2.report_ok();" | owner_verdict --dsn "$DSN")"
assert_eq "owner: one owned by someone else is not" "hold hold-unknown" \
	"$(echo "SELECT app2.report_other();" | owner_verdict --dsn "$DSN")"
assert_eq "owner: without the live catalog nothing is trusted by owner" "hold hold-unknown" \
	"$(echo "SELECT app2.report_ok();" | owner_verdict)"
out=$(echo "SELECT app2.report_other();" | "$SQLWARD" check --policy "$TPOL" --role agent_x --dsn "$DSN" - 2>&1)
assert_contains "owner: the reason names the owner" "$out" "owned by $SW_PG_SUPER, not by"


# ---- read-agent guardrails: `*` expansion, views, EXPLAIN cost of reads (issue 14) ----------------
sql_admin "CREATE SCHEMA app" "CREATE SCHEMA analytics_v" \
	"CREATE TABLE app.customers (id int, tenant_id int, name text, email text, card_number text)" \
	"CREATE TABLE app.orders (id int, tenant_id int, amount numeric)" \
	"CREATE VIEW analytics_v.customer_cards AS SELECT id, card_number AS cn FROM app.customers" \
	"CREATE VIEW analytics_v.cards_again AS SELECT * FROM analytics_v.customer_cards" \
	"CREATE VIEW analytics_v.contact AS SELECT id, email AS e FROM app.customers" \
	"CREATE VIEW analytics_v.customer_names AS SELECT id, name FROM app.customers" \
	"CREATE MATERIALIZED VIEW analytics_v.card_mv AS SELECT card_number FROM app.customers" >/dev/null ||
	sw_die "read fixtures: $SQL_ERR"
RPOL=$SW_TMP/reads.yaml
cat >"$RPOL" <<'YAML'
sqlward_policy: 1
default: allow
rules:
  - { id: card, match: { column: "*.card_number" }, action: deny }
  - { id: email, match: { column: "app.customers.email" }, action: deny }
  - { id: cost, match: { class: read, est_cost: ">1000000" }, action: deny }
YAML
rverdict() {  # rverdict POLICY [--dsn DSN] SQL -> "verdict rule"
	local pol=$1 args=()
	shift
	if [ "$1" = --dsn ]; then args=(--dsn "$2"); shift 2; fi
	printf '%s\n' "$1" | "$SQLWARD" check --policy "$pol" --format json "${args[@]}" - 2>"$SW_TMP/check.err" |
		python3 -c 'import json,sys; d=json.loads(sys.stdin.readline()); print(d["verdict"], d["rule"])'
}
assert_eq "star: without live context, \`*\` may hide a sensitive column (unknown: denied)" \
	"deny card" "$(rverdict "$RPOL" "SELECT * FROM app.orders WHERE id = 1;")"
assert_eq "star: expanded from the catalog, app.orders has no sensitive column" \
	"allow default" "$(rverdict "$RPOL" --dsn "$DSN" "SELECT * FROM app.orders WHERE id = 1;")"
assert_eq "star: app.customers.* includes card_number" \
	"deny card" "$(rverdict "$RPOL" --dsn "$DSN" "SELECT * FROM app.customers WHERE id = 1;")"
assert_eq "star: o.* of a join expands to that relation only" \
	"allow default" "$(rverdict "$RPOL" --dsn "$DSN" "SELECT o.* FROM app.orders o JOIN app.customers c ON c.id = o.id WHERE o.id = 1;")"
assert_eq "star: c.* of the same join is refused" \
	"deny card" "$(rverdict "$RPOL" --dsn "$DSN" "SELECT c.* FROM app.orders o JOIN app.customers c ON c.id = o.id WHERE o.id = 1;")"
assert_eq "star: a quoted, aliased reference is the same column" \
	"deny card" "$(rverdict "$RPOL" --dsn "$DSN" 'SELECT x."card_number" AS harmless FROM "app"."customers" x WHERE x.id = 1;')"
assert_eq "view: a view exposing card_number under another name is refused through its definition" \
	"deny card" "$(rverdict "$RPOL" --dsn "$DSN" "SELECT * FROM analytics_v.customer_cards WHERE id = 1;")"
assert_eq "view: by its own column name too" \
	"deny card" "$(rverdict "$RPOL" --dsn "$DSN" "SELECT cn FROM analytics_v.customer_cards WHERE id = 1;")"
assert_eq "view: a view over that view is refused" \
	"deny card" "$(rverdict "$RPOL" --dsn "$DSN" "SELECT * FROM analytics_v.cards_again WHERE id = 1;")"
assert_eq "view: a materialized view is resolved the same way" \
	"deny card" "$(rverdict "$RPOL" --dsn "$DSN" "SELECT count(*) FROM analytics_v.card_mv;")"
assert_eq "view: a table.column glob matches the view's table column (app.customers.email)" \
	"deny email" "$(rverdict "$RPOL" --dsn "$DSN" "SELECT e FROM analytics_v.contact WHERE id = 1;")"
assert_eq "view: a view without sensitive columns is allowed" \
	"allow default" "$(rverdict "$RPOL" --dsn "$DSN" "SELECT * FROM analytics_v.customer_names WHERE id = 1;")"
assert_eq "cost: a cross join of a 200000-row table is over the planner-cost bound" \
	"deny cost" "$(rverdict "$RPOL" --dsn "$DSN" "SELECT a.id FROM big a, big b;")"
assert_eq "cost: an index lookup is within it" \
	"allow default" "$(rverdict "$RPOL" --dsn "$DSN" "SELECT id FROM big WHERE id = 5;")"
assert_eq "cost: without live context the cost is unknown (denied)" \
	"deny cost" "$(rverdict "$RPOL" "SELECT id FROM big WHERE id = 5;")"
assert_eq "cost: live context unreachable, unknown (denied)" \
	"deny cost" "$(rverdict "$RPOL" --dsn "host=127.0.0.1 port=$(pg_free_port) dbname=x user=x" "SELECT id FROM big WHERE id = 5;")"
cat >"$SW_TMP/reads-other.yaml" <<'YAML'
sqlward_policy: 1
default: allow
rules:
  - { id: email, match: { column: "app.customers.email" }, action: deny }
YAML
assert_eq "star: a table.column glob of another table leaves \`*\` on this one alone, even offline" \
	"allow default" "$(rverdict "$SW_TMP/reads-other.yaml" "SELECT * FROM app.orders WHERE id = 1;")"
assert_eq "star: offline, \`*\` on the table the glob names is unknown (denied)" \
	"deny email" "$(rverdict "$SW_TMP/reads-other.yaml" "SELECT * FROM app.customers WHERE id = 1;")"

finish
