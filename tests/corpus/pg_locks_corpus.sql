-- Lock corpus: every statement is checked against a real PostgreSQL 15 by
-- `sqlward check --verify` (tests/integration/test_impact_verify.sh) on the
-- fixtures in pg_locks_fixtures.sql. Each statement runs alone in a
-- transaction that is rolled back.

-- reads
SELECT * FROM s.parent;
SELECT id FROM s.parent WHERE id = 1;
SELECT count(*) FROM s.child;
SELECT p.id, c.qty FROM s.parent p JOIN s.child c ON c.parent_id = p.id;
SELECT * FROM s.v;
SELECT * FROM s.mv;
SELECT * FROM s.meas;
SELECT * FROM s.meas_2024;
SELECT * FROM s.parent FOR UPDATE;
SELECT * FROM s.parent FOR SHARE;
SELECT * FROM s.parent FOR NO KEY UPDATE;
SELECT * FROM s.parent FOR KEY SHARE;
SELECT * FROM s.parent p JOIN s.child c ON c.parent_id = p.id FOR UPDATE OF c;
SELECT * FROM s.plain WHERE a IN (SELECT id FROM s.other);
WITH x AS (SELECT * FROM s.parent) SELECT * FROM x;
SELECT nextval('s.seq');
SELECT * FROM "S"."Mixed";
SELECT (SELECT max(id) FROM s.other) FROM s.lonely;
EXPLAIN SELECT * FROM s.parent;
EXPLAIN UPDATE s.parent SET n = 1;
TABLE s.other;
SELECT * FROM s.parent UNION ALL SELECT id, name, v, n, note FROM s.parent;
SELECT * FROM s.nulls WHERE maybe IS NULL;
DECLARE cur CURSOR FOR SELECT * FROM s.parent;

-- writes
INSERT INTO s.parent VALUES (1000, 'x', 'y', 1, NULL);
INSERT INTO s.plain (id, a) VALUES (1000, 5);
INSERT INTO s.child VALUES (1000, 1, 1, 'c');
INSERT INTO s.child VALUES (1001, NULL, 1, 'c');
INSERT INTO s.other SELECT id + 100, n FROM s.parent;
INSERT INTO s.meas VALUES (1, '2024-03-01');
INSERT INTO s.meas VALUES (1, '2030-03-01');
INSERT INTO s.lonely VALUES (1) RETURNING id;
INSERT INTO s.other VALUES (1, 1) ON CONFLICT (id) DO NOTHING;
INSERT INTO s.other VALUES (1, 1) ON CONFLICT (id) DO UPDATE SET x = 2;
UPDATE s.parent SET name = 'z' WHERE id = 1;
UPDATE s.parent SET n = n + 1;
UPDATE s.child SET qty = 2 WHERE id = 1;
UPDATE s.child SET parent_id = 2 WHERE id = 1;
UPDATE s.plain SET b = o.x::text FROM s.other o WHERE o.id = s.plain.id;
UPDATE s.other SET x = 0 WHERE id = 1;
UPDATE "S"."Mixed" SET "Id" = 1;
DELETE FROM s.plain WHERE id = 1;
DELETE FROM s.plain;
DELETE FROM s.child WHERE id = 1;
DELETE FROM s.parent WHERE id = 100;
DELETE FROM s.lonely USING s.other WHERE s.lonely.id = s.other.id;
DELETE FROM s.meas WHERE id = 1;
MERGE INTO s.other o USING s.parent p ON o.id = p.id WHEN MATCHED THEN UPDATE SET x = p.n WHEN NOT MATCHED THEN INSERT VALUES (p.id, p.n);
WITH d AS (DELETE FROM s.lonely RETURNING id) SELECT count(*) FROM d;
WITH i AS (INSERT INTO s.other VALUES (500, 1) RETURNING id) SELECT * FROM i;
SELECT * INTO s.newcopy FROM s.parent;
CREATE TABLE s.ctas AS SELECT * FROM s.parent;
COPY s.lonely TO STDOUT;

-- truncate
TRUNCATE s.plain;
TRUNCATE s.lonely, s.nulls;
TRUNCATE s.child;
TRUNCATE s.parent CASCADE;
TRUNCATE s.other CASCADE;
TRUNCATE s.meas;
TRUNCATE s.lonely RESTART IDENTITY;

