/* `sqlward check`: the JSON contract in DESIGN.md and the exit codes. */
#include "unit.h"
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "commands.h"

static char policy_path[4096];

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

/* Run `sqlward check ARGS...` capturing stdout; returns exit status, *out malloc'd. */
static int run_check(char **out, int argc, char **argv)
{
	char tmpl[] = "/tmp/sw-check-out.XXXXXX";
	int fd = mkstemp(tmpl), saved, rc;
	FILE *f;
	long n;

	assert_true(fd >= 0);
	fflush(stdout);
	saved = dup(1);
	dup2(fd, 1);
	rc = sw_cmd_check(argc, argv);
	fflush(stdout);
	dup2(saved, 1);
	close(saved);
	f = fdopen(fd, "r");
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	*out = calloc(1, (size_t)n + 1);
	assert_int_equal(fread(*out, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	unlink(tmpl);
	return rc;
}

static json_t *nth_line(const char *out, int n)
{
	const char *p = out;
	json_error_t e;
	for (int i = 0; i < n; i++) {
		p = strchr(p, '\n');
		assert_non_null(p);
		p++;
	}
	json_t *j = json_loadb(p, strcspn(p, "\n"), 0, &e);
	if (!j)
		fail_msg("line %d of check output is not JSON: %s\n%s", n, e.text, out);
	return j;
}

static int count_lines(const char *out)
{
	int n = 0;
	for (const char *p = out; *p; p++)
		n += *p == '\n';
	return n;
}

static void test_json_fields_and_deny(void **state)
{
	(void)state;
	char sql[] = "/tmp/sw-check-sql.XXXXXX";
	int fd = mkstemp(sql);
	close(fd);
	write_file(sql, "SELECT id FROM app.orders WHERE id = 1;\nDROP TABLE app.orders;\n"
			"ALTER TABLE app.orders ALTER COLUMN total TYPE numeric;\n");
	char *argv[] = { "check", "--format", "json", "--policy", policy_path, "--role", "agent_ci", sql, NULL };
	char *out;
	int rc = run_check(&out, 8, argv);

	assert_int_equal(rc, 1);
	assert_int_equal(count_lines(out), 3);
	json_t *a = nth_line(out, 0), *b = nth_line(out, 1), *c = nth_line(out, 2);
	const char *required[] = { "statement", "engine", "class", "command", "objects", "locks",
				   "rewrites_table", "verdict", "rule", "reasons" };
	for (size_t i = 0; i < sizeof(required) / sizeof(required[0]); i++) {
		if (!json_object_get(a, required[i]) || !json_object_get(b, required[i]))
			fail_msg("check JSON lacks \"%s\": %s", required[i], out);
	}
	assert_string_equal(json_string_value(json_object_get(a, "engine")), "postgres");
	assert_string_equal(json_string_value(json_object_get(a, "class")), "read");
	assert_string_equal(json_string_value(json_object_get(a, "command")), "SELECT");
	assert_string_equal(json_string_value(json_object_get(a, "verdict")), "allow");
	assert_string_equal(json_string_value(json_array_get(json_object_get(a, "objects"), 0)), "app.orders");
	assert_string_equal(json_string_value(json_object_get(json_object_get(a, "locks"), "app.orders")),
			    "AccessShareLock");
	assert_string_equal(json_string_value(json_object_get(a, "statement")), "SELECT id FROM app.orders WHERE id = 1");

	assert_string_equal(json_string_value(json_object_get(b, "class")), "ddl");
	assert_string_equal(json_string_value(json_object_get(b, "command")), "DROP TABLE");
	assert_string_equal(json_string_value(json_object_get(b, "verdict")), "deny");
	assert_string_equal(json_string_value(json_object_get(b, "rule")), "deny-destructive");
	assert_string_equal(json_string_value(json_object_get(json_object_get(b, "locks"), "app.orders")),
			    "AccessExclusiveLock");
	assert_true(json_array_size(json_object_get(b, "reasons")) > 0);

	assert_string_equal(json_string_value(json_object_get(c, "verdict")), "hold");
	assert_true(json_is_true(json_object_get(c, "rewrites_table")));
	json_decref(a);
	json_decref(b);
	json_decref(c);
	free(out);
	unlink(sql);
}

static void test_all_allowed_exit_0(void **state)
{
	(void)state;
	char sql[] = "/tmp/sw-check-sql.XXXXXX";
	int fd = mkstemp(sql);
	close(fd);
	write_file(sql, "SELECT 1; SELECT count(*) FROM t;");
	char *argv[] = { "check", "--format", "json", "--policy", policy_path, sql, NULL };
	char *out;
	assert_int_equal(run_check(&out, 6, argv), 0);
	assert_int_equal(count_lines(out), 2);
	free(out);
	unlink(sql);
}

static void test_unparseable_is_judged(void **state)
{
	(void)state;
	char sql[] = "/tmp/sw-check-sql.XXXXXX";
	int fd = mkstemp(sql);
	close(fd);
	write_file(sql, "SELEC * FORM nowhere");
	char *argv[] = { "check", "--format", "json", "--policy", policy_path, sql, NULL };
	char *out;
	assert_int_equal(run_check(&out, 6, argv), 1);
	json_t *a = nth_line(out, 0);
	assert_string_equal(json_string_value(json_object_get(a, "class")), "unknown");
	assert_string_equal(json_string_value(json_object_get(a, "verdict")), "deny");
	assert_string_equal(json_string_value(json_object_get(a, "statement")), "SELEC * FORM nowhere");
	json_decref(a);
	free(out);
	unlink(sql);
}

static void test_ungoverned_role_allowed(void **state)
{
	(void)state;
	char sql[] = "/tmp/sw-check-sql.XXXXXX";
	int fd = mkstemp(sql);
	close(fd);
	write_file(sql, "DROP TABLE t");
	char *argv[] = { "check", "--format", "json", "--policy", policy_path, "--role", "app_owner", sql, NULL };
	char *out;
	assert_int_equal(run_check(&out, 8, argv), 0);
	json_t *a = nth_line(out, 0);
	assert_string_equal(json_string_value(json_object_get(a, "rule")), "ungoverned");
	json_decref(a);
	free(out);
	unlink(sql);
}

/* Settings in the JSON contract: "settings" appears when a statement changes any. */
static void test_settings_in_json(void **state)
{
	(void)state;
	char sql[] = "/tmp/sw-check-sql.XXXXXX";
	int fd = mkstemp(sql);
	close(fd);
	write_file(sql, "SET statement_timeout = '5s';\nSET work_mem = '1GB';\nSELECT 1;\n"
			"BEGIN ISOLATION LEVEL SERIALIZABLE, READ WRITE;\nRESET ROLE;\n"
			"SELECT rolpassword FROM pg_authid LIMIT 1;\nPREPARE TRANSACTION 'tx';\n");
	char *argv[] = { "check", "--format", "json", "--policy", policy_path, "--role", "agent_ci", sql, NULL };
	char *out;
	assert_int_equal(run_check(&out, 8, argv), 1);
	assert_int_equal(count_lines(out), 7);
	static const struct {
		const char *settings, *verdict, *rule;
	} want[] = {
		{ "[\"statement_timeout\"]", "allow", "allow-session" },
		{ "[\"work_mem\"]", "deny", "deny-unsafe-setting" },
		{ NULL, "allow", "allow-read" },
		{ "[\"transaction_isolation\",\"transaction_read_only\"]", "deny", "deny-unsafe-setting" },
		{ "[\"role\"]", "deny", "deny-session-escalation" },
		{ NULL, "deny", "deny-sensitive-catalog" },
		{ NULL, "deny", "deny-two-phase" },
	};
	for (int i = 0; i < 7; i++) {
		json_t *o = nth_line(out, i), *settings = json_object_get(o, "settings");
		if (want[i].settings) {
			char *got = settings ? json_dumps(settings, JSON_COMPACT) : strdup("(none)");
			if (strcmp(got, want[i].settings) != 0)
				fail_msg("line %d: settings %s, expected %s", i, got, want[i].settings);
			free(got);
		} else if (settings) {
			fail_msg("line %d: \"settings\" present for a statement that changes none", i);
		}
		assert_string_equal(json_string_value(json_object_get(o, "verdict")), want[i].verdict);
		assert_string_equal(json_string_value(json_object_get(o, "rule")), want[i].rule);
		json_decref(o);
	}
	json_t *two = nth_line(out, 6);
	assert_string_equal(json_string_value(json_object_get(two, "class")), "two_phase");
	json_decref(two);
	free(out);

	/* A security team extends the allowlist with an allow rule before the deny rule. */
	char pol[] = "/tmp/sw-check-pol.XXXXXX";
	fd = mkstemp(pol);
	close(fd);
	write_file(pol, "sqlward_policy: 1\ngovern: { roles: [\"agent_*\"] }\ndefault: deny\nrules:\n"
			"  - { id: allow-work-mem, match: { setting: WORK_MEM }, action: allow }\n"
			"  - { id: deny-unsafe-setting, match: { trait: unsafe_setting }, action: deny }\n"
			"  - { id: allow-session, match: { class: session }, action: allow }\n");
	write_file(sql, "SET work_mem = '1GB'; SET sort_mem = 1000; SET maintenance_work_mem = '1GB';");
	char *argv2[] = { "check", "--format", "json", "--policy", pol, "--role", "agent_ci", sql, NULL };
	assert_int_equal(run_check(&out, 8, argv2), 1);
	json_t *a = nth_line(out, 0), *b = nth_line(out, 1), *c = nth_line(out, 2);
	assert_string_equal(json_string_value(json_object_get(a, "rule")), "allow-work-mem");
	assert_string_equal(json_string_value(json_object_get(b, "rule")), "allow-work-mem");  /* sort_mem is work_mem */
	assert_string_equal(json_string_value(json_object_get(c, "rule")), "deny-unsafe-setting");
	json_decref(a);
	json_decref(b);
	json_decref(c);
	free(out);
	unlink(pol);
	unlink(sql);
}

static void test_bad_usage_exit_2(void **state)
{
	(void)state;
	char *out;
	char *a1[] = { "check", "--format", "yaml", "--policy", policy_path, NULL };
	assert_int_equal(run_check(&out, 5, a1), 2);
	free(out);
	char *a2[] = { "check", "--engine", "oracle", "--policy", policy_path, NULL };
	assert_int_equal(run_check(&out, 5, a2), 2);
	free(out);
	char *a3[] = { "check", "--policy", "/nonexistent/policy.yaml", "/dev/null", NULL };
	assert_int_equal(run_check(&out, 4, a3), 2);
	free(out);
	char *a4[] = { "check", "--policy", policy_path, "/nonexistent.sql", NULL };
	assert_int_equal(run_check(&out, 4, a4), 2);
	free(out);
}

/* --engine mysql: MariaDB SQL classified by sw_my_analyze, judged by the same policy, no impact. */
static void test_engine_mysql(void **state)
{
	(void)state;
	char sql[] = "/tmp/sw-check-my.XXXXXX";
	int fd = mkstemp(sql);
	close(fd);
	write_file(sql, "SELECT id FROM app.orders WHERE id = 1 LIMIT 1; DROP TABLE app.orders;\n"
			"SELECT \"x\\\"; DROP TABLE t; -- \" FROM t LIMIT 1;\n");
	char *argv[] = { "check", "--engine", "mysql", "--format", "json", "--policy", policy_path, "--role",
			 "agent_ci", sql, NULL };
	char *out;
	int rc = run_check(&out, 10, argv);
	assert_int_equal(rc, 1);
	assert_int_equal(count_lines(out), 3);
	json_t *j0 = nth_line(out, 0), *j1 = nth_line(out, 1), *j2 = nth_line(out, 2);
	assert_string_equal(json_string_value(json_object_get(j0, "engine")), "mysql");
	assert_string_equal(json_string_value(json_object_get(j0, "class")), "read");
	assert_string_equal(json_string_value(json_object_get(j1, "command")), "DROP TABLE");
	assert_string_equal(json_string_value(json_object_get(j1, "verdict")), "deny");
	/* Default sql_mode: "..." is a string, so the third statement is one read. */
	assert_string_equal(json_string_value(json_object_get(j2, "class")), "read");
	json_decref(j0);
	json_decref(j1);
	json_decref(j2);
	free(out);

	/* Under ANSI_QUOTES the same text hides a DROP: it is found. */
	write_file(sql, "SELECT \"x\\\"; DROP TABLE t; -- \" FROM t LIMIT 1;\n");
	char *a2[] = { "check", "--engine", "mysql", "--sql-mode", "ANSI_QUOTES", "--policy", policy_path, sql, NULL };
	rc = run_check(&out, 8, a2);
	assert_int_equal(rc, 1);
	assert_non_null(strstr(out, "DROP TABLE"));
	free(out);

	/* Text output and markdown cope with statements that have no impact analysis. */
	char *a3[] = { "check", "--engine", "mysql", "--format", "markdown", "--policy", policy_path, sql, NULL };
	rc = run_check(&out, 8, a3);
	free(out);
	char *a4[] = { "check", "--engine", "mysql", "--sql-mode", "NO_SUCH_MODE", "--policy", policy_path, sql, NULL };
	assert_int_equal(run_check(&out, 8, a4), 2);
	free(out);
	unlink(sql);
}

/* A temporary SQL file with text; path written into path (a mkstemp template). */
static void sql_file(char *path, const char *text)
{
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	write_file(path, text);
}

/* psql scripts: meta-commands skipped, variables substituted, every result at FILE:LINE:COL. */
static void test_psql_script_positions(void **state)
{
	(void)state;
	char sql[] = "/tmp/sw-check-sql.XXXXXX";
	sql_file(sql, "\\set tbl orders\n"
		      "SELECT id FROM app.:tbl;\n"
		      "\\i other.sql\n"
		      "  SELECT *\n    FROM t WHERE WHERE x;\n"
		      "PREPARE p AS DELETE FROM app.orders;\n"
		      "EXECUTE p;\n"
		      "DROP TABLE :nowhere;\n");
	char *argv[] = { "check", "--format", "json", "--policy", policy_path, sql, NULL };
	char *out;
	int rc = run_check(&out, 6, argv);

	assert_int_equal(rc, 1);
	assert_int_equal(count_lines(out), 5);
	json_t *a = nth_line(out, 0), *b = nth_line(out, 1), *e = nth_line(out, 3), *u = nth_line(out, 4);
	assert_int_equal(json_integer_value(json_object_get(a, "line")), 2);
	assert_string_equal(json_string_value(json_object_get(a, "statement")), "SELECT id FROM app.orders");
	assert_string_equal(json_string_value(json_object_get(a, "verdict")), "allow");
	/* the parse error's line and column, from the parser's cursor */
	assert_int_equal(json_integer_value(json_object_get(b, "line")), 5);
	assert_int_equal(json_integer_value(json_object_get(b, "column")), 18);
	assert_string_equal(json_string_value(json_object_get(b, "class")), "unknown");
	/* EXECUTE is judged as the DELETE it runs */
	assert_int_equal(json_integer_value(json_object_get(e, "line")), 7);
	assert_string_equal(json_string_value(json_object_get(e, "verdict")), "deny");
	assert_string_equal(json_string_value(json_object_get(e, "rule")), "deny-destructive");
	/* an unknown psql variable: not checkable, fail closed */
	assert_string_equal(json_string_value(json_object_get(u, "class")), "unknown");
	assert_string_not_equal(json_string_value(json_object_get(u, "verdict")), "allow");
	json_decref(a);
	json_decref(b);
	json_decref(e);
	json_decref(u);
	free(out);
	unlink(sql);
}

/* No CONCURRENTLY advice for a table created earlier in the same transaction. */
static void test_created_in_transaction(void **state)
{
	(void)state;
	char sql[] = "/tmp/sw-check-sql.XXXXXX";
	sql_file(sql, "BEGIN;\nCREATE TABLE app.fresh (id int);\nCREATE INDEX fresh_id ON app.fresh (id);\n"
		      "CREATE INDEX old_id ON app.orders (id);\nCOMMIT;\n");
	char *argv[] = { "check", "--format", "json", "--policy", policy_path, sql, NULL };
	char *out;
	run_check(&out, 6, argv);
	json_t *fresh = nth_line(out, 2), *old = nth_line(out, 3);
	/* the impact's members are the statement's own ("safer": null when there is no advice) */
	assert_null(json_string_value(json_object_get(fresh, "safer")));
	const char *advice = json_string_value(json_object_get(old, "safer"));
	if (!advice || !strstr(advice, "CONCURRENTLY"))
		fail_msg("no CONCURRENTLY advice for an existing table: %s", out);
	json_decref(fresh);
	json_decref(old);
	free(out);

	char *md[] = { "check", "--format", "markdown", "--policy", policy_path, sql, NULL };
	run_check(&out, 6, md);
	assert_non_null(strstr(out, "inside the transaction opened at #1 (line 1)"));
	assert_non_null(strstr(out, ":3 #3"));
	free(out);
	unlink(sql);
}

/* GitHub annotations: escaping, levels, positions. */
static void test_github_format(void **state)
{
	(void)state;
	char sql[] = "/tmp/sw-check-sql.XXXXXX";
	sql_file(sql, "SELECT 1;\n\\echo hi\n\nDROP TABLE app.orders;\n");
	char *argv[] = { "check", "--format", "github", "--policy", policy_path, sql, NULL };
	char *out;
	assert_int_equal(run_check(&out, 6, argv), 1);
	char *want = NULL;
	assert_true(asprintf(&want, "::error file=%s,line=4,col=1,title=sqlward%%3A deny (deny-destructive)::deny "
				   "DROP TABLE app.orders", sql) > 0);
	if (!strstr(out, want))
		fail_msg("no \"%s\" in:\n%s", want, out);
	assert_non_null(strstr(out, "::notice file="));
	assert_null(strstr(out, "SELECT 1"));   /* allowed: not a finding */
	free(want);
	free(out);
	unlink(sql);
}

/* SARIF 2.1.0: rules that fired, results with level and region. */
static void test_sarif_format(void **state)
{
	(void)state;
	char sql[] = "/tmp/sw-check-sql.XXXXXX";
	sql_file(sql, "SELECT 1;\n  DROP TABLE app.orders;\nALTER TABLE app.orders ALTER COLUMN total TYPE numeric;\n");
	char *argv[] = { "check", "--format", "sarif", "--policy", policy_path, sql, NULL };
	char *out;
	json_error_t e;
	assert_int_equal(run_check(&out, 6, argv), 1);
	json_t *log = json_loads(out, 0, &e);
	if (!log)
		fail_msg("not JSON: %s\n%s", e.text, out);
	assert_string_equal(json_string_value(json_object_get(log, "version")), "2.1.0");
	json_t *run = json_array_get(json_object_get(log, "runs"), 0);
	json_t *rules = json_object_get(json_object_get(json_object_get(run, "tool"), "driver"), "rules");
	json_t *results = json_object_get(run, "results");
	assert_int_equal(json_array_size(rules), 2);
	assert_int_equal(json_array_size(results), 2);
	json_t *r0 = json_array_get(results, 0);
	assert_string_equal(json_string_value(json_object_get(r0, "ruleId")), "deny-destructive");
	assert_string_equal(json_string_value(json_object_get(r0, "level")), "error");
	json_t *pl = json_object_get(json_array_get(json_object_get(r0, "locations"), 0), "physicalLocation");
	assert_string_equal(json_string_value(json_object_get(json_object_get(pl, "artifactLocation"), "uri")), sql);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(pl, "region"), "startLine")), 2);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(pl, "region"), "startColumn")), 3);
	assert_string_equal(json_string_value(json_object_get(json_array_get(results, 1), "level")), "warning");
	json_decref(log);
	free(out);
	unlink(sql);
}

