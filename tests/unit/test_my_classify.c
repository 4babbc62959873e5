/* MariaDB classifier (my_classify.c, my_lex.c, my_grammar.y): what each statement is, and what cannot hide. */
#include "unit.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "my_classify.h"
#include "my_sqlcom.h"

static struct sw_analysis an;

static void analyze(const char *sql, unsigned mode)
{
	sw_analysis_free(&an);
	sw_my_analyze(sql, mode, &an);
	assert_int_equal(an.engine, SW_ENGINE_MYSQL);
}

static bool has_object(const struct sw_stmt *st, const char *name)
{
	for (size_t i = 0; i < st->n_objects; i++)
		if (strcmp(st->objects[i].name, name) == 0)
			return true;
	return false;
}

static bool has_reason(const struct sw_stmt *st, const char *part)
{
	for (size_t i = 0; i < st->reasons.n; i++)
		if (strstr(st->reasons.v[i], part))
			return true;
	return false;
}

/* One statement that parsed, of this class and command. */
static const struct sw_stmt *one(const char *sql, unsigned mode, enum sw_class cls, const char *command)
{
	analyze(sql, mode);
	if (!an.parse_ok)
		fail_msg("%s: did not parse: %s", sql, an.error);
	if (an.n_stmts != 1)
		fail_msg("%s: %zu statements", sql, an.n_stmts);
	if (an.stmts[0].cls != cls || strcmp(an.stmts[0].command, command) != 0)
		fail_msg("%s: class %s command %s, expected %s %s", sql, sw_class_name(an.stmts[0].cls),
			 an.stmts[0].command, sw_class_name(cls), command);
	return &an.stmts[0];
}

/* Statements of this class and command with exactly `traits` among the traits `checked`. */
struct trait_case {
	const char *sql;
	enum sw_class cls;
	const char *command;
	unsigned traits;
};

static void check_traits(const struct trait_case *c, size_t n, unsigned checked)
{
	for (size_t i = 0; i < n; i++) {
		const struct sw_stmt *st = one(c[i].sql, 0, c[i].cls, c[i].command);
		if ((st->traits & checked) != c[i].traits)
			fail_msg("%s: traits 0x%x, expected 0x%x", c[i].sql, st->traits & checked, c[i].traits);
	}
}

static void unknown(const char *sql, unsigned mode)
{
	analyze(sql, mode);
	if (an.parse_ok)
		fail_msg("%s: parsed (%zu statements, first %s), expected a parse error", sql, an.n_stmts,
			 an.n_stmts ? an.stmts[0].command : "-");
	assert_int_equal(an.n_stmts, 1);
	assert_int_equal(an.stmts[0].cls, SW_CLASS_UNKNOWN);
	assert_non_null(an.error);
	assert_non_null(strstr(an.error, "line "));
}

static void test_select(void **state)
{
	(void)state;
	const struct sw_stmt *st = one("SELECT id, name FROM app.users WHERE id = 1 LIMIT 10", 0, SW_CLASS_READ, "SELECT");
	assert_true(has_object(st, "app.users"));
	assert_false(st->traits & (SW_TRAIT_NO_LIMIT | SW_TRAIT_SELECT_STAR));
	assert_int_equal(sw_my_expected_sqlcom(st), SW_SQLCOM_SELECT);

	st = one("SELECT * FROM `my db`.`Orders` o JOIN customers c ON c.id = o.cid LEFT JOIN x USING (k)", 0,
		 SW_CLASS_READ, "SELECT");
	assert_true(has_object(st, "my db.Orders"));
	assert_true(has_object(st, "customers") && has_object(st, "x"));
	assert_true(st->traits & SW_TRAIT_SELECT_STAR);
	assert_true(st->traits & SW_TRAIT_NO_LIMIT);
	assert_true(has_reason(st, "returns rows with no LIMIT"));

	st = one("SELECT COUNT(*), MAX(total) FROM orders", 0, SW_CLASS_READ, "SELECT");
	assert_false(st->traits & SW_TRAIT_NO_LIMIT);
	assert_false(st->traits & SW_TRAIT_UNKNOWN_FUNCTION);

	st = one("SELECT a FROM t WHERE b IN (SELECT b FROM u) UNION ALL SELECT a FROM v LIMIT 5", 0, SW_CLASS_READ,
		 "SELECT");
	assert_true(has_object(st, "u") && has_object(st, "v"));
	assert_false(st->traits & SW_TRAIT_NO_LIMIT);

	st = one("WITH RECURSIVE r (n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 5) SELECT n FROM r", 0,
		 SW_CLASS_READ, "SELECT");
	st = one("SELECT id FROM t WHERE id = 1 FOR UPDATE", 0, SW_CLASS_READ, "SELECT");
	assert_true(st->traits & SW_TRAIT_LOCKING_READ);
	st = one("SELECT id FROM t LIMIT 1 LOCK IN SHARE MODE", 0, SW_CLASS_READ, "SELECT");
	assert_true(st->traits & SW_TRAIT_LOCKING_READ);
	st = one("SELECT id INTO @x FROM t LIMIT 1", 0, SW_CLASS_READ, "SELECT");
	assert_true(has_reason(st, "user variables"));
	st = one("SELECT 1", 0, SW_CLASS_READ, "SELECT");
	assert_false(st->traits & SW_TRAIT_NO_LIMIT);
	st = one("select `ünïcödé` from `tâble` where x = N'é' and y = _utf8mb4'z' and z = X'4142' and w = 0x41 "
		 "and v = b'01' and u = ?", 0, SW_CLASS_READ, "SELECT");
	assert_true(has_object(st, "tâble"));
}

static void test_outfile_and_load(void **state)
{
	(void)state;
	const struct sw_stmt *st = one("SELECT * FROM users INTO OUTFILE '/tmp/u.csv' FIELDS TERMINATED BY ','", 0,
				       SW_CLASS_WRITE, "SELECT");
	assert_true(st->traits & SW_TRAIT_FILE_ACCESS);
	assert_true(has_reason(st, "INTO OUTFILE writes a file"));
	st = one("SELECT a INTO DUMPFILE '/tmp/x' FROM t LIMIT 1", 0, SW_CLASS_WRITE, "SELECT");
	assert_true(st->traits & SW_TRAIT_FILE_ACCESS);
	st = one("LOAD DATA LOCAL INFILE '/tmp/x.csv' INTO TABLE app.t FIELDS TERMINATED BY ',' IGNORE 1 LINES", 0,
		 SW_CLASS_WRITE, "LOAD DATA");
	assert_true(st->traits & SW_TRAIT_FILE_ACCESS);
	assert_true(has_object(st, "app.t"));
	assert_int_equal(sw_my_expected_sqlcom(st), SW_SQLCOM_LOAD);
	st = one("SELECT LOAD_FILE('/etc/passwd')", 0, SW_CLASS_READ, "SELECT");
	assert_true(st->traits & SW_TRAIT_FILE_ACCESS);
	assert_true(st->traits & SW_TRAIT_DANGEROUS_FUNCTION);
}

