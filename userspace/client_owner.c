/*
 * Who is behind a backend's connection (see client_owner.h): one snapshot of
 * the host's sockets (struct sw_sock_table: sock_diag for TCP and Unix
 * sockets, read in the server's network namespace, which a container may have
 * of its own; /proc/PID/fd, host-wide), then a breadth-first walk from the backend
 * through every process that holds a connection it accepted.
 *
 * Which end of a connection accepted it is not recorded by the kernel in
 * anything /proc shows; it is read from the listening sockets (an accepted
 * socket has its listener's port, or its listener's Unix path) and, when the
 * listener is gone (a single-shot forwarder closes it), from the ports: the
 * side on an ephemeral port connected out.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <linux/unix_diag.h>
#include <netinet/in.h>
#include <pwd.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include "client_owner.h"
#include "pg_backend.h"
#include "statement_json.h"
#include "util.h"

#define TCP_ESTABLISHED 1
#define TCP_CLOSE_WAIT 8   /* the peer closed; this end may still be passing its last bytes on */

/* ---- /proc/net/tcp lines and addresses ---- */

bool sw_tcp_sock_parse(const char *line, struct sw_tcp_sock *out)
{
	unsigned st;

	memset(out, 0, sizeof(*out));
	if (sscanf(line, " %*d: %47s %47s %x %*s %*s %*s %*u %*d %lu", out->local, out->remote, &st,
		   &out->inode) != 4)
		return false;
	out->state = (int)st;
	return true;
}

/* Eight hex digits: one 32-bit word as the kernel prints it (host byte order). */
static bool hex_word(const char *s, uint32_t *out)
{
	char buf[9], *end;

	memcpy(buf, s, 8);
	buf[8] = 0;
	*out = (uint32_t)strtoul(buf, &end, 16);
	return end == buf + 8 && isxdigit((unsigned char)buf[0]);
}

void sw_tcp_endpoint_text(const char *hex, char *out, size_t len)
{
	const char *colon = strchr(hex, ':');
	size_t alen = colon ? (size_t)(colon - hex) : 0;
	char ip[INET6_ADDRSTRLEN], *end;
	unsigned long port;
	uint32_t w;

	if (!colon || !colon[1])
		goto raw;
	port = strtoul(colon + 1, &end, 16);
	if (*end || port > 65535)
		goto raw;
	if (alen == 8) {
		struct in_addr a;
		if (!hex_word(hex, &w))
			goto raw;
		a.s_addr = w;
		inet_ntop(AF_INET, &a, ip, sizeof(ip));
		snprintf(out, len, "%s:%lu", ip, port);
		return;
	}
	if (alen == 32) {
		struct in6_addr a;
		for (int i = 0; i < 4; i++) {
			if (!hex_word(hex + 8 * i, &w))
				goto raw;
			memcpy(&a.s6_addr[4 * i], &w, 4);
		}
		if (IN6_IS_ADDR_V4MAPPED(&a)) {
			inet_ntop(AF_INET, &a.s6_addr[12], ip, sizeof(ip));
			snprintf(out, len, "%s:%lu", ip, port);
		} else {
			inet_ntop(AF_INET6, &a, ip, sizeof(ip));
			snprintf(out, len, "[%s]:%lu", ip, port);
		}
		return;
	}
raw:
	snprintf(out, len, "%s", hex);
}

static unsigned endpoint_port(const char *hex)
{
	const char *colon = strrchr(hex, ':');
	return colon ? (unsigned)strtoul(colon + 1, NULL, 16) : 0;
}

static bool endpoint_any_addr(const char *hex)
{
	for (; *hex && *hex != ':'; hex++)
		if (*hex != '0')
			return false;
	return true;
}

/* ---- which side of a connection accepted it ---- */

enum side { SIDE_OUT, SIDE_ACCEPTED, SIDE_UNSURE };

static bool tcp_listened(const struct sw_sock_table *t, const char *local)
{
	unsigned port = endpoint_port(local);
	size_t alen = strcspn(local, ":");

	for (size_t i = 0; i < t->n_tcp; i++) {
		const struct sw_tcp_sock *l = &t->tcp[i];
		if (l->state != SW_SOCK_LISTEN || endpoint_port(l->local) != port)
			continue;
		if (endpoint_any_addr(l->local) ||
		    (strcspn(l->local, ":") == alen && strncmp(l->local, local, alen) == 0))
			return true;
	}
	return false;
}

static bool ephemeral(const struct sw_sock_table *t, unsigned port)
{
	return port >= t->eph_lo && port <= t->eph_hi;
}

