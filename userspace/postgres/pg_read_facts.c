/*
 * Read facts from the PostgreSQL parse tree (pg_read_facts.h, read_facts.h).
 *
 * One recursive walk. Each query level (SELECT, each set-operation branch,
 * the DML statements) gets a scope: its FROM items in order, each a base
 * relation (a scan), a derived table (CTE or subquery: only the names of
 * its output columns are kept, because the columns its body reads are
 * reported when the body is walked), a function, or a join alias. A
 * ColumnRef resolves through the scope of its level and then the enclosing
 * levels (correlated subqueries), as PostgreSQL resolves it; what cannot be
 * decided without the catalog (an unqualified name with several relations
 * in reach) lists every candidate relation.
 *
 * Strictness on purpose: a tenant column counts as constrained only for the
 * shapes listed in read_facts.h; anything else (OR, NOT, IS NOT DISTINCT
 * FROM, a function of a constant, a subquery) does not.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "pg_read_facts.h"
#include "pg_walk.h"
#include "read_facts.h"
#include "util.h"

#define RF_MAX_DEPTH 3000
#define RF_HASH_SLOTS 2048  /* > 2 * SW_PG_READ_MAX_COLS: open addressing stays short */

#define IS(m, name) ((m)->descriptor == &pg_query__##name##__descriptor)
#define NC(x) PG_QUERY__NODE__NODE_##x

/* Output columns of a CTE or subquery, as far as its target list tells. */
struct rf_derived {
	struct sw_strv outs;       /* output names in order (aliases applied); "" when unnamed */
	size_t first_star;         /* outs before the first `*` whose columns are unknown (SIZE_MAX: none) */
	struct sw_strv star_rels;  /* base relations a `*` of its target list covers */
	struct sw_strv star_alias; /* alias names given to columns a `*` stands for (column unknown) */
	bool opaque;               /* a `*` over a function or an unknown shape */
	bool known;                /* false: recursive CTE still being walked */
};

enum rf_kind { RF_BASE, RF_DERIVED, RF_FUNC, RF_JOIN };

struct rf_entry {
	enum rf_kind kind;
	const char *alias;         /* the name it is visible by (alias, or relname); NULL: unnamed */
	bool has_alias;
	const char *schema, *catalog, *relname;  /* base without alias: "schema.rel" qualifies too */
	char *rel;                 /* base: the relation as written */
	long scan;                 /* base: index in facts->scans, -1: not a scan (INSERT target) */
	struct rf_derived *d;      /* derived */
	bool own_d;
	size_t j_first, j_end;     /* join alias: the entries [j_first, j_end) under it */
};

struct rf_level {
	struct rf_entry *e;
	size_t n;
	struct rf_level *up;
};

struct rf_cte {
	const char *name;
	struct rf_derived *d;
};

struct rf {
	struct sw_read_facts *f;
	struct rf_cte *ctes;
	size_t n_ctes;
	int depth;
	bool saw_recursive;        /* a recursive CTE nothing obviously stops (recursion_unbounded) */
	uint16_t hash[RF_HASH_SLOTS];  /* col index + 1; 0: empty */
};

static void walk(struct rf *r, struct rf_level *L, const ProtobufCMessage *m);
static void star_of_entry(struct rf *r, struct rf_level *L, size_t i, struct rf_derived *out);
static void walk_stmt(struct rf *r, struct rf_level *parent, const PgQuery__Node *n, struct rf_derived *out);

static bool nonempty(const char *s)
{
	return s && *s;
}

static void walk_node(struct rf *r, struct rf_level *L, const PgQuery__Node *n)
{
	if (n)
		walk(r, L, &n->base);
}

static void walk_nodes(struct rf *r, struct rf_level *L, PgQuery__Node *const *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		walk_node(r, L, v[i]);
}

/* ---- facts ---- */

static uint32_t hash_str(uint32_t h, const char *s)
{
	if (!s)
		return (h ^ 0xffu) * 16777619u;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return (h ^ 0xfeu) * 16777619u;  /* separator: ("ab","c") differs from ("a","bc") */
}

