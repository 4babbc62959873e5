/*
 * The gate daemon: loads the BPF side, learns sessions, judges every
 * statement event and enforces the verdict on held backends.
 *
 * One thread, one epoll loop: ring buffer, control socket, signals and a
 * 100 ms tick (heartbeat, hold timeouts, session sweep, drop counters).
 */
#include <errno.h>
#include <stddef.h>
#include <pthread.h>
#include <search.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <unistd.h>
#include <dirent.h>
#include <ctype.h>
#include "live_context.h"
#include "daemon_internal.h"
#include "analysis_cache.h"
#include "client_owner.h"
#include "shape.h"
#include "watchdog.h"
#include "pg_backend.h"
#include "util.h"

/* Records the kernel did not wake us for are read every tick: short ticks mean
 * small batches, so the daemon never takes a core away from the database for
 * long (a 100 ms tick made ~10 ms bursts that showed up in the clients' p99). */
#define TICK_MS 10
#define TICKS_PER_S (1000 / TICK_MS)
#define SWEEP_EVERY_TICKS (5 * TICKS_PER_S)
#define STATS_EVERY_TICKS (10 * TICKS_PER_S)
#define HOLDS_CHECK_TICKS (TICKS_PER_S / 10)
/* The kernel holds governed statements only while the daemon beats. A separate
 * thread beats so a long classification (a huge statement takes seconds) does
 * not make the kernel cancel everyone else's statements; it stops beating when
 * the main loop has made no progress for this long (hung: fail closed). */
#define LOOP_STALL_NS (30ull * 1000000000ull)

uint64_t sw_mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void sw_mono_to_timespec(const struct sw_daemon *d, uint64_t mono_ns, struct timespec *out)
{
	int64_t wall = (int64_t)mono_ns + d->mono_to_wall_ns;
	out->tv_sec = wall / 1000000000ll;
	out->tv_nsec = wall % 1000000000ll;
}

static void init_clock_offset(struct sw_daemon *d)
{
	struct timespec w;
	uint64_t m = sw_mono_ns();
	clock_gettime(CLOCK_REALTIME, &w);
	d->mono_to_wall_ns = ((int64_t)w.tv_sec * 1000000000ll + w.tv_nsec) - (int64_t)m;
}

/* ---- sessions ---------------------------------------------------------- */

static int sess_cmp(const void *a, const void *b)
{
	const struct sw_session_info *x = a, *y = b;
	return (x->pid > y->pid) - (x->pid < y->pid);
}

static struct sw_session_info *sess_find(struct sw_daemon *d, int pid)
{
	struct sw_session_info key = { .pid = pid };
	void *r = tfind(&key, &d->sessions, sess_cmp);
	return r ? *(struct sw_session_info **)r : NULL;
}

static uint32_t context_id(struct sw_daemon *d, const char *role, const char *database)
{
	char *k;
	json_t *v;
	uint32_t id;

	if (!database[0])
		return 0;
	k = sw_xasprintf("%s\x1f%s", role, database);
	v = json_object_get(d->contexts, k);
	if (v) {
		id = (uint32_t)json_integer_value(v);
	} else {
		id = ++d->next_ctx_id;
		json_object_set_new(d->contexts, k, json_integer(id));
	}
	free(k);
	return id;
}

/* Learn (or refresh) a session: role from the kernel or the title, database and client
 * from the title (as the kernel read it, else from /proc). */
static struct sw_session_info *sess_learn(struct sw_daemon *d, int pid, const char *role,
					  const char *kernel_title)
{
	struct sw_session_info *s = sess_find(d, pid);
	struct sw_pg_title t;
	char title[4096];
	bool have_title;

	if (!s) {
		s = sw_xcalloc(1, sizeof(*s));
		s->pid = pid;
		tsearch(s, &d->sessions, sess_cmp);
	}
	have_title = (kernel_title && sw_pg_parse_title(kernel_title, role && role[0] ? role : NULL, &t)) ||
		     (sw_proc_title(pid, title, sizeof(title)) &&
		      sw_pg_parse_title(title, role && role[0] ? role : NULL, &t));
	snprintf(s->role, sizeof(s->role), "%s", role && role[0] ? role : (have_title ? t.role : ""));
	snprintf(s->database, sizeof(s->database), "%s", have_title ? t.database : "");
	snprintf(s->client, sizeof(s->client), "%s", have_title ? t.client : "");
	s->governed = !s->role[0] || sw_policy_governs(d->policy, s->role);
	s->ctx_id = s->role[0] ? context_id(d, s->role, s->database) : 0;
	sw_gate_set_session(d->gate, (uint32_t)pid, s->role,
			    SW_SESS_KNOWN | (s->governed ? SW_SESS_GOVERNED : 0), s->ctx_id);
	return s;
}

struct sw_session_info *sw_session_find(struct sw_daemon *d, int pid)
{
	return sess_find(d, pid);
}

static void sess_free(struct sw_session_info *s)
{
	sw_strv_free(&s->txn);
	free(s);
}

