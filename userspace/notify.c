/* Webhook delivery thread (see notify.h). */
#include <curl/curl.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "ledger.h"
#include "notify.h"
#include "util.h"

#define MAX_ATTEMPTS 8
#define MAX_QUEUE 1024
#define MAX_RESULTS 256       /* failures waiting for sw_notifier_drain */
#define BACKOFF_MAX_MS 60000

struct job {
	char *url;
	char *secret;         /* NULL: unsigned */
	char *event;
	char *hold_id;
	char *body;
	unsigned attempts;
	uint64_t next_ms;     /* monotonic ms of the next try */
	struct job *next;
};

/* A notification given up on, or the latest failed attempt. */
struct failure {
	struct timespec when;
	char webhook[160];    /* redacted */
	char event[32];
	char hold_id[32];
	unsigned attempts;
	char error[256];
};

struct sw_notifier {
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct job *head;
	size_t queued;
	bool busy;            /* a job is being delivered (not in the queue) */
	bool stop;
	/* Results, under mu. */
	struct failure results[MAX_RESULTS];
	size_t n_results;
	uint64_t delivered, failed_attempts, given_up, dropped, recorded, unrecorded;
	bool have_last;
	struct failure last;
};

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

void sw_hmac_sha256_hex(const void *key, size_t keylen, const void *data, size_t len, char out[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	if (!HMAC(EVP_sha256(), key, (int)keylen, data, len, md, &mdlen) || mdlen != 32) {
		fputs("sqlward: HMAC-SHA256 unavailable in libcrypto\n", stderr);
		abort();
	}
	for (unsigned i = 0; i < mdlen; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

void sw_webhook_redact(const char *url, char *out, size_t len)
{
	const char *host = strstr(url, "://"), *end;

	if (!host) {
		snprintf(out, len, "(not a URL)");
		return;
	}
	host += 3;
	end = host + strcspn(host, "/?#");
	/* user:password@ before the host is dropped too. */
	for (const char *at = host; at < end; at++)
		if (*at == '@')
			host = at + 1;
	snprintf(out, len, "%.*s://%.*s%s", (int)(strstr(url, "://") - url), url, (int)(end - host), host,
		 *end ? "/…" : "");
}

static size_t discard(void *p, size_t sz, size_t n, void *u)
{
	(void)p;
	(void)u;
	return sz * n;
}

static struct curl_slist *header(struct curl_slist *h, const char *name, const char *value)
{
	char *line;

	if (!value)
		return h;
	line = sw_xasprintf("%s: %s", name, value);
	h = curl_slist_append(h, line);
	free(line);
	return h;
}

/* One POST: 0 on a 2xx answer, 1 on a failure worth retrying, 2 on one that is not (msg in why). */
static int deliver(const struct job *j, char *why, size_t len)
{
	CURL *c = curl_easy_init();
	struct curl_slist *h = NULL;
	long code = 0;
	CURLcode rc;

	if (!c) {
		snprintf(why, len, "libcurl could not start");
		return 1;
	}
	h = curl_slist_append(h, "Content-Type: application/json");
	h = curl_slist_append(h, "Expect:");   /* no 100-continue round trip */
	h = header(h, "User-Agent", "sqlward");
	h = header(h, "X-Sqlward-Event", j->event);
	h = header(h, "X-Sqlward-Hold", j->hold_id);
	if (j->secret) {
		char hex[65], sig[72];
		sw_hmac_sha256_hex(j->secret, strlen(j->secret), j->body, strlen(j->body), hex);
		snprintf(sig, sizeof(sig), "sha256=%s", hex);
		h = header(h, "X-Sqlward-Signature", sig);
	}
	curl_easy_setopt(c, CURLOPT_URL, j->url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, j->body);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 5000L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, 2000L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
	rc = curl_easy_perform(c);
	if (rc == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	if (rc != CURLE_OK) {
		snprintf(why, len, "%s", curl_easy_strerror(rc));
		return 1;
	}
	if (code >= 200 && code <= 299)
		return 0;
	snprintf(why, len, "HTTP %ld", code);
	/* The receiver refused it (a bad signature, an unknown hook): sending it again will not help. */
	return code >= 400 && code <= 499 && code != 408 && code != 429 ? 2 : 1;
}

static void free_job(struct job *j)
{
	free(j->url);
	if (j->secret) {
		explicit_bzero(j->secret, strlen(j->secret));
		free(j->secret);
	}
	free(j->event);
	free(j->hold_id);
	free(j->body);
	free(j);
}

static void describe_failure(const struct job *j, const char *why, struct failure *f)
{
	clock_gettime(CLOCK_REALTIME, &f->when);
	sw_webhook_redact(j->url, f->webhook, sizeof(f->webhook));
	snprintf(f->event, sizeof(f->event), "%s", j->event ? j->event : "");
	snprintf(f->hold_id, sizeof(f->hold_id), "%s", j->hold_id ? j->hold_id : "");
	f->attempts = j->attempts;
	snprintf(f->error, sizeof(f->error), "%s", why);
}

/* After one try of j (under mu): count it; true when j is finished with. */
static bool account(struct sw_notifier *n, struct job *j, int result, const char *why)
{
	struct failure f;

	if (result == 0) {
		n->delivered++;
		return true;
	}
	n->failed_attempts++;
	describe_failure(j, why, &f);
	n->last = f;
	n->have_last = true;
	if (result == 1 && j->attempts < MAX_ATTEMPTS) {
		uint64_t backoff = 1000ull << (j->attempts - 1);
		if (backoff > BACKOFF_MAX_MS)
			backoff = BACKOFF_MAX_MS;
		j->next_ms = now_ms() + backoff;
		fprintf(stderr, "sqlward: webhook %s failed (%s); retry %u in %llu ms\n", f.webhook, why, j->attempts,
			(unsigned long long)backoff);
		return false;
	}
	n->given_up++;
	if (n->n_results < MAX_RESULTS)
		n->results[n->n_results++] = f;
	else
		n->unrecorded++;
	fprintf(stderr, "sqlward: webhook %s: giving up on the %s notification after %u attempt%s (%s); the hold "
		"itself is unaffected\n", f.webhook, f.event, j->attempts, j->attempts == 1 ? "" : "s", why);
	return true;
}

static void *worker(void *arg)
{
	struct sw_notifier *n = arg;

	pthread_mutex_lock(&n->mu);
	while (!n->stop) {
		struct job *j = NULL, **pp;
		uint64_t t = now_ms(), soonest = UINT64_MAX;
		char why[256];
		int result;

		for (pp = &n->head; *pp; pp = &(*pp)->next) {
			if ((*pp)->next_ms <= t) {
				j = *pp;
				*pp = j->next;
				n->queued--;
				break;
			}
			if ((*pp)->next_ms < soonest)
				soonest = (*pp)->next_ms;
		}
		if (!j) {
			struct timespec until;
			uint64_t wait = soonest == UINT64_MAX ? 1000 : soonest - t;
			clock_gettime(CLOCK_REALTIME, &until);
			until.tv_sec += (time_t)(wait / 1000);
			until.tv_nsec += (long)(wait % 1000) * 1000000;
			if (until.tv_nsec >= 1000000000) {
				until.tv_sec++;
				until.tv_nsec -= 1000000000;
			}
			pthread_cond_timedwait(&n->cv, &n->mu, &until);
			continue;
		}
		n->busy = true;
		pthread_mutex_unlock(&n->mu);
		result = deliver(j, why, sizeof(why));
		j->attempts++;
		pthread_mutex_lock(&n->mu);
		n->busy = false;
		pthread_cond_broadcast(&n->cv);   /* sw_notifier_flush may be waiting */
		if (account(n, j, result, why)) {
			free_job(j);
		} else {
			j->next = n->head;
			n->head = j;
			n->queued++;
		}
	}
	pthread_mutex_unlock(&n->mu);
	return NULL;
}

struct sw_notifier *sw_notifier_start(void)
{
	struct sw_notifier *n = sw_xcalloc(1, sizeof(*n));

	curl_global_init(CURL_GLOBAL_DEFAULT);
	pthread_mutex_init(&n->mu, NULL);
	pthread_cond_init(&n->cv, NULL);
	if (pthread_create(&n->thread, NULL, worker, n) != 0) {
		fprintf(stderr, "sqlward: cannot start the webhook thread; webhooks are disabled\n");
		pthread_mutex_destroy(&n->mu);
		pthread_cond_destroy(&n->cv);
		free(n);
		return NULL;
	}
	return n;
}

static char *dup_or_null(const char *s)
{
	return s ? sw_xstrdup(s) : NULL;
}

void sw_notifier_send(struct sw_notifier *n, const char *url, const char *secret, const char *event,
		      const char *hold_id, json_t *body)
{
	struct job *j;

	if (!n)
		return;
	j = sw_xcalloc(1, sizeof(*j));
	j->url = sw_xstrdup(url);
	j->secret = dup_or_null(secret);
	j->event = dup_or_null(event);
	j->hold_id = dup_or_null(hold_id);
	j->body = json_dumps(body, JSON_COMPACT);
	if (!j->body) {
		free_job(j);
		return;
	}
	pthread_mutex_lock(&n->mu);
	if (n->queued >= MAX_QUEUE) {
		char shown[160];
		n->dropped++;
		pthread_mutex_unlock(&n->mu);
		sw_webhook_redact(url, shown, sizeof(shown));
		fprintf(stderr, "sqlward: webhook queue full (%d); dropping a notification for %s\n", MAX_QUEUE, shown);
		free_job(j);
		return;
	}
	j->next_ms = 0;
	j->next = n->head;
	n->head = j;
	n->queued++;
	pthread_cond_broadcast(&n->cv);
	pthread_mutex_unlock(&n->mu);
}

void sw_notifier_post(struct sw_notifier *n, const char *url, json_t *body)
{
	sw_notifier_send(n, url, NULL, json_string_value(json_object_get(body, "event")), NULL, body);
}

static struct sw_webhook_failure failure_fields(const struct failure *f)
{
	return (struct sw_webhook_failure){ .when = &f->when, .webhook = f->webhook, .event = f->event,
					    .hold_id = f->hold_id, .attempts = (int)f->attempts, .error = f->error };
}

json_t *sw_notifier_status_json(struct sw_notifier *n)
{
	json_t *o;

	if (!n)
		return json_pack("{s:b}", "running", 0);
	pthread_mutex_lock(&n->mu);
	o = json_pack("{s:b, s:I, s:I, s:I, s:I, s:I, s:I}", "running", 1, "queued", (json_int_t)n->queued,
		      "delivered", (json_int_t)n->delivered, "failed_attempts", (json_int_t)n->failed_attempts,
		      "given_up", (json_int_t)n->given_up, "dropped", (json_int_t)n->dropped, "recorded",
		      (json_int_t)n->recorded);
	if (n->have_last) {
		struct sw_webhook_failure f = failure_fields(&n->last);
		json_object_set_new(o, "last_error", sw_webhook_failure_json(&f));
	} else {
		json_object_set_new(o, "last_error", json_null());
	}
	pthread_mutex_unlock(&n->mu);
	return o;
}

size_t sw_notifier_drain(struct sw_notifier *n, struct sw_ledger *ledger)
{
	struct failure got[MAX_RESULTS];
	size_t k, unrecorded;
	char err[512];

	if (!n)
		return 0;
	pthread_mutex_lock(&n->mu);
	k = n->n_results;
	memcpy(got, n->results, k * sizeof(*got));
	n->n_results = 0;
	unrecorded = (size_t)n->unrecorded;
	n->unrecorded = 0;
	n->recorded += k;
	pthread_mutex_unlock(&n->mu);
	for (size_t i = 0; i < k || (i == 0 && unrecorded); i++) {
		struct sw_webhook_failure f = i < k ? failure_fields(&got[i]) : (struct sw_webhook_failure){ 0 };
		/* More failed than could wait for this drain: say how many are not recorded one by one. */
		json_t *rec = sw_webhook_failed_record(i < k ? &f : NULL, i + 1 >= k ? unrecorded : 0);
		if (sw_ledger_append(ledger, rec, err, sizeof(err)) < 0) {
			fprintf(stderr, "sqlward: LEDGER WRITE FAILED: %s\n", err);
			sw_ledger_note_lost(ledger, "webhook_failed", NULL);
		}
		json_decref(rec);
	}
	return k;
}

bool sw_notifier_flush(struct sw_notifier *n, unsigned timeout_ms)
{
	uint64_t deadline = now_ms() + timeout_ms;
	bool done;

	if (!n)
		return true;
	pthread_mutex_lock(&n->mu);
	if (n->queued || n->busy)
		fprintf(stderr, "sqlward: delivering %zu webhook notification(s) before stopping (at most %u ms)\n",
			n->queued + n->busy, timeout_ms);
	for (;;) {
		uint64_t t = now_ms(), next_due = UINT64_MAX;
		struct timespec until;
		for (struct job *j = n->head; j; j = j->next)
			if (j->next_ms < next_due)
				next_due = j->next_ms;
		/* Done, out of time, or only retries due after the deadline are left. */
		if ((!n->busy && !n->head) || t >= deadline || (!n->busy && next_due > deadline))
			break;
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_nsec += 50 * 1000000;
		if (until.tv_nsec >= 1000000000) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000;
		}
		pthread_cond_timedwait(&n->cv, &n->mu, &until);
	}
	done = !n->busy && !n->head;
	pthread_mutex_unlock(&n->mu);
	return done;
}

void sw_notifier_stop(struct sw_notifier *n)
{
	if (!n)
		return;
	pthread_mutex_lock(&n->mu);
	n->stop = true;
	pthread_cond_broadcast(&n->cv);
	pthread_mutex_unlock(&n->mu);
	pthread_join(n->thread, NULL);
	if (n->queued)
		fprintf(stderr, "sqlward: %zu webhook notification(s) undelivered at exit\n", n->queued);
	while (n->head) {
		struct job *j = n->head;
		n->head = j->next;
		free_job(j);
	}
	pthread_mutex_destroy(&n->mu);
	pthread_cond_destroy(&n->cv);
	curl_global_cleanup();
	free(n);
}
