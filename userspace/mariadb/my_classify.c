/*
 * MariaDB/MySQL classifier (my_classify.h). The string is lexed once
 * (my_lex.c), cut into statements where the server cuts it (a compound
 * statement or routine body holds semicolons of its own), each statement is
 * parsed by my_grammar.y, and the facts the grammar reports become class,
 * command, traits and reasons here.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "my_classify.h"
#include "my_impact.h"
#include "my_parse.h"
#include "my_sqlcom.h"
#include "util.h"

#define NO_INDEX ((size_t)-1)

/* ---- what each command is ---- */

struct cmd_def {
	const char *tag;
	enum sw_class cls;
	int sqlcom;
	unsigned traits;
};

static const struct cmd_def cmd_defs[MYC__COUNT] = {
	[MYC_NONE]             = { "UNKNOWN", SW_CLASS_UNKNOWN, -1, 0 },
	[MYC_SELECT]           = { "SELECT", SW_CLASS_READ, SW_SQLCOM_SELECT, 0 },
	[MYC_INSERT]           = { "INSERT", SW_CLASS_WRITE, SW_SQLCOM_INSERT, 0 },
	[MYC_INSERT_SELECT]    = { "INSERT", SW_CLASS_WRITE, SW_SQLCOM_INSERT_SELECT, 0 },
	[MYC_REPLACE]          = { "REPLACE", SW_CLASS_WRITE, SW_SQLCOM_REPLACE, 0 },
	[MYC_REPLACE_SELECT]   = { "REPLACE", SW_CLASS_WRITE, SW_SQLCOM_REPLACE_SELECT, 0 },
	[MYC_UPDATE]           = { "UPDATE", SW_CLASS_WRITE, SW_SQLCOM_UPDATE, 0 },
	[MYC_UPDATE_MULTI]     = { "UPDATE", SW_CLASS_WRITE, SW_SQLCOM_UPDATE_MULTI, 0 },
	[MYC_DELETE]           = { "DELETE", SW_CLASS_WRITE, SW_SQLCOM_DELETE, 0 },
	[MYC_DELETE_MULTI]     = { "DELETE", SW_CLASS_WRITE, SW_SQLCOM_DELETE_MULTI, 0 },
	[MYC_TRUNCATE]         = { "TRUNCATE TABLE", SW_CLASS_WRITE, SW_SQLCOM_TRUNCATE, SW_TRAIT_DESTRUCTIVE },
	[MYC_LOAD]             = { "LOAD DATA", SW_CLASS_WRITE, SW_SQLCOM_LOAD, SW_TRAIT_FILE_ACCESS },
	[MYC_CREATE_TABLE]     = { "CREATE TABLE", SW_CLASS_DDL, SW_SQLCOM_CREATE_TABLE, 0 },
	[MYC_ALTER_TABLE]      = { "ALTER TABLE", SW_CLASS_DDL, SW_SQLCOM_ALTER_TABLE, 0 },
	[MYC_DROP_TABLE]       = { "DROP TABLE", SW_CLASS_DDL, SW_SQLCOM_DROP_TABLE, SW_TRAIT_DESTRUCTIVE },
	[MYC_RENAME_TABLE]     = { "RENAME TABLE", SW_CLASS_DDL, SW_SQLCOM_RENAME_TABLE, 0 },
	[MYC_CREATE_VIEW]      = { "CREATE VIEW", SW_CLASS_DDL, SW_SQLCOM_CREATE_VIEW, 0 },
	[MYC_ALTER_VIEW]       = { "ALTER VIEW", SW_CLASS_DDL, SW_SQLCOM_CREATE_VIEW, 0 },
	[MYC_DROP_VIEW]        = { "DROP VIEW", SW_CLASS_DDL, SW_SQLCOM_DROP_VIEW, SW_TRAIT_DESTRUCTIVE },
	[MYC_CREATE_INDEX]     = { "CREATE INDEX", SW_CLASS_DDL, SW_SQLCOM_CREATE_INDEX, 0 },
	[MYC_DROP_INDEX]       = { "DROP INDEX", SW_CLASS_DDL, SW_SQLCOM_DROP_INDEX, SW_TRAIT_DESTRUCTIVE },
	[MYC_CREATE_DB]        = { "CREATE DATABASE", SW_CLASS_DDL, SW_SQLCOM_CREATE_DB, 0 },
	[MYC_ALTER_DB]         = { "ALTER DATABASE", SW_CLASS_DDL, SW_SQLCOM_ALTER_DB, 0 },
	[MYC_DROP_DB]          = { "DROP DATABASE", SW_CLASS_DDL, SW_SQLCOM_DROP_DB, SW_TRAIT_DESTRUCTIVE },
	[MYC_CREATE_PROCEDURE] = { "CREATE PROCEDURE", SW_CLASS_DDL, SW_SQLCOM_CREATE_PROCEDURE, SW_TRAIT_OPAQUE_CODE },
	[MYC_CREATE_FUNCTION]  = { "CREATE FUNCTION", SW_CLASS_DDL, SW_SQLCOM_CREATE_SPFUNCTION, SW_TRAIT_OPAQUE_CODE },
	[MYC_CREATE_TRIGGER]   = { "CREATE TRIGGER", SW_CLASS_DDL, SW_SQLCOM_CREATE_TRIGGER, SW_TRAIT_OPAQUE_CODE },
	[MYC_CREATE_EVENT]     = { "CREATE EVENT", SW_CLASS_DDL, SW_SQLCOM_CREATE_EVENT, SW_TRAIT_OPAQUE_CODE },
	[MYC_DROP_PROCEDURE]   = { "DROP PROCEDURE", SW_CLASS_DDL, SW_SQLCOM_DROP_PROCEDURE, SW_TRAIT_DESTRUCTIVE },
	[MYC_DROP_FUNCTION]    = { "DROP FUNCTION", SW_CLASS_DDL, -1, SW_TRAIT_DESTRUCTIVE },
	[MYC_DROP_TRIGGER]     = { "DROP TRIGGER", SW_CLASS_DDL, SW_SQLCOM_DROP_TRIGGER, SW_TRAIT_DESTRUCTIVE },
	[MYC_DROP_EVENT]       = { "DROP EVENT", SW_CLASS_DDL, SW_SQLCOM_DROP_EVENT, SW_TRAIT_DESTRUCTIVE },
	[MYC_CALL]             = { "CALL", SW_CLASS_PROCEDURAL, SW_SQLCOM_CALL, SW_TRAIT_OPAQUE_CODE },
	[MYC_COMPOUND]         = { "COMPOUND STATEMENT", SW_CLASS_UNKNOWN, SW_SQLCOM_COMPOUND, SW_TRAIT_OPAQUE_CODE },
	[MYC_PREPARE]          = { "PREPARE", SW_CLASS_UNKNOWN, SW_SQLCOM_PREPARE, SW_TRAIT_PREPARED },
	[MYC_EXECUTE]          = { "EXECUTE", SW_CLASS_UNKNOWN, SW_SQLCOM_EXECUTE, 0 },
	[MYC_DEALLOCATE]       = { "DEALLOCATE PREPARE", SW_CLASS_SESSION, SW_SQLCOM_DEALLOCATE_PREPARE, 0 },
	[MYC_SET]              = { "SET", SW_CLASS_SESSION, SW_SQLCOM_SET_OPTION, 0 },
	[MYC_SET_ROLE]         = { "SET ROLE", SW_CLASS_SESSION, -1, SW_TRAIT_SESSION_ESCALATION },
	[MYC_SET_DEFAULT_ROLE] = { "SET DEFAULT ROLE", SW_CLASS_PRIVILEGE, -1, 0 },
	[MYC_SET_PASSWORD]     = { "SET PASSWORD", SW_CLASS_PRIVILEGE, SW_SQLCOM_SET_OPTION, 0 },
	[MYC_SET_TRANSACTION]  = { "SET TRANSACTION", SW_CLASS_TRANSACTION, SW_SQLCOM_SET_OPTION, 0 },
	[MYC_GRANT]            = { "GRANT", SW_CLASS_PRIVILEGE, SW_SQLCOM_GRANT, 0 },
	[MYC_GRANT_ROLE]       = { "GRANT", SW_CLASS_PRIVILEGE, SW_SQLCOM_GRANT_ROLE, 0 },
	[MYC_REVOKE]           = { "REVOKE", SW_CLASS_PRIVILEGE, SW_SQLCOM_REVOKE, 0 },
	[MYC_REVOKE_ROLE]      = { "REVOKE", SW_CLASS_PRIVILEGE, SW_SQLCOM_REVOKE_ROLE, 0 },
	[MYC_CREATE_USER]      = { "CREATE USER", SW_CLASS_PRIVILEGE, SW_SQLCOM_CREATE_USER, 0 },
	[MYC_DROP_USER]        = { "DROP USER", SW_CLASS_PRIVILEGE, SW_SQLCOM_DROP_USER, SW_TRAIT_DESTRUCTIVE },
	[MYC_ALTER_USER]       = { "ALTER USER", SW_CLASS_PRIVILEGE, SW_SQLCOM_ALTER_USER, 0 },
	[MYC_RENAME_USER]      = { "RENAME USER", SW_CLASS_PRIVILEGE, SW_SQLCOM_RENAME_USER, 0 },
	[MYC_CREATE_ROLE]      = { "CREATE ROLE", SW_CLASS_PRIVILEGE, SW_SQLCOM_CREATE_ROLE, 0 },
	[MYC_DROP_ROLE]        = { "DROP ROLE", SW_CLASS_PRIVILEGE, SW_SQLCOM_DROP_ROLE, SW_TRAIT_DESTRUCTIVE },
	[MYC_BEGIN]            = { "BEGIN", SW_CLASS_TRANSACTION, SW_SQLCOM_BEGIN, 0 },
	[MYC_COMMIT]           = { "COMMIT", SW_CLASS_TRANSACTION, SW_SQLCOM_COMMIT, 0 },
	[MYC_ROLLBACK]         = { "ROLLBACK", SW_CLASS_TRANSACTION, SW_SQLCOM_ROLLBACK, 0 },
	[MYC_SAVEPOINT]        = { "SAVEPOINT", SW_CLASS_TRANSACTION, SW_SQLCOM_SAVEPOINT, 0 },
	[MYC_ROLLBACK_TO]      = { "ROLLBACK TO SAVEPOINT", SW_CLASS_TRANSACTION, SW_SQLCOM_ROLLBACK_TO_SAVEPOINT, 0 },
	[MYC_RELEASE]          = { "RELEASE SAVEPOINT", SW_CLASS_TRANSACTION, SW_SQLCOM_RELEASE_SAVEPOINT, 0 },
	[MYC_XA_START]         = { "XA START", SW_CLASS_TWO_PHASE, SW_SQLCOM_XA_START, 0 },
	[MYC_XA_END]           = { "XA END", SW_CLASS_TWO_PHASE, SW_SQLCOM_XA_END, 0 },
	[MYC_XA_PREPARE]       = { "XA PREPARE", SW_CLASS_TWO_PHASE, SW_SQLCOM_XA_PREPARE, 0 },
	[MYC_XA_COMMIT]        = { "XA COMMIT", SW_CLASS_TWO_PHASE, SW_SQLCOM_XA_COMMIT, 0 },
	[MYC_XA_ROLLBACK]      = { "XA ROLLBACK", SW_CLASS_TWO_PHASE, SW_SQLCOM_XA_ROLLBACK, 0 },
	[MYC_XA_RECOVER]       = { "XA RECOVER", SW_CLASS_TWO_PHASE, SW_SQLCOM_XA_RECOVER, 0 },
	[MYC_LOCK]             = { "LOCK TABLES", SW_CLASS_UTILITY, SW_SQLCOM_LOCK_TABLES, 0 },
	[MYC_UNLOCK]           = { "UNLOCK TABLES", SW_CLASS_UTILITY, SW_SQLCOM_UNLOCK_TABLES, 0 },
	[MYC_FLUSH]            = { "FLUSH", SW_CLASS_UTILITY, SW_SQLCOM_FLUSH, 0 },
	[MYC_KILL]             = { "KILL", SW_CLASS_UTILITY, SW_SQLCOM_KILL, SW_TRAIT_DESTRUCTIVE },
	[MYC_SHUTDOWN]         = { "SHUTDOWN", SW_CLASS_UTILITY, SW_SQLCOM_SHUTDOWN, SW_TRAIT_DESTRUCTIVE },
	[MYC_INSTALL]          = { "INSTALL PLUGIN", SW_CLASS_UTILITY, SW_SQLCOM_INSTALL_PLUGIN, SW_TRAIT_FILE_ACCESS },
	[MYC_UNINSTALL]        = { "UNINSTALL PLUGIN", SW_CLASS_UTILITY, SW_SQLCOM_UNINSTALL_PLUGIN, SW_TRAIT_DESTRUCTIVE },
	[MYC_HA_OPEN]          = { "HANDLER OPEN", SW_CLASS_READ, SW_SQLCOM_HA_OPEN, 0 },
	[MYC_HA_READ]          = { "HANDLER READ", SW_CLASS_READ, SW_SQLCOM_HA_READ, 0 },
	[MYC_HA_CLOSE]         = { "HANDLER CLOSE", SW_CLASS_READ, SW_SQLCOM_HA_CLOSE, 0 },
	[MYC_SHOW]             = { "SHOW", SW_CLASS_READ, -1, 0 },
	[MYC_DESCRIBE]         = { "DESCRIBE", SW_CLASS_READ, SW_SQLCOM_SHOW_FIELDS, 0 },
	[MYC_USE]              = { "USE", SW_CLASS_SESSION, SW_SQLCOM_CHANGE_DB, 0 },
	[MYC_DO]               = { "DO", SW_CLASS_READ, SW_SQLCOM_DO, 0 },
	[MYC_OPTIMIZE]         = { "OPTIMIZE TABLE", SW_CLASS_UTILITY, SW_SQLCOM_OPTIMIZE, 0 },
	[MYC_CREATE_SEQUENCE]  = { "CREATE SEQUENCE", SW_CLASS_DDL, SW_SQLCOM_CREATE_SEQUENCE, 0 },
	[MYC_ALTER_SEQUENCE]   = { "ALTER SEQUENCE", SW_CLASS_DDL, SW_SQLCOM_ALTER_SEQUENCE, 0 },
	[MYC_DROP_SEQUENCE]    = { "DROP SEQUENCE", SW_CLASS_DDL, SW_SQLCOM_DROP_SEQUENCE, SW_TRAIT_DESTRUCTIVE },
	[MYC_ANALYZE_TABLE]    = { "ANALYZE TABLE", SW_CLASS_UTILITY, SW_SQLCOM_ANALYZE, 0 },
	[MYC_CHECK_TABLE]      = { "CHECK TABLE", SW_CLASS_UTILITY, SW_SQLCOM_CHECK, 0 },
	[MYC_CHECKSUM_TABLE]   = { "CHECKSUM TABLE", SW_CLASS_READ, SW_SQLCOM_CHECKSUM, 0 },
	[MYC_REPAIR_TABLE]     = { "REPAIR TABLE", SW_CLASS_UTILITY, SW_SQLCOM_REPAIR, 0 },
};

