/* Tests for the per-session prepared statement registry (prepared.h). */
#include <stdlib.h>
#include <string.h>
#include "unit.h"
#include "statement.h"
#include "prepared.h"

/* Analyse sql, resolve against p for pid, then commit (as if allowed). */
static void run(struct sw_prepared *p, int pid, const char *sql, struct sw_analysis *a)
{
	sw_pg_analyze(sql, a);
	sw_prepared_resolve(p, pid, a);
	sw_prepared_commit(p, pid, a);
}

static void test_prepare_execute(void **state)
{
	struct sw_prepared *p = sw_prepared_new();
	struct sw_analysis a;
	const struct sw_stmt *st;
	(void)state;

	run(p, 100, "PREPARE Wipe AS DELETE FROM app.t", &a);
	sw_analysis_free(&a);
	st = sw_prepared_lookup(p, 100, "wipe");
	assert_non_null(st);
	assert_int_equal(st->cls, SW_CLASS_WRITE);
	assert_null(sw_prepared_lookup(p, 101, "wipe")); /* other session */
	assert_null(sw_prepared_lookup(p, 100, "Wipe")); /* names are case-folded by the parser */

	run(p, 100, "EXECUTE WIPE", &a);
	assert_int_equal(a.n_stmts, 1);
	st = &a.stmts[0];
	assert_int_equal(st->cls, SW_CLASS_WRITE);
	assert_string_equal(st->command, "EXECUTE");
	assert_string_equal(st->text, "EXECUTE WIPE");
	assert_string_equal(st->execute_name, "wipe");
	assert_null(st->prepare_name);
	assert_true(st->traits & SW_TRAIT_PREPARED);
	assert_true(st->traits & SW_TRAIT_DESTRUCTIVE);
	assert_false(st->traits & SW_TRAIT_UNRESOLVED);
	assert_int_equal(st->n_objects, 1);
	assert_string_equal(st->objects[0].name, "app.t");
	assert_int_equal(st->objects[0].lock, SW_LOCK_ROW_EXCLUSIVE);
	sw_analysis_free(&a);

	/* Another session executing the same name: unresolved, fail closed. */
	run(p, 101, "EXECUTE wipe", &a);
	assert_int_equal(a.stmts[0].cls, SW_CLASS_UNKNOWN);
	assert_true(a.stmts[0].traits & SW_TRAIT_UNRESOLVED);
	sw_analysis_free(&a);

	sw_prepared_free(p);
}

static void test_execute_params_and_explain(void **state)
{
	struct sw_prepared *p = sw_prepared_new();
	struct sw_analysis a;
	(void)state;

	run(p, 7, "PREPARE q(int) AS SELECT * FROM t WHERE id = $1", &a);
	sw_analysis_free(&a);

	/* Functions in EXECUTE's parameters are kept. */
	sw_pg_analyze("EXECUTE q(pg_sleep(5)::int)", &a);
	sw_prepared_resolve(p, 7, &a);
	assert_int_equal(a.stmts[0].cls, SW_CLASS_READ);
	assert_true(a.stmts[0].traits & SW_TRAIT_DANGEROUS_FUNCTION);
	assert_true(sw_strv_contains(&a.stmts[0].functions, "pg_sleep"));
	assert_string_equal(a.stmts[0].objects[0].name, "t");
	sw_analysis_free(&a);

	/* EXPLAIN ANALYZE EXECUTE runs the prepared statement. */
	sw_pg_analyze("EXPLAIN ANALYZE EXECUTE q(1)", &a);
	sw_prepared_resolve(p, 7, &a);
	assert_int_equal(a.stmts[0].cls, SW_CLASS_READ);
	assert_string_equal(a.stmts[0].command, "EXPLAIN");
	assert_true(a.stmts[0].traits & SW_TRAIT_EXECUTES);
	assert_true(a.stmts[0].traits & SW_TRAIT_PREPARED);
	sw_analysis_free(&a);

	/* CREATE TABLE AS EXECUTE keeps its own class and adds the new table. */
	sw_pg_analyze("CREATE TABLE copy AS EXECUTE q(1)", &a);
	sw_prepared_resolve(p, 7, &a);
	assert_int_equal(a.stmts[0].cls, SW_CLASS_DDL);
	assert_string_equal(a.stmts[0].command, "CREATE TABLE AS");
	assert_int_equal(a.stmts[0].n_objects, 2);
	sw_analysis_free(&a);

	sw_prepared_free(p);
}