static enum side tcp_side(const struct sw_sock_table *t, const struct sw_tcp_sock *s,
			  const struct sw_tcp_sock *peer)
{
	bool mine, theirs;

	if (tcp_listened(t, s->local))
		return SIDE_ACCEPTED;
	if (peer && tcp_listened(t, peer->local))
		return SIDE_OUT;
	mine = ephemeral(t, endpoint_port(s->local));
	theirs = ephemeral(t, endpoint_port(s->remote));
	if (!mine && theirs)
		return SIDE_ACCEPTED;
	if (mine && !theirs)
		return SIDE_OUT;
	return SIDE_UNSURE;
}

static bool unix_listened(const struct sw_sock_table *t, const struct sw_unix_sock *s)
{
	for (size_t i = 0; s->name_len && i < t->n_unix; i++) {
		const struct sw_unix_sock *l = &t->unx[i];
		if (l->state == SW_SOCK_LISTEN && l->name_len == s->name_len && memcmp(l->name, s->name, s->name_len) == 0)
			return true;
	}
	return false;
}

/* An accepted Unix socket carries its listener's name; the connecting one is
 * unnamed unless it bound a name itself. Two unnamed ends are a socketpair. */
static enum side unix_side(const struct sw_sock_table *t, const struct sw_unix_sock *s,
			   const struct sw_unix_sock *peer)
{
	bool named = s->name_len > 0, peer_named = peer && peer->name_len > 0;

	if (named && unix_listened(t, s))
		return SIDE_ACCEPTED;
	if (peer_named && unix_listened(t, peer))
		return SIDE_OUT;
	if (named && !peer_named)
		return SIDE_ACCEPTED;
	return named ? SIDE_UNSURE : SIDE_OUT;
}

/* ---- the walk ---- */

struct walker {
	const struct sw_sock_table *t;
	struct sw_client_chain *c;
	unsigned long arrived[SW_CHAIN_MAX_NODES];  /* the socket each process node was reached by */
	size_t n_remote, n_unresolved;
	const char *first_remote;
};

static const struct sw_tcp_sock *tcp_by_inode(const struct sw_sock_table *t, unsigned long ino)
{
	for (size_t i = 0; ino && i < t->n_tcp; i++)
		if (t->tcp[i].inode == ino && t->tcp[i].state != SW_SOCK_LISTEN)
			return &t->tcp[i];
	return NULL;
}

static const struct sw_tcp_sock *tcp_peer(const struct sw_sock_table *t, const struct sw_tcp_sock *s)
{
	for (size_t i = 0; i < t->n_tcp; i++)
		if (strcmp(t->tcp[i].local, s->remote) == 0 && strcmp(t->tcp[i].remote, s->local) == 0)
			return &t->tcp[i];
	return NULL;
}

static const struct sw_unix_sock *unix_by_inode(const struct sw_sock_table *t, unsigned long ino)
{
	for (size_t i = 0; ino && i < t->n_unix; i++)
		if (t->unx[i].inode == ino)
			return &t->unx[i];
	return NULL;
}

static struct sw_chain_node *add_node(struct walker *w, enum sw_chain_node_kind kind, int via, int depth)
{
	struct sw_chain_node *n;

	if (w->c->n_nodes == SW_CHAIN_MAX_NODES) {
		w->c->truncated = true;
		return NULL;
	}
	n = &w->c->nodes[w->c->n_nodes++];
	memset(n, 0, sizeof(*n));
	n->kind = kind;
	n->via = via;
	n->depth = depth;
	n->uid = (uid_t)-1;
	if (kind == SW_CHAIN_UNRESOLVED)
		w->n_unresolved++;
	return n;
}

static bool visited(const struct walker *w, int pid)
{
	if (pid == w->c->backend_pid)
		return true;
	for (size_t i = 0; i < w->c->n_nodes; i++)
		if (w->c->nodes[i].kind == SW_CHAIN_PROCESS && w->c->nodes[i].pid == pid)
			return true;
	return false;
}

/* The processes holding socket ino (other than from_pid), one hop out from node via. */
static void add_holders(struct walker *w, int from_pid, int via, int depth, unsigned long ino, const char *what)
{
	const struct sw_sock_table *t = w->t;
	size_t found = 0;

	for (size_t i = 0; ino && i < t->n_holders; i++) {
		const struct sw_sock_holder *h = &t->holders[i];
		struct sw_chain_node *n;
		if (h->inode != ino || h->pid == from_pid)
			continue;
		found++;
		if (visited(w, h->pid))
			continue;   /* reached before: a loop, or a second path to it */
		n = add_node(w, SW_CHAIN_PROCESS, via, depth);
		if (!n)
			return;
		n->pid = h->pid;
		w->arrived[w->c->n_nodes - 1] = ino;
		if (!t->identify(h->pid, n)) {
			n->kind = SW_CHAIN_UNRESOLVED;
			w->n_unresolved++;
			snprintf(n->addr, sizeof(n->addr), "pid %d, which exited", h->pid);
		}
	}
	if (!found) {
		struct sw_chain_node *n = add_node(w, SW_CHAIN_UNRESOLVED, via, depth);
		if (n)
			snprintf(n->addr, sizeof(n->addr), "%s", what);
	}
}

