/*
 * PostgreSQL's gate for the daemon (see pg_engine_gate.h): open, the loop's
 * per-pass and per-tick work on their cadences, the heartbeat, a policy
 * switch, the ledger's state, the previous daemon's ring buffer, stop and
 * close. Its state lives in struct sw_daemon (d->gate, d->layouts, d->scope,
 * the session table), which gate_events.c and its helpers share.
 */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "pg_completion.h"
#include "pg_engine_gate.h"
#include "analysis_worker.h"
#include "binary_watch.h"
#include "daemon_state.h"
#include "gate_events.h"
#include "hold_recovery.h"
#include "holds.h"
#include "ledger_record.h"
#include "outcome_watch.h"
#include "pg_backend.h"
#include "pg_orphan.h"
#include "pg_settings.h"
#include "sessions.h"
#include "util.h"

#define SWEEP_EVERY_TICKS (5 * SW_ENGINE_TICKS_PER_S)
#define STATS_EVERY_TICKS (10 * SW_ENGINE_TICKS_PER_S)

struct sw_pg_engine_gate {
	struct sw_daemon *d;
	bool stopped;              /* the stopping op ran: close writes the last records */
};

static const struct sw_engine_gate_ops pg_gate_ops;

/* ---- sessions ---------------------------------------------------------- */

/* Drop sessions whose backend has exited; abandon their holds. */
static void sess_sweep(struct sw_daemon *d)
{
	struct sw_session_info **all;
	size_t n = sw_sessions_all(d, &all);
	for (size_t i = 0; i < n; i++) {
		struct sw_session_info *s = all[i];
		if (sw_proc_state(s->pid) != 0)
			continue;
		for (size_t j = 0; j < d->n_holds; j++)
			if (d->holds[j]->engine == SW_ENGINE_POSTGRES && d->holds[j]->pid == s->pid) {
				sw_holds_release(d, d->holds[j], SW_VERDICT_DENY, "sqlward", "client session ended while held",
						 "abandoned");
				j--;
			}
		sw_session_forget(d, s);
	}
}

/* Backends that were running before we attached: learn them from their titles.
 * A governed one found stopped was held by a daemon that is gone: cancel it. */
static void adopt_existing_backends(struct sw_daemon *d)
{
	DIR *dir = opendir("/proc");
	struct dirent *de;

	while (dir && (de = readdir(dir))) {
		char exe[4096];
		struct sw_pg_title t;
		struct sw_session_info *s;
		int pid = sw_binaries_proc_entry(d, de->d_name, exe, sizeof(exe));

		if (!pid || !sw_pg_scope_has(&d->scope, pid))
			continue;
		if (sw_pg_backend_title(sw_daemon_layout_of(d, pid), pid, &t)) {
			s = sw_session_learn(d, pid, t.role, NULL, t.walsender ? SW_SESS_WALSENDER : 0);
		} else {
			/* A client connection whose title does not parse (a database name with spaces)
			 * is governed with its role unknown: fail closed. Anything else (checkpointer,
			 * background workers, the postmaster) is known and not governed. */
			char title[4096];
			if (!sw_proc_title(pid, title, sizeof(title)) || !sw_pg_title_is_client(title)) {
				sw_gate_set_session(d->gate, (uint32_t)pid, "", SW_SESS_KNOWN, 0);
				continue;
			}
			s = sw_session_learn(d, pid, NULL, NULL, 0);
		}
		if (s->governed && sw_proc_state(pid) == 'T') {
			/* Held by a daemon that is gone: refuse what it was doing, found from where it stopped. */
			char what[256];
			json_t *f;
			sw_pg_refuse_stopped(pid, d->layouts, d->n_layouts, what, sizeof(what));
			f = json_pack("{s:i, s:s, s:s}", "pid", pid, "role", s->role, "action", what);
			sw_daemon_note(d, "orphan_hold_cancelled", f);
			json_decref(f);
		} else if (!s->governed && sw_proc_state(pid) == 'T' && kill(pid, SIGCONT) == 0) {
			/* Paused by a gone daemon's kernel side for room in its ring buffer (and its
			 * watchdog gone too): an ungoverned statement runs on; its record was lost. */
			json_t *f = json_pack("{s:i, s:s, s:s}", "pid", pid, "role", s->role, "action",
					      "resumed: an ungoverned backend left paused for room in the ring buffer");
			sw_daemon_note(d, "paused_backend_resumed", f);
			json_decref(f);
		}
	}
	if (dir)
		closedir(dir);
}

