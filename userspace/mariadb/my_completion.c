/* Completions of recorded MariaDB commands and runtime budgets (see my_completion.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <bpf/bpf.h>
#include "daemon_state.h"
#include "json_writer.h"
#include "ledger.h"
#include "ledger_record.h"
#include "mariadb.h"
#include "my_completion.h"
#include "my_sqlcom.h"
#include "util.h"

/* MariaDB error numbers (include/mysqld_error.h) that say how a command was stopped. */
#define ER_SERVER_SHUTDOWN 1053
#define ER_QUERY_INTERRUPTED 1317
#define ER_CONNECTION_KILLED 1927
#define ER_STATEMENT_TIMEOUT 1969
#define KILL_QUERY 4               /* enum killed_state (sql/sql_class.h) */
/* Commands expected at most (per server; one per connection at a time): the oldest goes first. */
#define OPEN_MAX 65536

struct open_cmd {
	uint64_t conn_id;
	uint64_t start_ns;
	uint64_t seq;
	uint32_t deferred;         /* its record waits in deferred[deferred - 1]; 0: written (seq) */
	char role[SW_MY_NAME_MAX];
	unsigned budget_ms;
	uint64_t deadline_ns;      /* 0: no budget */
	bool killed;               /* the budget's KILL_QUERY was written */
};

/* A command's statement record held back, within one pass of the gate's poll, for its completion. */
struct deferred {
	uint64_t conn_id;
	uint64_t start_ns;
	bool used;                 /* false: written already */
	struct timespec time;      /* the statement's time (for a gap record if it cannot be written) */
	struct sw_jw body;         /* the statement record's members (sw_decision_members); buffer reused */
};

struct sw_my_completions {
	struct open_cmd *open;
	size_t n, cap;
	size_t n_budgets;          /* open commands with a deadline not acted on yet */
	struct deferred *deferred; /* this pass's records waiting for their completion */
	size_t n_deferred, cap_deferred;
	/* Slots written already, taken again first: a pass may read many thousand commands, but only
	 * one per connection waits at a time (each slot keeps a record-sized buffer). */
	uint32_t *free_slot;
	size_t n_free;
	struct sw_jw w;
};

struct sw_my_completions *sw_my_completions_new(void)
{
	struct sw_my_completions *c = sw_xcalloc(1, sizeof(*c));

	sw_jw_init(&c->w);
	return c;
}

void sw_my_completions_free(struct sw_my_completions *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->cap_deferred; i++)
		sw_jw_free(&c->deferred[i].body);
	free(c->deferred);
	free(c->free_slot);
	sw_jw_free(&c->w);
	free(c->open);
	free(c);
}

static struct open_cmd *open_of(struct sw_my_completions *c, uint64_t conn_id)
{
	for (size_t i = 0; i < c->n; i++)
		if (c->open[i].conn_id == conn_id)
			return &c->open[i];
	return NULL;
}

static void open_drop(struct sw_my_completions *c, struct open_cmd *o)
{
	if (o->deadline_ns && !o->killed)
		c->n_budgets--;
	*o = c->open[--c->n];
}

static void deferred_write(struct sw_daemon *d, struct sw_my_completions *c, size_t i,
			   const struct sw_my_done_event *ev);

static struct open_cmd *open_add(struct sw_daemon *d, struct sw_my_completions *c, uint64_t conn_id,
				 uint64_t start_ns, uint64_t seq, const char *role)
{
	struct open_cmd *o = open_of(c, conn_id);

	/* One connection runs one command at a time: an older one still open lost its report (its
	 * record, if it still waits, is written first: a connection's records stay in order). */
	if (o && o->deferred && d)
		deferred_write(d, c, o->deferred - 1, NULL);
	if ((o = open_of(c, conn_id)))
		open_drop(c, o);
	if (c->n == OPEN_MAX)
		open_drop(c, &c->open[0]);
	if (c->n == c->cap) {
		c->cap = c->cap ? 2 * c->cap : 64;
		c->open = sw_xrealloc(c->open, c->cap * sizeof(*c->open));
	}
	o = &c->open[c->n++];
	memset(o, 0, sizeof(*o));
	o->conn_id = conn_id;
	o->start_ns = start_ns;
	o->seq = seq;
	snprintf(o->role, sizeof(o->role), "%s", role ? role : "");
	return o;
}

