/*
 * The gate daemon: opens the configured engines' gates (engine_gate.h:
 * PostgreSQL's when its binaries are given, MariaDB's per --mariadb-pid),
 * and does the neutral work around them: the control socket, policy reload,
 * hold timeouts, the ledger's sync and flush, webhooks, the freeze.
 *
 * One thread, one epoll loop: the gates' fds, control socket, signals, the
 * ledger's sync thread's eventfd and a 10 ms tick (hold timeouts, ledger flush
 * and sync requests, each gate's own cadences); a second thread beats for the
 * gates, a third runs the ledger's fdatasyncs (ledger.h, "The sync thread"), so
 * no decision waits behind the loop's own sync. The top of the daemon's modules: it
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
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <unistd.h>
#include "control_server.h"
#include "daemon.h"
#include "daemon_freeze.h"
#include "daemon_memory.h"
#include "daemon_state.h"
#include "plan_store.h"
#include "release_queue.h"
#include "holds.h"
#include "ledger_access.h"
#include "ledger_upkeep.h"
#include "metrics_service.h"
#include "instance_lock.h"
#include "my_gate.h"
#include "pg_engine_gate.h"
#include "watchdog.h"
#include "util.h"

/* Records the kernel did not wake us for are read every tick (SW_ENGINE_TICK_MS): short
 * ticks mean small batches, so the daemon never takes a core away from the database for
 * long (a 100 ms tick made ~10 ms bursts that showed up in the clients' p99). */
#define HOLDS_CHECK_TICKS (SW_ENGINE_TICKS_PER_S / 10)
/* Unsynced records (observed statements) are written every 100 ms, one write(2) for many (or
 * sooner, at SW_LEDGER_FLUSH_BYTES): `sqlward log -f` sees them that late at most. A write per
 * loop pass cost more than hashing the records. What a SIGKILL can lose: ledger.c. */
#define LEDGER_FLUSH_TICKS (SW_ENGINE_TICKS_PER_S / 10)
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

/* Last opened, first closed: an engine opened later may lean on one opened before. */
static void engine_gates_close(struct sw_daemon *d)
{
	while (d->n_gates > 0) {
		struct sw_engine_gate *g = &d->gates[--d->n_gates];
		g->ops->close(g->gate);
	}
	d->n_engine_gates = 0;
}

/* The ledger's state, as the daemon sees it, and every gate told of a change (release_queue.c). */
static void engine_gates_ledger_state(struct sw_daemon *d, bool failing, const char *err)
{
	sw_daemon_ledger_state(d, failing, err);
}

static void apply_policy_to_kernel(struct sw_daemon *d)
{
	const char *const *pats;
	size_t n = sw_policy_govern_patterns(d->policy, &pats);

	for (int i = 0; i < d->n_gates; i++)
		d->gates[i].ops->set_patterns(d->gates[i].gate, pats, n);
}

/* ---- policy reload ------------------------------------------------------- */

/*
 * Approved plans (plan_store.h), kept beside the state file. Without them
 * (the directory unusable) no plan runs: every statement is judged by the
 * policy alone, which is the safe side, so the daemon still starts.
 */
static void open_plans(struct sw_daemon *d)
{
	struct sw_strv notes = { 0 };
	char err[768], *dir = sw_xstrdup(d->state_path), *slash = strrchr(dir, '/'), *pdir;

	if (slash)
		*slash = 0;
	pdir = sw_xasprintf("%s/sqlward-plans", slash ? (dir[0] ? dir : "/") : ".");
	if (sw_plan_store_open(pdir, &d->plans, &notes, err, sizeof(err)) < 0) {
		json_t *f = json_pack("{s:s, s:s}", "plan_dir", pdir, "error", err);
		fprintf(stderr, "sqlward: warning: %s; no approved plan runs until it is fixed\n", err);
		sw_daemon_note(d, "plans_unavailable", f);
		json_decref(f);
	}
	for (size_t i = 0; i < notes.n; i++) {
		json_t *f = json_pack("{s:s, s:s}", "plan_dir", pdir, "error", notes.v[i]);
		fprintf(stderr, "sqlward: warning: %s\n", notes.v[i]);
		sw_daemon_note(d, "plan_not_loaded", f);
		json_decref(f);
	}
	sw_strv_free(&notes);
	free(pdir);
	free(dir);
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
	d->policy_gen++;
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
		if (now - __atomic_load_n(&d->loop_alive_ns, __ATOMIC_ACQUIRE) < LOOP_STALL_NS) {
			pthread_mutex_lock(&d->gates_lock);
			for (int i = 0; i < d->n_gates; i++)
				if (d->gates[i].ops->heartbeat)
					d->gates[i].ops->heartbeat(d->gates[i].gate);
			pthread_mutex_unlock(&d->gates_lock);
		}
		nanosleep(&(struct timespec){ .tv_nsec = 100 * 1000000 }, NULL);
	}
	return NULL;
}

