/*
 * SHA-256 as 64 lower-case hex digits: the ledger's hash chain, statement
 * digests, hold ids.
 */
#ifndef SQLWARD_SHA256_HEX_H
#define SQLWARD_SHA256_HEX_H

#include <stddef.h>
/* Not needed here any more, but modules that include ledger.h use EVP through it. */
#include <openssl/evp.h>

/*
 * Both are safe from any thread (no state is shared between calls) and
 * abort with a message if libcrypto cannot give SHA-256.
 */
/* Hex SHA-256 of bytes into out[65]. */
void sw_sha256_hex(const void *data, size_t len, char out[65]);
/* Hex SHA-256 of n pieces in a row (as if concatenated) into out[65]. */
void sw_sha256_parts_hex(const void *const *parts, const size_t *lens, size_t n, char out[65]);

#endif
