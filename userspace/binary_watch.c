/* Following governed server binaries through replacement on disk (see binary_watch.h). */
#include <ctype.h>
#include <fcntl.h>
#include <dirent.h>
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <jansson.h>
#include "binary_watch.h"
#include "exec_stop_peers.h"
#include "daemon_internal.h"
#include "pg_backend.h"
#include "pg_scope.h"
#include "proc_root.h"
#include "util.h"

/* Tell the kernel where a binary lives (its directory and name) and that this file is probed. */
static void publish(struct sw_daemon *d, const char *path, const struct sw_pg_layout *L)
{
	char base[PATH_MAX];
	struct stat st;

	sw_gate_probed_file(d->gate, sw_pg_scope_kdev(L->dev), L->ino);
	/* (A container's binary: its directory inside the container, not the host's of that name.) */
	if (sw_binary_dir(path, &st, base, sizeof(base)) &&
	    sw_gate_bin_dir(d->gate, sw_pg_scope_kdev(st.st_dev), st.st_ino, base) < 0)
		fprintf(stderr, "sqlward: warning: the server binary name %s is too long to watch for replacement\n",
			base);
}

int sw_binaries_proc_entry(const struct sw_daemon *d, const char *name, char *exe, size_t len)
{
	int pid;

	if (!isdigit((unsigned char)name[0]))
		return 0;
	pid = atoi(name);
	if (!sw_proc_exe_path(pid, exe, len))
		return 0;
	for (int i = 0; i < d->opts->n_pg_bins; i++)
		if (sw_proc_runs_binary(pid, d->opts->pg_bins[i]))
			return pid;
	return 0;
}

/* How sw_binaries_find_running reached a file of a process in a container (/proc/PID/root/...), by layout. */
static char found_as[SW_BINS_MAX][PATH_MAX];

int sw_binaries_find_running(struct sw_daemon *d, char *err, size_t errlen)
{
	DIR *dir = opendir("/proc");
	struct dirent *de;
	int rc = 0;

	while (rc == 0 && dir && (de = readdir(dir))) {
		char exe[PATH_MAX], via[64], why[512];
		int pid = sw_binaries_proc_entry(d, de->d_name, exe, sizeof(exe));

		if (!pid || sw_pg_layout_of_pid(d->layouts, d->n_layouts, pid))
			continue;
		/* The file this process runs, through the process (it may be gone from the disk), held
		 * open by the daemon: the process may exit before the probes are attached. */
		snprintf(via, sizeof(via), "/proc/%d/exe", pid);
		{
			int fd = open(via, O_RDONLY | O_CLOEXEC);
			if (fd < 0)
				continue;   /* exited meanwhile */
			snprintf(via, sizeof(via), "/proc/self/fd/%d", fd);
		}
		if (d->n_layouts >= SW_BINS_MAX) {
			snprintf(err, errlen, "processes run more than %d different files of the governed binaries; "
				 "restart the clusters running replaced binaries", SW_BINS_MAX);
			rc = -1;
		} else if (sw_pg_layout_load(via, &d->layouts[d->n_layouts], why, sizeof(why)) < 0) {
			snprintf(err, errlen, "pid %d runs an older file of %s (replaced on disk) that sqlward cannot "
				 "gate: %s; restart that cluster on the new binary", pid, exe, why);
			rc = -1;
		} else {
			/* Its own name for the file means another file here: show how to reach it. */
			found_as[d->n_layouts][0] = 0;
			if (sw_proc_other_root(pid))
				snprintf(found_as[d->n_layouts], sizeof(found_as[0]), "%s", exe);
			d->n_layouts++;
		}
	}
	if (dir)
		closedir(dir);
	return rc;
}

