/*
 * A compact, ASCII-only JSON writer for the ledger's hot path.
 *
 * Why not jansson here: building a jansson tree and dumping it costs ~30 us
 * per ledger record (measured by bench/record_bench: allocation of every
 * value, plus json_dumps' per-container loop-detection hashtable), which is
 * most of the daemon's CPU per observed statement. Records are written
 * straight into a reusable buffer instead. jansson stays the only JSON
 * *reader* (verify, log, tests): tests/unit/test_json_writer.c checks that
 * jansson reads back exactly what was written and that the escaping is
 * byte-for-byte what json_dumps(JSON_ENSURE_ASCII) produces.
 *
 * Strings: any bytes in; invalid UTF-8 (and NUL) becomes U+FFFD, like
 * sw_json_textn(); output escapes '"' '\\' \b \f \n \r \t, other control
 * characters and every non-ASCII character as \uXXXX (upper-case hex,
 * surrogate pairs above U+FFFF), so no raw control or bidi character can
 * reach a terminal showing the file. Commas are placed by the writer.
 */
#ifndef SQLWARD_JSON_WRITER_H
#define SQLWARD_JSON_WRITER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Nesting deeper than this is a bug in the caller (records are shallow): abort. */
#define SW_JW_DEPTH 64

struct sw_jw {
	char *buf;
	size_t len, cap;
	unsigned depth;
	bool need_comma[SW_JW_DEPTH + 1];
	bool after_key;
};

void sw_jw_init(struct sw_jw *w);
/* Empty the buffer (keeps its memory) and start at depth 0. */
void sw_jw_reset(struct sw_jw *w);
void sw_jw_free(struct sw_jw *w);

void sw_jw_object(struct sw_jw *w);
void sw_jw_object_end(struct sw_jw *w);
void sw_jw_array(struct sw_jw *w);
void sw_jw_array_end(struct sw_jw *w);
/* A key (plain ASCII, as written in the source: not escaped) inside an object, of n bytes.
 * Inline when there is room (records write ~35 keys each); sw_jw_keyn_grow otherwise. */
void sw_jw_keyn_grow(struct sw_jw *w, const char *key, size_t n);
static inline void sw_jw_keyn(struct sw_jw *w, const char *key, size_t n)
{
	char *b;

	/* ',' '"' key '"' ':' and the NUL kept after the text. */
	if (w->after_key || w->len + n + 5 > w->cap) {
		sw_jw_keyn_grow(w, key, n);
		return;
	}
	b = w->buf + w->len;
	if (w->need_comma[w->depth])
		*b++ = ',';
	w->need_comma[w->depth] = true;
	*b++ = '"';
	__builtin_memcpy(b, key, n);
	b += n;
	*b++ = '"';
	*b++ = ':';
	*b = 0;
	w->len = (size_t)(b - w->buf);
	w->after_key = true;
}
/* The same for a NUL-terminated key; inline so that a literal's length is known when compiling. */
static inline void sw_jw_key(struct sw_jw *w, const char *key)
{
	sw_jw_keyn(w, key, __builtin_strlen(key));
}
void sw_jw_string(struct sw_jw *w, const char *s);   /* NULL writes null */
void sw_jw_stringn(struct sw_jw *w, const char *s, size_t len);
/*
 * sw_jw_stringn for text that must be valid UTF-8 to be written as a string
 * (sw_utf8_valid: no invalid sequence, no NUL): checked while escaping, in the
 * same pass. True when written; false when not valid, and then nothing was
 * written (the writer is as it was before the call).
 */
bool sw_jw_stringn_if_valid(struct sw_jw *w, const char *s, size_t len);
void sw_jw_int(struct sw_jw *w, int64_t v);
void sw_jw_bool(struct sw_jw *w, bool v);
void sw_jw_null(struct sw_jw *w);
/* An already serialized JSON value, inserted as is. */
void sw_jw_raw(struct sw_jw *w, const char *json, size_t len);
/* A jansson value, written like json_dumps(v, JSON_COMPACT | JSON_ENSURE_ASCII)
 * (keys in insertion order) without jansson's per-container bookkeeping. */
struct json_t;
void sw_jw_value(struct sw_jw *w, const struct json_t *v);
/* Shorthands: key + value; string variants skip a NULL value entirely. */
static inline void sw_jw_kv_str(struct sw_jw *w, const char *key, const char *s)
{
	if (!s)
		return;
	sw_jw_key(w, key);
	sw_jw_stringn(w, s, __builtin_strlen(s));
}
static inline void sw_jw_kv_int(struct sw_jw *w, const char *key, int64_t v)
{
	sw_jw_key(w, key);
	sw_jw_int(w, v);
}
static inline void sw_jw_kv_bool(struct sw_jw *w, const char *key, bool v)
{
	sw_jw_key(w, key);
	sw_jw_bool(w, v);
}

#endif
