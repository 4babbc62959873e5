/*
 * The JSON writer's one-pass string escaper (json_writer.c, issue 16 phase 3)
 * against the escaper it replaced, kept here as the reference: byte for byte
 * the same output for every control byte, quotes and backslashes, invalid
 * UTF-8, 2-, 3- and 4-byte sequences and a random corpus; and the strict
 * variant (sw_jw_stringn_if_valid) against sw_utf8_valid, leaving the writer
 * untouched when it refuses.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "unit.h"
#include "json_text.h"
#include "json_writer.h"
#include "util.h"

/* ---- the reference: json_writer.c's write_string before phase 3, output to a plain buffer ---- */

struct ref_buf {
	char *p;
	size_t len, cap;
};

static void ref_put(struct ref_buf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		b->cap = 2 * (b->len + n + 1);
		b->p = realloc(b->p, b->cap);
		assert_non_null(b->p);
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = 0;
}

static void ref_escape_cp(struct ref_buf *b, uint32_t cp)
{
	char seq[16];
	int n;

	if (cp < 0x10000) {
		n = snprintf(seq, sizeof(seq), "\\u%04X", (unsigned)cp);
	} else {
		cp -= 0x10000;
		n = snprintf(seq, sizeof(seq), "\\u%04X\\u%04X", (unsigned)(0xD800 | (cp >> 10)),
			     (unsigned)(0xDC00 | (cp & 0x3FF)));
	}
	ref_put(b, seq, (size_t)n);
}

/* The old write_string: the JSON string (quotes included) of len bytes. Caller frees. */
static char *reference_escape(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	struct ref_buf b = { 0 };
	size_t i = 0, run = 0;

	ref_put(&b, "\"", 1);
	while (i < len) {
		unsigned char c = p[i];
		const char *esc = NULL;
		uint32_t cp;
		size_t n;

		if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
			i++;
			run++;
			continue;
		}
		if (run) {
			ref_put(&b, (const char *)p + i - run, run);
			run = 0;
		}
		switch (c) {
		case '"': esc = "\\\""; break;
		case '\\': esc = "\\\\"; break;
		case '\b': esc = "\\b"; break;
		case '\f': esc = "\\f"; break;
		case '\n': esc = "\\n"; break;
		case '\r': esc = "\\r"; break;
		case '\t': esc = "\\t"; break;
		default: break;
		}
		if (esc) {
			ref_put(&b, esc, 2);
			i++;
			continue;
		}
		n = sw_utf8_decode(p + i, len - i, &cp);
		if (!n || !cp) {
			cp = 0xFFFD;
			n = 1;
		}
		ref_escape_cp(&b, cp);
		i += n;
	}
	if (run)
		ref_put(&b, (const char *)p + i - run, run);
	ref_put(&b, "\"", 1);
	return b.p;
}

/* ---- checks ---- */

/* sw_jw_stringn writes what the reference writes; the strict variant writes the same or, exactly
 * when sw_utf8_valid refuses the text, nothing. Both inside an array after a member, so the
 * comma handling is covered too. */
static void check(const char *s, size_t len)
{
	char *want = reference_escape(s, len);
	struct sw_jw w;
	bool valid = sw_utf8_valid(s, len);

	sw_jw_init(&w);
	sw_jw_stringn(&w, s, len);
	assert_int_equal(w.len, strlen(want));
	assert_memory_equal(w.buf, want, w.len);
	assert_int_equal(w.buf[w.len], 0);

	sw_jw_reset(&w);
	sw_jw_array(&w);
	sw_jw_int(&w, 1);
	assert_int_equal(sw_jw_stringn_if_valid(&w, s, len), valid);
	if (valid) {
		assert_int_equal(w.len, 3 + strlen(want));
		assert_memory_equal(w.buf + 3, want, strlen(want));
	} else {
		assert_int_equal(w.len, 2);
		assert_string_equal(w.buf, "[1");
	}
	/* The next value gets its comma either way. */
	sw_jw_int(&w, 2);
	sw_jw_array_end(&w);
	if (!valid)
		assert_string_equal(w.buf, "[1,2]");
	sw_jw_free(&w);
	free(want);
}

static void every_single_byte(void **state)
{
	(void)state;
	for (unsigned c = 0; c < 256; c++) {
		char s[3] = { 'a', (char)c, 'b' };
		check(s + 1, 1);
		check(s, 3);
		/* At every place of two 8-byte blocks (the escaper skips plain blocks 8 bytes at a time). */
		for (size_t at = 0; at < 17; at++) {
			char t[17];
			memcpy(t, "0123456789abcdefg", 17);
			t[at] = (char)c;
			check(t, 17);
		}
	}
}

