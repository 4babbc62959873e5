/* MariaDB 10.11 / InnoDB impact (my_impact.c): online-DDL algorithm, lock, rebuild, metadata locks. */
#include "unit.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "my_classify.h"
#include "my_impact.h"

static struct sw_analysis an;

static struct sw_stmt *one(const char *sql)
{
	sw_analysis_free(&an);
	sw_my_analyze(sql, 0, &an);
	assert_true(an.parse_ok);
	assert_int_equal(an.n_stmts, 1);
	assert_non_null(an.stmts[0].impact);
	return &an.stmts[0];
}

static const struct sw_my_ddl *ddl(const char *sql)
{
	const struct sw_my_ddl *d = sw_my_ddl_of(one(sql));
	assert_non_null(d);
	return d;
}

static enum sw_lockmode lock_on(const struct sw_stmt *st, const char *obj)
{
	for (size_t i = 0; i < st->n_objects; i++)
		if (strcmp(st->objects[i].name, obj) == 0)
			return st->objects[i].lock;
	fail_msg("no object %s", obj);
	return SW_LOCK_NONE;
}

#define EXPECT(sql, alg, lk, rebuild_) do { \
	const struct sw_my_ddl *d_ = ddl(sql); \
	if (d_->algorithm != (alg) || d_->lock != (lk) || d_->rebuild != (rebuild_)) \
		fail_msg("%s: got %s LOCK=%s rebuild=%d (%s)", sql, sw_my_algorithm_name(d_->algorithm), \
			 sw_my_alter_lock_name(d_->lock), d_->rebuild, d_->summary); \
	assert_null(d_->refusal); \
} while (0)

static void mdl_modes(void **state)
{
	(void)state;
	assert_int_equal(sw_lock_parse("MDL_SHARED_UPGRADABLE"), SW_LOCK_MDL_SHARED_UPGRADABLE);
	assert_int_equal(sw_lock_parse("shared_no_write"), SW_LOCK_MDL_SHARED_NO_WRITE);
	assert_int_equal(sw_lock_parse("mdl_exclusive"), SW_LOCK_MDL_EXCLUSIVE);
	assert_int_equal(sw_lock_parse("Exclusive"), SW_LOCK_EXCLUSIVE); /* PostgreSQL's name wins */
	assert_string_equal(sw_lock_name(SW_LOCK_MDL_SHARED_READ), "MDL_SHARED_READ");
	/* sql/mdl.cc m_granted_incompatible, symmetric */
	for (int x = SW_LOCK_MDL_FIRST; x <= SW_LOCK_MDL_LAST; x++)
		for (int y = SW_LOCK_MDL_FIRST; y <= SW_LOCK_MDL_LAST; y++)
			assert_int_equal(sw_lock_conflicts(x, y), sw_lock_conflicts(y, x));
	assert_false(sw_lock_conflicts(SW_LOCK_MDL_SHARED_UPGRADABLE, SW_LOCK_MDL_SHARED_WRITE));
	assert_true(sw_lock_conflicts(SW_LOCK_MDL_SHARED_UPGRADABLE, SW_LOCK_MDL_SHARED_UPGRADABLE));
	assert_true(sw_lock_conflicts(SW_LOCK_MDL_SHARED_NO_WRITE, SW_LOCK_MDL_SHARED_WRITE));
	assert_false(sw_lock_conflicts(SW_LOCK_MDL_SHARED_NO_WRITE, SW_LOCK_MDL_SHARED_READ));
	assert_true(sw_lock_conflicts(SW_LOCK_MDL_EXCLUSIVE, SW_LOCK_MDL_SHARED_HIGH_PRIO));
	assert_false(sw_lock_conflicts(SW_LOCK_MDL_SHARED_READ_ONLY, SW_LOCK_MDL_SHARED_UPGRADABLE));
	assert_false(sw_lock_conflicts(SW_LOCK_MDL_EXCLUSIVE, SW_LOCK_ACCESS_EXCLUSIVE)); /* engines never meet */
	/* policy `lock:` matching: blocks at least what min blocks, within one engine */
	assert_true(sw_lock_at_least(SW_LOCK_MDL_EXCLUSIVE, SW_LOCK_MDL_SHARED_NO_WRITE));
	assert_true(sw_lock_at_least(SW_LOCK_MDL_SHARED_NO_WRITE, SW_LOCK_MDL_SHARED_UPGRADABLE));
	assert_false(sw_lock_at_least(SW_LOCK_MDL_SHARED_UPGRADABLE, SW_LOCK_MDL_SHARED_NO_WRITE));
	assert_false(sw_lock_at_least(SW_LOCK_MDL_SHARED_READ_ONLY, SW_LOCK_MDL_SHARED_UPGRADABLE));
	assert_false(sw_lock_at_least(SW_LOCK_MDL_EXCLUSIVE, SW_LOCK_ACCESS_SHARE));
	assert_false(sw_lock_at_least(SW_LOCK_ACCESS_EXCLUSIVE, SW_LOCK_MDL_SHARED));
	assert_int_equal(sw_lock_stronger(SW_LOCK_MDL_SHARED_READ, SW_LOCK_MDL_SHARED_WRITE), SW_LOCK_MDL_SHARED_WRITE);
	assert_int_equal(sw_lock_stronger(SW_LOCK_MDL_EXCLUSIVE, SW_LOCK_MDL_SHARED_UPGRADABLE), SW_LOCK_MDL_EXCLUSIVE);
	assert_true(sw_mdl_blocks_reads(SW_LOCK_MDL_EXCLUSIVE));
	assert_false(sw_mdl_blocks_reads(SW_LOCK_MDL_SHARED_NO_WRITE));
	assert_true(sw_mdl_blocks_writes(SW_LOCK_MDL_SHARED_NO_WRITE));
	assert_false(sw_mdl_blocks_writes(SW_LOCK_MDL_SHARED_UPGRADABLE));
}

