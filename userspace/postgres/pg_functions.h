/*
 * PostgreSQL function and catalog knowledge for the classifier: the
 * denylist of dangerous builtins, the functions and relations that expose
 * credentials, server configuration or other sessions' SQL, and the
 * allowlist of read-only builtins. Names come from the parse tree
 * (FuncCall.funcname, RangeVar), never from the SQL text.
 */
#ifndef SQLWARD_PG_FUNCTIONS_H
#define SQLWARD_PG_FUNCTIONS_H

#include <stdbool.h>
#include <stddef.h>

enum {
	PGF_DENY      = 1u << 0, /* on the denylist: trait dangerous_function */
	PGF_FILE      = 1u << 1, /* reads/writes/lists server files: trait file_access */
	PGF_ESCALATE  = 1u << 2, /* can change role/settings: trait session_escalation */
	PGF_WRITE     = 1u << 3, /* side effect that makes a SELECT a write (nextval, setval, txid_current) */
	PGF_VOLATILE  = 1u << 4, /* volatile: as an ADD COLUMN default it rewrites the table */
	PGF_AGG       = 1u << 5, /* plain aggregate (for the aggregate-only no_limit rule) */
	PGF_SENSITIVE = 1u << 6, /* exposes credentials, configuration or others' SQL: trait sensitive_catalog */
	PGF_RUNS_SQL  = 1u << 7, /* runs SQL given as a string through SPI: trait runs_sql (judged where it runs) */
	PGF_IN_WRITE  = 1u << 8, /* PGF_WRITE that a write runs for itself (nextval for a serial default, an
				  * xid): reached inside a client write that runs, part of that write (setval
				  * is not: resetting a sequence is a decision of its own) */
};

struct sw_pg_func {
	const char *name;   /* lower-case base name */
	unsigned flags;     /* PGF_* */
	const char *why;    /* denylist: short reason, e.g. "delays/holds resources"; PGF_SENSITIVE:
			       what it exposes; PGF_WRITE: what it writes */
};

/*
 * Look a called function up. schema is NULL when the call was unqualified.
 * Denylist and sensitive entries match under ANY schema (fail closed: an
 * extension such as dblink or pg_stat_statements may live in any schema),
 * case-insensitively. Allowlist entries match only unqualified or
 * pg_catalog-qualified calls. NULL: unknown function.
 */
const struct sw_pg_func *sw_pg_func_lookup(const char *schema, const char *name);

/*
 * A relation that exposes credentials, server configuration or other
 * sessions' SQL (pg_authid, pg_settings, pg_stat_activity, ...): what it
 * exposes, or NULL. schema is NULL when unqualified. System catalogs and
 * views match unqualified or in pg_catalog only (a table of that name in
 * another schema is someone's own); extension views in any schema.
 */
const char *sw_pg_sensitive_relation(const char *schema, const char *name);

/* For tests: the tables are sorted (bsearch relies on it). */
bool sw_pg_func_tables_sorted(void);

#endif
