/* Freeing and copying live facts (live_facts.h). */
#include <stdlib.h>
#include <string.h>
#include "live_facts.h"
#include "util.h"

static char *dup0(const char *s)
{
	return s ? sw_xstrdup(s) : NULL;
}

void sw_live_free(struct sw_live *lv)
{
	if (!lv)
		return;
	for (size_t i = 0; i < lv->n_rels; i++) {
		free(lv->rels[i].name);
		free(lv->rels[i].blocker_mode);
	}
	free(lv->rels);
	free(lv->error);
	free(lv->null_column);
	free(lv->old_type);
	free(lv);
}

struct sw_live *sw_live_dup(const struct sw_live *lv)
{
	struct sw_live *d;
	if (!lv)
		return NULL;
	d = sw_xcalloc(1, sizeof(*d));
	*d = *lv;
	d->error = dup0(lv->error);
	d->null_column = dup0(lv->null_column);
	d->old_type = dup0(lv->old_type);
	d->rels = lv->n_rels ? sw_xcalloc(lv->n_rels, sizeof(*d->rels)) : NULL;
	for (size_t i = 0; i < lv->n_rels; i++) {
		d->rels[i] = lv->rels[i];
		d->rels[i].name = dup0(lv->rels[i].name);
		d->rels[i].blocker_mode = dup0(lv->rels[i].blocker_mode);
	}
	return d;
}

const struct sw_fact sw_fact_unknown = { SW_FACT_UNKNOWN, 0 };

struct sw_fact sw_fact_known(double v)
{
	return (struct sw_fact){ SW_FACT_KNOWN, v };
}

struct sw_live_rel *sw_live_add_rel(struct sw_live *lv, const char *name, int lockmode)
{
	struct sw_live_rel *r;

	lv->rels = sw_xrealloc(lv->rels, (lv->n_rels + 1) * sizeof(*lv->rels));
	r = &lv->rels[lv->n_rels++];
	memset(r, 0, sizeof(*r));
	r->name = sw_xstrdup(name);
	r->lockmode = lockmode;
	r->bytes = r->rows = r->blocker_age_s = sw_fact_unknown;
	return r;
}

bool sw_live_created_in(char *const *created, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(created[i], name) == 0)
			return true;
	return false;
}

struct sw_live_rel *sw_live_rel_add(struct sw_live *lv, const char *name, int lockmode, char *const *created,
				    size_t n)
{
	struct sw_live_rel *r = sw_live_add_rel(lv, name, lockmode);

	if (sw_live_created_in(created, n, name)) {
		r->created_here = true;
		r->bytes = r->rows = r->blocker_age_s = sw_fact_known(0);
	}
	return r;
}
