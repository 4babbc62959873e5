/* Rotation, retention and signed checkpoints of the daemon's ledger (ledger_upkeep.h). */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>
#include <zlib.h>
#include "ledger.h"
#include "ledger_checkpoint.h"
#include "ledger_segments.h"
#include "ledger_upkeep.h"
#include "metrics.h"
#include "notify.h"
#include "util.h"

#define DEFAULT_CHECKPOINT_EVERY 10000
#define DEFAULT_CHECKPOINT_INTERVAL_S 60

struct sw_ledger_upkeep {
	struct sw_ledger_upkeep_opts o;
	struct sw_seg_compressor *compressor;
	struct sw_notifier *notifier;
	EVP_PKEY *key;
	char ledger_id[512];
	time_t live_since;          /* when the live file was started (for rotation by time) */
	uint64_t cp_signed_seq;     /* the chain point the last checkpoint signed */
	uint64_t cp_record_seq;     /* the seq of its "checkpoint" record */
	time_t cp_time;
	time_t cp_last_try;
	time_t last_tick;           /* retention and checkpoints: at most once a second */
	bool syslog_open;
	char retain_warned[800];
};

/* ---- option values ---- */

int sw_upkeep_parse_duration(const char *s, uint64_t *out_s)
{
	char *end;
	unsigned long long v;
	uint64_t mul = 1;

	if (!s || !isdigit((unsigned char)s[0]))
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return -1;
	if (strcmp(end, "") == 0 || strcmp(end, "s") == 0)
		mul = 1;
	else if (strcmp(end, "m") == 0)
		mul = 60;
	else if (strcmp(end, "h") == 0)
		mul = 3600;
	else if (strcmp(end, "d") == 0)
		mul = 86400;
	else
		return -1;
	if (v > UINT64_MAX / mul)
		return -1;
	*out_s = v * mul;
	return 0;
}

int sw_upkeep_parse_size(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;
	uint64_t mul = 1;

	if (!s || !isdigit((unsigned char)s[0]))
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return -1;
	switch (toupper((unsigned char)*end)) {
	case '\0': mul = 1; break;
	case 'K': mul = 1ull << 10; break;
	case 'M': mul = 1ull << 20; break;
	case 'G': mul = 1ull << 30; break;
	case 'T': mul = 1ull << 40; break;
	default: return -1;
	}
	if (*end && end[1] && strcasecmp(end + 1, "B") != 0 && strcasecmp(end + 1, "iB") != 0)
		return -1;
	if (v > UINT64_MAX / mul)
		return -1;
	*out = v * mul;
	return 0;
}

int sw_ledger_upkeep_check(const struct sw_ledger_upkeep_opts *o, char *err, size_t errlen)
{
	if (o->n_checkpoint_to && !o->checkpoint_key) {
		snprintf(err, errlen, "--checkpoint-to needs --checkpoint-key FILE (an Ed25519 private key: `sqlward plan "
			 "keygen --private FILE --public PUB`)");
		return -1;
	}
	if (o->checkpoint_key && !o->n_checkpoint_to) {
		snprintf(err, errlen, "--checkpoint-key needs at least one --checkpoint-to (FILE on another mount or an "
			 "append-only file, syslog, or webhook:URL): a checkpoint kept only beside the ledger proves "
			 "nothing to someone who can rewrite both");
		return -1;
	}
	for (int i = 0; i < o->n_checkpoint_to; i++) {
		const char *t = o->checkpoint_to[i];
		if (strncmp(t, "webhook:", 8) == 0) {
			if (strncmp(t + 8, "http://", 7) != 0 && strncmp(t + 8, "https://", 8) != 0) {
				snprintf(err, errlen, "--checkpoint-to %s: a webhook is webhook:http://... or "
					 "webhook:https://...", t);
				return -1;
			}
		} else if (strcmp(t, "syslog") != 0 && t[0] != '/') {
			snprintf(err, errlen, "--checkpoint-to %s: give an absolute file path, syslog, or webhook:URL", t);
			return -1;
		}
	}
	if (o->checkpoint_key) {
		EVP_PKEY *k = sw_checkpoint_key_load(o->checkpoint_key, err, errlen);
		if (!k)
			return -1;
		EVP_PKEY_free(k);
	}
	return 0;
}

/* ---- start and stop ---- */

/* When the live file was started: its birth time where the file system keeps one, else now. */
static time_t live_file_birth(const char *path)
{
	struct statx sx;
	time_t now = time(NULL);

	if (statx(AT_FDCWD, path, 0, STATX_BTIME, &sx) == 0 && (sx.stx_mask & STATX_BTIME) &&
	    sx.stx_btime.tv_sec > 0 && sx.stx_btime.tv_sec <= now)
		return sx.stx_btime.tv_sec;
	return now;
}

