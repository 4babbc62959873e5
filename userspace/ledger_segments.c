/* A ledger's rotated segments: names, listing, compression (ledger_segments.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include <openssl/evp.h>
#include "ledger_segments.h"
#include "util.h"

#define SEQ_DIGITS 20
#define BLOCK (256 * 1024)

char *sw_segments_dir(const char *ledger_path)
{
	return sw_xasprintf("%s.seg", ledger_path);
}

char *sw_segment_path(const char *ledger_path, uint64_t first, uint64_t last, bool compressed)
{
	return sw_xasprintf("%s.seg/%020llu-%020llu.jsonl%s", ledger_path, (unsigned long long)first,
			    (unsigned long long)last, compressed ? ".gz" : "");
}

/* "<20 digits>-<20 digits>.jsonl" or ".jsonl.gz": true with the range. */
static bool parse_name(const char *name, uint64_t *first, uint64_t *last, bool *gz)
{
	size_t len = strlen(name);
	char *end;

	if (len < 2 * SEQ_DIGITS + 1 + 6 || name[SEQ_DIGITS] != '-')
		return false;
	for (size_t i = 0; i < 2 * SEQ_DIGITS + 1; i++)
		if (i != SEQ_DIGITS && (name[i] < '0' || name[i] > '9'))
			return false;
	if (strcmp(name + 2 * SEQ_DIGITS + 1, ".jsonl") == 0)
		*gz = false;
	else if (strcmp(name + 2 * SEQ_DIGITS + 1, ".jsonl.gz") == 0)
		*gz = true;
	else
		return false;
	*first = strtoull(name, &end, 10);
	*last = strtoull(name + SEQ_DIGITS + 1, &end, 10);
	return *first >= 1 && *last >= *first;
}

static int by_first(const void *a, const void *b)
{
	const struct sw_segment *x = a, *y = b;

	if (x->first != y->first)
		return x->first < y->first ? -1 : 1;
	return (int)x->compressed - (int)y->compressed; /* the plain copy first */
}

int sw_segments_list(const char *ledger_path, struct sw_segment_list *out, char *err, size_t errlen)
{
	char *dir = sw_segments_dir(ledger_path);
	DIR *d = opendir(dir);
	struct dirent *de;
	size_t cap = 0, keep = 0;

	out->v = NULL;
	out->n = 0;
	if (!d) {
		int e = errno;
		free(dir);
		if (e == ENOENT)
			return 0;
		snprintf(err, errlen, "cannot read the ledger's segment directory %s.seg: %s; %s", ledger_path,
			 strerror(e), e == EACCES ? "run as root or as a member of the ledger's group" : "check it");
		return -1;
	}
	while ((de = readdir(d))) {
		struct sw_segment s = { 0 };
		struct stat st;

		if (!parse_name(de->d_name, &s.first, &s.last, &s.compressed))
			continue;
		s.path = sw_xasprintf("%s/%s", dir, de->d_name);
		if (stat(s.path, &st) != 0 || !S_ISREG(st.st_mode)) {
			free(s.path);
			continue;
		}
		s.bytes = (uint64_t)st.st_size;
		s.mtime = st.st_mtime;
		if (out->n == cap) {
			cap = cap ? cap * 2 : 16;
			out->v = sw_xrealloc(out->v, cap * sizeof(*out->v));
		}
		out->v[out->n++] = s;
	}
	closedir(d);
	free(dir);
	if (out->n)
		qsort(out->v, out->n, sizeof(*out->v), by_first);
	/* One entry per range (the plain copy while both exist); ranges must not overlap. */
	for (size_t i = 0; i < out->n; i++) {
		if (keep && out->v[keep - 1].first == out->v[i].first && out->v[keep - 1].last == out->v[i].last) {
			free(out->v[i].path);
			continue;
		}
		if (keep && out->v[i].first <= out->v[keep - 1].last) {
			snprintf(err, errlen, "ledger segments %s and %s overlap (seq %llu to %llu and %llu to %llu): "
				 "only the daemon should write %s.seg/; move the one that does not belong away",
				 out->v[keep - 1].path, out->v[i].path, (unsigned long long)out->v[keep - 1].first,
				 (unsigned long long)out->v[keep - 1].last, (unsigned long long)out->v[i].first,
				 (unsigned long long)out->v[i].last, ledger_path);
			for (size_t j = i + 1; j < out->n; j++)
				free(out->v[j].path);
			free(out->v[i].path);
			out->n = keep;
			sw_segments_free(out);
			return -1;
		}
		out->v[keep++] = out->v[i];
	}
	out->n = keep;
	return 0;
}

void sw_segments_free(struct sw_segment_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i].path);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

