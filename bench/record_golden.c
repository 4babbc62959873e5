/*
 * Deterministic ledger writer for "records stay byte-identical" checks (issue 16
 * phase 3): the same statement records, with fixed times and a fixed random
 * corpus (control bytes, quotes, backslashes, invalid UTF-8, 2-4-byte sequences,
 * texts over 64 KiB that go to the blob store, extras, who fields, embedded and
 * separate completions, jansson-built records), written through whatever record
 * path the objects it is linked with have. Link it with the objects of two trees
 * (before and after a change) and compare the two ledgers and blob stores with
 * cmp and diff -r. Use the same file name in two directories: blob paths name
 * the ledger file.
 *
 * usage: record_golden POLICY LEDGER N
 * build: $(CC) $(CFLAGS_COMMON) -O1 -o record_golden bench/record_golden.c $(LIB_OBJ) $(LIBS)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "analysis_cache.h"
#include "json_writer.h"
#include "ledger.h"
#include "policy.h"
#include "statement.h"

#define MAX_STMTS 64

static unsigned seed = 777;

/* Random bytes: mostly ASCII, some control bytes, quotes, backslashes, valid sequences of 2-4
 * bytes and stray bytes >= 0x80; one text in 8 is over 64 KiB, one in 8 only valid UTF-8. */
static size_t random_text(char *buf, size_t cap)
{
	int kind = rand_r(&seed) % 8;
	size_t len = kind == 0 ? 60000 + (size_t)(rand_r(&seed) % 12000) : (size_t)(rand_r(&seed) % 200);

	if (len > cap)
		len = cap;
	for (size_t i = 0; i < len; i++) {
		int r = rand_r(&seed) % 100;
		if (r < 80) {
			buf[i] = (char)(0x20 + rand_r(&seed) % 0x60);
		} else if (r < 85) {
			buf[i] = (char)(rand_r(&seed) % 0x20);
		} else if (r < 88) {
			buf[i] = '"';
		} else if (r < 91) {
			buf[i] = '\\';
		} else if (r < 95 && i + 4 <= len) {
			memcpy(buf + i, "\xF0\x9F\x98\x80", 4);
			i += 3;
		} else if (r < 97 && i + 2 <= len) {
			memcpy(buf + i, "\xC3\xA9", 2);
			i += 1;
		} else if (r < 98 && i + 3 <= len) {
			memcpy(buf + i, "\xE2\x80\xAE", 3);
			i += 2;
		} else {
			buf[i] = (char)(0x80 + rand_r(&seed) % 0x80);
		}
	}
	if (kind == 1)
		for (size_t i = 0; i < len; i++)
			if ((unsigned char)buf[i] >= 0x80 || buf[i] == 0)
				buf[i] = 'x';
	return len;
}

static int fail(const char *what, const char *err)
{
	fprintf(stderr, "record_golden: %s: %s\n", what, err);
	return 1;
}

/* The statement record with its completion embedded, then a completion record of its own, as
 * postgres/pg_completion.c writes them. */
static int append_with_completion(struct sw_ledger *l, const struct sw_decision *d, long i, bool sync)
{
	static struct sw_jw w;
	struct sw_full_text ft;
	char err[1024];
	struct sw_completion_facts f = {
		.time = d->time, .engine = d->engine, .pid = d->pid, .role = d->role, .statement_id = (uint64_t)i,
		.outcome = "ran", .rows = i, .commands = 1, .command = "SELECT", .sqlstate = i % 3 ? NULL : "57014",
		.duration_ms = i % 100, .budget_ms = i % 11 == 0 ? 5 : 0, .embedded = true,
	};

	sw_ledger_keep_full_text(l, d, &ft);
	sw_jw_reset(&w);
	sw_decision_members(&w, d, &ft);
	sw_jw_key(&w, "completion");
	sw_jw_object(&w);
	sw_completion_members(&w, &f);
	sw_jw_object_end(&w);
	if (sw_ledger_append_body(l, w.buf, w.len, sync, NULL, err, sizeof(err)) < 0)
		return fail("append", err);
	f.embedded = false;
	f.statement_seq = sw_ledger_seq(l);
	sw_jw_reset(&w);
	sw_completion_members(&w, &f);
	if (sw_ledger_append_body(l, w.buf, w.len, false, NULL, err, sizeof(err)) < 0)
		return fail("append", err);
	return 0;
}