static void test_functions(void **state)
{
	(void)state;
	const struct sw_stmt *st = one("SELECT SLEEP(5)", 0, SW_CLASS_READ, "SELECT");
	assert_true(st->traits & SW_TRAIT_DANGEROUS_FUNCTION);
	assert_string_equal(st->functions.v[0], "sleep");
	st = one("SELECT BENCHMARK(1000, MD5('a')), GET_LOCK('x', 1), sys_exec('id')", 0, SW_CLASS_READ, "SELECT");
	assert_true(st->traits & SW_TRAIT_DANGEROUS_FUNCTION);
	assert_true(has_reason(st, "calls sys_exec (denylisted"));
	st = one("SELECT app.f(1), my_udf(2)", 0, SW_CLASS_READ, "SELECT");
	assert_true(st->traits & SW_TRAIT_UNKNOWN_FUNCTION);
	assert_true(has_reason(st, "calls app.f (not a known read-only builtin)"));
	st = one("SELECT CONCAT(LOWER(a), UPPER(b)), COALESCE(c, 0), DATE_FORMAT(NOW(), '%Y') FROM t LIMIT 1", 0,
		 SW_CLASS_READ, "SELECT");
	assert_false(st->traits & (SW_TRAIT_UNKNOWN_FUNCTION | SW_TRAIT_DANGEROUS_FUNCTION));
	st = one("DO SLEEP(1)", 0, SW_CLASS_READ, "DO");
	assert_true(st->traits & SW_TRAIT_DANGEROUS_FUNCTION);
	st = one("DO 1 + 1", 0, SW_CLASS_READ, "DO");
	assert_int_equal(st->functions.n, 0);
}

static void test_sensitive(void **state)
{
	(void)state;
	const struct sw_stmt *st = one("SELECT user, host FROM mysql.user", 0, SW_CLASS_READ, "SELECT");
	assert_true(st->traits & SW_TRAIT_SENSITIVE_CATALOG);
	st = one("SELECT * FROM information_schema.PROCESSLIST", 0, SW_CLASS_READ, "SELECT");
	assert_true(st->traits & SW_TRAIT_SENSITIVE_CATALOG);
	st = one("SELECT * FROM performance_schema.events_statements_current", 0, SW_CLASS_READ, "SELECT");
	assert_true(st->traits & SW_TRAIT_SENSITIVE_CATALOG);
	st = one("SELECT * FROM information_schema.tables", 0, SW_CLASS_READ, "SELECT");
	assert_false(st->traits & SW_TRAIT_SENSITIVE_CATALOG);
	st = one("SHOW FULL PROCESSLIST", 0, SW_CLASS_READ, "SHOW FULL PROCESSLIST");
	assert_true(st->traits & SW_TRAIT_SENSITIVE_CATALOG);
	assert_int_equal(sw_my_expected_sqlcom(st), SW_SQLCOM_SHOW_PROCESSLIST);
	st = one("SHOW BINLOG EVENTS", 0, SW_CLASS_READ, "SHOW BINLOG EVENTS");
	assert_true(st->traits & SW_TRAIT_SENSITIVE_CATALOG);
	st = one("SHOW RELAYLOG EVENTS", 0, SW_CLASS_READ, "SHOW RELAYLOG EVENTS");
	assert_true(st->traits & SW_TRAIT_SENSITIVE_CATALOG);
	st = one("SHOW TABLES", 0, SW_CLASS_READ, "SHOW TABLES");
	assert_int_equal(sw_my_expected_sqlcom(st), SW_SQLCOM_SHOW_TABLES);
}

static void test_writes(void **state)
{
	(void)state;
	const struct sw_stmt *st = one("INSERT INTO app.t (a, b) VALUES (1, 'x'), (2, 'y') ON DUPLICATE KEY UPDATE b = "
				       "VALUES(b)", 0, SW_CLASS_WRITE, "INSERT");
	assert_true(has_object(st, "app.t"));
	st = one("INSERT INTO t SELECT * FROM u", 0, SW_CLASS_WRITE, "INSERT");
	assert_true(has_object(st, "t") && has_object(st, "u"));
	st = one("REPLACE INTO t SET a = 1", 0, SW_CLASS_WRITE, "REPLACE");
	st = one("UPDATE t SET a = 1 WHERE id = 2", 0, SW_CLASS_WRITE, "UPDATE");
	assert_false(st->traits & SW_TRAIT_NO_WHERE);
	assert_int_equal(sw_my_expected_sqlcom(st), -1); /* UPDATE or UPDATE_MULTI: the tag alone cannot say */
	st = one("UPDATE t SET a = 1", 0, SW_CLASS_WRITE, "UPDATE");
	assert_true(st->traits & SW_TRAIT_NO_WHERE);
	assert_true(st->traits & SW_TRAIT_DESTRUCTIVE);
	assert_true(has_reason(st, "UPDATE without WHERE on t"));
	st = one("UPDATE t JOIN u ON t.id = u.id SET t.a = u.a", 0, SW_CLASS_WRITE, "UPDATE");
	assert_true(st->traits & SW_TRAIT_NO_WHERE);
	st = one("DELETE FROM t", 0, SW_CLASS_WRITE, "DELETE");
	assert_true(st->traits & SW_TRAIT_DESTRUCTIVE);
	st = one("DELETE t1 FROM t1 JOIN t2 ON t1.id = t2.id WHERE t2.x = 1", 0, SW_CLASS_WRITE, "DELETE");
	assert_false(st->traits & SW_TRAIT_NO_WHERE);
	st = one("TRUNCATE TABLE app.t", 0, SW_CLASS_WRITE, "TRUNCATE TABLE");
	assert_true(st->traits & SW_TRAIT_DESTRUCTIVE);
	assert_int_equal(sw_my_expected_sqlcom(st), SW_SQLCOM_TRUNCATE);
}

