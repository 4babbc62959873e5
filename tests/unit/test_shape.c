/*
 * Differential test of the kernel's statement-shape normalizer (bpf/shape_normalize.h,
 * run here through the same code) against libpg_query: statements that share a
 * shape must share a parse tree modulo constants. Plus the cases the normalizer
 * must refuse to understand.
 */
#include "unit.h"
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "../shape_oracle.h"

static const char *shape_of(const char *sql, char *buf)
{
	uint32_t n;
	unsigned char out[SW_TEXT_CAP];
	if (!sw_shape_normalize(sql, strlen(sql), out, &n))
		return NULL;
	memcpy(buf, out, n);
	buf[n] = 0;
	return buf;
}

static void test_literals_become_placeholders(void **s)
{
	(void)s;
	char b[SW_TEXT_CAP];
	assert_string_equal(shape_of("SELECT abalance FROM pgbench_accounts WHERE aid = 12345", b),
			    "SELECT abalance FROM pgbench_accounts WHERE aid = #");
	assert_string_equal(shape_of("UPDATE t SET v = 'it''s' WHERE id = 1.5e3", b), "UPDATE t SET v = ? WHERE id = #");
	assert_string_equal(shape_of("SELECT $1, t1.c2 FROM t1 WHERE x = -7", b), "SELECT $1, t1.c2 FROM t1 WHERE x = -#");
	assert_string_equal(shape_of("SELECT '1'::int, a$b FROM t LIMIT 10", b), "SELECT ?::int, a$b FROM t LIMIT #");
	assert_string_equal(shape_of("SELECT 1;\n", b), "SELECT #;\n");
	assert_string_equal(shape_of("INSERT INTO h VALUES (1, 2, 'x', CURRENT_TIMESTAMP)", b),
			    "INSERT INTO h VALUES (#, #, ?, CURRENT_TIMESTAMP)");
}

static void test_gives_up(void **s)
{
	(void)s;
	char b[SW_TEXT_CAP];
	static const char *const refused[] = {
		"SELECT 1; DROP TABLE t",             /* a second statement */
		"SELECT 1;;",
		"SELECT 1 -- comment",                 /* comments */
		"SELECT 1 /* c */",
		"SELECT $$x$$",                        /* dollar quotes */
		"SELECT $tag$x$tag$",
		"SELECT E'\\x41'",                     /* prefixed strings */
		"SELECT U&'d\\0061t'",
		"SELECT B'101'",
		"SELECT X'1F'",
		"SELECT N'x'",
		"SELECT 'a\\'b'",                      /* backslash */
		"SELECT \"Quoted\" FROM t",           /* quoted identifiers */
		"SELECT 'unterminated",
		"SELECT 1abc",                         /* number run into letters */
		"SELECT 0x1F",
		"SELECT 1e",                           /* incomplete exponent */
		"SELECT .5",
		"SELECT 1.2.3",
		"SELECT 'caf\xc3\xa9'",                /* non-ASCII */
		"SELECT data ? 'k' FROM j",           /* '?' and '#' are our placeholders */
		"SELECT 5 # 3",
		"SELECT `x`",
		"SELECT 1\x0b",                        /* control byte */
		"",
	};
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++)
		if (shape_of(refused[i], b))
			fail_msg("the normalizer should give up on: %s (got shape: %s)", refused[i], b);
}

/* Literal variants of corpus statements: same shape must mean same fingerprint. */
static const char *const variants[] = { "0", "42", "3.5", "1e3", "99999999999999999999", "'x'", "''", "'it''s'",
					"'2026-01-01'", "'DROP TABLE t'", "1.", "1e-3", "1E+5", "00", "''''",
					"' '", "'a''b''c'", "'; DROP TABLE t; --'", "'*/'", "'$$'" };

static int check_pair(const char *a, const char *b)
{
	int r = sw_shape_oracle(a, b);
	if (r < 0)
		fail_msg("shape cache poisoning: these share a shape but not a parse tree modulo constants:\n  %s\n  %s",
			 a, b);
	return r;
}