static void sync_dir_of(const char *path)
{
	char *copy = sw_xstrdup(path);
	int fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
	free(copy);
}

int sw_segments_dir_make(const char *ledger_path, const struct sw_ledger_access *access, char *err, size_t errlen)
{
	char *dir = sw_segments_dir(ledger_path);
	int fd, rc = 0;

	if (mkdir(dir, 0750) == 0) {
		fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0 || sw_ledger_apply_access(fd, 0750, access) != 0) {
			snprintf(err, errlen, "cannot give %s mode 0750 and the ledger's group: %s", dir, strerror(errno));
			rc = -1;
		}
		if (fd >= 0)
			close(fd);
		sync_dir_of(dir);
	} else if (errno != EEXIST) {
		snprintf(err, errlen, "cannot create the ledger's segment directory %s: %s; the daemon needs write "
			 "access to the ledger's directory", dir, strerror(errno));
		rc = -1;
	}
	free(dir);
	return rc;
}

/* ---- compression ---- */

static bool stopped(const volatile bool *stop)
{
	return stop && *stop;
}

/* Write path's bytes compressed to tmp (created, 0640, the group), fsynced; plain's SHA-256 into sha. */
static int write_gz(const char *path, const char *tmp, const struct sw_ledger_access *access,
		    const volatile bool *stop, unsigned char sha[32], char *err, size_t errlen)
{
	int in = open(path, O_RDONLY | O_CLOEXEC), out = -1, gfd = -1, rc = -1;
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	gzFile gz = NULL;
	char *buf = sw_xmalloc(BLOCK);
	ssize_t n;

	if (in < 0) {
		snprintf(err, errlen, "cannot read segment %s: %s", path, strerror(errno));
		goto out;
	}
	out = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0640);
	if (out < 0 || sw_ledger_apply_access(out, 0640, access) != 0) {
		snprintf(err, errlen, "cannot create %s: %s", tmp, strerror(errno));
		goto out;
	}
	gfd = dup(out);
	if (!md || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1 || gfd < 0 || !(gz = gzdopen(gfd, "wb6"))) {
		snprintf(err, errlen, "cannot start compressing %s: %s", path, gfd < 0 ? strerror(errno) : "out of memory");
		if (gfd >= 0 && !gz)
			close(gfd);
		goto out;
	}
	while ((n = read(in, buf, BLOCK)) > 0) {
		if (stopped(stop)) {
			snprintf(err, errlen, "compression of %s abandoned: the daemon is stopping", path);
			goto out;
		}
		EVP_DigestUpdate(md, buf, (size_t)n);
		if (gzwrite(gz, buf, (unsigned)n) != (int)n) {
			int zerr;
			snprintf(err, errlen, "cannot write %s: %s", tmp, gzerror(gz, &zerr));
			goto out;
		}
	}
	if (n < 0) {
		snprintf(err, errlen, "cannot read segment %s: %s", path, strerror(errno));
		goto out;
	}
	{
		int zrc = gzclose(gz);
		gz = NULL;
		if (zrc != Z_OK) {
			snprintf(err, errlen, "cannot finish %s (zlib error %d; disk full?)", tmp, zrc);
			goto out;
		}
	}
	if (fsync(out) != 0) {
		snprintf(err, errlen, "cannot sync %s: %s", tmp, strerror(errno));
		goto out;
	}
	EVP_DigestFinal_ex(md, sha, NULL);
	rc = 0;
out:
	if (gz)
		gzclose(gz);
	if (out >= 0)
		close(out);
	if (in >= 0)
		close(in);
	EVP_MD_CTX_free(md);
	free(buf);
	return rc;
}

/* Does the gzip file at tmp hold bytes with SHA-256 sha? */
static int check_gz(const char *tmp, const unsigned char sha[32], char *err, size_t errlen)
{
	gzFile gz = gzopen(tmp, "rb");
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned char got[32];
	char *buf = sw_xmalloc(BLOCK);
	int n, rc = -1, zerr = Z_OK;

	if (!gz || !md || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1) {
		snprintf(err, errlen, "cannot read back %s: %s", tmp, strerror(errno));
		goto out;
	}
	while ((n = gzread(gz, buf, BLOCK)) > 0)
		EVP_DigestUpdate(md, buf, (size_t)n);
	gzerror(gz, &zerr);
	if (n < 0 || (zerr != Z_OK && zerr != Z_STREAM_END)) {
		snprintf(err, errlen, "%s does not read back as gzip (zlib error %d)", tmp, zerr);
		goto out;
	}
	EVP_DigestFinal_ex(md, got, NULL);
	if (memcmp(got, sha, 32) != 0) {
		snprintf(err, errlen, "%s read back does not equal the segment it was made from", tmp);
		goto out;
	}
	rc = 0;
out:
	if (gz)
		gzclose(gz);
	EVP_MD_CTX_free(md);
	free(buf);
	return rc;
}

