/*
 * The decided statements' release queue (release_queue.h), every engine's:
 * a statement moves only once a finished sync covers its record (group
 * commit); while the ledger fails refusals go at once, allowed statements
 * wait, and are refused after the wait (or at a stop) with a
 * release_refused_unrecorded record that reaches the ledger once it takes
 * records again; every gate hears of a change of the ledger's state once.
 *
 * A real ledger in a temporary directory; its fdatasync is replaced
 * (sw_ledger_set_datasync) by one the test fails or holds back at will.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/resource.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "unit.h"
#include "daemon_state.h"
#include "ledger.h"
#include "release_queue.h"
#include "util.h"
#include "ledger_fixture.h"

/* ---- the fake engine: what moved, and how ---------------------------------------------- */

struct moved {
	int pid;
	bool run;
	bool allow;
};
static struct moved moved[32];
static size_t n_moved;
static unsigned ctx_alive;   /* contexts not yet let go of */

static void fake_move(struct sw_daemon *d, const struct sw_release *r, bool run)
{
	(void)d;
	assert_true(n_moved < 32);
	moved[n_moved++] = (struct moved){ .pid = r->pid, .run = run, .allow = r->allow };
	free(r->ctx);
	ctx_alive--;
}

static void fake_describe(const struct sw_release *r, json_t *f)
{
	assert_non_null(r->ctx);   /* described before it is let go of */
	json_object_set_new(f, "engine", json_string("fake"));
}

static const struct sw_release_ops fake_ops = { .move = fake_move, .describe = fake_describe };

static void queue(struct sw_daemon *d, int pid, bool allow)
{
	ctx_alive++;
	sw_release_queue(d, &(struct sw_release){ .pid = pid, .allow = allow, .ops = &fake_ops,
						  .ctx = sw_xmalloc(1) });
}

/* ---- a gate that hears the ledger's state ------------------------------------------------ */

static int told_failing, told_writable;

static void fake_ledger_state(void *gate, bool failing, const char *err)
{
	(void)gate;
	(void)err;
	if (failing)
		told_failing++;
	else
		told_writable++;
}

static const struct sw_engine_gate_ops fake_gate_ops = { .engine = "fake", .ledger_state = fake_ledger_state };

/* ---- the ledger's fdatasync: fails, holds back (until let through), or syncs ------------- */

static struct {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool fail;
	bool hold;
} ds = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, false, false };

static int fake_datasync(int fd, void *ctx)
{
	bool fail;
	(void)ctx;
	pthread_mutex_lock(&ds.mu);
	while (ds.hold)
		pthread_cond_wait(&ds.cv, &ds.mu);
	fail = ds.fail;
	pthread_mutex_unlock(&ds.mu);
	if (fail)
		return EIO;
	return fdatasync(fd) == 0 ? 0 : errno;
}

static void ds_set(bool fail, bool hold)
{
	pthread_mutex_lock(&ds.mu);
	ds.fail = fail;
	ds.hold = hold;
	pthread_cond_broadcast(&ds.cv);
	pthread_mutex_unlock(&ds.mu);
}

static void open_daemon(struct sw_daemon *d, bool thread)
{
	char err[700];

	memset(d, 0, sizeof(*d));
	n_moved = 0;
	told_failing = told_writable = 0;
	ds_set(false, false);
	if (sw_ledger_open(ledger_path, &d->ledger, err, sizeof(err)) != 0)
		fail_msg("open: %s", err);
	if (thread && sw_ledger_sync_thread_start(d->ledger, err, sizeof(err)) != 0)
		fail_msg("sync thread: %s", err);
	sw_ledger_set_datasync(d->ledger, fake_datasync, NULL);
	d->gates[0] = (struct sw_engine_gate){ .ops = &fake_gate_ops };
	d->n_gates = 1;
}

static void close_daemon(struct sw_daemon *d)
{
	ds_set(false, false);
	sw_ledger_close(d->ledger);
	free(d->releases);
	assert_int_equal(ctx_alive, 0);
}

/* A statement's record, appended unsynced (as sw_gate_record does for a decided statement). */
static void record(struct sw_daemon *d, unsigned n)
{
	char body[200], err[700];
	int len = snprintf(body, sizeof(body), "\"type\":\"daemon\",\"time\":\"2026-12-02T06:00:00.%06uZ\","
			   "\"event\":\"release_queue_test\",\"n\":%u", n, n);
	assert_int_equal(sw_ledger_append_body(d->ledger, body, (size_t)len, false, NULL, err, sizeof(err)), 0);
}

static bool ledger_has(const char *what)
{
	char cmd[400];
	snprintf(cmd, sizeof(cmd), "grep -q '%s' '%s'", what, ledger_path);
	return system(cmd) == 0;
}

