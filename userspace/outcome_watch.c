/* Outcomes of released statements (see outcome_watch.h). */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/libbpf.h>
#include "daemon_internal.h"
#include "hold_id.h"
#include "outcome_watch.h"
#include "pg_backend.h"
#include "statement_json.h"
#include "util.h"

#define PG_FATAL 22

struct sw_outcome {
	int pid;
	uint64_t hold_id, hold_seq;
	char sha[65];
	char role[64];
	struct bpf_link *links[3];
	uint64_t released_ns;
	json_t *commands;          /* [{"tag": "UPDATE 18", "rows": 18}, ...] */
	uint64_t rows;
	bool error;
	int elevel;
	char sqlstate[6];
	char message[SW_OUTCOME_TEXT + 1];
	struct sw_outcome *next;
};

void sw_sqlstate_unpack(uint32_t code, char out[6])
{
	/* MAKE_SQLSTATE (utils/elog.h): five 6-bit characters offset from '0', first in the low bits. */
	for (int i = 0; i < 5; i++) {
		out[i] = (char)((code & 0x3f) + '0');
		code >>= 6;
	}
	out[5] = 0;
}

static void record(struct sw_daemon *d, struct sw_outcome *w, const char *outcome, const char *why)
{
	char err[512], idt[SW_HOLD_ID_TEXT_MAX];
	json_t *rec;

	sw_hold_id_format(w->hold_id, idt, sizeof(idt));
	rec = sw_outcome_record(&(struct sw_outcome_facts){
		.hold = &(struct sw_hold_ref){ .hold_id = w->hold_id, .hold = idt, .hold_seq = w->hold_seq,
					       .statement_sha256 = w->sha, .pid = w->pid, .role = w->role },
		.outcome = outcome, .commands = w->commands, .rows = (int64_t)w->rows,
		.ran_ms = (int64_t)((sw_mono_ns() - w->released_ns) / 1000000),
		.sqlstate = w->error ? w->sqlstate : NULL, .message = w->message, .comment = why });
	if (sw_ledger_append_opts(d->ledger, rec, true, NULL, err, sizeof(err)) < 0) {
		fprintf(stderr, "sqlward: LEDGER WRITE FAILED: %s\n", err);
		sw_ledger_note_lost(d->ledger, "outcome", NULL);
	}
	sw_hold_id_format(w->hold_id, idt, sizeof(idt));
	fprintf(stderr, "sqlward: hold %s (pid %d) outcome: %s%s%s\n", idt, w->pid,
		outcome, w->error ? ": " : "", w->error ? w->message : "");
	json_decref(rec);
}

static void drop(struct sw_daemon *d, struct sw_outcome *w)
{
	for (struct sw_outcome **p = &d->outcomes; *p; p = &(*p)->next)
		if (*p == w) {
			*p = w->next;
			break;
		}
	for (int i = 0; i < 3; i++)
		bpf_link__destroy(w->links[i]);
	json_decref(w->commands);
	free(w);
}

/* The statement is over (idle again, or the backend gone): say how it ended. */
static void conclude(struct sw_daemon *d, struct sw_outcome *w, bool exited)
{
	const char *outcome, *why = NULL;

	if (w->error && (w->elevel >= PG_FATAL || strncmp(w->sqlstate, "57P", 3) == 0))
		outcome = "terminated";
	else if (w->error && strcmp(w->sqlstate, "57014") == 0)
		outcome = "cancelled";   /* statement_timeout, pg_cancel_backend, ... (the message says which) */
	else if (w->error)
		outcome = "failed";
	else if (!exited)
		outcome = "completed";
	else {
		outcome = "client_gone";
		why = "the backend ended before the statement reported completion (its client went away, or it "
		      "was killed)";
	}
	if (w->error && json_array_size(w->commands) > 0 && !exited)
		why = "commands before the error were rolled back unless they had committed on their own";
	{
		/* The approval was used up here (a simple Query ran, or failed): it must not also cover a
		 * later Bind of the same text. An extended-protocol Parse reports no command, so its
		 * approval still covers the first Bind. */
		struct sw_session_info *s = sw_session_find(d, w->pid);
		if (s && s->token_valid && s->token_hold_id == w->hold_id && (w->error || json_array_size(w->commands)))
			s->token_valid = false;
	}
	record(d, w, outcome, why);
	drop(d, w);
}

