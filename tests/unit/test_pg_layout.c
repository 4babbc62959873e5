/*
 * The server-binary layout sqlward derives (pg_layout.c) and the lexing
 * settings it parses under (pg_tree.h): accessor machine code decoded or
 * refused, the version found, the real PostgreSQL 15 binary accepted, a binary
 * whose accessor is not the checked load refused, and the same bytes parsed
 * as one statement or two depending on standard_conforming_strings.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "unit.h"
#include "pg_layout.h"
#include "pg_orphan.h"
#include "pg_tree.h"
#include "statement.h"

#define PG15 "/usr/lib/postgresql/15/bin/postgres"

static void test_decode_load32(void **state)
{
	/* mov 0x2e197e(%rip),%eax; ret  at 0x5b0fd0 -> global 0x892954 */
	const unsigned char plain[] = { 0x8b, 0x05, 0x7e, 0x19, 0x2e, 0x00, 0xc3 };
	const unsigned char cet[] = { 0xf3, 0x0f, 0x1e, 0xfa, 0x8b, 0x05, 0x7a, 0x19, 0x2e, 0x00, 0xc3 };
	const unsigned char other[] = { 0x8b, 0x05, 0x7e, 0x19, 0x2e, 0x00, 0x90 };   /* no ret */
	const unsigned char movq[] = { 0x48, 0x8b, 0x05, 0x7e, 0x19, 0x2e, 0x00, 0xc3 };
	uint64_t g = 0;

	(void)state;
	assert_true(sw_pg_decode_load32(plain, sizeof(plain), 0x5b0fd0, &g));
	assert_int_equal(g, 0x892954);
	assert_true(sw_pg_decode_load32(cet, sizeof(cet), 0x5b0fd0, &g));
	assert_int_equal(g, 0x892954);
	assert_false(sw_pg_decode_load32(other, sizeof(other), 0x5b0fd0, &g));
	assert_false(sw_pg_decode_load32(movq, sizeof(movq), 0x5b0fd0, &g));
	assert_false(sw_pg_decode_load32(plain, 3, 0x5b0fd0, &g));
}

static void test_decode_ptr_field8(void **state)
{
	/* mov 0x2c0ba1(%rip),%rax; mov 0x8(%rax),%eax; ret  at 0x5b5410 -> 0x875fb8 */
	const unsigned char code[] = { 0x48, 0x8b, 0x05, 0xa1, 0x0b, 0x2c, 0x00, 0x8b, 0x40, 0x08, 0xc3 };
	const unsigned char off4[] = { 0x48, 0x8b, 0x05, 0xa1, 0x0b, 0x2c, 0x00, 0x8b, 0x40, 0x04, 0xc3 };
	uint64_t g = 0;

	(void)state;
	assert_true(sw_pg_decode_load_ptr_field8(code, sizeof(code), 0x5b5410, &g));
	assert_int_equal(g, 0x875fb8);
	assert_false(sw_pg_decode_load_ptr_field8(off4, sizeof(off4), 0x5b5410, &g));
}

/* PostgreSQL 15.18's GetCommandTagName and geterrcode as Debian builds them. */
static void test_decode_outcome_accessors(void **state)
{
	static const unsigned char tag[] = { 0x89, 0xff, 0x48, 0x8d, 0x05, 0xd7, 0x41, 0x3e, 0x00, 0x48, 0xc1,
					     0xe7, 0x04, 0x48, 0x8b, 0x04, 0x38, 0xc3 };
	static const unsigned char err[] = { 0x48, 0x63, 0x05, 0x11, 0xe4, 0x2c, 0x00, 0x85, 0xc0, 0x0f, 0x88, 0xa1,
					     0x44, 0xba, 0xff, 0x48, 0x69, 0xc0, 0xb8, 0x00, 0x00, 0x00, 0x48, 0x8d,
					     0x15, 0xf3, 0x97, 0x2e, 0x00, 0x8b, 0x44, 0x02, 0x30, 0xc3 };
	unsigned char bad[sizeof(err)];
	uint64_t table = 0, depth = 0, edata = 0;
	uint32_t size = 0, off = 0;

	(void)state;
	assert_true(sw_pg_decode_tag_name(tag, sizeof(tag), 0x46ece0, &table, &size));
	assert_int_equal(table, 0x852ec0);
	assert_int_equal(size, 16);
	assert_true(sw_pg_decode_errcode(err, sizeof(err), 0x5a7b30, &depth, &edata, &size, &off));
	assert_int_equal(depth, 0x875f48);
	assert_int_equal(edata, 0x891340);
	assert_int_equal(size, 184);   /* sizeof(ErrorData) */
	assert_int_equal(off, 48);     /* offsetof(ErrorData, sqlerrcode) */
	/* Anything else (here: another register) is refused, not guessed at. */
	memcpy(bad, err, sizeof(err));
	bad[31] = 0x03;
	assert_false(sw_pg_decode_errcode(bad, sizeof(bad), 0x5a7b30, &depth, &edata, &size, &off));
	assert_false(sw_pg_decode_tag_name(err, sizeof(err), 0, &table, &size));
	assert_false(sw_pg_decode_errcode(err, 10, 0x5a7b30, &depth, &edata, &size, &off));
}

