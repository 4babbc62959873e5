/*
 * Following the live ledger (log_follow.c) across rotation: the writer may append to the renamed
 * file until it reopens the path, so the follower stays on the old file while the new one is
 * missing or empty, and reads it to its end once the new one has records: every record once, in
 * order. A copytruncate (the same file emptied and written again) is read again from its start,
 * without repeating what was shown.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "unit.h"
#include "log_follow.h"

static char dir[64], path[128], old[160];

static void append(const char *file, unsigned seq)
{
	FILE *f = fopen(file, "a");
	assert_non_null(f);
	fprintf(f, "{\"seq\":%u,\"type\":\"statement\"}\n", seq);
	fclose(f);
}

/* The seqs of every line available now, as "1 2 3" ("" when none). */
static const char *drain(struct sw_log_follow *f)
{
	static char out[256];
	const char *line;
	size_t len;
	char err[256];
	int r;

	out[0] = 0;
	while ((r = sw_log_follow_next(f, &line, &len, err, sizeof(err))) == 1)
		snprintf(out + strlen(out), sizeof(out) - strlen(out), "%s%lu", out[0] ? " " : "",
			 strtoul(line + 7, NULL, 10));
	assert_int_equal(r, 0);
	return out;
}

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/sw-follow-XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/ledger.jsonl", dir);
	snprintf(old, sizeof(old), "%s.1", path);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	unlink(path);
	unlink(old);
	rmdir(dir);
	return 0;
}

/* A ledger of records 1 and 2, followed from its start and read. */
static struct sw_log_follow *follow_two(void)
{
	struct sw_log_follow *f;

	append(path, 1);
	append(path, 2);
	f = sw_log_follow_open(path, 0);
	assert_string_equal(drain(f), "1 2");
	return f;
}

static void test_rotation_keeps_late_writes(void **state)
{
	struct sw_log_follow *f = follow_two();

	(void)state;
	/* Renamed; the writer appends to it before it notices; no new file yet. */
	assert_int_equal(rename(path, old), 0);
	append(old, 3);
	assert_string_equal(drain(f), "3");
	/* The new file is created empty; the writer is still on the old one. */
	fclose(fopen(path, "w"));
	append(old, 4);
	assert_string_equal(drain(f), "4");
	/* The writer moved: its last line in the old file comes before the new file's first. */
	append(old, 5);
	append(path, 6);
	assert_string_equal(drain(f), "5 6");
	append(path, 7);
	assert_string_equal(drain(f), "7");
	sw_log_follow_close(f);
}

static void test_copytruncate_shows_each_record_once(void **state)
{
	struct sw_log_follow *f = follow_two();

	(void)state;
	assert_int_equal(truncate(path, 0), 0);
	append(path, 3);
	assert_string_equal(drain(f), "3");
	/* Emptied and grown past where the follower was: read again from the start, nothing twice. */
	assert_int_equal(truncate(path, 0), 0);
	append(path, 4);
	append(path, 5);
	append(path, 6);
	assert_string_equal(drain(f), "4 5 6");
	sw_log_follow_close(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_rotation_keeps_late_writes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_copytruncate_shows_each_record_once, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
