/*
 * Stops at exec shared by several gates (exec_stop_peers.c): another gate's
 * exec_stopped map holding the same stop counts, our own map does not, an
 * entry for the pid from another exec (more than a second apart) does not,
 * nor a map of that name with another layout. Needs BPF maps (root): skipped
 * without.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <linux/bpf.h>
#include <bpf/bpf.h>
#include "unit.h"
#include "exec_stop_peers.h"
#include "sqlward.h"

/* Above any pid_max: no real gate on the host holds a stop for it. */
#define PID 0x7ffffff0u
#define T0 (5ull * 1000000000ull)

static int stop_map(const char *name, uint32_t value_size)
{
	return bpf_map_create(BPF_MAP_TYPE_HASH, name, sizeof(uint32_t), value_size, 16, NULL);
}

static void put(int fd, uint64_t ktime_ns)
{
	struct sw_exec_stop s = { .ktime_ns = ktime_ns };
	uint32_t pid = PID;

	assert_int_equal(bpf_map_update_elem(fd, &pid, &s, BPF_ANY), 0);
}

static void test_other_gates_holding_the_same_stop(void **state)
{
	char err[256] = "";
	unsigned char odd[sizeof(struct sw_exec_stop) + 8] = { 0 };
	uint32_t pid = PID;
	int ours = stop_map("exec_stopped", sizeof(struct sw_exec_stop)), peer, stale, other_layout, other_name;

	(void)state;
	if (ours < 0) {
		print_message("no BPF maps here (%s): run as root to test the map cases\n", strerror(errno));
		skip();
	}
	peer = stop_map("exec_stopped", sizeof(struct sw_exec_stop));
	stale = stop_map("exec_stopped", sizeof(struct sw_exec_stop));
	other_layout = stop_map("exec_stopped", sizeof(odd));
	other_name = stop_map("exec_stoppedx", sizeof(struct sw_exec_stop));
	assert_true(peer >= 0 && stale >= 0 && other_layout >= 0 && other_name >= 0);

	put(ours, T0);
	assert_true(sw_exec_stop_in_map(ours, PID, T0 + 500000));
	assert_false(sw_exec_stop_in_map(ours, PID, T0 + 2 * SW_EXEC_STOP_SAME_NS));
	assert_false(sw_exec_stop_in_map(ours, PID + 1, T0));
	/* Only our map holds it: nobody else. */
	assert_int_equal(sw_exec_stop_peers(ours, PID, T0, err, sizeof(err)), 0);

	put(peer, T0 + 20000);                            /* the same exec, microseconds apart */
	put(stale, T0 - 3 * SW_EXEC_STOP_SAME_NS);        /* an earlier exec's, left by a dead daemon */
	assert_int_equal(bpf_map_update_elem(other_layout, &pid, odd, BPF_ANY), 0);
	put(other_name, T0);
	assert_int_equal(sw_exec_stop_peers(ours, PID, T0, err, sizeof(err)), 1);
	/* Seen from the peer: our map is the other gate. */
	assert_int_equal(sw_exec_stop_peers(peer, PID, T0 + 20000, err, sizeof(err)), 1);

	/* The peer lets go: none holds it any more. */
	assert_int_equal(bpf_map_delete_elem(peer, &pid), 0);
	assert_int_equal(sw_exec_stop_peers(ours, PID, T0, err, sizeof(err)), 0);

	/* Not a map: an error that says so. */
	assert_int_equal(sw_exec_stop_peers(STDIN_FILENO, PID, T0, err, sizeof(err)), -1);
	assert_true(strstr(err, "exec_stopped") != NULL);
	close(ours);
	close(peer);
	close(stale);
	close(other_layout);
	close(other_name);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_other_gates_holding_the_same_stop),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