static void test_ddl(void **state)
{
	(void)state;
	const struct sw_stmt *st = one("CREATE TABLE IF NOT EXISTS app.t (id INT PRIMARY KEY, v VARCHAR(10) DEFAULT 'x') "
				       "ENGINE=InnoDB", 0, SW_CLASS_DDL, "CREATE TABLE");
	assert_true(has_object(st, "app.t"));
	st = one("CREATE TABLE t2 AS SELECT * FROM t", 0, SW_CLASS_DDL, "CREATE TABLE");
	assert_true(has_object(st, "t"));
	st = one("ALTER TABLE t ADD COLUMN c INT", 0, SW_CLASS_DDL, "ALTER TABLE");
	assert_false(st->traits & SW_TRAIT_DESTRUCTIVE);
	st = one("ALTER TABLE t DROP COLUMN c", 0, SW_CLASS_DDL, "ALTER TABLE");
	assert_true(st->traits & SW_TRAIT_DESTRUCTIVE);
	st = one("DROP TABLE IF EXISTS app.t, u", 0, SW_CLASS_DDL, "DROP TABLE");
	assert_true(st->traits & SW_TRAIT_DESTRUCTIVE);
	assert_true(has_object(st, "app.t") && has_object(st, "u"));
	assert_true(has_reason(st, "DROP TABLE app.t, u"));
	assert_int_equal(sw_my_expected_sqlcom(st), SW_SQLCOM_DROP_TABLE);
	st = one("DROP DATABASE shop", 0, SW_CLASS_DDL, "DROP DATABASE");
	assert_true(st->traits & SW_TRAIT_DESTRUCTIVE);
	st = one("CREATE SCHEMA s", 0, SW_CLASS_DDL, "CREATE DATABASE");
	st = one("RENAME TABLE a TO b, c TO d", 0, SW_CLASS_DDL, "RENAME TABLE");
	assert_int_equal(st->n_objects, 4);
	st = one("CREATE OR REPLACE VIEW v AS SELECT a FROM t", 0, SW_CLASS_DDL, "CREATE VIEW");
	st = one("DROP VIEW v", 0, SW_CLASS_DDL, "DROP VIEW");
	st = one("CREATE UNIQUE INDEX i ON t (a, b)", 0, SW_CLASS_DDL, "CREATE INDEX");
	st = one("DROP INDEX i ON t", 0, SW_CLASS_DDL, "DROP INDEX");
	/* What drops or discards data without saying DROP. */
	static const struct trait_case ddl[] = {
		{ "CREATE OR REPLACE TABLE t (id int)", SW_CLASS_DDL, "CREATE TABLE", SW_TRAIT_DESTRUCTIVE },
		{ "CREATE OR REPLACE DATABASE shop", SW_CLASS_DDL, "CREATE DATABASE", SW_TRAIT_DESTRUCTIVE },
		{ "CREATE TABLE t (id int)", SW_CLASS_DDL, "CREATE TABLE", 0 },
		{ "ALTER TABLE t ENGINE=BLACKHOLE", SW_CLASS_DDL, "ALTER TABLE", SW_TRAIT_DESTRUCTIVE },
		{ "ALTER TABLE t DISCARD TABLESPACE", SW_CLASS_DDL, "ALTER TABLE", SW_TRAIT_DESTRUCTIVE },
		{ "CREATE TABLE c (a int) ENGINE=CONNECT TABLE_TYPE=CSV FILE_NAME='/etc/passwd'", SW_CLASS_DDL,
		  "CREATE TABLE", SW_TRAIT_FILE_ACCESS },
	};
	check_traits(ddl, sizeof(ddl) / sizeof(ddl[0]), SW_TRAIT_DESTRUCTIVE | SW_TRAIT_FILE_ACCESS);
	assert_true(has_reason(one(ddl[0].sql, 0, ddl[0].cls, ddl[0].command), "CREATE OR REPLACE drops an existing table"));
}

/* Unqualified names resolve in the current database (USE mysql; SELECT ... FROM global_priv). */
static void test_current_database(void **state)
{
	(void)state;
	analyze("SELECT user, priv FROM global_priv", 0);
	assert_false(an.stmts[0].traits & SW_TRAIT_SENSITIVE_CATALOG);
	sw_my_judge_database(&an, "mysql");
	assert_true(an.stmts[0].traits & SW_TRAIT_SENSITIVE_CATALOG);
	assert_true(has_reason(&an.stmts[0], "global_priv is mysql.global_priv in the current database"));
	analyze("SELECT * FROM PROCESSLIST", 0);
	sw_my_judge_database(&an, "information_schema");
	assert_true(an.stmts[0].traits & SW_TRAIT_SENSITIVE_CATALOG);
	analyze("SELECT * FROM tables, gatedb.user", 0);
	sw_my_judge_database(&an, "information_schema");
	assert_false(an.stmts[0].traits & SW_TRAIT_SENSITIVE_CATALOG);
	analyze("SELECT * FROM user", 0);
	sw_my_judge_database(&an, "gatedb");
	sw_my_judge_database(&an, "");
	sw_my_judge_database(&an, NULL);
	assert_false(an.stmts[0].traits & SW_TRAIT_SENSITIVE_CATALOG);
}

static void test_routines(void **state)
{
	(void)state;
	const struct sw_stmt *st = one("CREATE PROCEDURE p(IN a INT) BEGIN SELECT a; UPDATE t SET x = 1; END", 0,
				       SW_CLASS_DDL, "CREATE PROCEDURE");
	assert_true(st->traits & SW_TRAIT_OPAQUE_CODE);
	st = one("CREATE DEFINER = CURRENT_USER FUNCTION f(x INT) RETURNS INT DETERMINISTIC BEGIN IF x > 1 THEN "
		 "RETURN 1; END IF; RETURN CASE WHEN x THEN 2 ELSE 3 END; END", 0, SW_CLASS_DDL, "CREATE FUNCTION");
	st = one("CREATE TRIGGER tr BEFORE INSERT ON t FOR EACH ROW SET NEW.a = 1", 0, SW_CLASS_DDL, "CREATE TRIGGER");
	assert_true(has_object(st, "t"));
	st = one("CREATE EVENT e ON SCHEDULE EVERY 1 DAY DO DELETE FROM t", 0, SW_CLASS_DDL, "CREATE EVENT");
	st = one("CALL app.p(1, 'x')", 0, SW_CLASS_PROCEDURAL, "CALL");
	assert_true(st->traits & SW_TRAIT_OPAQUE_CODE);
	assert_true(has_reason(st, "CALL app.p: opaque procedural code"));
	st = one("CALL p()", 0, SW_CLASS_PROCEDURAL, "CALL");

	/* The body ends where the server ends it: what follows is its own statement. */
	analyze("CREATE PROCEDURE p() BEGIN DECLARE CONTINUE HANDLER FOR SQLEXCEPTION BEGIN END; LOOP LEAVE x; END LOOP; "
		"END; DROP TABLE t", 0);
	assert_true(an.parse_ok);
	assert_int_equal(an.n_stmts, 2);
	assert_string_equal(an.stmts[1].command, "DROP TABLE");
	/* A single-statement body ends at the first ';'. */
	analyze("CREATE PROCEDURE p() SELECT 1; DROP TABLE t", 0);
	assert_int_equal(an.n_stmts, 2);
	assert_string_equal(an.stmts[1].command, "DROP TABLE");
	/* A word spelled like BEGIN inside a single statement body does not open a block. */
	analyze("CREATE PROCEDURE p() SELECT 1 AS `begin`; DROP TABLE t; SELECT 1", 0);
	assert_true(an.parse_ok);
	assert_int_equal(an.n_stmts, 3);
	assert_string_equal(an.stmts[1].command, "DROP TABLE");
	/* An unclosed body fails closed. */
	unknown("CREATE PROCEDURE p() BEGIN SELECT 1;", 0);
	/* Compound statements outside routines run their statements directly: unknown, whole. */
	analyze("BEGIN NOT ATOMIC DROP TABLE t; END", 0);
	assert_int_equal(an.n_stmts, 1);
	assert_int_equal(an.stmts[0].cls, SW_CLASS_UNKNOWN);
	analyze("IF 1 THEN DROP TABLE t; END IF; SELECT 1", 0);
	assert_int_equal(an.n_stmts, 2);
	assert_int_equal(an.stmts[0].cls, SW_CLASS_UNKNOWN);
}

