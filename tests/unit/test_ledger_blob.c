/* Full statement texts beside the ledger: the blob store, statement records that use it, and verify. */
#include "unit.h"
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include "ledger.h"
#include "ledger_blob.h"
#include "util.h"
#include "ledger_fixture.h"

/* A statement of len bytes: padding, then the predicate that matters at the very end. */
static char *long_select(size_t len, const char *tail)
{
	static const char head[] = "SELECT * FROM app.accounts /* ";
	size_t tl = strlen(tail);
	char *s = sw_xmalloc(len + 1);

	assert_true(len > sizeof(head) + tl + 3);
	memcpy(s, head, sizeof(head) - 1);
	for (size_t i = sizeof(head) - 1; i < len - tl - 3; i++)
		s[i] = (char)('a' + i % 26);
	memcpy(s + len - tl - 3, " */", 3);
	memcpy(s + len - tl, tail, tl);
	s[len] = '\0';
	return s;
}

struct collected {
	char *buf;
	size_t len;
};

static int collect(void *ctx, const void *data, size_t n)
{
	struct collected *c = ctx;
	c->buf = sw_xrealloc(c->buf, c->len + n + 1);
	memcpy(c->buf + c->len, data, n);
	c->len += n;
	return 0;
}

static char *blob_path(const char *rel)
{
	return sw_xasprintf("%s/%s", tmpdir, rel);
}

static void read_expect(const char *rel, const char *sha, uint64_t len, const char *why_part)
{
	char err[700];
	int rc = sw_blob_read(tmpdir, rel, sha, len, NULL, NULL, err, sizeof(err));

	if (why_part == NULL) {
		if (rc != 0)
			fail_msg("expected the blob to read back, got: %s", err);
		return;
	}
	if (rc == 0)
		fail_msg("expected a failure (%s), the blob read back", why_part);
	if (!strstr(err, why_part))
		fail_msg("expected \"%s\" in: %s", why_part, err);
}

/* ---- the store ---- */

static void test_round_trip_and_modes(void **state)
{
	char sha[65], rel[SW_BLOB_REL_MAX], err[512];
	struct collected c = { 0 };
	struct stat st;
	size_t len = 200 * 1024;
	char *text = long_select(len, "WHERE id = 7");
	(void)state;

	sw_sha256_hex(text, len, sha);
	assert_int_equal(sw_blob_put(tmpdir, "ledger.jsonl.blobs", text, len, sha, NULL, rel, err, sizeof(err)), 0);
	char *want = sw_xasprintf("ledger.jsonl.blobs/%.2s/%s.z", sha, sha);
	assert_string_equal(rel, want);
	free(want);
	assert_int_equal(sw_blob_read(tmpdir, rel, sha, len, collect, &c, err, sizeof(err)), 0);
	assert_int_equal(c.len, len);
	assert_memory_equal(c.buf, text, len);
	free(c.buf);

	/* The file is a plain zlib stream (Python: zlib.decompress), smaller than the text. */
	char *path = blob_path(rel);
	assert_int_equal(stat(path, &st), 0);
	assert_true(st.st_size > 0 && st.st_size < (off_t)len / 4);
	assert_int_equal(st.st_mode & 07777, 0640);
	{
		FILE *f = fopen(path, "rb");
		unsigned char *z = sw_xmalloc((size_t)st.st_size), *out = sw_xmalloc(len);
		uLongf out_len = len;
		assert_int_equal(fread(z, 1, (size_t)st.st_size, f), (size_t)st.st_size);
		fclose(f);
		assert_int_equal(uncompress(out, &out_len, z, (uLong)st.st_size), Z_OK);
		assert_int_equal(out_len, len);
		assert_memory_equal(out, text, len);
		free(z);
		free(out);
	}
	free(path);
	/* Directories 0750, no temporary files left behind. */
	path = sw_xasprintf("%s/ledger.jsonl.blobs", tmpdir);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0750);
	free(path);
	path = sw_xasprintf("%s/ledger.jsonl.blobs/%.2s", tmpdir, sha);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0750);
	char *cmd = sw_xasprintf("test $(ls -A '%s' | wc -l) -eq 1", path);
	assert_int_equal(system(cmd), 0);
	free(cmd);
	free(path);
	free(text);
}

