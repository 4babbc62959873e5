/* Loading, attaching and talking to sqlward.bpf.c through its skeleton. */
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "bpf_gate.h"
#include "exec_stop_peers.h"
#include "gate_abi.h"
#include "pg_layout.h"
#include "pg_builtin_watch.h"
#include "ring_reader.h"
#include "role_pattern.h"
#include "shape.h"
#include "sqlward.skel.h"
#include "util.h"

_Static_assert((int)SW_ROLE_PAT_EXACT == (int)SW_PAT_EXACT && (int)SW_ROLE_PAT_PREFIX == (int)SW_PAT_PREFIX &&
	       (int)SW_ROLE_PAT_SUFFIX == (int)SW_PAT_SUFFIX && (int)SW_ROLE_PAT_ANY == (int)SW_PAT_ANY,
	       "role pattern kinds must match the kernel's");
_Static_assert(sizeof(((struct sw_role_pattern *)0)->text) == sizeof(((struct sw_pattern *)0)->text),
	       "role pattern text must fit the kernel's");

#define MAX_LINKS 96   /* per binary: 6 checkpoints + 3 completion probes; 8 binaries + tracepoints */

struct sw_gate {
	struct sqlward_bpf *skel;
	struct sw_ring *rb;
	struct bpf_link *links[MAX_LINKS];
	int n_links;
	int n_pinned;              /* links[0 .. n_pinned) have pins under pin_dir */
	char *pin_dir;
	bool multi;                /* on_nested loaded as a uprobe-multi program (kernel 6.6+) */
};

#define SW_BPF_TRACE_UPROBE_MULTI 48   /* enum bpf_attach_type (linux 6.6); libbpf 1.1 does not know it */

static uint64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/*
 * Detaching a uprobe waits for the kernel's RCU grace periods (tens of ms):
 * links of ended sessions are destroyed by a few threads of their own (their
 * waits overlap and share grace periods), so the daemon's loop never waits
 * for them. sw_gate_close drains the queue.
 */
#define REAPERS 32
static pthread_mutex_t reap_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t reap_cv = PTHREAD_COND_INITIALIZER;
struct reap_item {
	struct bpf_link *l;     /* a libbpf link, or NULL: */
	int fd;                 /* a raw link fd */
};
static struct reap_item *reap_q;
static size_t reap_n, reap_cap;
static bool reap_started, reap_stop;
static pthread_t reap_threads[REAPERS];
static int n_reapers;

static void *reaper(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&reap_mu);
	for (;;) {
		struct reap_item it;
		while (!reap_n && !reap_stop)
			pthread_cond_wait(&reap_cv, &reap_mu);
		if (!reap_n)
			break;
		it = reap_q[--reap_n];
		pthread_mutex_unlock(&reap_mu);
		if (it.l)
			bpf_link__destroy(it.l);
		else
			close(it.fd);
		pthread_mutex_lock(&reap_mu);
	}
	pthread_mutex_unlock(&reap_mu);
	return NULL;
}

static void reap_item(struct reap_item it)
{
	pthread_mutex_lock(&reap_mu);
	if (!reap_started) {
		for (n_reapers = 0; n_reapers < REAPERS; n_reapers++)
			if (pthread_create(&reap_threads[n_reapers], NULL, reaper, NULL) != 0)
				break;
		reap_started = n_reapers > 0;
	}
	if (!reap_started) {
		pthread_mutex_unlock(&reap_mu);
		if (it.l)
			bpf_link__destroy(it.l);
		else
			close(it.fd);
		return;
	}
	if (reap_n == reap_cap) {
		reap_cap = reap_cap ? 2 * reap_cap : 64;
		reap_q = sw_xrealloc(reap_q, reap_cap * sizeof(*reap_q));
	}
	reap_q[reap_n++] = it;
	pthread_cond_signal(&reap_cv);
	pthread_mutex_unlock(&reap_mu);
}

static void reap(struct bpf_link *l)
{
	reap_item((struct reap_item){ .l = l, .fd = -1 });
}

static void reap_fd(int fd)
{
	reap_item((struct reap_item){ .l = NULL, .fd = fd });
}

static void reap_drain(void)
{
	uint64_t t0 = mono_ns();
	size_t left;

	pthread_mutex_lock(&reap_mu);
	if (!reap_started) {
		pthread_mutex_unlock(&reap_mu);
		return;
	}
	left = reap_n;
	reap_stop = true;
	pthread_cond_broadcast(&reap_cv);
	pthread_mutex_unlock(&reap_mu);
	for (int i = 0; i < n_reapers; i++)
		pthread_join(reap_threads[i], NULL);
	if (mono_ns() - t0 > 1000000000ull)
		fprintf(stderr, "sqlward: waited %.1f s for %zu probes of ended sessions to detach (the kernel waits for "
			"RCU grace periods)\n", (double)(mono_ns() - t0) / 1e9, left);
	free(reap_q);
	reap_q = NULL;
	reap_cap = 0;
	reap_started = reap_stop = false;
}


static int libbpf_quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_DEBUG || (level == LIBBPF_INFO && !getenv("SQLWARD_BPF_VERBOSE")))
		return 0;
	return vfprintf(stderr, fmt, ap);
}

int sw_gate_open(const struct sw_gate_opts *o, sw_gate_event_fn fn, void *ctx,
		 struct sw_gate **out, char *err, size_t errlen)
{
	struct sw_gate *g = sw_xcalloc(1, sizeof(*g));
	int rc;