/* What became of a hold its daemon (and watchdog) never decided: state is the backend's before start-up. */
static void record_dangling_hold(struct sw_daemon *d, const struct sw_dangling_hold *h, char state)
{
	char err[512];
	const char *outcome, *what;
	json_t *rec;

	if (state == 'T') {
		outcome = "cancelled";
		what = "its backend was still stopped: refused at start-up by this daemon (see orphan_hold_cancelled)";
	} else if (!state) {
		outcome = "client_gone";
		what = "its backend had ended while no daemon ran; it cannot have run after the hold (a stopped "
		       "backend runs nothing)";
	} else {
		outcome = "unknown";
		what = "its backend was running again when this daemon started (resumed by someone else, or its "
		       "statement refused in the kernel): what it did is not known";
	}
	rec = sw_hold_unresolved_record(h->seq, h->pid, h->role, h->sha256, h->time, outcome, what);
	if (sw_ledger_append_opts(d->ledger, rec, true, NULL, err, sizeof(err)) < 0) {
		fprintf(stderr, "sqlward: LEDGER WRITE FAILED: %s\n", err);
		sw_ledger_note_lost(d->ledger, "hold_unresolved", NULL);
	}
	fprintf(stderr, "sqlward: a previous daemon's hold (held record seq %llu, pid %d) was never decided: %s\n",
		(unsigned long long)h->seq, h->pid, what);
	json_decref(rec);
}

/* Sessions from before we attached; holds a previous daemon left undecided (it died with its
 * watchdog) get their record. Their backends' states are read before adopting refuses them. */
static void adopt_and_recover(struct sw_daemon *d)
{
	char err[512];
	struct sw_dangling_hold *dh = NULL;
	int nd = sw_hold_recovery_scan(d->opts->ledger_path, 64u << 20, &dh, err, sizeof(err));
	char *states = sw_xcalloc(nd > 0 ? (size_t)nd : 1, 1);

	for (int i = 0; i < nd; i++)
		states[i] = sw_proc_state(dh[i].pid);
	adopt_existing_backends(d);
	for (int i = 0; i < nd; i++)
		record_dangling_hold(d, &dh[i], states[i]);
	free(states);
	free(dh);
}

/* ---- records the gate keeps ------------------------------------------------ */

static void report_stats(struct sw_daemon *d, bool force)
{
	uint64_t st[SW_STAT__COUNT];

	sw_gate_stats(d->gate, st);
	/* Every change in what was lost or refused without the daemon is written down. */
	if (force || st[SW_STAT_RB_DROPS] != d->last_stats[SW_STAT_RB_DROPS] ||
	    st[SW_STAT_NO_DAEMON_CANCELS] != d->last_stats[SW_STAT_NO_DAEMON_CANCELS] ||
	    st[SW_STAT_OVERFLOW_HELD] != d->last_stats[SW_STAT_OVERFLOW_HELD] ||
	    st[SW_STAT_OVERFLOW_FULL] != d->last_stats[SW_STAT_OVERFLOW_FULL] ||
	    st[SW_STAT_KERNEL_TERMINATIONS] != d->last_stats[SW_STAT_KERNEL_TERMINATIONS] ||
	    st[SW_STAT_UNPROBED_EXEC_KILLED] != d->last_stats[SW_STAT_UNPROBED_EXEC_KILLED] ||
	    st[SW_STAT_UNPROBED_EXEC_STOPPED] != d->last_stats[SW_STAT_UNPROBED_EXEC_STOPPED]) {
		json_t *f = sw_daemon_counters_json(st);
		sw_daemon_note(d, "counters", f);
		json_decref(f);
	}
	memcpy(d->last_stats, st, sizeof(st));
}

