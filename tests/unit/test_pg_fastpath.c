/* Tests for fastpath function calls (pg_fastpath.h) and the built-in function OID table (pg_proc_oids.h). */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include "unit.h"
#include "statement.h"
#include "pg_fastpath.h"
#include "pg_proc_oids.h"

/* Built-in function OIDs (PostgreSQL 15 pg_proc.dat). */
#define OID_LO_IMPORT 764
#define OID_LO_OPEN 952
#define OID_LOREAD 954
#define OID_LOWRITE 955
#define OID_PG_TERMINATE_BACKEND 2096
#define OID_USER_FUNCTION 16391

/* ---- building message bodies ------------------------------------------------------ */

struct body {
	unsigned char b[512];
	size_t len;
};

static void put(struct body *m, uint32_t v, int width)
{
	for (int i = width - 1; i >= 0; i--)
		m->b[m->len++] = (unsigned char)(v >> (8 * i));
}

static void put_arg(struct body *m, const void *data, int32_t len)
{
	put(m, (uint32_t)len, 4);
	if (len > 0) {
		memcpy(m->b + m->len, data, (size_t)len);
		m->len += (size_t)len;
	}
}

/* OID, one format code for all arguments, nargs; the arguments follow. */
static struct body call_header(uint32_t oid, int format, int nargs)
{
	struct body m = { .len = 0 };

	put(&m, oid, 4);
	put(&m, 1, 2);
	put(&m, (uint32_t)format, 2);
	put(&m, (uint32_t)nargs, 2);
	return m;
}

/* Append the result format, analyze, and check what every decodable call has. */
static const struct sw_stmt *analyze_call(struct body *m, int result_format, struct sw_analysis *a,
					  const char *expected_sql)
{
	put(m, (uint32_t)result_format, 2);
	sw_pg_fastpath_analyze(m->b, m->len, 15, a);
	assert_true(a->parse_ok);
	assert_int_equal(a->n_stmts, 1);
	assert_string_equal(a->stmts[0].text, expected_sql);
	assert_string_equal(a->stmts[0].command, "FUNCTION CALL");
	assert_true(a->stmts[0].traits & SW_TRAIT_FASTPATH);
	return &a->stmts[0];
}

static bool has_reason(const struct sw_stmt *st, const char *s)
{
	for (size_t i = 0; i < st->reasons.n; i++)
		if (strcmp(st->reasons.v[i], s) == 0)
			return true;
	return false;
}

#define assert_reason(st, s) \
	do { \
		if (!has_reason((st), (s))) \
			fail_msg("no reason \"%s\" (first: \"%s\")", (s), (st)->reasons.n ? (st)->reasons.v[0] : ""); \
	} while (0)

/* ---- the OID table ------------------------------------------------------------------ */

static void test_proc_table(void **state)
{
	const struct sw_pg_proc *p;
	(void)state;

	assert_true(sw_pg_procs_n > 3000);
	for (size_t i = 1; i < sw_pg_procs_n; i++)   /* one row per meaning of an OID across majors */
		assert_true(sw_pg_procs[i - 1].oid <= sw_pg_procs[i].oid);
	assert_true(sw_pg_procs[sw_pg_procs_n - 1].oid < 16384);
	p = sw_pg_proc_by_oid(OID_LO_OPEN, 15);
	assert_non_null(p);
	assert_string_equal(p->schema, "pg_catalog");
	assert_string_equal(p->name, "lo_open");
	assert_int_equal(p->nargs, 2);
	assert_string_equal(p->argtypes, "oid, integer");
	assert_string_equal(sw_pg_proc_by_oid(OID_PG_TERMINATE_BACKEND, 15)->name, "pg_terminate_backend");
	assert_null(sw_pg_proc_by_oid(OID_USER_FUNCTION, 15));
	assert_null(sw_pg_proc_by_oid(0, 15));
}

/* ---- calls -------------------------------------------------------------------------- */