	libbpf_set_print(libbpf_quiet);
	/* With uprobe-multi links where the kernel has them; else the execution checkpoint
	 * uses one perf-event uprobe per function (slower to detach when sessions end). */
	for (int attempt = 0; attempt < 2; attempt++) {
		g->skel = sqlward_bpf__open();
		if (!g->skel) {
			snprintf(err, errlen, "cannot open the BPF object: %s", strerror(errno));
			goto fail;
		}
		g->multi = attempt == 0;
		if (g->multi)
			bpf_program__set_expected_attach_type(g->skel->progs.on_nested,
							      (enum bpf_attach_type)SW_BPF_TRACE_UPROBE_MULTI);
		else
			bpf_program__set_autoload(g->skel->progs.on_nested, false);
		rc = sqlward_bpf__load(g->skel);
		if (rc == 0 || attempt == 1)
			break;
		sqlward_bpf__destroy(g->skel);
		g->skel = NULL;
	}
	if (rc) {
		snprintf(err, errlen, "the kernel refused the BPF programs (%s); run as root on a kernel "
			 "with BTF, uprobes and the BPF ring buffer, and see SQLWARD_BPF_VERBOSE=1 output",
			 strerror(-rc));
		goto fail;
	}
	/* Which layouts this gate's pinned ring buffer and .bss hold, for the daemons after us. */
	g->skel->bss->sw_abi_version = SW_ABI_VERSION;
	g->skel->bss->heartbeat_grace_ns = (uint64_t)(o->grace_ms ? o->grace_ms : 1000) * 1000000ull;
	g->skel->bss->heartbeat_ns = mono_ns();
	g->skel->bss->enforce = o->enforce ? 1 : 0;
	g->skel->bss->daemon_tgid = (uint32_t)getpid();
	for (int i = 0; i < o->n_postmasters && i < SW_POSTMASTERS_MAX; i++)
		g->skel->bss->postmasters[i] = (uint32_t)o->postmasters[i];
	g->skel->bss->n_postmasters = (uint32_t)(o->n_postmasters < SW_POSTMASTERS_MAX ? o->n_postmasters
											: SW_POSTMASTERS_MAX);
	g->rb = sw_ring_new(bpf_map__fd(g->skel->maps.events), (sw_ring_fn)fn, ctx);
	if (!g->rb) {
		snprintf(err, errlen, "cannot set up the BPF ring buffer: %s", strerror(errno));
		goto fail;
	}
	if (o->pin_dir)
		g->pin_dir = sw_xstrdup(o->pin_dir);
	*out = g;
	return 0;
fail:
	sw_gate_close(g);
	return -1;
}

int sw_gate_scope_dir(struct sw_gate *g, uint64_t kdev, uint64_t ino)
{
	struct sw_dir_key k = { .dev = kdev, .ino = ino };
	uint8_t one = 1;

	return bpf_map__update_elem(g->skel->maps.scope_dirs, &k, sizeof(k), &one, sizeof(one), BPF_ANY);
}

int sw_gate_attach_outcome(struct sw_gate *g, int idx, int pid, struct bpf_link *out[3], char *err, size_t errlen)
{
	static const char *const fns[3] = { "EndCommand", "EmitErrorReport", "ReadyForQuery" };
	struct bpf_program *progs[3] = { g->skel->progs.on_end_command, g->skel->progs.on_error_report,
					 g->skel->progs.on_ready_for_query };
	char exe[64];

	snprintf(exe, sizeof(exe), "/proc/%d/exe", pid);   /* the very file this backend runs */
	for (int i = 0; i < 3; i++) {
		LIBBPF_OPTS(bpf_uprobe_opts, uo, .func_name = fns[i], .bpf_cookie = (uint64_t)idx);
		out[i] = bpf_program__attach_uprobe_opts(progs[i], pid, exe, 0, &uo);
		if (!out[i]) {
			snprintf(err, errlen, "cannot attach the outcome probe %s to pid %d: %s", fns[i], pid,
				 strerror(errno));
			for (int k = 0; k < i; k++)
				bpf_link__destroy(out[k]);
			return -1;
		}
	}
	return 0;
}

static int ensure_bpffs(const char *dir, char *err, size_t errlen);

/* One more link of a backend's execution checkpoint, pinned as nested-DAEMON-PID-N. */
static int nested_add(struct sw_gate *g, struct sw_nested_links *out, int pid, struct bpf_link *l, const char *what,
		      char *err, size_t errlen)
{
	if (!l) {
		snprintf(err, errlen, "cannot attach the %s probe to pid %d: %s", what, pid, strerror(errno));
		return -1;
	}
	out->l = sw_xrealloc(out->l, (out->n + 1) * sizeof(*out->l));
	out->l[out->n++] = l;
	/* Pinned: with the daemon gone the checkpoint stays and refuses on its own. */
	if (g->pin_dir) {
		char path[4096];
		int rc;
		if (ensure_bpffs(g->pin_dir, err, errlen) < 0)
			return -1;
		snprintf(path, sizeof(path), "%s/nested-%d-%d-%zu", g->pin_dir, (int)getpid(), pid, out->n - 1);
		unlink(path);
		rc = bpf_link__pin(l, path);
		if (rc) {
			snprintf(err, errlen, "cannot pin the %s probe at %s: %s", what, path, strerror(-rc));
			return -1;
		}
	}
	return 0;
}

