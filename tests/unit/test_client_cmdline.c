/*
 * A client's command line as the ledger shows it (sw_cmdline_display): argv
 * joined with spaces, escaped for display, arguments with spaces quoted,
 * passwords in connection URIs and password= words hidden, cut to fit.
 */
#include <string.h>
#include "unit.h"
#include "client_owner.h"

static char out[SW_CLIENT_CMDLINE_MAX];

static const char *show(const char *argv, size_t len)
{
	sw_cmdline_display(argv, len, out, sizeof(out));
	return out;
}
#define SHOW(lit) show(lit, sizeof(lit) - 1)

static void test_join_and_quote(void **state)
{
	(void)state;
	assert_string_equal(SHOW("psql\0-h\0localhost\0"), "psql -h localhost");
	assert_string_equal(SHOW("python3\0agent.py\0--question\0how many users\0"),
			    "python3 agent.py --question \"how many users\"");
	assert_string_equal(SHOW("x\0\0y\0"), "x \"\" y");
	assert_string_equal(SHOW("say\0a \"b\"\0"), "say \"a \\\"b\\\"\"");
	/* Controls are escaped, never written raw to a terminal. */
	assert_string_equal(SHOW("evil\0\x1b[31mred\0"), "evil \\x1B[31mred");
	assert_string_equal(SHOW("a\0line\nbreak\0"), "a line\\nbreak");
	/* A title rewritten without NULs. */
	assert_string_equal(show("postgres: worker", 16), "postgres: worker");
	assert_string_equal(show("", 0), "");
}

static void test_passwords_hidden(void **state)
{
	(void)state;
	assert_string_equal(SHOW("psql\0postgresql://agent:s3cret@db:5432/app\0"),
			    "psql postgresql://agent:***@db:5432/app");
	assert_string_equal(SHOW("psql\0host=db password=s3cret user=a\0"),
			    "psql \"host=db password=*** user=a\"");
	assert_string_equal(SHOW("tool\0--password=hunter2\0"), "tool --password=***");
	assert_string_equal(SHOW("tool\0--password\0hunter2\0-v\0"), "tool --password *** -v");
	assert_string_equal(SHOW("psql\0postgresql://agent@db/app\0"), "psql postgresql://agent@db/app");
	assert_string_equal(SHOW("curl\0http://db:80/x\0"), "curl http://db:80/x");
}

static void test_cut(void **state)
{
	char big[4000];
	(void)state;
	memset(big, 'a', sizeof(big));
	big[sizeof(big) - 1] = 0;
	show(big, sizeof(big));
	assert_true(strlen(out) < sizeof(out));
	assert_string_equal(out + strlen(out) - 3, "\xe2\x80\xa6");
	/* A cut never splits a UTF-8 character. */
	{
		char u[3000];
		size_t n = 0;
		while (n + 2 < sizeof(u)) {
			u[n++] = (char)0xc3;
			u[n++] = (char)0xa9;   /* é */
		}
		show(u, n);
		size_t l = strlen(out);
		assert_true(l < sizeof(out));
		assert_string_equal(out + l - 3, "\xe2\x80\xa6");
		assert_true((unsigned char)out[l - 4] == 0xa9);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_join_and_quote),
		cmocka_unit_test(test_passwords_hidden),
		cmocka_unit_test(test_cut),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
