/*
 * Per-session registry of SQL-level prepared statements (see prepared.h).
 *
 * A chained hash table keyed by (pid, name). Names are stored as the parser
 * produced them (unquoted identifiers are already case-folded), so
 * `PREPARE Foo` and `EXECUTE FOO` meet at "foo".
 *
 * sw_prepared_resolve() also honours PREPARE and DEALLOCATE statements that
 * come earlier in the same analysis ("PREPARE p AS ...; EXECUTE p" in one
 * string), without changing the registry; sw_prepared_commit() records
 * them once the string was allowed to run.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "pg_classify.h"
#include "prepared.h"
#include "util.h"

#define NBUCKETS 256

struct entry {
	int pid;
	char *name;
	struct sw_stmt st;
	struct entry *next;
};

struct sw_prepared {
	struct entry *bucket[NBUCKETS];
};

static unsigned hash(int pid, const char *name)
{
	uint32_t h = 2166136261u;
	for (unsigned i = 0; i < sizeof(pid); i++) {
		h ^= (uint32_t)((unsigned)pid >> (8 * i)) & 0xffu;
		h *= 16777619u;
	}
	for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
		h ^= *p;
		h *= 16777619u;
	}
	return h % NBUCKETS;
}

static void entry_free(struct entry *e)
{
	free(e->name);
	sw_stmt_free(&e->st);
	free(e);
}

struct sw_prepared *sw_prepared_new(void)
{
	return sw_xcalloc(1, sizeof(struct sw_prepared));
}

void sw_prepared_free(struct sw_prepared *p)
{
	if (!p)
		return;
	for (unsigned b = 0; b < NBUCKETS; b++) {
		struct entry *e = p->bucket[b];
		while (e) {
			struct entry *next = e->next;
			entry_free(e);
			e = next;
		}
	}
	free(p);
}

static struct entry **find_slot(struct sw_prepared *p, int pid, const char *name)
{
	struct entry **pe = &p->bucket[hash(pid, name)];
	while (*pe && !((*pe)->pid == pid && strcmp((*pe)->name, name) == 0))
		pe = &(*pe)->next;
	return pe;
}

void sw_prepared_remember(struct sw_prepared *p, int pid, const struct sw_stmt *st)
{
	struct entry **pe, *e;
	if (!p || !st || !st->prepare_name)
		return;
	pe = find_slot(p, pid, st->prepare_name);
	if (*pe) {
		/* PostgreSQL would refuse a duplicate name; keep the newest. */
		sw_stmt_free(&(*pe)->st);
		sw_stmt_copy(&(*pe)->st, st);
		return;
	}
	e = sw_xcalloc(1, sizeof(*e));
	e->pid = pid;
	e->name = sw_xstrdup(st->prepare_name);
	sw_stmt_copy(&e->st, st);
	e->next = NULL;
	*pe = e;
}

void sw_prepared_forget(struct sw_prepared *p, int pid, const char *name)
{
	if (!p)
		return;
	if (name) {
		struct entry **pe = find_slot(p, pid, name);
		if (*pe) {
			struct entry *e = *pe;
			*pe = e->next;
			entry_free(e);
		}
		return;
	}
	for (unsigned b = 0; b < NBUCKETS; b++) {
		struct entry **pe = &p->bucket[b];
		while (*pe) {
			if ((*pe)->pid == pid) {
				struct entry *e = *pe;
				*pe = e->next;
				entry_free(e);
			} else {
				pe = &(*pe)->next;
			}
		}
	}
}

void sw_prepared_drop_session(struct sw_prepared *p, int pid)
{
	sw_prepared_forget(p, pid, NULL);
}

const struct sw_stmt *sw_prepared_lookup(const struct sw_prepared *p, int pid, const char *name)
{
	const struct entry *e;
	if (!p || !name)
		return NULL;
	for (e = p->bucket[hash(pid, name)]; e; e = e->next)
		if (e->pid == pid && strcmp(e->name, name) == 0)
			return &e->st;
	return NULL;
}

/* ---- resolution ---- */

/* What earlier statements of the same analysis did to the namespace. */
struct overlay_item {
	const char *name;          /* NULL: DEALLOCATE ALL / DISCARD ALL */
	const struct sw_stmt *st;  /* NULL: deallocated */
};

struct overlay {
	struct overlay_item *v;
	size_t n;
};

static void overlay_push(struct overlay *o, const char *name, const struct sw_stmt *st)
{
	o->v = sw_xrealloc(o->v, (o->n + 1) * sizeof(*o->v));
	o->v[o->n].name = name;
	o->v[o->n].st = st;
	o->n++;
}

