/* Impact analysis (impact.c, pg_locks.c): lock sets, rewrite/scan, transaction-block
 * rules, reversibility. The lock modes are also checked against a real PostgreSQL 15
 * by tests/integration/test_impact_verify.sh. */
#include "unit.h"
#include <stdlib.h>
#include <string.h>
#include "impact.h"
#include "pg_catalog_data.h"
#include "pg_locks.h"
#include "pg_lock_table.h"
#include "statement.h"

static struct sw_analysis a;

static const struct sw_impact *one(const char *sql)
{
	sw_analysis_free(&a);
	sw_pg_analyze(sql, &a);
	assert_true(a.parse_ok);
	assert_int_equal(a.n_stmts, 1);
	assert_non_null(a.stmts[0].impact);
	return a.stmts[0].impact;
}

static const struct sw_lock_entry *lock_of(const struct sw_impact *im, const char *obj, enum sw_via via)
{
	for (size_t i = 0; i < im->n_locks; i++)
		if (im->locks[i].via == via && strcmp(im->locks[i].object, obj) == 0)
			return &im->locks[i];
	return NULL;
}

static void test_lock_matrix(void **state)
{
	(void)state;
	assert_int_equal(sw_lock_parse("AccessExclusiveLock"), SW_LOCK_ACCESS_EXCLUSIVE);
	assert_int_equal(sw_lock_parse("share row exclusive"), SW_LOCK_SHARE_ROW_EXCLUSIVE);
	assert_int_equal(sw_lock_parse("ACCESS_SHARE"), SW_LOCK_ACCESS_SHARE);
	assert_int_equal(sw_lock_parse("nonsense"), SW_LOCK_NONE);
	/* lock.c LockConflicts[]: symmetric, SUE self-conflicts, Share does not. */
	for (int x = 1; x <= SW_LOCK__MAX; x++)
		for (int y = 1; y <= SW_LOCK__MAX; y++)
			assert_int_equal(sw_lock_conflicts(x, y), sw_lock_conflicts(y, x));
	assert_true(sw_lock_conflicts(SW_LOCK_SHARE_UPDATE_EXCLUSIVE, SW_LOCK_SHARE_UPDATE_EXCLUSIVE));
	assert_false(sw_lock_conflicts(SW_LOCK_SHARE, SW_LOCK_SHARE));
	assert_true(sw_lock_blocks_reads(SW_LOCK_ACCESS_EXCLUSIVE));
	assert_false(sw_lock_blocks_reads(SW_LOCK_EXCLUSIVE));
	assert_true(sw_lock_blocks_writes(SW_LOCK_SHARE));
	assert_false(sw_lock_blocks_writes(SW_LOCK_SHARE_UPDATE_EXCLUSIVE));
}

static void test_alter_table(void **state)
{
	const struct sw_impact *im;
	(void)state;
	im = one("ALTER TABLE t ADD COLUMN c int REFERENCES p(id), ALTER COLUMN x SET STATISTICS 10");
	assert_int_equal(lock_of(im, "t", SW_VIA_NAMED)->mode, SW_LOCK_ACCESS_EXCLUSIVE);
	assert_int_equal(lock_of(im, "p", SW_VIA_NAMED)->mode, SW_LOCK_SHARE_ROW_EXCLUSIVE);
	assert_int_equal(im->reversibility, SW_REV_REVERSIBLE);
	assert_string_equal(im->rollback, "ALTER TABLE t DROP COLUMN c;");
	assert_false(im->rewrite);

	im = one("ALTER TABLE t ALTER COLUMN a SET STATISTICS 10, SET (fillfactor = 70)");
	assert_int_equal(im->strongest, SW_LOCK_SHARE_UPDATE_EXCLUSIVE);

	im = one("ALTER TABLE t ADD COLUMN c timestamptz DEFAULT clock_timestamp()");
	assert_true(im->rewrite);
	im = one("ALTER TABLE t ALTER COLUMN a SET NOT NULL");
	assert_true(im->scan);
	assert_non_null(im->safer);
	im = one("ALTER TABLE t ADD CONSTRAINT c CHECK (a > 0) NOT VALID");
	assert_false(im->scan);
	im = one("ALTER TABLE t DROP COLUMN a");
	assert_int_equal(im->reversibility, SW_REV_BACKUP_ONLY);
	assert_null(im->rollback);
	im = one("ALTER TABLE \"Big\".\"T\" RENAME COLUMN a TO \"B\"");
	assert_string_equal(im->rollback, "ALTER TABLE \"Big\".\"T\" RENAME COLUMN \"B\" TO a;");
	im = one("ALTER TABLE p DETACH PARTITION c CONCURRENTLY");
	assert_true(im->no_transaction_block);
	assert_int_equal(lock_of(im, "c", SW_VIA_NAMED)->mode, SW_LOCK_SHARE_UPDATE_EXCLUSIVE);
	im = one("ALTER TABLE p ATTACH PARTITION c FOR VALUES IN (1)");
	assert_int_equal(lock_of(im, "p", SW_VIA_NAMED)->mode, SW_LOCK_SHARE_UPDATE_EXCLUSIVE);
	assert_int_equal(lock_of(im, "c", SW_VIA_NAMED)->mode, SW_LOCK_ACCESS_EXCLUSIVE);
	assert_non_null(lock_of(im, "p", SW_VIA_DEFAULT_PARTITION));
}

