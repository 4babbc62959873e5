/* Ledger: hash chain, tamper detection, reopening, record format, log and verify commands. */
#include "unit.h"
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <openssl/evp.h>
#include "commands.h"
#include "ledger.h"
#include "statement_json.h"
#include "util.h"
#include "ledger_fixture.h"

/* ---- fixtures ---- */

/*
 * fdatasync, interposed: the ledger calls this one (tests set fail_fdatasync to
 * see an EIO, as after a disk error), which otherwise makes the real call.
 */
static int fail_fdatasync;

int fdatasync(int fd)
{
	if (fail_fdatasync) {
		errno = EIO;
		return -1;
	}
	return (int)syscall(SYS_fdatasync, fd);
}

/* A hand-made one-statement analysis (no classifier involved). */
struct fake {
	struct sw_stmt st[2];
	struct sw_analysis a;
	struct sw_judgement per[2];
	struct sw_judgement overall;
	struct sw_decision d;
};

static void fake_init(struct fake *f, const char *role, enum sw_verdict v, const char *sql, time_t when)
{
	memset(f, 0, sizeof(*f));
	f->st[0].text = sw_xstrdup(sql);
	f->st[0].cls = v == SW_VERDICT_ALLOW ? SW_CLASS_READ : SW_CLASS_WRITE;
	f->st[0].command = sw_xstrdup(v == SW_VERDICT_ALLOW ? "SELECT" : "UPDATE");
	sw_stmt_add_object(&f->st[0], "app.accounts", SW_LOCK_ROW_EXCLUSIVE);
	sw_strv_push(&f->st[0].reasons, "updates app.accounts");
	f->st[0].traits = SW_TRAIT_NO_WHERE;
	f->a.engine = SW_ENGINE_POSTGRES;
	f->a.parse_ok = true;
	f->a.stmts = f->st;
	f->a.n_stmts = 1;
	f->per[0].verdict = v;
	f->per[0].rule_id = v == SW_VERDICT_ALLOW ? "reads" : "writes";
	f->per[0].reason = v == SW_VERDICT_ALLOW ? NULL : "writes need approval";
	f->overall = f->per[0];
	f->d.time.tv_sec = when;
	f->d.time.tv_nsec = 123456000;
	f->d.engine = SW_ENGINE_POSTGRES;
	f->d.pid = 4242;
	f->d.role = role;
	f->d.database = "appdb";
	f->d.client = "10.0.0.7:51234";
	f->d.governed = true;
	f->d.statement = sql;
	f->d.statement_len = strlen(sql);
	f->d.statement_complete = true;
	f->d.analysis = &f->a;
	f->d.per_stmt = f->per;
	f->d.overall = &f->overall;
	f->d.outcome = v == SW_VERDICT_DENY ? "cancelled" : "ran";
	f->d.held_us = v == SW_VERDICT_HOLD ? 2500000 : 0;
	f->d.decided_by = v == SW_VERDICT_HOLD ? "bob" : "policy";
	f->d.comment = v == SW_VERDICT_HOLD ? "ok for the migration" : NULL;
}

static void fake_free(struct fake *f)
{
	for (size_t i = 0; i < 2; i++)
		sw_stmt_free(&f->st[i]);
}

#define T0 1795784400 /* 2026-11-27T13:00:00Z */

static void append_decision(struct sw_ledger *l, const char *role, enum sw_verdict v, const char *sql,
			    time_t when)
{
	struct fake f;
	char err[512];
	json_t *rec;

	fake_init(&f, role, v, sql, when);
	rec = sw_decision_record(&f.d);
	assert_non_null(rec);
	if (sw_ledger_append(l, rec, err, sizeof(err)) != 0)
		fail_msg("append: %s", err);
	json_decref(rec);
	fake_free(&f);
}

/*
 * Remove a ledger with its head file and full-text store: the next open starts
 * an unrelated chain (a file removed alone would be continued from PATH.head).
 */
static void ledger_remove(const char *path)
{
	char cmd[400];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s' '%s.head' '%s.blobs'", path, path, path);
	assert_int_equal(system(cmd), 0);
}

/* Write n statement records to a fresh ledger. */
static void make_ledger(size_t n)
{
	struct sw_ledger *l;
	char err[512];

	ledger_remove(ledger_path);
	if (sw_ledger_open(ledger_path, &l, err, sizeof(err)) != 0)
		fail_msg("open: %s", err);
	for (size_t i = 0; i < n; i++) {
		char sql[64];
		snprintf(sql, sizeof(sql), "UPDATE app.accounts SET n = %zu", i);
		append_decision(l, i % 2 ? "agent_a" : "alice", (enum sw_verdict)(i % 3), sql,
				T0 + (time_t)i * 60);
	}
	sw_ledger_close(l);
}

static char *read_all(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t cap = 0;

	assert_non_null(f);
	*len = 0;
	for (;;) {
		buf = sw_xrealloc(buf, cap + 4097);
		size_t r = fread(buf + *len, 1, 4096, f);
		*len += r;
		cap += 4096;
		if (r < 4096)
			break;
	}
	buf[*len] = '\0';
	fclose(f);
	return buf;
}

