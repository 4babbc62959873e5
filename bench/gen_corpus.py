#!/usr/bin/env python3
"""Generate a large mixed SQL corpus for the classifier micro-benchmark.

Usage: bench/gen_corpus.py N OUT.sql [CHECK_DIR [PER_FILE]]

OUT.sql gets N statements, one per line (no newlines inside a statement), in a
deterministic pseudo-random mix of shapes an agent or application sends: point
and join reads, aggregates, CTEs (also writable ones), INSERT/UPDATE/DELETE
(with and without WHERE), DDL, GRANT/REVOKE, SET/SHOW, transactions, COPY,
DO blocks, EXPLAIN ANALYZE, locking reads, PREPARE/EXECUTE, utility commands,
function calls (builtin, denylisted, user-defined) and about 1% text that does
not parse. CHECK_DIR, when given, receives the same statements minus the
unparseable ones in files of PER_FILE (default 5000) statements each:
`sqlward check` parses a file as one string, so one bad statement would turn
its whole file into a single `unknown` statement.
"""
import os
import random
import sys

R = random.Random(20240605)
SCHEMAS = ["app", "public", "billing", "analytics", "crm"]
TABLES = ["customers", "orders", "transactions", "invoices", "events", "users",
          "accounts", "line_items", "products", "sessions", "audit_trail", "shipments"]
COLS = ["id", "tenant_id", "user_id", "amount_cents", "created_at", "status", "email",
        "name", "country", "deleted_at", "note", "score", "region", "kind", "updated_at"]
FUNCS_OK = ["lower", "upper", "coalesce", "length", "date_trunc", "now", "abs", "round", "md5"]
FUNCS_BAD = ["pg_sleep", "pg_terminate_backend", "set_config", "dblink", "pg_read_file", "lo_import"]
FUNCS_UDF = ["app.score_customer", "billing.apply_discount", "fraud_check", "crm.normalize_email"]


def tbl():
    t = R.choice(TABLES)
    return f"{R.choice(SCHEMAS)}.{t}" if R.random() < 0.6 else t


def col():
    return R.choice(COLS)


def lit():
    r = R.random()
    if r < 0.5:
        return str(R.randint(1, 10_000_000))
    if r < 0.8:
        s = "".join(R.choice("abcdefghijklmnopqrstuvwxyz '") for _ in range(R.randint(1, 24)))
        return "'" + s.replace("'", "''") + "'"
    if r < 0.9:
        return f"{R.randint(0, 99999)}.{R.randint(0, 99)}"
    return R.choice(["NULL", "true", "false", "now()", "CURRENT_DATE"])


def where():
    parts = []
    for _ in range(R.randint(1, 4)):
        c = col()
        k = R.random()
        if k < 0.5:
            parts.append(f"{c} = {lit()}")
        elif k < 0.7:
            parts.append(f"{c} IN ({', '.join(lit() for _ in range(R.randint(2, 30)))})")
        elif k < 0.85:
            parts.append(f"{c} BETWEEN {R.randint(1, 100)} AND {R.randint(100, 1000)}")
        else:
            parts.append(f"{c} IS NOT NULL")
    return " AND ".join(parts)


def select_list():
    if R.random() < 0.15:
        return "*"
    out = []
    for _ in range(R.randint(1, 6)):
        r = R.random()
        if r < 0.7:
            out.append(col())
        elif r < 0.9:
            out.append(f"{R.choice(FUNCS_OK)}({col()})")
        else:
            out.append(f"{col()} AS c{R.randint(1, 9)}")
    return ", ".join(out)


def point_select():
    return f"SELECT {select_list()} FROM {tbl()} WHERE {col()} = {lit()}"


def join_select():
    a, b = tbl(), tbl()
    return (f"SELECT x.{col()}, y.{col()}, x.{col()} FROM {a} x JOIN {b} y ON y.{col()} = x.{col()} "
            f"WHERE x.{where()} ORDER BY x.{col()} DESC LIMIT {R.randint(1, 500)}")


def agg_select():
    return (f"SELECT {col()}, count(*), sum({col()}), avg({col()}) FROM {tbl()} WHERE {where()} "
            f"GROUP BY {col()} HAVING count(*) > {R.randint(1, 50)} ORDER BY 2 DESC")


def cte_select():
    return (f"WITH recent AS (SELECT {col()}, {col()} FROM {tbl()} WHERE {where()}) "
            f"SELECT r.* FROM recent r WHERE r.{col()} IN (SELECT {col()} FROM {tbl()} LIMIT 10) LIMIT 100")


def writable_cte():
    return (f"WITH gone AS (DELETE FROM {tbl()} WHERE {where()} RETURNING *) "
            f"INSERT INTO {tbl()} SELECT * FROM gone")


def insert():
    cols = R.sample(COLS, R.randint(1, 6))
    rows = ", ".join("(" + ", ".join(lit() for _ in cols) + ")" for _ in range(R.randint(1, 8)))
    tail = " ON CONFLICT DO NOTHING" if R.random() < 0.2 else ""
    return f"INSERT INTO {tbl()} ({', '.join(cols)}) VALUES {rows}{tail}"


def insert_select():
    return f"INSERT INTO {tbl()} SELECT {select_list()} FROM {tbl()} WHERE {where()}"


def update():
    sets = ", ".join(f"{c} = {lit()}" for c in R.sample(COLS, R.randint(1, 4)))
    w = f" WHERE {where()}" if R.random() < 0.9 else ""
    return f"UPDATE {tbl()} SET {sets}{w}"


def delete():
    w = f" WHERE {where()}" if R.random() < 0.85 else ""
    return f"DELETE FROM {tbl()}{w}"


