/*
 * When the ledger writes what waits (ledger.c "Crash behaviour"): records
 * appended with sync=false stay in memory until SW_LEDGER_FLUSH_BYTES wait
 * (then one write(2) takes them all), sw_ledger_flush writes them now,
 * sw_ledger_sync also makes them durable, a synced record and closing take
 * everything before them, rotation cuts with nothing waiting, and a writer
 * killed with records waiting leaves a ledger that opens, verifies and goes
 * on (a kill in the middle of a write leaves a torn line that is set aside).
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "unit.h"
#include "ledger.h"
#include "util.h"
#include "ledger_fixture.h"

/* A daemon record's members, about 300 bytes, numbered. */
static size_t body_of(unsigned n, char *buf, size_t cap)
{
	int len = snprintf(buf, cap, "\"type\":\"daemon\",\"time\":\"2026-12-02T06:00:00.%06uZ\",\"event\":\"flush_test\","
			   "\"n\":%u,\"padding\":\"%0240u\"", n % 1000000, n, n);
	assert_true(len > 0 && (size_t)len < cap);
	return (size_t)len;
}

static void append(struct sw_ledger *l, unsigned n, bool sync)
{
	char body[512], err[700];
	size_t len = body_of(n, body, sizeof(body));

	if (sw_ledger_append_body(l, body, len, sync, NULL, err, sizeof(err)) != 0)
		fail_msg("append %u: %s", n, err);
}

static off_t size_of(const char *path)
{
	struct stat st;

	assert_int_equal(stat(path, &st), 0);
	return st.st_size;
}

static size_t lines_in(const char *path)
{
	FILE *f = fopen(path, "r");
	size_t n = 0;
	int c, last = '\n';

	assert_non_null(f);
	while ((c = getc(f)) != EOF) {
		if (c == '\n')
			n++;
		last = c;
	}
	fclose(f);
	assert_int_equal(last, '\n'); /* whole lines only */
	return n;
}

static void verify_ok(const char *path, size_t records)
{
	struct sw_verify_result res;

	assert_int_equal(sw_ledger_verify(path, &res), 0);
	if (!res.ok)
		fail_msg("%s does not verify: line %zu: %s", path, res.bad_line, res.reason);
	assert_int_equal(res.records, records);
}

/* Nothing is written below the threshold; the append that reaches it writes everything waiting. */
static void test_written_at_threshold(void **state)
{
	struct sw_ledger *l;
	char err[700];
	unsigned n = 0;
	(void)state;

	assert_int_equal(sw_ledger_open(ledger_path, &l, err, sizeof(err)), 0);
	for (int round = 0; round < 3; round++) {
		off_t before = size_of(ledger_path);
		/* Appends while less than the threshold waits: the file does not change. */
		while (sw_ledger_live_bytes(l) - (uint64_t)before + 1000 < SW_LEDGER_FLUSH_BYTES) {
			append(l, ++n, false);
			assert_int_equal(size_of(ledger_path), before);
		}
		/* Within a record or two of the threshold: the one that reaches it writes them all. */
		while (size_of(ledger_path) == before) {
			append(l, ++n, false);
			assert_true(sw_ledger_live_bytes(l) - (uint64_t)before <= SW_LEDGER_FLUSH_BYTES + 1000);
		}
		assert_int_equal((uint64_t)size_of(ledger_path), sw_ledger_live_bytes(l));
		assert_int_equal(lines_in(ledger_path), n);
		assert_true((uint64_t)(size_of(ledger_path) - before) >= SW_LEDGER_FLUSH_BYTES);
		verify_ok(ledger_path, n);
	}
	sw_ledger_close(l);
	verify_ok(ledger_path, n);
}

/* A record appended and then flushed is in the file at once; synced, it is the durable end. */
static void test_flush_and_sync_reach_the_file(void **state)
{
	struct sw_ledger *l;
	struct sw_ledger_anchor a;
	char err[700];
	(void)state;

	assert_int_equal(sw_ledger_open(ledger_path, &l, err, sizeof(err)), 0);
	append(l, 1, false);
	assert_int_equal(size_of(ledger_path), 0);
	assert_int_equal(sw_ledger_flush(l, err, sizeof(err)), 0);
	assert_int_equal(lines_in(ledger_path), 1);
	verify_ok(ledger_path, 1);
	sw_ledger_anchor(l, &a);
	assert_int_equal(a.seq, 0);           /* written, not yet synced */
	/* A flush with nothing waiting writes nothing. */
	assert_int_equal(sw_ledger_flush(l, err, sizeof(err)), 0);
	assert_int_equal(lines_in(ledger_path), 1);

	append(l, 2, false);
	append(l, 3, false);
	assert_int_equal(lines_in(ledger_path), 1);
	assert_int_equal(sw_ledger_sync(l, err, sizeof(err)), 0);
	assert_int_equal(lines_in(ledger_path), 3);
	sw_ledger_anchor(l, &a);
	assert_int_equal(a.seq, 3);
	assert_string_equal(a.head, sw_ledger_head(l));

	/* A synced record (a governed decision) takes what waits before it, and is durable on return. */
	append(l, 4, false);
	append(l, 5, true);
	assert_int_equal(lines_in(ledger_path), 5);
	sw_ledger_anchor(l, &a);
	assert_int_equal(a.seq, 5);

	/* Closing (the daemon's stop) writes and syncs what waits. */
	append(l, 6, false);
	append(l, 7, false);
	assert_int_equal(lines_in(ledger_path), 5);
	sw_ledger_close(l);
	assert_int_equal(lines_in(ledger_path), 7);
	verify_ok(ledger_path, 7);
}

