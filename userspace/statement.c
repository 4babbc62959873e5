/* Names, string vectors and lifetimes for the engine-neutral statement model. */
#include <stdlib.h>
#include <string.h>
#include "read_facts.h"
#include "statement.h"
#include "util.h"

static const char *const class_names[SW_CLASS__COUNT] = {
	"read", "write", "ddl", "privilege", "transaction",
	"session", "procedural", "utility", "unknown",
	"replication", "two_phase",
};

static const char *const trait_names[SW_TRAIT__COUNT] = {
	"destructive", "file_access", "session_escalation", "dangerous_function",
	"unknown_function", "writable_cte", "executes", "select_into",
	"multi_statement", "select_star", "no_limit", "no_where",
	"opaque_code", "prepared", "unresolved", "locking_read",
	"unsafe_setting", "sensitive_catalog", "fastpath", "parameterized",
	"runs_sql",
};

const char *sw_engine_name(enum sw_engine e)
{
	return e == SW_ENGINE_MYSQL ? "mysql" : "postgres";
}

const char *sw_class_name(enum sw_class c)
{
	return (unsigned)c < SW_CLASS__COUNT ? class_names[c] : "unknown";
}

bool sw_class_parse(const char *name, enum sw_class *out)
{
	for (unsigned i = 0; i < SW_CLASS__COUNT; i++)
		if (strcmp(name, class_names[i]) == 0) {
			*out = (enum sw_class)i;
			return true;
		}
	return false;
}

const char *sw_trait_name(unsigned bit_index)
{
	return bit_index < SW_TRAIT__COUNT ? trait_names[bit_index] : "?";
}

unsigned sw_trait_parse(const char *name)
{
	for (unsigned i = 0; i < SW_TRAIT__COUNT; i++)
		if (strcmp(name, trait_names[i]) == 0)
			return 1u << i;
	return 0;
}

void sw_strv_push(struct sw_strv *sv, const char *s)
{
	if (sv->n == sv->cap) {
		sv->cap = sv->cap ? sv->cap * 2 : 4;
		sv->v = sw_xrealloc(sv->v, sv->cap * sizeof(*sv->v));
	}
	sv->v[sv->n++] = sw_xstrdup(s);
}

bool sw_strv_contains(const struct sw_strv *sv, const char *s)
{
	for (size_t i = 0; i < sv->n; i++)
		if (strcmp(sv->v[i], s) == 0)
			return true;
	return false;
}

void sw_strv_push_unique(struct sw_strv *sv, const char *s)
{
	if (!sw_strv_contains(sv, s))
		sw_strv_push(sv, s);
}

void sw_strv_free(struct sw_strv *sv)
{
	for (size_t i = 0; i < sv->n; i++)
		free(sv->v[i]);
	free(sv->v);
	memset(sv, 0, sizeof(*sv));
}

void sw_strv_copy(struct sw_strv *dst, const struct sw_strv *src)
{
	memset(dst, 0, sizeof(*dst));
	for (size_t i = 0; i < src->n; i++)
		sw_strv_push(dst, src->v[i]);
}

void sw_stmt_add_object(struct sw_stmt *st, const char *name, enum sw_lockmode lock)
{
	for (size_t i = 0; i < st->n_objects; i++)
		if (strcmp(st->objects[i].name, name) == 0) {
			st->objects[i].lock = sw_lock_stronger(st->objects[i].lock, lock);
			return;
		}
	st->objects = sw_xrealloc(st->objects, (st->n_objects + 1) * sizeof(*st->objects));
	st->objects[st->n_objects].name = sw_xstrdup(name);
	st->objects[st->n_objects].lock = lock;
	st->n_objects++;
}

void sw_stmt_free(struct sw_stmt *st)
{
	free(st->text);
	free(st->command);
	for (size_t i = 0; i < st->n_objects; i++)
		free(st->objects[i].name);
	free(st->objects);
	sw_strv_free(&st->functions);
	sw_strv_free(&st->columns);
	sw_strv_free(&st->reasons);
	sw_strv_free(&st->settings);
	free(st->prepare_name);
	free(st->execute_name);
	free(st->prepared_text);
	if (st->impact)
		st->impact_ops->free(st->impact);
	sw_read_facts_free(st->reads);
	memset(st, 0, sizeof(*st));
}

