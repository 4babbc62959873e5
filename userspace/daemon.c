/*
 * The gate daemon: opens the configured engines' gates (engine_gate.h:
 * PostgreSQL's when its binaries are given, MariaDB's per --mariadb-pid),
 * and does the neutral work around them: the control socket, policy reload,
 * hold timeouts, the ledger's sync and flush, webhooks, the freeze.
 *
 * One thread, one epoll loop: the gates' fds, control socket, signals and a
 * 10 ms tick (hold timeouts, ledger sync, each gate's own cadences); a
 * second thread beats for the gates. The top of the daemon's modules: it
 * calls the gates, holds and the control server, and nothing calls back into
 * it (see daemon_state.h). It knows no engine but by its open function.
 */
#include <errno.h>
#include <stddef.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <unistd.h>
#include "control_server.h"
#include "daemon.h"
#include "daemon_freeze.h"
#include "daemon_state.h"
#include "gate_events.h"
#include "holds.h"
#include "sessions.h"
#include "ledger_access.h"
#include "analysis_cache.h"
#include "binary_watch.h"
#include "instance_lock.h"
#include "hold_recovery.h"
#include "outcome_watch.h"
#include "client_owner.h"
#include "my_gate.h"
#include "shape.h"
#include "watchdog.h"
#include "pg_backend.h"
#include "pg_orphan.h"
#include "pg_settings.h"
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

/* ---- engine gates ----------------------------------------------------------- */

