/* Govern role patterns: exact, "prefix*", "*suffix", "*" (see role_pattern.h). */
#include <stdio.h>
#include <string.h>
#include <stdint.h>
#include "role_pattern.h"
#include "sqlward.h"

static bool refuse(char *why, size_t whylen, const char *msg, const char *pattern)
{
	if (why && whylen)
		snprintf(why, whylen, msg, pattern);
	return false;
}

bool sw_role_pattern_parse(const char *pattern, struct sw_role_pattern *out,
			   char *why, size_t whylen)
{
	size_t n = strlen(pattern);

	memset(out, 0, sizeof(*out));
	if (n == 0)
		return refuse(why, whylen, "empty role pattern%s; write a role name, "
			      "\"prefix*\", \"*suffix\" or \"*\"", "");
	if (strpbrk(pattern, "?[]\\"))
		return refuse(why, whylen, "role pattern \"%s\" uses glob syntax the kernel "
			      "cannot evaluate; only an exact name, \"prefix*\", \"*suffix\" "
			      "or \"*\" is supported", pattern);
	for (const char *c = pattern; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			return refuse(why, whylen, "role pattern \"%s\" contains a control "
				      "character; remove it", pattern);
	if (strcmp(pattern, "*") == 0) {
		out->kind = SW_ROLE_PAT_ANY;
		return true;
	}
	const char *star = strchr(pattern, '*');
	size_t stars = 0;
	for (const char *c = pattern; *c; c++)
		stars += *c == '*';
	const char *text = pattern;
	size_t len = n;
	if (stars == 0) {
		out->kind = SW_ROLE_PAT_EXACT;
	} else if (stars == 1 && star == pattern + n - 1) {
		out->kind = SW_ROLE_PAT_PREFIX;
		len = n - 1;
	} else if (stars == 1 && star == pattern) {
		out->kind = SW_ROLE_PAT_SUFFIX;
		text = pattern + 1;
		len = n - 1;
	} else {
		return refuse(why, whylen, "role pattern \"%s\" is not supported: the kernel "
			      "evaluates only an exact name, \"prefix*\", \"*suffix\" or \"*\"; "
			      "list several simpler patterns instead", pattern);
	}
	if (len > SW_ROLE_PATTERN_TEXT_MAX)
		return refuse(why, whylen, "role pattern \"%s\" is longer than a PostgreSQL "
			      "role name can be (63 bytes); shorten it", pattern);
	memcpy(out->text, text, len);
	out->text[len] = '\0';
	out->len = (unsigned)len;
	return true;
}

bool sw_role_pattern_match(const struct sw_role_pattern *p, const char *role)
{
	size_t n;

	if (!role)
		return false;
	n = strlen(role);
	switch (p->kind) {
	case SW_ROLE_PAT_ANY:
		return true;
	case SW_ROLE_PAT_EXACT:
		return n == p->len && memcmp(role, p->text, n) == 0;
	case SW_ROLE_PAT_PREFIX:
		return n >= p->len && memcmp(role, p->text, p->len) == 0;
	case SW_ROLE_PAT_SUFFIX:
		return n >= p->len && memcmp(role + n - p->len, p->text, p->len) == 0;
	}
	return false;
}

bool sw_role_pattern_match_str(const char *pattern, const char *role)
{
	struct sw_role_pattern p;
	return sw_role_pattern_parse(pattern, &p, NULL, 0) && sw_role_pattern_match(&p, role);
}

bool sw_kernel_patterns(const char *const *patterns, size_t n, struct sw_pattern *out, char *err, size_t errlen)
{
	if (n > SW_GOVERN_MAX) {
		snprintf(err, errlen, "policy governs %zu role patterns; the kernel side holds at most %d", n, SW_GOVERN_MAX);
		return false;
	}
	memset(out, 0, SW_GOVERN_MAX * sizeof(*out));
	for (size_t i = 0; i < n; i++) {
		struct sw_role_pattern rp;
		char why[256];
		if (!sw_role_pattern_parse(patterns[i], &rp, why, sizeof(why))) {
			snprintf(err, errlen, "govern role pattern \"%s\": %s", patterns[i], why);
			return false;
		}
		out[i].kind = (uint32_t)rp.kind;
		out[i].len = rp.len;
		memcpy(out[i].text, rp.text, sizeof(out[i].text));
	}
	return true;
}
