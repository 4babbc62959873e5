/*
 * Binaries named through a process's root (proc_root.c): /proc/N/root paths
 * parsed, a process's executable named and matched by identity, the directory
 * of a file behind a /proc/N/root path found with symlinks resolved inside that
 * root, lock keys, and discovery from a named pid. (Another mount namespace is
 * exercised by tests/integration/test_containers.sh.)
 */
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "unit.h"
#include "proc_root.h"

static char self_exe[PATH_MAX];

static int setup(void **state)
{
	ssize_t n = readlink("/proc/self/exe", self_exe, sizeof(self_exe) - 1);

	(void)state;
	if (n <= 0)
		return -1;
	self_exe[n] = 0;
	return 0;
}

static void test_parse(void **state)
{
	const char *inner = NULL;
	int pid = 0;

	(void)state;
	assert_true(sw_path_in_proc_root("/proc/123/root/usr/lib/postgresql/15/bin/postgres", &pid, &inner));
	assert_int_equal(pid, 123);
	assert_string_equal(inner, "/usr/lib/postgresql/15/bin/postgres");
	assert_true(sw_path_in_proc_root("/proc/7/root", &pid, &inner));
	assert_int_equal(pid, 7);
	assert_string_equal(inner, "/");
	assert_false(sw_path_in_proc_root("/proc/7/rootfs/x", &pid, &inner));
	assert_false(sw_path_in_proc_root("/proc/self/root/usr/bin/x", &pid, &inner));
	assert_false(sw_path_in_proc_root("/proc/7/exe", &pid, &inner));
	assert_false(sw_path_in_proc_root("/proc/99999999999999999999/root/x", &pid, &inner));
	assert_false(sw_path_in_proc_root("/usr/lib/postgresql/15/bin/postgres", &pid, &inner));
}

static void test_own_executable(void **state)
{
	char path[PATH_MAX], via_root[PATH_MAX + 64];

	(void)state;
	assert_false(sw_proc_other_root(getpid()));
	assert_true(sw_proc_exe_path(getpid(), path, sizeof(path)));
	assert_string_equal(path, self_exe);
	assert_true(sw_proc_runs_binary(getpid(), self_exe));
	snprintf(via_root, sizeof(via_root), "/proc/%d/root%s", (int)getpid(), self_exe);
	assert_true(sw_proc_runs_binary(getpid(), via_root));
	assert_false(sw_proc_runs_binary(getpid(), "/bin/sh"));
	assert_false(sw_proc_exe_path(999999999, path, sizeof(path)));
}

static void test_dir_through_root(void **state)
{
	char tmpl[] = "/tmp/sw-proc-root.XXXXXX", file[PATH_MAX + 16], sub[PATH_MAX], link[PATH_MAX],
	     via[PATH_MAX + 64], name[PATH_MAX];
	struct stat dir, want;
	int fd;

	(void)state;
	assert_non_null(mkdtemp(tmpl));
	snprintf(sub, sizeof(sub), "%s/bin", tmpl);
	assert_int_equal(mkdir(sub, 0755), 0);
	snprintf(file, sizeof(file), "%s/postgres", sub);
	fd = open(file, O_CREAT | O_WRONLY, 0755);
	assert_true(fd >= 0);
	close(fd);
	/* A symlink to it elsewhere: the kernel watches the directory the file is really in. */
	snprintf(link, sizeof(link), "%s/pg", tmpl);
	assert_int_equal(symlink("bin/postgres", link), 0);
	snprintf(via, sizeof(via), "/proc/%d/root%s", (int)getpid(), link);
	assert_true(sw_binary_dir(via, &dir, name, sizeof(name)));
	assert_int_equal(stat(sub, &want), 0);
	assert_true(dir.st_dev == want.st_dev && dir.st_ino == want.st_ino);
	assert_string_equal(name, "postgres");
	/* A host path: the same answer. */
	assert_true(sw_binary_dir(link, &dir, name, sizeof(name)));
	assert_true(dir.st_dev == want.st_dev && dir.st_ino == want.st_ino);
	assert_string_equal(name, "postgres");
	snprintf(via, sizeof(via), "/proc/%d/root%s/none", (int)getpid(), tmpl);
	assert_false(sw_binary_dir(via, &dir, name, sizeof(name)));
	unlink(link);
	unlink(file);
	rmdir(sub);
	rmdir(tmpl);
}

static void test_lock_key(void **state)
{
	char key[PATH_MAX + 64], via[PATH_MAX + 64], want[PATH_MAX + 64];
	struct stat root;

	(void)state;
	sw_binary_lock_key(self_exe, key, sizeof(key));
	assert_string_equal(key, self_exe);
	snprintf(via, sizeof(via), "/proc/%d/root/usr/lib/postgresql/15/bin/postgres", (int)getpid());
	sw_binary_lock_key(via, key, sizeof(key));
	assert_int_equal(stat("/", &root), 0);
	snprintf(want, sizeof(want), "root %llx:%llx /usr/lib/postgresql/15/bin/postgres",
		 (unsigned long long)root.st_dev, (unsigned long long)root.st_ino);
	assert_string_equal(key, want);
}

static void test_find_named(void **state)
{
	static char bins[4][4096];
	int me = getpid(), none = 999999999;

	(void)state;
	assert_int_equal(sw_find_running_binaries("postgres", &me, 1, bins, 4), 1);
	assert_string_equal(bins[0], self_exe);
	assert_int_equal(sw_find_running_binaries("postgres", &none, 1, bins, 4), 0);
	/* By name: this very program, one path however many processes run it. */
	pid_t child = fork();
	if (child == 0) {
		pause();
		_exit(0);
	}
	assert_true(child > 0);
	/* (Another build of this test may run meanwhile: that is another file.) */
	int n = sw_find_running_binaries(strrchr(self_exe, '/') + 1, NULL, 0, bins, 4), mine = 0;
	for (int i = 0; i < n; i++)
		mine += strcmp(bins[i], self_exe) == 0;
	assert_int_equal(mine, 1);
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_own_executable),
		cmocka_unit_test(test_dir_through_root),
		cmocka_unit_test(test_lock_key),
		cmocka_unit_test(test_find_named),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