static void sleep_ms(unsigned ms)
{
	nanosleep(&(struct timespec){ .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000 }, NULL);
}

/* ---- the fate of one entry (pure) ----------------------------------------------------------- */

static void test_fate(void **state)
{
	struct sw_release allowed = { .allow = true }, refused = { .allow = false };
	(void)state;

	/* Ledger writable: moves only once its record is safe; a refusal as well. */
	assert_int_equal(sw_release_fate(&allowed, true, false, 100, 50, false), SW_RELEASE_KEEP);
	assert_int_equal(sw_release_fate(&allowed, true, true, 100, 50, false), SW_RELEASE_RUN);
	assert_int_equal(sw_release_fate(&refused, true, false, 100, 50, false), SW_RELEASE_KEEP);
	assert_int_equal(sw_release_fate(&refused, true, true, 100, 50, false), SW_RELEASE_REFUSE);
	assert_int_equal(allowed.waiting_since_ns, 0);
	/* Ledger failing: a refusal goes at once; an allowed one starts waiting, then is refused. */
	assert_int_equal(sw_release_fate(&refused, false, false, 100, 50, false), SW_RELEASE_REFUSE);
	assert_int_equal(sw_release_fate(&allowed, false, false, 100, 50, false), SW_RELEASE_KEEP);
	assert_int_equal(allowed.waiting_since_ns, 100);
	assert_int_equal(sw_release_fate(&allowed, false, false, 149, 50, false), SW_RELEASE_KEEP);
	assert_int_equal(sw_release_fate(&allowed, false, false, 150, 50, false), SW_RELEASE_REFUSE_UNRECORDED);
	assert_int_equal(allowed.waiting_since_ns, 100);   /* (counted from when it began to wait) */
	/* Writable again in time: it runs once safe. */
	assert_int_equal(sw_release_fate(&allowed, true, true, 149, 50, false), SW_RELEASE_RUN);
	/* A stopping daemon does not wait. */
	allowed.waiting_since_ns = 0;
	assert_int_equal(sw_release_fate(&allowed, false, false, 100, 50, true), SW_RELEASE_REFUSE_UNRECORDED);
}

/* ---- group commit: nothing moves before a finished sync covers its record ---------------------- */

static void test_moves_after_sync(void **state)
{
	struct sw_daemon d;
	char err[700];
	struct pollfd p;
	(void)state;

	open_daemon(&d, true);
	ds_set(false, true);   /* the sync thread's fdatasync is held back */
	record(&d, 1);
	queue(&d, 101, true);
	record(&d, 2);
	queue(&d, 102, false);
	sw_release_run(&d);
	assert_int_equal(n_moved, 0);          /* asked for a sync; none finished */
	assert_int_equal(d.n_releases, 2);
	assert_true(d.releases[0].seq > 0);    /* stamped with the chain's end */
	sw_release_run(&d);
	assert_int_equal(n_moved, 0);
	ds_set(false, false);
	p = (struct pollfd){ .fd = sw_ledger_sync_fd(d.ledger), .events = POLLIN };
	assert_int_equal(poll(&p, 1, 10000), 1);
	assert_int_equal(sw_ledger_sync_reap(d.ledger, err, sizeof(err)), 0);
	sw_release_run(&d);
	assert_int_equal(n_moved, 2);
	assert_int_equal(moved[0].pid, 101);
	assert_true(moved[0].run);
	assert_int_equal(moved[1].pid, 102);
	assert_false(moved[1].run);
	assert_int_equal(d.n_releases, 0);
	assert_int_equal(told_failing + told_writable, 0);
	close_daemon(&d);
}

/* ---- a failing ledger: refusals go, allowed ones wait, then are refused with a record ----------- */

