/*
 * The ledger's store of full statement texts (ledger_blob.h): zlib streams
 * named by the SHA-256 of the text, written durably before any record names
 * them, read back with every size bounded by the record.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include "ledger_blob.h"
#include "util.h"

#define CHUNK (64 * 1024)

int sw_ledger_apply_access(int fd, mode_t mode, const struct sw_ledger_access *a)
{
	if (a && a->set_group && fchown(fd, (uid_t)-1, a->group) != 0)
		return -1;
	return fchmod(fd, mode & 0777);
}

static int fsync_path(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int rc;

	if (fd < 0)
		return -1;
	rc = fsync(fd);
	close(fd);
	return rc;
}

/* mkdir -m 0750 (with the group) unless it exists; a new entry is made durable in parent. */
static int make_dir(const char *path, const char *parent, const struct sw_ledger_access *a, char *err,
		    size_t errlen)
{
	struct stat st;
	int fd;

	if (mkdir(path, 0750) != 0) {
		if (errno == EEXIST && stat(path, &st) == 0 && S_ISDIR(st.st_mode))
			return 0;
		snprintf(err, errlen, "cannot create the full-text store directory %s: %s", path,
			 errno == EEXIST ? "a file of that name is in the way" : strerror(errno));
		return -1;
	}
	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || sw_ledger_apply_access(fd, 0750, a) != 0 || fsync_path(parent) != 0) {
		snprintf(err, errlen, "cannot set up the full-text store directory %s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

static int write_all(int fd, const unsigned char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			if (w == 0)
				errno = EIO;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Compress data into fd as one zlib stream, CHUNK bytes of output at a time. */
static int deflate_to_fd(int fd, const unsigned char *data, size_t len, char *why, size_t wl)
{
	unsigned char out[CHUNK];
	z_stream zs;
	size_t off = 0;
	int flush;

	memset(&zs, 0, sizeof(zs));
	if (deflateInit(&zs, Z_DEFAULT_COMPRESSION) != Z_OK) {
		snprintf(why, wl, "zlib cannot start compressing (out of memory?)");
		return -1;
	}
	do {
		size_t piece = len - off > (1u << 30) ? (1u << 30) : len - off;
		zs.next_in = (Bytef *)(data + off);
		zs.avail_in = (uInt)piece;
		off += piece;
		flush = off == len ? Z_FINISH : Z_NO_FLUSH;
		do {
			zs.next_out = out;
			zs.avail_out = sizeof(out);
			deflate(&zs, flush); /* cannot fail with a valid stream and room for output */
			if (write_all(fd, out, sizeof(out) - zs.avail_out) != 0) {
				snprintf(why, wl, "%s", strerror(errno));
				deflateEnd(&zs);
				return -1;
			}
		} while (zs.avail_out == 0);
	} while (flush != Z_FINISH);
	deflateEnd(&zs);
	return 0;
}

int sw_blob_put(const char *base_dir, const char *store_name, const void *data, size_t len, const char sha[65],
		const struct sw_ledger_access *access, char rel[SW_BLOB_REL_MAX], char *err, size_t errlen)
{
	char *store = NULL, *sub = NULL, *final = NULL, *tmp = NULL, why[256];
	int fd = -1, rc = -1;

	if ((size_t)snprintf(rel, SW_BLOB_REL_MAX, "%s/%.2s/%s.z", store_name, sha, sha) >= SW_BLOB_REL_MAX ||
	    !sw_blob_rel_valid(rel, sha)) {
		snprintf(err, errlen, "cannot name a full-text blob in store \"%s\" (name too long or not NAME.blobs)",
			 store_name);
		return -1;
	}
	store = sw_xasprintf("%s/%s", base_dir, store_name);
	sub = sw_xasprintf("%s/%.2s", store, sha);
	final = sw_xasprintf("%s/%s", base_dir, rel);
	if (make_dir(store, base_dir, access, err, errlen) != 0 || make_dir(sub, store, access, err, errlen) != 0)
		goto out;
	/* Same text already kept (content addressed): reuse it if it really holds the text. */
	if (sw_blob_read(base_dir, rel, sha, len, NULL, NULL, why, sizeof(why)) == 0) {
		if (fsync_path(sub) != 0) {
			snprintf(err, errlen, "cannot sync the full-text store directory %s: %s", sub, strerror(errno));
			goto out;
		}
		rc = 0;
		goto out;
	}
	tmp = sw_xasprintf("%s/.%s.tmp-XXXXXX", sub, sha);
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "cannot create a full-text blob in %s: %s", sub, strerror(errno));
		goto out;
	}
	if (deflate_to_fd(fd, data, len, why, sizeof(why)) != 0 ||
	    (sw_ledger_apply_access(fd, 0640, access) != 0 && snprintf(why, sizeof(why), "%s", strerror(errno))) ||
	    (fsync(fd) != 0 && snprintf(why, sizeof(why), "%s", strerror(errno)))) {
		snprintf(err, errlen, "cannot write the full-text blob %s: %s", final, why);
		goto out;
	}
	if (rename(tmp, final) != 0 || fsync_path(sub) != 0) {
		snprintf(err, errlen, "cannot put the full-text blob in place at %s: %s", final, strerror(errno));
		goto out;
	}
	free(tmp);
	tmp = NULL;
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	if (tmp)
		unlink(tmp);
	free(tmp);
	free(final);
	free(sub);
	free(store);
	return rc;
}

static bool is_lower_hex(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

bool sw_blob_rel_valid(const char *rel, const char sha[65])
{
	static const char suffix[] = ".blobs";
	const char *slash = strchr(rel, '/');
	size_t name_len;

	if (strlen(sha) != 64 || !is_lower_hex(sha, 64) || !slash)
		return false;
	name_len = (size_t)(slash - rel);
	if (name_len <= sizeof(suffix) - 1 || memcmp(slash - (sizeof(suffix) - 1), suffix, sizeof(suffix) - 1) != 0)
		return false;
	/* The rest is exactly "<2 hex>/<sha>.z". */
	return strlen(slash) == 1 + 2 + 1 + 64 + 2 && memcmp(slash + 1, sha, 2) == 0 && slash[3] == '/' &&
	       memcmp(slash + 4, sha, 64) == 0 && strcmp(slash + 68, ".z") == 0;
}

int sw_blob_read(const char *base_dir, const char *rel, const char sha[65], uint64_t len,
		 int (*sink)(void *ctx, const void *data, size_t n), void *ctx, char *err, size_t errlen)
{
	unsigned char in[CHUNK], out[CHUNK], want[32], md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	uint64_t total = 0;
	bool ended = false;
	EVP_MD_CTX *h = NULL;
	z_stream zs;
	struct stat st;
	char *path;
	size_t wantlen = 0;
	int fd, rc = -1;

	if (!sw_blob_rel_valid(rel, sha)) {
		snprintf(err, errlen, "statement_blob \"%s\" is not a path sqlward writes for statement_sha256 %.64s "
			 "(NAME.blobs/<first 2 hex>/<sha256>.z): not opened", rel, sha);
		return -1;
	}
	path = sw_xasprintf("%s/%s", base_dir, rel);
	/* O_NONBLOCK: a FIFO planted there must not hang the reader (it is refused below). */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (fd < 0) {
		snprintf(err, errlen, "statement blob %s is %s", path,
			 errno == ENOENT ? "missing" : strerror(errno));
		free(path);
		return -1;
	}
	memset(&zs, 0, sizeof(zs));
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "statement blob %s is not a regular file", path);
		goto out;
	}
	/* No zlib stream of len bytes is longer than this: anything larger is not this text. */
	if ((uint64_t)st.st_size > (uint64_t)compressBound((uLong)len) + 64) {
		snprintf(err, errlen, "statement blob %s is %lld bytes, more than any compression of the %llu-byte "
			 "statement: it does not hold this text", path, (long long)st.st_size,
			 (unsigned long long)len);
		goto out;
	}
	if (!OPENSSL_hexstr2buf_ex(want, sizeof(want), &wantlen, sha, '\0') || wantlen != 32 ||
	    inflateInit(&zs) != Z_OK || !(h = EVP_MD_CTX_new()) || !EVP_DigestInit_ex(h, EVP_sha256(), NULL)) {
		snprintf(err, errlen, "cannot check statement blob %s: out of memory", path);
		goto out;
	}
	for (;;) {
		ssize_t n = read(fd, in, sizeof(in));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			snprintf(err, errlen, "cannot read statement blob %s: %s", path, strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		if (ended) {
			snprintf(err, errlen, "statement blob %s has bytes after its zlib stream: it was altered", path);
			goto out;
		}
		zs.next_in = in;
		zs.avail_in = (uInt)n;
		while (zs.avail_in > 0 && !ended) {
			int z;
			size_t got;

			zs.next_out = out;
			zs.avail_out = sizeof(out);
			z = inflate(&zs, Z_NO_FLUSH);
			if (z != Z_OK && z != Z_STREAM_END) {
				snprintf(err, errlen, "statement blob %s is corrupt (zlib: %s)", path,
					 zs.msg ? zs.msg : "bad data");
				goto out;
			}
			got = sizeof(out) - zs.avail_out;
			total += got;
			if (total > len) {
				snprintf(err, errlen, "statement blob %s decompresses to more than the record's "
					 "statement_length (%llu bytes): it does not hold this text", path,
					 (unsigned long long)len);
				goto out;
			}
			if (!EVP_DigestUpdate(h, out, got) || (sink && got && sink(ctx, out, got) != 0)) {
				snprintf(err, errlen, "stopped reading statement blob %s", path);
				goto out;
			}
			ended = z == Z_STREAM_END;
		}
		if (ended && zs.avail_in > 0) {
			snprintf(err, errlen, "statement blob %s has bytes after its zlib stream: it was altered", path);
			goto out;
		}
	}
	if (!ended) {
		snprintf(err, errlen, "statement blob %s is truncated (its zlib stream stops after %llu of %llu bytes)",
			 path, (unsigned long long)total, (unsigned long long)len);
		goto out;
	}
	if (total != len) {
		snprintf(err, errlen, "statement blob %s holds %llu bytes, the record's statement_length is %llu", path,
			 (unsigned long long)total, (unsigned long long)len);
		goto out;
	}
	if (!EVP_DigestFinal_ex(h, md, &mdlen) || mdlen != 32 || CRYPTO_memcmp(md, want, 32) != 0) {
		snprintf(err, errlen, "statement blob %s does not hold this statement's text (its SHA-256 differs from "
			 "the record's statement_sha256)", path);
		goto out;
	}
	rc = 0;
out:
	inflateEnd(&zs); /* safe on a zeroed stream */
	EVP_MD_CTX_free(h);
	close(fd);
	free(path);
	return rc;
}
