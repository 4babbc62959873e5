/*
 * The mariadbd layout sqlward derives (my_layout.c): each accessor's machine
 * code decoded or refused (byte sequences as Debian's 10.11.19 build has them,
 * and near misses), the version found, the real /usr/sbin/mariadbd accepted
 * with plausible, mutually consistent offsets, and a copy whose
 * thd_is_strict_mode tests other bits refused.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "unit.h"
#include "my_layout.h"

#define MARIADBD "/usr/sbin/mariadbd"

static void test_decode_load_field(void **state)
{
	/* thd_get_thread_id: mov 0x3f18(%rdi),%rax; ret */
	const unsigned char tid[] = { 0x48, 0x8b, 0x87, 0x18, 0x3f, 0x00, 0x00, 0xc3 };
	const unsigned char cet[] = { 0xf3, 0x0f, 0x1e, 0xfa, 0x48, 0x8b, 0x87, 0x18, 0x3f, 0x00, 0x00, 0xc3 };
	const unsigned char d8[] = { 0x48, 0x8b, 0x47, 0x58, 0xc3 };                      /* mov 0x58(%rdi),%rax */
	const unsigned char eax[] = { 0x8b, 0x87, 0x18, 0x3f, 0x00, 0x00, 0xc3 };         /* 32-bit load */
	const unsigned char rsi[] = { 0x48, 0x8b, 0x86, 0x18, 0x3f, 0x00, 0x00, 0xc3 };   /* (%rsi) */
	const unsigned char noret[] = { 0x48, 0x8b, 0x87, 0x18, 0x3f, 0x00, 0x00, 0x90 };
	const unsigned char neg[] = { 0x48, 0x8b, 0x47, 0xf8, 0xc3 };                     /* -8(%rdi) */
	uint32_t off = 0;

	(void)state;
	assert_true(sw_my_decode_load_field(tid, sizeof(tid), &off));
	assert_int_equal(off, 0x3f18);
	assert_true(sw_my_decode_load_field(cet, sizeof(cet), &off));
	assert_int_equal(off, 0x3f18);
	assert_true(sw_my_decode_load_field(d8, sizeof(d8), &off));
	assert_int_equal(off, 0x58);
	assert_false(sw_my_decode_load_field(eax, sizeof(eax), &off));
	assert_false(sw_my_decode_load_field(rsi, sizeof(rsi), &off));
	assert_false(sw_my_decode_load_field(noret, sizeof(noret), &off));
	assert_false(sw_my_decode_load_field(neg, sizeof(neg), &off));
	assert_false(sw_my_decode_load_field(tid, 5, &off));
}

static void test_decode_sql_command(void **state)
{
	/* thd_sql_command: mov 0x58(%rdi),%rax; mov 0x8(%rax),%eax; ret */
	const unsigned char code[] = { 0x48, 0x8b, 0x47, 0x58, 0x8b, 0x40, 0x08, 0xc3 };
	const unsigned char q64[] = { 0x48, 0x8b, 0x47, 0x58, 0x48, 0x8b, 0x40, 0x08, 0xc3 };
	uint32_t a = 0, b = 0;

	(void)state;
	assert_true(sw_my_decode_load_field_field32(code, sizeof(code), &a, &b));
	assert_int_equal(a, 0x58);
	assert_int_equal(b, 8);
	assert_false(sw_my_decode_load_field_field32(q64, sizeof(q64), &a, &b));
	assert_false(sw_my_decode_load_field_field32(code, sizeof(code) - 1, &a, &b));
}

