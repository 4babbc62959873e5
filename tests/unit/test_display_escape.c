/* sw_escape_display: what reviewers see of a statement (pending, show, log). */
#include "unit.h"
#include <stdlib.h>
#include <string.h>
#include "util.h"

/* s (len bytes) escaped with no limit must read exactly want. */
static void expect_n(const char *s, size_t len, const char *want)
{
	size_t cols;
	char *got = sw_escape_display(s, len, 0, 0, &cols);

	if (strcmp(got, want) != 0)
		fail_msg("escaping %zu bytes: got \"%s\", want \"%s\"", len, got, want);
	free(got);
}

static void expect(const char *s, const char *want)
{
	expect_n(s, strlen(s), want);
}

static void test_plain_text_unchanged(void **s)
{
	(void)s;
	expect("SELECT 1", "SELECT 1");
	expect("UPDATE t SET name = 'café' WHERE id = 7", "UPDATE t SET name = 'café' WHERE id = 7");
	expect("SELECT '日本語', '🙂'", "SELECT '日本語', '🙂'");
	expect("", "");
}

static void test_c0_controls_and_ansi(void **s)
{
	(void)s;
	expect("a\nb\tc\rd", "a\\nb\\tc\\rd");
	expect("\x01\x07\x08\x0b\x0c\x1f", "\\x01\\x07\\x08\\x0B\\x0C\\x1F");
	expect("DEL\x7f", "DEL\\x7F");
	/* ANSI sequences: the ESC that starts them is shown, so they do nothing. */
	expect("SELECT 1 \x1b[2J", "SELECT 1 \\x1B[2J");
	expect("\x1b]0;title\x07", "\\x1B]0;title\\x07");
	expect("\x1b[31mred\x1b[0m", "\\x1B[31mred\\x1B[0m");
	/* A NUL inside the text is shown, not an end. */
	expect_n("a\0b", 3, "a\\x00b");
	/* A backslash is doubled, so "\\n" typed in the text never reads as a newline. */
	expect("-- note\\nDELETE", "-- note\\\\nDELETE");
	expect("E'\\x1B'", "E'\\\\x1B'");
}

static void test_c1_controls(void **s)
{
	(void)s;
	expect("\xc2\x9b" "2J", "\\u009B2J");          /* U+009B CSI */
	expect("\xc2\x80\xc2\x9f", "\\u0080\\u009F");
	expect("\xc2\xa0", "\xc2\xa0");                  /* U+00A0 no-break space is visible text */
}

static void test_bidi_controls(void **s)
{
	(void)s;
	expect("\xe2\x80\xaa\xe2\x80\xab\xe2\x80\xac\xe2\x80\xad\xe2\x80\xae",
	       "\\u202A\\u202B\\u202C\\u202D\\u202E");
	expect("\xe2\x81\xa6\xe2\x81\xa7\xe2\x81\xa8\xe2\x81\xa9", "\\u2066\\u2067\\u2068\\u2069");
	expect("\xe2\x80\x8e\xe2\x80\x8f", "\\u200E\\u200F");
	expect("\xd8\x9c", "\\u061C");
	/* The classic trojan-source line: reads as a comment, is not one. */
	expect("DELETE FROM t; -- \xe2\x80\xae;1=1 EREHW \xe2\x81\xa6",
	       "DELETE FROM t; -- \\u202E;1=1 EREHW \\u2066");
}

static void test_zero_width_and_invisible(void **s)
{
	(void)s;
	expect("a\xe2\x80\x8b" "b\xe2\x80\x8c" "c\xe2\x80\x8d" "d", "a\\u200Bb\\u200Cc\\u200Dd");
	expect("\xe2\x81\xa0", "\\u2060");
	expect("\xef\xbb\xbf" "SELECT", "\\uFEFFSELECT");
	expect("\xc2\xad", "\\u00AD");                   /* soft hyphen */
	expect("\xe2\x80\xa8\xe2\x80\xa9", "\\u2028\\u2029");
	expect("\xf3\xa0\x81\x81", "\\U000E0041");       /* tag letter A: invisible text */
}

static void test_invalid_utf8(void **s)
{
	(void)s;
	expect("\xff", "\\xFF");
	expect("a\xe2\x80", "a\\xE2\\x80");              /* a sequence cut short */
	expect("\xc0\xaf", "\\xC0\\xAF");                /* overlong '/' */
	expect("\xed\xa0\x80", "\\xED\\xA0\\x80");       /* a UTF-16 surrogate */
	expect("\xf4\x90\x80\x80", "\\xF4\\x90\\x80\\x80");  /* above U+10FFFF */
	expect("\x9b" "2J", "\\x9B2J");                  /* a raw 8-bit CSI byte */
}

static void cut(const char *s, size_t max, const char *want, size_t want_cols)
{
	size_t cols;
	char *got = sw_escape_display(s, strlen(s), max, 0, &cols);

	if (strcmp(got, want) != 0 || cols != want_cols)
		fail_msg("cut \"%s\" at %zu: got \"%s\" (%zu), want \"%s\" (%zu)", s, max, got, cols, want, want_cols);
	free(got);
}

static void test_truncation(void **s)
{
	(void)s;
	cut("abcdef", 6, "abcdef", 6);
	cut("abcdef", 0, "abcdef", 6);
	cut("abcdef", 5, "abcd…", 5);
	cut("abcdef", 1, "…", 1);
	/* Characters, not bytes: a multibyte character is never split. */
	cut("ééééé", 3, "éé…", 3);
	cut("日本語テキスト", 4, "日本語…", 4);
	/* An escape is never split: it fits whole or not at all. */
	cut("a\x1b" "b", 6, "a\\x1Bb", 6);
	cut("a\x1b" "b", 5, "a…", 2);
	cut("a\xe2\x80\xae" "bc", 8, "a\\u202E…", 8);
	cut("a\xe2\x80\xae" "bc", 7, "a…", 2);
	cut("\xff\xff", 5, "\\xFF…", 5);
}

static void test_break_lines(void **s)
{
	(void)s;
	char *got = sw_escape_display("SELECT 1;\nSELECT 2;\r\n", 21, 0, SW_ESC_BREAK_LINES, NULL);

	assert_string_equal(got, "SELECT 1;\\n\nSELECT 2;\\r\\n\n");
	free(got);
	got = sw_escape_display(NULL, 0, 10, 0, NULL);
	assert_string_equal(got, "");
	free(got);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain_text_unchanged),
		cmocka_unit_test(test_c0_controls_and_ansi),
		cmocka_unit_test(test_c1_controls),
		cmocka_unit_test(test_bidi_controls),
		cmocka_unit_test(test_zero_width_and_invisible),
		cmocka_unit_test(test_invalid_utf8),
		cmocka_unit_test(test_truncation),
		cmocka_unit_test(test_break_lines),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
