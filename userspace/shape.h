/* The kernel's statement-shape normalizer, run in userspace (see bpf/shape.h). */
#ifndef SQLWARD_USER_SHAPE_H
#define SQLWARD_USER_SHAPE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "sqlward.h"

/*
 * Normalize text (len bytes, no NUL inside) exactly as the BPF program does.
 * false when the normalizer gives up (or len >= SW_TEXT_CAP - 1); otherwise
 * out (SW_TEXT_CAP bytes, zero-padded) holds the shape and *out_len its length.
 */
bool sw_shape_normalize(const char *text, size_t len, unsigned char out[SW_TEXT_CAP], uint32_t *out_len);
/*
 * The same shape, for a key compared over *out_len bytes (the classification
 * cache): out[0..*out_len) only, nothing past it is written (at most len
 * bytes in all), and nothing is zero-filled. Bytes whose step is certain
 * from the state and the byte (identifier, string and digit runs, plain
 * bytes between tokens) take no sw_shape_step each; the result is the
 * kernel's, byte for byte.
 */
bool sw_shape_normalize_key(const char *text, size_t len, unsigned char out[SW_TEXT_CAP], uint32_t *out_len);
/*
 * The kernel's loop as it runs there (a zero-filled copy of the text, one
 * sw_shape_step per byte), out zero-padded: the reference the faster
 * functions above are tested against (tests/unit/test_shape_fast.c).
 */
bool sw_shape_normalize_stepwise(const char *text, size_t len, unsigned char out[SW_TEXT_CAP], uint32_t *out_len);

struct sw_analysis;
/*
 * May every statement with this one's shape (same text but for literal
 * constants) get the same verdict? Only a single plain SELECT/INSERT/UPDATE/
 * DELETE that calls no function (a literal argument can name a file, a role,
 * a setting or a query) and has no trait whose presence could depend on a
 * literal. DDL is excluded: its option values (START 100, ...) are part of
 * the parse tree, not constants.
 */
bool sw_shape_cacheable(const struct sw_analysis *a);

#endif
