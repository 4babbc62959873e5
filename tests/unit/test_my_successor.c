/*
 * Following a restarted mariadbd (my_successor.c): a server is known by its
 * data directory (its working directory); its successor is a process running a
 * file named mariadbd or mysqld in that directory, never the old pid, never
 * another program working there, never a server in another directory. A pidfd
 * tells a server's exit; the watchdog's kill takes only stopped servers there
 * other than the gated one; the pins left for a gone server are removed, and
 * no other server's.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "unit.h"
#include "my_successor.h"

static char top[PATH_MAX];

/* A child running /bin/sleep under file name `name`, working in dir. */
static pid_t spawn_as(const char *name, const char *dir)
{
	char exe[PATH_MAX + 64], cmd[PATH_MAX * 2 + 64];
	pid_t pid;

	snprintf(exe, sizeof(exe), "%s/bin-%s", top, name);
	mkdir(exe, 0755);
	snprintf(exe, sizeof(exe), "%s/bin-%s/%s", top, name, name);
	if (access(exe, X_OK) != 0) {
		snprintf(cmd, sizeof(cmd), "cp /bin/sleep '%s'", exe);
		assert_int_equal(system(cmd), 0);
	}
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (chdir(dir) != 0)
			_exit(126);
		execl(exe, name, "30", (char *)NULL);
		_exit(127);
	}
	/* Until it runs the file (the exec is done) in its directory. */
	for (int i = 0; i < 500; i++) {
		char link[64], got[PATH_MAX];
		ssize_t n;
		snprintf(link, sizeof(link), "/proc/%d/exe", (int)pid);
		n = readlink(link, got, sizeof(got) - 1);
		if (n > 0) {
			got[n] = 0;
			if (strcmp(got, exe) == 0)
				break;
		}
		usleep(2000);
	}
	return pid;
}

static void reap(pid_t pid)
{
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

static void test_successor_by_data_directory(void **state)
{
	char data[PATH_MAX + 16], other[PATH_MAX + 16], err[256];
	struct sw_my_server_id id;
	pid_t first, tool, elsewhere, next, old_name;

	(void)state;
	snprintf(data, sizeof(data), "%s/data", top);
	snprintf(other, sizeof(other), "%s/other", top);
	assert_int_equal(mkdir(data, 0755), 0);
	assert_int_equal(mkdir(other, 0755), 0);

	first = spawn_as("mariadbd", data);
	assert_true(sw_my_server_id_of(first, &id, err, sizeof(err)));
	assert_non_null(strstr(id.path, "/data"));
	/* Only the server itself works there: no successor. */
	assert_int_equal(sw_my_find_successor(&id, first), 0);

	/* Another program in the same directory, and a server in another one: neither. */
	tool = spawn_as("mariadb-backup", data);
	elsewhere = spawn_as("mariadbd", other);
	assert_int_equal(sw_my_find_successor(&id, first), 0);

	/* The server's exit is seen through its pidfd. */
	{
		int fd = sw_my_pidfd(first);
		assert_true(fd >= 0);
		assert_true(sw_my_server_alive(first, fd));
		reap(first);
		assert_false(sw_my_server_alive(first, fd));
		close(fd);
	}
	/* Started again in its data directory: found; so is a server whose file is named mysqld. */
	next = spawn_as("mariadbd", data);
	assert_int_equal(sw_my_find_successor(&id, first), next);
	assert_int_equal(sw_my_find_successor(&id, next), 0);
	reap(next);
	old_name = spawn_as("mysqld", data);
	assert_int_equal(sw_my_find_successor(&id, first), old_name);
	reap(old_name);
	reap(tool);
	reap(elsewhere);

	/* A directory that cannot be read names what failed. */
	assert_false(sw_my_server_id_of(999999999, &id, err, sizeof(err)));
	assert_non_null(strstr(err, "999999999"));
}

static void test_kill_stopped_successors(void **state)
{
	char data[PATH_MAX + 16], err[256];
	struct sw_my_server_id id;
	pid_t gated, running, stopped, tool, killed[4];
	int status;

	(void)state;
	snprintf(data, sizeof(data), "%s/kdata", top);
	assert_int_equal(mkdir(data, 0755), 0);
	gated = spawn_as("mariadbd", data);
	running = spawn_as("mariadbd", data);
	stopped = spawn_as("mariadbd", data);
	tool = spawn_as("mariadb-backup", data);
	assert_true(sw_my_server_id_of(gated, &id, err, sizeof(err)));
	kill(gated, SIGSTOP);
	kill(stopped, SIGSTOP);
	kill(tool, SIGSTOP);
	assert_int_equal(waitpid(stopped, &status, WUNTRACED), stopped);
	assert_int_equal(waitpid(gated, &status, WUNTRACED), gated);
	assert_int_equal(waitpid(tool, &status, WUNTRACED), tool);
	/* Only the stopped server that is not the gated one: never a running one, never another program. */
	assert_int_equal(sw_my_signal_stopped_successors(&id, gated, SIGKILL, killed, 4), 1);
	assert_int_equal(killed[0], stopped);
	assert_int_equal(waitpid(stopped, &status, 0), stopped);
	assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	assert_int_equal(kill(running, 0), 0);
	reap(gated);
	reap(running);
	reap(tool);
}

static void test_unpin_only_that_server(void **state)
{
	char dir[PATH_MAX + 16], path[PATH_MAX + 64];
	const char *names[] = { "mariadb-100-4242-link", "mariadb-100-4242-bss", "mariadb-200-4242-exec",
				"mariadb-100-4243-link", "link-100-0", "mariadb-100-42420-link" };

	(void)state;
	snprintf(dir, sizeof(dir), "%s/pins", top);
	assert_int_equal(mkdir(dir, 0755), 0);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		close(open(path, O_CREAT | O_WRONLY, 0600));
	}
	sw_my_unpin_server(dir, 4242);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		if (i < 3)
			assert_int_not_equal(access(path, F_OK), 0);
		else
			assert_int_equal(access(path, F_OK), 0);
	}
	sw_my_unpin_server(NULL, 4242);   /* no pin directory: nothing to do */
}

static int setup(void **state)
{
	(void)state;
	snprintf(top, sizeof(top), "/tmp/sw-unit-successor.XXXXXX");
	return mkdtemp(top) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[PATH_MAX + 16];
	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", top);
	return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_successor_by_data_directory),
		cmocka_unit_test(test_kill_stopped_successors),
		cmocka_unit_test(test_unpin_only_that_server),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
