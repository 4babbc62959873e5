/*
 * The ledger's sync thread (ledger.h "The sync thread", ledger_sync.h): the
 * writer keeps writing while a sync is out; a sync covers what was written
 * before it began, and the durable end moves only when it is taken in; a sync
 * asked for meanwhile follows; a failed sync cuts the file back and the lines
 * are written again, then synced; rotation and close wait for the sync out
 * (the thread never syncs a closed or reused descriptor); and a decided
 * statement may move only once a covering sync finished
 * (sw_daemon_record_safe).
 *
 * While a sync is slow, the written lines beyond 8 MiB leave memory: a failed
 * sync reads them back (intact: written again; lost by the disk: dropped and
 * counted in a gap record).
 *
 * The fdatasync is replaced (sw_ledger_set_datasync) by a gate the test opens
 * one sync at a time, with the result it chooses.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "unit.h"
#include "daemon_state.h"
#include "ledger.h"
#include "ledger_segments.h"
#include "util.h"
#include "ledger_fixture.h"

/* The sync gate: each sync waits until the test lets one through, with the result it set. */
struct gate {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	unsigned calls;        /* syncs that began */
	unsigned let_through;  /* syncs the test allowed to end */
	int result[16];        /* per sync (by its number): 0 or an errno */
	bool bad_fd;           /* a sync's descriptor was closed or changed while it ran */
};

static struct gate g;

static int gated_sync(int fd, void *ctx)
{
	struct gate *gt = ctx;
	struct stat before, after;
	unsigned me;
	int rc;

	if (fstat(fd, &before) != 0)
		gt->bad_fd = true;
	pthread_mutex_lock(&gt->mu);
	me = gt->calls++;
	pthread_cond_broadcast(&gt->cv);
	while (gt->let_through <= me)
		pthread_cond_wait(&gt->cv, &gt->mu);
	rc = me < 16 ? gt->result[me] : 0;
	pthread_mutex_unlock(&gt->mu);
	/* Still the same open file when the sync ends. */
	if (fstat(fd, &after) != 0 || after.st_ino != before.st_ino || after.st_dev != before.st_dev)
		gt->bad_fd = true;
	if (rc == 0 && fdatasync(fd) != 0)
		rc = errno;
	return rc;
}

static void gate_init(void)
{
	memset(&g, 0, sizeof(g));
	pthread_mutex_init(&g.mu, NULL);
	pthread_cond_init(&g.cv, NULL);
}

static void gate_open_one(void)
{
	pthread_mutex_lock(&g.mu);
	g.let_through++;
	pthread_cond_broadcast(&g.cv);
	pthread_mutex_unlock(&g.mu);
}

static void gate_wait_calls(unsigned n)
{
	pthread_mutex_lock(&g.mu);
	while (g.calls < n)
		pthread_cond_wait(&g.cv, &g.mu);
	pthread_mutex_unlock(&g.mu);
}

/* Let syncs through from another thread after a while (the test's own thread is blocked). */
static void *open_later(void *arg)
{
	unsigned n = (unsigned)(uintptr_t)arg;

	nanosleep(&(struct timespec){ .tv_nsec = 50 * 1000000 }, NULL);
	for (unsigned i = 0; i < n; i++)
		gate_open_one();
	return NULL;
}

static void append(struct sw_ledger *l, unsigned n)
{
	char body[256], err[700];
	int len = snprintf(body, sizeof(body), "\"type\":\"daemon\",\"time\":\"2026-12-02T06:00:00.%06uZ\","
			   "\"event\":\"sync_thread_test\",\"n\":%u", n, n);

	if (sw_ledger_append_body(l, body, (size_t)len, false, NULL, err, sizeof(err)) != 0)
		fail_msg("append %u: %s", n, err);
}

static uint64_t durable(const struct sw_ledger *l)
{
	struct sw_ledger_anchor a;

	sw_ledger_anchor(l, &a);
	return a.seq;
}

