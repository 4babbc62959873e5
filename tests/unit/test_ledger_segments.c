/* Rotation by the daemon into gzip segments, and reading and verifying across them. */
#include "unit.h"
#include <sys/stat.h>
#include <unistd.h>
#include "ledger.h"
#include "ledger_reader.h"
#include "ledger_segments.h"
#include "ledger_upkeep.h"
#include "util.h"
#include "ledger_fixture.h"

static void append_n(struct sw_ledger *l, int from, int n)
{
	char err[512];

	for (int i = from; i < from + n; i++) {
		json_t *ev = sw_daemon_record("tick", json_pack("{s:i}", "i", i));
		if (sw_ledger_append(l, ev, err, sizeof(err)) != 0)
			fail_msg("append: %s", err);
		json_decref(ev);
	}
}

static char *rotate(struct sw_ledger *l)
{
	char err[800], *seg = NULL;

	if (sw_ledger_rotate(l, &seg, err, sizeof(err)) != 1)
		fail_msg("rotate: %s", err);
	return seg;
}

/* Two rotations, one segment compressed: names, the live file's first record, list, reader. */
static void test_rotate_list_read(void **state)
{
	struct sw_ledger *l;
	struct sw_segment_list segs;
	struct sw_ledger_reader *r;
	char err[800], *seg1, *seg2, *want;
	const char *line;
	size_t len, n = 0;
	bool partial;
	int rc;
	(void)state;

	assert_int_equal(sw_ledger_open(ledger_path, &l, err, sizeof(err)), 0);
	append_n(l, 0, 5);
	seg1 = rotate(l);
	want = sw_xasprintf("%s.seg/00000000000000000001-00000000000000000005.jsonl", ledger_path);
	assert_string_equal(seg1, want);
	free(want);
	assert_int_equal(sw_ledger_live_first(l), 6);
	append_n(l, 5, 3);                  /* seq 6 is the continuation, 7..9 */
	seg2 = rotate(l);
	assert_non_null(strstr(seg2, "00000000000000000006-00000000000000000009.jsonl"));
	append_n(l, 8, 2);                  /* 10 continuation, 11, 12 */
	assert_int_equal(sw_segment_compress(seg1, &(struct sw_ledger_access){ 0 }, NULL, err, sizeof(err)), 0);
	assert_int_not_equal(access(seg1, F_OK), 0);
	sw_ledger_close(l);

	assert_int_equal(sw_segments_list(ledger_path, &segs, err, sizeof(err)), 0);
	assert_int_equal(segs.n, 2);
	assert_true(segs.v[0].compressed);
	assert_int_equal(segs.v[0].first, 1);
	assert_int_equal(segs.v[0].last, 5);
	assert_false(segs.v[1].compressed);
	assert_int_equal(segs.v[1].first, 6);
	sw_segments_free(&segs);

	/* The reader yields every record once, in seq order, across both segments and the live file. */
	assert_int_equal(sw_ledger_reader_open(ledger_path, &r, err, sizeof(err)), 0);
	while ((rc = sw_ledger_reader_next(r, &line, &len, &partial, err, sizeof(err))) == 1) {
		json_t *j = json_loadb(line, len, 0, NULL);
		assert_non_null(j);
		assert_int_equal(json_integer_value(json_object_get(j, "seq")), (json_int_t)++n);
		if (n == 6 || n == 10)
			assert_string_equal(json_string_value(json_object_get(j, "reason")), "rotated");
		json_decref(j);
	}
	assert_int_equal(rc, 0);
	assert_int_equal(n, 12);
	sw_ledger_reader_close(r);
	free(seg1);
	free(seg2);
}

