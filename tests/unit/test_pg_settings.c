/*
 * The run-time settings allowlist (pg_settings.c): every rule, PostgreSQL's
 * own parsing of names, booleans, durations and search_path lists (checked
 * against a PostgreSQL 15.18 server where noted), and the messages.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "unit.h"
#include "pg_settings.h"

#define RESET NULL  /* value NULL: RESET / SET ... TO DEFAULT */

struct allowed_case {
	const char *name, *value;
	bool want;
	const char *why_has;  /* a phrase the refusal must contain */
};

static void check_cases(const struct allowed_case *c, size_t n, const struct sw_setting_ctx *ctx)
{
	for (size_t i = 0; i < n; i++) {
		char why[512] = "";
		bool got = sw_pg_setting_allowed(c[i].name, c[i].value, ctx, why, sizeof(why));
		if (got != c[i].want)
			fail_msg("%s = %s%s%s: expected %s, got %s (%s)", c[i].name, c[i].value ? "'" : "",
				 c[i].value ? c[i].value : "RESET", c[i].value ? "'" : "",
				 c[i].want ? "allowed" : "refused", got ? "allowed" : "refused", why);
		if (!got && c[i].why_has && !strstr(why, c[i].why_has))
			fail_msg("%s = '%s': reason lacks \"%s\": %s", c[i].name, c[i].value ? c[i].value : "RESET",
				 c[i].why_has, why);
		/* Every refusal names what is wrong and then what to do. */
		if (!got && !strchr(why, ';'))
			fail_msg("%s: reason has no advice: %s", c[i].name, why);
	}
}

#define CHECK(cases, ctx) check_cases(cases, sizeof(cases) / sizeof(cases[0]), ctx)

static void test_free_settings(void **state)
{
	(void)state;
	static const struct allowed_case cases[] = {
		{ "application_name", "report-bot", true, NULL },
		{ "APPLICATION_NAME", "x", true, NULL },
		{ "Application_Name", "", true, NULL },
		{ "client_encoding", "UTF8", true, NULL },
		{ "DateStyle", "ISO, MDY", true, NULL },
		{ "IntervalStyle", "postgres_verbose", true, NULL },
		{ "TimeZone", "Europe/Berlin", true, NULL },
		{ "timezone", "INTERVAL '+02:00'", true, NULL },
		{ "extra_float_digits", "3", true, NULL },
		{ "client_min_messages", "debug5", true, NULL },
		{ "bytea_output", "escape", true, NULL },
		{ "lc_messages", "C", true, NULL },
		{ "lc_monetary", "de_DE.UTF-8", true, NULL },
		{ "lc_numeric", "C", true, NULL },
		{ "lc_time", "C", true, NULL },
		{ "xmlbinary", "hex", true, NULL },
		{ "xmloption", "DOCUMENT", true, NULL },
		{ "default_text_search_config", "pg_catalog.german", true, NULL },
		{ "standard_conforming_strings", "off", true, NULL },
		{ "backslash_quote", "on", true, NULL },
		{ "escape_string_warning", "off", true, NULL },
		{ "transaction_isolation", "read uncommitted", true, NULL },
		{ "default_transaction_isolation", "serializable", true, NULL },
		{ "transaction_deferrable", "off", true, NULL },
		{ "default_transaction_deferrable", "1", true, NULL },
	};
	CHECK(cases, NULL);
}

/* bool.c parse_bool_with_len; "o", " on", "on " and "11" refused by the server too. */
static void test_read_only_only_on(void **state)
{
	(void)state;
	static const struct allowed_case cases[] = {
		{ "transaction_read_only", "on", true, NULL },
		{ "transaction_read_only", "true", true, NULL },
		{ "transaction_read_only", "TRUE", true, NULL },
		{ "transaction_read_only", "t", true, NULL },
		{ "transaction_read_only", "tr", true, NULL },
		{ "transaction_read_only", "yes", true, NULL },
		{ "transaction_read_only", "Y", true, NULL },
		{ "transaction_read_only", "1", true, NULL },
		{ "transaction_read_only", "off", false, "read-write" },
		{ "transaction_read_only", "OFF", false, "read-write" },
		{ "transaction_read_only", "of", false, "read-write" },
		{ "transaction_read_only", "false", false, "read-write" },
		{ "transaction_read_only", "f", false, "read-write" },
		{ "transaction_read_only", "no", false, "read-write" },
		{ "transaction_read_only", "0", false, "read-write" },
		{ "transaction_read_only", "o", false, "not a boolean" },
		{ "transaction_read_only", "trux", false, "not a boolean" },
		{ "transaction_read_only", " on", false, "not a boolean" },
		{ "transaction_read_only", "on ", false, "not a boolean" },
		{ "transaction_read_only", "11", false, "not a boolean" },
		{ "transaction_read_only", "", false, "not a boolean" },
		{ "Default_Transaction_Read_Only", "on", true, NULL },
		{ "default_transaction_read_only", "off", false, "default_transaction_read_only" },
		/* RESET restores the role's default_transaction_read_only ... */
		{ "default_transaction_read_only", RESET, true, NULL },
		/* ... but transaction_read_only resets to the built-in off (read-write). */
		{ "transaction_read_only", RESET, false, "built-in default" },
	};
	CHECK(cases, NULL);
}

