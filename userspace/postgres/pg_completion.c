/* Completions of recorded statements and runtime budgets (see pg_completion.h). */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "bpf_gate.h"
#include "daemon_opts.h"
#include "daemon_state.h"
#include "json_writer.h"
#include "ledger.h"
#include "ledger_record.h"
#include "metrics.h"
#include "outcome_watch.h"
#include "pg_completion.h"
#include "sessions.h"
#include "util.h"

#define PG_FATAL 22
/* A completion whose statement record has not come this long after it: written without the seq. */
#define WAIT_FOR_RECORD_NS (5ull * 1000000000ull)
/* Completions waiting for their statement's record, at most (the oldest is written first when full). */
#define WAITING_MAX 1024
/* A budget cancel sent but no completion seen this long after: forgotten (the backend is gone). */
#define CANCELLED_FORGET_NS (60ull * 1000000000ull)

struct budget {
	int pid;
	uint64_t statement_id;
	uint64_t deadline_ns;
	unsigned budget_ms;
	uint64_t cancelled_ns;     /* 0: not cancelled (yet) */
};

struct waiting {
	struct sw_completion_event ev;
	uint64_t since_ns;
};

/* A client statement's record held back, within one pass of the loop, for its completion. */
struct deferred {
	int pid;
	bool used;                 /* false: written already (its session's next statement came first) */
	uint64_t statement_id;
	struct sw_jw body;         /* the statement record's members (sw_decision_members); buffer reused */
};

struct sw_pg_completions {
	struct budget *budgets;
	size_t n_budgets, cap_budgets;
	uint64_t next_deadline_ns; /* earliest deadline of a budget not cancelled yet (0: none) */
	uint64_t swept_ns;         /* when cancelled budgets were last looked at */
	struct waiting *waiting;
	size_t n_waiting, cap_waiting;
	struct deferred *deferred; /* this pass's records waiting for their completion */
	size_t n_deferred, cap_deferred;
	struct sw_jw w;            /* one record buffer, reused */
};

static struct sw_pg_completions *state(struct sw_daemon *d)
{
	if (!d->completions) {
		d->completions = sw_xcalloc(1, sizeof(*d->completions));
		sw_jw_init(&d->completions->w);
	}
	return d->completions;
}

const char *sw_pg_completion_outcome(const struct sw_completion_event *ev, int budget_cancelled)
{
	char sqlstate[6];

	if (ev->run.flags & SW_RUN_ERROR) {
		sw_sqlstate_unpack(ev->run.sqlerrcode, sqlstate);
		if (ev->run.elevel >= PG_FATAL || strncmp(sqlstate, "57P", 3) == 0)
			return "terminated";
		if (strcmp(sqlstate, "57014") == 0)
			return budget_cancelled ? "over_budget" : "cancelled";
		return "error";
	}
	if (ev->end == SW_DONE_EXITED)
		return ev->run.commands ? "ran" : "client_gone";
	return "ran";
}

/* The budget of (pid, statement_id), or NULL. */
static struct budget *budget_of(struct sw_pg_completions *st, int pid, uint64_t statement_id)
{
	for (size_t i = 0; i < st->n_budgets; i++)
		if (st->budgets[i].pid == pid && st->budgets[i].statement_id == statement_id)
			return &st->budgets[i];
	return NULL;
}

static void budget_drop(struct sw_pg_completions *st, struct budget *b)
{
	*b = st->budgets[--st->n_budgets];
}

static void next_deadline(struct sw_pg_completions *st)
{
	st->next_deadline_ns = 0;
	for (size_t i = 0; i < st->n_budgets; i++)
		if (!st->budgets[i].cancelled_ns &&
		    (!st->next_deadline_ns || st->budgets[i].deadline_ns < st->next_deadline_ns))
			st->next_deadline_ns = st->budgets[i].deadline_ns;
}

/*
 * The completion of ev: its own record (statement_seq 0 when its statement has no record), or,
 * with into, the "completion" member of its statement's record being built there.
 */
