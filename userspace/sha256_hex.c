/* SHA-256 digests as lower-case hex (sha256_hex.h). */
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <openssl/evp.h>
#include "sha256_hex.h"

/* SHA-256, fetched once: an implicit fetch per digest costs more than hashing a record. */
static EVP_MD *sha256_md;
static pthread_once_t sha256_once = PTHREAD_ONCE_INIT;

static void sha256_fetch(void)
{
	sha256_md = EVP_MD_fetch(NULL, "SHA256", NULL);
}

static const EVP_MD *sha256(void)
{
	pthread_once(&sha256_once, sha256_fetch);
	if (!sha256_md) {
		fputs("sqlward: SHA-256 is not available from libcrypto\n", stderr);
		abort();
	}
	return sha256_md;
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

void sw_sha256_hex(const void *data, size_t len, char out[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	if (!EVP_Digest(data, len, md, &mdlen, sha256(), NULL) || mdlen != 32) {
		fputs("sqlward: SHA-256 failed (libcrypto)\n", stderr);
		abort();
	}
	hex32(md, out);
}

void sw_sha256_parts_hex(EVP_MD_CTX *ctx, const void *const *parts, const size_t *lens, size_t n, char out[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	bool ok = EVP_DigestInit_ex(ctx, sha256(), NULL);

	for (size_t i = 0; ok && i < n; i++)
		ok = EVP_DigestUpdate(ctx, parts[i], lens[i]);
	if (!ok || !EVP_DigestFinal_ex(ctx, md, &mdlen) || mdlen != 32) {
		fputs("sqlward: SHA-256 failed (libcrypto)\n", stderr);
		abort();
	}
	hex32(md, out);
}
