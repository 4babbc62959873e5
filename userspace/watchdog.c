/*
 * The watchdog: a small process forked by `sqlward run` before it loads
 * anything, so that a daemon killed by SIGKILL or a crash never leaves a
 * database session stopped with nobody deciding.
 *
 * The daemon tells it over a pipe which backends it holds ("H pid hold_id
 * sha256 role type arg0 aux", "R pid" when released) and says "Q" before a
 * clean exit. End of file without "Q" means the daemon died: the watchdog
 * applies the failure mode (deny, the way that is certain for where the
 * backend stopped: sw_pg_refuse) to every backend it was told about that is
 * still stopped, and to any other stopped backend of a governed role of the
 * probed binaries (stopped by the kernel after the daemon's last word; where
 * it stopped is read from the process: pg_orphan.c), records each in the
 * ledger, and exits.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>
#include "ledger.h"
#include "my_successor.h"
#include "pg_backend.h"
#include "pg_layout.h"
#include "pg_orphan.h"
#include "pg_scope.h"
#include "proc_root.h"
#include "policy.h"
#include "util.h"
#include "watchdog.h"

struct held {
	int pid;
	unsigned long long hold_id;
	char sha[65];
	char role[64];
	unsigned type;          /* SW_EV_* it is stopped at (0: unknown) */
	unsigned long long arg0;
	unsigned aux;
};

static void record(struct sw_ledger *l, const struct held *h, const char *what, const char *outcome)
{
	char err[512];
	json_t *rec;

	if (!l)
		return;
	rec = sw_failure_mode_record(h->pid, h->role, outcome, what, h->hold_id, h->sha);
	if (sw_ledger_append(l, rec, err, sizeof(err)) < 0) {
		fprintf(stderr, "sqlward watchdog: ledger: %s\n", err);
		sw_ledger_note_lost(l, "failure_mode", NULL);
	}
	json_decref(rec);
}

static bool in_scope(const struct sw_watchdog_opts *o, int pid)
{
	bool ours = false;

	/* (The file, or one replaced on disk at its path, also inside a container: proc_root.h.) */
	for (int i = 0; i < o->n_pg_bins; i++)
		ours |= sw_proc_runs_binary(pid, o->pg_bins[i]);
	return ours && sw_pg_scope_has(o->scope, pid);
}

/* A backend of a binary replaced on disk since: read the layout of the file it runs. */
static void learn_layout(struct sw_pg_layout *layouts, int *n, pid_t pid)
{
	char path[64], err[512];

	if (*n >= SW_PG_MAX_BINS || sw_pg_layout_of_pid(layouts, *n, pid))
		return;
	snprintf(path, sizeof(path), "/proc/%d/exe", (int)pid);
	if (sw_pg_layout_load(path, &layouts[*n], err, sizeof(err)) == 0)
		(*n)++;
}

/* A governed MariaDB server's data directory and pid ("M dev ino pid [observe]": my_gate.c). */
#define MY_DIRS_MAX 16
struct my_dir {
	struct sw_my_server_id id;
	int pid;
	bool observe;   /* the daemon only observed: a server stopped there is resumed, not killed */
};

/* Servers the kernel stopped entering a governed data directory (a restart) that the dead daemon
 * did not gate: killed (they would serve ungated; left stopped, nobody would decide), or, when the
 * daemon only observed, resumed (observe-only never keeps a server from serving). */
static void end_stopped_successors(struct sw_ledger *l, const struct my_dir *dirs, size_t nd)
{
	for (size_t i = 0; i < nd; i++) {
		pid_t done[16];
		bool observe = dirs[i].observe;
		int n = sw_my_signal_stopped_successors(&dirs[i].id, dirs[i].pid, observe ? SIGCONT : SIGKILL, done, 16);
		for (int k = 0; k < n; k++) {
			char err[512];
			json_t *rec = sw_event_record(
				"daemon", json_pack("{s:s, s:s, s:i, s:i, s:s}", "event",
						    observe ? "mariadbd_resumed" : "mariadbd_refused", "engine", "mysql",
						    "mariadbd", dirs[i].pid, observe ? "resumed_pid" : "killed_pid",
						    (int)done[k], "reason",
						    observe ? "the observe-only daemon died before it could follow this server, "
							      "stopped entering its data directory: it serves unobserved"
							    : "the daemon died before it could gate this server, "
							      "stopped entering a governed data directory"));
			fprintf(stderr, "sqlward watchdog: daemon died; %s mariadbd pid %d, stopped entering a governed "
				"data directory before it was %s\n", observe ? "resumed" : "killed", (int)done[k],
				observe ? "followed (observe-only: it serves unobserved)" : "gated");
			if (l && sw_ledger_append(l, rec, err, sizeof(err)) < 0)
				fprintf(stderr, "sqlward watchdog: ledger: %s\n", err);
			json_decref(rec);
		}
	}
}