/* Without --policy and without /etc/sqlward/policy.yaml: the built-in default policy. */
static void test_builtin_default_policy(void **state)
{
	(void)state;
	char sql[] = "/tmp/sw-check-sql.XXXXXX";
	if (access("/etc/sqlward/policy.yaml", F_OK) == 0)
		skip();
	sql_file(sql, "DROP TABLE app.orders;\n");
	unsetenv("SQLWARD_POLICY");
	char *argv[] = { "check", "--format", "json", sql, NULL };
	char *out;
	assert_int_equal(run_check(&out, 4, argv), 1);
	json_t *a = nth_line(out, 0);
	assert_string_equal(json_string_value(json_object_get(a, "rule")), "deny-destructive");
	json_decref(a);
	free(out);
	unlink(sql);
}

/* MariaDB: DELIMITER blocks as the mysql client splits them. */
static void test_mariadb_delimiter_file(void **state)
{
	(void)state;
	char sql[] = "/tmp/sw-check-sql.XXXXXX";
	sql_file(sql, "DELIMITER //\nCREATE PROCEDURE p() BEGIN SELECT 1; SELECT 2; END//\nDELIMITER ;\n"
		      "SELECT 1;\n");
	char *argv[] = { "check", "--engine", "mysql", "--format", "json", "--policy", policy_path, sql, NULL };
	char *out;
	run_check(&out, 8, argv);
	assert_int_equal(count_lines(out), 2);
	json_t *a = nth_line(out, 0), *b = nth_line(out, 1);
	assert_int_equal(json_integer_value(json_object_get(a, "line")), 2);
	assert_string_equal(json_string_value(json_object_get(a, "statement")),
			    "CREATE PROCEDURE p() BEGIN SELECT 1; SELECT 2; END");
	assert_int_equal(json_integer_value(json_object_get(b, "line")), 4);
	json_decref(a);
	json_decref(b);
	free(out);
	unlink(sql);
}

