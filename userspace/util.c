/* Allocation wrappers (out of memory is fatal) and lock-mode ordering. */
#include <stdarg.h>
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

int sw_lock_strength(const char *mode)
{
	/* PostgreSQL's eight table lock modes, weakest first. */
	static const char *const modes[] = {
		"AccessShareLock", "RowShareLock", "RowExclusiveLock",
		"ShareUpdateExclusiveLock", "ShareLock", "ShareRowExclusiveLock",
		"ExclusiveLock", "AccessExclusiveLock",
	};
	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++)
		if (strcmp(mode, modes[i]) == 0)
			return (int)i + 1;
	return 0;
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