static void test_secondary_targets(void **state)
{
	const struct sw_impact *im;
	(void)state;
	im = one("DROP INDEX app.i");
	assert_int_equal(lock_of(im, "app.i", SW_VIA_TABLE_OF_INDEX)->mode, SW_LOCK_ACCESS_EXCLUSIVE);
	assert_true(im->lock_set_partial);
	im = one("DROP INDEX CONCURRENTLY app.i");
	assert_true(im->no_transaction_block);
	assert_int_equal(lock_of(im, "app.i", SW_VIA_TABLE_OF_INDEX)->mode, SW_LOCK_SHARE_UPDATE_EXCLUSIVE);
	im = one("TRUNCATE a CASCADE");
	assert_non_null(lock_of(im, "a", SW_VIA_FK_REFERENCING));
	assert_true(im->new_storage);
	assert_false(im->rewrite);
	assert_int_equal(im->reversibility, SW_REV_BACKUP_ONLY);
	im = one("DROP TABLE a");
	assert_int_equal(lock_of(im, "a", SW_VIA_FK_REFERENCED)->mode, SW_LOCK_ACCESS_EXCLUSIVE);
	im = one("REINDEX INDEX i");
	assert_int_equal(lock_of(im, "i", SW_VIA_TABLE_OF_INDEX)->mode, SW_LOCK_SHARE);
	im = one("INSERT INTO c VALUES (1)");
	assert_true(lock_of(im, "c", SW_VIA_FK_REFERENCED)->if_rows);
}

static void test_concurrently_and_misc(void **state)
{
	const struct sw_impact *im;
	(void)state;
	im = one("CREATE INDEX CONCURRENTLY i ON t (a)");
	assert_true(im->concurrently);
	assert_true(im->no_transaction_block);
	assert_string_equal(im->rollback, "DROP INDEX CONCURRENTLY i;");
	im = one("CREATE INDEX i ON t (a)");
	assert_false(im->no_transaction_block);
	assert_true(im->scan);
	assert_non_null(strstr(im->safer, "CONCURRENTLY"));
	im = one("VACUUM t");
	assert_true(im->no_transaction_block);
	im = one("REFRESH MATERIALIZED VIEW CONCURRENTLY m");
	assert_false(im->rewrite);
	assert_int_equal(lock_of(im, "m", SW_VIA_NAMED)->mode, SW_LOCK_EXCLUSIVE);
	im = one("GRANT SELECT ON t TO r");
	assert_int_equal(im->n_locks, 0);  /* aclchk.c: no table lock */
	im = one("COMMENT ON COLUMN t.a IS 'x'");
	assert_int_equal(lock_of(im, "t", SW_VIA_NAMED)->mode, SW_LOCK_SHARE_UPDATE_EXCLUSIVE);
	im = one("SELECT 1");
	assert_int_equal(im->reversibility, SW_REV_NONE_NEEDED);
	assert_int_equal(im->strongest, SW_LOCK_NONE);
}

static void test_copy_keeps_impact(void **state)
{
	struct sw_stmt copy;
	(void)state;
	one("ALTER TABLE t ADD COLUMN c int");
	sw_stmt_copy(&copy, &a.stmts[0]);
	assert_non_null(copy.impact);
	assert_string_equal(copy.impact->rollback, "ALTER TABLE t DROP COLUMN c;");
	sw_stmt_free(&copy);
	sw_analysis_free(&a);
}