static void test_prepare_execute(void **state)
{
	(void)state;
	const struct sw_stmt *st = one("PREPARE s FROM 'DELETE FROM t'", 0, SW_CLASS_WRITE, "PREPARE");
	assert_true(st->traits & SW_TRAIT_PREPARED);
	assert_true(st->traits & SW_TRAIT_NO_WHERE);
	assert_string_equal(st->prepare_name, "s");
	assert_true(has_object(st, "t"));
	assert_int_equal(sw_my_expected_sqlcom(st), SW_SQLCOM_PREPARE);
	st = one("PREPARE s FROM 'SELECT a FROM t WHERE id = ?'", 0, SW_CLASS_READ, "PREPARE");
	st = one("PREPARE s FROM @q", 0, SW_CLASS_UNKNOWN, "PREPARE");
	assert_true(has_reason(st, "user variable"));
	st = one("PREPARE s FROM 'SELECT 1; DROP TABLE t'", 0, SW_CLASS_UNKNOWN, "PREPARE");
	st = one("EXECUTE s USING @a, @b", 0, SW_CLASS_UNKNOWN, "EXECUTE");
	assert_string_equal(st->execute_name, "s");
	assert_int_equal(sw_my_expected_sqlcom(st), SW_SQLCOM_EXECUTE);
	st = one("DEALLOCATE PREPARE s", 0, SW_CLASS_SESSION, "DEALLOCATE PREPARE");
}

static void test_set(void **state)
{
	(void)state;
	const struct sw_stmt *st = one("SET SESSION sql_mode = 'ANSI_QUOTES', autocommit = 0", 0, SW_CLASS_SESSION,
				       "SET");
	assert_int_equal(st->settings.n, 2);
	assert_false(st->traits & SW_TRAIT_UNSAFE_SETTING);
	st = one("SET @x = 1", 0, SW_CLASS_SESSION, "SET");
	assert_int_equal(st->settings.n, 0);
	st = one("SET NAMES utf8mb4 COLLATE utf8mb4_bin", 0, SW_CLASS_SESSION, "SET");
	assert_string_equal(st->settings.v[0], "names");
	st = one("SET GLOBAL max_connections = 10", 0, SW_CLASS_UTILITY, "SET");
	assert_true(st->traits & SW_TRAIT_UNSAFE_SETTING);
	st = one("SET @@global.general_log = ON", 0, SW_CLASS_UTILITY, "SET");
	assert_true(st->traits & SW_TRAIT_UNSAFE_SETTING);
	st = one("SET sql_log_bin = 0", 0, SW_CLASS_SESSION, "SET");
	assert_true(st->traits & SW_TRAIT_UNSAFE_SETTING);
	static const struct trait_case settings[] = {
		{ "SET SESSION check_constraint_checks = 0", SW_CLASS_SESSION, "SET", SW_TRAIT_UNSAFE_SETTING },
		{ "SET binlog_format = STATEMENT", SW_CLASS_SESSION, "SET", SW_TRAIT_UNSAFE_SETTING },
		{ "SET SESSION log_slow_filter = ''", SW_CLASS_SESSION, "SET", SW_TRAIT_UNSAFE_SETTING },
		{ "SET timestamp = 1", SW_CLASS_SESSION, "SET", SW_TRAIT_UNSAFE_SETTING },
		{ "SET GLOBAL TRANSACTION READ WRITE", SW_CLASS_UTILITY, "SET TRANSACTION", SW_TRAIT_UNSAFE_SETTING },
		{ "SET SESSION TRANSACTION READ ONLY", SW_CLASS_TRANSACTION, "SET TRANSACTION", 0 },
		/* whole families (logs, binary log, Galera), the values the binary log replays, and settings that
		 * change an approved statement behind its text */
		{ "SET log_disabled_statements = 'sp'", SW_CLASS_SESSION, "SET", SW_TRAIT_UNSAFE_SETTING },
		{ "SET SESSION log_slow_verbosity = ''", SW_CLASS_SESSION, "SET", SW_TRAIT_UNSAFE_SETTING },
		{ "SET binlog_row_image = MINIMAL", SW_CLASS_SESSION, "SET", SW_TRAIT_UNSAFE_SETTING },
		{ "SET @@session.wsrep_osu_method = RSU", SW_CLASS_SESSION, "SET", SW_TRAIT_UNSAFE_SETTING },
		{ "SET insert_id = 5", SW_CLASS_SESSION, "SET", SW_TRAIT_UNSAFE_SETTING },
		{ "SET rand_seed1 = 1, rand_seed2 = 2", SW_CLASS_SESSION, "SET", SW_TRAIT_UNSAFE_SETTING },
		{ "SET system_versioning_insert_history = ON", SW_CLASS_SESSION, "SET", SW_TRAIT_UNSAFE_SETTING },
		{ "SET default_storage_engine = BLACKHOLE", SW_CLASS_SESSION, "SET", SW_TRAIT_UNSAFE_SETTING },
		{ "SET alter_algorithm = COPY", SW_CLASS_SESSION, "SET", SW_TRAIT_UNSAFE_SETTING },
		{ "SET max_statement_time = 10, sql_select_limit = 100", SW_CLASS_SESSION, "SET", 0 },
	};
	check_traits(settings, sizeof(settings) / sizeof(settings[0]), SW_TRAIT_UNSAFE_SETTING);
	st = one("SET ROLE admin", 0, SW_CLASS_SESSION, "SET ROLE");
	assert_true(st->traits & SW_TRAIT_SESSION_ESCALATION);
	st = one("SET DEFAULT ROLE admin FOR 'u'@'%'", 0, SW_CLASS_PRIVILEGE, "SET DEFAULT ROLE");
	st = one("SET PASSWORD FOR 'u'@'localhost' = PASSWORD('x')", 0, SW_CLASS_PRIVILEGE, "SET PASSWORD");
	st = one("SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED", 0, SW_CLASS_TRANSACTION, "SET TRANSACTION");
	st = one("USE shop", 0, SW_CLASS_SESSION, "USE");
	/* A statement after a change of sql_mode in the same string would be lexed under the wrong mode. */
	unknown("SET sql_mode = 'NO_BACKSLASH_ESCAPES'; SELECT 'a\\'; DROP TABLE t; -- '", 0);
}