static void sess_forget(struct sw_daemon *d, struct sw_session_info *s)
{
	sw_gate_drop_session(d->gate, (uint32_t)s->pid);
	sw_prepared_drop_session(d->prepared, s->pid);
	tdelete(s, &d->sessions, sess_cmp);
	sess_free(s);
}

void sw_session_track(struct sw_session_info *s, const struct sw_analysis *a)
{
	for (size_t i = 0; i < a->n_stmts; i++) {
		const char *cmd = a->stmts[i].command ? a->stmts[i].command : "";
		if (strcmp(cmd, "BEGIN") == 0 || strcmp(cmd, "START TRANSACTION") == 0) {
			sw_strv_free(&s->txn);
			s->in_txn = true;
		} else if (strcmp(cmd, "COMMIT") == 0 || strcmp(cmd, "ROLLBACK") == 0 ||
			   strcmp(cmd, "PREPARE TRANSACTION") == 0) {
			sw_strv_free(&s->txn);
			s->in_txn = false;
			continue;
		}
		if (!s->in_txn)
			continue;
		if (s->txn.n == SW_TXN_CONTEXT_MAX) {
			free(s->txn.v[0]);
			memmove(s->txn.v, s->txn.v + 1, (s->txn.n - 1) * sizeof(*s->txn.v));
			s->txn.n--;
		}
		sw_strv_push(&s->txn, a->stmts[i].text ? a->stmts[i].text : "");
	}
}

/* twalk has no context argument: collect into a static list. */
static struct sw_session_info **walk_list;
static size_t walk_n, walk_cap;
static void walk_collect(const void *node, VISIT which, int depth)
{
	(void)depth;
	if (which != postorder && which != leaf)
		return;
	if (walk_n == walk_cap) {
		walk_cap = walk_cap ? walk_cap * 2 : 64;
		walk_list = sw_xrealloc(walk_list, walk_cap * sizeof(*walk_list));
	}
	walk_list[walk_n++] = *(struct sw_session_info *const *)node;
}

static size_t sess_all(struct sw_daemon *d)
{
	walk_n = 0;
	if (d->sessions)
		twalk(d->sessions, walk_collect);
	return walk_n;
}

/* Drop sessions whose backend has exited; abandon their holds. */
static void sess_sweep(struct sw_daemon *d)
{
	size_t n = sess_all(d);
	for (size_t i = 0; i < n; i++) {
		struct sw_session_info *s = walk_list[i];
		if (sw_proc_state(s->pid) != 0)
			continue;
		for (size_t j = 0; j < d->n_holds; j++)
			if (d->holds[j]->pid == s->pid) {
				sw_holds_release(d, d->holds[j], SW_VERDICT_DENY, "sqlward", "client session ended while held",
						 "abandoned");
				j--;
			}
		sess_forget(d, s);
	}
}

static void sess_free_all(struct sw_daemon *d)
{
	size_t n = sess_all(d);
	for (size_t i = 0; i < n; i++) {
		tdelete(walk_list[i], &d->sessions, sess_cmp);
		sess_free(walk_list[i]);
	}
	free(walk_list);
	walk_list = NULL;
	walk_n = walk_cap = 0;
}

/* Backends that were running before we attached: learn them from their titles.
 * A governed one found stopped was held by a daemon that is gone: cancel it. */
static void adopt_existing_backends(struct sw_daemon *d)
{
	DIR *dir = opendir("/proc");
	struct dirent *de;

	while (dir && (de = readdir(dir))) {
		char exe[4096], title[4096];
		struct sw_pg_title t;
		struct sw_session_info *s;
		bool ours = false;
		int pid;

		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		pid = atoi(de->d_name);
		if (!sw_proc_exe(pid, exe, sizeof(exe)))
			continue;
		for (int i = 0; i < d->opts->n_pg_bins; i++)
			ours |= strcmp(exe, d->opts->pg_bins[i]) == 0;
		if (ours && d->opts->n_postmasters) {
			int ppid = sw_proc_ppid(pid);
			bool in = false;
			for (int i = 0; i < d->opts->n_postmasters; i++)
				in |= ppid == d->opts->postmasters[i];
			ours = in;
		}
		if (!ours || !sw_proc_title(pid, title, sizeof(title)) || !sw_pg_parse_title(title, NULL, &t))
			continue;
		s = sess_learn(d, pid, t.role, NULL);
		if (s->governed && sw_proc_state(pid) == 'T') {
			json_t *f = json_pack("{s:i, s:s, s:s}", "pid", pid, "role", s->role,
					      "action", "cancelled the statement of a backend found stopped at start "
					      "(held by a previous daemon; its statement is not known)");
			sw_daemon_note(d, "orphan_hold_cancelled", f);
			json_decref(f);
			sw_pg_cancel(pid);
		}
	}
	if (dir)
		closedir(dir);
}

/* ---- statements -------------------------------------------------------- */

