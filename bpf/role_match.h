/* SPDX-License-Identifier: GPL-2.0 OR Apache-2.0 */
/*
 * Governed-role matching in BPF, shared by the PostgreSQL and MariaDB
 * programs: the same patterns (struct sw_pattern, validated by the policy
 * loader) decide the same way for both engines. The including program
 * defines n_patterns and patterns[].
 */
#ifndef SQLWARD_ROLE_MATCH_H
#define SQLWARD_ROLE_MATCH_H

static __always_inline bool pattern_matches(const struct sw_pattern *p, const char *role, __u32 len)
{
	__u32 plen = p->len;
	__u32 base = 0;

	if (p->kind == SW_PAT_ANY)
		return true;
	if (plen > len || plen >= SW_ROLE_MAX)
		return false;
	if (p->kind == SW_PAT_EXACT && plen != len)
		return false;
	if (p->kind == SW_PAT_SUFFIX)
		base = len - plen;
	for (__u32 j = 0; j < SW_ROLE_MAX; j++) {
		if (j >= plen)
			break;
		if (role[(base + j) & (SW_ROLE_MAX - 1)] != p->text[j])
			return false;
	}
	return true;
}

static __always_inline bool role_governed(const char *role, __u32 len)
{
	__u32 n = n_patterns;

	for (__u32 i = 0; i < SW_GOVERN_MAX; i++) {
		if (i >= n)
			break;
		if (pattern_matches(&patterns[i], role, len))
			return true;
	}
	return false;
}

#endif
