/* The client chain: /proc/net/tcp parsing, addresses, and the walk through
 * relays on socket tables built here (no processes needed). */
#include "unit.h"
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "client_owner.h"

/* ---- building socket tables ---- */

#define MAX_ROWS 128

struct fake {
	struct sw_tcp_sock tcp[MAX_ROWS];
	struct sw_unix_sock unx[MAX_ROWS];
	struct sw_sock_holder holders[MAX_ROWS];
	struct sw_sock_table t;
};

static void fake_init(struct fake *f)
{
	memset(f, 0, sizeof(*f));
	f->t.tcp = f->tcp;
	f->t.unx = f->unx;
	f->t.holders = f->holders;
	f->t.eph_lo = 32768;
	f->t.eph_hi = 60999;
}

/* "ADDR:PORT" as the kernel prints it: the address's bytes as one host-order word. */
static void endpoint(char *out, const char *ip, unsigned port)
{
	struct in_addr a;
	inet_pton(AF_INET, ip, &a);
	sprintf(out, "%08X:%04X", (unsigned)a.s_addr, port);
}

static void tcp(struct fake *f, const char *lip, unsigned lport, const char *rip, unsigned rport, int state,
		unsigned long ino)
{
	struct sw_tcp_sock *s = &f->tcp[f->t.n_tcp++];
	endpoint(s->local, lip, lport);
	endpoint(s->remote, rip, rport);
	s->state = state;
	s->inode = ino;
}

/* A loopback TCP connection: client socket cino on port cport, server socket sino on sport. */
static void conn(struct fake *f, unsigned cport, unsigned long cino, unsigned sport, unsigned long sino)
{
	tcp(f, "127.0.0.1", cport, "127.0.0.1", sport, 1, cino);
	tcp(f, "127.0.0.1", sport, "127.0.0.1", cport, 1, sino);
}

static void listener(struct fake *f, unsigned port, unsigned long ino)
{
	tcp(f, "127.0.0.1", port, "0.0.0.0", 0, SW_SOCK_LISTEN, ino);
}

static void unx(struct fake *f, unsigned long ino, unsigned long peer, int state, const char *name)
{
	struct sw_unix_sock *u = &f->unx[f->t.n_unix++];
	u->inode = ino;
	u->peer = peer;
	u->state = state;
	u->name_len = (unsigned)strlen(name);
	memcpy(u->name, name, u->name_len);
}

static void hold(struct fake *f, int pid, unsigned long ino)
{
	f->holders[f->t.n_holders].pid = pid;
	f->holders[f->t.n_holders++].inode = ino;
}

/* pids 2xx run as fwd, 3xx as client, 4xx as root; 9xx have exited. */
static bool fake_identify(int pid, struct sw_chain_node *n)
{
	if (pid >= 900)
		return false;
	n->uid = pid >= 400 ? 0 : pid >= 300 ? 3000 : 2000;
	snprintf(n->user, sizeof(n->user), "%s", pid >= 400 ? "root" : pid >= 300 ? "client" : "fwd");
	snprintf(n->exe, sizeof(n->exe), "%s", pid >= 300 ? "psql" : "python3");
	return true;
}

#define BACKEND 100

/* The backend: listening on 5432, its client connection on its socket 1000. */
static void backend(struct fake *f, unsigned cport, unsigned long cino)
{
	f->t.identify = fake_identify;
	listener(f, 5432, 1);
	conn(f, cport, cino, 5432, 1000);
	hold(f, BACKEND, 1000);
}

/* The backend's client is process pid itself (its socket 3000). */
static void direct(struct fake *f, int pid)
{
	fake_init(f);
	backend(f, 40000, 3000);
	hold(f, pid, 3000);
}

/* The backend's client is relay 200 (its upstream socket 2000), listening on
 * lport unless it closed its listener after accepting. */
static void behind_relay(struct fake *f, unsigned lport, bool keeps_listener)
{
	fake_init(f);
	backend(f, 40000, 2000);
	hold(f, 200, 2000);
	if (keeps_listener) {
		listener(f, lport, 2);
		hold(f, 200, 2);
	}
}

/* A client (pid, 0: none holds it) on cport connected to relay 200's lport:
 * client socket cino, the relay's accepted socket accino. */
static void relay_client(struct fake *f, unsigned lport, int pid, unsigned cport, unsigned long cino,
			 unsigned long accino)
{
	conn(f, cport, cino, lport, accino);
	hold(f, 200, accino);
	if (pid)
		hold(f, pid, cino);
}