-- create
CREATE TABLE s.new1 (id int);
CREATE TABLE s.new2 (id int PRIMARY KEY, p int REFERENCES s.parent(id));
CREATE TABLE s.new3 (id int, CONSTRAINT new3_fk FOREIGN KEY (id) REFERENCES s.other(id));
CREATE TABLE s.new4 (LIKE s.parent);
CREATE TABLE s.new5 () INHERITS (s.inh_parent);
CREATE TABLE s.meas_2025 PARTITION OF s.meas FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
CREATE TABLE s.nopart_2025 PARTITION OF s.nopart FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
CREATE TABLE s.nopart_default PARTITION OF s.nopart DEFAULT;
CREATE UNLOGGED TABLE s.new6 (id int);
CREATE TEMP TABLE new7 (id int);
CREATE VIEW s.newv AS SELECT * FROM s.parent;
CREATE OR REPLACE VIEW s.v AS SELECT id, name FROM s.parent;
CREATE MATERIALIZED VIEW s.newmv AS SELECT * FROM s.other;
CREATE SEQUENCE s.newseq;
CREATE INDEX ON s.plain (b);
CREATE INDEX plain_b_idx ON s.plain (b);
CREATE UNIQUE INDEX other_x_idx ON s.other (x);
CREATE INDEX plain_expr_idx ON s.plain (lower(b));
CREATE INDEX plain_part_idx ON s.plain (a) WHERE a > 10;
CREATE INDEX meas_at_idx ON s.meas (at);
CREATE INDEX mv_name_idx ON s.mv (name);
CREATE INDEX CONCURRENTLY plain_c_idx ON s.plain (b);
CREATE TRIGGER t2 AFTER UPDATE ON s.parent FOR EACH ROW EXECUTE FUNCTION s.trg();
CREATE CONSTRAINT TRIGGER t3 AFTER INSERT ON s.child FROM s.parent FOR EACH ROW EXECUTE FUNCTION s.trg();
CREATE RULE r2 AS ON INSERT TO s.lonely DO ALSO NOTIFY lonely;
CREATE POLICY pol2 ON s.parent USING (id > 0);
CREATE STATISTICS s.st1 ON a, b FROM s.plain;

-- alter table: columns
ALTER TABLE s.plain ADD COLUMN c1 int;
ALTER TABLE s.plain ADD COLUMN c2 int DEFAULT 5;
ALTER TABLE s.plain ADD COLUMN c3 timestamptz DEFAULT now();
ALTER TABLE s.plain ADD COLUMN c4 float8 DEFAULT random();
ALTER TABLE s.plain ADD COLUMN c5 serial;
ALTER TABLE s.plain ADD COLUMN c6 int GENERATED ALWAYS AS IDENTITY;
ALTER TABLE s.plain ADD COLUMN c7 int GENERATED ALWAYS AS (a * 2) STORED;
ALTER TABLE s.plain ADD COLUMN c8 int REFERENCES s.other(id);
ALTER TABLE s.plain ADD COLUMN c9 text NOT NULL DEFAULT 'x';
-- DEFAULT volatility from the generated pg_proc data (userspace/pg_catalog_data.c):
-- textcat and int4larger are immutable built-ins the classifier's hand tables do not list,
-- statement_timestamp is stable (no rewrite); clock_timestamp and gen_random_uuid are volatile.
ALTER TABLE s.plain ADD COLUMN g1 text DEFAULT textcat('a', 'b');
ALTER TABLE s.plain ADD COLUMN g2 int DEFAULT int4larger(1, 2);
ALTER TABLE s.plain ADD COLUMN g3 timestamptz DEFAULT statement_timestamp();
ALTER TABLE s.plain ADD COLUMN g4 timestamptz DEFAULT clock_timestamp();
ALTER TABLE s.plain ADD COLUMN g5 uuid DEFAULT gen_random_uuid();
ALTER TABLE s.plain DROP COLUMN b;
ALTER TABLE s.plain ALTER COLUMN b SET DEFAULT 'q';
ALTER TABLE s.plain ALTER COLUMN b DROP DEFAULT;
ALTER TABLE s.plain ALTER COLUMN a SET NOT NULL;
ALTER TABLE s.parent ALTER COLUMN name DROP NOT NULL;
ALTER TABLE s.plain ALTER COLUMN a TYPE bigint;
ALTER TABLE s.plain ALTER COLUMN b TYPE varchar(10);
-- the old type (read by live context) decides the rewrite: varchar(20) -> varchar(40)/text,
-- text -> varchar, same type: relabel, no new relfilenode; narrowing rewrites
ALTER TABLE s.parent ALTER COLUMN v TYPE varchar(40);
ALTER TABLE s.parent ALTER COLUMN v TYPE text;
ALTER TABLE s.parent ALTER COLUMN v TYPE varchar(10);
ALTER TABLE s.plain ALTER COLUMN b TYPE varchar;
ALTER TABLE s.plain ALTER COLUMN b TYPE text;
ALTER TABLE s.plain ALTER COLUMN a TYPE int4;
ALTER TABLE s.plain ALTER COLUMN a SET STATISTICS 500;
ALTER TABLE s.plain ALTER COLUMN a SET (n_distinct = 10);
ALTER TABLE s.plain ALTER COLUMN a RESET (n_distinct);
ALTER TABLE s.plain ALTER COLUMN b SET STORAGE EXTERNAL;
ALTER TABLE s.plain ALTER COLUMN b SET COMPRESSION pglz;
ALTER TABLE s.plain RENAME COLUMN b TO bb;
ALTER TABLE s.plain ADD COLUMN x1 int, ADD COLUMN x2 int;
ALTER TABLE s.plain ALTER COLUMN a SET STATISTICS 100, ADD COLUMN x3 int;