/* fd, one of a gate's, is readable: tell that gate. */
static void engine_gate_ready(struct sw_daemon *d, int fd)
{
	for (int i = 0; i < d->n_gates; i++) {
		int fds[SW_ENGINE_GATE_FDS];
		int n = d->gates[i].ops->fds(d->gates[i].gate, fds);
		for (int k = 0; k < n; k++)
			if (fds[k] == fd) {
				if (d->gates[i].ops->ready)
					d->gates[i].ops->ready(d->gates[i].gate, fd);
				return;
			}
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

/* ---- holds nobody waits for any more -------------------------------------- */

/* A held backend whose client hung up: nobody is waiting for the answer. */
static void holds_check_clients(struct sw_daemon *d)
{
	for (size_t i = 0; i < d->n_holds;) {
		struct sw_hold *h = d->holds[i];
		if (h->ops ? h->ops->client_gone(h->engine_ctx) : sw_client_gone(h->pid))
			sw_holds_release(d, h, SW_VERDICT_DENY, "sqlward", "the client disconnected while held",
					 "abandoned");
		else
			i++;
	}
}

/*
 * A held backend the server itself (or a DBA) is ending or cancelling: the
 * postmaster's fast or immediate shutdown (SIGTERM, SIGQUIT), pg_terminate_backend
 * (SIGTERM) or pg_cancel_backend (SIGINT). The signal waits while the backend is
 * stopped; nobody is waiting for a decision any more, so the hold is resolved at
 * once (a stopped backend would otherwise hold up `pg_ctl stop -m fast` until the
 * hold's timeout).
 */
static void holds_check_server_signals(struct sw_daemon *d)
{
	for (size_t i = 0; i < d->n_holds;) {
		struct sw_hold *h = d->holds[i];
		/* (MariaDB: KILL QUERY of a held thread is not seen; its hold times out or is decided.) */
		uint64_t pend = h->ops ? 0 : sw_proc_pending_signals(h->pid);
		if (pend & ((1ull << (SIGTERM - 1)) | (1ull << (SIGQUIT - 1))))
			sw_holds_release(d, h, SW_VERDICT_DENY, "server",
					 "the server is ending this session (shutdown or pg_terminate_backend)",
					 "terminated");
		else if (pend & (1ull << (SIGINT - 1)))
			sw_holds_release(d, h, SW_VERDICT_DENY, "server",
					 "the statement was cancelled while held (pg_cancel_backend)", "cancelled");
		else
			i++;
	}
}

/* ---- daemon records, stats, policy reload ------------------------------- */

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

/*
 * What the gate did while no daemon ran: the previous daemon's ring buffer
 * (statements cancelled or let through in the kernel, held ones its watchdog
 * refused) is recorded now, with the counters its gate kept.
 */
static void drain_previous(struct sw_daemon *d)
{
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

static bool engine_gate_fd(const struct sw_daemon *d, int fd)
{
	for (int i = 0; i < d->n_engine_gates; i++) {
		int fds[SW_ENGINE_GATE_FDS];
		int n = d->engine_gates[i].ops->fds(d->engine_gates[i].gate, fds);
		for (int k = 0; k < n; k++)
			if (fds[k] == fd)
				return true;
	}
	return false;
}

static void engine_gates_close(struct sw_daemon *d)
{
	for (int i = 0; i < d->n_engine_gates; i++)
		d->engine_gates[i].ops->close(d->engine_gates[i].gate);
	d->n_engine_gates = 0;
}

static void apply_policy_to_kernel(struct sw_daemon *d)
{
	const char *const *pats;
	size_t n = sw_policy_govern_patterns(d->policy, &pats);
	char err[512];

	if (!sw_gate_set_patterns(d->gate, pats, n, err, sizeof(err)))
		fprintf(stderr, "sqlward: %s\n", err);
	for (int i = 0; i < d->n_engine_gates; i++)
		d->engine_gates[i].ops->set_patterns(d->engine_gates[i].gate, pats, n);
	sw_gate_cache_clear(d->gate);
}

static void reload_policy(struct sw_daemon *d)
{
	struct sw_policy *p;
	char err[1024];

	if (sw_policy_load(d->opts->policy_path, &p, err, sizeof(err)) < 0) {
		json_t *f = json_pack("{s:s, s:s}", "policy", d->opts->policy_path, "error", err);
		sw_daemon_note(d, "policy_reload_refused", f);
		json_decref(f);
		return;
	}
	/* What was decided under the old policy is recorded under it: every gate takes in what
	 * its kernel side already sent before the switch. */
	for (int i = 0; i < d->n_gates; i++)
		if (d->gates[i].ops->settle)
			d->gates[i].ops->settle(d->gates[i].gate);
	{
		/* Holds judged under the old policy point at its rule ids and reasons: keep it while they wait. */
		struct sw_retired_policy *r = sw_xcalloc(1, sizeof(*r));
		r->p = d->policy;
		r->last_hold_id = d->next_hold_id;
		r->next = d->retired;
		d->retired = r;
	}
	d->policy = p;
	sw_holds_policy_gc(d, false);
	apply_policy_to_kernel(d);
	{
		json_t *f = json_pack("{s:s, s:s}", "policy", d->opts->policy_path, "policy_sha256",
				      sw_policy_digest(d->policy));
		sw_daemon_note(d, "policy_reloaded", f);
		json_decref(f);
	}
	sw_daemon_freeze_changed(d, "policy reload");
	{
		/* Ledger readers as the new policy names them (a reader removed loses access). */
		char err[512];
		if (sw_ledger_access_apply(sw_policy_ledger_readers(d->policy), d->opts->ledger_path, err,
					   sizeof(err)) < 0)
			fprintf(stderr, "sqlward: warning: %s\n", err);
	}
}

static void *heartbeat_main(void *arg)
{
	struct sw_daemon *d = arg;

	while (!__atomic_load_n(&d->heartbeat_stop, __ATOMIC_ACQUIRE)) {
		uint64_t now = sw_mono_ns();
		if (now - __atomic_load_n(&d->loop_alive_ns, __ATOMIC_ACQUIRE) < LOOP_STALL_NS)
			for (int i = 0; i < d->n_gates; i++)
				if (d->gates[i].ops->heartbeat)
					d->gates[i].ops->heartbeat(d->gates[i].gate);
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
	char err[1024];
	int rc = 1, ep = -1, sfd = -1, tfd = -1, cfd = -1;
	sigset_t mask;
	unsigned ticks = 0;
	pthread_t hb;
	bool hb_started = false;
	const char *stall_file = getenv("SQLWARD_TEST_STALL_FILE");

	/* SIGCHLD is the MariaDB holder's (its tracees' stops, read through its own signalfd): blocked
	 * in every thread, from before any starts, so no other thread takes it and the holder wakes at
	 * once. (Children are still reaped with waitpid.) */
	{
		sigset_t chld;
		sigemptyset(&chld);
		sigaddset(&chld, SIGCHLD);
		pthread_sigmask(SIG_BLOCK, &chld, NULL);
	}

	memset(&d, 0, sizeof(d));
	d.opts = o;
	d.watchdog_fd = -1;
	d.contexts = json_object();
	d.prepared = sw_prepared_new();
	d.acache = sw_acache_new(4096);
	sw_daemon_clock_init(&d);

	if (sw_policy_load(o->policy_path, &d.policy, err, sizeof(err)) < 0) {
		fprintf(stderr, "sqlward: refusing to start: %s\n", err);
		goto out;
	}
	/* The governed clusters (--postmaster-pid): the instance lock and the watchdog cover them,
	 * so they are read here, before any gate opens. */
	if (!sw_pg_scope_init(&d.scope, o->postmasters, o->n_postmasters, err, sizeof(err))) {
		fprintf(stderr, "sqlward: refusing to start: %s\n", err);
		goto out;
	}
	/* Before anything is touched: no other daemon governs these backends. (The watchdog,
	 * forked next, shares the locks: a new daemon waits until it has finished too.) */
	if (sw_instance_lock(&d.locks, getenv("SQLWARD_LOCK_DIR") ? getenv("SQLWARD_LOCK_DIR") : SW_LOCK_DIR,
			     o->pg_bins, o->n_pg_bins, &d.scope, err, sizeof(err)) < 0) {
		fprintf(stderr, "sqlward: refusing to start: %s\n", err);
		goto out;
	}
	{
		/* Forked before the ledger is opened (its lock must die with us) and before any thread. */
		struct sw_watchdog_opts wo = { .ledger_path = o->ledger_path, .policy = d.policy,
					       .pg_bins = o->pg_bins, .n_pg_bins = o->n_pg_bins,
					       .scope = &d.scope, .ledger_access = o->ledger_access };
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
	if (sw_ledger_open_opts(o->ledger_path, &(struct sw_ledger_open_opts){ .access = o->ledger_access },
				&d.ledger, err, sizeof(err)) < 0) {
		fprintf(stderr, "sqlward: refusing to start: %s\n", err);
		goto out;
	}
	/* Hold ids unique across restarts; the history of decided holds for stale ids. */
	d.next_hold_id = sw_control_hold_id_base(&d);
	if (sw_ledger_access_apply(sw_policy_ledger_readers(d.policy), o->ledger_path, err, sizeof(err)) < 0)
		fprintf(stderr, "sqlward: warning: %s\n", err);
	/* What each server binary's probes read, derived and checked before anything attaches. */
	d.layouts = sw_xcalloc(SW_BINS_MAX, sizeof(*d.layouts));
	sw_pg_refuse_layouts(d.layouts, &d.n_layouts);
	for (int i = 0; i < o->n_pg_bins; i++, d.n_layouts++)
		if (sw_pg_layout_load(o->pg_bins[i], &d.layouts[i], err, sizeof(err)) < 0) {
			fprintf(stderr, "sqlward: refusing to start: %s\n", err);
			goto out;
		}
	if (sw_binaries_find_running(&d, err, sizeof(err)) < 0) {
		fprintf(stderr, "sqlward: refusing to start: %s\n", err);
		goto out;
	}
	d.worker = sw_aworker_start();
	if (!d.worker) {
		fprintf(stderr, "sqlward: refusing to start: cannot start the classification thread: %s\n",
			strerror(errno));
		goto out;
	}
	if (sw_gate_open(&go, sw_gate_on_event, &d, &d.gate, err, sizeof(err)) < 0) {
		fprintf(stderr, "sqlward: refusing to start: %s\n", err);
		goto out;
	}
	for (int i = 0; i < d.scope.n; i++)
		sw_gate_scope_dir(d.gate, sw_pg_scope_kdev(d.scope.clusters[i].dev), d.scope.clusters[i].ino);
	apply_policy_to_kernel(&d);
	if (sw_gate_set_builtins(d.gate) < 0) {
		fprintf(stderr, "sqlward: refusing to start: cannot load the watched built-ins into the kernel: %s\n",
			strerror(errno));
		goto out;
	}
	{
		const struct sw_setting_entry *e;
		size_t n = sw_pg_setting_allowlist(&e), k = 0;
		const char **names = sw_xcalloc(n ? n : 1, sizeof(*names));
		for (size_t i = 0; i < n; i++)
			if (sw_pg_setting_any_value(e[i].name))
				names[k++] = e[i].name;
		if (sw_gate_set_free_settings(d.gate, names, k) < 0)
			fprintf(stderr, "sqlward: warning: could not load the harmless-settings list into the kernel; "
				"with no daemon alive governed connections will be refused\n");
		free(names);
	}
	if (sw_gate_attach_exit(d.gate, err, sizeof(err)) < 0) {
		fprintf(stderr, "sqlward: refusing to start: %s\n", err);
		goto out;
	}
	for (int i = 0; i < d.n_layouts; i++)
		if (sw_gate_attach_sessions(d.gate, i, &d.layouts[i], err, sizeof(err)) < 0) {
			fprintf(stderr, "sqlward: refusing to start: %s\n", err);
			goto out;
		}
		d.n_gates++;
	}
	for (int i = 0; i < o->n_mariadb_pids; i++) {
		struct sw_engine_gate *eg = &d.gates[d.n_gates];
		if (sw_my_gate_open(&d, o->mariadb_pids[i], !o->observe_only, eg, err, sizeof(err)) < 0) {
			fprintf(stderr, "sqlward: refusing to start: %s\n", err);
			goto out;
		}
		d.n_gates++;
		d.engine_gates[d.n_engine_gates++] = *eg;   /* `sqlward status` lists them */
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
	timerfd_settime(tfd, 0, &(struct itimerspec){ .it_interval = { 0, SW_ENGINE_TICK_MS * 1000000 },
						      .it_value = { 0, SW_ENGINE_TICK_MS * 1000000 } }, NULL);
	ep = epoll_create1(EPOLL_CLOEXEC);
	if (sfd < 0 || tfd < 0 || ep < 0 || add_fd(ep, sfd) || add_fd(ep, tfd) || add_fd(ep, cfd)) {
		fprintf(stderr, "sqlward: cannot set up the event loop: %s\n", strerror(errno));
		goto out;
	}
	for (int i = 0; i < d.n_gates; i++) {
		int fds[SW_ENGINE_GATE_FDS];
		int n = d.gates[i].ops->fds(d.gates[i].gate, fds);
		for (int k = 0; k < n; k++)
			if (add_fd(ep, fds[k])) {
				fprintf(stderr, "sqlward: cannot set up the event loop: %s\n", strerror(errno));
				goto out;
			}
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
	for (int i = 0; i < d.n_gates; i++)
		if (d.gates[i].ops->drain_previous)
			d.gates[i].ops->drain_previous(d.gates[i].gate);
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
		int n;

		/* Tests only: while this file exists the loop decides nothing (alive, but behind),
		 * so the ring buffer fills and the kernel's backpressure path is exercised. */
		if (stall_file && access(stall_file, F_OK) == 0) {
			__atomic_store_n(&d.loop_alive_ns, sw_mono_ns(), __ATOMIC_RELEASE);
			nanosleep(&(struct timespec){ .tv_nsec = 20 * 1000000 }, NULL);
			continue;
		}
		n = epoll_wait(ep, evs, 8, 1000);
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
					if (si.ssi_signo == SIGHUP) {
						/* logrotate's postrotate: continue in the file now at the path. */
						if (sw_ledger_reopen(d.ledger, err, sizeof(err)) < 0)
							fprintf(stderr, "sqlward: ledger not reopened: %s\n", err);
						reload_policy(&d);
					}
					else
						d.stopping = true;
				}
			} else if (fd == tfd) {
				uint64_t exp;
				if (read(tfd, &exp, sizeof(exp)) < 0)
					continue;
				ticks++;
				/* Webhook deliveries given up on become ledger records. */
				sw_notifier_drain(d.notifier, d.ledger);
				if (ticks % HOLDS_CHECK_TICKS == 0) {
					sw_holds_expire(&d, sw_mono_ns());
					sw_holds_check_server(&d);
				}
				if (ticks % SW_ENGINE_TICKS_PER_S == 0) {
					/* Observed records reach the disk within a second (or wait while it fails). */
					engine_gates_ledger_state(&d, (d.ledger_failing_since_ns
								       ? sw_ledger_retry(d.ledger, err, sizeof(err))
								       : sw_ledger_sync(d.ledger, err, sizeof(err))) != 0,
								  err);
					sw_holds_check_clients(&d);
					/* Ledger readers keep access to a rotated file and the head file. */
					if (sw_ledger_access_refresh(sw_policy_ledger_readers(d.policy), o->ledger_path, err,
								     sizeof(err)) < 0)
						fprintf(stderr, "sqlward: warning: %s\n", err);
					sw_daemon_freeze_changed(&d, "schedule");
				}
				/* Each engine's own work, on its own cadences. */
				for (int g = 0; g < d.n_gates; g++)
					if (d.gates[g].ops->tick)
						d.gates[g].ops->tick(d.gates[g].gate, ticks);
			} else if (fd == cfd) {
				sw_control_handle(&d, cfd);
			} else {
				engine_gate_ready(&d, fd);
			}
		}
		/* Every gate, every pass (a tick too: MariaDB refuses a stop whose report was lost in
		 * time). Last opened first, so PostgreSQL's group commit syncs the others' records too. */
		for (int g = d.n_gates - 1; g >= 0; g--)
			d.gates[g].ops->poll(d.gates[g].gate);
		/* Records of this pass reach the file (batched: one write for many statements). */
		if (!d.ledger_failing_since_ns && sw_ledger_flush(d.ledger, err, sizeof(err)) != 0)
			engine_gates_ledger_state(&d, true, err);
	}
	/* From now on the kernels refuse governed statements themselves: each gate decides what its
	 * kernel side already sent, then nobody stays paused. */
	__atomic_store_n(&d.heartbeat_stop, true, __ATOMIC_RELEASE);
	pthread_join(hb, NULL);
	hb_started = false;
	for (int g = 0; g < d.n_gates; g++)
		if (d.gates[g].ops->stopping)
			d.gates[g].ops->stopping(d.gates[g].gate);
	sw_holds_release_all(&d, "cancelled", "sqlward daemon stopping");
	/* Each gate decides what arrived, refuses what still waits and writes its last records. */
	engine_gates_close(&d);
	/* Tell the webhooks what was refused, and record what could not be told. */
	sw_notifier_flush(d.notifier, 3000);
	sw_notifier_drain(d.notifier, d.ledger);
	sw_holds_release_all(&d, "cancelled", "sqlward daemon stopping");
	sw_daemon_note(&d, "stop", NULL);
	sw_watchdog_tell(d.watchdog_fd, "Q\n");
	rc = 0;
out:
	if (rc != 0) {
		/* Failed after a gate opened: it refuses whatever its probes already stopped, so
		 * nothing stays paused behind a daemon that never started. */
		d.stopping = true;
		engine_gates_close(&d);
	}
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
	sw_instance_unlock(&d.locks);
	sw_ledger_close(d.ledger);
	sw_holds_policy_gc(&d, true);
	sw_policy_free(d.policy);
	sw_prepared_free(d.prepared);
	sw_acache_free(d.acache);
	sw_aworker_free(d.worker);
	free(d.layouts);
	json_decref(d.contexts);
	free(d.state_path);
	return rc;
}