int sw_binaries_init(struct sw_daemon *d, char *err, size_t errlen)
{
	for (int i = 0; i < d->n_layouts; i++) {
		/* Found through a process at start: attached through /proc/PID/exe (held open as
		 * /proc/self/fd/N); show the file's name. (/proc/PID/root/... is shown as it is: the
		 * container's binary, named so the host's file of that name is not mistaken for it.) */
		int root_pid;
		const char *inner;
		if (found_as[i][0] && strncmp(d->layouts[i].path, "/proc/self/fd/", 14) == 0) {
			size_t n = strnlen(found_as[i], sizeof(d->layouts[i].path) - 1);
			memcpy(d->layouts[i].path, found_as[i], n);
			d->layouts[i].path[n] = 0;
			found_as[i][0] = 0;
		} else if (strncmp(d->layouts[i].path, "/proc/", 6) == 0 &&
			   !sw_path_in_proc_root(d->layouts[i].path, &root_pid, &inner)) {
			char shown[PATH_MAX];
			ssize_t n = readlink(d->layouts[i].path, shown, sizeof(shown) - 1);
			if (n > 0) {
				shown[n] = 0;
				snprintf(d->layouts[i].path, sizeof(d->layouts[i].path), "%s", shown);
			}
		}
		publish(d, d->layouts[i].path, &d->layouts[i]);
	}
	return sw_gate_attach_exec(d->gate, err, errlen);
}

static bool was_refused(const struct sw_daemon *d, dev_t dev, ino_t ino)
{
	for (int i = 0; i < d->n_bin_refused; i++)
		if (d->bin_refused[i].dev == dev && d->bin_refused[i].ino == ino)
			return true;
	return false;
}

/* Remember a file that could not be gated; true if it was already. */
static bool refused_before(struct sw_daemon *d, dev_t dev, ino_t ino)
{
	if (was_refused(d, dev, ino))
		return true;
	if (d->n_bin_refused < (int)(sizeof(d->bin_refused) / sizeof(d->bin_refused[0]))) {
		d->bin_refused[d->n_bin_refused].dev = dev;
		d->bin_refused[d->n_bin_refused++].ino = ino;
	}
	return false;
}

/*
 * Attach every checkpoint to the file at path (as shown: shown). Returns the
 * layout, or NULL after recording why not (once per file).
 */
static const struct sw_pg_layout *attach_new(struct sw_daemon *d, const char *path, const char *shown,
					     const char *why, int pid)
{
	struct sw_pg_layout *L;
	char err[1024];
	json_t *f;
	int idx = d->n_layouts;

	if (idx >= SW_BINS_MAX) {
		snprintf(err, sizeof(err), "the gate already follows %d server binaries; restart sqlward to start "
			 "over with the binaries in use now", SW_BINS_MAX);
		goto refused;
	}
	L = &d->layouts[idx];
	if (sw_pg_layout_load(path, L, err, sizeof(err)) < 0)
		goto refused;
	for (int i = 0; i < idx; i++)
		if (d->layouts[i].dev == L->dev && d->layouts[i].ino == L->ino)
			return &d->layouts[i];
	snprintf(L->path, sizeof(L->path), "%s", shown);
	/* The probes must read the file this layout was derived from: attach through the same path. */
	{
		char show_keep[sizeof(L->path)];
		snprintf(show_keep, sizeof(show_keep), "%s", L->path);
		int mark = sw_gate_links_mark(d->gate);
		snprintf(L->path, sizeof(L->path), "%s", path);
		if (sw_gate_attach_sessions(d->gate, idx, L, err, sizeof(err)) < 0 ||
		    sw_gate_attach_checkpoints(d->gate, idx, L, err, sizeof(err)) < 0) {
			/* No probe may stay behind reading a layout that index idx will name next. */
			sw_gate_links_rollback(d->gate, mark, idx);
			goto refused;
		}
		snprintf(L->path, sizeof(L->path), "%s", show_keep);
	}
	d->n_layouts++;
	publish(d, shown, L);
	if (sw_gate_pin(d->gate, err, sizeof(err)) < 0)
		fprintf(stderr, "sqlward: warning: %s; the new probes will not outlive this daemon\n", err);
	f = json_pack("{s:s, s:s, s:s, s:I}", "binary", shown, "version", L->version, "reason", why, "inode",
		      (json_int_t)L->ino);
	if (pid > 0)
		json_object_set_new(f, "stopped_pid", json_integer(pid));
	sw_daemon_note(d, "binary_attached", f);
	json_decref(f);
	return L;
refused:
	{
		struct stat st;
		if (stat(path, &st) == 0 && refused_before(d, st.st_dev, st.st_ino) && pid <= 0)
			return NULL;
	}
	f = json_pack("{s:s, s:s, s:s}", "binary", shown, "reason", why, "error", err);
	if (pid > 0)
		json_object_set_new(f, "killed_pid", json_integer(pid));
	sw_daemon_note(d, "binary_refused", f);
	json_decref(f);
	fprintf(stderr, "sqlward: cannot gate the server binary %s (%s): %s\n", shown, why, err);
	return NULL;
}