/* The generated catalog data (scripts/gen-pg-catalog-data.sh) and the rules built on it. */
static void test_catalog_data(void **state)
{
	const struct sw_impact *im;
	(void)state;
	assert_int_equal(sw_pg_proc_volatility("textcat"), 'i');
	assert_int_equal(sw_pg_proc_volatility("now"), 's');
	assert_int_equal(sw_pg_proc_volatility("clock_timestamp"), 'v');
	assert_int_equal(sw_pg_proc_volatility("no_such_function"), 0);
	for (size_t i = 1; i < sw_pg_volatility_n; i++)   /* a name has a row per volatility across majors */
		assert_true(strcmp(sw_pg_volatility[i - 1].name, sw_pg_volatility[i].name) <= 0);
	assert_true(sw_pg_binary_coercible("varchar", "text"));
	assert_false(sw_pg_binary_coercible("int4", "int8"));
	/* varchar(n) -> text, varchar(n) -> varchar(m >= n), -> varchar: RelabelType, no rewrite. */
	assert_false(sw_pg_alter_type_rewrites("varchar", 14, "text", -1));
	assert_false(sw_pg_alter_type_rewrites("varchar", 14, "varchar", 24));
	assert_false(sw_pg_alter_type_rewrites("varchar", 14, "varchar", -1));
	assert_true(sw_pg_alter_type_rewrites("varchar", 24, "varchar", 14));
	assert_true(sw_pg_alter_type_rewrites("text", -1, "varchar", 14));
	assert_true(sw_pg_alter_type_rewrites("int4", -1, "int8", -1));
	/* numeric(10,2) -> numeric(12,2) free; scale change rewrites. */
	assert_false(sw_pg_alter_type_rewrites("numeric", ((10 << 16) | 2) + 4, "numeric", ((12 << 16) | 2) + 4));
	assert_true(sw_pg_alter_type_rewrites("numeric", ((10 << 16) | 2) + 4, "numeric", ((12 << 16) | 3) + 4));
	assert_false(sw_pg_alter_type_rewrites("timestamp", 3, "timestamp", 6));
	assert_true(sw_pg_alter_type_rewrites("timestamp", 6, "timestamp", 3));
	/* ADD COLUMN DEFAULT: immutable/stable built-ins do not rewrite, volatile ones do. */
	im = one("ALTER TABLE t ADD COLUMN c text DEFAULT textcat('a', 'b')");
	assert_false(im->rewrite);
	im = one("ALTER TABLE t ADD COLUMN c timestamptz DEFAULT statement_timestamp()");
	assert_false(im->rewrite);
	im = one("ALTER TABLE t ADD COLUMN c uuid DEFAULT gen_random_uuid()");
	assert_true(im->rewrite);
	im = one("ALTER TABLE t ADD COLUMN c int DEFAULT app.f()");
	assert_true(im->rewrite);  /* unknown: fail closed */
	im = one("ALTER TABLE t ALTER COLUMN n SET NOT NULL");
	assert_string_equal(im->not_null_table, "t");
	assert_string_equal(im->not_null_column, "n");
	sw_analysis_free(&a);
}

/* What live context needs from the parse tree: new tables (migration files)
 * and the target of a lone ALTER COLUMN TYPE (typmods as pg_attribute has them). */
static void test_live_inputs(void **state)
{
	const struct sw_impact *im;
	struct sw_stmt copy;
	(void)state;
	im = one("CREATE TABLE app.t (id int)");
	assert_string_equal(im->created_table, "app.t");
	im = one("CREATE TABLE IF NOT EXISTS t (id int)");
	assert_null(im->created_table);
	im = one("CREATE TABLE t AS SELECT 1 AS x");
	assert_null(im->created_table);
	im = one("ALTER TABLE t ALTER COLUMN c TYPE varchar(20)");
	assert_true(im->rewrite);  /* static: the old type is not known */
	assert_string_equal(im->type_table, "t");
	assert_string_equal(im->type_column, "c");
	assert_string_equal(im->type_new, "pg_catalog.varchar");
	assert_int_equal(im->type_newmod, 24);
	sw_stmt_copy(&copy, &a.stmts[0]);
	assert_string_equal(copy.impact->type_new, "pg_catalog.varchar");
	sw_stmt_free(&copy);
	im = one("ALTER TABLE t ALTER COLUMN c TYPE text");
	assert_string_equal(im->type_new, "text");
	assert_int_equal(im->type_newmod, -1);
	im = one("ALTER TABLE t ALTER COLUMN c TYPE char");
	assert_string_equal(im->type_new, "pg_catalog.bpchar");
	assert_int_equal(im->type_newmod, 5);
	im = one("ALTER TABLE t ALTER COLUMN c TYPE numeric(12, 2)");
	assert_int_equal(im->type_newmod, ((12 << 16) | 2) + 4);
	im = one("ALTER TABLE t ALTER COLUMN c TYPE timestamp(3)");
	assert_int_equal(im->type_newmod, 3);
	/* USING, COLLATE, arrays, intervals, several subcommands: no live prediction. */
	im = one("ALTER TABLE t ALTER COLUMN c TYPE text USING c || 'x'");
	assert_null(im->type_table);
	im = one("ALTER TABLE t ALTER COLUMN c TYPE text COLLATE \"C\"");
	assert_null(im->type_table);
	im = one("ALTER TABLE t ALTER COLUMN c TYPE text[]");
	assert_null(im->type_table);
	im = one("ALTER TABLE t ALTER COLUMN c TYPE interval minute");
	assert_null(im->type_table);
	im = one("ALTER TABLE t ALTER COLUMN c TYPE text, ADD COLUMN d int");
	assert_null(im->type_table);
	sw_analysis_free(&a);
}