static void reads_and_writes(void **state)
{
	struct sw_stmt *st;
	(void)state;
	st = one("SELECT a FROM t JOIN u ON t.id = u.id");
	assert_int_equal(lock_on(st, "t"), SW_LOCK_MDL_SHARED_READ);
	assert_int_equal(lock_on(st, "u"), SW_LOCK_MDL_SHARED_READ);
	assert_null(sw_my_ddl_of(st));
	assert_int_equal(st->impact->reversibility, SW_REV_NONE_NEEDED);
	st = one("SELECT a FROM t WHERE id = 1 FOR UPDATE");
	assert_int_equal(lock_on(st, "t"), SW_LOCK_MDL_SHARED_WRITE);
	st = one("UPDATE t SET a = 1 WHERE id = 2");
	assert_int_equal(lock_on(st, "t"), SW_LOCK_MDL_SHARED_WRITE);
	assert_false(st->impact->scan);
	assert_false(st->rewrites_table);
	st = one("DELETE FROM t");
	assert_int_equal(lock_on(st, "t"), SW_LOCK_MDL_SHARED_WRITE);
	assert_true(st->impact->scan);
	st = one("INSERT INTO t (a) VALUES (1)");
	assert_int_equal(st->impact->strongest, SW_LOCK_MDL_SHARED_WRITE);
}

static void exclusive_statements(void **state)
{
	struct sw_stmt *st;
	(void)state;
	st = one("DROP TABLE a, b");
	assert_int_equal(lock_on(st, "a"), SW_LOCK_MDL_EXCLUSIVE);
	assert_int_equal(lock_on(st, "b"), SW_LOCK_MDL_EXCLUSIVE);
	assert_int_equal(st->impact->reversibility, SW_REV_BACKUP_ONLY);
	st = one("TRUNCATE TABLE t");
	assert_int_equal(lock_on(st, "t"), SW_LOCK_MDL_EXCLUSIVE);
	assert_true(st->impact->new_storage);
	assert_false(st->impact->rewrite);
	st = one("RENAME TABLE a TO b, c TO d");
	assert_int_equal(lock_on(st, "a"), SW_LOCK_MDL_EXCLUSIVE);
	assert_int_equal(lock_on(st, "d"), SW_LOCK_MDL_EXCLUSIVE);
}