/* SET STATEMENT ... FOR: the statement it runs, plus each setting as a SET SESSION of it. */
static void test_set_statement(void **state)
{
	(void)state;
	const struct sw_stmt *st = one("SET STATEMENT max_statement_time = 5 FOR SELECT a FROM t WHERE id = 1", 0,
				       SW_CLASS_READ, "SELECT");
	assert_false(st->traits & SW_TRAIT_UNSAFE_SETTING);
	assert_string_equal(st->settings.v[0], "max_statement_time");
	assert_int_equal(sw_my_expected_sqlcom(st), SW_SQLCOM_SELECT);
	static const struct trait_case cases[] = {
		{ "SET STATEMENT sql_log_bin = 0 FOR SELECT 1", SW_CLASS_READ, "SELECT", SW_TRAIT_UNSAFE_SETTING },
		{ "SET STATEMENT max_statement_time = 1, foreign_key_checks = 0 FOR DELETE FROM t WHERE id = 1",
		  SW_CLASS_WRITE, "DELETE", SW_TRAIT_UNSAFE_SETTING },
		{ "SET STATEMENT check_constraint_checks = 0 FOR INSERT INTO t VALUES (1)", SW_CLASS_WRITE, "INSERT",
		  SW_TRAIT_UNSAFE_SETTING },
		{ "SET STATEMENT max_statement_time = 1 FOR DELETE FROM t", SW_CLASS_WRITE, "DELETE", SW_TRAIT_DESTRUCTIVE },
		{ "SET STATEMENT max_statement_time = 1 FOR DROP TABLE t", SW_CLASS_DDL, "DROP TABLE", SW_TRAIT_DESTRUCTIVE },
		/* nested: the innermost statement with every setting */
		{ "SET STATEMENT max_statement_time = 1 FOR SET STATEMENT unique_checks = 0 FOR UPDATE t SET a = 1 WHERE id = 2",
		  SW_CLASS_WRITE, "UPDATE", SW_TRAIT_UNSAFE_SETTING },
		{ "SET STATEMENT timestamp = 1 FOR SET sql_mode = ''", SW_CLASS_SESSION, "SET", SW_TRAIT_UNSAFE_SETTING },
		{ "SET STATEMENT max_statement_time = 1 FOR SET GLOBAL read_only = 1", SW_CLASS_UTILITY, "SET",
		  SW_TRAIT_UNSAFE_SETTING },
	};
	check_traits(cases, sizeof(cases) / sizeof(cases[0]), SW_TRAIT_UNSAFE_SETTING | SW_TRAIT_DESTRUCTIVE);
	/* An unsafe setting around EXECUTE stays with it: not resolved to the prepared statement alone. */
	st = one("SET STATEMENT sql_log_bin = 0 FOR EXECUTE s", 0, SW_CLASS_UNKNOWN, "EXECUTE");
	assert_null(st->execute_name);
	assert_true(st->traits & SW_TRAIT_UNSAFE_SETTING);
	st = one("SET STATEMENT max_statement_time = 1 FOR EXECUTE s", 0, SW_CLASS_UNKNOWN, "EXECUTE");
	assert_string_equal(st->execute_name, "s");
	/* A routine body after FOR: found from the FOR, not from a parenthesis in the settings. */
	analyze("SET STATEMENT max_statement_time = (1) FOR CREATE PROCEDURE p() BEGIN DELETE FROM t; END; DROP TABLE u", 0);
	assert_true(an.parse_ok);
	assert_int_equal(an.n_stmts, 2);
	assert_string_equal(an.stmts[0].command, "CREATE PROCEDURE");
	assert_string_equal(an.stmts[1].command, "DROP TABLE");
	unknown("SET STATEMENT max_statement_time = 1 FOR BEGIN NOT ATOMIC DELETE FROM t; END", 0);
	unknown("SET STATEMENT max_statement_time = 1 FOR", 0);
}