static void apply_failure_mode(const struct sw_watchdog_opts *o, struct held *list, size_t n,
			       const struct my_dir *dirs, size_t nd)
{
	static struct sw_pg_layout layouts[SW_PG_MAX_BINS];
	int n_layouts = 0;
	struct sw_ledger *l = NULL;
	char err[1024];
	DIR *d;
	struct dirent *de;

	/* The daemon's ledger lock went with it; a broken ledger is not touched. */
	for (int tries = 0; tries < 20 && sw_ledger_open_opts(o->ledger_path, &(struct sw_ledger_open_opts){ .access = o->ledger_access }, &l, err,
							  sizeof(err)) < 0; tries++) {
		l = NULL;
		usleep(50000);
	}
	if (!l)
		fprintf(stderr, "sqlward watchdog: cannot record in the ledger: %s\n", err);
	/* Where each server binary's probes are, to tell where an unreported backend stopped. */
	for (int i = 0; i < o->n_pg_bins; i++)
		if (sw_pg_layout_load(o->pg_bins[i], &layouts[n_layouts], err, sizeof(err)) == 0)
			n_layouts++;
	sw_pg_refuse_layouts(layouts, &n_layouts);
	for (size_t i = 0; i < n; i++) {
		const char *done;
		char what[256];
		if (list[i].pid <= 0 || sw_proc_state(list[i].pid) != 'T' || !in_scope(o, list[i].pid))
			continue;
		if (list[i].type) {
			learn_layout(layouts, &n_layouts, list[i].pid);
			done = sw_pg_refuse(list[i].pid, list[i].type, list[i].arg0, list[i].aux);
			snprintf(what, sizeof(what), "%s a statement held by the daemon when it died",
				 done ? done : "terminated (uncertain)");
		} else {
			learn_layout(layouts, &n_layouts, list[i].pid);
			sw_pg_refuse_stopped(list[i].pid, layouts, n_layouts, what, sizeof(what));
			done = "refused";
		}
		record(l, &list[i], what, done ? done : "terminated");
		fprintf(stderr, "sqlward watchdog: daemon died; %s: hold #%llu (pid %d)\n", what, list[i].hold_id,
			list[i].pid);
	}
	/* Backends the kernel stopped that the daemon never told us about. */
	d = opendir("/proc");
	while (d && (de = readdir(d))) {
		struct sw_pg_title t;
		struct held h = { 0 };
		int pid;

		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		pid = atoi(de->d_name);
		if (sw_proc_state(pid) != 'T' || !in_scope(o, pid))
			continue;
		{
			const struct sw_pg_layout *L;
			learn_layout(layouts, &n_layouts, pid);
			L = sw_pg_layout_of_pid(layouts, n_layouts, pid);
			if (!sw_pg_backend_title(L, pid, &t))
				continue;
		}
		if (!sw_policy_governs(o->policy, t.role)) {
			/* The kernel paused it for room in the ring buffer (finish() in sqlward.bpf.c): it
			 * runs on; its statement's record is lost with the daemon that would have written it. */
			h.pid = pid;
			snprintf(h.role, sizeof(h.role), "%s", t.role);
			if (kill(pid, SIGCONT) == 0) {
				record(l, &h, "resumed: an ungoverned backend paused for room in the "
				       "ring buffer when the daemon died (its statement runs; its record is lost)", "resumed");
				fprintf(stderr, "sqlward watchdog: daemon died; resumed ungoverned backend pid %d (%s)\n",
					pid, t.role);
			}
			continue;
		}
		h.pid = pid;
		snprintf(h.role, sizeof(h.role), "%s", t.role);
		{
			char what[256];
			sw_pg_refuse_stopped(pid, layouts, n_layouts, what, sizeof(what));
			record(l, &h, what, "refused");
			fprintf(stderr, "sqlward watchdog: daemon died; stopped backend pid %d (%s): %s\n", pid,
				t.role, what);
		}
	}
	if (d)
		closedir(d);
	end_stopped_successors(l, dirs, nd);
	sw_ledger_close(l);
}

