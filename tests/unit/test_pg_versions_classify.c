/*
 * The classifier for PostgreSQL 12 to 18 (its grammar is 15's): per-major
 * built-in function OIDs (pg_proc_oids.h) for fastpath calls and the
 * function checkpoint, per-major volatility and casts (pg_catalog_data.h),
 * newer syntax refused with a reason that says so (pg_version_syntax.h),
 * and functions and settings that only newer majors have failing closed.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "unit.h"
#include "pg_builtin_watch.h"
#include "pg_catalog_data.h"
#include "pg_fastpath.h"
#include "pg_functions.h"
#include "pg_proc_oids.h"
#include "pg_settings.h"
#include "pg_version_syntax.h"
#include "sqlward.h"      /* SW_BUILTINS_MAX */
#include "statement.h"

/* ---- the tables -------------------------------------------------------------------- */

static void test_majors_with_tables(void **state)
{
	(void)state;
	assert_false(sw_pg_catalog_has_major(11));
	for (int m = 12; m <= 18; m++)
		assert_true(sw_pg_catalog_has_major(m));
	assert_false(sw_pg_catalog_has_major(19));
	assert_false(sw_pg_catalog_has_major(0));
	assert_null(sw_pg_proc_by_oid(2096, 11));   /* pg_terminate_backend, but no table for 11 */
	assert_null(sw_pg_proc_by_oid(2096, 19));
}

static void test_rows_sorted_and_fixed_oids_only(void **state)
{
	(void)state;
	for (size_t i = 0; i < sw_pg_procs_n; i++) {
		assert_true(sw_pg_procs[i].oid < SW_PG_FIRST_UNPINNED_OID);
		assert_true(sw_pg_procs[i].majors != 0);
		assert_int_equal(sw_pg_procs[i].majors & ~0x7f000u, 0);   /* majors 12..18 only */
		if (i)
			assert_true(sw_pg_procs[i - 1].oid <= sw_pg_procs[i].oid);
	}
	/* Every (oid, major) has at most one row. */
	for (size_t i = 1; i < sw_pg_procs_n; i++)
		if (sw_pg_procs[i - 1].oid == sw_pg_procs[i].oid)
			assert_int_equal(sw_pg_procs[i - 1].majors & sw_pg_procs[i].majors, 0);
}

static void expect_proc(unsigned oid, int major, const char *name, int nargs)
{
	const struct sw_pg_proc *p = sw_pg_proc_by_oid(oid, major);

	if (!name) {
		if (p)
			fail_msg("OID %u on PostgreSQL %d: expected no function, got %s", oid, major, p->name);
		return;
	}
	if (!p)
		fail_msg("OID %u on PostgreSQL %d: expected %s, got nothing", oid, major, name);
	assert_string_equal(p->name, name);
	assert_int_equal(p->nargs, nargs);
}

/* OIDs whose function differs between majors (checked against each real server by
 * tests/integration/test_pg_syntax_versions.sh). */
static void test_oids_differ_between_majors(void **state)
{
	(void)state;
	expect_proc(2307, 12, "opaque_out", 1);
	for (int m = 13; m <= 18; m++)
		expect_proc(2307, m, "pg_stat_reset_slru", 1);
	expect_proc(1293, 12, "currtid", 2);
	expect_proc(1293, 13, "currtid", 2);
	expect_proc(1293, 14, "unnest", 1);        /* anymultirange */
	expect_proc(2172, 14, "pg_start_backup", 3);
	expect_proc(2172, 15, "pg_backup_start", 2);
	expect_proc(2739, 14, "pg_stop_backup", 2);
	expect_proc(2739, 18, "pg_backup_stop", 1);
	expect_proc(2096, 13, "pg_terminate_backend", 1);
	expect_proc(2096, 14, "pg_terminate_backend", 2);   /* timeout argument added in 14 */
	/* New functions: unknown before their major. */
	expect_proc(6305, 15, NULL, 0);
	expect_proc(6305, 16, "pg_log_standby_snapshot", 0);
	expect_proc(6344, 16, NULL, 0);
	expect_proc(6344, 17, "pg_sync_replication_slots", 0);
	expect_proc(6387, 17, NULL, 0);
	expect_proc(6387, 18, "pg_stat_reset_backend_stats", 1);
	/* Numbered by initdb (differs between clusters of one major): never named. */
	for (int m = 12; m <= 18; m++) {
		expect_proc(13560, m, NULL, 0);
		expect_proc(12312, m, NULL, 0);
	}
}