static void test_decode_security_accessors(void **state)
{
	/* thd_user_name: mov 0x25f8(%rdi),%rax; test %rax,%rax; je +4; mov 0x8(%rax),%rax; ret */
	const unsigned char user[] = { 0x48, 0x8b, 0x87, 0xf8, 0x25, 0x00, 0x00, 0x48, 0x85, 0xc0, 0x74, 0x04,
				       0x48, 0x8b, 0x40, 0x08, 0xc3 };
	/* thd_client_host: ... je +3; mov (%rax),%rax; ret */
	const unsigned char host[] = { 0x48, 0x8b, 0x87, 0xf8, 0x25, 0x00, 0x00, 0x48, 0x85, 0xc0, 0x74, 0x03,
				       0x48, 0x8b, 0x00, 0xc3 };
	/* The je skipping somewhere else than the ret. */
	const unsigned char badje[] = { 0x48, 0x8b, 0x87, 0xf8, 0x25, 0x00, 0x00, 0x48, 0x85, 0xc0, 0x74, 0x05,
					0x48, 0x8b, 0x40, 0x08, 0xc3 };
	/* thd_priv_host's frame: push %rbp; mov %rsp,%rbp; push %r12; mov %rsi,%r12; push %rbx;
	 * mov 0x25f8(%rdi),%rbx; test %rbx,%rbx; je; add $0x41d,%rbx; mov %rbx,%rdi; call strlen */
	const unsigned char phost[] = { 0x55, 0x48, 0x89, 0xe5, 0x41, 0x54, 0x49, 0x89, 0xf4, 0x53, 0x48, 0x8b,
					0x9f, 0xf8, 0x25, 0x00, 0x00, 0x48, 0x85, 0xdb, 0x74, 0x22, 0x48, 0x81,
					0xc3, 0x1d, 0x04, 0x00, 0x00, 0x48, 0x89, 0xdf, 0xe8, 0xda, 0x4c, 0xea, 0xff };
	/* thd_priv_user: add $0x18,%rbx (imm8). */
	const unsigned char puser[] = { 0x55, 0x48, 0x89, 0xe5, 0x41, 0x54, 0x49, 0x89, 0xf4, 0x53, 0x48, 0x8b,
					0x9f, 0xf8, 0x25, 0x00, 0x00, 0x48, 0x85, 0xdb, 0x74, 0x1a, 0x48, 0x83,
					0xc3, 0x18, 0x48, 0x89, 0xdf, 0xe8, 0x9e, 0x4c, 0xea, 0xff };
	uint32_t ctx = 0, f = 0;

	(void)state;
	assert_true(sw_my_decode_ctx_pointer(user, sizeof(user), &ctx, &f));
	assert_int_equal(ctx, 0x25f8);
	assert_int_equal(f, 8);
	assert_true(sw_my_decode_ctx_pointer(host, sizeof(host), &ctx, &f));
	assert_int_equal(f, 0);
	assert_false(sw_my_decode_ctx_pointer(badje, sizeof(badje), &ctx, &f));
	assert_true(sw_my_decode_ctx_array(phost, sizeof(phost), &ctx, &f));
	assert_int_equal(ctx, 0x25f8);
	assert_int_equal(f, 0x41d);
	assert_true(sw_my_decode_ctx_array(puser, sizeof(puser), &ctx, &f));
	assert_int_equal(f, 0x18);
	/* Cut before the call: not the shape. */
	assert_false(sw_my_decode_ctx_array(puser, sizeof(puser) - 5, &ctx, &f));
}

static void test_decode_variables(void **state)
{
	/* thd_is_strict_mode: testq $0x600000,0x898(%rdi); setne %al; ret */
	const unsigned char strict[] = { 0x48, 0xf7, 0x87, 0x98, 0x08, 0x00, 0x00, 0x00, 0x00, 0x60, 0x00,
					 0x0f, 0x95, 0xc0, 0xc3 };
	const unsigned char sete[] = { 0x48, 0xf7, 0x87, 0x98, 0x08, 0x00, 0x00, 0x00, 0x00, 0x60, 0x00,
				       0x0f, 0x94, 0xc0, 0xc3 };
	/* thd_query_string: lea 0x68(%rdi),%rax; ret */
	const unsigned char query[] = { 0x48, 0x8d, 0x47, 0x68, 0xc3 };
	const unsigned char movq[] = { 0x48, 0x8b, 0x47, 0x68, 0xc3 };
	/* my_ci_get_collation_name_generic: mov 0x20(%rdi),%rax; mov 0x28(%rdi),%rdx; ret */
	const unsigned char coll[] = { 0x48, 0x8b, 0x47, 0x20, 0x48, 0x8b, 0x57, 0x28, 0xc3 };
	const unsigned char notlen[] = { 0x48, 0x8b, 0x47, 0x20, 0x48, 0x8b, 0x57, 0x30, 0xc3 };
	uint32_t off = 0, mask = 0;

	(void)state;
	assert_true(sw_my_decode_test_field64(strict, sizeof(strict), &off, &mask));
	assert_int_equal(off, 0x898);
	assert_int_equal(mask, 0x600000);
	assert_false(sw_my_decode_test_field64(sete, sizeof(sete), &off, &mask));
	assert_true(sw_my_decode_lea_field(query, sizeof(query), &off));
	assert_int_equal(off, 0x68);
	assert_false(sw_my_decode_lea_field(movq, sizeof(movq), &off));
	assert_true(sw_my_decode_lex_cstring_member(coll, sizeof(coll), &off));
	assert_int_equal(off, 0x20);
	assert_false(sw_my_decode_lex_cstring_member(notlen, sizeof(notlen), &off));
}

