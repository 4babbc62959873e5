/*
 * tracefs for the MariaDB restart watch (tracefs_mount.c): on a host that never mounted it, the daemon mounts
 * it before its first tracepoint attach, and doctor warns with the mount command. Each case runs in a child
 * with its own mount namespace, so the machine's tracefs is never touched.
 */
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>
#include "unit.h"
#include "doctor_checks.h"
#include "doctor_report.h"
#include "tracefs_mount.h"

/* In a private mount namespace with no tracefs reachable: 0 when it could be arranged. */
static int lose_tracefs(void)
{
	if (unshare(CLONE_NEWNS) != 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0)
		return -1;
	while (umount2("/sys/kernel/debug/tracing", MNT_DETACH) == 0)
		;
	while (umount2("/sys/kernel/debug", MNT_DETACH) == 0)
		;
	while (umount2("/sys/kernel/tracing", MNT_DETACH) == 0)
		;
	return sw_tracefs_ready() ? -1 : 0;
}

/* Runs body in a child that lost tracefs; the child's exit code is the number of failed expectations. */
static int in_namespace_without_tracefs(int (*body)(void))
{
	int st = 0;
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0)
		_exit(lose_tracefs() < 0 ? 100 : body());
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	return WEXITSTATUS(st);
}

static int ensure_mounts(void)
{
	char err[256] = "";
	int fails = 0;

	fails += sw_tracefs_ensure(err, sizeof(err)) != 1;   /* mounted now */
	fails += !sw_tracefs_ready();
	fails += strcmp(sw_tracefs_dir(), "/sys/kernel/tracing") != 0;
	fails += sw_tracefs_ensure(err, sizeof(err)) != 0;   /* already there: nothing more */
	return fails;
}

static int doctor_warns(void)
{
	struct sw_doctor_report r = { 0 };
	int fails = 0;

	sw_doctor_check_tracefs(&r);
	fails += r.n != 1;
	if (r.n == 1) {
		fails += strcmp(r.checks[0].name, "tracefs") != 0;
		fails += r.checks[0].status != SW_DOCTOR_WARN;
		fails += strstr(r.checks[0].fix, "mount -t tracefs tracefs /sys/kernel/tracing") == NULL;
	}
	sw_doctor_report_free(&r);
	return fails;
}

static void test_ensure_mounts_where_missing(void **state)
{
	(void)state;
	assert_int_equal(in_namespace_without_tracefs(ensure_mounts), 0);
}

static void test_doctor_warns_where_missing(void **state)
{
	(void)state;
	assert_int_equal(in_namespace_without_tracefs(doctor_warns), 0);
}

static void test_ready_here_is_left_alone(void **state)
{
	struct sw_doctor_report r = { 0 };
	char err[256] = "";

	(void)state;
	assert_true(sw_tracefs_ensure(err, sizeof(err)) >= 0);   /* mounts nothing where it is already mounted */
	sw_doctor_check_tracefs(&r);
	assert_int_equal(r.n, 1);
	assert_int_equal(r.checks[0].status, SW_DOCTOR_OK);
	sw_doctor_report_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ensure_mounts_where_missing),
		cmocka_unit_test(test_doctor_warns_where_missing),
		cmocka_unit_test(test_ready_here_is_left_alone),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