static void test_lo_open_text(void **state)
{
	struct body m = call_header(OID_LO_OPEN, 0, 2);
	struct sw_analysis a;
	const struct sw_stmt *st;
	(void)state;

	put_arg(&m, "16400", 5);
	put_arg(&m, "131072", 6);
	st = analyze_call(&m, 1, &a, "SELECT pg_catalog.lo_open($1, $2)");
	assert_true(st->traits & SW_TRAIT_DANGEROUS_FUNCTION);
	assert_false(st->traits & SW_TRAIT_PARAMETERIZED);
	assert_true(sw_strv_contains(&st->functions, "pg_catalog.lo_open"));
	assert_string_equal(st->reasons.v[0],
			    "fastpath function call (protocol message F, libpq PQfn): OID 952 = pg_catalog.lo_open");
	assert_string_equal(st->reasons.v[1], "argument $1 (oid): '16400' (text format)");
	assert_string_equal(st->reasons.v[2], "argument $2 (integer): '131072' (text format)");
	assert_true(st->reasons.n > 3);  /* the classifier's own reasons follow */
	/* Nothing is bound later: not parameterized (the daemon would wait for a Bind), and not said to be. */
	for (size_t i = 0; i < st->reasons.n; i++)
		assert_null(strstr(st->reasons.v[i], "placeholders"));
	sw_analysis_free(&a);
}

static void test_loread_lowrite_binary(void **state)
{
	struct body m = call_header(OID_LOREAD, 1, 2);
	struct sw_analysis a;
	const struct sw_stmt *st;
	unsigned char fd[4] = { 0, 0, 0, 3 }, n[4] = { 0, 0, 0x20, 0 }, data[100];
	(void)state;

	put_arg(&m, fd, 4);
	put_arg(&m, n, 4);
	st = analyze_call(&m, 1, &a, "SELECT pg_catalog.loread($1, $2)");
	assert_true(st->traits & SW_TRAIT_DANGEROUS_FUNCTION);
	assert_reason(st, "argument $1 (integer): \\x00000003 = 3 (binary format)");
	assert_reason(st, "argument $2 (integer): \\x00002000 = 8192 (binary format)");
	sw_analysis_free(&a);

	/* lowrite(integer, bytea) with 100 bytes: hex of the first 64, then the size. */
	for (int i = 0; i < 100; i++)
		data[i] = (unsigned char)i;
	m = call_header(OID_LOWRITE, 1, 2);
	put_arg(&m, fd, 4);
	put_arg(&m, data, 100);
	st = analyze_call(&m, 0, &a, "SELECT pg_catalog.lowrite($1, $2)");
	assert_true(st->traits & SW_TRAIT_DANGEROUS_FUNCTION);
	assert_reason(st, "argument $2 (bytea): \\x000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
				   "202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f... (100 bytes) "
				   "(binary format)");
	sw_analysis_free(&a);
}

static void test_lo_import_file_access(void **state)
{
	struct body m = call_header(OID_LO_IMPORT, 0, 1);
	struct sw_analysis a;
	const struct sw_stmt *st;
	(void)state;

	put_arg(&m, "/etc/passwd\n\x1b[2J\xc3\xa9\\", 19);
	st = analyze_call(&m, 0, &a, "SELECT pg_catalog.lo_import($1)");
	assert_true(st->traits & SW_TRAIT_FILE_ACCESS);
	/* Control and non-ASCII bytes as \xNN, a backslash doubled. */
	assert_reason(st, "argument $1 (text): '/etc/passwd\\x0A\\x1B[2J\\xC3\\xA9\\\\' (text format)");
	sw_analysis_free(&a);
}

static void test_terminate_backend_and_nulls(void **state)
{
	struct body m = { .len = 0 };
	struct sw_analysis a;
	const struct sw_stmt *st;
	unsigned char timeout[8] = { 0, 0, 0, 0, 0, 0, 0x13, 0x88 };
	(void)state;

	/* One format code per argument: text, binary. */
	put(&m, OID_PG_TERMINATE_BACKEND, 4);
	put(&m, 2, 2);
	put(&m, 0, 2);
	put(&m, 1, 2);
	put(&m, 2, 2);
	put_arg(&m, "4242", 4);
	put_arg(&m, timeout, 8);
	st = analyze_call(&m, 0, &a, "SELECT pg_catalog.pg_terminate_backend($1, $2)");
	assert_true(st->traits & SW_TRAIT_DANGEROUS_FUNCTION);
	assert_reason(st, "argument $1 (integer): '4242' (text format)");
	assert_reason(st, "argument $2 (bigint): \\x0000000000001388 = 5000 (binary format)");
	sw_analysis_free(&a);

	/* NULL arguments, no format codes at all (all text). */
	m.len = 0;
	put(&m, OID_LO_OPEN, 4);
	put(&m, 0, 2);
	put(&m, 2, 2);
	put_arg(&m, NULL, -1);
	put_arg(&m, "", 0);
	st = analyze_call(&m, 0, &a, "SELECT pg_catalog.lo_open($1, $2)");
	assert_reason(st, "argument $1 (oid): NULL");
	assert_reason(st, "argument $2 (integer): '' (text format)");
	sw_analysis_free(&a);
}