static void record(struct sw_daemon *d, const struct sw_session_info *s, const struct timespec *wall,
		   const char *text, size_t len, bool complete, const struct sw_analysis *a,
		   const struct sw_judgement *per, const struct sw_judgement *overall, const char *outcome,
		   uint64_t held_us, const char *decided_by, const char *comment, bool sync, uint64_t *seq_out)
{
	struct sw_decision dec = {
		.time = *wall, .engine = SW_ENGINE_POSTGRES, .pid = s->pid, .role = s->role,
		.database = s->database[0] ? s->database : NULL, .client = s->client[0] ? s->client : NULL,
		.governed = s->governed, .statement = text, .statement_len = len,
		.statement_complete = complete, .analysis = a, .per_stmt = per, .overall = overall,
		.outcome = outcome, .held_us = held_us, .decided_by = decided_by, .comment = comment,
	};
	char err[512];

	if (sw_ledger_append_decision(d->ledger, &dec, sync, seq_out, err, sizeof(err)) < 0)
		fprintf(stderr, "sqlward: LEDGER WRITE FAILED: %s\n", err);
}

/* The statement text the daemon judges; *complete=false means fail closed. */
static char *statement_text(struct sw_daemon *d, const struct sw_statement_event *ev, bool held,
			    size_t *len, bool *complete)
{
	size_t got;
	char *full;

	if (ev->text_len > 0 && ev->text_len < SW_TEXT_CAP) {
		*len = (size_t)ev->text_len - 1;
		*complete = true;
		return sw_xstrndup(ev->text, *len);
	}
	/* Truncated in the event (or unreadable by BPF): read it from the held backend. */
	if (held && sw_proc_wait_stopped(ev->hdr.pid, 200)) {
		full = sw_proc_read_string(ev->hdr.pid, ev->text_addr, d->opts->max_statement_bytes, &got);
		if (full && (ev->text_len <= 0 || memcmp(full, ev->text, SW_TEXT_CAP - 1) == 0)) {
			*len = got;
			*complete = true;
			return full;
		}
		free(full);
	}
	*complete = false;
	if (ev->text_len > 0) {
		*len = strnlen(ev->text, SW_TEXT_CAP - 1);
		return sw_xstrndup(ev->text, *len);
	}
	*len = 0;
	return sw_xstrdup("");
}

const char *sw_daemon_frozen(struct sw_daemon *d)
{
	time_t now = time(NULL);
	if (sw_freeze_active(&d->freeze, now))
		return d->freeze.reason[0] ? d->freeze.reason : "freeze switched on";
	return sw_policy_freeze_window(d->policy, now);
}

static bool any_frozen_class(const struct sw_daemon *d, const struct sw_analysis *a)
{
	for (size_t i = 0; i < a->n_stmts; i++)
		if (sw_policy_freezes(d->policy, a->stmts[i].cls))
			return true;
	return false;
}

void sw_daemon_freeze_changed(struct sw_daemon *d, const char *source)
{
	const char *r = sw_daemon_frozen(d);
	bool now = r != NULL;
	json_t *f;

	if (now == d->frozen && (!now || strcmp(r, d->frozen_reason) == 0))
		return;
	d->frozen = now;
	snprintf(d->frozen_reason, sizeof(d->frozen_reason), "%s", r ? r : "");
	/* Cached "allow" verdicts were decided without the freeze. */
	sw_gate_cache_clear(d->gate);
	f = json_pack("{s:b, s:s, s:s}", "frozen", now, "reason", now ? d->frozen_reason : "", "source", source);
	json_object_set_new(f, "manual", sw_freeze_json(&d->freeze));
	sw_daemon_note(d, now ? "freeze_on" : "freeze_off", f);
	json_decref(f);
	if (now)
		for (size_t i = 0; i < d->n_holds;) {
			struct sw_hold *h = d->holds[i];
			if (any_frozen_class(d, &h->analysis) && sw_approval_timeout(&h->approval) == SW_APPROVAL_TIMED_OUT)
				sw_holds_release(d, h, SW_VERDICT_DENY, "sqlward", "freeze switched on", "cancelled");
			else
				i++;
		}
}

/* Shape verdicts only where the shape cannot hide a difference (see shape.c), and
 * only when the policy looks at nothing a literal can change. */
static bool shape_cacheable(const struct sw_daemon *d, const struct sw_analysis *a)
{
	return sw_shape_cacheable(a) && !sw_policy_literal_sensitive(d->policy);
}

static bool session_dependent(const struct sw_analysis *a)
{
	for (size_t i = 0; i < a->n_stmts; i++)
		if (a->stmts[i].execute_name || a->stmts[i].prepare_name ||
		    (a->stmts[i].traits & (SW_TRAIT_PREPARED | SW_TRAIT_UNRESOLVED)))
			return true;
	return a->n_stmts == 0;
}

