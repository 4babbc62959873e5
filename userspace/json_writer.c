/* Compact ASCII-only JSON writer (see json_writer.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "json_writer.h"
#include "util.h"

void sw_jw_init(struct sw_jw *w)
{
	memset(w, 0, sizeof(*w));
}

void sw_jw_reset(struct sw_jw *w)
{
	w->len = 0;
	w->depth = 0;
	w->after_key = false;
	memset(w->need_comma, 0, sizeof(w->need_comma));
	if (w->buf)
		w->buf[0] = 0;
}

void sw_jw_free(struct sw_jw *w)
{
	free(w->buf);
	memset(w, 0, sizeof(*w));
}

static void grow(struct sw_jw *w, size_t more)
{
	size_t cap = w->cap ? w->cap : 1024;
	while (cap < w->len + more + 1)
		cap *= 2;
	w->buf = sw_xrealloc(w->buf, cap);
	w->cap = cap;
}

/* Room for more bytes and the NUL after them. */
static inline void reserve(struct sw_jw *w, size_t more)
{
	if (w->len + more + 1 > w->cap)
		grow(w, more);
}

static inline void put(struct sw_jw *w, const char *s, size_t n)
{
	reserve(w, n);
	memcpy(w->buf + w->len, s, n);
	w->len += n;
	w->buf[w->len] = 0;
}

/* Comma before a value, unless it follows its key. */
static inline void before_value(struct sw_jw *w)
{
	if (w->after_key) {
		w->after_key = false;
		return;
	}
	if (w->need_comma[w->depth]) {
		reserve(w, 1);
		w->buf[w->len++] = ',';
		w->buf[w->len] = 0;
	}
	w->need_comma[w->depth] = true;
}

static void open_container(struct sw_jw *w, char c)
{
	before_value(w);
	put(w, &c, 1);
	if (w->depth >= SW_JW_DEPTH) {
		fprintf(stderr, "sqlward: internal error: JSON nested deeper than %d levels\n", SW_JW_DEPTH);
		abort();
	}
	w->depth++;
	w->need_comma[w->depth] = false;
}

static void close_container(struct sw_jw *w, char c)
{
	put(w, &c, 1);
	if (w->depth > 0)
		w->depth--;
}

void sw_jw_object(struct sw_jw *w) { open_container(w, '{'); }
void sw_jw_object_end(struct sw_jw *w) { close_container(w, '}'); }
void sw_jw_array(struct sw_jw *w) { open_container(w, '['); }
void sw_jw_array_end(struct sw_jw *w) { close_container(w, ']'); }

/* ---- string escaping ---- */

/* What the escaper does with a byte: copy it, a two-character escape, \u00XX, or decode UTF-8. */
enum { COPY = 0, SHORT, CONTROL, HIGH };
static const unsigned char byte_class[256] = {
	[0x00 ... 0x07] = CONTROL, ['\b'] = SHORT, ['\t'] = SHORT, ['\n'] = SHORT, [0x0B] = CONTROL,
	['\f'] = SHORT, ['\r'] = SHORT, [0x0E ... 0x1F] = CONTROL, ['"'] = SHORT, ['\\'] = SHORT,
	[0x80 ... 0xFF] = HIGH,
};

/* The letter after the backslash of a two-character escape. */
static const char short_escape[128] = {
	['\b'] = 'b', ['\f'] = 'f', ['\n'] = 'n', ['\r'] = 'r', ['\t'] = 't', ['"'] = '"', ['\\'] = '\\',
};

/* Longest output for one escape: a surrogate pair, \uXXXX\uXXXX. */
#define ESCAPE_MAX 12

/* How many bytes from p on are copied as they are: 8 at a time while none of them is a
 * control byte, '"', '\\' or >= 0x80 (each test is exact as a yes/no for the 8 bytes). */
