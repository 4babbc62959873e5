/*
 * Offline approval of a plan (plan.h): Ed25519 keys in PEM files and
 * signatures over sw_plan_signed_message() (plan id and digest), base64.
 * The private key stays with its approver (a CI secret); the policy names
 * each approver's public key.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include "plan.h"
#include "util.h"

#define ED25519_SIG_LEN 64
#define SIG_B64_LEN 88       /* 4 * ceil(64 / 3) */

/* OpenSSL's last error in words, or fallback. */
static const char *ossl_why(const char *fallback)
{
	static __thread char buf[256];
	unsigned long e = ERR_get_error();
	if (!e)
		return fallback;
	ERR_error_string_n(e, buf, sizeof(buf));
	ERR_clear_error();
	return buf;
}

/* A new file (never an existing one) with mode, as a stream. */
static FILE *create_excl(const char *path, mode_t mode, char *err, size_t errlen)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	FILE *f;

	if (fd < 0) {
		if (errno == EEXIST)
			snprintf(err, errlen, "%s already exists; keygen never overwrites a key (move it away or pick "
				 "another name)", path);
		else
			snprintf(err, errlen, "cannot create %s: %s", path, strerror(errno));
		return NULL;
	}
	if (fchmod(fd, mode) < 0 || !(f = fdopen(fd, "w"))) {
		snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
		close(fd);
		unlink(path);
		return NULL;
	}
	return f;
}

int sw_plan_keygen(const char *private_path, const char *public_path, char *err, size_t errlen)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, NULL);
	EVP_PKEY *key = NULL;
	FILE *priv = NULL, *pub = NULL;
	int rc = -1;

	if (access(public_path, F_OK) == 0) {
		snprintf(err, errlen, "%s already exists; keygen never overwrites a key (move it away or pick another "
			 "name)", public_path);
		goto out;
	}
	if (!ctx || EVP_PKEY_keygen_init(ctx) != 1 || EVP_PKEY_keygen(ctx, &key) != 1) {
		snprintf(err, errlen, "cannot generate an Ed25519 key: %s", ossl_why("OpenSSL refused"));
		goto out;
	}
	if (!(priv = create_excl(private_path, 0600, err, errlen)))
		goto out;
	if (!(pub = create_excl(public_path, 0644, err, errlen))) {
		fclose(priv);
		priv = NULL;
		unlink(private_path);
		goto out;
	}
	if (PEM_write_PrivateKey(priv, key, NULL, NULL, 0, NULL, NULL) != 1 || PEM_write_PUBKEY(pub, key) != 1) {
		snprintf(err, errlen, "cannot write the key files: %s", ossl_why("write failed"));
		goto fail_files;
	}
	if (fclose(priv) != 0 || fclose(pub) != 0) {
		priv = pub = NULL;
		snprintf(err, errlen, "cannot write the key files: %s", strerror(errno));
		goto fail_files;
	}
	priv = pub = NULL;
	rc = 0;
	goto out;
fail_files:
	if (priv)
		fclose(priv);
	if (pub)
		fclose(pub);
	unlink(private_path);
	unlink(public_path);
out:
	EVP_PKEY_free(key);
	EVP_PKEY_CTX_free(ctx);
	return rc;
}

static EVP_PKEY *read_key(const char *path, bool private, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	EVP_PKEY *k;

	if (!f) {
		snprintf(err, errlen, "cannot open %s key %s: %s", private ? "private" : "public", path, strerror(errno));
		return NULL;
	}
	k = private ? PEM_read_PrivateKey(f, NULL, NULL, NULL) : PEM_read_PUBKEY(f, NULL, NULL, NULL);
	fclose(f);
	if (!k) {
		snprintf(err, errlen, "%s is not a PEM %s key (%s); make keys with `sqlward plan keygen`", path,
			 private ? "private" : "public", ossl_why("unreadable"));
		return NULL;
	}
	if (EVP_PKEY_get_id(k) != EVP_PKEY_ED25519) {
		snprintf(err, errlen, "%s is not an Ed25519 key; make keys with `sqlward plan keygen`", path);
		EVP_PKEY_free(k);
		return NULL;
	}
	return k;
}