static void handle_statement(struct sw_daemon *d, const struct sw_statement_event *ev)
{
	struct sw_session_info *s = sess_find(d, (int)ev->hdr.pid);
	bool held = ev->action == SW_ACT_HELD;
	struct sw_analysis a;
	struct sw_judgement *per, overall;
	struct sw_subject subj;
	struct timespec wall;
	bool complete;
	size_t len;
	char *text;
	uint64_t now;

	if (!s || !(ev->flags & SW_SESS_KNOWN))
		s = sess_learn(d, (int)ev->hdr.pid, ev->role[0] ? ev->role : NULL, NULL);
	sw_mono_to_timespec(d, ev->hdr.ktime_ns, &wall);
	text = statement_text(d, ev, held, &len, &complete);

	memset(&a, 0, sizeof(a));
	if (complete) {
		sw_acache_analyze(d->acache, text, len, &a);
		sw_prepared_resolve(d->prepared, s->pid, &a);
	} else {
		/* Fail closed: a statement we could not read in full is judged as unknown. */
		a.engine = SW_ENGINE_POSTGRES;
		a.parse_ok = false;
		a.error = sw_xstrdup("statement text could not be read in full");
		a.n_stmts = 1;
		a.stmts = sw_xcalloc(1, sizeof(*a.stmts));
		a.stmts[0].text = sw_xstrdup(text);
		a.stmts[0].cls = SW_CLASS_UNKNOWN;
		a.stmts[0].command = sw_xstrdup("UNKNOWN");
		sw_strv_push(&a.stmts[0].reasons, "statement text could not be read in full (judged fail-closed)");
	}
	subj.role = s->role;
	subj.database = s->database[0] ? s->database : NULL;
	per = sw_xcalloc(a.n_stmts ? a.n_stmts : 1, sizeof(*per));
	/* Live context (policy `live:`) for governed writes/DDL; reads are skipped inside. */
	if (s->governed)
		sw_live_annotate_dsn(sw_policy_live_dsn(d->policy), subj.database, &a);
	sw_policy_judge(d->policy, &subj, &a, per, &overall);
	if (!s->role[0]) {
		/* We could not learn who sent it: treat as governed and refuse. */
		overall.verdict = SW_VERDICT_DENY;
		overall.rule_id = "unknown-session";
		overall.reason = "the session's role could not be determined";
	} else if (!complete && s->governed) {
		overall.verdict = SW_VERDICT_DENY;
		overall.rule_id = "incomplete-text";
		overall.reason = "the statement could not be read in full";
	} else if (s->governed && overall.verdict != SW_VERDICT_DENY && d->frozen && any_frozen_class(d, &a)) {
		overall.verdict = SW_VERDICT_DENY;
		overall.rule_id = "freeze";
		overall.reason = d->frozen_reason;
	}
	now = sw_mono_ns();

	if (ev->action == SW_ACT_OBSERVED || (held && !s->governed)) {
		/* Ungoverned (or held only because the session was unknown to the kernel). */
		if (held)
			sw_pg_resume(s->pid);
		record(d, s, &wall, text, len, complete, &a, per, &overall, "observed", 0, NULL, NULL, false, NULL);
		if (complete) {
			sw_prepared_commit(d->prepared, s->pid, &a);
			sw_session_track(s, &a);
		}
	} else if (ev->action == SW_ACT_CACHED_ALLOW || ev->action == SW_ACT_SHAPE_ALLOW) {
		if (overall.verdict != SW_VERDICT_ALLOW)
			fprintf(stderr, "sqlward: WARNING: the kernel's %s cache allowed a statement the policy now "
				"judges %s (pid %d); caches are flushed on policy and freeze changes, so report this\n",
				ev->action == SW_ACT_SHAPE_ALLOW ? "shape" : "verdict", sw_verdict_name(overall.verdict),
				s->pid);
		record(d, s, &wall, text, len, complete, &a, per, &overall, "ran", 0,
		       ev->action == SW_ACT_SHAPE_ALLOW ? "shape-cache" : "cache", NULL, false, NULL);
		sw_prepared_commit(d->prepared, s->pid, &a);
		sw_session_track(s, &a);
	} else if (ev->action == SW_ACT_CANCELLED) {
		struct sw_judgement j = { .verdict = SW_VERDICT_DENY, .rule_id = "no-daemon",
					  .reason = "no live sqlward daemon when the statement arrived" };
		record(d, s, &wall, text, len, complete, &a, per, &j, "cancelled", 0, "kernel", NULL, false, NULL);
	} else if (overall.verdict == SW_VERDICT_HOLD && !d->opts->observe_only && !d->stopping) {
		struct sw_hold *h = sw_xcalloc(1, sizeof(*h));
		const struct sw_rule *rule = sw_policy_rule(d->policy, overall.rule_id);
		struct sw_client_owner owner;
		char exe[4096];

		h->pid = s->pid;
		h->sess = *s;
		memset(&h->sess.txn, 0, sizeof(h->sess.txn));
		sw_strv_copy(&h->txn_before, &s->txn);
		sw_sha256_hex(text, len, h->statement_sha256);
		sw_approval_init(&h->approval, rule ? rule->approvals_required : 1, rule ? &rule->approvers : NULL);
		if (sw_client_owner(s->pid, &owner))
			sw_approval_set_requester(&h->approval, owner.uid, owner.user, owner.pid);
		/* The backend is stopped: its timeouts can be read race-free. */
		if (sw_proc_exe(s->pid, exe, sizeof(exe)))
			h->timeouts_known = sw_pg_read_global_int(s->pid, exe, "StatementTimeout", &h->statement_timeout_ms) &&
					    sw_pg_read_global_int(s->pid, exe, "LockTimeout", &h->lock_timeout_ms);
		h->start_ns = ev->hdr.ktime_ns;
		h->wall = wall;
		h->deadline_ns = now + (uint64_t)(overall.hold_timeout_s ? overall.hold_timeout_s
							 : SW_HOLD_TIMEOUT_DEFAULT_S) * 1000000000ull;
		h->statement = text;
		h->statement_len = len;
		h->analysis = a;
		h->per_stmt = per;
		h->overall = overall;
		record(d, s, &wall, text, len, complete, &a, per, &overall, "held", 0, "policy", NULL, true,
		       &h->ledger_seq);
		sw_holds_add(d, h);
		if (rule && rule->webhook) {
			json_t *dossier = sw_hold_json(d, h, sw_mono_ns());
			json_t *body = json_pack("{s:s, s:o}", "event", "statement_held", "hold", dossier);
			sw_notifier_post(d->notifier, rule->webhook, body);
			json_decref(body);
		}
		sw_watchdog_tell(d->watchdog_fd, "H %d %llu %s %s\n", h->pid, (unsigned long long)h->id,
				 h->statement_sha256, s->role[0] ? s->role : "-");
		fprintf(stderr, "sqlward: holding pid %d (%s): hold #%llu, rule %s\n", s->pid, s->role,
			(unsigned long long)h->id, overall.rule_id);
		return;   /* the hold owns text, analysis and judgements */
	} else {
		bool allow = overall.verdict == SW_VERDICT_ALLOW || d->opts->observe_only;
		uint64_t held_us = (now - ev->hdr.ktime_ns) / 1000;
		/* The record reaches the disk before the backend moves: queued, synced and
		 * released with the others decided in this pass (release_decided). */
		record(d, s, &wall, text, len, complete, &a, per, &overall, allow ? "ran" : "cancelled",
		       held_us, "policy", NULL, false, NULL);
		if (d->n_releases == d->cap_releases) {
			d->cap_releases = d->cap_releases ? 2 * d->cap_releases : 16;
			d->releases = sw_xrealloc(d->releases, d->cap_releases * sizeof(*d->releases));
		}
		d->releases[d->n_releases++] = (struct sw_release){ .pid = s->pid, .allow = allow };
		if (allow) {
			sw_prepared_commit(d->prepared, s->pid, &a);
			sw_session_track(s, &a);
			if (!d->opts->no_cache && !d->opts->observe_only && !d->frozen && complete && len + 1 < SW_TEXT_CAP &&
			    !session_dependent(&a)) {
				sw_gate_cache_allow(d->gate, s->ctx_id, text, (uint32_t)len + 1);
				if (shape_cacheable(d, &a))
					sw_gate_shape_allow(d->gate, s->ctx_id, text, len);
			}
		}
	}
	sw_analysis_free(&a);
	free(per);
	free(text);
}