static void columns(void **state)
{
	const struct sw_my_ddl *d;
	struct sw_stmt *st;
	(void)state;
	EXPECT("ALTER TABLE orders ADD COLUMN x int", SW_MY_ALG_INSTANT, SW_MY_LOCK_NONE, false);
	d = ddl("ALTER TABLE orders ADD COLUMN x int");
	assert_string_equal(d->summary, "INSTANT, metadata only, no table rebuild");
	assert_int_equal(d->mdl_held, SW_LOCK_MDL_SHARED_UPGRADABLE);
	assert_int_equal(d->mdl_brief, SW_LOCK_MDL_EXCLUSIVE);
	st = &an.stmts[0];
	assert_int_equal(lock_on(st, "orders"), SW_LOCK_MDL_SHARED_UPGRADABLE);
	assert_false(st->rewrites_table);
	EXPECT("ALTER TABLE t ADD COLUMN x int FIRST, ADD y varchar(10) AFTER a", SW_MY_ALG_INSTANT, SW_MY_LOCK_NONE, false);
	EXPECT("ALTER TABLE t ADD COLUMN (x int, y int)", SW_MY_ALG_INSTANT, SW_MY_LOCK_NONE, false);
	assert_int_equal(ddl("ALTER TABLE t ADD COLUMN (x int, y int)")->n_items, 2);
	EXPECT("ALTER TABLE t ADD COLUMN id2 int NOT NULL AUTO_INCREMENT UNIQUE", SW_MY_ALG_INPLACE, SW_MY_LOCK_SHARED, true);
	EXPECT("ALTER TABLE t ADD COLUMN s int AS (a + 1) STORED", SW_MY_ALG_COPY, SW_MY_LOCK_SHARED, true);
	EXPECT("ALTER TABLE t RENAME COLUMN a TO b", SW_MY_ALG_INSTANT, SW_MY_LOCK_NONE, false);
	EXPECT("ALTER TABLE t ALTER COLUMN a SET DEFAULT 5", SW_MY_ALG_INSTANT, SW_MY_LOCK_NONE, false);
	/* DROP COLUMN: the indexes decide; offline the worst case, not certain */
	d = ddl("ALTER TABLE t DROP COLUMN c");
	assert_int_equal(d->algorithm, SW_MY_ALG_INPLACE);
	assert_false(d->certain);
	/* MODIFY/CHANGE offline: the old type is unknown -> COPY, not certain */
	d = ddl("ALTER TABLE t MODIFY c bigint");
	assert_int_equal(d->algorithm, SW_MY_ALG_COPY);
	assert_int_equal(d->lock, SW_MY_LOCK_SHARED);
	assert_false(d->certain);
	assert_int_equal(d->mdl_held, SW_LOCK_MDL_SHARED_NO_WRITE);
	assert_true(an.stmts[0].rewrites_table);
}

