/*
 * The daemon's fast shape normalizer (sw_shape_normalize_key, and
 * sw_shape_normalize built on it) against the kernel's loop run as the kernel
 * runs it (sw_shape_normalize_stepwise): same verdict, same shape, byte for
 * byte, on the corpus, on mutations of it and on random texts made of the
 * bytes the normalizer treats specially. A difference would let the
 * classification cache key two statements the kernel tells apart.
 */
#include "unit.h"
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "shape.h"

#define SENTINEL 0xA5

static unsigned long compared;

static void same_as_kernel(const char *text, size_t len)
{
	static unsigned char ref[SW_TEXT_CAP], key[SW_TEXT_CAP], pad[SW_TEXT_CAP];
	uint32_t ref_len = 0, key_len = 0, pad_len = 0;
	bool r, k, p;

	memset(key, SENTINEL, sizeof(key));
	memset(pad, SENTINEL, sizeof(pad));
	r = sw_shape_normalize_stepwise(text, len, ref, &ref_len);
	k = sw_shape_normalize_key(text, len, key, &key_len);
	p = sw_shape_normalize(text, len, pad, &pad_len);
	compared++;
	if (r != k || r != p)
		fail_msg("shape verdicts differ (kernel %d, key %d, padded %d) for %zu bytes: %.*s", r, k, p, len,
			 (int)len, text);
	if (!r)
		return;
	if (ref_len != key_len || ref_len != pad_len || memcmp(ref, key, ref_len) != 0)
		fail_msg("shapes differ for %.*s:\n  kernel %.*s\n  key    %.*s", (int)len, text, (int)ref_len, ref,
			 (int)key_len, key);
	/* The padded one is the kernel's whole buffer; the key one writes nothing past its shape. */
	if (memcmp(ref, pad, SW_TEXT_CAP) != 0)
		fail_msg("sw_shape_normalize's buffer is not the kernel's (padding) for %.*s", (int)len, text);
	for (size_t i = key_len; i < SW_TEXT_CAP; i++)
		if (key[i] != SENTINEL)
			fail_msg("sw_shape_normalize_key wrote byte %zu past its %u-byte shape for %.*s", i, key_len,
				 (int)len, text);
}

static void same_as_kernel_str(const char *text)
{
	same_as_kernel(text, strlen(text));
}

static void test_fixed_cases(void **s)
{
	(void)s;
	static const char *const cases[] = {
		"SELECT abalance FROM pgbench_accounts WHERE aid = 12345;",
		"UPDATE t SET v = 'it''s' WHERE id = 1.5e3", "SELECT $1, t1.c2 FROM t1 WHERE x = -7",
		"SELECT '1'::int, a$b FROM t LIMIT 10", "SELECT 1;\n", "SELECT 1; DROP TABLE t", "SELECT 1;;",
		"SELECT 1 -- c", "SELECT 1 /* c */", "SELECT $$x$$", "SELECT E'\\x41'", "SELECT 'a\\'b'",
		"SELECT \"Q\" FROM t", "SELECT 'unterminated", "SELECT 1abc", "SELECT 1e", "SELECT 1e+", "SELECT 1e+5",
		"SELECT 1.2.3", "SELECT .5", "SELECT 1e5e", "SELECT 'a''", "SELECT ''''", "SELECT 'a''b''c'",
		"SELECT 'x'", "SELECT 'x''", "'", "''", "a", "1", " ", ";", "$1", "$", "$a", "x$1", "1$", "$1a",
		"SELECT 'a'\n'b'", "SELECT 'a' 'b'", "SELECT 1.e3", "SELECT 1e3.", "SELECT 12 ", "SELECT 'tab\there'",
		"SELECT 'nl\nx'", "SELECT 'ctl\x01'", "SELECT '\x7f'", "SELECT '\xc3\xa9'", "SELECT a\x7f",
		"SELECT ? FROM t", "SELECT # FROM t", "SELECT a--b", "SELECT a-b", "SELECT a/b", "SELECT a./*b",
		"SELECT a  ;  \n ", "SELECT a; \t x", "  SELECT   a  ", "SELECT 1 ", "SELECT 1\t", "_x9$ ",
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		same_as_kernel_str(cases[i]);
	/* NUL inside, empty, and the length limits (SW_TEXT_CAP - 2 bytes read, SW_TEXT_CAP - 1 refused). */
	same_as_kernel("SELECT 1\0 x", 11);
	same_as_kernel("", 0);
	{
		static char big[SW_TEXT_CAP + 8];
		for (size_t fill = 0; fill < 4; fill++) {
			memset(big, fill == 0 ? 'a' : fill == 1 ? '1' : fill == 2 ? ' ' : 'x', sizeof(big));
			if (fill == 3) {
				big[0] = '\'';   /* one long string */
				big[SW_TEXT_CAP - 3] = '\'';
			}
			for (size_t len = SW_TEXT_CAP - 4; len <= SW_TEXT_CAP; len++)
				same_as_kernel(big, len);
		}
	}
}

/* Texts made of what the normalizer tells apart, a few of each kind, as random as they come. */
static const char alphabet[] = "aZ_e9E0x.$'' '\\;;-/*+\"?#(),=\t\n\r\x01\x7f\x80\xff";

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;
static uint64_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static void test_random_texts(void **s)
{
	(void)s;
	char t[64];

	for (unsigned n = 0; n < 400000; n++) {
		size_t len = 1 + rnd() % (sizeof(t) - 1);
		for (size_t i = 0; i < len; i++)
			t[i] = alphabet[rnd() % (sizeof(alphabet) - 1)];
		same_as_kernel(t, len);
	}
}

static void test_corpus_and_mutations(void **s)
{
	(void)s;
	const char *top = getenv("SQLWARD_TOP");
	char path[4096], line[65536], m[SW_TEXT_CAP];
	unsigned statements = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/tests/corpus/pg_corpus.jsonl", top ? top : ".");
	f = fopen(path, "r");
	if (!f)
		fail_msg("cannot open %s: run from the source tree or set SQLWARD_TOP", path);
	while (fgets(line, sizeof(line), f)) {
		json_t *j = json_loads(line, 0, NULL);
		const char *sql = j ? json_string_value(json_object_get(j, "sql")) : NULL;
		size_t len = sql ? strlen(sql) : 0;

		if (sql && len > 0 && len < sizeof(m) - 2) {
			statements++;
			same_as_kernel(sql, len);
			/* Each statement with one byte replaced, inserted or dropped, 200 times. */
			for (unsigned k = 0; k < 200; k++) {
				size_t at = rnd() % len, n = len;
				char c = alphabet[rnd() % (sizeof(alphabet) - 1)];
				memcpy(m, sql, len);
				switch (k % 3) {
				case 0:
					m[at] = c;
					break;
				case 1:
					memmove(m + at + 1, m + at, len - at);
					m[at] = c;
					n++;
					break;
				default:
					memmove(m + at, m + at + 1, len - at - 1);
					n--;
					break;
				}
				if (n)
					same_as_kernel(m, n);
			}
		}
		json_decref(j);
	}
	fclose(f);
	print_message("shape fast vs kernel loop: %u corpus statements, %lu texts compared\n", statements, compared);
	assert_true(statements > 30);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fixed_cases),
		cmocka_unit_test(test_random_texts),
		cmocka_unit_test(test_corpus_and_mutations),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
