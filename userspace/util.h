/* Small helpers every part of sqlward uses: allocation that never returns NULL, locks. */
#ifndef SQLWARD_UTIL_H
#define SQLWARD_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

void *sw_xmalloc(size_t n);
void *sw_xcalloc(size_t n, size_t size);
void *sw_xrealloc(void *p, size_t n);
char *sw_xstrdup(const char *s);
char *sw_xstrndup(const char *s, size_t n);
char *sw_xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
char *sw_xvasprintf(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));

#include <stdint.h>
size_t sw_utf8_decode(const unsigned char *s, size_t len, uint32_t *cp);

/* A byte count for people: "512 bytes", "1.5 MB" (1024-based). */
void sw_fprint_bytes(FILE *out, double bytes);

/* Relative strength of a PostgreSQL table lock mode name (0 if unknown). */
int sw_lock_strength(const char *mode);

#endif