/* MODIFY / CHANGE / DROP COLUMN decided with the table's definition (what live context reads). */
static void columns_with_facts(void **state)
{
	struct sw_my_old_column cols[] = {
		{ .name = "c", .data_type = "varchar", .char_max_len = 50, .octet_max_len = 200, .nullable = true },
		{ .name = "n", .data_type = "int", .char_max_len = -1, .octet_max_len = -1, .nullable = false },
		{ .name = "k", .data_type = "int", .char_max_len = -1, .octet_max_len = -1, .nullable = true,
		  .indexed = true },
		{ .name = "l", .data_type = "varchar", .char_max_len = 10, .octet_max_len = 10, .nullable = true },
	};
	struct sw_my_table_facts f = { .row_format = "dynamic", .engine = "innodb", .cols = cols, .n_cols = 4 };
	struct sw_my_table_facts red = f;
	const struct sw_my_ddl *d;
	struct sw_stmt *st;
	(void)state;
	red.row_format = "redundant";
#define REFINED(sql, facts, alg, lk, rebuild_) do { \
	st = one(sql); sw_my_impact_refine(st, facts, false); d = sw_my_ddl_of(st); \
	if (d->algorithm != (alg) || d->lock != (lk) || d->rebuild != (rebuild_) || !d->certain) \
		fail_msg("%s: got %s LOCK=%s rebuild=%d (%s)", sql, sw_my_algorithm_name(d->algorithm), \
			 sw_my_alter_lock_name(d->lock), d->rebuild, d->summary); \
} while (0)
	/* metadata-only: same type, rename, reorder, VARCHAR growth within the same length bytes */
	REFINED("ALTER TABLE t MODIFY c varchar(50)", &f, SW_MY_ALG_INSTANT, SW_MY_LOCK_NONE, false);
	REFINED("ALTER TABLE t CHANGE c c2 varchar(50)", &f, SW_MY_ALG_INSTANT, SW_MY_LOCK_NONE, false);
	REFINED("ALTER TABLE t MODIFY c varchar(50) FIRST", &f, SW_MY_ALG_INSTANT, SW_MY_LOCK_NONE, false);
	REFINED("ALTER TABLE t MODIFY c varchar(60)", &f, SW_MY_ALG_INSTANT, SW_MY_LOCK_NONE, false);
	REFINED("ALTER TABLE t MODIFY l varchar(255)", &f, SW_MY_ALG_INSTANT, SW_MY_LOCK_NONE, false);
	/* across 255 bytes (4-byte characters: 64 * 4 = 256), shorter, other type */
	REFINED("ALTER TABLE t MODIFY c varchar(64)", &f, SW_MY_ALG_COPY, SW_MY_LOCK_SHARED, true);
	REFINED("ALTER TABLE t MODIFY l varchar(256)", &f, SW_MY_ALG_COPY, SW_MY_LOCK_SHARED, true);
	REFINED("ALTER TABLE t MODIFY l varchar(256)", &red, SW_MY_ALG_INSTANT, SW_MY_LOCK_NONE, false);
	REFINED("ALTER TABLE t MODIFY c varchar(20)", &f, SW_MY_ALG_COPY, SW_MY_LOCK_SHARED, true);
	REFINED("ALTER TABLE t MODIFY n bigint NOT NULL", &f, SW_MY_ALG_COPY, SW_MY_LOCK_SHARED, true);
	REFINED("ALTER TABLE t MODIFY n integer NOT NULL", &f, SW_MY_ALG_INSTANT, SW_MY_LOCK_NONE, false);
	/* NULL -> NOT NULL: rows checked, rebuilt in place; NOT NULL -> NULL: rebuild unless REDUNDANT */
	REFINED("ALTER TABLE t MODIFY c varchar(50) NOT NULL", &f, SW_MY_ALG_INPLACE, SW_MY_LOCK_NONE, true);
	assert_true(d->scan);
	REFINED("ALTER TABLE t MODIFY n int NULL", &f, SW_MY_ALG_INPLACE, SW_MY_LOCK_NONE, true);
	REFINED("ALTER TABLE t MODIFY n int NULL", &red, SW_MY_ALG_INSTANT, SW_MY_LOCK_NONE, false);
	/* DROP COLUMN: instant unless indexed */
	REFINED("ALTER TABLE t DROP COLUMN c", &f, SW_MY_ALG_INSTANT, SW_MY_LOCK_NONE, false);
	REFINED("ALTER TABLE t DROP COLUMN k", &f, SW_MY_ALG_INPLACE, SW_MY_LOCK_NONE, true);
	/* a FULLTEXT index forbids instant ADD COLUMN */
	f.has_fulltext = true;
	REFINED("ALTER TABLE t ADD COLUMN z int", &f, SW_MY_ALG_INPLACE, SW_MY_LOCK_NONE, true);
	REFINED("ALTER TABLE t ADD FULLTEXT INDEX ft(c)", &f, SW_MY_ALG_NOCOPY, SW_MY_LOCK_SHARED, false);
	/* the facts travel with copies of the statement */
	{
		struct sw_stmt copy;
		memset(&copy, 0, sizeof(copy));
		sw_stmt_copy(&copy, st);
		assert_non_null(sw_my_ddl_of(&copy));
		assert_int_equal(sw_my_ddl_of(&copy)->algorithm, SW_MY_ALG_NOCOPY);
		sw_stmt_free(&copy);
	}
#undef REFINED
}