/* Other connections' running statements, sequences, KILL, the privilege catalog. */
static void test_diagnostics_sequences_kill(void **state)
{
	(void)state;
	static const char *const other[] = { "SHOW EXPLAIN FOR 5", "SHOW EXPLAIN FORMAT=JSON FOR 5", "SHOW ANALYZE FOR 5",
					     "EXPLAIN FOR CONNECTION 5", "EXPLAIN FORMAT=JSON FOR CONNECTION 5",
					     "SHOW SLAVE STATUS", "SHOW REPLICA STATUS",
					     "SELECT statement_text FROM information_schema.QUERY_CACHE_INFO" };
	for (size_t i = 0; i < sizeof(other) / sizeof(other[0]); i++) {
		analyze(other[i], 0);
		if (!an.parse_ok || an.stmts[0].cls != SW_CLASS_READ || !(an.stmts[0].traits & SW_TRAIT_SENSITIVE_CATALOG))
			fail_msg("%s: not a sensitive read (%s)", other[i], an.parse_ok ? an.stmts[0].command : an.error);
	}
	const struct sw_stmt *st = one("SHOW EXPLAIN FOR 7", 0, SW_CLASS_READ, "SHOW EXPLAIN FOR");
	assert_int_equal(sw_my_expected_sqlcom(st), SW_SQLCOM_SHOW_EXPLAIN);

	static const struct trait_case seq[] = {
		{ "CREATE SEQUENCE s START WITH 1 INCREMENT BY 1", SW_CLASS_DDL, "CREATE SEQUENCE", 0 },
		{ "CREATE OR REPLACE SEQUENCE s", SW_CLASS_DDL, "CREATE SEQUENCE", SW_TRAIT_DESTRUCTIVE },
		{ "ALTER SEQUENCE IF EXISTS s RESTART WITH 100", SW_CLASS_DDL, "ALTER SEQUENCE", 0 },
		{ "DROP TEMPORARY SEQUENCE IF EXISTS s, t", SW_CLASS_DDL, "DROP SEQUENCE", SW_TRAIT_DESTRUCTIVE },
		{ "SELECT NEXTVAL(s)", SW_CLASS_WRITE, "SELECT", 0 },
		{ "SELECT NEXT VALUE FOR app.s", SW_CLASS_WRITE, "SELECT", 0 },
		{ "SELECT SETVAL(s, 100, 0)", SW_CLASS_WRITE, "SELECT", 0 },
		{ "DO nextval (s)", SW_CLASS_WRITE, "DO", 0 },
		/* a session statement that evaluates NEXTVAL writes the sequence too */
		{ "SET @v = NEXTVAL(s)", SW_CLASS_WRITE, "SET", 0 },
		{ "SHOW TABLES WHERE NEXTVAL(s) > 0", SW_CLASS_WRITE, "SHOW TABLES", 0 },
		{ "SELECT LASTVAL(s)", SW_CLASS_READ, "SELECT", 0 },
		{ "SELECT PREVIOUS VALUE FOR s", SW_CLASS_READ, "SELECT", 0 },
		{ "SELECT next_not_cached_value FROM s", SW_CLASS_READ, "SELECT", 0 },
		{ "SELECT nextval, next, previous FROM t LIMIT 1", SW_CLASS_READ, "SELECT", 0 },
		{ "SHOW CREATE SEQUENCE s", SW_CLASS_READ, "SHOW CREATE SEQUENCE", 0 },
	};
	check_traits(seq, sizeof(seq) / sizeof(seq[0]), SW_TRAIT_DESTRUCTIVE | SW_TRAIT_DANGEROUS_FUNCTION);
	st = one("SELECT NEXT VALUE FOR app.s", 0, SW_CLASS_WRITE, "SELECT");
	assert_true(has_object(st, "app.s"));
	assert_int_equal(sw_my_expected_sqlcom(st), SW_SQLCOM_SELECT);
	st = one("SELECT LASTVAL(s)", 0, SW_CLASS_READ, "SELECT");
	assert_true(has_object(st, "s"));

	static const char *const kills[] = { "KILL 5", "KILL HARD QUERY 5", "KILL SOFT CONNECTION 5", "KILL QUERY ID 5",
					     "KILL USER 'bob'@'%'", "KILL HARD CONNECTION USER bob", "KILL USER CURRENT_USER()" };
	for (size_t i = 0; i < sizeof(kills) / sizeof(kills[0]); i++) {
		st = one(kills[i], 0, SW_CLASS_UTILITY, "KILL");
		assert_true(st->traits & SW_TRAIT_DESTRUCTIVE);
		assert_int_equal(sw_my_expected_sqlcom(st), SW_SQLCOM_KILL);
	}
	assert_true(has_reason(one("KILL USER bob", 0, SW_CLASS_UTILITY, "KILL"), "every connection"));

	/* The privilege catalog: mysql.*, information_schema's *_PRIVILEGES and *_ROLES, another account's grants. */
	static const char *const priv[] = {
		"SELECT * FROM mysql.global_priv", "SELECT user FROM mysql.user LIMIT 1", "SELECT * FROM mysql.roles_mapping",
		"SELECT * FROM information_schema.USER_PRIVILEGES", "SELECT * FROM information_schema.schema_privileges",
		"SELECT * FROM information_schema.table_privileges", "SELECT * FROM information_schema.column_privileges",
		"SELECT * FROM information_schema.applicable_roles", "SELECT * FROM information_schema.enabled_roles",
		"SHOW GRANTS FOR root@localhost", "HANDLER mysql.user OPEN",
	};
	for (size_t i = 0; i < sizeof(priv) / sizeof(priv[0]); i++) {
		analyze(priv[i], 0);
		if (!an.parse_ok || !(an.stmts[0].traits & SW_TRAIT_SENSITIVE_CATALOG))
			fail_msg("%s: not a privilege catalog read", priv[i]);
	}
	analyze("SELECT * FROM user_privileges", 0);
	sw_my_judge_database(&an, "information_schema");
	assert_true(an.stmts[0].traits & SW_TRAIT_SENSITIVE_CATALOG);
	/* The session's own grants are not another account's. */
	st = one("SHOW GRANTS FOR CURRENT_USER()", 0, SW_CLASS_READ, "SHOW GRANTS");
	assert_false(st->traits & SW_TRAIT_SENSITIVE_CATALOG);
	st = one("SELECT table_name FROM information_schema.tables LIMIT 1", 0, SW_CLASS_READ, "SELECT");
	assert_false(st->traits & SW_TRAIT_SENSITIVE_CATALOG);
}

/* Analysts' reads the grammar now knows; table maintenance held, not refused as unknown. */
static void test_windows_values_maintenance(void **state)
{
	(void)state;
	static const struct trait_case cases[] = {
		{ "SELECT ROW_NUMBER() OVER (ORDER BY id) FROM t LIMIT 1", SW_CLASS_READ, "SELECT", 0 },
		{ "SELECT id, SUM(x) OVER (PARTITION BY g ORDER BY id ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) "
		  "FROM t LIMIT 5", SW_CLASS_READ, "SELECT", 0 },
		{ "SELECT AVG(x) OVER w FROM t WINDOW w AS (ORDER BY id RANGE 2 PRECEDING) LIMIT 5", SW_CLASS_READ, "SELECT", 0 },
		/* an aggregate with OVER returns a row per row */
		{ "SELECT COUNT(*) OVER () FROM t", SW_CLASS_READ, "SELECT", SW_TRAIT_NO_LIMIT },
		{ "SELECT COUNT(*) FROM t", SW_CLASS_READ, "SELECT", 0 },
		{ "VALUES (1, 2), (3, 4)", SW_CLASS_READ, "SELECT", 0 },
		{ "SELECT JSON_ARRAYAGG(id), JSON_SEARCH(doc, 'one', 'x') FROM t LIMIT 1", SW_CLASS_READ, "SELECT", 0 },
		{ "CHECKSUM TABLE t, u EXTENDED", SW_CLASS_READ, "CHECKSUM TABLE", 0 },
		{ "ANALYZE TABLE t PERSISTENT FOR COLUMNS (a, b) INDEXES ()", SW_CLASS_UTILITY, "ANALYZE TABLE", 0 },
		{ "ANALYZE NO_WRITE_TO_BINLOG TABLE t, u", SW_CLASS_UTILITY, "ANALYZE TABLE", 0 },
		{ "CHECK TABLE t EXTENDED", SW_CLASS_UTILITY, "CHECK TABLE", 0 },
		{ "REPAIR TABLE t USE_FRM", SW_CLASS_UTILITY, "REPAIR TABLE", 0 },
		/* \\N outside a string is NULL */
		{ "SELECT \\N, a FROM t WHERE b IS NOT \\N LIMIT 1", SW_CLASS_READ, "SELECT", 0 },
	};
	check_traits(cases, sizeof(cases) / sizeof(cases[0]),
		     SW_TRAIT_NO_LIMIT | SW_TRAIT_UNKNOWN_FUNCTION | SW_TRAIT_DANGEROUS_FUNCTION);
	const struct sw_stmt *st = one("SELECT SLEEP(1) OVER () FROM t LIMIT 1", 0, SW_CLASS_READ, "SELECT");
	assert_true(st->traits & SW_TRAIT_DANGEROUS_FUNCTION);
	unknown("SELECT \\n", 0);
	st = one("CHECKSUM TABLE mysql.user", 0, SW_CLASS_READ, "CHECKSUM TABLE");
	assert_true(st->traits & SW_TRAIT_SENSITIVE_CATALOG);
	assert_int_equal(sw_my_expected_sqlcom(one("ANALYZE TABLE t", 0, SW_CLASS_UTILITY, "ANALYZE TABLE")), SW_SQLCOM_ANALYZE);
}

