/* JSON strings from bytes that may not be UTF-8 (see json_text.h). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "json_text.h"
#include "util.h"

/* A valid UTF-8 sequence that is not NUL: its length, else 0. */
static size_t utf8_seq(const unsigned char *s, size_t len)
{
	uint32_t cp;
	size_t n = sw_utf8_decode(s, len, &cp);
	return n && cp ? n : 0;
}

bool sw_utf8_valid(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;

	while (i < len) {
		size_t n = utf8_seq(p + i, len - i);
		if (!n)
			return false;
		i += n;
	}
	return true;
}

json_t *sw_json_textn(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	json_t *j;
	char *buf;
	size_t i = 0, o = 0;

	if (!s)
		return json_null();
	if (sw_utf8_valid(s, len)) {
		j = json_stringn(s, len);
		if (j)
			return j;
	}
	/* Every invalid byte (and NUL) becomes U+FFFD (3 bytes). */
	buf = sw_xmalloc(len * 3 + 1);
	while (i < len) {
		size_t n = utf8_seq(p + i, len - i);
		if (n) {
			memcpy(buf + o, p + i, n);
			o += n;
			i += n;
		} else {
			memcpy(buf + o, "\xEF\xBF\xBD", 3);
			o += 3;
			i++;
		}
	}
	j = json_stringn(buf, o);
	free(buf);
	if (!j)
		abort(); /* only allocation failure is left */
	return j;
}

json_t *sw_json_text(const char *s)
{
	return s ? sw_json_textn(s, strlen(s)) : json_null();
}
