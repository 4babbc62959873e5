/*
 * Impact analysis of one MariaDB 10.11 statement on InnoDB, before it runs:
 * the metadata lock (MDL) it holds on each table, and for ALTER TABLE (and
 * CREATE/DROP INDEX, OPTIMIZE TABLE, which the server runs as ALTER TABLE)
 * the online-DDL behaviour MariaDB documents for each operation
 * (mariadb.com/kb "InnoDB Online DDL Operations with the INSTANT / NOCOPY /
 * INPLACE Alter Algorithm"): the ALGORITHM the server picks by default
 * (INSTANT < NOCOPY < INPLACE < COPY, most efficient first), the least
 * restrictive LOCK it allows (NONE < SHARED < EXCLUSIVE), whether the table
 * is rebuilt and whether rows are read. Explicit ALGORITHM= and LOCK=
 * clauses are honoured, or the server's refusal is predicted.
 *
 * What decides some operations is not in the statement (the column's type
 * today for MODIFY/CHANGE, whether a dropped column is indexed, a FULLTEXT
 * index on the table): without those facts the prediction takes the
 * documented worst case and says so (certain=false); sw_my_impact_refine()
 * recomputes it from the facts (live context or a test).
 *
 * my_classify.c calls sw_my_impact() for each statement; the result is
 * st->impact (impact.h), with the MariaDB-specific part reachable through
 * sw_my_ddl_of().
 */
#ifndef SQLWARD_MY_IMPACT_H
#define SQLWARD_MY_IMPACT_H

#include <stdbool.h>
#include <stddef.h>
#include "impact.h"
#include "my_parse.h"

/* Ordered: a larger value is less efficient (the server's own hierarchy). */
enum sw_my_algorithm {
	SW_MY_ALG_DEFAULT = 0,  /* no ALGORITHM clause (or ALGORITHM=DEFAULT) */
	SW_MY_ALG_INSTANT,      /* metadata only */
	SW_MY_ALG_NOCOPY,       /* no clustered-index rebuild (e.g. build a secondary index) */
	SW_MY_ALG_INPLACE,      /* InnoDB rebuilds the table online */
	SW_MY_ALG_COPY,         /* the server copies every row into a new table */
};
/* Ordered: a larger value lets other sessions do less while it runs. */
enum sw_my_alter_lock {
	SW_MY_LOCK_DEFAULT = 0,
	SW_MY_LOCK_NONE,        /* reads and writes continue */
	SW_MY_LOCK_SHARED,      /* reads continue, writes wait */
	SW_MY_LOCK_EXCLUSIVE,   /* reads and writes wait */
};
const char *sw_my_algorithm_name(enum sw_my_algorithm a);   /* "INSTANT" ... "DEFAULT" */
const char *sw_my_alter_lock_name(enum sw_my_alter_lock l); /* "NONE" ... "DEFAULT" */

enum sw_my_op {
	SW_MY_OP_UNKNOWN = 0,      /* a clause sqlward does not model: COPY assumed */
	SW_MY_OP_ADD_COLUMN, SW_MY_OP_DROP_COLUMN, SW_MY_OP_RENAME_COLUMN,
	SW_MY_OP_MODIFY_COLUMN,    /* MODIFY, or CHANGE old new */
	SW_MY_OP_COLUMN_DEFAULT,   /* ALTER COLUMN SET/DROP DEFAULT */
	SW_MY_OP_ADD_INDEX, SW_MY_OP_ADD_FULLTEXT, SW_MY_OP_ADD_SPATIAL, SW_MY_OP_DROP_INDEX, SW_MY_OP_RENAME_INDEX,
	SW_MY_OP_ADD_PRIMARY, SW_MY_OP_DROP_PRIMARY,
	SW_MY_OP_ADD_FOREIGN_KEY, SW_MY_OP_DROP_FOREIGN_KEY,
	SW_MY_OP_ADD_CHECK, SW_MY_OP_DROP_CONSTRAINT,
	SW_MY_OP_ENGINE, SW_MY_OP_ROW_FORMAT, SW_MY_OP_CONVERT_CHARSET, SW_MY_OP_DEFAULT_CHARSET,
	SW_MY_OP_TABLE_OPTION,     /* COMMENT=, AUTO_INCREMENT=, PAGE_COMPRESSED=, STATS_*=: metadata */
	SW_MY_OP_FORCE,            /* FORCE, OPTIMIZE TABLE, KEY_BLOCK_SIZE=: rebuild */
	SW_MY_OP_RENAME_TABLE, SW_MY_OP_ORDER_BY,
	SW_MY_OP_PARTITION_DROP,   /* DROP/TRUNCATE PARTITION: removes rows */
	SW_MY_OP_PARTITION_ADD,
	SW_MY_OP_PARTITION_REORG,  /* PARTITION BY, REORGANIZE, COALESCE, REMOVE PARTITIONING, EXCHANGE, REBUILD */
	SW_MY_OP_NOOP,             /* ENABLE/DISABLE KEYS: nothing on InnoDB */
	SW_MY_OP__COUNT
};
const char *sw_my_op_name(enum sw_my_op op);   /* "ADD COLUMN" */

