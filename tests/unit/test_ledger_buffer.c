/*
 * The ledger writer's line framing and its memory bound (ledger.c, issue 16
 * phase 3): a line is exactly {"seq":N,<body>,"prev":"...","hash":"..."}\n
 * with the hash a verifier computes independently (the expected hashes below
 * are Python's hashlib.sha256 of the line without its hash member, plus "}"),
 * and the written-but-unsynced lines kept in memory are bounded: a flush
 * fdatasyncs once 4 MiB were written since the last sync (SYNC_AFTER_BYTES),
 * not later, and not before; a buffer grown while writing failed is given
 * back once everything is written, with every record intact.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include "unit.h"
#include "ledger.h"
#include "ledger_fixture.h"

#define GOLDEN_BODY "\"type\":\"daemon\",\"time\":\"2026-12-02T06:00:00.000000Z\",\"event\":\"golden\"," \
		    "\"text\":\"caf\\u00E9 \\\"q\\\"\""
#define GOLDEN_HASH1 "20317a69b1503e5fce710e7e9479a5d0a3e6c50916940bd7be9b988c4be7c25c"
#define GOLDEN_HASH2 "ab003feddea619c074f14a719c10336927ea0803ed2a97d7ff78f16e708ff8fe"

static char *read_all(const char *path)
{
	FILE *f = fopen(path, "r");
	static char buf[4096];
	size_t n;

	assert_non_null(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = 0;
	fclose(f);
	return buf;
}

static void lines_are_byte_exact(void **state)
{
	struct sw_ledger *l;
	char err[700];
	const char *want = "{\"seq\":1," GOLDEN_BODY ",\"prev\":\"" SW_LEDGER_GENESIS "\",\"hash\":\"" GOLDEN_HASH1
			   "\"}\n{\"seq\":2," GOLDEN_BODY ",\"prev\":\"" GOLDEN_HASH1 "\",\"hash\":\"" GOLDEN_HASH2 "\"}\n";
	struct sw_verify_result res;
	(void)state;

	assert_int_equal(sw_ledger_open(ledger_path, &l, err, sizeof(err)), 0);
	assert_int_equal(sw_ledger_append_body(l, GOLDEN_BODY, strlen(GOLDEN_BODY), false, NULL, err, sizeof(err)), 0);
	assert_int_equal(sw_ledger_append_body(l, GOLDEN_BODY, strlen(GOLDEN_BODY), true, NULL, err, sizeof(err)), 0);
	assert_string_equal(sw_ledger_head(l), GOLDEN_HASH2);
	sw_ledger_close(l);
	assert_string_equal(read_all(ledger_path), want);
	assert_int_equal(sw_ledger_verify(ledger_path, &res), 0);
	assert_true(res.ok);
	assert_int_equal(res.records, 2);
}

/* seq numbers of every width are framed as "%llu" would write them. */
static void long_seq_numbers(void **state)
{
	static const uint64_t seqs[] = { 9, 98, 12345678901234ull, 999999999999999990ull };
	(void)state;

	for (size_t i = 0; i < sizeof(seqs) / sizeof(seqs[0]); i++) {
		struct sw_ledger_anchor a = { .seq = seqs[i] };
		struct sw_ledger_open_opts o = { .anchor = &a };
		struct sw_ledger *l;
		struct sw_verify_result res;
		char err[700], want[64];

		memset(a.head, 'a', 64);
		a.head[64] = 0;
		unlink(ledger_path);
		snprintf(want, sizeof(want), "\n{\"seq\":%llu,\"type\":\"daemon\"", (unsigned long long)seqs[i] + 2);
		assert_int_equal(sw_ledger_open_opts(ledger_path, &o, &l, err, sizeof(err)), 0);
		assert_int_equal(sw_ledger_append_body(l, GOLDEN_BODY, strlen(GOLDEN_BODY), true, NULL, err, sizeof(err)), 0);
		sw_ledger_close(l);
		assert_non_null(strstr(read_all(ledger_path), want));
		assert_int_equal(sw_ledger_verify(ledger_path, &res), 0);
		assert_true(res.ok);
		assert_int_equal(res.last_seq, seqs[i] + 2);
		{
			char path[160];
			snprintf(path, sizeof(path), "%s.head", ledger_path);
			unlink(path);
		}
	}
}