/* BPF_LINK_CREATE for a uprobe-multi link (union bpf_attr's link_create, linux 6.6). */
struct uprobe_multi_attr {
	uint32_t prog_fd, target_fd, attach_type, flags;
	uint64_t path, offsets, ref_ctr_offsets, cookies;
	uint32_t cnt, multi_flags, pid, pad;
	uint64_t tail[4];
};

/* The three checkpoints of one backend as one uprobe-multi link (on_nested), pinned. */
static int attach_multi(struct sw_gate *g, int idx, int pid, const struct sw_pg_layout *L, const char *exe,
			const int fns[3], struct sw_nested_links *out, char *err, size_t errlen)
{
	struct uprobe_multi_attr a;
	uint64_t offs[3], cookies[3];
	uint32_t n = 0;
	int fd;

	for (int i = 0; i < 3; i++)
		if (L->bpf.fn[fns[i]]) {
			offs[n] = L->exec_file_off[i];
			cookies[n++] = (uint64_t)idx | ((uint64_t)fns[i] << 8);
		}
	memset(&a, 0, sizeof(a));
	a.prog_fd = (uint32_t)bpf_program__fd(g->skel->progs.on_nested);
	a.attach_type = SW_BPF_TRACE_UPROBE_MULTI;
	a.path = (uint64_t)(uintptr_t)exe;
	a.offsets = (uint64_t)(uintptr_t)offs;
	a.cookies = (uint64_t)(uintptr_t)cookies;
	a.cnt = n;
	a.pid = (uint32_t)pid;
	fd = (int)syscall(__NR_bpf, BPF_LINK_CREATE, &a, sizeof(a));
	if (fd < 0) {
		snprintf(err, errlen, "cannot attach the execution checkpoint to pid %d: %s", pid, strerror(errno));
		return -1;
	}
	out->mfd = fd;
	out->has_m = true;
	if (g->pin_dir) {
		char path[4096];
		if (ensure_bpffs(g->pin_dir, err, errlen) < 0)
			goto fail;
		snprintf(path, sizeof(path), "%s/nested-%d-%d-m", g->pin_dir, (int)getpid(), pid);
		unlink(path);
		if (bpf_obj_pin(fd, path) != 0) {
			snprintf(err, errlen, "cannot pin the execution checkpoint at %s: %s", path, strerror(errno));
			goto fail;
		}
		out->mpin = sw_xstrdup(path);
	}
	return 0;
fail:
	sw_gate_detach_nested(out);
	return -1;
}

int sw_gate_attach_nested(struct sw_gate *g, int idx, int pid, const struct sw_pg_layout *L,
			  struct sw_nested_links *out, char *err, size_t errlen)
{
	struct bpf_program *progs[3] = { g->skel->progs.on_executor_start, g->skel->progs.on_process_utility,
					 g->skel->progs.on_function_lookup };
	static const int fns[3] = { SW_FN_EXECUTOR_START, SW_FN_PROCESS_UTILITY, SW_FN_FMGR_LOOKUP };
	char exe[64];

	memset(out, 0, sizeof(*out));
	if (!L->bpf.fn[SW_FN_EXECUTOR_START]) {
		snprintf(err, errlen, "the execution checkpoint is not verified for this binary: %s", L->exec_problem);
		return -1;
	}
	snprintf(exe, sizeof(exe), "/proc/%d/exe", pid);   /* the very file this backend runs */
	if (g->multi)
		return attach_multi(g, idx, pid, L, exe, fns, out, err, errlen);
	for (int i = 0; i < 3; i++) {
		LIBBPF_OPTS(bpf_uprobe_opts, uo, .bpf_cookie = (uint64_t)idx);
		if (!L->bpf.fn[fns[i]])
			continue;   /* the function checkpoint may be off where the execution checkpoint is on */
		if (nested_add(g, out, pid, bpf_program__attach_uprobe_opts(progs[i], pid, exe, (size_t)L->exec_file_off[i], &uo),
			       sw_pg_layout_fn_name(fns[i]), err, errlen) < 0)
			goto fail;
	}
	return 0;
fail:
	sw_gate_detach_nested(out);
	return -1;
}

void sw_gate_detach_nested(struct sw_nested_links *links)
{
	for (size_t i = 0; i < links->n; i++) {
		bpf_link__unpin(links->l[i]);
		reap(links->l[i]);
	}
	if (links->mpin)
		unlink(links->mpin);
	if (links->has_m)
		reap_fd(links->mfd);
	free(links->mpin);
	free(links->l);
	memset(links, 0, sizeof(*links));
}

void sw_gate_close_nested(struct sw_nested_links *links)
{
	for (size_t i = 0; i < links->n; i++)
		bpf_link__destroy(links->l[i]);
	if (links->has_m)
		close(links->mfd);   /* pinned: stays attached */
	free(links->mpin);
	free(links->l);
	memset(links, 0, sizeof(*links));
}