/* Segments a previous daemon left uncompressed go to the compressor; half-written .gz.tmp files go. */
static void resume_compression(struct sw_ledger_upkeep *u, const char *ledger_path)
{
	char *dir = sw_segments_dir(ledger_path), err[600];
	struct sw_segment_list segs;
	DIR *d = opendir(dir);
	struct dirent *de;

	while (d && (de = readdir(d))) {
		size_t n = strlen(de->d_name);
		if (n > 7 && strcmp(de->d_name + n - 7, ".gz.tmp") == 0) {
			char *p = sw_xasprintf("%s/%s", dir, de->d_name);
			unlink(p);
			free(p);
		}
	}
	if (d)
		closedir(d);
	free(dir);
	if (sw_segments_list(ledger_path, &segs, err, sizeof(err)) != 0) {
		fprintf(stderr, "sqlward: warning: %s\n", err);
		return;
	}
	for (size_t i = 0; i < segs.n; i++)
		if (!segs.v[i].compressed)
			sw_seg_compressor_add(u->compressor, segs.v[i].path);
	sw_segments_free(&segs);
}

struct sw_ledger_upkeep *sw_ledger_upkeep_start(const struct sw_ledger_upkeep_opts *o, struct sw_ledger *l,
						struct sw_notifier *notifier, char *err, size_t errlen)
{
	struct sw_ledger_upkeep *u;
	struct sw_ledger_access access = { 0 };

	if (sw_ledger_upkeep_check(o, err, errlen) != 0)
		return NULL;
	u = sw_xcalloc(1, sizeof(*u));
	u->o = *o;
	if (!u->o.checkpoint_every)
		u->o.checkpoint_every = DEFAULT_CHECKPOINT_EVERY;
	if (!u->o.checkpoint_interval_s)
		u->o.checkpoint_interval_s = DEFAULT_CHECKPOINT_INTERVAL_S;
	u->notifier = notifier;
	if (o->checkpoint_key && !(u->key = sw_checkpoint_key_load(o->checkpoint_key, err, errlen))) {
		free(u);
		return NULL;
	}
	sw_checkpoint_ledger_id(sw_ledger_path(l), u->ledger_id, sizeof(u->ledger_id));
	u->live_since = live_file_birth(sw_ledger_path(l));
	u->cp_time = u->cp_last_try = time(NULL);
	/* The segments get the ledger file's own group (set by the daemon's --ledger-group). */
	{
		struct stat st;
		if (stat(sw_ledger_path(l), &st) == 0 && st.st_gid != getegid()) {
			access.set_group = true;
			access.group = st.st_gid;
		}
	}
	u->compressor = sw_seg_compressor_start(&access);
	resume_compression(u, sw_ledger_path(l));
	return u;
}

void sw_ledger_upkeep_stop(struct sw_ledger_upkeep *u, struct sw_ledger *l)
{
	if (!u)
		return;
	if (u->key && l)
		sw_ledger_upkeep_checkpoint(u, l);
	sw_seg_compressor_stop(u->compressor);
	EVP_PKEY_free(u->key);
	if (u->syslog_open)
		closelog();
	free(u);
}

void sw_ledger_upkeep_last_checkpoint(const struct sw_ledger_upkeep *u, uint64_t *seq, time_t *when)
{
	*seq = u && u->cp_signed_seq ? u->cp_signed_seq : 0;
	*when = u && u->cp_signed_seq ? u->cp_time : 0;
}

/* ---- rotation ---- */

static void maybe_rotate(struct sw_ledger_upkeep *u, struct sw_ledger *l, time_t now)
{
	char err[800], *seg = NULL;
	bool by_size = u->o.rotate_bytes && sw_ledger_live_bytes(l) >= u->o.rotate_bytes;
	bool by_time = u->o.rotate_interval_s && (uint64_t)(now - u->live_since) >= u->o.rotate_interval_s;
	int r;

	if (!by_size && !by_time)
		return;
	r = sw_ledger_rotate(l, &seg, err, sizeof(err));
	if (r < 0) {
		fprintf(stderr, "sqlward: ledger not rotated (records still go to the live file): %s\n", err);
		return;
	}
	u->live_since = now;
	if (r == 0)
		return;
	fprintf(stderr, "sqlward: ledger rotated (%s) into %s\n", by_size ? "size" : "age", seg);
	sw_seg_compressor_add(u->compressor, seg);
	free(seg);
}

/* ---- retention ---- */