/* ---- the grammar's callbacks (my_parse.h) ---- */

char *myp_str(struct my_pctx *px, const char *s)
{
	char *c = sw_xstrdup(s ? s : "");
	if (px->n_arena == px->cap_arena) {
		px->cap_arena = px->cap_arena ? px->cap_arena * 2 : 64;
		px->arena = sw_xrealloc(px->arena, px->cap_arena * sizeof(*px->arena));
	}
	px->arena[px->n_arena++] = c;
	return c;
}

char *myp_cat3(struct my_pctx *px, const char *a, const char *sep, const char *b)
{
	char *s = sw_xasprintf("%s%s%s", a ? a : "", sep ? sep : "", b ? b : "");
	char *r = myp_str(px, s);
	free(s);
	return r;
}

void myp_cmd(struct my_pctx *px, enum myc_cmd cmd)
{
	px->info->cmd = cmd;
}

void myp_flag(struct my_pctx *px, unsigned flag)
{
	px->info->flags |= flag;
}

void myp_object(struct my_pctx *px, const char *name)
{
	if (!name || !name[0] || strcasecmp(name, "dual") == 0)
		return;
	sw_strv_push_unique(&px->info->objects, name);
}

void myp_function(struct my_pctx *px, const char *name)
{
	char *lc = sw_xstrdup(name ? name : "");
	for (char *p = lc; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	sw_strv_push_unique(&px->info->functions, lc);
	free(lc);
}

void myp_column(struct my_pctx *px, const char *name)
{
	if (name && name[0])
		sw_strv_push_unique(&px->info->columns, name);
}

void myp_setting(struct my_pctx *px, const char *name, bool global)
{
	char *lc = sw_xasprintf("%s%s", global ? "@@global." : "", name ? name : "");
	for (char *p = lc; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	sw_strv_push_unique(&px->info->settings, lc);
	free(lc);
}

void myp_note(struct my_pctx *px, const char *note)
{
	sw_strv_push(&px->info->notes, note);
}

void myp_name(struct my_pctx *px, const char *name)
{
	free(px->info->name);
	px->info->name = sw_xstrdup(name ? name : "");
}

void myp_sequence(struct my_pctx *px, const char *name, bool write)
{
	myp_object(px, name);
	sw_strv_push_unique(write ? &px->info->seq_writes : &px->info->seq_reads, name);
}

void myp_inner_start(struct my_pctx *px)
{
	const struct my_token *t = &px->lx->t[px->last];
	/* The FOR was the last token read, unless the parser has already read the next one. */
	bool for_last = t->kind == MY_T_WORD && strcasecmp(t->value, "for") == 0;
	px->info->inner_first = for_last ? px->last + 1 : px->last;
}

/* Aggregates: a query whose items are all aggregates returns one row. */
bool myp_is_aggregate(const char *name)
{
	static const char *const agg[] = { "count", "sum", "min", "max", "avg", "group_concat", "bit_and", "bit_or",
					   "bit_xor", "std", "stddev", "stddev_pop", "stddev_samp", "variance",
					   "var_pop", "var_samp", "json_arrayagg", "json_objectagg" };
	for (size_t i = 0; i < sizeof(agg) / sizeof(agg[0]); i++)
		if (strcasecmp(agg[i], name) == 0)
			return true;
	return false;
}

/* ---- functions: harmless reads, denylisted, the rest unknown ---- */

static const char *const read_only_functions[] = {
	"count", "sum", "min", "max", "avg", "group_concat", "bit_and", "bit_or", "bit_xor", "std", "stddev",
	"stddev_pop", "stddev_samp", "variance", "var_pop", "var_samp",
	"concat", "concat_ws", "lower", "upper", "lcase", "ucase", "length", "char_length", "character_length",
	"substring", "substr", "mid", "left", "right", "trim", "ltrim", "rtrim", "replace", "reverse", "repeat",
	"lpad", "rpad", "locate", "instr", "position", "format", "coalesce", "ifnull", "nullif", "if", "greatest",
	"least", "abs", "ceil", "ceiling", "floor", "round", "truncate", "mod", "sign", "sqrt", "pow", "power",
	"exp", "ln", "log", "log2", "log10", "pi", "rand", "now", "current_timestamp", "curdate", "current_date",
	"curtime", "current_time", "sysdate", "utc_timestamp", "utc_date", "date", "time", "year", "month", "day",
	"dayofmonth", "dayofweek", "dayofyear", "hour", "minute", "second", "week", "weekday", "quarter",
	"date_format", "date_add", "date_sub", "adddate", "subdate", "datediff", "timestampdiff", "timestampadd",
	"str_to_date", "unix_timestamp", "from_unixtime", "last_day", "makedate", "extract", "cast", "convert",
	"hex", "unhex", "md5", "sha1", "sha2", "crc32", "uuid", "field", "find_in_set", "elt", "strcmp",
	"json_extract", "json_unquote", "json_object", "json_array", "json_contains", "json_length", "json_valid",
	"json_value", "json_query", "json_keys", "row_count", "found_rows", "last_insert_id", "database", "schema",
	"char", "ascii", "ord", "bin", "oct", "conv", "space", "insert", "quote", "soundex", "to_base64",
	"from_base64", "inet_aton", "inet_ntoa", "isnull", "interval", "timediff", "time_to_sec", "sec_to_time",
	"monthname", "dayname", "to_days", "from_days", "period_add", "period_diff", "weekofyear", "yearweek",
	"collation", "charset",
	/* window functions (OVER) */
	"row_number", "rank", "dense_rank", "percent_rank", "cume_dist", "ntile", "lead", "lag", "first_value",
	"last_value", "nth_value",
	/* JSON functions: values computed from their arguments */
	"json_arrayagg", "json_objectagg", "json_search", "json_contains_path", "json_depth", "json_type",
	"json_merge", "json_merge_patch", "json_merge_preserve", "json_set", "json_insert", "json_replace",
	"json_remove", "json_array_append", "json_array_insert", "json_compact", "json_detailed", "json_pretty",
	"json_loose", "json_quote", "json_exists", "json_overlaps", "json_equals", "json_normalize",
};

struct deny_fn {
	const char *name;
	const char *why;
	bool file;
};

static const struct deny_fn denied_functions[] = {
	{ "load_file", "reads a file on the database server", true },
	{ "sleep", "holds the connection and its locks for as long as asked", false },
	{ "benchmark", "burns server CPU for as long as asked", false },
	{ "get_lock", "takes a server-wide named lock", false },
	{ "release_lock", "releases a server-wide named lock", false },
	{ "release_all_locks", "releases server-wide named locks", false },
	{ "is_used_lock", "exposes other sessions' named locks", false },
	{ "is_free_lock", "exposes other sessions' named locks", false },
	{ "master_pos_wait", "waits on replication for as long as asked", false },
	{ "master_gtid_wait", "waits on replication for as long as asked", false },
	{ "sys_exec", "runs a shell command on the server (lib_mysqludf_sys)", false },
	{ "sys_eval", "runs a shell command on the server (lib_mysqludf_sys)", false },
	{ "sys_get", "reads the server's environment (lib_mysqludf_sys)", false },
	{ "sys_set", "changes the server's environment (lib_mysqludf_sys)", false },
};

static const struct deny_fn *denied_function(const char *name)
{
	for (size_t i = 0; i < sizeof(denied_functions) / sizeof(denied_functions[0]); i++)
		if (strcmp(denied_functions[i].name, name) == 0)
			return &denied_functions[i];
	return NULL;
}

static bool read_only_function(const char *name)
{
	for (size_t i = 0; i < sizeof(read_only_functions) / sizeof(read_only_functions[0]); i++)
		if (strcmp(read_only_functions[i], name) == 0)
			return true;
	return false;
}

/* ---- building the statement ---- */

static void reason(struct sw_stmt *st, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void reason(struct sw_stmt *st, const char *fmt, ...)
{
	va_list ap;
	char *r;
	va_start(ap, fmt);
	r = sw_xvasprintf(fmt, ap);
	va_end(ap);
	sw_strv_push(&st->reasons, r);
	free(r);
}

static void set_command(struct sw_stmt *st, enum sw_class cls, const char *tag)
{
	st->cls = cls;
	free(st->command);
	st->command = sw_xstrdup(tag);
}

/* An information_schema view of the privilege catalog: USER_/SCHEMA_/TABLE_/COLUMN_PRIVILEGES and
 * APPLICABLE_/ENABLED_ROLES, named as the server names its views over the mysql grant tables. */
static bool privilege_view(const char *table)
{
	static const char *const suffix[] = { "_privileges", "_roles" };
	size_t tl = strlen(table);
	for (size_t i = 0; i < sizeof(suffix) / sizeof(suffix[0]); i++) {
		size_t sl = strlen(suffix[i]);
		if (tl > sl && strcasecmp(table + tl - sl, suffix[i]) == 0)
			return true;
	}
	return false;
}

/* Schemas and tables whose reads expose credentials, configuration or other sessions' SQL. */
static const char *sensitive_object(const char *name)
{
	const char *dot = strchr(name, '.');
	size_t dl = dot ? (size_t)(dot - name) : 0;

	if (!dot)
		return NULL;
	/* The privilege catalog is one class: the mysql schema's account and grant tables (the whole schema)
	 * and information_schema's views of them, read the same way whichever one names it. */
	if (dl == 5 && strncasecmp(name, "mysql", 5) == 0)
		return "the mysql system schema (the privilege catalog: accounts, password hashes, grants)";
	if (dl == 18 && strncasecmp(name, "information_schema", 18) == 0 && privilege_view(dot + 1))
		return "the privilege catalog (which account holds which privilege or role)";
	if (dl == 18 && strncasecmp(name, "performance_schema", 18) == 0)
		return "performance_schema (other sessions' statements and server internals)";
	if (dl == 3 && strncasecmp(name, "sys", 3) == 0)
		return "the sys schema (other sessions' statements)";
	if (dl == 18 && strncasecmp(name, "information_schema", 18) == 0 &&
	    (strcasecmp(dot + 1, "processlist") == 0 || strcasecmp(dot + 1, "innodb_trx") == 0 ||
	     strcasecmp(dot + 1, "innodb_lock_waits") == 0 || strcasecmp(dot + 1, "query_cache_info") == 0))
		return "other sessions' SQL";
	return NULL;
}

void sw_my_judge_database(struct sw_analysis *a, const char *db)
{
	if (!db || !db[0])
		return;
	for (size_t i = 0; i < a->n_stmts; i++) {
		struct sw_stmt *st = &a->stmts[i];
		for (size_t j = 0; j < st->n_objects; j++) {
			const char *nm = st->objects[j].name, *why;
			char *q;
			if (strchr(nm, '.'))
				continue;
			q = sw_xasprintf("%s.%s", db, nm);
			if ((why = sensitive_object(q)) != NULL) {
				st->traits |= SW_TRAIT_SENSITIVE_CATALOG;
				reason(st, "%s is %s in the current database, which exposes %s", nm, q, why);
			}
			free(q);
		}
	}
}

static bool setting_is(const char *name, const char *want)
{
	const char *base = name;
	if (strncmp(base, "@@", 2) == 0)
		base += 2;
	if (strncmp(base, "global.", 7) == 0)
		base += 7;
	else if (strncmp(base, "session.", 8) == 0)
		base += 8;
	else if (strncmp(base, "local.", 6) == 0)
		base += 6;
	return strcmp(base, want) == 0;
}

/* Session settings a governed session may not change (they hide or forge what the server records). */
static const char *unsafe_session_setting(const char *name)
{
	static const struct { const char *name, *why; } unsafe[] = {
		{ "sql_log_bin", "turning it off keeps the session's changes out of the binary log (replicas, "
				 "point-in-time recovery, audit)" },
		{ "sql_log_off", "turning it on keeps the session's statements out of the general query log" },
		{ "pseudo_thread_id", "makes the session pose as another connection in the binary log" },
		{ "pseudo_slave_mode", "makes the session behave like a replication applier" },
		{ "gtid_domain_id", "forges replication identifiers" },
		{ "gtid_seq_no", "forges replication identifiers" },
		{ "server_id", "forges the server id the binary log records" },
		{ "skip_replication", "keeps the session's changes from replicas" },
		{ "wsrep_on", "keeps the session's changes from the Galera cluster" },
		{ "foreign_key_checks", "turning it off lets writes break referential integrity" },
		{ "unique_checks", "turning it off lets writes break unique constraints" },
		{ "check_constraint_checks", "turning it off lets writes break CHECK constraints" },
		{ "timestamp", "makes NOW() and the binary log record a time of the session's choosing" },
		{ "binlog_annotate_row_events", "keeps the session's SQL text out of the binary log" },
		{ "log_slow_filter", "keeps the session's statements out of the slow query log" },
		{ "log_slow_rate_limit", "keeps the session's statements out of the slow query log" },
		{ "log_slow_query", "keeps the session's statements out of the slow query log" },
		{ "slow_query_log", "keeps the session's statements out of the slow query log" },
		{ "long_query_time", "raised, keeps the session's statements out of the slow query log" },
		{ "log_slow_query_time", "raised, keeps the session's statements out of the slow query log" },
		{ "debug_dbug", "injects server debug actions (crashes, waits)" },
		{ "debug_sync", "injects server wait points" },
		{ "skip_parallel_replication", "changes how replicas apply the session's changes" },
		/* The values mysqlbinlog output replays: set by hand they forge what the binary log records. */
		{ "insert_id", "chooses the AUTO_INCREMENT value the next INSERT records" },
		{ "last_insert_id", "forges LAST_INSERT_ID() as the binary log replays it" },
		{ "identity", "forges LAST_INSERT_ID() as the binary log replays it" },
		{ "rand_seed1", "makes RAND() return values of the session's choosing" },
		{ "rand_seed2", "makes RAND() return values of the session's choosing" },
		{ "system_versioning_insert_history", "lets writes forge the history of system-versioned tables" },
		{ "min_examined_row_limit", "raised, keeps the session's statements out of the slow query log" },
		/* Settings that change what a later, approved statement does without appearing in it. */
		{ "default_storage_engine", "makes a later CREATE TABLE without ENGINE use an engine of the session's "
					    "choosing (BLACKHOLE discards every row)" },
		{ "default_tmp_storage_engine", "makes a later CREATE TEMPORARY TABLE use an engine of the session's choosing" },
		{ "storage_engine", "makes a later CREATE TABLE without ENGINE use an engine of the session's choosing" },
		{ "enforce_storage_engine", "makes later CREATE TABLEs use an engine of the session's choosing" },
		{ "alter_algorithm", "changes how a later ALTER TABLE runs (COPY blocks writes) behind the prediction a "
				     "reviewer approved" },
		{ "old_alter_table", "changes how a later ALTER TABLE runs (COPY blocks writes) behind the prediction a "
				     "reviewer approved" },
	};
	/* Whole families: every binary log, server log, Galera and debug setting. */
	static const struct { const char *prefix, *why; } families[] = {
		{ "binlog_", "changes how the session's changes reach the binary log and replicas" },
		{ "log_", "changes what the server's logs record about the session" },
		{ "wsrep_", "changes how the session's changes reach the Galera cluster" },
		{ "debug", "injects server debug actions (crashes, waits)" },
	};
	const char *base = name;
	for (size_t i = 0; i < sizeof(unsafe) / sizeof(unsafe[0]); i++)
		if (setting_is(name, unsafe[i].name))
			return unsafe[i].why;
	if (strncmp(base, "@@", 2) == 0)
		base += 2;
	for (const char *sc = base, *dot; (dot = strchr(sc, '.')) != NULL; sc = dot + 1)
		base = dot + 1;
	for (size_t i = 0; i < sizeof(families) / sizeof(families[0]); i++)
		if (strncmp(base, families[i].prefix, strlen(families[i].prefix)) == 0)
			return families[i].why;
	return NULL;
}

static void judge_settings(struct sw_stmt *st, const struct myc_info *in)
{
	for (size_t i = 0; i < in->settings.n; i++) {
		const char *nm = in->settings.v[i];
		const char *why;

		if (nm[0] == '@' && nm[1] != '@') {
			reason(st, "SET %s assigns a user variable", nm);
			continue;
		}
		sw_strv_push_unique(&st->settings, nm);
		if (strncmp(nm, "@@global.", 9) == 0 || (in->flags & MYF_GLOBAL_SET)) {
			st->traits |= SW_TRAIT_UNSAFE_SETTING;
			st->cls = SW_CLASS_UTILITY;
			reason(st, "SET GLOBAL %s changes server-wide configuration for every session",
			       strncmp(nm, "@@global.", 9) == 0 ? nm + 9 : nm);
		} else if ((why = unsafe_session_setting(nm)) != NULL) {
			st->traits |= SW_TRAIT_UNSAFE_SETTING;
			reason(st, "SET %s: %s", nm, why);
		}
	}
}

static void judge_functions(struct sw_stmt *st, const struct myc_info *in)
{
	for (size_t i = 0; i < in->functions.n; i++) {
		const char *fn = in->functions.v[i];
		const struct deny_fn *d = strchr(fn, '.') ? NULL : denied_function(fn);

		sw_strv_push_unique(&st->functions, fn);
		if (d) {
			st->traits |= SW_TRAIT_DANGEROUS_FUNCTION;
			if (d->file)
				st->traits |= SW_TRAIT_FILE_ACCESS;
			if (strcmp(fn, "nextval") == 0 || strcmp(fn, "setval") == 0)
				st->cls = st->cls == SW_CLASS_READ ? SW_CLASS_WRITE : st->cls;
			reason(st, "calls %s (denylisted: %s)", fn, d->why);
		} else if (strchr(fn, '.') || !read_only_function(fn)) {
			st->traits |= SW_TRAIT_UNKNOWN_FUNCTION;
			reason(st, "calls %s (not a known read-only builtin)", fn);
		}
	}
}

static const char *first_object(const struct myc_info *in)
{
	return in->objects.n ? in->objects.v[0] : "?";
}

static bool show_sensitive(const char *what, const char **why)
{
	static const struct { const char *what, *why; } s[] = {
		{ "processlist", "other sessions' SQL" },
		{ "full processlist", "other sessions' SQL" },
		{ "engine innodb status", "other sessions' SQL and server internals" },
		{ "create user", "account definitions and password hashes" },
		/* SHOW EXPLAIN/ANALYZE FOR, EXPLAIN FOR CONNECTION: another connection's running statement,
		 * read through its plan (tables, and the constants of its conditions in FORMAT=JSON). */
		{ "explain for", "other sessions' SQL (the plan of another connection's running statement)" },
		{ "analyze for", "other sessions' SQL (the plan of another connection's running statement)" },
		/* Last_Error / Last_SQL_Error quote the replicated statement that failed */
		{ "slave status", "other sessions' SQL (the replicated statement that failed) and the replication account" },
		{ "replica status", "other sessions' SQL (the replicated statement that failed) and the replication account" },
	};
	for (size_t i = 0; i < sizeof(s) / sizeof(s[0]); i++)
		if (strcasecmp(s[i].what, what) == 0) {
			*why = s[i].why;
			return true;
		}
	if (strncasecmp(what, "binlog events", 13) == 0 || strncasecmp(what, "relaylog events", 15) == 0) {
		*why = "every change made on the server, other sessions' SQL included";
		return true;
	}
	if (strncasecmp(what, "grants", 6) == 0 && strcasecmp(what + strlen(what) - 4, " for") == 0) {
		*why = "the privilege catalog (another account's privileges)";
		return true;
	}
	return false;
}

static char *upper_dup(const char *s)
{
	char *u = sw_xstrdup(s);
	for (char *p = u; *p; p++)
		if (*p >= 'a' && *p <= 'z')
			*p = (char)(*p - 'a' + 'A');
	return u;
}

static void fill_stmt(struct sw_stmt *st, const struct myc_info *in, const struct my_lexed *lx, size_t a,
		      size_t b, unsigned mode, int depth);

static void classify_prepare(struct sw_stmt *st, const struct myc_info *in, unsigned mode, int depth)
{
	free(st->prepare_name);
	st->prepare_name = sw_xstrdup(in->name ? in->name : "");
	if (in->prep_from_var) {
		set_command(st, SW_CLASS_UNKNOWN, "PREPARE");
		st->traits |= SW_TRAIT_PREPARED | SW_TRAIT_UNRESOLVED;
		reason(st, "PREPARE %s FROM @%s: the statement text is in a user variable, which sqlward cannot see "
		       "here", st->prepare_name, in->prep_var ? in->prep_var : "");
		return;
	}
	struct sw_analysis inner;
	if (depth > 4) {
		set_command(st, SW_CLASS_UNKNOWN, "PREPARE");
		reason(st, "PREPARE nests too deeply to analyse");
		return;
	}
	sw_my_analyze(in->prep_text ? in->prep_text : "", mode, &inner);
	if (!inner.parse_ok || inner.n_stmts != 1) {
		set_command(st, SW_CLASS_UNKNOWN, "PREPARE");
		st->traits |= SW_TRAIT_PREPARED;
		if (!inner.parse_ok)
			reason(st, "PREPARE %s: the prepared text does not parse: %s", st->prepare_name,
			       inner.error ? inner.error : "?");
		else
			reason(st, "PREPARE %s: the prepared text holds %zu statements; the server prepares exactly one",
			       st->prepare_name, inner.n_stmts);
		sw_analysis_free(&inner);
		return;
	}
	struct sw_stmt *is = &inner.stmts[0];
	st->cls = is->cls;
	st->traits |= is->traits | SW_TRAIT_PREPARED;
	for (size_t i = 0; i < is->n_objects; i++)
		sw_stmt_add_object(st, is->objects[i].name, is->objects[i].lock);
	for (size_t i = 0; i < is->functions.n; i++)
		sw_strv_push_unique(&st->functions, is->functions.v[i]);
	for (size_t i = 0; i < is->columns.n; i++)
		sw_strv_push_unique(&st->columns, is->columns.v[i]);
	for (size_t i = 0; i < is->settings.n; i++)
		sw_strv_push_unique(&st->settings, is->settings.v[i]);
	for (size_t i = 0; i < is->reasons.n; i++)
		sw_strv_push(&st->reasons, is->reasons.v[i]);
	if (is->prepare_name || is->execute_name) {
		st->cls = SW_CLASS_UNKNOWN;
		reason(st, "PREPARE of a PREPARE/EXECUTE is not analysed");
	}
	free(st->command);
	st->command = sw_xstrdup("PREPARE");
	reason(st, "PREPARE %s: judged as the statement it prepares", st->prepare_name);
	sw_analysis_free(&inner);
}

/* Tokens of a soup the grammar accepted unjudged (ALTER TABLE specs, CREATE TABLE options). */
static bool soup_has_word(const struct my_lexed *lx, size_t a, size_t b, const char *word)
{
	for (size_t i = a; i < b; i++)
		if (lx->t[i].kind == MY_T_WORD && strcasecmp(lx->t[i].value, word) == 0)
			return true;
	return false;
}

static void fill_stmt(struct sw_stmt *st, const struct myc_info *in, const struct my_lexed *lx, size_t a,
		      size_t b, unsigned mode, int depth)
{
	const struct cmd_def *d = &cmd_defs[in->cmd < MYC__COUNT ? in->cmd : MYC_NONE];

	set_command(st, d->cls, d->tag);
	st->traits |= d->traits;
	for (size_t i = 0; i < in->objects.n; i++)
		sw_stmt_add_object(st, in->objects.v[i], SW_LOCK_NONE);
	for (size_t i = 0; i < in->columns.n; i++)
		sw_strv_push_unique(&st->columns, in->columns.v[i]);

	switch (in->cmd) {
	case MYC_SELECT:
		if (in->flags & MYF_OUTFILE) {
			st->cls = SW_CLASS_WRITE;
			st->traits |= SW_TRAIT_FILE_ACCESS;
			reason(st, "SELECT ... INTO OUTFILE writes a file on the database server");
		}
		if (in->flags & MYF_DUMPFILE) {
			st->cls = SW_CLASS_WRITE;
			st->traits |= SW_TRAIT_FILE_ACCESS;
			reason(st, "SELECT ... INTO DUMPFILE writes a file on the database server");
		}
		if (in->flags & MYF_INTO_VAR)
			reason(st, "SELECT ... INTO @variable stores the result in user variables");
		if ((in->flags & MYF_UNBOUNDED) && !(in->flags & (MYF_OUTFILE | MYF_DUMPFILE | MYF_INTO_VAR)) &&
		    !(in->flags & (MYF_EXPLAIN))) {
			st->traits |= SW_TRAIT_NO_LIMIT;
			reason(st, "returns rows with no LIMIT");
		}
		break;
	case MYC_UPDATE: case MYC_UPDATE_MULTI: case MYC_DELETE: case MYC_DELETE_MULTI:
		if (!(in->flags & MYF_WHERE)) {
			st->traits |= SW_TRAIT_NO_WHERE | SW_TRAIT_DESTRUCTIVE;
			reason(st, "%s without WHERE on %s", d->tag, first_object(in));
		}
		break;
	case MYC_INSERT: case MYC_INSERT_SELECT:
		if (in->flags & MYF_DUPLICATE)
			reason(st, "INSERT ... ON DUPLICATE KEY UPDATE updates rows that already exist");
		break;
	case MYC_TRUNCATE:
		reason(st, "TRUNCATE removes every row of %s", first_object(in));
		break;
	case MYC_LOAD:
		reason(st, "LOAD DATA %sINFILE reads %s and writes it into %s", (in->flags & MYF_LOCAL) ? "LOCAL " : "",
		       (in->flags & MYF_LOCAL) ? "a file the client sends" : "a file on the database server",
		       first_object(in));
		break;
	case MYC_DROP_TABLE: case MYC_DROP_VIEW: case MYC_DROP_INDEX: case MYC_DROP_DB: case MYC_DROP_PROCEDURE:
	case MYC_DROP_FUNCTION: case MYC_DROP_TRIGGER: case MYC_DROP_EVENT: case MYC_DROP_SEQUENCE: {
		struct sw_strv names = { 0 };
		for (size_t i = 0; i < in->objects.n; i++) {
			char *s = names.n ? NULL : NULL;
			(void)s;
			sw_strv_push(&names, in->objects.v[i]);
		}
		char *all = sw_xstrdup("");
		for (size_t i = 0; i < names.n; i++) {
			char *n2 = sw_xasprintf("%s%s%s", all, i ? ", " : "", names.v[i]);
			free(all);
			all = n2;
		}
		reason(st, "%s %s", d->tag, all);
		free(all);
		sw_strv_free(&names);
		break;
	}
	case MYC_ALTER_TABLE:
		if (soup_has_word(lx, a, b, "drop") || soup_has_word(lx, a, b, "truncate")) {
			st->traits |= SW_TRAIT_DESTRUCTIVE;
			reason(st, "ALTER TABLE %s drops a column, index, constraint or partition", first_object(in));
		}
		if (soup_has_word(lx, a, b, "discard")) {
			st->traits |= SW_TRAIT_DESTRUCTIVE;
			reason(st, "ALTER TABLE %s ... DISCARD TABLESPACE removes the table's data file", first_object(in));
		}
		if (soup_has_word(lx, a, b, "blackhole")) {
			st->traits |= SW_TRAIT_DESTRUCTIVE;
			reason(st, "ALTER TABLE %s ... ENGINE=BLACKHOLE discards every row of the table", first_object(in));
		}
		/* fall through */
	case MYC_CREATE_TABLE:
		if (soup_has_word(lx, a, b, "directory")) {
			st->traits |= SW_TRAIT_FILE_ACCESS;
			reason(st, "DATA/INDEX DIRECTORY points the table's files at a server directory");
		}
		if (soup_has_word(lx, a, b, "file_name")) {
			st->traits |= SW_TRAIT_FILE_ACCESS;
			reason(st, "FILE_NAME (the CONNECT engine) reads or writes a file on the database server");
		}
		if (in->flags & MYF_SOUP_SELECT) {
			st->cls = SW_CLASS_UNKNOWN;
			reason(st, "a query inside the table definition is not analysed");
		}
		break;
	case MYC_CREATE_PROCEDURE: case MYC_CREATE_FUNCTION: case MYC_CREATE_TRIGGER: case MYC_CREATE_EVENT:
		reason(st, "%s %s: opaque procedural code, not analysed (each statement it runs is judged when it "
		       "runs)", d->tag, first_object(in));
		break;
	case MYC_CALL:
		reason(st, "CALL %s: opaque procedural code", first_object(in));
		break;
	case MYC_COMPOUND:
		reason(st, "compound statement (BEGIN NOT ATOMIC, IF, CASE, LOOP, WHILE, REPEAT, FOR) runs the "
		       "statements inside it; not analysed");
		break;
	case MYC_PREPARE:
		classify_prepare(st, in, mode, depth);
		break;
	case MYC_EXECUTE:
		free(st->execute_name);
		st->execute_name = sw_xstrdup(in->name ? in->name : "");
		reason(st, "EXECUTE %s: resolved against the session's prepared statements", st->execute_name);
		break;
	case MYC_SET: case MYC_SET_TRANSACTION:
		judge_settings(st, in);
		break;
	case MYC_SET_ROLE:
		sw_strv_push_unique(&st->settings, "role");
		reason(st, "SET ROLE %s changes the privileges the session runs with", in->name ? in->name : "");
		break;
	case MYC_SET_DEFAULT_ROLE:
		reason(st, "SET DEFAULT ROLE changes the role an account gets at login");
		break;
	case MYC_SET_PASSWORD:
		reason(st, "SET PASSWORD changes an account's credentials");
		break;
	case MYC_GRANT: case MYC_GRANT_ROLE:
		reason(st, "GRANT gives privileges%s", (in->flags & MYF_WITH_ADMIN) ? " (WITH ADMIN OPTION)" : "");
		break;
	case MYC_KILL:
		if (in->flags & MYF_KILL_USER)
			reason(st, "KILL USER %s ends every connection (or statement) of that account", in->name);
		else
			reason(st, "KILL ends another session's statement or connection");
		break;
	case MYC_SHUTDOWN:
		reason(st, "SHUTDOWN stops the database server");
		break;
	case MYC_INSTALL:
		reason(st, "INSTALL loads shared library %s into the server", in->name ? in->name : "?");
		break;
	case MYC_UNINSTALL:
		reason(st, "UNINSTALL removes plugin %s from the server", in->name ? in->name : "?");
		break;
	case MYC_FLUSH:
		reason(st, "FLUSH resets server caches, logs or privileges (server-wide)");
		break;
	case MYC_LOCK:
		reason(st, "LOCK TABLES blocks other sessions until UNLOCK TABLES or the session ends");
		break;
	case MYC_HA_OPEN: case MYC_HA_READ: case MYC_HA_CLOSE:
		reason(st, "HANDLER reads %s through the storage engine, row by row", first_object(in));
		break;
	case MYC_SHOW: {
		const char *why;
		char *u = upper_dup(in->name ? in->name : "");
		free(st->command);
		st->command = sw_xasprintf("SHOW %s", u);
		free(u);
		if (show_sensitive(in->name ? in->name : "", &why)) {
			st->traits |= SW_TRAIT_SENSITIVE_CATALOG;
			reason(st, "%s exposes %s", st->command, why);
		}
		break;
	}
	case MYC_USE:
		reason(st, "USE %s changes the session's default database", in->name ? in->name : "");
		break;
	case MYC_OPTIMIZE:
		reason(st, "OPTIMIZE TABLE rebuilds %s (InnoDB runs it as ALTER TABLE ... FORCE)", first_object(in));
		break;
	default:
		break;
	}
	if ((in->flags & MYF_OR_REPLACE) &&
	    (in->cmd == MYC_CREATE_TABLE || in->cmd == MYC_CREATE_DB || in->cmd == MYC_CREATE_SEQUENCE)) {
		st->traits |= SW_TRAIT_DESTRUCTIVE;
		reason(st, "CREATE OR REPLACE drops an existing %s of that name, and its data, first",
		       in->cmd == MYC_CREATE_DB ? "database" : in->cmd == MYC_CREATE_SEQUENCE ? "sequence" : "table");
	}
	if (in->cmd == MYC_XA_START || in->cmd == MYC_XA_PREPARE)
		reason(st, "XA transaction: a prepared XA transaction keeps its locks and changes after the session ends");
	if (in->cmd == MYC_SET_TRANSACTION)
		st->cls = SW_CLASS_TRANSACTION;
	if (in->cmd == MYC_SET_TRANSACTION && (in->flags & MYF_GLOBAL_SET)) {
		st->cls = SW_CLASS_UTILITY;
		st->traits |= SW_TRAIT_UNSAFE_SETTING;
		reason(st, "SET GLOBAL TRANSACTION changes every new session's isolation or access mode");
	}

	for (size_t i = 0; i < st->n_objects; i++) {
		const char *why = sensitive_object(st->objects[i].name);
		if (why) {
			st->traits |= SW_TRAIT_SENSITIVE_CATALOG;
			reason(st, "%s exposes %s", st->objects[i].name, why);
		}
	}
	if (in->flags & MYF_STAR) {
		st->traits |= SW_TRAIT_SELECT_STAR;
		reason(st, "SELECT * reads every column");
	}
	if (in->flags & MYF_LOCKING) {
		st->traits |= SW_TRAIT_LOCKING_READ;
		reason(st, "SELECT ... FOR UPDATE/LOCK IN SHARE MODE locks the rows it reads");
	}
	if (in->cmd != MYC_PREPARE)
		judge_functions(st, in);
	if (in->flags & MYF_SET_STATEMENT) {
		/* Each setting counts as a SET SESSION of it would; an inner SET judged them all already. */
		if (in->cmd != MYC_SET && in->cmd != MYC_SET_TRANSACTION)
			judge_settings(st, in);
		reason(st, "SET STATEMENT ... FOR runs %s with the settings it names", d->tag);
		if (in->cmd == MYC_EXECUTE && (st->traits & SW_TRAIT_UNSAFE_SETTING)) {
			/* Resolving the EXECUTE would judge the prepared statement alone, without the setting. */
			free(st->execute_name);
			st->execute_name = NULL;
			reason(st, "SET STATEMENT with an unsafe setting FOR EXECUTE is not resolved to the prepared statement");
		}
	}

	if (in->flags & MYF_EXPLAIN) {
		st->cls = SW_CLASS_READ;
		st->traits &= ~(unsigned)(SW_TRAIT_NO_LIMIT | SW_TRAIT_NO_WHERE | SW_TRAIT_DESTRUCTIVE);
		set_command(st, SW_CLASS_READ, "EXPLAIN");
		reason(st, "EXPLAIN without ANALYZE plans the statement but does not run it");
	} else if (in->flags & MYF_ANALYZE) {
		st->traits |= SW_TRAIT_EXECUTES;
		free(st->command);
		st->command = sw_xstrdup("ANALYZE");
		reason(st, "ANALYZE executes the statement and reports its plan");
	}
	/* A sequence NEXTVAL or SETVAL changes is written by whatever statement evaluates it: a SELECT, DO,
	 * SHOW ... WHERE, an EXPLAIN (left a write), a SET @v = NEXTVAL(s). */
	for (size_t i = 0; i < in->seq_writes.n; i++) {
		if (st->cls == SW_CLASS_READ || st->cls == SW_CLASS_SESSION || st->cls == SW_CLASS_TRANSACTION)
			st->cls = SW_CLASS_WRITE;
		reason(st, "NEXTVAL / NEXT VALUE FOR / SETVAL advances or sets sequence %s (a write)", in->seq_writes.v[i]);
	}
	for (size_t i = 0; i < in->seq_reads.n; i++)
		reason(st, "LASTVAL / PREVIOUS VALUE FOR reads the value this session last took from sequence %s",
		       in->seq_reads.v[i]);
	for (size_t i = 0; i < in->notes.n; i++)
		sw_strv_push(&st->reasons, in->notes.v[i]);
	sw_my_impact(st, in, lx, a, b);
}

/* ---- cutting the string into statements ---- */

static bool tok_word(const struct my_lexed *lx, size_t i, const char *w)
{
	return i < lx->n && lx->t[i].kind == MY_T_WORD && strcasecmp(lx->t[i].value, w) == 0;
}

static bool tok_op(const struct my_lexed *lx, size_t i, const char *op)
{
	return i < lx->n && lx->t[i].kind == MY_T_OP && strcmp(lx->t[i].value, op) == 0;
}

static bool opener_word(const struct my_lexed *lx, size_t i)
{
	static const char *const w[] = { "begin", "if", "case", "loop", "while", "repeat", "for" };
	for (size_t k = 0; k < sizeof(w) / sizeof(w[0]); k++)
		if (tok_word(lx, i, w[k]))
			return true;
	return false;
}

/* A label ("lbl:") at i. */
static bool label_at(const struct my_lexed *lx, size_t i)
{
	return i + 1 < lx->n && (lx->t[i].kind == MY_T_WORD || lx->t[i].kind == MY_T_QIDENT) && tok_op(lx, i + 1, ":");
}

/*
 * A compound statement starting at i (after any label): find its last
 * token. Openers count only where the server's grammar starts a statement
 * (after ';', BEGIN, THEN/ELSE of an IF or CASE statement, DO, LOOP, REPEAT,
 * a label), CASE everywhere (an expression CASE ends with END too), BEGIN
 * also in a DECLARE ... HANDLER. Counting an END the server would not
 * count ends the statement early, which shows more statements, never
 * fewer. Returns the index one past the compound's end, or NO_INDEX.
 */
static size_t compound_end(const struct my_lexed *lx, size_t i, char **err)
{
	char stack[256];
	size_t top = 0;
	bool stmt_start = true, handler = false;

	while (i < lx->n) {
		const struct my_token *t = &lx->t[i];
		char top_kind = top ? stack[top - 1] : 0;

		if (t->kind == MY_T_SEMI) {
			if (!top)
				break;
			stmt_start = true;
			handler = false;
			i++;
			continue;
		}
		if (stmt_start && label_at(lx, i) && !opener_word(lx, i)) {
			i += 2;
			continue;
		}
		if (t->kind != MY_T_WORD) {
			stmt_start = false;
			i++;
			continue;
		}
		if (tok_word(lx, i, "end")) {
			if (!top) {
				*err = sw_xstrdup("END without a matching BEGIN/IF/CASE/LOOP");
				return NO_INDEX;
			}
			top--;
			i++;
			if (stack[top] != 'c' && (opener_word(lx, i) && !tok_word(lx, i, "begin")))
				i++;
			else if (stack[top] != 'c' && i < lx->n &&
				 (lx->t[i].kind == MY_T_WORD || lx->t[i].kind == MY_T_QIDENT) && !opener_word(lx, i))
				i++; /* END label */
			stmt_start = false;
			if (!top)
				return i;
			continue;
		}
		if ((stmt_start || (handler && tok_word(lx, i, "begin"))) && opener_word(lx, i)) {
			char k = tok_word(lx, i, "begin") ? 'b' : tok_word(lx, i, "if") ? 'i' : tok_word(lx, i, "case") ? 'C'
				 : tok_word(lx, i, "loop") ? 'l' : tok_word(lx, i, "while") ? 'w'
				 : tok_word(lx, i, "repeat") ? 'r' : 'f';
			if (top == sizeof(stack)) {
				*err = sw_xstrdup("compound statement nests too deeply to analyse");
				return NO_INDEX;
			}
			stack[top++] = k;
			i++;
			if (k == 'b' && tok_word(lx, i, "not") && tok_word(lx, i + 1, "atomic"))
				i += 2;
			stmt_start = k == 'b' || k == 'l' || k == 'r';
			handler = false;
			continue;
		}
		if (tok_word(lx, i, "case")) {
			if (top == sizeof(stack)) {
				*err = sw_xstrdup("compound statement nests too deeply to analyse");
				return NO_INDEX;
			}
			stack[top++] = 'c';
			stmt_start = false;
			i++;
			continue;
		}
		if ((tok_word(lx, i, "then") || tok_word(lx, i, "else")) && (top_kind == 'i' || top_kind == 'C')) {
			stmt_start = true;
			i++;
			continue;
		}
		if (tok_word(lx, i, "do") && (top_kind == 'w' || top_kind == 'f')) {
			stmt_start = true;
			i++;
			continue;
		}
		if (stmt_start && tok_word(lx, i, "declare"))
			handler = true; /* a BEGIN later in this DECLARE is a handler body only after HANDLER */
		if (handler && !tok_word(lx, i, "declare") && tok_word(lx, i, "handler"))
			handler = true;
		else if (handler && tok_word(lx, i, "cursor"))
			handler = false;
		stmt_start = false;
		i++;
	}
	*err = sw_xstrdup("compound statement or routine body not closed (BEGIN/IF/CASE/LOOP without END)");
	return NO_INDEX;
}

/* Where a routine's body starts in the statement [a, b) (CREATE PROCEDURE/FUNCTION/TRIGGER/EVENT), or NO_INDEX. */
static size_t routine_body_start(const struct my_lexed *lx, size_t a, size_t b, enum myc_cmd cmd)
{
	size_t i = a;
	int depth = 0;
	static const char *const characteristic[] = { "comment", "language", "sql", "not", "deterministic", "contains",
						      "no", "reads", "modifies", "data", "security", "definer",
						      "invoker", "unsigned", "signed", "zerofill", "binary", "ascii",
						      "unicode" };
	switch (cmd) {
	case MYC_CREATE_PROCEDURE:
		while (i < b && !tok_op(lx, i, "("))
			i++;
		for (; i < b; i++) {
			if (tok_op(lx, i, "("))
				depth++;
			else if (tok_op(lx, i, ")") && --depth == 0)
				break;
		}
		i++;
		break;
	case MYC_CREATE_FUNCTION:
		while (i < b && !tok_word(lx, i, "returns"))
			i++;
		i += 2; /* RETURNS type */
		if (tok_op(lx, i, "(")) {
			while (i < b && !tok_op(lx, i, ")"))
				i++;
			i++;
		}
		break;
	case MYC_CREATE_TRIGGER:
		while (i + 1 < b && !(tok_word(lx, i, "each") && tok_word(lx, i + 1, "row")))
			i++;
		i += 2;
		if (tok_word(lx, i, "follows") || tok_word(lx, i, "precedes"))
			i += 2;
		return i;
	case MYC_CREATE_EVENT:
		while (i < b && !tok_word(lx, i, "do"))
			i++;
		return i + 1;
	default:
		return NO_INDEX;
	}
	/* Characteristics and type modifiers before the body. */
	while (i < b) {
		bool skip = false;
		if (lx->t[i].kind == MY_T_STRING || lx->t[i].kind == MY_T_NUMBER)
			skip = true;
		for (size_t k = 0; !skip && k < sizeof(characteristic) / sizeof(characteristic[0]); k++)
			skip = tok_word(lx, i, characteristic[k]);
		if ((tok_word(lx, i, "character") && tok_word(lx, i + 1, "set")) || tok_word(lx, i, "charset") ||
		    tok_word(lx, i, "collate")) {
			i += tok_word(lx, i, "character") ? 3 : 2;
			continue;
		}
		if (!skip)
			break;
		i++;
	}
	return i;
}

/* A statement that starts a compound outside a routine (MariaDB runs these directly). */
static bool compound_start(const struct my_lexed *lx, size_t i)
{
	if (tok_word(lx, i, "begin"))
		return tok_word(lx, i + 1, "not") && tok_word(lx, i + 2, "atomic");
	if (label_at(lx, i))
		return true;
	return tok_word(lx, i, "if") || tok_word(lx, i, "case") || tok_word(lx, i, "loop") ||
	       tok_word(lx, i, "while") || tok_word(lx, i, "repeat") || tok_word(lx, i, "for");
}

/* ---- the entry point ---- */

/* Prefix *err with the position of token t. */
static void at_token(char **err, const struct my_token *t)
{
	char *e = sw_xasprintf("line %d, column %d: %s", t->line, t->col, *err);
	free(*err);
	*err = e;
}

static void parse_failed(struct sw_analysis *out, const char *sql, const char *msg)
{
	struct sw_stmt *st;

	for (size_t i = 0; i < out->n_stmts; i++)
		sw_stmt_free(&out->stmts[i]);
	free(out->stmts);
	free(out->error);
	out->parse_ok = false;
	out->error = sw_xstrdup(msg ? msg : "parse error");
	out->stmts = sw_xcalloc(1, sizeof(*out->stmts));
	out->n_stmts = 1;
	st = &out->stmts[0];
	st->text = sw_xstrdup(sql);
	st->cls = SW_CLASS_UNKNOWN;
	st->command = sw_xstrdup("UNKNOWN");
	reason(st, "parse error: %s", out->error);
}

static void info_free(struct myc_info *in)
{
	sw_strv_free(&in->objects);
	sw_strv_free(&in->functions);
	sw_strv_free(&in->columns);
	sw_strv_free(&in->settings);
	sw_strv_free(&in->notes);
	sw_strv_free(&in->seq_writes);
	sw_strv_free(&in->seq_reads);
	free(in->name);
	free(in->prep_text);
	free(in->prep_var);
	memset(in, 0, sizeof(*in));
}

/* Parse tokens [a, b) as one statement. Returns 0, or -1 with *err ("line L, column C: ..."). */
static int parse_one(const struct my_lexed *lx, size_t a, size_t b, struct myc_info *in, char **err)
{
	struct my_pctx px = { .lx = lx, .start = a, .i = a, .end = b, .last = a, .info = in };
	int rc;

	memset(in, 0, sizeof(*in));
	in->body_first = NO_INDEX;
	in->inner_first = NO_INDEX;
	rc = my_yyparse(&px);
	if (rc != 0 || in->cmd == MYC_NONE) {
		*err = sw_xasprintf("line %d, column %d: %s", px.error ? px.err_line : lx->t[a].line,
				    px.error ? px.err_col : lx->t[a].col,
				    px.error ? px.error : "statement not recognised");
		rc = -1;
	}
	for (size_t i = 0; i < px.n_arena; i++)
		free(px.arena[i]);
	free(px.arena);
	free(px.error);
	return rc;
}

static bool changes_lexing(const struct sw_stmt *st)
{
	for (size_t i = 0; i < st->settings.n; i++)
		if (setting_is(st->settings.v[i], "sql_mode") || setting_is(st->settings.v[i], "names") ||
		    setting_is(st->settings.v[i], "character set") ||
		    setting_is(st->settings.v[i], "character_set_client"))
			return true;
	return false;
}

static void analyze_depth(const char *sql, unsigned mode, struct sw_analysis *out, int depth)
{
	struct my_lexed lx;
	size_t i = 0;
	char *err = NULL;

	memset(out, 0, sizeof(*out));
	out->engine = SW_ENGINE_MYSQL;
	if (!sql)
		sql = "";
	if (mode & SW_MY_MODE_ORACLE) {
		parse_failed(out, sql, "line 1, column 1: sql_mode ORACLE switches MariaDB to another grammar, which sqlward does not "
			     "classify; use a governed account without ORACLE in its sql_mode");
		return;
	}
	if (sw_my_lex(sql, strlen(sql), mode, &lx) < 0) {
		char *msg = sw_xasprintf("line %d, column %d: %s", lx.err_line, lx.err_col, lx.error);
		parse_failed(out, sql, msg);
		free(msg);
		sw_my_lexed_free(&lx);
		return;
	}
	out->parse_ok = true;
	while (i < lx.n) {
		size_t a, b, next;
		struct myc_info in;
		struct sw_stmt *st;

		if (lx.t[i].kind == MY_T_SEMI) {
			i++;
			continue;
		}
		a = i;
		b = a;
		while (b < lx.n && lx.t[b].kind != MY_T_SEMI)
			b++;
		next = b;
		if (compound_start(&lx, a)) {
			size_t e = compound_end(&lx, a, &err);
			if (e == NO_INDEX) {
				at_token(&err, &lx.t[a]);
				break;
			}
			memset(&in, 0, sizeof(in));
			in.cmd = MYC_COMPOUND;
			b = next = e;
		} else {
			if (parse_one(&lx, a, b, &in, &err) < 0) {
				info_free(&in);
				break;
			}
			/* SET STATEMENT ... FOR CREATE PROCEDURE: the routine's text starts after the FOR. */
			size_t body = routine_body_start(&lx, in.inner_first != NO_INDEX ? in.inner_first : a, b, in.cmd);
			if (body != NO_INDEX && body < b && (opener_word(&lx, body) || label_at(&lx, body))) {
				size_t e = compound_end(&lx, body, &err);
				if (e == NO_INDEX) {
					at_token(&err, &lx.t[body]);
					info_free(&in);
					break;
				}
				b = next = e;
			}
		}
		if (next < lx.n && lx.t[next].kind != MY_T_SEMI) {
			err = sw_xasprintf("line %d, column %d: text after the end of a compound statement",
					   lx.t[next].line, lx.t[next].col);
			info_free(&in);
			break;
		}
		out->stmts = sw_xrealloc(out->stmts, (out->n_stmts + 1) * sizeof(*out->stmts));
		st = &out->stmts[out->n_stmts++];
		memset(st, 0, sizeof(*st));
		st->text = sw_xstrndup(sql + lx.t[a].start, lx.t[b - 1].start + lx.t[b - 1].len - lx.t[a].start);
		fill_stmt(st, &in, &lx, a, b, mode, depth);
		info_free(&in);
		i = next;
		if (changes_lexing(st) && i < lx.n) {
			size_t k = i;
			while (k < lx.n && lx.t[k].kind == MY_T_SEMI)
				k++;
			if (k < lx.n) {
				err = sw_xasprintf("line %d, column %d: SET of sql_mode or the character set followed by "
						   "more statements in the same string: the rest would be read under settings "
						   "sqlward has not seen; send the SET on its own", lx.t[k].line, lx.t[k].col);
				break;
			}
		}
	}
	if (err) {
		parse_failed(out, sql, err);
		free(err);
	} else if (out->n_stmts > 1) {
		for (size_t k = 0; k < out->n_stmts; k++) {
			out->stmts[k].traits |= SW_TRAIT_MULTI_STATEMENT;
			reason(&out->stmts[k], "the string holds %zu statements", out->n_stmts);
		}
	}
	sw_my_lexed_free(&lx);
}

void sw_my_analyze(const char *sql, unsigned sql_mode, struct sw_analysis *out)
{
	static __thread int depth;
	depth++;
	analyze_depth(sql, sql_mode, out, depth);
	depth--;
}

/* ---- sql_mode ---- */

int sw_my_mode_parse(const char *text, unsigned *out, char *err, size_t errlen)
{
	static const struct { const char *name; unsigned bits; } modes[] = {
		{ "ANSI_QUOTES", SW_MY_MODE_ANSI_QUOTES },
		{ "NO_BACKSLASH_ESCAPES", SW_MY_MODE_NO_BACKSLASH_ESCAPES },
		{ "PIPES_AS_CONCAT", SW_MY_MODE_PIPES_AS_CONCAT },
		{ "IGNORE_SPACE", SW_MY_MODE_IGNORE_SPACE },
		{ "ORACLE", SW_MY_MODE_ORACLE | SW_MY_MODE_ANSI_QUOTES | SW_MY_MODE_PIPES_AS_CONCAT | SW_MY_MODE_IGNORE_SPACE },
		{ "ANSI", SW_MY_MODE_ANSI_QUOTES | SW_MY_MODE_PIPES_AS_CONCAT | SW_MY_MODE_IGNORE_SPACE },
		{ "DB2", SW_MY_MODE_ANSI_QUOTES | SW_MY_MODE_PIPES_AS_CONCAT | SW_MY_MODE_IGNORE_SPACE },
		{ "MAXDB", SW_MY_MODE_ANSI_QUOTES | SW_MY_MODE_PIPES_AS_CONCAT | SW_MY_MODE_IGNORE_SPACE },
		{ "MSSQL", SW_MY_MODE_ANSI_QUOTES | SW_MY_MODE_PIPES_AS_CONCAT | SW_MY_MODE_IGNORE_SPACE },
		{ "POSTGRESQL", SW_MY_MODE_ANSI_QUOTES | SW_MY_MODE_PIPES_AS_CONCAT | SW_MY_MODE_IGNORE_SPACE },
		/* Modes that do not change how text is lexed or parsed. */
		{ "REAL_AS_FLOAT", 0 }, { "IGNORE_BAD_TABLE_OPTIONS", 0 }, { "ONLY_FULL_GROUP_BY", 0 },
		{ "NO_UNSIGNED_SUBTRACTION", 0 }, { "NO_DIR_IN_CREATE", 0 }, { "NO_KEY_OPTIONS", 0 },
		{ "NO_TABLE_OPTIONS", 0 }, { "NO_FIELD_OPTIONS", 0 }, { "MYSQL323", 0 }, { "MYSQL40", 0 },
		{ "NO_AUTO_VALUE_ON_ZERO", 0 }, { "STRICT_TRANS_TABLES", 0 }, { "STRICT_ALL_TABLES", 0 },
		{ "NO_ZERO_IN_DATE", 0 }, { "NO_ZERO_DATE", 0 }, { "INVALID_DATES", 0 },
		{ "ERROR_FOR_DIVISION_BY_ZERO", 0 }, { "TRADITIONAL", 0 }, { "NO_AUTO_CREATE_USER", 0 },
		{ "HIGH_NOT_PRECEDENCE", 0 }, { "NO_ENGINE_SUBSTITUTION", 0 }, { "PAD_CHAR_TO_FULL_LENGTH", 0 },
		{ "EMPTY_STRING_IS_NULL", 0 }, { "SIMULTANEOUS_ASSIGNMENT", 0 }, { "TIME_ROUND_FRACTIONAL", 0 },
	};
	unsigned bits = 0;
	const char *p = text ? text : "";

	while (*p) {
		size_t n = strcspn(p, ",");
		size_t s = 0, e = n;
		bool found = false;
		while (s < e && (p[s] == ' ' || p[s] == '\t'))
			s++;
		while (e > s && (p[e - 1] == ' ' || p[e - 1] == '\t'))
			e--;
		if (e > s) {
			for (size_t k = 0; k < sizeof(modes) / sizeof(modes[0]); k++)
				if (strlen(modes[k].name) == e - s && strncasecmp(modes[k].name, p + s, e - s) == 0) {
					bits |= modes[k].bits;
					found = true;
				}
			if (!found) {
				snprintf(err, errlen, "unknown sql_mode \"%.*s\"; use MariaDB 10.11 mode names separated "
					 "by commas", (int)(e - s), p + s);
				return -1;
			}
		}
		p += n;
		if (*p == ',')
			p++;
	}
	*out = bits;
	return 0;
}

unsigned sw_my_mode_from_server(uint64_t server_bits)
{
	/* sql/sql_class.h (10.11): MODE_PIPES_AS_CONCAT 1<<1, MODE_ANSI_QUOTES 1<<2, MODE_IGNORE_SPACE 1<<3,
	 * MODE_ORACLE 1<<9, MODE_NO_BACKSLASH_ESCAPES 1<<20. */
	unsigned bits = 0;
	if (server_bits & (1ull << 1))
		bits |= SW_MY_MODE_PIPES_AS_CONCAT;
	if (server_bits & (1ull << 2))
		bits |= SW_MY_MODE_ANSI_QUOTES;
	if (server_bits & (1ull << 3))
		bits |= SW_MY_MODE_IGNORE_SPACE;
	if (server_bits & (1ull << 9))
		bits |= SW_MY_MODE_ORACLE;
	if (server_bits & (1ull << 20))
		bits |= SW_MY_MODE_NO_BACKSLASH_ESCAPES;
	return bits;
}

/* ---- the server's own command code ---- */

int sw_my_expected_sqlcom(const struct sw_stmt *st)
{
	static const struct { const char *tag; int sqlcom; } show[] = {
		{ "SHOW DATABASES", SW_SQLCOM_SHOW_DATABASES }, { "SHOW TABLES", SW_SQLCOM_SHOW_TABLES },
		{ "SHOW FULL TABLES", SW_SQLCOM_SHOW_TABLES }, { "SHOW PROCESSLIST", SW_SQLCOM_SHOW_PROCESSLIST },
		{ "SHOW FULL PROCESSLIST", SW_SQLCOM_SHOW_PROCESSLIST }, { "SHOW VARIABLES", SW_SQLCOM_SHOW_VARIABLES },
		{ "SHOW GLOBAL VARIABLES", SW_SQLCOM_SHOW_VARIABLES }, { "SHOW SESSION VARIABLES", SW_SQLCOM_SHOW_VARIABLES },
		{ "SHOW STATUS", SW_SQLCOM_SHOW_STATUS }, { "SHOW GLOBAL STATUS", SW_SQLCOM_SHOW_STATUS },
		{ "SHOW WARNINGS", SW_SQLCOM_SHOW_WARNS }, { "SHOW ERRORS", SW_SQLCOM_SHOW_ERRORS },
		{ "SHOW GRANTS", SW_SQLCOM_SHOW_GRANTS }, { "SHOW GRANTS FOR", SW_SQLCOM_SHOW_GRANTS },
		{ "SHOW CREATE TABLE", SW_SQLCOM_SHOW_CREATE }, { "SHOW CREATE VIEW", SW_SQLCOM_SHOW_CREATE },
		{ "SHOW CREATE DATABASE", SW_SQLCOM_SHOW_CREATE_DB }, { "SHOW CREATE SCHEMA", SW_SQLCOM_SHOW_CREATE_DB },
		{ "SHOW CREATE USER", SW_SQLCOM_SHOW_CREATE_USER }, { "SHOW ENGINE INNODB STATUS", SW_SQLCOM_SHOW_ENGINE_STATUS },
		{ "SHOW COLUMNS", SW_SQLCOM_SHOW_FIELDS }, { "SHOW FULL COLUMNS", SW_SQLCOM_SHOW_FIELDS },
		{ "SHOW FIELDS", SW_SQLCOM_SHOW_FIELDS }, { "SHOW INDEX", SW_SQLCOM_SHOW_KEYS },
		{ "SHOW KEYS", SW_SQLCOM_SHOW_KEYS }, { "SHOW TABLE STATUS", SW_SQLCOM_SHOW_TABLE_STATUS },
		{ "SHOW CREATE SEQUENCE", SW_SQLCOM_SHOW_CREATE }, { "SHOW EXPLAIN FOR", SW_SQLCOM_SHOW_EXPLAIN },
		{ "SHOW ANALYZE FOR", SW_SQLCOM_SHOW_ANALYZE },
	};
	if (!st || !st->command)
		return -1;
	if (st->traits & SW_TRAIT_PREPARED)
		return strcmp(st->command, "PREPARE") == 0 ? SW_SQLCOM_PREPARE : -1;
	if (strncmp(st->command, "SHOW ", 5) == 0) {
		for (size_t i = 0; i < sizeof(show) / sizeof(show[0]); i++)
			if (strcmp(show[i].tag, st->command) == 0)
				return show[i].sqlcom;
		return -1;
	}
	if (st->cls == SW_CLASS_UNKNOWN && strcmp(st->command, "EXECUTE") != 0)
		return -1;
	/* Tags shared by two commands (INSERT vs INSERT ... SELECT): the text decides; unsure -> -1. */
	for (int c = 1; c < MYC__COUNT; c++) {
		if (!cmd_defs[c].tag || strcmp(cmd_defs[c].tag, st->command) != 0)
			continue;
		for (int c2 = c + 1; c2 < MYC__COUNT; c2++)
			if (cmd_defs[c2].tag && strcmp(cmd_defs[c2].tag, st->command) == 0 &&
			    cmd_defs[c2].sqlcom != cmd_defs[c].sqlcom)
				return -1;
		return cmd_defs[c].sqlcom;
	}
	return -1;
}

bool sw_my_expected_sqlcoms(const struct sw_stmt *st, uint64_t mask[3])
{
	int one = sw_my_expected_sqlcom(st);
	bool any = false;

	mask[0] = mask[1] = mask[2] = 0;
	if (one >= 0 && one < 192) {
		mask[one / 64] |= 1ull << (one % 64);
		return true;
	}
	if (!st || !st->command || st->cls == SW_CLASS_UNKNOWN || (st->traits & SW_TRAIT_PREPARED))
		return false;
	/* A tag two commands share (UPDATE: single- or multi-table): either is what was judged. */
	for (int c = 1; c < MYC__COUNT; c++)
		if (cmd_defs[c].tag && strcmp(cmd_defs[c].tag, st->command) == 0 && cmd_defs[c].sqlcom >= 0 &&
		    cmd_defs[c].sqlcom < 192) {
			mask[cmd_defs[c].sqlcom / 64] |= 1ull << (cmd_defs[c].sqlcom % 64);
			any = true;
		}
	return any;
}