int sw_gate_set_builtins(struct sw_gate *g)
{
	size_t n;
	const struct sw_watched_builtin *b = sw_pg_watched_builtins(&n);

	for (size_t k = 0; k < SW_BUILTINS_MAX; k++)
		sw_pg_builtin_statement(k, g->skel->bss->builtin_texts[k].text, SW_BUILTIN_TEXT);
	for (size_t k = 0; k < n; k++) {
		uint32_t oid = b[k].oid, idx = (uint32_t)k;
		if (bpf_map__update_elem(g->skel->maps.watched_oids, &oid, sizeof(oid), &idx, sizeof(idx), BPF_ANY) != 0)
			return -1;
	}
	return 0;
}

int sw_gate_attach_exec(struct sw_gate *g, char *err, size_t errlen)
{
	struct bpf_link *l;

	if (g->n_links >= MAX_LINKS) {
		snprintf(err, errlen, "too many probes");
		return -1;
	}
	l = bpf_program__attach(g->skel->progs.on_process_exec);
	if (!l) {
		snprintf(err, errlen, "cannot attach to the sched_process_exec tracepoint: %s", strerror(errno));
		return -1;
	}
	g->links[g->n_links++] = l;
	return 0;
}

int sw_gate_bin_dir(struct sw_gate *g, uint64_t kdev, uint64_t ino, const char *name)
{
	struct sw_dir_key k = { .dev = kdev, .ino = ino };
	struct sw_bin_name v;

	memset(&v, 0, sizeof(v));
	if (strlen(name) >= sizeof(v.name))
		return -1;
	memcpy(v.name, name, strlen(name));
	return bpf_map__update_elem(g->skel->maps.bin_dirs, &k, sizeof(k), &v, sizeof(v), BPF_ANY);
}

int sw_gate_probed_file(struct sw_gate *g, uint64_t kdev, uint64_t ino)
{
	struct sw_dir_key k = { .dev = kdev, .ino = ino };
	uint8_t one = 1;

	return bpf_map__update_elem(g->skel->maps.probed_files, &k, sizeof(k), &one, sizeof(one), BPF_ANY);
}

size_t sw_gate_exec_stopped(struct sw_gate *g, uint32_t *pids, struct sw_exec_stop *stops, size_t max)
{
	struct bpf_map *m = g->skel->maps.exec_stopped;
	uint32_t key, next;
	size_t n = 0;
	bool first = true;

	while (n < max && bpf_map__get_next_key(m, first ? NULL : &key, &next, sizeof(next)) == 0) {
		first = false;
		key = next;
		if (bpf_map__lookup_elem(m, &key, sizeof(key), &stops[n], sizeof(stops[n]), 0) == 0)
			pids[n++] = key;
	}
	return n;
}

void sw_gate_exec_release(struct sw_gate *g, uint32_t pid)
{
	bpf_map__delete_elem(g->skel->maps.exec_stopped, &pid, sizeof(pid), 0);
}

bool sw_gate_exec_holds(struct sw_gate *g, uint32_t pid, uint64_t ktime_ns)
{
	return sw_exec_stop_in_map(bpf_map__fd(g->skel->maps.exec_stopped), pid, ktime_ns);
}

int sw_gate_exec_held_elsewhere(struct sw_gate *g, uint32_t pid, uint64_t ktime_ns, char *err, size_t errlen)
{
	return sw_exec_stop_peers(bpf_map__fd(g->skel->maps.exec_stopped), pid, ktime_ns, err, errlen);
}

void sw_gate_close(struct sw_gate *g)
{
	if (!g)
		return;
	reap_drain();
	sw_ring_free(g->rb);
	for (int i = 0; i < g->n_links; i++)
		bpf_link__destroy(g->links[i]);   /* pinned links stay attached through their pins */
	sqlward_bpf__destroy(g->skel);
	free(g->pin_dir);
	free(g);
}

bool sw_gate_set_patterns(struct sw_gate *g, const char *const *patterns, size_t n, char *err, size_t errlen)
{
	struct sw_pattern tmp[SW_GOVERN_MAX];

	if (!sw_kernel_patterns(patterns, n, tmp, err, errlen))
		return false;
	/* Shrink first so the kernel never reads a half-written pattern. */
	g->skel->bss->n_patterns = 0;
	__sync_synchronize();
	memcpy(g->skel->bss->patterns, tmp, n * sizeof(tmp[0]));
	__sync_synchronize();
	g->skel->bss->n_patterns = (uint32_t)n;
	return true;
}

static int attach(struct sw_gate *g, struct bpf_program *prog, const char *bin, const char *func,
		  uint64_t cookie, char *err, size_t errlen)
{
	LIBBPF_OPTS(bpf_uprobe_opts, uo, .func_name = func, .retprobe = false, .bpf_cookie = cookie);
	struct bpf_link *l;

	if (g->n_links >= MAX_LINKS) {
		snprintf(err, errlen, "too many server binaries (at most %d probes)", MAX_LINKS);
		return -1;
	}
	if (access(bin, R_OK) != 0) {
		snprintf(err, errlen, "cannot read the PostgreSQL server binary %s: %s; pass the right path with --pg-bin",
			 bin, strerror(errno));
		return -1;
	}
	l = bpf_program__attach_uprobe_opts(prog, -1, bin, 0, &uo);
	if (!l) {
		snprintf(err, errlen, "cannot attach a uprobe to %s in %s (%s); is this a PostgreSQL server "
			 "binary that exports %s?", func, bin, strerror(errno), func);
		return -1;
	}
	g->links[g->n_links++] = l;
	return 0;
}