/* Equal texts share one file; a corrupt file under the name is replaced on the next put. */
static void test_sharing_and_repair(void **state)
{
	char sha[65], rel[SW_BLOB_REL_MAX], rel2[SW_BLOB_REL_MAX], err[512];
	struct stat a, b;
	size_t len = 100 * 1024;
	char *text = long_select(len, "WHERE owner = current_user");
	(void)state;

	sw_sha256_hex(text, len, sha);
	assert_int_equal(sw_blob_put(tmpdir, "l.blobs", text, len, sha, NULL, rel, err, sizeof(err)), 0);
	char *path = blob_path(rel);
	assert_int_equal(stat(path, &a), 0);
	assert_int_equal(sw_blob_put(tmpdir, "l.blobs", text, len, sha, NULL, rel2, err, sizeof(err)), 0);
	assert_string_equal(rel, rel2);
	assert_int_equal(stat(path, &b), 0);
	assert_int_equal(a.st_ino, b.st_ino); /* reused, not rewritten */

	FILE *f = fopen(path, "r+b");
	fseek(f, 20, SEEK_SET);
	fputc(0x55, f);
	fclose(f);
	read_expect(rel, sha, len, "");
	assert_int_equal(sw_blob_put(tmpdir, "l.blobs", text, len, sha, NULL, rel2, err, sizeof(err)), 0);
	assert_int_equal(stat(path, &b), 0);
	assert_int_not_equal(a.st_ino, b.st_ino); /* the bad one was replaced */
	read_expect(rel, sha, len, NULL);
	free(path);
	free(text);
}

static void write_file(const char *path, const void *data, size_t n)
{
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, n, f), n);
	fclose(f);
}

/* Every way a blob can be wrong is named, and nothing but the record's text passes. */
static void test_detection(void **state)
{
	char sha[65], rel[SW_BLOB_REL_MAX], err[512], other_sha[65];
	size_t len = 80 * 1024, zlen;
	char *text = long_select(len, "WHERE tenant = 3"), *path, *z;
	(void)state;

	sw_sha256_hex(text, len, sha);
	assert_int_equal(sw_blob_put(tmpdir, "l.blobs", text, len, sha, NULL, rel, err, sizeof(err)), 0);
	path = blob_path(rel);
	{
		FILE *f = fopen(path, "rb");
		struct stat st;
		stat(path, &st);
		zlen = (size_t)st.st_size;
		z = sw_xmalloc(zlen + 16);
		assert_int_equal(fread(z, 1, zlen, f), zlen);
		fclose(f);
	}
	read_expect(rel, sha, len, NULL);

	/* The record's length is the bound: one byte less or more is a mismatch. */
	read_expect(rel, sha, len - 1, "more than the record's statement_length");
	read_expect(rel, sha, len + 1, "holds 81920 bytes, the record's statement_length is 81921");
	/* Another text's hash. */
	sw_sha256_hex("x", 1, other_sha);
	read_expect(rel, other_sha, len, "not a path sqlward writes"); /* the name does not match */

	/* Truncated, bytes appended, bit flipped, missing, emptied. */
	write_file(path, z, zlen / 2);
	read_expect(rel, sha, len, "truncated");
	memcpy(z + zlen, "garbage", 7);
	write_file(path, z, zlen + 7);
	read_expect(rel, sha, len, "bytes after its zlib stream");
	z[zlen / 2] ^= 0x40;
	write_file(path, z, zlen);
	read_expect(rel, sha, len, ""); /* corrupt, or wrong text: either way refused */
	z[zlen / 2] ^= 0x40;
	write_file(path, "", 0);
	read_expect(rel, sha, len, "truncated");
	unlink(path);
	read_expect(rel, sha, len, "is missing");

	/* Another text compressed under this name: right size, wrong hash. */
	{
		char *other = long_select(len, "WHERE tenant = 4");
		uLongf clen = compressBound(len);
		unsigned char *c = sw_xmalloc(clen);
		assert_int_equal(compress(c, &clen, (const Bytef *)other, len), Z_OK);
		write_file(path, c, clen);
		read_expect(rel, sha, len, "does not hold this statement's text");
		free(c);
		free(other);
	}
	/* Not a regular file, or a link: not followed. */
	unlink(path);
	assert_int_equal(mkfifo(path, 0600), 0);
	read_expect(rel, sha, len, "not a regular file");
	unlink(path);
	assert_int_equal(symlink("/etc/passwd", path), 0);
	read_expect(rel, sha, len, "Too many levels of symbolic links");
	unlink(path);
	/* Far larger than any compression of the text: not read at all. */
	{
		char *big = sw_xcalloc(1, 2 * len);
		write_file(path, big, 2 * len);
		read_expect(rel, sha, len, "more than any compression");
		free(big);
	}
	free(z);
	free(path);
	free(text);
}