static void write_completion(struct sw_daemon *d, const struct sw_completion_event *ev, uint64_t statement_seq,
			     struct sw_jw *into)
{
	struct sw_pg_completions *st = state(d);
	struct sw_session_info *s = sw_session_find(d, (int)ev->hdr.pid);
	struct budget *b = budget_of(st, (int)ev->hdr.pid, ev->run.seq);
	char sqlstate[6], tag[SW_TAG_NAME + 1], err[512];
	struct sw_completion_facts f = {
		.engine = SW_ENGINE_POSTGRES, .pid = (int)ev->hdr.pid, .role = s && s->role[0] ? s->role : NULL,
		.statement_seq = statement_seq, .statement_id = ev->run.seq,
		.outcome = sw_pg_completion_outcome(ev, b && b->cancelled_ns),
		.rows = (int64_t)ev->run.rows, .commands = ev->run.commands,
		.duration_ms = ev->hdr.ktime_ns > ev->run.start_ns
				       ? (int64_t)((ev->hdr.ktime_ns - ev->run.start_ns) / 1000000) : 0,
	};

	sw_mono_to_timespec(d, ev->hdr.ktime_ns, &f.time);
	memcpy(tag, ev->tag_name, SW_TAG_NAME);
	tag[SW_TAG_NAME] = 0;
	f.command = tag[0] ? tag : NULL;
	if (ev->run.flags & SW_RUN_ERROR) {
		sw_sqlstate_unpack(ev->run.sqlerrcode, sqlstate);
		f.sqlstate = sqlstate;
	}
	if (b && strcmp(f.outcome, "over_budget") == 0)
		f.budget_ms = b->budget_ms;
	if (b) {
		budget_drop(st, b);
		next_deadline(st);
	}
	if (into) {
		f.embedded = true;
		sw_jw_key(into, "completion");
		sw_jw_object(into);
		sw_completion_members(into, &f);
		sw_jw_object_end(into);
	} else {
		sw_jw_reset(&st->w);
		sw_completion_members(&st->w, &f);
	}
	if (into) {
		/* written with its statement */
	} else if (sw_ledger_append_body(d->ledger, st->w.buf, st->w.len, false, NULL, err, sizeof(err)) < 0) {
		fprintf(stderr, "sqlward: LEDGER WRITE FAILED: %s\n", err);
		sw_ledger_note_lost(d->ledger, "completion", &f.time);
	}
	if (f.budget_ms)
		fprintf(stderr, "sqlward: pid %d: statement %llu cancelled over its budget of %u ms\n", f.pid,
			(unsigned long long)f.statement_id, f.budget_ms);
}

static void waiting_write(struct sw_daemon *d, size_t i, uint64_t statement_seq)
{
	struct sw_pg_completions *st = state(d);
	struct sw_completion_event ev = st->waiting[i].ev;

	memmove(&st->waiting[i], &st->waiting[i + 1], (st->n_waiting - i - 1) * sizeof(*st->waiting));
	st->n_waiting--;
	write_completion(d, &ev, statement_seq, NULL);
}

/*
 * Deferred statement records. An observed or kernel-allowed client statement has run (or runs)
 * by the time its event is read, and its completion usually comes in the same read of the ring
 * buffer: its record waits for it until the end of this pass of the loop, and the two become one
 * record (half the framing, hashing and writing per statement). A record whose completion does
 * not come in this pass is written alone at the end of the pass, and its completion later as a
 * record of its own, as before. Records of one session stay in order: whatever else the session
 * records first writes the waiting one (sw_pg_deferred_write_pid).
 */
static void deferred_write(struct sw_daemon *d, size_t i, const struct sw_completion_event *ev)
{
	struct sw_pg_completions *st = d->completions;
	struct deferred *x = &st->deferred[i];
	struct sw_session_info *s = sw_session_find(d, x->pid);
	uint64_t seq = 0;
	char err[512];

	if (ev)
		write_completion(d, ev, 0, &x->body);
	x->used = false;
	if (s && s->deferred == i + 1)
		s->deferred = 0;
	if (sw_ledger_append_body(d->ledger, x->body.buf, x->body.len, false, &seq, err, sizeof(err)) < 0) {
		struct timespec now;
		clock_gettime(CLOCK_REALTIME, &now);
		fprintf(stderr, "sqlward: LEDGER WRITE FAILED: %s\n", err);
		sw_ledger_note_lost(d->ledger, "statement", &now);
		return;
	}
	if (s && s->statement_id == x->statement_id) {
		s->statement_seq = seq;
		if (!ev)
			sw_pg_completion_recorded(d, s);   /* one that came before it, if any */
	}
}