static bool attached(const struct sw_daemon *d, dev_t dev, ino_t ino)
{
	for (int i = 0; i < d->n_layouts; i++)
		if (d->layouts[i].dev == dev && d->layouts[i].ino == ino)
			return true;
	return false;
}

/* How long another gate may hold a stop this daemon is done with before the process is killed
 * (that gate's daemon died or hangs after its hook stopped the exec). */
#define SIBLING_TIMEOUT_MS 30000

/* A test hook's milliseconds (read once): def when unset. */
static unsigned env_ms(const char *name, int *cache, unsigned def)
{
	if (*cache < 0) {
		const char *v = getenv(name);
		*cache = v && atoi(v) > 0 ? atoi(v) : (int)def;
	}
	return (unsigned)*cache;
}

static unsigned sibling_timeout_ms(void)
{
	static int ms = -1;
	return env_ms("SQLWARD_TEST_EXEC_SIBLING_TIMEOUT_MS", &ms, SIBLING_TIMEOUT_MS);
}

static int pidfd_signal(int pidfd, int sig)
{
	return (int)syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0);
}

/*
 * Wait (100 ms at most) for a stop made less than a second ago to take effect (state T): only
 * then have all gates' hooks on that exec run, each recording its stop.
 */
static void await_stop(int pid, uint64_t ktime_ns)
{
	for (int i = 0; i < 100 && sw_proc_state(pid) != 'T' && sw_proc_state(pid) != 't' &&
			sw_mono_ns() - ktime_ns < SW_EXEC_STOP_SAME_NS; i++)
		usleep(1000);
}

/*
 * How often pid has been switched off a CPU (/proc/PID/status): unchanged while it stays
 * stopped, since a stopped process is not woken but by SIGCONT or SIGKILL. UINT64_MAX: unknown.
 */
static uint64_t proc_switches(int pid)
{
	char path[64], line[256];
	uint64_t n = 0;
	int found = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	if (!(f = fopen(path, "re")))
		return UINT64_MAX;
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, "voluntary_ctxt_switches:", 24) == 0 ||
		    strncmp(line, "nonvoluntary_ctxt_switches:", 27) == 0) {
			n += strtoull(strchr(line, ':') + 1, NULL, 10);
			found++;
		}
	fclose(f);
	return found == 2 ? n : UINT64_MAX;
}

static void exec_note(struct sw_daemon *d, const char *event, const struct sw_exec_wait *w, json_t *f)
{
	char exe[PATH_MAX];

	json_object_set_new(f, "pid", json_integer(w->pid));
	if (sw_proc_exe_path((pid_t)w->pid, exe, sizeof(exe)))
		json_object_set_new(f, "binary", json_string(exe));
	sw_daemon_note(d, event, f);
	json_decref(f);
}

/* Kill a stopped process this daemon cannot leave paused, saying why. */
static void exec_kill(struct sw_daemon *d, const struct sw_exec_wait *w, const char *reason)
{
	json_t *f = json_pack("{s:s}", "reason", reason);

	fprintf(stderr, "sqlward: killed pid %u, stopped at exec of a replaced server binary: %s\n", w->pid, reason);
	exec_note(d, "binary_exec_killed", w, f);
	pidfd_signal(w->pidfd, SIGKILL);
}

/*
 * This daemon is done with a stop (its own entry deleted first): resume the
 * process unless another gate still holds it, else wait for that. Delete-then-
 * check on every side: the last gate to let go always sees none and resumes.
 */
