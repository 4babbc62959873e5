/* Tests for replication-protocol command analysis (pg_replication.h). */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include "unit.h"
#include "statement.h"
#include "pg_replication.h"

/*
 * Each input with what PostgreSQL 15's walsender does with it: a
 * replication command (its tag; parses or not) or SQL. Checked against a
 * real PostgreSQL 15.18 walsender (replication=database, log_replication_commands).
 */
struct repl_case {
	const char *input;
	bool replication;
	const char *command;   /* command tag when replication */
	bool parse_ok;
};

static const struct repl_case repl_cases[] = {
	/* BEGIN REPL CASES */
	{ "IDENTIFY_SYSTEM", true, "IDENTIFY_SYSTEM", true },
	{ "IDENTIFY_SYSTEM;", true, "IDENTIFY_SYSTEM", true },
	{ " \t\n\r\fIDENTIFY_SYSTEM ;  ", true, "IDENTIFY_SYSTEM", true },
	{ "\vIDENTIFY_SYSTEM", false, NULL, false },              /* \v is not {space} */
	{ "identify_system", false, NULL, false },                /* keywords are upper case only */
	{ "Identify_System", false, NULL, false },
	{ "IDENTIFY_SYSTEMX", false, NULL, false },               /* a longer identifier */
	{ "IDENTIFY_SYSTEM$", false, NULL, false },
	{ "IDENTIFY_SYSTEM1", false, NULL, false },
	{ "\"IDENTIFY_SYSTEM\"", false, NULL, false },            /* quoted: never a keyword */
	{ "-- note\nIDENTIFY_SYSTEM", false, NULL, false },       /* the scanner knows no comments */
	{ "/* note */ IDENTIFY_SYSTEM", false, NULL, false },
	{ "", false, NULL, false },
	{ " \n\t", false, NULL, false },
	{ "IDENTIFY_SYSTEM -- note", true, "IDENTIFY_SYSTEM", false },
	{ "IDENTIFY_SYSTEM;;", true, "IDENTIFY_SYSTEM", false },
	{ "IDENTIFY_SYSTEM\x01", true, "IDENTIFY_SYSTEM", false },
	{ "IDENTIFY_SYSTEM 'open", true, "IDENTIFY_SYSTEM", false },
	{ "SHOW server_version", true, "SHOW", true },
	{ "SHOW server_version;", true, "SHOW", true },
	{ "SHOW ALL", true, "SHOW", true },
	{ "SHOW\"wal_level\"", true, "SHOW", true },
	{ "SHOW a.b.c", true, "SHOW", true },
	{ "SHOW \"\"", true, "SHOW", true },                      /* an empty quoted name is allowed */
	{ "SHOW;", true, "SHOW", false },
	{ "SHOW(", true, "SHOW", false },
	{ "SHOW'wal_level'", true, "SHOW", false },
	{ "SHOW a.", true, "SHOW", false },
	{ "show wal_level", false, NULL, false },
	{ "SHOWX", false, NULL, false },
	{ "SHOW\xc3\xa9", false, NULL, false },                   /* high-bit bytes continue identifiers */
	{ "\xc3\xa9SHOW x", false, NULL, false },
	{ "_SHOW x", false, NULL, false },
	{ ";SHOW x", false, NULL, false },
	{ "(SHOW x)", false, NULL, false },
	{ "1 SHOW x", false, NULL, false },
	{ "0/0", false, NULL, false },
	{ "'SHOW'", false, NULL, false },
	{ "'open", false, NULL, false },                           /* scanner error: nothing runs */
	{ "\"open", false, NULL, false },
	{ "SELECT 1", false, NULL, false },
	{ "TIMELINE 1", false, NULL, false },                      /* keywords that start no command */
	{ "WAIT", false, NULL, false },
	{ "SLOT s", false, NULL, false },
	{ "LOGICAL", false, NULL, false },
	{ "TIMELINE_HISTORY 2", true, "TIMELINE_HISTORY", true },
	{ "TIMELINE_HISTORY 0", true, "TIMELINE_HISTORY", false },
	{ "TIMELINE_HISTORY 4294967296", true, "TIMELINE_HISTORY", false }, /* wraps to 0 */
	{ "TIMELINE_HISTORY", true, "TIMELINE_HISTORY", false },
	{ "TIMELINE_HISTORYX 2", false, NULL, false },
	{ "TIMELINE_HISTOR 2", false, NULL, false },
	{ "BASE_BACKUP", true, "BASE_BACKUP", true },
	{ "BASE_BACKUP;", true, "BASE_BACKUP", true },
	{ "BASE_BACKUP (LABEL 'x', PROGRESS, TARGET 'server', TARGET_DETAIL '/tmp/b')", true, "BASE_BACKUP", true },
	{ "BASE_BACKUP(LABEL 'it''s', CHECKPOINT fast, WAIT 0, MAX_RATE 32768)", true, "BASE_BACKUP", true },
	{ "BASE_BACKUP LABEL 'x' PROGRESS", true, "BASE_BACKUP", false }, /* pre-15 syntax */
	{ "BASE_BACKUP ()", true, "BASE_BACKUP", false },
	{ "BASE_BACKUP (LABEL 'x',)", true, "BASE_BACKUP", false },
	{ "BASE_BACKUP (LABEL WAIT)", true, "BASE_BACKUP", false }, /* a keyword is no value */
	{ "BASE_BACKUP (WAIT, TIMELINE, SLOT)", true, "BASE_BACKUP", true }, /* keywords name options */
	{ "BASE_BACKUP (READ_REPLICATION_SLOT)", true, "BASE_BACKUP", false }, /* except this one */
	{ "base_backup", false, NULL, false },
	{ "CREATE_REPLICATION_SLOT s LOGICAL pgoutput", true, "CREATE_REPLICATION_SLOT", true },
	{ "CREATE_REPLICATION_SLOT s TEMPORARY PHYSICAL RESERVE_WAL", true, "CREATE_REPLICATION_SLOT", true },
	{ "CREATE_REPLICATION_SLOT s LOGICAL pgoutput (SNAPSHOT 'nothing', TWO_PHASE)", true,
	  "CREATE_REPLICATION_SLOT", true },
	{ "CREATE_REPLICATION_SLOT s LOGICAL pgoutput EXPORT_SNAPSHOT TWO_PHASE", true, "CREATE_REPLICATION_SLOT", true },
	{ "CREATE_REPLICATION_SLOT \"S\" PHYSICAL (RESERVE_WAL)", true, "CREATE_REPLICATION_SLOT", true },
	{ "CREATE_REPLICATION_SLOT s PHYSICAL (reserve_wal true)", true, "CREATE_REPLICATION_SLOT", true },
	{ "CREATE_REPLICATION_SLOT s", true, "CREATE_REPLICATION_SLOT", false },
	{ "CREATE_REPLICATION_SLOT 's' PHYSICAL", true, "CREATE_REPLICATION_SLOT", false },
	{ "CREATE_REPLICATION_SLOT s PHYSICAL TEMPORARY", true, "CREATE_REPLICATION_SLOT", false },
	{ "CREATE_REPLICATION_SLOT s LOGICAL", true, "CREATE_REPLICATION_SLOT", false },
	{ "DROP_REPLICATION_SLOT s", true, "DROP_REPLICATION_SLOT", true },
	{ "DROP_REPLICATION_SLOT s WAIT", true, "DROP_REPLICATION_SLOT", true },
	{ "DROP_REPLICATION_SLOT s wait", true, "DROP_REPLICATION_SLOT", false },
	{ "READ_REPLICATION_SLOT s", true, "READ_REPLICATION_SLOT", true },
	{ "READ_REPLICATION_SLOT", true, "READ_REPLICATION_SLOT", false },
	{ "START_REPLICATION 0/0", true, "START_REPLICATION", true },
	{ "START_REPLICATION abc/DEF", true, "START_REPLICATION", true },
	{ "START_REPLICATION SLOT s PHYSICAL 1A/FF00 TIMELINE 3", true, "START_REPLICATION", true },
	{ "START_REPLICATION SLOT s LOGICAL 0/0 (proto_version '1', publication_names 'p')", true,
	  "START_REPLICATION", true },
	{ "START_REPLICATION SLOT s LOGICAL 0/0 (\"binary\", streaming 'on')", true, "START_REPLICATION", true },
	{ "START_REPLICATION SLOT s LOGICAL 0/0 (proto_version 1)", true, "START_REPLICATION", false },
	{ "START_REPLICATION LOGICAL 0/0", true, "START_REPLICATION", false },
	{ "START_REPLICATION 0/0 TIMELINE 0", true, "START_REPLICATION", false },
	{ "START_REPLICATION 0/", true, "START_REPLICATION", false },
	{ "START_REPLICATION SLOT s LOGICAL 0/0 TIMELINE 1", true, "START_REPLICATION", false },
	/* END REPL CASES */
};