-- alter table: constraints
ALTER TABLE s.plain ADD CONSTRAINT plain_chk CHECK (a > 0);
ALTER TABLE s.plain ADD CONSTRAINT plain_chk2 CHECK (a > 0) NOT VALID;
ALTER TABLE s.plain VALIDATE CONSTRAINT plain_a_check;
ALTER TABLE s.plain DROP CONSTRAINT plain_a_check;
ALTER TABLE s.plain ADD CONSTRAINT plain_fk FOREIGN KEY (a) REFERENCES s.other(id) NOT VALID;
ALTER TABLE s.lonely ADD CONSTRAINT lonely_fk FOREIGN KEY (id) REFERENCES s.other(id);
ALTER TABLE s.child DROP CONSTRAINT child_parent_fk;
ALTER TABLE s.child2 VALIDATE CONSTRAINT child2_fk;
ALTER TABLE s.lonely ADD PRIMARY KEY (id);
ALTER TABLE s.lonely ADD CONSTRAINT lonely_uq UNIQUE (id);
ALTER TABLE s.plain RENAME CONSTRAINT plain_a_check TO plain_a_positive;
ALTER TABLE s.child ALTER CONSTRAINT child_parent_fk DEFERRABLE;

-- alter table: other
ALTER TABLE s.plain SET (fillfactor = 70);
ALTER TABLE s.plain SET (autovacuum_enabled = false);
ALTER TABLE s.plain RESET (fillfactor);
ALTER TABLE s.plain SET (parallel_workers = 2);
ALTER TABLE s.plain CLUSTER ON plain_a_idx;
ALTER TABLE s.plain SET WITHOUT CLUSTER;
ALTER TABLE s.plain ENABLE TRIGGER plain_trg;
ALTER TABLE s.plain DISABLE TRIGGER plain_trg;
ALTER TABLE s.plain DISABLE TRIGGER ALL;
ALTER TABLE s.plain ENABLE TRIGGER USER;
ALTER TABLE s.plain ENABLE ROW LEVEL SECURITY;
ALTER TABLE s.plain DISABLE ROW LEVEL SECURITY;
ALTER TABLE s.plain FORCE ROW LEVEL SECURITY;
ALTER TABLE s.plain REPLICA IDENTITY FULL;
ALTER TABLE s.plain SET UNLOGGED;
ALTER TABLE s.unl SET LOGGED;
-- (SET ACCESS METHOD is left out: a stock server has only heap, and setting
-- the method a table already has is a no-op that the static analysis calls a rewrite.)
ALTER TABLE s.plain RENAME TO plain2;
ALTER TABLE s.plain SET SCHEMA public;
ALTER TABLE s.plain OWNER TO CURRENT_USER;
ALTER TABLE s.lonely INHERIT s.inh_parent;
ALTER TABLE s.meas ATTACH PARTITION s.meas_new FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
ALTER TABLE s.nopart ATTACH PARTITION s.nopart_new FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
ALTER TABLE s.meas DETACH PARTITION s.meas_2024;
ALTER TABLE s.nopart DETACH PARTITION s.nopart_2024;
ALTER TABLE s.meas DETACH PARTITION s.meas_2024 CONCURRENTLY;
ALTER INDEX s.plain_a_idx RENAME TO plain_a_idx2;
ALTER INDEX s.plain_a_idx SET (fillfactor = 80);
ALTER VIEW s.v RENAME TO v2;
ALTER MATERIALIZED VIEW s.mv RENAME TO mv2;
ALTER SEQUENCE s.seq RESTART WITH 10;
ALTER SEQUENCE s.seq RENAME TO seq2;