/* Each file verifies, the compressed one through zlib, and each continues the one before. */
static void test_verify_across(void **state)
{
	struct sw_ledger *l;
	struct sw_verify_result res;
	struct sw_verify_opts vo = { .skip_blobs = true };
	char err[800], *seg1, *gz;
	(void)state;

	assert_int_equal(sw_ledger_open(ledger_path, &l, err, sizeof(err)), 0);
	append_n(l, 0, 4);
	seg1 = rotate(l);
	append_n(l, 4, 2);
	sw_ledger_close(l);
	assert_int_equal(sw_segment_compress(seg1, &(struct sw_ledger_access){ 0 }, NULL, err, sizeof(err)), 0);
	gz = sw_xasprintf("%s.gz", seg1);
	assert_int_equal(sw_ledger_verify_opts(gz, &vo, &res), 0);
	assert_true(res.ok);
	assert_int_equal(res.last_seq, 4);
	vo.after = &(struct sw_ledger_anchor){ .seq = res.last_seq };
	memcpy(((struct sw_ledger_anchor *)vo.after)->head, res.head, 65);
	assert_int_equal(sw_ledger_verify_opts(ledger_path, &vo, &res), 0);
	assert_true(res.ok);
	assert_true(res.continues);
	assert_string_equal(res.continued_reason, "rotated");
	assert_int_equal(res.last_seq, 7);

	/* A damaged .gz is a read error that says so. */
	{
		FILE *f = fopen(gz, "r+b");
		struct stat st;
		assert_non_null(f);
		assert_int_equal(stat(gz, &st), 0);
		fseek(f, st.st_size / 2, SEEK_SET);
		fputs("garbage!garbage!", f);
		fclose(f);
		vo.after = NULL;
		assert_int_equal(sw_ledger_verify_opts(gz, &vo, &res), -1);
		assert_false(res.ok);
		assert_non_null(strstr(res.reason, "damaged"));
	}
	/* A cut-off .gz too. */
	{
		struct stat st;
		assert_int_equal(stat(gz, &st), 0);
		assert_int_equal(truncate(gz, st.st_size / 2), 0);
		assert_int_not_equal(sw_ledger_verify_opts(gz, &vo, &res) == 0 && res.ok, 1);
	}
	free(gz);
	free(seg1);
}

/* Names that are not segments are ignored; overlapping segments are refused. */
static void test_list_names(void **state)
{
	struct sw_segment_list segs;
	char err[800], *dir = sw_segments_dir(ledger_path), *p;
	(void)state;

	assert_int_equal(sw_segments_list(ledger_path, &segs, err, sizeof(err)), 0);
	assert_int_equal(segs.n, 0);
	assert_int_equal(sw_segments_dir_make(ledger_path, &(struct sw_ledger_access){ 0 }, err, sizeof(err)), 0);
	const char *names[] = { "00000000000000000001-00000000000000000005.jsonl.gz",
				"00000000000000000001-00000000000000000005.jsonl", "notes.txt",
				"00000000000000000006-00000000000000000009.jsonl.gz.tmp", "1-5.jsonl" };
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		p = sw_xasprintf("%s/%s", dir, names[i]);
		FILE *f = fopen(p, "w");
		assert_non_null(f);
		fclose(f);
		free(p);
	}
	assert_int_equal(sw_segments_list(ledger_path, &segs, err, sizeof(err)), 0);
	assert_int_equal(segs.n, 1);
	assert_false(segs.v[0].compressed); /* the plain copy while both exist */
	sw_segments_free(&segs);
	p = sw_xasprintf("%s/00000000000000000004-00000000000000000008.jsonl.gz", dir);
	fclose(fopen(p, "w"));
	free(p);
	assert_int_equal(sw_segments_list(ledger_path, &segs, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "overlap"));
	free(dir);
}

