/* Server binaries of processes in other mount namespaces (see proc_root.h). */
#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "pg_backend.h"
#include "proc_root.h"

static bool same_file(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino;
}

bool sw_path_in_proc_root(const char *path, int *pid, const char **inner)
{
	const char *p;
	int n = 0;

	if (strncmp(path, "/proc/", 6) != 0 || !isdigit((unsigned char)path[6]))
		return false;
	for (p = path + 6; isdigit((unsigned char)*p); p++) {
		if (n > 99999999)
			return false;   /* no such pid (and no overflow) */
		n = n * 10 + (*p - '0');
	}
	if (strncmp(p, "/root", 5) != 0 || (p[5] != '/' && p[5] != 0))
		return false;
	*pid = n;
	*inner = p[5] ? p + 5 : "/";
	return true;
}

/* The root directory of pid (0: the daemon's own). */
static bool root_of(pid_t pid, struct stat *st)
{
	char path[64];

	if (pid <= 0)
		return stat("/", st) == 0;
	snprintf(path, sizeof(path), "/proc/%d/root", (int)pid);
	return stat(path, st) == 0;
}

bool sw_proc_other_root(pid_t pid)
{
	struct stat ours, theirs;
	return root_of(0, &ours) && root_of(pid, &theirs) && !same_file(&ours, &theirs);
}

bool sw_proc_exe_path(pid_t pid, char *buf, size_t len)
{
	char name[PATH_MAX], link[64];
	struct stat exe, here;

	snprintf(link, sizeof(link), "/proc/%d/exe", (int)pid);
	if (!sw_proc_exe(pid, name, sizeof(name)) || stat(link, &exe) != 0)
		return false;
	if ((stat(name, &here) == 0 && same_file(&here, &exe)) || !sw_proc_other_root(pid))
		snprintf(buf, len, "%s", name);
	else
		snprintf(buf, len, "/proc/%d/root%s", (int)pid, name);
	return true;
}

bool sw_proc_runs_binary(pid_t pid, const char *bin)
{
	char link[64], name[PATH_MAX];
	struct stat exe, file, bin_root, proc_root;
	const char *inner = bin;
	int root_pid = 0;

	snprintf(link, sizeof(link), "/proc/%d/exe", (int)pid);
	if (stat(link, &exe) != 0)
		return false;
	if (stat(bin, &file) == 0 && same_file(&file, &exe))
		return true;
	/* An older file at the binary's path: the same name, seen from the same root. */
	sw_path_in_proc_root(bin, &root_pid, &inner);
	return sw_proc_exe(pid, name, sizeof(name)) && strcmp(name, inner) == 0 && root_of(root_pid, &bin_root) &&
	       root_of(pid, &proc_root) && same_file(&bin_root, &proc_root);
}

static int open_in_root(int root, const char *path, int flags)
{
	struct open_how how = { .flags = (uint64_t)(flags | O_PATH | O_CLOEXEC), .resolve = RESOLVE_IN_ROOT };

	return (int)syscall(SYS_openat2, root, path, &how, sizeof(how));
}

/* The file's own name for itself, through an open descriptor (symlinks resolved). */
static bool fd_name(int fd, char *buf, size_t len)
{
	char link[64];
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, buf, len - 1);
	if (n <= 0)
		return false;
	buf[n] = 0;
	return true;
}

static bool host_dir(const char *path, struct stat *dir, char *name, size_t len)
{
	char real[PATH_MAX], d[PATH_MAX], b[PATH_MAX];

	if (!realpath(path, real))
		return false;
	snprintf(d, sizeof(d), "%s", real);
	snprintf(b, sizeof(b), "%s", real);
	snprintf(name, len, "%s", basename(b));
	return stat(dirname(d), dir) == 0;
}

bool sw_binary_dir(const char *path, struct stat *dir, char *name, size_t len)
{
	char root_path[64], resolved[PATH_MAX], d[PATH_MAX], b[PATH_MAX];
	const char *inner;
	struct stat file, here;
	int pid, root, fd, dfd;
	bool ok = false;

	if (!sw_path_in_proc_root(path, &pid, &inner))
		return host_dir(path, dir, name, len);
	snprintf(root_path, sizeof(root_path), "/proc/%d/root", pid);
	root = open(root_path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (root < 0)
		return false;
	fd = open_in_root(root, inner, 0);
	if (fd >= 0 && fstat(fd, &file) == 0 && fd_name(fd, resolved, sizeof(resolved))) {
		if (stat(resolved, &here) == 0 && same_file(&here, &file)) {
			/* Reachable from our root as it is (a chroot under our tree). */
			ok = host_dir(resolved, dir, name, len);
		} else {
			/* Named from the container's root: its directory, opened inside that root. */
			snprintf(d, sizeof(d), "%s", resolved);
			snprintf(b, sizeof(b), "%s", resolved);
			dfd = open_in_root(root, dirname(d), O_DIRECTORY);
			if (dfd >= 0) {
				ok = fstat(dfd, dir) == 0;
				close(dfd);
			}
			snprintf(name, len, "%s", basename(b));
		}
	}
	if (fd >= 0)
		close(fd);
	close(root);
	return ok;
}

void sw_binary_lock_key(const char *path, char *out, size_t len)
{
	char root_path[64], real[PATH_MAX];
	const char *inner;
	struct stat root;
	int pid;

	if (sw_path_in_proc_root(path, &pid, &inner)) {
		snprintf(root_path, sizeof(root_path), "/proc/%d/root", pid);
		if (stat(root_path, &root) == 0) {
			snprintf(out, len, "root %llx:%llx %s", (unsigned long long)root.st_dev,
				 (unsigned long long)root.st_ino, inner);
			return;
		}
	} else if (realpath(path, real)) {
		snprintf(out, len, "%s", real);
		return;
	}
	snprintf(out, len, "%s", path);
}

int sw_find_running_binaries(const char *base, const int *pids, int n_pids, char bins[][4096], int max)
{
	struct stat seen[64];
	struct dirent *de;
	DIR *d = opendir("/proc");
	int n = 0;

	if (max > 64)
		max = 64;
	while (d && (de = readdir(d)) && n < max) {
		char name[PATH_MAX], link[64], path[4096];
		const char *b;
		struct stat st, parent;
		bool dup = false, named = n_pids == 0;
		int pid, ppid;

		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		pid = atoi(de->d_name);
		for (int i = 0; i < n_pids; i++)
			named |= pids[i] == pid;
		snprintf(link, sizeof(link), "/proc/%d/exe", pid);
		if (!named || !sw_proc_exe(pid, name, sizeof(name)) || stat(link, &st) != 0)
			continue;
		b = strrchr(name, '/');
		if (n_pids == 0 && strcmp(b ? b + 1 : name, base) != 0)
			continue;
		for (int i = 0; i < n; i++)
			dup |= same_file(&seen[i], &st);
		/* A backend is named through its postmaster (which outlives it) when both are found. */
		ppid = sw_proc_ppid(pid);
		snprintf(link, sizeof(link), "/proc/%d/exe", ppid);
		if (dup || (n_pids == 0 && ppid > 1 && stat(link, &parent) == 0 && same_file(&parent, &st)))
			continue;
		/* (An older file of a binary replaced on disk has its name: one path, found running by
		 * sw_binaries_find_running.) */
		if (!sw_proc_exe_path(pid, path, sizeof(path)))
			continue;
		for (int i = 0; i < n; i++)
			dup |= strcmp(bins[i], path) == 0;
		if (!dup) {
			snprintf(bins[n], 4096, "%s", path);
			seen[n++] = st;
		}
	}
	if (d)
		closedir(d);
	return n;
}