/* A connection a process accepted: who is at its other end. */
struct inbound {
	bool remote;                 /* not on this host: remote_hex says where */
	const char *remote_hex;
	unsigned long peer_ino;      /* local: the other end's socket */
	char what[64];               /* the other end, for an unresolved node */
};

/* Is socket ino a connection its holder accepted (or may have: see tcp_side)? */
static bool inbound_of(const struct sw_sock_table *t, unsigned long ino, struct inbound *in)
{
	const struct sw_tcp_sock *s = tcp_by_inode(t, ino), *ps;
	const struct sw_unix_sock *u;

	memset(in, 0, sizeof(*in));
	if (s) {
		/* This end closed it (FIN_WAIT, LAST_ACK ...): nothing passes through any more. */
		if (s->state != TCP_ESTABLISHED && s->state != TCP_CLOSE_WAIT)
			return false;
		ps = tcp_peer(t, s);
		switch (tcp_side(t, s, ps)) {
		case SIDE_OUT: return false;
		case SIDE_UNSURE: if (!ps) return false; break;   /* only a local peer can be a requester */
		case SIDE_ACCEPTED: break;
		}
		if (!ps) {
			in->remote = true;
			in->remote_hex = s->remote;
			return true;
		}
		in->peer_ino = ps->inode;
		sw_tcp_endpoint_text(ps->local, in->what, sizeof(in->what));
		return true;
	}
	u = unix_by_inode(t, ino);
	if (!u || !u->peer || u->state != TCP_ESTABLISHED || unix_side(t, u, unix_by_inode(t, u->peer)) == SIDE_OUT)
		return false;
	in->peer_ino = u->peer;
	snprintf(in->what, sizeof(in->what), "Unix socket %lu", u->peer);
	return true;
}

static void add_inbound(struct walker *w, int pid, int via, int depth, const struct inbound *in)
{
	struct sw_chain_node *n;

	if (depth >= SW_CHAIN_MAX_DEPTH) {
		w->c->truncated = true;
		return;
	}
	if (!in->remote) {
		add_holders(w, pid, via, depth, in->peer_ino, in->what);
		return;
	}
	n = add_node(w, SW_CHAIN_REMOTE, via, depth);
	if (n) {
		sw_tcp_endpoint_text(in->remote_hex, n->addr, sizeof(n->addr));
		w->n_remote++;
		if (!w->first_remote)
			w->first_remote = n->addr;
	}
}

/* Follow every connection pid accepted (except the one it was reached by) to
 * the processes at the other ends; true when there was one: pid relays. */
static bool expand_only(struct walker *w, int pid, int via, int depth, unsigned long arrived, unsigned long only)
{
	size_t followed = 0;

	for (size_t i = 0; i < w->t->n_holders; i++) {
		const struct sw_sock_holder *h = &w->t->holders[i];
		struct inbound in;
		if (h->pid != pid || h->inode == arrived || (only && h->inode != only) || !inbound_of(w->t, h->inode, &in))
			continue;
		if (followed++ == SW_CHAIN_MAX_FANOUT) {
			w->c->truncated = true;
			break;
		}
		add_inbound(w, pid, via, depth, &in);
	}
	return followed > 0;
}

static bool expand(struct walker *w, int pid, int via, int depth, unsigned long arrived)
{
	return expand_only(w, pid, via, depth, arrived, 0);
}

static void explain(const struct walker *w)
{
	struct sw_client_chain *c = w->c;

	if (c->n_nodes == 0)
		snprintf(c->why, sizeof(c->why), "no client connection was found for backend pid %d (it may have "
			 "ended, or its client is in another network namespace)", c->backend_pid);
	else if (w->n_remote && c->nodes[0].kind == SW_CHAIN_REMOTE && c->n_nodes == 1)
		snprintf(c->why, sizeof(c->why), "the client connects from %s, not from this host", w->first_remote);
	else if (w->n_remote)
		snprintf(c->why, sizeof(c->why), "a connection in the chain comes from %s, not from this host",
			 w->first_remote);
	else if (c->truncated)
		snprintf(c->why, sizeof(c->why), "the chain has more hops or connections than sqlward follows (at "
			 "most %d hops, %d connections per process, %d entries)", SW_CHAIN_MAX_DEPTH,
			 SW_CHAIN_MAX_FANOUT, SW_CHAIN_MAX_NODES);
	else if (w->n_unresolved)
		snprintf(c->why, sizeof(c->why), "the process at the other end of a connection in the chain could "
			 "not be found");
	else if (c->n_origins > 1)
		snprintf(c->why, sizeof(c->why), "%zu client processes reach the backend through a relay or pooler, "
			 "so which of them sent this statement is not known", c->n_origins);
	else if (c->n_origins == 0)
		snprintf(c->why, sizeof(c->why), "the chain loops back on itself: no process where it starts was found");
}