/* ---- parsing ---- */

static void test_tcp_line(void **s)
{
	(void)s;
	struct sw_tcp_sock t;

	assert_false(sw_tcp_sock_parse("  sl  local_address rem_address   st tx_queue rx_queue tr tm->when "
				       "retrnsmt   uid  timeout inode\n", &t));
	assert_true(sw_tcp_sock_parse("   3: 0100007F:1538 0100007F:D6A2 01 00000000:00000000 00:00000000 "
				      "00000000   106        0 123456 1 0000000000000000 20 4 30 10 -1\n", &t));
	assert_string_equal(t.local, "0100007F:1538");
	assert_string_equal(t.remote, "0100007F:D6A2");
	assert_int_equal(t.state, 1);
	assert_int_equal(t.inode, 123456);
	assert_true(sw_tcp_sock_parse("   0: 00000000000000000000000001000000:1538 "
				      "00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 "
				      "00000000   106        0 777 1 0000000000000000 100 0 0 10 0\n", &t));
	assert_int_equal(t.state, SW_SOCK_LISTEN);
	assert_int_equal(t.inode, 777);
	assert_false(sw_tcp_sock_parse("garbage\n", &t));
}

static void test_endpoint_text(void **s)
{
	(void)s;
	char buf[64], hex[48];

	endpoint(hex, "127.0.0.1", 5432);
	sw_tcp_endpoint_text(hex, buf, sizeof(buf));
	assert_string_equal(buf, "127.0.0.1:5432");
	endpoint(hex, "10.0.0.5", 51234);
	sw_tcp_endpoint_text(hex, buf, sizeof(buf));
	assert_string_equal(buf, "10.0.0.5:51234");
	/* ::1, as the kernel prints it on this host (four host-order words). */
	{
		struct in6_addr a;
		uint32_t w[4];
		inet_pton(AF_INET6, "::1", &a);
		memcpy(w, &a, 16);
		sprintf(hex, "%08X%08X%08X%08X:%04X", w[0], w[1], w[2], w[3], 5432);
		sw_tcp_endpoint_text(hex, buf, sizeof(buf));
		assert_string_equal(buf, "[::1]:5432");
		inet_pton(AF_INET6, "::ffff:192.168.1.20", &a);
		memcpy(w, &a, 16);
		sprintf(hex, "%08X%08X%08X%08X:%04X", w[0], w[1], w[2], w[3], 443);
		sw_tcp_endpoint_text(hex, buf, sizeof(buf));
		assert_string_equal(buf, "192.168.1.20:443");
	}
	sw_tcp_endpoint_text("nonsense", buf, sizeof(buf));
	assert_string_equal(buf, "nonsense");
	sw_tcp_endpoint_text("0100007F:XYZ", buf, sizeof(buf));
	assert_string_equal(buf, "0100007F:XYZ");
}

/* ---- the walk ---- */

static void test_direct_client(void **s)
{
	(void)s;
	struct fake f;
	struct sw_client_chain c;
	const struct sw_chain_node *o;
	char line[256];

	direct(&f, 300);
	/* The client also talks to a remote API and to a local service: connections
	 * it made, not ones it accepted, so not followed. */
	tcp(&f, "127.0.0.1", 40001, "93.184.216.34", 443, 1, 3001);
	hold(&f, 300, 3001);
	listener(&f, 6379, 3);
	conn(&f, 40002, 3002, 6379, 4000);
	hold(&f, 300, 3002);
	hold(&f, 400, 4000);
	sw_client_chain_walk(&f.t, BACKEND, &c);
	assert_int_equal(c.n_nodes, 1);
	assert_true(c.established);
	assert_int_equal(c.n_origins, 1);
	o = sw_client_chain_origin(&c);
	assert_non_null(o);
	assert_int_equal(o->pid, 300);
	assert_string_equal(o->user, "client");
	assert_int_equal(o->depth, 0);
	assert_int_equal(o->via, -1);
	sw_client_chain_describe(&c, line, sizeof(line));
	assert_string_equal(line, "psql (pid 300, user client) -> backend pid 100");
}

