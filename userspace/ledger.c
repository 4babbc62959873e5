/*
 * The ledger: append-only JSON Lines with a SHA-256 hash chain (ledger.h).
 *
 * Writing: one daemon holds an exclusive flock on the file and appends
 * through an O_APPEND descriptor. Records wait in memory as complete lines
 * until a flush (one write(2) for many) or a synced record, which writes
 * everything before it and fdatasyncs; a decision is recorded once that sync
 * returns. Reading/verifying streams the
 * file line by line with getline(3), so neither line length nor file size is
 * bounded by memory beyond one line.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <pthread.h>
#include <openssl/evp.h>
#include "ledger.h"
#include "util.h"

struct sw_ledger {
	int fd;
	char *path;
	/* The chain including records still in `pending`. */
	uint64_t seq;      /* last record's seq, 0 when empty */
	char head[65];     /* last record's hash, genesis when empty */
	/* What the file holds (records written with write(2)). */
	uint64_t file_seq;
	char file_head[65];
	off_t file_size;
	/* Complete lines not yet written: observed records are written in batches. */
	char *pending;
	size_t pending_len, pending_cap, pending_records;
	EVP_MD_CTX *md;
	bool broken;       /* a write failed and could not be undone */
	bool dirty;        /* records written since the last fdatasync */
};

/* Unsynced records are written once this many bytes are waiting. */
#define PENDING_FLUSH_BYTES (256 * 1024)

/* ---- small helpers ---- */

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

/* SHA-256 over several pieces, with a reusable context. */
static void sha256_parts(EVP_MD_CTX *ctx, const void *const *parts, const size_t *lens, size_t n, char out[65])
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

void sw_format_time(const struct timespec *ts, char *buf, size_t len)
{
	/* The date and time part changes once a second: keep the last one (per thread). */
	static __thread time_t last_sec = -1;
	static __thread char base[32];
	struct tm tm;
	long us = (long)(ts->tv_nsec / 1000);

	if (ts->tv_sec != last_sec) {
		if (!gmtime_r(&ts->tv_sec, &tm) || !strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm)) {
			last_sec = -1;
			snprintf(buf, len, "1970-01-01T00:00:00.000000Z");
			return;
		}
		last_sec = ts->tv_sec;
	}
	if (len >= 28 && us >= 0 && us < 1000000 && strlen(base) == 19) {
		memcpy(buf, base, 19);
		buf[19] = '.';
		for (int i = 25; i >= 20; i--) {
			buf[i] = (char)('0' + us % 10);
			us /= 10;
		}
		buf[26] = 'Z';
		buf[27] = 0;
		return;
	}
	snprintf(buf, len, "%s.%06ldZ", base, us);
}

const char *sw_ledger_default_path(void)
{
	const char *e = getenv("SQLWARD_LEDGER");
	return e && *e ? e : SW_LEDGER_DEFAULT_PATH;
}

uint64_t sw_ledger_seq(const struct sw_ledger *l)
{
	return l->seq;
}

const char *sw_ledger_head(const struct sw_ledger *l)
{
	return l->head;
}

char *sw_ledger_canonical(json_t *rec)
{
	char *s;

	if (json_is_object(rec) && json_object_get(rec, "hash")) {
		json_t *copy = json_copy(rec); /* shallow: values are shared, not duplicated */
		if (!copy)
			return NULL;
		json_object_del(copy, "hash");
		s = json_dumps(copy, SW_LEDGER_LINE_FLAGS);
		json_decref(copy);
		return s;
	}
	return json_dumps(rec, SW_LEDGER_LINE_FLAGS);
}

/* ---- time parsing ---- */

static int parse_digits(const char **p, int n, int *out)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		if (!isdigit((unsigned char)(*p)[i]))
			return -1;
		v = v * 10 + ((*p)[i] - '0');
	}
	*p += n;
	*out = v;
	return 0;
}