/* Returns true when the overlay decides (*out may then be NULL). */
static bool overlay_find(const struct overlay *o, const char *name, const struct sw_stmt **out)
{
	for (size_t i = o->n; i-- > 0;) {
		if (!o->v[i].name || strcmp(o->v[i].name, name) == 0) {
			*out = o->v[i].name ? o->v[i].st : NULL;
			return true;
		}
	}
	return false;
}

static bool is_cmd(const struct sw_stmt *st, const char *tag)
{
	return st->command && strcmp(st->command, tag) == 0;
}

static void resolved(struct sw_stmt *dst, const struct sw_stmt *prep)
{
	struct sw_stmt n;

	sw_stmt_copy(&n, prep);
	free(n.text);
	n.text = sw_xstrdup(dst->text ? dst->text : "");
	free(n.command);
	n.command = sw_xstrdup(dst->command ? dst->command : "EXECUTE");
	free(n.prepare_name);
	n.prepare_name = NULL;
	n.execute_name = sw_xstrdup(dst->execute_name);
	free(n.prepared_text);
	n.prepared_text = sw_xstrdup(prep->text ? prep->text : "");
	/* EXECUTE itself is unknown; CREATE TABLE AS EXECUTE keeps its own class. */
	n.cls = dst->cls == SW_CLASS_UNKNOWN ? prep->cls : dst->cls;
	n.traits = prep->traits | dst->traits | SW_TRAIT_PREPARED;
	n.rewrites_table = prep->rewrites_table || dst->rewrites_table;
	for (size_t i = 0; i < dst->n_objects; i++)
		sw_stmt_add_object(&n, dst->objects[i].name, dst->objects[i].lock);
	for (size_t i = 0; i < dst->functions.n; i++)
		sw_strv_push_unique(&n.functions, dst->functions.v[i]);
	for (size_t i = 0; i < dst->columns.n; i++)
		sw_strv_push_unique(&n.columns, dst->columns.v[i]);
	for (size_t i = 0; i < dst->reasons.n; i++)
		sw_strv_push_unique(&n.reasons, dst->reasons.v[i]);
	{
		char *r = sw_xasprintf("EXECUTE %s runs: %s", dst->execute_name, prep->text ? prep->text : "");
		sw_strv_push_unique(&n.reasons, r);
		free(r);
	}
	sw_stmt_free(dst);
	*dst = n;
}

static void unresolved(struct sw_stmt *dst)
{
	char *r = sw_xasprintf("EXECUTE %s: this session never prepared it (as far as sqlward saw)",
			       dst->execute_name);
	dst->cls = SW_CLASS_UNKNOWN;
	dst->traits |= SW_TRAIT_UNRESOLVED;
	sw_strv_push_unique(&dst->reasons, r);
	free(r);
}

void sw_prepared_resolve(const struct sw_prepared *p, int pid, struct sw_analysis *a)
{
	struct overlay o = { 0 };

	for (size_t i = 0; i < a->n_stmts; i++) {
		struct sw_stmt *st = &a->stmts[i];
		if (st->prepare_name) {
			overlay_push(&o, st->prepare_name, st);
		} else if (st->execute_name) {
			const struct sw_stmt *prep = NULL;
			if (!overlay_find(&o, st->execute_name, &prep))
				prep = sw_prepared_lookup(p, pid, st->execute_name);
			if (prep)
				resolved(st, prep);
			else
				unresolved(st);
		} else if (is_cmd(st, "DEALLOCATE ALL") || is_cmd(st, "DISCARD ALL")) {
			overlay_push(&o, NULL, NULL);
		}
		/*
		 * DEALLOCATE name is rare inside one string; ignoring it here
		 * only keeps a later EXECUTE of that name resolvable, which the
		 * server would reject anyway.
		 */
	}
	free(o.v);
}

void sw_prepared_commit(struct sw_prepared *p, int pid, const struct sw_analysis *a)
{
	if (!p || !a)
		return;
	for (size_t i = 0; i < a->n_stmts; i++) {
		const struct sw_stmt *st = &a->stmts[i];
		if (st->prepare_name) {
			sw_prepared_remember(p, pid, st);
		} else if (is_cmd(st, "DEALLOCATE ALL") || is_cmd(st, "DISCARD ALL")) {
			sw_prepared_forget(p, pid, NULL);
		} else if (is_cmd(st, "DEALLOCATE")) {
			char *name = NULL;
			if (sw_pg_deallocate_target(st->text, &name))
				sw_prepared_forget(p, pid, name); /* NULL name: ALL */
			free(name);
		}
	}
}
