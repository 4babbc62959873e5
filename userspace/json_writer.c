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

static void reserve(struct sw_jw *w, size_t more)
{
	if (w->len + more + 1 <= w->cap)
		return;
	size_t cap = w->cap ? w->cap : 1024;
	while (cap < w->len + more + 1)
		cap *= 2;
	w->buf = sw_xrealloc(w->buf, cap);
	w->cap = cap;
}

static inline void put(struct sw_jw *w, const char *s, size_t n)
{
	reserve(w, n);
	memcpy(w->buf + w->len, s, n);
	w->len += n;
	w->buf[w->len] = 0;
}

/* Comma before a value, unless it follows its key. */
static void before_value(struct sw_jw *w)
{
	if (w->after_key) {
		w->after_key = false;
		return;
	}
	if (w->need_comma[w->depth])
		put(w, ",", 1);
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

static void escape_cp(struct sw_jw *w, uint32_t cp)
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
	put(w, seq, (size_t)n);
}

static void write_string(struct sw_jw *w, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, run = 0;

	reserve(w, len + 2);
	put(w, "\"", 1);
	while (i < len) {
		unsigned char c = p[i];
		const char *esc = NULL;
		uint32_t cp;
		size_t n;

		/* Plain printable ASCII: copied in runs. */
		if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
			i++;
			run++;
			continue;
		}
		if (run) {
			put(w, (const char *)p + i - run, run);
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
			put(w, esc, 2);
			i++;
			continue;
		}
		n = sw_utf8_decode(p + i, len - i, &cp);
		if (!n || !cp) {
			cp = 0xFFFD;   /* an invalid byte or NUL, as sw_json_textn() */
			n = 1;
		}
		escape_cp(w, cp);
		i += n;
	}
	if (run)
		put(w, (const char *)p + i - run, run);
	put(w, "\"", 1);
}

/* A key: plain ASCII names from the source are copied, others (from jansson values) escaped. */
static void write_key(struct sw_jw *w, const char *key, size_t n, bool escape)
{
	before_value(w);
	if (escape) {
		write_string(w, key, n);
		put(w, ":", 1);
	} else {
		reserve(w, n + 3);
		w->buf[w->len++] = '"';
		memcpy(w->buf + w->len, key, n);
		w->len += n;
		w->buf[w->len++] = '"';
		w->buf[w->len++] = ':';
		w->buf[w->len] = 0;
	}
	w->after_key = true;
}

void sw_jw_key(struct sw_jw *w, const char *key)
{
	write_key(w, key, strlen(key), false);
}

void sw_jw_stringn(struct sw_jw *w, const char *s, size_t len)
{
	before_value(w);
	write_string(w, s, len);
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
	char num[24], *p = num + sizeof(num);
	/* Magnitude as unsigned, so INT64_MIN has one too. */
	uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;

	do {
		*--p = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (v < 0)
		*--p = '-';
	before_value(w);
	put(w, p, (size_t)(num + sizeof(num) - p));
}

void sw_jw_bool(struct sw_jw *w, bool v)
{
	before_value(w);
	put(w, v ? "true" : "false", v ? 4 : 5);
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

void sw_jw_kv_str(struct sw_jw *w, const char *key, const char *s)
{
	if (!s)
		return;
	sw_jw_key(w, key);
	sw_jw_string(w, s);
}

void sw_jw_kv_int(struct sw_jw *w, const char *key, int64_t v)
{
	sw_jw_key(w, key);
	sw_jw_int(w, v);
}

void sw_jw_kv_bool(struct sw_jw *w, const char *key, bool v)
{
	sw_jw_key(w, key);
	sw_jw_bool(w, v);
}

void sw_jw_value(struct sw_jw *w, const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT: {
		const char *key;
		json_t *val;
		sw_jw_object(w);
		json_object_foreach((json_t *)v, key, val) {
			write_key(w, key, strlen(key), true);
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