static void through_relay(bool keeps_listener)
{
	struct fake f;
	struct sw_client_chain c;
	char line[256];

	behind_relay(&f, 6000, keeps_listener);
	relay_client(&f, 6000, 300, 41000, 3000, 2001);
	/* An earlier session the relay shut down but has not closed yet: no hop. */
	tcp(&f, "127.0.0.1", 6000, "127.0.0.1", 41005, 5 /* FIN_WAIT2 */, 2005);
	hold(&f, 200, 2005);
	sw_client_chain_walk(&f.t, BACKEND, &c);
	assert_int_equal(c.n_nodes, 2);
	assert_int_equal(c.nodes[0].pid, 200);
	assert_false(c.nodes[0].origin);
	assert_int_equal(c.nodes[1].pid, 300);
	assert_true(c.nodes[1].origin);
	assert_int_equal(c.nodes[1].depth, 1);
	assert_int_equal(c.nodes[1].via, 0);
	assert_true(c.established);
	assert_int_equal(sw_client_chain_origin(&c)->pid, 300);
	sw_client_chain_describe(&c, line, sizeof(line));
	assert_string_equal(line, "psql (pid 300, user client) -> python3 (pid 200, user fwd) -> backend pid 100");
}

static void test_through_relay(void **s)
{
	(void)s;
	through_relay(true);
}

/* socat without fork closes its listener once it has accepted: the ports tell. */
static void test_relay_without_listener(void **s)
{
	(void)s;
	through_relay(false);
}

static void test_pooler_with_two_clients(void **s)
{
	(void)s;
	struct fake f;
	struct sw_client_chain c;

	behind_relay(&f, 6432, true);
	relay_client(&f, 6432, 300, 41000, 3000, 2001);
	relay_client(&f, 6432, 301, 41001, 3010, 2002);
	sw_client_chain_walk(&f.t, BACKEND, &c);
	assert_int_equal(c.n_nodes, 3);
	assert_int_equal(c.n_origins, 2);
	assert_false(c.established);
	assert_null(sw_client_chain_origin(&c));
	assert_non_null(strstr(c.why, "2 client processes"));
}

static void test_remote_behind_relay(void **s)
{
	(void)s;
	struct fake f;
	struct sw_client_chain c;

	behind_relay(&f, 6000, true);
	tcp(&f, "127.0.0.1", 6000, "10.0.0.5", 51234, 1, 2001);
	hold(&f, 200, 2001);
	sw_client_chain_walk(&f.t, BACKEND, &c);
	assert_int_equal(c.n_nodes, 2);
	assert_int_equal(c.nodes[1].kind, SW_CHAIN_REMOTE);
	assert_string_equal(c.nodes[1].addr, "10.0.0.5:51234");
	assert_false(c.established);
	assert_int_equal(c.n_origins, 0);
	assert_non_null(strstr(c.why, "10.0.0.5:51234"));
}

static void test_remote_client(void **s)
{
	(void)s;
	struct fake f;
	struct sw_client_chain c;

	fake_init(&f);
	f.t.identify = fake_identify;
	listener(&f, 5432, 1);
	tcp(&f, "127.0.0.1", 5432, "10.0.0.9", 50000, 1, 1000);
	hold(&f, BACKEND, 1000);
	sw_client_chain_walk(&f.t, BACKEND, &c);
	assert_int_equal(c.n_nodes, 1);
	assert_int_equal(c.nodes[0].kind, SW_CHAIN_REMOTE);
	assert_false(c.established);
	assert_non_null(strstr(c.why, "connects from 10.0.0.9:50000"));

	/* No client socket at all (the backend ended). */
	fake_init(&f);
	f.t.identify = fake_identify;
	sw_client_chain_walk(&f.t, BACKEND, &c);
	assert_int_equal(c.n_nodes, 0);
	assert_false(c.established);
	assert_non_null(strstr(c.why, "no client connection"));
}

static void test_unix_socket(void **s)
{
	(void)s;
	struct fake f;
	struct sw_client_chain c;

	fake_init(&f);
	f.t.identify = fake_identify;
	unx(&f, 4999, 0, SW_SOCK_LISTEN, "/tmp/.s.PGSQL.5432");
	unx(&f, 5000, 5001, 1, "/tmp/.s.PGSQL.5432");   /* accepted: the listener's name */
	unx(&f, 5001, 5000, 1, "");
	/* A datagram socket to syslog the backend connected itself: not its client. */
	unx(&f, 5002, 5003, 1, "");
	unx(&f, 5003, 5002, 1, "/dev/log");
	hold(&f, BACKEND, 5000);
	hold(&f, BACKEND, 5002);
	hold(&f, 300, 5001);
	hold(&f, 400, 5003);
	/* psql's socketpair with a child of its own: unnamed both ends, not followed. */
	unx(&f, 5004, 5005, 1, "");
	unx(&f, 5005, 5004, 1, "");
	hold(&f, 300, 5004);
	hold(&f, 301, 5005);
	sw_client_chain_walk(&f.t, BACKEND, &c);
	assert_int_equal(c.n_nodes, 1);
	assert_int_equal(c.nodes[0].pid, 300);
	assert_true(c.established);

	/* A Unix relay (socat UNIX-LISTEN) run by fwd in front of the TCP port. */
	behind_relay(&f, 0, false);
	unx(&f, 6000, 0, SW_SOCK_LISTEN, "/tmp/relay.sock");
	unx(&f, 6001, 6002, 1, "/tmp/relay.sock");
	unx(&f, 6002, 6001, 1, "");
	hold(&f, 200, 6000);
	hold(&f, 200, 6001);
	hold(&f, 300, 6002);
	sw_client_chain_walk(&f.t, BACKEND, &c);
	assert_int_equal(c.n_nodes, 2);
	assert_true(c.established);
	assert_int_equal(sw_client_chain_origin(&c)->pid, 300);
}

