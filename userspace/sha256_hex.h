/*
 * SHA-256 as 64 lower-case hex digits: the ledger's hash chain, statement
 * digests, hold ids.
 */
#ifndef SQLWARD_SHA256_HEX_H
#define SQLWARD_SHA256_HEX_H

#include <stddef.h>
#include <openssl/evp.h>

/* Hex SHA-256 of bytes into out[65]. */
void sw_sha256_hex(const void *data, size_t len, char out[65]);
/* Hex SHA-256 of n pieces in a row into out[65], with a context the caller reuses. */
void sw_sha256_parts_hex(EVP_MD_CTX *ctx, const void *const *parts, const size_t *lens, size_t n, char out[65]);

#endif