/* GCC 7.5 (the npm builds): geterrcode's error path inline, jumped over with jns (PostgreSQL 16.14). */
static void test_decode_errcode_gcc7(void **state)
{
	static const unsigned char err[] = {
		0x48, 0x63, 0x05, 0xc3, 0x22, 0x4f, 0x00, 0x85, 0xc0, 0x79, 0x40, 0x48, 0x83, 0xec, 0x08, 0x31, 0xf6,
		0xbf, 0x15, 0x00, 0x00, 0x00, 0xc7, 0x05, 0xaa, 0x22, 0x4f, 0x00, 0xff, 0xff, 0xff, 0xff, 0xe8, 0x83,
		0xd5, 0xff, 0xff, 0x48, 0x8d, 0x3d, 0xfb, 0x01, 0x1b, 0x00, 0x31, 0xc0, 0xe8, 0x01, 0xe2, 0xff, 0xff,
		0x48, 0x8d, 0x15, 0x50, 0x05, 0x1b, 0x00, 0x48, 0x8d, 0x3d, 0xfe, 0x01, 0x1b, 0x00, 0xbe, 0x21, 0x06,
		0x00, 0x00, 0xe8, 0x0a, 0xe0, 0xff, 0xff, 0x48, 0x69, 0xc0, 0xb8, 0x00, 0x00, 0x00, 0x48, 0x8d, 0x15,
		0xa9, 0xef, 0x50, 0x00, 0x8b, 0x44, 0x02, 0x30, 0xc3 };
	uint64_t depth = 0, edata = 0;
	uint32_t size = 0, off = 0;

	(void)state;
	assert_true(sw_pg_decode_errcode(err, sizeof(err), 0x4a8cbe, &depth, &edata, &size, &off));
	assert_int_equal(depth, 0x99af88);
	assert_int_equal(edata, 0x9b7cc0);
	assert_int_equal(size, 184);
	assert_int_equal(off, 48);
	/* The jump target cut off: refused. */
	assert_false(sw_pg_decode_errcode(err, 60, 0x4a8cbe, &depth, &edata, &size, &off));
}

/* makeParamList: PostgreSQL 12 (GCC 7.5: n * 16 + 56) and 15 (Debian, GCC 12: (n + 4) * 16). */
static void test_decode_make_param_list(void **state)
{
	static const unsigned char pg12[] = { 0x48, 0x63, 0xff, 0x53, 0x48, 0x89, 0xfb, 0x48, 0xc1, 0xe7, 0x04, 0x48,
					      0x83, 0xc7, 0x38, 0xe8, 0x7e, 0x9e, 0x1a, 0x00, 0x48, 0xc7, 0x00, 0x00,
					      0x00, 0x00, 0x00, 0x89, 0x58, 0x30, 0x5b, 0xc3 };
	static const unsigned char pg15[] = { 0x48, 0x63, 0xff, 0x48, 0x89, 0xe5, 0x53, 0x48, 0x89, 0xfb, 0x48, 0x83,
					      0xc7, 0x04, 0x48, 0xc1, 0xe7, 0x04, 0x48, 0x83, 0xec, 0x08, 0xe8, 0x00,
					      0x00, 0x00, 0x00, 0x89, 0x58, 0x38, 0xc9, 0xc3 };
	uint32_t num = 0, arr = 0, size = 0;
	unsigned char bad[sizeof(pg15)];

	(void)state;
	assert_true(sw_pg_decode_make_param_list(pg12, sizeof(pg12), &num, &arr, &size));
	assert_int_equal(num, 48);
	assert_int_equal(arr, 56);
	assert_int_equal(size, 16);
	assert_true(sw_pg_decode_make_param_list(pg15, sizeof(pg15), &num, &arr, &size));
	assert_int_equal(num, 56);
	assert_int_equal(arr, 64);
	/* numParams not kept in %rbx: nothing to check it against, refused. */
	memcpy(bad, pg15, sizeof(bad));
	bad[9] = 0xfd;   /* mov %rdi,%rbp */
	assert_false(sw_pg_decode_make_param_list(bad, sizeof(bad), &num, &arr, &size));
}

