/* The daemon's shape-keyed classification cache gives the same analysis as the classifier. */
#include "unit.h"
#include <string.h>
#include "analysis_cache.h"
#include "read_facts.h"

static void analyze_both(struct sw_acache *c, const char *sql, struct sw_analysis *cached, struct sw_analysis *fresh)
{
	sw_acache_analyze(c, sql, strlen(sql), cached);
	sw_pg_analyze(sql, fresh);
}

static void test_same_shape_reuses_analysis(void **s)
{
	(void)s;
	struct sw_acache *c = sw_acache_new(64);
	struct sw_analysis a, b, fresh;
	uint64_t hits, misses;

	sw_acache_analyze(c, "SELECT v FROM app.t WHERE id = 1", 32, &a);
	analyze_both(c, "SELECT v FROM app.t WHERE id = 222", &b, &fresh);
	sw_acache_stats(c, &hits, &misses);
	assert_int_equal(hits, 1);
	assert_int_equal(misses, 1);
	assert_int_equal(b.n_stmts, 1);
	assert_string_equal(b.stmts[0].text, "SELECT v FROM app.t WHERE id = 222");
	assert_int_equal(b.stmts[0].cls, fresh.stmts[0].cls);
	assert_string_equal(b.stmts[0].command, fresh.stmts[0].command);
	assert_int_equal(b.stmts[0].n_objects, fresh.stmts[0].n_objects);
	assert_string_equal(b.stmts[0].objects[0].name, "app.t");
	assert_int_equal(b.stmts[0].traits, fresh.stmts[0].traits);
	sw_analysis_free(&a);
	sw_analysis_free(&b);
	sw_analysis_free(&fresh);
	sw_acache_free(c);
}

static void test_uncacheable_statements_always_parse(void **s)
{
	(void)s;
	struct sw_acache *c = sw_acache_new(64);
	struct sw_analysis a;
	uint64_t hits, misses;
	static const char *const sql[] = {
		"SELECT pg_sleep(1) FROM t WHERE id = 1",   /* functions */
		"SELECT pg_sleep(1) FROM t WHERE id = 2",
		"DELETE FROM t",                          /* destructive */
		"DELETE FROM t",
		"CREATE SEQUENCE s START 1",              /* DDL: option values are not constants */
		"CREATE SEQUENCE s START 2",
	};
	for (size_t i = 0; i < sizeof(sql) / sizeof(sql[0]); i++) {
		sw_acache_analyze(c, sql[i], strlen(sql[i]), &a);
		assert_string_equal(a.stmts[0].text, sql[i]);
		sw_analysis_free(&a);
	}
	sw_acache_stats(c, &hits, &misses);
	assert_int_equal(hits, 0);
	sw_acache_free(c);
}

/* A row bound is a literal: LIMIT 1 and LIMIT 5001 share a shape, never a row bound (regression). */
static void test_limit_is_not_shared_by_shape(void **s)
{
	(void)s;
	struct sw_acache *c = sw_acache_new(64);
	const char *texts[] = { "SELECT id FROM t WHERE tenant_id = 41 LIMIT 5001",
				"SELECT id FROM t WHERE tenant_id = 41 LIMIT 1" };
	const long long want[] = { 5001, 1 };

	for (int round = 0; round < 2; round++)
		for (int i = 0; i < 2; i++) {
			struct sw_analysis a;
			sw_acache_analyze(c, texts[i], strlen(texts[i]), &a);
			assert_int_equal(a.n_stmts, 1);
			assert_non_null(a.stmts[0].reads);
			assert_true(a.stmts[0].reads->limit == want[i]);
			sw_analysis_free(&a);
		}
	sw_acache_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_same_shape_reuses_analysis),
		cmocka_unit_test(test_uncacheable_statements_always_parse),
		cmocka_unit_test(test_limit_is_not_shared_by_shape),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
