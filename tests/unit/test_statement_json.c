/* JSON view of a classified statement (statement_json.h). */
#include "unit.h"
#include <stdlib.h>
#include <string.h>
#include "statement_json.h"
#include "util.h"

static void build(struct sw_stmt *st)
{
	memset(st, 0, sizeof(*st));
	st->text = sw_xstrdup("WITH x AS (DELETE FROM app.jobs RETURNING id) SELECT * FROM x, app.users");
	st->cls = SW_CLASS_WRITE;
	st->command = sw_xstrdup("SELECT");
	sw_stmt_add_object(st, "app.jobs", SW_LOCK_ROW_EXCLUSIVE);
	sw_stmt_add_object(st, "app.users", SW_LOCK_ACCESS_SHARE);
	sw_stmt_add_object(st, "x", SW_LOCK_NONE); /* no lock: listed in objects, absent from locks */
	sw_strv_push(&st->functions, "now");
	sw_strv_push(&st->columns, "id");
	st->traits = SW_TRAIT_WRITABLE_CTE | SW_TRAIT_SELECT_STAR | SW_TRAIT_DESTRUCTIVE;
	st->rewrites_table = false;
	sw_strv_push(&st->reasons, "writable CTE deletes from app.jobs");
}

static void test_stmt_fields(void **state)
{
	struct sw_stmt st;
	(void)state;

	build(&st);
	json_t *o = sw_stmt_json(&st);
	assert_true(json_is_object(o));
	assert_string_equal(json_string_value(json_object_get(o, "class")), "write");
	assert_string_equal(json_string_value(json_object_get(o, "command")), "SELECT");

	json_t *objs = json_object_get(o, "objects");
	assert_int_equal(json_array_size(objs), 3);
	assert_string_equal(json_string_value(json_array_get(objs, 0)), "app.jobs");
	assert_string_equal(json_string_value(json_array_get(objs, 1)), "app.users");
	assert_string_equal(json_string_value(json_array_get(objs, 2)), "x");

	json_t *locks = json_object_get(o, "locks");
	assert_true(json_is_object(locks));
	assert_int_equal(json_object_size(locks), 2);
	assert_string_equal(json_string_value(json_object_get(locks, "app.jobs")), "RowExclusiveLock");
	assert_string_equal(json_string_value(json_object_get(locks, "app.users")), "AccessShareLock");
	assert_null(json_object_get(locks, "x"));

	assert_string_equal(json_string_value(json_array_get(json_object_get(o, "functions"), 0)), "now");
	assert_string_equal(json_string_value(json_array_get(json_object_get(o, "columns"), 0)), "id");

	json_t *traits = json_object_get(o, "traits");
	assert_int_equal(json_array_size(traits), 3); /* bit order */
	assert_string_equal(json_string_value(json_array_get(traits, 0)), "destructive");
	assert_string_equal(json_string_value(json_array_get(traits, 1)), "writable_cte");
	assert_string_equal(json_string_value(json_array_get(traits, 2)), "select_star");

	assert_true(json_is_false(json_object_get(o, "rewrites_table")));
	assert_string_equal(json_string_value(json_array_get(json_object_get(o, "reasons"), 0)),
			    "writable CTE deletes from app.jobs");
	assert_null(json_object_get(o, "prepare_name"));
	assert_null(json_object_get(o, "execute_name"));
	assert_null(json_object_get(o, "statement")); /* the text is not part of this view */
	assert_null(json_object_get(o, "text"));
	json_decref(o);

	/* prepare/execute names, rewrites_table, empty arrays. */
	sw_stmt_free(&st);
	memset(&st, 0, sizeof(st));
	st.cls = SW_CLASS_DDL;
	st.command = sw_xstrdup("ALTER TABLE");
	st.rewrites_table = true;
	st.prepare_name = sw_xstrdup("p1");
	st.execute_name = sw_xstrdup("p1");
	o = sw_stmt_json(&st);
	assert_string_equal(json_string_value(json_object_get(o, "class")), "ddl");
	assert_true(json_is_true(json_object_get(o, "rewrites_table")));
	assert_string_equal(json_string_value(json_object_get(o, "prepare_name")), "p1");
	assert_string_equal(json_string_value(json_object_get(o, "execute_name")), "p1");
	assert_int_equal(json_array_size(json_object_get(o, "objects")), 0);
	assert_int_equal(json_object_size(json_object_get(o, "locks")), 0);
	assert_int_equal(json_array_size(json_object_get(o, "traits")), 0);
	assert_int_equal(json_array_size(json_object_get(o, "reasons")), 0);
	json_decref(o);
	sw_stmt_free(&st);
}

