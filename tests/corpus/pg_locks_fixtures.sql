-- Fixtures for tests/corpus/pg_locks_corpus.sql (sqlward check --verify).
-- Loaded once into a throwaway database; every corpus statement then runs
-- in its own transaction and is rolled back, so each sees exactly this.
CREATE SCHEMA s;
CREATE TABLE s.parent (id int PRIMARY KEY, name text, v varchar(20), n int, note text);
INSERT INTO s.parent SELECT g, 'n' || g, 'v' || g, g, NULL FROM generate_series(1, 100) g;
CREATE TABLE s.child (id int PRIMARY KEY, parent_id int CONSTRAINT child_parent_fk REFERENCES s.parent(id),
                      qty int, c text);
INSERT INTO s.child SELECT g, g, g, 'x' FROM generate_series(1, 50) g;
CREATE TABLE s.plain (id int, a int, b text, d date);
INSERT INTO s.plain SELECT g, g, 'b', date '2024-05-01' FROM generate_series(1, 100) g;
CREATE INDEX plain_a_idx ON s.plain (a);
ALTER TABLE s.plain ADD CONSTRAINT plain_a_check CHECK (a > 0) NOT VALID;
CREATE TABLE s.other (id int PRIMARY KEY, x int);
INSERT INTO s.other SELECT g, g FROM generate_series(1, 10) g;
CREATE TABLE s.ref2 (id int PRIMARY KEY, other_id int CONSTRAINT ref2_other_fk REFERENCES s.other(id));
CREATE TABLE s.meas (id int, at date NOT NULL) PARTITION BY RANGE (at);
CREATE TABLE s.meas_2024 PARTITION OF s.meas FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE TABLE s.meas_default PARTITION OF s.meas DEFAULT;
CREATE TABLE s.meas_new (id int, at date NOT NULL);
CREATE TABLE s.nopart (id int, at date NOT NULL) PARTITION BY RANGE (at);
CREATE TABLE s.nopart_2024 PARTITION OF s.nopart FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE TABLE s.nopart_new (id int, at date NOT NULL);
CREATE MATERIALIZED VIEW s.mv AS SELECT id, name FROM s.parent;
CREATE UNIQUE INDEX mv_id ON s.mv (id);
CREATE VIEW s.v AS SELECT id, name FROM s.parent;
CREATE VIEW s.pv AS SELECT id FROM s.plain;
CREATE SEQUENCE s.seq;
CREATE TABLE s.inh_parent (id int);
CREATE TABLE s.nulls (id int, maybe int);
INSERT INTO s.nulls VALUES (1, NULL), (2, 2);
CREATE FUNCTION s.trg() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN RETURN NEW; END$$;
CREATE TRIGGER plain_trg BEFORE INSERT ON s.plain FOR EACH ROW EXECUTE FUNCTION s.trg();
CREATE POLICY plain_pol ON s.plain USING (true);
CREATE RULE nulls_rule AS ON UPDATE TO s.nulls DO ALSO NOTIFY nulls_changed;
CREATE UNLOGGED TABLE s.unl (id int);
CREATE TABLE s.child2 (id int, parent_id int);
ALTER TABLE s.child2 ADD CONSTRAINT child2_fk FOREIGN KEY (parent_id) REFERENCES s.parent (id) NOT VALID;
CREATE TABLE s.lonely (id int);
CREATE INDEX lonely_idx ON s.lonely (id);
CREATE SCHEMA "S";
CREATE TABLE "S"."Mixed" ("Id" int);
-- Lock-table categories (pg_lock_table.c): domains, inheritance children, NOT NULL columns.
CREATE DOMAIN s.posint AS int;
CREATE TABLE s.dom_user (id int, p s.posint);
INSERT INTO s.dom_user VALUES (1, 1), (2, 2);
CREATE TABLE s.dom_user2 (q s.posint);
CREATE DOMAIN s.nulldom AS int;
CREATE TABLE s.dom_nulls (p s.nulldom);
INSERT INTO s.dom_nulls VALUES (NULL);
CREATE TABLE s.inh_child () INHERITS (s.inh_parent);
CREATE TABLE s.nn (id int NOT NULL, t text);
CREATE TABLE s.meas_nn (id int NOT NULL, at date NOT NULL) PARTITION BY RANGE (at);
CREATE TABLE s.meas_nn_1 PARTITION OF s.meas_nn FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