/* A column definition as written in ADD/MODIFY/CHANGE. */
struct sw_my_coldef {
	char *type;                /* lower-case: "varchar", "int" */
	long len;                  /* (len) or (len, scale); -1 when not written */
	bool not_null, null_given; /* NOT NULL / NULL written */
	bool auto_increment, primary, unique, stored, virtual_col, has_default;
	bool positioned;           /* FIRST / AFTER col */
	char *charset;             /* CHARACTER SET x, lower-case; NULL when not written */
};

/* What the server knows about a column today (information_schema.COLUMNS / STATISTICS). */
struct sw_my_old_column {
	char *name;
	char *data_type;           /* lower-case DATA_TYPE: "varchar" */
	long char_max_len;         /* CHARACTER_MAXIMUM_LENGTH (-1 when n/a) */
	long octet_max_len;        /* CHARACTER_OCTET_LENGTH (-1 when n/a) */
	char *column_type;         /* COLUMN_TYPE: "int(11) unsigned" */
	bool nullable;
	bool indexed;              /* part of some index (STATISTICS) */
};

/* What the server knows about the table today; NULL/unknown facts stay worst case. */
struct sw_my_table_facts {
	char *row_format;          /* information_schema.TABLES.ROW_FORMAT, lower-case ("dynamic") */
	char *engine;              /* lower-case ("innodb") */
	bool has_fulltext;         /* a FULLTEXT index (hidden FTS_DOC_ID column) */
	struct sw_my_old_column *cols;
	size_t n_cols;
};

struct sw_my_alter_item {
	enum sw_my_op op;
	char *name;                /* column / index / constraint / partition / engine, as written */
	char *new_name;            /* CHANGE/RENAME: the new name */
	struct sw_my_coldef def;
	/* the prediction for this operation alone */
	enum sw_my_algorithm algorithm;
	enum sw_my_alter_lock min_lock;
	bool rebuild, scan, certain;
	char *why;
};

struct sw_my_ddl {
	char *table;
	struct sw_my_alter_item *items;
	size_t n_items;
	enum sw_my_algorithm requested_algorithm;  /* ALGORITHM= clause, DEFAULT when none */
	enum sw_my_alter_lock requested_lock;      /* LOCK= clause */
	bool fk_checks_off;                        /* judged for SET foreign_key_checks=0 */
	/* the prediction for the whole statement */
	enum sw_my_algorithm algorithm;            /* what the server uses */
	enum sw_my_alter_lock lock;                /* the concurrency it allows while running */
	bool rebuild, scan, certain;
	char *refusal;                             /* the error the server gives instead, NULL when it runs */
	enum sw_lockmode mdl_held;                 /* MDL held while it runs */
	enum sw_lockmode mdl_brief;                /* MDL taken briefly to switch definitions, NONE if n/a */
	char *summary;                             /* "INSTANT, metadata only, no table rebuild" */
};

/* Fill st->impact from what the grammar reported for tokens [a, b) of lx. */
void sw_my_impact(struct sw_stmt *st, const struct myc_info *in, const struct my_lexed *lx, size_t a, size_t b);
/* The MariaDB part of a statement's impact (NULL when st has none or is not an ALTER-like statement). */
struct sw_my_ddl *sw_my_ddl_of(const struct sw_stmt *st);
/* Recompute st's ALTER prediction from facts (NULL: back to the offline worst case) and with
 * foreign_key_checks as given; locks, rewrite and scan of st->impact follow. */
/* Free what the facts hold and zero them. */
void sw_my_table_facts_clear(struct sw_my_table_facts *f);
void sw_my_impact_refine(struct sw_stmt *st, const struct sw_my_table_facts *facts, bool fk_checks_off);

/* What holding an MDL mode blocks (the MDL counterpart of pg_locks.h). */
bool sw_mdl_blocks_reads(enum sw_lockmode m);
bool sw_mdl_blocks_writes(enum sw_lockmode m);
const char *sw_mdl_blocks_text(enum sw_lockmode m);

#endif