/* YYYY-MM-DD[(T|t| )HH:MM[:SS[.frac]]][Z|z|(+|-)HH[:]MM]; rfc3339: time and zone required. */
static int parse_absolute(const char *s, bool rfc3339, struct timespec *out)
{
	struct tm tm;
	const char *p = s;
	long nsec = 0, offset = 0;
	int y, mo, d, h = 0, mi = 0, sec = 0;
	bool zoned = false, timed = false;
	time_t t;

	if (parse_digits(&p, 4, &y) || *p++ != '-' || parse_digits(&p, 2, &mo) || *p++ != '-' ||
	    parse_digits(&p, 2, &d))
		return -1;
	if (*p == 'T' || *p == 't' || *p == ' ') {
		p++;
		timed = true;
		if (parse_digits(&p, 2, &h) || *p++ != ':' || parse_digits(&p, 2, &mi))
			return -1;
		if (*p == ':') {
			p++;
			if (parse_digits(&p, 2, &sec))
				return -1;
			if (*p == '.' || *p == ',') {
				long scale = 100000000;
				p++;
				if (!isdigit((unsigned char)*p))
					return -1;
				for (; isdigit((unsigned char)*p); p++) {
					nsec += (*p - '0') * scale;
					scale /= 10;
				}
			}
		}
		if (*p == 'Z' || *p == 'z') {
			zoned = true;
			p++;
		} else if (*p == '+' || *p == '-') {
			int sign = *p == '-' ? -1 : 1, oh, om;
			p++;
			if (parse_digits(&p, 2, &oh))
				return -1;
			if (*p == ':')
				p++;
			if (parse_digits(&p, 2, &om) || oh > 23 || om > 59)
				return -1;
			zoned = true;
			offset = sign * (oh * 3600L + om * 60L);
		}
	}
	if (*p || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60)
		return -1;
	if (rfc3339 && (!timed || !zoned))
		return -1;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	if (zoned) {
		t = timegm(&tm) - offset;
	} else {
		tm.tm_isdst = -1;
		t = mktime(&tm);
		if (t == (time_t)-1)
			return -1;
	}
	out->tv_sec = t;
	out->tv_nsec = nsec;
	return 0;
}

int sw_parse_time(const char *s, const struct timespec *now, struct timespec *out)
{
	if (!s || !*s)
		return -1;
	if (strcmp(s, "now") == 0) {
		*out = *now;
		return 0;
	}
	/* Relative: "<n><unit>" ago. */
	if (isdigit((unsigned char)*s)) {
		char *end;
		errno = 0;
		unsigned long long n = strtoull(s, &end, 10);
		if (errno == 0 && end != s && end[0] && !end[1] && strchr("smhdw", end[0])) {
			unsigned long long unit = end[0] == 's' ? 1 : end[0] == 'm' ? 60 :
				end[0] == 'h' ? 3600 : end[0] == 'd' ? 86400 : 604800;
			if (now->tv_sec < 0 || n > (unsigned long long)now->tv_sec / unit)
				return -1;
			out->tv_sec = now->tv_sec - (time_t)(n * unit);
			out->tv_nsec = now->tv_nsec;
			return 0;
		}
	}
	return parse_absolute(s, false, out);
}

/* Every line ends with its hash: ,"hash":"<64 hex>"} */
#define HASH_TAIL_PREFIX ",\"hash\":\""
#define HASH_TAIL_LEN (sizeof(HASH_TAIL_PREFIX) - 1 + 64 + 2)

/* ---- record checks shared by append and verify ---- */