/* The continuation point the file at path starts with (its first record). 0 or -1. */
static int first_continuation(const char *path, uint64_t *seq, char head[65])
{
	gzFile gz = gzopen(path, "rb");
	char buf[4096];
	json_t *j;
	int rc = -1;

	if (!gz)
		return -1;
	if (gzgets(gz, buf, sizeof(buf)) && (j = json_loads(buf, 0, NULL))) {
		const char *type = json_string_value(json_object_get(j, "type"));
		const char *h = json_string_value(json_object_get(j, "continues_head"));
		if (type && strcmp(type, "continuation") == 0 && h && strlen(h) == 64) {
			*seq = (uint64_t)json_integer_value(json_object_get(j, "continues_seq"));
			memcpy(head, h, 65);
			rc = 0;
		}
		json_decref(j);
	}
	gzclose(gz);
	return rc;
}

static void retain_warn(struct sw_ledger_upkeep *u, const char *msg)
{
	if (strcmp(u->retain_warned, msg) != 0)
		fprintf(stderr, "sqlward: warning: ledger retention: %s\n", msg);
	snprintf(u->retain_warned, sizeof(u->retain_warned), "%s", msg);
}

static void maybe_retain(struct sw_ledger_upkeep *u, struct sw_ledger *l, time_t now)
{
	struct sw_segment_list segs;
	uint64_t total, last_seq, cont_seq = 0;
	size_t n_remove = 0;
	char err[800], head[65], rule[120];
	json_t *files, *rec;

	if (!u->o.retain_s && !u->o.retain_bytes)
		return;
	if (sw_segments_list(sw_ledger_path(l), &segs, err, sizeof(err)) != 0) {
		retain_warn(u, err);
		return;
	}
	total = sw_ledger_live_bytes(l);
	for (size_t i = 0; i < segs.n; i++)
		total += segs.v[i].bytes;
	rule[0] = '\0';
	/* Oldest first, only compressed ones (a plain segment is still being compressed). */
	for (size_t i = 0; i < segs.n && segs.v[i].compressed; i++) {
		bool old = u->o.retain_s && now > segs.v[i].mtime && (uint64_t)(now - segs.v[i].mtime) > u->o.retain_s;
		bool big = u->o.retain_bytes && total > u->o.retain_bytes;
		if (!old && !big)
			break;
		snprintf(rule, sizeof(rule), "%s", old ? "older than --ledger-retain" : "over --ledger-retain-bytes");
		total -= segs.v[i].bytes;
		n_remove = i + 1;
	}
	if (!n_remove)
		goto out;
	last_seq = segs.v[n_remove - 1].last;
	/* The hash of the last removed record: what the next file's continuation record continues. */
	if (first_continuation(n_remove < segs.n ? segs.v[n_remove].path : sw_ledger_path(l), &cont_seq, head) != 0 ||
	    cont_seq != last_seq) {
		snprintf(err, sizeof(err), "the file after segment %s does not start with a continuation of seq %llu; "
			 "nothing is removed (run `sqlward verify` on the ledger)", segs.v[n_remove - 1].path,
			 (unsigned long long)last_seq);
		retain_warn(u, err);
		goto out;
	}
	files = json_array();
	for (size_t i = 0; i < n_remove; i++) {
		const char *slash = strrchr(segs.v[i].path, '/');
		json_array_append_new(files, json_string(slash ? slash + 1 : segs.v[i].path));
	}
	rec = sw_segments_removed_record(segs.v[0].first, last_seq, head, files, rule);
	/* Recorded and on disk before anything is deleted. */
	if (sw_ledger_append_opts(l, rec, true, NULL, err, sizeof(err)) != 0) {
		json_decref(rec);
		retain_warn(u, err);
		goto out;
	}
	json_decref(rec);
	for (size_t i = 0; i < n_remove; i++)
		if (unlink(segs.v[i].path) != 0)
			fprintf(stderr, "sqlward: warning: ledger retention: cannot remove %s: %s\n", segs.v[i].path,
				strerror(errno));
	{
		char *dir = sw_segments_dir(sw_ledger_path(l));
		int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd >= 0) {
			fsync(fd);
			close(fd);
		}
		free(dir);
	}
	fprintf(stderr, "sqlward: ledger retention removed %zu segment%s (seq %llu to %llu, %s)\n", n_remove,
		n_remove == 1 ? "" : "s", (unsigned long long)segs.v[0].first, (unsigned long long)last_seq, rule);
	u->retain_warned[0] = '\0';
out:
	sw_segments_free(&segs);
}

/* ---- checkpoints ---- */