int main(int argc, char **argv)
{
	static char text[80000];
	struct sw_policy *p;
	struct sw_ledger *l;
	struct sw_acache *cache;
	struct sw_who_cache who = { 0 };
	char err[1024];
	long n = argc > 3 ? atol(argv[3]) : 0;

	if (argc < 4 || n < 1) {
		fprintf(stderr, "usage: record_golden POLICY LEDGER N\n");
		return 2;
	}
	if (sw_policy_load(argv[1], &p, err, sizeof(err)) < 0)
		return fail(argv[1], err);
	unlink(argv[2]);
	if (sw_ledger_open(argv[2], &l, err, sizeof(err)) < 0)
		return fail(argv[2], err);
	cache = sw_acache_new(64);
	sw_who_cache_update(&who, "pgbench \xC3\xA9 \x01 request=abc", "/usr/bin/\"x\"", "a\\b\tc \xFF");
	for (long i = 0; i < n; i++) {
		struct sw_analysis a;
		struct sw_judgement per[MAX_STMTS], overall;
		struct sw_subject subj = { .role = i % 2 ? "agent_x" : "app_user", .database = "bench" };
		struct sw_decision d;
		json_t *extra = NULL;
		size_t len = i % 3 == 0 ? (size_t)snprintf(text, sizeof(text), "SELECT abalance FROM pgbench_accounts "
							    "WHERE aid = %ld; %s", i, i % 6 ? "" : "DROP TABLE x;")
				       : random_text(text, sizeof(text));
		int rc = 0;

		sw_acache_analyze(cache, text, len, &a);
		if (a.n_stmts > MAX_STMTS) {
			sw_analysis_free(&a);
			continue;
		}
		sw_policy_judge(p, &subj, &a, per, &overall);
		if (i % 5 == 0)
			extra = json_pack("{s:s, s:[i, s, f, b, n], s:{s:s}}", "parameters", "p\xC3\xA9\n", "list", 1,
					  "x\x7f", 1.5, 1, "setting", "k\"", "v");
		d = (struct sw_decision){
			.time = { 1764666000 + i / 7, (i * 123457) % 1000000000 },
			.engine = i % 5 ? SW_ENGINE_POSTGRES : SW_ENGINE_MYSQL, .pid = 4242 + (int)i, .role = subj.role,
			.database = i % 4 ? "bench" : NULL, .client = i % 3 ? "127.0.0.1:40000" : "local",
			.governed = i % 2, .statement = text, .statement_len = len, .statement_complete = i % 7 != 0,
			.analysis = &a, .per_stmt = per, .overall = &overall, .outcome = i % 2 ? "ran" : "observed",
			.held_us = (uint64_t)i * 13, .decided_by = i % 4 == 1 ? "policy" : NULL,
			.comment = i % 9 == 0 ? "ok \"c\" \xE2\x80\xAE" : NULL, .via = i % 8 == 0 ? "bind" : NULL,
			.extra = extra,
		};
		if (i % 2)
			d.who = (struct sw_who_ref){ .fields = &who, .request_id = i % 4 == 1 ? "req-\x01\xC3\xA9" : NULL,
						     .at = (size_t)(i % 3) };
		if (i % 10 == 3) {
			/* Through jansson, as held statements are. */
			json_t *rec = sw_ledger_decision_record(l, &d);
			json_object_set_new(rec, "time", json_string("2026-12-02T09:00:00.000001Z"));
			if (sw_ledger_append_opts(l, rec, false, NULL, err, sizeof(err)) < 0)
				rc = fail("append", err);
			json_decref(rec);
		} else if (i % 2) {
			rc = append_with_completion(l, &d, i, i % 50 == 1);
		} else if (sw_ledger_append_decision(l, &d, false, NULL, err, sizeof(err)) < 0) {
			rc = fail("append", err);
		}
		json_decref(extra);
		sw_analysis_free(&a);
		if (rc)
			return rc;
	}
	sw_ledger_close(l);
	sw_who_cache_free(&who);
	sw_acache_free(cache);
	sw_policy_free(p);
	return 0;
}
