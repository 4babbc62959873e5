/* One daemon per governed binary or cluster (see instance_lock.h). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include "instance_lock.h"
#include "ledger.h"
#include "pg_scope.h"
#include "proc_root.h"

/* Who holds a flock on this file (from /proc/locks), or 0. */
static int holder_of(int fd)
{
	struct stat st;
	char line[512];
	FILE *f;
	int pid = 0;

	if (fstat(fd, &st) != 0 || !(f = fopen("/proc/locks", "r")))
		return 0;
	while (!pid && fgets(line, sizeof(line), f)) {
		unsigned maj, min;
		unsigned long ino;
		int p;
		char *s = strstr(line, "FLOCK");
		if (!s || sscanf(s, "FLOCK %*s %*s %d %x:%x:%lu", &p, &maj, &min, &ino) != 4)
			continue;
		if (ino == st.st_ino && makedev(maj, min) == st.st_dev && p != getpid())
			pid = p;
	}
	fclose(f);
	return pid;
}

static int take(struct sw_instance_locks *l, const char *dir, const char *name, int how, const char *what,
		char *err, size_t errlen)
{
	char path[PATH_MAX];
	int fd;

	if (l->n >= (int)(sizeof(l->fds) / sizeof(l->fds[0]))) {
		snprintf(err, errlen, "too many things to lock");
		return -1;
	}
	snprintf(path, sizeof(path), "%s/%s.lock", dir, name);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0) {
		snprintf(err, errlen, "cannot open the instance lock %s: %s", path, strerror(errno));
		return -1;
	}
	if (flock(fd, how | LOCK_NB) != 0) {
		int pid = holder_of(fd);
		char who[64] = "another sqlward daemon";
		if (pid > 0)
			snprintf(who, sizeof(who), "another sqlward daemon (pid %d)", pid);
		snprintf(err, errlen, "%s already governs %s (lock %s). Two gates on the same backends would judge "
			 "every statement twice and take each other's held statements for orphans: stop the other "
			 "daemon, or give each its own cluster with --postmaster-pid", who, what, path);
		close(fd);
		return -1;
	}
	l->fds[l->n++] = fd;
	return 0;
}

int sw_instance_lock(struct sw_instance_locks *l, const char *dir, const char *const *bins, int n_bins,
		     const struct sw_pg_scope *scope, char *err, size_t errlen)
{
	bool scoped = scope && scope->n > 0;

	l->n = 0;
	if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
		snprintf(err, errlen, "cannot create %s for the instance locks: %s", dir, strerror(errno));
		return -1;
	}
	for (int i = 0; i < n_bins; i++) {
		char real[PATH_MAX], key[PATH_MAX + 64], sha[65], name[64], what[PATH_MAX + 64];
		const char *inner;
		int root_pid;
		/* realpath(3) of a container's /proc/PID/root/... would name the host's file of that name. */
		sw_binary_lock_key(bins[i], key, sizeof(key));
		if (sw_path_in_proc_root(bins[i], &root_pid, &inner) || !realpath(bins[i], real))
			snprintf(real, sizeof(real), "%s", bins[i]);
		sw_sha256_hex(key, strlen(key), sha);
		snprintf(name, sizeof(name), "binary-%.16s", sha);
		snprintf(what, sizeof(what), "the server binary %s%s", real, scoped ? " without --postmaster-pid" : "");
		if (take(l, dir, name, scoped ? LOCK_SH : LOCK_EX, what, err, errlen) < 0)
			goto fail;
	}
	for (int i = 0; scoped && i < scope->n; i++) {
		char name[64], what[4200];
		snprintf(name, sizeof(name), "cluster-%llx-%llx", (unsigned long long)scope->clusters[i].dev,
			 (unsigned long long)scope->clusters[i].ino);
		snprintf(what, sizeof(what), "the cluster in %s", scope->clusters[i].dir);
		if (take(l, dir, name, LOCK_EX, what, err, errlen) < 0)
			goto fail;
	}
	return 0;
fail:
	sw_instance_unlock(l);
	return -1;
}

void sw_instance_unlock(struct sw_instance_locks *l)
{
	for (int i = 0; i < l->n; i++)
		close(l->fds[i]);
	l->n = 0;
}