static void indexes_and_keys(void **state)
{
	const struct sw_my_ddl *d;
	struct sw_stmt *st;
	(void)state;
	EXPECT("ALTER TABLE t ADD INDEX i (a)", SW_MY_ALG_NOCOPY, SW_MY_LOCK_NONE, false);
	assert_true(ddl("ALTER TABLE t ADD INDEX i (a)")->scan);
	EXPECT("ALTER TABLE t ADD UNIQUE KEY u (a, b)", SW_MY_ALG_NOCOPY, SW_MY_LOCK_NONE, false);
	EXPECT("CREATE INDEX i ON t (a)", SW_MY_ALG_NOCOPY, SW_MY_LOCK_NONE, false);
	EXPECT("CREATE UNIQUE INDEX i ON t (a)", SW_MY_ALG_NOCOPY, SW_MY_LOCK_NONE, false);
	EXPECT("ALTER TABLE t DROP INDEX i", SW_MY_ALG_NOCOPY, SW_MY_LOCK_NONE, false);
	EXPECT("DROP INDEX i ON t", SW_MY_ALG_NOCOPY, SW_MY_LOCK_NONE, false);
	EXPECT("ALTER TABLE t RENAME INDEX i TO j", SW_MY_ALG_INSTANT, SW_MY_LOCK_NONE, false);
	EXPECT("ALTER TABLE t ADD SPATIAL INDEX g (geo)", SW_MY_ALG_NOCOPY, SW_MY_LOCK_SHARED, false);
	EXPECT("ALTER TABLE t ADD FULLTEXT INDEX ft (body)", SW_MY_ALG_INPLACE, SW_MY_LOCK_SHARED, true);
	EXPECT("ALTER TABLE t ADD PRIMARY KEY (id)", SW_MY_ALG_INPLACE, SW_MY_LOCK_NONE, true);
	EXPECT("ALTER TABLE t ADD CONSTRAINT pk PRIMARY KEY (id)", SW_MY_ALG_INPLACE, SW_MY_LOCK_NONE, true);
	EXPECT("ALTER TABLE t DROP PRIMARY KEY", SW_MY_ALG_COPY, SW_MY_LOCK_SHARED, true);
	EXPECT("ALTER TABLE t DROP PRIMARY KEY, ADD PRIMARY KEY (id, b)", SW_MY_ALG_INPLACE, SW_MY_LOCK_NONE, true);
	/* foreign keys: foreign_key_checks decides */
	EXPECT("ALTER TABLE c ADD CONSTRAINT fk FOREIGN KEY (pid) REFERENCES p (id)", SW_MY_ALG_COPY, SW_MY_LOCK_SHARED, true);
	st = one("ALTER TABLE c ADD FOREIGN KEY (pid) REFERENCES p (id)");
	sw_my_impact_refine(st, NULL, true);
	d = sw_my_ddl_of(st);
	assert_int_equal(d->algorithm, SW_MY_ALG_NOCOPY); /* the server builds the index the key needs */
	assert_true(d->fk_checks_off);
	EXPECT("ALTER TABLE c DROP FOREIGN KEY fk", SW_MY_ALG_INSTANT, SW_MY_LOCK_NONE, false);
	/* an index plus instant changes: the least efficient wins */
	EXPECT("ALTER TABLE t ADD COLUMN x int, ADD INDEX (x)", SW_MY_ALG_NOCOPY, SW_MY_LOCK_NONE, false);
}

static void table_operations(void **state)
{
	struct sw_stmt *st;
	const struct sw_my_ddl *d;
	(void)state;
	EXPECT("ALTER TABLE t ENGINE=InnoDB", SW_MY_ALG_INPLACE, SW_MY_LOCK_NONE, true);
	EXPECT("ALTER TABLE t ENGINE = Aria", SW_MY_ALG_COPY, SW_MY_LOCK_SHARED, true);
	EXPECT("ALTER TABLE t ROW_FORMAT=DYNAMIC", SW_MY_ALG_INPLACE, SW_MY_LOCK_NONE, true);
	EXPECT("ALTER TABLE t ENGINE=InnoDB ROW_FORMAT=COMPRESSED", SW_MY_ALG_INPLACE, SW_MY_LOCK_NONE, true);
	assert_int_equal(ddl("ALTER TABLE t ENGINE=InnoDB ROW_FORMAT=COMPRESSED")->n_items, 2);
	EXPECT("ALTER TABLE t CONVERT TO CHARACTER SET utf8mb4", SW_MY_ALG_COPY, SW_MY_LOCK_SHARED, true);
	EXPECT("ALTER TABLE t DEFAULT CHARSET=utf8mb4", SW_MY_ALG_INSTANT, SW_MY_LOCK_NONE, false);
	EXPECT("ALTER TABLE t COMMENT = 'x'", SW_MY_ALG_INSTANT, SW_MY_LOCK_NONE, false);
	EXPECT("ALTER TABLE t FORCE", SW_MY_ALG_INPLACE, SW_MY_LOCK_NONE, true);
	EXPECT("OPTIMIZE TABLE t", SW_MY_ALG_INPLACE, SW_MY_LOCK_NONE, true);
	assert_string_equal(an.stmts[0].command, "OPTIMIZE TABLE");
	st = one("ALTER TABLE t RENAME TO u");
	assert_int_equal(sw_my_ddl_of(st)->algorithm, SW_MY_ALG_INSTANT);
	assert_int_equal(sw_my_ddl_of(st)->lock, SW_MY_LOCK_EXCLUSIVE); /* the server refuses NONE/SHARED */
	assert_int_equal(lock_on(st, "u"), SW_LOCK_MDL_EXCLUSIVE);
	/* partitions, coarsely */
	d = ddl("ALTER TABLE t DROP PARTITION p0");
	assert_int_equal(d->lock, SW_MY_LOCK_EXCLUSIVE);
	assert_int_equal(d->mdl_held, SW_LOCK_MDL_EXCLUSIVE);
	assert_int_equal(an.stmts[0].impact->reversibility, SW_REV_BACKUP_ONLY);
	d = ddl("ALTER TABLE t REORGANIZE PARTITION p0 INTO (PARTITION a VALUES LESS THAN (5), PARTITION b VALUES LESS THAN (10))");
	assert_int_equal(d->algorithm, SW_MY_ALG_COPY);
	d = ddl("ALTER TABLE t PARTITION BY HASH(id) PARTITIONS 4");
	assert_int_equal(d->algorithm, SW_MY_ALG_COPY);
	assert_false(d->certain);
}