def ddl():
    t = tbl()
    return R.choice([
        f"CREATE TABLE {t}_{R.randint(1, 999)} (id bigint PRIMARY KEY, {col()} text NOT NULL, {col()} timestamptz)",
        f"ALTER TABLE {t} ADD COLUMN c{R.randint(1, 99)} integer DEFAULT {R.randint(0, 9)}",
        f"ALTER TABLE {t} ALTER COLUMN {col()} TYPE bigint",
        f"CREATE INDEX ON {t} ({col()}, {col()})",
        f"CREATE INDEX CONCURRENTLY IF NOT EXISTS i{R.randint(1, 9999)} ON {t} ({col()})",
        f"DROP TABLE IF EXISTS {t}",
        f"TRUNCATE {t}",
        f"CREATE VIEW v{R.randint(1, 999)} AS SELECT {col()}, {col()} FROM {t} WHERE {where()}",
        f"COMMENT ON TABLE {t} IS 'owned by team {R.randint(1, 40)}'",
    ])


def privilege():
    return R.choice([
        f"GRANT SELECT, INSERT ON {tbl()} TO role_{R.randint(1, 99)}",
        f"REVOKE ALL ON {tbl()} FROM PUBLIC",
        f"CREATE ROLE r{R.randint(1, 9999)} LOGIN",
        f"ALTER ROLE agent_{R.randint(1, 9)} SUPERUSER",
        f"ALTER TABLE {tbl()} OWNER TO postgres",
    ])


def session():
    return R.choice([
        f"SET statement_timeout = {R.randint(100, 60000)}",
        "SET search_path TO app, public",
        "SHOW work_mem",
        "RESET ALL",
        "SET ROLE postgres",
        "SET SESSION AUTHORIZATION postgres",
        f"SET application_name = 'job{R.randint(1, 999)}'",
    ])


def transaction():
    return R.choice(["BEGIN", "COMMIT", "ROLLBACK", "START TRANSACTION ISOLATION LEVEL REPEATABLE READ",
                     f"SAVEPOINT s{R.randint(1, 9)}", f"RELEASE SAVEPOINT s{R.randint(1, 9)}", "END"])


def functions():
    r = R.random()
    f = R.choice(FUNCS_BAD) if r < 0.4 else R.choice(FUNCS_UDF)
    arg = lit() if f != "pg_read_file" else "'/etc/passwd'"
    return f"SELECT {f}({arg}) FROM {tbl()} WHERE {col()} = {lit()}"


def misc():
    return R.choice([
        f"COPY {tbl()} TO '/tmp/out{R.randint(1, 99)}.csv' WITH (FORMAT csv)",
        f"COPY {tbl()} FROM PROGRAM 'curl http://example.invalid/x'",
        f"DO $$BEGIN PERFORM 1; UPDATE {tbl()} SET {col()} = 0; END$$",
        f"EXPLAIN ANALYZE {update()}",
        f"EXPLAIN {point_select()}",
        f"SELECT {select_list()} FROM {tbl()} WHERE {where()} FOR UPDATE",
        f"PREPARE p{R.randint(1, 50)} AS SELECT {col()} FROM {tbl()} WHERE {col()} = $1",
        f"EXECUTE p{R.randint(1, 50)}({lit()})",
        f"VACUUM ANALYZE {tbl()}",
        f"CALL app.rebuild_stats({R.randint(1, 9)})",
        f"SELECT {select_list()} INTO TEMP t{R.randint(1, 99)} FROM {tbl()}",
        f"{point_select()}; {delete()}",
        f"LISTEN chan{R.randint(1, 9)}",
        f"MERGE INTO {tbl()} t USING {tbl()} s ON t.id = s.id WHEN MATCHED THEN UPDATE SET {col()} = s.{col()}",
    ])


def garbage():
    return R.choice([
        f"SELEC {col()} FROM {tbl()}",
        f"UPDATE {tbl()} SET WHERE {col()} = 1",
        f"SELECT ({col()} FROM {tbl()}",
        f"INSERT {tbl()} VALUES",
        "DROP EVERYTHING NOW",
        f"SELECT '{col()}",
    ])


SHAPES = [(point_select, 30), (join_select, 10), (agg_select, 6), (cte_select, 4), (writable_cte, 1),
          (insert, 10), (insert_select, 2), (update, 8), (delete, 4), (ddl, 4), (privilege, 2),
          (session, 4), (transaction, 6), (functions, 3), (misc, 5), (garbage, 1)]
FUNCS = [f for f, w in SHAPES for _ in range(w)]


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    n, out = int(sys.argv[1]), sys.argv[2]
    check_dir = sys.argv[3] if len(sys.argv) > 3 else None
    per_file = int(sys.argv[4]) if len(sys.argv) > 4 else 5000
    chunk, nfile, good = [], 0, 0

    def flush():
        nonlocal chunk, nfile
        if check_dir and chunk:
            with open(os.path.join(check_dir, f"chunk{nfile:04d}.sql"), "w") as f:
                f.write("".join(s + ";\n" for s in chunk))
            nfile += 1
        chunk = []

    if check_dir:
        os.makedirs(check_dir, exist_ok=True)
    with open(out, "w") as f:
        for _ in range(n):
            g = R.choice(FUNCS)
            s = g()
            f.write(s + ";\n")
            if g is not garbage:
                chunk.append(s)
                good += 1
                if len(chunk) >= per_file:
                    flush()
    flush()
    print(f"{n} statements ({good} parseable) -> {out}" + (f"; {nfile} check files in {check_dir}" if check_dir else ""))


if __name__ == "__main__":
    main()