/*
 * Group commit: one fdatasync for every statement the policy decided in this
 * pass (sixteen sessions starting at once wait for one sync, not sixteen),
 * then each backend moves. A failed sync is reported like any ledger failure;
 * the statements are still released or cancelled, never left paused.
 */
static void release_decided(struct sw_daemon *d)
{
	char err[512];

	if (!d->n_releases)
		return;
	if (sw_ledger_sync(d->ledger, err, sizeof(err)) != 0)
		fprintf(stderr, "sqlward: LEDGER WRITE FAILED: %s\n", err);
	for (size_t i = 0; i < d->n_releases; i++) {
		if (d->releases[i].allow)
			sw_pg_resume(d->releases[i].pid);
		else
			sw_pg_cancel(d->releases[i].pid);
	}
	d->n_releases = 0;
}

static int on_event(void *ctx, const void *data, size_t size)
{
	struct sw_daemon *d = ctx;
	const struct sw_event_hdr *h = data;

	if (size < sizeof(*h))
		return 0;
	if (h->type == SW_EV_SESSION && size >= sizeof(struct sw_session_event)) {
		const struct sw_session_event *ev = data;
		char role[SW_ROLE_MAX + 1], title[SW_TITLE_MAX + 1];
		memcpy(role, ev->role, SW_ROLE_MAX);
		role[SW_ROLE_MAX] = 0;
		memcpy(title, ev->title, SW_TITLE_MAX);
		title[ev->title_len > 0 && ev->title_len <= SW_TITLE_MAX ? ev->title_len : 0] = 0;
		if (role[0])
			sess_learn(d, (int)h->pid, role, title[0] ? title : NULL);
	} else if (h->type == SW_EV_STATEMENT &&
		   size >= offsetof(struct sw_statement_event, text) + SW_TEXT_SMALL) {
		/* Short statements travel in short records: widen to the full layout. */
		static struct sw_statement_event full;
		size_t take = size < sizeof(full) ? size : sizeof(full);
		memcpy(&full, data, take);
		memset((char *)&full + take, 0, sizeof(full) - take);
		handle_statement(d, &full);
	}
	return 0;
}

