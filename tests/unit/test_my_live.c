/*
 * The MariaDB live-context DSN (my_live.c): libpq-style key=value pairs
 * separated by blanks, quoted values, defaults, and refusals that say what to
 * write instead.
 */
#include <stdlib.h>
#include <string.h>
#include "unit.h"
#include "my_live.h"

static void test_dsn_all_keys(void **state)
{
	struct sw_my_dsn d;
	char err[256] = "";

	(void)state;
	assert_int_equal(sw_my_dsn_parse("host=127.0.0.1 port=3307 user=live password=pw database=app "
					 "socket=/tmp/my.sock connect_timeout=5", &d, err, sizeof(err)), 0);
	assert_string_equal(d.host, "127.0.0.1");
	assert_int_equal(d.port, 3307);
	assert_string_equal(d.user, "live");
	assert_string_equal(d.password, "pw");
	assert_string_equal(d.database, "app");
	assert_string_equal(d.socket, "/tmp/my.sock");
	assert_int_equal(d.connect_timeout_s, 5);
	sw_my_dsn_free(&d);
}

static void test_dsn_defaults_and_spacing(void **state)
{
	struct sw_my_dsn d;
	char err[256] = "";

	(void)state;
	assert_int_equal(sw_my_dsn_parse("", &d, err, sizeof(err)), 0);
	assert_null(d.host);
	assert_null(d.database);
	assert_int_equal(d.port, 0);
	assert_int_equal(d.connect_timeout_s, 2);
	sw_my_dsn_free(&d);
	assert_int_equal(sw_my_dsn_parse(NULL, &d, err, sizeof(err)), 0);
	sw_my_dsn_free(&d);
	/* Blanks around '=', tabs and newlines between pairs; dbname is database; the last one wins. */
	assert_int_equal(sw_my_dsn_parse("  host = db1\tdbname=a\n database=b  ", &d, err, sizeof(err)), 0);
	assert_string_equal(d.host, "db1");
	assert_string_equal(d.database, "b");
	sw_my_dsn_free(&d);
}

static void test_dsn_quoting(void **state)
{
	struct sw_my_dsn d;
	char err[256] = "";

	(void)state;
	assert_int_equal(sw_my_dsn_parse("password='a b\\'c\\\\d' user='' host=x\\ y", &d, err, sizeof(err)), 0);
	assert_string_equal(d.password, "a b'c\\d");
	assert_string_equal(d.user, "");
	assert_string_equal(d.host, "x y");
	sw_my_dsn_free(&d);
}

static void test_dsn_refusals(void **state)
{
	static const struct { const char *dsn, *says; } bad[] = {
		{ "host", "has no value" },
		{ "host=a user", "\"user\" has no value" },
		{ "password='open", "no closing quote" },
		{ "port=abc", "port must be a positive number" },
		{ "port=0", "port must be a positive number" },
		{ "port=70000", "port must be a positive number" },
		{ "port=-1", "port must be a positive number" },
		{ "port=", "port must be a positive number" },
		{ "connect_timeout=9999", "connect_timeout" },
		{ "sslmode=require", "unknown key \"sslmode\"" },
		{ "=x", "unknown key \"\"" },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct sw_my_dsn d;
		char err[256] = "";
		assert_int_equal(sw_my_dsn_parse(bad[i].dsn, &d, err, sizeof(err)), -1);
		if (!strstr(err, bad[i].says))
			fail_msg("DSN \"%s\": message \"%s\" does not say \"%s\"", bad[i].dsn, err, bad[i].says);
		assert_null(d.host);
		assert_null(d.password);
	}
}

/* An unparsable DSN opens (facts become unknown with the parse error), never crashes. */
static void test_open_bad_dsn(void **state)
{
	(void)state;
	struct sw_my_live_conn *lc = sw_my_live_open("nonsense");
	assert_non_null(lc);
	sw_my_live_close(lc);
	sw_my_live_close(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dsn_all_keys),
		cmocka_unit_test(test_dsn_defaults_and_spacing),
		cmocka_unit_test(test_dsn_quoting),
		cmocka_unit_test(test_dsn_refusals),
		cmocka_unit_test(test_open_bad_dsn),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