static void test_user_function_and_arity(void **state)
{
	struct body m = call_header(OID_USER_FUNCTION, 0, 1);
	struct sw_analysis a;
	const struct sw_stmt *st;
	(void)state;

	put_arg(&m, "x", 1);
	st = analyze_call(&m, 0, &a, "SELECT \"fastpath function OID 16391\"($1)");
	assert_true(st->traits & SW_TRAIT_UNKNOWN_FUNCTION);
	assert_reason(st, "fastpath function call (protocol message F, libpq PQfn): OID 16391 is not a built-in "
				   "function of PostgreSQL 15 (a user or extension function, or no function at all)");
	assert_reason(st, "argument $1: 'x' (text format)");
	sw_analysis_free(&a);

	/* No arguments at all; and a built-in called with the wrong number of them. */
	m = call_header(OID_LO_OPEN, 0, 0);
	st = analyze_call(&m, 0, &a, "SELECT pg_catalog.lo_open()");
	assert_reason(st, "the call passes 0 arguments but pg_catalog.lo_open takes 2: the server rejects it "
				   "before the function runs");
	sw_analysis_free(&a);

	/* A mixed-case built-in name is quoted so that it means exactly that function. */
	m = call_header(1646, 0, 0);  /* RI_FKey_cascade_del */
	analyze_call(&m, 0, &a, "SELECT pg_catalog.\"RI_FKey_cascade_del\"()");
	sw_analysis_free(&a);
}

/* ---- malformed bodies ------------------------------------------------------------------ */

/* A valid two-argument call: OID, 2 codes, 2 args (4 bytes, NULL), result format. */
static struct body valid_body(void)
{
	struct body m = { .len = 0 };

	put(&m, OID_LO_OPEN, 4);
	put(&m, 2, 2);
	put(&m, 0, 2);
	put(&m, 1, 2);
	put(&m, 2, 2);
	put_arg(&m, "1234", 4);
	put_arg(&m, NULL, -1);
	put(&m, 0, 2);
	return m;
}

static void expect_undecodable(const struct body *m, const char *needle)
{
	struct sw_analysis a;
	struct sw_fastpath_call call;
	char err[256];

	assert_false(sw_pg_fastpath_decode(m->b, m->len, &call, err, sizeof(err)));
	if (!strstr(err, needle))
		fail_msg("error \"%s\" does not say \"%s\"", err, needle);
	sw_pg_fastpath_analyze(m->b, m->len, 15, &a);
	assert_false(a.parse_ok);
	assert_non_null(strstr(a.error, needle));
	assert_int_equal(a.n_stmts, 1);
	assert_int_equal(a.stmts[0].cls, SW_CLASS_UNKNOWN);
	assert_string_equal(a.stmts[0].command, "FUNCTION CALL");
	assert_true(a.stmts[0].traits & SW_TRAIT_FASTPATH);
	assert_non_null(a.stmts[0].text);
	assert_true(a.stmts[0].reasons.n >= 1);
	sw_analysis_free(&a);
}

