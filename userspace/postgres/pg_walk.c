/*
 * Reflective walk over the libpg_query protobuf tree; see pg_walk.h.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "pg_walk.h"
#include "pg_catalog_data.h"
#include "pg_functions.h"
#include "pg_settings.h"
#include "util.h"

#define PGW_MAX_DEPTH 3000

#define IS(m, name) ((m)->descriptor == &pg_query__##name##__descriptor)
#define BIT(id) (1ull << (id))

void pgw_init(struct pgw *w, struct sw_stmt *st)
{
	memset(w, 0, sizeof(*w));
	w->st = st;
	w->lock = SW_LOCK_ACCESS_SHARE;
}

void pgw_fini(struct pgw *w)
{
	sw_strv_free(&w->ctes);
}

void pgw_reason(struct pgw *w, const char *fmt, ...)
{
	va_list ap;
	char *s;
	va_start(ap, fmt);
	s = sw_xvasprintf(fmt, ap);
	va_end(ap);
	sw_strv_push_unique(&w->st->reasons, s);
	free(s);
}

const char *pgw_str(const PgQuery__Node *n)
{
	if (n && n->node_case == PG_QUERY__NODE__NODE_STRING && n->string)
		return n->string->sval;
	return NULL;
}

static bool nonempty(const char *s)
{
	return s && *s;
}

char *pgw_join_names(PgQuery__Node *const *v, size_t n)
{
	size_t len = 1;
	char *out;
	for (size_t i = 0; i < n; i++) {
		const char *s = pgw_str(v[i]);
		if (s)
			len += strlen(s) + 1;
	}
	out = sw_xmalloc(len);
	out[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		const char *s = pgw_str(v[i]);
		if (!s)
			continue;
		if (out[0])
			strcat(out, ".");
		strcat(out, s);
	}
	return out;
}

char *pgw_rangevar_name(const PgQuery__RangeVar *rv)
{
	if (nonempty(rv->catalogname))
		return sw_xasprintf("%s.%s.%s", rv->catalogname,
				    nonempty(rv->schemaname) ? rv->schemaname : "", rv->relname);
	if (nonempty(rv->schemaname))
		return sw_xasprintf("%s.%s", rv->schemaname, rv->relname);
	return sw_xstrdup(rv->relname ? rv->relname : "");
}

void pgw_add_rangevar(struct pgw *w, const PgQuery__RangeVar *rv, enum sw_lockmode lock)
{
	const char *exposes;
	char *name;
	if (!rv || !nonempty(rv->relname))
		return;
	name = pgw_rangevar_name(rv);
	sw_stmt_add_object(w->st, name, lock);
	exposes = sw_pg_sensitive_relation(nonempty(rv->schemaname) ? rv->schemaname : NULL, rv->relname);
	if (exposes) {
		w->st->traits |= SW_TRAIT_SENSITIVE_CATALOG;
		pgw_reason(w, "%s exposes %s", name, exposes);
	}
	free(name);
}

/* ---- CTE scope ---- */

static size_t cte_enter(struct pgw *w, const PgQuery__WithClause *wc)
{
	size_t saved = w->ctes.n;
	if (!wc)
		return saved;
	if (wc->recursive)
		for (size_t i = 0; i < wc->n_ctes; i++) {
			const PgQuery__Node *n = wc->ctes[i];
			if (n->node_case == PG_QUERY__NODE__NODE_COMMON_TABLE_EXPR)
				sw_strv_push(&w->ctes, n->common_table_expr->ctename);
		}
	for (size_t i = 0; i < wc->n_ctes; i++) {
		const PgQuery__Node *n = wc->ctes[i];
		if (n->node_case != PG_QUERY__NODE__NODE_COMMON_TABLE_EXPR) {
			pgw_walk_node(w, n);
			continue;
		}
		/* A non-recursive CTE sees only the CTEs before it. */
		pgw_walk_node(w, n->common_table_expr->ctequery);
		if (!wc->recursive)
			sw_strv_push(&w->ctes, n->common_table_expr->ctename);
	}
	return saved;
}

static void cte_leave(struct pgw *w, size_t saved)
{
	while (w->ctes.n > saved)
		free(w->ctes.v[--w->ctes.n]);
}

static bool is_cte_ref(const struct pgw *w, const PgQuery__RangeVar *rv)
{
	if (nonempty(rv->schemaname) || nonempty(rv->catalogname))
		return false;
	return sw_strv_contains(&w->ctes, rv->relname);
}

