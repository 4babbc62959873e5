/*
 * Ed25519 keys in PEM files and base64 signatures (OpenSSL EVP): shared by
 * offline plan approvals (plan_sign.c) and signed ledger checkpoints
 * (ledger_checkpoint.c). `sqlward plan keygen` makes the key pairs.
 */
#ifndef SQLWARD_ED25519_PEM_H
#define SQLWARD_ED25519_PEM_H

#include <stdbool.h>
#include <stddef.h>
#include <openssl/evp.h>

#define SW_ED25519_SIG_B64_LEN 88   /* 4 * ceil(64 / 3) */

/* A new key pair: private_path (0600) and public_path (0644); never overwrites. 0 or -1 (err). */
int sw_ed25519_keygen(const char *private_path, const char *public_path, char *err, size_t errlen);
/* The Ed25519 key in a PEM file (private or public), or NULL with err. */
EVP_PKEY *sw_ed25519_read_key(const char *path, bool private_key, char *err, size_t errlen);
/* base64 signature of msg into out (NUL-terminated). 0 or -1 (err). */
int sw_ed25519_sign_b64(EVP_PKEY *key, const void *msg, size_t len, char out[SW_ED25519_SIG_B64_LEN + 1],
			char *err, size_t errlen);
/* Is b64 a well-formed base64 Ed25519 signature (88 characters)? */
bool sw_ed25519_sig_well_formed(const char *b64);
/* Does b64 sign msg under key (a public or private key)? false also when b64 is malformed. */
bool sw_ed25519_verify_b64(EVP_PKEY *key, const char *b64, const void *msg, size_t len);
/* First 16 hex digits of SHA-256 of the raw public key: names the key in checkpoints. 0 or -1. */
int sw_ed25519_key_id(EVP_PKEY *key, char out[17]);

#endif