/* Wait for the thread's eventfd, then take the sync in: its result. */
static int wait_reap(struct sw_ledger *l, char *err, size_t errlen)
{
	struct pollfd p = { .fd = sw_ledger_sync_fd(l), .events = POLLIN };

	assert_true(p.fd >= 0);
	assert_int_equal(poll(&p, 1, 10000), 1);
	return sw_ledger_sync_reap(l, err, errlen);
}

static struct sw_ledger *open_threaded(void)
{
	struct sw_ledger *l;
	char err[700];

	gate_init();
	if (sw_ledger_open(ledger_path, &l, err, sizeof(err)) != 0)
		fail_msg("open: %s", err);
	if (sw_ledger_sync_thread_start(l, err, sizeof(err)) != 0)
		fail_msg("sync thread: %s", err);
	sw_ledger_set_datasync(l, gated_sync, &g);
	return l;
}

static off_t size_of(const char *path)
{
	struct stat st;

	assert_int_equal(stat(path, &st), 0);
	return st.st_size;
}

static void verify_ok(const char *path, uint64_t last_seq)
{
	struct sw_verify_result res;

	assert_int_equal(sw_ledger_verify(path, &res), 0);
	if (!res.ok)
		fail_msg("%s does not verify: line %zu: %s", path, res.bad_line, res.reason);
	assert_int_equal(res.last_seq, last_seq);
}

/* The syncs never met a closed or changed descriptor; the ledger closes (plain fdatasync again)
 * and verifies to last_seq. */
static void close_verified(struct sw_ledger *l, uint64_t last_seq)
{
	assert_false(g.bad_fd);
	sw_ledger_set_datasync(l, NULL, NULL);
	sw_ledger_close(l);
	verify_ok(ledger_path, last_seq);
}

/* Writing goes on while a sync is out; the sync covers what was written before it began; the
 * one asked for meanwhile starts when it is taken in (what waits written then) and covers the rest. */
static void test_sync_covers_what_was_written_before(void **state)
{
	struct sw_ledger *l = open_threaded();
	char err[700];
	off_t before;

	(void)state;
	g.result[0] = g.result[1] = 0;
	for (unsigned n = 1; n <= 3; n++)
		append(l, n);
	assert_int_equal(sw_ledger_sync_request(l, err, sizeof(err)), 0);
	gate_wait_calls(1);
	assert_true(sw_ledger_sync_pending(l));
	assert_int_equal(durable(l), 0);
	/* The sync is stuck in the disk: the writer is not. */
	before = size_of(ledger_path);
	for (unsigned n = 4; n <= 5; n++)
		append(l, n);
	assert_int_equal(sw_ledger_flush(l, err, sizeof(err)), 0);
	assert_true(size_of(ledger_path) > before);
	append(l, 6);
	/* Asked for now: it starts once the one out is taken in (6 is written then). */
	before = size_of(ledger_path);
	assert_int_equal(sw_ledger_sync_request(l, err, sizeof(err)), 0);
	assert_int_equal(size_of(ledger_path), before);
	assert_int_equal(sw_ledger_seq(l), 6);
	assert_int_equal(durable(l), 0);
	/* Taking nothing in while it runs changes nothing. */
	assert_int_equal(sw_ledger_sync_reap(l, err, sizeof(err)), 0);
	assert_int_equal(durable(l), 0);
	gate_open_one();
	assert_int_equal(wait_reap(l, err, sizeof(err)), 0);
	assert_int_equal(durable(l), 3);
	/* The second sync (asked for while the first was out) started as the first was taken in. */
	assert_true(sw_ledger_sync_pending(l));
	gate_wait_calls(2);
	gate_open_one();
	assert_true(size_of(ledger_path) > before);
	assert_int_equal(wait_reap(l, err, sizeof(err)), 0);
	assert_int_equal(durable(l), 6);
	assert_false(sw_ledger_sync_pending(l));
	close_verified(l, 6);
}

/* A failed sync: the file is cut back to the last good sync, the lines (also those written
 * during the sync) wait again, nothing is lost; the next sync writes and syncs them. */