void sw_pg_record_deferred(struct sw_daemon *d, struct sw_session_info *s, const struct sw_decision *dec,
			   uint64_t statement_id)
{
	struct sw_pg_completions *st = state(d);
	struct sw_full_text ft;
	struct deferred *x;

	if (s->deferred)
		deferred_write(d, s->deferred - 1, NULL);
	if (st->n_deferred == st->cap_deferred) {
		size_t cap = st->cap_deferred ? 2 * st->cap_deferred : 16;
		st->deferred = sw_xrealloc(st->deferred, cap * sizeof(*st->deferred));
		for (size_t i = st->cap_deferred; i < cap; i++)
			sw_jw_init(&st->deferred[i].body);
		st->cap_deferred = cap;
	}
	sw_gate_count(dec);
	x = &st->deferred[st->n_deferred];
	x->pid = s->pid;
	x->statement_id = statement_id;
	x->used = true;
	sw_ledger_keep_full_text(d->ledger, dec, &ft);
	sw_jw_reset(&x->body);
	sw_decision_members(&x->body, dec, &ft);
	s->statement_seq = 0;
	s->deferred = (uint32_t)++st->n_deferred;
	/* Its completion came first (the statement was with the analysis worker): one record now. */
	for (size_t i = 0; i < st->n_waiting; i++)
		if ((int)st->waiting[i].ev.hdr.pid == s->pid && st->waiting[i].ev.run.seq == statement_id) {
			struct sw_completion_event ev = st->waiting[i].ev;
			memmove(&st->waiting[i], &st->waiting[i + 1], (st->n_waiting - i - 1) * sizeof(*st->waiting));
			st->n_waiting--;
			deferred_write(d, s->deferred - 1, &ev);
			return;
		}
}

void sw_pg_deferred_write_pid(struct sw_daemon *d, int pid)
{
	struct sw_session_info *s;

	if (!d->completions || !d->completions->n_deferred || !(s = sw_session_find(d, pid)) || !s->deferred)
		return;
	deferred_write(d, s->deferred - 1, NULL);
}

void sw_pg_deferred_write_session(struct sw_daemon *d, struct sw_session_info *s)
{
	if (d->completions && s->deferred)
		deferred_write(d, s->deferred - 1, NULL);
}

void sw_pg_deferred_write_all(struct sw_daemon *d)
{
	struct sw_pg_completions *st = d->completions;

	if (!st || !st->n_deferred)
		return;
	for (size_t i = 0; i < st->n_deferred; i++)
		if (st->deferred[i].used)
			deferred_write(d, i, NULL);
	st->n_deferred = 0;
}

void sw_pg_completion_on_event(struct sw_daemon *d, const void *data, size_t size)
{
	struct sw_pg_completions *st = state(d);
	const struct sw_completion_event *ev = data;
	struct sw_session_info *s;

	if (size < sizeof(*ev))
		return;
	s = sw_session_find(d, (int)ev->hdr.pid);
	if (s && s->deferred) {
		/* Its statement's record waits for it (the usual case): one record for both. */
		if (st->deferred[s->deferred - 1].statement_id == ev->run.seq) {
			deferred_write(d, s->deferred - 1, ev);
			return;
		}
		deferred_write(d, s->deferred - 1, NULL);
	}
	/* Its statement was recorded already (its event came in an earlier pass). */
	if (s && s->statement_id == ev->run.seq && s->statement_seq) {
		write_completion(d, ev, s->statement_seq, NULL);
		return;
	}
	/* Its statement is still being judged (the analysis worker has it): wait for its record. */
	if (st->n_waiting == WAITING_MAX)
		waiting_write(d, 0, 0);
	if (st->n_waiting == st->cap_waiting) {
		st->cap_waiting = st->cap_waiting ? 2 * st->cap_waiting : 16;
		st->waiting = sw_xrealloc(st->waiting, st->cap_waiting * sizeof(*st->waiting));
	}
	st->waiting[st->n_waiting++] = (struct waiting){ .ev = *ev, .since_ns = sw_mono_ns() };
}