int sw_segment_compress(const char *path, const struct sw_ledger_access *access, const volatile bool *stop,
			char *err, size_t errlen)
{
	char *tmp = sw_xasprintf("%s.gz.tmp", path), *gz = sw_xasprintf("%s.gz", path);
	unsigned char sha[32];
	int rc = -1;

	if (write_gz(path, tmp, access, stop, sha, err, errlen) != 0 || check_gz(tmp, sha, err, errlen) != 0) {
		unlink(tmp);
		goto out;
	}
	if (rename(tmp, gz) != 0) {
		snprintf(err, errlen, "cannot rename %s to %s: %s", tmp, gz, strerror(errno));
		unlink(tmp);
		goto out;
	}
	sync_dir_of(gz);
	if (unlink(path) != 0) {
		snprintf(err, errlen, "compressed to %s but cannot remove %s: %s", gz, path, strerror(errno));
		goto out;
	}
	sync_dir_of(gz);
	rc = 0;
out:
	free(tmp);
	free(gz);
	return rc;
}

/* ---- the worker ---- */

struct sw_seg_compressor {
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct sw_ledger_access access;
	char **queue;
	size_t n, cap;
	volatile bool stop;
	uint64_t done, failed;
	char last_error[600];
};

static void *compress_worker(void *arg)
{
	struct sw_seg_compressor *c = arg;

	pthread_mutex_lock(&c->mu);
	for (;;) {
		char *path, err[600];
		int rc;

		while (!c->stop && c->n == 0)
			pthread_cond_wait(&c->cv, &c->mu);
		if (c->stop)
			break;
		path = c->queue[0];
		memmove(c->queue, c->queue + 1, (c->n - 1) * sizeof(*c->queue));
		c->n--;
		pthread_mutex_unlock(&c->mu);
		rc = sw_segment_compress(path, &c->access, &c->stop, err, sizeof(err));
		if (rc != 0 && !c->stop)
			fprintf(stderr, "sqlward: ledger segment not compressed (it stays readable as it is; the next "
				"daemon start tries again): %s\n", err);
		free(path);
		pthread_mutex_lock(&c->mu);
		if (rc == 0)
			c->done++;
		else if (!c->stop) {
			c->failed++;
			snprintf(c->last_error, sizeof(c->last_error), "%s", err);
		}
	}
	pthread_mutex_unlock(&c->mu);
	return NULL;
}

struct sw_seg_compressor *sw_seg_compressor_start(const struct sw_ledger_access *access)
{
	struct sw_seg_compressor *c = sw_xcalloc(1, sizeof(*c));

	c->access = *access;
	pthread_mutex_init(&c->mu, NULL);
	pthread_cond_init(&c->cv, NULL);
	if (pthread_create(&c->thread, NULL, compress_worker, c) != 0) {
		fprintf(stderr, "sqlward: cannot start the ledger segment compressor: %s; segments stay "
			"uncompressed\n", strerror(errno));
		pthread_mutex_destroy(&c->mu);
		pthread_cond_destroy(&c->cv);
		free(c);
		return NULL;
	}
	return c;
}

void sw_seg_compressor_add(struct sw_seg_compressor *c, const char *path)
{
	if (!c)
		return;
	pthread_mutex_lock(&c->mu);
	if (c->n == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 8;
		c->queue = sw_xrealloc(c->queue, c->cap * sizeof(*c->queue));
	}
	c->queue[c->n++] = sw_xstrdup(path);
	pthread_cond_signal(&c->cv);
	pthread_mutex_unlock(&c->mu);
}

void sw_seg_compressor_counts(struct sw_seg_compressor *c, uint64_t *done, uint64_t *failed, char *err,
			      size_t errlen)
{
	if (!c) {
		*done = *failed = 0;
		return;
	}
	pthread_mutex_lock(&c->mu);
	*done = c->done;
	*failed = c->failed;
	if (err)
		snprintf(err, errlen, "%s", c->last_error);
	pthread_mutex_unlock(&c->mu);
}

void sw_seg_compressor_stop(struct sw_seg_compressor *c)
{
	if (!c)
		return;
	pthread_mutex_lock(&c->mu);
	c->stop = true;
	pthread_cond_signal(&c->cv);
	pthread_mutex_unlock(&c->mu);
	pthread_join(c->thread, NULL);
	for (size_t i = 0; i < c->n; i++)
		free(c->queue[i]);
	free(c->queue);
	pthread_mutex_destroy(&c->mu);
	pthread_cond_destroy(&c->cv);
	free(c);
}