static void test_decode_scans(void **state)
{
	/* Security_context::init (10.11.19): five movb $0 among other stores. */
	const unsigned char init[] = {
		0x66, 0x0f, 0xef, 0xc0, 0x48, 0x8d, 0x05, 0xa3, 0x8f, 0x7e, 0x00, 0x48, 0xc7, 0x87, 0xa0, 0x06,
		0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x48, 0xc7, 0x47, 0x10, 0x00, 0x00, 0x00, 0x00, 0x48, 0x89,
		0x87, 0xa8, 0x06, 0x00, 0x00, 0xc6, 0x87, 0x1d, 0x05, 0x00, 0x00, 0x00, 0xc6, 0x87, 0x98, 0x01,
		0x00, 0x00, 0x00, 0xc6, 0x87, 0x1d, 0x04, 0x00, 0x00, 0x00, 0xc6, 0x47, 0x18, 0x00, 0xc6, 0x87,
		0xc0, 0x06, 0x00, 0x00, 0x00, 0x0f, 0x11, 0x07, 0x0f, 0x11, 0x87, 0xb0, 0x06, 0x00, 0x00, 0xc3 };
	/* thd_get_error_context_description's tests: cmpq $0,0x1f30(%rbx) ... 0x1f40 ... 0x1f30 again ... 0x1f38 */
	const unsigned char desc[] = { 0x48, 0x83, 0xbb, 0x30, 0x1f, 0x00, 0x00, 0x00, 0x90,
				       0x48, 0x83, 0xbb, 0x40, 0x1f, 0x00, 0x00, 0x00, 0x90,
				       0x48, 0x83, 0xbb, 0x30, 0x1f, 0x00, 0x00, 0x00, 0x90,
				       0x48, 0x83, 0xbb, 0x38, 0x1f, 0x00, 0x00, 0x00, 0xc3 };
	uint32_t offs[8];
	int n = 0;

	(void)state;
	assert_true(sw_my_decode_zeroed_bytes(init, sizeof(init), offs, 8, &n));
	assert_int_equal(n, 5);
	assert_int_equal(offs[0], 0x18);
	assert_int_equal(offs[1], 0x198);
	assert_int_equal(offs[2], 0x41d);
	assert_int_equal(offs[3], 0x51d);
	assert_int_equal(offs[4], 0x6c0);
	assert_false(sw_my_decode_zeroed_bytes(init, sizeof(init), offs, 3, &n));   /* more than fit */
	assert_true(sw_my_decode_null_tests(desc, sizeof(desc), offs, 4, &n));
	assert_int_equal(n, 3);
	assert_int_equal(offs[0], 0x1f30);
	assert_int_equal(offs[1], 0x1f40);
	assert_int_equal(offs[2], 0x1f38);
}

