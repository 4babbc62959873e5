/*
 * The execution checkpoint's layout (pg_exec_layout.c): QueryDesc and
 * PlannedStmt offsets decoded from CreateQueryDesc's and pg_plan_queries'
 * machine code (PostgreSQL 15.18's as Debian builds it, and the same code with
 * other registers), checked against the verified table; a binary whose code
 * stores the fields elsewhere keeps the gate but not the execution checkpoint.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "unit.h"
#include "pg_exec_layout.h"
#include "pg_layout.h"

#define PG15 "/usr/lib/postgresql/15/bin/postgres"

/* CreateQueryDesc, PostgreSQL 15.18 (Debian 12), up to its first calls. */
static const unsigned char create_query_desc[] = {
	0x55, 0x48, 0x89, 0xe5, 0x41, 0x57, 0x4d, 0x89, 0xcf, 0x41, 0x56, 0x49, 0x89, 0xd6, 0x41, 0x55, 0x49, 0x89,
	0xcd, 0x41, 0x54, 0x49, 0x89, 0xfc, 0xbf, 0x70, 0x00, 0x00, 0x00, 0x53, 0x48, 0x83, 0xec, 0x18, 0x4c, 0x89,
	0x45, 0xc8, 0x48, 0x89, 0x75, 0xc0, 0xe8, 0xb1, 0x83, 0x15, 0x00, 0x48, 0x8b, 0x75, 0xc0, 0x4c, 0x89, 0xf7,
	0x48, 0x89, 0xc3, 0x41, 0x8b, 0x44, 0x24, 0x04, 0x4c, 0x89, 0x63, 0x08, 0x48, 0x89, 0x73, 0x10, 0x89, 0x03,
	0xe8, 0x53, 0x95, 0x16, 0x00,
};

/* pg_plan_queries' utility branch, PostgreSQL 15.18 (Debian 12); its constant is at vaddr 0x1000. */
static const unsigned char plan_queries[] = {
	0xbe, 0x80, 0x00, 0x00, 0x00,                   /* mov $0x80,%esi */
	0xe8, 0x53, 0xb1, 0x15, 0x00,                   /* call MemoryContextAllocZeroAligned */
	0x48, 0x89, 0xc6,                               /* mov %rax,%rsi */
	0x48, 0x8b, 0x05, 0xec, 0x0f, 0x00, 0x00,       /* mov 0xfec(%rip),%rax: 0x14 + 0xfec = 0x1000 */
	0x48, 0x89, 0x06,                               /* mov %rax,(%rsi) */
	0x41, 0x0f, 0xb6, 0x46, 0x18, 0x88, 0x46, 0x12, /* canSetTag */
	0x49, 0x8b, 0x46, 0x20, 0x48, 0x89, 0x46, 0x70, /* utilityStmt */
	0x41, 0x8b, 0x86, 0xf0, 0x00, 0x00, 0x00, 0x89, 0x46, 0x78, /* stmt_location */
	0x41, 0x8b, 0x86, 0xf4, 0x00, 0x00, 0x00, 0x89, 0x46, 0x7c, /* stmt_len */
	0x49, 0x8b, 0x46, 0x10, 0x48, 0x89, 0x46, 0x08, /* queryId */
	0xeb, 0x8d,
};

static bool read_const(void *ctx, uint64_t vaddr, void *buf, size_t len)
{
	static const uint32_t konst[2] = { 237, 6 };   /* T_PlannedStmt, CMD_UTILITY */
	(void)ctx;
	if (vaddr != 0x1000 || len != sizeof(konst))
		return false;
	memcpy(buf, konst, len);
	return true;
}

static void test_create_query_desc(void **state)
{
	uint32_t ps = 0, src = 0, cmd = 0;
	unsigned char other[sizeof(create_query_desc)];

	(void)state;
	assert_true(sw_pg_decode_create_query_desc(create_query_desc, sizeof(create_query_desc), &ps, &src, &cmd));
	assert_int_equal(ps, 8);
	assert_int_equal(src, 16);
	assert_int_equal(cmd, 4);
	/* sourceText stored one field further: decoded as such (and then refused by the table check). */
	memcpy(other, create_query_desc, sizeof(other));
	other[69] = 0x18;   /* mov %rsi,0x10(%rbx) -> 0x18(%rbx) */
	assert_false(sw_pg_decode_create_query_desc(other, sizeof(other), &ps, &src, &cmd));
	/* commandType read from elsewhere: still decoded, with that offset. */
	memcpy(other, create_query_desc, sizeof(other));
	other[61] = 0x0c;   /* mov 0x4(%r12),%eax -> 0xc(%r12) */
	assert_true(sw_pg_decode_create_query_desc(other, sizeof(other), &ps, &src, &cmd));
	assert_int_equal(cmd, 12);
	/* Not the code at all. */
	assert_false(sw_pg_decode_create_query_desc((const unsigned char *)"\xc3\x90\x90\x90", 4, &ps, &src, &cmd));
}