void sw_client_chain_walk(const struct sw_sock_table *t, int backend_pid, struct sw_client_chain *out)
{
	sw_client_chain_walk_socket(t, backend_pid, 0, out);
}

void sw_client_chain_walk_socket(const struct sw_sock_table *t, int backend_pid, unsigned long inode,
				 struct sw_client_chain *out)
{
	struct walker w = { .t = t, .c = out };

	memset(out, 0, sizeof(*out));
	out->backend_pid = backend_pid;
	expand_only(&w, backend_pid, -1, 0, 0, inode);
	/* Breadth first: nodes appended while this loop runs are visited by it. */
	for (size_t i = 0; i < out->n_nodes; i++) {
		struct sw_chain_node *n = &out->nodes[i];
		if (n->kind != SW_CHAIN_PROCESS)
			continue;
		n->origin = !expand(&w, n->pid, (int)i, n->depth + 1, w.arrived[i]);
		if (n->origin)
			out->n_origins++;
	}
	out->established = out->n_origins == 1 && !w.n_remote && !w.n_unresolved && !out->truncated;
	if (!out->established)
		explain(&w);
}

/* ---- reading the host's sockets ---- */

static void push(void **arr, size_t *n, size_t *cap, size_t size, const void *item)
{
	if (*n == *cap) {
		*cap = *cap ? *cap * 2 : 64;
		*arr = sw_xrealloc(*arr, *cap * size);
	}
	memcpy((char *)*arr + *n * size, item, size);
	(*n)++;
}

/* One sock_diag dump: each answer to each(t, cap, msg). false when the kernel
 * refused it (no such diag module) or the answer was cut short. */
static bool diag_dump(const void *req, size_t req_len, struct sw_sock_table *t, size_t *cap,
		      void (*each)(struct sw_sock_table *, size_t *, const struct nlmsghdr *))
{
	static char buf[32768] __attribute__((aligned(NLMSG_ALIGNTO)));
	int fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
	bool done = false, ok = false;

	if (fd < 0)
		return false;
	if (send(fd, req, req_len, 0) < 0) {
		close(fd);
		return false;
	}
	while (!done) {
		ssize_t len = recv(fd, buf, sizeof(buf), 0);
		if (len <= 0)
			break;
		for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)len); h = NLMSG_NEXT(h, len)) {
			if (h->nlmsg_type == NLMSG_DONE || h->nlmsg_type == NLMSG_ERROR) {
				ok = h->nlmsg_type == NLMSG_DONE;
				done = true;
				break;
			}
			each(t, cap, h);
		}
	}
	close(fd);
	return ok;
}

/* A TCP socket from inet_diag, written as /proc/net/tcp{,6} writes it. */
static void tcp_entry(struct sw_sock_table *t, size_t *cap, const struct nlmsghdr *h)
{
	const struct inet_diag_msg *m = NLMSG_DATA(h);
	const struct inet_diag_sockid *id = &m->id;
	struct sw_tcp_sock s = { .state = m->idiag_state, .inode = m->idiag_inode };

	if (m->idiag_family == AF_INET) {
		snprintf(s.local, sizeof(s.local), "%08X:%04X", id->idiag_src[0], ntohs(id->idiag_sport));
		snprintf(s.remote, sizeof(s.remote), "%08X:%04X", id->idiag_dst[0], ntohs(id->idiag_dport));
	} else {
		snprintf(s.local, sizeof(s.local), "%08X%08X%08X%08X:%04X", id->idiag_src[0], id->idiag_src[1],
			 id->idiag_src[2], id->idiag_src[3], ntohs(id->idiag_sport));
		snprintf(s.remote, sizeof(s.remote), "%08X%08X%08X%08X:%04X", id->idiag_dst[0], id->idiag_dst[1],
			 id->idiag_dst[2], id->idiag_dst[3], ntohs(id->idiag_dport));
	}
	push((void **)&t->tcp, &t->n_tcp, cap, sizeof(s), &s);
}

/* The same from /proc/net/tcp{,6}: slow (the kernel walks its whole socket
 * hash table for each read), only when inet_diag is not there. */
