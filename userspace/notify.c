/* Webhook delivery thread (see notify.h). */
#include <curl/curl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "notify.h"
#include "util.h"

#define MAX_ATTEMPTS 8
#define MAX_QUEUE 1024

struct job {
	char *url;
	char *body;
	unsigned attempts;
	uint64_t next_ms;     /* monotonic ms of the next try */
	struct job *next;
};

struct sw_notifier {
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct job *head;
	size_t queued;
	bool stop;
};

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static size_t discard(void *p, size_t sz, size_t n, void *u)
{
	(void)p;
	(void)u;
	return sz * n;
}

/* One POST; true on a 2xx answer. */
static bool deliver(const struct job *j, char *why, size_t len)
{
	CURL *c = curl_easy_init();
	struct curl_slist *h = NULL;
	long code = 0;
	CURLcode rc;

	if (!c) {
		snprintf(why, len, "libcurl could not start");
		return false;
	}
	h = curl_slist_append(h, "Content-Type: application/json");
	curl_easy_setopt(c, CURLOPT_URL, j->url);
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
		return false;
	}
	if (code < 200 || code > 299) {
		snprintf(why, len, "HTTP %ld", code);
		return false;
	}
	return true;
}

static void free_job(struct job *j)
{
	free(j->url);
	free(j->body);
	free(j);
}

static void *worker(void *arg)
{
	struct sw_notifier *n = arg;

	pthread_mutex_lock(&n->mu);
	while (!n->stop) {
		struct job *j = NULL, **pp;
		uint64_t t = now_ms(), soonest = UINT64_MAX;

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
		pthread_mutex_unlock(&n->mu);
		{
			char why[256];
			bool ok = deliver(j, why, sizeof(why));
			j->attempts++;
			if (ok) {
				free_job(j);
				j = NULL;
			} else if (j->attempts >= MAX_ATTEMPTS) {
				fprintf(stderr, "sqlward: webhook %s failed %u times (%s); giving up on this "
					"notification (the hold itself is unaffected)\n", j->url, j->attempts, why);
				free_job(j);
				j = NULL;
			} else {
				uint64_t backoff = 1000ull << (j->attempts - 1);
				if (backoff > 60000)
					backoff = 60000;
				fprintf(stderr, "sqlward: webhook %s failed (%s); retry %u in %llu ms\n", j->url, why,
					j->attempts, (unsigned long long)backoff);
				j->next_ms = now_ms() + backoff;
			}
		}
		pthread_mutex_lock(&n->mu);
		if (j) {
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

void sw_notifier_post(struct sw_notifier *n, const char *url, json_t *body)
{
	struct job *j;

	if (!n)
		return;
	j = sw_xcalloc(1, sizeof(*j));
	j->url = sw_xstrdup(url);
	j->body = json_dumps(body, JSON_COMPACT);
	if (!j->body) {
		free_job(j);
		return;
	}
	pthread_mutex_lock(&n->mu);
	if (n->queued >= MAX_QUEUE) {
		pthread_mutex_unlock(&n->mu);
		fprintf(stderr, "sqlward: webhook queue full (%d); dropping a notification for %s\n", MAX_QUEUE, url);
		free_job(j);
		return;
	}
	j->next_ms = 0;
	j->next = n->head;
	n->head = j;
	n->queued++;
	pthread_cond_signal(&n->cv);
	pthread_mutex_unlock(&n->mu);
}

void sw_notifier_stop(struct sw_notifier *n)
{
	if (!n)
		return;
	pthread_mutex_lock(&n->mu);
	n->stop = true;
	pthread_cond_signal(&n->cv);
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