/* A small blob that inflates to 64 MiB stops at the record's length, without reading it all. */
static void test_decompression_bound(void **state)
{
	size_t bomb = 64u << 20, claimed = 100 * 1024;
	unsigned char *zeros = sw_xcalloc(1, bomb);
	uLongf clen = compressBound(bomb);
	unsigned char *c = sw_xmalloc(clen);
	char sha[65], err[512];
	struct collected got = { 0 };
	(void)state;

	assert_int_equal(compress(c, &clen, zeros, bomb), Z_OK);
	assert_true(clen < claimed); /* small enough to pass the size check */
	sw_sha256_hex(zeros, claimed, sha);
	char *dir = sw_xasprintf("%s/l.blobs/%.2s", tmpdir, sha);
	char *cmd = sw_xasprintf("mkdir -p '%s'", dir);
	assert_int_equal(system(cmd), 0);
	char *rel = sw_xasprintf("l.blobs/%.2s/%s.z", sha, sha);
	char *path = blob_path(rel);
	write_file(path, c, clen);
	assert_int_equal(sw_blob_read(tmpdir, rel, sha, claimed, collect, &got, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "decompresses to more than the record's statement_length"));
	assert_true(got.len <= claimed); /* the sink never saw more than the bound */
	free(got.buf);
	free(path);
	free(rel);
	free(cmd);
	free(dir);
	free(c);
	free(zeros);
}

static void test_rel_valid(void **state)
{
	char sha[65];
	(void)state;

	sw_sha256_hex("abc", 3, sha);
	char *good = sw_xasprintf("ledger.jsonl.blobs/%.2s/%s.z", sha, sha);
	assert_true(sw_blob_rel_valid(good, sha));
	char *bad[] = {
		sw_xasprintf("/etc/%.2s/%s.z", sha, sha),
		sw_xasprintf("../x.blobs/%.2s/%s.z", sha, sha),
		sw_xasprintf("x.blobs/../%s.z", sha),
		sw_xasprintf(".blobs/%.2s/%s.z", sha, sha),
		sw_xasprintf("x.blob/%.2s/%s.z", sha, sha),
		sw_xasprintf("x.blobs/00/%s.z", sha),
		sw_xasprintf("x.blobs/%.2s/%s.gz", sha, sha),
		sw_xasprintf("x.blobs/%.2s/%s.z/x", sha, sha),
		sw_xasprintf("a/x.blobs/%.2s/%s.z", sha, sha),
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (sw_blob_rel_valid(bad[i], sha))
			fail_msg("accepted %s", bad[i]);
		free(bad[i]);
	}
	{
		char upper[65];
		for (int i = 0; i < 65; i++)
			upper[i] = (char)(sha[i] >= 'a' ? sha[i] - 32 : sha[i]);
		assert_false(sw_blob_rel_valid(good, upper)); /* hashes are lower-case hex */
	}
	free(good);
}

/* ---- statement records ---- */

static void decide(struct sw_decision *d, const char *sql, size_t len)
{
	memset(d, 0, sizeof(*d));
	d->time.tv_sec = 1795784400;
	d->engine = SW_ENGINE_POSTGRES;
	d->pid = 77;
	d->role = "agent_a";
	d->governed = true;
	d->statement = sql;
	d->statement_len = len;
	d->statement_complete = true;
	d->outcome = "ran";
}

static json_t *line_record(size_t lineno)
{
	FILE *f = fopen(ledger_path, "r");
	char *line = NULL;
	size_t cap = 0;
	json_t *j = NULL;

	for (size_t i = 1; getline(&line, &cap, f) != -1; i++)
		if (i == lineno)
			j = json_loads(line, 0, NULL);
	free(line);
	fclose(f);
	assert_non_null(j);
	return j;
}

struct seen {
	size_t n;
	char kinds[8][24];
	char text[8][700];
};

static void see(void *ctx, const struct sw_verify_note *n)
{
	struct seen *s = ctx;
	if (s->n < 8) {
		snprintf(s->kinds[s->n], sizeof(s->kinds[0]), "%s", n->kind);
		snprintf(s->text[s->n], sizeof(s->text[0]), "%s", n->text);
	}
	s->n++;
}