static void test_volatility_and_casts_per_major(void **state)
{
	int was;
	(void)state;

	assert_int_equal(sw_pg_catalog_major(), SW_PG_GRAMMAR_MAJOR);
	assert_int_equal(sw_pg_proc_volatility("interval_out"), 's');
	was = sw_pg_catalog_set_major(12);
	assert_int_equal(was, 15);
	assert_int_equal(sw_pg_proc_volatility("interval_out"), 'i');   /* stable from 15 */
	assert_int_equal(sw_pg_proc_volatility("pg_log_standby_snapshot"), 0);   /* 16's */
	assert_false(sw_pg_binary_coercible("oid", "regcollation"));    /* regcollation is 13's */
	sw_pg_catalog_set_major(16);
	assert_int_equal(sw_pg_proc_volatility("pg_log_standby_snapshot"), 'v');
	assert_true(sw_pg_binary_coercible("oid", "regcollation"));
	assert_false(sw_pg_alter_type_rewrites("varchar", 14, "varchar", 24));
	sw_pg_catalog_set_major(0);
	assert_int_equal(sw_pg_catalog_major(), SW_PG_GRAMMAR_MAJOR);
}

/* ---- fastpath calls are named by the server's major --------------------------------- */

struct body { unsigned char b[64]; size_t len; };

static void put(struct body *m, uint32_t v, int width)
{
	for (int i = width - 1; i >= 0; i--)
		m->b[m->len++] = (unsigned char)(v >> (8 * i));
}

/* A fastpath message body: OID, one text-format argument "1" per nargs, text result. */
static struct body call_body(uint32_t oid, int nargs)
{
	struct body m = { .len = 0 };

	put(&m, oid, 4);
	put(&m, 1, 2);
	put(&m, 0, 2);
	put(&m, (uint32_t)nargs, 2);
	for (int i = 0; i < nargs; i++) {
		put(&m, 1, 4);
		m.b[m.len++] = '1';
	}
	put(&m, 0, 2);
	return m;
}

static void fastpath(uint32_t oid, int nargs, int major, struct sw_analysis *a)
{
	struct body m = call_body(oid, nargs);

	sw_pg_fastpath_analyze(m.b, m.len, major, a);
	assert_int_equal(a->n_stmts, 1);
}

static bool has_reason(const struct sw_stmt *st, const char *needle)
{
	for (size_t i = 0; i < st->reasons.n; i++)
		if (strstr(st->reasons.v[i], needle))
			return true;
	return false;
}

static void test_fastpath_named_by_major(void **state)
{
	struct sw_analysis a;
	(void)state;

	/* 2307 on 12 is a type output function; from 13 it resets statistics (denylisted). */
	fastpath(2307, 1, 12, &a);
	assert_string_equal(a.stmts[0].text, "SELECT pg_catalog.opaque_out($1)");
	assert_false(a.stmts[0].traits & SW_TRAIT_DANGEROUS_FUNCTION);
	sw_analysis_free(&a);
	fastpath(2307, 1, 13, &a);
	assert_string_equal(a.stmts[0].text, "SELECT pg_catalog.pg_stat_reset_slru($1)");
	assert_true(a.stmts[0].traits & SW_TRAIT_DANGEROUS_FUNCTION);
	sw_analysis_free(&a);

	/* A function new in 18: on 18 named and denylisted; the 15 table alone would not name it. */
	fastpath(6387, 1, 18, &a);
	assert_string_equal(a.stmts[0].text, "SELECT pg_catalog.pg_stat_reset_backend_stats($1)");
	assert_true(a.stmts[0].traits & SW_TRAIT_DANGEROUS_FUNCTION);
	sw_analysis_free(&a);
	fastpath(6387, 1, 15, &a);
	assert_true(a.stmts[0].traits & SW_TRAIT_UNKNOWN_FUNCTION);
	assert_true(has_reason(&a.stmts[0], "is not a built-in function of PostgreSQL 15"));
	sw_analysis_free(&a);

	/* A major without tables: nothing is named, the call is an unknown function. */
	fastpath(2096, 1, 19, &a);
	assert_true(a.stmts[0].traits & SW_TRAIT_UNKNOWN_FUNCTION);
	assert_false(a.stmts[0].traits & SW_TRAIT_DANGEROUS_FUNCTION);
	assert_true(has_reason(&a.stmts[0], "no function table for PostgreSQL major 19"));
	sw_analysis_free(&a);

	/* An OID initdb numbered: not named on any major. */
	fastpath(13560, 0, 15, &a);
	assert_true(a.stmts[0].traits & SW_TRAIT_UNKNOWN_FUNCTION);
	assert_true(has_reason(&a.stmts[0], "numbered when the cluster was initialized"));
	sw_analysis_free(&a);
}

