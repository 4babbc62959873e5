/* sql_script.c: psql and mysql-client scripts split into statements and client commands, with positions. */
#include "unit.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "my_lex.h"
#include "sql_script.h"

struct got {
	struct sw_script_item it[64];
	size_t n;
};

static void split(const char *text, enum sw_engine engine, struct got *g)
{
	struct sw_script *s = sw_script_open_mem(text, strlen(text), engine, 0);
	g->n = 0;
	while (g->n < 64 && sw_script_next(s, &g->it[g->n]) > 0)
		g->n++;
	assert_null(sw_script_error(s));
	sw_script_close(s);
}

static void got_free(struct got *g)
{
	for (size_t i = 0; i < g->n; i++)
		sw_script_item_free(&g->it[i]);
}

static void dump(const struct got *g)
{
	for (size_t i = 0; i < g->n; i++)
		fprintf(stderr, "  [%zu] kind %d %lu:%lu text=<%s> sql=<%s> note=<%s>\n", i, g->it[i].kind, g->it[i].line,
			g->it[i].col, g->it[i].text ? g->it[i].text : "", g->it[i].sql ? g->it[i].sql : "(null)",
			g->it[i].note ? g->it[i].note : "");
}

static void expect(const struct got *g, size_t i, enum sw_script_kind kind, unsigned long line, unsigned long col,
		   const char *sql)
{
	if (i >= g->n || g->it[i].kind != kind || g->it[i].line != line || g->it[i].col != col ||
	    (sql && (!g->it[i].sql || strcmp(g->it[i].sql, sql) != 0))) {
		dump(g);
		fail_msg("item %zu: want kind %d at %lu:%lu sql <%s>", i, kind, line, col, sql ? sql : "");
	}
}

static void test_psql_meta_and_variables(void **state)
{
	(void)state;
	struct got g;
	split("\\set tbl orders\n"
	      "\\set who 'it''s me'\n"
	      "SELECT * FROM :tbl WHERE note = :'who';\n"
	      "  \\i other.sql\n"
	      "SELECT :\"tbl\"\n"
	      "  FROM t;\n"
	      "\\c otherdb\n"
	      "SELECT a[1:2], x::int FROM t;\n", SW_ENGINE_POSTGRES, &g);
	assert_int_equal(g.n, 7);
	expect(&g, 0, SW_SCRIPT_META, 1, 1, NULL);
	assert_string_equal(g.it[0].command, "\\set");
	assert_string_equal(g.it[0].note, "skipped psql meta-command \\set on line 1");
	expect(&g, 2, SW_SCRIPT_STATEMENT, 3, 1, "SELECT * FROM orders WHERE note = 'it''s me'");
	assert_string_equal(g.it[2].text, "SELECT * FROM :tbl WHERE note = :'who'");
	assert_true(g.it[2].substituted);
	expect(&g, 3, SW_SCRIPT_META, 4, 3, NULL);
	assert_non_null(strstr(g.it[3].note, "\\i on line 4"));
	expect(&g, 4, SW_SCRIPT_STATEMENT, 5, 1, "SELECT \"orders\"\n  FROM t");
	expect(&g, 5, SW_SCRIPT_META, 7, 1, NULL);
	expect(&g, 6, SW_SCRIPT_STATEMENT, 8, 1, "SELECT a[1:2], x::int FROM t");
	assert_false(g.it[6].substituted);
	got_free(&g);
}

static void test_undefined_variable_not_checkable(void **state)
{
	(void)state;
	struct got g;
	split("SELECT 1;\nDELETE FROM t WHERE id = :id;\nSELECT 1 \\gset\nSELECT :other;\n", SW_ENGINE_POSTGRES, &g);
	assert_int_equal(g.n, 5);
	expect(&g, 1, SW_SCRIPT_STATEMENT, 2, 1, NULL);
	assert_null(g.it[1].sql);
	assert_non_null(strstr(g.it[1].note, ":id"));
	/* \gset sends "SELECT 1" and ends it */
	expect(&g, 2, SW_SCRIPT_STATEMENT, 3, 1, "SELECT 1");
	expect(&g, 3, SW_SCRIPT_META, 3, 10, NULL);
	assert_string_equal(g.it[3].command, "\\gset");
	assert_null(g.it[4].sql);
	assert_non_null(strstr(g.it[4].note, "\\gset on line 3"));
	got_free(&g);
}