static void explicit_clauses(void **state)
{
	const struct sw_my_ddl *d;
	(void)state;
	/* honoured: a weaker demand than needed is fine, the server still picks the best */
	d = ddl("ALTER TABLE t ADD COLUMN x int, ALGORITHM=INPLACE");
	assert_null(d->refusal);
	assert_int_equal(d->algorithm, SW_MY_ALG_INSTANT);
	assert_int_equal(d->requested_algorithm, SW_MY_ALG_INPLACE);
	d = ddl("ALTER TABLE t ADD COLUMN x int, ALGORITHM=COPY");
	assert_int_equal(d->algorithm, SW_MY_ALG_COPY);
	assert_int_equal(d->lock, SW_MY_LOCK_SHARED);
	assert_true(d->rebuild);
	d = ddl("ALTER TABLE t ADD INDEX (a), LOCK=SHARED");
	assert_int_equal(d->lock, SW_MY_LOCK_SHARED);
	assert_int_equal(d->mdl_held, SW_LOCK_MDL_SHARED_NO_WRITE);
	d = ddl("ALTER TABLE t ADD INDEX (a), LOCK=EXCLUSIVE");
	assert_int_equal(d->mdl_held, SW_LOCK_MDL_EXCLUSIVE);
	assert_int_equal(lock_on(&an.stmts[0], "t"), SW_LOCK_MDL_EXCLUSIVE);
	d = ddl("CREATE INDEX i ON t (a) ALGORITHM=INPLACE LOCK=SHARED");
	assert_int_equal(d->requested_lock, SW_MY_LOCK_SHARED);
	assert_int_equal(d->mdl_held, SW_LOCK_MDL_SHARED_NO_WRITE);
	/* refused: the server errors instead of running it */
	d = ddl("ALTER TABLE t ADD INDEX (a), ALGORITHM=INSTANT");
	assert_non_null(d->refusal);
	assert_non_null(strstr(d->refusal, "ALGORITHM=INSTANT is not supported"));
	assert_non_null(strstr(d->refusal, "try ALGORITHM=NOCOPY"));
	assert_false(an.stmts[0].rewrites_table);
	d = ddl("ALTER TABLE t ENGINE=InnoDB, ALGORITHM=NOCOPY");
	assert_non_null(strstr(d->refusal, "try ALGORITHM=INPLACE"));
	d = ddl("ALTER TABLE t CONVERT TO CHARACTER SET utf8mb4, LOCK=NONE");
	assert_non_null(strstr(d->refusal, "LOCK=NONE is not supported"));
	d = ddl("ALTER TABLE t ADD COLUMN x int, ALGORITHM=COPY, LOCK=NONE");
	assert_non_null(d->refusal);
	assert_non_null(strstr(d->summary, "REFUSED"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(mdl_modes),
		cmocka_unit_test(reads_and_writes),
		cmocka_unit_test(exclusive_statements),
		cmocka_unit_test(columns),
		cmocka_unit_test(columns_with_facts),
		cmocka_unit_test(indexes_and_keys),
		cmocka_unit_test(table_operations),
		cmocka_unit_test(explicit_clauses),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	sw_analysis_free(&an);
	return rc;
}