static void test_truncated_everywhere(void **state)
{
	struct body full = valid_body(), m;
	struct sw_fastpath_call call;
	char err[256];
	(void)state;

	assert_true(sw_pg_fastpath_decode(full.b, full.len, &call, err, sizeof(err)));
	assert_int_equal(call.nargs, 2);
	assert_int_equal(call.args[0].len, 4);
	assert_int_equal(call.args[1].format, 1);
	assert_true(call.args[1].isnull);
	/* Every proper prefix fails, and never reads past its end (ASan: a copy of exactly that size). */
	for (size_t cut = 0; cut < full.len; cut++) {
		unsigned char *copy = malloc(cut ? cut : 1);
		struct sw_analysis a;
		memcpy(copy, full.b, cut);
		assert_false(sw_pg_fastpath_decode(copy, cut, &call, err, sizeof(err)));
		sw_pg_fastpath_analyze(copy, cut, 15, &a);
		assert_false(a.parse_ok);
		assert_int_equal(a.stmts[0].cls, SW_CLASS_UNKNOWN);
		sw_analysis_free(&a);
		free(copy);
	}
	m = full;
	m.len = 0;
	expect_undecodable(&m, "inside the function OID");
	m.len = 5;
	expect_undecodable(&m, "inside the number of argument format codes");
	m.len = 8;
	expect_undecodable(&m, "inside the argument format codes");
	m.len = 10;
	expect_undecodable(&m, "inside the number of arguments");
	m.len = 14;
	expect_undecodable(&m, "inside the length of argument 1");
	m.len = 17;
	expect_undecodable(&m, "argument 1 claims 4 bytes but only 1 are left");
	m.len = 20;
	expect_undecodable(&m, "inside the length of argument 2");
	m.len = full.len - 1;
	expect_undecodable(&m, "inside the result format code");
}

static void test_hostile_fields(void **state)
{
	struct body m;
	(void)state;

	/* A negative length other than -1. */
	m = call_header(OID_LO_OPEN, 0, 1);
	put(&m, (uint32_t)-2, 4);
	put(&m, 0, 2);
	expect_undecodable(&m, "argument 1 has length -2");
	m = call_header(OID_LO_OPEN, 0, 1);
	put(&m, 0x80000000u, 4);
	expect_undecodable(&m, "argument 1 has length -2147483648");

	/* A length far beyond the message. */
	m = call_header(OID_LO_OPEN, 0, 1);
	put(&m, 0x7FFFFFFF, 4);
	put(&m, 0, 2);
	expect_undecodable(&m, "claims 2147483647 bytes but only 2 are left");

	/* Format code count neither 0, 1 nor nargs. */
	m.len = 0;
	put(&m, OID_LO_OPEN, 4);
	put(&m, 2, 2);
	put(&m, 0, 2);
	put(&m, 0, 2);
	put(&m, 3, 2);
	expect_undecodable(&m, "2 argument format codes for 3 arguments");

	/* A format code other than 0 or 1, also for a NULL argument (the server checks it anyway). */
	m = call_header(OID_LO_OPEN, 2, 1);
	put_arg(&m, NULL, -1);
	put(&m, 0, 2);
	expect_undecodable(&m, "argument 1 has format code 2");
	m = call_header(OID_LO_OPEN, 0xFFFF, 1);
	put_arg(&m, "1", 1);
	put(&m, 0, 2);
	expect_undecodable(&m, "format code -1");

	/* More arguments than FUNC_MAX_ARGS; the count is unsigned on the wire. */
	m = call_header(OID_LO_OPEN, 0, 101);
	expect_undecodable(&m, "101 arguments, more than the server's limit of 100");
	m = call_header(OID_LO_OPEN, 0, 0xFFFF);
	expect_undecodable(&m, "65535 arguments");

	/* 65535 format codes announced, none there. */
	m.len = 0;
	put(&m, OID_LO_OPEN, 4);
	put(&m, 0xFFFF, 2);
	expect_undecodable(&m, "inside the argument format codes");

	/* Result format other than 0 or 1. */
	m = call_header(OID_LO_OPEN, 0, 0);
	put(&m, 7, 2);
	expect_undecodable(&m, "result format code is 7");

	/* Trailing garbage. */
	m = valid_body();
	put(&m, 0xAB, 1);
	expect_undecodable(&m, "1 bytes follow the end of the call");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_proc_table),
		cmocka_unit_test(test_lo_open_text),
		cmocka_unit_test(test_loread_lowrite_binary),
		cmocka_unit_test(test_lo_import_file_access),
		cmocka_unit_test(test_terminate_backend_and_nulls),
		cmocka_unit_test(test_user_function_and_arity),
		cmocka_unit_test(test_truncated_everywhere),
		cmocka_unit_test(test_hostile_fields),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