static void exec_hand_over(struct sw_daemon *d, struct sw_exec_wait *w)
{
	char err[256] = "";
	int gates = sw_gate_exec_held_elsewhere(d->gate, w->pid, w->ktime_ns, err, sizeof(err));

	if (gates == 0) {
		pidfd_signal(w->pidfd, SIGCONT);
		close(w->pidfd);
		return;
	}
	if (d->n_exec_waits >= (int)(sizeof(d->exec_waits) / sizeof(d->exec_waits[0]))) {
		exec_kill(d, w, "too many processes stopped at exec wait for other sqlward gates to attach");
		close(w->pidfd);
		return;
	}
	w->since_ns = sw_mono_ns();
	w->gates = gates;
	w->switches = sw_proc_state((pid_t)w->pid) == 'T' ? proc_switches((int)w->pid) : UINT64_MAX;
	d->exec_waits[d->n_exec_waits++] = *w;
}

/* Stops other gates held when this daemon was done: resume the ones now free, kill the overdue. */
static void exec_waits_check(struct sw_daemon *d)
{
	for (int i = 0; i < d->n_exec_waits;) {
		struct sw_exec_wait *w = &d->exec_waits[i];
		char err[256] = "", reason[512];
		uint64_t waited_ms = (sw_mono_ns() - w->since_ns) / 1000000;
		int gates;

		if (pidfd_signal(w->pidfd, 0) != 0 || sw_proc_state((pid_t)w->pid) == 'Z') {
			gates = 0;   /* exited */
		} else if ((gates = sw_gate_exec_held_elsewhere(d->gate, w->pid, w->ktime_ns, err, sizeof(err))) == 0) {
			/* The last gate to let go resumed it, unless its daemon died just before: resume it
			 * only if it has not run since (a stray SIGCONT could resume a stop that is a hold). */
			bool still = sw_proc_state((pid_t)w->pid) == 'T' &&
				     (w->switches == UINT64_MAX || proc_switches((int)w->pid) == w->switches);
			exec_note(d, "binary_exec_resumed", w,
				  json_pack("{s:I, s:i, s:s}", "waited_ms", (json_int_t)waited_ms, "other_gates", w->gates,
					    "resumed_by", still ? "this daemon" : "another sqlward gate"));
			if (still)
				pidfd_signal(w->pidfd, SIGCONT);
		} else if (waited_ms >= sibling_timeout_ms()) {
			if (gates < 0)
				snprintf(reason, sizeof(reason), "whether other sqlward gates still stopped it could not be "
					 "told for %u s (%s)", sibling_timeout_ms() / 1000, err);
			else
				snprintf(reason, sizeof(reason), "another sqlward gate stopped it at exec and did not release "
					 "it within %u s (its daemon died or hangs: restart it, or `sqlward detach` its pin "
					 "directory if it is gone)",
					 sibling_timeout_ms() / 1000);
			exec_kill(d, w, reason);
			gates = 0;
		}
		if (gates != 0) {
			i++;
			continue;
		}
		close(w->pidfd);
		d->exec_waits[i] = d->exec_waits[--d->n_exec_waits];
	}
}