static void test_find_version(void **state)
{
	const char a[] = "xx\0PostgreSQL 9.6 or later required\0"
			 "PostgreSQL 15.18 (Debian 15.18-0+deb12u1) on x86_64-pc-linux-gnu, compiled by gcc 12, 64-bit";
	const char b[] = "PostgreSQL 17beta2 on aarch64-unknown-linux-gnu, compiled by clang";
	const char c[] = "PostgreSQL 15.18 without the rest";
	char v[64];
	int major = 0;

	(void)state;
	assert_true(sw_pg_find_version((const unsigned char *)a, sizeof(a), v, sizeof(v), &major));
	assert_string_equal(v, "15.18");
	assert_int_equal(major, 15);
	assert_true(sw_pg_find_version((const unsigned char *)b, sizeof(b), v, sizeof(v), &major));
	assert_string_equal(v, "17beta2");
	assert_int_equal(major, 17);
	assert_false(sw_pg_find_version((const unsigned char *)c, sizeof(c), v, sizeof(v), &major));
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
	assert_int_equal(L.major, 15);
	for (int f = 0; f < SW_FN__COUNT; f++)
		assert_true(L.bpf.fn[f] != 0);   /* the execution checkpoint included (test_pg_exec_layout.c) */
	assert_true(L.bpf.standard_conforming_strings && L.bpf.backslash_quote && L.bpf.active_portal);
	assert_true(L.bpf.current_user_id && L.bpf.authenticated_user_id && L.database_encoding);
	assert_int_equal(L.bpf.psrc_query_string, 16);
	/* Outcome probes: command tags and error reports located. */
	assert_string_equal(L.outcome_problem, "");
	assert_true(L.bpf.end_command && L.bpf.emit_error_report && L.bpf.ready_for_query);
	assert_true(L.bpf.tag_behavior && L.bpf.errordata && L.bpf.errordata_depth);
	assert_int_equal(L.bpf.edata_message, 56);
	assert_int_equal(L.bpf.elevel_error, 21);
	/* A stop right after each probe's first instruction is found; far inside is not. */
	assert_int_equal(sw_pg_probe_at(&L, 0x1000, 0x1000 + L.bpf.fn[SW_FN_FASTPATH] + 4), SW_EV_FASTPATH);
	assert_int_equal(sw_pg_probe_at(&L, 0x1000, 0x1000 + L.bpf.fn[SW_FN_BIND]), SW_EV_BIND);
	assert_int_equal(sw_pg_probe_at(&L, 0x1000, 0x1000 + L.bpf.fn[SW_FN_PARSE] + 200), 0);
}

/*
 * The version matrix's builds (scripts/fetch-postgres.sh; GCC 7.5, one executable
 * load holding .rodata): each major's facts derived from its own code and checked
 * against the per-major tables. Skipped, with a message, where the cache is absent
 * (the integration matrix fetches it and never skips).
 */