static void test_sync_fails_then_succeeds(void **state)
{
	struct sw_ledger *l = open_threaded();
	char err[700];

	(void)state;
	g.result[0] = EIO;
	for (unsigned n = 1; n <= 2; n++)
		append(l, n);
	assert_int_equal(sw_ledger_sync_request(l, err, sizeof(err)), 0);
	gate_wait_calls(1);
	for (unsigned n = 3; n <= 4; n++)
		append(l, n);
	assert_int_equal(sw_ledger_flush(l, err, sizeof(err)), 0);
	assert_true(size_of(ledger_path) > 0);
	gate_open_one();
	err[0] = '\0';
	assert_int_equal(wait_reap(l, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "cannot sync"));
	assert_true(sw_ledger_failing(l));
	assert_int_equal(durable(l), 0);
	assert_int_equal(size_of(ledger_path), 0);  /* cut back: nothing unsynced stays in the file */
	assert_int_equal(sw_ledger_seq(l), 4);      /* ... and nothing left the chain */
	assert_false(sw_ledger_sync_pending(l));    /* no sync follows a failed one by itself */
	/* The daemon's retry: written again and synced (blocking, through the thread). */
	gate_open_one();
	assert_int_equal(sw_ledger_retry(l, err, sizeof(err)), 0);
	assert_false(sw_ledger_failing(l));
	assert_int_equal(durable(l), 4);
	verify_ok(ledger_path, 4);
	/* The same through the asynchronous path: fail, then a request writes them again. */
	g.result[2] = EIO;
	append(l, 5);
	assert_int_equal(sw_ledger_sync_request(l, err, sizeof(err)), 0);
	gate_open_one();
	assert_int_equal(wait_reap(l, err, sizeof(err)), -1);
	assert_int_equal(durable(l), 4);
	assert_int_equal(sw_ledger_sync_request(l, err, sizeof(err)), 0);
	gate_open_one();
	assert_int_equal(wait_reap(l, err, sizeof(err)), 0);
	assert_int_equal(durable(l), 5);
	assert_false(sw_ledger_failing(l));
	close_verified(l, 5);
}

/* Rotation asked for while a sync is out waits for it: the sync ends on the file it began on,
 * still open; the segment and the new file verify, the new one continuing the segment. */
static void test_rotation_during_sync(void **state)
{
	struct sw_ledger *l = open_threaded();
	struct sw_verify_result res;
	pthread_t t;
	char err[700], *seg = NULL;

	(void)state;
	for (unsigned n = 1; n <= 4; n++)
		append(l, n);
	assert_int_equal(sw_ledger_sync_request(l, err, sizeof(err)), 0);
	gate_wait_calls(1);
	append(l, 5);
	/* Two syncs let through later: the one out, and rotation's own. */
	assert_int_equal(pthread_create(&t, NULL, open_later, (void *)(uintptr_t)3), 0);
	if (sw_ledger_rotate(l, &seg, err, sizeof(err)) != 1)
		fail_msg("rotate: %s", err);
	pthread_join(t, NULL);
	assert_false(g.bad_fd);
	assert_false(sw_ledger_sync_pending(l));
	assert_non_null(seg);
	verify_ok(seg, 5);
	append(l, 7);
	sw_ledger_set_datasync(l, NULL, NULL);
	sw_ledger_close(l);
	{
		struct sw_ledger_anchor after = { .seq = 5 };
		struct sw_verify_opts o = { .after = &after };
		assert_int_equal(sw_ledger_verify(seg, &res), 0);
		memcpy(after.head, res.head, sizeof(after.head));
		assert_int_equal(sw_ledger_verify_opts(ledger_path, &o, &res), 0);
		if (!res.ok)
			fail_msg("the new file does not continue the segment: %s", res.reason);
		assert_int_equal(res.last_seq, 7);  /* 6: the continuation record */
	}
	free(seg);
}

/* Closing with a sync out and records waiting: every record is written and synced, and the head
 * file names the last one. */