static inline size_t copy_run(const unsigned char *p, size_t n)
{
	const uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
	size_t i = 0;

	while (i + 8 <= n) {
		uint64_t x, q, b;
		memcpy(&x, p + i, 8);
		q = x ^ (ones * '"');
		b = x ^ (ones * '\\');
		if ((((x - ones * 0x20) & ~x) | x | ((q - ones) & ~q) | ((b - ones) & ~b)) & highs)
			break;
		i += 8;
	}
	while (i < n && byte_class[p[i]] == COPY)
		i++;
	return i;
}

static inline char *put_u4(char *o, uint32_t v)
{
	static const char hex[] = "0123456789ABCDEF";

	o[0] = '\\';
	o[1] = 'u';
	o[2] = hex[(v >> 12) & 15];
	o[3] = hex[(v >> 8) & 15];
	o[4] = hex[(v >> 4) & 15];
	o[5] = hex[v & 15];
	return o + 6;
}

/*
 * s as a JSON string (see json_writer.h for the escaping). One pass: runs of
 * plain ASCII are copied with memcpy, the rest escaped as it comes. strict:
 * stop at the first byte that sw_utf8_valid would refuse (an invalid
 * sequence or NUL) and return false, the buffer as it was; otherwise such a
 * byte is written as U+FFFD.
 */
static bool write_string(struct sw_jw *w, const char *s, size_t len, bool strict)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + len;
	size_t start = w->len, o;
	char *b;

	/* Room for the text unescaped and both quotes; escapes make room as they need it. */
	reserve(w, len + 2);
	b = w->buf;
	o = w->len;
	b[o++] = '"';
	while (p < end) {
		size_t run = copy_run(p, (size_t)(end - p));
		unsigned char c;
		uint32_t cp;

		memcpy(b + o, p, run);
		o += run;
		p += run;
		if (p == end)
			break;
		/* Room for this escape and the rest unescaped (reserve's +1 is the NUL). */
		if (o + ESCAPE_MAX + (size_t)(end - p) + 1 + 1 > w->cap) {
			w->len = o;
			reserve(w, ESCAPE_MAX + (size_t)(end - p) + 1);
			b = w->buf;
		}
		c = *p;
		switch (byte_class[c]) {
		case SHORT:
			b[o++] = '\\';
			b[o++] = short_escape[c];
			p++;
			break;
		case CONTROL:
			if (c == 0 && strict)
				goto invalid;
			/* NUL becomes U+FFFD, as in sw_json_textn(). */
			o = (size_t)(put_u4(b + o, c ? c : 0xFFFD) - b);
			p++;
			break;
		default: {
			size_t n = sw_utf8_decode(p, (size_t)(end - p), &cp);
			if (!n) {
				if (strict)
					goto invalid;
				cp = 0xFFFD;   /* an invalid byte, as sw_json_textn() */
				n = 1;
			}
			if (cp < 0x10000) {
				o = (size_t)(put_u4(b + o, cp) - b);
			} else {
				cp -= 0x10000;
				o = (size_t)(put_u4(b + o, 0xD800 | (cp >> 10)) - b);
				o = (size_t)(put_u4(b + o, 0xDC00 | (cp & 0x3FF)) - b);
			}
			p += n;
			break;
		}
		}
	}
	b[o++] = '"';
	b[o] = 0;
	w->len = o;
	return true;
invalid:
	w->len = start;
	w->buf[start] = 0;
	return false;
}

/* A key: plain ASCII names from the source are copied, others (from jansson values) escaped. */
static void write_escaped_key(struct sw_jw *w, const char *key, size_t n)
{
	before_value(w);
	write_string(w, key, n, false);
	put(w, ":", 1);
	w->after_key = true;
}

void sw_jw_keyn_grow(struct sw_jw *w, const char *key, size_t n)
{
	char *b;

	reserve(w, n + 4);
	b = w->buf + w->len;
	if (w->after_key) {
		w->after_key = false;   /* (a key after a key: the caller's bug, written as asked) */
	} else {
		if (w->need_comma[w->depth])
			*b++ = ',';
		w->need_comma[w->depth] = true;
	}
	*b++ = '"';
	memcpy(b, key, n);
	b += n;
	*b++ = '"';
	*b++ = ':';
	*b = 0;
	w->len = (size_t)(b - w->buf);
	w->after_key = true;
}

