/*
 * Signed checkpoints of the ledger's hash chain. Every N records or T
 * seconds the daemon signs {ledger id, seq, head hash, time} with an Ed25519
 * key only root can read, and sends the checkpoint where the host's admin
 * cannot silently rewrite it: a second file (another mount, or an
 * append-only `chattr +a` file: one JSON line per checkpoint), syslog
 * (LOG_AUTHPRIV) and/or a webhook. `sqlward verify --checkpoints FILE
 * --checkpoint-pubkey PUB` then proves the ledger against them: a truncated
 * tail, a chain rewritten from some record on (every hash recomputed) or a
 * deleted segment no longer matches a signed checkpoint.
 *
 * The checkpoint line (and webhook body, with "event":"ledger_checkpoint"):
 *   {"type":"sqlward_checkpoint","ledger_id":ID,"seq":N,"head":HASH,
 *    "time":RFC3339,"key_id":K,"signature":B64}
 * The signature is Ed25519 over the bytes
 *   "sqlward-checkpoint-v1\n" ID "\n" N "\n" HASH "\n" TIME "\n"
 * ID is "<hostname>:<ledger path>"; K names the key (first 16 hex digits of
 * the SHA-256 of the raw public key). Keys: `sqlward plan keygen --private
 * FILE --public FILE` (Ed25519 PEM).
 */
#ifndef SQLWARD_LEDGER_CHECKPOINT_H
#define SQLWARD_LEDGER_CHECKPOINT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>
#include <openssl/evp.h>
#include "ed25519_pem.h"

struct sw_checkpoint {
	char ledger_id[512];
	uint64_t seq;
	char head[65];
	char time[40];
	char key_id[17];
	char signature[SW_ED25519_SIG_B64_LEN + 1];
};

/* The bytes a checkpoint's signature covers (caller frees). */
char *sw_checkpoint_message(const struct sw_checkpoint *c);
/* The checkpoint as its JSON line's object (new reference). */
json_t *sw_checkpoint_json(const struct sw_checkpoint *c);
/* A checkpoint from such an object: 0, or -1 with err (a field missing or malformed). */
int sw_checkpoint_from_json(json_t *j, struct sw_checkpoint *c, char *err, size_t errlen);
/* Sign c (its ledger_id, seq, head and time set) with key: fills key_id and signature. 0 or -1 (err). */
int sw_checkpoint_sign(EVP_PKEY *key, struct sw_checkpoint *c, char *err, size_t errlen);
/* Does c's signature verify under pub? */
bool sw_checkpoint_valid(EVP_PKEY *pub, const struct sw_checkpoint *c);
/* "<hostname>:<absolute ledger path>" into out. */
void sw_checkpoint_ledger_id(const char *ledger_path, char *out, size_t len);
/*
 * The daemon's signing key: an Ed25519 PEM private key in a regular file
 * owned by root with mode 0600 or 0400 (refused otherwise, err says the fix).
 */
EVP_PKEY *sw_checkpoint_key_load(const char *path, char *err, size_t errlen);

/* A checkpoints file read back: every line, in order (lineno: 1-based line). */
struct sw_checkpoint_line {
	size_t lineno;
	bool parsed;            /* false: the line is not a checkpoint (why in error) */
	char error[200];
	struct sw_checkpoint c;
};
int sw_checkpoints_read(const char *path, struct sw_checkpoint_line **out, size_t *n, char *err, size_t errlen);

#endif