static void write_all(const char *path, const char *data, size_t len)
{
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

/* The file as lines (each with its '\n', except a torn last one). */
struct lines {
	char *v[64];
	size_t n;
};

static void lines_read(struct lines *ls)
{
	FILE *f = fopen(ledger_path, "r");
	char *line = NULL;
	size_t cap = 0;

	assert_non_null(f);
	ls->n = 0;
	while (getline(&line, &cap, f) != -1) {
		assert_true(ls->n < 64);
		ls->v[ls->n++] = sw_xstrdup(line);
	}
	free(line);
	fclose(f);
}

static void lines_write_free(struct lines *ls)
{
	FILE *f = fopen(ledger_path, "w");
	assert_non_null(f);
	for (size_t i = 0; i < ls->n; i++) {
		fputs(ls->v[i], f);
		free(ls->v[i]);
	}
	fclose(f);
	ls->n = 0;
}

static void lines_delete(struct lines *ls, size_t i)
{
	free(ls->v[i]);
	memmove(&ls->v[i], &ls->v[i + 1], (ls->n - i - 1) * sizeof(char *));
	ls->n--;
}

static void lines_insert(struct lines *ls, size_t i, char *s)
{
	memmove(&ls->v[i + 1], &ls->v[i], (ls->n - i) * sizeof(char *));
	ls->v[i] = s;
	ls->n++;
}

static void expect_bad(size_t line, const char *reason_part, size_t records_before)
{
	struct sw_verify_result res;

	assert_int_equal(sw_ledger_verify(ledger_path, &res), 0);
	if (res.ok)
		fail_msg("expected line %zu to be bad (%s), but the chain verified", line, reason_part);
	if (res.bad_line != line || !strstr(res.reason, reason_part))
		fail_msg("expected line %zu: %s; got line %zu: %s", line, reason_part, res.bad_line,
			 res.reason);
	assert_int_equal(res.records, records_before);
}

static json_t *parse_line(const char *s)
{
	json_error_t e;
	json_t *j = json_loads(s, 0, &e);
	if (!j)
		fail_msg("bad JSON in test: %s", e.text);
	return j;
}

/* ---- chain basics ---- */

static void test_canonical(void **state)
{
	(void)state;
	/* The hashed bytes: the record in its own key order, compact, ASCII-only, without "hash". */
	json_t *o = json_pack("{s:i, s:s, s:s, s:{s:b, s:n}}", "b", 1, "a", "caf\xC3\xA9", "hash", "x",
			      "c", "z", 1, "y");
	char *c = sw_ledger_canonical(o);
	assert_string_equal(c, "{\"b\":1,\"a\":\"caf\\u00E9\",\"c\":{\"z\":true,\"y\":null}}");
	free(c);
	/* The record itself still has its hash. */
	assert_non_null(json_object_get(o, "hash"));
	json_decref(o);

	char hex[65];
	sw_sha256_hex("abc", 3, hex);
	assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

/* The documented recipe: sha256(line[:line.rindex(',"hash":')] + "}") is the record's hash. */
static void test_hash_recipe(void **state)
{
	struct lines ls;
	char calc[65];
	(void)state;

	make_ledger(5);
	lines_read(&ls);
	for (size_t i = 0; i < ls.n; i++) {
		char *line = ls.v[i], *tail = strstr(line, ",\"hash\":\""), *next;
		while ((next = strstr(tail + 1, ",\"hash\":\"")))
			tail = next;
		char *body = sw_xasprintf("%.*s}", (int)(tail - line), line);
		sw_sha256_hex(body, strlen(body), calc);
		json_t *r = parse_line(line);
		assert_string_equal(calc, json_string_value(json_object_get(r, "hash")));
		/* ASCII-only lines, "seq" first, "prev" and "hash" last. */
		for (const char *q = line; *q; q++)
			assert_true((unsigned char)*q < 0x80);
		assert_true(strncmp(line, "{\"seq\":", 7) == 0);
		assert_non_null(strstr(line, ",\"prev\":\""));
		json_decref(r);
		free(body);
	}
	lines_write_free(&ls);
}

static size_t count_lines(const char *s)
{
	size_t n = 0;
	for (; *s; s++)
		n += *s == '\n';
	return n;
}

/* The daemon's direct writer and the jansson path write the same bytes for the same decision. */
static void test_fast_path_same_line(void **state)
{
	static const char *const sqls[] = {
		"UPDATE app.accounts SET n = 0",
		"SELECT 'caf\xC3\xA9 \xE2\x80\xAE bidi', E'\\t\\n', \"q\"\"x\" FROM t -- \x01\x1b[31m",
		"SELECT '\xF0\x9F\x98\x80' /* astral */",
		"SELECT '\xFF\xFE not utf-8'",
		"",
	};
	char err[512], path2[300];
	(void)state;

	snprintf(path2, sizeof(path2), "%s.fast", ledger_path);
	for (size_t i = 0; i < sizeof(sqls) / sizeof(sqls[0]); i++) {
		struct sw_ledger *a, *b;
		struct fake f;
		json_t *rec;

		ledger_remove(ledger_path);
		ledger_remove(path2);
		assert_int_equal(sw_ledger_open(ledger_path, &a, err, sizeof(err)), 0);
		assert_int_equal(sw_ledger_open(path2, &b, err, sizeof(err)), 0);
		for (int v = 0; v < 3; v++) {
			fake_init(&f, v == 1 ? "r\xC3\xB4le\"\\" : "alice", (enum sw_verdict)v, sqls[i], T0 + v);
			rec = sw_decision_record(&f.d);
			assert_int_equal(sw_ledger_append_opts(a, rec, v == 2, NULL, err, sizeof(err)), 0);
			json_decref(rec);
			assert_int_equal(sw_ledger_append_decision(b, &f.d, v == 2, NULL, err, sizeof(err)), 0);
			fake_free(&f);
		}
		sw_ledger_close(a);
		sw_ledger_close(b);
		size_t la, lb;
		char *ta = read_all(ledger_path, &la), *tb = read_all(path2, &lb);
		assert_int_equal(la, lb);
		assert_memory_equal(ta, tb, la);
		free(ta);
		free(tb);
		struct sw_verify_result res;
		assert_int_equal(sw_ledger_verify(path2, &res), 0);
		assert_true(res.ok);
		assert_int_equal(res.records, 3);
	}
	ledger_remove(path2);
}

/* Unsynced records wait in memory until a flush, a sync or a synced record; order is kept. */
static void test_batched_writes(void **state)
{
	struct sw_ledger *l;
	struct fake f;
	char err[512];
	size_t len;
	char *t;
	uint64_t seq;
	(void)state;

	ledger_remove(ledger_path);
	assert_int_equal(sw_ledger_open(ledger_path, &l, err, sizeof(err)), 0);
	fake_init(&f, "alice", SW_VERDICT_ALLOW, "SELECT 1", T0);
	assert_int_equal(sw_ledger_append_decision(l, &f.d, false, &seq, err, sizeof(err)), 0);
	assert_int_equal(seq, 1);
	assert_int_equal(sw_ledger_append_decision(l, &f.d, false, &seq, err, sizeof(err)), 0);
	t = read_all(ledger_path, &len);
	assert_int_equal(len, 0);
	free(t);
	assert_int_equal(sw_ledger_flush(l, err, sizeof(err)), 0);
	t = read_all(ledger_path, &len);
	assert_int_equal(count_lines(t), 2);
	free(t);
	/* A synced record writes what waits before it, then itself. */
	assert_int_equal(sw_ledger_append_decision(l, &f.d, false, NULL, err, sizeof(err)), 0);
	assert_int_equal(sw_ledger_append_decision(l, &f.d, true, &seq, err, sizeof(err)), 0);
	assert_int_equal(seq, 4);
	t = read_all(ledger_path, &len);
	assert_int_equal(count_lines(t), 4);
	free(t);
	assert_int_equal(sw_ledger_append_decision(l, &f.d, false, NULL, err, sizeof(err)), 0);
	sw_ledger_close(l);
	fake_free(&f);
	struct sw_verify_result res;
	assert_int_equal(sw_ledger_verify(ledger_path, &res), 0);
	assert_true(res.ok);
	assert_int_equal(res.records, 5);
}

static void test_append_verify(void **state)
{
	struct sw_verify_result res;
	struct sw_ledger *l;
	char err[512];
	struct lines ls;
	(void)state;

	make_ledger(10);
	assert_int_equal(sw_ledger_verify(ledger_path, &res), 0);
	assert_true(res.ok);
	assert_int_equal(res.records, 10);
	assert_int_equal(res.bad_line, 0);

	/* Record layout of the first and second lines. */
	lines_read(&ls);
	assert_int_equal(ls.n, 10);
	json_t *r1 = parse_line(ls.v[0]), *r2 = parse_line(ls.v[1]);
	assert_true(strncmp(ls.v[0], "{\"seq\":1,\"type\":\"statement\",\"time\":", 35) == 0);
	assert_int_equal(json_integer_value(json_object_get(r1, "seq")), 1);
	assert_string_equal(json_string_value(json_object_get(r1, "prev")), SW_LEDGER_GENESIS);
	assert_string_equal(json_string_value(json_object_get(r2, "prev")),
			    json_string_value(json_object_get(r1, "hash")));
	assert_string_equal(json_string_value(json_object_get(r1, "time")), "2026-11-27T13:00:00.123456Z");
	assert_string_equal(json_string_value(json_object_get(r1, "role")), "alice");
	assert_string_equal(json_string_value(json_object_get(r1, "engine")), "postgres");
	assert_int_equal(json_integer_value(json_object_get(r1, "pid")), 4242);
	assert_string_equal(json_string_value(json_object_get(r1, "database")), "appdb");
	assert_string_equal(json_string_value(json_object_get(r1, "client")), "10.0.0.7:51234");
	assert_true(json_is_true(json_object_get(r1, "governed")));
	assert_string_equal(json_string_value(json_object_get(r1, "statement")),
			    "UPDATE app.accounts SET n = 0");
	assert_null(json_object_get(r1, "statement_truncated"));
	assert_null(json_object_get(r1, "statement_encoding"));
	assert_true(json_is_true(json_object_get(r1, "statement_complete")));
	assert_string_equal(json_string_value(json_object_get(r1, "class")), "read");
	assert_string_equal(json_string_value(json_object_get(r1, "command")), "SELECT");
	assert_string_equal(json_string_value(json_array_get(json_object_get(r1, "objects"), 0)),
			    "app.accounts");
	assert_string_equal(json_string_value(json_array_get(json_object_get(r1, "traits"), 0)), "no_where");
	assert_string_equal(json_string_value(json_object_get(r1, "verdict")), "allow");
	assert_string_equal(json_string_value(json_object_get(r1, "rule")), "reads");
	assert_null(json_object_get(r1, "reason"));   /* NULL omitted */
	assert_null(json_object_get(r1, "comment"));  /* NULL omitted */
	assert_null(json_object_get(r1, "statements")); /* single statement */
	assert_string_equal(json_string_value(json_array_get(json_object_get(r1, "reasons"), 0)),
			    "updates app.accounts");
	assert_int_equal(json_integer_value(json_object_get(r1, "held_us")), 0);
	assert_string_equal(json_string_value(json_object_get(r1, "outcome")), "ran");
	assert_string_equal(json_string_value(json_object_get(r1, "decided_by")), "policy");
	assert_string_equal(json_string_value(json_object_get(r2, "verdict")), "hold");
	assert_string_equal(json_string_value(json_object_get(r2, "reason")), "writes need approval");
	assert_string_equal(json_string_value(json_object_get(r2, "comment")), "ok for the migration");
	assert_int_equal(json_integer_value(json_object_get(r2, "held_us")), 2500000);
	{
		char sha[65];
		const char *s = json_string_value(json_object_get(r1, "statement"));
		sw_sha256_hex(s, strlen(s), sha);
		assert_string_equal(json_string_value(json_object_get(r1, "statement_sha256")), sha);
		assert_int_equal(json_integer_value(json_object_get(r1, "statement_length")), strlen(s));
	}
	json_decref(r1);
	json_decref(r2);

	/* The head reported by verify is the last line's hash, and open agrees. */
	json_t *last = parse_line(ls.v[9]);
	assert_string_equal(res.head, json_string_value(json_object_get(last, "hash")));
	json_decref(last);
	for (size_t i = 0; i < ls.n; i++)
		free(ls.v[i]);
	assert_int_equal(sw_ledger_open(ledger_path, &l, err, sizeof(err)), 0);
	assert_int_equal(sw_ledger_seq(l), 10);
	assert_string_equal(sw_ledger_head(l), res.head);
	sw_ledger_close(l);
}

static void test_empty_ledger(void **state)
{
	struct sw_verify_result res;
	struct sw_ledger *l;
	char err[512];
	struct stat st;
	(void)state;

	assert_int_equal(sw_ledger_open(ledger_path, &l, err, sizeof(err)), 0);
	assert_int_equal(sw_ledger_seq(l), 0);
	assert_string_equal(sw_ledger_head(l), SW_LEDGER_GENESIS);
	sw_ledger_close(l);
	assert_int_equal(stat(ledger_path, &st), 0);
	assert_int_equal(st.st_size, 0);
	assert_int_equal(st.st_mode & 0077 & ~0040, 0); /* at most 0640 */
	assert_int_equal(sw_ledger_verify(ledger_path, &res), 0);
	assert_true(res.ok);
	assert_int_equal(res.records, 0);
	assert_string_equal(res.head, SW_LEDGER_GENESIS);
}

static void test_reopen_continues(void **state)
{
	struct sw_verify_result res;
	struct sw_ledger *l;
	char err[512], head3[65];
	struct lines ls;
	(void)state;

	make_ledger(3);
	assert_int_equal(sw_ledger_open(ledger_path, &l, err, sizeof(err)), 0);
	assert_int_equal(sw_ledger_seq(l), 3);
	strcpy(head3, sw_ledger_head(l));
	append_decision(l, "agent_x", SW_VERDICT_DENY, "DROP TABLE t", T0 + 500);
	json_t *ev = sw_daemon_record("start", json_pack("{s:s, s:i}", "policy", "/etc/sqlward/policy.yaml",
							 "pid", 77));
	assert_int_equal(sw_ledger_append(l, ev, err, sizeof(err)), 0);
	json_decref(ev);
	assert_int_equal(sw_ledger_seq(l), 5);
	sw_ledger_close(l);

	assert_int_equal(sw_ledger_verify(ledger_path, &res), 0);
	assert_true(res.ok);
	assert_int_equal(res.records, 5);
	lines_read(&ls);
	json_t *r4 = parse_line(ls.v[3]), *r5 = parse_line(ls.v[4]);
	assert_int_equal(json_integer_value(json_object_get(r4, "seq")), 4);
	assert_string_equal(json_string_value(json_object_get(r4, "prev")), head3);
	assert_string_equal(json_string_value(json_object_get(r5, "type")), "daemon");
	assert_string_equal(json_string_value(json_object_get(r5, "event")), "start");
	assert_int_equal(json_integer_value(json_object_get(r5, "pid")), 77);
	json_decref(r4);
	json_decref(r5);
	for (size_t i = 0; i < ls.n; i++)
		free(ls.v[i]);
}

static void test_append_opts(void **state)
{
	struct sw_verify_result res;
	struct sw_ledger *l;
	char err[512];
	uint64_t seq = 0;
	(void)state;

	assert_int_equal(sw_ledger_open(ledger_path, &l, err, sizeof(err)), 0);
	for (int i = 0; i < 3; i++) {
		json_t *ev = sw_daemon_record("ringbuf_drop", json_pack("{s:i}", "dropped", i));
		assert_int_equal(sw_ledger_append_opts(l, ev, i == 2, &seq, err, sizeof(err)), 0);
		assert_int_equal(seq, (uint64_t)i + 1);
		json_decref(ev);
	}
	assert_int_equal(sw_ledger_sync(l, err, sizeof(err)), 0);
	/* A caller-provided type cannot turn a daemon record into something else. */
	json_t *ev = sw_daemon_record("stop", json_pack("{s:s}", "type", "statement"));
	assert_string_equal(json_string_value(json_object_get(ev, "type")), "daemon");
	assert_int_equal(sw_ledger_append(l, ev, err, sizeof(err)), 0);
	json_decref(ev);
	ev = sw_event_record("policy", json_pack("{s:s, s:s}", "event", "load", "digest", "ab"));
	assert_int_equal(sw_ledger_append(l, ev, err, sizeof(err)), 0);
	json_decref(ev);
	sw_ledger_close(l);
	assert_int_equal(sw_ledger_verify(ledger_path, &res), 0);
	assert_true(res.ok);
	assert_int_equal(res.records, 5);
}

static void test_lock(void **state)
{
	struct sw_ledger *l, *l2;
	char err[512];
	(void)state;

	make_ledger(1);
	assert_int_equal(sw_ledger_open(ledger_path, &l, err, sizeof(err)), 0);
	assert_int_equal(sw_ledger_open(ledger_path, &l2, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "locked by another process"));
	sw_ledger_close(l);
	assert_int_equal(sw_ledger_open(ledger_path, &l2, err, sizeof(err)), 0);
	sw_ledger_close(l2);
}

static void test_append_rejects_bad_record(void **state)
{
	struct sw_ledger *l;
	char err[512];
	(void)state;

	assert_int_equal(sw_ledger_open(ledger_path, &l, err, sizeof(err)), 0);
	json_t *r = json_pack("{s:s}", "type", "statement"); /* no verdict etc. */
	assert_int_equal(sw_ledger_append(l, r, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "required field"));
	json_decref(r);
	r = json_pack("{s:s, s:s}", "type", "daemon", "time", "yesterday");
	assert_int_equal(sw_ledger_append(l, r, err, sizeof(err)), -1);
	json_decref(r);
	assert_int_equal(sw_ledger_seq(l), 0);
	/* seq/prev/hash given by the caller are replaced. */
	r = json_pack("{s:s, s:s, s:i, s:s, s:s}", "type", "other", "event", "x", "seq", 99, "prev", "zz",
		      "hash", "yy");
	assert_int_equal(sw_ledger_append(l, r, err, sizeof(err)), 0);
	json_decref(r);
	sw_ledger_close(l);
	struct sw_verify_result res;
	assert_int_equal(sw_ledger_verify(ledger_path, &res), 0);
	assert_true(res.ok);
	assert_int_equal(res.records, 1);
}

/* ---- tampering ---- */

static void test_tamper_edit(void **state)
{
	struct lines ls;
	(void)state;
	make_ledger(6);
	lines_read(&ls);
	char *p = strstr(ls.v[2], "\"alice\"");
	assert_non_null(p);
	memcpy(p, "\"eve\"  ", 7); /* same length, still valid JSON */
	lines_write_free(&ls);
	expect_bad(3, "hash mismatch: record was edited", 2);
}

static void test_tamper_edit_verdict(void **state)
{
	struct lines ls;
	(void)state;
	make_ledger(6);
	lines_read(&ls);
	char *p = strstr(ls.v[5], "\"verdict\":\"deny\"");
	assert_non_null(p);
	memcpy(p, "\"verdict\":\"hold\"", 16);
	lines_write_free(&ls);
	expect_bad(6, "hash mismatch", 5);
}

static void test_tamper_delete_middle(void **state)
{
	struct lines ls;
	(void)state;
	make_ledger(6);
	lines_read(&ls);
	lines_delete(&ls, 2);
	lines_write_free(&ls);
	expect_bad(3, "seq jumps from 2 to 4", 2);
}

static void test_tamper_delete_first(void **state)
{
	struct lines ls;
	(void)state;
	make_ledger(6);
	lines_read(&ls);
	lines_delete(&ls, 0);
	lines_write_free(&ls);
	expect_bad(1, "seq is 2, expected 1", 0);
}

static void test_tamper_delete_last_is_undetectable_but_head_changes(void **state)
{
	struct sw_verify_result before, after;
	struct lines ls;
	(void)state;
	make_ledger(6);
	assert_int_equal(sw_ledger_verify(ledger_path, &before), 0);
	lines_read(&ls);
	lines_delete(&ls, 5);
	lines_write_free(&ls);
	/* Cutting the tail leaves a valid chain: only the head (to be anchored elsewhere) tells. */
	assert_int_equal(sw_ledger_verify(ledger_path, &after), 0);
	assert_true(after.ok);
	assert_int_equal(after.records, 5);
	assert_string_not_equal(before.head, after.head);
}

static void test_tamper_swap(void **state)
{
	struct lines ls;
	(void)state;
	make_ledger(6);
	lines_read(&ls);
	char *t = ls.v[1];
	ls.v[1] = ls.v[2];
	ls.v[2] = t;
	lines_write_free(&ls);
	expect_bad(2, "seq jumps from 1 to 3", 1);
}

static void test_tamper_forged_insert(void **state)
{
	struct lines ls;
	char hash[65];
	(void)state;
	make_ledger(6);
	lines_read(&ls);
	/* A forged record 4 with a correct seq and a recomputed hash, chained to line 2 instead of 3. */
	json_t *l2 = parse_line(ls.v[1]);
	json_t *forged = parse_line(ls.v[3]);
	json_object_set_new(forged, "role", json_string("nobody"));
	json_object_set(forged, "prev", json_object_get(l2, "hash"));
	char *canon = sw_ledger_canonical(forged);
	sw_sha256_hex(canon, strlen(canon), hash);
	free(canon);
	json_object_set_new(forged, "hash", json_string(hash));
	char *line = json_dumps(forged, JSON_COMPACT);
	lines_insert(&ls, 3, sw_xasprintf("%s\n", line));
	free(line);
	json_decref(l2);
	json_decref(forged);
	lines_write_free(&ls);
	expect_bad(4, "prev does not match line 3's hash", 3);
}

static void test_tamper_forged_replacement_breaks_next(void **state)
{
	struct lines ls;
	char hash[65];
	(void)state;
	make_ledger(6);
	lines_read(&ls);
	/* Rewrite record 3 consistently (seq, prev, hash all right): record 4's prev exposes it. */
	json_t *r3 = parse_line(ls.v[2]);
	json_object_set_new(r3, "verdict", json_string("allow"));
	char *canon = sw_ledger_canonical(r3);
	sw_sha256_hex(canon, strlen(canon), hash);
	free(canon);
	json_object_set_new(r3, "hash", json_string(hash));
	char *line = json_dumps(r3, JSON_COMPACT);
	free(ls.v[2]);
	ls.v[2] = sw_xasprintf("%s\n", line);
	free(line);
	json_decref(r3);
	lines_write_free(&ls);
	expect_bad(4, "prev does not match line 3's hash", 3);
}

/* A ledger from before the line-bytes hash is recognised as such, not called tampered. */
static void test_legacy_format_named(void **state)
{
	struct lines ls;
	char hash[65];
	(void)state;
	make_ledger(2);
	lines_read(&ls);
	json_t *r = parse_line(ls.v[0]);
	json_object_del(r, "hash");
	char *canon = json_dumps(r, JSON_COMPACT | JSON_SORT_KEYS);
	sw_sha256_hex(canon, strlen(canon), hash);
	free(canon);
	json_object_set_new(r, "hash", json_string(hash));
	char *line = json_dumps(r, JSON_COMPACT | JSON_ENSURE_ASCII);
	free(ls.v[0]);
	ls.v[0] = sw_xasprintf("%s\n", line);
	free(line);
	json_decref(r);
	lines_write_free(&ls);
	expect_bad(1, "format of sqlward before 2026-11-21", 0);
}

static void test_tamper_torn_last_line(void **state)
{
	struct lines ls;
	(void)state;
	make_ledger(6);
	lines_read(&ls);
	ls.v[5][strlen(ls.v[5]) / 2] = '\0';
	lines_write_free(&ls);
	expect_bad(6, "does not end in a newline", 5);
}

static void test_tamper_complete_record_without_newline(void **state)
{
	struct lines ls;
	(void)state;
	make_ledger(3);
	lines_read(&ls);
	ls.v[2][strlen(ls.v[2]) - 1] = '\0';
	lines_write_free(&ls);
	expect_bad(3, "torn write", 2);
}

static void test_tamper_invalid_json(void **state)
{
	struct lines ls;
	(void)state;
	make_ledger(6);
	lines_read(&ls);
	free(ls.v[3]);
	ls.v[3] = sw_xstrdup("{\"seq\":4, oops\n");
	lines_write_free(&ls);
	expect_bad(4, "not valid JSON", 3);
}

static void test_tamper_duplicate(void **state)
{
	struct lines ls;
	(void)state;
	make_ledger(6);
	lines_read(&ls);
	lines_insert(&ls, 2, sw_xstrdup(ls.v[1]));
	lines_write_free(&ls);
	expect_bad(3, "seq 2 follows seq 2", 2);
}

static void test_tamper_misc(void **state)
{
	struct lines ls;
	(void)state;

	/* An empty line. */
	make_ledger(4);
	lines_read(&ls);
	lines_insert(&ls, 2, sw_xstrdup("\n"));
	lines_write_free(&ls);
	expect_bad(3, "empty line", 2);

	/* A duplicate key (a second "verdict" would otherwise silently win). */
	make_ledger(4);
	lines_read(&ls);
	char *p = strstr(ls.v[1], "\"verdict\"");
	assert_non_null(p);
	char *s = sw_xasprintf("%.*s\"verdict\":\"allow\",%s", (int)(p - ls.v[1]), ls.v[1], p);
	free(ls.v[1]);
	ls.v[1] = s;
	lines_write_free(&ls);
	expect_bad(2, "not valid JSON", 1);

	/* A record without its hash. */
	make_ledger(4);
	lines_read(&ls);
	json_t *r = parse_line(ls.v[1]);
	json_object_del(r, "hash");
	char *line = json_dumps(r, JSON_COMPACT);
	json_decref(r);
	free(ls.v[1]);
	ls.v[1] = sw_xasprintf("%s\n", line);
	free(line);
	lines_write_free(&ls);
	expect_bad(2, "required field \"hash\" is missing", 1);

	/* The hash covers the bytes as written: reformatting (whitespace, key order) is a rewrite. */
	make_ledger(3);
	lines_read(&ls);
	r = parse_line(ls.v[1]);
	line = json_dumps(r, JSON_INDENT(0) | JSON_SORT_KEYS);
	json_decref(r);
	for (char *q = line; *q; q++)
		if (*q == '\n')
			*q = ' ';
	free(ls.v[1]);
	ls.v[1] = sw_xasprintf("%s\n", line);
	free(line);
	lines_write_free(&ls);
	expect_bad(2, "the line was rewritten", 1);
}

/* Opening the ledger is refused with a message containing each part, and the file is left byte for byte. */
static void expect_open_refused(const char *part1, const char *part2)
{
	struct sw_ledger *l;
	char err[1024];
	size_t n1, n2;
	char *before = read_all(ledger_path, &n1), *after;

	assert_int_equal(sw_ledger_open(ledger_path, &l, err, sizeof(err)), -1);
	if (!strstr(err, part1) || !strstr(err, part2))
		fail_msg("expected \"%s\" and \"%s\" in: %s", part1, part2, err);
	after = read_all(ledger_path, &n2);
	assert_int_equal(n1, n2);
	assert_memory_equal(before, after, n1);
	free(before);
	free(after);
}

static void test_open_broken_refused(void **state)
{
	struct lines ls;
	struct sw_ledger *l;
	char err[1024], *before, *after;
	size_t n1, n2;
	(void)state;

	make_ledger(5);
	lines_read(&ls);
	lines_delete(&ls, 2);
	lines_write_free(&ls);
	expect_open_refused("is broken at line 3: seq jumps from 2 to 4", "sqlward verify --ledger");

	/* A torn last line (the writer died mid-write) is set aside, not refused:
	 * the bytes go to PATH.torn-SEQ and a record says so. (A torn record was never
	 * synced, so the head file never named it: cutting a synced one, drop that too.) */
	make_ledger(2);
	before = read_all(ledger_path, &n1);
	write_all(ledger_path, before, n1 - 7);
	snprintf(err, sizeof(err), "%s.head", ledger_path);
	unlink(err);
	assert_int_equal(sw_ledger_open(ledger_path, &l, err, sizeof(err)), 0);
	assert_int_equal(sw_ledger_seq(l), 2);   /* record 1, then the torn_tail_set_aside record */
	sw_ledger_close(l);
	{
		struct sw_verify_result res;
		struct lines ls2;
		char side[300];
		size_t ns;
		assert_int_equal(sw_ledger_verify(ledger_path, &res), 0);
		assert_true(res.ok);
		assert_int_equal(res.records, 2);
		lines_read(&ls2);
		json_t *r = parse_line(ls2.v[1]);
		assert_string_equal(json_string_value(json_object_get(r, "event")), "torn_tail_set_aside");
		snprintf(side, sizeof(side), "%s.torn-2", ledger_path);
		assert_string_equal(json_string_value(json_object_get(r, "saved_to")), side);
		/* The side file holds exactly the torn bytes. */
		char *torn = read_all(side, &ns);
		char *first_nl = memchr(before, '\n', n1);
		size_t cut = (size_t)(first_nl - before) + 1;
		assert_int_equal(ns, n1 - 7 - cut);
		assert_memory_equal(torn, before + cut, ns);
		assert_int_equal(json_integer_value(json_object_get(r, "bytes")), (json_int_t)ns);
		free(torn);
		json_decref(r);
		lines_write_free(&ls2);
		/* A second torn tail at the same seq: the side file exists, so it is refused, untouched. */
		after = read_all(ledger_path, &n2);
		write_all(ledger_path, after, n2 - 5);
		snprintf(side, sizeof(side), "%s.torn-3", ledger_path);
		write_all(side, "x", 1);
		assert_int_equal(sw_ledger_open(ledger_path, &l, err, sizeof(err)), -1);
		assert_non_null(strstr(err, "could not be set aside"));
		free(after);
	}
	free(before);
}

static void test_verify_long_line(void **state)
{
	struct sw_ledger *l;
	struct sw_verify_result res;
	char err[512];
	(void)state;

	/* An event record with a 1 MiB field: lines are not length-limited. */
	char *big = sw_xmalloc(1 << 20);
	memset(big, 'x', (1 << 20) - 1);
	big[(1 << 20) - 1] = '\0';
	assert_int_equal(sw_ledger_open(ledger_path, &l, err, sizeof(err)), 0);
	append_decision(l, "a", SW_VERDICT_ALLOW, "SELECT 1", T0);
	json_t *ev = sw_daemon_record("note", json_pack("{s:s}", "blob", big));
	assert_int_equal(sw_ledger_append(l, ev, err, sizeof(err)), 0);
	json_decref(ev);
	append_decision(l, "a", SW_VERDICT_ALLOW, "SELECT 2", T0);
	sw_ledger_close(l);
	free(big);
	assert_int_equal(sw_ledger_verify(ledger_path, &res), 0);
	assert_true(res.ok);
	assert_int_equal(res.records, 3);
}

/* ---- statement text ---- */

static void test_truncation(void **state)
{
	struct sw_ledger *l;
	struct sw_verify_result res;
	struct fake f;
	char err[512], sha[65];
	size_t len = SW_LEDGER_TEXT_MAX + 5000;
	(void)state;

	/* A 2-byte character straddles the cut: the stored prefix stops before it. */
	char *sql = sw_xmalloc(len + 1);
	memset(sql, 'a', len);
	sql[SW_LEDGER_TEXT_MAX - 1] = (char)0xC3;
	sql[SW_LEDGER_TEXT_MAX] = (char)0xA9;
	sql[len] = '\0';
	fake_init(&f, "agent_a", SW_VERDICT_DENY, sql, T0);
	json_t *rec = sw_decision_record(&f.d);
	fake_free(&f);
	const char *stored = json_string_value(json_object_get(rec, "statement"));
	assert_non_null(stored);
	assert_int_equal(json_string_length(json_object_get(rec, "statement")), SW_LEDGER_TEXT_MAX - 1);
	assert_memory_equal(stored, sql, SW_LEDGER_TEXT_MAX - 1);
	assert_true(json_is_true(json_object_get(rec, "statement_truncated")));
	assert_null(json_object_get(rec, "statement_encoding"));
	assert_int_equal(json_integer_value(json_object_get(rec, "statement_length")), len);
	sw_sha256_hex(sql, len, sha);
	assert_string_equal(json_string_value(json_object_get(rec, "statement_sha256")), sha);

	assert_int_equal(sw_ledger_open(ledger_path, &l, err, sizeof(err)), 0);
	assert_int_equal(sw_ledger_append(l, rec, err, sizeof(err)), 0);
	json_decref(rec);

	/* Exactly SW_LEDGER_TEXT_MAX bytes is not truncated. */
	sql[SW_LEDGER_TEXT_MAX] = '\0';
	sql[SW_LEDGER_TEXT_MAX - 1] = 'a';
	fake_init(&f, "agent_a", SW_VERDICT_DENY, sql, T0);
	rec = sw_decision_record(&f.d);
	fake_free(&f);
	assert_null(json_object_get(rec, "statement_truncated"));
	assert_int_equal(json_string_length(json_object_get(rec, "statement")), SW_LEDGER_TEXT_MAX);
	assert_int_equal(sw_ledger_append(l, rec, err, sizeof(err)), 0);
	json_decref(rec);
	sw_ledger_close(l);
	free(sql);

	assert_int_equal(sw_ledger_verify(ledger_path, &res), 0);
	assert_true(res.ok);
	assert_int_equal(res.records, 2);
}

static char *b64decode(const char *s, size_t *out_len)
{
	size_t n = strlen(s);
	unsigned char *out = sw_xmalloc(n / 4 * 3 + 1);
	int r = EVP_DecodeBlock(out, (const unsigned char *)s, (int)n);
	assert_true(r >= 0);
	*out_len = (size_t)r - (n && s[n - 1] == '=') - (n > 1 && s[n - 2] == '=');
	return (char *)out;
}

static void test_invalid_utf8(void **state)
{
	struct sw_ledger *l;
	struct sw_verify_result res;
	struct fake f;
	char err[512], sha[65];
	const char sql[] = "SELECT '\xff\xfe caf\xC3\xA9 \xC3' FROM t";
	(void)state;

	fake_init(&f, "agent_a", SW_VERDICT_ALLOW, sql, T0);
	json_t *rec = sw_decision_record(&f.d);
	fake_free(&f);
	assert_string_equal(json_string_value(json_object_get(rec, "statement_encoding")), "base64");
	size_t n;
	char *dec = b64decode(json_string_value(json_object_get(rec, "statement")), &n);
	assert_int_equal(n, strlen(sql));
	assert_memory_equal(dec, sql, n);
	free(dec);
	sw_sha256_hex(sql, strlen(sql), sha);
	assert_string_equal(json_string_value(json_object_get(rec, "statement_sha256")), sha);

	assert_int_equal(sw_ledger_open(ledger_path, &l, err, sizeof(err)), 0);
	assert_int_equal(sw_ledger_append(l, rec, err, sizeof(err)), 0);
	json_decref(rec);
	sw_ledger_close(l);
	assert_int_equal(sw_ledger_verify(ledger_path, &res), 0);
	assert_true(res.ok);

	/* Read it back from the file: still decodes to the same bytes. */
	size_t flen;
	char *file = read_all(ledger_path, &flen);
	json_t *back = parse_line(file);
	dec = b64decode(json_string_value(json_object_get(back, "statement")), &n);
	assert_int_equal(n, strlen(sql));
	assert_memory_equal(dec, sql, n);
	free(dec);
	json_decref(back);
	free(file);

	/* Embedded NUL byte: also base64 (with statement_len, not strlen). */
	const char nul[] = "SELECT 1\0; DROP TABLE t";
	fake_init(&f, "agent_a", SW_VERDICT_ALLOW, nul, T0);
	f.d.statement_len = sizeof(nul) - 1;
	rec = sw_decision_record(&f.d);
	fake_free(&f);
	assert_string_equal(json_string_value(json_object_get(rec, "statement_encoding")), "base64");
	assert_int_equal(json_integer_value(json_object_get(rec, "statement_length")), sizeof(nul) - 1);
	dec = b64decode(json_string_value(json_object_get(rec, "statement")), &n);
	assert_int_equal(n, sizeof(nul) - 1);
	assert_memory_equal(dec, nul, n);
	free(dec);
	json_decref(rec);
}

static void test_multi_statement_record(void **state)
{
	struct fake f;
	(void)state;

	fake_init(&f, "agent_a", SW_VERDICT_ALLOW, "SELECT 1 FROM app.a; DROP TABLE app.b", T0);
	f.st[1].text = sw_xstrdup("DROP TABLE app.b");
	f.st[1].cls = SW_CLASS_DDL;
	f.st[1].command = sw_xstrdup("DROP TABLE");
	sw_stmt_add_object(&f.st[1], "app.b", SW_LOCK_ACCESS_EXCLUSIVE);
	sw_stmt_add_object(&f.st[1], "app.accounts", SW_LOCK_ACCESS_EXCLUSIVE);
	sw_strv_push(&f.st[1].reasons, "drops a table");
	f.st[1].traits = SW_TRAIT_DESTRUCTIVE;
	f.a.n_stmts = 2;
	f.per[1].verdict = SW_VERDICT_DENY;
	f.per[1].rule_id = "no-drop";
	f.per[1].reason = "never drop";
	f.overall = f.per[1];
	f.overall.stmt_index = 1;
	f.d.analysis = &f.a;
	f.d.statement_complete = false;

	json_t *rec = sw_decision_record(&f.d);
	fake_free(&f);
	assert_string_equal(json_string_value(json_object_get(rec, "class")), "ddl");
	assert_string_equal(json_string_value(json_object_get(rec, "command")), "DROP TABLE");
	assert_string_equal(json_string_value(json_object_get(rec, "verdict")), "deny");
	assert_string_equal(json_string_value(json_object_get(rec, "rule")), "no-drop");
	assert_string_equal(json_string_value(json_object_get(rec, "reason")), "never drop");
	assert_true(json_is_false(json_object_get(rec, "statement_complete")));
	json_t *objs = json_object_get(rec, "objects");
	assert_int_equal(json_array_size(objs), 2); /* union, first appearance order */
	assert_string_equal(json_string_value(json_array_get(objs, 0)), "app.accounts");
	assert_string_equal(json_string_value(json_array_get(objs, 1)), "app.b");
	json_t *traits = json_object_get(rec, "traits");
	assert_int_equal(json_array_size(traits), 2);
	assert_string_equal(json_string_value(json_array_get(json_object_get(rec, "reasons"), 0)),
			    "drops a table");
	json_t *sts = json_object_get(rec, "statements");
	assert_int_equal(json_array_size(sts), 2);
	assert_string_equal(json_string_value(json_object_get(json_array_get(sts, 0), "verdict")), "allow");
	assert_string_equal(json_string_value(json_object_get(json_array_get(sts, 0), "rule")), "reads");
	assert_string_equal(json_string_value(json_object_get(json_array_get(sts, 1), "class")), "ddl");
	assert_string_equal(json_string_value(json_object_get(json_array_get(sts, 1), "rule")), "no-drop");
	assert_int_equal(json_array_size(json_object_get(json_array_get(sts, 1), "objects")), 2);
	json_decref(rec);
}

static void test_parse_time(void **state)
{
	struct timespec now = { 1795784400, 5 }, t;
	(void)state;

	assert_int_equal(sw_parse_time("2026-11-27T13:00:00Z", &now, &t), 0);
	assert_int_equal(t.tv_sec, 1795784400);
	assert_int_equal(t.tv_nsec, 0);
	assert_int_equal(sw_parse_time("2026-11-27T13:00:00.25Z", &now, &t), 0);
	assert_int_equal(t.tv_nsec, 250000000);
	assert_int_equal(sw_parse_time("2026-11-27T15:00:00+02:00", &now, &t), 0);
	assert_int_equal(t.tv_sec, 1795784400);
	assert_int_equal(sw_parse_time("2026-11-27T08:00-0500", &now, &t), 0);
	assert_int_equal(t.tv_sec, 1795784400);
	assert_int_equal(sw_parse_time("10m", &now, &t), 0);
	assert_int_equal(t.tv_sec, 1795784400 - 600);
	assert_int_equal(sw_parse_time("2h", &now, &t), 0);
	assert_int_equal(t.tv_sec, 1795784400 - 7200);
	assert_int_equal(sw_parse_time("1d", &now, &t), 0);
	assert_int_equal(t.tv_sec, 1795784400 - 86400);
	assert_int_equal(sw_parse_time("now", &now, &t), 0);
	assert_int_equal(t.tv_sec, now.tv_sec);
	assert_int_equal(sw_parse_time("2026-11-27", &now, &t), 0);
	assert_int_equal(sw_parse_time("2026-11-27T10:20:00", &now, &t), 0);
	assert_int_equal(sw_parse_time("yesterday", &now, &t), -1);
	assert_int_equal(sw_parse_time("10x", &now, &t), -1);
	assert_int_equal(sw_parse_time("2026-13-01T00:00:00Z", &now, &t), -1);
	assert_int_equal(sw_parse_time("2026-11-27T10:20:00Zjunk", &now, &t), -1);
	assert_int_equal(sw_parse_time("", &now, &t), -1);

	char buf[40];
	struct timespec ts = { 1795784400, 999999999 };
	sw_format_time(&ts, buf, sizeof(buf));
	assert_string_equal(buf, "2026-11-27T13:00:00.999999Z");
}

/* ---- commands ---- */

struct captured {
	int rc;
	char *out, *err;
	size_t out_len;
};

static char *slurp_fd(int fd, size_t *len)
{
	char *buf = NULL;
	size_t n = 0;
	ssize_t r;

	lseek(fd, 0, SEEK_SET);
	do {
		buf = sw_xrealloc(buf, n + 4097);
		r = read(fd, buf + n, 4096);
		if (r > 0)
			n += (size_t)r;
	} while (r > 0);
	buf[n] = '\0';
	if (len)
		*len = n;
	return buf;
}

static struct captured run_cmd(int (*fn)(int, char **), const char *const *args)
{
	struct captured c;
	char *argv[32];
	int argc = 0;
	char opath[160], epath[160];

	for (; args[argc]; argc++)
		argv[argc] = (char *)args[argc];
	argv[argc] = NULL;
	snprintf(opath, sizeof(opath), "%s/stdout", tmpdir);
	snprintf(epath, sizeof(epath), "%s/stderr", tmpdir);
	int ofd = open(opath, O_RDWR | O_CREAT | O_TRUNC, 0600);
	int efd = open(epath, O_RDWR | O_CREAT | O_TRUNC, 0600);
	assert_true(ofd >= 0 && efd >= 0);
	fflush(stdout);
	fflush(stderr);
	int so = dup(1), se = dup(2);
	dup2(ofd, 1);
	dup2(efd, 2);
	c.rc = fn(argc, argv);
	fflush(stdout);
	fflush(stderr);
	dup2(so, 1);
	dup2(se, 2);
	close(so);
	close(se);
	c.out = slurp_fd(ofd, &c.out_len);
	c.err = slurp_fd(efd, NULL);
	close(ofd);
	close(efd);
	return c;
}

static void captured_free(struct captured *c)
{
	free(c->out);
	free(c->err);
}


/* A ledger for the log tests: 4 statements at 10:00..13:00Z plus a daemon record. */
static void make_log_ledger(void)
{
	struct sw_ledger *l;
	char err[512];

	ledger_remove(ledger_path);
	assert_int_equal(sw_ledger_open(ledger_path, &l, err, sizeof(err)), 0);
	json_t *ev = sw_daemon_record("start", json_pack("{s:s}", "policy", "/etc/p.yaml"));
	json_object_set_new(ev, "time", json_string("2026-11-27T09:00:00.000000Z"));
	assert_int_equal(sw_ledger_append(l, ev, err, sizeof(err)), 0);
	json_decref(ev);
	append_decision(l, "agent_a", SW_VERDICT_ALLOW, "SELECT * FROM app.accounts", 1795773600); /* 10:00Z */
	append_decision(l, "alice", SW_VERDICT_HOLD, "UPDATE app.accounts\n\tSET n = 1", 1795777200); /* 11:00Z */
	append_decision(l, "agent_b", SW_VERDICT_DENY, "DROP TABLE app.accounts", 1795780800); /* 12:00Z */
	append_decision(l, "agent_a", SW_VERDICT_HOLD,
			"UPDATE app.accounts SET note = 'a very long statement that certainly does not "
			"fit in the eighty character statement column of the table output'",
			1795784400); /* 13:00Z */
	sw_ledger_close(l);
}

static void test_log_filters(void **state)
{
	struct captured c;
	(void)state;

	make_log_ledger();
	unsetenv("COLUMNS"); /* not a terminal: the statement column is 80 characters */

	/* Default: statement records only, table with a header. */
	c = run_cmd(sw_cmd_log, (const char *const[]){ "log", "--ledger", ledger_path, NULL });
	assert_int_equal(c.rc, 0);
	assert_int_equal(count_lines(c.out), 5);
	assert_true(strncmp(c.out, "TIME", 4) == 0);
	assert_non_null(strstr(c.out, "VERDICT"));
	assert_non_null(strstr(c.out, "UPDATE app.accounts\\n\\tSET n = 1")); /* escaped, one line */
	assert_non_null(strstr(c.out, "…"));                                 /* long statement cut */
	assert_non_null(strstr(c.out, "2.5s"));                              /* held */
	assert_null(strstr(c.out, "[daemon]"));
	captured_free(&c);

	/* --role glob, json. */
	c = run_cmd(sw_cmd_log, (const char *const[]){ "log", "--ledger", ledger_path, "--role", "agent_*",
						       "--format", "json", NULL });
	assert_int_equal(c.rc, 0);
	assert_int_equal(count_lines(c.out), 3);
	assert_null(strstr(c.out, "\"alice\""));
	captured_free(&c);

	/* --verdict. */
	c = run_cmd(sw_cmd_log, (const char *const[]){ "log", "--ledger", ledger_path, "--verdict", "hold",
						       "--format", "json", NULL });
	assert_int_equal(count_lines(c.out), 2);
	assert_non_null(strstr(c.out, "\"alice\""));
	captured_free(&c);

	/* Time range (inclusive), with a zone offset. */
	c = run_cmd(sw_cmd_log, (const char *const[]){ "log", "--ledger", ledger_path, "--since",
						       "2026-11-27T11:00:00Z", "--until",
						       "2026-11-27T13:00:01+01:00", "--format", "json", NULL });
	assert_int_equal(c.rc, 0);
	assert_int_equal(count_lines(c.out), 2); /* 11:00 and 12:00 */
	assert_non_null(strstr(c.out, "\"alice\""));
	assert_non_null(strstr(c.out, "DROP TABLE"));
	captured_free(&c);

	/* Relative times: all records are after 1000 weeks (~19 years) ago. */
	c = run_cmd(sw_cmd_log, (const char *const[]){ "log", "--ledger", ledger_path, "--until", "1000w", NULL });
	assert_int_equal(c.rc, 0);
	assert_int_equal(c.out_len, 0);
	assert_non_null(strstr(c.err, "no matching records"));
	captured_free(&c);
	c = run_cmd(sw_cmd_log, (const char *const[]){ "log", "--ledger", ledger_path, "--since", "1000w", NULL });
	assert_int_equal(c.rc, 0);
	assert_int_equal(count_lines(c.out), 5);
	captured_free(&c);

	/* --type daemon / all, --limit keeps the most recent. */
	c = run_cmd(sw_cmd_log, (const char *const[]){ "log", "--ledger", ledger_path, "--type", "daemon", NULL });
	assert_int_equal(count_lines(c.out), 2);
	assert_non_null(strstr(c.out, "[daemon] start policy=/etc/p.yaml"));
	captured_free(&c);
	c = run_cmd(sw_cmd_log, (const char *const[]){ "log", "--ledger", ledger_path, "--type", "all",
						       "--format", "json", NULL });
	assert_int_equal(count_lines(c.out), 5);
	captured_free(&c);
	c = run_cmd(sw_cmd_log, (const char *const[]){ "log", "--ledger", ledger_path, "--limit", "2",
						       "--format", "json", NULL });
	assert_int_equal(count_lines(c.out), 2);
	assert_non_null(strstr(c.out, "\"seq\":4,"));
	assert_non_null(strstr(c.out, "\"seq\":5,"));
	captured_free(&c);

	/* json output is the ledger lines unchanged. */
	{
		size_t n;
		char *file = read_all(ledger_path, &n);
		c = run_cmd(sw_cmd_log, (const char *const[]){ "log", "--ledger", ledger_path, "--type", "all",
							       "--format", "json", NULL });
		assert_int_equal(c.out_len, n);
		assert_memory_equal(c.out, file, n);
		captured_free(&c);
		free(file);
	}
}

static void test_log_usage_and_bad_lines(void **state)
{
	struct captured c;
	(void)state;

	make_log_ledger();
	static const char *const bad[][8] = {
		{ "log", "--verdict", "maybe", NULL },
		{ "log", "--since", "last tuesday", NULL },
		{ "log", "--limit", "0", NULL },
		{ "log", "--limit", "-3", NULL },
		{ "log", "--format", "xml", NULL },
		{ "log", "--type", "x", NULL },
		{ "log", "--bogus", NULL },
		{ "log", "--role", NULL },
		{ "log", "extra", NULL },
		{ "log", "--since", "1h", "--until", "2h", NULL },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		c = run_cmd(sw_cmd_log, bad[i]);
		if (c.rc != 2)
			fail_msg("case %zu: rc %d", i, c.rc);
		assert_true(strlen(c.err) > 0);
		captured_free(&c);
	}
	char missing[160];
	snprintf(missing, sizeof(missing), "%s/nope.jsonl", tmpdir);
	c = run_cmd(sw_cmd_log, (const char *const[]){ "log", "--ledger", missing, NULL });
	assert_int_equal(c.rc, 2);
	assert_non_null(strstr(c.err, "cannot open ledger"));
	captured_free(&c);

	/* A garbage line is reported with its number and skipped; the rest still shows. */
	FILE *f = fopen(ledger_path, "a");
	fputs("this is not json\n", f);
	fclose(f);
	c = run_cmd(sw_cmd_log, (const char *const[]){ "log", "--ledger", ledger_path, "--format", "json", NULL });
	assert_int_equal(c.rc, 0);
	assert_int_equal(count_lines(c.out), 4);
	assert_non_null(strstr(c.err, "line 6 is not a JSON object"));
	captured_free(&c);

	/* Env var default path. */
	setenv("SQLWARD_LEDGER", ledger_path, 1);
	c = run_cmd(sw_cmd_log, (const char *const[]){ "log", "--format", "json", "--verdict", "deny", NULL });
	assert_int_equal(c.rc, 0);
	assert_int_equal(count_lines(c.out), 1);
	captured_free(&c);
	unsetenv("SQLWARD_LEDGER");
}

static void test_log_invalid_utf8_display(void **state)
{
	struct sw_ledger *l;
	struct captured c;
	char err[512];
	(void)state;

	assert_int_equal(sw_ledger_open(ledger_path, &l, err, sizeof(err)), 0);
	append_decision(l, "agent_\x1b[31m", SW_VERDICT_DENY, "SELECT '\xff' \xE2\x80\xAE evil", T0);
	sw_ledger_close(l);
	c = run_cmd(sw_cmd_log, (const char *const[]){ "log", "--ledger", ledger_path, NULL });
	assert_int_equal(c.rc, 0);
	assert_non_null(strstr(c.out, "SELECT '\\xFF' \\u202E evil"));
	assert_non_null(strstr(c.out, "agent_\\x1B[31m"));
	assert_null(strchr(c.out, 0x1b));
	captured_free(&c);
}

static void test_verify_command(void **state)
{
	struct captured c;
	struct lines ls;
	char line[256];
	(void)state;

	make_ledger(4);
	c = run_cmd(sw_cmd_verify, (const char *const[]){ "verify", "--ledger", ledger_path, NULL });
	assert_int_equal(c.rc, 0);
	snprintf(line, sizeof(line), "ledger %s: 4 records, chain intact, head ", ledger_path);
	assert_true(strncmp(c.out, line, strlen(line)) == 0);
	captured_free(&c);

	c = run_cmd(sw_cmd_verify, (const char *const[]){ "verify", "--ledger", ledger_path, "--format", "json", NULL });
	assert_int_equal(c.rc, 0);
	json_t *j = parse_line(c.out);
	assert_true(json_is_true(json_object_get(j, "ok")));
	assert_int_equal(json_integer_value(json_object_get(j, "records")), 4);
	json_decref(j);
	captured_free(&c);

	lines_read(&ls);
	lines_delete(&ls, 1);
	lines_write_free(&ls);
	c = run_cmd(sw_cmd_verify, (const char *const[]){ "verify", "--ledger", ledger_path, NULL });
	assert_int_equal(c.rc, 1);
	snprintf(line, sizeof(line), "ledger %s: record at line 2 is bad: seq jumps from 1 to 3", ledger_path);
	assert_true(strncmp(c.out, line, strlen(line)) == 0);
	assert_non_null(strstr(c.out, "(1 records before it verified)"));
	captured_free(&c);

	c = run_cmd(sw_cmd_verify, (const char *const[]){ "verify", "--ledger", ledger_path, "--format", "json", NULL });
	assert_int_equal(c.rc, 1);
	j = parse_line(c.out);
	assert_true(json_is_false(json_object_get(j, "ok")));
	assert_int_equal(json_integer_value(json_object_get(j, "bad_line")), 2);
	json_decref(j);
	captured_free(&c);

	char missing[160];
	snprintf(missing, sizeof(missing), "%s/nope.jsonl", tmpdir);
	c = run_cmd(sw_cmd_verify, (const char *const[]){ "verify", "--ledger", missing, NULL });
	assert_int_equal(c.rc, 2);
	assert_non_null(strstr(c.err, "cannot read ledger"));
	assert_non_null(strstr(c.err, "--ledger"));
	captured_free(&c);

	c = run_cmd(sw_cmd_verify, (const char *const[]){ "verify", "--format", "yaml", NULL });
	assert_int_equal(c.rc, 2);
	captured_free(&c);
	c = run_cmd(sw_cmd_verify, (const char *const[]){ "verify", "--nope", NULL });
	assert_int_equal(c.rc, 2);
	captured_free(&c);
	c = run_cmd(sw_cmd_verify, (const char *const[]){ "verify", "--help", NULL });
	assert_int_equal(c.rc, 0);
	assert_non_null(strstr(c.out, "usage: sqlward verify"));
	captured_free(&c);
}

/* ---- rotation, write failures, gaps ---- */

static void append_sync(struct sw_ledger *l, const char *sql, bool sync, uint64_t *seq)
{
	struct fake f;
	char err[700];

	fake_init(&f, "agent_a", SW_VERDICT_ALLOW, sql, T0);
	if (sw_ledger_append_decision(l, &f.d, sync, seq, err, sizeof(err)) != 0)
		fail_msg("append: %s", err);
	fake_free(&f);
}

static json_t *file_line(const char *path, size_t lineno)
{
	FILE *f = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0;
	json_t *j = NULL;

	assert_non_null(f);
	for (size_t i = 1; !j && getline(&line, &cap, f) != -1; i++)
		if (i == lineno)
			j = json_loads(line, 0, NULL);
	free(line);
	fclose(f);
	if (!j)
		fail_msg("%s has no JSON line %zu", path, lineno);
	return j;
}

static void copy_file(const char *from, const char *to)
{
	size_t n;
	char *data = read_all(from, &n);
	write_all(to, data, n);
	free(data);
}

static void expect_verified(const char *path, size_t records, uint64_t first_seq)
{
	struct sw_verify_result res;

	assert_int_equal(sw_ledger_verify(path, &res), 0);
	if (!res.ok)
		fail_msg("%s line %zu: %s", path, res.bad_line, res.reason);
	assert_int_equal(res.records, records);
	assert_int_equal(res.first_seq, first_seq);
}

/* logrotate copytruncate: the file is emptied under the writer, which starts it again with a continuation. */
static void test_copytruncate(void **state)
{
	struct sw_ledger *l;
	struct captured c;
	char err[700], rotated[200], rotated2[200], head2[65];
	uint64_t seq;
	(void)state;

	snprintf(rotated, sizeof(rotated), "%s.1", ledger_path);
	snprintf(rotated2, sizeof(rotated2), "%s.2", ledger_path);
	assert_int_equal(sw_ledger_open(ledger_path, &l, err, sizeof(err)), 0);
	append_sync(l, "SELECT 1", true, NULL);
	append_sync(l, "SELECT 2", true, NULL);
	strcpy(head2, sw_ledger_head(l));
	copy_file(ledger_path, rotated);
	assert_int_equal(truncate(ledger_path, 0), 0);
	/* Two records were waiting when it happened: they follow the continuation. */
	append_sync(l, "SELECT 3", false, &seq);
	assert_int_equal(seq, 3);
	append_sync(l, "SELECT 4", false, &seq);
	assert_int_equal(sw_ledger_flush(l, err, sizeof(err)), 0);
	assert_int_equal(sw_ledger_seq(l), 5);
	sw_ledger_close(l);

	json_t *r1 = file_line(ledger_path, 1), *r2 = file_line(ledger_path, 2), *r3 = file_line(ledger_path, 3);
	assert_string_equal(json_string_value(json_object_get(r1, "type")), "continuation");
	assert_string_equal(json_string_value(json_object_get(r1, "reason")), "copytruncate");
	assert_int_equal(json_integer_value(json_object_get(r1, "continues_seq")), 2);
	assert_string_equal(json_string_value(json_object_get(r1, "continues_head")), head2);
	assert_int_equal(json_integer_value(json_object_get(r1, "seq")), 3);
	assert_string_equal(json_string_value(json_object_get(r1, "prev")), head2);
	assert_int_equal(json_integer_value(json_object_get(r2, "seq")), 4);
	assert_string_equal(json_string_value(json_object_get(r2, "statement")), "SELECT 3");
	assert_string_equal(json_string_value(json_object_get(r2, "prev")),
			    json_string_value(json_object_get(r1, "hash")));
	assert_int_equal(json_integer_value(json_object_get(r3, "seq")), 5);
	json_decref(r1);
	json_decref(r2);
	json_decref(r3);
	expect_verified(rotated, 2, 1);
	expect_verified(ledger_path, 3, 3);

	/* verify says where it continues from, and links the files oldest first. */
	c = run_cmd(sw_cmd_verify, (const char *const[]){ "verify", ledger_path, NULL });
	assert_int_equal(c.rc, 0);
	assert_non_null(strstr(c.out, "continues a chain from seq 2, head "));
	assert_non_null(strstr(c.out, head2));
	captured_free(&c);
	c = run_cmd(sw_cmd_verify, (const char *const[]){ "verify", rotated, ledger_path, NULL });
	assert_int_equal(c.rc, 0);
	assert_non_null(strstr(c.out, "2 files, 5 records: each file continues the one before it"));
	captured_free(&c);
	c = run_cmd(sw_cmd_verify, (const char *const[]){ "verify", ledger_path, rotated, NULL });
	assert_int_equal(c.rc, 1);
	assert_non_null(strstr(c.out, "does not continue the previous one"));
	assert_non_null(strstr(c.out, "(a new chain)"));
	captured_free(&c);

	/* The copytruncate race: a record written between the copy and the truncate is in neither file. */
	assert_int_equal(sw_ledger_open(ledger_path, &l, err, sizeof(err)), 0);
	copy_file(ledger_path, rotated2);
	append_sync(l, "SELECT 'lost in the race'", true, NULL);
	assert_int_equal(truncate(ledger_path, 0), 0);
	append_sync(l, "SELECT 7", true, NULL);
	sw_ledger_close(l);
	expect_verified(ledger_path, 2, 7);
	c = run_cmd(sw_cmd_verify, (const char *const[]){ "verify", rotated, rotated2, ledger_path, NULL });
	assert_int_equal(c.rc, 1);
	assert_non_null(strstr(c.out, "continues seq 6 but the previous file ends at seq 5: records 6 to 6 are missing"));
	captured_free(&c);

	/* Files glued together: a continuation in the middle is refused; a file without its
	 * continuation record starts mid-chain and fails. */
	{
		size_t n1, n2;
		char *a = read_all(rotated, &n1), *b = read_all(rotated2, &n2), *both = sw_xmalloc(n1 + n2);
		memcpy(both, a, n1);
		memcpy(both + n1, b, n2);
		write_all(ledger_path, both, n1 + n2);
		expect_bad(3, "a continuation record in the middle of a file", 2);
		char *second = strchr(b, '\n') + 1;
		write_all(ledger_path, second, n2 - (size_t)(second - b));
		expect_bad(1, "seq is 4, expected 1", 0);
		free(a);
		free(b);
		free(both);
	}
}

/* logrotate without copytruncate: the file is renamed (and maybe an empty one created); the writer follows the path. */
static void test_mv_rotation(void **state)
{
	struct sw_ledger *l, *other;
	struct captured c;
	struct stat st;
	char err[700], r1[200], r2[200], r3[200], other_path[200];
	size_t n_before, n_after;
	(void)state;

	snprintf(r1, sizeof(r1), "%s.3", ledger_path);
	snprintf(r2, sizeof(r2), "%s.2", ledger_path);
	snprintf(r3, sizeof(r3), "%s.1", ledger_path);
	assert_int_equal(sw_ledger_open(ledger_path, &l, err, sizeof(err)), 0);
	append_sync(l, "SELECT 1", true, NULL);
	append_sync(l, "SELECT 2", true, NULL);
	assert_int_equal(rename(ledger_path, r1), 0);
	append_sync(l, "SELECT 3", true, NULL); /* not noticed yet: still the moved file */
	assert_int_equal(sw_ledger_reopen(l, err, sizeof(err)), 0);
	assert_int_equal(sw_ledger_reopen(l, err, sizeof(err)), 0); /* nothing more to do */
	append_sync(l, "SELECT 4", true, NULL);
	expect_verified(r1, 3, 1);
	expect_verified(ledger_path, 2, 4);
	json_t *j = file_line(ledger_path, 1);
	assert_string_equal(json_string_value(json_object_get(j, "reason")), "moved");
	assert_int_equal(json_integer_value(json_object_get(j, "continues_seq")), 3);
	json_decref(j);
	assert_int_equal(stat(ledger_path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0640);

	/* logrotate's `create`: an empty file waits at the path. */
	assert_int_equal(rename(ledger_path, r2), 0);
	write_all(ledger_path, "", 0);
	assert_int_equal(sw_ledger_reopen(l, err, sizeof(err)), 0);
	append_sync(l, "SELECT 5", true, NULL);
	expect_verified(ledger_path, 2, 6);

	/* A non-empty file that is not this chain is refused, left alone; records go on in the moved file. */
	assert_int_equal(rename(ledger_path, r3), 0);
	snprintf(other_path, sizeof(other_path), "%s/other.jsonl", tmpdir);
	assert_int_equal(sw_ledger_open(other_path, &other, err, sizeof(err)), 0);
	append_sync(other, "SELECT 'another chain'", true, NULL);
	sw_ledger_close(other);
	copy_file(other_path, ledger_path);
	char *foreign = read_all(ledger_path, &n_before);
	assert_int_equal(sw_ledger_reopen(l, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "now names another file, which is not empty and does not end where this chain does"));
	assert_non_null(strstr(err, "Move that file away"));
	append_sync(l, "SELECT 6", true, NULL);
	assert_int_equal(sw_ledger_reopen(l, err, sizeof(err)), -1); /* same answer, cheaply */
	char *still = read_all(ledger_path, &n_after);
	assert_int_equal(n_before, n_after);
	assert_memory_equal(foreign, still, n_after);
	free(foreign);
	free(still);
	expect_verified(r3, 3, 6);
	assert_int_equal(unlink(ledger_path), 0);
	assert_int_equal(sw_ledger_reopen(l, err, sizeof(err)), 0);
	append_sync(l, "SELECT 7", true, NULL);
	sw_ledger_close(l);
	c = run_cmd(sw_cmd_verify, (const char *const[]){ "verify", r1, r2, r3, ledger_path, NULL });
	if (c.rc != 0)
		fail_msg("%s", c.out);
	assert_non_null(strstr(c.out, "4 files, 10 records: each file continues the one before it"));
	captured_free(&c);
}

/* The writer looks at the path by itself, at most once a second, when it syncs. */
static void test_mv_noticed_by_sync(void **state)
{
	struct sw_ledger *l;
	struct captured c;
	char err[700], moved[200];
	(void)state;

	snprintf(moved, sizeof(moved), "%s.1", ledger_path);
	assert_int_equal(sw_ledger_open(ledger_path, &l, err, sizeof(err)), 0);
	append_sync(l, "SELECT 1", true, NULL);
	assert_int_equal(rename(ledger_path, moved), 0);
	usleep(1100 * 1000);
	append_sync(l, "SELECT 2", true, NULL); /* written to the moved file, then the path is followed */
	assert_int_equal(access(ledger_path, F_OK), 0);
	append_sync(l, "SELECT 3", true, NULL);
	sw_ledger_close(l);
	expect_verified(moved, 2, 1);
	expect_verified(ledger_path, 2, 3);
	c = run_cmd(sw_cmd_verify, (const char *const[]){ "verify", moved, ledger_path, NULL });
	assert_int_equal(c.rc, 0);
	captured_free(&c);
}

/* A restart onto a new file continues the known head: from PATH.head, or from the caller's anchor. */
static void test_restart_continues(void **state)
{
	struct sw_ledger_anchor a, other;
	struct sw_ledger_open_opts o = { .anchor = &a };
	struct sw_ledger *l;
	struct captured c;
	char err[700], moved[200], fresh_dir[200], fresh[240];
	struct sw_verify_result res;
	(void)state;

	snprintf(moved, sizeof(moved), "%s.1", ledger_path);
	make_ledger(3);
	assert_int_equal(sw_ledger_verify(ledger_path, &res), 0);
	assert_int_equal(rename(ledger_path, moved), 0); /* rotated while no daemon ran */
	assert_int_equal(sw_ledger_open(ledger_path, &l, err, sizeof(err)), 0);
	assert_int_equal(sw_ledger_seq(l), 4);
	sw_ledger_anchor(l, &a);
	assert_int_equal(a.seq, 4);
	sw_ledger_close(l);
	json_t *j = file_line(ledger_path, 1);
	assert_string_equal(json_string_value(json_object_get(j, "reason")), "new_file");
	assert_int_equal(json_integer_value(json_object_get(j, "continues_seq")), 3);
	assert_string_equal(json_string_value(json_object_get(j, "continues_head")), res.head);
	json_decref(j);

	/* A new path (no head file there): the anchor the daemon kept. */
	snprintf(fresh_dir, sizeof(fresh_dir), "%s/new", tmpdir);
	assert_int_equal(mkdir(fresh_dir, 0755), 0);
	snprintf(fresh, sizeof(fresh), "%s/ledger.jsonl", fresh_dir);
	assert_int_equal(sw_ledger_open_opts(fresh, &o, &l, err, sizeof(err)), 0);
	append_sync(l, "SELECT 'after the move'", true, NULL);
	sw_ledger_close(l);
	c = run_cmd(sw_cmd_verify, (const char *const[]){ "verify", moved, ledger_path, fresh, NULL });
	if (c.rc != 0)
		fail_msg("%s", c.out);
	captured_free(&c);

	/* Two different heads at the same seq: refused, nothing created. */
	other = a;
	sw_sha256_hex("another chain", 13, other.head);
	o.anchor = &other;
	assert_int_equal(sw_ledger_open_opts(ledger_path, &o, &l, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "disagree"));
	/* An anchor behind the head file is stale (e.g. a crash before the daemon saved it): the later wins. */
	other.seq = 2;
	assert_int_equal(sw_ledger_open_opts(ledger_path, &o, &l, err, sizeof(err)), 0);
	assert_int_equal(sw_ledger_seq(l), 4);
	sw_ledger_close(l);
}

/* The head file tells when records were cut from the end, and a malformed one is not guessed around. */
static void test_head_file_detects_cut_tail(void **state)
{
	struct sw_ledger *l;
	struct captured c;
	struct lines ls;
	char err[900], hp[200];
	(void)state;

	make_ledger(5);
	lines_read(&ls);
	lines_delete(&ls, 4);
	lines_write_free(&ls);
	expect_open_refused("ends at seq 4, but the chain had already reached seq 5", "records were deleted from its end");
	c = run_cmd(sw_cmd_verify, (const char *const[]){ "verify", "--ledger", ledger_path, NULL });
	assert_int_equal(c.rc, 1);
	assert_non_null(strstr(c.out, "BAD: the ledger ends at seq 4, but"));
	captured_free(&c);

	snprintf(hp, sizeof(hp), "%s.head", ledger_path);
	write_all(hp, "garbage\n", 8);
	assert_int_equal(sw_ledger_open(ledger_path, &l, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "not valid JSON"));
	assert_non_null(strstr(err, "remove it"));
	c = run_cmd(sw_cmd_verify, (const char *const[]){ "verify", "--ledger", ledger_path, NULL });
	assert_int_equal(c.rc, 1);
	assert_non_null(strstr(c.err, "head file"));
	captured_free(&c);
	unlink(hp);
	assert_int_equal(sw_ledger_open(ledger_path, &l, err, sizeof(err)), 0);
	assert_int_equal(sw_ledger_seq(l), 4);
	sw_ledger_close(l);
	c = run_cmd(sw_cmd_verify, (const char *const[]){ "verify", "--ledger", ledger_path, NULL });
	assert_int_equal(c.rc, 0);
	assert_non_null(strstr(c.out, ".head (seq 4) is in the chain"));
	captured_free(&c);
}

static void set_file_size_limit(rlim_t max)
{
	struct rlimit r = { max, RLIM_INFINITY };
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &r), 0);
}

static int teardown_limits(void **state)
{
	struct rlimit r = { RLIM_INFINITY, RLIM_INFINITY };
	setrlimit(RLIMIT_FSIZE, &r);
	fail_fdatasync = 0;
	return teardown(state);
}

static off_t size_of(const char *path)
{
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	return st.st_size;
}

/* A full disk (here: a file size limit, EFBIG): nothing on disk is damaged, the chain stays the file's,
 * waiting records are written once writing works, and a loss is recorded as a gap. */
static void test_write_failure_and_gap(void **state)
{
	struct sw_ledger *l;
	struct sw_verify_result res;
	struct timespec t1 = { T0, 0 }, t2 = { T0 + 60, 0 };
	char err[900], head2[65];
	size_t n1, n2;
	(void)state;

	signal(SIGXFSZ, SIG_IGN);
	assert_int_equal(sw_ledger_open(ledger_path, &l, err, sizeof(err)), 0);
	append_sync(l, "SELECT 1", true, NULL);
	append_sync(l, "SELECT 2", true, NULL);
	strcpy(head2, sw_ledger_head(l));
	char *before = read_all(ledger_path, &n1);
	set_file_size_limit((rlim_t)n1 + 100); /* the next record only partly fits */

	struct fake f;
	fake_init(&f, "agent_a", SW_VERDICT_HOLD, "UPDATE t SET a = 1", T0);
	assert_int_equal(sw_ledger_append_decision(l, &f.d, true, NULL, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "File too large"));
	assert_non_null(strstr(err, "nothing on disk was damaged"));
	assert_int_equal(sw_ledger_seq(l), 2); /* the failed synced record is not in the chain */
	assert_string_equal(sw_ledger_head(l), head2);
	assert_true(sw_ledger_failing(l));
	for (int i = 0; i < 3; i++)
		assert_int_equal(sw_ledger_append_decision(l, &f.d, false, NULL, err, sizeof(err)), 0);
	fake_free(&f);
	assert_int_equal(sw_ledger_flush(l, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "3 records wait in memory"));
	assert_int_equal(sw_ledger_retry(l, err, sizeof(err)), -1);
	char *during = read_all(ledger_path, &n2);
	assert_int_equal(n1, n2); /* the partial writes were cut off again */
	assert_memory_equal(before, during, n1);
	free(during);
	expect_verified(ledger_path, 2, 1);

	/* Space again: what waited is written, nothing was lost, so no gap. */
	set_file_size_limit(RLIM_INFINITY);
	assert_int_equal(sw_ledger_retry(l, err, sizeof(err)), 0);
	assert_false(sw_ledger_failing(l));
	assert_int_equal(sw_ledger_lost(l), 0);
	expect_verified(ledger_path, 5, 1);

	/* What the daemon could not hand over is counted, and written as one gap record. */
	sw_ledger_note_lost(l, "statement", &t2);
	sw_ledger_note_lost(l, "statement", &t1);
	sw_ledger_note_lost(l, "daemon", NULL);
	assert_int_equal(sw_ledger_lost(l), 3);
	assert_int_equal(sw_ledger_retry(l, err, sizeof(err)), 0);
	assert_int_equal(sw_ledger_lost(l), 0);
	/* Without asking: the gap goes in front of the next record. */
	sw_ledger_note_lost(l, "observed", &t1);
	append_sync(l, "SELECT 'next'", false, NULL);
	sw_ledger_close(l);
	json_t *g = file_line(ledger_path, 6), *g2 = file_line(ledger_path, 7), *s8 = file_line(ledger_path, 8);
	assert_string_equal(json_string_value(json_object_get(g, "type")), "gap");
	assert_int_equal(json_integer_value(json_object_get(g, "lost")), 3);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(g, "kinds"), "statement")), 2);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(g, "kinds"), "daemon")), 1);
	assert_string_equal(json_string_value(json_object_get(g, "first_time")), "2026-11-27T13:00:00.000000Z");
	assert_null(json_object_get(g, "error")); /* writing worked: these were the daemon's losses */
	assert_string_equal(json_string_value(json_object_get(g2, "type")), "gap");
	assert_int_equal(json_integer_value(json_object_get(json_object_get(g2, "kinds"), "observed")), 1);
	assert_string_equal(json_string_value(json_object_get(s8, "statement")), "SELECT 'next'");
	json_decref(g);
	json_decref(g2);
	json_decref(s8);
	assert_int_equal(sw_ledger_verify(ledger_path, &res), 0);
	assert_true(res.ok);
	assert_int_equal(res.gaps, 2);
	assert_int_equal(res.lost, 4);
	free(before);
}