/* Pins removed while the daemon runs would let the gate open at its next restart: restore them. */
static void check_pins(struct sw_daemon *d)
{
	char err[512];
	int n = sw_gate_check_pins(d->gate, err, sizeof(err));

	if (n > 0 || (n < 0 && !d->pins_missing)) {
		json_t *f = n > 0 ? json_pack("{s:i, s:s}", "restored", n, "pin_dir", d->opts->pin_dir)
				  : json_pack("{s:s, s:s}", "error", err, "pin_dir", d->opts->pin_dir);
		sw_daemon_note(d, n > 0 ? "pins_restored" : "pins_missing", f);
		json_decref(f);
	}
	d->pins_missing = n < 0;
	if (n < 0)
		snprintf(d->pins_error, sizeof(d->pins_error), "%s", err);
}

/* ---- the ops --------------------------------------------------------------- */

static int pg_fds(const void *gate, int out[SW_ENGINE_GATE_FDS])
{
	const struct sw_pg_engine_gate *g = gate;
	out[0] = sw_gate_epoll_fd(g->d->gate);
	out[1] = sw_aworker_fd(g->d->worker);
	return 2;
}

static void pg_ready(void *gate, int fd)
{
	struct sw_pg_engine_gate *g = gate;
	if (fd == sw_aworker_fd(g->d->worker))
		sw_gate_worker_done(g->d);   /* large statements the worker has classified */
	else
		sw_gate_consume(g->d->gate);
}

/* Group commit: the records of this pass synced once, then every backend decided in it moves. */
static void pg_poll(void *gate)
{
	struct sw_pg_engine_gate *g = gate;
	sw_gate_release_decided(g->d);
}

static void pg_tick(void *gate, unsigned ticks)
{
	struct sw_pg_engine_gate *g = gate;
	struct sw_daemon *d = g->d;

	/* Records the kernel did not wake us for (observed, cached), and statements it held while
	 * the ring buffer was full. */
	sw_gate_consume(d->gate);
	sw_gate_take_overflow(d);
	if (ticks % SW_ENGINE_TICKS_PER_S == 0) {
		sw_binaries_check(d);
		sw_outcome_check(d);
	}
	if (ticks % SWEEP_EVERY_TICKS == 0) {
		sess_sweep(d);
		check_pins(d);
	}
	if (ticks % STATS_EVERY_TICKS == 0)
		report_stats(d, false);
}

static void pg_heartbeat(void *gate)
{
	struct sw_pg_engine_gate *g = gate;
	sw_gate_heartbeat(g->d->gate);
}

/* Patterns into the kernel, its caches emptied, and every known session governed (or not) anew. */
static void pg_set_patterns(void *gate, const char *const *pats, size_t n)
{
	struct sw_pg_engine_gate *g = gate;
	struct sw_daemon *d = g->d;
	struct sw_session_info **all;
	char err[512];

	if (!sw_gate_set_patterns(d->gate, pats, n, err, sizeof(err)))
		fprintf(stderr, "sqlward: %s\n", err);
	sw_gate_cache_clear(d->gate);
	n = sw_sessions_all(d, &all);
	for (size_t i = 0; i < n; i++) {
		struct sw_session_info *s = all[i];
		s->governed = !s->role[0] || sw_policy_governs(d->policy, s->role);
		sw_session_publish(d, s);
	}
}

/*
 * What the kernel allowed from its caches was decided under the old policy and
 * is recorded under it: first stop the caches, then take in everything the kernel
 * already sent (decided by the old policy); the daemon switches after.
 */
static void pg_settle(void *gate)
{
	struct sw_pg_engine_gate *g = gate;
	sw_gate_cache_clear(g->d->gate);
	sw_gate_consume(g->d->gate);
	sw_gate_take_overflow(g->d);
	sw_gate_release_decided(g->d);
}

static void pg_ledger_state(void *gate, bool failing, const char *err)
{
	struct sw_pg_engine_gate *g = gate;
	(void)err;
	sw_gate_ledger_failing(g->d, failing);
}

/*
 * What the gate did while no daemon ran: the previous daemon's ring buffer
 * (statements cancelled or let through in the kernel, held ones its watchdog
 * refused) is recorded now, with the counters its gate kept.
 */