static int send_file(const char *path, const char *line, char *err, size_t errlen)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0640);
	size_t len = strlen(line);
	ssize_t w;

	if (fd < 0) {
		snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
		return -1;
	}
	w = write(fd, line, len);
	if (w != (ssize_t)len || fdatasync(fd) != 0) {
		snprintf(err, errlen, "cannot write %s: %s", path, w < 0 || w == (ssize_t)len ? strerror(errno) :
			 "short write");
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

int sw_ledger_upkeep_checkpoint(struct sw_ledger_upkeep *u, struct sw_ledger *l)
{
	struct sw_checkpoint c = { 0 };
	struct sw_ledger_anchor a;
	struct timespec now;
	json_t *cj, *sent = json_array(), *rec;
	char err[800], *text, *line;
	uint64_t rec_seq = 0;
	int rc = 0;

	if (!u || !u->key)
		return 0;
	if (sw_ledger_sync(l, err, sizeof(err)) != 0) {
		fprintf(stderr, "sqlward: checkpoint not taken: %s\n", err);
		json_decref(sent);
		return -1;
	}
	sw_ledger_anchor(l, &a);
	if (a.seq == 0 || a.seq <= u->cp_record_seq) {
		json_decref(sent);
		return 0;  /* nothing new since the last checkpoint record */
	}
	clock_gettime(CLOCK_REALTIME, &now);
	snprintf(c.ledger_id, sizeof(c.ledger_id), "%s", u->ledger_id);
	c.seq = a.seq;
	memcpy(c.head, a.head, sizeof(c.head));
	sw_format_time(&now, c.time, sizeof(c.time));
	if (sw_checkpoint_sign(u->key, &c, err, sizeof(err)) != 0) {
		fprintf(stderr, "sqlward: checkpoint not signed: %s\n", err);
		json_decref(sent);
		return -1;
	}
	cj = sw_checkpoint_json(&c);
	text = json_dumps(cj, JSON_COMPACT | JSON_ENSURE_ASCII | JSON_PRESERVE_ORDER);
	line = sw_xasprintf("%s\n", text);
	for (int i = 0; i < u->o.n_checkpoint_to; i++) {
		const char *t = u->o.checkpoint_to[i];
		if (strcmp(t, "syslog") == 0) {
			if (!u->syslog_open)
				openlog("sqlward", LOG_PID | LOG_NDELAY, LOG_AUTHPRIV);
			u->syslog_open = true;
			syslog(LOG_AUTHPRIV | LOG_NOTICE, "ledger checkpoint %s", text);
			json_array_append_new(sent, json_string("syslog"));
		} else if (strncmp(t, "webhook:", 8) == 0) {
			json_t *body = json_deep_copy(cj);
			char red[300];
			json_object_set_new(body, "event", json_string("ledger_checkpoint"));
			if (u->notifier)
				sw_notifier_post(u->notifier, t + 8, body);
			json_decref(body);
			sw_webhook_redact(t + 8, red, sizeof(red));
			json_array_append_new(sent, json_string(u->notifier ? red : "webhook (no notifier)"));
		} else if (send_file(t, line, err, sizeof(err)) == 0) {
			json_array_append_new(sent, json_string(t));
		} else {
			fprintf(stderr, "sqlward: checkpoint of seq %llu not sent to %s: %s; fix it (the next checkpoint "
				"tries again)\n", (unsigned long long)c.seq, t, err);
			rc = -1;
		}
	}
	free(line);
	free(text);
	json_decref(cj);
	rec = sw_checkpoint_record(c.ledger_id, c.seq, c.head, c.time, c.key_id, c.signature, sent);
	if (sw_ledger_append_opts(l, rec, true, &rec_seq, err, sizeof(err)) != 0) {
		fprintf(stderr, "sqlward: checkpoint record of seq %llu not written: %s\n", (unsigned long long)c.seq, err);
		sw_ledger_note_lost(l, "checkpoint", NULL);
		rc = -1;
	}
	json_decref(rec);
	u->cp_signed_seq = c.seq;
	u->cp_record_seq = rec_seq ? rec_seq : a.seq;
	u->cp_time = now.tv_sec;
	sw_metrics_checkpoint(c.seq, now.tv_sec);
	return rc;
}

static void maybe_checkpoint(struct sw_ledger_upkeep *u, struct sw_ledger *l, time_t now)
{
	struct sw_ledger_anchor a;

	if (!u->key)
		return;
	sw_ledger_anchor(l, &a);
	if (a.seq <= u->cp_record_seq)
		return;
	if (a.seq - u->cp_signed_seq >= u->o.checkpoint_every ||
	    (uint64_t)(now - u->cp_time) >= u->o.checkpoint_interval_s) {
		/* A failing sink or ledger is retried at most once a second. */
		if (now == u->cp_last_try)
			return;
		u->cp_last_try = now;
		sw_ledger_upkeep_checkpoint(u, l);
	}
}

void sw_ledger_upkeep_tick(struct sw_ledger_upkeep *u, struct sw_ledger *l)
{
	time_t now = time(NULL);

	if (!u)
		return;
	/* Size is checked on every call (cheap), so a busy daemon does not overshoot it by much. */
	maybe_rotate(u, l, now);
	if (now == u->last_tick)
		return;
	u->last_tick = now;
	maybe_checkpoint(u, l, now);
	maybe_retain(u, l, now);
}
