/* The clusters a daemon governs, by postmaster and data directory (see pg_scope.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include "pg_backend.h"
#include "pg_scope.h"
#include "proc_root.h"

static bool cwd_of(pid_t pid, struct stat *st, char *dir, size_t len)
{
	char path[64];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/cwd", (int)pid);
	if (stat(path, st) != 0)
		return false;
	if (dir) {
		n = readlink(path, dir, len - 1);
		dir[n > 0 ? n : 0] = 0;
		/* A container's postmaster names its data directory from its own root: say how to reach it. */
		if (n > 0 && sw_proc_other_root(pid)) {
			char inner[4096];
			snprintf(inner, sizeof(inner), "%s", dir);
			int w = snprintf(dir, len, "/proc/%d/root%s", (int)pid, inner);
			if (w < 0 || (size_t)w >= len) {   /* too long to show with its prefix: the container's own name */
				size_t k = strnlen(inner, len - 1);
				memcpy(dir, inner, k);
				dir[k] = 0;
			}
		}
	}
	return true;
}

bool sw_pg_scope_init(struct sw_pg_scope *s, const int *postmasters, int n, char *err, size_t errlen)
{
	memset(s, 0, sizeof(*s));
	for (int i = 0; i < n && i < SW_SCOPE_MAX; i++) {
		struct stat st;
		if (!cwd_of(postmasters[i], &st, s->clusters[i].dir, sizeof(s->clusters[i].dir))) {
			snprintf(err, errlen, "--postmaster-pid %d: cannot read that process's data directory "
				 "(/proc/%d/cwd: %s); pass the pid of a running postmaster", postmasters[i],
				 postmasters[i], strerror(errno));
			return false;
		}
		s->clusters[i].postmaster = postmasters[i];
		s->clusters[i].dev = st.st_dev;
		s->clusters[i].ino = st.st_ino;
		s->n++;
	}
	return true;
}

bool sw_pg_scope_has(const struct sw_pg_scope *s, pid_t pid)
{
	struct stat st;
	int ppid;

	if (!s || s->n == 0)
		return true;
	ppid = sw_proc_ppid(pid);
	for (int i = 0; i < s->n; i++)
		if (ppid == s->clusters[i].postmaster)
			return true;
	if (!cwd_of(pid, &st, NULL, 0))
		return false;
	for (int i = 0; i < s->n; i++)
		if (st.st_dev == s->clusters[i].dev && st.st_ino == s->clusters[i].ino)
			return true;
	return false;
}

int sw_pg_scope_follow(struct sw_pg_scope *s, pid_t pid, int *previous)
{
	struct stat st;
	int ppid;

	if (!s || s->n == 0)
		return -1;
	ppid = sw_proc_ppid(pid);
	for (int i = 0; i < s->n; i++)
		if (ppid == s->clusters[i].postmaster)
			return -1;
	if (ppid <= 1 || !cwd_of(ppid, &st, NULL, 0))
		return -1;
	for (int i = 0; i < s->n; i++)
		if (st.st_dev == s->clusters[i].dev && st.st_ino == s->clusters[i].ino) {
			*previous = s->clusters[i].postmaster;
			s->clusters[i].postmaster = ppid;
			return i;
		}
	return -1;
}

unsigned long long sw_pg_scope_kdev(dev_t dev)
{
	/* MKDEV in include/linux/kdev_t.h: 12-bit major above a 20-bit minor. */
	return ((unsigned long long)major(dev) << 20) | minor(dev);
}