/* ---- generic descent ---- */

static void walk_msg(struct pgw *w, const ProtobufCMessage *m);

/*
 * The message a Node holds. Node is a oneof over ~240 message types: looking
 * the active field up by its id, instead of scanning every field descriptor,
 * was worth ~10% of the classifier's time (make bench).
 */
static const ProtobufCMessage *node_child(const ProtobufCMessage *m)
{
	const PgQuery__Node *n = (const PgQuery__Node *)m;
	const ProtobufCFieldDescriptor *f;

	if (n->node_case == PG_QUERY__NODE__NODE__NOT_SET)
		return NULL;
	f = protobuf_c_message_descriptor_get_field(m->descriptor, (unsigned)n->node_case);
	if (!f || f->type != PROTOBUF_C_TYPE_MESSAGE || f->label == PROTOBUF_C_LABEL_REPEATED)
		return NULL;
	return *(ProtobufCMessage *const *)((const char *)m + f->offset);
}

static void walk_fields(struct pgw *w, const ProtobufCMessage *m, unsigned long long skip)
{
	const ProtobufCMessageDescriptor *d = m->descriptor;
	const char *base = (const char *)m;

	for (unsigned i = 0; i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *f = &d->fields[i];
		if (f->type != PROTOBUF_C_TYPE_MESSAGE)
			continue;
		if (f->id < 64 && (skip & BIT(f->id)))
			continue;
		if (f->label == PROTOBUF_C_LABEL_REPEATED) {
			size_t n = *(const size_t *)(base + f->quantifier_offset);
			ProtobufCMessage *const *v = *(ProtobufCMessage *const *const *)(base + f->offset);
			for (size_t k = 0; k < n; k++)
				if (v[k])
					walk_msg(w, v[k]);
		} else {
			const ProtobufCMessage *sub;
			if ((f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) &&
			    *(const uint32_t *)(base + f->quantifier_offset) != f->id)
				continue;
			sub = *(ProtobufCMessage *const *)(base + f->offset);
			if (sub)
				walk_msg(w, sub);
		}
	}
}

static void add_restarget_names(struct pgw *w, PgQuery__Node *const *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (v[i]->node_case == PG_QUERY__NODE__NODE_RES_TARGET &&
		    nonempty(v[i]->res_target->name))
			sw_strv_push_unique(&w->st->columns, v[i]->res_target->name);
}

/* ---- handlers ---- */

static void on_rangevar(struct pgw *w, const PgQuery__RangeVar *rv)
{
	enum sw_lockmode lock = w->lock;
	if (!nonempty(rv->relname) || is_cte_ref(w, rv))
		return;
	for (size_t i = 0; i < w->n_lockcl; i++) {
		const PgQuery__Node *ln = w->lockcl[i];
		const PgQuery__LockingClause *lc;
		bool match = false;
		if (ln->node_case != PG_QUERY__NODE__NODE_LOCKING_CLAUSE)
			continue;
		lc = ln->locking_clause;
		if (lc->n_locked_rels == 0)
			match = true;
		for (size_t k = 0; k < lc->n_locked_rels && !match; k++) {
			const PgQuery__Node *r = lc->locked_rels[k];
			const char *nm;
			if (r->node_case != PG_QUERY__NODE__NODE_RANGE_VAR)
				continue;
			nm = r->range_var->relname;
			if (strcmp(nm, rv->relname) == 0 ||
			    (rv->alias && nonempty(rv->alias->aliasname) &&
			     strcmp(nm, rv->alias->aliasname) == 0))
				match = true;
		}
		if (match)
			lock = SW_LOCK_ROW_SHARE;
	}
	pgw_add_rangevar(w, rv, lock);
}