static void test_close_syncs_everything(void **state)
{
	struct sw_ledger *l = open_threaded();
	struct sw_ledger_anchor head;
	pthread_t t;
	char err[700];

	(void)state;
	for (unsigned n = 1; n <= 3; n++)
		append(l, n);
	assert_int_equal(sw_ledger_sync_request(l, err, sizeof(err)), 0);
	gate_wait_calls(1);
	for (unsigned n = 4; n <= 6; n++)
		append(l, n);   /* waiting in memory, not written */
	assert_int_equal(pthread_create(&t, NULL, open_later, (void *)(uintptr_t)2), 0);
	sw_ledger_close(l);
	pthread_join(t, NULL);
	assert_false(g.bad_fd);
	assert_int_equal(g.calls, 2);
	verify_ok(ledger_path, 6);
	assert_int_equal(sw_ledger_read_head_file(ledger_path, &head, err, sizeof(err)), 1);
	assert_int_equal(head.seq, 6);
}

/* The daemon's rule (sw_daemon_record_safe): --ledger-sync decision moves a statement only once
 * a sync that covers its record finished; a daemon that stops waits for it; interval moves it
 * once written. */
static void test_release_after_covering_sync(void **state)
{
	struct sw_daemon_opts opts = { .ledger_sync = SW_LEDGER_SYNC_DECISION };
	struct sw_daemon *d = sw_xcalloc(1, sizeof(*d));
	uint64_t mine, later;
	pthread_t t;
	char err[700];

	(void)state;
	d->opts = &opts;
	d->ledger = open_threaded();
	append(d->ledger, 1);
	assert_int_equal(sw_daemon_decision_sync(d, err, sizeof(err)), 0);
	mine = sw_ledger_seq(d->ledger);
	gate_wait_calls(1);
	assert_false(sw_daemon_record_safe(d, mine));
	/* Decided while that sync runs: not covered by it. */
	append(d->ledger, 2);
	assert_int_equal(sw_daemon_decision_sync(d, err, sizeof(err)), 0);
	later = sw_ledger_seq(d->ledger);
	gate_open_one();
	assert_int_equal(wait_reap(d->ledger, err, sizeof(err)), 0);
	assert_true(sw_daemon_record_safe(d, mine));
	assert_false(sw_daemon_record_safe(d, later));
	gate_wait_calls(2);
	gate_open_one();
	assert_int_equal(wait_reap(d->ledger, err, sizeof(err)), 0);
	assert_true(sw_daemon_record_safe(d, later));
	/* Stopping: the sync is waited for (everything decided moves before the gates close). */
	append(d->ledger, 3);
	d->stopping = true;
	assert_int_equal(pthread_create(&t, NULL, open_later, (void *)(uintptr_t)1), 0);
	assert_int_equal(sw_daemon_decision_sync(d, err, sizeof(err)), 0);
	pthread_join(t, NULL);
	assert_true(sw_daemon_record_safe(d, sw_ledger_seq(d->ledger)));
	/* Interval: once written. */
	d->stopping = false;
	opts.ledger_sync = SW_LEDGER_SYNC_INTERVAL;
	append(d->ledger, 4);
	assert_int_equal(sw_daemon_decision_sync(d, err, sizeof(err)), 0);
	assert_true(sw_daemon_record_safe(d, sw_ledger_seq(d->ledger)));
	assert_true(size_of(ledger_path) > 0);
	sw_ledger_set_datasync(d->ledger, NULL, NULL);
	sw_ledger_close(d->ledger);
	verify_ok(ledger_path, 4);
	free(d);
}

/* Without the thread (tools, the watchdog) a request syncs at once, as before. */
static void test_inline_request_syncs_now(void **state)
{
	struct sw_ledger *l;
	char err[700];

	(void)state;
	if (sw_ledger_open(ledger_path, &l, err, sizeof(err)) != 0)
		fail_msg("open: %s", err);
	assert_int_equal(sw_ledger_sync_fd(l), -1);
	append(l, 1);
	append(l, 2);
	assert_int_equal(sw_ledger_sync_request(l, err, sizeof(err)), 0);
	assert_false(sw_ledger_sync_pending(l));
	assert_int_equal(durable(l), 2);
	sw_ledger_close(l);
	verify_ok(ledger_path, 2);
}