static void test_records_keep_full_text(void **state)
{
	struct sw_ledger *l;
	struct sw_decision d;
	struct sw_verify_result res;
	struct seen seen = { 0 };
	struct sw_verify_opts vo = { .note = see, .ctx = &seen };
	char err[512], sha[65];
	size_t len = 100 * 1024;
	char *sql = long_select(len, "WHERE id = 1 OR true");
	(void)state;

	sw_sha256_hex(sql, len, sha);
	assert_int_equal(sw_ledger_open(ledger_path, &l, err, sizeof(err)), 0);
	decide(&d, sql, len);
	assert_int_equal(sw_ledger_append_decision(l, &d, true, NULL, err, sizeof(err)), 0);
	/* The same text again (the hold, then the decision): one blob. */
	json_t *rec = sw_ledger_decision_record(l, &d);
	assert_int_equal(sw_ledger_append(l, rec, err, sizeof(err)), 0);
	json_decref(rec);
	/* A short statement has no blob. */
	decide(&d, "SELECT 1", 8);
	assert_int_equal(sw_ledger_append_decision(l, &d, false, NULL, err, sizeof(err)), 0);
	sw_ledger_close(l);

	json_t *r1 = line_record(1), *r2 = line_record(2), *r3 = line_record(3);
	char *want = sw_xasprintf("ledger.jsonl.blobs/%.2s/%s.z", sha, sha);
	assert_string_equal(json_string_value(json_object_get(r1, "statement_blob")), want);
	assert_string_equal(json_string_value(json_object_get(r2, "statement_blob")), want);
	assert_true(json_is_true(json_object_get(r1, "statement_truncated")));
	assert_int_equal(json_integer_value(json_object_get(r1, "statement_length")), len);
	assert_string_equal(json_string_value(json_object_get(r1, "statement_sha256")), sha);
	assert_null(json_object_get(r3, "statement_blob"));
	/* The builder without a ledger writes no blob reference (as before). */
	decide(&d, sql, len);
	rec = sw_decision_record(&d);
	assert_null(json_object_get(rec, "statement_blob"));
	json_decref(rec);
	free(want);
	json_decref(r1);
	json_decref(r2);
	json_decref(r3);

	/* The predicate at the end is recoverable from the store. */
	struct collected c = { 0 };
	r1 = line_record(1);
	assert_int_equal(sw_blob_read(tmpdir, json_string_value(json_object_get(r1, "statement_blob")), sha, len,
				      collect, &c, err, sizeof(err)), 0);
	assert_int_equal(c.len, len);
	assert_memory_equal(c.buf + len - 20, "WHERE id = 1 OR true", 20);
	free(c.buf);
	json_decref(r1);

	assert_int_equal(sw_ledger_verify_opts(ledger_path, &vo, &res), 0);
	assert_true(res.ok);
	assert_int_equal(res.records, 3);
	assert_int_equal(res.blobs, 2);
	assert_int_equal(res.blob_errors, 0);
	assert_int_equal(seen.n, 0);

	/* A missing blob fails verification and names the record; the chain itself is intact. */
	char *path = sw_xasprintf("%s/ledger.jsonl.blobs/%.2s/%s.z", tmpdir, sha, sha);
	char *moved = sw_xasprintf("%s/elsewhere", tmpdir);
	assert_int_equal(rename(path, moved), 0);
	memset(&seen, 0, sizeof(seen));
	assert_int_equal(sw_ledger_verify_opts(ledger_path, &vo, &res), 0);
	assert_false(res.ok);
	assert_int_equal(res.bad_line, 0);
	assert_int_equal(res.records, 3);
	assert_int_equal(res.blob_errors, 2);
	assert_int_equal(res.blob_bad_line, 1);
	assert_non_null(strstr(res.blob_reason, "is missing"));
	assert_int_equal(seen.n, 2);
	assert_string_equal(seen.kinds[0], "blob_error");
	/* Chain only: fine. The daemon opens it (it checks the chain, not every text). */
	vo.skip_blobs = true;
	assert_int_equal(sw_ledger_verify_opts(ledger_path, &vo, &res), 0);
	assert_true(res.ok);
	vo.skip_blobs = false;
	assert_int_equal(sw_ledger_open(ledger_path, &l, err, sizeof(err)), 0);
	sw_ledger_close(l);

	/* The store moved elsewhere: --blob-base finds it. */
	char *alt = sw_xasprintf("%s/archive", tmpdir);
	char *cmd = sw_xasprintf("mkdir -p '%s/ledger.jsonl.blobs/%.2s' && mv '%s' '%s/ledger.jsonl.blobs/%.2s/%s.z'",
				 alt, sha, moved, alt, sha, sha);
	assert_int_equal(system(cmd), 0);
	vo.blob_base = alt;
	assert_int_equal(sw_ledger_verify_opts(ledger_path, &vo, &res), 0);
	assert_true(res.ok);
	assert_int_equal(res.blobs, 2);
	free(cmd);
	free(alt);
	free(moved);
	free(path);
	free(sql);
}

