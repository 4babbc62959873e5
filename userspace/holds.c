/* Held statements: the pending queue, release (run or cancel) and timeouts. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "holds.h"
#include "hold_id.h"
#include "hold_json.h"
#include "hold_webhooks.h"
#include "ledger_record.h"
#include "metrics.h"
#include "util.h"

void sw_hold_free(struct sw_hold *h)
{
	if (!h)
		return;
	if (h->ops && h->engine_ctx)   /* never decided: its session is refused, not left stopped */
		h->ops->release(h, false, "sqlward: refused (the hold was dropped undecided)");
	free(h->statement);
	free(h->retry_by);
	free(h->retry_comment);
	sw_analysis_free(&h->analysis);
	free(h->per_stmt);
	sw_approval_free(&h->approval);
	sw_strv_free(&h->txn_before);
	json_decref(h->extra);
	free(h);
}

void sw_holds_add(struct sw_daemon *d, struct sw_hold *h)
{
	if (d->n_holds == d->cap_holds) {
		d->cap_holds = d->cap_holds ? d->cap_holds * 2 : 8;
		d->holds = sw_xrealloc(d->holds, d->cap_holds * sizeof(*d->holds));
	}
	h->id = ++d->next_hold_id;
	d->holds[d->n_holds++] = h;
}

struct sw_hold *sw_holds_find(struct sw_daemon *d, uint64_t id)
{
	for (size_t i = 0; i < d->n_holds; i++)
		if (d->holds[i]->id == id)
			return d->holds[i];
	return NULL;
}

static void holds_remove(struct sw_daemon *d, struct sw_hold *h)
{
	for (size_t i = 0; i < d->n_holds; i++)
		if (d->holds[i] == h) {
			memmove(&d->holds[i], &d->holds[i + 1], (d->n_holds - i - 1) * sizeof(*d->holds));
			d->n_holds--;
			return;
		}
}

void sw_holds_note(struct sw_daemon *d, const struct sw_hold *h, const char *type, const char *user,
		   const char *comment, const char *message)
{
	char err[512], idt[SW_HOLD_ID_TEXT_MAX];
	json_t *rec;

	sw_hold_id_format(h->id, idt, sizeof(idt));
	rec = sw_hold_note_record(type, &(struct sw_hold_ref){ .hold_id = h->id, .hold = idt, .hold_seq = h->ledger_seq,
				  .statement_sha256 = h->statement_sha256, .pid = h->pid, .role = h->sess.role },
				  user, comment, message);
	if (sw_ledger_append_opts(d->ledger, rec, true, NULL, err, sizeof(err)) < 0) {
		fprintf(stderr, "sqlward: LEDGER WRITE FAILED: %s\n", err);
		sw_ledger_note_lost(d->ledger, type, NULL);
	}
	json_decref(rec);
}

/* How a refusal of what the session is stopped at will end (the engine's hold ops say). */
static const char *refusal_outcome(const struct sw_hold *h, const char *outcome)
{
	return h->ops->refusal_ends_session(h) && strcmp(outcome, "cancelled") == 0 ? "terminated" : outcome;
}