/* guc.c parse_int with GUC_UNIT_MS; the rounding was checked against the server. */
static void test_timeouts_offline(void **state)
{
	(void)state;
	static const struct allowed_case cases[] = {
		{ "statement_timeout", "5s", true, NULL },
		{ "statement_timeout", "5000", true, NULL },
		{ "statement_timeout", "1min", true, NULL },
		{ "statement_timeout", "1 min", true, NULL },
		{ "statement_timeout", "10 s ", true, NULL },
		{ "statement_timeout", "5 ms", true, NULL },
		{ "statement_timeout", "2h", true, NULL },
		{ "statement_timeout", "24d", true, NULL },
		{ "statement_timeout", "1.5e3", true, NULL },
		{ "statement_timeout", "0x10", true, NULL },   /* 16 ms */
		{ "statement_timeout", "010", true, NULL },    /* octal: 8 ms */
		{ "statement_timeout", "600us", true, NULL },  /* 1 ms */
		{ "statement_timeout", "1500us", true, NULL }, /* 2 ms */
		{ "statement_timeout", "0.6", true, NULL },
		{ "statement_timeout", "0", false, "switches the timeout off" },
		{ "statement_timeout", "0ms", false, "switches the timeout off" },
		{ "statement_timeout", "100us", false, "switches the timeout off" },  /* rounds to 0 */
		{ "statement_timeout", "500us", false, "switches the timeout off" },  /* half to even: 0 */
		{ "statement_timeout", "0.5", false, "switches the timeout off" },
		{ "statement_timeout", "0.0005s", false, "switches the timeout off" },
		{ "statement_timeout", "-0.4", false, "switches the timeout off" },
		{ "statement_timeout", "-1", false, "not a duration" },
		{ "statement_timeout", "25d", false, "not a duration" },  /* above INT_MAX ms */
		{ "statement_timeout", "1 MIN", false, "not a duration" }, /* units are case-sensitive */
		{ "statement_timeout", "5msx", false, "not a duration" },
		{ "statement_timeout", "5 m s", false, "not a duration" },
		{ "statement_timeout", "abc", false, "not a duration" },
		{ "statement_timeout", "", false, "not a duration" },
		{ "statement_timeout", "inf", false, "not a duration" },
		{ "statement_timeout", "nan", false, "not a duration" },
		{ "statement_timeout", "1e400", false, "not a duration" },
		{ "statement_timeout", "1s, 2s", false, "not a duration" },
		{ "Statement_Timeout", "0", false, "statement_timeout" },
		{ "lock_timeout", "2s", true, NULL },
		{ "lock_timeout", "0", false, "lock_timeout" },
		{ "idle_in_transaction_session_timeout", "10min", true, NULL },
		{ "idle_in_transaction_session_timeout", "0", false, "switches the timeout off" },
		{ "idle_session_timeout", "1h", true, NULL },
		{ "idle_session_timeout", "0", false, "switches the timeout off" },
		{ "statement_timeout", RESET, true, NULL },
		{ "lock_timeout", RESET, true, NULL },
	};
	CHECK(cases, NULL);
}

/* With the session's current values the daemon also refuses raising a timeout. */
static void test_timeouts_with_context(void **state)
{
	(void)state;
	const struct sw_setting_ctx ctx = {
		.timeouts_known = true, .statement_timeout_ms = 30000, .lock_timeout_ms = 1000,
		.idle_in_transaction_session_timeout_ms = 0, .idle_session_timeout_ms = 600000,
	};
	static const struct allowed_case cases[] = {
		{ "statement_timeout", "30s", true, NULL },
		{ "statement_timeout", "29999", true, NULL },
		{ "statement_timeout", "31s", false, "above the session's current 30000 ms" },
		{ "statement_timeout", "1min", false, "give 30000 ms or less" },
		{ "statement_timeout", "0", false, "switches the timeout off" },
		{ "lock_timeout", "1s", true, NULL },
		{ "lock_timeout", "2s", false, "current 1000 ms" },
		{ "lock_timeout", "0x3e9", false, "1001 ms" },
		/* Currently off (0): any nonzero value lowers it. */
		{ "idle_in_transaction_session_timeout", "1d", true, NULL },
		{ "idle_session_timeout", "10min", true, NULL },
		{ "idle_session_timeout", "11min", false, "current 600000 ms" },
		{ "statement_timeout", RESET, true, NULL },
	};
	CHECK(cases, &ctx);
	/* Values not known: only "nonzero" can be checked. */
	const struct sw_setting_ctx unknown = { .timeouts_known = false, .statement_timeout_ms = 1 };
	static const struct allowed_case offline[] = {
		{ "statement_timeout", "1h", true, NULL },
	};
	CHECK(offline, &unknown);
}

