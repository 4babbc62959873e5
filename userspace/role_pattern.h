/*
 * Govern role patterns: the only glob shapes the kernel evaluates itself.
 *
 *   "name"     exact role name
 *   "prefix*"  role names starting with prefix
 *   "*suffix"  role names ending with suffix
 *   "*"        every role
 *
 * Anything richer ("a*b", "?", "[...]", "**", "\") is refused at load so the
 * daemon and the BPF program can never disagree about who is governed. Kinds
 * are numerically equal to bpf/sqlward.h `enum sw_pattern_kind` and the text
 * (without the '*') fits `struct sw_pattern.text`, so the daemon can copy a
 * parsed pattern straight into the BPF map.
 */
#ifndef SQLWARD_ROLE_PATTERN_H
#define SQLWARD_ROLE_PATTERN_H

#include <stdbool.h>
#include <stddef.h>

#define SW_ROLE_PATTERN_TEXT_MAX 63   /* SW_ROLE_MAX (NAMEDATALEN) - 1 */
#define SW_ROLE_PATTERNS_MAX     32   /* SW_GOVERN_MAX: patterns the kernel can test */

enum sw_role_pattern_kind {
	SW_ROLE_PAT_EXACT  = 1,
	SW_ROLE_PAT_PREFIX = 2,
	SW_ROLE_PAT_SUFFIX = 3,
	SW_ROLE_PAT_ANY    = 4,
};

struct sw_role_pattern {
	enum sw_role_pattern_kind kind;
	unsigned len;                                /* strlen(text) */
	char text[SW_ROLE_PATTERN_TEXT_MAX + 1];     /* the pattern without its '*' */
};

/*
 * Parse one pattern. On failure returns false and writes a sentence saying
 * what is wrong and what to do into why (which may be NULL).
 */
bool sw_role_pattern_parse(const char *pattern, struct sw_role_pattern *out,
			   char *why, size_t whylen);
bool sw_role_pattern_match(const struct sw_role_pattern *p, const char *role);
/* Convenience: parse + match; an invalid pattern matches nothing. */
bool sw_role_pattern_match_str(const char *pattern, const char *role);

/* The patterns as the BPF programs test them (bpf/sqlward.h struct sw_pattern, out has room for
 * SW_ROLE_PATTERNS_MAX); false with a sentence in err when one is invalid or there are too many. */
struct sw_pattern;
bool sw_kernel_patterns(const char *const *patterns, size_t n, struct sw_pattern *out, char *err, size_t errlen);

#endif