static void control_bytes_quotes_backslashes(void **state)
{
	char all[32];
	(void)state;
	for (int i = 0; i < 32; i++)
		all[i] = (char)i;
	check(all, sizeof(all));
	check("\"\\\"\\\\", 5);
	check("0123456\"89abcdef", 16);   /* a quote inside an 8-byte block */
	check("01234567\\9abcdef", 16);   /* a backslash at a block's start */
	check("0123456789abcde\x1f", 16); /* a control byte at a block's end */
	check("01234567\x7f" "9abcdef", 16); /* DEL is copied as it is */
	/* Each short escape, and \u00XX for the others, exactly. */
	{
		struct sw_jw w;
		sw_jw_init(&w);
		sw_jw_stringn(&w, "\b\f\n\r\t\x01\x1f\"\\", 9);
		assert_string_equal(w.buf, "\"\\b\\f\\n\\r\\t\\u0001\\u001F\\\"\\\\\"");
		sw_jw_free(&w);
	}
}

static void utf8_sequences(void **state)
{
	static const char *const cases[] = {
		"caf\xC3\xA9", "\xE2\x80\xAE rtl", "\xF0\x9F\x98\x80 astral", "\xF4\x8F\xBF\xBF max",
		"\xEF\xBF\xBF", "\xC2\x80", "\xDF\xBF", "\xE0\xA0\x80",
		/* invalid: lone lead, lone continuation, overlong, surrogate, > U+10FFFF, cut short */
		"\xFF", "\x80", "\xC0\xAF", "\xC1\xBF", "\xE0\x80\xAF", "\xED\xA0\x80", "\xF4\x90\x80\x80",
		"\xF5\x80\x80\x80", "\xF0\x9F\x98", "\xE2\x80", "\xC3", "abc\xF0\x9F", "\xF0\x9F\x98\x80\xF0",
	};
	struct sw_jw w;
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		check(cases[i], strlen(cases[i]));
	check("a\0b", 3); /* NUL: U+FFFD, and not valid for the strict variant */
	sw_jw_init(&w);
	sw_jw_stringn(&w, "\xF0\x9F\x98\x80", 4);
	assert_string_equal(w.buf, "\"\\uD83D\\uDE00\"");
	sw_jw_free(&w);
}

/* Random texts of every mix, lengths across the 8-byte blocks and the buffer's growth. */
static void random_corpus(void **state)
{
	static const char *const pieces[] = { "\xC3\xA9", "\xE2\x80\xAE", "\xF0\x9F\x98\x80", "\"", "\\", "\n" };
	unsigned seed = 20261202;
	char *buf = malloc(70000);
	(void)state;

	assert_non_null(buf);
	for (int n = 0; n < 30000; n++) {
		size_t len = (size_t)(n % 500 == 0 ? 60000 + rand_r(&seed) % 9000 : rand_r(&seed) % 130);
		int mix = rand_r(&seed) % 4;
		for (size_t i = 0; i < len; i++) {
			int r = rand_r(&seed) % 100;
			if (mix == 0 || r < 70) {
				buf[i] = (char)(0x20 + rand_r(&seed) % 0x5F);
			} else if (mix == 1 && r < 95) {
				const char *p = pieces[rand_r(&seed) % 6];
				size_t pl = strlen(p);
				if (i + pl <= len) {
					memcpy(buf + i, p, pl);
					i += pl - 1;
				} else {
					buf[i] = 'x';
				}
			} else if (r < 85) {
				buf[i] = (char)(rand_r(&seed) % 0x20);
			} else {
				buf[i] = (char)(0x80 + rand_r(&seed) % 0x80);
			}
		}
		check(buf, len);
	}
	free(buf);
}

/* Keys: the inline path (room in the buffer) and the growing one write the same bytes, with the
 * end of the text at every distance from the buffer's first capacity (1024). */
static void keys_at_every_capacity(void **state)
{
	char filler[1100], want[1200];
	(void)state;
	memset(filler, 'x', sizeof(filler));
	for (size_t len = 990; len < 1030; len++) {
		struct sw_jw w;
		sw_jw_init(&w);
		sw_jw_raw(&w, filler, len);
		sw_jw_kv_int(&w, "application_name", 7);
		sw_jw_kv_str(&w, "k", "v");
		snprintf(want, sizeof(want), "%.*s,\"application_name\":7,\"k\":\"v\"", (int)len, filler);
		assert_string_equal(w.buf, want);
		sw_jw_free(&w);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(every_single_byte),
		cmocka_unit_test(control_bytes_quotes_backslashes),
		cmocka_unit_test(utf8_sequences),
		cmocka_unit_test(random_corpus),
		cmocka_unit_test(keys_at_every_capacity),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