void pgw_function(struct pgw *w, PgQuery__Node *const *names, size_t n, bool sql_syntax)
{
	const char *base = NULL, *schema = NULL;
	char *display;
	const struct sw_pg_func *f;

	if (n == 0 || !(base = pgw_str(names[n - 1])))
		return;
	if (n >= 2)
		schema = pgw_str(names[n - 2]);
	/* EXTRACT(...), SUBSTRING(x FROM y), ...: the grammar adds pg_catalog. */
	display = sql_syntax ? sw_xstrdup(base) : pgw_join_names(names, n);
	sw_strv_push_unique(&w->st->functions, display);

	f = sw_pg_func_lookup(sql_syntax ? NULL : schema, base);
	if (f && (f->flags & PGF_DENY)) {
		w->st->traits |= SW_TRAIT_DANGEROUS_FUNCTION;
		if (f->flags & PGF_WRITE)
			w->write_func = true;   /* a denylisted writer is still a write (class) */
		if (f->flags & PGF_FILE)
			w->st->traits |= SW_TRAIT_FILE_ACCESS;
		if (f->flags & PGF_ESCALATE)
			w->st->traits |= SW_TRAIT_SESSION_ESCALATION;
		pgw_reason(w, "calls %s (denylisted: %s)", display, f->why);
	} else if (f && (f->flags & PGF_SENSITIVE)) {
		w->st->traits |= SW_TRAIT_SENSITIVE_CATALOG;
		pgw_reason(w, "calls %s (exposes %s)", display, f->why);
	} else if (f && (f->flags & PGF_RUNS_SQL)) {
		w->st->traits |= SW_TRAIT_RUNS_SQL;
		pgw_reason(w, "calls %s (%s: each statement it runs is judged at the execution checkpoint)", display,
			   f->why);
	} else if (f && (f->flags & PGF_WRITE)) {
		w->write_func = true;
		pgw_reason(w, "calls %s (%s: a write)", display, f->why);
	} else if (!f) {
		w->st->traits |= SW_TRAIT_UNKNOWN_FUNCTION;
		pgw_reason(w, "calls %s (not a known read-only builtin)", display);
	}
	free(display);
}

/* A string constant argument ('...'), or NULL. */
static const char *const_string(const PgQuery__Node *n)
{
	if (!n || n->node_case != PG_QUERY__NODE__NODE_A_CONST || !n->a_const ||
	    n->a_const->val_case != PG_QUERY__A__CONST__VAL_SVAL || !n->a_const->sval)
		return NULL;
	return n->a_const->sval->sval;
}

/*
 * set_config('name', 'value', is_local) with constant name and value is SET by
 * another spelling: judged by the same allowlist (pg_tools such as pg_dump and
 * pg_recvlogical run set_config('search_path', '', false) at connect). Any
 * other use (a computed name or value) stays denylisted. true when handled.
 */
static bool set_config_constant(struct pgw *w, const PgQuery__FuncCall *fc)
{
	const char *base, *schema = NULL, *name, *value;
	const char *esc;
	char why[512], *canon;

	if (fc->n_funcname == 0 || fc->n_args != 3 || fc->agg_star || fc->func_variadic || fc->over)
		return false;
	base = pgw_str(fc->funcname[fc->n_funcname - 1]);
	if (fc->n_funcname >= 2)
		schema = pgw_str(fc->funcname[fc->n_funcname - 2]);
	if (!base || strcmp(base, "set_config") != 0 || fc->n_funcname > 2 ||
	    (schema && strcmp(schema, "pg_catalog") != 0))
		return false;
	name = const_string(fc->args[0]);
	value = const_string(fc->args[1]);
	if (!name || !value)
		return false;
	canon = sw_pg_setting_canonical(name);
	sw_strv_push_unique(&w->st->functions, "set_config");
	sw_strv_push_unique(&w->st->settings, canon ? canon : name);
	if ((esc = sw_pg_setting_escalation(canon ? canon : name, value))) {
		w->st->traits |= SW_TRAIT_SESSION_ESCALATION;
		pgw_reason(w, "set_config: %s", esc);
	} else if (!sw_pg_setting_allowed(canon ? canon : name, value, NULL, why, sizeof(why))) {
		w->st->traits |= SW_TRAIT_UNSAFE_SETTING;
		pgw_reason(w, "set_config: %s", why);
	} else {
		pgw_reason(w, "set_config(%s) with constant arguments: judged like SET", canon ? canon : name);
	}
	free(canon);
	return true;
}

static bool target_has_star(PgQuery__Node *const *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const PgQuery__ResTarget *rt;
		const PgQuery__ColumnRef *cr;
		if (v[i]->node_case != PG_QUERY__NODE__NODE_RES_TARGET)
			continue;
		rt = v[i]->res_target;
		if (!rt->val || rt->val->node_case != PG_QUERY__NODE__NODE_COLUMN_REF)
			continue;
		cr = rt->val->column_ref;
		if (cr->n_fields && cr->fields[cr->n_fields - 1]->node_case == PG_QUERY__NODE__NODE_A_STAR)
			return true;
	}
	return false;
}