int sw_plan_sign(struct sw_plan *p, const char *approver, const char *key_path, const char *comment,
		 char *err, size_t errlen)
{
	unsigned char sig[ED25519_SIG_LEN];
	size_t siglen = sizeof(sig);
	char msg[128], b64[SIG_B64_LEN + 1];
	EVP_MD_CTX *ctx;
	EVP_PKEY *key;
	struct sw_plan_approval *a;
	bool ok;

	if (!approver || !approver[0]) {
		snprintf(err, errlen, "a signature needs the approver's name (the key's name in the policy)");
		return -1;
	}
	for (size_t i = 0; i < p->n_approvals; i++)
		if (strcmp(p->approvals[i].approver, approver) == 0) {
			snprintf(err, errlen, "%s has already approved plan %s; one approval per approver", approver,
				 p->id);
			return -1;
		}
	if (!(key = read_key(key_path, true, err, errlen)))
		return -1;
	sw_plan_signed_message(p, msg);
	ctx = EVP_MD_CTX_new();
	ok = ctx && EVP_DigestSignInit(ctx, NULL, NULL, NULL, key) == 1 &&
	     EVP_DigestSign(ctx, sig, &siglen, (const unsigned char *)msg, strlen(msg)) == 1 &&
	     siglen == ED25519_SIG_LEN;
	EVP_MD_CTX_free(ctx);
	EVP_PKEY_free(key);
	if (!ok) {
		snprintf(err, errlen, "cannot sign with %s: %s", key_path, ossl_why("OpenSSL refused"));
		return -1;
	}
	EVP_EncodeBlock((unsigned char *)b64, sig, ED25519_SIG_LEN);
	p->approvals = sw_xrealloc(p->approvals, (p->n_approvals + 1) * sizeof(*p->approvals));
	a = &p->approvals[p->n_approvals++];
	memset(a, 0, sizeof(*a));
	a->approver = sw_xstrdup(approver);
	a->via = SW_PLAN_VIA_SIGNATURE;
	a->signature = sw_xstrdup(b64);
	a->comment = comment ? sw_xstrdup(comment) : NULL;
	a->when = time(NULL);
	return 0;
}

/* base64 of exactly 64 bytes, strictly. */
static bool decode_sig(const char *b64, unsigned char out[ED25519_SIG_LEN])
{
	unsigned char buf[SIG_B64_LEN];

	if (strlen(b64) != SIG_B64_LEN || strcmp(b64 + SIG_B64_LEN - 2, "==") != 0)
		return false;
	/* EVP_DecodeBlock counts the padding as bytes: 88 characters give 66. */
	if (EVP_DecodeBlock(buf, (const unsigned char *)b64, SIG_B64_LEN) != 66)
		return false;
	memcpy(out, buf, ED25519_SIG_LEN);
	return true;
}

bool sw_plan_signature_valid(const struct sw_plan *p, const struct sw_plan_approval *a, const char *pubkey_pem_path,
			     char *err, size_t errlen)
{
	unsigned char sig[ED25519_SIG_LEN];
	char msg[128];
	EVP_MD_CTX *ctx;
	EVP_PKEY *key;
	bool ok;

	if (a->via != SW_PLAN_VIA_SIGNATURE || !a->signature) {
		snprintf(err, errlen, "the approval by %s was given on the control socket, not signed", a->approver);
		return false;
	}
	if (!decode_sig(a->signature, sig)) {
		snprintf(err, errlen, "the signature by %s is not a base64 Ed25519 signature (88 characters)",
			 a->approver);
		return false;
	}
	if (!(key = read_key(pubkey_pem_path, false, err, errlen)))
		return false;
	sw_plan_signed_message(p, msg);
	ctx = EVP_MD_CTX_new();
	ok = ctx && EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, key) == 1 &&
	     EVP_DigestVerify(ctx, sig, sizeof(sig), (const unsigned char *)msg, strlen(msg)) == 1;
	EVP_MD_CTX_free(ctx);
	EVP_PKEY_free(key);
	ERR_clear_error();
	if (!ok)
		snprintf(err, errlen, "the signature by %s does not verify with %s: it was made for another plan or "
			 "with another key", a->approver, pubkey_pem_path);
	return ok;
}
