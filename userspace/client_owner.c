/* Finding a backend's client process from its socket: /proc/net/tcp{,6}, sock_diag, /proc/PID/fd. */
#include <ctype.h>
#include <dirent.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <linux/unix_diag.h>
#include <pwd.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "client_owner.h"

#define MAX_INODES 64
#define TCP_CLOSE_WAIT 8

/* The inodes of the sockets a process has open. */
static int socket_inodes(int pid, unsigned long *out, int max)
{
	char path[64];
	DIR *d;
	struct dirent *de;
	int n = 0;

	snprintf(path, sizeof(path), "/proc/%d/fd", pid);
	d = opendir(path);
	if (!d)
		return 0;
	while ((de = readdir(d)) && n < max) {
		char lp[384], target[64];
		ssize_t l;
		snprintf(lp, sizeof(lp), "%s/%s", path, de->d_name);
		l = readlink(lp, target, sizeof(target) - 1);
		if (l <= 0)
			continue;
		target[l] = 0;
		if (strncmp(target, "socket:[", 8) == 0)
			out[n++] = strtoul(target + 8, NULL, 10);
	}
	closedir(d);
	return n;
}

static bool has_inode(const unsigned long *set, int n, unsigned long ino)
{
	for (int i = 0; i < n; i++)
		if (set[i] == ino)
			return true;
	return false;
}

/* The process that has socket inode ino open (first found), or 0. */
static int process_with_socket(unsigned long ino, int skip_pid)
{
	DIR *d = opendir("/proc");
	struct dirent *de;
	int found = 0;

	while (d && !found && (de = readdir(d))) {
		unsigned long inos[256];
		int pid, n;
		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		pid = atoi(de->d_name);
		if (pid == skip_pid)
			continue;
		n = socket_inodes(pid, inos, 256);
		if (has_inode(inos, n, ino))
			found = pid;
	}
	if (d)
		closedir(d);
	return found;
}

struct tcp_row {
	char local[40], remote[40];
	int state;
	unsigned long inode;
};

/* Rows of /proc/net/tcp and tcp6; returns count (at most max). */
static int tcp_rows(struct tcp_row *rows, int max)
{
	static const char *const files[] = { "/proc/net/tcp", "/proc/net/tcp6" };
	int n = 0;

	for (int f = 0; f < 2; f++) {
		FILE *fp = fopen(files[f], "r");
		char line[512];
		if (!fp)
			continue;
		if (!fgets(line, sizeof(line), fp)) {
			fclose(fp);
			continue;
		}
		while (n < max && fgets(line, sizeof(line), fp)) {
			struct tcp_row *r = &rows[n];
			unsigned st;
			if (sscanf(line, " %*d: %39s %39s %x %*s %*s %*s %*u %*d %lu", r->local, r->remote, &st,
				   &r->inode) == 4) {
				r->state = (int)st;
				n++;
			}
		}
		fclose(fp);
	}
	return n;
}

/* The peer inode of a Unix socket, via sock_diag; 0 if none. */
static unsigned long unix_peer(unsigned long ino)
{
	struct {
		struct nlmsghdr nlh;
		struct unix_diag_req r;
	} req;
	char buf[32768];
	unsigned long peer = 0;
	int fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
	bool done = false;

	if (fd < 0)
		return 0;
	memset(&req, 0, sizeof(req));
	req.nlh.nlmsg_len = sizeof(req);
	req.nlh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
	req.nlh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	req.r.sdiag_family = AF_UNIX;
	req.r.udiag_states = ~0u;
	req.r.udiag_show = UDIAG_SHOW_PEER;
	if (send(fd, &req, sizeof(req), 0) < 0) {
		close(fd);
		return 0;
	}
	while (!done) {
		ssize_t len = recv(fd, buf, sizeof(buf), 0);
		struct nlmsghdr *h;
		if (len <= 0)
			break;
		for (h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)len); h = NLMSG_NEXT(h, len)) {
			struct unix_diag_msg *m;
			struct rtattr *a;
			int alen;
			if (h->nlmsg_type == NLMSG_DONE || h->nlmsg_type == NLMSG_ERROR) {
				done = true;
				break;
			}
			m = NLMSG_DATA(h);
			if (m->udiag_ino != ino)
				continue;
			alen = (int)(h->nlmsg_len - NLMSG_LENGTH(sizeof(*m)));
			for (a = (struct rtattr *)(m + 1); RTA_OK(a, alen); a = RTA_NEXT(a, alen))
				if (a->rta_type == UNIX_DIAG_PEER)
					peer = *(uint32_t *)RTA_DATA(a);
		}
	}
	close(fd);
	return peer;
}

static uid_t process_uid(int pid)
{
	char path[64], line[256];
	FILE *f;
	unsigned uid = (unsigned)-1;

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	f = fopen(path, "r");
	if (!f)
		return (uid_t)-1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "Uid: %u", &uid) == 1)
			break;
	fclose(f);
	return (uid_t)uid;
}

/* The client-side socket inode of the backend's connection; *tcp_state set for TCP. */
static unsigned long client_inode(int backend_pid, int *tcp_state, bool *is_unix)
{
	unsigned long inos[MAX_INODES];
	static struct tcp_row rows[8192];
	int n = socket_inodes(backend_pid, inos, MAX_INODES), nr;

	*tcp_state = 0;
	*is_unix = false;
	if (n == 0)
		return 0;
	nr = tcp_rows(rows, (int)(sizeof(rows) / sizeof(rows[0])));
	for (int i = 0; i < nr; i++) {
		if (!has_inode(inos, n, rows[i].inode) || rows[i].state == 0x0A /* LISTEN */)
			continue;
		*tcp_state = rows[i].state;
		for (int j = 0; j < nr; j++)
			if (strcmp(rows[j].local, rows[i].remote) == 0 && strcmp(rows[j].remote, rows[i].local) == 0)
				return rows[j].inode ? rows[j].inode : (unsigned long)-1;
		return (unsigned long)-1;   /* TCP, but the client is not on this host */
	}
	for (int i = 0; i < n; i++) {
		unsigned long peer = unix_peer(inos[i]);
		if (peer) {
			*is_unix = true;
			return peer;
		}
	}
	return 0;
}

bool sw_client_owner(int backend_pid, struct sw_client_owner *out)
{
	int state;
	bool is_unix;
	unsigned long ino = client_inode(backend_pid, &state, &is_unix);
	struct passwd *pw;

	memset(out, 0, sizeof(*out));
	if (ino == 0 || ino == (unsigned long)-1)
		return false;
	out->pid = process_with_socket(ino, backend_pid);
	if (!out->pid)
		return false;
	out->uid = process_uid(out->pid);
	if (out->uid == (uid_t)-1)
		return false;
	pw = getpwuid(out->uid);
	if (pw)
		snprintf(out->user, sizeof(out->user), "%s", pw->pw_name);
	else
		snprintf(out->user, sizeof(out->user), "uid:%u", (unsigned)out->uid);
	return true;
}

bool sw_client_gone(int backend_pid)
{
	int state;
	bool is_unix;
	unsigned long ino = client_inode(backend_pid, &state, &is_unix);

	(void)ino;
	/* TCP only: the kernel keeps a closed Unix peer's inode reachable, so a
	 * departed Unix-socket client is noticed when the backend dies instead. */
	return state == TCP_CLOSE_WAIT;
}