static bool str_eq0(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static bool strv_eq(const struct sw_strv *a, const struct sw_strv *b)
{
	if (a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n; i++)
		if (strcmp(a->v[i], b->v[i]) != 0)
			return false;
	return true;
}

/* Add a column reference once (same relation, column and candidates: one entry). */
static void add_col(struct rf *r, const char *rel, const char *col, const struct sw_strv *cand)
{
	static const struct sw_strv none;
	struct sw_read_facts *f = r->f;
	uint32_t h = 2166136261u;
	size_t slot;

	if (!cand)
		cand = &none;
	h = hash_str(h, rel);
	h = hash_str(h, col);
	for (size_t i = 0; i < cand->n; i++)
		h = hash_str(h, cand->v[i]);
	for (slot = h % RF_HASH_SLOTS; r->hash[slot]; slot = (slot + 1) % RF_HASH_SLOTS) {
		const struct sw_col_ref *c = &f->cols[r->hash[slot] - 1];
		if (str_eq0(c->relation, rel) && strcmp(c->column, col) == 0 && strv_eq(&c->candidates, cand))
			return;
	}
	if (f->n_cols >= SW_PG_READ_MAX_COLS) {
		f->truncated = true;
		return;
	}
	sw_read_facts_add_col(f, rel, col, cand->n ? cand : NULL);
	r->hash[slot] = (uint16_t)f->n_cols;
}

static long add_scan(struct rf *r, const char *rel)
{
	if (r->f->n_scans >= SW_PG_READ_MAX_SCANS) {
		r->f->truncated = true;
		return -1;
	}
	sw_read_facts_add_scan(r->f, rel);
	return (long)r->f->n_scans - 1;
}

/* ---- derived tables and CTE scope ---- */

static struct rf_derived *derived_new(void)
{
	struct rf_derived *d = sw_xcalloc(1, sizeof(*d));
	d->first_star = SIZE_MAX;
	d->known = true;
	return d;
}

static void derived_free(struct rf_derived *d)
{
	if (!d)
		return;
	sw_strv_free(&d->outs);
	sw_strv_free(&d->star_rels);
	sw_strv_free(&d->star_alias);
	free(d);
}

/* Alias column names (`AS s(a, b)`, `WITH x(a, b)`) rename the outputs by position. */
static void derived_rename(struct rf_derived *d, PgQuery__Node *const *names, size_t n)
{
	size_t known = d->first_star < d->outs.n ? d->first_star : d->outs.n;

	for (size_t i = 0; i < n; i++) {
		const char *nm = pgw_str(names[i]);
		if (!nm)
			continue;
		if (i < known) {
			free(d->outs.v[i]);
			d->outs.v[i] = sw_xstrdup(nm);
		} else if (d->first_star != SIZE_MAX) {
			sw_strv_push_unique(&d->star_alias, nm);
		}
	}
}

static void star_into(struct rf_derived *d)
{
	if (d && d->first_star == SIZE_MAX)
		d->first_star = d->outs.n;
}

static void cte_push(struct rf *r, const char *name, struct rf_derived *d)
{
	r->ctes = sw_xrealloc(r->ctes, (r->n_ctes + 1) * sizeof(*r->ctes));
	r->ctes[r->n_ctes].name = name;
	r->ctes[r->n_ctes].d = d;
	r->n_ctes++;
}

/*
 * A recursive CTE nothing obviously stops: its recursive term (the UNION's
 * right branch) has no WHERE, no LIMIT and reads nothing but the CTE itself
 * (`SELECT n + 1 FROM r`). A WHERE (`WHERE n < 10`) or a join with a table (a
 * walk down a hierarchy) ends when the data does; a cycle in the data is what
 * the runtime budget is for.
 */
static bool recursion_unbounded(const PgQuery__CommonTableExpr *c)
{
	const PgQuery__SelectStmt *s, *rec;

	if (!c->ctequery || c->ctequery->node_case != NC(SELECT_STMT))
		return false;
	s = c->ctequery->select_stmt;
	if (s->op != PG_QUERY__SET_OPERATION__SETOP_UNION)
		return false;   /* not recursive in form */
	rec = s->rarg;
	if (!rec || rec->op != PG_QUERY__SET_OPERATION__SETOP_NONE)
		return true;
	if (rec->where_clause || rec->limit_count)
		return false;
	for (size_t i = 0; i < rec->n_from_clause; i++) {
		const PgQuery__Node *f = rec->from_clause[i];
		if (f->node_case != NC(RANGE_VAR) || !f->range_var->relname || nonempty(f->range_var->schemaname) ||
		    strcmp(f->range_var->relname, c->ctename) != 0)
			return false;
	}
	return true;
}

static size_t cte_enter(struct rf *r, struct rf_level *parent, const PgQuery__WithClause *wc)
{
	size_t saved = r->n_ctes;

	if (!wc)
		return saved;
	if (wc->recursive) {
		for (size_t i = 0; i < wc->n_ctes; i++)
			if (wc->ctes[i]->node_case == NC(COMMON_TABLE_EXPR) &&
			    recursion_unbounded(wc->ctes[i]->common_table_expr))
				r->saw_recursive = true;
		/* Every name is visible in every body; the bodies fill them in as they are walked. */
		for (size_t i = 0; i < wc->n_ctes; i++)
			if (wc->ctes[i]->node_case == NC(COMMON_TABLE_EXPR)) {
				struct rf_derived *d = derived_new();
				d->known = false;
				cte_push(r, wc->ctes[i]->common_table_expr->ctename, d);
			}
	}
	for (size_t i = 0, k = saved; i < wc->n_ctes; i++) {
		const PgQuery__CommonTableExpr *c;
		struct rf_derived *d;

		if (wc->ctes[i]->node_case != NC(COMMON_TABLE_EXPR))
			continue;
		c = wc->ctes[i]->common_table_expr;
		d = derived_new();
		walk_stmt(r, parent, c->ctequery, d);
		derived_rename(d, c->aliascolnames, c->n_aliascolnames);
		if (wc->recursive) {
			derived_free(r->ctes[k].d);
			r->ctes[k++].d = d;
		} else {
			cte_push(r, c->ctename, d);
		}
	}
	return saved;
}

static void cte_leave(struct rf *r, size_t saved)
{
	while (r->n_ctes > saved)
		derived_free(r->ctes[--r->n_ctes].d);
}

static struct rf_derived *cte_lookup(const struct rf *r, const PgQuery__RangeVar *rv)
{
	if (nonempty(rv->schemaname) || nonempty(rv->catalogname) || !rv->relname)
		return NULL;
	for (size_t i = r->n_ctes; i-- > 0;)
		if (strcmp(r->ctes[i].name, rv->relname) == 0)
			return r->ctes[i].d;
	return NULL;
}

/* ---- scopes ---- */

static struct rf_entry *entry_add(struct rf_level *L, enum rf_kind kind, const char *alias)
{
	struct rf_entry *e;

	L->e = sw_xrealloc(L->e, (L->n + 1) * sizeof(*L->e));
	e = &L->e[L->n++];
	memset(e, 0, sizeof(*e));
	e->kind = kind;
	e->alias = alias;
	e->scan = -1;
	return e;
}

static void level_free(struct rf_level *L)
{
	for (size_t i = 0; i < L->n; i++) {
		free(L->e[i].rel);
		if (L->e[i].own_d)
			derived_free(L->e[i].d);
	}
	free(L->e);
	L->e = NULL;
	L->n = 0;
}

/* A base relation (or a CTE reference) named by a RangeVar. scan: whether it is read. */
static struct rf_entry *add_rangevar(struct rf *r, struct rf_level *L, const PgQuery__RangeVar *rv, bool scan)
{
	const char *alias = rv->alias && nonempty(rv->alias->aliasname) ? rv->alias->aliasname : rv->relname;
	struct rf_derived *d = cte_lookup(r, rv);
	struct rf_entry *e;

	if (d) {
		e = entry_add(L, RF_DERIVED, alias);
		e->d = d;
		if (rv->alias && rv->alias->n_colnames) {
			/* WITH x AS (...) SELECT ... FROM x AS y(a, b): a renamed copy. */
			struct rf_derived *c = derived_new();
			sw_strv_copy(&c->outs, &d->outs);
			sw_strv_copy(&c->star_rels, &d->star_rels);
			sw_strv_copy(&c->star_alias, &d->star_alias);
			c->first_star = d->first_star;
			c->opaque = d->opaque;
			c->known = d->known;
			derived_rename(c, rv->alias->colnames, rv->alias->n_colnames);
			e->d = c;
			e->own_d = true;
		}
		return e;
	}
	e = entry_add(L, RF_BASE, alias);
	e->has_alias = rv->alias && nonempty(rv->alias->aliasname);
	e->schema = rv->schemaname;
	e->catalog = rv->catalogname;
	e->relname = rv->relname;
	e->rel = pgw_rangevar_name(rv);
	if (scan)
		e->scan = add_scan(r, e->rel);
	return e;
}

static bool join_quals_count(const PgQuery__JoinExpr *j)
{
	return j->jointype == PG_QUERY__JOIN_TYPE__JOIN_INNER && j->quals;
}

static void eq_conjuncts(struct rf *r, struct rf_level *L, const PgQuery__Node *n, long only_scan);

/*
 * One FROM item. parent: the level a non-LATERAL subquery sees (the FROM
 * list's own items are not visible to it); function calls and LATERAL
 * subqueries see the items before them.
 */
static void add_from(struct rf *r, struct rf_level *L, struct rf_level *parent, const PgQuery__Node *n)
{
	if (!n)
		return;
	switch (n->node_case) {
	case NC(RANGE_VAR):
		if (nonempty(n->range_var->relname))
			add_rangevar(r, L, n->range_var, true);
		break;
	case NC(RANGE_TABLE_SAMPLE): {
		const PgQuery__RangeTableSample *ts = n->range_table_sample;
		if (ts->relation && ts->relation->node_case == NC(RANGE_VAR))
			add_rangevar(r, L, ts->relation->range_var, true);
		walk_nodes(r, L, ts->args, ts->n_args);
		walk_node(r, L, ts->repeatable);
		break;
	}
	case NC(RANGE_SUBSELECT): {
		const PgQuery__RangeSubselect *rs = n->range_subselect;
		struct rf_derived *d = derived_new();
		struct rf_entry *e;
		walk_stmt(r, rs->lateral ? L : parent, rs->subquery, d);
		if (rs->alias)
			derived_rename(d, rs->alias->colnames, rs->alias->n_colnames);
		e = entry_add(L, RF_DERIVED, rs->alias && nonempty(rs->alias->aliasname) ? rs->alias->aliasname : NULL);
		e->d = d;
		e->own_d = true;
		break;
	}
	case NC(RANGE_FUNCTION): {
		const PgQuery__RangeFunction *rf = n->range_function;
		const char *alias = rf->alias ? rf->alias->aliasname : NULL;
		walk_nodes(r, L, rf->functions, rf->n_functions);
		/* Unaliased: visible by the function's name. */
		if (!nonempty(alias) && rf->n_functions && rf->functions[0]->node_case == NC(LIST) &&
		    rf->functions[0]->list->n_items &&
		    rf->functions[0]->list->items[0]->node_case == NC(FUNC_CALL)) {
			const PgQuery__FuncCall *fc = rf->functions[0]->list->items[0]->func_call;
			alias = fc->n_funcname ? pgw_str(fc->funcname[fc->n_funcname - 1]) : NULL;
		}
		entry_add(L, RF_FUNC, alias);
		break;
	}
	case NC(RANGE_TABLE_FUNC): {
		const PgQuery__RangeTableFunc *tf = n->range_table_func;
		walk_node(r, L, tf->docexpr);
		walk_node(r, L, tf->rowexpr);
		walk_nodes(r, L, tf->namespaces, tf->n_namespaces);
		walk_nodes(r, L, tf->columns, tf->n_columns);
		entry_add(L, RF_FUNC, tf->alias ? tf->alias->aliasname : NULL);
		break;
	}
	case NC(JOIN_EXPR): {
		const PgQuery__JoinExpr *j = n->join_expr;
		size_t first = L->n, mid;
		add_from(r, L, parent, j->larg);
		mid = L->n;
		add_from(r, L, parent, j->rarg);
		/* USING (c): c of both sides is read. */
		for (size_t u = 0; u < j->n_using_clause; u++) {
			const char *c = pgw_str(j->using_clause[u]);
			size_t lo[2] = { first, mid }, hi[2] = { mid, L->n };
			if (!c)
				continue;
			for (int side = 0; side < 2; side++) {
				struct sw_strv cand = { 0 };
				for (size_t k = lo[side]; k < hi[side]; k++)
					if (L->e[k].kind == RF_BASE)
						sw_strv_push_unique(&cand, L->e[k].rel);
				if (cand.n == 1)
					add_col(r, cand.v[0], c, NULL);
				else if (cand.n > 1)
					add_col(r, NULL, c, &cand);
				sw_strv_free(&cand);
			}
		}
		walk_node(r, L, j->quals);
		if (join_quals_count(j))
			eq_conjuncts(r, L, j->quals, -1);
		{
			const PgQuery__Alias *a = j->alias ? j->alias : j->join_using_alias;
			if (a && nonempty(a->aliasname)) {
				struct rf_entry *e = entry_add(L, RF_JOIN, a->aliasname);
				e->j_first = first;
				e->j_end = L->n - 1;
			}
		}
		break;
	}
	default:
		walk_node(r, L, n);
		break;
	}
}

/* ---- column references ---- */

static bool entry_matches(const struct rf_entry *e, const char *const *q, size_t nq)
{
	if (nq == 1)
		return e->alias && strcmp(e->alias, q[0]) == 0;
	if (e->kind != RF_BASE || e->has_alias || !e->relname || strcmp(e->relname, q[nq - 1]) != 0)
		return false;
	if (nq == 2)
		return str_eq0(e->schema, q[0]) && !nonempty(e->catalog);
	if (nq == 3)
		return str_eq0(e->catalog, q[0]) && str_eq0(e->schema, q[1]);
	return false;
}

static struct rf_entry *find_qualified(struct rf_level *L, const char *const *q, size_t nq, struct rf_level **at)
{
	for (; L; L = L->up)
		for (size_t i = 0; i < L->n; i++)
			if (entry_matches(&L->e[i], q, nq)) {
				if (at)
					*at = L;
				return &L->e[i];
			}
	return NULL;
}

static bool derived_has(const struct rf_derived *d, const char *c)
{
	return sw_strv_contains(&d->outs, c);
}

/* Column c of a derived table: its source was reported with the body, unless a `*` stood for it. */
static void derived_col(struct rf *r, const struct rf_derived *d, const char *c)
{
	const char *col;

	if (!d->known || derived_has(d, c))
		return;
	col = sw_strv_contains(&d->star_alias, c) ? "*" : c;
	if (d->star_rels.n == 1)
		add_col(r, d->star_rels.v[0], col, NULL);
	else if (d->star_rels.n > 1)
		add_col(r, NULL, col, &d->star_rels);
	else if (d->opaque)
		add_col(r, NULL, c, NULL);
}

static void col_of_entry(struct rf *r, struct rf_level *L, size_t i, const char *c)
{
	const struct rf_entry *e = &L->e[i];

	switch (e->kind) {
	case RF_BASE:
		add_col(r, e->rel, c, NULL);
		break;
	case RF_DERIVED:
		derived_col(r, e->d, c);
		break;
	case RF_FUNC:
		add_col(r, NULL, c, NULL);
		break;
	case RF_JOIN: {
		struct sw_strv cand = { 0 };
		for (size_t k = e->j_first; k < e->j_end; k++)
			if (L->e[k].kind == RF_BASE)
				sw_strv_push_unique(&cand, L->e[k].rel);
			else if (L->e[k].kind == RF_DERIVED)
				derived_col(r, L->e[k].d, c);
		if (cand.n == 1)
			add_col(r, cand.v[0], c, NULL);
		else if (cand.n > 1)
			add_col(r, NULL, c, &cand);
		sw_strv_free(&cand);
		break;
	}
	}
}

/*
 * An unqualified column: PostgreSQL takes the innermost level that has it,
 * which only the catalog knows; so every FROM item of this level and the
 * enclosing ones that may have it is a candidate.
 */
static void unqualified(struct rf *r, struct rf_level *L, const char *c)
{
	struct sw_strv cand = { 0 };
	struct rf_level *only_l = NULL;
	size_t only_i = 0, n = 0;
	bool func = false;

	for (struct rf_level *l = L; l; l = l->up)
		for (size_t i = 0; i < l->n; i++) {
			const struct rf_entry *e = &l->e[i];
			if (e->kind == RF_JOIN)
				continue;
			if (e->kind == RF_DERIVED && e->d->known && !derived_has(e->d, c) &&
			    !e->d->star_rels.n && !e->d->opaque)
				continue;  /* a derived table without that column */
			n++;
			only_l = l;
			only_i = i;
			if (e->kind == RF_BASE)
				sw_strv_push_unique(&cand, e->rel);
			else if (e->kind == RF_FUNC)
				func = true;
			else if (!derived_has(e->d, c))
				for (size_t k = 0; k < e->d->star_rels.n; k++)
					sw_strv_push_unique(&cand, e->d->star_rels.v[k]);
		}
	if (n == 1)
		col_of_entry(r, only_l, only_i, c);
	else if (cand.n == 1 && !func)
		add_col(r, cand.v[0], c, NULL);
	else if (cand.n || n == 0 || func)
		add_col(r, NULL, c, &cand);
	sw_strv_free(&cand);
}

/*
 * A bare name that is a FROM item's name is a whole-row reference when no
 * column has that name: `SELECT c FROM customers c`, row_to_json(c), c::text
 * read every column of c.
 */
static void whole_row(struct rf *r, struct rf_level *L, const char *c)
{
	const char *q[1] = { c };
	struct rf_level *at;
	struct rf_entry *e = find_qualified(L, q, 1, &at);

	if (e)
		star_of_entry(r, at, (size_t)(e - at->e), NULL);
}

/*
 * ORDER BY: an item that is just a bare name of an output column (SELECT
 * lower(email) AS e ... ORDER BY e) sorts by that output, not by an input
 * column; inside an expression (ORDER BY lower(e)) a name is an input
 * column again. In a set operation's ORDER BY every bare name is an output.
 */
static void walk_sort(struct rf *r, struct rf_level *L, PgQuery__Node *const *v, size_t n,
		      PgQuery__Node *const *targets, size_t n_targets, bool all_outputs)
{
	for (size_t i = 0; i < n; i++) {
		const PgQuery__Node *e = v[i]->node_case == NC(SORT_BY) ? v[i]->sort_by->node : v[i];
		const char *name = NULL;
		bool output = false;

		if (e && e->node_case == NC(COLUMN_REF) && e->column_ref->n_fields == 1)
			name = pgw_str(e->column_ref->fields[0]);
		output = name && all_outputs;
		for (size_t k = 0; name && !output && k < n_targets; k++)
			output = targets[k]->node_case == NC(RES_TARGET) && nonempty(targets[k]->res_target->name) &&
				 strcmp(targets[k]->res_target->name, name) == 0;
		if (!output)
			walk_node(r, L, v[i]);
	}
}

static void on_colref(struct rf *r, struct rf_level *L, const PgQuery__ColumnRef *cr)
{
	const char *q[3];
	size_t nq;
	bool star;
	const char *c;
	struct rf_level *at;
	struct rf_entry *e;

	if (!cr->n_fields)
		return;
	star = cr->fields[cr->n_fields - 1]->node_case == NC(A_STAR);
	c = star ? "*" : pgw_str(cr->fields[cr->n_fields - 1]);
	nq = cr->n_fields - 1;
	if (!c)
		return;
	if (nq > 3) {
		if (!star)
			add_col(r, NULL, c, NULL);  /* the server rejects it; still the name it asked for */
		return;
	}
	for (size_t i = 0; i < nq; i++)
		if (!(q[i] = pgw_str(cr->fields[i])))
			return;
	if (nq == 0) {
		if (star) {
			for (size_t i = 0; i < L->n; i++)
				if (L->e[i].kind != RF_JOIN)
					star_of_entry(r, L, i, NULL);
		} else {
			unqualified(r, L, c);
			whole_row(r, L, c);
		}
		return;
	}
	e = find_qualified(L, q, nq, &at);
	if (e) {
		if (star)
			star_of_entry(r, at, (size_t)(e - at->e), NULL);
		else
			col_of_entry(r, at, (size_t)(e - at->e), c);
		return;
	}
	/* No FROM item by that name: a.b is column a (a composite) with field b. */
	if (nq == 1 && !star) {
		unqualified(r, L, q[0]);
		add_col(r, NULL, c, NULL);  /* the field's name, for column-name rules */
	}
	else if (!star)
		add_col(r, NULL, c, NULL);
}

/* `*` over FROM item i; out: the derived table whose target list this is (NULL: none). */
static void star_of_entry(struct rf *r, struct rf_level *L, size_t i, struct rf_derived *out)
{
	const struct rf_entry *e = &L->e[i];

	switch (e->kind) {
	case RF_BASE:
		add_col(r, e->rel, "*", NULL);
		if (out) {
			star_into(out);
			sw_strv_push_unique(&out->star_rels, e->rel);
		}
		break;
	case RF_DERIVED:
		/* Its body's own columns and stars were reported when it was walked. */
		if (out) {
			const struct rf_derived *d = e->d;
			if (!d->known) {
				star_into(out);
				out->opaque = true;
				break;
			}
			if (d->first_star != SIZE_MAX && out->first_star == SIZE_MAX)
				out->first_star = out->outs.n + d->first_star;
			for (size_t k = 0; k < d->outs.n; k++)
				sw_strv_push(&out->outs, d->outs.v[k]);
			for (size_t k = 0; k < d->star_rels.n; k++)
				sw_strv_push_unique(&out->star_rels, d->star_rels.v[k]);
			for (size_t k = 0; k < d->star_alias.n; k++)
				sw_strv_push_unique(&out->star_alias, d->star_alias.v[k]);
			out->opaque |= d->opaque;
		}
		break;
	case RF_FUNC:
		if (out) {
			star_into(out);
			out->opaque = true;
		}
		break;
	case RF_JOIN:
		for (size_t k = e->j_first; k < e->j_end; k++)
			if (L->e[k].kind != RF_JOIN)
				star_of_entry(r, L, k, out);
		break;
	}
}

/* A target list (SELECT list, RETURNING): its columns, and out's output names. */
static void walk_targets(struct rf *r, struct rf_level *L, PgQuery__Node *const *v, size_t n,
			 struct rf_derived *out)
{
	for (size_t i = 0; i < n; i++) {
		const PgQuery__ResTarget *rt;
		const PgQuery__ColumnRef *cr = NULL;
		const char *name;

		if (v[i]->node_case != NC(RES_TARGET)) {
			walk_node(r, L, v[i]);
			continue;
		}
		rt = v[i]->res_target;
		if (rt->val && rt->val->node_case == NC(COLUMN_REF))
			cr = rt->val->column_ref;
		if (cr && cr->n_fields && cr->fields[cr->n_fields - 1]->node_case == NC(A_STAR)) {
			/* `*` or `t.*` as a whole output list entry: expands into columns */
			if (cr->n_fields == 1) {
				for (size_t k = 0; k < L->n; k++)
					if (L->e[k].kind != RF_JOIN)
						star_of_entry(r, L, k, out);
			} else {
				const char *q[3];
				size_t nq = cr->n_fields - 1;
				struct rf_level *at;
				struct rf_entry *e = NULL;
				bool ok = nq <= 3;
				for (size_t k = 0; ok && k < nq; k++)
					ok = (q[k] = pgw_str(cr->fields[k])) != NULL;
				if (ok)
					e = find_qualified(L, q, nq, &at);
				if (e)
					star_of_entry(r, at, (size_t)(e - at->e), out);
				else if (out) {
					star_into(out);
					out->opaque = true;
				}
			}
			continue;
		}
		walk_node(r, L, rt->val);
		walk_nodes(r, L, rt->indirection, rt->n_indirection);
		if (!out)
			continue;
		name = nonempty(rt->name) ? rt->name : NULL;
		if (!name && cr && cr->n_fields)
			name = pgw_str(cr->fields[cr->n_fields - 1]);
		if (!name && rt->val && rt->val->node_case == NC(FUNC_CALL) && rt->val->func_call->n_funcname) {
			const PgQuery__FuncCall *fc = rt->val->func_call;
			name = pgw_str(fc->funcname[fc->n_funcname - 1]);
		}
		sw_strv_push(&out->outs, name ? name : "");
	}
}

/* ---- constrained columns (tenant predicates) ---- */

/* The operator named, when it is the built-in one (unqualified or pg_catalog's), else NULL. */
static const char *builtin_operator(PgQuery__Node *const *name, size_t n)
{
	const char *op = n ? pgw_str(name[n - 1]) : NULL;
	const char *schema = n == 2 ? pgw_str(name[0]) : NULL;

	if (!op || n > 2 || (n == 2 && (!schema || strcmp(schema, "pg_catalog") != 0)))
		return NULL;
	return op;
}

static bool is_eq_operator(PgQuery__Node *const *name, size_t n)
{
	const char *op = builtin_operator(name, n);
	return op && strcmp(op, "=") == 0;
}

static bool is_range_operator(PgQuery__Node *const *name, size_t n)
{
	const char *op = builtin_operator(name, n);
	return op && (strcmp(op, "<") == 0 || strcmp(op, "<=") == 0 || strcmp(op, ">") == 0 || strcmp(op, ">=") == 0);
}

/*
 * current_setting('app.tenant_id') (pg_catalog's, one constant argument): a
 * value the session cannot choose when the setting is a custom one (a name
 * with a dot): the gate refuses every SET of it by a governed role but RESET
 * (pg_settings.c), so it is what the DBA set (ALTER ROLE ... SET). The
 * article's tenant binding. Built-in settings an agent may set freely
 * (application_name, TimeZone, ...) do not count.
 */
static bool is_fixed_setting(const PgQuery__FuncCall *f)
{
	const char *name = NULL, *schema = NULL, *arg;

	if (f->n_funcname == 1 && f->funcname[0]->node_case == NC(STRING)) {
		name = f->funcname[0]->string->sval;
	} else if (f->n_funcname == 2 && f->funcname[0]->node_case == NC(STRING) &&
		   f->funcname[1]->node_case == NC(STRING)) {
		schema = f->funcname[0]->string->sval;
		name = f->funcname[1]->string->sval;
	}
	if (!name || strcmp(name, "current_setting") != 0 || (schema && strcmp(schema, "pg_catalog") != 0) ||
	    f->n_args != 1 || f->agg_star || f->over || f->agg_filter || f->n_agg_order)
		return false;
	if (f->args[0]->node_case != NC(A_CONST) || f->args[0]->a_const->isnull ||
	    f->args[0]->a_const->val_case != PG_QUERY__A__CONST__VAL_SVAL)
		return false;
	arg = f->args[0]->a_const->sval->sval;
	return arg && strchr(arg, '.') && arg[0] != '.';
}

/* A constant (not NULL), a $n parameter, a fixed custom setting, or a cast of one. */
static bool is_const_or_param(const PgQuery__Node *n, int depth)
{
	if (!n || depth > 8)
		return false;
	switch (n->node_case) {
	case NC(A_CONST):
		return !n->a_const->isnull;
	case NC(PARAM_REF):
		return true;
	case NC(TYPE_CAST):
		return is_const_or_param(n->type_cast->arg, depth + 1);
	case NC(FUNC_CALL):
		return is_fixed_setting(n->func_call);
	default:
		return false;
	}
}

static void constrain(struct rf *r, struct rf_level *L, const PgQuery__Node *n, long only_scan, bool range_only)
{
	const PgQuery__ColumnRef *cr;
	const char *q[3], *c;
	size_t nq;
	const struct rf_entry *e = NULL;

	if (!n || n->node_case != NC(COLUMN_REF))
		return;
	cr = n->column_ref;
	if (!cr->n_fields || !(c = pgw_str(cr->fields[cr->n_fields - 1])))
		return;
	nq = cr->n_fields - 1;
	if (nq > 3)
		return;
	for (size_t i = 0; i < nq; i++)
		if (!(q[i] = pgw_str(cr->fields[i])))
			return;
	if (nq == 0) {
		size_t items = 0;
		for (size_t i = 0; i < L->n; i++)
			if (L->e[i].kind != RF_JOIN) {
				items++;
				e = &L->e[i];
			}
		if (items != 1)
			return;
	} else {
		for (size_t i = 0; i < L->n && !e; i++)
			if (entry_matches(&L->e[i], q, nq))
				e = &L->e[i];
	}
	if (!e || e->kind != RF_BASE || e->scan < 0 || (only_scan >= 0 && e->scan != only_scan))
		return;
	if (!range_only)
		sw_strv_push_unique(&r->f->scans[e->scan].eq_columns, c);
	sw_strv_push_unique(&r->f->scans[e->scan].range_columns, c);
}

/* Top-level AND conjuncts of n (a WHERE or an inner JOIN's ON) of the shape col = constant. */
static void eq_conjuncts(struct rf *r, struct rf_level *L, const PgQuery__Node *n, long only_scan)
{
	const PgQuery__AExpr *a;

	if (!n)
		return;
	if (n->node_case == NC(BOOL_EXPR) && n->bool_expr->boolop == PG_QUERY__BOOL_EXPR_TYPE__AND_EXPR) {
		for (size_t i = 0; i < n->bool_expr->n_args; i++)
			eq_conjuncts(r, L, n->bool_expr->args[i], only_scan);
		return;
	}
	if (n->node_case != NC(A_EXPR))
		return;
	a = n->a_expr;
	if (a->kind == PG_QUERY__A__EXPR__KIND__AEXPR_OP && is_range_operator(a->name, a->n_name)) {
		/* A bound on one side: a range (a time window), not a pin. */
		if (is_const_or_param(a->rexpr, 0))
			constrain(r, L, a->lexpr, only_scan, true);
		else if (is_const_or_param(a->lexpr, 0))
			constrain(r, L, a->rexpr, only_scan, true);
		return;
	}
	if (a->kind == PG_QUERY__A__EXPR__KIND__AEXPR_BETWEEN && a->rexpr && a->rexpr->node_case == NC(LIST) &&
	    a->rexpr->list->n_items == 2 && is_const_or_param(a->rexpr->list->items[0], 0) &&
	    is_const_or_param(a->rexpr->list->items[1], 0)) {
		constrain(r, L, a->lexpr, only_scan, true);
		return;
	}
	if (!is_eq_operator(a->name, a->n_name))
		return;
	if (a->kind == PG_QUERY__A__EXPR__KIND__AEXPR_OP) {
		if (is_const_or_param(a->rexpr, 0))
			constrain(r, L, a->lexpr, only_scan, false);
		else if (is_const_or_param(a->lexpr, 0))
			constrain(r, L, a->rexpr, only_scan, false);
	} else if (a->kind == PG_QUERY__A__EXPR__KIND__AEXPR_IN && a->rexpr &&
		   a->rexpr->node_case == NC(LIST) && a->rexpr->list->n_items == 1 &&
		   is_const_or_param(a->rexpr->list->items[0], 0)) {
		constrain(r, L, a->lexpr, only_scan, false);
	}
}

/* ---- query levels ---- */

static void walk_select(struct rf *r, struct rf_level *parent, const PgQuery__SelectStmt *s,
			struct rf_derived *out)
{
	struct rf_level L = { .up = parent };
	size_t saved;

	if (!s)
		return;
	saved = cte_enter(r, parent, s->with_clause);
	if (s->op != PG_QUERY__SET_OPERATION__SETOP_NONE &&
	    s->op != PG_QUERY__SET_OPERATION__SET_OPERATION_UNDEFINED) {
		/* Output names come from the first branch; `*` and unknown shapes from any. */
		struct rf_derived *right = out ? derived_new() : NULL;
		walk_select(r, parent, s->larg, out);
		walk_select(r, parent, s->rarg, right);
		if (out) {
			for (size_t k = 0; k < right->star_rels.n; k++)
				sw_strv_push_unique(&out->star_rels, right->star_rels.v[k]);
			out->opaque |= right->opaque;
			if (right->first_star != SIZE_MAX)
				star_into(out);
			derived_free(right);
		}
		walk_sort(r, &L, s->sort_clause, s->n_sort_clause, NULL, 0, true);
		walk_node(r, &L, s->limit_offset);
		walk_node(r, &L, s->limit_count);
		cte_leave(r, saved);
		return;
	}
	for (size_t i = 0; i < s->n_from_clause; i++)
		add_from(r, &L, parent, s->from_clause[i]);
	if (s->n_values_lists) {
		walk_nodes(r, &L, s->values_lists, s->n_values_lists);
		if (out && s->values_lists[0]->node_case == NC(LIST))
			for (size_t k = 0; k < s->values_lists[0]->list->n_items; k++) {
				char *nm = sw_xasprintf("column%zu", k + 1);
				sw_strv_push(&out->outs, nm);
				free(nm);
			}
	}
	walk_targets(r, &L, s->target_list, s->n_target_list, out);
	walk_node(r, &L, s->where_clause);
	eq_conjuncts(r, &L, s->where_clause, -1);
	walk_nodes(r, &L, s->distinct_clause, s->n_distinct_clause);
	walk_nodes(r, &L, s->group_clause, s->n_group_clause);
	walk_node(r, &L, s->having_clause);
	walk_nodes(r, &L, s->window_clause, s->n_window_clause);
	walk_sort(r, &L, s->sort_clause, s->n_sort_clause, s->target_list, s->n_target_list, false);
	walk_node(r, &L, s->limit_offset);
	walk_node(r, &L, s->limit_count);
	level_free(&L);
	cte_leave(r, saved);
}

/* INSERT, UPDATE, DELETE, MERGE: the target is in scope; UPDATE/DELETE/MERGE read it. */
static void walk_dml(struct rf *r, struct rf_level *parent, const PgQuery__Node *n, struct rf_derived *out)
{
	struct rf_level L = { .up = parent };
	size_t saved = r->n_ctes;
	struct rf_entry *t;

	switch (n->node_case) {
	case NC(INSERT_STMT): {
		const PgQuery__InsertStmt *s = n->insert_stmt;
		saved = cte_enter(r, parent, s->with_clause);
		/* The source query does not see the target. */
		walk_stmt(r, parent, s->select_stmt, NULL);
		if (s->relation) {
			add_rangevar(r, &L, s->relation, false);
			/* ON CONFLICT DO UPDATE: excluded is the proposed row, for the target's columns */
			t = entry_add(&L, RF_BASE, "excluded");
			t->rel = pgw_rangevar_name(s->relation);
			t->relname = "excluded";
			t->has_alias = true;
		}
		if (s->on_conflict_clause) {
			const PgQuery__OnConflictClause *oc = s->on_conflict_clause;
			for (size_t i = 0; i < oc->n_target_list; i++)
				if (oc->target_list[i]->node_case == NC(RES_TARGET))
					walk_node(r, &L, oc->target_list[i]->res_target->val);
			walk_node(r, &L, oc->where_clause);
			if (oc->infer)
				walk_node(r, &L, oc->infer->where_clause);
		}
		walk_targets(r, &L, s->returning_list, s->n_returning_list, out);
		break;
	}
	case NC(UPDATE_STMT): {
		const PgQuery__UpdateStmt *s = n->update_stmt;
		saved = cte_enter(r, parent, s->with_clause);
		if (s->relation)
			add_rangevar(r, &L, s->relation, true);
		for (size_t i = 0; i < s->n_from_clause; i++)
			add_from(r, &L, parent, s->from_clause[i]);
		for (size_t i = 0; i < s->n_target_list; i++)
			if (s->target_list[i]->node_case == NC(RES_TARGET))
				walk_node(r, &L, s->target_list[i]->res_target->val);
		walk_node(r, &L, s->where_clause);
		eq_conjuncts(r, &L, s->where_clause, -1);
		walk_targets(r, &L, s->returning_list, s->n_returning_list, out);
		break;
	}
	case NC(DELETE_STMT): {
		const PgQuery__DeleteStmt *s = n->delete_stmt;
		saved = cte_enter(r, parent, s->with_clause);
		if (s->relation)
			add_rangevar(r, &L, s->relation, true);
		for (size_t i = 0; i < s->n_using_clause; i++)
			add_from(r, &L, parent, s->using_clause[i]);
		walk_node(r, &L, s->where_clause);
		eq_conjuncts(r, &L, s->where_clause, -1);
		walk_targets(r, &L, s->returning_list, s->n_returning_list, out);
		break;
	}
	case NC(MERGE_STMT): {
		const PgQuery__MergeStmt *s = n->merge_stmt;
		long target_scan = -1;
		saved = cte_enter(r, parent, s->with_clause);
		if (s->relation)
			target_scan = add_rangevar(r, &L, s->relation, true)->scan;
		add_from(r, &L, parent, s->source_relation);
		walk_node(r, &L, s->join_condition);
		/* ON limits which target rows are touched; unmatched source rows are all read. */
		if (target_scan >= 0)
			eq_conjuncts(r, &L, s->join_condition, target_scan);
		for (size_t i = 0; i < s->n_merge_when_clauses; i++) {
			const PgQuery__MergeWhenClause *w;
			if (s->merge_when_clauses[i]->node_case != NC(MERGE_WHEN_CLAUSE))
				continue;
			w = s->merge_when_clauses[i]->merge_when_clause;
			walk_node(r, &L, w->condition);
			for (size_t k = 0; k < w->n_target_list; k++)
				if (w->target_list[k]->node_case == NC(RES_TARGET))
					walk_node(r, &L, w->target_list[k]->res_target->val);
			walk_nodes(r, &L, w->values, w->n_values);
		}
		break;
	}
	default:
		break;
	}
	level_free(&L);
	cte_leave(r, saved);
}

static void walk_stmt(struct rf *r, struct rf_level *parent, const PgQuery__Node *n, struct rf_derived *out)
{
	if (!n)
		return;
	if (++r->depth > RF_MAX_DEPTH) {
		r->f->truncated = true;
		r->depth--;
		return;
	}
	switch (n->node_case) {
	case NC(SELECT_STMT):
		walk_select(r, parent, n->select_stmt, out);
		break;
	case NC(INSERT_STMT):
	case NC(UPDATE_STMT):
	case NC(DELETE_STMT):
	case NC(MERGE_STMT):
		walk_dml(r, parent, n, out);
		break;
	default:
		walk_node(r, parent, n);
		if (out) {
			star_into(out);
			out->opaque = true;
		}
		break;
	}
	r->depth--;
}

/* ---- generic descent through expressions ---- */

static void walk_fields(struct rf *r, struct rf_level *L, const ProtobufCMessage *m)
{
	const ProtobufCMessageDescriptor *d = m->descriptor;
	const char *base = (const char *)m;

	for (unsigned i = 0; i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *f = &d->fields[i];
		if (f->type != PROTOBUF_C_TYPE_MESSAGE)
			continue;
		if (f->label == PROTOBUF_C_LABEL_REPEATED) {
			size_t n = *(const size_t *)(base + f->quantifier_offset);
			ProtobufCMessage *const *v = *(ProtobufCMessage *const *const *)(base + f->offset);
			for (size_t k = 0; k < n; k++)
				if (v[k])
					walk(r, L, v[k]);
		} else {
			const ProtobufCMessage *sub;
			if ((f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) &&
			    *(const uint32_t *)(base + f->quantifier_offset) != f->id)
				continue;
			sub = *(ProtobufCMessage *const *)(base + f->offset);
			if (sub)
				walk(r, L, sub);
		}
	}
}

static void walk(struct rf *r, struct rf_level *L, const ProtobufCMessage *m)
{
	if (++r->depth > RF_MAX_DEPTH) {
		r->f->truncated = true;
		r->depth--;
		return;
	}
	if (IS(m, node)) {
		const PgQuery__Node *n = (const PgQuery__Node *)m;
		switch (n->node_case) {
		case PG_QUERY__NODE__NODE__NOT_SET:
		case NC(STRING):
		case NC(A_CONST):
		case NC(INTEGER):
		case NC(FLOAT):
		case NC(BOOLEAN):
		case NC(PARAM_REF):
		case NC(A_STAR):
			break;
		case NC(COLUMN_REF):
			on_colref(r, L, n->column_ref);
			break;
		case NC(SELECT_STMT):
		case NC(INSERT_STMT):
		case NC(UPDATE_STMT):
		case NC(DELETE_STMT):
		case NC(MERGE_STMT):
			/* a subquery: its FROM is a new level inside this one */
			walk_stmt(r, L, n, NULL);
			break;
		case NC(TYPE_NAME):
		case NC(ALIAS):
		case NC(INTO_CLAUSE):
		case NC(LOCKING_CLAUSE):
		case NC(RANGE_VAR):
			break;
		default: {
			const ProtobufCFieldDescriptor *f =
				protobuf_c_message_descriptor_get_field(m->descriptor, (unsigned)n->node_case);
			if (f && f->type == PROTOBUF_C_TYPE_MESSAGE && f->label != PROTOBUF_C_LABEL_REPEATED) {
				const ProtobufCMessage *child = *(ProtobufCMessage *const *)((const char *)m + f->offset);
				if (child)
					walk(r, L, child);
			}
			break;
		}
		}
	} else if (IS(m, type_name) || IS(m, alias) || IS(m, into_clause) || IS(m, range_var) ||
		   IS(m, with_clause)) {
		/* names, not reads; a WITH is handled by its statement */
	} else if (IS(m, select_stmt)) {
		walk_select(r, L, (const PgQuery__SelectStmt *)m, NULL);
	} else {
		walk_fields(r, L, m);
	}
	r->depth--;
}

/* ---- the outermost LIMIT ---- */

static void limit_of(struct sw_read_facts *f, const PgQuery__SelectStmt *s)
{
	const PgQuery__Node *n;
	int casts = 0;

	f->limit_known = true;
	f->limit = -1;
	f->limit_param = false;
	if (!s || !(n = s->limit_count))
		return;
	if (s->limit_option == PG_QUERY__LIMIT_OPTION__LIMIT_OPTION_WITH_TIES) {
		f->limit_known = false;  /* ties past the n-th row come too */
		return;
	}
	while (n->node_case == NC(TYPE_CAST) && n->type_cast->arg && casts++ < 8)
		n = n->type_cast->arg;
	f->limit_known = false;
	if (n->node_case == NC(PARAM_REF)) {
		f->limit_param = true;
	} else if (n->node_case == NC(A_CONST)) {
		const PgQuery__AConst *c = n->a_const;
		const char *text = NULL;
		if (c->isnull) {
			f->limit_known = true;          /* LIMIT ALL, LIMIT NULL */
		} else if (c->val_case == PG_QUERY__A__CONST__VAL_IVAL && c->ival) {
			if (c->ival->ival >= 0) {
				f->limit = c->ival->ival;
				f->limit_known = true;
			}
		} else if (c->val_case == PG_QUERY__A__CONST__VAL_FVAL && c->fval) {
			text = c->fval->fval;
		} else if (c->val_case == PG_QUERY__A__CONST__VAL_SVAL && c->sval) {
			text = c->sval->sval;
		}
		if (text) {
			/* LIMIT 1e3, LIMIT '10': the server rounds the number to bigint */
			char *end;
			double v = strtod(text, &end);
			if (end != text && *end == '\0' && v >= 0 && v < 9.2e18) {
				f->limit = (long long)(v + 0.5);
				f->limit_known = true;
			}
		}
	}
}

/* ---- entry point ---- */

static const PgQuery__Node *unwrap(const PgQuery__Node *n, const PgQuery__CopyStmt **copy_table)
{
	for (int i = 0; n && i < 8; i++) {
		switch (n->node_case) {
		case NC(EXPLAIN_STMT):
			n = n->explain_stmt->query;
			break;
		case NC(PREPARE_STMT):
			n = n->prepare_stmt->query;
			break;
		case NC(DECLARE_CURSOR_STMT):
			n = n->declare_cursor_stmt->query;
			break;
		case NC(CREATE_TABLE_AS_STMT):
			n = n->create_table_as_stmt->query;
			break;
		case NC(COPY_STMT):
			if (n->copy_stmt->is_from)
				return NULL;
			if (!n->copy_stmt->query) {
				*copy_table = n->copy_stmt->relation ? n->copy_stmt : NULL;
				return NULL;
			}
			n = n->copy_stmt->query;
			break;
		default:
			return n;
		}
	}
	return NULL;
}

void sw_pg_read_facts(const PgQuery__Node *stmt, struct sw_stmt *st)
{
	const PgQuery__CopyStmt *copy = NULL;
	const PgQuery__Node *q = unwrap(stmt, &copy);
	struct rf *r;

	sw_read_facts_free(st->reads);
	st->reads = NULL;
	if (!q && !copy)
		return;
	if (q && q->node_case != NC(SELECT_STMT) && q->node_case != NC(INSERT_STMT) &&
	    q->node_case != NC(UPDATE_STMT) && q->node_case != NC(DELETE_STMT) &&
	    q->node_case != NC(MERGE_STMT))
		return;
	r = sw_xcalloc(1, sizeof(*r));
	r->f = sw_xcalloc(1, sizeof(*r->f));
	if (copy) {
		/* COPY table TO: every row, the listed columns or all of them */
		char *rel = pgw_rangevar_name(copy->relation);
		add_scan(r, rel);
		if (!copy->n_attlist)
			add_col(r, rel, "*", NULL);
		for (size_t i = 0; i < copy->n_attlist; i++)
			if (pgw_str(copy->attlist[i]))
				add_col(r, rel, pgw_str(copy->attlist[i]), NULL);
		free(rel);
		limit_of(r->f, NULL);
	} else {
		walk_stmt(r, NULL, q, NULL);
		if (q->node_case == NC(SELECT_STMT))
			limit_of(r->f, q->select_stmt);
		else if (q->node_case == NC(INSERT_STMT) && q->insert_stmt->select_stmt &&
			 q->insert_stmt->select_stmt->node_case == NC(SELECT_STMT))
			limit_of(r->f, q->insert_stmt->select_stmt->select_stmt);
		else
			limit_of(r->f, NULL);
	}
	r->f->recursive_unbounded = r->saw_recursive && !(r->f->limit_known && r->f->limit >= 0);
	st->reads = r->f;
	cte_leave(r, 0);
	free(r->ctes);
	free(r);
}