static off_t size_of(const char *path)
{
	struct stat st;

	assert_int_equal(stat(path, &st), 0);
	return st.st_size;
}

/* Unsynced records are written at 64 KiB waiting; the written ones are synced (and leave memory)
 * at the first flush past 4 MiB written, never before. */
static void written_lines_are_bounded(void **state)
{
	struct sw_ledger *l;
	char body[1200], err[700];
	off_t synced_at = 0;
	(void)state;

	assert_int_equal(sw_ledger_open(ledger_path, &l, err, sizeof(err)), 0);
	for (unsigned n = 1; n <= 12000; n++) {
		struct sw_ledger_anchor a;
		int len = snprintf(body, sizeof(body), "\"type\":\"daemon\",\"time\":\"2026-12-02T06:00:00.000000Z\","
				   "\"event\":\"bound_test\",\"n\":%u,\"padding\":\"%0900u\"", n, n);
		assert_int_equal(sw_ledger_append_body(l, body, (size_t)len, false, NULL, err, sizeof(err)), 0);
		sw_ledger_anchor(l, &a);
		if (a.seq && !synced_at) {
			synced_at = size_of(ledger_path);
			break;
		}
	}
	/* Synced by the flush that took the written bytes past 4 MiB: within one flush (64 KiB and a
	 * record) of it. */
	assert_true(synced_at > (off_t)(4u << 20));
	assert_true(synced_at <= (off_t)((4u << 20) + (64u << 10) + 2048));
	sw_ledger_close(l);
}

/* The soft limit only, so that it can be lifted again. */
static void set_file_size_limit(rlim_t n)
{
	struct rlimit r;

	assert_int_equal(getrlimit(RLIMIT_FSIZE, &r), 0);
	r.rlim_cur = n;
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &r), 0);
}

/* 12 MiB wait in memory while nothing can be written (the buffer grows past its normal bound);
 * when writing works again all of it is written and synced, the buffer shrinks, and the chain
 * goes on. */
static void buffer_given_back_after_failure(void **state)
{
	struct sw_ledger *l;
	struct sw_verify_result res;
	char body[1200], err[900];
	unsigned n;
	(void)state;

	signal(SIGXFSZ, SIG_IGN);
	assert_int_equal(sw_ledger_open(ledger_path, &l, err, sizeof(err)), 0);
	set_file_size_limit(4096);
	for (n = 1; n <= 12000; n++) {
		int len = snprintf(body, sizeof(body), "\"type\":\"daemon\",\"time\":\"2026-12-02T06:00:00.000000Z\","
				   "\"event\":\"burst\",\"n\":%u,\"padding\":\"%0960u\"", n, n);
		assert_int_equal(sw_ledger_append_body(l, body, (size_t)len, false, NULL, err, sizeof(err)), 0);
	}
	assert_int_equal(sw_ledger_flush(l, err, sizeof(err)), -1);
	assert_true(sw_ledger_failing(l));
	set_file_size_limit(RLIM_INFINITY);
	assert_int_equal(sw_ledger_retry(l, err, sizeof(err)), 0);
	assert_false(sw_ledger_failing(l));
	assert_int_equal(sw_ledger_lost(l), 0);
	/* The shrunk buffer takes more records. */
	for (; n <= 12100; n++) {
		int len = snprintf(body, sizeof(body), "\"type\":\"daemon\",\"time\":\"2026-12-02T06:00:00.000000Z\","
				   "\"event\":\"after\",\"n\":%u", n);
		assert_int_equal(sw_ledger_append_body(l, body, (size_t)len, n % 10 == 0, NULL, err, sizeof(err)), 0);
	}
	sw_ledger_close(l);
	assert_int_equal(sw_ledger_verify(ledger_path, &res), 0);
	assert_true(res.ok);
	assert_int_equal(res.records, 12100);
	assert_int_equal(res.gaps, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(lines_are_byte_exact, setup, teardown),
		cmocka_unit_test_setup_teardown(long_seq_numbers, setup, teardown),
		cmocka_unit_test_setup_teardown(written_lines_are_bounded, setup, teardown),
		cmocka_unit_test_setup_teardown(buffer_given_back_after_failure, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
