/* Hold ids (format, parse, unique run tags) and the history of decided holds
 * rebuilt from a ledger written by the ledger writer itself. */
#include "unit.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "hold_history.h"
#include "hold_id.h"
#include "ledger.h"

static void test_format_parse(void **s)
{
	(void)s;
	char buf[SW_HOLD_ID_TEXT_MAX];
	uint32_t run = (0x2a5u << 20) | 0x1b3c7u;
	uint64_t id = sw_hold_id_make(run, 12), back;
	bool bare;

	assert_int_equal(sw_hold_id_run(id), run);
	assert_int_equal(sw_hold_id_counter(id), 12);
	assert_int_equal(sw_hold_id_host_tag(run), 0x2a5);
	assert_true(id < (1ull << 62));   /* a positive JSON integer */
	sw_hold_id_format(id, buf, sizeof(buf));
	assert_int_equal(strlen(buf), 9);   /* "XXXXXX-12": short enough to type */
	assert_int_equal(buf[6], '-');
	assert_int_equal(sw_hold_id_parse(buf, &back, &bare), 0);
	assert_false(bare);
	assert_true(back == id);
	/* Case and Crockford's look-alikes do not matter. */
	for (char *c = buf; *c; c++)
		*c = (char)(*c >= 'a' && *c <= 'z' ? *c - 32 : *c);
	assert_int_equal(sw_hold_id_parse(buf, &back, &bare), 0);
	assert_true(back == id);
	assert_int_equal(sw_hold_id_parse("0000o1-3", &back, &bare), 0);
	assert_int_equal(sw_hold_id_parse("0000l1-3", &id, &bare), 0);
	assert_true(back == sw_hold_id_make(1, 3) && id == sw_hold_id_make(33, 3));

	/* Plain counters: an older daemon's ids, or a counter of this run. */
	assert_int_equal(sw_hold_id_parse("17", &back, &bare), 0);
	assert_true(bare);
	assert_true(back == 17);
	assert_int_equal(sw_hold_id_parse("#17", &back, &bare), 0);
	assert_true(bare && back == 17);
	sw_hold_id_format(17, buf, sizeof(buf));
	assert_string_equal(buf, "17");

	/* Not ids. */
	const char *bad[] = { "", "0", "-1", "abc", "k7q2m3-", "k7q2m3-0", "k7q2m-12", "k7q2m3x-12", "k7q2u3-12",
			      "000000-12", "k7q2m3-12x", "k7q2m3-99999999999", "12 ", "1e3" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(sw_hold_id_parse(bad[i], &back, &bare), -1);
}

static bool used_set(void *ctx, uint32_t run)
{
	const uint32_t *set = ctx;
	for (size_t i = 0; set[i]; i++)
		if (set[i] == run)
			return true;
	return false;
}

static bool all_used_but_one(void *ctx, uint32_t run)
{
	return run != *(uint32_t *)ctx;
}

static void test_run_tags(void **s)
{
	(void)s;
	uint32_t host = sw_hold_id_host_tag_of("machine-a"), seen[256] = { 0 };
	char a[8], b[8];

	assert_int_equal(host, sw_hold_id_host_tag_of("machine-a"));   /* stable */
	assert_true(host < 1024);
	assert_int_equal(sw_hold_id_this_host(), sw_hold_id_this_host());
	/* Each start draws a new tag on the same host tag, never one already used. */
	for (int i = 0; i < 255; i++) {
		uint32_t run = sw_hold_id_new_run(host, used_set, seen);
		assert_int_not_equal(run, 0);
		assert_int_equal(sw_hold_id_host_tag(run), host);
		assert_false(used_set(seen, run));
		seen[i] = run;
	}
	/* Two hosts' ids differ in their first two characters. */
	sw_hold_id_host_format(sw_hold_id_new_run(sw_hold_id_host_tag_of("machine-a"), NULL, NULL), a, sizeof(a));
	sw_hold_id_host_format(sw_hold_id_new_run(sw_hold_id_host_tag_of("machine-b"), NULL, NULL), b, sizeof(b));
	if (sw_hold_id_host_tag_of("machine-a") != sw_hold_id_host_tag_of("machine-b"))
		assert_string_not_equal(a, b);
	/* A host whose history used (almost) every tag still gets an unused one if it is drawn. */
	{
		uint32_t only = (host << 20) | 5;
		uint32_t run = sw_hold_id_new_run(host, all_used_but_one, &only);
		assert_int_equal(sw_hold_id_host_tag(run), host);
	}
}

/* ---- the history, from a ledger ---- */

static char dir[] = "/tmp/sqlward-unit-XXXXXX";
static char path[96];

static void append(struct sw_ledger *l, json_t *rec)
{
	char err[256];
	if (sw_ledger_append(l, rec, err, sizeof(err)) != 0)
		fail_msg("ledger append: %s", err);
	json_decref(rec);
}

/* A decision record as sw_holds_release writes it (the fields the history reads). */
static json_t *decision(uint64_t id, const char *sha, const char *verdict, const char *outcome, const char *by,
			const char *comment, long long held_us)
{
	return sw_event_record("statement",
			       json_pack("{s:s, s:s, s:i, s:s, s:s, s:s, s:s, s:s, s:s?, s:I, s:I}", "time",
					 "2026-12-01T10:00:00.000000Z", "statement", "UPDATE t SET v = 1 WHERE id = 1",
					 "statement_length", 31, "statement_sha256", sha, "verdict", verdict,
					 "rule", "hold-writes", "outcome", outcome, "decided_by", by, "comment", comment,
					 "held_us", (json_int_t)held_us, "hold_id", (json_int_t)id));
}

static void test_history_rebuild(void **s)
{
	(void)s;
	struct sw_ledger *l;
	struct sw_hold_history *h = sw_hold_history_new();
	const struct sw_hold_fate *f;
	char err[256], msg[512];
	uint32_t run = (7u << 20) | 99;
	uint64_t a = sw_hold_id_make(run, 1), b = sw_hold_id_make(run, 2), c = sw_hold_id_make(run, 3);
	const char *sha = "ab12cd34ab12cd34ab12cd34ab12cd34ab12cd34ab12cd34ab12cd34ab12cd34";

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/ledger.jsonl", dir);
	/* A missing ledger is an empty history. */
	assert_int_equal(sw_hold_history_update(h, path, err, sizeof(err)), 0);
	assert_null(sw_hold_history_find(h, a));

	assert_int_equal(sw_ledger_open(path, &l, err, sizeof(err)), 0);
	append(l, sw_daemon_record("start", NULL));
	/* Run 1: plain counters. Hold 1 ran; hold 2 was refused when the daemon stopped. */
	append(l, decision(1, sha, "allow", "ran", "alice,bob", "OPS-1", 2500000));
	append(l, decision(2, sha, "deny", "cancelled", "sqlward", "sqlward daemon stopping", 10));
	append(l, sw_daemon_record("stop", NULL));
	append(l, sw_daemon_record("start", NULL));
	/* Run 2: hold 1 again (another statement), timed out; the daemon then died with hold 2 held. */
	append(l, decision(1, sha, "deny", "timed_out", "sqlward", "no decision before the hold timeout", 900000000));
	append(l, sw_event_record("failure_mode", json_pack("{s:s, s:I, s:s, s:s, s:s}", "time",
							       "2026-12-01T11:00:00.000000Z", "hold_id", (json_int_t)2,
							       "outcome", "cancelled", "action",
							       "cancelled a statement held by the daemon when it died",
							       "statement_sha256", sha)));
	append(l, sw_daemon_record("start", NULL));
	/* Run 3: new ids. a approved, b denied by bob, c abandoned; an "approval" note is not a decision. */
	append(l, decision(a, sha, "allow", "ran", "alice", NULL, 1000000));
	append(l, sw_event_record("approval", json_pack("{s:I, s:s}", "hold_id", (json_int_t)c, "user", "alice")));
	append(l, decision(b, sha, "deny", "cancelled", "bob", "not today", 0));
	append(l, decision(c, sha, "deny", "abandoned", "sqlward", "the client disconnected while held", 0));
	sw_ledger_close(l);

	assert_int_equal(sw_hold_history_update(h, path, err, sizeof(err)), 0);
	assert_int_equal(sw_hold_history_runs(h), 3);
	assert_int_equal(sw_hold_history_size(h), 7);
	assert_true(sw_hold_history_run_seen(h, run));
	assert_false(sw_hold_history_run_seen(h, run + 1));

	/* Plain counter 1: the newest record wins (run 2's timeout), said to be from an earlier run. */
	f = sw_hold_history_find(h, 1);
	assert_non_null(f);
	assert_string_equal(f->outcome, "timed_out");
	assert_int_equal(f->run, 2);
	sw_hold_fate_describe(f, 3, msg, sizeof(msg));
	assert_string_equal(msg, "hold 1 timed out at 2026-12-01T10:15:00Z: nobody decided before its rule's timeout, "
				 "so it was refused, in a previous daemon run");
	f = sw_hold_history_find(h, 2);
	assert_true(f->daemon_died);
	sw_hold_fate_describe(f, 3, msg, sizeof(msg));
	assert_string_equal(msg, "hold 2 belonged to a previous daemon run that died; its watchdog refused it at "
				 "2026-12-01T11:00:00Z (outcome cancelled)");

	f = sw_hold_history_find(h, a);
	assert_true(f->approved);
	assert_string_equal(f->sha256, sha);
	sw_hold_fate_describe(f, 3, msg, sizeof(msg));
	assert_non_null(strstr(msg, "was approved by alice at 2026-12-01T10:00:01Z (outcome ran)"));
	assert_null(strstr(msg, "previous"));
	f = sw_hold_history_find(h, b);
	sw_hold_fate_describe(f, 3, msg, sizeof(msg));
	assert_non_null(strstr(msg, "was denied by bob at 2026-12-01T10:00:00Z (outcome cancelled)"));
	f = sw_hold_history_find(h, c);
	sw_hold_fate_describe(f, 3, msg, sizeof(msg));
	assert_non_null(strstr(msg, "was abandoned at"));
	assert_non_null(strstr(msg, "its client disconnected"));
	{
		/* Ended by the server (its thread, or mariadbd itself, gone): the recorded why, not the client. */
		struct sw_hold_fate by_server = *f;
		snprintf(by_server.decided_by, sizeof(by_server.decided_by), "server");
		snprintf(by_server.comment, sizeof(by_server.comment), "mariadbd exited while it was held");
		sw_hold_fate_describe(&by_server, 3, msg, sizeof(msg));
		assert_non_null(strstr(msg, "was abandoned at 2026-12-01T10:00:00Z: mariadbd exited while it was held"));
		assert_null(strstr(msg, "client"));
	}
	assert_null(sw_hold_history_find(h, sw_hold_id_make(run, 4)));

	/* Appended later: read from where the last update stopped. */
	assert_int_equal(sw_ledger_open(path, &l, err, sizeof(err)), 0);
	append(l, sw_daemon_record("stop", NULL));
	append(l, sw_daemon_record("start", NULL));
	append(l, decision(sw_hold_id_make(run, 4), sha, "deny", "cancelled", "sqlward", "sqlward daemon stopping", 0));
	sw_ledger_close(l);
	assert_int_equal(sw_hold_history_update(h, path, err, sizeof(err)), 0);
	assert_int_equal(sw_hold_history_runs(h), 4);
	assert_int_equal(sw_hold_history_size(h), 8);
	f = sw_hold_history_find(h, sw_hold_id_make(run, 4));
	sw_hold_fate_describe(f, 5, msg, sizeof(msg));
	assert_non_null(strstr(msg, "belonged to a previous daemon run and was refused when it stopped"));

	/* A record being written (no newline yet) waits for the next update. */
	{
		FILE *fp = fopen(path, "a");
		fputs("{\"seq\":99,\"type\":\"statement\",\"hold_id\":5", fp);
		fclose(fp);
	}
	assert_int_equal(sw_hold_history_update(h, path, err, sizeof(err)), 0);
	assert_int_equal(sw_hold_history_size(h), 8);
	sw_hold_history_free(h);
	unlink(path);
	{
		char head[128];
		snprintf(head, sizeof(head), "%s.head", path);
		unlink(head);   /* the writer's durable chain end */
	}
}

/* Memory stays bounded: the oldest decided holds are forgotten first. */
static void test_history_bounded(void **s)
{
	(void)s;
	struct sw_hold_history *h = sw_hold_history_new();
	struct sw_hold_fate f = { .approved = true };

	snprintf(f.outcome, sizeof(f.outcome), "ran");
	for (uint32_t i = 1; i <= SW_HOLD_HISTORY_MAX + 10; i++) {
		f.id = sw_hold_id_make(1 + i / 100, i);
		sw_hold_history_add(h, &f);
	}
	assert_int_equal(sw_hold_history_size(h), SW_HOLD_HISTORY_MAX);
	assert_null(sw_hold_history_find(h, sw_hold_id_make(1, 1)));
	assert_null(sw_hold_history_find(h, sw_hold_id_make(1, 10)));
	assert_non_null(sw_hold_history_find(h, sw_hold_id_make(1 + 11 / 100, 11)));
	assert_non_null(sw_hold_history_find(h, sw_hold_id_make(1 + (SW_HOLD_HISTORY_MAX + 10) / 100,
								  SW_HOLD_HISTORY_MAX + 10)));
	sw_hold_history_free(h);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_format_parse),
		cmocka_unit_test(test_run_tags),
		cmocka_unit_test(test_history_rebuild),
		cmocka_unit_test(test_history_bounded),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
