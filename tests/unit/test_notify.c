/* Webhooks: HMAC-SHA256 against RFC 4231, redacted URLs, event names, and
 * real deliveries to an HTTP receiver in this process: the signature header
 * checks out; a receiver that refuses is given up on at once, shows in the
 * status and becomes a "webhook_failed" ledger record when drained. */
#include "unit.h"
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "hold_webhooks.h"
#include "ledger.h"
#include "notify.h"

static void test_hmac_vectors(void **s)
{
	(void)s;
	char hex[65];
	unsigned char key1[20];

	/* RFC 4231 test case 2. */
	sw_hmac_sha256_hex("Jefe", 4, "what do ya want for nothing?", 28, hex);
	assert_string_equal(hex, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
	/* RFC 4231 test case 1. */
	memset(key1, 0x0b, sizeof(key1));
	sw_hmac_sha256_hex(key1, sizeof(key1), "Hi There", 8, hex);
	assert_string_equal(hex, "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
}

static void test_redact(void **s)
{
	(void)s;
	char out[160];

	sw_webhook_redact("https://hooks.slack.com/services/T000/B000/XXXXSECRET", out, sizeof(out));
	assert_string_equal(out, "https://hooks.slack.com/…");
	sw_webhook_redact("http://user:pw@10.0.0.5:8080/hook?token=abc", out, sizeof(out));
	assert_string_equal(out, "http://10.0.0.5:8080/…");
	sw_webhook_redact("http://127.0.0.1:9", out, sizeof(out));
	assert_string_equal(out, "http://127.0.0.1:9");
}

static void test_event_names(void **s)
{
	(void)s;
	assert_string_equal(sw_hold_event_name(SW_VERDICT_ALLOW, "alice,bob", "ran"), "approved");
	assert_string_equal(sw_hold_event_name(SW_VERDICT_DENY, "bob", "cancelled"), "denied");
	assert_string_equal(sw_hold_event_name(SW_VERDICT_DENY, "bob", "terminated"), "denied");
	assert_string_equal(sw_hold_event_name(SW_VERDICT_DENY, "sqlward", "timed_out"), "timed_out");
	assert_string_equal(sw_hold_event_name(SW_VERDICT_DENY, "sqlward", "abandoned"), "abandoned");
	assert_string_equal(sw_hold_event_name(SW_VERDICT_DENY, "sqlward", "cancelled"), "refused");
	assert_string_equal(sw_hold_event_name(SW_VERDICT_DENY, NULL, "cancelled"), "refused");
}

/* ---- a one-request-at-a-time HTTP receiver ---- */

struct receiver {
	int fd, port, status;
	pthread_t thread;
	pthread_mutex_t mu;
	int requests;
	char headers[8192];
	char body[8192];
};

static void *serve(void *arg)
{
	struct receiver *r = arg;

	for (;;) {
		char buf[16384], reply[128];
		size_t have = 0, need = 0;
		char *end = NULL;
		int c = accept(r->fd, NULL, NULL);

		if (c < 0)
			return NULL;
		while (have < sizeof(buf) - 1) {
			ssize_t n = read(c, buf + have, sizeof(buf) - 1 - have);
			if (n <= 0)
				break;
			have += (size_t)n;
			buf[have] = 0;
			if (!end && (end = strstr(buf, "\r\n\r\n"))) {
				const char *cl = strcasestr(buf, "Content-Length:");
				need = (size_t)(end + 4 - buf) + (cl ? strtoul(cl + 15, NULL, 10) : 0);
			}
			if (end && have >= need)
				break;
		}
		buf[have] = 0;
		pthread_mutex_lock(&r->mu);
		if (end) {
			snprintf(r->headers, sizeof(r->headers), "%.*s", (int)(end - buf), buf);
			snprintf(r->body, sizeof(r->body), "%s", end + 4);
		}
		r->requests++;
		pthread_mutex_unlock(&r->mu);
		snprintf(reply, sizeof(reply), "HTTP/1.1 %d X\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", r->status);
		if (write(c, reply, strlen(reply)) < 0)
			perror("receiver write");
		close(c);
	}
}

static void receiver_start(struct receiver *r, int status)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(sa);

	memset(r, 0, sizeof(*r));
	r->status = status;
	pthread_mutex_init(&r->mu, NULL);
	r->fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(r->fd >= 0);
	assert_int_equal(bind(r->fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(r->fd, 8), 0);
	getsockname(r->fd, (struct sockaddr *)&sa, &len);
	r->port = ntohs(sa.sin_port);
	pthread_create(&r->thread, NULL, serve, r);
}

static void receiver_stop(struct receiver *r)
{
	shutdown(r->fd, SHUT_RDWR);
	close(r->fd);
	pthread_join(r->thread, NULL);
	pthread_mutex_destroy(&r->mu);
}

/* A status counter of n once it reaches want (polls up to 10 s). */
static json_int_t wait_counter(struct sw_notifier *n, const char *key, json_int_t want)
{
	json_int_t v = 0;
	for (int i = 0; i < 200; i++) {
		json_t *st = sw_notifier_status_json(n);
		v = json_integer_value(json_object_get(st, key));
		json_decref(st);
		if (v >= want)
			break;
		usleep(50000);
	}
	return v;
}

/* The value of header name in the receiver's last request. */
static void header_value(struct receiver *r, const char *name, char *out, size_t len)
{
	char *h = strcasestr(r->headers, name);
	out[0] = 0;
	if (h) {
		h += strlen(name);
		while (*h == ':' || *h == ' ')
			h++;
		snprintf(out, len, "%.*s", (int)strcspn(h, "\r\n"), h);
	}
}

static void test_signed_delivery(void **s)
{
	(void)s;
	struct receiver r;
	struct sw_notifier *n;
	char url[64], sig[128], want[80], hex[65], event[32], hold[32];
	json_t *body = json_pack("{s:s, s:s}", "event", "held", "hold_id", "k7q2m3-1");

	receiver_start(&r, 200);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/hook", r.port);
	n = sw_notifier_start();
	assert_non_null(n);
	sw_notifier_send(n, url, "topsecret", "held", "k7q2m3-1", body);
	assert_int_equal(wait_counter(n, "delivered", 1), 1);
	pthread_mutex_lock(&r.mu);
	header_value(&r, "X-Sqlward-Signature", sig, sizeof(sig));
	header_value(&r, "X-Sqlward-Event", event, sizeof(event));
	header_value(&r, "X-Sqlward-Hold", hold, sizeof(hold));
	/* The receiver's check: HMAC over the exact bytes received. */
	sw_hmac_sha256_hex("topsecret", 9, r.body, strlen(r.body), hex);
	snprintf(want, sizeof(want), "sha256=%s", hex);
	assert_string_equal(sig, want);
	assert_string_equal(event, "held");
	assert_string_equal(hold, "k7q2m3-1");
	assert_non_null(strstr(r.body, "\"hold_id\":\"k7q2m3-1\""));
	pthread_mutex_unlock(&r.mu);

	/* Without a secret: no signature header. Flushing waits for the delivery (a stopping daemon). */
	sw_notifier_send(n, url, NULL, "denied", NULL, body);
	assert_true(sw_notifier_flush(n, 10000));
	assert_int_equal(wait_counter(n, "delivered", 2), 2);
	pthread_mutex_lock(&r.mu);
	header_value(&r, "X-Sqlward-Signature", sig, sizeof(sig));
	assert_string_equal(sig, "");
	pthread_mutex_unlock(&r.mu);
	sw_notifier_stop(n);
	receiver_stop(&r);
	json_decref(body);
}

static void test_refused_delivery_recorded(void **s)
{
	(void)s;
	char dir[] = "/tmp/sqlward-unit-XXXXXX", path[96], url[64], err[256], line[4096];
	struct receiver r;
	struct sw_notifier *n;
	struct sw_ledger *l;
	json_t *body = json_pack("{s:s}", "event", "timed_out"), *st, *last;
	bool found = false;
	FILE *f;

	receiver_start(&r, 403);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/secret-path", r.port);
	n = sw_notifier_start();
	sw_notifier_send(n, url, "k", "timed_out", "k7q2m3-9", body);
	/* A 4xx is the receiver's refusal (a bad signature): given up on at once, not retried for minutes. */
	assert_int_equal(wait_counter(n, "given_up", 1), 1);
	st = sw_notifier_status_json(n);
	assert_int_equal(json_integer_value(json_object_get(st, "delivered")), 0);
	last = json_object_get(st, "last_error");
	assert_string_equal(json_string_value(json_object_get(last, "error")), "HTTP 403");
	assert_string_equal(json_string_value(json_object_get(last, "event")), "timed_out");
	assert_null(strstr(json_string_value(json_object_get(last, "webhook")), "secret-path"));
	json_decref(st);

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/ledger.jsonl", dir);
	assert_int_equal(sw_ledger_open(path, &l, err, sizeof(err)), 0);
	assert_int_equal(sw_notifier_drain(n, l), 1);
	assert_int_equal(sw_notifier_drain(n, l), 0);   /* each failure once */
	sw_ledger_close(l);
	st = sw_notifier_status_json(n);
	assert_int_equal(json_integer_value(json_object_get(st, "recorded")), 1);
	json_decref(st);
	f = fopen(path, "r");
	while (fgets(line, sizeof(line), f))
		found |= strstr(line, "\"type\":\"webhook_failed\"") && strstr(line, "\"hold_id\":\"k7q2m3-9\"") &&
			 strstr(line, "\"error\":\"HTTP 403\"") && !strstr(line, "secret-path");
	fclose(f);
	assert_true(found);
	sw_notifier_stop(n);
	receiver_stop(&r);
	json_decref(body);
	unlink(path);
	{
		char head[128];
		snprintf(head, sizeof(head), "%s.head", path);
		unlink(head);
	}
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hmac_vectors),
		cmocka_unit_test(test_redact),
		cmocka_unit_test(test_event_names),
		cmocka_unit_test(test_signed_delivery),
		cmocka_unit_test(test_refused_delivery_recorded),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