static void read_proc_net_tcp(struct sw_sock_table *t, size_t *cap)
{
	static const char *const files[] = { "/proc/thread-self/net/tcp", "/proc/thread-self/net/tcp6" };

	for (size_t f = 0; f < 2; f++) {
		FILE *fp = fopen(files[f], "re");
		char line[512];
		struct sw_tcp_sock s;
		if (!fp)
			continue;
		while (fgets(line, sizeof(line), fp))
			if (sw_tcp_sock_parse(line, &s))
				push((void **)&t->tcp, &t->n_tcp, cap, sizeof(s), &s);
		fclose(fp);
	}
}

static void read_tcp(struct sw_sock_table *t)
{
	static const int families[] = { AF_INET, AF_INET6 };
	size_t cap = 0;

	for (size_t f = 0; f < 2; f++) {
		struct {
			struct nlmsghdr nlh;
			struct inet_diag_req_v2 r;
		} req = {
			.nlh = { .nlmsg_len = sizeof(req), .nlmsg_type = SOCK_DIAG_BY_FAMILY,
				 .nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP },
			/* Every state but the ones no process holds (TIME_WAIT, handshakes). */
			.r = { .sdiag_family = (uint8_t)families[f], .sdiag_protocol = IPPROTO_TCP,
			       .idiag_states = ~((1u << 3) | (1u << 6) | (1u << 12)) },
		};
		if (!diag_dump(&req, sizeof(req), t, &cap, tcp_entry)) {
			t->n_tcp = 0;
			read_proc_net_tcp(t, &cap);
			return;
		}
	}
}

static void read_port_range(struct sw_sock_table *t)
{
	FILE *f = fopen("/proc/sys/net/ipv4/ip_local_port_range", "re");

	t->eph_lo = 32768;   /* the kernel's defaults */
	t->eph_hi = 60999;
	if (f) {
		if (fscanf(f, "%u %u", &t->eph_lo, &t->eph_hi) != 2) {
			t->eph_lo = 32768;
			t->eph_hi = 60999;
		}
		fclose(f);
	}
}

static void unix_entry(struct sw_sock_table *t, size_t *cap, const struct nlmsghdr *h)
{
	const struct unix_diag_msg *m = NLMSG_DATA(h);
	int alen = (int)(h->nlmsg_len - NLMSG_LENGTH(sizeof(*m)));
	struct sw_unix_sock s = { .inode = m->udiag_ino, .state = m->udiag_state };

	for (const struct rtattr *a = (const struct rtattr *)(m + 1); RTA_OK(a, alen); a = RTA_NEXT(a, alen)) {
		if (a->rta_type == UNIX_DIAG_PEER) {
			s.peer = *(const uint32_t *)RTA_DATA(a);
		} else if (a->rta_type == UNIX_DIAG_NAME) {
			size_t n = RTA_PAYLOAD(a);
			s.name_len = (unsigned)(n < sizeof(s.name) ? n : sizeof(s.name));
			memcpy(s.name, RTA_DATA(a), s.name_len);
		}
	}
	push((void **)&t->unx, &t->n_unix, cap, sizeof(s), &s);
}

static void read_unix(struct sw_sock_table *t)
{
	struct {
		struct nlmsghdr nlh;
		struct unix_diag_req r;
	} req = {
		.nlh = { .nlmsg_len = sizeof(req), .nlmsg_type = SOCK_DIAG_BY_FAMILY,
			 .nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP },
		.r = { .sdiag_family = AF_UNIX, .udiag_states = ~0u, .udiag_show = UDIAG_SHOW_PEER | UDIAG_SHOW_NAME },
	};
	size_t cap = 0;

	diag_dump(&req, sizeof(req), t, &cap, unix_entry);
}

static void read_process_sockets(struct sw_sock_table *t, size_t *cap, int pid)
{
	char path[64];
	struct dirent *de;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/fd", pid);
	d = opendir(path);
	if (!d)
		return;
	while ((de = readdir(d))) {
		char lp[384], target[64];
		ssize_t l;
		if (de->d_name[0] == '.')
			continue;
		snprintf(lp, sizeof(lp), "%s/%s", path, de->d_name);
		l = readlink(lp, target, sizeof(target) - 1);
		if (l <= 0)
			continue;
		target[l] = 0;
		if (strncmp(target, "socket:[", 8) == 0) {
			struct sw_sock_holder h = { .pid = pid, .inode = strtoul(target + 8, NULL, 10) };
			push((void **)&t->holders, &t->n_holders, cap, sizeof(h), &h);
		}
	}
	closedir(d);
}

/* The sockets of one process (only_pid), or of every process (0). */
static void read_holders(struct sw_sock_table *t, int only_pid)
{
	size_t cap = 0;
	struct dirent *de;
	DIR *d;

	if (only_pid) {
		read_process_sockets(t, &cap, only_pid);
		return;
	}
	d = opendir("/proc");
	while (d && (de = readdir(d)))
		if (isdigit((unsigned char)de->d_name[0]))
			read_process_sockets(t, &cap, atoi(de->d_name));
	if (d)
		closedir(d);
}

