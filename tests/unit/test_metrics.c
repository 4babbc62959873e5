/*
 * Prometheus metrics (metrics.c, metrics_process.c, metrics_http.c): the
 * statement counter's labels, label escaping, the hold histogram's buckets
 * (cumulative, upper bound inclusive, +Inf equal to _count), how a hold's
 * end maps to a decision, HELP/TYPE for every family, the process gauges,
 * and the HTTP listener: GET /metrics answered, other paths and methods
 * refused, an oversized request cut off, bad addresses refused with a fix.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "unit.h"
#include "metrics.h"
#include "metrics_http.h"

static char *render(const struct sw_metrics *m, const struct sw_metrics_gauges *g)
{
	struct sw_sbuf b = { 0 };
	sw_metrics_render(m, g, &b);
	assert_non_null(b.s);
	return b.s;
}

static void test_statements_counter(void **state)
{
	struct sw_metrics m = { 0 };
	struct sw_metrics_gauges g = { 0 };
	struct sw_judgement allow = { .verdict = SW_VERDICT_ALLOW }, deny = { .verdict = SW_VERDICT_DENY };
	char *t;

	(void)state;
	sw_metrics_count_statement(&m, SW_ENGINE_POSTGRES, &allow, SW_CLASS_READ, true);
	sw_metrics_count_statement(&m, SW_ENGINE_POSTGRES, &allow, SW_CLASS_READ, true);
	sw_metrics_count_statement(&m, SW_ENGINE_MYSQL, &deny, SW_CLASS_DDL, true);
	sw_metrics_count_statement(&m, SW_ENGINE_POSTGRES, &allow, SW_CLASS_WRITE, false);
	sw_metrics_count_statement(&m, SW_ENGINE_POSTGRES, NULL, (enum sw_class)999, false);
	t = render(&m, &g);
	assert_non_null(strstr(t, "# HELP sqlward_statements_total "));
	assert_non_null(strstr(t, "# TYPE sqlward_statements_total counter\n"));
	assert_non_null(strstr(t, "\nsqlward_statements_total{engine=\"postgresql\",verdict=\"allow\",class=\"read\",governed=\"true\"} 2\n"));
	assert_non_null(strstr(t, "\nsqlward_statements_total{engine=\"mariadb\",verdict=\"deny\",class=\"ddl\",governed=\"true\"} 1\n"));
	assert_non_null(strstr(t, "\nsqlward_statements_total{engine=\"postgresql\",verdict=\"allow\",class=\"write\",governed=\"false\"} 1\n"));
	/* No verdict and an out-of-range class: counted, as none/unknown. */
	assert_non_null(strstr(t, "\nsqlward_statements_total{engine=\"postgresql\",verdict=\"none\",class=\"unknown\",governed=\"false\"} 1\n"));
	/* Series that never happened are left out. */
	assert_null(strstr(t, "verdict=\"hold\""));
	free(t);
}

static void test_label_escaping(void **state)
{
	struct sw_sbuf b = { 0 };

	(void)state;
	sw_metrics_escape_label(&b, "a\\b\"c\nd");
	assert_string_equal(b.s, "a\\\\b\\\"c\\nd");
	free(b.s);
	b = (struct sw_sbuf){ 0 };
	sw_metrics_escape_label(&b, "plain");
	assert_string_equal(b.s, "plain");
	free(b.s);
}