/* Writing fails for long: beyond SW_LEDGER_BUFFER_MAX what waits is dropped and the gap record counts it. */
static void test_buffer_limit_drops_and_counts(void **state)
{
	struct sw_ledger *l;
	struct sw_verify_result res;
	char err[900];
	size_t n, big = 1u << 20, appended = SW_LEDGER_BUFFER_MAX / big + 6;
	char *blob = sw_xmalloc(big);
	(void)state;

	memset(blob, 'x', big - 1);
	blob[big - 1] = '\0';
	signal(SIGXFSZ, SIG_IGN);
	assert_int_equal(sw_ledger_open(ledger_path, &l, err, sizeof(err)), 0);
	append_sync(l, "SELECT 1", true, NULL);
	free(read_all(ledger_path, &n));
	set_file_size_limit((rlim_t)n + 10);
	uint64_t first_seq = 0, first_drops = 0, last_seq = 0, last_drops = 0;
	for (size_t i = 0; i < appended; i++) {
		json_t *ev = sw_daemon_record("note", json_pack("{s:s}", "blob", blob));
		assert_int_equal(sw_ledger_append_opts(l, ev, false, i ? &last_seq : &first_seq, err, sizeof(err)), 0);
		/* (read after the append, as sw_release_queue does) */
		*(i ? &last_drops : &first_drops) = sw_ledger_drops(l);
		json_decref(ev);
	}
	uint64_t lost = sw_ledger_lost(l);
	assert_true(lost > 0 && lost < appended);
	/* What waited was dropped and its seqs went to later records: the first one is not kept (a
	 * statement waiting for it must not move), the last one is; the synced record before them all
	 * survived every drop; a mark from the future is not trusted. */
	assert_int_equal(first_drops, 0);
	assert_true(sw_ledger_drops(l) > 0);
	assert_true(first_seq > 1 && last_seq > 1);
	assert_false(sw_ledger_kept(l, first_seq, first_drops));
	assert_int_equal(last_drops, sw_ledger_drops(l));
	assert_true(sw_ledger_kept(l, last_seq, last_drops));
	assert_true(sw_ledger_kept(l, 1, first_drops));
	assert_false(sw_ledger_kept(l, 1, sw_ledger_drops(l) + 1));
	set_file_size_limit(RLIM_INFINITY);
	assert_int_equal(sw_ledger_retry(l, err, sizeof(err)), 0);
	sw_ledger_close(l);
	json_t *g = file_line(ledger_path, 2);
	assert_string_equal(json_string_value(json_object_get(g, "type")), "gap");
	assert_int_equal(json_integer_value(json_object_get(g, "lost")), (json_int_t)lost);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(g, "kinds"), "daemon")), (json_int_t)lost);
	assert_non_null(strstr(json_string_value(json_object_get(g, "error")), "File too large"));
	assert_non_null(json_object_get(g, "failing_since"));
	json_decref(g);
	assert_int_equal(sw_ledger_verify(ledger_path, &res), 0);
	assert_true(res.ok);
	assert_int_equal(res.records, 2 + appended - lost);
	free(blob);
}

