/*
 * The ledger's JSON writer: jansson reads back exactly what was written, the
 * output is ASCII-only, and string escaping is byte-for-byte what jansson's
 * json_dumps(JSON_ENSURE_ASCII) writes for the same (sanitized) text.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <jansson.h>
#include "json_writer.h"
#include "statement_json.h"

/* What jansson writes for the text after sw_json_textn's U+FFFD replacement. */
static char *jansson_string(const char *s, size_t len)
{
	json_t *j = sw_json_textn(s, len);
	char *out = json_dumps(j, JSON_ENCODE_ANY | JSON_COMPACT | JSON_ENSURE_ASCII);
	json_decref(j);
	return out;
}

static void check_string(const char *s, size_t len)
{
	struct sw_jw w;
	char *want = jansson_string(s, len);

	sw_jw_init(&w);
	sw_jw_stringn(&w, s, len);
	assert_non_null(want);
	assert_string_equal(w.buf, want);
	for (size_t i = 0; i < w.len; i++)
		assert_true((unsigned char)w.buf[i] < 0x80);
	free(want);
	sw_jw_free(&w);
}

static void test_escaping_matches_jansson(void **state)
{
	static const char *const cases[] = {
		"", "plain", "quote \" backslash \\ slash /", "\b\f\n\r\t", "\x01\x1f\x7f",
		"caf\xC3\xA9", "\xE2\x80\xAE right-to-left override", "\xF0\x9F\x98\x80 astral",
		"\xFF bad", "\xC3", "\xED\xA0\x80 surrogate", "\xC0\xAF overlong", "\xF4\x90\x80\x80 too big",
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		check_string(cases[i], strlen(cases[i]));
	check_string("a\0b", 3);   /* NUL becomes U+FFFD, as in sw_json_textn */
}

static void test_random_strings(void **state)
{
	unsigned char buf[64];
	unsigned seed = 12345;
	(void)state;

	for (int n = 0; n < 20000; n++) {
		size_t len = (size_t)(rand_r(&seed) % sizeof(buf));
		for (size_t i = 0; i < len; i++) {
			int r = rand_r(&seed) % 10;
			/* Mostly ASCII, some control bytes, some UTF-8 lead/continuation bytes. */
			buf[i] = (unsigned char)(r < 6 ? 0x20 + rand_r(&seed) % 0x60 : r < 7 ? rand_r(&seed) % 0x20
						 : 0x80 + rand_r(&seed) % 0x80);
		}
		check_string((const char *)buf, len);
	}
}

static void test_structure_reads_back(void **state)
{
	struct sw_jw w;
	json_error_t e;
	json_t *j;
	(void)state;

	sw_jw_init(&w);
	sw_jw_object(&w);
	sw_jw_kv_str(&w, "a", "x\"y");
	sw_jw_kv_str(&w, "skipped", NULL);
	sw_jw_kv_int(&w, "n", -9223372036854775807LL - 1);
	sw_jw_kv_bool(&w, "t", true);
	sw_jw_key(&w, "arr");
	sw_jw_array(&w);
	sw_jw_int(&w, 1);
	sw_jw_null(&w);
	sw_jw_object(&w);
	sw_jw_object_end(&w);
	sw_jw_array(&w);
	sw_jw_array_end(&w);
	sw_jw_string(&w, NULL);
	sw_jw_raw(&w, "{\"r\":1}", 7);
	sw_jw_array_end(&w);
	sw_jw_object_end(&w);
	assert_string_equal(w.buf, "{\"a\":\"x\\\"y\",\"n\":-9223372036854775808,\"t\":true,"
				   "\"arr\":[1,null,{},[],null,{\"r\":1}]}");
	j = json_loadb(w.buf, w.len, JSON_REJECT_DUPLICATES, &e);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "a")), "x\"y");
	assert_int_equal(json_array_size(json_object_get(j, "arr")), 6);
	json_decref(j);

	/* Members without braces (a ledger record body), after a reset. */
	sw_jw_reset(&w);
	sw_jw_kv_str(&w, "type", "t");
	sw_jw_kv_int(&w, "x", 1);
	assert_string_equal(w.buf, "\"type\":\"t\",\"x\":1");
	sw_jw_free(&w);
}

/* A jansson tree written by the writer reads the same as jansson's own dump, byte for byte. */
static void test_value_matches_jansson(void **state)
{
	struct sw_jw w;
	json_t *v = json_pack("{s:s, s:i, s:[f, f, f, f, f], s:{s:b, s:n, s:[]}, s:s, s:{}}",
			      "name", "caf\xC3\xA9 \"x\"\n", "n", -42, "reals", 1.5, 3.0, 1e300, 0.1, -2.5e-7,
			      "nested", "t", 1, "z", "e", "bidi", "\xE2\x80\xAE", "empty");
	char *want = json_dumps(v, JSON_COMPACT | JSON_ENSURE_ASCII);
	(void)state;

	sw_jw_init(&w);
	sw_jw_value(&w, v);
	assert_string_equal(w.buf, want);
	free(want);
	sw_jw_free(&w);
	json_decref(v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escaping_matches_jansson),
		cmocka_unit_test(test_random_strings),
		cmocka_unit_test(test_structure_reads_back),
		cmocka_unit_test(test_value_matches_jansson),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