static void test_quotes_hide_backslashes_and_semicolons(void **state)
{
	(void)state;
	struct got g;
	split("CREATE FUNCTION f() RETURNS text LANGUAGE plpgsql AS $body$\n"
	      "BEGIN\n"
	      "\\echo not a meta-command\n"
	      "  RETURN 'a;b';\n"
	      "END $body$;\n"
	      "SELECT E'it\\'s; \\\\ here', 'x' -- ; comment\n"
	      ";\n"
	      "/* \n\\set x 1\n; */ SELECT 2;\n"
	      "CREATE FUNCTION g() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; SELECT 2; END;\n"
	      "SELECT 3\n", SW_ENGINE_POSTGRES, &g);
	assert_int_equal(g.n, 5);
	expect(&g, 0, SW_SCRIPT_STATEMENT, 1, 1, NULL);
	assert_non_null(strstr(g.it[0].sql, "\\echo not a meta-command\n  RETURN 'a;b';\nEND $body$"));
	expect(&g, 1, SW_SCRIPT_STATEMENT, 6, 1, "SELECT E'it\\'s; \\\\ here', 'x' -- ; comment");
	expect(&g, 2, SW_SCRIPT_STATEMENT, 10, 6, "SELECT 2");
	expect(&g, 3, SW_SCRIPT_STATEMENT, 11, 1,
	       "CREATE FUNCTION g() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; SELECT 2; END");
	expect(&g, 4, SW_SCRIPT_STATEMENT, 12, 1, "SELECT 3");
	got_free(&g);
}

static void test_copy_data_and_unterminated(void **state)
{
	(void)state;
	struct got g;
	split("COPY t (a, b) FROM stdin;\n1\t\\N\n2\tx;y\n\\.\nSELECT 'é', 'unterminated\n", SW_ENGINE_POSTGRES, &g);
	assert_int_equal(g.n, 3);
	expect(&g, 0, SW_SCRIPT_STATEMENT, 1, 1, "COPY t (a, b) FROM stdin");
	expect(&g, 1, SW_SCRIPT_DATA, 2, 1, NULL);
	assert_string_equal(g.it[1].note, "skipped 2 lines of COPY data from line 2");
	expect(&g, 2, SW_SCRIPT_STATEMENT, 5, 1, "SELECT 'é', 'unterminated\n");
	/* The parser's position of the error, as line and column of the input. */
	long off = sw_script_pg_error_offset(g.it[2].sql);
	unsigned long line, col;
	assert_int_equal(off, 12);
	sw_script_locate(&g.it[2], (size_t)off, &line, &col);
	assert_int_equal(line, 5);
	assert_int_equal(col, 13);
	got_free(&g);
}

static void test_parse_error_position(void **state)
{
	(void)state;
	struct got g;
	unsigned long line, col;
	split("SELECT 1;\n\n  SELECT *\n    FROM t WHERE WHERE x;\n", SW_ENGINE_POSTGRES, &g);
	assert_int_equal(g.n, 2);
	expect(&g, 1, SW_SCRIPT_STATEMENT, 3, 3, NULL);
	long off = sw_script_pg_error_offset(g.it[1].sql);
	assert_true(off > 0);
	sw_script_locate(&g.it[1], (size_t)off, &line, &col);
	assert_int_equal(line, 4);
	assert_int_equal(col, 18);
	assert_int_equal(sw_script_pg_error_offset("SELECT 1"), -1);
	got_free(&g);
}