/* fdatasync fails (EIO): what was written since the last good sync is cut off and written again. */
static void test_sync_failure(void **state)
{
	struct sw_ledger *l;
	char err[900];
	off_t synced;
	(void)state;

	assert_int_equal(sw_ledger_open(ledger_path, &l, err, sizeof(err)), 0);
	append_sync(l, "SELECT 1", true, NULL);
	append_sync(l, "SELECT 2", true, NULL);
	synced = size_of(ledger_path);
	append_sync(l, "SELECT 3", false, NULL);
	append_sync(l, "SELECT 4", false, NULL);
	fail_fdatasync = 1;
	assert_int_equal(sw_ledger_sync(l, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "cannot sync ledger"));
	assert_non_null(strstr(err, "Input/output error"));
	assert_int_equal(size_of(ledger_path), synced); /* cut back to what the disk surely has */
	assert_int_equal(sw_ledger_seq(l), 4);          /* the records wait */
	/* A synced record whose sync fails is not in the chain. */
	assert_int_equal(sw_ledger_seq(l), 4);
	{
		struct fake f;
		fake_init(&f, "agent_a", SW_VERDICT_HOLD, "UPDATE t SET a = 1", T0);
		assert_int_equal(sw_ledger_append_decision(l, &f.d, true, NULL, err, sizeof(err)), -1);
		fake_free(&f);
	}
	assert_int_equal(sw_ledger_seq(l), 4);
	fail_fdatasync = 0;
	assert_int_equal(sw_ledger_retry(l, err, sizeof(err)), 0);
	sw_ledger_close(l);
	expect_verified(ledger_path, 4, 1);
	json_t *j = file_line(ledger_path, 4);
	assert_string_equal(json_string_value(json_object_get(j, "statement")), "SELECT 4");
	json_decref(j);
}