static void test_decision_table(void **state)
{
	(void)state;
	assert_true(sizeof(repl_cases) / sizeof(repl_cases[0]) >= 40);
	for (size_t i = 0; i < sizeof(repl_cases) / sizeof(repl_cases[0]); i++) {
		const struct repl_case *c = &repl_cases[i];
		struct sw_analysis a;
		bool got = sw_pg_replication_analyze(c->input, &a);

		if (got != c->replication)
			fail_msg("case %zu \"%s\": expected %s", i, c->input, c->replication ? "replication" : "SQL");
		if (!got) {
			assert_int_equal(a.n_stmts, 0);
			assert_null(a.stmts);
			continue;
		}
		if (a.parse_ok != c->parse_ok)
			fail_msg("case %zu \"%s\": expected parse_ok=%d (error: %s)", i, c->input, c->parse_ok,
				 a.error ? a.error : "none");
		assert_int_equal(a.engine, SW_ENGINE_POSTGRES);
		assert_int_equal(a.n_stmts, 1);
		assert_int_equal(a.stmts[0].cls, SW_CLASS_REPLICATION);
		assert_string_equal(a.stmts[0].command, c->command);
		assert_string_equal(a.stmts[0].text, c->input);
		assert_int_equal(a.stmts[0].n_objects, 0);
		assert_true(a.stmts[0].reasons.n >= 1);
		if (!a.parse_ok)
			assert_non_null(a.error);
		sw_analysis_free(&a);
	}
}

