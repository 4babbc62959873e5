/* Userspace build of the shared shape normalizer (bpf/shape_normalize.h). */
#include <string.h>
#include "read_facts.h"
#include "shape.h"
#include "statement.h"

#ifndef __always_inline
#define __always_inline inline __attribute__((always_inline))
#endif
#include "shape_normalize.h"

/* Texts the normalizer reads at all: shorter than the kernel's buffer, never empty, no NUL inside. */
static bool readable(const char *text, size_t len)
{
	return len != 0 && len < SW_TEXT_CAP - 1 && !memchr(text, 0, len);
}

bool sw_shape_normalize_stepwise(const char *text, size_t len, unsigned char out[SW_TEXT_CAP], uint32_t *out_len)
{
	unsigned char in[SW_TEXT_CAP];
	struct sw_shape s;

	/* What the kernel does: the text in a zero-filled buffer, one sw_shape_step per byte. */
	memset(out, 0, SW_TEXT_CAP);
	if (!readable(text, len))
		return false;
	memset(in, 0, sizeof(in));
	memcpy(in, text, len);
	memset(&s, 0, sizeof(s));
	s.len = (__u32)len;
	for (__u32 i = 0; i < s.len; i++)
		if (sw_shape_step(&s, in, out, i))
			break;
	if (!sw_shape_finish(&s) || s.out_len == 0)
		return false;
	*out_len = s.out_len;
	return true;
}

/* The bytes an identifier or keyword continues with (sw_shape_step, SW_SH_IDENT). */
static inline bool ident_byte(unsigned char c)
{
	return sw_sh_is_alpha(c) || sw_sh_is_digit(c) || c == '$';
}

/* The bytes a '...' literal passes over: not its quote, not a backslash, not a control byte
 * other than tab/newline/return, not a byte >= 0x80 (sw_shape_step, SW_SH_STRING). */
static inline bool string_byte(unsigned char c)
{
	return c != '\'' && c != '\\' && ((c >= 0x20 && c < 0x80) || c == '\t' || c == '\n' || c == '\r');
}

/* Between tokens, the plain bytes the step copies without looking at the next one ('-', '/'
 * and '.' may start a comment or a number: the step's). */
static inline bool plain_alone(unsigned char c)
{
	return sw_sh_is_plain(c) && c != '-' && c != '/' && c != '.';
}

/* What each byte is to the shortcuts below, one load per byte: made from the predicates above
 * (the step's own tests) before main runs. */
enum { ALPHA = 1, DIGIT = 2, IDENT = 4, STRING = 8, PLAIN = 16 };
static unsigned char byte_class[256];

__attribute__((constructor)) static void byte_class_init(void)
{
	for (unsigned i = 0; i < 256; i++) {
		unsigned char c = (unsigned char)i;
		byte_class[i] = (sw_sh_is_alpha(c) ? ALPHA : 0) | (sw_sh_is_digit(c) ? DIGIT : 0) |
				(ident_byte(c) ? IDENT : 0) | (string_byte(c) ? STRING : 0) | (plain_alone(c) ? PLAIN : 0);
	}
}

/*
 * The same normalizer, faster. Where sw_shape_step's effect on a byte is certain from the state
 * and the byte alone, it is done here: between tokens a plain byte is copied, a letter starts an
 * identifier, a digit a number ('#'), a quote a string ('?'); an identifier's run is copied and
 * any byte but a quote ends it (the step then reads that byte as code); a string's body and a
 * number's digits are passed over. None of the bytes taken is one the step's first checks
 * (non-ASCII, control bytes) would refuse. Every other byte goes through sw_shape_step itself.
 * So the shape is the kernel's, byte for byte: tests/unit/test_shape_fast.c compares the two
 * on the corpus, mutations of it and random texts.
 */