int sw_gate_attach_exit(struct sw_gate *g, char *err, size_t errlen)
{
	struct bpf_link *l;

	if (g->n_links >= MAX_LINKS) {
		snprintf(err, errlen, "too many probes");
		return -1;
	}
	l = bpf_program__attach(g->skel->progs.on_process_exit);
	if (!l) {
		snprintf(err, errlen, "cannot attach to the sched_process_exit tracepoint: %s", strerror(errno));
		return -1;
	}
	g->links[g->n_links++] = l;
	return 0;
}

int sw_gate_attach_sessions(struct sw_gate *g, int idx, const struct sw_pg_layout *L, char *err, size_t errlen)
{
	if (idx < 0 || idx >= SW_BINS_MAX) {
		snprintf(err, errlen, "too many server binaries (at most %d)", SW_BINS_MAX);
		return -1;
	}
	/* The probes read the layout from the first hit on: publish it before attaching. */
	g->skel->bss->bins[idx] = L->bpf;
	__sync_synchronize();
	return attach(g, g->skel->progs.on_session_user, L->path, sw_pg_layout_fn_name(SW_FN_SESSION),
		      (uint64_t)idx, err, errlen);
}

int sw_gate_links_mark(const struct sw_gate *g)
{
	return g->n_links;
}

void sw_gate_links_rollback(struct sw_gate *g, int mark, int idx)
{
	while (g->n_links > mark && g->n_links > g->n_pinned)
		bpf_link__destroy(g->links[--g->n_links]);
	if (idx >= 0 && idx < SW_BINS_MAX)
		memset(&g->skel->bss->bins[idx], 0, sizeof(g->skel->bss->bins[idx]));
}

int sw_gate_attach_checkpoints(struct sw_gate *g, int idx, const struct sw_pg_layout *L, char *err, size_t errlen)
{
	struct bpf_program *progs[SW_FN__COUNT] = {
		[SW_FN_PARSE] = g->skel->progs.on_parse_query,
		[SW_FN_BIND] = g->skel->progs.on_bind,
		[SW_FN_FASTPATH] = g->skel->progs.on_fastpath,
		[SW_FN_REPLICATION] = g->skel->progs.on_replication,
		[SW_FN_SETTING] = g->skel->progs.on_setting,
	};

	for (int f = 0; f < SW_FN__COUNT; f++)
		if (progs[f] && attach(g, progs[f], L->path, sw_pg_layout_probe_name(L, f), (uint64_t)idx, err, errlen) < 0)
			return -1;
	/* Completion (rows, outcome, runtime budget) of every client statement; only where the binary
	 * has all three functions: a statement whose end is never seen must not look as if it runs on. */
	if (L->bpf.end_command && L->bpf.emit_error_report && L->bpf.ready_for_query) {
		static const char *const fns[3] = { "EndCommand", "EmitErrorReport", "ReadyForQuery" };
		struct bpf_program *cp[3] = { g->skel->progs.on_complete_command, g->skel->progs.on_complete_error,
					      g->skel->progs.on_complete_ready };
		for (int i = 0; i < 3; i++)
			if (attach(g, cp[i], L->path, fns[i], (uint64_t)idx, err, errlen) < 0)
				return -1;
	}
	return 0;
}

int sw_gate_running(struct sw_gate *g, uint32_t pid, struct sw_running *out)
{
	return bpf_map__lookup_elem(g->skel->maps.running, &pid, sizeof(pid), out, sizeof(*out), 0) == 0 ? 0 : -1;
}

static int ensure_bpffs(const char *dir, char *err, size_t errlen)
{
	char tmp[4096];

	snprintf(tmp, sizeof(tmp), "%s", dir);
	for (char *p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = 0;
		mkdir(tmp, 0700);
		*p = '/';
	}
	if (mkdir(tmp, 0700) < 0 && errno != EEXIST) {
		snprintf(err, errlen, "cannot create pin directory %s: %s; is bpffs mounted "
			 "(mount -t bpf bpf /sys/fs/bpf)?", dir, strerror(errno));
		return -1;
	}
	return 0;
}

/* Pins of this daemon's maps, kept for the next daemon to read what happened after we are gone. */
static const char *const map_pins[] = { "ring", "bss" };

static struct bpf_map *map_for_pin(struct sw_gate *g, int i)
{
	return i == 0 ? g->skel->maps.events : g->skel->maps.bss;
}

static bool is_gate_pin(const char *name)
{
	/* nested-DAEMON-BACKEND-*: the per-backend execution checkpoints (pinned like the gate's links). */
	return strncmp(name, "link-", 5) == 0 || strncmp(name, "ring-", 5) == 0 || strncmp(name, "bss-", 4) == 0 ||
	       strncmp(name, "mariadb-", 8) == 0 || strncmp(name, "nested-", 7) == 0;
}

bool sw_gate_pin_owner_alive(int pid)
{
	char path[64], comm[32] = "";
	FILE *f;

	if (pid <= 0 || pid == (int)getpid())
		return false;
	snprintf(path, sizeof(path), "/proc/%d/comm", pid);
	if (!(f = fopen(path, "r")))
		return false;
	if (!fgets(comm, sizeof(comm), f))
		comm[0] = 0;
	fclose(f);
	return strcmp(comm, "sqlward\n") == 0;
}

/*
 * A pin left by a daemon that is gone (its pid is in the name): another live
 * daemon's pins (a second cluster's gate sharing the directory) are left alone;
 * pins named with our own pid before we pinned anything are from an earlier
 * process that had it (pids repeat, in containers above all).
 */