/* varlena.c SplitIdentifierString over the value the server receives. */
static void test_search_path(void **state)
{
	(void)state;
	static const struct allowed_case cases[] = {
		{ "search_path", "app, public", true, NULL },
		{ "search_path", "pg_catalog, evil", true, NULL },
		{ "search_path", "\"$user\", public", true, NULL },
		{ "search_path", "evil, \"PG_CATALOG\"", true, NULL },    /* quoted: another schema */
		{ "search_path", "\"evil, pg_catalog\"", true, NULL },    /* one schema of that name */
		{ "search_path", "pg_catalog, evil, pg_catalog", true, NULL },
		{ "search_path", "\"\"", true, NULL },
		{ "search_path", "", true, NULL },
		{ "search_path", "  app  ,  public  ", true, NULL },
		{ "search_path", "evil, pg_catalog", false, "schema \"evil\" before pg_catalog" },
		{ "search_path", "evil,pg_catalog", false, "before pg_catalog" },
		{ "search_path", "EVIL, PG_CATALOG", false, "schema \"evil\"" },  /* unquoted names fold */
		{ "search_path", "\"$user\", pg_catalog", false, "schema \"$user\"" },
		{ "search_path", "\"a\"\"b\", \"pg_catalog\"", false, "schema \"a\"b\"" },
		{ "search_path", "pg_temp, pg_catalog", false, "before pg_catalog" },
		{ "Search_Path", "evil, pg_catalog", false, "search_path" },
		{ "search_path", "a,", false, "not a list" },
		{ "search_path", "\"unterminated", false, "not a list" },
		{ "search_path", "a b", false, "not a list" },
		{ "search_path", ",a", false, "not a list" },
		{ "search_path", RESET, true, NULL },
	};
	CHECK(cases, NULL);
}

static void test_identity_and_never(void **state)
{
	(void)state;
	static const struct allowed_case cases[] = {
		{ "role", "admin", false, "who the session acts as" },
		{ "ROLE", "none", false, "SET ROLE" },
		{ "role", RESET, false, "RESET ROLE" },
		{ "session_authorization", "postgres", false, "SET SESSION AUTHORIZATION" },
		{ "Session_Authorization", RESET, false, "who the session acts as" },
		{ "work_mem", "1GB", false, "more server memory" },
		{ "work_mem", "1GB", false, "setting: [work_mem]" },
		{ "sort_mem", "100000", false, "work_mem" },
		{ "vacuum_mem", "100000", false, "maintenance_work_mem" },
		{ "pgaudit.log", "none", false, "extension or application setting" },
		{ "myapp.tenant_id", "42", false, "setting: [myapp.tenant_id]" },
		{ "log_statement", "none", false, "audit trail" },
		{ "log_min_duration_statement", "-1", false, "audit trail" },
		{ "session_replication_role", "replica", false, "triggers and foreign-key checks" },
		{ "shared_preload_libraries", "evil", false, "shared libraries" },
		{ "local_preload_libraries", "evil", false, "shared libraries" },
		{ "row_security", "off", false, "row-level security" },
		{ "max_parallel_workers_per_gather", "64", false, "CPUs" },
		{ "temp_file_limit", "-1", false, "disk" },
		{ "synchronous_commit", "off", false, "durability" },
		{ "zero_damaged_pages", "on", false, "data-integrity" },
		{ "enable_seqscan", "off", false, "query plans" },
		{ "no_such_setting", "1", false, "not on sqlward's list" },
		{ "is_superuser", "on", false, "not on sqlward's list" },
		/* RESET restores the DBA's value: allowed for everything but the identity. */
		{ "work_mem", RESET, true, NULL },
		{ "session_replication_role", RESET, true, NULL },
		{ "pgaudit.log", RESET, true, NULL },
	};
	CHECK(cases, NULL);
}