void sw_my_completion_expect(struct sw_daemon *d, struct sw_my_completions *c, uint64_t conn_id, uint64_t start_ns,
			     uint64_t seq, const char *role)
{
	open_add(d, c, conn_id, start_ns, seq, role);
}

void sw_my_completion_budget(struct sw_my_completions *c, uint64_t conn_id, uint64_t start_ns, unsigned budget_ms,
			     uint64_t now_ns)
{
	struct open_cmd *o = open_of(c, conn_id);

	if (!o || o->start_ns != start_ns || !budget_ms || o->deadline_ns)
		return;
	o->budget_ms = budget_ms;
	o->deadline_ns = now_ns + (uint64_t)budget_ms * 1000000ull;
	c->n_budgets++;
}

void sw_my_completion_forget(struct sw_daemon *d, struct sw_my_completions *c, uint64_t conn_id)
{
	struct open_cmd *o = open_of(c, conn_id);

	if (o && o->deferred)
		deferred_write(d, c, o->deferred - 1, NULL);
	if ((o = open_of(c, conn_id)))
		open_drop(c, o);
}

const char *sw_my_completion_outcome(uint32_t sql_errno, bool budget_killed)
{
	/* A command stopped for its budget may still end without an error (BENCHMARK() returns early
	 * and sends its row): it was cut short all the same. */
	if (budget_killed && (sql_errno == 0 || sql_errno == ER_QUERY_INTERRUPTED))
		return "over_budget";
	switch (sql_errno) {
	case 0:
		return "ran";
	case ER_QUERY_INTERRUPTED:
		return "cancelled";
	case ER_STATEMENT_TIMEOUT:
		return "cancelled";   /* the server's own max_statement_time */
	case ER_CONNECTION_KILLED:
	case ER_SERVER_SHUTDOWN:
		return "terminated";
	default:
		return "error";
	}
}

int64_t sw_my_completion_rows(const struct sw_my_done_event *ev)
{
	/* ROW_COUNT() is -1 after a statement that sent a result set: its rows are the sent ones. */
	return ev->row_count_func >= 0 ? ev->row_count_func : (int64_t)ev->sent_rows;
}

/* The completion's members (the engine's common ones, then MariaDB's own) into w. */
static void completion_members(struct sw_daemon *d, struct sw_jw *w, const struct open_cmd *o,
			       const struct sw_my_done_event *ev, bool embedded, unsigned *budget_ms)
{
	const char *sqlcom = ev->sql_command >= 0 ? sw_my_sqlcom_name(ev->sql_command) : NULL;
	struct sw_completion_facts f;

	memset(&f, 0, sizeof(f));
	sw_mono_to_timespec(d, ev->ktime_ns, &f.time);
	f.engine = SW_ENGINE_MYSQL;
	f.pid = (int)ev->tgid;
	f.role = o->role[0] ? o->role : NULL;
	f.statement_seq = o->seq;
	f.statement_id = ev->start_ns;
	f.outcome = sw_my_completion_outcome(ev->sql_errno, o->killed);
	f.rows = sw_my_completion_rows(ev);
	f.commands = 1;
	if (sqlcom && strncmp(sqlcom, "SQLCOM_", 7) == 0)
		sqlcom += 7;   /* "SELECT", like PostgreSQL's command tags */
	f.command = sqlcom && sqlcom[0] && strcmp(sqlcom, "?") != 0 ? sqlcom : NULL;
	f.duration_ms = ev->ktime_ns > ev->start_ns ? (int64_t)((ev->ktime_ns - ev->start_ns) / 1000000) : 0;
	if (o->killed && strcmp(f.outcome, "over_budget") == 0)
		f.budget_ms = o->budget_ms;
	f.embedded = embedded;
	sw_completion_members(w, &f);
	/* MariaDB's own: the connection (pid is mariadbd's) and the error number (no SQLSTATE is read).
	 * Embedded too: readers expand the object into the completion record it stands for, and the
	 * statement record's own members they copy do not include these. */
	sw_jw_kv_int(w, "connection_id", (int64_t)ev->conn_id);
	if (ev->sql_errno)
		sw_jw_kv_int(w, "sql_errno", ev->sql_errno);
	*budget_ms = f.budget_ms;
}

static void note_budget_stop(const struct sw_my_done_event *ev, unsigned budget_ms)
{
	if (budget_ms)
		fprintf(stderr, "sqlward: mariadbd %d connection %llu: command stopped over its budget of %u ms\n",
			(int)ev->tgid, (unsigned long long)ev->conn_id, budget_ms);
}