static void test_privilege_transaction_utility(void **state)
{
	(void)state;
	one("GRANT SELECT, INSERT ON app.* TO 'u'@'%' WITH GRANT OPTION", 0, SW_CLASS_PRIVILEGE, "GRANT");
	one("GRANT ALL PRIVILEGES ON *.* TO u@localhost", 0, SW_CLASS_PRIVILEGE, "GRANT");
	one("GRANT admin TO u", 0, SW_CLASS_PRIVILEGE, "GRANT");
	one("REVOKE SELECT ON app.t FROM 'u'@'%'", 0, SW_CLASS_PRIVILEGE, "REVOKE");
	one("CREATE USER 'u'@'%' IDENTIFIED BY 'pw'", 0, SW_CLASS_PRIVILEGE, "CREATE USER");
	one("DROP USER IF EXISTS 'u'@'%'", 0, SW_CLASS_PRIVILEGE, "DROP USER");
	one("ALTER USER 'u'@'%' IDENTIFIED BY 'x'", 0, SW_CLASS_PRIVILEGE, "ALTER USER");
	one("RENAME USER 'a'@'%' TO 'b'@'%'", 0, SW_CLASS_PRIVILEGE, "RENAME USER");
	one("CREATE ROLE r", 0, SW_CLASS_PRIVILEGE, "CREATE ROLE");
	one("BEGIN", 0, SW_CLASS_TRANSACTION, "BEGIN");
	one("START TRANSACTION READ ONLY", 0, SW_CLASS_TRANSACTION, "BEGIN");
	one("COMMIT", 0, SW_CLASS_TRANSACTION, "COMMIT");
	one("ROLLBACK TO SAVEPOINT s", 0, SW_CLASS_TRANSACTION, "ROLLBACK TO SAVEPOINT");
	one("SAVEPOINT s", 0, SW_CLASS_TRANSACTION, "SAVEPOINT");
	one("XA START 'x'", 0, SW_CLASS_TWO_PHASE, "XA START");
	one("XA PREPARE 'x'", 0, SW_CLASS_TWO_PHASE, "XA PREPARE");
	one("XA COMMIT 'x'", 0, SW_CLASS_TWO_PHASE, "XA COMMIT");
	one("LOCK TABLES t READ, u WRITE", 0, SW_CLASS_UTILITY, "LOCK TABLES");
	one("UNLOCK TABLES", 0, SW_CLASS_UTILITY, "UNLOCK TABLES");
	one("FLUSH PRIVILEGES", 0, SW_CLASS_UTILITY, "FLUSH");
	const struct sw_stmt *st = one("KILL QUERY 42", 0, SW_CLASS_UTILITY, "KILL");
	assert_true(st->traits & SW_TRAIT_DESTRUCTIVE);
	one("SHUTDOWN", 0, SW_CLASS_UTILITY, "SHUTDOWN");
	st = one("INSTALL SONAME 'ha_connect'", 0, SW_CLASS_UTILITY, "INSTALL PLUGIN");
	assert_true(st->traits & SW_TRAIT_FILE_ACCESS);
	one("UNINSTALL PLUGIN audit", 0, SW_CLASS_UTILITY, "UNINSTALL PLUGIN");
	one("HANDLER t OPEN", 0, SW_CLASS_READ, "HANDLER OPEN");
	one("HANDLER t READ FIRST", 0, SW_CLASS_READ, "HANDLER READ");
	one("HANDLER t READ idx = (1) WHERE a > 2 LIMIT 3", 0, SW_CLASS_READ, "HANDLER READ");
	one("HANDLER t CLOSE", 0, SW_CLASS_READ, "HANDLER CLOSE");
	one("DESCRIBE app.t", 0, SW_CLASS_READ, "DESCRIBE");
	st = one("EXPLAIN SELECT * FROM t", 0, SW_CLASS_READ, "EXPLAIN");
	assert_false(st->traits & SW_TRAIT_EXECUTES);
	st = one("EXPLAIN FORMAT=JSON UPDATE t SET a = 1", 0, SW_CLASS_READ, "EXPLAIN");
	assert_false(st->traits & SW_TRAIT_EXECUTES);
	st = one("ANALYZE FORMAT=JSON UPDATE t SET a = 1 WHERE id = 1", 0, SW_CLASS_WRITE, "ANALYZE");
	assert_true(st->traits & SW_TRAIT_EXECUTES);
	st = one("ANALYZE DELETE FROM t", 0, SW_CLASS_WRITE, "ANALYZE");
	assert_true(st->traits & SW_TRAIT_EXECUTES);
	assert_true(st->traits & SW_TRAIT_DESTRUCTIVE);
	unknown("DELIMITER //", 0);
}

/* ---- adversarial: a second statement or a write hidden in a read ---- */

static void test_stacked_and_comments(void **state)
{
	(void)state;
	analyze("SELECT 1; DROP TABLE t", 0);
	assert_true(an.parse_ok);
	assert_int_equal(an.n_stmts, 2);
	assert_string_equal(an.stmts[1].command, "DROP TABLE");
	assert_true(an.stmts[0].traits & SW_TRAIT_MULTI_STATEMENT);
	assert_true(an.stmts[1].traits & SW_TRAIT_MULTI_STATEMENT);
	assert_string_equal(an.stmts[1].text, "DROP TABLE t");

	one("SELECT 1 /*; DROP TABLE t */", 0, SW_CLASS_READ, "SELECT");
	one("SELECT 1 /*+ no_index(t) */", 0, SW_CLASS_READ, "SELECT");
	analyze("SELECT 1 /*! ; DROP TABLE t */", 0);
	assert_int_equal(an.n_stmts, 2);
	assert_string_equal(an.stmts[1].command, "DROP TABLE");
	one("SELECT 1 /*!99999 ; DROP TABLE t */", 0, SW_CLASS_READ, "SELECT");
	one("/*!99999 DROP TABLE t */ SELECT 1", 0, SW_CLASS_READ, "SELECT");
	one("/*!50700 DROP TABLE t */ SELECT 1", 0, SW_CLASS_READ, "SELECT"); /* MySQL 5.7+ versions: a comment */
	one("/*!40101 DROP TABLE t */", 0, SW_CLASS_DDL, "DROP TABLE");
	one("/*M!100000 DROP TABLE t*/", 0, SW_CLASS_DDL, "DROP TABLE");
	one("/*M! DROP TABLE t*/", 0, SW_CLASS_DDL, "DROP TABLE");
	one("/*M!999999 DROP TABLE t*/ SELECT 1", 0, SW_CLASS_READ, "SELECT");
	one("/*!99999 nested /* comment */ DROP TABLE t */ SELECT 1", 0, SW_CLASS_READ, "SELECT");
	one("SELECT 1 # ; DROP TABLE t", 0, SW_CLASS_READ, "SELECT");
	one("SELECT 1 -- ; DROP TABLE t", 0, SW_CLASS_READ, "SELECT");
	one("SELECT 1 --\t; DROP TABLE t", 0, SW_CLASS_READ, "SELECT");
	/* --1 is minus minus one: the rest is live. */
	analyze("SELECT 1 --1; DROP TABLE t", 0);
	assert_int_equal(an.n_stmts, 2);
	assert_string_equal(an.stmts[1].command, "DROP TABLE");
	unknown("SELECT 1 /* DROP TABLE t", 0);
	unknown("SELECT 1 /*! DROP TABLE t", 0);
	unknown("SELECT 'abc", 0);
	unknown("SELECT `abc", 0);
	/* A string can hide nothing: its end is where the server ends it. */
	one("SELECT '*/; DROP TABLE t; /*'", 0, SW_CLASS_READ, "SELECT");
	analyze("/*! SELECT '*/' */; DROP TABLE t", 0);
	assert_int_equal(an.n_stmts, 2);
}

