/*
 * The live facts of one statement (what live_context.c reads from the
 * database, and what impact.c carries with the statement): data only, so the
 * impact that owns them and the context that fills them depend on this, not
 * on each other.
 */
#ifndef SQLWARD_LIVE_FACTS_H
#define SQLWARD_LIVE_FACTS_H

#include <stdbool.h>
#include <stddef.h>

/* What live context to read for reads (policy.h sw_policy_live_wants). */
#define SW_LIVE_WANT_COLUMNS  (1u << 0)   /* expand `*` and views into columns (policy `column:`) */
#define SW_LIVE_WANT_READ_EST (1u << 1)   /* EXPLAIN reads: est_rows, est_cost (policy keys) */

enum sw_fact_state { SW_FACT_NA = 0, SW_FACT_KNOWN, SW_FACT_UNKNOWN };

struct sw_fact {
	/* What live context to read for reads (policy.h sw_policy_live_wants). */
#define SW_LIVE_WANT_COLUMNS  (1u << 0)   /* expand `*` and views into columns (policy `column:`) */
#define SW_LIVE_WANT_READ_EST (1u << 1)   /* EXPLAIN reads: est_rows, est_cost (policy keys) */

enum sw_fact_state state;
	double v;
};

struct sw_live_rel {
	char *name;                 /* as in the lock set (named relation) */
	int lockmode;               /* enum sw_lockmode this statement takes on it */
	bool exists;                /* false: not there yet (CREATE) -> size 0, no blockers */
	bool created_here;          /* created by an earlier statement of the same file/query: new and
				       empty, so size 0 and no blockers without asking the database */
	struct sw_fact bytes;       /* pg_relation_size */
	struct sw_fact rows;        /* pg_class.reltuples (planner estimate when never analysed) */
	struct sw_fact blocker_age_s; /* age of the oldest conflicting transaction; 0 when none */
	int blocker_pid;
	char *blocker_mode;         /* pg_locks.mode of the conflicting lock */
	bool blocker_granted;       /* false: it is itself waiting in the queue ahead of us */
};

struct sw_live {
	char *error;                /* why some facts are unknown, NULL when none are */
	struct sw_live_rel *rels;
	size_t n_rels;
	struct sw_fact est_rows;    /* UPDATE/DELETE/MERGE: rows the planner expects to touch; reads
	                             * (when a rule asks): rows the top plan node returns */
	struct sw_fact est_cost;    /* the planner's total cost of the top plan node (same EXPLAIN) */
	struct sw_fact null_rows;   /* SET NOT NULL: rows that would violate it (capped) */
	char *null_column;          /* the column counted, NULL when n/a */
	char *old_type;             /* ALTER COLUMN TYPE: the column's type now (format_type), NULL when n/a */
	struct sw_fact type_rewrite; /* ALTER COLUMN TYPE: 1 rewrite, 0 none (sw_pg_alter_type_rewrites) */
};

void sw_live_free(struct sw_live *lv);                    /* frees lv itself; NULL is fine */
struct sw_live *sw_live_dup(const struct sw_live *lv);    /* NULL -> NULL */

/* A known fact, and the unknown one. */
struct sw_fact sw_fact_known(double v);
extern const struct sw_fact sw_fact_unknown;
/* Append a relation the statement names (lockmode: enum sw_lockmode), every fact unknown. */
struct sw_live_rel *sw_live_add_rel(struct sw_live *lv, const char *name, int lockmode);
/* Is name one of the n relations created earlier in the same analysis (new and empty)? */
bool sw_live_created_in(char *const *created, size_t n, const char *name);
/*
 * Append the live entry of a relation the statement names (lock mode as predicted), every fact
 * unknown; one created earlier in the same input (created[0..n)) is new and empty: created_here,
 * facts known 0. Returns the entry (valid until the next append).
 */
struct sw_live_rel *sw_live_rel_add(struct sw_live *lv, const char *name, int lockmode, char *const *created,
				    size_t n);

#endif