/* ---- the function checkpoint watches every major's OIDs ------------------------------- */

static bool watched_oid(uint32_t oid, const struct sw_watched_builtin *w, size_t n)
{
	for (size_t k = 0; k < n; k++)
		if (w[k].oid == oid)
			return true;
	return false;
}

static size_t watched_index_of(uint32_t oid, const struct sw_watched_builtin *w, size_t n)
{
	for (size_t k = 0; k < n; k++)
		if (w[k].oid == oid)
			return k;
	return n;
}

static void test_watched_builtins_every_major(void **state)
{
	size_t n;
	const struct sw_watched_builtin *w = sw_pg_watched_builtins(&n);
	(void)state;

	assert_true(n > 0 && n <= SW_BUILTINS_MAX);
	for (size_t k = 1; k < n; k++)
		assert_true(w[k - 1].oid < w[k].oid);   /* one index per OID */
	for (int m = SW_PG_MAJOR_MIN; m <= SW_PG_MAJOR_MAX; m++)
		for (size_t i = 0; i < sw_pg_procs_n; i++) {
			const struct sw_pg_proc *p = &sw_pg_procs[i];
			const struct sw_pg_func *f;
			if (!(p->majors & SW_PG_MAJOR_BIT(m)) || strcmp(p->schema, "pg_catalog") != 0 ||
			    strcmp(p->name, "set_config") == 0)
				continue;
			f = sw_pg_func_lookup("pg_catalog", p->name);
			if (f && (f->flags & (PGF_DENY | PGF_SENSITIVE | PGF_WRITE)) && !watched_oid(p->oid, w, n))
				fail_msg("PostgreSQL %d: %s (OID %u) is denylisted, sensitive or writing but not watched",
					 m, p->name, p->oid);
		}
	/* Writing built-ins are watched (a view's nextval), and told apart from denylisted ones. */
	assert_true(watched_oid(1574, w, n));    /* nextval */
	assert_true(sw_pg_builtin_part_of_write(watched_index_of(1574, w, n)));
	assert_true(watched_oid(1576, w, n));    /* setval: watched, never part of a write */
	assert_false(sw_pg_builtin_part_of_write(watched_index_of(1576, w, n)));
	assert_false(sw_pg_builtin_part_of_write(watched_index_of(2172, w, n)));   /* pg_backup_start: denylisted */
	/* Denylisted functions only newer majors have are watched too. */
	assert_true(watched_oid(6387, w, n));    /* pg_stat_reset_backend_stats, 18 */
}

static size_t watched_index(uint32_t oid)
{
	size_t n;
	const struct sw_watched_builtin *w = sw_pg_watched_builtins(&n);

	for (size_t k = 0; k < n; k++)
		if (w[k].oid == oid)
			return k;
	fail_msg("OID %u is not watched", oid);
	return 0;
}

/* The kernel names a watched OID one way; the daemon names it as the backend's major has it. */
static void test_watched_builtin_named_by_major(void **state)
{
	size_t n;
	const struct sw_watched_builtin *w = sw_pg_watched_builtins(&n);
	char call[128] = "";
	size_t k;
	(void)state;

	k = watched_index(2172);
	assert_string_equal(w[k].name, "pg_backup_start");   /* the grammar major's name */
	assert_false(sw_pg_builtin_statement_for_major(k, 15, call, sizeof(call)));
	assert_true(sw_pg_builtin_statement_for_major(k, 14, call, sizeof(call)));
	assert_string_equal(call, "SELECT pg_catalog.pg_start_backup()");
	k = watched_index(2307);
	assert_string_equal(w[k].name, "pg_stat_reset_slru");
	assert_false(sw_pg_builtin_statement_for_major(k, 13, call, sizeof(call)));
	assert_true(sw_pg_builtin_statement_for_major(k, 12, call, sizeof(call)));
	assert_string_equal(call, "SELECT pg_catalog.opaque_out()");
	k = watched_index(4100);   /* pg_read_file_old until 17; a NUMA view's function on 18 */
	assert_string_equal(w[k].name, "pg_read_file_old");
	assert_true(sw_pg_builtin_statement_for_major(k, 18, call, sizeof(call)));
	assert_string_equal(call, "SELECT pg_catalog.pg_get_shmem_allocations_numa()");
	/* No function with that OID on the major, or a major without tables: the kernel's name stays. */
	k = watched_index(6387);
	assert_false(sw_pg_builtin_statement_for_major(k, 15, call, sizeof(call)));
	assert_false(sw_pg_builtin_statement_for_major(k, 0, call, sizeof(call)));
	assert_false(sw_pg_builtin_statement_for_major(n + 5, 15, call, sizeof(call)));
}