/* A segment compressed after the reader listed it is read from its .gz. */
static void test_reader_follows_compression(void **state)
{
	struct sw_ledger *l;
	struct sw_ledger_reader *r;
	char err[800], *seg1, *seg2;
	const char *line;
	size_t len, n = 0;
	int rc;
	(void)state;

	assert_int_equal(sw_ledger_open(ledger_path, &l, err, sizeof(err)), 0);
	append_n(l, 0, 3);
	seg1 = rotate(l);
	append_n(l, 3, 3);
	seg2 = rotate(l);
	sw_ledger_close(l);
	assert_int_equal(sw_ledger_reader_open(ledger_path, &r, err, sizeof(err)), 0);
	assert_int_equal(sw_segment_compress(seg2, &(struct sw_ledger_access){ 0 }, NULL, err, sizeof(err)), 0);
	while ((rc = sw_ledger_reader_next(r, &line, &len, NULL, err, sizeof(err))) == 1)
		n++;
	assert_int_equal(rc, 0);
	assert_int_equal(n, 8); /* 1..3, 4 continuation + 5..7, 8 continuation */
	assert_non_null(strstr(sw_ledger_reader_file(r), "ledger.jsonl"));
	sw_ledger_reader_close(r);
	free(seg1);
	free(seg2);
}

/* The daemon's upkeep: rotation by size, compression in the background, retention with a record first. */
static void test_upkeep_rotate_retain(void **state)
{
	struct sw_ledger_upkeep_opts o = { .rotate_bytes = 1, .retain_bytes = 1 };
	struct sw_ledger_upkeep *u;
	struct sw_ledger *l;
	struct sw_segment_list segs;
	struct sw_ledger_reader *r;
	char err[800];
	const char *line;
	size_t len;
	bool removed = false;
	(void)state;

	assert_int_equal(sw_ledger_open(ledger_path, &l, err, sizeof(err)), 0);
	u = sw_ledger_upkeep_start(&o, l, NULL, err, sizeof(err));
	assert_non_null(u);
	append_n(l, 0, 3);
	sw_ledger_upkeep_tick(u, l);          /* rotates 1..3 */
	for (int i = 0; i < 100; i++) {       /* the worker compresses it */
		assert_int_equal(sw_segments_list(ledger_path, &segs, err, sizeof(err)), 0);
		bool done = segs.n == 1 && segs.v[0].compressed;
		sw_segments_free(&segs);
		if (done)
			break;
		usleep(20000);
	}
	sleep(1);                             /* retention runs at most once a second */
	sw_ledger_upkeep_tick(u, l);          /* over 1 byte: the compressed segment goes, recorded first */
	sw_ledger_upkeep_stop(u, l);
	sw_ledger_close(l);
	assert_int_equal(sw_segments_list(ledger_path, &segs, err, sizeof(err)), 0);
	assert_int_equal(segs.n, 0);
	sw_segments_free(&segs);
	assert_int_equal(sw_ledger_reader_open(ledger_path, &r, err, sizeof(err)), 0);
	while (sw_ledger_reader_next(r, &line, &len, NULL, err, sizeof(err)) == 1) {
		json_t *j = json_loadb(line, len, 0, NULL);
		const char *ev = json_string_value(json_object_get(j, "event"));
		if (ev && strcmp(ev, "segments_removed") == 0) {
			removed = true;
			assert_int_equal(json_integer_value(json_object_get(j, "first_seq")), 1);
			assert_int_equal(json_integer_value(json_object_get(j, "last_seq")), 3);
		}
		json_decref(j);
	}
	sw_ledger_reader_close(r);
	assert_true(removed);
}

/* An empty live file is not rotated. */
static void test_rotate_empty(void **state)
{
	struct sw_ledger *l;
	char err[800], *seg = NULL;
	(void)state;

	assert_int_equal(sw_ledger_open(ledger_path, &l, err, sizeof(err)), 0);
	assert_int_equal(sw_ledger_rotate(l, &seg, err, sizeof(err)), 0);
	assert_null(seg);
	sw_ledger_close(l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_rotate_list_read, setup, teardown),
		cmocka_unit_test_setup_teardown(test_verify_across, setup, teardown),
		cmocka_unit_test_setup_teardown(test_list_names, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reader_follows_compression, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rotate_empty, setup, teardown),
		cmocka_unit_test_setup_teardown(test_upkeep_rotate_retain, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
