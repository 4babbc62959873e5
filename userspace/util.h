/* Small helpers every part of sqlward uses: allocation that never returns NULL, UTF-8, display-safe text. */
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

/* sw_escape_display flags */
#define SW_ESC_BREAK_LINES 1u  /* after each escaped newline also start a new line (multi-line views) */

/*
 * Text shown to a person on a terminal, exactly and visibly, the same way in
 * every view (pending, show, log): a backslash as \\, newline, tab and carriage
 * return as \n \t \r, other C0 controls and DEL as \xNN (so ESC, which starts
 * every ANSI sequence, is \x1B), C1 controls, bidirectional controls,
 * zero-width and other invisible format characters as \uNNNN (\UNNNNNNNN
 * above U+FFFF), and bytes that are not valid UTF-8 as \xNN.
 * max_cols > 0: at most that many characters (an escape counts its length),
 * ending in "…" when cut; a cut never splits a character or an escape.
 * Returns a new string; *cols (may be NULL) receives its width in characters.
 */
char *sw_escape_display(const char *s, size_t len, size_t max_cols, unsigned flags, size_t *cols);

/* A growing NUL-terminated string ({0} is empty; s is NULL until the first add; caller frees s). */
struct sw_sbuf {
	char *s;
	size_t len, cap;
};
void sw_sbuf_add(struct sw_sbuf *b, const char *s, size_t n);
void sw_sbuf_str(struct sw_sbuf *b, const char *s);
void sw_sbuf_printf(struct sw_sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* A byte count for people: "512 bytes", "1.5 MB" (1024-based). */
void sw_fprint_bytes(FILE *out, double bytes);


#endif