/* ---- written lines released from memory while a sync is slow (ledger.c "Releasing") ---- */

/* A ~1 KB record (n numbers it). */
static void append_big(struct sw_ledger *l, unsigned n)
{
	char body[1200], err[700];
	int len = snprintf(body, sizeof(body), "\"type\":\"daemon\",\"time\":\"2026-12-03T04:00:00.%06uZ\","
			   "\"event\":\"unsynced_test\",\"n\":%u,\"pad\":\"%0960u\"", n % 1000000, n, n);

	if (sw_ledger_append_body(l, body, (size_t)len, false, NULL, err, sizeof(err)) != 0)
		fail_msg("append %u: %s", n, err);
}

/* Records first..last (~1 KB each) appended and flushed as the daemon does (every 100 records
 * here); the most memory the ledger held meanwhile. */
static size_t append_many(struct sw_ledger *l, unsigned first, unsigned last)
{
	size_t most = 0;
	char err[700];

	for (unsigned n = first; n <= last; n++) {
		append_big(l, n);
		if (n % 100 == 0 && sw_ledger_flush(l, err, sizeof(err)) != 0)
			fail_msg("flush: %s", err);
		if (sw_ledger_buffer_bytes(l) > most)
			most = sw_ledger_buffer_bytes(l);
	}
	return most;
}

/* The bound: 8 MiB of written lines before they are released, plus growth steps and waiting lines. */
#define HELD_MAX (12u << 20)
/* 40,000 records of ~1.1 KB: ~44 MiB written while one sync is out. */
#define MANY 40000u

/* A slow sync that succeeds: what piles up meanwhile leaves memory; the sync asked for meanwhile
 * covers it all; everything is in the file and verifies. */
static void test_slow_sync_memory_bounded(void **state)
{
	struct sw_ledger *l = open_threaded();
	char err[700];

	(void)state;
	append_big(l, 1);
	assert_int_equal(sw_ledger_sync_request(l, err, sizeof(err)), 0);
	gate_wait_calls(1);
	assert_true(append_many(l, 2, MANY) <= HELD_MAX);
	gate_open_one();
	assert_int_equal(wait_reap(l, err, sizeof(err)), 0);
	assert_int_equal(durable(l), 1);
	gate_wait_calls(2);   /* the one asked for meanwhile: everything written */
	gate_open_one();
	assert_int_equal(wait_reap(l, err, sizeof(err)), 0);
	assert_int_equal(durable(l), MANY);
	assert_true(sw_ledger_buffer_bytes(l) <= HELD_MAX);
	assert_int_equal(sw_ledger_lost_total(l), 0);
	close_verified(l, MANY);
}

/* A slow sync that fails: the released lines are read back from the file (intact), cut off with
 * the rest and written again; the retry syncs them all; nothing lost, nothing torn. */
static void test_slow_sync_fails_released_read_back(void **state)
{
	struct sw_ledger *l = open_threaded();
	char err[700];

	(void)state;
	g.result[0] = EIO;
	append_big(l, 1);
	assert_int_equal(sw_ledger_sync_request(l, err, sizeof(err)), 0);
	gate_wait_calls(1);
	assert_true(append_many(l, 2, MANY) <= HELD_MAX);
	gate_open_one();
	assert_int_equal(wait_reap(l, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "cannot sync"));
	assert_int_equal(size_of(ledger_path), 0);  /* cut back */
	assert_int_equal(sw_ledger_seq(l), MANY);    /* nothing left the chain */
	assert_int_equal(sw_ledger_drops(l), 0);
	assert_int_equal(sw_ledger_lost(l), 0);
	for (unsigned i = 0; i < 4; i++)
		gate_open_one();
	assert_int_equal(sw_ledger_retry(l, err, sizeof(err)), 0);
	assert_int_equal(durable(l), MANY);
	assert_false(sw_ledger_failing(l));
	assert_true(sw_ledger_buffer_bytes(l) <= HELD_MAX);
	close_verified(l, MANY);
}