/* The PostgreSQL 15 lock table (pg_lock_table.c) and the entries impact.c builds from it. */
static void test_lock_table(void **state)
{
	const struct sw_impact *im;
	const struct sw_lock_entry *e;
	unsigned n;
	const struct sw_pg_stmt_lock *sl = sw_pg_stmt_locks(&n);
	(void)state;
	/* every entry has a category and a source */
	for (unsigned i = 0; i < n; i++) {
		assert_non_null(sl[i].category);
		assert_non_null(sl[i].source);
	}
	assert_int_equal(sw_pg_reloption_lock("fillfactor"), SW_LOCK_SHARE_UPDATE_EXCLUSIVE);
	assert_int_equal(sw_pg_reloption_lock("security_barrier"), SW_LOCK_ACCESS_EXCLUSIVE);
	assert_int_equal(sw_pg_reloption_lock("user_catalog_table"), SW_LOCK_ACCESS_EXCLUSIVE);
	assert_int_equal(sw_pg_reloption_lock("no_such_option"), SW_LOCK_NONE);

	/* reloptions: strongest over the options; view options need AccessExclusiveLock */
	im = one("ALTER TABLE t SET (fillfactor = 50, autovacuum_enabled = off)");
	assert_int_equal(lock_of(im, "t", SW_VIA_NAMED)->mode, SW_LOCK_SHARE_UPDATE_EXCLUSIVE);
	im = one("ALTER TABLE t SET (fillfactor = 50, user_catalog_table = true)");
	assert_int_equal(lock_of(im, "t", SW_VIA_NAMED)->mode, SW_LOCK_ACCESS_EXCLUSIVE);
	im = one("ALTER VIEW v SET (security_barrier = true)");
	assert_int_equal(lock_of(im, "v", SW_VIA_NAMED)->mode, SW_LOCK_ACCESS_EXCLUSIVE);
	assert_string_equal(im->category, "ddl.alter_table");

	/* DROP NOT NULL: AccessExclusiveLock, recursing to every child unless ONLY */
	im = one("ALTER TABLE t ALTER COLUMN c DROP NOT NULL");
	assert_int_equal(lock_of(im, "t", SW_VIA_NAMED)->mode, SW_LOCK_ACCESS_EXCLUSIVE);
	e = lock_of(im, "t", SW_VIA_CHILDREN);
	assert_non_null(e);
	assert_int_equal(e->mode, SW_LOCK_ACCESS_EXCLUSIVE);
	assert_null(e->conservative);
	im = one("ALTER TABLE ONLY t ALTER COLUMN c SET STATISTICS 5");
	assert_null(lock_of(im, "t", SW_VIA_CHILDREN));
	/* catalog-dependent recursion is marked conservative */
	im = one("ALTER TABLE t ENABLE TRIGGER ALL");
	e = lock_of(im, "t", SW_VIA_CHILDREN);
	assert_non_null(e);
	assert_non_null(e->conservative);
	assert_non_null(im->conservative);

	/* ADD COLUMN NOT NULL without a default: refused when the table has rows */
	im = one("ALTER TABLE t ADD COLUMN c int NOT NULL");
	assert_non_null(im->fails_if);
	assert_non_null(strstr(im->fails_if, "the table has rows"));
	im = one("ALTER TABLE t ADD COLUMN c int NOT NULL DEFAULT 0");
	assert_null(im->fails_if);
	im = one("ALTER TABLE p DETACH PARTITION c CONCURRENTLY");
	assert_true(im->no_transaction_block);
	assert_non_null(strstr(im->fails_if, "default partition"));

	/* COMMENT ON: relations ShareUpdateExclusiveLock, the table of a sub-object AccessShareLock */
	im = one("COMMENT ON VIEW s.v IS 'x'");
	assert_int_equal(lock_of(im, "s.v", SW_VIA_NAMED)->mode, SW_LOCK_SHARE_UPDATE_EXCLUSIVE);
	assert_null(lock_of(im, "s.v", SW_VIA_VIEW_BASE));
	im = one("COMMENT ON TRIGGER tr ON s.t IS 'x'");
	assert_int_equal(lock_of(im, "s.t", SW_VIA_NAMED)->mode, SW_LOCK_ACCESS_SHARE);
	assert_string_equal(im->category, "ddl.comment");

	/* GRANT: no relation lock */
	im = one("GRANT SELECT ON s.t TO PUBLIC");
	assert_int_equal(im->n_locks, 0);
	assert_string_equal(im->category, "privilege.grant");

	/* sequence functions: RowExclusiveLock on the sequence */
	im = one("SELECT nextval('s.seq'), setval('S.Other', 1)");
	assert_int_equal(lock_of(im, "s.seq", SW_VIA_NAMED)->mode, SW_LOCK_ROW_EXCLUSIVE);
	assert_false(lock_of(im, "s.seq", SW_VIA_NAMED)->if_rows);
	assert_int_equal(lock_of(im, "s.other", SW_VIA_NAMED)->mode, SW_LOCK_ROW_EXCLUSIVE);
	assert_string_equal(im->category, "dml.sequence_function");
	im = one("SELECT nextval('s.seq') FROM t");
	assert_true(lock_of(im, "s.seq", SW_VIA_NAMED)->if_rows);

	/* COPY: FROM RowExclusiveLock (partitions only for rows), TO AccessShareLock */
	im = one("COPY t FROM STDIN");
	assert_int_equal(lock_of(im, "t", SW_VIA_NAMED)->mode, SW_LOCK_ROW_EXCLUSIVE);
	assert_true(lock_of(im, "t", SW_VIA_CHILDREN)->if_rows);
	assert_string_equal(im->category, "utility.copy_from");
	im = one("COPY t TO STDOUT");
	assert_int_equal(lock_of(im, "t", SW_VIA_NAMED)->mode, SW_LOCK_ACCESS_SHARE);

	/* ALTER DOMAIN: ShareLock on every table using the domain, unless NOT VALID */
	im = one("ALTER DOMAIN s.d ADD CONSTRAINT c CHECK (VALUE > 0)");
	assert_int_equal(lock_of(im, "s.d", SW_VIA_DOMAIN_TABLES)->mode, SW_LOCK_SHARE);
	assert_true(im->scan);
	im = one("ALTER DOMAIN s.d ADD CONSTRAINT c CHECK (VALUE > 0) NOT VALID");
	assert_null(lock_of(im, "s.d", SW_VIA_DOMAIN_TABLES));
	im = one("ALTER DOMAIN s.d SET NOT NULL");
	assert_non_null(lock_of(im, "s.d", SW_VIA_DOMAIN_TABLES));
	assert_non_null(im->fails_if);

	/* CLUSTER without a table: catalog-found, conservative, not in a transaction block */
	im = one("CLUSTER");
	assert_true(im->no_transaction_block);
	e = lock_of(im, "(database)", SW_VIA_CLUSTERED_TABLES);
	assert_non_null(e);
	assert_non_null(e->conservative);
	/* VACUUM: the truncation phase's conditional AccessExclusiveLock is an upper bound */
	im = one("VACUUM t");
	assert_non_null(im->conservative);
	im = one("VACUUM (TRUNCATE false) t");
	for (size_t i = 0; i < im->n_locks; i++)
		assert_true(im->locks[i].mode < SW_LOCK_ACCESS_EXCLUSIVE);
	sw_analysis_free(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lock_matrix),
		cmocka_unit_test(test_alter_table),
		cmocka_unit_test(test_secondary_targets),
		cmocka_unit_test(test_concurrently_and_misc),
		cmocka_unit_test(test_copy_keeps_impact),
		cmocka_unit_test(test_catalog_data),
		cmocka_unit_test(test_live_inputs),
		cmocka_unit_test(test_lock_table),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