static void watchdog_main(const struct sw_watchdog_opts *o, int rfd)
{
	struct held *list = NULL;
	size_t n = 0, cap = 0, nd = 0;
	struct my_dir dirs[MY_DIRS_MAX];
	char buf[8192], line[512];
	size_t ll = 0;
	bool quit = false;

	prctl(PR_SET_NAME, "sqlward-watch");
	signal(SIGTERM, SIG_IGN);   /* it ends when the daemon does */
	signal(SIGINT, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	for (;;) {
		ssize_t r = read(rfd, buf, sizeof(buf));
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		for (ssize_t i = 0; i < r; i++) {
			if (buf[i] != '\n') {
				if (ll < sizeof(line) - 1)
					line[ll++] = buf[i];
				continue;
			}
			line[ll] = 0;
			ll = 0;
			if (line[0] == 'Q') {
				quit = true;
			} else if (line[0] == 'H') {
				struct held h = { 0 };
				if (sscanf(line, "H %d %llu %64s %63s %u %llu %u", &h.pid, &h.hold_id, h.sha, h.role, &h.type,
					   &h.arg0, &h.aux) >= 2) {
					if (n == cap) {
						cap = cap ? cap * 2 : 16;
						list = sw_xrealloc(list, cap * sizeof(*list));
					}
					list[n++] = h;
				}
			} else if (line[0] == 'M') {
				/* A MariaDB gate's data directory: the latest pid for a directory replaces earlier ones. */
				unsigned long long dev, ino;
				int pid, at = 0;
				size_t j = 0;
				if (sscanf(line, "M %llu %llu %d%n", &dev, &ino, &pid, &at) != 3)
					continue;
				while (j < nd && !(dirs[j].id.dev == (dev_t)dev && dirs[j].id.ino == (ino_t)ino))
					j++;
				if (j == nd && nd < MY_DIRS_MAX)
					nd++;
				if (j < nd) {
					dirs[j].id.dev = (dev_t)dev;
					dirs[j].id.ino = (ino_t)ino;
					dirs[j].id.path[0] = 0;
					dirs[j].pid = pid;
					dirs[j].observe = strcmp(line + at, " observe") == 0;
				}
			} else if (line[0] == 'R') {
				int pid = atoi(line + 2);
				for (size_t j = 0; j < n; j++)
					if (list[j].pid == pid) {
						list[j] = list[--n];
						break;
					}
			}
		}
	}
	if (!quit)
		apply_failure_mode(o, list, n, dirs, nd);
	free(list);
	_exit(0);
}

int sw_watchdog_start(const struct sw_watchdog_opts *o, char *err, size_t errlen)
{
	int p[2];
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) < 0) {
		snprintf(err, errlen, "cannot create the watchdog pipe: %s", strerror(errno));
		return -1;
	}
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		snprintf(err, errlen, "cannot fork the watchdog: %s", strerror(errno));
		close(p[0]);
		close(p[1]);
		return -1;
	}
	if (pid == 0) {
		close(p[1]);
		watchdog_main(o, p[0]);
	}
	close(p[0]);
	return p[1];
}

void sw_watchdog_tell(int fd, const char *fmt, ...)
{
	char line[512];
	va_list ap;
	int n;

	if (fd < 0)
		return;
	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n > 0 && (size_t)n < sizeof(line) && write(fd, line, (size_t)n) < 0)
		fprintf(stderr, "sqlward: cannot reach the watchdog: %s\n", strerror(errno));
}