/* Does some reason contain needle? */
static bool has_reason(const struct sw_stmt *st, const char *needle)
{
	for (size_t i = 0; i < st->reasons.n; i++)
		if (strstr(st->reasons.v[i], needle))
			return true;
	return false;
}

#define assert_reason(st, needle) \
	do { \
		if (!has_reason((st), (needle))) \
			fail_msg("no reason contains \"%s\"", (needle)); \
	} while (0)

static void analyze_ok(const char *cmd, struct sw_analysis *a)
{
	assert_true(sw_pg_replication_analyze(cmd, a));
	if (!a->parse_ok)
		fail_msg("\"%s\" does not parse: %s", cmd, a->error);
}

static void test_create_slot_reasons(void **state)
{
	struct sw_analysis a;
	const struct sw_stmt *st;
	(void)state;

	analyze_ok("CREATE_REPLICATION_SLOT \"Feed\" LOGICAL pgoutput (TWO_PHASE)", &a);
	st = &a.stmts[0];
	assert_reason(st, "LOGICAL replication slot \"Feed\"");
	assert_reason(st, "output plugin \"pgoutput\"");
	assert_reason(st, "permanent slot");
	assert_reason(st, "snapshot action export (the default)");
	assert_reason(st, "TWO_PHASE");
	assert_reason(st, "a logical stream carries every committed change of every role in the database");
	assert_false(st->traits & SW_TRAIT_FILE_ACCESS);
	sw_analysis_free(&a);

	analyze_ok("CREATE_REPLICATION_SLOT Tmp TEMPORARY LOGICAL test_decoding NOEXPORT_SNAPSHOT", &a);
	st = &a.stmts[0];
	assert_reason(st, "slot \"tmp\"");  /* unquoted names are down-cased */
	assert_reason(st, "TEMPORARY");
	assert_reason(st, "snapshot action nothing");
	sw_analysis_free(&a);

	analyze_ok("CREATE_REPLICATION_SLOT standby1 PHYSICAL RESERVE_WAL", &a);
	st = &a.stmts[0];
	assert_reason(st, "PHYSICAL replication slot \"standby1\"");
	assert_reason(st, "RESERVE_WAL");
	assert_reason(st, "every change to every database of the cluster");
	sw_analysis_free(&a);
}

static void test_start_replication_reasons(void **state)
{
	struct sw_analysis a;
	const struct sw_stmt *st;
	(void)state;

	analyze_ok("START_REPLICATION SLOT sub LOGICAL 0/16B3748 (proto_version '2', publication_names '\"pub\"')", &a);
	st = &a.stmts[0];
	assert_string_equal(st->command, "START_REPLICATION");
	assert_reason(st, "LOGICAL streaming through slot \"sub\" from WAL location 0/16B3748");
	assert_reason(st, "output plugin options: proto_version '2', publication_names '\"pub\"'");
	assert_reason(st, "every committed change of every role");
	sw_analysis_free(&a);

	analyze_ok("START_REPLICATION SLOT s1 PHYSICAL 1a/ff TIMELINE 2", &a);
	st = &a.stmts[0];
	assert_reason(st, "PHYSICAL streaming of the cluster's WAL through slot \"s1\" from WAL location 1A/FF");
	assert_reason(st, "on timeline 2");
	sw_analysis_free(&a);

	/* sscanf("%X") keeps the low 32 bits of a longer number. */
	analyze_ok("START_REPLICATION 100000001/0", &a);
	assert_reason(&a.stmts[0], "(no slot) from WAL location 1/0");
	sw_analysis_free(&a);
}