void sw_stmt_copy(struct sw_stmt *dst, const struct sw_stmt *src)
{
	memset(dst, 0, sizeof(*dst));
	dst->text = src->text ? sw_xstrdup(src->text) : NULL;
	dst->cls = src->cls;
	dst->command = src->command ? sw_xstrdup(src->command) : NULL;
	for (size_t i = 0; i < src->n_objects; i++)
		sw_stmt_add_object(dst, src->objects[i].name, src->objects[i].lock);
	sw_strv_copy(&dst->functions, &src->functions);
	sw_strv_copy(&dst->columns, &src->columns);
	dst->traits = src->traits;
	dst->rewrites_table = src->rewrites_table;
	sw_strv_copy(&dst->reasons, &src->reasons);
	sw_strv_copy(&dst->settings, &src->settings);
	dst->prepare_name = src->prepare_name ? sw_xstrdup(src->prepare_name) : NULL;
	dst->execute_name = src->execute_name ? sw_xstrdup(src->execute_name) : NULL;
	dst->prepared_text = src->prepared_text ? sw_xstrdup(src->prepared_text) : NULL;
	if (src->impact) {
		dst->impact = src->impact_ops->dup(src->impact);
		dst->impact_ops = src->impact_ops;
	}
	dst->reads = sw_read_facts_dup(src->reads);
}

/* ---- read facts (read_facts.h): part of the statement model ---- */

static char *dup0(const char *s)
{
	return s ? sw_xstrdup(s) : NULL;
}

void sw_read_facts_free(struct sw_read_facts *f)
{
	if (!f)
		return;
	for (size_t i = 0; i < f->n_cols; i++) {
		free(f->cols[i].relation);
		free(f->cols[i].column);
		sw_strv_free(&f->cols[i].candidates);
		sw_strv_free(&f->cols[i].expanded);
	}
	free(f->cols);
	for (size_t i = 0; i < f->n_scans; i++) {
		free(f->scans[i].relation);
		sw_strv_free(&f->scans[i].eq_columns);
		sw_strv_free(&f->scans[i].range_columns);
	}
	free(f->scans);
	free(f);
}

struct sw_read_facts *sw_read_facts_dup(const struct sw_read_facts *f)
{
	struct sw_read_facts *d;

	if (!f)
		return NULL;
	d = sw_xcalloc(1, sizeof(*d));
	*d = *f;
	d->cols = f->n_cols ? sw_xcalloc(f->n_cols, sizeof(*d->cols)) : NULL;
	for (size_t i = 0; i < f->n_cols; i++) {
		d->cols[i].relation = dup0(f->cols[i].relation);
		d->cols[i].column = dup0(f->cols[i].column);
		sw_strv_copy(&d->cols[i].candidates, &f->cols[i].candidates);
		sw_strv_copy(&d->cols[i].expanded, &f->cols[i].expanded);
	}
	d->scans = f->n_scans ? sw_xcalloc(f->n_scans, sizeof(*d->scans)) : NULL;
	for (size_t i = 0; i < f->n_scans; i++) {
		d->scans[i].relation = dup0(f->scans[i].relation);
		sw_strv_copy(&d->scans[i].eq_columns, &f->scans[i].eq_columns);
		sw_strv_copy(&d->scans[i].range_columns, &f->scans[i].range_columns);
	}
	return d;
}



void sw_analysis_free(struct sw_analysis *a)
{
	if (a->borrowed) {
		/* Only the text is the analysis' own; the rest goes back to its slot. */
		free(a->stmts[0].text);
		(*a->borrowed)--;
		free(a->stmts);
		free(a->error);
		memset(a, 0, sizeof(*a));
		return;
	}
	for (size_t i = 0; i < a->n_stmts; i++)
		sw_stmt_free(&a->stmts[i]);
	free(a->stmts);
	free(a->error);
	memset(a, 0, sizeof(*a));
}

void sw_analysis_own(struct sw_analysis *a)
{
	struct sw_stmt own;
	char *text;

	if (!a->borrowed)
		return;
	text = a->stmts[0].text;
	a->stmts[0].text = NULL;
	sw_stmt_copy(&own, &a->stmts[0]);
	own.text = text;
	a->stmts[0] = own;
	(*a->borrowed)--;
	a->borrowed = NULL;
	a->memo = NULL;
}

void sw_read_facts_add_col(struct sw_read_facts *f, const char *relation, const char *column,
			   const struct sw_strv *candidates)
{
	struct sw_col_ref *c;

	f->cols = sw_xrealloc(f->cols, (f->n_cols + 1) * sizeof(*f->cols));
	c = &f->cols[f->n_cols++];
	memset(c, 0, sizeof(*c));
	c->relation = dup0(relation);
	c->column = sw_xstrdup(column);
	if (candidates)
		sw_strv_copy(&c->candidates, candidates);
}

struct sw_scan *sw_read_facts_add_scan(struct sw_read_facts *f, const char *relation)
{
	struct sw_scan *s;

	f->scans = sw_xrealloc(f->scans, (f->n_scans + 1) * sizeof(*f->scans));
	s = &f->scans[f->n_scans++];
	memset(s, 0, sizeof(*s));
	s->relation = sw_xstrdup(relation);
	return s;
}