static bool stale_pin(const struct sw_gate *g, const char *name, const char *prefix)
{
	size_t n = strlen(prefix);
	int pid;

	if (strncmp(name, prefix, n) != 0 || name[n] != '-')
		return false;
	pid = atoi(name + n + 1);
	if (pid == (int)getpid())
		return g->n_pinned == 0;
	return !sw_gate_pin_owner_alive(pid);
}

int sw_gate_pin(struct sw_gate *g, char *err, size_t errlen)
{
	enum { OLD_MAX = 4096 };
	char (*old)[256] = NULL;   /* a previous daemon's pins, removed once ours are live */
	int n_old = 0;
	bool first = g->n_pinned == 0;
	DIR *d;
	struct dirent *de;

	if (!g->pin_dir)
		return 0;
	if (ensure_bpffs(g->pin_dir, err, errlen) < 0)
		return -1;
	d = first ? opendir(g->pin_dir) : NULL;
	while (d && (de = readdir(d))) {
		/* A dead daemon's execution checkpoints (ours are attached already, under our pid). */
		if (first && strncmp(de->d_name, "nested-", 7) == 0 && atoi(de->d_name + 7) != (int)getpid() &&
		    !sw_gate_pin_owner_alive(atoi(de->d_name + 7))) {
			if (!old)
				old = sw_xcalloc(OLD_MAX, sizeof(*old));
			if (n_old < OLD_MAX)
				snprintf(old[n_old++], sizeof(old[0]), "%s", de->d_name);
			continue;
		}
		if (!stale_pin(g, de->d_name, "link") && !(first && (stale_pin(g, de->d_name, "ring") ||
								      stale_pin(g, de->d_name, "bss"))))
			continue;
		if (atoi(strchr(de->d_name, '-') + 1) == (int)getpid()) {
			/* An earlier process with our pid: its names would collide with ours. */
			char *path = sw_xasprintf("%s/%s", g->pin_dir, de->d_name);
			unlink(path);
			free(path);
		} else if (de->d_name[0] == 'l' && n_old < OLD_MAX) {
			if (!old)
				old = sw_xcalloc(OLD_MAX, sizeof(*old));
			snprintf(old[n_old++], sizeof(old[0]), "%s", de->d_name);
		}
	}
	if (d)
		closedir(d);
	for (int i = g->n_pinned; i < g->n_links; i++) {
		char path[4096];
		int rc;
		snprintf(path, sizeof(path), "%s/link-%d-%d", g->pin_dir, (int)getpid(), i);
		rc = bpf_link__pin(g->links[i], path);
		if (rc) {
			snprintf(err, errlen, "cannot pin BPF link at %s: %s; is %s on a bpffs mount?",
				 path, strerror(-rc), g->pin_dir);
			free(old);
			return -1;
		}
	}
	g->n_pinned = g->n_links;
	if (first)
		for (int i = 0; i < 2; i++) {
			char path[4096];
			snprintf(path, sizeof(path), "%s/%s-%d", g->pin_dir, map_pins[i], (int)getpid());
			if (bpf_map__pin(map_for_pin(g, i), path) != 0) {
				snprintf(err, errlen, "cannot pin BPF map at %s: %s", path, strerror(errno));
				free(old);
				return -1;
			}
		}
	/* The new links are live: now the previous daemon's links may go. Unpinning reads
	 * nothing of theirs, so it is safe whichever build (SW_ABI_VERSION) loaded them. */
	for (int i = 0; i < n_old; i++) {
		char *path = sw_xasprintf("%s/%s", g->pin_dir, old[i]);
		unlink(path);
		free(path);
	}
	free(old);
	return 0;
}

/* The pid in a stale ring-PID or bss-PID pin name; 0 if the name is not one. */
static int stale_map_pin_pid(const struct sw_gate *g, const char *name)
{
	if (!stale_pin(g, name, "ring") && !stale_pin(g, name, "bss"))
		return 0;
	return atoi(strchr(name, '-') + 1);
}

/* Sum a previous gate's counters (its .bss is laid out as ours: same ABI). */
static bool add_previous_stats(const struct sw_gate *g, int fd, uint64_t stats[SW_STAT__COUNT])
{
	size_t bss_size = bpf_map__value_size(g->skel->maps.bss);
	struct sqlward_bpf__bss *b = sw_xcalloc(1, bss_size);
	uint32_t zero = 0;
	bool ok = bpf_map_lookup_elem(fd, &zero, b) == 0;

	if (ok)
		for (int i = 0; i < SW_STAT__COUNT; i++)
			stats[i] += b->stats[i];
	free(b);
	return ok;
}

/*
 * One previous daemon's gate (pins ring-PID and bss-PID): read only when its
 * .bss carries our SW_ABI_VERSION, since its events and counters are then laid
 * out as our structs; otherwise counted as foreign. Its pins go either way
 * (removing a map pin never runs anything of the old build).
 */
