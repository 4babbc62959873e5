/*
 * PostgreSQL 15's lock table, derived from its source (REL_15_STABLE, paths
 * below src/backend/) rather than from examples: for every statement node
 * type ProcessUtility dispatches (tcop/utility.c standard_ProcessUtility and
 * ProcessUtilitySlow) and for every ALTER TABLE subcommand (tablecmds.c
 * AlterTableGetLockLevel, ATPrepCmd for recursion) and relation option
 * (access/common/reloptions.c), the lock taken and the function that takes
 * it. impact.c builds each statement's lock set from these entries.
 *
 * A prediction that can only be an upper bound carries a reason
 * ("conservative"): the relation set comes from the catalog at run time, or
 * the lock is taken conditionally.
 */
#ifndef SQLWARD_PG_LOCK_TABLE_H
#define SQLWARD_PG_LOCK_TABLE_H

#include <stdbool.h>
#include "lock_mode.h"

/* One statement node type (PgQuery__Node__NodeCase). */
struct sw_pg_stmt_lock {
	int node;                /* PG_QUERY__NODE__NODE_* */
	const char *category;    /* "ddl.alter_table", "dml.insert", ... (verify groups by it) */
	enum sw_lockmode named;  /* lock on the relation the statement names; SW_LOCK_NONE: none */
	const char *source;      /* the PostgreSQL 15 function that takes it (or decides none) */
	const char *conservative; /* NULL when exact; else why the prediction is only an upper bound */
};

/* How an ALTER TABLE subcommand reaches inheritance children and partitions. */
enum sw_pg_at_recurse {
	SW_AT_NO_RECURSE = 0,    /* "This command never recurses" */
	SW_AT_RECURSE,           /* every child, same lock (ATSimpleRecursion, or recursion at execution) */
	SW_AT_RECURSE_CATALOG,   /* only children that have the object (constraint, trigger): catalog-found */
};

/* One ALTER TABLE subcommand (PgQuery__AlterTableType). */
struct sw_pg_at_lock {
	int subtype;             /* PG_QUERY__ALTER_TABLE_TYPE__AT_* */
	enum sw_lockmode mode;   /* tablecmds.c AlterTableGetLockLevel */
	enum sw_pg_at_recurse recurse;
	const char *source;
};

/* NULL when the node type is not in the table. */
const struct sw_pg_stmt_lock *sw_pg_stmt_lock_find(int node);
const struct sw_pg_at_lock *sw_pg_at_lock_find(int subtype);
/* reloptions.c relOpts[].lockmode for an option name ("fillfactor",
 * "toast.autovacuum_enabled" counts as its base name); SW_LOCK_NONE when
 * PostgreSQL does not know it (the statement then fails). */
enum sw_lockmode sw_pg_reloption_lock(const char *name);
/* All entries, for tests and documentation. */
const struct sw_pg_stmt_lock *sw_pg_stmt_locks(unsigned *n);
const struct sw_pg_at_lock *sw_pg_at_locks(unsigned *n);

#endif