/* The value of the sample line that starts with prefix (-1: none). */
static double sample(const char *text, const char *prefix)
{
	const char *p = text;
	size_t n = strlen(prefix);

	while (p && *p) {
		if (strncmp(p, prefix, n) == 0 && p[n] == ' ')
			return strtod(p + n + 1, NULL);
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return -1;
}

static void test_hold_histogram(void **state)
{
	struct sw_metrics m = { 0 };
	struct sw_metrics_gauges g = { .holds_pending = 3 };
	char *t;

	(void)state;
	sw_metrics_count_hold(&m, 0.2, SW_HOLD_DECISION_APPROVED);
	sw_metrics_count_hold(&m, 1.0, SW_HOLD_DECISION_APPROVED);      /* le is inclusive */
	sw_metrics_count_hold(&m, 1.5, SW_HOLD_DECISION_DENIED);
	sw_metrics_count_hold(&m, 900, SW_HOLD_DECISION_EXPIRED);
	sw_metrics_count_hold(&m, 7200, SW_HOLD_DECISION_EXPIRED);      /* above the top bucket */
	sw_metrics_count_hold(&m, -1, SW_HOLD_DECISION_CANCELLED);      /* clock oddity: counted as 0 */
	t = render(&m, &g);
	assert_non_null(strstr(t, "# TYPE sqlward_hold_duration_seconds histogram\n"));
	assert_true(sample(t, "sqlward_hold_duration_seconds_bucket{le=\"1\"}") == 3);
	assert_true(sample(t, "sqlward_hold_duration_seconds_bucket{le=\"5\"}") == 4);
	assert_true(sample(t, "sqlward_hold_duration_seconds_bucket{le=\"600\"}") == 4);
	assert_true(sample(t, "sqlward_hold_duration_seconds_bucket{le=\"1800\"}") == 5);
	assert_true(sample(t, "sqlward_hold_duration_seconds_bucket{le=\"3600\"}") == 5);
	assert_true(sample(t, "sqlward_hold_duration_seconds_bucket{le=\"+Inf\"}") == 6);
	assert_true(sample(t, "sqlward_hold_duration_seconds_count") == 6);
	assert_true(sample(t, "sqlward_hold_duration_seconds_sum") > 8102.6 &&
		    sample(t, "sqlward_hold_duration_seconds_sum") < 8102.8);
	assert_true(sample(t, "sqlward_holds_pending") == 3);
	assert_true(sample(t, "sqlward_hold_decisions_total{decision=\"approved\"}") == 2);
	assert_true(sample(t, "sqlward_hold_decisions_total{decision=\"expired\"}") == 2);
	assert_true(sample(t, "sqlward_hold_decisions_total{decision=\"abandoned\"}") == 0);
	/* Buckets are in increasing order and never decrease. */
	{
		double prev = -1;
		const char *p = t;
		while ((p = strstr(p, "sqlward_hold_duration_seconds_bucket{"))) {
			double v = strtod(strchr(p, ' ') + 1, NULL);
			assert_true(v >= prev);
			prev = v;
			p++;
		}
	}
	free(t);
}

static void test_hold_decision_of(void **state)
{
	(void)state;
	assert_int_equal(sw_metrics_hold_decision_of(SW_VERDICT_ALLOW, "alice", "released"), SW_HOLD_DECISION_APPROVED);
	assert_int_equal(sw_metrics_hold_decision_of(SW_VERDICT_DENY, "alice", "cancelled"), SW_HOLD_DECISION_DENIED);
	assert_int_equal(sw_metrics_hold_decision_of(SW_VERDICT_DENY, "sqlward", "timed_out"), SW_HOLD_DECISION_EXPIRED);
	assert_int_equal(sw_metrics_hold_decision_of(SW_VERDICT_DENY, "sqlward", "abandoned"), SW_HOLD_DECISION_ABANDONED);
	assert_int_equal(sw_metrics_hold_decision_of(SW_VERDICT_DENY, "server", "terminated"),
			 SW_HOLD_DECISION_SERVER_ENDED);
	assert_int_equal(sw_metrics_hold_decision_of(SW_VERDICT_DENY, "sqlward", "cancelled"), SW_HOLD_DECISION_CANCELLED);
}

/* Every sample line names a family announced with HELP and TYPE before it. */
/* Every sample has its family's HELP and TYPE, and follows them: a family's samples are together
 * under the last TYPE line before them (the exposition format's rule). */
static void assert_families_announced(const char *t)
{
	char *copy = strdup(t), *save = NULL;
	char current[128] = "";

	for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char name[128], want[160];
		size_t n = strcspn(line, "{ ");
		if (strncmp(line, "# TYPE ", 7) == 0) {
			size_t k = strcspn(line + 7, " ");
			assert_true(k < sizeof(current));
			memcpy(current, line + 7, k);
			current[k] = 0;
			continue;
		}
		if (line[0] == '#')
			continue;
		assert_true(n > 0 && n < sizeof(name));
		memcpy(name, line, n);
		name[n] = 0;
		/* histogram series belong to their family */
		for (const char *suf = "_bucket\0_sum\0_count\0"; *suf; suf += strlen(suf) + 1) {
			size_t sl = strlen(suf);
			if (n > sl && strcmp(name + n - sl, suf) == 0 && strstr(t, "sqlward_hold_duration_seconds") &&
			    strncmp(name, "sqlward_hold_duration_seconds", 29) == 0)
				name[n - sl] = 0;
		}
		snprintf(want, sizeof(want), "# TYPE %s ", name);
		assert_non_null(strstr(t, want));
		snprintf(want, sizeof(want), "# HELP %s ", name);
		assert_non_null(strstr(t, want));
		if (strcmp(name, current) != 0)
			fail_msg("sample %s is not under its family's header (last TYPE: %s)", line, current);
	}
	free(copy);
}