static void test_canonical_names(void **state)
{
	(void)state;
	static const char *const pairs[][2] = {
		{ "work_mem", "work_mem" }, { "Sort_Mem", "work_mem" }, { "SORT_MEM", "work_mem" },
		{ "vacuum_mem", "maintenance_work_mem" }, { "DateStyle", "datestyle" },
		{ "TimeZone", "timezone" }, { "MyApp.Tenant", "myapp.tenant" }, { "", "" },
	};
	for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
		char *c = sw_pg_setting_canonical(pairs[i][0]);
		assert_string_equal(c, pairs[i][1]);
		free(c);
	}
	char *c = sw_pg_setting_canonical(NULL);
	assert_string_equal(c, "");
	free(c);
	assert_true(sw_pg_setting_list_quoted("search_path"));
	assert_true(sw_pg_setting_list_quoted("Search_Path"));
	assert_true(sw_pg_setting_list_quoted("temp_tablespaces"));
	assert_true(sw_pg_setting_list_quoted("session_preload_libraries"));
	assert_false(sw_pg_setting_list_quoted("datestyle"));
	assert_false(sw_pg_setting_list_quoted("application_name"));
}

static void test_escalation(void **state)
{
	(void)state;
	assert_non_null(sw_pg_setting_escalation("role", "admin"));
	assert_non_null(sw_pg_setting_escalation("ROLE", NULL));
	assert_non_null(sw_pg_setting_escalation("session_authorization", NULL));
	assert_non_null(sw_pg_setting_escalation("Session_Replication_Role", "replica"));
	assert_null(sw_pg_setting_escalation("session_replication_role", NULL));
	assert_non_null(sw_pg_setting_escalation("search_path", "evil, pg_catalog"));
	assert_null(sw_pg_setting_escalation("search_path", "pg_catalog, evil"));
	assert_null(sw_pg_setting_escalation("search_path", "a,"));  /* refused, but not as escalation */
	assert_null(sw_pg_setting_escalation("search_path", NULL));
	assert_null(sw_pg_setting_escalation("work_mem", "1GB"));
	assert_null(sw_pg_setting_escalation("statement_timeout", "0"));
}

/* SET x FROM CURRENT copies a value sqlward cannot see. */
static void test_copy_current(void **state)
{
	(void)state;
	char why[512];
	assert_true(sw_pg_setting_copy_allowed("application_name", why, sizeof(why)));
	assert_true(sw_pg_setting_copy_allowed("TimeZone", why, sizeof(why)));
	assert_false(sw_pg_setting_copy_allowed("statement_timeout", why, sizeof(why)));
	assert_non_null(strstr(why, "FROM CURRENT"));
	assert_false(sw_pg_setting_copy_allowed("search_path", why, sizeof(why)));
	assert_false(sw_pg_setting_copy_allowed("role", why, sizeof(why)));
	assert_non_null(strstr(why, "who the session acts as"));
	assert_false(sw_pg_setting_copy_allowed("work_mem", why, sizeof(why)));
	assert_non_null(strstr(why, "work_mem"));
}

static void test_allowlist_listing(void **state)
{
	(void)state;
	const struct sw_setting_entry *e;
	size_t n = sw_pg_setting_allowlist(&e);

	assert_true(n >= 29);
	for (size_t i = 0; i < n; i++) {
		char *c = sw_pg_setting_canonical(e[i].name);
		assert_string_equal(c, e[i].name);   /* listed by the name the server resolves */
		free(c);
		assert_true(e[i].values && *e[i].values);
		assert_true(e[i].why && *e[i].why);
		for (size_t k = i + 1; k < n; k++)
			assert_string_not_equal(e[i].name, e[k].name);
		/* Listed settings are the only ones a value can be given to. */
		assert_false(strcmp(e[i].name, "role") == 0 || strcmp(e[i].name, "work_mem") == 0);
	}
	bool saw_timeout = false, saw_path = false;
	for (size_t i = 0; i < n; i++) {
		saw_timeout |= strcmp(e[i].name, "statement_timeout") == 0;
		saw_path |= strcmp(e[i].name, "search_path") == 0;
	}
	assert_true(saw_timeout && saw_path);
}

static void test_why_buffers(void **state)
{
	(void)state;
	char tiny[8];
	assert_false(sw_pg_setting_allowed("work_mem", "1GB", NULL, tiny, sizeof(tiny)));
	assert_string_equal(tiny, "work_me");
	assert_false(sw_pg_setting_allowed("work_mem", "1GB", NULL, NULL, 0));
	assert_true(sw_pg_setting_allowed("application_name", "x", NULL, NULL, 0));
	assert_false(sw_pg_setting_allowed(NULL, "x", NULL, NULL, 0));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_free_settings),
		cmocka_unit_test(test_read_only_only_on),
		cmocka_unit_test(test_timeouts_offline),
		cmocka_unit_test(test_timeouts_with_context),
		cmocka_unit_test(test_search_path),
		cmocka_unit_test(test_identity_and_never),
		cmocka_unit_test(test_canonical_names),
		cmocka_unit_test(test_escalation),
		cmocka_unit_test(test_copy_current),
		cmocka_unit_test(test_allowlist_listing),
		cmocka_unit_test(test_why_buffers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