static void pg_drain_previous(void *gate)
{
	struct sw_pg_engine_gate *g = gate;
	struct sw_daemon *d = g->d;
	struct sw_gate_previous prev;
	int n;

	d->draining_previous = true;
	n = sw_gate_drain_previous(d->gate, sw_gate_on_event, d, &prev);
	d->draining_previous = false;
	sw_gate_release_decided(d);
	bool any = n > 0;
	for (int i = 0; i < SW_STAT__COUNT; i++)
		any |= prev.stats[i] != 0;
	if (any) {
		/* Counted since the previous daemon's stop (since its start if it crashed). */
		json_t *f = json_pack("{s:i, s:i, s:o}", "events_recorded", n, "gates", prev.gates, "counters",
				      sw_daemon_counters_json(prev.stats));
		sw_daemon_note(d, "previous_gate", f);
		json_decref(f);
	}
	if (prev.foreign) {
		/* Another build's gate: its events and counters are not our structs, so nothing of
		 * what it did while no daemon ran can be recorded; its pins were removed. */
		json_t *f = json_pack("{s:i, s:o, s:i, s:s, s:s?}", "gates", prev.foreign, "their_abi",
				      prev.foreign_abi ? json_integer(prev.foreign_abi) : json_null(), "our_abi",
				      SW_ABI_VERSION, "events", "not read: laid out by another sqlward build",
				      "error", prev.foreign_error[0] ? prev.foreign_error : NULL);
		sw_daemon_note(d, "previous_gate_other_build", f);
		json_decref(f);
	}
}

/* From now on the kernel cancels governed statements itself; decide what it already sent. */
static void pg_stopping(void *gate)
{
	struct sw_pg_engine_gate *g = gate;
	struct sw_daemon *d = g->d;

	sw_gate_mark_dead(d->gate);
	sw_gate_consume(d->gate);
	sw_gate_take_overflow(d);
	sw_binaries_check(d);   /* nothing stays stopped at exec */
	/* Large statements still being classified: finish them (they are decided like any other). */
	sw_aworker_stop(d->worker);
	sw_gate_worker_done(d);
	sw_gate_release_decided(d);
	g->stopped = true;
}

static void pg_close(void *gate)
{
	struct sw_pg_engine_gate *g = gate;
	struct sw_daemon *d = g->d;

	if (g->stopped) {
		/* The last records: statements still watched, then what it read doing so. */
		sw_outcome_finish_all(d);   /* reads the ring buffer once more: completions it brought are next */
		sw_pg_completion_finish(d);
		/* (It read the ring buffer once more: whatever that decided moves too.) */
		sw_gate_take_overflow(d);
		sw_gate_release_decided(d);
		sw_holds_release_all(d, "cancelled", "sqlward daemon stopping");
		report_stats(d, true);
		/* The next daemon reads only what came after this stop. */
		sw_gate_stats_take(d->gate, d->last_stats);
	} else if (d->gate) {
		/* Start-up failed after the probes went live: decide (refuse) whatever they already
		 * stopped, so nothing stays paused behind a daemon that never started. */
		d->stopping = true;
		sw_gate_mark_dead(d->gate);
		sw_gate_consume(d->gate);
		sw_gate_take_overflow(d);
		if (d->worker) {
			sw_aworker_stop(d->worker);
			sw_gate_worker_done(d);
		}
		sw_gate_release_decided(d);
	}
	/* At a stop the execution checkpoints stay through their pins. */
	sw_sessions_free_all(d);
	sw_gate_close(d->gate);
	d->gate = NULL;
	sw_aworker_free(d->worker);
	d->worker = NULL;
	sw_pg_refuse_layouts(NULL, NULL);
	free(d->layouts);
	d->layouts = NULL;
	d->n_layouts = 0;
	free(g);
}