/* Another process writes into or cuts the live file (not a rotation): nothing more goes into it; once it is
 * moved aside, the chain goes on in a new file with what waited. */
static void test_foreign_change(void **state)
{
	struct sw_ledger *l;
	struct captured c;
	char err[900], aside[200];
	(void)state;

	snprintf(aside, sizeof(aside), "%s.evidence", ledger_path);
	assert_int_equal(sw_ledger_open(ledger_path, &l, err, sizeof(err)), 0);
	append_sync(l, "SELECT 1", true, NULL);
	append_sync(l, "SELECT 2", true, NULL);
	FILE *f = fopen(ledger_path, "a");
	fputs("{\"seq\":3,\"forged\":true}\n", f);
	fclose(f);
	append_sync(l, "SELECT 3", false, NULL);
	assert_int_equal(sw_ledger_flush(l, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "another process wrote to it"));
	assert_non_null(strstr(err, "move it aside and send SIGHUP"));
	assert_int_equal(sw_ledger_reopen(l, err, sizeof(err)), -1); /* same file: still refused */
	assert_non_null(strstr(err, "another process wrote to it"));
	assert_int_equal(rename(ledger_path, aside), 0);
	assert_int_equal(sw_ledger_reopen(l, err, sizeof(err)), 0);
	append_sync(l, "SELECT 4", true, NULL);
	sw_ledger_close(l);
	expect_verified(ledger_path, 3, 3); /* continuation of 2, then SELECT 3 and 4 */
	json_t *j = file_line(ledger_path, 2);
	assert_string_equal(json_string_value(json_object_get(j, "statement")), "SELECT 3");
	json_decref(j);
	c = run_cmd(sw_cmd_verify, (const char *const[]){ "verify", aside, NULL });
	assert_int_equal(c.rc, 1); /* the evidence shows the foreign line */
	captured_free(&c);

	/* Cut to a non-zero size (records deleted from the end under the writer): the same. */
	assert_int_equal(sw_ledger_open(ledger_path, &l, err, sizeof(err)), 0);
	append_sync(l, "SELECT 5", true, NULL);
	assert_int_equal(truncate(ledger_path, 10), 0);
	append_sync(l, "SELECT 6", false, NULL);
	assert_int_equal(sw_ledger_flush(l, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "another process cut it"));
	sw_ledger_close(l);
}