static void on_select(struct pgw *w, const PgQuery__SelectStmt *s)
{
	size_t saved = cte_enter(w, s->with_clause);
	PgQuery__Node *const *olock = w->lockcl;
	size_t on_lock = w->n_lockcl;

	if (target_has_star(s->target_list, s->n_target_list)) {
		w->st->traits |= SW_TRAIT_SELECT_STAR;
		pgw_reason(w, "SELECT * reads every column");
	}
	if (s->n_locking_clause) {
		if (!w->deferred && !w->plan_only) {
			w->st->traits |= SW_TRAIT_LOCKING_READ;
			pgw_reason(w, "SELECT ... FOR UPDATE/SHARE locks the rows it reads");
		}
		w->lockcl = s->locking_clause;
		w->n_lockcl = s->n_locking_clause;
	}
	pgw_walk_nodes(w, s->from_clause, s->n_from_clause);
	/* Row locks apply to the FROM items only. */
	w->lockcl = NULL;
	w->n_lockcl = 0;
	/* with_clause 16, from_clause 4, locking_clause 15, into_clause 2 */
	walk_fields(w, &s->base, BIT(16) | BIT(4) | BIT(15) | BIT(2));
	w->lockcl = olock;
	w->n_lockcl = on_lock;
	cte_leave(w, saved);
}

static void on_dml(struct pgw *w, const ProtobufCMessage *m, const char *verb,
		   const PgQuery__RangeVar *rel, const PgQuery__WithClause *with,
		   unsigned with_id, bool checks_where, const PgQuery__Node *where)
{
	size_t saved = cte_enter(w, with);
	bool nested = m != w->top_dml;
	char *name = rel ? pgw_rangevar_name(rel) : sw_xstrdup("?");

	if (rel)
		pgw_add_rangevar(w, rel, w->deferred ? w->lock : SW_LOCK_ROW_EXCLUSIVE);
	if (!w->deferred) {
		w->dml_seen = true;
		if (nested)
			w->nested_dml = true;
	}
	if (!w->deferred && !w->plan_only) {
		if (nested) {
			w->st->traits |= SW_TRAIT_WRITABLE_CTE;
			pgw_reason(w, "writable CTE: %s on %s", verb, name);
		}
		if (checks_where && !where) {
			w->st->traits |= SW_TRAIT_DESTRUCTIVE | SW_TRAIT_NO_WHERE;
			pgw_reason(w, "%s without WHERE on %s", verb, name);
		}
	}
	free(name);
	/* relation is field 1 in every DML message */
	walk_fields(w, m, BIT(1) | BIT(with_id));
	cte_leave(w, saved);
}

static void walk_msg(struct pgw *w, const ProtobufCMessage *m)
{
	if (++w->depth > PGW_MAX_DEPTH) {
		w->too_deep = true;
		w->depth--;
		return;
	}
	if (IS(m, node)) {
		const ProtobufCMessage *child = node_child(m);
		if (child)
			walk_msg(w, child);
	} else if (IS(m, range_var)) {
		on_rangevar(w, (const PgQuery__RangeVar *)m);
	} else if (IS(m, func_call)) {
		const PgQuery__FuncCall *fc = (const PgQuery__FuncCall *)m;
		if (!set_config_constant(w, fc))
			pgw_function(w, fc->funcname, fc->n_funcname,
				     fc->funcformat == PG_QUERY__COERCION_FORM__COERCE_SQL_SYNTAX);
		walk_fields(w, m, BIT(1));
	} else if (IS(m, param_ref)) {
		if (!w->in_prepare) {
			w->st->traits |= SW_TRAIT_PARAMETERIZED;
			pgw_reason(w, "%s", SW_REASON_PARAMETERIZED);
		}
	} else if (IS(m, column_ref)) {
		const PgQuery__ColumnRef *cr = (const PgQuery__ColumnRef *)m;
		const char *c = cr->n_fields ? pgw_str(cr->fields[cr->n_fields - 1]) : NULL;
		if (c)
			sw_strv_push_unique(&w->st->columns, c);
	} else if (IS(m, select_stmt)) {
		on_select(w, (const PgQuery__SelectStmt *)m);
	} else if (IS(m, insert_stmt)) {
		const PgQuery__InsertStmt *s = (const PgQuery__InsertStmt *)m;
		add_restarget_names(w, s->cols, s->n_cols);
		on_dml(w, m, "INSERT", s->relation, s->with_clause, 6, false, NULL);
	} else if (IS(m, update_stmt)) {
		const PgQuery__UpdateStmt *s = (const PgQuery__UpdateStmt *)m;
		add_restarget_names(w, s->target_list, s->n_target_list);
		on_dml(w, m, "UPDATE", s->relation, s->with_clause, 6, true, s->where_clause);
	} else if (IS(m, delete_stmt)) {
		const PgQuery__DeleteStmt *s = (const PgQuery__DeleteStmt *)m;
		on_dml(w, m, "DELETE", s->relation, s->with_clause, 5, true, s->where_clause);
	} else if (IS(m, merge_stmt)) {
		const PgQuery__MergeStmt *s = (const PgQuery__MergeStmt *)m;
		on_dml(w, m, "MERGE", s->relation, s->with_clause, 5, false, NULL);
	} else if (IS(m, on_conflict_clause)) {
		const PgQuery__OnConflictClause *c = (const PgQuery__OnConflictClause *)m;
		add_restarget_names(w, c->target_list, c->n_target_list);
		walk_fields(w, m, 0);
	} else if (IS(m, merge_when_clause)) {
		const PgQuery__MergeWhenClause *c = (const PgQuery__MergeWhenClause *)m;
		add_restarget_names(w, c->target_list, c->n_target_list);
		walk_fields(w, m, 0);
	} else if (IS(m, locking_clause)) {
		/* locked_rels name FROM items (often aliases), not relations. */
	} else if (IS(m, with_clause)) {
		/* Only reached outside a statement handler: scope ends here. */
		size_t saved = cte_enter(w, (const PgQuery__WithClause *)m);
		cte_leave(w, saved);
	} else {
		walk_fields(w, m, 0);
	}
	w->depth--;
}