void sw_binaries_check(struct sw_daemon *d)
{
	static int delay_ms = -1;
	uint32_t pids[64];
	struct sw_exec_stop stops[64];
	size_t n;

	/* A new file at a governed path: attach before anything runs it. (Tests turn this off to
	 * exercise the kernel's stop at exec.) */
	for (int i = 0; i < d->opts->n_pg_bins && !getenv("SQLWARD_TEST_NO_BINARY_POLL"); i++) {
		struct stat st;
		/* (A file refused once is not tried again every second: each try could leave links behind.) */
		if (stat(d->opts->pg_bins[i], &st) == 0 && !attached(d, st.st_dev, st.st_ino) &&
		    !was_refused(d, st.st_dev, st.st_ino))
			attach_new(d, d->opts->pg_bins[i], d->opts->pg_bins[i], "replaced on disk", 0);
	}
	exec_waits_check(d);
	/* Processes the kernel stopped at exec of a file the probes were not on. */
	n = sw_gate_exec_stopped(d->gate, pids, stops, 64);
	/* (Tests: another gate slower to attach than this one.) */
	if (n > 0 && env_ms("SQLWARD_TEST_EXEC_ATTACH_DELAY_MS", &delay_ms, 0) > 0)
		usleep(env_ms("SQLWARD_TEST_EXEC_ATTACH_DELAY_MS", &delay_ms, 0) * 1000u);
	for (size_t i = 0; i < n; i++) {
		struct sw_exec_wait w = { .pid = pids[i], .ktime_ns = stops[i].ktime_ns };
		int pid = (int)pids[i];
		char exe[PATH_MAX], via[64];
		const struct sw_pg_layout *L;

		if (!sw_proc_exe_path(pid, exe, sizeof(exe)) || (w.pidfd = (int)syscall(SYS_pidfd_open, pid, 0)) < 0) {
			sw_gate_exec_release(d->gate, pids[i]);   /* gone */
			continue;
		}
		/* The pidfd names the process our entry is about (an exit deletes the entry): signals
		 * reach it, never a process that reused its pid. */
		if (!sw_gate_exec_holds(d->gate, w.pid, w.ktime_ns)) {
			close(w.pidfd);
			continue;
		}
		await_stop(pid, w.ktime_ns);
		L = sw_pg_layout_of_pid(d->layouts, d->n_layouts, pid);
		if (!L) {
			snprintf(via, sizeof(via), "/proc/%d/exe", pid);
			L = attach_new(d, via, exe, "executed while not probed", pid);
		}
		/* The kernel's name for this file, should it differ from what stat(2) says. */
		if (L)
			sw_gate_probed_file(d->gate, stops[i].file.dev, stops[i].file.ino);
		sw_gate_exec_release(d->gate, pids[i]);
		if (L) {
			exec_hand_over(d, &w);
		} else {
			pidfd_signal(w.pidfd, SIGKILL);   /* whatever other gates do: we cannot gate it */
			close(w.pidfd);
		}
	}
}

json_t *sw_binaries_json(const struct sw_daemon *d)
{
	json_t *a = json_array();

	for (int i = 0; i < d->n_layouts; i++) {
		struct stat st;
		const char *state = "attached";
		/* Still the file at its path, or an older one that running processes may use. */
		int root_pid;
		const char *inner;
		if (stat(d->layouts[i].path, &st) != 0 && sw_path_in_proc_root(d->layouts[i].path, &root_pid, &inner))
			state = "attached (the process whose root named it has exited: a replacement in that container "
				"is not followed; restart sqlward with a live /proc/PID/root path)";
		else if (stat(d->layouts[i].path, &st) != 0 || st.st_ino != d->layouts[i].ino ||
			 st.st_dev != d->layouts[i].dev)
			state = "attached (replaced on disk; processes started before the upgrade)";
		const struct sw_pg_layout *L = &d->layouts[i];
		json_t *cp = json_object();
		/* Which checkpoints judge what this binary's backends do. */
		for (int f = 0; f < SW_FN__COUNT; f++) {
			const char *name = sw_pg_layout_fn_name(f);
			if (f == SW_FN_EXECUTOR_START || f == SW_FN_PROCESS_UTILITY || f == SW_FN_FMGR_LOOKUP) {
				char *v = L->bpf.fn[f] ? sw_xstrdup(f == SW_FN_FMGR_LOOKUP
							? "live (on each governed backend: watched built-ins)"
							: "live (on each governed backend: nested statements)")
						       : sw_xasprintf("off: %s", f == SW_FN_FMGR_LOOKUP && L->function_problem[0]
										? L->function_problem : L->exec_problem);
				json_object_set_new(cp, name, json_string(v));
				free(v);
			} else {
				json_object_set_new(cp, name, json_string(L->bpf.fn[f] ? "live" : "off"));
			}
		}
		json_array_append_new(a, json_pack("{s:s, s:s, s:I, s:s, s:o}", "binary", L->path, "version",
						   L->version, "inode", (json_int_t)L->ino, "state", state,
						   "checkpoints", cp));
	}
	return a;
}
