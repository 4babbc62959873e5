/* JSON views of classified statements (see statement_json.h). */
#include "statement_json.h"
#include "impact_json.h"
#include "read_facts.h"

static json_t *strv_json(const struct sw_strv *sv)
{
	json_t *a = json_array();

	for (size_t i = 0; i < sv->n; i++)
		json_array_append_new(a, sw_json_text(sv->v[i]));
	return a;
}

json_t *sw_traits_json(unsigned traits)
{
	json_t *a = json_array();

	for (unsigned i = 0; i < SW_TRAIT__COUNT; i++)
		if (traits & (1u << i))
			json_array_append_new(a, json_string(sw_trait_name(i)));
	return a;
}

/*
 * "reads": {"columns": [{"relation", "column", "candidates"?, "expanded"?}], "scans": [{"relation",
 * "eq"?}], "limit": n|null, "limit_known"?: false, "limit_param"?, "recursive_unbounded"?,
 * "truncated"?}; the optional keys only when they say something.
 */
static json_t *reads_json(const struct sw_read_facts *f)
{
	json_t *o = json_object(), *cols = json_array(), *scans = json_array();

	for (size_t i = 0; i < f->n_cols; i++) {
		const struct sw_col_ref *c = &f->cols[i];
		json_t *cj = json_object();
		json_object_set_new(cj, "relation", c->relation ? sw_json_text(c->relation) : json_null());
		json_object_set_new(cj, "column", sw_json_text(c->column));
		if (c->candidates.n)
			json_object_set_new(cj, "candidates", strv_json(&c->candidates));
		if (c->expanded.n)
			json_object_set_new(cj, "expanded", strv_json(&c->expanded));
		json_array_append_new(cols, cj);
	}
	for (size_t i = 0; i < f->n_scans; i++) {
		const struct sw_scan *s = &f->scans[i];
		json_t *sj = json_object();
		json_object_set_new(sj, "relation", sw_json_text(s->relation));
		if (s->eq_columns.n)
			json_object_set_new(sj, "eq", strv_json(&s->eq_columns));
		if (s->range_columns.n)
			json_object_set_new(sj, "range", strv_json(&s->range_columns));
		json_array_append_new(scans, sj);
	}
	json_object_set_new(o, "columns", cols);
	json_object_set_new(o, "scans", scans);
	json_object_set_new(o, "limit", f->limit_known && f->limit >= 0 ? json_integer(f->limit) : json_null());
	if (!f->limit_known)
		json_object_set_new(o, "limit_known", json_false());
	if (f->limit_param)
		json_object_set_new(o, "limit_param", json_true());
	if (f->recursive_unbounded)
		json_object_set_new(o, "recursive_unbounded", json_true());
	if (f->truncated)
		json_object_set_new(o, "truncated", json_true());
	return o;
}

json_t *sw_stmt_json(const struct sw_stmt *st)
{
	json_t *o = json_object();
	json_t *objects = json_array();
	json_t *locks = json_object();

	for (size_t i = 0; i < st->n_objects; i++) {
		const struct sw_object *ob = &st->objects[i];
		json_t *name = sw_json_text(ob->name);

		json_array_append(objects, name);
		/* Key by the (possibly U+FFFD-repaired) name so objects and locks agree. */
		if (ob->lock != SW_LOCK_NONE && json_is_string(name))
			json_object_setn_new(locks, json_string_value(name), json_string_length(name),
					     json_string(sw_lock_name(ob->lock)));
		json_decref(name);
	}

	json_object_set_new(o, "class", json_string(sw_class_name(st->cls)));
	json_object_set_new(o, "command", sw_json_text(st->command));
	json_object_set_new(o, "objects", objects);
	json_object_set_new(o, "locks", locks);
	json_object_set_new(o, "functions", strv_json(&st->functions));
	json_object_set_new(o, "columns", strv_json(&st->columns));
	json_object_set_new(o, "traits", sw_traits_json(st->traits));
	json_object_set_new(o, "rewrites_table", json_boolean(st->rewrites_table));
	json_object_set_new(o, "reasons", strv_json(&st->reasons));
	if (st->settings.n)
		json_object_set_new(o, "settings", strv_json(&st->settings));
	if (st->prepare_name)
		json_object_set_new(o, "prepare_name", sw_json_text(st->prepare_name));
	if (st->execute_name)
		json_object_set_new(o, "execute_name", sw_json_text(st->execute_name));
	if (st->reads)
		json_object_set_new(o, "reads", reads_json(st->reads));
	sw_impact_json_add(o, st);  /* impact_json.c */
	return o;
}
