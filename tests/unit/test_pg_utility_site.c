/*
 * Where ProcessUtility's probe goes (sw_pg_decode_utility_probe_site): on the
 * hook check's je when the prologue is exactly the one checked (an emulated
 * probe instead of a single-stepped one), at the entry otherwise; and on the
 * real PostgreSQL 15 binary, at the je, 13 bytes in.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "unit.h"
#include "pg_layout.h"

#define PG15 "/usr/lib/postgresql/15/bin/postgres"

/* Debian's PostgreSQL 15: mov hook(%rip),%rax; movzbl %dl,%edx; test %rax,%rax; je +9; jmp *%rax */
static const unsigned char pg15[] = { 0x48, 0x8b, 0x05, 0xa1, 0x57, 0x41, 0x00, 0x0f, 0xb6, 0xd2, 0x48, 0x85,
				      0xc0, 0x74, 0x09, 0xff, 0xe0, 0x0f, 0x1f, 0x80, 0x00, 0x00, 0x00, 0x00 };

static void test_pg15_prologue(void **state)
{
	(void)state;
	assert_int_equal(sw_pg_decode_utility_probe_site(pg15, sizeof(pg15), 4), 13);
}

static void test_context_in_rdx_not_narrowed(void **state)
{
	(void)state;
	/* Before PostgreSQL 14 the context is the third argument: a movzbl of it is not skipped over. */
	assert_int_equal(sw_pg_decode_utility_probe_site(pg15, sizeof(pg15), 3), 0);
}

static void test_without_readonly_tree(void **state)
{
	const unsigned char c[] = { 0x48, 0x8b, 0x05, 0x01, 0x02, 0x03, 0x00, 0x48, 0x85, 0xc0, 0x74, 0x05, 0xff, 0xe0 };

	(void)state;
	assert_int_equal(sw_pg_decode_utility_probe_site(c, sizeof(c), 3), 10);
}

static void test_endbr_first(void **state)
{
	unsigned char c[4 + sizeof(pg15)] = { 0xf3, 0x0f, 0x1e, 0xfa };

	(void)state;
	memcpy(c + 4, pg15, sizeof(pg15));
	assert_int_equal(sw_pg_decode_utility_probe_site(c, sizeof(c), 4), 17);
}

static void test_anything_else_stays_at_entry(void **state)
{
	unsigned char c[sizeof(pg15)];

	(void)state;
	/* push %rbp first (already emulated at the entry) */
	memcpy(c, pg15, sizeof(c));
	c[0] = 0x55;
	assert_int_equal(sw_pg_decode_utility_probe_site(c, sizeof(c), 4), 0);
	/* the load goes to another register than %rax (mov ...,%rdi would change an argument) */
	memcpy(c, pg15, sizeof(c));
	c[2] = 0x3d;
	assert_int_equal(sw_pg_decode_utility_probe_site(c, sizeof(c), 4), 0);
	/* another instruction between the load and the test */
	memcpy(c, pg15, sizeof(c));
	c[9] = 0xd1;
	assert_int_equal(sw_pg_decode_utility_probe_site(c, sizeof(c), 4), 0);
	/* jne instead of je */
	memcpy(c, pg15, sizeof(c));
	c[13] = 0x75;
	assert_int_equal(sw_pg_decode_utility_probe_site(c, sizeof(c), 4), 0);
	/* a je landing beyond the 16 bytes a refusal looks in, or backwards */
	memcpy(c, pg15, sizeof(c));
	c[14] = 0x0f;
	assert_int_equal(sw_pg_decode_utility_probe_site(c, sizeof(c), 4), 0);
	c[14] = 0xf0;
	assert_int_equal(sw_pg_decode_utility_probe_site(c, sizeof(c), 4), 0);
	/* cut short */
	assert_int_equal(sw_pg_decode_utility_probe_site(pg15, 14, 4), 0);
	assert_int_equal(sw_pg_decode_utility_probe_site(pg15, 3, 4), 0);
}

static void test_real_binary(void **state)
{
	struct sw_pg_layout L;
	char err[512];

	(void)state;
	if (access(PG15, R_OK) != 0) {
		skip();
		return;
	}
	assert_int_equal(sw_pg_layout_load(PG15, &L, err, sizeof(err)), 0);
	assert_string_equal(L.exec_problem, "");
	/* The probe is 13 bytes into ProcessUtility, file offset and address alike. */
	assert_int_equal(L.bpf.fn[SW_FN_PROCESS_UTILITY] & 0xfff, 0xefd);
	assert_int_equal(L.exec_file_off[1] & 0xfff, 0xefd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pg15_prologue),
		cmocka_unit_test(test_context_in_rdx_not_narrowed),
		cmocka_unit_test(test_without_readonly_tree),
		cmocka_unit_test(test_endbr_first),
		cmocka_unit_test(test_anything_else_stays_at_entry),
		cmocka_unit_test(test_real_binary),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