static void test_gauges_and_process(void **state)
{
	struct sw_metrics m = { .last_checkpoint_unix = 1767225600, .last_checkpoint_seq = 42, .scrapes = 7 };
	struct sw_metrics_gauges g = {
		.have_pg_kernel = true, .pg_cache_hits_exact = 11, .pg_cache_hits_shape = 12, .pg_cache_misses = 13,
		.pg_ringbuf_drops = 14, .have_mariadb = true, .my_ringbuf_drops = 15, .my_cache_hits = 19,
		.my_cache_misses = 20, .ledger_records_lost_total = 16,
		.ledger_seq = 17, .ledger_writable = true, .have_ledger_bytes = true, .ledger_bytes = 18,
	};
	char *t;

	(void)state;
	assert_true(sw_metrics_read_process(&g));
	assert_true(g.process_resident_bytes > 0);
	assert_true(g.process_open_fds >= 3);
	assert_true(g.process_start_time_seconds > 1.6e9);
	t = render(&m, &g);
	assert_true(sample(t, "sqlward_kernel_verdict_cache_hits_total{engine=\"postgresql\",cache=\"exact\"}") == 11);
	assert_true(sample(t, "sqlward_kernel_verdict_cache_hits_total{engine=\"postgresql\",cache=\"shape\"}") == 12);
	assert_true(sample(t, "sqlward_kernel_verdict_cache_misses_total{engine=\"postgresql\"}") == 13);
	assert_true(sample(t, "sqlward_kernel_verdict_cache_hits_total{engine=\"mariadb\",cache=\"exact\"}") == 19);
	assert_true(sample(t, "sqlward_kernel_verdict_cache_misses_total{engine=\"mariadb\"}") == 20);
	assert_true(sample(t, "sqlward_ringbuf_drops_total{engine=\"postgresql\"}") == 14);
	assert_true(sample(t, "sqlward_ringbuf_drops_total{engine=\"mariadb\"}") == 15);
	assert_true(sample(t, "sqlward_ledger_records_lost_total") == 16);
	assert_true(sample(t, "sqlward_ledger_seq") == 17);
	assert_true(sample(t, "sqlward_ledger_writable") == 1);
	assert_true(sample(t, "sqlward_ledger_bytes") == 18);
	assert_true(sample(t, "sqlward_ledger_last_checkpoint_timestamp_seconds") == 1767225600);
	assert_true(sample(t, "sqlward_ledger_last_checkpoint_seq") == 42);
	assert_true(sample(t, "sqlward_metrics_scrapes_total") == 7);
	assert_true(sample(t, "process_resident_memory_bytes") > 0);
	assert_true(sample(t, "process_cpu_seconds_total") >= 0);
	assert_non_null(strstr(t, "# TYPE process_cpu_seconds_total counter\n"));
	assert_families_announced(t);
	free(t);

	/* MariaDB alone: its cache counters, and no PostgreSQL series. */
	g = (struct sw_metrics_gauges){ .have_mariadb = true, .my_cache_hits = 5, .my_cache_misses = 6 };
	t = render(&m, &g);
	assert_true(sample(t, "sqlward_kernel_verdict_cache_hits_total{engine=\"mariadb\",cache=\"exact\"}") == 5);
	assert_true(sample(t, "sqlward_kernel_verdict_cache_misses_total{engine=\"mariadb\"}") == 6);
	assert_null(strstr(t, "engine=\"postgresql\""));
	assert_families_announced(t);
	free(t);

	/* Without the kernel's counters or a stat-able ledger, those families are left out. */
	g = (struct sw_metrics_gauges){ 0 };
	t = render(&m, &g);
	assert_null(strstr(t, "sqlward_kernel_verdict_cache"));
	assert_null(strstr(t, "sqlward_ringbuf_drops_total"));
	assert_null(strstr(t, "sqlward_ledger_bytes"));
	assert_null(strstr(t, "process_cpu_seconds_total"));
	assert_families_announced(t);
	free(t);
}