void sw_jw_stringn(struct sw_jw *w, const char *s, size_t len)
{
	before_value(w);
	write_string(w, s, len, false);
}

bool sw_jw_stringn_if_valid(struct sw_jw *w, const char *s, size_t len)
{
	size_t len0 = w->len;
	bool after_key = w->after_key, comma = w->need_comma[w->depth];

	before_value(w);
	if (write_string(w, s, len, true))
		return true;
	/* As before the call: without the comma before_value may have written. */
	w->len = len0;
	if (w->buf)
		w->buf[len0] = 0;
	w->after_key = after_key;
	w->need_comma[w->depth] = comma;
	return false;
}

void sw_jw_string(struct sw_jw *w, const char *s)
{
	if (!s)
		sw_jw_null(w);
	else
		sw_jw_stringn(w, s, strlen(s));
}

void sw_jw_int(struct sw_jw *w, int64_t v)
{
	/* Magnitude as unsigned, so INT64_MIN has one too. */
	uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v, t = u;
	size_t n = v < 0 ? 2 : 1;
	char *o;

	while (t >= 10) {
		t /= 10;
		n++;
	}
	before_value(w);
	reserve(w, n);
	/* The digits straight into the buffer, last first. */
	o = w->buf + w->len + n;
	*o = 0;
	do {
		*--o = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (v < 0)
		*--o = '-';
	w->len += n;
}

void sw_jw_bool(struct sw_jw *w, bool v)
{
	before_value(w);
	reserve(w, 5);
	memcpy(w->buf + w->len, v ? "true" : "false", 5);   /* "true" with its NUL */
	w->len += v ? 4 : 5;
	w->buf[w->len] = 0;
}

void sw_jw_null(struct sw_jw *w)
{
	before_value(w);
	put(w, "null", 4);
}

void sw_jw_raw(struct sw_jw *w, const char *json, size_t len)
{
	before_value(w);
	put(w, json, len);
}

void sw_jw_value(struct sw_jw *w, const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT: {
		const char *key;
		json_t *val;
		sw_jw_object(w);
		json_object_foreach((json_t *)v, key, val) {
			write_escaped_key(w, key, strlen(key));
			sw_jw_value(w, val);
		}
		sw_jw_object_end(w);
		break;
	}
	case JSON_ARRAY: {
		size_t i;
		json_t *val;
		sw_jw_array(w);
		json_array_foreach(v, i, val)
			sw_jw_value(w, val);
		sw_jw_array_end(w);
		break;
	}
	case JSON_STRING:
		sw_jw_stringn(w, json_string_value(v), json_string_length(v));
		break;
	case JSON_INTEGER:
		sw_jw_int(w, (int64_t)json_integer_value(v));
		break;
	case JSON_REAL: {
		/* As jansson writes reals: %.17g, ".0" when it would read as an integer,
		 * exponent without '+' or leading zeros. */
		char num[40], *e;
		int n = snprintf(num, sizeof(num), "%.17g", json_real_value(v));
		if (n > 0 && (size_t)n < sizeof(num) - 2 && !strpbrk(num, ".eEn")) {
			num[n++] = '.';
			num[n++] = '0';
			num[n] = 0;
		}
		if ((e = strchr(num, 'e'))) {
			char *digits = e + 1, *q;
			if (*digits == '+')
				memmove(digits, digits + 1, strlen(digits));
			else if (*digits == '-')
				digits++;
			for (q = digits; *q == '0' && q[1]; q++)
				;
			memmove(digits, q, strlen(q) + 1);
		}
		sw_jw_raw(w, num, strlen(num));
		break;
	}
	case JSON_TRUE:
		sw_jw_bool(w, true);
		break;
	case JSON_FALSE:
		sw_jw_bool(w, false);
		break;
	default:
		sw_jw_null(w);
		break;
	}
}
