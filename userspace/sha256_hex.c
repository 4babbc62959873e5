/*
 * SHA-256 digests as lower-case hex (sha256_hex.h).
 *
 * Cost per call: the ledger hashes two to three short strings per statement,
 * so what a call costs beyond the hashing itself matters. With OpenSSL 3.0,
 * EVP_Digest creates and frees a context per call, and EVP_DigestInit_ex on
 * a reused context still frees and recreates the provider's state and looks
 * the digest up again. Copying a context that is already initialised
 * (EVP_MD_CTX_copy_ex from a template) skips the look-up: one allocation of
 * the provider's small state is what is left. Each thread has its own
 * template and working context (created on its first call, freed when it
 * exits), so the helpers need no lock and no caller-held state.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <openssl/evp.h>
#include "sha256_hex.h"

/* SHA-256, fetched once: an implicit fetch per digest costs more than hashing a record. */
static EVP_MD *sha256_md;
static pthread_once_t sha256_once = PTHREAD_ONCE_INIT;
/* Frees a thread's contexts when it exits. */
static pthread_key_t sha256_key;

struct sha256_ctxs {
	EVP_MD_CTX *initialised; /* after EVP_DigestInit_ex: never updated, only copied */
	EVP_MD_CTX *work;        /* each digest: a copy of initialised, updated, finalised */
};

static __thread struct sha256_ctxs *thread_ctxs;

static void sha256_fail(const char *what)
{
	fprintf(stderr, "sqlward: SHA-256 failed in libcrypto (%s); check the OpenSSL installation "
		"(`openssl dgst -sha256 /dev/null` must work)\n", what);
	abort();
}

static void ctxs_free(void *p)
{
	struct sha256_ctxs *c = p;

	EVP_MD_CTX_free(c->initialised);
	EVP_MD_CTX_free(c->work);
	free(c);
}

static void sha256_setup(void)
{
	sha256_md = EVP_MD_fetch(NULL, "SHA256", NULL);
	if (pthread_key_create(&sha256_key, ctxs_free) != 0)
		sha256_fail("no thread key for its contexts");
}

/* This thread's contexts, the template initialised for SHA-256. */
static struct sha256_ctxs *ctxs(void)
{
	struct sha256_ctxs *c = thread_ctxs;

	if (c)
		return c;
	pthread_once(&sha256_once, sha256_setup);
	if (!sha256_md)
		sha256_fail("SHA-256 is not available");
	c = calloc(1, sizeof(*c));
	if (!c || !(c->initialised = EVP_MD_CTX_new()) || !(c->work = EVP_MD_CTX_new()))
		sha256_fail("out of memory for a digest context");
	if (!EVP_DigestInit_ex(c->initialised, sha256_md, NULL))
		sha256_fail("EVP_DigestInit_ex");
	/* The key's destructor frees them when the thread exits (the main thread's live until exit). */
	if (pthread_setspecific(sha256_key, c) != 0)
		sha256_fail("cannot keep the thread's digest contexts");
	thread_ctxs = c;
	return c;
}

static void hex32(const unsigned char *md, char out[65])
{
	static const char hex[] = "0123456789abcdef";

	for (unsigned i = 0; i < 32; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 15];
	}
	out[64] = '\0';
}

void sw_sha256_parts_hex(const void *const *parts, const size_t *lens, size_t n, char out[65])
{
	struct sha256_ctxs *c = ctxs();
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	if (!EVP_MD_CTX_copy_ex(c->work, c->initialised))
		sha256_fail("EVP_MD_CTX_copy_ex");
	for (size_t i = 0; i < n; i++)
		if (lens[i] && !EVP_DigestUpdate(c->work, parts[i], lens[i]))
			sha256_fail("EVP_DigestUpdate");
	if (!EVP_DigestFinal_ex(c->work, md, &mdlen) || mdlen != 32)
		sha256_fail("EVP_DigestFinal_ex");
	hex32(md, out);
}

void sw_sha256_hex(const void *data, size_t len, char out[65])
{
	sw_sha256_parts_hex(&data, &len, 1, out);
}