/* When the store cannot be written the record is still written, and says why its full text is missing. */
static void test_store_unwritable(void **state)
{
	struct sw_ledger *l;
	struct sw_decision d;
	struct sw_verify_result res;
	struct seen seen = { 0 };
	struct sw_verify_opts vo = { .note = see, .ctx = &seen };
	char err[512];
	size_t len = 70 * 1024;
	char *sql = long_select(len, "WHERE 1 = 1");
	(void)state;

	char *store = sw_xasprintf("%s.blobs", ledger_path);
	FILE *f = fopen(store, "w"); /* a file where the directory should be */
	fclose(f);
	assert_int_equal(sw_ledger_open(ledger_path, &l, err, sizeof(err)), 0);
	decide(&d, sql, len);
	assert_int_equal(sw_ledger_append_decision(l, &d, true, NULL, err, sizeof(err)), 0);
	sw_ledger_close(l);
	json_t *r = line_record(1);
	assert_null(json_object_get(r, "statement_blob"));
	assert_non_null(strstr(json_string_value(json_object_get(r, "statement_blob_error")), "in the way"));
	json_decref(r);
	assert_int_equal(sw_ledger_verify_opts(ledger_path, &vo, &res), 0);
	assert_true(res.ok); /* a recorded loss, not a fault */
	assert_int_equal(res.texts_not_kept, 1);
	assert_int_equal(seen.n, 1);
	assert_string_equal(seen.kinds[0], "text_not_kept");
	assert_non_null(strstr(seen.text[0], "could not be kept"));
	free(store);
	free(sql);
}

/* Reviewers read without root: the group option gives the ledger, head file and store their group. */
static void test_group_access(void **state)
{
	struct sw_ledger_open_opts o = { .access = { .set_group = true, .group = 4242 } };
	struct sw_ledger *l;
	struct sw_decision d;
	struct stat st;
	char err[512], sha[65];
	size_t len = 70 * 1024;
	char *sql = long_select(len, "WHERE x");
	(void)state;

	if (geteuid() != 0) {
		skip();
		return;
	}
	umask(077); /* the modes are set explicitly, whatever the umask */
	assert_int_equal(sw_ledger_open_opts(ledger_path, &o, &l, err, sizeof(err)), 0);
	decide(&d, sql, len);
	assert_int_equal(sw_ledger_append_decision(l, &d, true, NULL, err, sizeof(err)), 0);
	sw_ledger_close(l);
	umask(022);
	sw_sha256_hex(sql, len, sha);
	char *paths[] = {
		sw_xstrdup(ledger_path),
		sw_xasprintf("%s.head", ledger_path),
		sw_xasprintf("%s.blobs", ledger_path),
		sw_xasprintf("%s.blobs/%.2s", ledger_path, sha),
		sw_xasprintf("%s.blobs/%.2s/%s.z", ledger_path, sha, sha),
	};
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		assert_int_equal(stat(paths[i], &st), 0);
		if (st.st_gid != 4242 || (st.st_mode & 07777) != (S_ISDIR(st.st_mode) ? 0750u : 0640u))
			fail_msg("%s: gid %u mode %o", paths[i], (unsigned)st.st_gid, (unsigned)(st.st_mode & 07777));
		free(paths[i]);
	}
	free(sql);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_round_trip_and_modes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sharing_and_repair, setup, teardown),
		cmocka_unit_test_setup_teardown(test_detection, setup, teardown),
		cmocka_unit_test_setup_teardown(test_decompression_bound, setup, teardown),
		cmocka_unit_test(test_rel_valid),
		cmocka_unit_test_setup_teardown(test_records_keep_full_text, setup, teardown),
		cmocka_unit_test_setup_teardown(test_store_unwritable, setup, teardown),
		cmocka_unit_test_setup_teardown(test_group_access, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