-- drop
DROP TABLE s.lonely;
DROP TABLE s.nulls, s.lonely;
DROP TABLE s.child;
DROP TABLE s.parent CASCADE;
DROP TABLE s.meas_2024;
DROP TABLE IF EXISTS s.missing_table;
DROP INDEX s.plain_a_idx;
DROP INDEX s.lonely_idx;
DROP INDEX CONCURRENTLY s.plain_a_idx;
DROP VIEW s.v;
DROP VIEW s.pv;
DROP MATERIALIZED VIEW s.mv;
DROP SEQUENCE s.seq;
DROP TRIGGER plain_trg ON s.plain;
DROP POLICY plain_pol ON s.plain;
DROP RULE nulls_rule ON s.nulls;
DROP TABLE s.plain CASCADE;

-- maintenance and utility
VACUUM s.plain;
VACUUM FULL s.plain;
ANALYZE s.plain;
ANALYZE s.plain (a);
CLUSTER s.plain USING plain_a_idx;
REINDEX TABLE s.plain;
REINDEX INDEX s.plain_a_idx;
REINDEX TABLE CONCURRENTLY s.plain;
REFRESH MATERIALIZED VIEW s.mv;
REFRESH MATERIALIZED VIEW CONCURRENTLY s.mv;
LOCK TABLE s.plain;
LOCK TABLE s.plain IN ACCESS SHARE MODE;
LOCK TABLE s.plain IN ROW SHARE MODE;
LOCK TABLE s.plain IN ROW EXCLUSIVE MODE;
LOCK TABLE s.plain IN SHARE UPDATE EXCLUSIVE MODE;
LOCK TABLE s.plain IN SHARE MODE;
LOCK TABLE s.plain IN SHARE ROW EXCLUSIVE MODE;
LOCK TABLE s.plain IN EXCLUSIVE MODE;
LOCK TABLE s.plain, s.other IN SHARE MODE;
COMMENT ON TABLE s.plain IS 'plain';
COMMENT ON COLUMN s.plain.a IS 'a';
GRANT SELECT ON s.plain TO PUBLIC;
REVOKE SELECT ON s.plain FROM PUBLIC;

-- comment on (commands/comment.c CommentObject -> get_object_address)
COMMENT ON INDEX s.plain_a_idx IS 'x';
COMMENT ON VIEW s.v IS 'x';
COMMENT ON MATERIALIZED VIEW s.mv IS 'x';
COMMENT ON SEQUENCE s.seq IS 'x';
COMMENT ON CONSTRAINT plain_a_check ON s.plain IS 'x';
COMMENT ON TRIGGER plain_trg ON s.plain IS 'x';
COMMENT ON POLICY plain_pol ON s.plain IS 'x';
COMMENT ON RULE nulls_rule ON s.nulls IS 'x';
COMMENT ON SCHEMA s IS 'x';
COMMENT ON FUNCTION s.trg() IS 'x';

-- grant / revoke (aclchk.c: no relation lock)
GRANT SELECT (a) ON s.plain TO PUBLIC;
GRANT USAGE ON SEQUENCE s.seq TO PUBLIC;
GRANT SELECT ON ALL TABLES IN SCHEMA s TO PUBLIC;
REVOKE ALL ON s.parent FROM PUBLIC;
GRANT USAGE ON SCHEMA s TO PUBLIC;

-- sequence functions (sequence.c init_sequence: RowExclusiveLock on the sequence)
SELECT setval('s.seq', 5);
SELECT nextval('s.seq'), currval('s.seq');
SELECT pg_catalog.setval('s.seq'::regclass, 3, true);
SELECT nextval('s.seq') FROM s.other;

-- copy (copy.c DoCopy); as in a psql script, COPY ... FROM STDIN data ends at \. (none here)
COPY s.lonely FROM STDIN;
\.
COPY s.meas FROM STDIN;
\.
COPY s.child FROM STDIN;
\.
COPY s.parent (id, name) TO STDOUT;
COPY (SELECT * FROM s.parent) TO STDOUT;