/* sqlward log --full-text and gap rows; sqlward verify reports gaps and bad texts. */
static void test_log_full_text_and_gaps(void **state)
{
	struct sw_ledger *l;
	struct captured c;
	char err[900], sha[65];
	size_t len = 100 * 1024;
	char *sql = sw_xmalloc(len + 1);
	(void)state;

	memset(sql, ' ', len);
	memcpy(sql, "SELECT * FROM app.accounts", 26);
	memcpy(sql + len - 22, "WHERE id = 1 OR 1 = 1;", 22);
	sql[len] = '\0';
	sw_sha256_hex(sql, len, sha);
	assert_int_equal(sw_ledger_open(ledger_path, &l, err, sizeof(err)), 0);
	append_sync(l, sql, true, NULL);                      /* 1 */
	append_sync(l, "SELECT 'short'", true, NULL);        /* 2 */
	sw_ledger_note_lost(l, "statement", NULL);
	sw_ledger_note_lost(l, "statement", NULL);
	assert_int_equal(sw_ledger_retry(l, err, sizeof(err)), 0); /* 3: gap */
	append_sync(l, "SELECT '\xff'", true, NULL);         /* 4: not UTF-8 */
	sw_ledger_close(l);

	c = run_cmd(sw_cmd_log, (const char *const[]){ "log", "--ledger", ledger_path, "--full-text", "1", "--format",
						       "raw", NULL });
	assert_int_equal(c.rc, 0);
	assert_int_equal(c.out_len, len);
	assert_memory_equal(c.out, sql, len);
	captured_free(&c);
	c = run_cmd(sw_cmd_log, (const char *const[]){ "log", "--ledger", ledger_path, "--full-text", "1", NULL });
	assert_int_equal(c.rc, 0);
	assert_non_null(strstr(c.out, "WHERE id = 1 OR 1 = 1;\n"));
	captured_free(&c);
	c = run_cmd(sw_cmd_log, (const char *const[]){ "log", "--ledger", ledger_path, "--full-text", "1", "--format",
						       "json", NULL });
	assert_int_equal(c.rc, 0);
	json_t *j = parse_line(c.out);
	assert_int_equal(json_string_length(json_object_get(j, "statement")), len);
	assert_string_equal(json_string_value(json_object_get(j, "statement_sha256")), sha);
	json_decref(j);
	captured_free(&c);
	c = run_cmd(sw_cmd_log, (const char *const[]){ "log", "--ledger", ledger_path, "--full-text", "2", NULL });
	assert_int_equal(c.rc, 0);
	assert_string_equal(c.out, "SELECT 'short'\n");
	captured_free(&c);
	c = run_cmd(sw_cmd_log, (const char *const[]){ "log", "--ledger", ledger_path, "--full-text", "4", "--format",
						       "json", NULL });
	assert_int_equal(c.rc, 0);
	assert_non_null(strstr(c.out, "\"statement_encoding\":\"base64\""));
	captured_free(&c);
	c = run_cmd(sw_cmd_log, (const char *const[]){ "log", "--ledger", ledger_path, "--full-text", "3", NULL });
	assert_int_equal(c.rc, 1);
	assert_non_null(strstr(c.err, "record 3 is a gap record, not a statement"));
	captured_free(&c);
	c = run_cmd(sw_cmd_log, (const char *const[]){ "log", "--ledger", ledger_path, "--full-text", "99", NULL });
	assert_int_equal(c.rc, 1);
	assert_non_null(strstr(c.err, "no record with seq 99"));
	assert_non_null(strstr(c.err, "(it holds seq 1 to 4)"));
	captured_free(&c);
	static const char *const bad[][8] = {
		{ "log", "--full-text", "1", "--role", "x", NULL },
		{ "log", "--full-text", "x", NULL },
		{ "log", "--full-text", "0", NULL },
		{ "log", "--format", "raw", NULL },
		{ "log", "--blob-base", "/tmp", NULL },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		c = run_cmd(sw_cmd_log, bad[i]);
		if (c.rc != 2)
			fail_msg("case %zu: rc %d", i, c.rc);
		captured_free(&c);
	}

	/* The gap shows in the default listing (not under a role filter) and in verify. */
	c = run_cmd(sw_cmd_log, (const char *const[]){ "log", "--ledger", ledger_path, NULL });
	assert_non_null(strstr(c.out, "[gap] 2 records were lost (statement 2) from "));
	captured_free(&c);
	c = run_cmd(sw_cmd_log, (const char *const[]){ "log", "--ledger", ledger_path, "--role", "agent_*", NULL });
	assert_null(strstr(c.out, "[gap]"));
	captured_free(&c);
	c = run_cmd(sw_cmd_log, (const char *const[]){ "log", "--ledger", ledger_path, "--type", "gap", "--format",
						       "json", NULL });
	assert_int_equal(count_lines(c.out), 1);
	captured_free(&c);
	c = run_cmd(sw_cmd_verify, (const char *const[]){ "verify", "--ledger", ledger_path, NULL });
	assert_int_equal(c.rc, 0);
	assert_non_null(strstr(c.out, "line 3 (seq 3): gap: 2 records were lost (statement 2)"));
	assert_non_null(strstr(c.out, "seq 1 to 4; 1 full statement text checked; 1 gap (2 records lost)"));
	captured_free(&c);
	c = run_cmd(sw_cmd_verify, (const char *const[]){ "verify", "--ledger", ledger_path, "--format", "json", NULL });
	j = parse_line(c.out);
	assert_true(json_is_true(json_object_get(j, "ok")));
	assert_int_equal(json_integer_value(json_object_get(j, "gaps")), 1);
	assert_int_equal(json_integer_value(json_object_get(j, "blobs")), 1);
	assert_string_equal(json_string_value(json_object_get(json_array_get(json_object_get(j, "notes"), 0), "kind")),
			    "gap");
	json_decref(j);
	captured_free(&c);

	/* The kept text is gone: verify fails naming the record, log says why; --no-blobs checks the chain only. */
	char *blob = sw_xasprintf("%s.blobs/%.2s/%s.z", ledger_path, sha, sha);
	assert_int_equal(unlink(blob), 0);
	c = run_cmd(sw_cmd_verify, (const char *const[]){ "verify", "--ledger", ledger_path, NULL });
	assert_int_equal(c.rc, 1);
	assert_non_null(strstr(c.out, "line 1 (seq 1): statement blob "));
	assert_non_null(strstr(c.out, "is missing"));
	assert_non_null(strstr(c.out, "1 statement text is missing or bad (first at line 1)"));
	captured_free(&c);
	c = run_cmd(sw_cmd_verify, (const char *const[]){ "verify", "--no-blobs", ledger_path, NULL });
	assert_int_equal(c.rc, 0);
	captured_free(&c);
	c = run_cmd(sw_cmd_log, (const char *const[]){ "log", "--ledger", ledger_path, "--full-text", "1", NULL });
	assert_int_equal(c.rc, 1);
	assert_non_null(strstr(c.err, "cannot be shown"));
	assert_non_null(strstr(c.err, "is missing"));
	captured_free(&c);
	free(blob);
	free(sql);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_canonical),
		cmocka_unit_test_setup_teardown(test_hash_recipe, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fast_path_same_line, setup, teardown),
		cmocka_unit_test_setup_teardown(test_batched_writes, setup, teardown),
		cmocka_unit_test(test_parse_time),
		cmocka_unit_test_setup_teardown(test_append_verify, setup, teardown),
		cmocka_unit_test_setup_teardown(test_empty_ledger, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reopen_continues, setup, teardown),
		cmocka_unit_test_setup_teardown(test_append_opts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lock, setup, teardown),
		cmocka_unit_test_setup_teardown(test_append_rejects_bad_record, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tamper_edit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_legacy_format_named, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tamper_edit_verdict, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tamper_delete_middle, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tamper_delete_first, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tamper_delete_last_is_undetectable_but_head_changes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tamper_swap, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tamper_forged_insert, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tamper_forged_replacement_breaks_next, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tamper_torn_last_line, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tamper_complete_record_without_newline, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tamper_invalid_json, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tamper_duplicate, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tamper_misc, setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_broken_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_verify_long_line, setup, teardown),
		cmocka_unit_test_setup_teardown(test_truncation, setup, teardown),
		cmocka_unit_test_setup_teardown(test_invalid_utf8, setup, teardown),
		cmocka_unit_test(test_multi_statement_record),
		cmocka_unit_test_setup_teardown(test_log_filters, setup, teardown),
		cmocka_unit_test_setup_teardown(test_log_usage_and_bad_lines, setup, teardown),
		cmocka_unit_test_setup_teardown(test_log_invalid_utf8_display, setup, teardown),
		cmocka_unit_test_setup_teardown(test_verify_command, setup, teardown),
		cmocka_unit_test_setup_teardown(test_copytruncate, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mv_rotation, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mv_noticed_by_sync, setup, teardown),
		cmocka_unit_test_setup_teardown(test_restart_continues, setup, teardown),
		cmocka_unit_test_setup_teardown(test_head_file_detects_cut_tail, setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_failure_and_gap, setup, teardown_limits),
		cmocka_unit_test_setup_teardown(test_buffer_limit_drops_and_counts, setup, teardown_limits),
		cmocka_unit_test_setup_teardown(test_sync_failure, setup, teardown_limits),
		cmocka_unit_test_setup_teardown(test_foreign_change, setup, teardown),
		cmocka_unit_test_setup_teardown(test_log_full_text_and_gaps, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