static void test_plan_queries(void **state)
{
	struct sw_pg_exec_layout x;
	unsigned char other[sizeof(plan_queries)];
	char why[512];

	(void)state;
	assert_true(sw_pg_decode_plan_queries(plan_queries, sizeof(plan_queries), 0, read_const, NULL, &x));
	assert_int_equal(x.ps_tag, 237);
	assert_int_equal(x.ps_can_set_tag, 18);
	assert_int_equal(x.ps_utility_stmt, 112);
	assert_int_equal(x.ps_stmt_location, 120);
	assert_int_equal(x.ps_stmt_len, 124);
	x.qd_plannedstmt = 8;
	x.qd_source_text = 16;
	x.portal_source_text = 56;
	assert_true(sw_pg_exec_layout_check(15, &x, why, sizeof(why)));
	/* Another major is not in the table: refused, saying so. */
	assert_false(sw_pg_exec_layout_check(16, &x, why, sizeof(why)));
	assert_non_null(strstr(why, "16"));
	/* stmt_location moved: decoded, then refused by the check. */
	memcpy(other, plan_queries, sizeof(other));
	other[48] = 0x80;   /* mov %eax,0x78(%rsi) -> 0x80(%rsi): location and len no longer adjacent */
	assert_false(sw_pg_decode_plan_queries(other, sizeof(other), 0, read_const, NULL, &x));
	/* A different constant (not CMD_UTILITY): not the utility branch. */
	memcpy(other, plan_queries, sizeof(other));
	other[16] = 0xf0;
	assert_false(sw_pg_decode_plan_queries(other, sizeof(other), 0, read_const, NULL, &x));
	/* utilityStmt at another offset: decoded, refused by the table. */
	memcpy(other, plan_queries, sizeof(other));
	other[38] = 0x68;
	assert_true(sw_pg_decode_plan_queries(other, sizeof(other), 0, read_const, NULL, &x));
	x.qd_plannedstmt = 8;
	x.qd_source_text = 16;
	x.portal_source_text = 56;
	assert_false(sw_pg_exec_layout_check(15, &x, why, sizeof(why)));
	assert_non_null(strstr(why, "utilityStmt 104"));
}

/* GCC 7.5, PostgreSQL 13.23: tag and CMD_UTILITY (5 before 15) as immediate stores, no queryId copy. */
static void test_plan_queries_gcc7(void **state)
{
	static const unsigned char pg13[] = {
		0xc7, 0x00, 0xe8, 0x00, 0x00, 0x00, 0xc7, 0x40, 0x04, 0x05, 0x00, 0x00, 0x00, 0x41, 0x8a, 0x55, 0x18,
		0x88, 0x50, 0x12, 0x49, 0x8b, 0x55, 0x20, 0x48, 0x89, 0x50, 0x78, 0x41, 0x8b, 0x95, 0xd8, 0x00, 0x00,
		0x00, 0x89, 0x90, 0x80, 0x00, 0x00, 0x00, 0x41, 0x8b, 0x95, 0xdc, 0x00, 0x00, 0x00, 0x89, 0x90, 0x84,
		0x00, 0x00, 0x00, 0xeb, 0x13 };
	unsigned char other[sizeof(pg13)];
	struct sw_pg_exec_layout x;
	char why[512];

	(void)state;
	assert_true(sw_pg_decode_plan_queries(pg13, sizeof(pg13), 0, read_const, NULL, &x));
	assert_int_equal(x.ps_tag, 232);
	assert_int_equal(x.cmd_utility, 5);
	assert_int_equal(x.ps_can_set_tag, 18);
	assert_int_equal(x.ps_utility_stmt, 120);
	assert_int_equal(x.ps_stmt_location, 128);
	assert_int_equal(x.ps_stmt_len, 132);
	x.qd_plannedstmt = 8;
	x.qd_source_text = 16;
	x.portal_source_text = 48;
	assert_true(sw_pg_exec_layout_check(13, &x, why, sizeof(why)));
	/* The same code claimed by 15 (CMD_UTILITY 6 there): refused. */
	assert_false(sw_pg_exec_layout_check(15, &x, why, sizeof(why)));
	assert_non_null(strstr(why, "CMD_UTILITY 5"));
	/* CMD_UTILITY neither 5 nor 6: not the utility branch. */
	memcpy(other, pg13, sizeof(other));
	other[9] = 0x04;
	assert_false(sw_pg_decode_plan_queries(other, sizeof(other), 0, read_const, NULL, &x));
}