static bool proc_identify(int pid, struct sw_chain_node *n)
{
	char path[64], line[256], exe[4096];
	unsigned uid = (unsigned)-1;
	struct passwd pw, *pwp = NULL;
	char pwbuf[1024];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	f = fopen(path, "re");
	if (!f)
		return false;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "Uid: %u", &uid) == 1)
			break;
	fclose(f);
	if (uid == (unsigned)-1)
		return false;
	n->uid = (uid_t)uid;
	if (getpwuid_r(n->uid, &pw, pwbuf, sizeof(pwbuf), &pwp) == 0 && pwp)
		snprintf(n->user, sizeof(n->user), "%s", pw.pw_name);
	else
		snprintf(n->user, sizeof(n->user), "uid:%u", uid);
	if (sw_proc_exe(pid, exe, sizeof(exe))) {
		const char *base = strrchr(exe, '/');
		snprintf(n->exe, sizeof(n->exe), "%.*s", (int)sizeof(n->exe) - 1, base ? base + 1 : exe);
	} else {
		snprintf(path, sizeof(path), "/proc/%d/comm", pid);
		f = fopen(path, "re");
		if (f && fgets(n->exe, sizeof(n->exe), f))
			n->exe[strcspn(n->exe, "\n")] = 0;
		if (f)
			fclose(f);
	}
	return true;
}

/*
 * Sockets are listed per network namespace: a server in a container with its
 * own is read from inside it (this thread only, for the dump). Returns our own
 * namespace to come back to, or -1 when the server shares ours (or on error:
 * then only our namespace is read, and a client there is not found).
 */
static int enter_netns_of(int pid)
{
	char path[64];
	struct stat theirs, ours;
	int back, to;

	snprintf(path, sizeof(path), "/proc/%d/ns/net", pid);
	if (stat(path, &theirs) != 0 || stat("/proc/thread-self/ns/net", &ours) != 0 ||
	    (theirs.st_dev == ours.st_dev && theirs.st_ino == ours.st_ino))
		return -1;
	back = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	to = open(path, O_RDONLY | O_CLOEXEC);
	if (back < 0 || to < 0 || setns(to, CLONE_NEWNET) != 0) {
		if (back >= 0)
			close(back);
		back = -1;
	}
	if (to >= 0)
		close(to);
	return back;
}

static void leave_netns(int back)
{
	if (back < 0)
		return;
	if (setns(back, CLONE_NEWNET) != 0)
		fprintf(stderr, "sqlward: cannot return to the daemon's network namespace after reading a "
			"container's sockets: %s; restart sqlward\n", strerror(errno));
	close(back);
}

/* The socket tables of the server's network namespace. */
static void read_sockets(struct sw_sock_table *t, int server_pid)
{
	int back = enter_netns_of(server_pid);

	read_tcp(t);
	read_port_range(t);
	read_unix(t);
	leave_netns(back);
}

static void table_free(struct sw_sock_table *t)
{
	free(t->tcp);
	free(t->unx);
	free(t->holders);
}

bool sw_client_chain(int backend_pid, struct sw_client_chain *out)
{
	struct sw_sock_table t = { .identify = proc_identify };

	read_sockets(&t, backend_pid);
	read_holders(&t, 0);
	sw_client_chain_walk(&t, backend_pid, out);
	table_free(&t);
	return out->established;
}

bool sw_client_chain_socket(int server_pid, unsigned long inode, struct sw_client_chain *out)
{
	struct sw_sock_table t = { .identify = proc_identify };

	read_sockets(&t, server_pid);
	read_holders(&t, 0);
	sw_client_chain_walk_socket(&t, server_pid, inode, out);
	table_free(&t);
	return out->established;
}

bool sw_client_owner(int backend_pid, struct sw_client_owner *out)
{
	struct sw_client_chain *c = sw_xmalloc(sizeof(*c));
	bool found = false;

	memset(out, 0, sizeof(*out));
	sw_client_chain(backend_pid, c);
	for (size_t i = 0; i < c->n_nodes && !found; i++)
		if (c->nodes[i].kind == SW_CHAIN_PROCESS && c->nodes[i].depth == 0) {
			out->pid = c->nodes[i].pid;
			out->uid = c->nodes[i].uid;
			snprintf(out->user, sizeof(out->user), "%s", c->nodes[i].user);
			found = true;
		}
	free(c);
	return found;
}

/* ---- the client process: executable and command line ---- */

/* Hide a password in one argument: scheme://user:PASSWORD@host and password=VALUE (libpq
 * conninfo, --password=VALUE). Returns a new string. */