static void test_same_string(void **state)
{
	struct sw_prepared *p = sw_prepared_new();
	struct sw_analysis a;
	(void)state;

	/* PREPARE and EXECUTE in one string: resolved before commit. */
	sw_pg_analyze("PREPARE d AS DELETE FROM t; EXECUTE d", &a);
	sw_prepared_resolve(p, 1, &a);
	assert_int_equal(a.n_stmts, 2);
	assert_int_equal(a.stmts[1].cls, SW_CLASS_WRITE);
	assert_true(a.stmts[1].traits & SW_TRAIT_DESTRUCTIVE);
	assert_true(a.stmts[1].traits & SW_TRAIT_MULTI_STATEMENT);
	/* Not committed: the registry is unchanged. */
	assert_null(sw_prepared_lookup(p, 1, "d"));
	sw_prepared_commit(p, 1, &a);
	assert_non_null(sw_prepared_lookup(p, 1, "d"));
	sw_analysis_free(&a);

	/* DEALLOCATE ALL earlier in the string hides the registry. */
	sw_pg_analyze("DEALLOCATE ALL; EXECUTE d", &a);
	sw_prepared_resolve(p, 1, &a);
	assert_true(a.stmts[1].traits & SW_TRAIT_UNRESOLVED);
	assert_int_equal(a.stmts[1].cls, SW_CLASS_UNKNOWN);
	sw_analysis_free(&a);

	sw_prepared_free(p);
}

static void test_forget(void **state)
{
	struct sw_prepared *p = sw_prepared_new();
	struct sw_analysis a;
	(void)state;

	run(p, 5, "PREPARE a AS SELECT 1; PREPARE b AS SELECT 2; PREPARE c AS SELECT 3", &a);
	sw_analysis_free(&a);
	run(p, 6, "PREPARE a AS SELECT 1", &a);
	sw_analysis_free(&a);
	assert_non_null(sw_prepared_lookup(p, 5, "a"));
	assert_non_null(sw_prepared_lookup(p, 5, "b"));

	run(p, 5, "DEALLOCATE PREPARE A", &a);
	sw_analysis_free(&a);
	assert_null(sw_prepared_lookup(p, 5, "a"));
	assert_non_null(sw_prepared_lookup(p, 5, "b"));
	assert_non_null(sw_prepared_lookup(p, 6, "a"));

	run(p, 5, "DISCARD ALL", &a);
	sw_analysis_free(&a);
	assert_null(sw_prepared_lookup(p, 5, "b"));
	assert_null(sw_prepared_lookup(p, 5, "c"));
	assert_non_null(sw_prepared_lookup(p, 6, "a"));

	run(p, 5, "PREPARE z AS SELECT 1", &a);
	sw_analysis_free(&a);
	run(p, 5, "DEALLOCATE ALL", &a);
	sw_analysis_free(&a);
	assert_null(sw_prepared_lookup(p, 5, "z"));

	/* Re-preparing a name replaces it. */
	run(p, 6, "PREPARE a AS DELETE FROM t", &a);
	sw_analysis_free(&a);
	assert_int_equal(sw_prepared_lookup(p, 6, "a")->cls, SW_CLASS_WRITE);

	sw_prepared_drop_session(p, 6);
	assert_null(sw_prepared_lookup(p, 6, "a"));

	/* Direct API. */
	sw_pg_analyze("PREPARE m AS SELECT 1", &a);
	sw_prepared_remember(p, 9, &a.stmts[0]);
	sw_analysis_free(&a);
	assert_non_null(sw_prepared_lookup(p, 9, "m"));
	sw_prepared_forget(p, 9, "m");
	assert_null(sw_prepared_lookup(p, 9, "m"));
	sw_prepared_forget(p, 9, "never");

	sw_prepared_free(p);
	sw_prepared_free(NULL);
}

static void test_many_sessions(void **state)
{
	struct sw_prepared *p = sw_prepared_new();
	struct sw_analysis a;
	(void)state;

	sw_pg_analyze("PREPARE s AS UPDATE t SET x = 1 WHERE id = $1", &a);
	for (int pid = 1; pid <= 2000; pid++)
		sw_prepared_remember(p, pid, &a.stmts[0]);
	sw_analysis_free(&a);
	for (int pid = 1; pid <= 2000; pid += 2)
		sw_prepared_drop_session(p, pid);
	for (int pid = 1; pid <= 2000; pid++) {
		if (pid % 2)
			assert_null(sw_prepared_lookup(p, pid, "s"));
		else
			assert_non_null(sw_prepared_lookup(p, pid, "s"));
	}
	sw_prepared_free(p); /* frees the rest: ASan checks for leaks */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_prepare_execute),
		cmocka_unit_test(test_execute_params_and_explain),
		cmocka_unit_test(test_same_string),
		cmocka_unit_test(test_forget),
		cmocka_unit_test(test_many_sessions),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