static void test_checkpoint_hook(void **state)
{
	(void)state;
	sw_metrics_checkpoint(99, 1767225601);
	assert_int_equal(sw_daemon_metrics.last_checkpoint_seq, 99);
	assert_int_equal(sw_daemon_metrics.last_checkpoint_unix, 1767225601);
}

/* ---- the HTTP listener ---------------------------------------------------- */

static void render_fixed(void *ctx, struct sw_sbuf *out)
{
	(*(int *)ctx)++;
	sw_sbuf_str(out, "sqlward_test 1\n");
}

/* Send req to the listener, drive it until the reply is complete (closed), return the reply. */
static char *exchange(struct sw_metrics_http *h, const char *req, size_t len)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)sw_metrics_http_port(h)) };
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	char *buf = calloc(1, 65536);
	size_t got = 0;

	inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
	assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	for (size_t off = 0; off < len;) {
		ssize_t n = send(fd, req + off, len - off, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0 && errno == EAGAIN) {
			sw_metrics_http_ready(h);
			continue;
		}
		if (n < 0)
			break;   /* the listener gave up on us (oversized): read what it said */
		off += (size_t)n;
	}
	for (int i = 0; i < 500; i++) {
		struct pollfd p = { .fd = sw_metrics_http_fd(h), .events = POLLIN };
		ssize_t n;
		if (poll(&p, 1, 10) > 0)
			sw_metrics_http_ready(h);
		n = recv(fd, buf + got, 65535 - got, MSG_DONTWAIT);
		if (n == 0)
			break;
		if (n > 0)
			got += (size_t)n;
	}
	close(fd);
	return buf;
}

static char *ask(struct sw_metrics_http *h, const char *req)
{
	return exchange(h, req, strlen(req));
}

