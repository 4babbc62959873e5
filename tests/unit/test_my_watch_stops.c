/*
 * Servers a gate's restart watch stopped (my_watch_stops.c): a pid in any map
 * named my_successors of its layout is found (its map's id), a map of another
 * name or layout or the skipped one is not; removing takes it out of every such
 * map; the list holds only those stopped now; an entry older than the
 * process (an earlier process with its pid) is not its stop. Needs BPF maps
 * (root): skipped without.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/bpf.h>
#include <bpf/bpf.h>
#include "unit.h"
#include "my_watch_stops.h"

/* Above any pid_max: no real gate on the host stopped it. */
#define PID 0x7ffffff0u

static int successors_map(const char *name, uint32_t value_size)
{
	return bpf_map_create(BPF_MAP_TYPE_HASH, name, sizeof(uint32_t), value_size, 16, NULL);
}

static uint32_t id_of(int fd)
{
	struct bpf_map_info info;
	uint32_t len = sizeof(info);

	memset(&info, 0, sizeof(info));
	assert_int_equal(bpf_obj_get_info_by_fd(fd, &info, &len), 0);
	return info.id;
}

/* CLOCK_MONOTONIC in ns, as bpf_ktime_get_ns reads it */
static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void put_at(int fd, uint32_t pid, uint64_t when)
{
	assert_int_equal(bpf_map_update_elem(fd, &pid, &when, BPF_ANY), 0);
}

static void put(int fd, uint32_t pid) { put_at(fd, pid, now_ns()); }

static void test_found_in_any_gates_map(void **state)
{
	char err[256] = "";
	unsigned char odd[16] = { 0 };
	uint32_t pid = PID, map_id = 0;
	int a = successors_map("my_successors", sizeof(uint64_t)), b, other_layout, other_name;

	(void)state;
	if (a < 0) {
		print_message("no BPF maps here (%s): run as root to test the map cases\n", strerror(errno));
		skip();
	}
	b = successors_map("my_successors", sizeof(uint64_t));
	other_layout = successors_map("my_successors", sizeof(odd));
	other_name = successors_map("my_successorsx", sizeof(uint64_t));
	assert_true(b >= 0 && other_layout >= 0 && other_name >= 0);

	/* Only in maps that are not a gate's: not found. */
	assert_int_equal(bpf_map_update_elem(other_layout, &pid, odd, BPF_ANY), 0);
	put(other_name, PID);
	assert_int_equal(sw_my_watch_stopped(PID, 0, false, &map_id, err, sizeof(err)), 0);

	put(a, PID);
	put(b, PID);
	assert_int_equal(sw_my_watch_stopped(PID, 0, false, &map_id, err, sizeof(err)), 1);
	assert_true(map_id == id_of(a) || map_id == id_of(b));
	assert_int_equal(sw_my_watch_stopped(PID + 1, 0, false, NULL, err, sizeof(err)), 0);
	/* The skipped map (a gate's own) does not count; the other still does. */
	assert_int_equal(sw_my_watch_stopped(PID, id_of(a), false, &map_id, err, sizeof(err)), 1);
	assert_int_equal(map_id, id_of(b));
	/* Removed: out of every gate's map, and nowhere else touched. */
	assert_int_equal(sw_my_watch_stopped(PID, 0, true, NULL, err, sizeof(err)), 1);
	assert_int_equal(sw_my_watch_stopped(PID, 0, false, NULL, err, sizeof(err)), 0);
	assert_int_equal(bpf_map_lookup_elem(other_name, &pid, odd), 0);
	close(a);
	close(b);
	close(other_layout);
	close(other_name);
}

static void test_list_holds_only_the_stopped(void **state)
{
	char err[256] = "";
	pid_t out[8], child;
	int fd = successors_map("my_successors", sizeof(uint64_t)), n, status;
	bool listed = false;

	(void)state;
	if (fd < 0)
		skip();
	child = fork();
	if (child == 0) {
		pause();
		_exit(0);
	}
	assert_true(child > 0);
	put(fd, (uint32_t)child);
	put(fd, PID);   /* no such process: never listed */
	n = sw_my_watch_stopped_all(out, 8, err, sizeof(err));
	for (int i = 0; i < n; i++)
		listed |= out[i] == child || out[i] == (pid_t)PID;
	assert_false(listed);   /* running: not stopped */
	kill(child, SIGSTOP);
	assert_int_equal(waitpid(child, &status, WUNTRACED), child);
	n = sw_my_watch_stopped_all(out, 8, err, sizeof(err));
	assert_true(n >= 1);
	for (int i = 0; i < n; i++) {
		assert_true(out[i] != (pid_t)PID);
		listed |= out[i] == child;
	}
	assert_true(listed);
	/* An entry from before the process began (an earlier process with its pid): not its stop. */
	put_at(fd, (uint32_t)child, 1);
	n = sw_my_watch_stopped_all(out, 8, err, sizeof(err));
	listed = false;
	for (int i = 0; i < n; i++)
		listed |= out[i] == child;
	assert_false(listed);
	assert_int_equal(sw_my_watch_stopped(child, 0, false, NULL, err, sizeof(err)), 0);
	put(fd, (uint32_t)child);
	assert_int_equal(sw_my_watch_stopped(child, 0, false, NULL, err, sizeof(err)), 1);
	kill(child, SIGKILL);
	waitpid(child, &status, 0);
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_found_in_any_gates_map),
		cmocka_unit_test(test_list_holds_only_the_stopped),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
