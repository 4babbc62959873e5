/*
 * Observed prepared statements' texts (my_stmt_text.c): found by id, replaced
 * by a newer report, dropped with their statement or their connection, the
 * id "last prepared statement" never kept, every bound (per connection, in
 * all, bytes) refusing a new text without touching those kept, and the
 * analysis made once per sql_mode as a COM_QUERY of the text would be.
 */
#include <string.h>
#include "unit.h"
#include "mariadb.h"
#include "my_classify.h"
#include "my_stmt_text.h"

static enum sw_my_stmt_text_put put(struct sw_my_stmt_texts *t, struct sw_my_stmt_text_budget *b, uint32_t id,
				    const char *text)
{
	return sw_my_stmt_text_put(t, b, id, text, strlen(text), true);
}

static void test_find_replace_drop(void **state)
{
	struct sw_my_stmt_texts a = { 0 }, c = { 0 };
	struct sw_my_stmt_text_budget b;

	(void)state;
	sw_my_stmt_text_budget_init(&b);
	assert_int_equal(put(&a, &b, 1, "SELECT 1"), SW_MY_STMT_TEXT_KEPT);
	assert_int_equal(put(&a, &b, 2, "UPDATE t SET v = 1"), SW_MY_STMT_TEXT_KEPT);
	assert_int_equal(put(&c, &b, 1, "DELETE FROM t"), SW_MY_STMT_TEXT_KEPT);   /* another connection's id 1 */
	assert_string_equal(sw_my_stmt_text_find(&a, 1)->text, "SELECT 1");
	assert_string_equal(sw_my_stmt_text_find(&c, 1)->text, "DELETE FROM t");
	assert_null(sw_my_stmt_text_find(&a, 3));
	assert_int_equal(b.n, 3);
	assert_int_equal(b.used, 8 + 18 + 13);
	/* A newer report of the same id replaces the text (and what it weighs). */
	assert_int_equal(put(&a, &b, 1, "SELECT 22"), SW_MY_STMT_TEXT_KEPT);
	assert_string_equal(sw_my_stmt_text_find(&a, 1)->text, "SELECT 22");
	assert_int_equal(b.n, 3);
	assert_int_equal(b.used, 9 + 18 + 13);
	/* COM_STMT_CLOSE: one id goes. */
	assert_true(sw_my_stmt_text_drop(&a, &b, 1));
	assert_false(sw_my_stmt_text_drop(&a, &b, 1));
	assert_null(sw_my_stmt_text_find(&a, 1));
	assert_string_equal(sw_my_stmt_text_find(&a, 2)->text, "UPDATE t SET v = 1");
	/* Reset, change of user, end: all of a connection's go, the other's stay. */
	sw_my_stmt_text_clear(&a, &b);
	assert_null(sw_my_stmt_text_find(&a, 2));
	assert_int_equal(a.n, 0);
	assert_int_equal(b.n, 1);
	assert_int_equal(b.used, 13);
	sw_my_stmt_text_clear(&c, &b);
	assert_int_equal(b.n, 0);
	assert_int_equal(b.used, 0);
}

static void test_last_statement_never_kept(void **state)
{
	struct sw_my_stmt_texts a = { 0 };
	struct sw_my_stmt_text_budget b;

	(void)state;
	sw_my_stmt_text_budget_init(&b);
	assert_int_equal(put(&a, &b, SW_MY_LAST_STMT_ID, "SELECT 1"), SW_MY_STMT_TEXT_LAST);
	assert_null(sw_my_stmt_text_find(&a, SW_MY_LAST_STMT_ID));
	assert_int_equal(b.n, 0);
	assert_int_equal(b.not_kept, 0);
}