/* A held backend whose client hung up: nobody is waiting for the answer. */
static void holds_check_clients(struct sw_daemon *d)
{
	for (size_t i = 0; i < d->n_holds;) {
		struct sw_hold *h = d->holds[i];
		if (sw_client_gone(h->pid))
			sw_holds_release(d, h, SW_VERDICT_DENY, "sqlward", "the client disconnected while held",
					 "abandoned");
		else
			i++;
	}
}

/* ---- daemon records, stats, policy reload ------------------------------- */

void sw_daemon_note(struct sw_daemon *d, const char *event, json_t *fields)
{
	struct timespec now;
	char ts[64], err[512];
	json_t *rec;

	clock_gettime(CLOCK_REALTIME, &now);
	sw_format_time(&now, ts, sizeof(ts));
	rec = json_pack("{s:s, s:s, s:s}", "type", "daemon", "time", ts, "event", event);
	if (fields)
		json_object_update(rec, fields);
	if (d->ledger && sw_ledger_append_opts(d->ledger, rec, true, NULL, err, sizeof(err)) < 0)
		fprintf(stderr, "sqlward: LEDGER WRITE FAILED: %s\n", err);
	{
		char *txt = json_dumps(fields ? fields : rec, JSON_COMPACT);
		fprintf(stderr, "sqlward: %s %s\n", event, txt ? txt : "");
		free(txt);
	}
	json_decref(rec);
}

static void report_stats(struct sw_daemon *d, bool force)
{
	uint64_t st[SW_STAT__COUNT];

	sw_gate_stats(d->gate, st);
	if (force || st[SW_STAT_RB_DROPS] != d->last_stats[SW_STAT_RB_DROPS] ||
	    st[SW_STAT_NO_DAEMON_CANCELS] != d->last_stats[SW_STAT_NO_DAEMON_CANCELS]) {
		json_t *f = json_pack("{s:I, s:I, s:I, s:I, s:I, s:I}",
				      "ring_buffer_drops", (json_int_t)st[SW_STAT_RB_DROPS],
				      "held", (json_int_t)st[SW_STAT_HELD],
				      "cache_hits", (json_int_t)st[SW_STAT_CACHE_HITS],
				      "shape_hits", (json_int_t)st[SW_STAT_SHAPE_HITS],
				      "kernel_cancels", (json_int_t)st[SW_STAT_NO_DAEMON_CANCELS],
				      "unknown_sessions", (json_int_t)st[SW_STAT_UNKNOWN_SESSION]);
		sw_daemon_note(d, "counters", f);
		json_decref(f);
	}
	memcpy(d->last_stats, st, sizeof(st));
}

static void apply_policy_to_kernel(struct sw_daemon *d)
{
	const char *const *pats;
	size_t n = sw_policy_govern_patterns(d->policy, &pats);
	char err[512];

	if (!sw_gate_set_patterns(d->gate, pats, n, err, sizeof(err)))
		fprintf(stderr, "sqlward: %s\n", err);
	sw_gate_cache_clear(d->gate);
}

static void reload_policy(struct sw_daemon *d)
{
	struct sw_policy *p;
	char err[1024];
	size_t n;

	if (sw_policy_load(d->opts->policy_path, &p, err, sizeof(err)) < 0) {
		json_t *f = json_pack("{s:s, s:s}", "policy", d->opts->policy_path, "error", err);
		sw_daemon_note(d, "policy_reload_refused", f);
		json_decref(f);
		return;
	}
	sw_policy_free(d->policy);
	d->policy = p;
	apply_policy_to_kernel(d);
	n = sess_all(d);
	for (size_t i = 0; i < n; i++) {
		struct sw_session_info *s = walk_list[i];
		s->governed = !s->role[0] || sw_policy_governs(d->policy, s->role);
		sw_gate_set_session(d->gate, (uint32_t)s->pid, s->role,
				    SW_SESS_KNOWN | (s->governed ? SW_SESS_GOVERNED : 0), s->ctx_id);
	}
	{
		json_t *f = json_pack("{s:s, s:s}", "policy", d->opts->policy_path, "policy_sha256",
				      sw_policy_digest(d->policy));
		sw_daemon_note(d, "policy_reloaded", f);
		json_decref(f);
	}
	sw_daemon_freeze_changed(d, "policy reload");
}

static void *heartbeat_main(void *arg)
{
	struct sw_daemon *d = arg;

	while (!__atomic_load_n(&d->heartbeat_stop, __ATOMIC_ACQUIRE)) {
		uint64_t now = sw_mono_ns();
		if (now - __atomic_load_n(&d->loop_alive_ns, __ATOMIC_ACQUIRE) < LOOP_STALL_NS)
			sw_gate_heartbeat(d->gate);
		nanosleep(&(struct timespec){ .tv_nsec = 100 * 1000000 }, NULL);
	}
	return NULL;
}