#define PG_CACHE "/var/cache/sqlward-test/postgres"
static void test_matrix_binaries(void **state)
{
	static const struct {
		int major;
		uint32_t psrc_query_string, params_num, params_array, utility_stmt, pu_context_arg, cmd_utility,
			 setting_action_arg, end_command_text;
	} want[] = {
		{ 12, 16, 48, 56, 112, 3, 5, 5, 1 }, { 13, 16, 56, 64, 120, 3, 5, 5, 0 },
		{ 14, 16, 56, 64, 112, 4, 5, 5, 0 }, { 15, 16, 56, 64, 112, 4, 6, 6, 0 },
		{ 16, 16, 56, 64, 120, 4, 6, 6, 0 }, { 17, 16, 56, 64, 120, 4, 6, 6, 0 },
		{ 18, 24, 56, 64, 144, 4, 6, 6, 0 },
	};
	int tested = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		static struct sw_pg_layout L;
		char path[128], err[512];
		snprintf(path, sizeof(path), PG_CACHE "/%d/bin/postgres", want[i].major);
		if (access(path, R_OK) != 0)
			continue;
		tested++;
		if (sw_pg_layout_load(path, &L, err, sizeof(err)) != 0)
			fail_msg("PostgreSQL %d: %s", want[i].major, err);
		assert_int_equal(L.major, want[i].major);
		for (int f = 0; f < SW_FN__COUNT; f++)
			if (!L.bpf.fn[f])
				fail_msg("PostgreSQL %d: %s is off: %s %s", want[i].major, sw_pg_layout_fn_name(f),
					 L.exec_problem, L.function_problem);
		assert_string_equal(L.outcome_problem, "");
		assert_true(L.bpf.current_user_id && L.bpf.authenticated_user_id && L.database_encoding &&
			    L.session_user_id);
		assert_true(L.bpf.errordata && L.bpf.errordata_depth && L.bpf.end_command);
		assert_int_equal(L.bpf.tag_behavior != 0, want[i].major >= 13);
		assert_int_equal(L.bpf.psrc_query_string, want[i].psrc_query_string);
		assert_int_equal(L.params_num_off, want[i].params_num);
		assert_int_equal(L.params_array_off, want[i].params_array);
		assert_int_equal(L.bpf.ps_utility_stmt, want[i].utility_stmt);
		assert_int_equal(L.bpf.pu_context_arg, want[i].pu_context_arg);
		assert_int_equal(L.bpf.cmd_utility, want[i].cmd_utility);
		assert_int_equal(L.bpf.setting_action_arg, want[i].setting_action_arg);
		assert_int_equal(L.bpf.end_command_text, want[i].end_command_text);
		assert_int_equal(L.idle_session_timeout != 0, want[i].major >= 14);
		assert_int_equal(L.bpf.elevel_error, want[i].major >= 14 ? 21 : 20);
		assert_string_equal(sw_pg_layout_probe_name(&L, SW_FN_SETTING),
				    want[i].major >= 15 ? "set_config_option_ext" : "set_config_option");
	}
	if (!tested)
		print_message("[  SKIPPED ] no PostgreSQL builds in " PG_CACHE " (run scripts/fetch-postgres.sh)\n");
}

/* A major outside the verified tables is refused with what to do. */
static void test_refuses_unknown_major(void **state)
{
	char tmpl[] = "/tmp/sqlward-layout-XXXXXX", err[512];
	static const char text[] = "PostgreSQL 11.22 on x86_64-pc-linux-gnu, compiled by gcc 7.5, 64-bit";
	static struct sw_pg_layout L;
	int fd;

	(void)state;
	if (access(PG15, R_OK) != 0) {
		skip();
		return;
	}
	/* A real binary with its version string rewritten to 11. */
	fd = mkstemp(tmpl);
	assert_true(fd >= 0);
	{
		int in = open(PG15, O_RDONLY);
		struct stat st;
		unsigned char *buf;
		assert_true(in >= 0 && fstat(in, &st) == 0);
		buf = malloc((size_t)st.st_size);
		assert_non_null(buf);
		assert_int_equal(read(in, buf, (size_t)st.st_size), st.st_size);
		for (off_t i = 0; i + (off_t)sizeof(text) < st.st_size; i++)
			if (i + 200 < st.st_size && memcmp(buf + i, "PostgreSQL 15.", 14) == 0 &&
			    memmem(buf + i, 120, ", compiled by", 13)) {
				size_t n = strlen((char *)buf + i);
				memset(buf + i, ' ', n);
				memcpy(buf + i, text, n < sizeof(text) - 1 ? n : sizeof(text) - 1);
			}
		assert_int_equal(write(fd, buf, (size_t)st.st_size), st.st_size);
		free(buf);
		close(in);
	}
	close(fd);
	assert_int_equal(sw_pg_layout_load(tmpl, &L, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "PostgreSQL 11.22"));
	assert_non_null(strstr(err, "12 to 18 only"));
	unlink(tmpl);
}

