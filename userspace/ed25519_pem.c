/* Ed25519 keys in PEM files and base64 signatures (ed25519_pem.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include "ed25519_pem.h"
#include "sha256_hex.h"

#define ED25519_SIG_LEN 64

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

int sw_ed25519_keygen(const char *private_path, const char *public_path, char *err, size_t errlen)
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

EVP_PKEY *sw_ed25519_read_key(const char *path, bool private_key, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	EVP_PKEY *k;

	if (!f) {
		snprintf(err, errlen, "cannot open %s key %s: %s", private_key ? "private" : "public", path,
			 strerror(errno));
		return NULL;
	}
	k = private_key ? PEM_read_PrivateKey(f, NULL, NULL, NULL) : PEM_read_PUBKEY(f, NULL, NULL, NULL);
	fclose(f);
	if (!k) {
		snprintf(err, errlen, "%s is not a PEM %s key (%s); make keys with `sqlward plan keygen`", path,
			 private_key ? "private" : "public", ossl_why("unreadable"));
		return NULL;
	}
	if (EVP_PKEY_get_id(k) != EVP_PKEY_ED25519) {
		snprintf(err, errlen, "%s is not an Ed25519 key; make keys with `sqlward plan keygen`", path);
		EVP_PKEY_free(k);
		return NULL;
	}
	return k;
}

int sw_ed25519_sign_b64(EVP_PKEY *key, const void *msg, size_t len, char out[SW_ED25519_SIG_B64_LEN + 1],
			char *err, size_t errlen)
{
	unsigned char sig[ED25519_SIG_LEN];
	size_t siglen = sizeof(sig);
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	bool ok = ctx && EVP_DigestSignInit(ctx, NULL, NULL, NULL, key) == 1 &&
		  EVP_DigestSign(ctx, sig, &siglen, msg, len) == 1 && siglen == ED25519_SIG_LEN;

	EVP_MD_CTX_free(ctx);
	if (!ok) {
		snprintf(err, errlen, "%s", ossl_why("OpenSSL refused"));
		return -1;
	}
	EVP_EncodeBlock((unsigned char *)out, sig, ED25519_SIG_LEN);
	return 0;
}

/* base64 of exactly 64 bytes, strictly. */
static bool decode_sig(const char *b64, unsigned char out[ED25519_SIG_LEN])
{
	unsigned char buf[SW_ED25519_SIG_B64_LEN];

	if (strlen(b64) != SW_ED25519_SIG_B64_LEN || strcmp(b64 + SW_ED25519_SIG_B64_LEN - 2, "==") != 0)
		return false;
	/* EVP_DecodeBlock counts the padding as bytes: 88 characters give 66. */
	if (EVP_DecodeBlock(buf, (const unsigned char *)b64, SW_ED25519_SIG_B64_LEN) != 66)
		return false;
	memcpy(out, buf, ED25519_SIG_LEN);
	return true;
}

bool sw_ed25519_sig_well_formed(const char *b64)
{
	unsigned char sig[ED25519_SIG_LEN];
	return decode_sig(b64, sig);
}

bool sw_ed25519_verify_b64(EVP_PKEY *key, const char *b64, const void *msg, size_t len)
{
	unsigned char sig[ED25519_SIG_LEN];
	EVP_MD_CTX *ctx;
	bool ok;

	if (!decode_sig(b64, sig))
		return false;
	ctx = EVP_MD_CTX_new();
	ok = ctx && EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, key) == 1 &&
	     EVP_DigestVerify(ctx, sig, sizeof(sig), msg, len) == 1;
	EVP_MD_CTX_free(ctx);
	ERR_clear_error();
	return ok;
}

int sw_ed25519_key_id(EVP_PKEY *key, char out[17])
{
	unsigned char raw[32];
	size_t n = sizeof(raw);
	char hex[65];

	if (EVP_PKEY_get_raw_public_key(key, raw, &n) != 1 || n != sizeof(raw)) {
		ERR_clear_error();
		return -1;
	}
	sw_sha256_hex(raw, n, hex);
	memcpy(out, hex, 16);
	out[16] = '\0';
	return 0;
}
