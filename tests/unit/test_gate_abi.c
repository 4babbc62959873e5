/*
 * Reading a pinned gate's ABI number (gate_abi.c): the variable is found by
 * name in a .bss DATASEC wherever the build put it, a map without it (a build
 * from before SW_ABI_VERSION) carries none, and only our own number makes a
 * previous gate's ring buffer and counters readable. The map cases need BPF
 * (root): they are skipped without it.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include "unit.h"
#include "gate_abi.h"
#include "sqlward.h"

/* A .bss DATASEC like a gate's: heartbeat_ns (u64) at 0, sw_abi_version (u32) at abi_off, stats at 16. */
static struct btf *gate_bss_btf(uint32_t abi_off, bool with_abi, int *sec_id)
{
	struct btf *btf = btf__new_empty();
	int u32 = btf__add_int(btf, "unsigned int", 4, 0);
	int u64 = btf__add_int(btf, "long long unsigned int", 8, 0);
	int hb = btf__add_var(btf, "heartbeat_ns", BTF_VAR_GLOBAL_ALLOCATED, u64);
	int st = btf__add_var(btf, "statement_seq", BTF_VAR_GLOBAL_ALLOCATED, u64);
	int abi = with_abi ? btf__add_var(btf, SW_ABI_VAR, BTF_VAR_GLOBAL_ALLOCATED, u32) : -1;

	assert_true(u32 > 0 && u64 > 0 && hb > 0 && st > 0);
	*sec_id = btf__add_datasec(btf, ".bss", 24);
	assert_true(*sec_id > 0);
	assert_int_equal(btf__add_datasec_var_info(btf, hb, 0, 8), 0);
	if (with_abi)
		assert_int_equal(btf__add_datasec_var_info(btf, abi, abi_off, 4), 0);
	assert_int_equal(btf__add_datasec_var_info(btf, st, 16, 8), 0);
	return btf;
}

static void test_finds_the_variable_by_name(void **state)
{
	uint32_t off = 0, size = 0;
	int sec;
	struct btf *btf = gate_bss_btf(8, true, &sec);

	(void)state;
	assert_int_equal(sw_btf_datasec_var(btf, (uint32_t)sec, SW_ABI_VAR, &off, &size), 0);
	assert_int_equal(off, 8);
	assert_int_equal(size, 4);
	assert_int_equal(sw_btf_datasec_var(btf, (uint32_t)sec, "statement_seq", &off, &size), 0);
	assert_int_equal(off, 16);
	/* Not there, and not a DATASEC at all (type 1 is the int). */
	assert_int_equal(sw_btf_datasec_var(btf, (uint32_t)sec, "no_such_variable", &off, &size), -1);
	assert_int_equal(sw_btf_datasec_var(btf, 1, SW_ABI_VAR, &off, &size), -1);
	assert_int_equal(sw_btf_datasec_var(btf, 9999, SW_ABI_VAR, &off, &size), -1);
	btf__free(btf);
}

static void test_older_build_carries_none(void **state)
{
	uint32_t off = 0, size = 0;
	int sec;
	struct btf *btf = gate_bss_btf(0, false, &sec);

	(void)state;
	assert_int_equal(sw_btf_datasec_var(btf, (uint32_t)sec, SW_ABI_VAR, &off, &size), -1);
	btf__free(btf);
}

static void test_only_our_number_is_readable(void **state)
{
	(void)state;
	assert_true(sw_abi_readable(SW_ABI_CARRIED, SW_ABI_VERSION));
	assert_false(sw_abi_readable(SW_ABI_CARRIED, SW_ABI_VERSION + 1));
	assert_false(sw_abi_readable(SW_ABI_CARRIED, SW_ABI_VERSION - 1));
	assert_false(sw_abi_readable(SW_ABI_NONE, SW_ABI_VERSION));
	assert_false(sw_abi_readable(SW_ABI_UNREADABLE, SW_ABI_VERSION));
}

/* A one-entry array map with the BTF above as its value type, like libbpf makes a .bss; -1: no BPF here. */
static int gate_bss_map(bool with_abi, uint32_t abi_value)
{
	int sec, fd;
	uint32_t zero = 0;
	unsigned char value[24] = { 0 };
	struct btf *btf = gate_bss_btf(8, with_abi, &sec);
	LIBBPF_OPTS(bpf_map_create_opts, o);

	if (btf__load_into_kernel(btf) != 0) {
		btf__free(btf);
		return -1;
	}
	o.btf_fd = btf__fd(btf);
	o.btf_value_type_id = (uint32_t)sec;
	fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "bss", 4, sizeof(value), 1, &o);
	btf__free(btf);   /* the map holds its own reference to the BTF */
	if (fd < 0)
		return -1;
	memcpy(value + 8, &abi_value, sizeof(abi_value));
	assert_int_equal(bpf_map_update_elem(fd, &zero, value, BPF_ANY), 0);
	return fd;
}

static void test_reads_a_real_map(void **state)
{
	char err[256] = "";
	uint32_t abi = 0;
	int ours = gate_bss_map(true, SW_ABI_VERSION), other, none, plain;

	(void)state;
	if (ours < 0) {
		print_message("no BPF maps here (%s): run as root to test the map cases\n", strerror(errno));
		skip();
	}
	assert_int_equal(sw_gate_map_abi(ours, &abi, err, sizeof(err)), SW_ABI_CARRIED);
	assert_int_equal(abi, SW_ABI_VERSION);

	other = gate_bss_map(true, SW_ABI_VERSION + 7);
	assert_true(other >= 0);
	assert_int_equal(sw_gate_map_abi(other, &abi, err, sizeof(err)), SW_ABI_CARRIED);
	assert_int_equal(abi, SW_ABI_VERSION + 7);
	assert_false(sw_abi_readable(SW_ABI_CARRIED, abi));

	none = gate_bss_map(false, 0);
	assert_true(none >= 0);
	assert_int_equal(sw_gate_map_abi(none, &abi, err, sizeof(err)), SW_ABI_NONE);

	/* A map without BTF (not a gate's .bss, or made by hand). */
	plain = bpf_map_create(BPF_MAP_TYPE_ARRAY, "plain", 4, 24, 1, NULL);
	assert_true(plain >= 0);
	assert_int_equal(sw_gate_map_abi(plain, &abi, err, sizeof(err)), SW_ABI_NONE);

	/* Not a map at all. */
	assert_int_equal(sw_gate_map_abi(STDIN_FILENO, &abi, err, sizeof(err)), SW_ABI_UNREADABLE);
	assert_true(err[0] != 0);
	close(ours);
	close(other);
	close(none);
	close(plain);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_finds_the_variable_by_name),
		cmocka_unit_test(test_older_build_carries_none),
		cmocka_unit_test(test_only_our_number_is_readable),
		cmocka_unit_test(test_reads_a_real_map),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