static void test_failing_ledger(void **state)
{
	struct sw_daemon d;
	(void)state;

	open_daemon(&d, false);
	ds_set(true, false);
	record(&d, 1);
	queue(&d, 201, true);
	record(&d, 2);
	queue(&d, 202, false);
	sw_release_run(&d);
	assert_int_equal(told_failing, 1);
	assert_true(d.ledger_failing_since_ns != 0);
	assert_int_equal(n_moved, 1);          /* the refusal went at once */
	assert_int_equal(moved[0].pid, 202);
	assert_false(moved[0].run);
	assert_int_equal(d.n_releases, 1);     /* the allowed one waits, stopped */
	assert_true(d.releases[0].waiting_since_ns != 0);
	/* Tried again at most every SW_LEDGER_RETRY_NS: nothing happens before. */
	sw_release_run(&d);
	assert_int_equal(n_moved, 1);
	assert_int_equal(told_failing, 1);     /* told once per change */
	/* Past the wait (SQLWARD_TEST_LEDGER_WAIT_MS, set in main): refused, counted, recorded later. */
	sleep_ms(300);
	sw_release_run(&d);
	assert_int_equal(n_moved, 2);
	assert_int_equal(moved[1].pid, 201);
	assert_false(moved[1].run);
	assert_true(moved[1].allow);
	assert_int_equal(d.refused_unrecorded, 1);
	assert_int_equal(d.n_releases, 0);
	assert_false(ledger_has("release_refused_unrecorded"));
	/* Writable again: the next run writes what waited, the correction record included. */
	ds_set(false, false);
	record(&d, 3);
	queue(&d, 203, true);
	d.ledger_retry_ns = 0;
	sw_release_run(&d);
	assert_int_equal(told_writable, 1);
	assert_int_equal(d.ledger_failing_since_ns, 0);
	assert_int_equal(n_moved, 3);          /* (no sync thread: the sync ran inline) */
	assert_int_equal(moved[2].pid, 203);
	assert_true(moved[2].run);
	assert_true(ledger_has("\"event\":\"release_refused_unrecorded\""));
	assert_true(ledger_has("\"engine\":\"fake\""));
	assert_true(ledger_has("\"event\":\"ledger_writable_again\""));
	close_daemon(&d);
}

/* ---- a record the ledger dropped does not let its statement move ------------------------------- */

static void fsize_limit(rlim_t max)
{
	struct rlimit r = { max, RLIM_INFINITY };
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &r), 0);
}

/* Writing fails long enough for the waiting records to pass SW_LEDGER_BUFFER_MAX: they are dropped
 * and their seqs go to later records. An allowed statement queued behind a dropped record is refused
 * (it would otherwise run once a sync covers its seq, with another record there); one queued after
 * the drop runs. */
static void test_dropped_record_refused(void **state)
{
	struct sw_daemon d;
	char err[700], *body;
	size_t big = 1u << 20;
	int len;
	(void)state;

	open_daemon(&d, false);
	record(&d, 1);
	assert_int_equal(sw_ledger_sync(d.ledger, err, sizeof(err)), 0);
	signal(SIGXFSZ, SIG_IGN);
	fsize_limit(1);   /* (the file is longer already: every write fails) */
	body = sw_xmalloc(big + 200);
	len = snprintf(body, big + 200, "\"type\":\"daemon\",\"time\":\"2026-12-02T06:00:00Z\",\"event\":\"big\",\"blob\":\"");
	memset(body + len, 'x', big);
	memcpy(body + len + big, "\"", 2);
	for (size_t i = 0; i < SW_LEDGER_BUFFER_MAX / big + 4; i++) {
		assert_int_equal(sw_ledger_append_body(d.ledger, body, strlen(body), false, NULL, err, sizeof(err)), 0);
		if (i == 0)
			queue(&d, 301, true);   /* its record is the one just appended */
	}
	assert_true(sw_ledger_drops(d.ledger) > 0);
	record(&d, 2);
	queue(&d, 302, true);           /* after the drops: its record is kept */
	fsize_limit(RLIM_INFINITY);
	sw_release_run(&d);
	assert_int_equal(n_moved, 2);
	assert_int_equal(moved[0].pid, 301);
	assert_false(moved[0].run);     /* refused: its record is gone */
	assert_int_equal(d.refused_unrecorded, 1);
	assert_int_equal(moved[1].pid, 302);
	assert_true(moved[1].run);
	/* (the correction record is written with the next sync) */
	assert_int_equal(sw_ledger_sync(d.ledger, err, sizeof(err)), 0);
	assert_true(ledger_has("\"event\":\"release_refused_unrecorded\""));
	assert_true(ledger_has("\"type\":\"gap\""));
	free(body);
	close_daemon(&d);
}

/* ---- a stopping daemon leaves nothing queued ---------------------------------------------------- */

static void test_stopping(void **state)
{
	struct sw_daemon d;
	(void)state;

	/* Writable: it waits for the sync and moves everything. */
	open_daemon(&d, true);
	d.stopping = true;
	record(&d, 1);
	queue(&d, 301, true);
	sw_release_run(&d);
	assert_int_equal(n_moved, 1);
	assert_true(moved[0].run);
	/* Failing: the allowed one is refused at once, not kept. */
	ds_set(true, false);
	record(&d, 2);
	queue(&d, 302, true);
	queue(&d, 303, false);
	sw_release_run(&d);
	assert_int_equal(n_moved, 3);
	assert_false(moved[1].run);
	assert_false(moved[2].run);
	assert_int_equal(d.refused_unrecorded, 1);
	assert_int_equal(d.n_releases, 0);
	close_daemon(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fate),
		cmocka_unit_test_setup_teardown(test_moves_after_sync, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failing_ledger, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stopping, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dropped_record_refused, setup, teardown),
	};
	setenv("SQLWARD_TEST_LEDGER_WAIT_MS", "200", 1);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