/* A slow sync that fails after the page cache lost released lines too (garbage where they were):
 * they are not written again; every record after the synced end is dropped and counted (a gap
 * record), a synced append waiting for that sync fails (its record is its caller's to count), a
 * statement waiting for a dropped record sees it not kept, and the file verifies. */
static void test_slow_sync_fails_released_lost(void **state)
{
	struct sw_ledger *l = open_threaded();
	struct sw_verify_result res;
	char err[700], body[160];
	uint64_t drops_then, last;
	pthread_t t;
	off_t synced;
	int fd, len;

	(void)state;
	for (unsigned n = 1; n <= 10; n++)
		append_big(l, n);
	gate_open_one();
	assert_int_equal(sw_ledger_sync(l, err, sizeof(err)), 0);
	assert_int_equal(durable(l), 10);
	synced = size_of(ledger_path);
	drops_then = sw_ledger_drops(l);
	g.result[1] = EIO;
	append_big(l, 11);
	assert_int_equal(sw_ledger_sync_request(l, err, sizeof(err)), 0);
	gate_wait_calls(2);
	assert_true(append_many(l, 12, 20000) <= HELD_MAX);
	/* The disk lost the unsynced pages: what the file holds after the synced end is not ours. */
	fd = open(ledger_path, O_WRONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, "garbage", 7, synced + 5000), 7);
	close(fd);
	len = snprintf(body, sizeof(body), "\"type\":\"daemon\",\"time\":\"2026-12-03T04:00:01Z\",\"event\":\"held\"");
	assert_int_equal(pthread_create(&t, NULL, open_later, (void *)(uintptr_t)1), 0);
	assert_int_equal(sw_ledger_append_body(l, body, (size_t)len, true, NULL, err, sizeof(err)), -1);
	pthread_join(t, NULL);
	assert_non_null(strstr(err, "cannot sync"));
	assert_int_equal(sw_ledger_seq(l), 10);            /* back at the synced end */
	assert_int_equal(size_of(ledger_path), synced);    /* nothing of them (nor torn lines) in the file */
	assert_int_equal(sw_ledger_lost(l), 20000 - 10);   /* not the synced append's record */
	assert_int_equal(sw_ledger_drops(l), drops_then + 1);
	assert_true(sw_ledger_kept(l, 10, drops_then));
	assert_false(sw_ledger_kept(l, 11, drops_then));
	assert_false(sw_ledger_kept(l, 19000, drops_then));
	/* Writing works again: the gap record first, then the next record. */
	append_big(l, 20001);
	for (unsigned i = 0; i < 4; i++)
		gate_open_one();
	assert_int_equal(sw_ledger_retry(l, err, sizeof(err)), 0);
	last = sw_ledger_seq(l);
	assert_int_equal(last, 12);
	assert_int_equal(sw_ledger_lost(l), 0);
	close_verified(l, last);
	assert_int_equal(sw_ledger_verify(ledger_path, &res), 0);
	assert_int_equal(res.gaps, 1);
	assert_int_equal(res.lost, 20000 - 10);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_sync_covers_what_was_written_before, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sync_fails_then_succeeds, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rotation_during_sync, setup, teardown),
		cmocka_unit_test_setup_teardown(test_close_syncs_everything, setup, teardown),
		cmocka_unit_test_setup_teardown(test_release_after_covering_sync, setup, teardown),
		cmocka_unit_test_setup_teardown(test_inline_request_syncs_now, setup, teardown),
		cmocka_unit_test_setup_teardown(test_slow_sync_memory_bounded, setup, teardown),
		cmocka_unit_test_setup_teardown(test_slow_sync_fails_released_read_back, setup, teardown),
		cmocka_unit_test_setup_teardown(test_slow_sync_fails_released_lost, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