/* Tests only (SQLWARD_TEST_SYNC_DELAY_MS): a slow disk, every ledger fdatasync that much longer, to
 * show that no decision waits behind a sync it does not need. */
static int slow_datasync(int fd, void *ctx)
{
	unsigned ms = *(const unsigned *)ctx;

	nanosleep(&(struct timespec){ .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000 }, NULL);
	return fdatasync(fd) == 0 ? 0 : errno;
}

/* ---- main loop ----------------------------------------------------------- */

static int add_fd(int ep, int fd)
{
	struct epoll_event e = { .events = EPOLLIN, .data.fd = fd };
	return epoll_ctl(ep, EPOLL_CTL_ADD, fd, &e);
}

/*
 * A gate whose server restarted (engine_gate.h, follow): its successor's gate takes its slot (and
 * its fds in the loop), then the old one is closed.
 */
static void follow_gates(struct sw_daemon *d, int ep)
{
	for (int i = 0; i < d->n_gates; i++) {
		struct sw_engine_gate next, old = d->gates[i];
		int fds[SW_ENGINE_GATE_FDS], n;
		char err[1024] = "";

		if (!old.ops->follow || old.ops->follow(old.gate, &next, err, sizeof(err)) <= 0)
			continue;
		n = old.ops->fds(old.gate, fds);
		for (int k = 0; k < n; k++)
			epoll_ctl(ep, EPOLL_CTL_DEL, fds[k], NULL);
		pthread_mutex_lock(&d->gates_lock);
		d->gates[i] = next;
		pthread_mutex_unlock(&d->gates_lock);
		for (int e = 0; e < d->n_engine_gates; e++)
			if (d->engine_gates[e].gate == old.gate)
				d->engine_gates[e] = next;
		n = next.ops->fds(next.gate, fds);
		for (int k = 0; k < n; k++)
			if (add_fd(ep, fds[k]) != 0)
				fprintf(stderr, "sqlward: cannot wait on the new %s gate's fd %d: %s; it is read on every "
					"tick instead\n", next.ops->engine, fds[k], strerror(errno));
		if (d->ledger_failing_since_ns && next.ops->ledger_state)
			next.ops->ledger_state(next.gate, true, "the ledger is failing");
		old.ops->close(old.gate);
	}
}

