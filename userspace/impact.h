/*
 * Impact analysis of one PostgreSQL statement, before it runs: the table
 * locks it takes (with the relations found only through the catalog, such
 * as the table of an index), whether it rewrites or scans a table under its
 * lock, whether it may run inside a transaction block, whether it can be
 * undone, and the safer way to do the same thing.
 *
 * Everything is derived from the parse tree (pg_classify.c calls
 * sw_pg_impact() for each statement); live_context.c and check_verify.c
 * resolve the catalog-only relations against a database.
 */
#ifndef SQLWARD_IMPACT_H
#define SQLWARD_IMPACT_H

#include <stdbool.h>
#include <stddef.h>
#include "pg_locks.h"
#include "statement.h"

struct sw_live;

/* How a lock's relation is found when the statement does not name it. */
enum sw_via {
	SW_VIA_NAMED = 0,          /* relation is the name itself */
	SW_VIA_TABLE_OF_INDEX,     /* object is an index: the table it is on */
	SW_VIA_INDEXES_OF,         /* every index of the table */
	SW_VIA_FK_REFERENCED,      /* tables the table's foreign keys reference */
	SW_VIA_FK_REFERENCING,     /* tables whose foreign keys reference the table */
	SW_VIA_DEFAULT_PARTITION,  /* the default partition of a partitioned table */
	SW_VIA_DEPENDENT_VIEWS,    /* views (and materialized views) built on the table */
	SW_VIA_FK_OF_CONSTRAINT,   /* the table constraint `detail` of the table references, if it is a foreign key */
	SW_VIA_CHILDREN,           /* partitions and inheritance children, recursively */
	SW_VIA_VIEW_BASE,          /* if the relation is a view: the relations its query reads */
	SW_VIA_PARENT,             /* if the relation is a partition: its partitioned parent */
	SW_VIA_PARENT_DEFAULT,     /* if the relation is a partition: the parent's default partition */
	SW_VIA_MATVIEW_BASE,       /* the relations a materialized view's query reads (REFRESH) */
	SW_VIA_DOMAIN_TABLES,      /* object is a domain: every table with a column of it */
	SW_VIA_CLUSTERED_TABLES,   /* every table with an index marked clustered (CLUSTER without a table) */
	SW_VIA_SEQUENCE,           /* object is a sequence named in a sequence function's argument */
};
const char *sw_via_name(enum sw_via v);

struct sw_lock_entry {
	char *object;          /* relation as written (or the base object for a via) */
	enum sw_via via;
	char *detail;          /* SW_VIA_FK_OF_CONSTRAINT: the constraint name; else NULL */
	enum sw_lockmode mode;
	const char *source;    /* static: the PostgreSQL 15 source that takes this lock */
	bool if_rows;          /* taken only when rows are written (foreign-key checks) */
	const char *conservative; /* static; NULL when exact, else why the mode (or the relation set)
	                           * is only an upper bound: PostgreSQL may take less */
};

enum sw_reversibility {
	SW_REV_NONE_NEEDED = 0,  /* reads, session and transaction statements: nothing to undo */
	SW_REV_REVERSIBLE,       /* the rollback statement undoes it */
	SW_REV_BACKUP_ONLY,      /* data or definitions are lost: only a backup brings them back */
	SW_REV_UNKNOWN,
};
const char *sw_reversibility_name(enum sw_reversibility r);
/* Returns false when name is not one of the names above. */
bool sw_reversibility_parse(const char *name, enum sw_reversibility *out);

struct sw_impact {
	struct sw_lock_entry *locks;
	size_t n_locks;
	bool rewrite;            /* the table's data is copied into new storage */
	char *rewrite_why;
	bool new_storage;        /* relfilenode changes (rewrite, or TRUNCATE's empty storage) */
	bool scan;               /* reads the whole table under its lock (validation, index build) */
	char *scan_why;
	bool concurrently;       /* a CONCURRENTLY variant */
	bool no_transaction_block; /* PreventInTransactionBlock(): cannot run inside BEGIN ... COMMIT */
	char *no_tx_source;      /* the source that says so */
	bool lock_set_partial;   /* some relations are known only from the catalog (see via) */
	enum sw_reversibility reversibility;
	char *rollback;          /* the statement that undoes it (SW_REV_REVERSIBLE), may be NULL */
	char *safer;             /* a safer way to get the same result, may be NULL */
	bool safer_concurrently; /* safer is a CONCURRENTLY variant (moot for a table created earlier in the
				    same transaction, which no other session can see yet) */
	enum sw_lockmode strongest; /* strongest mode in locks */
	char *not_null_table;    /* ALTER TABLE ... SET NOT NULL: the table (as in locks) and */
	char *not_null_column;   /* the column, for live context's NULL count; NULL otherwise */
	char *created_table;     /* CREATE TABLE without IF NOT EXISTS or AS: the new (empty) table */
	char *sql_function_body; /* CREATE FUNCTION ... LANGUAGE sql AS '...': the body its validator parse-
	                          * analyses (pg_classify.c adds the locks that takes), NULL otherwise */
	char *type_table;        /* the only subcommand is ALTER COLUMN ... TYPE without USING: */
	char *type_column;       /* table, column and new type (pg_type.typname, typmod as in */
	char *type_new;          /* pg_attribute.atttypmod), so live context can read the old type */
	int type_newmod;         /* and predict the rewrite (sw_pg_alter_type_rewrites) */
	struct sw_live *live;    /* live context (live_context.h), NULL when none was asked for */
	const char *category;    /* static: the statement category of the lock table (pg_lock_table.h) */
	const char *conservative; /* static: why some lock is only an upper bound, NULL when all are exact */
	char *fails_if;          /* when PostgreSQL 15 refuses the statement (e.g. "the table has rows") */
};

/* Fill st->impact from the statement's parse tree (a PgQuery__Node *). */
void sw_pg_impact(const void *pg_node, struct sw_stmt *st);
void sw_impact_free(struct sw_impact *im);     /* frees im itself; NULL is fine */
struct sw_impact *sw_impact_dup(const struct sw_impact *im); /* NULL -> NULL */
/* Gives st ownership of im (freeing the impact st had), with the functions
 * that free and copy it (see statement.h). */
void sw_stmt_attach_impact(struct sw_stmt *st, struct sw_impact *im);
void sw_impact_add_lock(struct sw_impact *im, const char *object, enum sw_via via,
			const char *detail, enum sw_lockmode mode, const char *source);
/* Strongest mode the statement takes on any relation (SW_LOCK_NONE when none). */
enum sw_lockmode sw_stmt_strongest_lock(const struct sw_stmt *st);

#endif