/* Replace the k-th literal-looking token by v (using the normalizer's own view of literals). */
static bool substitute(const char *sql, unsigned k, const char *v, char *out, size_t outlen)
{
	char shape[SW_TEXT_CAP];
	size_t n = 0;
	unsigned seen = 0;
	const char *p = sql;

	if (!shape_of(sql, shape))
		return false;
	/* Walk the original and the shape together: each '?' in the shape is one literal. */
	for (const char *q = shape; *q && n + 64 < outlen; q++) {
		if (*q != '?' && *q != '#') {
			out[n++] = *p++;
			continue;
		}
		const char *start = p;
		if (*p == '\'') {
			p++;
			while (*p && !(*p == '\'' && p[1] != '\''))
				p += (*p == '\'' && p[1] == '\'') ? 2 : 1;
			p++;
		} else {
			while (*p && (strchr("0123456789.eE", *p) || ((*p == '+' || *p == '-') && (p[-1] == 'e' || p[-1] == 'E'))))
				p++;
		}
		if (seen++ == k)
			n += (size_t)snprintf(out + n, outlen - n, "%s", v);
		else {
			memcpy(out + n, start, (size_t)(p - start));
			n += (size_t)(p - start);
		}
	}
	if (*p || seen <= k)
		return false;
	out[n] = 0;
	return true;
}

static void test_corpus_variants(void **s)
{
	(void)s;
	const char *top = getenv("SQLWARD_TOP");
	char path[4096], line[65536];
	FILE *f;
	unsigned pairs = 0, statements = 0;

	snprintf(path, sizeof(path), "%s/tests/corpus/pg_corpus.jsonl", top ? top : ".");
	f = fopen(path, "r");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		json_error_t e;
		json_t *j = json_loads(line, 0, &e);
		const char *sql = j ? json_string_value(json_object_get(j, "sql")) : NULL;
		char b[SW_TEXT_CAP];
		if (sql && shape_of(sql, b)) {
			statements++;
			for (unsigned k = 0; k < 6; k++)
				for (size_t v = 0; v < sizeof(variants) / sizeof(variants[0]); v++) {
					char alt[SW_TEXT_CAP];
					if (!substitute(sql, k, variants[v], alt, sizeof(alt)))
						break;
					pairs += check_pair(sql, alt) == 1;
				}
		}
		json_decref(j);
	}
	fclose(f);
	print_message("shape differential: %u corpus statements with a shape, %u same-shape pairs checked\n",
		      statements, pairs);
	assert_true(statements > 30);
	assert_true(pairs > 100);
}

/* tpl with its k-th "%s" replaced by v[k]. */
static void fill(char *out, size_t len, const char *tpl, const char *const *v)
{
	size_t n = 0;
	int k = 0;
	for (const char *p = tpl; *p && n + 1 < len; p++) {
		if (p[0] == '%' && p[1] == 's') {
			n += (size_t)snprintf(out + n, len - n, "%s", v[k++]);
			p++;
		} else {
			out[n++] = *p;
		}
	}
	out[n < len ? n : len - 1] = 0;
}

/* Random literal combinations in DML templates: every pair must agree. */
static void test_random_literals(void **s)
{
	(void)s;
	static const char *const templates[] = {
		"SELECT abalance FROM pgbench_accounts WHERE aid = %s",
		"UPDATE pgbench_accounts SET abalance = abalance + %s WHERE aid = %s",
		"INSERT INTO pgbench_history (tid, bid, aid, delta, mtime) VALUES (%s, %s, %s, %s, CURRENT_TIMESTAMP)",
		"SELECT a, b FROM t WHERE c IN (%s, %s) AND d BETWEEN %s AND %s ORDER BY 1 LIMIT %s",
		"DELETE FROM t WHERE id = %s AND note = %s RETURNING id",
		"SELECT * FROM t WHERE x = -%s OR y <> %s::int OR z = ANY (%s)",
	};
	const size_t nv = sizeof(variants) / sizeof(variants[0]);
	unsigned long long rng = 0x9E3779B97F4A7C15ULL;
	unsigned checked = 0;

	for (unsigned round = 0; round < 16000; round++) {
		char a[512], b[512];
		const char *v[2][5];
		const char *tpl = templates[round % (sizeof(templates) / sizeof(templates[0]))];
		for (int side = 0; side < 2; side++)
			for (int k = 0; k < 5; k++) {
				rng ^= rng << 13; rng ^= rng >> 7; rng ^= rng << 17;
				v[side][k] = variants[rng % nv];
			}
		fill(a, sizeof(a), tpl, v[0]);
		fill(b, sizeof(b), tpl, v[1]);
		checked += check_pair(a, b) == 1;
	}
	print_message("shape differential: %u random same-shape pairs checked\n", checked);
	assert_true(checked > 1000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_literals_become_placeholders),
		cmocka_unit_test(test_gives_up),
		cmocka_unit_test(test_corpus_variants),
		cmocka_unit_test(test_random_literals),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