static void test_version(void **state)
{
	/* set_server_version's tail at 0x7369c5: ... lea S(%rip),%rcx; push; push;
	 * lea V(%rip),%rdx; call strxnmov */
	const unsigned char code[] = { 0x31, 0xc0, 0x51, 0x4d, 0x89, 0xc8, 0x48, 0x8d, 0x0d, 0xd1, 0xc7, 0x87, 0x00,
				       0x52, 0x52, 0x48, 0x8d, 0x15, 0xd3, 0xc7, 0x87, 0x00, 0xe8, 0x80, 0xa5, 0x81,
				       0x00, 0xc9, 0xc3 };
	uint64_t v = 0, s = 0;
	int maj = 0, min = 0;

	(void)state;
	assert_true(sw_my_decode_version_refs(code, sizeof(code), 0x7369c5, &v, &s));
	assert_int_equal(v, 0xfb31ae);
	assert_int_equal(s, 0xfb31a3);
	assert_false(sw_my_decode_version_refs(code, 20, 0x7369c5, &v, &s));
	assert_true(sw_my_parse_version("10.11.19-MariaDB", &maj, &min));
	assert_int_equal(maj, 10);
	assert_int_equal(min, 11);
	assert_true(sw_my_parse_version("11.4.2-MariaDB", &maj, &min));
	assert_int_equal(min, 4);
	assert_false(sw_my_parse_version("10.11.19", &maj, &min));
	assert_false(sw_my_parse_version("10.11-MariaDB", &maj, &min));
	assert_false(sw_my_parse_version("8.0.36", &maj, &min));
	assert_false(sw_my_parse_version("10.11.19-MariaDB-log", &maj, &min));
}

static void test_real_binary(void **state)
{
	struct sw_my_layout L;
	const struct sw_my_bin_layout *b = &L.bpf;
	char err[512];

	(void)state;
	if (access(MARIADBD, R_OK) != 0) {
		print_message("SKIP: no %s (install mariadb-server: scripts/install-deps.sh)\n", MARIADBD);
		skip();
		return;
	}
	assert_int_equal(sw_my_layout_load(MARIADBD, &L, err, sizeof(err)), 0);
	if (L.major != 10 || L.minor != 11) {
		print_message("SKIP: %s is MariaDB %s, the layouts are checked for 10.11 only\n", MARIADBD, L.version);
		assert_int_equal(b->valid, 0);
		skip();
		return;
	}
	if (!b->valid)
		print_message("problem: %s\n", L.problem);
	assert_int_equal(b->valid, 1);
	assert_string_equal(L.problem, "");
	/* Functions: in the file, distinct, each file offset inside the file. */
	for (int i = 0; i < SW_MY_FN__COUNT; i++) {
		struct stat st;
		assert_int_equal(stat(MARIADBD, &st), 0);
		assert_true(L.fn_vaddr[i] != 0);
		assert_true(L.fn_file_off[i] > 0 && L.fn_file_off[i] < (uint64_t)st.st_size);
		for (int j = 0; j < i; j++)
			assert_true(L.fn_vaddr[i] != L.fn_vaddr[j]);
	}
	assert_int_equal(b->dispatch_command, L.fn_vaddr[SW_MY_FN_DISPATCH]);
	assert_int_equal(b->execute_command, L.fn_vaddr[SW_MY_FN_EXECUTE]);
	/* THD: pointer and 64-bit members aligned, all inside a THD (a few tens of KiB). */
	assert_true(b->thd_thread_id % 8 == 0 && b->thd_thread_id < 0x10000);
	assert_true(b->thd_security_ctx % 8 == 0 && b->thd_security_ctx < 0x10000);
	assert_true(b->thd_sql_mode % 8 == 0 && b->thd_charset_client % 8 == 0 && b->thd_lex % 8 == 0);
	assert_true(b->thd_query % 8 == 0);
	/* The embedded login context fits before the security_ctx pointer. */
	assert_true(L.thd_main_security_ctx % 8 == 0);
	assert_true(L.thd_main_security_ctx + L.sctx_priv_role + L.sctx_priv_user_size <= b->thd_security_ctx);
	/* Security_context: three pointers, then priv_user[], proxy_user[], priv_host[], priv_role[]. */
	assert_int_equal(b->sctx_host, 0);
	assert_int_equal(b->sctx_user, 8);
	assert_int_equal(b->sctx_ip, 16);
	assert_int_equal(b->sctx_priv_user, 24);
	assert_true(b->sctx_priv_user < L.sctx_proxy_user && L.sctx_proxy_user < b->sctx_priv_host &&
		    b->sctx_priv_host < L.sctx_priv_role);
	assert_int_equal(L.sctx_priv_user_size, 384);   /* USERNAME_LENGTH: 128 characters * 3 bytes */
	assert_int_equal(L.sctx_priv_host_size, 256);   /* MAX_HOSTNAME */
	assert_int_equal(b->charset_number, 0);
	assert_int_equal(L.charset_collname, L.charset_csname + 16);
	assert_true(L.server_threads != 0);
	/* Debian's 10.11.19 build: the values validated against a live server (CONNECTION_ID(),
	 * USER(), CURRENT_USER(), @@sql_mode, @@character_set_client read back from its memory). */
	if (strcmp(L.version, "10.11.19-MariaDB") == 0) {
		assert_int_equal(b->thd_thread_id, 0x3f18);
		assert_int_equal(b->thd_lex, 0x58);
		assert_int_equal(b->lex_sql_command, 8);
		assert_int_equal(b->thd_security_ctx, 0x25f8);
		assert_int_equal(L.thd_main_security_ctx, 0x1f30);
		assert_int_equal(b->sctx_priv_host, 0x41d);
		assert_int_equal(L.sctx_proxy_user, 0x198);
		assert_int_equal(b->thd_sql_mode, 0x898);
		assert_int_equal(b->thd_charset_client, 0xb98);
		assert_int_equal(b->thd_query, 0x68);
		assert_int_equal(L.charset_csname, 0x10);
	}
}

