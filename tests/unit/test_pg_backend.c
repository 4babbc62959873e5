/* Process titles: who a backend is, as PostgreSQL writes it. */
#include "unit.h"
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "pg_backend.h"

static void test_titles(void **state)
{
	(void)state;
	struct sw_pg_title t;

	assert_true(sw_pg_parse_title("postgres: agent_x shop 127.0.0.1(54321) idle", NULL, &t));
	assert_string_equal(t.role, "agent_x");
	assert_string_equal(t.database, "shop");
	assert_string_equal(t.client, "127.0.0.1:54321");

	assert_true(sw_pg_parse_title("postgres: main: agent_x shop [local] SELECT", "agent_x", &t));
	assert_string_equal(t.client, "local");
	assert_string_equal(t.database, "shop");

	assert_true(sw_pg_parse_title("postgres: bob db ::1(4000) authentication", NULL, &t));
	assert_string_equal(t.client, "[::1]:4000");

	/* The role must be the authenticated one when it is known. */
	assert_false(sw_pg_parse_title("postgres: mallory shop 127.0.0.1(1) idle", "agent_x", &t));
	/* Auxiliary processes and the postmaster are not backends. */
	assert_false(sw_pg_parse_title("postgres: checkpointer ", NULL, &t));
	assert_false(sw_pg_parse_title("postgres: autovacuum launcher ", NULL, &t));
	assert_false(sw_pg_parse_title("/usr/lib/postgresql/15/bin/postgres -D /data", NULL, &t));
	assert_false(sw_pg_parse_title("postgres: logical replication launcher ", NULL, &t));
}

/* Titles that do not parse: a client connection is still recognised (it is then governed with
 * its role unknown); auxiliary processes and background workers are not clients. */
static void test_title_is_client(void **state)
{
	(void)state;
	assert_true(sw_pg_title_is_client("postgres: agent_x my db 127.0.0.1(54321) idle"));
	assert_true(sw_pg_title_is_client("postgres: agent_x a b c [local] SELECT"));
	assert_true(sw_pg_title_is_client("postgres: walsender rep ::1(4000) idle"));
	assert_false(sw_pg_title_is_client("postgres: checkpointer "));
	assert_false(sw_pg_title_is_client("postgres: logical replication launcher "));
	assert_false(sw_pg_title_is_client("postgres: pg_cron launcher (1) "));
	assert_false(sw_pg_title_is_client("/usr/lib/postgresql/15/bin/postgres -D /data"));
}

static void test_proc_helpers(void **state)
{
	(void)state;
	char buf[4096];
	assert_true(sw_proc_title(getpid(), buf, sizeof(buf)));
	assert_true(strstr(buf, "test_pg_backend") != NULL);
	assert_int_equal(sw_proc_ppid(getpid()), getppid());
	assert_true(sw_proc_state(getpid()) == 'R');

	/* Reading a string from a process (ourselves) stops at the NUL and respects max. */
	static const char text[] = "SELECT 1 /* held text */";
	size_t len;
	char *s = sw_proc_read_string(getpid(), (unsigned long)text, 1 << 20, &len);
	assert_non_null(s);
	assert_int_equal(len, strlen(text));
	assert_string_equal(s, text);
	free(s);
	s = sw_proc_read_string(getpid(), (unsigned long)text, 5, &len);
	assert_null(s);
	assert_int_equal(len, 5);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_titles),
		cmocka_unit_test(test_title_is_client),
		cmocka_unit_test(test_proc_helpers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
