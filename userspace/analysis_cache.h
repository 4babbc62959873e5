/*
 * A classification cache keyed by statement shape (bpf/shape_normalize.h):
 * for a statement the shape cache may cover (sw_shape_cacheable), every
 * statement of the same shape classifies the same but for its text, so the
 * daemon reuses the analysis instead of parsing again. This is what keeps
 * the daemon ahead of the kernel when thousands of statements a second are
 * allowed in the kernel and only need recording.
 */
#ifndef SQLWARD_ANALYSIS_CACHE_H
#define SQLWARD_ANALYSIS_CACHE_H

#include <stddef.h>
#include <stdint.h>
#include "statement.h"

struct sw_acache;

struct sw_acache *sw_acache_new(size_t slots);
void sw_acache_free(struct sw_acache *c);
/* Like sw_pg_analyze(text), from the cache when the shape was seen. */
void sw_acache_analyze(struct sw_acache *c, const char *text, size_t len, struct sw_analysis *out);
/*
 * Like sw_acache_analyze, without the copy: on a hit, out borrows the slot's
 * statement and owns only its text (out->borrowed, statement.h). For an
 * analysis read and let go within one call: give it back (sw_analysis_free)
 * or make it its own (sw_analysis_own) before it is changed, kept, or handed
 * to another thread. A slot with a borrower is not replaced by a miss, and
 * sw_acache_free aborts while any is out (a borrower would read freed memory).
 */
void sw_acache_borrow(struct sw_acache *c, const char *text, size_t len, struct sw_analysis *out);
/* Statements lent and not yet given back. */
size_t sw_acache_lent(const struct sw_acache *c);
/* Hits and misses so far. */
void sw_acache_stats(const struct sw_acache *c, uint64_t *hits, uint64_t *misses);

#endif