/* A copy of the server whose GetUserId is not the plain load: refused, with the reason. */
static void test_refuses_unverifiable_binary(void **state)
{
	struct sw_pg_layout L;
	char tmpl[] = "/tmp/sqlward-layout-XXXXXX", err[512];
	int in, out;
	char buf[65536];
	ssize_t n;
	unsigned char nop = 0x90;

	(void)state;
	if (access(PG15, R_OK) != 0 || sw_pg_layout_load(PG15, &L, err, sizeof(err)) != 0) {
		skip();
		return;
	}
	in = open(PG15, O_RDONLY);
	out = mkstemp(tmpl);
	assert_true(in >= 0 && out >= 0);
	while ((n = read(in, buf, sizeof(buf))) > 0)
		assert_int_equal(write(out, buf, (size_t)n), n);
	close(in);
	{
		/* Break every "mov CurrentUserId,%eax; ret" (GetUserId is one): in this PIE a
		 * text byte's vaddr is its file offset, so the decoder reads the image as is. */
		struct stat stt;
		unsigned char *img;
		int patched = 0;
		assert_int_equal(fstat(out, &stt), 0);
		img = malloc((size_t)stt.st_size);
		assert_int_equal(pread(out, img, (size_t)stt.st_size, 0), stt.st_size);
		for (off_t i = 0; i + 7 <= stt.st_size; i++) {
			uint64_t g;
			if (img[i] == 0x8b && sw_pg_decode_load32(img + i, 7, (uint64_t)i, &g) &&
			    g == L.bpf.current_user_id) {
				assert_int_equal(pwrite(out, &nop, 1, i + 6), 1);
				patched++;
			}
		}
		free(img);
		assert_true(patched > 0);
	}
	close(out);
	assert_int_equal(sw_pg_layout_load(tmpl, &L, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "GetUserId"));
	unlink(tmpl);
	/* Not a PostgreSQL binary at all. */
	assert_int_equal(sw_pg_layout_load("/bin/true", &L, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "version"));
}

static size_t statements(const char *sql, const struct sw_pg_lex *lex)
{
	struct sw_analysis a;
	size_t n;

	sw_pg_tree_set_lex(lex);
	sw_pg_analyze(sql, &a);
	n = a.parse_ok ? a.n_stmts : 0;
	sw_analysis_free(&a);
	sw_pg_tree_set_lex(NULL);
	return n;
}

static void test_lexing_settings(void **state)
{
	const char *attack = "SELECT 'x\\''; DELETE FROM t; --'";
	struct sw_pg_lex off = { .standard_conforming_strings = false, .backslash_quote = 2 };
	struct sw_pg_lex on = SW_PG_LEX_DEFAULTS;
	char *big;
	size_t n = 20000;

	(void)state;
	assert_int_equal(statements(attack, &on), 1);
	assert_int_equal(statements(attack, &off), 2);
	assert_int_equal(statements(attack, NULL), 1);
	/* A statement long enough to be parsed on the classifier's big-stack thread keeps the settings. */
	big = malloc(n + strlen(attack) + 32);
	strcpy(big, "SELECT 1 /* ");
	memset(big + strlen(big), 'y', n);
	strcpy(big + 12 + n, " */; ");
	strcat(big, attack);
	assert_int_equal(statements(big, &on), 2);
	assert_int_equal(statements(big, &off), 3);
	free(big);
	/* backslash_quote = off: \' in an escape string is an error, as in the server. */
	{
		struct sw_pg_lex bq_off = { .standard_conforming_strings = true, .backslash_quote = 0 };
		assert_int_equal(statements("SELECT E'a\\'b'", &on), 1);
		assert_int_equal(statements("SELECT E'a\\'b'", &bq_off), 0);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decode_load32),
		cmocka_unit_test(test_decode_ptr_field8),
		cmocka_unit_test(test_decode_outcome_accessors),
		cmocka_unit_test(test_decode_errcode_gcc7),
		cmocka_unit_test(test_decode_make_param_list),
		cmocka_unit_test(test_find_version),
		cmocka_unit_test(test_real_binary),
		cmocka_unit_test(test_refuses_unverifiable_binary),
		cmocka_unit_test(test_matrix_binaries),
		cmocka_unit_test(test_refuses_unknown_major),
		cmocka_unit_test(test_lexing_settings),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