static void test_mariadb_delimiter(void **state)
{
	(void)state;
	struct got g;
	split("SELECT 'a;b', `c;d` FROM t; -- x;\n"
	      "DELIMITER //\n"
	      "CREATE PROCEDURE p() BEGIN SELECT 1; SELECT \"//\"; END//\n"
	      "DELIMITER ;\n"
	      "# comment ;\n"
	      "DELIMITER $$\n"
	      "CREATE TRIGGER tr BEFORE INSERT ON t FOR EACH ROW BEGIN SET NEW.a = 1; END$$\n"
	      "delimiter ;\n"
	      "UPDATE t SET a = 2", SW_ENGINE_MYSQL, &g);
	assert_int_equal(g.n, 8);
	expect(&g, 0, SW_SCRIPT_STATEMENT, 1, 1, "SELECT 'a;b', `c;d` FROM t");
	expect(&g, 1, SW_SCRIPT_META, 2, 1, NULL);
	expect(&g, 2, SW_SCRIPT_STATEMENT, 3, 1, "CREATE PROCEDURE p() BEGIN SELECT 1; SELECT \"//\"; END");
	expect(&g, 3, SW_SCRIPT_META, 4, 1, NULL);
	expect(&g, 4, SW_SCRIPT_META, 6, 1, NULL);
	expect(&g, 5, SW_SCRIPT_STATEMENT, 7, 1,
	       "CREATE TRIGGER tr BEFORE INSERT ON t FOR EACH ROW BEGIN SET NEW.a = 1; END");
	expect(&g, 6, SW_SCRIPT_META, 8, 1, NULL);
	expect(&g, 7, SW_SCRIPT_STATEMENT, 9, 1, "UPDATE t SET a = 2");
	got_free(&g);
}

/* More than 2 MiB (several read chunks): every statement, in order, with its line, from a file. */
static void test_large_input_streamed(void **state)
{
	(void)state;
	char path[] = "/tmp/sw-script-big.XXXXXX";
	int fd = mkstemp(path);
	FILE *f = fdopen(fd, "w+");
	const unsigned n = 60000;
	struct sw_script *s;
	struct sw_script_item it;
	unsigned seen = 0, metas = 0;

	assert_non_null(f);
	for (unsigned i = 0; i < n; i++) {
		if (i % 1000 == 0)
			fprintf(f, "\\set v%u %u\n", i, i);
		fprintf(f, "INSERT INTO t (id, note) VALUES (%u, 'row %u; with a semicolon and padding "
			"xxxxxxxxxxxxxxxxxxxxxxxxxx');\n", i, i);
	}
	assert_true(ftell(f) > (3L << 20));
	rewind(f);
	s = sw_script_open_file(f, SW_ENGINE_POSTGRES, 0);
	while (sw_script_next(s, &it) > 0) {
		if (it.kind == SW_SCRIPT_META) {
			metas++;
		} else {
			char want[64];
			assert_int_equal(it.kind, SW_SCRIPT_STATEMENT);
			snprintf(want, sizeof(want), "INSERT INTO t (id, note) VALUES (%u, ", seen);
			if (strncmp(it.sql, want, strlen(want)) != 0)
				fail_msg("statement %u: %s", seen, it.sql);
			assert_int_equal(it.line, seen + seen / 1000 + 2);
			seen++;
		}
		sw_script_item_free(&it);
	}
	assert_null(sw_script_error(s));
	sw_script_close(s);
	fclose(f);
	unlink(path);
	assert_int_equal(seen, n);
	assert_int_equal(metas, n / 1000);
}

static void test_nul_byte_ends_input(void **state)
{
	(void)state;
	const char text[] = "SELECT 1;\nSELECT 2;\0DROP TABLE t;";
	struct sw_script *s = sw_script_open_mem(text, sizeof(text) - 1, SW_ENGINE_POSTGRES, 0);
	struct sw_script_item it;
	int kinds[4], n = 0;
	while (n < 4 && sw_script_next(s, &it) > 0) {
		kinds[n++] = it.kind;
		sw_script_item_free(&it);
	}
	sw_script_close(s);
	assert_int_equal(n, 3);
	assert_int_equal(kinds[2], SW_SCRIPT_ERROR);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_psql_meta_and_variables),
		cmocka_unit_test(test_undefined_variable_not_checkable),
		cmocka_unit_test(test_quotes_hide_backslashes_and_semicolons),
		cmocka_unit_test(test_copy_data_and_unterminated),
		cmocka_unit_test(test_parse_error_position),
		cmocka_unit_test(test_mariadb_delimiter),
		cmocka_unit_test(test_large_input_streamed),
		cmocka_unit_test(test_nul_byte_ends_input),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