static const struct sw_engine_gate_ops pg_gate_ops = {
	.engine = "postgres", .fds = pg_fds, .ready = pg_ready, .poll = pg_poll, .tick = pg_tick,
	.heartbeat = pg_heartbeat, .set_patterns = pg_set_patterns, .settle = pg_settle,
	.ledger_state = pg_ledger_state, .drain_previous = pg_drain_previous, .stopping = pg_stopping,
	.close = pg_close,
	/* (state: `sqlward status` reads PostgreSQL's gate from struct sw_daemon, gate_state.c) */
};

/* ---- open ---------------------------------------------------------------- */

/* The settings any value of which is harmless, for the kernel's refused-connection fallback. */
static void load_free_settings(struct sw_daemon *d)
{
	const struct sw_setting_entry *e;
	size_t n = sw_pg_setting_allowlist(&e), k = 0;
	const char **names = sw_xcalloc(n ? n : 1, sizeof(*names));

	for (size_t i = 0; i < n; i++)
		if (sw_pg_setting_any_value(e[i].name))
			names[k++] = e[i].name;
	if (sw_gate_set_free_settings(d->gate, names, k) < 0)
		fprintf(stderr, "sqlward: warning: could not load the harmless-settings list into the kernel; "
			"with no daemon alive governed connections will be refused\n");
	free(names);
}

int sw_pg_engine_gate_open(struct sw_daemon *d, struct sw_engine_gate *out, char *err, size_t errlen)
{
	const struct sw_daemon_opts *o = d->opts;
	struct sw_gate_opts go = { .pin_dir = o->pin_dir, .enforce = !o->observe_only, .grace_ms = o->grace_ms,
				   .postmasters = o->postmasters, .n_postmasters = o->n_postmasters };
	struct sw_pg_engine_gate *g = sw_xcalloc(1, sizeof(*g));
	const char *const *pats;
	size_t np;

	g->d = d;
	/* What each server binary's probes read, derived and checked before anything attaches. */
	d->layouts = sw_xcalloc(SW_BINS_MAX, sizeof(*d->layouts));
	sw_pg_refuse_layouts(d->layouts, &d->n_layouts);
	for (int i = 0; i < o->n_pg_bins; i++, d->n_layouts++) {
		char facts[1024];
		if (sw_pg_layout_load(o->pg_bins[i], &d->layouts[i], err, errlen) < 0)
			goto fail;
		sw_pg_layout_describe(&d->layouts[i], facts, sizeof(facts));
		fprintf(stderr, "sqlward: %s\n", facts);
	}
	if (sw_binaries_find_running(d, err, errlen) < 0)
		goto fail;
	d->worker = sw_aworker_start();
	if (!d->worker) {
		snprintf(err, errlen, "cannot start the classification thread: %s", strerror(errno));
		goto fail;
	}
	if (sw_gate_open(&go, sw_gate_on_event, d, &d->gate, err, errlen) < 0)
		goto fail;
	for (int i = 0; i < d->scope.n; i++)
		sw_gate_scope_dir(d->gate, sw_pg_scope_kdev(d->scope.clusters[i].dev), d->scope.clusters[i].ino);
	np = sw_policy_govern_patterns(d->policy, &pats);
	pg_set_patterns(g, pats, np);
	if (sw_gate_set_builtins(d->gate) < 0) {
		snprintf(err, errlen, "cannot load the watched built-ins into the kernel: %s", strerror(errno));
		goto fail;
	}
	load_free_settings(d);
	if (sw_gate_attach_exit(d->gate, err, errlen) < 0)
		goto fail;
	for (int i = 0; i < d->n_layouts; i++)
		if (sw_gate_attach_sessions(d->gate, i, &d->layouts[i], err, errlen) < 0)
			goto fail;
	/* Sessions from before we attached, then every checkpoint: no backend is unaccounted for. */
	adopt_and_recover(d);
	for (int i = 0; i < d->n_layouts; i++)
		if (sw_gate_attach_checkpoints(d->gate, i, &d->layouts[i], err, errlen) < 0)
			goto fail;
	if (sw_binaries_init(d, err, errlen) < 0 || sw_gate_pin(d->gate, err, errlen) < 0)
		goto fail;
	out->ops = &pg_gate_ops;
	out->gate = g;
	return 0;
fail:
	pg_close(g);
	return -1;
}
