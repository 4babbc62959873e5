/* SPDX-License-Identifier: GPL-2.0 OR Apache-2.0 */
/*
 * The statement-shape normalizer, shared verbatim by the BPF program (run
 * one byte per bpf_loop iteration) and userspace (the daemon, which stores
 * shape verdicts, and the differential tests that prove the cache cannot be
 * poisoned).
 *
 * It replaces string literals by '?' and numeric literals by '#' (never the
 * same placeholder: PostgreSQL folds a unary minus into a numeric constant
 * but not into a string, so "-1" and "-'x'" are different trees) and copies
 * everything else byte for byte. It is a security boundary, so it gives up
 * (the statement takes the slow path: held and judged in userspace) on
 * anything it does not fully understand: comments, dollar quotes and any '$'
 * that is not a $N parameter, E''/U&''/B''/X'' and other prefixed strings,
 * backslashes, double quotes, a ';' with anything but whitespace after it,
 * '?' and '#', non-ASCII or control bytes,
 * a number run into letters, unterminated strings, and text it could not
 * read in full.
 */
#ifndef SQLWARD_SHAPE_H
#define SQLWARD_SHAPE_H

#define SW_SHAPE_MASK (SW_TEXT_CAP - 1)

enum sw_shape_state {
	SW_SH_CODE = 0,     /* between tokens, or inside an identifier/operator */
	SW_SH_IDENT,        /* inside an identifier or keyword */
	SW_SH_NUMBER,       /* inside a numeric literal (already emitted '?') */
	SW_SH_STRING,       /* inside a '...' literal (already emitted '?') */
	SW_SH_PARAM,        /* inside $N */
	SW_SH_TAIL,         /* after a final ';': only whitespace may follow */
	SW_SH_DONE,
	SW_SH_GIVE_UP,
};

struct sw_shape {
	__u32 len;          /* input bytes, without the NUL */
	__u32 out_len;      /* normalized bytes written */
	__u32 state;
	__u32 exp;          /* in a number: 0 none, 1 just after e/E, 2 after its sign, 3 in exponent digits */
	__u32 dot;          /* in a number: a '.' was seen */
	__u32 skip;         /* in a string: the next byte is the second quote of '' */
};