/* ---- newer syntax ------------------------------------------------------------------- */

/* Statements each major's real server runs and the 15 grammar cannot read
 * (tests/pg-versions/newer-syntax.tsv has the full list, run live). */
static const struct { int major; const char *sql; } newer[] = {
	{ 16, "SELECT JSON_OBJECT('a' VALUE 1, 'b' VALUE 2)" },
	{ 16, "SELECT '{\"a\": 1}' IS JSON OBJECT" },
	{ 16, "GRANT pg_read_all_data TO sw_r WITH INHERIT TRUE" },
	{ 16, "SELECT 0x1F" },
	{ 17, "SELECT * FROM JSON_TABLE('[1, 2]'::jsonb, '$[*]' COLUMNS (x int PATH '$')) AS jt" },
	{ 17, "MERGE INTO sw_t USING sw_s ON sw_t.a = sw_s.a WHEN MATCHED THEN UPDATE SET b = sw_s.b "
	      "RETURNING merge_action(), sw_t.*" },
	{ 17, "MERGE INTO sw_t USING sw_s ON sw_t.a = sw_s.a WHEN NOT MATCHED BY SOURCE THEN DELETE" },
	{ 17, "ALTER TABLE sw_g ALTER COLUMN g SET EXPRESSION AS (a * 3)" },
	{ 18, "UPDATE sw_t SET b = b + 1 WHERE a = 1 RETURNING WITH (OLD AS o, NEW AS n) o.b, n.b" },
	{ 18, "CREATE TABLE sw_v18 (a int, b int GENERATED ALWAYS AS (a * 2) VIRTUAL)" },
	{ 18, "ALTER TABLE sw_t ADD CONSTRAINT sw_chk CHECK (b > -100) NOT ENFORCED" },
};

static void analyze_for(const char *sql, int major, struct sw_analysis *a)
{
	sw_pg_analyze(sql, a);
	sw_pg_note_server_syntax(a, major);
}

static void test_newer_syntax_refused_with_reason(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(newer) / sizeof(newer[0]); i++) {
		for (int server = newer[i].major; server <= SW_PG_MAJOR_MAX; server++) {
			struct sw_analysis a;
			char want[128];
			analyze_for(newer[i].sql, server, &a);
			assert_false(a.parse_ok);
			assert_int_equal(a.n_stmts, 1);
			assert_int_equal(a.stmts[0].cls, SW_CLASS_UNKNOWN);
			snprintf(want, sizeof(want), "PostgreSQL %d syntax the classifier (PostgreSQL 15 grammar) "
				 "cannot read: ", server);
			if (!has_reason(&a.stmts[0], want) ||
			    !has_reason(&a.stmts[0], "; refused (a governed role's statements must be understood)"))
				fail_msg("%s on %d: reason \"%s\"", newer[i].sql, server, a.stmts[0].reasons.v[0]);
			assert_false(has_reason(&a.stmts[0], "parse error: "));
			sw_analysis_free(&a);
		}
		/* On 15 and older it is a plain parse error (those servers reject it too). */
		for (int server = 14; server <= 15; server++) {
			struct sw_analysis a;
			analyze_for(newer[i].sql, server, &a);
			assert_false(a.parse_ok);
			assert_true(has_reason(&a.stmts[0], "parse error: "));
			assert_false(has_reason(&a.stmts[0], "syntax the classifier"));
			sw_analysis_free(&a);
		}
	}
}