/* fmgr_info and fmgr_info_cxt tail-call the static fmgr_info_cxt_security: its address is found from them. */
static void test_fmgr_wrappers(void **state)
{
	/* PostgreSQL 15.18 (Debian 12) at 0x5aa300 and 0x5aa310, both jumping to 0x5a9e20. */
	static const unsigned char info[] = { 0x48, 0x8b, 0x15, 0x19, 0x91, 0x2e, 0x00, 0x31, 0xc9, 0xe9, 0x12, 0xfb,
					      0xff, 0xff, 0x66, 0x90 };
	static const unsigned char info_cxt[] = { 0x31, 0xc9, 0xe9, 0x09, 0xfb, 0xff, 0xff, 0x66, 0x0f };
	static const unsigned char endbr[] = { 0xf3, 0x0f, 0x1e, 0xfa, 0x31, 0xc9, 0xe9, 0x05, 0xfb, 0xff, 0xff };
	static const unsigned char other[] = { 0x55, 0x48, 0x89, 0xe5, 0x31, 0xc9, 0xe9, 0x00, 0x00, 0x00, 0x00 };
	uint64_t t = 0;

	(void)state;
	assert_true(sw_pg_decode_fmgr_wrapper(info, sizeof(info), 0x5aa300, &t));
	assert_int_equal(t, 0x5a9e20);
	assert_true(sw_pg_decode_fmgr_wrapper(info_cxt, sizeof(info_cxt), 0x5aa310, &t));
	assert_int_equal(t, 0x5a9e20);
	assert_true(sw_pg_decode_fmgr_wrapper(endbr, sizeof(endbr), 0x5aa310, &t));
	assert_int_equal(t, 0x5a9e20);
	/* A real function body (a prologue) is not the tail call. */
	assert_false(sw_pg_decode_fmgr_wrapper(other, sizeof(other), 0x1000, &t));
}

/* PortalDefineQuery stores prepStmtName at 8 and sourceText further on (15.18: 56). */
static void test_portal_define(void **state)
{
	static const unsigned char code[] = { 0x48, 0x89, 0x77, 0x08, 0x48, 0x89, 0x57, 0x38, 0x89, 0x4f, 0x48, 0xc3 };
	static const unsigned char swapped[] = { 0x48, 0x89, 0x57, 0x38, 0xc3 };   /* no prepStmtName store first */
	uint32_t off = 0;

	(void)state;
	assert_true(sw_pg_decode_portal_define(code, sizeof(code), &off));
	assert_int_equal(off, 56);
	assert_false(sw_pg_decode_portal_define(swapped, sizeof(swapped), &off));
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
	assert_true(L.bpf.fn[SW_FN_EXECUTOR_START] && L.bpf.fn[SW_FN_PROCESS_UTILITY]);
	assert_true(L.exec_file_off[0] && L.exec_file_off[1] && L.bpf.debug_query_string);
	assert_int_equal(L.bpf.ps_tag, 237);
	assert_int_equal(L.bpf.pu_context_arg, 4);
	/* The function checkpoint: fmgr_info_cxt_security and the interrupt globals. */
	assert_string_equal(L.function_problem, "");
	assert_true(L.bpf.fn[SW_FN_FMGR_LOOKUP] && L.exec_file_off[2] && L.process_interrupts &&
		    L.query_cancel_pending && L.interrupt_holdoff);
}

/* A copy whose pg_plan_queries stores stmt_len elsewhere: the gate loads, the execution checkpoint does not. */
static void test_unverifiable_executor_layout(void **state)
{
	static const unsigned char len_store[] = { 0x41, 0x8b, 0x86, 0xf4, 0x00, 0x00, 0x00, 0x89, 0x46, 0x7c };
	struct sw_pg_layout L;
	char tmpl[] = "/tmp/sqlward-exec-layout-XXXXXX", err[512];
	struct stat st;
	unsigned char *img;
	int fd, patched = 0;

	(void)state;
	if (access(PG15, R_OK) != 0) {
		skip();
		return;
	}
	fd = open(PG15, O_RDONLY);
	assert_true(fd >= 0 && fstat(fd, &st) == 0);
	img = malloc((size_t)st.st_size);
	assert_int_equal(read(fd, img, (size_t)st.st_size), st.st_size);
	close(fd);
	for (off_t i = 0; i + (off_t)sizeof(len_store) <= st.st_size; i++)
		if (memcmp(img + i, len_store, sizeof(len_store)) == 0) {
			img[i + 9] = 0x84;   /* stmt_len stored 8 bytes further */
			patched++;
		}
	assert_true(patched > 0);
	fd = mkstemp(tmpl);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, img, (size_t)st.st_size), st.st_size);
	close(fd);
	free(img);
	assert_int_equal(sw_pg_layout_load(tmpl, &L, err, sizeof(err)), 0);
	assert_true(L.exec_problem[0] != 0);
	assert_non_null(strstr(L.exec_problem, "pg_plan_queries"));
	assert_true(L.bpf.fn[SW_FN_EXECUTOR_START] == 0 && L.bpf.fn[SW_FN_PROCESS_UTILITY] == 0 &&
		    L.bpf.fn[SW_FN_FMGR_LOOKUP] == 0);
	assert_true(L.bpf.fn[SW_FN_PARSE] != 0);
	unlink(tmpl);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_create_query_desc),
		cmocka_unit_test(test_plan_queries),
		cmocka_unit_test(test_plan_queries_gcc7),
		cmocka_unit_test(test_fmgr_wrappers),
		cmocka_unit_test(test_portal_define),
		cmocka_unit_test(test_real_binary),
		cmocka_unit_test(test_unverifiable_executor_layout),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