-- relation options (reloptions.c lock levels): view options need AccessExclusiveLock
ALTER TABLE s.plain SET (toast_tuple_target = 200);
ALTER TABLE s.plain SET (user_catalog_table = true);
ALTER TABLE s.plain SET (toast.autovacuum_enabled = false);
ALTER TABLE s.plain SET (vacuum_truncate = false, fillfactor = 50);
ALTER TABLE s.plain SET (fillfactor = 50, user_catalog_table = false);
ALTER VIEW s.v SET (security_barrier = true);
ALTER VIEW s.v SET (check_option = local);
ALTER VIEW s.v SET (security_invoker = true);
ALTER VIEW s.v RESET (security_barrier);
ALTER MATERIALIZED VIEW s.mv SET (fillfactor = 80);

-- alter table on partitioned and inheritance parents (recursion: tablecmds.c ATPrepCmd)
ALTER TABLE s.meas ADD COLUMN z int;
ALTER TABLE s.inh_parent ADD COLUMN z int;
ALTER TABLE s.meas ALTER COLUMN id SET STATISTICS 100;
ALTER TABLE s.meas ALTER COLUMN id SET DEFAULT 1;
ALTER TABLE s.meas ADD CONSTRAINT mc CHECK (id > 0);
ALTER TABLE s.meas ALTER COLUMN id SET NOT NULL;
ALTER TABLE s.meas ALTER COLUMN id TYPE bigint;
ALTER TABLE s.meas DROP COLUMN id;
ALTER TABLE s.meas RENAME COLUMN id TO id2;
ALTER TABLE s.inh_parent RENAME COLUMN id TO id2;
ALTER TABLE s.meas OWNER TO CURRENT_USER;
ALTER TABLE s.meas ENABLE TRIGGER ALL;
ALTER TABLE ONLY s.meas ALTER COLUMN id SET STATISTICS 10;

-- drop not null (AccessExclusiveLock, recursing to partitions)
ALTER TABLE s.nn ALTER COLUMN id DROP NOT NULL;
ALTER TABLE s.meas_nn ALTER COLUMN id DROP NOT NULL;

-- add column not null without a default: refused when the table has rows
ALTER TABLE s.lonely ADD COLUMN nn int NOT NULL;
ALTER TABLE s.plain ADD COLUMN nn int NOT NULL;
ALTER TABLE s.plain ADD COLUMN nn2 int NOT NULL DEFAULT 0;

-- detach concurrently (refused in a transaction block; with a default partition PostgreSQL 15 refuses it anyway)
ALTER TABLE s.nopart DETACH PARTITION s.nopart_2024 CONCURRENTLY;

-- domains (typecmds.c get_rels_with_domain: ShareLock on every table using the domain)
ALTER DOMAIN s.posint ADD CONSTRAINT pos CHECK (VALUE > 0);
ALTER DOMAIN s.posint ADD CONSTRAINT pos CHECK (VALUE > 0) NOT VALID;
ALTER DOMAIN s.posint SET NOT NULL;
ALTER DOMAIN s.nulldom SET NOT NULL;
ALTER DOMAIN s.posint DROP NOT NULL;
ALTER DOMAIN s.posint SET DEFAULT 1;
CREATE DOMAIN s.newdom AS text;

-- functions (PL/pgSQL bodies are not parse-analysed at CREATE; SQL bodies are, and lock what they name)
CREATE FUNCTION s.f6() RETURNS bigint LANGUAGE sql AS 'SELECT count(*) FROM s.other';
CREATE FUNCTION s.f7(int) RETURNS void LANGUAGE sql AS 'INSERT INTO s.plain (id) VALUES ($1); SELECT 1 FROM s.other LIMIT 0';
CREATE OR REPLACE PROCEDURE s.p8() LANGUAGE sql AS $b$ UPDATE s.plain SET a = 1 WHERE id = 0 $b$;
CREATE FUNCTION s.f4() RETURNS int LANGUAGE plpgsql AS 'BEGIN PERFORM 1 FROM s.other; RETURN 1; END';
CREATE FUNCTION s.f5(anyelement) RETURNS bigint LANGUAGE sql AS 'SELECT count(*) FROM s.other';
ALTER FUNCTION s.trg() COST 5;

-- maintenance: conservative and catalog-found
ANALYZE s.meas;
CLUSTER;
VACUUM s.lonely;
VACUUM (TRUNCATE false) s.lonely;

-- other catalog-only statements
CREATE SCHEMA s2;
CREATE TYPE s.mood AS ENUM ('a', 'b');
CREATE ROLE lock_corpus_role;
ALTER TABLE s.plain ALTER COLUMN a SET (n_distinct = 5);