static void test_readable_statements_unchanged(void **state)
{
	struct sw_analysis a;
	(void)state;

	analyze_for("SELECT 1", 18, &a);
	assert_true(a.parse_ok);
	assert_false(has_reason(&a.stmts[0], "syntax the classifier"));
	sw_analysis_free(&a);
	/* An unknown major changes nothing. */
	analyze_for("SELECT 0x1F", 0, &a);
	assert_true(has_reason(&a.stmts[0], "parse error: "));
	sw_analysis_free(&a);
	sw_pg_note_server_syntax(NULL, 17);
}

/*
 * 12-14 do not have MERGE (15's grammar does): the classifier reads it as a
 * write, so a governed role's MERGE is never allowed as a read; the server
 * then rejects it as a syntax error.
 */
static void test_merge_on_older_majors_is_a_write(void **state)
{
	struct sw_analysis a;
	(void)state;

	analyze_for("MERGE INTO sw_t USING sw_s ON sw_t.a = sw_s.a WHEN MATCHED THEN UPDATE SET b = sw_s.b", 13, &a);
	assert_true(a.parse_ok);
	assert_int_equal(a.stmts[0].cls, SW_CLASS_WRITE);
	sw_analysis_free(&a);
}

/*
 * Things that parse in the 15 grammar but mean something new on 16-18: calls of
 * SQL/JSON functions that are syntax in 16-17 but function calls to the 15
 * grammar (JSON_ARRAY(1, 2), JSON_QUERY(...) without clauses) are unknown
 * functions, judged by a human, never allowed as known read-only.
 */
static void test_sqljson_calls_are_unknown_functions(void **state)
{
	static const char *calls[] = {
		"SELECT JSON_ARRAY(1, 2, 3)", "SELECT JSON_ARRAYAGG(v) FROM (VALUES (1)) AS x(v)",
		"SELECT JSON_QUERY('{\"a\": [1]}'::jsonb, '$.a')", "SELECT JSON_VALUE('{\"a\": 1}'::jsonb, '$.a')",
		"SELECT JSON_EXISTS('{\"a\": 1}'::jsonb, '$.a')", "SELECT JSON_SCALAR(1)",
		"SELECT JSON_SERIALIZE('{\"a\": 1}'::json)", "SELECT JSON('{\"a\": 1}')", "SELECT merge_action()",
	};
	(void)state;
	for (size_t i = 0; i < sizeof(calls) / sizeof(calls[0]); i++) {
		struct sw_analysis a;
		analyze_for(calls[i], 17, &a);
		assert_true(a.parse_ok);
		if (!(a.stmts[0].traits & SW_TRAIT_UNKNOWN_FUNCTION))
			fail_msg("%s is not an unknown function", calls[i]);
		sw_analysis_free(&a);
	}
}

/*
 * Every built-in function a newer major added is unknown to the classifier
 * (unknown_function: held) or denylisted, never a known read-only builtin:
 * new ones write (pg_sync_replication_slots, pg_restore_relation_stats,
 * pg_log_standby_snapshot) or read server files (pg_wal_summary_contents).
 */
static bool name_in_major(const char *name, int major)
{
	for (size_t i = 0; i < sw_pg_procs_n; i++)
		if ((sw_pg_procs[i].majors & SW_PG_MAJOR_BIT(major)) && strcmp(sw_pg_procs[i].name, name) == 0)
			return true;
	return false;
}

static void test_new_functions_fail_closed(void **state)
{
	size_t checked = 0;
	(void)state;

	for (int m = SW_PG_GRAMMAR_MAJOR + 1; m <= SW_PG_MAJOR_MAX; m++)
		for (size_t i = 0; i < sw_pg_procs_n; i++) {
			const struct sw_pg_proc *p = &sw_pg_procs[i];
			const struct sw_pg_func *f;
			if (!(p->majors & SW_PG_MAJOR_BIT(m)) || name_in_major(p->name, SW_PG_GRAMMAR_MAJOR))
				continue;
			checked++;
			f = sw_pg_func_lookup(p->schema, p->name);
			if (f && !(f->flags & PGF_DENY))
				fail_msg("%s.%s (new in PostgreSQL %d) is judged known (%s), not unknown or denied",
					 p->schema, p->name, m, f->name);
		}
	assert_true(checked > 100);
}