static void test_unresolved(void **s)
{
	(void)s;
	struct fake f;
	struct sw_client_chain c;

	/* The relay's accepted connection: its other end has no process. */
	behind_relay(&f, 6000, true);
	relay_client(&f, 6000, 0, 41000, 3000, 2001);
	sw_client_chain_walk(&f.t, BACKEND, &c);
	assert_int_equal(c.n_nodes, 2);
	assert_int_equal(c.nodes[1].kind, SW_CHAIN_UNRESOLVED);
	assert_string_equal(c.nodes[1].addr, "127.0.0.1:41000");
	assert_false(c.established);
	assert_non_null(strstr(c.why, "could not be found"));

	/* The client exited between the socket scan and reading its owner. */
	direct(&f, 901);
	sw_client_chain_walk(&f.t, BACKEND, &c);
	assert_int_equal(c.nodes[0].kind, SW_CHAIN_UNRESOLVED);
	assert_false(c.established);
}

static void test_loop(void **s)
{
	(void)s;
	struct fake f;
	struct sw_client_chain c;

	/* Relay 200 accepted from 201, and 201 accepted from 200: nobody starts it. */
	behind_relay(&f, 6000, true);
	listener(&f, 6001, 3);
	relay_client(&f, 6000, 201, 41000, 2010, 2001);   /* 201 -> 200 */
	conn(&f, 41001, 2011, 6001, 2012);                 /* 200 -> 201 */
	hold(&f, 200, 2011);
	hold(&f, 201, 2012);
	sw_client_chain_walk(&f.t, BACKEND, &c);
	assert_int_equal(c.n_nodes, 2);
	assert_int_equal(c.n_origins, 0);
	assert_false(c.established);
	assert_non_null(strstr(c.why, "loops"));
}

static void test_limits(void **s)
{
	(void)s;
	struct fake f;
	struct sw_client_chain c;

	/* Relays 200..210 in a row: deeper than SW_CHAIN_MAX_DEPTH. */
	behind_relay(&f, 6000, true);
	for (int i = 0; i < 10; i++) {
		conn(&f, 41000 + (unsigned)i, 2100 + (unsigned long)i, 6000, 2200 + (unsigned long)i);
		hold(&f, 200 + i, 2200 + (unsigned long)i);     /* accepted by relay i */
		hold(&f, 201 + i, 2100 + (unsigned long)i);     /* from relay i + 1 */
	}
	sw_client_chain_walk(&f.t, BACKEND, &c);
	assert_true(c.truncated);
	assert_false(c.established);
	assert_int_equal(c.n_nodes, SW_CHAIN_MAX_DEPTH);
	assert_non_null(strstr(c.why, "more hops or connections"));

	/* A pooler with more clients than SW_CHAIN_MAX_FANOUT. */
	behind_relay(&f, 6432, true);
	for (int i = 0; i < SW_CHAIN_MAX_FANOUT + 4; i++)
		relay_client(&f, 6432, 300 + i, 41000 + (unsigned)i, 3000 + (unsigned long)i, 2100 + (unsigned long)i);
	sw_client_chain_walk(&f.t, BACKEND, &c);
	assert_true(c.truncated);
	assert_false(c.established);
	assert_int_equal(c.n_nodes, 1 + SW_CHAIN_MAX_FANOUT);
}

