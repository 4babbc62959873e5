/* A hold as JSON, for `sqlward pending`/`show` and the dossier (see hold_json.h). */
#include "hold_json.h"
#include "statement_json.h"
#include "time_text.h"
#include "util.h"

json_t *sw_hold_approvals_json(const struct sw_approval *a)
{
	json_t *arr = json_array();
	for (size_t i = 0; i < a->n_entries; i++) {
		char ts[64];
		sw_format_time(&a->entries[i].when, ts, sizeof(ts));
		json_array_append_new(arr, json_pack("{s:s, s:s, s:s?}", "user", a->entries[i].user, "time", ts,
						     "comment", a->entries[i].comment));
	}
	return arr;
}

bool sw_hold_server_cancels(const struct sw_hold *h, uint64_t now_ns)
{
	/* statement_timeout's timer runs while the backend is stopped. */
	return h->timeouts_known && h->statement_timeout_ms > 0 &&
	       (now_ns - h->start_ns) / 1000000ull >= (uint64_t)h->statement_timeout_ms;
}

json_t *sw_hold_json(const struct sw_daemon *d, const struct sw_hold *h, uint64_t now_ns)
{
	const struct sw_stmt *st = h->analysis.n_stmts ? &h->analysis.stmts[h->overall.stmt_index] : NULL;
	char ts[64];
	json_t *o, *parts = json_array();

	(void)d;
	sw_format_time(&h->wall, ts, sizeof(ts));
	o = json_pack("{s:I, s:s, s:f, s:i, s:s, s:s?, s:s?, s:s, s:s, s:s?, s:I, s:f}",
		      "id", (json_int_t)h->id, "time", ts, "age_s", (double)(now_ns - h->start_ns) / 1e9,
		      "pid", h->pid, "role", h->sess.role,
		      "database", h->sess.database[0] ? h->sess.database : NULL,
		      "client", h->sess.client[0] ? h->sess.client : NULL,
		      "statement", "", "rule", h->overall.rule_id, "reason", h->overall.reason,
		      "ledger_seq", (json_int_t)h->ledger_seq,
		      "timeout_in_s", h->deadline_ns > now_ns ? (double)(h->deadline_ns - now_ns) / 1e9 : 0.0);
	/* The exact text, also when it is not valid UTF-8 (json_pack "s" would refuse it). */
	json_object_set_new(o, "statement", sw_json_textn(h->statement, h->statement_len));
	json_object_set_new(o, "engine", json_string(sw_engine_name(h->engine)));
	if (st) {
		json_t *sj = sw_stmt_json(st);
		json_object_update_missing(o, sj);
		json_decref(sj);
	}
	for (size_t i = 0; h->analysis.n_stmts > 1 && i < h->analysis.n_stmts; i++) {
		json_t *sj = sw_stmt_json(&h->analysis.stmts[i]);
		json_object_set_new(sj, "verdict", json_string(sw_verdict_name(h->per_stmt[i].verdict)));
		json_object_set_new(sj, "rule", json_string(h->per_stmt[i].rule_id));
		json_array_append_new(parts, sj);
	}
	if (json_array_size(parts))
		json_object_set(o, "statements", parts);
	json_decref(parts);
	{
		json_t *appr = json_array(), *txn = json_array();
		for (size_t i = 0; i < h->approval.approvers.n; i++)
			json_array_append_new(appr, json_string(h->approval.approvers.v[i]));
		for (size_t i = 0; i < h->txn_before.n; i++)
			json_array_append_new(txn, json_string(h->txn_before.v[i]));
		json_object_set_new(o, "statement_sha256", json_string(h->statement_sha256));
		json_object_set_new(o, "approvers", appr);
		json_object_set_new(o, "approvals_required", json_integer(h->approval.required));
		json_object_set_new(o, "approvals", sw_hold_approvals_json(&h->approval));
		json_object_set_new(o, "transaction", txn);
		if (h->via)
			json_object_set_new(o, "via", json_string(h->via));
		if (json_is_object(h->extra))
			json_object_update(o, h->extra);
		json_object_set_new(o, "in_transaction", json_boolean(h->sess.in_txn));
		if (h->approval.requester_known)
			json_object_set_new(o, "requester", json_pack("{s:s, s:i}", "user", h->approval.requester,
								      "pid", h->approval.requester_pid));
		json_object_set_new(o, "requester_chain", sw_approval_requester_json(&h->approval));
		if (h->timeouts_known) {
			json_object_set_new(o, "statement_timeout_ms", json_integer(h->statement_timeout_ms));
			json_object_set_new(o, "lock_timeout_ms", json_integer(h->lock_timeout_ms));
			/* statement_timeout's timer runs while the backend is stopped. */
			json_object_set_new(o, "server_cancels_on_release", json_boolean(sw_hold_server_cancels(h, now_ns)));
			if (h->statement_timeout_ms > 0)
				json_object_set_new(o, "server_cancels_after_s",
						    json_real((double)h->statement_timeout_ms / 1000.0));
		}
	}
	return o;
}