/* Settings only 16-18 have are not on the allowlist: SET/set_config of them is refused. */
static void test_new_settings_refused(void **state)
{
	static const char *settings[] = {
		/* 16 */ "createrole_self_grant", "debug_parallel_query", "icu_validation_level", "scram_iterations",
		"vacuum_buffer_usage_limit", "debug_logical_replication_streaming", "enable_presorted_aggregate",
		/* 17 */ "event_triggers", "transaction_timeout", "io_combine_limit", "enable_group_by_reordering",
		"allow_alter_system",
		/* 18 */ "extension_control_path", "file_copy_method", "log_lock_failures", "md5_password_warnings",
		"track_cost_delay_timing", "vacuum_truncate", "vacuum_max_eager_freeze_failure_rate",
		"enable_distinct_reordering", "enable_self_join_elimination",
	};
	(void)state;
	for (size_t i = 0; i < sizeof(settings) / sizeof(settings[0]); i++) {
		char why[512] = "";
		/* (RESET, value NULL, returns to what the DBA configured: not judged here.) */
		if (sw_pg_setting_allowed(settings[i], "off", NULL, why, sizeof(why)) ||
		    sw_pg_setting_allowed(settings[i], "1", NULL, why, sizeof(why)))
			fail_msg("setting %s (new in 16-18) is allowed for a governed session", settings[i]);
		assert_true(why[0] != 0);
	}
}

/* The same through the classifier, as statements a governed role sends to a 17 or 18 server. */
static void test_newer_meaning_statements(void **state)
{
	static const struct { const char *sql; unsigned trait; } cases[] = {
		{ "SET event_triggers = off", SW_TRAIT_UNSAFE_SETTING },                 /* 17: skips event triggers */
		{ "SET transaction_timeout = 0", SW_TRAIT_UNSAFE_SETTING },              /* 17 */
		{ "SET extension_control_path = '/tmp'", SW_TRAIT_UNSAFE_SETTING },      /* 18: loads code from a path */
		{ "SELECT set_config('event_triggers', 'off', false)", SW_TRAIT_UNSAFE_SETTING },
		/* New administrative functions are on the denylist (not only unknown). */
		{ "SELECT pg_sync_replication_slots()", SW_TRAIT_DANGEROUS_FUNCTION },    /* 17: changes slots */
		{ "SELECT pg_restore_relation_stats('relation', 'sw_t'::regclass, 'reltuples', 1e9::real)",
		  SW_TRAIT_DANGEROUS_FUNCTION },                                           /* 18: writes statistics */
		{ "SELECT pg_clear_attribute_stats('public', 'sw_t', 'a', false)", SW_TRAIT_DANGEROUS_FUNCTION },  /* 18 */
		{ "SELECT pg_log_standby_snapshot()", SW_TRAIT_DANGEROUS_FUNCTION },      /* 16: writes WAL */
		{ "SELECT * FROM pg_wal_summary_contents(1, '0/0', '0/1')", SW_TRAIT_DANGEROUS_FUNCTION },  /* 17: reads files */
		{ "SELECT pg_ls_summariesdir()", SW_TRAIT_DANGEROUS_FUNCTION },           /* 18: lists a server dir */
		{ "SELECT pg_stat_reset_backend_stats(1)", SW_TRAIT_DANGEROUS_FUNCTION },  /* 18 */
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct sw_analysis a;
		analyze_for(cases[i].sql, 18, &a);
		assert_true(a.parse_ok);
		if (!(a.stmts[0].traits & cases[i].trait))
			fail_msg("%s: expected trait %#x, traits %#x", cases[i].sql, cases[i].trait, a.stmts[0].traits);
		sw_analysis_free(&a);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_majors_with_tables),
		cmocka_unit_test(test_rows_sorted_and_fixed_oids_only),
		cmocka_unit_test(test_oids_differ_between_majors),
		cmocka_unit_test(test_volatility_and_casts_per_major),
		cmocka_unit_test(test_fastpath_named_by_major),
		cmocka_unit_test(test_watched_builtins_every_major),
		cmocka_unit_test(test_watched_builtin_named_by_major),
		cmocka_unit_test(test_newer_syntax_refused_with_reason),
		cmocka_unit_test(test_readable_statements_unchanged),
		cmocka_unit_test(test_merge_on_older_majors_is_a_write),
		cmocka_unit_test(test_sqljson_calls_are_unknown_functions),
		cmocka_unit_test(test_new_functions_fail_closed),
		cmocka_unit_test(test_new_settings_refused),
		cmocka_unit_test(test_newer_meaning_statements),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
