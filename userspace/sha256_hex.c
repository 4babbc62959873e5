/*
 * SHA-256 digests as lower-case hex (sha256_hex.h).
 *
 * Cost per call: the ledger hashes two short strings per statement (the
 * line, ~1 KB, and the statement text, ~50 bytes), so what a call costs
 * beyond the hashing itself matters. Measured on Debian 12's OpenSSL 3.0
 * (callgrind, per call, besides the compression itself): EVP_MD_CTX_copy_ex
 * from an initialised template ~540 instructions (it allocates the
 * provider's state every time), EVP_DigestInit_ex2 on a reused context ~630,
 * EVP_Digest ~1,100 (a context per call), EVP_Q_digest ~3,400 (a fetch per
 * call); the SHA256_Init/Update/Final functions ~0 on a context on the
 * stack, natively ~30-60 ns less per call than the template copy. They run
 * the same block function as the EVP provider (SHA-NI where the CPU has
 * it), so the digests are the same. They are deprecated in OpenSSL 3 (not
 * removed); the deprecation warnings are silenced here and only here. They
 * bypass the provider layer: a FIPS-provider configuration does not govern
 * them (none is used by sqlward; this is a chain of record hashes).
 */
#define OPENSSL_SUPPRESS_DEPRECATED
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/sha.h>
#include "sha256_hex.h"

static void sha256_fail(const char *what)
{
	fprintf(stderr, "sqlward: SHA-256 failed in libcrypto (%s); check the OpenSSL installation "
		"(`openssl dgst -sha256 /dev/null` must work)\n", what);
	abort();
}

/* Two hex digits per byte from one table look-up (two per call: a visible share of a short hash). */
static const char hex_pairs[256][2] = {
#define P(h) { "0123456789abcdef"[(h) >> 4], "0123456789abcdef"[(h) & 15] }
#define P16(h) P(h), P(h + 1), P(h + 2), P(h + 3), P(h + 4), P(h + 5), P(h + 6), P(h + 7), P(h + 8), \
	P(h + 9), P(h + 10), P(h + 11), P(h + 12), P(h + 13), P(h + 14), P(h + 15)
	P16(0x00), P16(0x10), P16(0x20), P16(0x30), P16(0x40), P16(0x50), P16(0x60), P16(0x70),
	P16(0x80), P16(0x90), P16(0xA0), P16(0xB0), P16(0xC0), P16(0xD0), P16(0xE0), P16(0xF0),
#undef P16
#undef P
};

static void hex32(const unsigned char *md, char out[65])
{
	for (unsigned i = 0; i < 32; i++)
		memcpy(out + 2 * i, hex_pairs[md[i]], 2);
	out[64] = '\0';
}

void sw_sha256_parts_hex(const void *const *parts, const size_t *lens, size_t n, char out[65])
{
	unsigned char md[SHA256_DIGEST_LENGTH];
	SHA256_CTX c;

	if (!SHA256_Init(&c))
		sha256_fail("SHA256_Init");
	for (size_t i = 0; i < n; i++)
		if (lens[i] && !SHA256_Update(&c, parts[i], lens[i]))
			sha256_fail("SHA256_Update");
	if (!SHA256_Final(md, &c))
		sha256_fail("SHA256_Final");
	hex32(md, out);
}

void sw_sha256_hex(const void *data, size_t len, char out[65])
{
	sw_sha256_parts_hex(&data, &len, 1, out);
}