/* A copy of mariadbd whose thd_is_strict_mode tests other bits: sql_mode is not proven, so
 * the layout is not valid and the problem says why. */
static void test_refuses_unverifiable_binary(void **state)
{
	static const unsigned char strict[] = { 0x48, 0xf7, 0x87 };
	struct sw_my_layout L;
	char tmpl[] = "/tmp/sqlward-mylayout-XXXXXX", err[512];
	unsigned char *img;
	struct stat st;
	int in, out, patched = 0;

	(void)state;
	if (access(MARIADBD, R_OK) != 0 || sw_my_layout_load(MARIADBD, &L, err, sizeof(err)) != 0 ||
	    !L.bpf.valid) {
		skip();
		return;
	}
	in = open(MARIADBD, O_RDONLY);
	assert_true(in >= 0);
	assert_int_equal(fstat(in, &st), 0);
	img = malloc((size_t)st.st_size);
	assert_non_null(img);
	assert_int_equal(pread(in, img, (size_t)st.st_size, 0), st.st_size);
	close(in);
	{
		/* thd_is_strict_mode's first instruction: testq $0x600000,off(%rdi); the vaddr of a
		 * text byte is not necessarily its file offset, so find it through the loader. */
		uint64_t off = 0;
		for (off_t i = 0; i + 11 <= st.st_size; i++)
			if (memcmp(img + i, strict, sizeof(strict)) == 0 && img[i + 7] == 0 && img[i + 8] == 0 &&
			    img[i + 9] == 0x60 && img[i + 10] == 0 && img[i + 11] == 0x0f) {
				off = (uint64_t)i;
				img[i + 9] = 0x20;   /* mask 0x200000: STRICT_TRANS_TABLES only */
				patched++;
			}
		assert_true(patched >= 1 && off);
	}
	out = mkstemp(tmpl);
	assert_true(out >= 0);
	assert_int_equal(write(out, img, (size_t)st.st_size), st.st_size);
	close(out);
	free(img);
	assert_int_equal(sw_my_layout_load(tmpl, &L, err, sizeof(err)), 0);
	assert_int_equal(L.bpf.valid, 0);
	assert_non_null(strstr(L.problem, "thd_is_strict_mode"));
	unlink(tmpl);

	/* Not a mariadbd at all. */
	assert_int_equal(sw_my_layout_load("/bin/true", &L, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "does not export"));
	assert_int_equal(sw_my_layout_load("/nonexistent/mariadbd", &L, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "cannot read"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decode_load_field),
		cmocka_unit_test(test_decode_sql_command),
		cmocka_unit_test(test_decode_security_accessors),
		cmocka_unit_test(test_decode_variables),
		cmocka_unit_test(test_decode_scans),
		cmocka_unit_test(test_version),
		cmocka_unit_test(test_real_binary),
		cmocka_unit_test(test_refuses_unverifiable_binary),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