static void test_bounds(void **state)
{
	struct sw_my_stmt_texts a = { 0 }, c = { 0 };
	struct sw_my_stmt_text_budget b;

	(void)state;
	sw_my_stmt_text_budget_init(&b);
	b.per_conn = 2;
	b.total = 3;
	b.bytes = 30;
	assert_int_equal(put(&a, &b, 1, "SELECT 1"), SW_MY_STMT_TEXT_KEPT);
	assert_int_equal(put(&a, &b, 2, "SELECT 2"), SW_MY_STMT_TEXT_KEPT);
	/* Per connection: a third id is refused; replacing a kept one is not a new one. */
	assert_int_equal(put(&a, &b, 3, "SELECT 3"), SW_MY_STMT_TEXT_FULL_CONN);
	assert_int_equal(put(&a, &b, 2, "SELECT 22"), SW_MY_STMT_TEXT_KEPT);
	/* Bytes: 8 + 9 held, 13 more fit, 14 do not. */
	assert_int_equal(put(&c, &b, 1, "SELECT 123456"), SW_MY_STMT_TEXT_KEPT);
	assert_int_equal(b.used, 30);
	assert_true(sw_my_stmt_text_drop(&c, &b, 1));
	assert_int_equal(put(&c, &b, 1, "SELECT 1234567"), SW_MY_STMT_TEXT_FULL);
	assert_null(sw_my_stmt_text_find(&c, 1));
	/* In all: three texts. */
	assert_int_equal(put(&c, &b, 1, "SELECT 5"), SW_MY_STMT_TEXT_KEPT);
	assert_int_equal(put(&c, &b, 2, "SELECT 6"), SW_MY_STMT_TEXT_FULL);
	assert_int_equal(b.not_kept, 3);
	/* What was kept is untouched by the refusals. */
	assert_string_equal(sw_my_stmt_text_find(&a, 1)->text, "SELECT 1");
	assert_string_equal(sw_my_stmt_text_find(&a, 2)->text, "SELECT 22");
	assert_string_equal(sw_my_stmt_text_find(&c, 1)->text, "SELECT 5");
	/* Room again once a statement goes. */
	assert_true(sw_my_stmt_text_drop(&a, &b, 1));
	assert_int_equal(put(&c, &b, 2, "SELECT 6"), SW_MY_STMT_TEXT_KEPT);
	sw_my_stmt_text_clear(&a, &b);
	sw_my_stmt_text_clear(&c, &b);
	assert_int_equal(b.n, 0);
	assert_int_equal(b.used, 0);
}

static void test_analysis(void **state)
{
	struct sw_my_stmt_texts a = { 0 };
	struct sw_my_stmt_text_budget b;
	const struct sw_analysis *an;
	struct sw_my_stmt_text *e;
	unsigned ansi = 0;

	(void)state;
	sw_my_stmt_text_budget_init(&b);
	put(&a, &b, 7, "UPDATE scratch SET v = 'x' WHERE id = ?");
	e = sw_my_stmt_text_find(&a, 7);
	an = sw_my_stmt_text_analysis(e, 0);
	assert_int_equal(an->n_stmts, 1);
	assert_int_equal(an->stmts[0].cls, SW_CLASS_WRITE);
	assert_string_equal(an->stmts[0].command, "UPDATE");
	assert_true(an->stmts[0].traits & SW_TRAIT_PREPARED);
	assert_ptr_equal(sw_my_stmt_text_analysis(e, 0), an);   /* made once for a mode */
	/* Another sql_mode: made again (ANSI_QUOTES reads "x" as a name). */
	assert_int_equal(sw_my_mode_parse("ANSI_QUOTES", &ansi, NULL, 0), 0);
	an = sw_my_stmt_text_analysis(e, ansi);
	assert_int_equal(e->mode, ansi);
	assert_int_equal(an->stmts[0].cls, SW_CLASS_WRITE);
	/* A NUL inside: unknown, never parsed past it. */
	assert_int_equal(sw_my_stmt_text_put(&a, &b, 8, "SELECT 1\0; DROP TABLE t", 24, true), SW_MY_STMT_TEXT_KEPT);
	an = sw_my_stmt_text_analysis(sw_my_stmt_text_find(&a, 8), 0);
	assert_int_equal(an->n_stmts, 1);
	assert_int_equal(an->stmts[0].cls, SW_CLASS_UNKNOWN);
	assert_int_equal(sw_my_stmt_text_find(&a, 8)->len, 24);
	sw_my_stmt_text_clear(&a, &b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_find_replace_drop),
		cmocka_unit_test(test_last_statement_never_kept),
		cmocka_unit_test(test_bounds),
		cmocka_unit_test(test_analysis),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