static void test_traits_json(void **state)
{
	(void)state;
	json_t *a = sw_traits_json(0);
	assert_int_equal(json_array_size(a), 0);
	json_decref(a);

	a = sw_traits_json(~0u);
	assert_int_equal(json_array_size(a), SW_TRAIT__COUNT);
	for (unsigned i = 0; i < SW_TRAIT__COUNT; i++)
		assert_string_equal(json_string_value(json_array_get(a, i)), sw_trait_name(i));
	json_decref(a);

	a = sw_traits_json(SW_TRAIT_LOCKING_READ | SW_TRAIT_FILE_ACCESS);
	assert_int_equal(json_array_size(a), 2);
	assert_string_equal(json_string_value(json_array_get(a, 0)), "file_access");
	assert_string_equal(json_string_value(json_array_get(a, 1)), "locking_read");
	json_decref(a);
}

static void test_invalid_utf8_names(void **state)
{
	struct sw_stmt st;
	(void)state;

	memset(&st, 0, sizeof(st));
	st.cls = SW_CLASS_READ;
	st.command = sw_xstrdup("SELECT");
	sw_stmt_add_object(&st, "t\xff", SW_LOCK_ACCESS_SHARE);
	sw_strv_push(&st.reasons, "reads t\xff");
	json_t *o = sw_stmt_json(&st);
	assert_non_null(o);
	assert_string_equal(json_string_value(json_array_get(json_object_get(o, "objects"), 0)),
			    "t\xEF\xBF\xBD");
	assert_string_equal(json_string_value(json_object_get(json_object_get(o, "locks"), "t\xEF\xBF\xBD")),
			    "AccessShareLock");
	assert_string_equal(json_string_value(json_array_get(json_object_get(o, "reasons"), 0)),
			    "reads t\xEF\xBF\xBD");
	json_decref(o);
	sw_stmt_free(&st);
}

static void test_utf8_helpers(void **state)
{
	(void)state;
	assert_true(sw_utf8_valid("", 0));
	assert_true(sw_utf8_valid("caf\xC3\xA9 \xF0\x9F\x98\x80", 10));
	assert_false(sw_utf8_valid("\xC3", 1));             /* truncated */
	assert_false(sw_utf8_valid("\xC0\xAF", 2));         /* overlong */
	assert_false(sw_utf8_valid("\xED\xA0\x80", 3));     /* surrogate */
	assert_false(sw_utf8_valid("\xF4\x90\x80\x80", 4)); /* > U+10FFFF */
	assert_false(sw_utf8_valid("a\0b", 3));             /* NUL */

	json_t *j = sw_json_text(NULL);
	assert_true(json_is_null(j));
	json_decref(j);
	j = sw_json_textn("a\0b\xC3", 4);
	assert_string_equal(json_string_value(j), "a\xEF\xBF\xBD" "b\xEF\xBF\xBD");
	json_decref(j);
	j = sw_json_text("ok");
	assert_string_equal(json_string_value(j), "ok");
	json_decref(j);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stmt_fields),
		cmocka_unit_test(test_traits_json),
		cmocka_unit_test(test_invalid_utf8_names),
		cmocka_unit_test(test_utf8_helpers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