/*
 * Deferred statement records. An observed command has run by the time its report is read, and
 * its completion usually comes in the same read of the ring buffer: its record waits for it until
 * the end of this poll, and the two become one record, the statement record with a "completion"
 * object (half the records to frame, hash and write; readers: record_completion.h). A record whose
 * completion does not come in this poll is written alone at its end, and the completion later as
 * a record of its own pointing at it (statement_seq).
 */
static void deferred_write(struct sw_daemon *d, struct sw_my_completions *c, size_t i,
			   const struct sw_my_done_event *ev)
{
	struct deferred *x = &c->deferred[i];
	struct open_cmd *o = open_of(c, x->conn_id);
	unsigned budget_ms = 0;
	uint64_t seq = 0;
	char err[512];

	if (!x->used)
		return;
	x->used = false;
	c->free_slot[c->n_free++] = (uint32_t)i;
	if (o && (o->start_ns != x->start_ns || o->deferred != i + 1))
		o = NULL;   /* not its command any more (cannot be: a newer one writes this first) */
	if (ev && o) {
		sw_jw_key(&x->body, "completion");
		sw_jw_object(&x->body);
		completion_members(d, &x->body, o, ev, true, &budget_ms);
		sw_jw_object_end(&x->body);
	}
	if (sw_ledger_append_body(d->ledger, x->body.buf, x->body.len, false, &seq, err, sizeof(err)) < 0) {
		fprintf(stderr, "sqlward: LEDGER WRITE FAILED: %s\n", err);
		sw_ledger_note_lost(d->ledger, "statement", &x->time);
	}
	if (!o)
		return;
	if (ev) {
		note_budget_stop(ev, budget_ms);
		open_drop(c, o);
		return;
	}
	o->deferred = 0;
	o->seq = seq;   /* its completion, when it comes, points here */
}

void sw_my_completion_record_deferred(struct sw_daemon *d, struct sw_my_completions *c, const struct sw_decision *dec,
				      uint64_t conn_id, uint64_t start_ns, const char *role)
{
	struct sw_full_text ft;
	struct deferred *x;
	struct open_cmd *o;
	size_t slot;

	/* Counted as sw_gate_record counts every statement decision; written later. */
	sw_gate_count(dec);
	o = open_add(d, c, conn_id, start_ns, 0, role);   /* may write (and free) the connection's older one */
	if (c->n_free) {
		slot = c->free_slot[--c->n_free];
	} else {
		if (c->n_deferred == c->cap_deferred) {
			size_t cap = c->cap_deferred ? 2 * c->cap_deferred : 16;
			c->deferred = sw_xrealloc(c->deferred, cap * sizeof(*c->deferred));
			c->free_slot = sw_xrealloc(c->free_slot, cap * sizeof(*c->free_slot));
			for (size_t i = c->cap_deferred; i < cap; i++)
				sw_jw_init(&c->deferred[i].body);
			c->cap_deferred = cap;
		}
		slot = c->n_deferred++;
	}
	x = &c->deferred[slot];
	x->conn_id = conn_id;
	x->start_ns = start_ns;
	x->used = true;
	x->time = dec->time;
	sw_ledger_keep_full_text(d->ledger, dec, &ft);
	sw_jw_reset(&x->body);
	sw_decision_members(&x->body, dec, &ft);
	o->deferred = (uint32_t)slot + 1;
}

void sw_my_completion_write_conn(struct sw_daemon *d, struct sw_my_completions *c, uint64_t conn_id)
{
	struct open_cmd *o;

	if (!c || !c->n_deferred || !(o = open_of(c, conn_id)) || !o->deferred)
		return;
	deferred_write(d, c, o->deferred - 1, NULL);
}

void sw_my_completion_write_deferred(struct sw_daemon *d, struct sw_my_completions *c)
{
	if (!c || !c->n_deferred)
		return;
	for (size_t i = 0; i < c->n_deferred; i++)
		deferred_write(d, c, i, NULL);
	c->n_deferred = 0;
	c->n_free = 0;
}