static bool is_hex64(const char *s)
{
	if (strlen(s) != 64)
		return false;
	for (int i = 0; i < 64; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

static bool need(json_t *rec, const char *key, json_type type, const char *tname, char *why, size_t wl)
{
	json_t *v = json_object_get(rec, key);
	if (!v) {
		snprintf(why, wl, "required field \"%s\" is missing", key);
		return false;
	}
	if (json_typeof(v) != type && !(type == JSON_TRUE && json_is_boolean(v))) {
		snprintf(why, wl, "field \"%s\" is not %s", key, tname);
		return false;
	}
	return true;
}

/*
 * Fields every record must have apart from the chain fields (seq, prev,
 * hash): append refuses records verify would reject, so the daemon can never
 * write a ledger it would refuse to reopen.
 */
static bool check_body(json_t *rec, char *why, size_t wl)
{
	struct timespec ts;
	const char *type;

	if (!need(rec, "type", JSON_STRING, "a string", why, wl) ||
	    !need(rec, "time", JSON_STRING, "a string", why, wl))
		return false;
	type = json_string_value(json_object_get(rec, "type"));
	if (!*type) {
		snprintf(why, wl, "field \"type\" is empty");
		return false;
	}
	if (parse_absolute(json_string_value(json_object_get(rec, "time")), true, &ts) != 0) {
		snprintf(why, wl, "field \"time\" is not an RFC 3339 time");
		return false;
	}
	if (strcmp(type, "statement") == 0)
		return need(rec, "verdict", JSON_STRING, "a string", why, wl) &&
		       need(rec, "statement", JSON_STRING, "a string", why, wl) &&
		       need(rec, "statement_length", JSON_INTEGER, "an integer", why, wl) &&
		       need(rec, "statement_sha256", JSON_STRING, "a string", why, wl);
	if (strcmp(type, "daemon") == 0)
		return need(rec, "event", JSON_STRING, "a string", why, wl);
	return true; /* other types: only the common fields */
}

/* ---- verification ---- */

/* Ledgers written before 2026-11-21 hashed the record as sorted, UTF-8 JSON
 * without "hash". Recognised only to say so: such a ledger is not continued. */
static bool legacy_hash_matches(json_t *rec, const char *hash)
{
	json_t *copy = json_copy(rec);
	char *text, calc[65];

	if (!copy)
		return false;
	json_object_del(copy, "hash");
	text = json_dumps(copy, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(copy);
	if (!text)
		return false;
	sw_sha256_hex(text, strlen(text), calc);
	free(text);
	return strcmp(calc, hash) == 0;
}

static int verify_stream(FILE *f, struct sw_verify_result *res)
{
	char *line = NULL;
	size_t cap = 0, lineno = 0;
	ssize_t n;
	long long prev_seq = 0;
	char why[200];
	EVP_MD_CTX *md = NULL;

	memset(res, 0, sizeof(*res));
	strcpy(res->head, SW_LEDGER_GENESIS);
	while ((n = getline(&line, &cap, f)) != -1) {
		json_error_t jerr;
		json_t *rec, *v;
		long long seq;
		const char *prev, *hash;
		char calc[65];
		bool nl = n > 0 && line[n - 1] == '\n';
		size_t line_bytes = (size_t)n;

		lineno++;
		why[0] = '\0';
		if (nl)
			n--;
		if (!nl) {
			res->torn_tail = true;
			snprintf(why, sizeof(why), "the last line does not end in a newline: a torn write "
				 "(the writer stopped mid-record, e.g. a crash or full disk)");
			goto bad;
		}
		if (n == 0) {
			snprintf(why, sizeof(why), "empty line");
			goto bad;
		}
		rec = json_loadb(line, (size_t)n, JSON_REJECT_DUPLICATES, &jerr);
		if (!rec) {
			snprintf(why, sizeof(why), "not valid JSON: %s (column %d)", jerr.text, jerr.column);
			goto bad;
		}
		if (!json_is_object(rec)) {
			snprintf(why, sizeof(why), "not a JSON object");
			goto bad_rec;
		}
		if (!need(rec, "seq", JSON_INTEGER, "an integer", why, sizeof(why)) ||
		    !need(rec, "prev", JSON_STRING, "a string", why, sizeof(why)) ||
		    !need(rec, "hash", JSON_STRING, "a string", why, sizeof(why)) ||
		    !check_body(rec, why, sizeof(why)))
			goto bad_rec;
		seq = json_integer_value(json_object_get(rec, "seq"));
		prev = json_string_value(json_object_get(rec, "prev"));
		hash = json_string_value(json_object_get(rec, "hash"));
		if (!is_hex64(hash)) {
			snprintf(why, sizeof(why), "field \"hash\" is not 64 lower-case hex digits");
			goto bad_rec;
		}
		if (seq != prev_seq + 1) {
			if (lineno == 1)
				snprintf(why, sizeof(why), "seq is %lld, expected 1: the ledger does not "
					 "start at its first record (records at the start were deleted?)", seq);
			else if (seq <= prev_seq)
				snprintf(why, sizeof(why), "seq %lld follows seq %lld: a record was "
					 "duplicated, replayed or reordered", seq, prev_seq);
			else
				snprintf(why, sizeof(why), "seq jumps from %lld to %lld: a record was "
					 "deleted or records were reordered", prev_seq, seq);
			goto bad_rec;
		}
		if (strcmp(prev, res->head) != 0) {
			if (lineno == 1)
				snprintf(why, sizeof(why), "prev is not the genesis hash: the first record "
					 "was deleted or replaced");
			else
				snprintf(why, sizeof(why), "prev does not match line %zu's hash: a record "
					 "was deleted, inserted or reordered", lineno - 1);
			goto bad_rec;
		}
		/* The hash covers the line as written, up to its last field ,"hash":"...". */
		if ((size_t)n < HASH_TAIL_LEN || memcmp(line + n - HASH_TAIL_LEN, HASH_TAIL_PREFIX,
							  sizeof(HASH_TAIL_PREFIX) - 1) != 0 ||
		    memcmp(line + n - 2, "\"}", 2) != 0) {
			snprintf(why, sizeof(why), "\"hash\" is not the line's last field as sqlward writes it: "
				 "the line was rewritten (reformatted or edited)");
			goto bad_rec;
		}
		{
			const void *parts[] = { line, "}" };
			size_t lens[] = { (size_t)n - HASH_TAIL_LEN, 1 };
			if (!md && !(md = EVP_MD_CTX_new())) {
				snprintf(why, sizeof(why), "out of memory");
				goto bad_rec;
			}
			sha256_parts(md, parts, lens, 2, calc);
		}
		if (strcmp(calc, hash) != 0) {
			if (legacy_hash_matches(rec, hash))
				snprintf(why, sizeof(why), "the record is intact but in the format of sqlward before "
					 "2026-11-21 (its hash covers sorted canonical JSON, not the line): verify it "
					 "with that version and start a new ledger for this one");
			else
				snprintf(why, sizeof(why), "hash mismatch: record was edited (its content no "
					 "longer matches its hash)");
			goto bad_rec;
		}
		v = json_object_get(rec, "hash");
		snprintf(res->head, sizeof(res->head), "%s", json_string_value(v));
		prev_seq = seq;
		res->records++;
		res->good_bytes += line_bytes;
		json_decref(rec);
		continue;
bad_rec:
		json_decref(rec);
bad:
		res->ok = false;
		res->bad_line = lineno;
		snprintf(res->reason, sizeof(res->reason), "%s", why);
		free(line);
		EVP_MD_CTX_free(md);
		return 0;
	}
	free(line);
	EVP_MD_CTX_free(md);
	if (ferror(f)) {
		snprintf(res->reason, sizeof(res->reason), "read error after line %zu: %s",
			 lineno, strerror(errno));
		res->ok = false;
		return -1;
	}
	res->ok = true;
	return 0;
}

int sw_ledger_verify(const char *path, struct sw_verify_result *res)
{
	FILE *f = fopen(path, "re");
	int rc;

	if (!f) {
		memset(res, 0, sizeof(*res));
		strcpy(res->head, SW_LEDGER_GENESIS);
		snprintf(res->reason, sizeof(res->reason), "cannot open: %s", strerror(errno));
		return -1;
	}
	rc = verify_stream(f, res);
	fclose(f);
	return rc;
}

/* ---- open / append / close ---- */

static void sync_parent_dir(const char *path)
{
	char *copy = sw_xstrdup(path);
	int dfd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
	free(copy);
}

struct torn_tail {
	char *path;        /* where the bytes went; NULL if there was no torn tail */
	size_t len;
	char sha256[65];
};

/* Move the bytes after the last whole record to PATH.torn-SEQ and cut the ledger there. */
static int set_aside_torn_tail(int fd, const char *path, struct sw_verify_result *res, struct torn_tail *t,
			       char *err, size_t errlen)
{
	struct stat st;
	char *buf;
	int side;

	if (fstat(fd, &st) != 0 || (uint64_t)st.st_size < res->good_bytes) {
		snprintf(err, errlen, "ledger %s: cannot read its size to repair a torn last line", path);
		return -1;
	}
	t->len = (size_t)((uint64_t)st.st_size - res->good_bytes);
	buf = sw_xmalloc(t->len ? t->len : 1);
	if (pread(fd, buf, t->len, (off_t)res->good_bytes) != (ssize_t)t->len) {
		snprintf(err, errlen, "ledger %s: cannot read its torn last line: %s", path, strerror(errno));
		free(buf);
		return -1;
	}
	sw_sha256_hex(buf, t->len, t->sha256);
	t->path = sw_xasprintf("%s.torn-%zu", path, res->records + 1);
	side = open(t->path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
	if (side < 0 || write(side, buf, t->len) != (ssize_t)t->len || fsync(side) != 0) {
		snprintf(err, errlen, "ledger %s ends in a torn write (line %zu) and it could not be set aside to "
			 "%s: %s; move the incomplete last line away by hand (sqlward verify shows where)", path,
			 res->bad_line, t->path, strerror(errno));
		if (side >= 0)
			close(side);
		free(buf);
		free(t->path);
		t->path = NULL;
		return -1;
	}
	close(side);
	free(buf);
	if (ftruncate(fd, (off_t)res->good_bytes) != 0 || fdatasync(fd) != 0) {
		snprintf(err, errlen, "ledger %s: cannot cut off its torn last line (saved to %s): %s", path, t->path,
			 strerror(errno));
		free(t->path);
		t->path = NULL;
		return -1;
	}
	return 0;
}

int sw_ledger_open(const char *path, struct sw_ledger **out, char *err, size_t errlen)
{
	struct torn_tail torn = { 0 };
	struct sw_verify_result res;
	struct stat st;
	bool created = false;
	int fd, rfd, rc;
	FILE *f;

	*out = NULL;
	fd = open(path, O_RDWR | O_APPEND | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
	if (fd >= 0)
		created = true;
	else if (errno == EEXIST)
		fd = open(path, O_RDWR | O_APPEND | O_CLOEXEC);
	if (fd < 0) {
		int e = errno;
		snprintf(err, errlen, "cannot open ledger %s: %s%s", path, strerror(e),
			 e == ENOENT ? " (does its directory exist?)" :
			 e == EACCES ? " (the daemon needs read-write access to it)" : "");
		return -1;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "ledger %s is not a regular file", path);
		close(fd);
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		int e = errno;
		if (e == EWOULDBLOCK)
			snprintf(err, errlen, "ledger %s is locked by another process (is another sqlward "
				 "daemon running with this ledger?)", path);
		else
			snprintf(err, errlen, "cannot lock ledger %s: %s", path, strerror(e));
		close(fd);
		return -1;
	}
	if (created)
		sync_parent_dir(path);

	/* Verify through our own (locked) open file, not the path. */
	rfd = dup(fd);
	if (rfd < 0 || lseek(rfd, 0, SEEK_SET) != 0 || !(f = fdopen(rfd, "r"))) {
		snprintf(err, errlen, "cannot read ledger %s: %s", path, strerror(errno));
		if (rfd >= 0)
			close(rfd);
		close(fd);
		return -1;
	}
	rc = verify_stream(f, &res);
	fclose(f);
	if (rc != 0) {
		snprintf(err, errlen, "cannot read ledger %s: %s", path, res.reason);
		close(fd);
		return -1;
	}
	if (!res.ok && res.torn_tail && set_aside_torn_tail(fd, path, &res, &torn, err, errlen) != 0) {
		close(fd);
		return -1;
	}
	if (!res.ok && !res.torn_tail) {
		snprintf(err, errlen, "ledger %s is broken at line %zu: %s; nothing more will be "
			 "appended to it. Run `sqlward verify --ledger %s` and move it aside to start a "
			 "new one", path, res.bad_line, res.reason, path);
		close(fd);
		return -1;
	}

	struct sw_ledger *l = sw_xcalloc(1, sizeof(*l));
	l->fd = fd;
	l->path = sw_xstrdup(path);
	l->seq = l->file_seq = res.records;
	memcpy(l->head, res.head, sizeof(l->head));
	memcpy(l->file_head, res.head, sizeof(l->file_head));
	l->file_size = lseek(fd, 0, SEEK_END);
	l->md = EVP_MD_CTX_new();
	if (l->file_size < 0 || !l->md) {
		snprintf(err, errlen, "cannot prepare ledger %s for appending: %s", path,
			 l->file_size < 0 ? strerror(errno) : "out of memory");
		sw_ledger_close(l);
		return -1;
	}
	*out = l;
	if (torn.path) {
		json_t *f = json_pack("{s:I, s:s, s:s, s:s}", "bytes", (json_int_t)torn.len, "sha256", torn.sha256,
				      "saved_to", torn.path, "reason",
				      "the last line had no newline: a writer died in the middle of a write");
		json_t *rec = sw_daemon_record("torn_tail_set_aside", f);
		int rc2 = sw_ledger_append(l, rec, err, errlen);
		json_decref(rec);
		fprintf(stderr, "sqlward: ledger %s: an incomplete last line (%zu bytes) was moved to %s\n", path,
			torn.len, torn.path);
		free(torn.path);
		if (rc2 != 0) {
			sw_ledger_close(l);
			*out = NULL;
			return -1;
		}
	}
	return 0;
}

/* Write the pending lines. On failure nothing of them stays in the file and the
 * chain goes back to what the file holds. */
int sw_ledger_flush(struct sw_ledger *l, char *err, size_t errlen)
{
	size_t off = 0;

	if (!l->pending_len)
		return 0;
	while (off < l->pending_len) {
		ssize_t w = write(l->fd, l->pending + off, l->pending_len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			int e = w < 0 ? errno : EIO;
			size_t lost = l->pending_records;
			/* Undo a partial write so the chain stays verifiable. */
			if (off > 0 && (ftruncate(l->fd, l->file_size) != 0 || fdatasync(l->fd) != 0))
				l->broken = true;
			l->seq = l->file_seq;
			memcpy(l->head, l->file_head, sizeof(l->head));
			l->pending_len = l->pending_records = 0;
			snprintf(err, errlen, "cannot write to ledger %s: %s; %zu record%s not written%s", l->path,
				 strerror(e), lost, lost == 1 ? " was" : "s were",
				 l->broken ? " (a partial record may remain; the ledger needs repair)" : "");
			return -1;
		}
		off += (size_t)w;
	}
	l->file_size += (off_t)l->pending_len;
	l->file_seq = l->seq;
	memcpy(l->file_head, l->head, sizeof(l->file_head));
	l->pending_len = l->pending_records = 0;
	l->dirty = true;
	return 0;
}

int sw_ledger_sync(struct sw_ledger *l, char *err, size_t errlen)
{
	if (sw_ledger_flush(l, err, errlen) != 0)
		return -1;
	if (!l->dirty)
		return 0;
	if (fdatasync(l->fd) != 0) {
		/* After a failed fdatasync the page cache state is unknown: stop appending. */
		l->broken = true;
		snprintf(err, errlen, "cannot sync ledger %s: %s", l->path, strerror(errno));
		return -1;
	}
	l->dirty = false;
	return 0;
}

void sw_ledger_close(struct sw_ledger *l)
{
	char err[256];

	if (!l)
		return;
	if (l->fd >= 0 && sw_ledger_sync(l, err, sizeof(err)) != 0)
		fprintf(stderr, "sqlward: %s\n", err);
	close(l->fd); /* releases the flock */
	EVP_MD_CTX_free(l->md);
	free(l->pending);
	free(l->path);
	free(l);
}

static void pending_put(struct sw_ledger *l, const void *p, size_t n)
{
	if (l->pending_len + n > l->pending_cap) {
		size_t cap = l->pending_cap ? l->pending_cap : 64 * 1024;
		while (cap < l->pending_len + n)
			cap *= 2;
		l->pending = sw_xrealloc(l->pending, cap);
		l->pending_cap = cap;
	}
	memcpy(l->pending + l->pending_len, p, n);
	l->pending_len += n;
}

int sw_ledger_append_body(struct sw_ledger *l, const char *body, size_t len, bool sync, uint64_t *seq_out,
			  char *err, size_t errlen)
{
	char first[40], last[80], hash[65];
	size_t first_len, last_len;

	if (l->broken) {
		snprintf(err, errlen, "ledger %s: an earlier write failed and could not be undone; "
			 "restart the daemon so the ledger is verified again", l->path);
		return -1;
	}
	first_len = (size_t)snprintf(first, sizeof(first), "{\"seq\":%llu,", (unsigned long long)(l->seq + 1));
	last_len = (size_t)snprintf(last, sizeof(last), ",\"prev\":\"%s\"", l->head);
	{
		const void *parts[] = { first, body, last, "}" };
		size_t lens[] = { first_len, len, last_len, 1 };
		sha256_parts(l->md, parts, lens, 4, hash);
	}
	pending_put(l, first, first_len);
	pending_put(l, body, len);
	pending_put(l, last, last_len);
	pending_put(l, ",\"hash\":\"", 9);
	pending_put(l, hash, 64);
	pending_put(l, "\"}\n", 3);
	l->pending_records++;
	l->seq++;
	memcpy(l->head, hash, sizeof(l->head));
	if (seq_out)
		*seq_out = l->seq;
	if (sync)
		return sw_ledger_sync(l, err, errlen);
	if (l->pending_len >= PENDING_FLUSH_BYTES)
		return sw_ledger_flush(l, err, errlen);
	return 0;
}

int sw_ledger_append(struct sw_ledger *l, json_t *rec, char *err, size_t errlen)
{
	return sw_ledger_append_opts(l, rec, true, NULL, err, errlen);
}

int sw_ledger_append_opts(struct sw_ledger *l, json_t *rec, bool sync, uint64_t *seq_out,
			  char *err, size_t errlen)
{
	json_t *o, *v;
	const char *key;
	char *text, why[200];
	size_t len;
	int rc;

	if (!json_is_object(rec)) {
		snprintf(err, errlen, "ledger record is not a JSON object");
		return -1;
	}
	/* "type" and "time" first for people reading the file; seq, prev, hash are the ledger's. */
	o = json_object();
	if ((v = json_object_get(rec, "type")))
		json_object_set(o, "type", v);
	if ((v = json_object_get(rec, "time"))) {
		json_object_set(o, "time", v);
	} else {
		struct timespec now;
		char tbuf[40];
		clock_gettime(CLOCK_REALTIME, &now);
		sw_format_time(&now, tbuf, sizeof(tbuf));
		json_object_set_new(o, "time", json_string(tbuf));
	}
	json_object_foreach(rec, key, v) {
		if (strcmp(key, "seq") && strcmp(key, "type") && strcmp(key, "time") &&
		    strcmp(key, "prev") && strcmp(key, "hash"))
			json_object_set(o, key, v);
	}
	if (!check_body(o, why, sizeof(why))) {
		snprintf(err, errlen, "refusing to append an invalid ledger record: %s", why);
		json_decref(o);
		return -1;
	}
	text = json_dumps(o, SW_LEDGER_LINE_FLAGS);
	json_decref(o);
	if (!text) {
		snprintf(err, errlen, "cannot serialize ledger record");
		return -1;
	}
	/* Without the braces: the fields between seq and prev. */
	len = strlen(text);
	rc = sw_ledger_append_body(l, text + 1, len - 2, sync, seq_out, err, errlen);
	free(text);
	return rc;
}
