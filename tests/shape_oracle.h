/*
 * The property the kernel's shape cache relies on, shared by the cmocka
 * differential test and the libFuzzer target: two statements the normalizer
 * maps to the same shape must parse to the same tree modulo constants
 * (libpg_query's fingerprint ignores constant values), or not parse at all.
 */
#ifndef SQLWARD_SHAPE_ORACLE_H
#define SQLWARD_SHAPE_ORACLE_H

#include <pg_query.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include "shape.h"
#include "statement.h"

/*
 * The daemon stores a shape verdict for a statement only when
 * sw_shape_cacheable() says so; the kernel then applies it to every
 * statement of the same shape. So the property is checked for each side
 * that could have been the stored one.
 * 1: same shape, same fingerprint (or b does not parse); 0: nothing to check; -1: VIOLATION.
 */
static inline int sw_shape_oracle(const char *a, const char *b)
{
	static unsigned char sa[SW_TEXT_CAP], sb[SW_TEXT_CAP];
	uint32_t la, lb;
	PgQueryFingerprintResult fa, fb;
	struct sw_analysis an;
	bool cacheable;
	int rc;

	if (!sw_shape_normalize(a, strlen(a), sa, &la) || !sw_shape_normalize(b, strlen(b), sb, &lb) ||
	    la != lb || memcmp(sa, sb, la) != 0)
		return 0;
	sw_pg_analyze(a, &an);
	cacheable = sw_shape_cacheable(&an);
	sw_analysis_free(&an);
	if (!cacheable)
		return 0;
	fa = pg_query_fingerprint(a);
	fb = pg_query_fingerprint(b);
	if (fa.error || fb.error)
		rc = fa.error ? 0 : 1;   /* b not parsing: PostgreSQL rejects it before it runs */
	else
		rc = fa.fingerprint == fb.fingerprint ? 1 : -1;
	pg_query_free_fingerprint_result(fa);
	pg_query_free_fingerprint_result(fb);
	return rc;
}

#endif
