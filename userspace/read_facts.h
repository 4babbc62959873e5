/*
 * What a statement reads, from its parse tree, for read-agent guardrails
 * (policy keys column:, tenant:, limit_over:; issue 14). The classifier
 * fills it (PostgreSQL: postgres/pg_read_facts.c); live context may add the
 * columns a `*` or a view stands for; policy_match.c judges it.
 *
 * Relations are named as the statement resolves them ("app.customers" when
 * written qualified, "customers" otherwise), after aliases: `c.email` with
 * `FROM app.customers c` is the column email of app.customers.
 */
#ifndef SQLWARD_READ_FACTS_H
#define SQLWARD_READ_FACTS_H

#include <stdbool.h>
#include <stddef.h>
#include "statement.h"

/* One column a statement names anywhere (select list, WHERE, ORDER BY, GROUP BY, function arguments,
 * JOIN conditions, RETURNING, subqueries and CTEs): its relation when it can be resolved. */
struct sw_col_ref {
	char *relation;            /* resolved relation, or NULL: unqualified with several relations in scope
	                            * (candidates lists them) or no relation at all */
	char *column;              /* the column name, or "*" (SELECT *, t.*, and count(*) is NOT one) */
	struct sw_strv candidates; /* relation NULL: every relation of its query level it may belong to */
	struct sw_strv expanded;   /* "*" (live context): the columns it stands for; empty when not known */
};

/* One scan of a relation (FROM item, JOIN side, subquery FROM, CTE body, UNION branch, EXISTS ...). */
struct sw_scan {
	char *relation;            /* as resolved (see above) */
	/*
	 * Columns of THIS scan constrained by a top-level conjunct of its own query level's WHERE
	 * (or an inner JOIN's ON) of the form `col = <constant>` / `<constant> = col` /
	 * `col = $n` (a parameter) / `col IN (<one constant>)`: not inside an OR, not compared with a
	 * column or a subquery, not under NOT. Unqualified columns count for the scan only when it is
	 * the only relation at that level.
	 */
	struct sw_strv eq_columns;
	/*
	 * Columns of this scan bounded the same way by `col < / <= / > / >= <constant or $n>` (either
	 * side) or `col BETWEEN <c1> AND <c2>`, and every eq_column: a range, e.g. a time window
	 * (policy `range:`). One side is enough to count (a lower or an upper bound).
	 */
	struct sw_strv range_columns;
};

struct sw_read_facts {
	struct sw_col_ref *cols;
	size_t n_cols;
	struct sw_scan *scans;
	size_t n_scans;
	/* The outermost query's row bound: LIMIT n / FETCH FIRST n ROWS. */
	bool limit_known;          /* a constant (or none at all): limit is meaningful */
	long long limit;           /* -1: no bound (no LIMIT, LIMIT ALL, LIMIT NULL); else n */
	bool limit_param;          /* LIMIT $n: bounded by a value only known at execution */
	bool recursive_unbounded;  /* a recursive CTE nothing obviously stops (its recursive term has no WHERE,
	                            * no LIMIT and reads only itself) and no constant LIMIT on the outer query */
	bool truncated;            /* the statement names more columns or scans than the classifier keeps
	                            * (postgres/pg_read_facts.h), or nests too deeply: cols/scans are incomplete */
};

void sw_read_facts_free(struct sw_read_facts *f);
struct sw_read_facts *sw_read_facts_dup(const struct sw_read_facts *f);
void sw_read_facts_add_col(struct sw_read_facts *f, const char *relation, const char *column,
			   const struct sw_strv *candidates);
struct sw_scan *sw_read_facts_add_scan(struct sw_read_facts *f, const char *relation);

#endif