static char *redact_argument(const char *arg, size_t len)
{
	char *r = sw_xstrndup(arg, len);
	const char *uri = strstr(r, "://");
	char *p;

	if (uri) {
		char *auth = (char *)uri + 3, *end = auth + strcspn(auth, "/?#"), *at = NULL, *colon;
		for (char *q = auth; q < end; q++)
			if (*q == '@')
				at = q;
		colon = at ? memchr(auth, ':', (size_t)(at - auth)) : NULL;
		if (colon && at - colon > 1) {
			char *n = sw_xasprintf("%.*s:***%s", (int)(colon - r), r, at);
			free(r);
			r = n;
		}
	}
	for (p = strcasestr(r, "password="); p; p = strcasestr(p, "password=")) {
		char *v = p + 9, *end = v + strcspn(v, " \t&;");
		if (end > v && !(end - v == 3 && memcmp(v, "***", 3) == 0)) {
			char *n = sw_xasprintf("%.*s***%s", (int)(v - r), r, end);
			p = n + (v - r) + 3;
			free(r);
			r = n;
		} else {
			p = end;
		}
	}
	return r;
}

void sw_cmdline_display(const char *argv, size_t len, char *out, size_t cap)
{
	struct sw_sbuf b = { 0 };
	size_t i = 0;
	bool first = true;
	/* No NUL at all: a process that rewrote its title in place; shown as one line, unquoted. */
	bool title = len && !memchr(argv, 0, len);

	if (!cap)
		return;
	bool hide_next = false;

	while (i < len) {
		size_t n = strnlen(argv + i, len - i);
		/* "--password VALUE": the value is the next argument. */
		char *plain = hide_next ? sw_xstrdup("***") : redact_argument(argv + i, n);
		char *e = sw_escape_display(plain, strlen(plain), 0, 0, NULL);
		bool quote = !title && (!e[0] || strpbrk(e, " \""));

		if (!first)
			sw_sbuf_add(&b, " ", 1);
		first = false;
		if (quote)
			sw_sbuf_add(&b, "\"", 1);
		for (const char *c = e; *c; c++) {
			if (*c == '"')
				sw_sbuf_add(&b, "\\", 1);
			sw_sbuf_add(&b, c, 1);
		}
		if (quote)
			sw_sbuf_add(&b, "\"", 1);
		free(e);
		free(plain);
		hide_next = !title && n == 10 && memcmp(argv + i, "--password", 10) == 0;
		i += n + 1;
		if (b.len >= cap)
			break;
	}
	if (!b.s) {
		out[0] = 0;
		return;
	}
	if (b.len < cap && i >= len) {
		memcpy(out, b.s, b.len + 1);
	} else {
		/* Cut on a character boundary, leaving room for "…" (3 bytes). */
		size_t keep = cap > 4 ? cap - 4 : 0;
		if (keep > b.len)
			keep = b.len;
		while (keep > 0 && ((unsigned char)b.s[keep] & 0xc0) == 0x80)
			keep--;
		memcpy(out, b.s, keep);
		if (cap >= 4)
			memcpy(out + keep, "\xe2\x80\xa6", 4);
		else
			out[keep] = 0;
	}
	free(b.s);
}

static bool describe_process(int pid, struct sw_client_process *out)
{
	char path[64], buf[8192];
	ssize_t n = 0;
	int fd;

	out->pid = pid;
	if (!sw_proc_exe(pid, out->exe, sizeof(out->exe)))
		out->exe[0] = 0;
	snprintf(path, sizeof(path), "/proc/%d/cmdline", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		n = read(fd, buf, sizeof(buf));
		close(fd);
	}
	/* A process that rewrote its title may leave no NUL: shown up to what was read. */
	sw_cmdline_display(buf, n > 0 ? (size_t)n : 0, out->cmdline, sizeof(out->cmdline));
	return out->exe[0] || out->cmdline[0];
}

/* The depth-0 process of a chain (the direct peer), or NULL. */
static const struct sw_chain_node *direct_peer(const struct sw_client_chain *c)
{
	for (size_t i = 0; i < c->n_nodes; i++)
		if (c->nodes[i].kind == SW_CHAIN_PROCESS && c->nodes[i].depth == 0)
			return &c->nodes[i];
	return NULL;
}

static bool process_of(int server_pid, unsigned long inode, struct sw_client_process *out)
{
	struct sw_client_chain *c = sw_xmalloc(sizeof(*c));
	const struct sw_chain_node *peer;
	bool found;

	memset(out, 0, sizeof(*out));
	if (inode)
		sw_client_chain_socket(server_pid, inode, c);
	else
		sw_client_chain(server_pid, c);
	peer = direct_peer(c);
	found = peer && describe_process(peer->pid, out);
	free(c);
	return found;
}