static int drain_one(struct sw_gate *g, int pid, sw_gate_event_fn fn, void *ctx, struct sw_gate_previous *prev)
{
	char *ring = sw_xasprintf("%s/ring-%d", g->pin_dir, pid), *bss = sw_xasprintf("%s/bss-%d", g->pin_dir, pid);
	int bss_fd = bpf_obj_get(bss), bss_errno = errno, ring_fd, events = 0;
	enum sw_abi_state state = SW_ABI_NONE;
	uint32_t abi = 0;
	char err[256] = "";

	if (bss_fd >= 0)
		state = sw_gate_map_abi(bss_fd, &abi, err, sizeof(err));
	if (!sw_abi_readable(state, abi)) {
		prev->foreign++;
		prev->foreign_abi = state == SW_ABI_CARRIED ? abi : 0;
		prev->foreign_error[0] = 0;
		if (state == SW_ABI_UNREADABLE)
			snprintf(prev->foreign_error, sizeof(prev->foreign_error), "%s: %s", bss, err);
		else if (bss_fd < 0)
			snprintf(prev->foreign_error, sizeof(prev->foreign_error),
				 "%s: %s (a ring buffer without its gate's .bss)", bss, strerror(bss_errno));
	} else {
		if ((ring_fd = bpf_obj_get(ring)) >= 0) {
			struct sw_ring *rb = sw_ring_new(ring_fd, (sw_ring_fn)fn, ctx);
			int n = rb ? sw_ring_consume(rb) : 0;
			if (n > 0)
				events = n;
			sw_ring_free(rb);
			close(ring_fd);
		}
		if (add_previous_stats(g, bss_fd, prev->stats))
			prev->gates++;
	}
	if (bss_fd >= 0)
		close(bss_fd);
	unlink(ring);
	unlink(bss);
	free(ring);
	free(bss);
	return events;
}

int sw_gate_drain_previous(struct sw_gate *g, sw_gate_event_fn fn, void *ctx, struct sw_gate_previous *prev)
{
	enum { PIDS_MAX = 1024 };
	int pids[PIDS_MAX], n_pids = 0, events = 0;
	DIR *d;
	struct dirent *de;

	memset(prev, 0, sizeof(*prev));
	if (!g->pin_dir || !(d = opendir(g->pin_dir)))
		return 0;
	/* Gates by daemon pid first: a ring buffer is read only after its .bss said which build it is. */
	while ((de = readdir(d)) && n_pids < PIDS_MAX) {
		int pid = stale_map_pin_pid(g, de->d_name);
		bool seen = false;
		for (int i = 0; i < n_pids && !seen; i++)
			seen = pids[i] == pid;
		if (pid > 0 && !seen)
			pids[n_pids++] = pid;
	}
	closedir(d);
	for (int i = 0; i < n_pids; i++)
		events += drain_one(g, pids[i], fn, ctx, prev);
	return events;
}

int sw_gate_check_pins(struct sw_gate *g, char *err, size_t errlen)
{
	int restored = 0;

	if (!g->pin_dir || !g->n_pinned)
		return 0;
	if (ensure_bpffs(g->pin_dir, err, errlen) < 0)
		return -1;
	for (int i = 0; i < g->n_pinned; i++) {
		const char *path = bpf_link__pin_path(g->links[i]);
		char buf[4096];
		int rc;
		if (path && access(path, F_OK) == 0)
			continue;
		/* Someone removed the pin (libbpf still records it as pinned): pin the link's fd again. */
		snprintf(buf, sizeof(buf), "%s", path ? path : "");
		if (!path)
			snprintf(buf, sizeof(buf), "%s/link-%d-%d", g->pin_dir, (int)getpid(), i);
		rc = bpf_obj_pin(bpf_link__fd(g->links[i]), buf);
		if (rc) {
			snprintf(err, errlen, "cannot pin BPF link at %s again: %s", buf, strerror(errno));
			return -1;
		}
		restored++;
	}
	for (int i = 0; i < 2; i++) {
		char buf[4096];
		snprintf(buf, sizeof(buf), "%s/%s-%d", g->pin_dir, map_pins[i], (int)getpid());
		if (access(buf, F_OK) == 0)
			continue;
		if (bpf_obj_pin(bpf_map__fd(map_for_pin(g, i)), buf) != 0) {
			snprintf(err, errlen, "cannot pin BPF map at %s again: %s", buf, strerror(errno));
			return -1;
		}
		restored++;
	}
	return restored;
}

int sw_gate_unpin_all(const char *pin_dir, char *err, size_t errlen)
{
	DIR *d = opendir(pin_dir);
	struct dirent *de;
	int n = 0;

	if (!d) {
		if (errno == ENOENT)
			return 0;
		snprintf(err, errlen, "cannot open %s: %s", pin_dir, strerror(errno));
		return -1;
	}
	while ((de = readdir(d))) {
		char *path;
		if (!is_gate_pin(de->d_name))
			continue;
		path = sw_xasprintf("%s/%s", pin_dir, de->d_name);
		if (unlink(path) == 0)
			n++;
		free(path);
	}
	closedir(d);
	rmdir(pin_dir);
	return n;
}

void sw_gate_heartbeat(struct sw_gate *g)
{
	g->skel->bss->heartbeat_ns = mono_ns();
}

void sw_gate_mark_dead(struct sw_gate *g)
{
	g->skel->bss->heartbeat_ns = 0;
	__sync_synchronize();
}

int sw_gate_epoll_fd(struct sw_gate *g)
{
	return sw_ring_epoll_fd(g->rb);
}

int sw_gate_consume(struct sw_gate *g)
{
	return sw_ring_consume(g->rb);
}