static void test_sql_mode_lexing(void **state)
{
	(void)state;
	/* Default mode: "..." is a string with backslash escapes. */
	const struct sw_stmt *st = one("SELECT \"a\\\"; DROP TABLE t; -- \"", 0, SW_CLASS_READ, "SELECT");
	(void)st;
	/* ANSI_QUOTES: "a\" is an identifier that ends at the second quote, and DROP is live. */
	analyze("SELECT \"a\\\"; DROP TABLE t; -- \"", SW_MY_MODE_ANSI_QUOTES);
	assert_true(an.parse_ok);
	assert_int_equal(an.n_stmts, 2);
	assert_string_equal(an.stmts[1].command, "DROP TABLE");
	/* Backslash escapes the quote by default ... */
	one("SELECT 'a\\'; DROP TABLE t; -- '", 0, SW_CLASS_READ, "SELECT");
	/* ... but not under NO_BACKSLASH_ESCAPES: the string ends early and DROP is a second statement. */
	analyze("SELECT 'a\\'; DROP TABLE t; -- '", SW_MY_MODE_NO_BACKSLASH_ESCAPES);
	assert_int_equal(an.n_stmts, 2);
	assert_string_equal(an.stmts[1].command, "DROP TABLE");
	one("SELECT 'it''s'", 0, SW_CLASS_READ, "SELECT");
	one("SELECT `a``b` FROM t LIMIT 1", 0, SW_CLASS_READ, "SELECT");
	/* ORACLE mode switches the server's grammar: not classified. */
	unknown("SELECT 1", SW_MY_MODE_ORACLE);
}

static void test_no_writable_cte_and_garbage(void **state)
{
	(void)state;
	/* MariaDB has no writable CTEs: a WITH that ends in DELETE is not understood. */
	unknown("WITH x AS (SELECT 1) DELETE FROM t", 0);
	unknown("SELECT 1 FROM t WHERE (DELETE FROM t)", 0);
	unknown("FROBNICATE t", 0);
	unknown("EXECUTE IMMEDIATE 'DROP TABLE t'", 0);
	unknown("SELECT 1; FROBNICATE", 0);
	/* A statement keyword after '.' is a name, not a statement. */
	one("SELECT t.select, t.drop FROM t LIMIT 1", 0, SW_CLASS_READ, "SELECT");
}

static void test_empty(void **state)
{
	(void)state;
	analyze("", 0);
	assert_true(an.parse_ok);
	assert_int_equal(an.n_stmts, 0);
	analyze("  /* nothing */ -- here\n ; ;", 0);
	assert_true(an.parse_ok);
	assert_int_equal(an.n_stmts, 0);
	analyze(NULL, 0);
	assert_int_equal(an.n_stmts, 0);
}

static void test_modes(void **state)
{
	(void)state;
	unsigned m = 99;
	char err[256];
	assert_int_equal(sw_my_mode_parse(SW_MY_DEFAULT_SQL_MODE, &m, err, sizeof(err)), 0);
	assert_int_equal(m, 0);
	assert_int_equal(sw_my_mode_parse("strict_trans_tables, ansi_quotes,NO_BACKSLASH_ESCAPES", &m, err, sizeof(err)), 0);
	assert_int_equal(m, SW_MY_MODE_ANSI_QUOTES | SW_MY_MODE_NO_BACKSLASH_ESCAPES);
	assert_int_equal(sw_my_mode_parse("ANSI", &m, err, sizeof(err)), 0);
	assert_true(m & SW_MY_MODE_ANSI_QUOTES);
	assert_int_equal(sw_my_mode_parse("", &m, err, sizeof(err)), 0);
	assert_int_equal(m, 0);
	assert_int_equal(sw_my_mode_parse("ANSI_QUOTE", &m, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "ANSI_QUOTE"));
	assert_int_equal(sw_my_mode_from_server((1ull << 2) | (1ull << 20) | (1ull << 21)),
			 SW_MY_MODE_ANSI_QUOTES | SW_MY_MODE_NO_BACKSLASH_ESCAPES);
	assert_true(sw_my_mode_from_server(1ull << 9) & SW_MY_MODE_ORACLE);
	assert_string_equal(sw_my_sqlcom_name(SW_SQLCOM_SELECT), "SQLCOM_SELECT");
	assert_string_equal(sw_my_sqlcom_name(SW_SQLCOM_BACKUP_LOCK), "SQLCOM_BACKUP_LOCK");
	assert_string_equal(sw_my_sqlcom_name(-1), "?");
	assert_int_equal(SW_SQLCOM_SHOW_PROCESSLIST, 20);
	assert_int_equal(SW_SQLCOM_END, 161);
}

static int teardown(void **state)
{
	(void)state;
	sw_analysis_free(&an);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_select, teardown),
		cmocka_unit_test_teardown(test_outfile_and_load, teardown),
		cmocka_unit_test_teardown(test_functions, teardown),
		cmocka_unit_test_teardown(test_sensitive, teardown),
		cmocka_unit_test_teardown(test_writes, teardown),
		cmocka_unit_test_teardown(test_ddl, teardown),
		cmocka_unit_test_teardown(test_current_database, teardown),
		cmocka_unit_test_teardown(test_routines, teardown),
		cmocka_unit_test_teardown(test_prepare_execute, teardown),
		cmocka_unit_test_teardown(test_set, teardown),
		cmocka_unit_test_teardown(test_privilege_transaction_utility, teardown),
		cmocka_unit_test_teardown(test_stacked_and_comments, teardown),
		cmocka_unit_test_teardown(test_sql_mode_lexing, teardown),
		cmocka_unit_test_teardown(test_no_writable_cte_and_garbage, teardown),
		cmocka_unit_test_teardown(test_empty, teardown),
		cmocka_unit_test_teardown(test_modes, teardown),
		cmocka_unit_test_teardown(test_set_statement, teardown),
		cmocka_unit_test_teardown(test_diagnostics_sequences_kill, teardown),
		cmocka_unit_test_teardown(test_windows_values_maintenance, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