/* ---- main loop ----------------------------------------------------------- */

static int add_fd(int ep, int fd)
{
	struct epoll_event e = { .events = EPOLLIN, .data.fd = fd };
	return epoll_ctl(ep, EPOLL_CTL_ADD, fd, &e);
}

int sw_daemon_run(const struct sw_daemon_opts *o)
{
	struct sw_daemon d;
	struct sw_gate_opts go = { .pin_dir = o->pin_dir, .enforce = !o->observe_only, .grace_ms = o->grace_ms,
				   .postmasters = o->postmasters, .n_postmasters = o->n_postmasters };
	char err[1024];
	int rc = 1, ep = -1, sfd = -1, tfd = -1, cfd = -1;
	sigset_t mask;
	unsigned ticks = 0;
	pthread_t hb;
	bool hb_started = false;

	memset(&d, 0, sizeof(d));
	d.opts = o;
	d.watchdog_fd = -1;
	d.contexts = json_object();
	d.prepared = sw_prepared_new();
	d.acache = sw_acache_new(4096);
	init_clock_offset(&d);

	if (sw_policy_load(o->policy_path, &d.policy, err, sizeof(err)) < 0) {
		fprintf(stderr, "sqlward: refusing to start: %s\n", err);
		goto out;
	}
	{
		/* Forked before the ledger is opened (its lock must die with us) and before any thread. */
		struct sw_watchdog_opts wo = { .ledger_path = o->ledger_path, .policy = d.policy,
					       .pg_bins = o->pg_bins, .n_pg_bins = o->n_pg_bins,
					       .postmasters = o->postmasters, .n_postmasters = o->n_postmasters };
		d.watchdog_fd = sw_watchdog_start(&wo, err, sizeof(err));
		if (d.watchdog_fd < 0) {
			fprintf(stderr, "sqlward: refusing to start: %s\n", err);
			goto out;
		}
	}
	if (o->state_path) {
		d.state_path = sw_xstrdup(o->state_path);
	} else {
		char *dir = sw_xstrdup(o->ledger_path), *slash = strrchr(dir, '/');
		if (slash)
			*slash = 0;
		d.state_path = sw_xasprintf("%s/sqlward-state.json", slash ? (dir[0] ? dir : "/") : ".");
		free(dir);
	}
	if (sw_freeze_load(d.state_path, &d.freeze, err, sizeof(err)) < 0) {
		fprintf(stderr, "sqlward: refusing to start: %s\n", err);
		goto out;
	}
	if (sw_ledger_open(o->ledger_path, &d.ledger, err, sizeof(err)) < 0) {
		fprintf(stderr, "sqlward: refusing to start: %s\n", err);
		goto out;
	}
	if (sw_gate_open(&go, on_event, &d, &d.gate, err, sizeof(err)) < 0) {
		fprintf(stderr, "sqlward: refusing to start: %s\n", err);
		goto out;
	}
	apply_policy_to_kernel(&d);
	if (sw_gate_attach_exit(d.gate, err, sizeof(err)) < 0) {
		fprintf(stderr, "sqlward: refusing to start: %s\n", err);
		goto out;
	}
	for (int i = 0; i < o->n_pg_bins; i++)
		if (sw_gate_attach_sessions(d.gate, o->pg_bins[i], err, sizeof(err)) < 0) {
			fprintf(stderr, "sqlward: refusing to start: %s\n", err);
			goto out;
		}
	/* Sessions from before we attached, then statements: no backend is unaccounted for. */
	adopt_existing_backends(&d);
	for (int i = 0; i < o->n_pg_bins; i++)
		if (sw_gate_attach_statements(d.gate, o->pg_bins[i], err, sizeof(err)) < 0) {
			fprintf(stderr, "sqlward: refusing to start: %s\n", err);
			goto out;
		}
	if (sw_gate_pin(d.gate, err, sizeof(err)) < 0) {
		fprintf(stderr, "sqlward: refusing to start: %s\n", err);
		goto out;
	}
	cfd = sw_control_listen(o->socket_path, o->socket_group, err, sizeof(err));
	if (cfd < 0) {
		fprintf(stderr, "sqlward: refusing to start: %s\n", err);
		goto out;
	}

	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	sfd = signalfd(-1, &mask, SFD_CLOEXEC);
	tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
	timerfd_settime(tfd, 0, &(struct itimerspec){ .it_interval = { 0, TICK_MS * 1000000 },
						      .it_value = { 0, TICK_MS * 1000000 } }, NULL);
	ep = epoll_create1(EPOLL_CLOEXEC);
	if (sfd < 0 || tfd < 0 || ep < 0 || add_fd(ep, sfd) || add_fd(ep, tfd) || add_fd(ep, cfd) ||
	    add_fd(ep, sw_gate_epoll_fd(d.gate))) {
		fprintf(stderr, "sqlward: cannot set up the event loop: %s\n", strerror(errno));
		goto out;
	}
	{
		json_t *bins = json_array();
		for (int i = 0; i < o->n_pg_bins; i++)
			json_array_append_new(bins, json_string(o->pg_bins[i]));
		json_t *f = json_pack("{s:s, s:s, s:o, s:b, s:s?}", "policy", o->policy_path, "policy_sha256",
				      sw_policy_digest(d.policy), "pg_bins", bins, "enforce", !o->observe_only,
				      "pin_dir", o->pin_dir);
		sw_daemon_note(&d, "start", f);
		json_decref(f);
	}
	__atomic_store_n(&d.loop_alive_ns, sw_mono_ns(), __ATOMIC_RELEASE);
	if (pthread_create(&hb, NULL, heartbeat_main, &d) != 0) {
		fprintf(stderr, "sqlward: cannot start the heartbeat thread\n");
		goto out;
	}
	hb_started = true;
	d.notifier = sw_notifier_start();
	sw_daemon_freeze_changed(&d, "start");
	fprintf(stderr, "sqlward: gate ready: %d PostgreSQL binar%s, policy %s, ledger %s, control %s%s\n",
		o->n_pg_bins, o->n_pg_bins == 1 ? "y" : "ies", o->policy_path, o->ledger_path, o->socket_path,
		o->observe_only ? " (observe only)" : "");

	while (!d.stopping) {
		struct epoll_event evs[8];
		int n = epoll_wait(ep, evs, 8, 1000);
		if (n < 0 && errno != EINTR) {
			fprintf(stderr, "sqlward: epoll_wait: %s\n", strerror(errno));
			break;
		}
		__atomic_store_n(&d.loop_alive_ns, sw_mono_ns(), __ATOMIC_RELEASE);
		for (int i = 0; i < n; i++) {
			int fd = evs[i].data.fd;
			if (fd == sfd) {
				struct signalfd_siginfo si;
				if (read(sfd, &si, sizeof(si)) == sizeof(si)) {
					if (si.ssi_signo == SIGHUP)
						reload_policy(&d);
					else
						d.stopping = true;
				}
			} else if (fd == tfd) {
				uint64_t exp;
				if (read(tfd, &exp, sizeof(exp)) < 0)
					continue;
				ticks++;
				/* Records the kernel did not wake us for (observed, cached). */
				sw_gate_consume(d.gate);
				if (ticks % HOLDS_CHECK_TICKS == 0)
					sw_holds_expire(&d, sw_mono_ns());
				if (ticks % TICKS_PER_S == 0) {
					/* Observed records reach the disk within a second. */
					if (sw_ledger_sync(d.ledger, err, sizeof(err)) != 0)
						fprintf(stderr, "sqlward: LEDGER WRITE FAILED: %s\n", err);
					holds_check_clients(&d);
					sw_daemon_freeze_changed(&d, "schedule");
				}
				if (ticks % SWEEP_EVERY_TICKS == 0)
					sess_sweep(&d);
				if (ticks % STATS_EVERY_TICKS == 0)
					report_stats(&d, false);
			} else if (fd == cfd) {
				sw_control_handle(&d, cfd);
			} else {
				sw_gate_consume(d.gate);
			}
		}
		release_decided(&d);
		/* Records of this pass reach the file (batched: one write for many statements). */
		if (sw_ledger_flush(d.ledger, err, sizeof(err)) != 0)
			fprintf(stderr, "sqlward: LEDGER WRITE FAILED: %s\n", err);
	}
	/* From now on the kernel cancels governed statements itself; decide what it
	 * already sent, then let nobody stay paused. */
	__atomic_store_n(&d.heartbeat_stop, true, __ATOMIC_RELEASE);
	pthread_join(hb, NULL);
	hb_started = false;
	sw_gate_mark_dead(d.gate);
	sw_gate_consume(d.gate);
	release_decided(&d);
	sw_holds_release_all(&d, "cancelled", "sqlward daemon stopping");
	report_stats(&d, true);
	sw_daemon_note(&d, "stop", NULL);
	sw_watchdog_tell(d.watchdog_fd, "Q\n");
	rc = 0;
out:
	if (d.watchdog_fd >= 0) {
		if (rc != 0)
			sw_watchdog_tell(d.watchdog_fd, "Q\n");
		close(d.watchdog_fd);
	}
	if (hb_started) {
		__atomic_store_n(&d.heartbeat_stop, true, __ATOMIC_RELEASE);
		pthread_join(hb, NULL);
	}
	sw_notifier_stop(d.notifier);
	if (cfd >= 0) {
		close(cfd);
		unlink(o->socket_path);
	}
	if (ep >= 0)
		close(ep);
	if (sfd >= 0)
		close(sfd);
	if (tfd >= 0)
		close(tfd);
	for (size_t i = 0; i < d.n_holds; i++)
		sw_hold_free(d.holds[i]);
	free(d.holds);
	free(d.releases);
	sess_free_all(&d);
	sw_gate_close(d.gate);
	sw_ledger_close(d.ledger);
	sw_policy_free(d.policy);
	sw_prepared_free(d.prepared);
	sw_acache_free(d.acache);
	json_decref(d.contexts);
	free(d.state_path);
	return rc;
}
