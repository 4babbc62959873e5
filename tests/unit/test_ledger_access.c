/*
 * Ledger readers by ACL (ledger_access.c): what appears in the segment and
 * full-text stores after the readers were granted is readable by them once
 * the daemon's once-a-second refresh has run. Needs root (ACLs for another
 * user, a child that becomes that user); skipped otherwise.
 */
#include "unit.h"
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "ledger_access.h"
#include "statement.h"
#include "util.h"

#define READER "nobody"

/* Can READER open path for reading? Checked by a child that becomes READER. */
static bool reader_can_read(const char *path)
{
	struct passwd *pw = getpwnam(READER);
	int status = 0;
	pid_t pid;

	assert_non_null(pw);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int fd;
		if (setgid(pw->pw_gid) != 0 || setuid(pw->pw_uid) != 0)
			_exit(2);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		_exit(fd >= 0 ? 0 : 1);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) != 2);
	return WEXITSTATUS(status) == 0;
}

static void make_file(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, "{}\n", 3), 3);
	close(fd);
}

struct fixture {
	char dir[64], *ledger, *segs, *blobs;
	struct sw_strv readers;
};

static int setup(void **state)
{
	struct fixture *f;

	if (geteuid() != 0 || !getpwnam(READER))
		return 0;
	f = calloc(1, sizeof(*f));
	snprintf(f->dir, sizeof(f->dir), "/tmp/sw-access.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	f->ledger = sw_xasprintf("%s/ledger.jsonl", f->dir);
	f->segs = sw_xasprintf("%s.seg", f->ledger);
	f->blobs = sw_xasprintf("%s.blobs", f->ledger);
	sw_strv_push(&f->readers, READER);
	make_file(f->ledger);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char *cmd;

	if (!f)
		return 0;
	cmd = sw_xasprintf("rm -rf '%s'", f->dir);
	assert_int_equal(system(cmd), 0);
	free(cmd);
	free(f->ledger);
	free(f->segs);
	free(f->blobs);
	sw_strv_free(&f->readers);
	free(f);
	return 0;
}

static void refresh(struct fixture *f)
{
	char err[512] = "";

	if (sw_ledger_access_refresh(&f->readers, f->ledger, err, sizeof(err)) != 0)
		fail_msg("refresh: %s", err);
}

/*
 * The stores appear after the readers were granted (first rotation, first
 * full text), and files reach them by rename after their directory was
 * granted (a rotated live file that predates its own grant; a compressed
 * segment taking its final name while the directory was being walked).
 */
static void test_late_files_reach_readers(void **state)
{
	struct fixture *f = *state;
	char err[512] = "", *seg1, *seg2, *outside, *sub, *blob;

	if (!f)
		skip();
	assert_int_equal(sw_ledger_access_apply(&f->readers, f->ledger, err, sizeof(err)), 0);
	assert_true(reader_can_read(f->ledger));

	/* The segment store, made after the grant, with a file in it. */
	assert_int_equal(mkdir(f->segs, 0750), 0);
	seg1 = sw_xasprintf("%s/1-10.jsonl", f->segs);
	make_file(seg1);
	assert_false(reader_can_read(seg1));
	refresh(f);
	assert_true(reader_can_read(seg1));

	/* A file renamed in after the directory was granted keeps its own ACL: the refresh fixes it. */
	outside = sw_xasprintf("%s/rotated.jsonl", f->dir);
	seg2 = sw_xasprintf("%s/11-20.jsonl", f->segs);
	make_file(outside);
	assert_int_equal(rename(outside, seg2), 0);
	assert_false(reader_can_read(seg2));
	refresh(f);
	assert_true(reader_can_read(seg2));

	/* The full-text store, made after the grant (PATH.blobs/<2 hex>/<sha>.z). */
	sub = sw_xasprintf("%s/ab", f->blobs);
	blob = sw_xasprintf("%s/abcdef.z", sub);
	assert_int_equal(mkdir(f->blobs, 0750), 0);
	assert_int_equal(mkdir(sub, 0750), 0);
	make_file(blob);
	assert_false(reader_can_read(blob));
	refresh(f);
	assert_true(reader_can_read(blob));

	/* What is created in a granted store later inherits, with no refresh. */
	free(blob);
	blob = sw_xasprintf("%s/012345.z", sub);
	make_file(blob);
	assert_true(reader_can_read(blob));

	free(seg1);
	free(seg2);
	free(outside);
	free(sub);
	free(blob);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_late_files_reach_readers, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