int sw_holds_release(struct sw_daemon *d, struct sw_hold *h, enum sw_verdict v,
		     const char *decided_by, const char *comment, const char *outcome)
{
	uint64_t now = sw_mono_ns();
	struct sw_judgement j = h->overall;
	struct sw_decision dec = {
		.time = h->wall, .engine = h->engine, .pid = h->pid, .role = h->sess.role,
		.database = h->sess.database[0] ? h->sess.database : NULL,
		.client = h->sess.client[0] ? h->sess.client : NULL, .governed = true,
		.statement = h->statement, .statement_len = h->statement_len, .statement_complete = true,
		.analysis = &h->analysis, .per_stmt = h->per_stmt, .overall = &j,
		.outcome = v == SW_VERDICT_ALLOW ? outcome : refusal_outcome(h, outcome),
		.held_us = (now - h->start_ns) / 1000, .decided_by = decided_by, .comment = comment,
		.via = h->via, .extra = h->extra,
	};
	json_t *rec;
	char err[512], idt[SW_HOLD_ID_TEXT_MAX];
	struct sw_full_text ft;
	int rc = 0;

	sw_hold_id_format(h->id, idt, sizeof(idt));
	j.verdict = v;
	sw_ledger_keep_full_text(d->ledger, &dec, &ft);
	rec = sw_statement_record(&dec, &ft, &(struct sw_hold_decision){
		.hold_id = h->id, .hold = idt, .hold_seq = h->ledger_seq, .approvals = sw_hold_approvals_json(&h->approval),
		.requester = h->approval.requester_known ? json_pack("{s:s, s:i}", "user", h->approval.requester,
								     "pid", h->approval.requester_pid) : NULL,
		.requester_chain = h->approval.chain_known ? sw_approval_requester_json(&h->approval) : NULL });
	/* The decision is on disk before the backend moves. */
	if (sw_ledger_append_opts(d->ledger, rec, true, NULL, err, sizeof(err)) < 0) {
		json_decref(rec);
		if (v == SW_VERDICT_ALLOW) {
			/* Approved, but not recordable yet: it stays held and is released once its record is on
			 * disk (retried from sw_holds_expire), or times out like any hold. */
			fprintf(stderr, "sqlward: LEDGER WRITE FAILED: %s; hold %s stays held until its approval "
				"can be recorded\n", err, idt);
			if (!h->release_retry) {
				h->release_retry = true;
				h->retry_by = sw_xstrdup(decided_by ? decided_by : "?");
				h->retry_comment = comment ? sw_xstrdup(comment) : NULL;
			}
			return -1;
		}
		/* A refusal goes ahead (fail closed); its record is counted as lost. */
		fprintf(stderr, "sqlward: LEDGER WRITE FAILED: %s; hold %s refused, its record counted as lost\n",
			err, idt);
		sw_ledger_note_lost(d->ledger, "statement", NULL);
		rc = -1;
		rec = NULL;
	}
	json_decref(rec);
	{
		/* The engine's ops move its session (PostgreSQL: the stopped backend; MariaDB: one thread). */
		char msg[300];
		snprintf(msg, sizeof(msg), "sqlward: %s by %s%s%s", v == SW_VERDICT_ALLOW ? "approved" : "refused",
			 decided_by ? decided_by : "sqlward", comment ? ": " : "", comment ? comment : "");
		h->ops->release(h, v == SW_VERDICT_ALLOW, msg);
		h->engine_ctx = NULL;
	}
	sw_metrics_count_hold(&sw_daemon_metrics, (double)(now - h->start_ns) / 1e9,
			      sw_metrics_hold_decision_of(v, decided_by, outcome));
	/* Every rule's webhook hears how it ended (after the record is on disk, before h is freed). */
	sw_hold_webhooks_decided(d, h, v, decided_by, comment,
				 v == SW_VERDICT_ALLOW ? outcome : refusal_outcome(h, rc < 0 ? "cancelled" : outcome));
	fprintf(stderr, "sqlward: hold %s (pid %d) %s by %s\n", idt, h->pid,
		v == SW_VERDICT_ALLOW ? "released" : "refused", decided_by ? decided_by : "?");
	holds_remove(d, h);
	sw_hold_free(h);
	if (d->retired)
		sw_holds_policy_gc(d, false);
	return rc;
}

void sw_holds_policy_gc(struct sw_daemon *d, bool all)
{
	for (struct sw_retired_policy **rp = &d->retired; *rp;) {
		struct sw_retired_policy *r = *rp;
		bool used = false;
		for (size_t i = 0; !all && i < d->n_holds && !used; i++)
			used = d->holds[i]->id <= r->last_hold_id;
		if (used) {
			rp = &r->next;
			continue;
		}
		*rp = r->next;
		sw_policy_free(r->p);
		free(r);
	}
}

void sw_holds_expire(struct sw_daemon *d, uint64_t now_ns)
{
	/* Approved while the ledger could not be written: try to record and release again. */
	for (size_t i = 0; i < d->n_holds;) {
		struct sw_hold *h = d->holds[i];
		if (h->release_retry && now_ns < h->deadline_ns) {
			char *by = sw_xstrdup(h->retry_by), *comment = h->retry_comment ? sw_xstrdup(h->retry_comment) : NULL;
			int rc = sw_holds_release(d, h, SW_VERDICT_ALLOW, by, comment, "released");
			free(by);
			free(comment);
			if (rc == 0)
				continue;   /* h is gone; the same index is the next hold */
		} else if (h->release_retry) {
			/* Its approval never reached the disk in time: it ends like any hold that times out
			 * (its approval state says decided, so the check below would not see it). */
			sw_holds_release(d, h, SW_VERDICT_DENY, "sqlward",
					 "approved, but the approval could not be recorded before the hold timeout",
					 "timed_out");
			continue;
		}
		i++;
	}
	for (size_t i = 0; i < d->n_holds;) {
		struct sw_hold *h = d->holds[i];
		if (now_ns >= h->deadline_ns && sw_approval_timeout(&h->approval) == SW_APPROVAL_TIMED_OUT)
			sw_holds_release(d, h, SW_VERDICT_DENY, "sqlward", "no decision before the hold timeout",
					 "timed_out");
		else
			i++;
	}
}

void sw_holds_check_clients(struct sw_daemon *d)
{
	for (size_t i = 0; i < d->n_holds;) {
		struct sw_hold *h = d->holds[i];
		if (h->ops->client_gone(h))
			sw_holds_release(d, h, SW_VERDICT_DENY, "sqlward", "the client disconnected while held",
					 "abandoned");
		else
			i++;
	}
}

void sw_holds_check_server(struct sw_daemon *d)
{
	for (size_t i = 0; i < d->n_holds;) {
		struct sw_hold *h = d->holds[i];
		const char *comment = NULL, *outcome = h->ops->server_ending ? h->ops->server_ending(h, &comment) : NULL;
		if (outcome)
			sw_holds_release(d, h, SW_VERDICT_DENY, "server", comment, outcome);
		else
			i++;
	}
}

void sw_holds_release_all(struct sw_daemon *d, const char *outcome, const char *comment)
{
	while (d->n_holds)
		sw_holds_release(d, d->holds[0], SW_VERDICT_DENY, "sqlward", comment, outcome);
}