/* Rotation cuts at a record boundary with nothing waiting: the segment holds every record so far. */
static void test_rotation_flushes_first(void **state)
{
	struct sw_ledger *l;
	char err[800], *seg = NULL;
	uint64_t last;
	(void)state;

	assert_int_equal(sw_ledger_open(ledger_path, &l, err, sizeof(err)), 0);
	for (unsigned n = 1; n <= 10; n++)
		append(l, n, false);
	assert_int_equal(size_of(ledger_path), 0);
	last = sw_ledger_seq(l);
	if (sw_ledger_rotate(l, &seg, err, sizeof(err)) != 1)
		fail_msg("rotate: %s", err);
	assert_int_equal(lines_in(seg), last);
	verify_ok(seg, last);
	/* The live file starts with the continuation of the segment's last record. */
	assert_int_equal(lines_in(ledger_path), 1);
	append(l, 11, false);
	sw_ledger_close(l);
	assert_int_equal(lines_in(ledger_path), 2);
	free(seg);
}

/*
 * SIGKILL with records waiting: what was written survives, what waited is gone
 * (no gap record counts it), and the next writer opens the file and goes on.
 */
static void test_kill_loses_only_what_waits(void **state)
{
	struct sw_ledger *l;
	char err[700];
	int status;
	pid_t pid;
	(void)state;

	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (sw_ledger_open(ledger_path, &l, err, sizeof(err)) != 0)
			_exit(2);
		for (unsigned n = 1; n <= 3; n++)
			append(l, n, false);
		if (sw_ledger_flush(l, err, sizeof(err)) != 0)
			_exit(3);
		append(l, 4, false);
		append(l, 5, false);
		raise(SIGKILL);
		_exit(4);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	assert_int_equal(lines_in(ledger_path), 3);
	verify_ok(ledger_path, 3);

	assert_int_equal(sw_ledger_open(ledger_path, &l, err, sizeof(err)), 0);
	assert_int_equal(sw_ledger_seq(l), 3);
	append(l, 4, false);
	sw_ledger_close(l);
	verify_ok(ledger_path, 4);
}

/* A kill in the middle of a write(2): the cut line is set aside on open, the chain goes on after it. */
static void test_kill_mid_write_torn_tail(void **state)
{
	struct sw_ledger *l;
	struct sw_verify_result res;
	char err[700], side[200];
	off_t whole, cut;
	int status;
	pid_t pid;
	(void)state;

	/* A writer synced 5 records, wrote a 6th, and was killed before its next sync. */
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (sw_ledger_open(ledger_path, &l, err, sizeof(err)) != 0)
			_exit(2);
		for (unsigned n = 1; n <= 5; n++)
			append(l, n, false);
		if (sw_ledger_sync(l, err, sizeof(err)) != 0)
			_exit(3);
		append(l, 6, false);
		if (sw_ledger_flush(l, err, sizeof(err)) != 0)
			_exit(4);
		raise(SIGKILL);
		_exit(5);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	assert_int_equal(lines_in(ledger_path), 6);
	/* What a write cut short leaves: record 6 without its end. */
	assert_int_equal(sw_ledger_verify(ledger_path, &res), 0);
	assert_int_equal(res.records, 6);
	whole = (off_t)res.good_bytes;
	{
		FILE *f = fopen(ledger_path, "r");
		char *line = NULL;
		size_t cap = 0;
		off_t at = 0;
		assert_non_null(f);
		for (int i = 0; i < 5; i++)
			at += getline(&line, &cap, f);
		free(line);
		fclose(f);
		cut = at + (whole - at) / 2;
		whole = at;
	}
	assert_int_equal(truncate(ledger_path, cut), 0);
	assert_int_equal(sw_ledger_verify(ledger_path, &res), 0);
	assert_false(res.ok);
	assert_true(res.torn_tail);

	if (sw_ledger_open(ledger_path, &l, err, sizeof(err)) != 0)
		fail_msg("open after a torn write: %s", err);
	assert_int_equal(sw_ledger_seq(l), 6);   /* 5 records, then torn_tail_set_aside */
	snprintf(side, sizeof(side), "%s.torn-6", ledger_path);
	assert_int_equal(size_of(side), cut - whole);
	append(l, 7, false);
	sw_ledger_close(l);
	verify_ok(ledger_path, 7);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_written_at_threshold, setup, teardown),
		cmocka_unit_test_setup_teardown(test_flush_and_sync_reach_the_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rotation_flushes_first, setup, teardown),
		cmocka_unit_test_setup_teardown(test_kill_loses_only_what_waits, setup, teardown),
		cmocka_unit_test_setup_teardown(test_kill_mid_write_torn_tail, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