static void test_base_backup_reasons(void **state)
{
	struct sw_analysis a;
	const struct sw_stmt *st;
	(void)state;

	analyze_ok("BASE_BACKUP (LABEL 'x', PROGRESS, TARGET 'server', TARGET_DETAIL '/var/tmp/b')", &a);
	st = &a.stmts[0];
	assert_string_equal(st->command, "BASE_BACKUP");
	assert_true(st->traits & SW_TRAIT_FILE_ACCESS);
	assert_reason(st, "a base backup copies every file of the cluster, including other databases and credentials");
	assert_reason(st, "BASE_BACKUP options: label 'x', progress, target 'server', target_detail '/var/tmp/b'");
	assert_reason(st, "into directory '/var/tmp/b' on the database host");
	sw_analysis_free(&a);

	analyze_ok("BASE_BACKUP", &a);
	st = &a.stmts[0];
	assert_false(st->traits & SW_TRAIT_FILE_ACCESS);
	assert_reason(st, "sent to the client");
	sw_analysis_free(&a);

	analyze_ok("BASE_BACKUP (TARGET shell, TARGET_DETAIL 'x', CHECKPOINT 'FAST')", &a);
	st = &a.stmts[0];
	assert_true(st->traits & SW_TRAIT_FILE_ACCESS); /* an extension's target: fail closed */
	assert_reason(st, "TARGET 'shell' is not built in");
	assert_reason(st, "immediate checkpoint");
	sw_analysis_free(&a);

	analyze_ok("BASE_BACKUP (TARGET 'blackhole')", &a);
	assert_false(a.stmts[0].traits & SW_TRAIT_FILE_ACCESS);
	sw_analysis_free(&a);

	/* The pre-15 form: the server takes it as BASE_BACKUP and rejects it. */
	assert_true(sw_pg_replication_analyze("BASE_BACKUP LABEL 'x' FAST", &a));
	assert_false(a.parse_ok);
	assert_int_equal(a.stmts[0].cls, SW_CLASS_REPLICATION);
	assert_non_null(strstr(a.error, "only in parentheses"));
	assert_reason(&a.stmts[0], "rejects it with a syntax error");
	sw_analysis_free(&a);
}

static void test_other_commands(void **state)
{
	struct sw_analysis a;
	(void)state;

	analyze_ok("DROP_REPLICATION_SLOT \"Old\" WAIT", &a);
	assert_reason(&a.stmts[0], "drops replication slot \"Old\"");
	assert_reason(&a.stmts[0], "WAIT");
	sw_analysis_free(&a);

	analyze_ok("SHOW wal_segment_size", &a);
	assert_reason(&a.stmts[0], "setting \"wal_segment_size\"");
	sw_analysis_free(&a);

	analyze_ok("READ_REPLICATION_SLOT s", &a);
	assert_reason(&a.stmts[0], "reads replication slot \"s\"");
	sw_analysis_free(&a);

	analyze_ok("TIMELINE_HISTORY 3", &a);
	assert_reason(&a.stmts[0], "timeline 3");
	sw_analysis_free(&a);

	analyze_ok("IDENTIFY_SYSTEM", &a);
	assert_reason(&a.stmts[0], "system identifier");
	sw_analysis_free(&a);

	/* Identifiers are cut to 63 bytes, not inside a UTF-8 character. */
	analyze_ok("DROP_REPLICATION_SLOT aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\xc3\xa9xyz", &a);
	assert_reason(&a.stmts[0], "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"");
	sw_analysis_free(&a);
}

static void test_errors_say_what(void **state)
{
	struct sw_analysis a;
	(void)state;

	assert_true(sw_pg_replication_analyze("CREATE_REPLICATION_SLOT s", &a));
	assert_false(a.parse_ok);
	assert_string_equal(a.stmts[0].command, "CREATE_REPLICATION_SLOT");
	assert_non_null(strstr(a.error, "expected PHYSICAL or LOGICAL, found end of command"));
	sw_analysis_free(&a);

	assert_true(sw_pg_replication_analyze("TIMELINE_HISTORY 0", &a));
	assert_non_null(strstr(a.error, "invalid timeline 0"));
	sw_analysis_free(&a);

	assert_true(sw_pg_replication_analyze("SHOW 'x", &a));
	assert_non_null(strstr(a.error, "unterminated quoted string"));
	sw_analysis_free(&a);

	/* A refused text leaves *out zeroed. */
	memset(&a, 0x5a, sizeof(a));
	assert_false(sw_pg_replication_analyze("select 1", &a));
	assert_false(a.parse_ok);
	assert_null(a.error);
	assert_null(a.stmts);
	assert_int_equal(a.n_stmts, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decision_table),
		cmocka_unit_test(test_create_slot_reasons),
		cmocka_unit_test(test_start_replication_reasons),
		cmocka_unit_test(test_base_backup_reasons),
		cmocka_unit_test(test_other_commands),
		cmocka_unit_test(test_errors_say_what),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
