/* Userspace build of the shared shape normalizer (bpf/shape.h). */
#include <string.h>
#include "read_facts.h"
#include "shape.h"
#include "statement.h"

#ifndef __always_inline
#define __always_inline inline __attribute__((always_inline))
#endif
#include "shape_normalize.h"

bool sw_shape_normalize(const char *text, size_t len, unsigned char out[SW_TEXT_CAP], uint32_t *out_len)
{
	unsigned char in[SW_TEXT_CAP];
	struct sw_shape s;

	memset(out, 0, SW_TEXT_CAP);
	if (len == 0 || len >= SW_TEXT_CAP - 1 || memchr(text, 0, len))
		return false;
	memset(in, 0, sizeof(in));
	memcpy(in, text, len);
	memset(&s, 0, sizeof(s));
	s.len = (__u32)len;
	for (__u32 i = 0; i < s.len; i++)
		if (sw_shape_step(&s, in, out, i))
			break;
	if (!sw_shape_finish(&s) || s.out_len == 0)
		return false;
	/* The kernel compares zero-padded words: clear anything past the shape. */
	memset(out + s.out_len, 0, SW_TEXT_CAP - s.out_len);
	*out_len = s.out_len;
	return true;
}

bool sw_shape_cacheable(const struct sw_analysis *a)
{
	static const char *const commands[] = { "SELECT", "INSERT", "UPDATE", "DELETE" };
	const unsigned risky = SW_TRAIT_DESTRUCTIVE | SW_TRAIT_FILE_ACCESS | SW_TRAIT_SESSION_ESCALATION |
			       SW_TRAIT_DANGEROUS_FUNCTION | SW_TRAIT_UNKNOWN_FUNCTION | SW_TRAIT_WRITABLE_CTE |
			       SW_TRAIT_EXECUTES | SW_TRAIT_SELECT_INTO | SW_TRAIT_MULTI_STATEMENT |
			       SW_TRAIT_OPAQUE_CODE | SW_TRAIT_PREPARED | SW_TRAIT_UNRESOLVED;
	const struct sw_stmt *st;
	bool known = false;

	if (a->n_stmts != 1 || !a->parse_ok)
		return false;
	st = &a->stmts[0];
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		known |= st->command && strcmp(st->command, commands[i]) == 0;
	/* LIMIT 5 and LIMIT 5001 have one shape but not one row bound (read_facts.h: limit_over). */
	if (st->reads && st->reads->limit_known && st->reads->limit >= 0)
		return false;
	return known && st->functions.n == 0 && !(st->traits & risky) && !st->prepare_name && !st->execute_name;
}