bool sw_client_process_of(int backend_pid, struct sw_client_process *out)
{
	return process_of(backend_pid, 0, out);
}

bool sw_client_process_of_socket(int server_pid, unsigned long inode, struct sw_client_process *out)
{
	if (!inode) {
		memset(out, 0, sizeof(*out));
		return false;
	}
	return process_of(server_pid, inode, out);
}

bool sw_client_gone(int backend_pid)
{
	struct sw_sock_table t = { 0 };
	bool gone = false;
	int back = enter_netns_of(backend_pid);

	/* TCP only: the kernel keeps a closed Unix peer's inode reachable, so a
	 * departed Unix-socket client is noticed when the hold times out instead. */
	read_tcp(&t);
	leave_netns(back);
	read_holders(&t, backend_pid);
	for (size_t i = 0; i < t.n_holders && !gone; i++) {
		const struct sw_tcp_sock *s = tcp_by_inode(&t, t.holders[i].inode);
		gone = s && s->state == TCP_CLOSE_WAIT;
	}
	table_free(&t);
	return gone;
}

bool sw_client_gone_socket(int server_pid, unsigned long inode)
{
	struct sw_sock_table t = { 0 };
	const struct sw_tcp_sock *s;
	bool gone;
	int back = enter_netns_of(server_pid);

	read_tcp(&t);
	leave_netns(back);
	s = tcp_by_inode(&t, inode);
	gone = s && s->state == TCP_CLOSE_WAIT;
	table_free(&t);
	return gone;
}

/* ---- reading a chain ---- */

const struct sw_chain_node *sw_client_chain_origin(const struct sw_client_chain *c)
{
	for (size_t i = 0; c->established && i < c->n_nodes; i++)
		if (c->nodes[i].kind == SW_CHAIN_PROCESS && c->nodes[i].origin)
			return &c->nodes[i];
	return NULL;
}

static const char *kind_name(enum sw_chain_node_kind k)
{
	switch (k) {
	case SW_CHAIN_PROCESS: return "process";
	case SW_CHAIN_REMOTE: return "remote";
	case SW_CHAIN_UNRESOLVED: return "unresolved";
	}
	return "?";
}

void sw_chain_node_describe(const struct sw_chain_node *n, char *buf, size_t len)
{
	if (n->kind == SW_CHAIN_PROCESS)
		snprintf(buf, len, "%s (pid %d, user %s)", n->exe[0] ? n->exe : "?", n->pid, n->user);
	else if (n->kind == SW_CHAIN_REMOTE)
		snprintf(buf, len, "remote client %s", n->addr);
	else
		snprintf(buf, len, "unknown process (%s)", n->addr);
}

void sw_client_chain_describe(const struct sw_client_chain *c, char *buf, size_t len)
{
	size_t off = 0;
	int max_depth = c->n_nodes ? c->nodes[c->n_nodes - 1].depth : -1;

	buf[0] = 0;
	/* Origin first: deepest hop first, the nodes of one hop joined by ", ". */
	for (int d = max_depth; d >= 0 && off < len; d--) {
		bool first = true;
		for (size_t i = 0; i < c->n_nodes && off < len; i++) {
			char one[192];
			if (c->nodes[i].depth != d)
				continue;
			sw_chain_node_describe(&c->nodes[i], one, sizeof(one));
			off += (size_t)snprintf(buf + off, len - off, "%s%s", first ? "" : ", ", one);
			first = false;
		}
		if (off < len)
			off += (size_t)snprintf(buf + off, len - off, " -> ");
	}
	if (off < len)
		snprintf(buf + off, len - off, "backend pid %d", c->backend_pid);
}

json_t *sw_client_chain_json(const struct sw_client_chain *c)
{
	json_t *nodes = json_array();

	for (size_t i = 0; i < c->n_nodes; i++) {
		const struct sw_chain_node *n = &c->nodes[i];
		json_t *o = json_pack("{s:s, s:i, s:i, s:b}", "kind", kind_name(n->kind), "depth", n->depth,
				      "via", n->via, "origin", n->origin);
		if (n->kind == SW_CHAIN_PROCESS) {
			json_object_set_new(o, "pid", json_integer(n->pid));
			json_object_set_new(o, "uid", json_integer((json_int_t)n->uid));
			json_object_set_new(o, "user", sw_json_text(n->user));
			json_object_set_new(o, "exe", sw_json_text(n->exe));
		} else {
			json_object_set_new(o, "addr", sw_json_text(n->addr));
		}
		json_array_append_new(nodes, o);
	}
	return json_pack("{s:b, s:o, s:i, s:b, s:o}", "established", c->established,
			 "why", c->established ? json_null() : sw_json_text(c->why), "backend_pid", c->backend_pid,
			 "truncated", c->truncated, "nodes", nodes);
}
