/* Finding the mariadbd that took a governed server's place (see my_successor.h). */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "my_successor.h"

bool sw_my_server_id_of(pid_t pid, struct sw_my_server_id *out, char *err, size_t errlen)
{
	char path[64];
	struct stat st;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/cwd", (int)pid);
	if (stat(path, &st) != 0) {
		snprintf(err, errlen, "cannot read the data directory of mariadbd %d (%s): %s", (int)pid, path,
			 strerror(errno));
		return false;
	}
	out->dev = st.st_dev;
	out->ino = st.st_ino;
	n = readlink(path, out->path, sizeof(out->path) - 1);
	out->path[n > 0 ? n : 0] = 0;
	return true;
}

/* Does process pid run a MariaDB server binary? (By the file's name: mariadbd, or mysqld as older
 * packages and links name it.) */
static bool runs_server(const char *pid)
{
	char path[300], exe[PATH_MAX], *base;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%s/exe", pid);
	n = readlink(path, exe, sizeof(exe) - 1);
	if (n <= 0)
		return false;
	exe[n] = 0;
	/* A replaced file reads "... (deleted)": still the server that runs it. */
	if (n > 10 && strcmp(exe + n - 10, " (deleted)") == 0)
		exe[n - 10] = 0;
	base = strrchr(exe, '/');
	base = base ? base + 1 : exe;
	return strcmp(base, "mariadbd") == 0 || strcmp(base, "mysqld") == 0;
}

pid_t sw_my_find_successor(const struct sw_my_server_id *id, pid_t not_pid)
{
	DIR *dir = opendir("/proc");
	struct dirent *de;
	pid_t found = 0;

	while (dir && !found && (de = readdir(dir))) {
		char path[300];
		struct stat st;
		if (!isdigit((unsigned char)de->d_name[0]) || atoi(de->d_name) == (int)not_pid)
			continue;
		snprintf(path, sizeof(path), "/proc/%s/cwd", de->d_name);
		if (stat(path, &st) != 0 || st.st_dev != id->dev || st.st_ino != id->ino)
			continue;
		if (runs_server(de->d_name))
			found = (pid_t)atoi(de->d_name);
	}
	if (dir)
		closedir(dir);
	return found;
}

/* The state letter of /proc/PID/stat ('T': stopped); 0 if unreadable. */
static char proc_state(const char *pid)
{
	char path[300], buf[512], *p;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%s/stat", pid);
	if (!(f = fopen(path, "re")))
		return 0;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	p = strrchr(buf, ')');   /* the command name may hold spaces and parentheses */
	return p && p[1] == ' ' ? p[2] : 0;
}

int sw_my_signal_stopped_successors(const struct sw_my_server_id *id, pid_t not_pid, int sig, pid_t *done, int max)
{
	DIR *dir = opendir("/proc");
	struct dirent *de;
	int n = 0;

	while (dir && n < max && (de = readdir(dir))) {
		char path[300];
		struct stat st;
		if (!isdigit((unsigned char)de->d_name[0]) || atoi(de->d_name) == (int)not_pid ||
		    proc_state(de->d_name) != 'T')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/cwd", de->d_name);
		if (stat(path, &st) != 0 || st.st_dev != id->dev || st.st_ino != id->ino || !runs_server(de->d_name))
			continue;
		if (kill(atoi(de->d_name), sig) == 0)
			done[n++] = (pid_t)atoi(de->d_name);
	}
	if (dir)
		closedir(dir);
	return n;
}

int sw_my_pidfd(pid_t pid)
{
#ifdef SYS_pidfd_open
	return (int)syscall(SYS_pidfd_open, pid, 0);
#else
	(void)pid;
	return -1;
#endif
}

int sw_my_pidfd_signal(pid_t pid, int pidfd, int sig)
{
#ifdef SYS_pidfd_send_signal
	if (pidfd >= 0)
		return (int)syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0);
#endif
	return kill(pid, sig);
}

bool sw_my_server_alive(pid_t pid, int pidfd)
{
	if (pidfd >= 0) {
		struct pollfd p = { .fd = pidfd, .events = POLLIN };
		return poll(&p, 1, 0) == 0;
	}
	return kill(pid, 0) == 0 || errno != ESRCH;
}

/* Is SIGKILL pending for the whole process (kill(2) of it: its threads are ending)? */
static bool group_killed(pid_t pid)
{
	char path[64], line[128];
	unsigned long long set = 0;
	bool found = false;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	if (!(f = fopen(path, "re")))
		return false;
	while (!found && fgets(line, sizeof(line), f))
		found = sscanf(line, "ShdPnd: %llx", &set) == 1;
	fclose(f);
	return found && (set & (1ull << (SIGKILL - 1)));
}

bool sw_my_server_ending(pid_t pid, int pidfd)
{
	char p[16], st;

	if (!sw_my_server_alive(pid, pidfd))
		return true;
	snprintf(p, sizeof(p), "%d", (int)pid);
	st = proc_state(p);
	return st == 0 || st == 'Z' || st == 'X' || group_killed(pid);
}

void sw_my_unpin_server(const char *dir, pid_t pid)
{
	DIR *dd = dir ? opendir(dir) : NULL;
	struct dirent *de;

	while (dd && (de = readdir(dd))) {
		int dpid, mpid;
		char kind[8], path[PATH_MAX];
		if (sscanf(de->d_name, "mariadb-%d-%d-%7s", &dpid, &mpid, kind) != 3 || mpid != (int)pid)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		unlink(path);
	}
	if (dd)
		closedir(dd);
}