/*
 * --pg-major N judges as the daemon does for a backend of that major: its catalog facts
 * (timezone() is volatile on 12 to 14, stable from 15, so ADD COLUMN ... DEFAULT
 * timezone(...) rewrites the table only there) and the newer-syntax reason.
 */
static void test_pg_major(void **state)
{
	(void)state;
	char sql[] = "/tmp/sw-check-sql.XXXXXX";
	int fd = mkstemp(sql);
	close(fd);
	write_file(sql, "ALTER TABLE app.t ADD COLUMN c timestamp DEFAULT timezone('UTC', now());\n"
			"SELECT * FROM JSON_TABLE('[1]'::jsonb, '$[*]' COLUMNS (x int PATH '$')) AS jt;\n");
	const char *majors[] = { "12", "15", "17" };
	int rewrites[] = { 1, 0, 0 };
	for (int k = 0; k < 3; k++) {
		char *argv[] = { "check", "--format", "json", "--policy", policy_path, "--pg-major", (char *)majors[k],
				 sql, NULL };
		char *out;
		assert_int_equal(run_check(&out, 8, argv), 1);
		json_t *a = nth_line(out, 0), *b = nth_line(out, 1);
		if (json_is_true(json_object_get(a, "rewrites_table")) != rewrites[k])
			fail_msg("--pg-major %s: ADD COLUMN DEFAULT timezone(): rewrites_table should be %d: %s",
				 majors[k], rewrites[k], out);
		assert_string_equal(json_string_value(json_object_get(b, "verdict")), "deny");
		json_t *reasons = json_object_get(b, "reasons");
		bool newer = false;
		for (size_t i = 0; i < json_array_size(reasons); i++)
			newer |= strstr(json_string_value(json_array_get(reasons, i)),
					"PostgreSQL 17 syntax the classifier") != NULL;
		if (newer != (k == 2))
			fail_msg("--pg-major %s: JSON_TABLE's reasons: %s", majors[k], out);
		json_decref(a);
		json_decref(b);
		free(out);
	}
	char *out;
	char *bad1[] = { "check", "--policy", policy_path, "--pg-major", "11", sql, NULL };
	assert_int_equal(run_check(&out, 6, bad1), 2);
	free(out);
	char *bad2[] = { "check", "--policy", policy_path, "--pg-major", "16x", sql, NULL };
	assert_int_equal(run_check(&out, 6, bad2), 2);
	free(out);
	char *bad3[] = { "check", "--engine", "mysql", "--policy", policy_path, "--pg-major", "16", sql, NULL };
	assert_int_equal(run_check(&out, 8, bad3), 2);
	free(out);
	unlink(sql);
}

int main(void)
{
	const char *top = getenv("SQLWARD_TOP");
	snprintf(policy_path, sizeof(policy_path), "%s/policies/default.yaml", top ? top : ".");
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json_fields_and_deny),
		cmocka_unit_test(test_all_allowed_exit_0),
		cmocka_unit_test(test_unparseable_is_judged),
		cmocka_unit_test(test_ungoverned_role_allowed),
		cmocka_unit_test(test_settings_in_json),
		cmocka_unit_test(test_bad_usage_exit_2),
		cmocka_unit_test(test_engine_mysql),
		cmocka_unit_test(test_psql_script_positions),
		cmocka_unit_test(test_created_in_transaction),
		cmocka_unit_test(test_github_format),
		cmocka_unit_test(test_sarif_format),
		cmocka_unit_test(test_builtin_default_policy),
		cmocka_unit_test(test_mariadb_delimiter_file),
		cmocka_unit_test(test_pg_major),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
