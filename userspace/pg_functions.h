/*
 * PostgreSQL function knowledge for the classifier: the denylist of
 * dangerous builtins and the allowlist of read-only builtins. Names come
 * from the parse tree (FuncCall.funcname), never from the SQL text.
 */
#ifndef SQLWARD_PG_FUNCTIONS_H
#define SQLWARD_PG_FUNCTIONS_H

#include <stdbool.h>
#include <stddef.h>

enum {
	PGF_DENY      = 1u << 0, /* on the denylist: trait dangerous_function */
	PGF_FILE      = 1u << 1, /* reads/writes/lists server files: trait file_access */
	PGF_ESCALATE  = 1u << 2, /* can change role/settings: trait session_escalation */
	PGF_WRITE     = 1u << 3, /* side effect that makes a SELECT a write (nextval, setval) */
	PGF_VOLATILE  = 1u << 4, /* volatile: as an ADD COLUMN default it rewrites the table */
	PGF_AGG       = 1u << 5, /* plain aggregate (for the aggregate-only no_limit rule) */
};

struct sw_pg_func {
	const char *name;   /* lower-case base name */
	unsigned flags;     /* PGF_* */
	const char *why;    /* denylist: short reason, e.g. "delays/holds resources" */
};

/*
 * Look a called function up. schema is NULL when the call was unqualified.
 * Denylist entries match under ANY schema (fail closed: an extension such as
 * dblink may live in any schema), case-insensitively. Allowlist entries match
 * only unqualified or pg_catalog-qualified calls. NULL: unknown function.
 */
const struct sw_pg_func *sw_pg_func_lookup(const char *schema, const char *name);

/* For tests: the tables are sorted (bsearch relies on it). */
bool sw_pg_func_tables_sorted(void);

#endif