bool sw_shape_normalize_key(const char *text, size_t len, unsigned char out[SW_TEXT_CAP], uint32_t *out_len)
{
	const unsigned char *in = (const unsigned char *)text;
	struct sw_shape s;
	__u32 i = 0, j, n = (__u32)len;

	if (!readable(text, len))
		return false;
	memset(&s, 0, sizeof(s));
	s.len = n;
	while (i < n) {
		unsigned char c = in[i], cls = byte_class[c];

		switch (s.state) {
		case SW_SH_CODE:
			if (cls & PLAIN) {
				out[s.out_len++] = c;
				i++;
				continue;
			}
			if (cls & ALPHA) {
				s.state = SW_SH_IDENT;   /* its run is taken below */
			} else if (cls & DIGIT) {
				s.state = SW_SH_NUMBER;
				s.exp = 0;
				s.dot = 0;
				out[s.out_len++] = '#';
				i++;
			} else if (c == '\'') {
				s.state = SW_SH_STRING;
				s.skip = 0;
				out[s.out_len++] = '?';
				i++;
			} else {
				break;
			}
			continue;
		case SW_SH_IDENT:
			/* Found first, then copied: stores into out, which may alias s, do not make the
			 * loop read s.len again on every byte. */
			for (j = i; j < n && (byte_class[in[j]] & IDENT); j++)
				;
			memcpy(out + s.out_len, in + i, j - i);
			s.out_len += j - i;
			i = j;
			if (i < n && in[i] != '\'') {
				s.state = SW_SH_CODE;   /* the step's "handle it as code", done by this loop */
				continue;
			}
			break;
		case SW_SH_STRING:
			if (!s.skip)
				while (i < n && (byte_class[in[i]] & STRING))
					i++;
			break;
		case SW_SH_NUMBER:
			if (s.exp == 0 || s.exp == 3)
				while (i < n && (byte_class[in[i]] & DIGIT))
					i++;
			break;
		}
		/* The byte that ended a run, or that no shortcut takes, is the step's. */
		if (i == n)
			break;
		if (sw_shape_step(&s, in, out, i))
			break;
		i++;
	}
	if (!sw_shape_finish(&s) || s.out_len == 0)
		return false;
	*out_len = s.out_len;
	return true;
}

bool sw_shape_normalize(const char *text, size_t len, unsigned char out[SW_TEXT_CAP], uint32_t *out_len)
{
	if (!sw_shape_normalize_key(text, len, out, out_len)) {
		memset(out, 0, SW_TEXT_CAP);
		return false;
	}
	/* The kernel compares zero-padded words: clear anything past the shape. */
	memset(out + *out_len, 0, SW_TEXT_CAP - *out_len);
	return true;
}
bool sw_shape_cacheable(const struct sw_analysis *a)
{
	static const char *const commands[] = { "SELECT", "INSERT", "UPDATE", "DELETE" };
	const unsigned risky = SW_TRAIT_DESTRUCTIVE | SW_TRAIT_FILE_ACCESS | SW_TRAIT_SESSION_ESCALATION |
			       SW_TRAIT_DANGEROUS_FUNCTION | SW_TRAIT_UNKNOWN_FUNCTION | SW_TRAIT_WRITABLE_CTE |
			       SW_TRAIT_EXECUTES | SW_TRAIT_SELECT_INTO | SW_TRAIT_MULTI_STATEMENT |
			       SW_TRAIT_OPAQUE_CODE | SW_TRAIT_PREPARED | SW_TRAIT_UNRESOLVED;
	const struct sw_stmt *st;
	bool known = false;

	if (a->n_stmts != 1 || !a->parse_ok)
		return false;
	st = &a->stmts[0];
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		known |= st->command && strcmp(st->command, commands[i]) == 0;
	/* LIMIT 5 and LIMIT 5001 have one shape but not one row bound (read_facts.h: limit_over). */
	if (st->reads && st->reads->limit_known && st->reads->limit >= 0)
		return false;
	return known && st->functions.n == 0 && !(st->traits & risky) && !st->prepare_name && !st->execute_name;
}