void sw_pg_completion_recorded(struct sw_daemon *d, const struct sw_session_info *s)
{
	struct sw_pg_completions *st = d->completions;

	if (!st || !st->n_waiting || !s->statement_seq)
		return;
	for (size_t i = 0; i < st->n_waiting; i++)
		if ((int)st->waiting[i].ev.hdr.pid == s->pid && st->waiting[i].ev.run.seq == s->statement_id) {
			waiting_write(d, i, s->statement_seq);
			return;
		}
}

void sw_pg_budget_start(struct sw_daemon *d, int pid, uint64_t statement_id, uint64_t start_ns, unsigned budget_ms)
{
	struct sw_pg_completions *st = state(d);
	struct budget *b;

	if (!budget_ms || d->opts->observe_only)
		return;
	if (!(b = budget_of(st, pid, statement_id))) {
		if (st->n_budgets == st->cap_budgets) {
			st->cap_budgets = st->cap_budgets ? 2 * st->cap_budgets : 16;
			st->budgets = sw_xrealloc(st->budgets, st->cap_budgets * sizeof(*st->budgets));
		}
		b = &st->budgets[st->n_budgets++];
	}
	*b = (struct budget){ .pid = pid, .statement_id = statement_id, .budget_ms = budget_ms,
			      .deadline_ns = start_ns + (uint64_t)budget_ms * 1000000ull };
	next_deadline(st);
}

/*
 * Cancel what is over budget. The kernel's per-backend state says which
 * statement the backend runs: a backend that finished it (or started another)
 * is left alone. PostgreSQL discards a cancel that reaches an idle backend, so
 * the signal can only hit the next statement if that one began in the
 * microseconds between the look-up and the kill.
 */
static void budgets_due(struct sw_daemon *d, uint64_t now)
{
	struct sw_pg_completions *st = d->completions;

	for (size_t i = 0; i < st->n_budgets;) {
		struct budget *b = &st->budgets[i];
		struct sw_running r;

		if (b->cancelled_ns) {
			if (now - b->cancelled_ns > CANCELLED_FORGET_NS)
				budget_drop(st, b);
			else
				i++;
			continue;
		}
		if (b->deadline_ns > now) {
			i++;
			continue;
		}
		if (!d->gate || sw_gate_running(d->gate, (uint32_t)b->pid, &r) < 0 || r.seq != b->statement_id) {
			budget_drop(st, b);   /* done already: its completion is on its way */
			continue;
		}
		if (kill(b->pid, SIGINT) != 0) {
			if (errno != ESRCH)
				fprintf(stderr, "sqlward: cannot cancel pid %d over its budget: %s\n", b->pid,
					strerror(errno));
			budget_drop(st, b);
			continue;
		}
		b->cancelled_ns = now;
		i++;
	}
	next_deadline(st);
}

void sw_pg_completion_tick(struct sw_daemon *d)
{
	struct sw_pg_completions *st = d->completions;
	uint64_t now;

	if (!st || (!st->next_deadline_ns && !st->n_waiting && !st->n_budgets))
		return;
	now = sw_mono_ns();
	if (st->n_budgets && ((st->next_deadline_ns && st->next_deadline_ns <= now) ||
			      now - st->swept_ns > 1000000000ull)) {
		st->swept_ns = now;
		budgets_due(d, now);
	}
	while (st->n_waiting && now - st->waiting[0].since_ns > WAIT_FOR_RECORD_NS)
		waiting_write(d, 0, 0);
}

void sw_pg_completion_finish(struct sw_daemon *d)
{
	struct sw_pg_completions *st = d->completions;

	if (!st)
		return;
	sw_pg_deferred_write_all(d);
	while (st->n_waiting)
		waiting_write(d, 0, 0);
	for (size_t i = 0; i < st->cap_deferred; i++)
		sw_jw_free(&st->deferred[i].body);
	free(st->deferred);
	sw_jw_free(&st->w);
	free(st->budgets);
	free(st->waiting);
	free(st);
	d->completions = NULL;
}
