/* One session's holds decided together (see hold_batch.h). */
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/evp.h>
#include "hold_batch.h"

void sw_hold_batch_session_key(enum sw_engine engine, int pid, int64_t conn_id, char *buf, size_t len)
{
	if (engine == SW_ENGINE_POSTGRES)
		snprintf(buf, len, "%d", pid);
	else if (conn_id >= 0)
		snprintf(buf, len, "%d:%" PRId64, pid, conn_id);
	else
		snprintf(buf, len, "%d:?", pid);
}

/* 1 to 19 decimal digits, no sign, no leading zero. */
static size_t number_len(const char *s)
{
	size_t n = strspn(s, "0123456789");
	return n && n < 20 && s[0] != '0' ? n : 0;
}

bool sw_hold_batch_session_valid(const char *text)
{
	size_t n;

	if (!text || !(n = number_len(text)))
		return false;
	if (!text[n])
		return true;
	return text[n] == ':' && number_len(text + n + 1) && !text[n + 1 + number_len(text + n + 1)];
}

void sw_hold_batch_digest(const struct sw_batch_item *items, size_t n, char out[65])
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
	for (size_t i = 0; i < n; i++) {
		EVP_DigestUpdate(ctx, items[i].hold_id, strlen(items[i].hold_id));
		EVP_DigestUpdate(ctx, " ", 1);
		EVP_DigestUpdate(ctx, items[i].sha256, strlen(items[i].sha256));
		EVP_DigestUpdate(ctx, "\n", 1);
	}
	EVP_DigestFinal_ex(ctx, md, &mdlen);
	EVP_MD_CTX_free(ctx);
	for (unsigned int i = 0; i < mdlen && i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
	out[64] = 0;
}

bool sw_hold_batch_parse_prefix(const char *prefix, char out[65])
{
	size_t n = prefix ? strlen(prefix) : 0;

	if (n < SW_BATCH_DIGEST_PREFIX_MIN || n > 64 || strspn(prefix, "0123456789abcdefABCDEF") != n)
		return false;
	for (size_t i = 0; i <= n; i++)
		out[i] = (char)tolower((unsigned char)prefix[i]);
	return true;
}

bool sw_hold_batch_digest_matches(const char *prefix, const char *digest)
{
	return prefix[0] && strncmp(digest, prefix, strlen(prefix)) == 0;
}

/* Undo what a successful sw_approval_decide did to a pending approval: the entry it
 * appended (approve) and the state it set (released or denied). A pending approval has
 * no decided_by (only a decision sets it). */
static void put_back(struct sw_approval *a, bool approve, enum sw_approval_result r)
{
	if (approve && a->n_entries > 0) {
		struct sw_approval_entry *e = &a->entries[--a->n_entries];
		free(e->user);
		free(e->comment);
		memset(e, 0, sizeof(*e));
	}
	if (r == SW_APPROVAL_RELEASED || r == SW_APPROVAL_DENIED) {
		a->state = SW_HOLD_PENDING;
		free(a->decided_by);
		a->decided_by = NULL;
	}
}

bool sw_hold_batch_decide(struct sw_approval *const *a, size_t n, const struct sw_actor *who, bool approve,
			  const char *comment, const struct timespec *now, struct sw_batch_outcome *out,
			  size_t *failed)
{
	for (size_t i = 0; i < n; i++) {
		enum sw_approval_result r = sw_approval_decide(a[i], who, approve, comment, now, out[i].message,
								 sizeof(out[i].message));
		out[i].result = r;
		if (r == SW_APPROVAL_RECORDED || r == SW_APPROVAL_RELEASED || r == SW_APPROVAL_DENIED)
			continue;
		/* Refused: nothing in the batch may stay decided. */
		for (size_t j = i; j-- > 0;)
			put_back(a[j], approve, out[j].result);
		*failed = i;
		return false;
	}
	return true;
}