static __always_inline int sw_sh_is_alpha(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static __always_inline int sw_sh_is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

/* Bytes allowed outside literals and identifiers (operators, punctuation, whitespace). */
static __always_inline int sw_sh_is_plain(unsigned char c)
{
	switch (c) {
	case ' ': case '\t': case '\n': case '\r':
	case '(': case ')': case ',': case '.': case '[': case ']': case ':':
	case '+': case '*': case '/': case '%': case '^': case '<': case '>': case '=':
	case '~': case '!': case '@': case '&': case '|': case '-':
		return 1;
	}
	return 0;
}

static __always_inline void sw_sh_emit(struct sw_shape *s, unsigned char *out, unsigned char c)
{
	out[s->out_len & SW_SHAPE_MASK] = c;
	s->out_len++;
}

/*
 * Consume input byte i (0 <= i < s->len). in and out are SW_TEXT_CAP
 * buffers. Returns 1 when the normalizer is finished (done or gave up).
 */
static __always_inline int sw_shape_step(struct sw_shape *s, const unsigned char *in, unsigned char *out, __u32 i)
{
	unsigned char c = in[i & SW_SHAPE_MASK];
	unsigned char next = i + 1 < s->len ? in[(i + 1) & SW_SHAPE_MASK] : 0;

	if (s->state == SW_SH_DONE || s->state == SW_SH_GIVE_UP)
		return 1;
	if (c >= 0x80 || (c < 0x20 && c != '\t' && c != '\n' && c != '\r')) {
		s->state = SW_SH_GIVE_UP;
		return 1;
	}
	switch (s->state) {
	case SW_SH_TAIL:
		if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
			s->state = SW_SH_GIVE_UP;   /* a second statement */
			return 1;
		}
		sw_sh_emit(s, out, c);
		return 0;
	case SW_SH_STRING:
		if (s->skip) {
			s->skip = 0;        /* second quote of '' */
			return 0;
		}
		if (c == '\\') {
			s->state = SW_SH_GIVE_UP;
			return 1;
		}
		if (c == '\'') {
			if (next == '\'')
				s->skip = 1;    /* '' is a quote inside the string */
			else
				s->state = SW_SH_CODE;
		}
		return 0;
	case SW_SH_NUMBER:
		if (sw_sh_is_digit(c)) {
			if (s->exp == 1 || s->exp == 2)
				s->exp = 3;
			return 0;
		}
		if (c == '.' && !s->dot && !s->exp) {
			s->dot = 1;
			return 0;
		}
		if ((c == 'e' || c == 'E') && !s->exp) {
			s->exp = 1;
			return 0;
		}
		if ((c == '+' || c == '-') && s->exp == 1) {
			s->exp = 2;
			return 0;
		}
		/* "1e" or "1e+" without digits, or a number run into letters: not understood. */
		if (s->exp == 1 || s->exp == 2 || sw_sh_is_alpha(c) || c == '$' || c == '.') {
			s->state = SW_SH_GIVE_UP;
			return 1;
		}
		s->state = SW_SH_CODE;
		break;      /* c starts something else: handle it as code */
	case SW_SH_PARAM:
		if (sw_sh_is_digit(c)) {
			sw_sh_emit(s, out, c);
			return 0;
		}
		if (sw_sh_is_alpha(c) || c == '$') {
			s->state = SW_SH_GIVE_UP;
			return 1;
		}
		s->state = SW_SH_CODE;
		break;
	case SW_SH_IDENT:
		if (sw_sh_is_alpha(c) || sw_sh_is_digit(c) || c == '$') {
			sw_sh_emit(s, out, c);
			return 0;
		}
		if (c == '\'') {   /* E'...', U&'...', B'...', X'...', N'...': prefixed strings */
			s->state = SW_SH_GIVE_UP;
			return 1;
		}
		s->state = SW_SH_CODE;
		break;
	}

	/* SW_SH_CODE */
	if (sw_sh_is_alpha(c)) {
		s->state = SW_SH_IDENT;
		sw_sh_emit(s, out, c);
		return 0;
	}
	if (sw_sh_is_digit(c)) {
		s->state = SW_SH_NUMBER;
		s->exp = 0;
		s->dot = 0;
		sw_sh_emit(s, out, '#');
		return 0;
	}
	if (c == '\'') {
		s->state = SW_SH_STRING;
		s->skip = 0;
		/* A string right after another ('a' 'b' on one line is an error, on two lines a
		 * continuation) keeps its own '?': the shapes differ, never merge. */
		sw_sh_emit(s, out, '?');
		return 0;
	}
	if (c == '$') {
		if (!sw_sh_is_digit(next)) {
			s->state = SW_SH_GIVE_UP;   /* dollar quote */
			return 1;
		}
		s->state = SW_SH_PARAM;
		sw_sh_emit(s, out, c);
		return 0;
	}
	if ((c == '-' && next == '-') || (c == '/' && next == '*') || (c == '.' && sw_sh_is_digit(next))) {
		s->state = SW_SH_GIVE_UP;   /* comments; ".5"-style numbers */
		return 1;
	}
	if (c == ';') {
		s->state = SW_SH_TAIL;
		sw_sh_emit(s, out, c);
		return 0;
	}
	if (!sw_sh_is_plain(c)) {
		s->state = SW_SH_GIVE_UP;   /* ; " \ ? # ` { } and anything else */
		return 1;
	}
	sw_sh_emit(s, out, c);
	return 0;
}

/* After the last byte: a statement that ends inside a string is not understood. */
static __always_inline int sw_shape_finish(struct sw_shape *s)
{
	if (s->state == SW_SH_STRING || s->state == SW_SH_GIVE_UP ||
	    (s->state == SW_SH_NUMBER && (s->exp == 1 || s->exp == 2)) || s->out_len >= SW_TEXT_CAP) {
		s->state = SW_SH_GIVE_UP;
		return 0;
	}
	s->state = SW_SH_DONE;
	return 1;
}

#endif
