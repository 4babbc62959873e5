/*
 * Generic walk over a libpg_query protobuf parse tree (PostgreSQL 15
 * grammar). The walk is reflective: it follows every message-typed field
 * through the protobuf-c descriptors, so a relation or function call is
 * found wherever the grammar allows it (subqueries, CTEs, DEFAULT and CHECK
 * expressions, index expressions, ...). A few node types get handlers:
 * RangeVar (objects, sensitive catalogs), FuncCall (functions and traits),
 * ColumnRef (columns), ParamRef ($n placeholders), SelectStmt and the DML
 * statements (CTE scoping, targets, writable CTEs, FOR UPDATE/SHARE).
 */
#ifndef SQLWARD_PG_WALK_H
#define SQLWARD_PG_WALK_H

#include <stdbool.h>
#include <pg_query/pg_query.pb-c.h>
#include "statement.h"

struct pgw {
	struct sw_stmt *st;
	/* The statement's own DML node: a DML node other than this one is a writable CTE. */
	const ProtobufCMessage *top_dml;
	/* Lock for relations that are only read (normally AccessShareLock). */
	enum sw_lockmode lock;
	/* Inside a definition that does not run now (view, rule): no execution traits. */
	bool deferred;
	/* Plain EXPLAIN: the statement is planned, not executed. */
	bool plan_only;
	/* Inside PREPARE ... AS: its $n are bound by EXECUTE, which is judged on its own. */
	bool in_prepare;
	/* FOR UPDATE/SHARE of the SELECT whose FROM list is being walked. */
	PgQuery__Node *const *lockcl;
	size_t n_lockcl;
	/* CTE names in scope (a stack). */
	struct sw_strv ctes;
	/* Facts gathered for the classifier. */
	bool dml_seen;       /* a DML node (top or nested) that executes */
	bool nested_dml;     /* a writable CTE */
	bool write_func;     /* nextval/setval/txid_current: a SELECT that writes */
	bool too_deep;       /* tree deeper than the walk allows: classify unknown */
	int depth;
};

void pgw_init(struct pgw *w, struct sw_stmt *st);
void pgw_fini(struct pgw *w);
void pgw_walk(struct pgw *w, const ProtobufCMessage *m);   /* NULL is fine */
void pgw_walk_node(struct pgw *w, const PgQuery__Node *n); /* NULL is fine */
void pgw_walk_nodes(struct pgw *w, PgQuery__Node *const *v, size_t n);

/* "catalog.schema.rel" as written (parser case folding kept). Caller frees. */
char *pgw_rangevar_name(const PgQuery__RangeVar *rv);
/* Add a relation with a lock mode (a sensitive catalog also gets its trait). */
void pgw_add_rangevar(struct pgw *w, const PgQuery__RangeVar *rv, enum sw_lockmode lock);
/* Join a list of String nodes with '.', skipping non-strings. Caller frees. */
char *pgw_join_names(PgQuery__Node *const *v, size_t n);
/* Record a called function (list of String nodes) and its traits. */
void pgw_function(struct pgw *w, PgQuery__Node *const *names, size_t n, bool sql_syntax);
/* Append a reason (printf format), once. */
void pgw_reason(struct pgw *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* True when pred holds for m or any message below it. */
typedef bool (*pgw_pred)(const ProtobufCMessage *m, void *arg);
bool pgw_any(const ProtobufCMessage *m, pgw_pred pred, void *arg);
/* Expression whose value may differ per row (volatile or unknown function, subquery). */
bool pgw_expr_volatile(const PgQuery__Node *n);
/* String value of a String node, or NULL. */
const char *pgw_str(const PgQuery__Node *n);

#endif
