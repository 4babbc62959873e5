/*
 * JSON view of a statement's impact (impact.h), added to every statement
 * object by sw_stmt_json(): lock_set, strongest_lock, blocks, rewrite, scan,
 * transaction_block, reversibility, rollback, safer.
 */
#include <jansson.h>
#include "impact.h"
#include "impact_json.h"
#include "live_context.h"
#include "json_text.h"

json_t *sw_lock_entry_json(const struct sw_lock_entry *e)
{
	json_t *o = json_object();
	if (e->via == SW_VIA_NAMED)
		json_object_set_new(o, "relation", sw_json_text(e->object));
	else
		json_object_set_new(o, "relation", json_null());
	json_object_set_new(o, "via", json_string(sw_via_name(e->via)));
	if (e->via != SW_VIA_NAMED)
		json_object_set_new(o, "of", sw_json_text(e->object));
	if (e->detail)
		json_object_set_new(o, "constraint", sw_json_text(e->detail));
	json_object_set_new(o, "mode", json_string(sw_lock_name(e->mode)));
	json_object_set_new(o, "blocks_reads", json_boolean(sw_lock_blocks_reads(e->mode)));
	json_object_set_new(o, "blocks_writes", json_boolean(sw_lock_blocks_writes(e->mode)));
	if (e->if_rows)
		json_object_set_new(o, "if_rows", json_true());
	if (e->conservative) {
		json_object_set_new(o, "conservative", json_true());
		json_object_set_new(o, "conservative_why", json_string(e->conservative));
	}
	json_object_set_new(o, "source", json_string(e->source ? e->source : ""));
	return o;
}

static json_t *text_or_null(const char *s)
{
	return s ? sw_json_text(s) : json_null();
}

/* A live fact: its value, "unknown", or absent when it does not apply. */
static void fact_set(json_t *o, const char *key, const struct sw_fact *f)
{
	if (f->state == SW_FACT_KNOWN)
		json_object_set_new(o, key, json_real(f->v));
	else if (f->state == SW_FACT_UNKNOWN)
		json_object_set_new(o, key, json_string("unknown"));
}

/* "live": { relations: [{relation, exists, bytes, rows, blocker_age_s, blocked_by}],
 *           est_rows, null_rows, null_column, old_type, type_rewrite, error } */
static json_t *live_json(const struct sw_live *lv)
{
	json_t *o = json_object(), *rels = json_array();
	for (size_t i = 0; i < lv->n_rels; i++) {
		const struct sw_live_rel *r = &lv->rels[i];
		json_t *ro = json_object();
		json_object_set_new(ro, "relation", sw_json_text(r->name));
		json_object_set_new(ro, "mode", json_string(sw_lock_name((enum sw_lockmode)r->lockmode) ?
							   sw_lock_name((enum sw_lockmode)r->lockmode) : ""));
		json_object_set_new(ro, "exists", json_boolean(r->exists));
		if (r->created_here)
			json_object_set_new(ro, "created_here", json_true());
		fact_set(ro, "bytes", &r->bytes);
		fact_set(ro, "rows", &r->rows);
		fact_set(ro, "blocker_age_s", &r->blocker_age_s);
		if (r->blocker_mode)
			json_object_set_new(ro, "blocked_by", json_pack("{s:i, s:s, s:b}", "pid", r->blocker_pid,
									 "mode", r->blocker_mode, "granted",
									 r->blocker_granted));
		json_array_append_new(rels, ro);
	}
	json_object_set_new(o, "relations", rels);
	fact_set(o, "est_rows", &lv->est_rows);
	fact_set(o, "null_rows", &lv->null_rows);
	if (lv->null_column)
		json_object_set_new(o, "null_column", sw_json_text(lv->null_column));
	if (lv->old_type)
		json_object_set_new(o, "old_type", sw_json_text(lv->old_type));
	if (lv->type_rewrite.state == SW_FACT_KNOWN)
		json_object_set_new(o, "type_rewrite", json_boolean(lv->type_rewrite.v != 0));
	if (lv->error)
		json_object_set_new(o, "error", sw_json_text(lv->error));
	return o;
}

void sw_impact_json_add(json_t *o, const struct sw_stmt *st)
{
	const struct sw_impact *im = st->impact;
	json_t *ls = json_array();

	if (!im) {
		json_object_set_new(o, "lock_set", ls);
		json_object_set_new(o, "reversibility", json_string(sw_reversibility_name(SW_REV_UNKNOWN)));
		return;
	}
	for (size_t i = 0; i < im->n_locks; i++)
		json_array_append_new(ls, sw_lock_entry_json(&im->locks[i]));
	json_object_set_new(o, "lock_set", ls);
	json_object_set_new(o, "lock_set_partial", json_boolean(im->lock_set_partial));
	if (im->category)
		json_object_set_new(o, "lock_category", json_string(im->category));
	json_object_set_new(o, "conservative", json_boolean(im->conservative != NULL));
	if (im->conservative)
		json_object_set_new(o, "conservative_why", json_string(im->conservative));
	if (im->fails_if)
		json_object_set_new(o, "fails_if", sw_json_text(im->fails_if));
	json_object_set_new(o, "strongest_lock", im->strongest ? json_string(sw_lock_name(im->strongest)) : json_null());
	json_object_set_new(o, "blocks", json_string(sw_lock_blocks_text(im->strongest)));
	json_object_set_new(o, "rewrite", json_boolean(im->rewrite));
	json_object_set_new(o, "rewrite_why", text_or_null(im->rewrite_why));
	json_object_set_new(o, "scan", json_boolean(im->scan));
	json_object_set_new(o, "scan_why", text_or_null(im->scan_why));
	json_object_set_new(o, "concurrently", json_boolean(im->concurrently));
	json_object_set_new(o, "transaction_block", json_string(im->no_transaction_block ? "forbidden" : "allowed"));
	if (im->no_transaction_block)
		json_object_set_new(o, "transaction_block_source", text_or_null(im->no_tx_source));
	json_object_set_new(o, "reversibility", json_string(sw_reversibility_name(im->reversibility)));
	json_object_set_new(o, "rollback", text_or_null(im->rollback));
	json_object_set_new(o, "safer", text_or_null(im->safer));
	if (im->live)
		json_object_set_new(o, "live", live_json(im->live));
}
