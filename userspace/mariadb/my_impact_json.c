/* JSON view of a MariaDB statement's impact (my_impact_json.h). */
#include "impact.h"
#include "json_text.h"
#include "my_impact.h"
#include "my_impact_json.h"

static json_t *text_or_null(const char *s)
{
	return s ? sw_json_text(s) : json_null();
}

static json_t *mode_or_null(enum sw_lockmode m)
{
	return m != SW_LOCK_NONE ? json_string(sw_lock_name(m)) : json_null();
}

static json_t *item_json(const struct sw_my_alter_item *it)
{
	json_t *o = json_object();
	json_object_set_new(o, "operation", json_string(sw_my_op_name(it->op)));
	json_object_set_new(o, "name", text_or_null(it->name));
	if (it->new_name)
		json_object_set_new(o, "new_name", sw_json_text(it->new_name));
	json_object_set_new(o, "algorithm", json_string(sw_my_algorithm_name(it->algorithm)));
	json_object_set_new(o, "lock", json_string(sw_my_alter_lock_name(it->min_lock)));
	json_object_set_new(o, "rebuild", json_boolean(it->rebuild));
	json_object_set_new(o, "scan", json_boolean(it->scan));
	json_object_set_new(o, "certain", json_boolean(it->certain));
	json_object_set_new(o, "why", text_or_null(it->why));
	return o;
}

void sw_my_impact_json_add(json_t *o, const struct sw_stmt *st)
{
	const struct sw_my_ddl *d = sw_my_ddl_of(st);
	json_t *ls = json_object_get(o, "lock_set"), *e, *ops, *od;
	size_t i;

	if (!st->impact)
		return;
	json_array_foreach(ls, i, e) {
		enum sw_lockmode m = sw_lock_parse(json_string_value(json_object_get(e, "mode")));
		if (!sw_lock_is_mdl(m))
			continue;
		json_object_set_new(e, "blocks_reads", json_boolean(sw_mdl_blocks_reads(m)));
		json_object_set_new(e, "blocks_writes", json_boolean(sw_mdl_blocks_writes(m)));
	}
	if (sw_lock_is_mdl(st->impact->strongest))
		json_object_set_new(o, "blocks", json_string(sw_mdl_blocks_text(st->impact->strongest)));
	if (!d)
		return;
	json_object_set_new(o, "algorithm", json_string(sw_my_algorithm_name(d->algorithm)));
	json_object_set_new(o, "lock_clause", json_string(sw_my_alter_lock_name(d->lock)));
	od = json_object();
	json_object_set_new(od, "table", sw_json_text(d->table));
	json_object_set_new(od, "summary", text_or_null(d->summary));
	json_object_set_new(od, "algorithm", json_string(sw_my_algorithm_name(d->algorithm)));
	json_object_set_new(od, "lock", json_string(sw_my_alter_lock_name(d->lock)));
	json_object_set_new(od, "requested_algorithm", d->requested_algorithm ?
			    json_string(sw_my_algorithm_name(d->requested_algorithm)) : json_null());
	json_object_set_new(od, "requested_lock", d->requested_lock ?
			    json_string(sw_my_alter_lock_name(d->requested_lock)) : json_null());
	json_object_set_new(od, "refused", text_or_null(d->refusal));
	json_object_set_new(od, "mdl_held", mode_or_null(d->mdl_held));
	json_object_set_new(od, "mdl_brief", mode_or_null(d->mdl_brief));
	json_object_set_new(od, "rebuild", json_boolean(d->rebuild));
	json_object_set_new(od, "scan", json_boolean(d->scan));
	json_object_set_new(od, "certain", json_boolean(d->certain));
	json_object_set_new(od, "foreign_key_checks", json_boolean(!d->fk_checks_off));
	ops = json_array();
	for (i = 0; i < d->n_items; i++)
		json_array_append_new(ops, item_json(&d->items[i]));
	json_object_set_new(od, "operations", ops);
	json_object_set_new(o, "online_ddl", od);
}