int sw_daemon_run(const struct sw_daemon_opts *o)
{
	struct sw_daemon d;
	char err[1024];
	int rc = 1, ep = -1, sfd = -1, tfd = -1, cfd = -1, lfd;
	sigset_t mask;
	unsigned ticks = 0;
	pthread_t hb;
	bool hb_started = false;
	struct sw_metrics_service *metrics = NULL;   /* --metrics-listen / --metrics-textfile */
	struct sw_ledger_upkeep *upkeep = NULL;      /* rotation, retention, checkpoints */
	const char *stall_file = getenv("SQLWARD_TEST_STALL_FILE");

	sw_daemon_memory_init();   /* before any thread starts: one malloc policy for all */
	/* Before any thread or child starts (they inherit it): see SW_DEFAULT_NICE. */
	if (o->nice && setpriority(PRIO_PROCESS, 0, o->nice) != 0)
		fprintf(stderr, "sqlward: warning: cannot set the daemon's priority to %d (%s); records may be "
			"lost on a busy host: run as root or with CAP_SYS_NICE, or pass --nice 0\n", o->nice,
			strerror(errno));

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
	pthread_mutex_init(&d.gates_lock, NULL);
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
	/* fdatasyncs off the loop (the watchdog, forked before, syncs inline). Without the thread the
	 * ledger still works, each sync then blocking the loop as it did before the thread. */
	if (sw_ledger_sync_thread_start(d.ledger, err, sizeof(err)) != 0)
		fprintf(stderr, "sqlward: warning: %s; the ledger syncs in the main loop\n", err);
	if (getenv("SQLWARD_TEST_SYNC_DELAY_MS") && atoi(getenv("SQLWARD_TEST_SYNC_DELAY_MS")) > 0) {
		static unsigned delay_ms;
		delay_ms = (unsigned)atoi(getenv("SQLWARD_TEST_SYNC_DELAY_MS"));
		sw_ledger_set_datasync(d.ledger, slow_datasync, &delay_ms);
	}
	/* Metrics: a bad option refuses the start before any gate opens (after the watchdog's fork,
	 * which must not inherit the listener). */
	metrics = sw_metrics_service_open(&d, err, sizeof(err));
	if (!metrics && err[0]) {
		fprintf(stderr, "sqlward: refusing to start: %s\n", err);
		goto out;
	}
	/* Hold ids unique across restarts; the history of decided holds for stale ids. */
	d.next_hold_id = sw_control_hold_id_base(&d);
	open_plans(&d);
	if (sw_ledger_access_apply(sw_policy_ledger_readers(d.policy), o->ledger_path, err, sizeof(err)) < 0)
		fprintf(stderr, "sqlward: warning: %s\n", err);
	/* The engines' gates: PostgreSQL's (its probes, the backends already running, the holds a
	 * previous daemon left), then one per governed mariadbd. */
	if (o->n_pg_bins > 0) {
		if (sw_pg_engine_gate_open(&d, &d.gates[d.n_gates], err, sizeof(err)) < 0) {
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
	if (sfd < 0 || tfd < 0 || ep < 0 || add_fd(ep, sfd) || add_fd(ep, tfd) || add_fd(ep, cfd) ||
	    (sw_metrics_service_fd(metrics) >= 0 && add_fd(ep, sw_metrics_service_fd(metrics))) ||
	    ((lfd = sw_ledger_sync_fd(d.ledger)) >= 0 && add_fd(ep, lfd))) {
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
		/* ledger_sync: how durable a record is before its statement moves (daemon_opts.h). */
		json_t *f = json_pack("{s:s, s:s, s:o, s:b, s:s?, s:s}", "policy", o->policy_path, "policy_sha256",
				      sw_policy_digest(d.policy), "pg_bins", bins, "enforce", !o->observe_only,
				      "pin_dir", o->pin_dir, "ledger_sync",
				      o->ledger_sync == SW_LEDGER_SYNC_INTERVAL ? "interval" : "decision");
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
	upkeep = sw_ledger_upkeep_start(&o->ledger_upkeep, d.ledger, d.notifier, err, sizeof(err));
	if (!upkeep) {
		fprintf(stderr, "sqlward: refusing to start: %s\n", err);
		goto out;
	}
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
				if (ticks % LEDGER_FLUSH_TICKS == 0 && !d.ledger_failing_since_ns) {
					/* --ledger-sync interval: what statements moved on is synced (by the sync thread). */
					bool sync = d.decisions_unsynced;
					d.decisions_unsynced = false;
					if ((sync ? sw_ledger_sync_request(d.ledger, err, sizeof(err))
						  : sw_ledger_flush(d.ledger, err, sizeof(err))) != 0)
						engine_gates_ledger_state(&d, true, err);
				}
				if (ticks % SW_ENGINE_TICKS_PER_S == 0) {
					/* Observed records reach the disk within a second (or wait while it fails). */
					engine_gates_ledger_state(&d, (d.ledger_failing_since_ns
								       ? sw_ledger_retry(d.ledger, err, sizeof(err))
								       : sw_ledger_sync_request(d.ledger, err, sizeof(err))) != 0,
								  err);
					sw_holds_check_clients(&d);
					/* Ledger readers keep access to a rotated file and the head file. */
					if (sw_ledger_access_refresh(sw_policy_ledger_readers(d.policy), o->ledger_path, err,
								     sizeof(err)) < 0)
						fprintf(stderr, "sqlward: warning: %s\n", err);
					sw_daemon_freeze_changed(&d, "schedule");
					sw_metrics_service_tick(metrics, sw_mono_ns());
					sw_daemon_memory_tick(sw_mono_ns());
				}
				/* Each engine's own work, on its own cadences. */
				for (int g = 0; g < d.n_gates; g++)
					if (d.gates[g].ops->tick)
						d.gates[g].ops->tick(d.gates[g].gate, ticks);
				follow_gates(&d, ep);
			} else if (fd == sw_ledger_sync_fd(d.ledger)) {
				/* A sync finished: the statements it covers move in this pass's poll below. */
				if (sw_ledger_sync_reap(d.ledger, err, sizeof(err)) != 0)
					engine_gates_ledger_state(&d, true, err);
			} else if (fd == cfd) {
				sw_control_handle(&d, cfd);
			} else if (fd == sw_metrics_service_fd(metrics)) {
				sw_metrics_service_ready(metrics);
			} else {
				engine_gate_ready(&d, fd);
			}
		}
		/* Every gate, every pass (a tick too: MariaDB refuses a stop whose report was lost in
		 * time). Last opened first, so PostgreSQL's group commit syncs the others' records too. */
		for (int g = d.n_gates - 1; g >= 0; g--)
			d.gates[g].ops->poll(d.gates[g].gate);
		/* Rotation (by size on every pass), retention and checkpoints, when due. */
		if (!d.ledger_failing_since_ns)
			sw_ledger_upkeep_tick(upkeep, d.ledger);
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
	/* A last checkpoint covers the stop record; then the webhooks get their last chance. */
	if (upkeep) {
		sw_ledger_upkeep_stop(upkeep, rc == 0 ? d.ledger : NULL);
		sw_notifier_flush(d.notifier, 2000);
	}
	sw_notifier_stop(d.notifier);
	sw_metrics_service_close(metrics);
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
	sw_plan_store_free(d.plans);
	sw_prepared_free(d.prepared);
	sw_acache_free(d.acache);
	json_decref(d.contexts);
	free(d.state_path);
	return rc;
}