static void test_json(void **s)
{
	(void)s;
	struct fake f;
	struct sw_client_chain c;
	json_t *j, *n;

	behind_relay(&f, 6000, true);
	relay_client(&f, 6000, 300, 41000, 3000, 2001);
	sw_client_chain_walk(&f.t, BACKEND, &c);
	j = sw_client_chain_json(&c);
	assert_true(json_is_true(json_object_get(j, "established")));
	assert_true(json_is_null(json_object_get(j, "why")));
	assert_int_equal(json_integer_value(json_object_get(j, "backend_pid")), BACKEND);
	assert_int_equal(json_array_size(json_object_get(j, "nodes")), 2);
	n = json_array_get(json_object_get(j, "nodes"), 1);
	assert_string_equal(json_string_value(json_object_get(n, "kind")), "process");
	assert_string_equal(json_string_value(json_object_get(n, "user")), "client");
	assert_string_equal(json_string_value(json_object_get(n, "exe")), "psql");
	assert_int_equal(json_integer_value(json_object_get(n, "via")), 0);
	assert_true(json_is_true(json_object_get(n, "origin")));
	json_decref(j);
}

/* ---- the real thing: processes on this host ---- */

static int listen_loopback(unsigned short *port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t sl = sizeof(sa);
	int l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(l >= 0);
	assert_int_equal(bind(l, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(l, 4), 0);
	assert_int_equal(getsockname(l, (struct sockaddr *)&sa, &sl), 0);
	*port = ntohs(sa.sin_port);
	return l;
}

static int connect_loopback(unsigned short port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK),
				  .sin_port = htons(port) };
	int c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (c < 0 || connect(c, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		_exit(3);
	return c;
}

/*
 * This process plays the backend (it accepts on L1); child R relays: it
 * connects to L1 and accepts on L2; child C connects to L2. The chain must be
 * R (a relay) then C (the origin), read from /proc and sock_diag.
 */
static void test_live_relay(void **s)
{
	(void)s;
	unsigned short p1, p2;
	int l1 = listen_loopback(&p1), l2 = listen_loopback(&p2), ready[2], quit[2], a;
	pid_t r, c;
	char byte;
	struct sw_client_chain ch;
	char line[512];

	assert_int_equal(pipe(ready), 0);
	assert_int_equal(pipe(quit), 0);
	r = fork();
	assert_true(r >= 0);
	if (r == 0) {
		int up = connect_loopback(p1), in;
		alarm(30);        /* never outlive a test run that went wrong */
		close(quit[1]);   /* else its own copy keeps the read below from ever seeing EOF */
		close(ready[0]);
		close(l1);
		in = accept(l2, NULL, NULL);
		if (write(ready[1], "r", 1) != 1 || in < 0)
			_exit(4);
		(void)!read(quit[0], &byte, 1);   /* until the parent is done */
		_exit(up >= 0 ? 0 : 5);
	}
	c = fork();
	assert_true(c >= 0);
	if (c == 0) {
		alarm(30);
		close(quit[1]);
		close(ready[0]);
		close(ready[1]);
		close(l1);
		close(l2);
		connect_loopback(p2);
		(void)!read(quit[0], &byte, 1);
		_exit(0);
	}
	close(l2);
	close(ready[1]);
	close(quit[0]);
	a = accept(l1, NULL, NULL);
	assert_true(a >= 0);
	assert_int_equal(read(ready[0], &byte, 1), 1);

	sw_client_chain(getpid(), &ch);
	sw_client_chain_describe(&ch, line, sizeof(line));
	print_message("live chain: %s%s%s\n", line, ch.established ? "" : "; not established: ", ch.why);
	assert_int_equal(ch.n_nodes, 2);
	assert_int_equal(ch.nodes[0].pid, r);
	assert_false(ch.nodes[0].origin);
	assert_int_equal(ch.nodes[1].pid, c);
	assert_true(ch.nodes[1].origin);
	assert_int_equal(ch.nodes[1].uid, getuid());
	assert_string_equal(ch.nodes[1].exe, "test_client_owner");
	assert_true(ch.established);

	close(quit[1]);
	close(ready[0]);
	waitpid(r, NULL, 0);
	waitpid(c, NULL, 0);
	close(a);
	close(l1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tcp_line),
		cmocka_unit_test(test_endpoint_text),
		cmocka_unit_test(test_direct_client),
		cmocka_unit_test(test_through_relay),
		cmocka_unit_test(test_relay_without_listener),
		cmocka_unit_test(test_pooler_with_two_clients),
		cmocka_unit_test(test_remote_behind_relay),
		cmocka_unit_test(test_remote_client),
		cmocka_unit_test(test_unix_socket),
		cmocka_unit_test(test_unresolved),
		cmocka_unit_test(test_loop),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_live_relay),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