void sw_my_completion_on_done(struct sw_daemon *d, struct sw_my_completions *c, const struct sw_my_done_event *ev)
{
	struct open_cmd *o = open_of(c, ev->conn_id);
	unsigned budget_ms = 0;
	char err[512];

	if (!o || o->start_ns != ev->start_ns)
		return;   /* not a command the gate let run (refused, held for a human, or not recorded) */
	if (o->deferred) {
		/* Its record waits for it (the usual case): one record for both. */
		deferred_write(d, c, o->deferred - 1, ev);
		return;
	}
	sw_jw_reset(&c->w);
	completion_members(d, &c->w, o, ev, false, &budget_ms);
	if (sw_ledger_append_body(d->ledger, c->w.buf, c->w.len, false, NULL, err, sizeof(err)) < 0) {
		struct timespec t;
		sw_mono_to_timespec(d, ev->ktime_ns, &t);
		fprintf(stderr, "sqlward: LEDGER WRITE FAILED: %s\n", err);
		sw_ledger_note_lost(d->ledger, "completion", &t);
	}
	note_budget_stop(ev, budget_ms);
	open_drop(c, o);
}

/* Is thread key (pid_tgid) still running the command that started at start_ns? Sets *thd. */
static bool still_running(int running_fd, pid_t pid, uint64_t conn_id, uint64_t start_ns, uint64_t *thd,
			  uint64_t *key_out)
{
	uint64_t key, next;
	struct sw_my_running r;
	void *prev = NULL;

	/* The map is keyed by thread; a thread pool moves a connection between threads, so look by value. */
	while (bpf_map_get_next_key(running_fd, prev, &next) == 0) {
		key = next;
		prev = &key;
		if ((pid_t)(key >> 32) != pid || bpf_map_lookup_elem(running_fd, &key, &r) != 0)
			continue;
		if (r.conn_id == conn_id && r.start_ns == start_ns) {
			*thd = r.thd;
			*key_out = key;
			return true;
		}
	}
	return false;
}

void sw_my_completion_budgets(struct sw_my_completions *c, pid_t pid, int running_fd, uint32_t thd_killed,
			      uint64_t now_ns)
{
	if (!c || !c->n_budgets || running_fd < 0 || !thd_killed)
		return;
	for (size_t i = 0; i < c->n; i++) {
		struct open_cmd *o = &c->open[i];
		uint64_t thd = 0, key = 0;
		int32_t kill = KILL_QUERY, now_killed = 0;
		struct sw_my_running r;

		if (!o->deadline_ns || o->killed || o->deadline_ns > now_ns)
			continue;
		o->killed = true;   /* acted on, whatever comes of it */
		c->n_budgets--;
		if (!still_running(running_fd, pid, o->conn_id, o->start_ns, &thd, &key) || !thd)
			continue;   /* done already: its completion is on its way */
		{
			struct iovec l = { .iov_base = &now_killed, .iov_len = sizeof(now_killed) };
			struct iovec rm = { .iov_base = (void *)(uintptr_t)(thd + thd_killed), .iov_len = sizeof(now_killed) };
			/* Already killed (KILL from a client, a refusal): leave the server's own state alone. */
			if (process_vm_readv(pid, &l, 1, &rm, 1, 0) != (ssize_t)sizeof(now_killed) || now_killed != 0)
				continue;
		}
		{
			struct iovec l = { .iov_base = &kill, .iov_len = sizeof(kill) };
			struct iovec rm = { .iov_base = (void *)(uintptr_t)(thd + thd_killed), .iov_len = sizeof(kill) };
			if (process_vm_writev(pid, &l, 1, &rm, 1, 0) != (ssize_t)sizeof(kill)) {
				fprintf(stderr, "sqlward: cannot stop mariadbd %d connection %llu over its budget: %s\n",
					(int)pid, (unsigned long long)o->conn_id, strerror(errno));
				continue;
			}
		}
		/*
		 * The command may have ended between the look-up and the write: then the KILL_QUERY
		 * would meet the connection's next command. Looked up again: if the command is gone,
		 * the write is taken back (dispatch_command also clears KILL_QUERY as a command ends).
		 */
		if (bpf_map_lookup_elem(running_fd, &key, &r) != 0 || r.start_ns != o->start_ns) {
			int32_t none = 0;
			struct iovec l = { .iov_base = &none, .iov_len = sizeof(none) };
			struct iovec rm = { .iov_base = (void *)(uintptr_t)(thd + thd_killed), .iov_len = sizeof(none) };
			process_vm_writev(pid, &l, 1, &rm, 1, 0);
			o->killed = false;
		}
	}
}