bool pgw_any(const ProtobufCMessage *m, pgw_pred pred, void *arg)
{
	const ProtobufCMessageDescriptor *d;
	const char *base;

	if (!m)
		return false;
	if (pred(m, arg))
		return true;
	if (IS(m, node))
		return pgw_any(node_child(m), pred, arg);
	d = m->descriptor;
	base = (const char *)m;
	for (unsigned i = 0; i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *f = &d->fields[i];
		if (f->type != PROTOBUF_C_TYPE_MESSAGE)
			continue;
		if (f->label == PROTOBUF_C_LABEL_REPEATED) {
			size_t n = *(const size_t *)(base + f->quantifier_offset);
			ProtobufCMessage *const *v = *(ProtobufCMessage *const *const *)(base + f->offset);
			for (size_t k = 0; k < n; k++)
				if (pgw_any(v[k], pred, arg))
					return true;
		} else {
			if ((f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) &&
			    *(const uint32_t *)(base + f->quantifier_offset) != f->id)
				continue;
			if (pgw_any(*(ProtobufCMessage *const *)(base + f->offset), pred, arg))
				return true;
		}
	}
	return false;
}

static bool volatile_pred(const ProtobufCMessage *m, void *arg)
{
	(void)arg;
	if (IS(m, sub_link))
		return true;
	if (IS(m, func_call)) {
		const PgQuery__FuncCall *fc = (const PgQuery__FuncCall *)m;
		const char *base = fc->n_funcname ? pgw_str(fc->funcname[fc->n_funcname - 1]) : NULL;
		const char *schema = fc->n_funcname >= 2 ? pgw_str(fc->funcname[fc->n_funcname - 2]) : NULL;
		const struct sw_pg_func *f;
		if (fc->funcformat == PG_QUERY__COERCION_FORM__COERCE_SQL_SYNTAX)
			schema = NULL;
		f = sw_pg_func_lookup(schema, base);
		if (f && (f->flags & (PGF_VOLATILE | PGF_DENY)))
			return true;
		/* Built-ins: pg_proc.provolatile as generated from a real catalog
		 * (pg_catalog_data.c, the most volatile overload of the name). */
		if (base && (!schema || strcmp(schema, "pg_catalog") == 0)) {
			char vol = sw_pg_proc_volatility(base);
			if (vol)
				return vol == 'v';
		}
		/* Unknown functions count as volatile: fail closed. */
		return !f;
	}
	return false;
}

bool pgw_expr_volatile(const PgQuery__Node *n)
{
	return n && pgw_any(&n->base, volatile_pred, NULL);
}

void pgw_walk(struct pgw *w, const ProtobufCMessage *m)
{
	if (m)
		walk_msg(w, m);
}

void pgw_walk_node(struct pgw *w, const PgQuery__Node *n)
{
	if (n)
		walk_msg(w, &n->base);
}

void pgw_walk_nodes(struct pgw *w, PgQuery__Node *const *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		pgw_walk_node(w, v[i]);
}