void sw_outcome_watch(struct sw_daemon *d, const struct sw_hold *h)
{
	struct sw_outcome *w = sw_xcalloc(1, sizeof(*w)), *old;
	const struct sw_pg_layout *L = sw_daemon_layout_of(d, h->pid);
	char err[512];

	/* A second approved hold in the same session before it was idle again (a Parse, then its
	 * Bind): the probes already on it now report for the newer hold; the older one ends here. */
	for (old = d->outcomes; old && old->pid != h->pid; old = old->next)
		;
	if (old) {
		memcpy(w->links, old->links, sizeof(w->links));
		memset(old->links, 0, sizeof(old->links));
		record(d, old, "continued", "a later approved hold of the same session was released before this "
		       "one's session was idle: that hold's outcome record covers what ran from here on");
		drop(d, old);
	}
	w->pid = h->pid;
	w->hold_id = h->id;
	w->hold_seq = h->ledger_seq;
	snprintf(w->sha, sizeof(w->sha), "%s", h->statement_sha256);
	snprintf(w->role, sizeof(w->role), "%s", h->sess.role);
	w->commands = json_array();
	w->released_ns = sw_mono_ns();
	w->next = d->outcomes;
	d->outcomes = w;
	if (!L) {
		record(d, w, "unknown", "the backend's server binary is not known to this daemon");
		drop(d, w);
		return;
	}
	if (!w->links[0] &&
	    sw_gate_attach_outcome(d->gate, (int)(L - d->layouts), h->pid, w->links, err, sizeof(err)) < 0) {
		record(d, w, "unknown", err);
		drop(d, w);
		return;
	}
	if (L->outcome_problem[0])
		fprintf(stderr, "sqlward: outcome of hold %llu may be incomplete: %s\n", (unsigned long long)h->id,
			L->outcome_problem);
}

void sw_outcome_on_event(struct sw_daemon *d, const struct sw_outcome_event *ev, size_t size)
{
	struct sw_outcome *w;

	if (size < sizeof(*ev))
		return;
	for (w = d->outcomes; w && w->pid != (int)ev->hdr.pid; w = w->next)
		;
	if (!w)
		return;
	switch (ev->kind) {
	case SW_OUT_COMMAND: {
		char tag[SW_OUTCOME_TEXT + 1];
		memcpy(tag, ev->text, SW_OUTCOME_TEXT);
		tag[SW_OUTCOME_TEXT] = 0;
		json_array_append_new(w->commands, json_pack("{s:s, s:I}", "tag", tag[0] ? tag : "?", "rows",
							    (json_int_t)ev->rows));
		w->rows += ev->rows;
		break;
	}
	case SW_OUT_ERROR:
		if (w->error)
			break;   /* the first error is the one the client saw */
		w->error = true;
		w->elevel = ev->elevel;
		sw_sqlstate_unpack(ev->sqlerrcode, w->sqlstate);
		memcpy(w->message, ev->text, SW_OUTCOME_TEXT);
		w->message[SW_OUTCOME_TEXT] = 0;
		if (ev->elevel >= PG_FATAL)
			conclude(d, w, true);
		break;
	case SW_OUT_READY:
		conclude(d, w, false);
		break;
	}
}

void sw_outcome_check(struct sw_daemon *d)
{
	bool any_gone = false;

	for (struct sw_outcome *w = d->outcomes; w; w = w->next)
		any_gone |= kill(w->pid, 0) != 0 && errno == ESRCH;
	if (!any_gone)
		return;
	/* What the backend reported before it went is in the ring buffer: read it first. */
	sw_gate_consume(d->gate);
	for (struct sw_outcome *w = d->outcomes, *next; w; w = next) {
		next = w->next;
		if (kill(w->pid, 0) != 0 && errno == ESRCH)
			conclude(d, w, true);
	}
}

void sw_outcome_finish_all(struct sw_daemon *d)
{
	sw_gate_consume(d->gate);
	while (d->outcomes) {
		struct sw_outcome *w = d->outcomes;
		record(d, w, "unknown", "still running when the daemon stopped");
		drop(d, w);
	}
}

int sw_outcome_watched(const struct sw_daemon *d)
{
	int n = 0;

	for (const struct sw_outcome *w = d->outcomes; w; w = w->next)
		n++;
	return n;
}