int sw_gate_set_session(struct sw_gate *g, uint32_t pid, const char *role, uint32_t flags, uint32_t ctx_id)
{
	struct sw_session s;

	memset(&s, 0, sizeof(s));
	snprintf(s.role, sizeof(s.role), "%s", role);
	s.flags = flags;
	s.ctx_id = ctx_id;
	return bpf_map__update_elem(g->skel->maps.sessions, &pid, sizeof(pid), &s, sizeof(s), BPF_ANY);
}

void sw_gate_drop_session(struct sw_gate *g, uint32_t pid)
{
	bpf_map__delete_elem(g->skel->maps.sessions, &pid, sizeof(pid), 0);
}

uint64_t sw_text_hash(const char *text, uint32_t len)
{
	/* Must equal text_hash() in sqlward.bpf.c: FNV-1a over little-endian 64-bit words. */
	uint64_t h = 0xcbf29ce484222325ULL;

	for (uint32_t w = 0; w * 8 < len; w++) {
		uint64_t v = 0;
		uint32_t take = len - w * 8 < 8 ? len - w * 8 : 8;
		memcpy(&v, text + w * 8, take);
		h ^= v;
		h *= 0x100000001b3ULL;
	}
	return h;
}

/* Insert "allow" for val's text (len bytes, zero-padded) in ctx_id into a verdict map. */
static int cache_put(struct bpf_map *map, uint32_t ctx_id, uint32_t lex, uint32_t kind,
		     const struct sw_cache_val *val, uint32_t len)
{
	struct sw_cache_key key;

	memset(&key, 0, sizeof(key));
	key.hash = sw_text_hash((const char *)val->text, len);
	key.ctx_id = ctx_id;
	key.len = len;
	key.lex = lex;
	key.kind = kind;
	return bpf_map__update_elem(map, &key, sizeof(key), val, sizeof(*val), BPF_ANY);
}

int sw_gate_cache_allow(struct sw_gate *g, uint32_t ctx_id, uint32_t lex, uint32_t kind, const char *text,
			uint32_t len)
{
	struct sw_cache_val *val;
	int rc;

	if (len == 0 || len >= SW_TEXT_CAP || ctx_id == 0 || !(lex & SW_LEX_KNOWN))
		return -1;
	val = sw_xcalloc(1, sizeof(*val));
	memcpy(val->text, text, len);
	rc = cache_put(g->skel->maps.verdict_cache, ctx_id, lex, kind, val, len);
	free(val);
	return rc;
}

int sw_gate_shape_allow(struct sw_gate *g, uint32_t ctx_id, const char *text, size_t len)
{
	struct sw_cache_val *val;
	uint32_t out_len;
	int rc = -1;

	if (ctx_id == 0)
		return -1;
	val = sw_xcalloc(1, sizeof(*val));
	if (sw_shape_normalize(text, len, (unsigned char *)val->text, &out_len))
		rc = cache_put(g->skel->maps.shape_cache, ctx_id, SW_LEX_DEFAULT, SW_EV_STATEMENT, val, out_len);
	free(val);
	return rc;
}

static void clear_map(int fd)
{
	struct sw_cache_key key, next;

	while (bpf_map_get_next_key(fd, NULL, &next) == 0) {
		key = next;
		if (bpf_map_delete_elem(fd, &key) != 0)
			break;
	}
}

void sw_gate_cache_clear(struct sw_gate *g)
{
	clear_map(bpf_map__fd(g->skel->maps.verdict_cache));
	clear_map(bpf_map__fd(g->skel->maps.shape_cache));
}

int sw_gate_set_free_settings(struct sw_gate *g, const char *const *names, size_t n)
{
	uint8_t one = 1;

	for (size_t i = 0; i < n; i++) {
		struct sw_setting_key key;
		memset(&key, 0, sizeof(key));
		snprintf(key.name, sizeof(key.name), "%s", names[i]);
		if (bpf_map__update_elem(g->skel->maps.free_settings, &key, sizeof(key), &one, sizeof(one), BPF_ANY))
			return -1;
	}
	return 0;
}

size_t sw_gate_overflow_take(struct sw_gate *g, uint32_t *pids, struct sw_overflow *out, size_t max)
{
	int fd = bpf_map__fd(g->skel->maps.overflow);
	uint32_t key, next;
	bool started = false;
	size_t n = 0;

	/* Collect first, then delete: deleting while iterating restarts the walk. */
	while (n < max && bpf_map_get_next_key(fd, started ? &key : NULL, &next) == 0) {
		key = next;
		started = true;
		if (bpf_map_lookup_elem(fd, &key, &out[n]) == 0)
			pids[n++] = key;
	}
	for (size_t i = 0; i < n; i++)
		bpf_map_delete_elem(fd, &pids[i]);
	return n;
}

void sw_gate_stats(struct sw_gate *g, uint64_t out[SW_STAT__COUNT])
{
	for (int i = 0; i < SW_STAT__COUNT; i++)
		out[i] = __atomic_load_n(&g->skel->bss->stats[i], __ATOMIC_RELAXED);
}

void sw_gate_stats_take(struct sw_gate *g, const uint64_t seen[SW_STAT__COUNT])
{
	for (int i = 0; i < SW_STAT__COUNT; i++)
		__atomic_fetch_sub(&g->skel->bss->stats[i], seen[i], __ATOMIC_RELAXED);
}
