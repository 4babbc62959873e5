/* Allocation wrappers (out of memory is fatal), UTF-8, and text made safe to display. */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "util.h"

static void oom(void)
{
	fputs("sqlward: out of memory\n", stderr);
	abort();
}

void *sw_xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		oom();
	return p;
}

void *sw_xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);
	if (!p)
		oom();
	return p;
}

void *sw_xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p)
		oom();
	return p;
}

char *sw_xstrdup(const char *s)
{
	char *d = strdup(s);
	if (!d)
		oom();
	return d;
}

char *sw_xstrndup(const char *s, size_t n)
{
	char *d = strndup(s, n);
	if (!d)
		oom();
	return d;
}

char *sw_xvasprintf(const char *fmt, va_list ap)
{
	char *s;
	if (vasprintf(&s, fmt, ap) < 0)
		oom();
	return s;
}

char *sw_xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;
	va_start(ap, fmt);
	s = sw_xvasprintf(fmt, ap);
	va_end(ap);
	return s;
}

/* One UTF-8 sequence at s: its length (1-4) and code point, or 0 if it is not
 * valid UTF-8 (overlong, surrogate, out of range, truncated). NUL is valid (1). */
size_t sw_utf8_decode(const unsigned char *s, size_t len, uint32_t *cp)
{
	unsigned char c = s[0];
	size_t n;
	uint32_t v;

	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xC2 && c <= 0xDF) {
		n = 2;
		v = c & 0x1F;
	} else if (c >= 0xE0 && c <= 0xEF) {
		n = 3;
		v = c & 0x0F;
	} else if (c >= 0xF0 && c <= 0xF4) {
		n = 4;
		v = c & 0x07;
	} else {
		return 0;
	}
	if (len < n)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		v = (v << 6) | (s[i] & 0x3F);
	}
	if ((n == 3 && v < 0x800) || (n == 4 && v < 0x10000) || v > 0x10FFFF ||
	    (v >= 0xD800 && v <= 0xDFFF))
		return 0;
	*cp = v;
	return n;
}

/* Characters that must not reach a terminal raw: they act (C1 controls, 0x9B
 * is CSI), reorder the text around them (bidi), or are invisible. */
static bool escaped_char(uint32_t cp)
{
	static const uint32_t ranges[][2] = {
		{ 0x0080, 0x009F },   /* C1 controls */
		{ 0x00AD, 0x00AD },   /* soft hyphen */
		{ 0x061C, 0x061C },   /* Arabic letter mark */
		{ 0x180E, 0x180E },   /* Mongolian vowel separator */
		{ 0x200B, 0x200F },   /* zero-width space, non-joiner, joiner; LRM, RLM */
		{ 0x2028, 0x202E },   /* line and paragraph separators; bidi embeddings, overrides */
		{ 0x2060, 0x2064 },   /* word joiner, invisible operators */
		{ 0x2066, 0x206F },   /* bidi isolates; deprecated format controls */
		{ 0xFEFF, 0xFEFF },   /* zero-width no-break space (byte order mark) */
		{ 0xFFF9, 0xFFFB },   /* interlinear annotation controls */
		{ 0xE0000, 0xE007F }, /* tag characters: invisible text */
	};

	if (cp < 0x20 || cp == 0x7F)
		return true;
	for (size_t i = 0; i < sizeof(ranges) / sizeof(ranges[0]); i++)
		if (cp >= ranges[i][0] && cp <= ranges[i][1])
			return true;
	return false;
}

/* The display form of the character at s into out; returns the bytes it
 * takes in s, *w its width in characters. */
static size_t display_piece(const unsigned char *s, size_t len, char out[16], size_t *w)
{
	uint32_t cp;
	size_t n = sw_utf8_decode(s, len, &cp);

	if (!n) {
		snprintf(out, 16, "\\x%02X", s[0]);
		n = 1;
	} else if (cp == '\\' || cp == '\n' || cp == '\t' || cp == '\r') {
		out[0] = '\\';
		out[1] = cp == '\n' ? 'n' : cp == '\t' ? 't' : cp == '\r' ? 'r' : '\\';
		out[2] = 0;
	} else if (cp < 0x80 && escaped_char(cp)) {
		snprintf(out, 16, "\\x%02X", (unsigned)cp);
	} else if (escaped_char(cp)) {
		snprintf(out, 16, cp > 0xFFFF ? "\\U%08X" : "\\u%04X", (unsigned)cp);
	} else {
		memcpy(out, s, n);
		out[n] = 0;
		*w = 1;
		return n;
	}
	*w = strlen(out);
	return n;
}

char *sw_escape_display(const char *s, size_t len, size_t max_cols, unsigned flags, size_t *cols)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	char piece[16], *out;
	size_t i, w, n, total = 0, used = 0, o = 0;

	if (!s)
		len = 0;
	for (i = 0; max_cols && i < len; i += n) {
		n = display_piece(p + i, len - i, piece, &w);
		total += w;
	}
	if (total <= max_cols)
		max_cols = 0;   /* it fits: nothing to cut */
	/* Worst case: every byte an \xNN, each newline one more byte, the ellipsis. */
	out = sw_xmalloc(len * 5 + 4);
	for (i = 0; i < len; i += n) {
		n = display_piece(p + i, len - i, piece, &w);
		if (max_cols && used + w + 1 > max_cols) {
			memcpy(out + o, "\xE2\x80\xA6", 3);   /* U+2026 HORIZONTAL ELLIPSIS */
			o += 3;
			used++;
			break;
		}
		memcpy(out + o, piece, strlen(piece));
		o += strlen(piece);
		used += w;
		if ((flags & SW_ESC_BREAK_LINES) && p[i] == '\n')
			out[o++] = '\n';
	}
	out[o] = 0;
	if (cols)
		*cols = used;
	return out;
}

void sw_fprint_bytes(FILE *out, double b)
{
	static const char *const u[] = { "bytes", "kB", "MB", "GB", "TB" };
	int i = 0;
	while (b >= 1024 && i < 4) {
		b /= 1024;
		i++;
	}
	fprintf(out, i ? "%.1f %s" : "%.0f %s", b, u[i]);
}

void sw_sbuf_add(struct sw_sbuf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		b->cap = (b->len + n + 1) * 2;
		b->s = sw_xrealloc(b->s, b->cap);
	}
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

void sw_sbuf_str(struct sw_sbuf *b, const char *s)
{
	sw_sbuf_add(b, s, strlen(s));
}

void sw_sbuf_printf(struct sw_sbuf *b, const char *fmt, ...)
{
	char *t;
	va_list ap;

	va_start(ap, fmt);
	t = sw_xvasprintf(fmt, ap);
	va_end(ap);
	sw_sbuf_add(b, t, strlen(t));
	free(t);
}