static void test_http(void **state)
{
	char err[512];
	int renders = 0;
	struct sw_metrics_http *h = sw_metrics_http_open("127.0.0.1:0", render_fixed, &renders, err, sizeof(err));
	char *r, big[8192];

	(void)state;
	assert_non_null(h);
	assert_true(sw_metrics_http_port(h) > 0);

	r = ask(h, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
	assert_true(strncmp(r, "HTTP/1.1 200 OK\r\n", 17) == 0);
	assert_non_null(strstr(r, "Content-Type: text/plain; version=0.0.4; charset=utf-8\r\n"));
	assert_non_null(strstr(r, "Content-Length: 15\r\n"));
	assert_non_null(strstr(r, "\r\n\r\nsqlward_test 1\n"));
	assert_int_equal(renders, 1);
	free(r);

	r = ask(h, "GET /metrics?x=1 HTTP/1.0\n\n");
	assert_true(strncmp(r, "HTTP/1.1 200 OK\r\n", 17) == 0);
	free(r);

	r = ask(h, "HEAD /metrics HTTP/1.1\r\n\r\n");
	assert_true(strncmp(r, "HTTP/1.1 200 OK\r\n", 17) == 0);
	assert_null(strstr(r, "sqlward_test"));
	free(r);

	r = ask(h, "GET / HTTP/1.1\r\n\r\n");
	assert_true(strncmp(r, "HTTP/1.1 404 ", 13) == 0);
	free(r);
	r = ask(h, "GET /metricsx HTTP/1.1\r\n\r\n");
	assert_true(strncmp(r, "HTTP/1.1 404 ", 13) == 0);
	free(r);

	r = ask(h, "POST /metrics HTTP/1.1\r\nContent-Length: 0\r\n\r\n");
	assert_true(strncmp(r, "HTTP/1.1 405 ", 13) == 0);
	free(r);

	r = ask(h, "garbage\r\n\r\n");
	assert_true(strncmp(r, "HTTP/1.1 400 ", 13) == 0);
	free(r);

	/* A request head that never ends within 4 KiB is refused, not waited for. */
	memcpy(big, "GET /metrics HTTP/1.1\r\nX: ", 26);
	memset(big + 26, 'a', sizeof(big) - 26);
	r = exchange(h, big, sizeof(big));
	assert_true(strncmp(r, "HTTP/1.1 431 ", 13) == 0);
	free(r);
	assert_int_equal(renders, 3);

	/* A client that connects and says nothing is closed at its deadline. */
	{
		struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)sw_metrics_http_port(h)) };
		int fd = socket(AF_INET, SOCK_STREAM, 0);
		char c;
		inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
		assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
		for (int i = 0; i < 20; i++) {
			struct pollfd p = { .fd = sw_metrics_http_fd(h), .events = POLLIN };
			if (poll(&p, 1, 10) > 0)
				sw_metrics_http_ready(h);
		}
		sw_metrics_http_expire(h, UINT64_MAX);
		assert_int_equal(recv(fd, &c, 1, 0), 0);   /* closed */
		close(fd);
	}
	sw_metrics_http_close(h);
}

static void test_http_bad_addresses(void **state)
{
	char err[512];
	struct sw_metrics_http *h;

	(void)state;
	assert_null(sw_metrics_http_open("127.0.0.1", render_fixed, NULL, err, sizeof(err)));
	assert_non_null(strstr(err, "no valid port"));
	assert_null(sw_metrics_http_open("127.0.0.1:99999", render_fixed, NULL, err, sizeof(err)));
	assert_null(sw_metrics_http_open("example.com:9477", render_fixed, NULL, err, sizeof(err)));
	assert_non_null(strstr(err, "not a numeric IPv4 or IPv6 address"));
	assert_null(sw_metrics_http_open("192.0.2.1:9477", render_fixed, NULL, err, sizeof(err)));
	assert_non_null(strstr(err, "cannot bind"));
	/* A bare port is loopback; "localhost" too; [::1] if the host has IPv6. */
	h = sw_metrics_http_open("0", render_fixed, NULL, err, sizeof(err));
	assert_non_null(h);
	{
		/* The port taken: refused with what to do. */
		char addr[32];
		struct sw_metrics_http *h2;
		snprintf(addr, sizeof(addr), "localhost:%d", sw_metrics_http_port(h));
		h2 = sw_metrics_http_open(addr, render_fixed, NULL, err, sizeof(err));
		assert_null(h2);
		assert_non_null(strstr(err, "pick another port"));
	}
	sw_metrics_http_close(h);
	h = sw_metrics_http_open("[::1]:0", render_fixed, NULL, err, sizeof(err));
	sw_metrics_http_close(h);   /* may be NULL on a host without IPv6 */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_statements_counter),
		cmocka_unit_test(test_label_escaping),
		cmocka_unit_test(test_hold_histogram),
		cmocka_unit_test(test_hold_decision_of),
		cmocka_unit_test(test_gauges_and_process),
		cmocka_unit_test(test_checkpoint_hook),
		cmocka_unit_test(test_http),
		cmocka_unit_test(test_http_bad_addresses),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
