/*
 * The ledger: append-only JSON Lines with a SHA-256 hash chain (ledger.h).
 *
 * Writing: one daemon holds an exclusive flock on the file and appends
 * through an O_APPEND descriptor. Records wait in memory as complete lines
 * (buf) until a flush (one write(2) for many) or a synced record, which
 * writes everything before it and fdatasyncs; a decision is recorded once
 * that sync returns. buf keeps the lines since the last good fdatasync:
 * [0, written) is in the file after synced_size (and after the released
 * lines, below), [written, buf_len) waits. So a failed write or fdatasync
 * never loses what the file should hold: the file is cut back and the lines
 * are written again on the next try.
 *
 * Releasing: while syncs are slow and records keep coming, the written lines
 * would pile up in buf (write rate x fdatasync time). Beyond
 * RELEASE_AFTER_BYTES written and unsynced, they leave memory (release_written):
 * the first rel bytes after synced_size are then in the file only, ending at
 * the chain point rel_seq/rel_head. When a sync fails they are read back
 * from the file and checked (whole lines chained from the synced end to
 * exactly that point: take_back_released) before they are written again as
 * usual; if the page cache lost them too, everything after the synced end is
 * dropped and counted like records dropped beyond SW_LEDGER_BUFFER_MAX
 * (lose_unsynced), and stderr says so.
 *
 * Syncing (ledger_sync.h): the fdatasync runs as a job of l->syncer, inline
 * or, after sw_ledger_sync_thread_start, on the sync thread. Which thread
 * touches what:
 *  - the writer's thread (the daemon's loop) owns everything in struct
 *    sw_ledger but hf: it appends, writes (write(2) goes on while a sync is
 *    out: [snap.bytes, written) is written after the job's snapshot), cuts
 *    the file back, replaces the fd, and takes in each job's result
 *    (sync_end), the only place the synced point moves;
 *  - the job (the sync thread, or inline) reads the fd it was given and owns
 *    hf, the head file, while it is out: after a good sync it records
 *    hf.next there.
 * A job is out from sync_begin until sync_end; while it is out the writer
 * never closes or replaces the fd, never touches hf, and never moves the
 * synced point (each path that would, settles the job first: sync_settle).
 * One job at a time: a sync asked for while one is out is started when that
 * one is taken in (sync_wanted), and covers everything written by then.
 * Reading/verifying streams the file line by line with getline(3), so
 * neither line length nor file size is bounded by memory beyond one line.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <pthread.h>
#include <zlib.h>
#include "ledger.h"
#include "ledger_segments.h"
#include "ledger_sync.h"
#include "json_writer.h"
#include "util.h"

/* Records lost and not yet on disk in a gap record: how many, of which kinds, when. */
#define LOSS_KINDS 8
struct loss {
	uint64_t records;
	struct {
		char name[24];
		uint64_t n;
	} kinds[LOSS_KINDS];
	size_t n_kinds;
	char first[32], last[32];
};

/* PATH.head (see ledger.h): whoever runs the syncs writes it (see the top of this file). */
struct head_file {
	const char *path;         /* the ledger's (l->path) */
	const struct sw_ledger_access *access;
	int fd;
	uint64_t seq;             /* what it says */
	bool dirty;               /* written since its last fdatasync */
	bool warned;
	uint64_t synced_ns;
	struct sw_ledger_anchor next; /* set by the writer before a job: the durable end once it synced */
};

#define SW_DROP_FLOORS 16

struct sw_ledger {
	int fd;
	char *path;
	char *dir;          /* the file's directory: statement_blob paths are relative to it */
	char *store_name;   /* "<file name>.blobs" */
	struct sw_ledger_access access;
	dev_t dev;          /* the open file, to notice a rotation by mv */
	ino_t ino;
	/* The chain including records still waiting in buf. */
	uint64_t seq;      /* last record's seq, 0 when empty */
	uint64_t live_first; /* seq of the open file's first record (the next one while it is empty) */
	char head[65];     /* last record's hash, genesis when empty */
	/* What the file holds (records written with write(2)). */
	uint64_t file_seq;
	char file_head[65];
	/* What the last successful fdatasync covered. */
	off_t synced_size;
	uint64_t synced_seq;
	char synced_head[65];
	/* Lines since the last fdatasync: [0, written) written, [written, buf_len) waiting. */
	char *buf;
	size_t buf_len, buf_cap, written;
	/* Written lines released from memory (see the top of this file): rel bytes, rel_records lines,
	 * in the file between synced_size and buf's written lines; the chain after them. */
	size_t rel, rel_records;
	uint64_t rel_seq;
	char rel_head[65];
	uint64_t sync_pending_seq; /* the record of a synced append in progress (its caller counts it if lost) */
	size_t last_start;  /* where the last line in buf starts */
	size_t buf_records, written_records; /* lines in buf, and of them written */
	bool needs_truncate; /* cutting off a failed write failed: the file may be longer than it should */
	bool write_failed;   /* the last write failed: reserve the space before the next (write_waiting) */
	bool failing;        /* the last write or fdatasync failed */
	char fail_since[32];
	char fail_error[160];
	/* The file changed under us in a way that is not a rotation: nothing is written until reopen. */
	char stuck[512];
	struct loss lost;       /* not yet described by a gap record */
	struct loss gap_queued; /* described by the gap record gap_seq, not yet on disk */
	uint64_t lost_total;     /* every record lost since open (metrics: sqlward_ledger_records_lost_total) */
	/* Drops since open (drop_waiting, lose_unsynced), and for the last SW_DROP_FLOORS of them the
	 * shortest chain since each (what survived it and every later one: seq <= floor; sw_ledger_kept). */
	uint64_t drops;
	uint64_t drop_floor[SW_DROP_FLOORS];
	uint64_t gap_seq;
	uint64_t path_checked_ns;
	/* A file at the path that sw_ledger_reopen refused (inode 0: none), and why. */
	dev_t refused_dev;
	ino_t refused_ino;
	char refused_why[640];
	/* Syncing (see the top of this file). */
	struct sw_syncer *syncer;
	sw_datasync_fn datasync;  /* tests: instead of fdatasync (NULL: fdatasync) */
	void *datasync_ctx;
	struct {                  /* what the job out covers: the file up to here */
		off_t size;
		uint64_t seq;
		char head[65];
		size_t bytes, records; /* of buf's written lines (0: a head file job only) */
	} snap;
	bool sync_wanted;         /* asked for while a job was out: start one when it is taken in */
	struct head_file hf;      /* owned by the job while one is out, else by the writer */
};

/*
 * Crash behaviour of the write batching. Records appended with sync=false
 * wait in buf until SW_LEDGER_FLUSH_BYTES wait or sw_ledger_flush/sync runs
 * (the daemon flushes on its 100 ms tick and syncs every second). A writer
 * killed with SIGKILL (or crashing) loses what is still in buf:
 *  - before (a flush after every daemon loop pass): the sync=false records
 *    of the pass it was in;
 *  - now: the sync=false records (observed statements, kernel-cache allows,
 *    completions) of up to the last 100 ms, and never more than
 *    SW_LEDGER_FLUSH_BYTES plus one record. No gap record counts them (nor
 *    did one before).
 * Unchanged: a record anything is released on is fdatasynced first (a
 * synced append, or the group commit's sw_ledger_sync before the daemon
 * releases what it decided in the pass); after a power loss the file ends at
 * the last fdatasync (at most a second back); whole lines are written in
 * order, so a restart finds the file at a record boundary, or with a last
 * line cut by a kill in the middle of a write(2), which sw_ledger_open sets
 * aside (torn_tail_set_aside) before the chain goes on.
 */
/*
 * A flush also syncs once this many bytes were written since the last sync.
 * What is written and not yet synced stays in buf (to be written again if
 * the sync fails), so this bounds the writer's memory in normal running:
 * buf holds at most this much, plus what waits (SW_LEDGER_FLUSH_BYTES) and
 * one record. At ~1 KB per record that is a sync every ~4,000 records,
 * and the daemon's 1 s tick syncs anyway below ~4,000 records a second.
 */
#define SYNC_AFTER_BYTES (4u << 20)
/* Beyond this many bytes written and not synced (a slow sync out while records keep coming), the
 * written lines leave memory (release_written). Below it nothing changes. */
#define RELEASE_AFTER_BYTES (2 * SYNC_AFTER_BYTES)
/* buf grows by doubling up to this, then in steps of it, so it does not overshoot twice the bound. */
#define BUF_STEP (1u << 20)

/* ---- small helpers ---- */

const char *sw_ledger_default_path(void)
{
	const char *e = getenv("SQLWARD_LEDGER");
	return e && *e ? e : SW_LEDGER_DEFAULT_PATH;
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


/* Every line ends with its hash: ,"hash":"<64 hex>"} */
#define HASH_TAIL_PREFIX ",\"hash\":\""
#define HASH_TAIL_LEN (sizeof(HASH_TAIL_PREFIX) - 1 + 64 + 2)
/* What the writer puts after a record's members: ,"prev":"<64 hex>","hash":"<64 hex>"}\n */
#define PREV_PREFIX ",\"prev\":\""
#define LINE_TAIL_LEN (sizeof(PREV_PREFIX) - 1 + 64 + 1 + HASH_TAIL_LEN + 1)

/* ---- record checks shared by append and verify ---- */
/* A record's hash: of its line's first len bytes (up to prev's closing quote), then "}". */
static void line_hash(const char *line, size_t len, char out[65])
{
	const void *parts[] = { line, "}" };
	size_t lens[] = { len, 1 };

	sw_sha256_parts_hex(parts, lens, 2, out);
}


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

static bool optional(json_t *rec, const char *key, json_type type, const char *tname, char *why, size_t wl)
{
	return !json_object_get(rec, key) || need(rec, key, type, tname, why, wl);
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
	if (sw_parse_rfc3339(json_string_value(json_object_get(rec, "time")), &ts) != 0) {
		snprintf(why, wl, "field \"time\" is not an RFC 3339 time");
		return false;
	}
	if (strcmp(type, "statement") == 0)
		return need(rec, "verdict", JSON_STRING, "a string", why, wl) &&
		       need(rec, "statement", JSON_STRING, "a string", why, wl) &&
		       need(rec, "statement_length", JSON_INTEGER, "an integer", why, wl) &&
		       need(rec, "statement_sha256", JSON_STRING, "a string", why, wl) &&
		       optional(rec, "statement_blob", JSON_STRING, "a string", why, wl) &&
		       optional(rec, "statement_blob_error", JSON_STRING, "a string", why, wl);
	if (strcmp(type, "daemon") == 0)
		return need(rec, "event", JSON_STRING, "a string", why, wl);
	if (strcmp(type, "continuation") == 0) {
		if (!need(rec, "continues_seq", JSON_INTEGER, "an integer", why, wl) ||
		    !need(rec, "continues_head", JSON_STRING, "a string", why, wl) ||
		    !need(rec, "reason", JSON_STRING, "a string", why, wl))
			return false;
		if (json_integer_value(json_object_get(rec, "continues_seq")) < 1 ||
		    !is_hex64(json_string_value(json_object_get(rec, "continues_head")))) {
			snprintf(why, wl, "a continuation record needs continues_seq >= 1 and a 64-hex continues_head");
			return false;
		}
		return true;
	}
	if (strcmp(type, "gap") == 0) {
		if (!need(rec, "lost", JSON_INTEGER, "an integer", why, wl) ||
		    !need(rec, "kinds", JSON_OBJECT, "an object", why, wl))
			return false;
		if (json_integer_value(json_object_get(rec, "lost")) < 1) {
			snprintf(why, wl, "a gap record needs lost >= 1");
			return false;
		}
		return true;
	}
	return true; /* other types: only the common fields */
}

/* ---- anchors and the head file ---- */

json_t *sw_ledger_anchor_json(const struct sw_ledger_anchor *a)
{
	return json_pack("{s:I, s:s}", "seq", (json_int_t)a->seq, "head", a->head);
}

int sw_ledger_anchor_from_json(json_t *j, struct sw_ledger_anchor *a, char *err, size_t errlen)
{
	json_t *seq = json_object_get(j, "seq"), *head = json_object_get(j, "head");

	if (!json_is_integer(seq) || json_integer_value(seq) < 0 || !json_is_string(head) ||
	    !is_hex64(json_string_value(head))) {
		snprintf(err, errlen, "not a chain point: it needs {\"seq\": N >= 0, \"head\": \"<64 hex>\"}");
		return -1;
	}
	a->seq = (uint64_t)json_integer_value(seq);
	snprintf(a->head, sizeof(a->head), "%s", json_string_value(head));
	return 0;
}

/* PATH.head is one line of this many bytes, rewritten in place (padded with spaces). */
#define HEAD_FILE_LEN 128

int sw_ledger_read_head_file(const char *path, struct sw_ledger_anchor *a, char *err, size_t errlen)
{
	char *hp = sw_xasprintf("%s.head", path), buf[4096], why[160];
	int fd = open(hp, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK), rc = -1;
	json_error_t jerr;
	json_t *j = NULL;
	ssize_t n;

	memset(a, 0, sizeof(*a));
	strcpy(a->head, SW_LEDGER_GENESIS);
	if (fd < 0) {
		if (errno == ENOENT)
			rc = 0;
		else
			snprintf(err, errlen, "cannot read the ledger's head file %s: %s", hp, strerror(errno));
		goto out;
	}
	n = read(fd, buf, sizeof(buf));
	close(fd);
	if (n == 0) { /* created, never written: as good as absent */
		rc = 0;
		goto out;
	}
	if (n < 0) {
		snprintf(err, errlen, "cannot read the ledger's head file %s: %s", hp, strerror(errno));
		goto out;
	}
	if (!(j = json_loadb(buf, (size_t)n, JSON_REJECT_DUPLICATES, &jerr)) ||
	    sw_ledger_anchor_from_json(j, a, why, sizeof(why)) != 0) {
		snprintf(err, errlen, "the ledger's head file %s is %s", hp, j ? why : "not valid JSON");
		json_decref(j);
		free(hp);
		errno = EINVAL;
		return -1;
	}
	rc = 1;
out:
	json_decref(j);
	free(hp);
	return rc;
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void now_text(char out[32])
{
	struct timespec now;

	clock_gettime(CLOCK_REALTIME, &now);
	sw_format_time(&now, out, 32);
}

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

static void head_file_warn(struct head_file *h, const char *what)
{
	if (!h->warned)
		fprintf(stderr, "sqlward: ledger %s: cannot %s its head file %s.head: %s (a new ledger file would "
			"not know where the chain ended; the ledger itself is fine)\n", h->path, what, h->path,
			strerror(errno));
	h->warned = true;
}

/* Record the durable chain end a in PATH.head; fdatasync it at most once a second (or with force). */
static void head_file_update(struct head_file *h, const struct sw_ledger_anchor *a, bool force)
{
	char line[HEAD_FILE_LEN + 1];
	uint64_t now = mono_ns();
	int n;

	if (a->seq && a->seq != h->seq) {
		if (h->fd < 0) {
			char *hp = sw_xasprintf("%s.head", h->path);
			bool created = access(hp, F_OK) != 0;
			h->fd = open(hp, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0640);
			if (h->fd >= 0 && (created || h->access->set_group))
				sw_ledger_apply_access(h->fd, 0640, h->access);
			if (h->fd >= 0 && created)
				sync_parent_dir(hp);
			free(hp);
			if (h->fd < 0) {
				head_file_warn(h, "open");
				return;
			}
		}
		n = snprintf(line, sizeof(line), "{\"seq\":%llu,\"head\":\"%s\"}", (unsigned long long)a->seq,
			     a->head);
		memset(line + n, ' ', (size_t)(HEAD_FILE_LEN - n));
		line[HEAD_FILE_LEN - 1] = '\n';
		if (pwrite(h->fd, line, HEAD_FILE_LEN, 0) != HEAD_FILE_LEN) {
			head_file_warn(h, "write");
			return;
		}
		h->seq = a->seq;
		h->dirty = true;
	}
	if (h->dirty && (force || now - h->synced_ns >= 1000000000u)) {
		if (fdatasync(h->fd) != 0)
			head_file_warn(h, "sync");
		h->dirty = false;
		h->synced_ns = now;
	}
}

/* Has the head file work: a durable end it does not say yet, or its once-a-second fdatasync? */
static bool head_file_due(const struct head_file *h, uint64_t durable_seq)
{
	return (durable_seq && durable_seq != h->seq) || (h->dirty && mono_ns() - h->synced_ns >= 1000000000u);
}

/* A job's second half (ledger_sync.h), on the thread that ran its sync. */
static void head_file_after_sync(void *ctx, int rc)
{
	struct head_file *h = ctx;

	if (rc == 0)
		head_file_update(h, &h->next, false);
}

/* ---- describing records for people ---- */

bool sw_ledger_describe_record(json_t *rec, char *out, size_t len)
{
	const char *type = json_string_value(json_object_get(rec, "type"));

	if (type && strcmp(type, "gap") == 0) {
		struct sw_sbuf b = { 0 };
		const char *k, *first = json_string_value(json_object_get(rec, "first_time")),
			       *last = json_string_value(json_object_get(rec, "last_time")),
			       *since = json_string_value(json_object_get(rec, "failing_since")),
			       *error = json_string_value(json_object_get(rec, "error"));
		json_t *v;
		bool any = false;

		sw_sbuf_printf(&b, "%lld records were lost (", (long long)json_integer_value(json_object_get(rec, "lost")));
		json_object_foreach(json_object_get(rec, "kinds"), k, v) {
			sw_sbuf_printf(&b, "%s%s %lld", any ? ", " : "", k, (long long)json_integer_value(v));
			any = true;
		}
		sw_sbuf_str(&b, ")");
		if (first && last)
			sw_sbuf_printf(&b, " from %s to %s", first, last);
		if (since)
			sw_sbuf_printf(&b, "; the ledger could not be written since %s", since);
		if (error)
			sw_sbuf_printf(&b, ": %s", error);
		snprintf(out, len, "%s", b.s);
		free(b.s);
		return true;
	}
	if (type && strcmp(type, "continuation") == 0) {
		const char *note = json_string_value(json_object_get(rec, "note"));
		snprintf(out, len, "continues a chain from seq %lld, head %s (%s%s%s)",
			 (long long)json_integer_value(json_object_get(rec, "continues_seq")),
			 json_string_value(json_object_get(rec, "continues_head")),
			 json_string_value(json_object_get(rec, "reason")), note ? ": " : "", note ? note : "");
		return true;
	}
	return false;
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

static void note(const struct sw_verify_opts *o, const char *kind, size_t line, uint64_t seq, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
static void note(const struct sw_verify_opts *o, const char *kind, size_t line, uint64_t seq, const char *fmt, ...)
{
	struct sw_verify_note n = { .kind = kind, .line = line, .seq = seq };
	va_list ap;
	char *text;

	if (!o->note)
		return;
	va_start(ap, fmt);
	text = sw_xvasprintf(fmt, ap);
	va_end(ap);
	n.text = text;
	o->note(o->ctx, &n);
	free(text);
}

/*
 * The first record of a file: a continuation record sets where the chain
 * picks up; with o->after it must pick up exactly there.
 */
static bool check_first(json_t *rec, long long seq, const struct sw_verify_opts *o, struct sw_verify_result *res,
			long long *prev_seq, char *why, size_t wl)
{
	bool cont = strcmp(json_string_value(json_object_get(rec, "type")), "continuation") == 0;
	uint64_t cs = 0;
	const char *ch = "";

	if (cont) {
		cs = (uint64_t)json_integer_value(json_object_get(rec, "continues_seq"));
		ch = json_string_value(json_object_get(rec, "continues_head"));
		res->continues = true;
		snprintf(res->continued_reason, sizeof(res->continued_reason), "%s",
			 json_string_value(json_object_get(rec, "reason")));
		res->continued.seq = cs;
		snprintf(res->continued.head, sizeof(res->continued.head), "%s", ch);
		*prev_seq = (long long)cs;
		snprintf(res->head, sizeof(res->head), "%s", ch);
		if (o->probe_seq && o->probe_seq == cs) {
			res->probe_found = true;
			snprintf(res->probe_head, sizeof(res->probe_head), "%s", ch);
		}
	}
	if (!o->after)
		return true;
	if (!cont) {
		snprintf(why, wl, "the file does not continue the previous one (which ends at seq %llu, head %.16s...): "
			 "its first record is seq %lld%s, not a continuation record", (unsigned long long)o->after->seq,
			 o->after->head, seq, seq == 1 ? " (a new chain)" : "");
		return false;
	}
	if (cs == o->after->seq && strcmp(ch, o->after->head) == 0)
		return true;
	if (cs > o->after->seq)
		snprintf(why, wl, "the file continues seq %llu but the previous file ends at seq %llu: records %llu to "
			 "%llu are missing between them (a copytruncate rotation loses what is written between its "
			 "copy and its truncate)", (unsigned long long)cs, (unsigned long long)o->after->seq,
			 (unsigned long long)o->after->seq + 1, (unsigned long long)cs);
	else if (cs < o->after->seq)
		snprintf(why, wl, "the file continues seq %llu but the previous file goes on to seq %llu: the files "
			 "overlap or are not given oldest first", (unsigned long long)cs,
			 (unsigned long long)o->after->seq);
	else
		snprintf(why, wl, "the file continues seq %llu with head %.16s..., but the previous file's record %llu "
			 "has head %.16s...: they are not the same chain", (unsigned long long)cs, ch,
			 (unsigned long long)cs, o->after->head);
	return false;
}

/* What a good record adds to the result: gaps, continuations, statement blobs. */
static void take_record(json_t *rec, size_t lineno, uint64_t seq, const char *blob_base,
			const struct sw_verify_opts *o, struct sw_verify_result *res)
{
	const char *type = json_string_value(json_object_get(rec, "type"));
	char text[1024];

	if (o->record)
		o->record(o->ctx, seq, json_string_value(json_object_get(rec, "hash")), rec);
	if (sw_ledger_describe_record(rec, text, sizeof(text))) {
		if (strcmp(type, "gap") == 0) {
			res->gaps++;
			res->lost += (uint64_t)json_integer_value(json_object_get(rec, "lost"));
		}
		note(o, type, lineno, seq, "%s", text);
		return;
	}
	if (strcmp(type, "statement") != 0)
		return;
	{
		const char *rel = json_string_value(json_object_get(rec, "statement_blob"));
		const char *berr = json_string_value(json_object_get(rec, "statement_blob_error"));
		const char *sha = json_string_value(json_object_get(rec, "statement_sha256"));
		json_int_t len = json_integer_value(json_object_get(rec, "statement_length"));
		char why[512];

		if (berr) {
			res->texts_not_kept++;
			note(o, "text_not_kept", lineno, seq, "the full text (%lld bytes) could not be kept, only its "
			     "first bytes: %s", (long long)len, berr);
		}
		if (!rel || o->skip_blobs)
			return;
		if (len < 0)
			snprintf(why, sizeof(why), "statement_length is negative");
		else if (sw_blob_read(blob_base, rel, sha, (uint64_t)len, NULL, NULL, why, sizeof(why)) == 0) {
			res->blobs++;
			return;
		}
		if (!res->blob_errors++) {
			res->blob_bad_line = lineno;
			snprintf(res->blob_reason, sizeof(res->blob_reason), "%s", why);
		}
		note(o, "blob_error", lineno, seq, "%s", why);
	}
}

static int verify_stream(FILE *f, const char *blob_base, const struct sw_verify_opts *o, struct sw_verify_result *res)
{
	static const struct sw_verify_opts defaults;
	char *line = NULL;
	size_t cap = 0, lineno = 0;
	ssize_t n;
	long long prev_seq = 0;
	char why[512];

	if (!o)
		o = &defaults;
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
		if (lineno == 1 && !check_first(rec, seq, o, res, &prev_seq, why, sizeof(why)))
			goto bad_rec;
		if (lineno > 1 && strcmp(json_string_value(json_object_get(rec, "type")), "continuation") == 0) {
			snprintf(why, sizeof(why), "a continuation record in the middle of a file: it may only be a "
				 "file's first record (were files joined, or a record inserted?)");
			goto bad_rec;
		}
		if (seq != prev_seq + 1) {
			if (lineno == 1 && res->continues)
				snprintf(why, sizeof(why), "seq is %lld, but the continuation record says it continues "
					 "seq %lld", seq, prev_seq);
			else if (lineno == 1)
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
			if (lineno == 1 && res->continues)
				snprintf(why, sizeof(why), "prev is not the continues_head of the continuation record");
			else if (lineno == 1)
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
		line_hash(line, (size_t)n - HASH_TAIL_LEN, calc);
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
		if (!res->first_seq)
			res->first_seq = (uint64_t)seq;
		res->last_seq = (uint64_t)seq;
		if (o->probe_seq && o->probe_seq == (uint64_t)seq) {
			res->probe_found = true;
			snprintf(res->probe_head, sizeof(res->probe_head), "%s", res->head);
		}
		take_record(rec, lineno, (uint64_t)seq, blob_base, o, res);
		json_decref(rec);
		continue;
bad_rec:
		json_decref(rec);
bad:
		res->ok = false;
		res->bad_line = lineno;
		snprintf(res->reason, sizeof(res->reason), "%s", why);
		free(line);
		return 0;
	}
	free(line);
	if (ferror(f)) {
		snprintf(res->reason, sizeof(res->reason), "read error after line %zu: %s",
			 lineno, strerror(errno));
		res->ok = false;
		return -1;
	}
	res->ok = res->blob_errors == 0;
	return 0;
}

/* A compressed segment read as a stream (fopencookie over zlib). */
struct gz_cookie {
	gzFile gz;
	char error[200];
};

static ssize_t gz_cookie_read(void *c, char *buf, size_t size)
{
	struct gz_cookie *g = c;
	int n = gzread(g->gz, buf, size > INT32_MAX ? INT32_MAX : (unsigned)size), zerr;
	const char *m = gzerror(g->gz, &zerr);

	/* A cut-off gzip stream reads as an end with Z_BUF_ERROR: that is damage, not an end. */
	if (n < 0 || (n == 0 && zerr != Z_OK && zerr != Z_STREAM_END)) {
		snprintf(g->error, sizeof(g->error), "%s", zerr == Z_ERRNO ? strerror(errno) : m);
		errno = EIO;
		return -1;
	}
	return n;
}

static int gz_cookie_close(void *c)
{
	struct gz_cookie *g = c;

	gzclose(g->gz);
	return 0;
}

static bool is_gz_path(const char *path)
{
	size_t n = strlen(path);
	return n > 3 && strcmp(path + n - 3, ".gz") == 0;
}

int sw_ledger_verify_opts(const char *path, const struct sw_verify_opts *o, struct sw_verify_result *res)
{
	struct gz_cookie gc = { 0 };
	FILE *f = NULL;
	char *copy = sw_xstrdup(path);
	int rc;

	if (is_gz_path(path)) {
		gc.gz = gzopen(path, "rb");
		if (gc.gz && !(f = fopencookie(&gc, "r", (cookie_io_functions_t){ .read = gz_cookie_read,
										 .close = gz_cookie_close })))
			gzclose(gc.gz);
	} else {
		f = fopen(path, "re");
	}
	if (!f) {
		memset(res, 0, sizeof(*res));
		strcpy(res->head, SW_LEDGER_GENESIS);
		snprintf(res->reason, sizeof(res->reason), "cannot open: %s", strerror(errno));
		free(copy);
		return -1;
	}
	rc = verify_stream(f, o && o->blob_base ? o->blob_base : dirname(copy), o, res);
	fclose(f);
	if (rc != 0 && gc.error[0])
		snprintf(res->reason, sizeof(res->reason), "the compressed segment is damaged after line %zu (%s): "
			 "restore it from a backup", res->records, gc.error);
	free(copy);
	return rc;
}

int sw_ledger_verify(const char *path, struct sw_verify_result *res)
{
	return sw_ledger_verify_opts(path, NULL, res);
}

/* Verify through an open descriptor (our locked file, not whatever the path names now). */
static int verify_fd(int fd, const char *dir, const struct sw_verify_opts *o, struct sw_verify_result *res)
{
	int rfd = dup(fd), rc;
	FILE *f;

	if (rfd < 0 || lseek(rfd, 0, SEEK_SET) != 0 || !(f = fdopen(rfd, "r"))) {
		memset(res, 0, sizeof(*res));
		snprintf(res->reason, sizeof(res->reason), "%s", strerror(errno));
		if (rfd >= 0)
			close(rfd);
		return -1;
	}
	rc = verify_stream(f, dir, o, res);
	fclose(f);
	return rc;
}

/* ---- the write buffer ---- */

/* Bytes written since the last good fdatasync (released or in buf). */
static size_t unsynced(const struct sw_ledger *l)
{
	return l->rel + l->written;
}

static off_t file_size(const struct sw_ledger *l)
{
	return l->synced_size + (off_t)unsynced(l);
}

/* Room for n more bytes in buf. */
static void buf_reserve(struct sw_ledger *l, size_t n)
{
	if (l->buf_len + n > l->buf_cap) {
		size_t cap = l->buf_cap ? l->buf_cap : 64 * 1024;
		while (cap < l->buf_len + n)
			cap = cap < BUF_STEP ? 2 * cap : (l->buf_len + n + BUF_STEP - 1) / BUF_STEP * BUF_STEP;
		l->buf = sw_xrealloc(l->buf, cap);
		l->buf_cap = cap;
	}
}

/* v in decimal at o; the end of the digits. */
static char *put_u64(char *o, uint64_t v)
{
	char tmp[20];
	size_t n = 0;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (n)
		*o++ = tmp[--n];
	return o;
}

#define SEQ_PREFIX "{\"seq\":"

/*
 * Add the line of a record with these members as the chain's next record:
 * {"seq":N,<body>,"prev":"<head>","hash":"<hash>"}\n, written in place in buf
 * (no formatting through stdio, one copy of the body) and hashed from there:
 * the hash covers the line up to prev's closing quote, then "}".
 */
static void put_record(struct sw_ledger *l, const char *body, size_t len)
{
	size_t start = l->buf_len;
	char *b, *o;

	buf_reserve(l, sizeof(SEQ_PREFIX) - 1 + 20 + 1 + len + LINE_TAIL_LEN);
	b = o = l->buf + start;
	memcpy(o, SEQ_PREFIX, sizeof(SEQ_PREFIX) - 1);
	o = put_u64(o + sizeof(SEQ_PREFIX) - 1, l->seq + 1);
	*o++ = ',';
	memcpy(o, body, len);
	o += len;
	memcpy(o, PREV_PREFIX, sizeof(PREV_PREFIX) - 1);
	o += sizeof(PREV_PREFIX) - 1;
	memcpy(o, l->head, 64);
	o += 64;
	*o++ = '"';
	line_hash(b, (size_t)(o - b), l->head); /* the new head (its prev is in the line already) */
	memcpy(o, HASH_TAIL_PREFIX, sizeof(HASH_TAIL_PREFIX) - 1);
	o += sizeof(HASH_TAIL_PREFIX) - 1;
	memcpy(o, l->head, 64);
	o += 64;
	*o++ = '"';
	*o++ = '}';
	*o++ = '\n';
	l->last_start = start;
	l->buf_records++;
	l->buf_len = (size_t)(o - l->buf);
	l->seq++;
}

/* Lines the writer made: {"seq":N,<members>,"prev":"<64>","hash":"<64>"}\n */
static uint64_t line_seq(const char *line)
{
	return strtoull(line + 7, NULL, 10);
}

static const char *line_body(const char *line, size_t n, size_t *len)
{
	const char *comma = memchr(line, ',', n);
	*len = (size_t)(line + n - LINE_TAIL_LEN - (comma + 1));
	return comma + 1;
}

/* The record's "type" and "time" (its first two members). */
static void line_kind_time(const char *line, size_t n, char kind[24], char time[32])
{
	size_t blen;
	const char *b = line_body(line, n, &blen), *end = b + blen, *q;

	snprintf(kind, 24, "record");
	time[0] = '\0';
	if (blen > 8 && memcmp(b, "\"type\":\"", 8) == 0 && (q = memchr(b + 8, '"', (size_t)(end - b - 8)))) {
		snprintf(kind, 24, "%.*s", (int)(q - b - 8), b + 8);
		b = q + 1;
		if (end - b > 9 && memcmp(b, ",\"time\":\"", 9) == 0 && (q = memchr(b + 9, '"', (size_t)(end - b - 9))))
			snprintf(time, 32, "%.*s", (int)(q - b - 9), b + 9);
	}
}

/* Next line of buf from *off (which advances); NULL at the end. */
static const char *next_line(const struct sw_ledger *l, size_t *off, size_t *n)
{
	const char *line = l->buf + *off, *nl;

	if (*off >= l->buf_len)
		return NULL;
	nl = memchr(line, '\n', l->buf_len - *off);
	*n = (size_t)(nl - line) + 1;
	*off += *n;
	return line;
}

static void set_last_start(struct sw_ledger *l)
{
	const char *nl = l->buf_len > 1 ? memrchr(l->buf, '\n', l->buf_len - 1) : NULL;
	l->last_start = nl ? (size_t)(nl - l->buf) + 1 : 0;
}

/* ---- loss accounting ---- */

static void loss_add(struct loss *s, const char *kind, const char *first, const char *last, uint64_t n)
{
	size_t i;

	if (!n)
		return;
	for (i = 0; i < s->n_kinds && strcmp(s->kinds[i].name, kind) != 0; i++)
		;
	if (i == s->n_kinds) {
		if (i == LOSS_KINDS) {
			i = LOSS_KINDS - 1;
			kind = "other";
		} else {
			s->n_kinds++;
		}
		snprintf(s->kinds[i].name, sizeof(s->kinds[i].name), "%s", kind);
	}
	s->kinds[i].n += n;
	s->records += n;
	if (first && *first && (!*s->first || strcmp(first, s->first) < 0))
		snprintf(s->first, sizeof(s->first), "%s", first);
	if (last && *last && (!*s->last || strcmp(last, s->last) > 0))
		snprintf(s->last, sizeof(s->last), "%s", last);
}

static void loss_merge(struct loss *dst, const struct loss *src)
{
	for (size_t i = 0; i < src->n_kinds; i++)
		loss_add(dst, src->kinds[i].name, src->first, src->last, src->kinds[i].n);
}

void sw_ledger_note_lost(struct sw_ledger *l, const char *kind, const struct timespec *when)
{
	struct timespec now;
	char t[32];

	if (!when) {
		clock_gettime(CLOCK_REALTIME, &now);
		when = &now;
	}
	sw_format_time(when, t, sizeof(t));
	loss_add(&l->lost, kind && *kind ? kind : "record", t, t, 1);
	l->lost_total++;
}

uint64_t sw_ledger_lost(const struct sw_ledger *l)
{
	return l->lost.records + l->gap_queued.records;
}

uint64_t sw_ledger_lost_total(const struct sw_ledger *l)
{
	return l->lost_total;
}

bool sw_ledger_failing(const struct sw_ledger *l)
{
	return l->failing || l->stuck[0];
}

/* Serialize rec for a line: "type" and "time" first, seq/prev/hash left to the ledger. */
static char *record_text(json_t *rec, char *err, size_t errlen)
{
	json_t *o, *v;
	const char *key;
	char *text, why[200];

	if (!json_is_object(rec)) {
		snprintf(err, errlen, "ledger record is not a JSON object");
		return NULL;
	}
	/* "type" and "time" first for people reading the file; seq, prev, hash are the ledger's. */
	o = json_object();
	if ((v = json_object_get(rec, "type")))
		json_object_set(o, "type", v);
	if ((v = json_object_get(rec, "time"))) {
		json_object_set(o, "time", v);
	} else {
		char tbuf[32];
		now_text(tbuf);
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
		return NULL;
	}
	text = json_dumps(o, SW_LEDGER_LINE_FLAGS);
	json_decref(o);
	if (!text)
		snprintf(err, errlen, "cannot serialize ledger record");
	return text;
}

/* Put a record the ledger makes itself (gap, continuation, repair notes). */
static void put_own_record(struct sw_ledger *l, json_t *rec)
{
	char err[256], *text = record_text(rec, err, sizeof(err));

	if (!text) {
		fprintf(stderr, "sqlward: internal error: %s\n", err);
		abort();
	}
	put_record(l, text + 1, strlen(text) - 2); /* without the braces */
	free(text);
	json_decref(rec);
}

/* The records lost so far become a gap record, the next in the chain. */
static void queue_gap(struct sw_ledger *l)
{
	json_t *kinds = json_object();

	for (size_t i = 0; i < l->lost.n_kinds; i++)
		json_object_set_new(kinds, l->lost.kinds[i].name, json_integer((json_int_t)l->lost.kinds[i].n));
	l->gap_queued = l->lost;
	memset(&l->lost, 0, sizeof(l->lost));
	put_own_record(l, sw_gap_record(l->gap_queued.records, kinds, l->gap_queued.first, l->gap_queued.last,
					 l->failing ? l->fail_since : NULL, l->fail_error));
	l->gap_seq = l->seq;
}

/* A gap record that was not kept: what it counted is lost again. */
static void gap_lost(struct sw_ledger *l)
{
	loss_merge(&l->lost, &l->gap_queued);
	memset(&l->gap_queued, 0, sizeof(l->gap_queued));
	l->gap_seq = 0;
}

/* Drop buf's lines from offset from on, counting them for the gap record (not a synced append's
 * record in progress: its caller counts it); the number counted. */
static uint64_t drop_lines(struct sw_ledger *l, size_t from)
{
	size_t off = from, n;
	uint64_t dropped = 0;
	const char *line;

	while ((line = next_line(l, &off, &n))) {
		char kind[24], time[32];
		if (line_seq(line) == l->gap_seq) {
			gap_lost(l);
			continue;
		}
		if (line_seq(line) == l->sync_pending_seq)
			continue;
		line_kind_time(line, n, kind, time);
		loss_add(&l->lost, kind, time, time, 1);
		dropped++;
	}
	l->buf_len = from;
	set_last_start(l);
	return dropped;
}

/* Records after the chain's new end (l->seq) were dropped: count the drop for sw_ledger_kept. Every
 * earlier drop's floor comes down to it, so a floor is the shortest chain since its drop. */
static void note_drop(struct sw_ledger *l, uint64_t dropped)
{
	for (size_t i = 0; i < SW_DROP_FLOORS; i++)
		if (l->drop_floor[i] > l->seq)
			l->drop_floor[i] = l->seq;
	l->lost_total += dropped;
	l->drop_floor[l->drops % SW_DROP_FLOORS] = l->seq;
	l->drops++;
}

/* Waiting lines beyond what memory may hold: drop them, counting them for the gap record. */
static uint64_t drop_waiting(struct sw_ledger *l)
{
	uint64_t dropped = drop_lines(l, l->written);

	l->buf_records = l->written_records;
	l->seq = l->file_seq;
	memcpy(l->head, l->file_head, sizeof(l->head));
	note_drop(l, dropped);
	return dropped;
}

/* Take the last record (a synced one that failed, not written) out of the chain. */
static void drop_last(struct sw_ledger *l)
{
	const char *line = l->buf + l->last_start;
	size_t n = l->buf_len - l->last_start;

	l->seq = line_seq(line) - 1;
	memcpy(l->head, line + n - LINE_TAIL_LEN + sizeof(PREV_PREFIX) - 1, 64);
	l->head[64] = '\0';
	l->buf_len = l->last_start;
	l->buf_records--;
	set_last_start(l);
}

/* ---- writing ---- */

static void set_stuck(struct sw_ledger *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void set_stuck(struct sw_ledger *l, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(l->stuck, sizeof(l->stuck), fmt, ap);
	va_end(ap);
}

/*
 * The chain goes on in an empty file: first a continuation of the last record
 * written (to the file before), then the waiting records, renumbered after it.
 * What was written and not synced stays with the file before.
 */
static void restart_in_empty_file(struct sw_ledger *l, const char *reason, const char *note_text)
{
	char *old = l->buf;
	size_t old_len = l->buf_len, off = l->written, n;
	uint64_t old_gap = l->gap_seq;
	const char *line;

	if (sw_syncer_busy(l->syncer)) {
		fprintf(stderr, "sqlward: internal error: the ledger restarted in a new file while a sync was out\n");
		abort();
	}
	if (old_gap && old_gap <= l->file_seq) { /* the gap record went with the file before */
		memset(&l->gap_queued, 0, sizeof(l->gap_queued));
		old_gap = 0;
	}
	l->buf = NULL;
	l->buf_len = l->buf_cap = l->written = 0;
	l->buf_records = l->written_records = 0;
	l->rel = l->rel_records = 0; /* went with the file before, as the written lines did */
	l->synced_size = 0;
	l->synced_seq = l->file_seq;
	memcpy(l->synced_head, l->file_head, sizeof(l->synced_head));
	l->seq = l->file_seq;
	memcpy(l->head, l->file_head, sizeof(l->head));
	l->live_first = l->file_seq + 1;
	put_own_record(l, sw_continuation_record(l->file_seq, l->file_head, reason, note_text));
	l->gap_seq = 0;
	{
		/* Walk the old waiting lines (next_line reads a ledger's buf: a view of the old one). */
		struct sw_ledger view = { .buf = old, .buf_len = old_len };
		while ((line = next_line(&view, &off, &n))) {
			size_t blen;
			const char *body = line_body(line, n, &blen);
			if (line_seq(line) == old_gap)
				l->gap_seq = l->seq + 1;
			put_record(l, body, blen);
		}
	}
	free(old);
}

/* The file was truncated to zero under us (copytruncate): what was written went with the rotated copy. */
static void continue_after_truncation(struct sw_ledger *l, off_t old_size)
{
	char note_text[200];

	snprintf(note_text, sizeof(note_text), "the file was truncated from %lld bytes to 0 under the writer (a "
		 "copytruncate rotation); the records before this one are in the rotated copy", (long long)old_size);
	restart_in_empty_file(l, "copytruncate", note_text);
	fprintf(stderr, "sqlward: ledger %s was truncated to 0 bytes (copytruncate rotation): continuing the chain "
		"from seq %llu in the emptied file\n", l->path, (unsigned long long)l->synced_seq);
}

static int sync_settle(struct sw_ledger *l, char *err, size_t errlen);

/* Before writing: is the file still what we wrote (or emptied by a rotation)? */
static int check_file(struct sw_ledger *l, char *why, size_t wl)
{
	off_t want = file_size(l);
	struct stat st;

	if (l->needs_truncate) {
		if (ftruncate(l->fd, want) != 0) {
			snprintf(why, wl, "cannot cut off an earlier failed write: %s", strerror(errno));
			return -1;
		}
		l->needs_truncate = false;
	}
	if (fstat(l->fd, &st) != 0) {
		snprintf(why, wl, "cannot read the file's size: %s", strerror(errno));
		return -1;
	}
	if (st.st_size == want)
		return 0;
	if (sw_syncer_busy(l->syncer)) {
		/* The sync out may have failed and cut the file back: take it in, then look again. */
		char serr[700];
		sync_settle(l, serr, sizeof(serr));
		return check_file(l, why, wl);
	}
	if (st.st_size == 0) {
		continue_after_truncation(l, want);
		return 0;
	}
	set_stuck(l, "ledger %s is %lld bytes but the writer wrote %lld: another process %s it, so nothing more is "
		  "written to it. Keep it as evidence: move it aside and send SIGHUP (or restart the daemon) to go on "
		  "in a new file continuing seq %llu", l->path, (long long)st.st_size, (long long)want,
		  st.st_size < want ? "cut" : "wrote to", (unsigned long long)l->file_seq);
	snprintf(why, wl, "%s", l->stuck);
	return -1;
}

/* Take b bytes (records lines) of written lines off buf's front. */
static void buf_consume(struct sw_ledger *l, size_t b, size_t records)
{
	memmove(l->buf, l->buf + b, l->buf_len - b);
	l->buf_len -= b;
	l->last_start = l->buf_len ? l->last_start - b : 0;
	l->buf_records -= records;
	l->written -= b;
	l->written_records -= records;
}

/* Grown past the normal bound (while writing failed, for a burst of large records, or before the
 * written lines were released): give the memory back once it is free (a big buf is an mmap of its
 * own, daemon_memory.c, so a smaller realloc returns it). */
static void buf_shrink(struct sw_ledger *l)
{
	if (l->buf_cap > 2 * (SYNC_AFTER_BYTES + SW_LEDGER_FLUSH_BYTES) && l->buf_len < SW_LEDGER_FLUSH_BYTES) {
		l->buf_cap = SYNC_AFTER_BYTES + SW_LEDGER_FLUSH_BYTES;
		l->buf = sw_xrealloc(l->buf, l->buf_cap);
	}
}

/* Beyond RELEASE_AFTER_BYTES unsynced, the written lines leave memory (see the top of this file). */
static void release_written(struct sw_ledger *l)
{
	if (!l->written || unsynced(l) <= RELEASE_AFTER_BYTES)
		return;
	l->rel += l->written;
	l->rel_records += l->written_records;
	l->rel_seq = l->file_seq;
	memcpy(l->rel_head, l->file_head, sizeof(l->rel_head));
	buf_consume(l, l->written, l->written_records);
	buf_shrink(l);
}

/* Are these bytes, read back from after synced_size, the released lines: whole lines the writer
 * made, chained from the synced end to exactly rel_seq/rel_head? p[len] is a NUL. */
static bool released_lines_intact(const struct sw_ledger *l, const char *p, size_t len, char *why, size_t wl)
{
	const char *end = p + len, *nl;
	uint64_t seq = l->synced_seq;
	size_t records = 0;
	char head[65], calc[65];

	memcpy(head, l->synced_head, sizeof(head));
	for (; p < end; p = nl + 1) {
		size_t n; /* with its newline */
		if (!(nl = memchr(p, '\n', (size_t)(end - p)))) {
			snprintf(why, wl, "they end in a torn line after seq %llu", (unsigned long long)seq);
			return false;
		}
		n = (size_t)(nl - p) + 1;
		if (n < sizeof(SEQ_PREFIX) + LINE_TAIL_LEN || memcmp(p, SEQ_PREFIX, sizeof(SEQ_PREFIX) - 1) != 0 ||
		    line_seq(p) != seq + 1 || memcmp(p + n - LINE_TAIL_LEN, PREV_PREFIX, sizeof(PREV_PREFIX) - 1) != 0 ||
		    memcmp(p + n - LINE_TAIL_LEN + sizeof(PREV_PREFIX) - 1, head, 64) != 0 ||
		    memcmp(p + n - 1 - HASH_TAIL_LEN, HASH_TAIL_PREFIX, sizeof(HASH_TAIL_PREFIX) - 1) != 0 ||
		    memcmp(p + n - 3, "\"}", 2) != 0) {
			snprintf(why, wl, "the line after seq %llu is not the record the writer wrote there",
				 (unsigned long long)seq);
			return false;
		}
		line_hash(p, n - 1 - HASH_TAIL_LEN, calc);
		if (memcmp(calc, p + n - 1 - HASH_TAIL_LEN + sizeof(HASH_TAIL_PREFIX) - 1, 64) != 0) {
			snprintf(why, wl, "record seq %llu does not match its hash", (unsigned long long)seq + 1);
			return false;
		}
		memcpy(head, calc, sizeof(head));
		seq++;
		records++;
	}
	if (seq != l->rel_seq || strcmp(head, l->rel_head) != 0 || records != l->rel_records) {
		snprintf(why, wl, "they end at seq %llu, not at seq %llu where the writer's lines ended",
			 (unsigned long long)seq, (unsigned long long)l->rel_seq);
		return false;
	}
	return true;
}

/* The released lines could not be taken back: drop every record after the synced end (they chain
 * from them), counted for the gap record and for sw_ledger_kept, and say so. */
static void lose_unsynced(struct sw_ledger *l, const char *why)
{
	uint64_t first = l->synced_seq + 1, last = l->seq, gone = l->rel_records, dropped;

	if (l->gap_seq > l->synced_seq && l->gap_seq <= l->rel_seq) { /* the gap record was released */
		gap_lost(l);
		gone--;
	}
	if (l->sync_pending_seq > l->synced_seq && l->sync_pending_seq <= l->rel_seq)
		gone--; /* a synced append's record: its caller counts it */
	loss_add(&l->lost, "record", NULL, NULL, gone); /* their kinds and times went with them */
	dropped = gone + drop_lines(l, 0);
	l->buf_records = l->written = l->written_records = 0;
	l->rel = l->rel_records = 0;
	l->seq = l->synced_seq;
	memcpy(l->head, l->synced_head, sizeof(l->head));
	note_drop(l, dropped);
	buf_shrink(l);
	fprintf(stderr, "sqlward: ledger %s: an fdatasync failed, and the records written since the last good one "
		"(seq %llu to %llu) could not be written again: those kept only in the file are not intact there "
		"(%s), so the page cache lost them too. %llu records are lost; a gap record counts them and verify "
		"shows it. The disk loses written data: check it (dmesg, smartctl) and move the ledger to a good "
		"one\n", l->path, (unsigned long long)first, (unsigned long long)last, why,
		(unsigned long long)dropped);
}

/* After a failed fdatasync, before the cut: the released lines back in front of buf, read from the
 * file and checked (a failed fdatasync may have lost the dirty pages: nothing unchecked is written
 * again), or everything since the synced end lost (lose_unsynced). */
static void take_back_released(struct sw_ledger *l)
{
	size_t len = l->rel, off = 0;
	char *back, why[200] = "";

	if (!len)
		return;
	back = sw_xmalloc(len + l->buf_len + 1);
	while (off < len) {
		ssize_t r = pread(l->fd, back + off, len - off, l->synced_size + (off_t)off);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			snprintf(why, sizeof(why), "reading them back failed: %s",
				 r < 0 ? strerror(errno) : "the file is shorter than what was written");
			break;
		}
		off += (size_t)r;
	}
	back[off] = '\0';
	if (*why || !released_lines_intact(l, back, len, why, sizeof(why))) {
		free(back);
		lose_unsynced(l, why);
		return;
	}
	memcpy(back + len, l->buf, l->buf_len);
	free(l->buf);
	l->buf = back;
	l->buf_cap = len + l->buf_len + 1;
	l->buf_len += len;
	if (l->buf_len == len)
		set_last_start(l);
	else
		l->last_start += len;
	l->buf_records += l->rel_records;
	l->written += len;
	l->written_records += l->rel_records;
	l->rel = l->rel_records = 0;
}

/* write(2) the waiting lines. On failure nothing of them stays in the file. */
static int write_waiting(struct sw_ledger *l, char *why, size_t wl)
{
	for (int attempt = 0; attempt < 2; attempt++) {
		off_t base, end;
		size_t n, off = 0;

		if (check_file(l, why, wl) != 0)
			return -1;
		base = file_size(l);
		n = l->buf_len - l->written;
		/*
		 * After a failed write (a full disk), ask for the space first: a retry that fails
		 * then writes nothing, instead of a torn line a reader (verify) could see until it
		 * is cut off again. Not on every write: the reservation costs a call and an extent.
		 */
		if (l->write_failed && fallocate(l->fd, FALLOC_FL_KEEP_SIZE, base, (off_t)n) != 0 &&
		    errno != EOPNOTSUPP && errno != ENOSYS) {
			snprintf(why, wl, "%s", strerror(errno));
			return -1;
		}
		while (off < n) {
			ssize_t w = write(l->fd, l->buf + l->written + off, n - off);
			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0) {
				int e = w < 0 ? errno : EIO;
				/* Undo a partial write so the chain stays verifiable. */
				if (off > 0 && ftruncate(l->fd, base) != 0)
					l->needs_truncate = true;
				l->write_failed = true;
				snprintf(why, wl, "%s", strerror(e));
				return -1;
			}
			off += (size_t)w;
		}
		end = lseek(l->fd, 0, SEEK_CUR); /* O_APPEND: the file's end after our write */
		if (end == base + (off_t)n) {
			l->write_failed = false;
			l->written = l->buf_len;
			l->written_records = l->buf_records;
			l->file_seq = l->seq;
			memcpy(l->file_head, l->head, sizeof(l->file_head));
			return 0;
		}
		if (end >= 0 && end <= (off_t)n && base > 0 && ftruncate(l->fd, 0) == 0)
			continue; /* truncated just before or while we wrote: start the emptied file properly */
		set_stuck(l, "ledger %s changed while the writer wrote to it (it should end at %lld, it ends at %lld): "
			  "another process writes to it. Keep it as evidence: move it aside and send SIGHUP (or restart "
			  "the daemon) to go on in a new file", l->path, (long long)(base + (off_t)n), (long long)end);
		snprintf(why, wl, "%s", l->stuck);
		return -1;
	}
	snprintf(why, wl, "the file keeps being truncated while the writer writes");
	return -1;
}

static size_t waiting_records(const struct sw_ledger *l)
{
	return l->buf_records - l->written_records;
}

static int write_failed(struct sw_ledger *l, const char *what, const char *why, char *err, size_t errlen)
{
	size_t waiting = waiting_records(l);

	if (!l->failing) {
		l->failing = true;
		now_text(l->fail_since);
	}
	snprintf(l->fail_error, sizeof(l->fail_error), "%s", why);
	if (l->stuck[0])
		snprintf(err, errlen, "%s (%zu record%s wait in memory)", l->stuck, waiting, waiting == 1 ? "" : "s");
	else
		snprintf(err, errlen, "cannot %s ledger %s: %s; %zu record%s wait in memory and are written when "
			 "writing works again (free space or fix the disk; nothing on disk was damaged)", what,
			 l->path, why, waiting, waiting == 1 ? "" : "s");
	return -1;
}

static int sync_async(struct sw_ledger *l, char *err, size_t errlen);

int sw_ledger_flush(struct sw_ledger *l, char *err, size_t errlen)
{
	char why[600];

	if (l->written == l->buf_len)
		return 0;
	if (write_waiting(l, why, sizeof(why)) != 0)
		return write_failed(l, "write to", why, err, errlen);
	l->failing = false;
	/* Written lines are kept until synced (to write them again if the sync fails): bound that
	 * (with the sync thread the sync is started, not waited for), and while syncs are slow
	 * release them from memory. */
	if (unsynced(l) > SYNC_AFTER_BYTES && sync_async(l, err, errlen) != 0)
		return -1;
	release_written(l);
	return 0;
}

/* ---- syncing (see the top of this file) ---- */

/* What a sync started now covers: everything written so far (a head file job only when nothing is). */
static void snap_take(struct sw_ledger *l)
{
	l->snap.size = file_size(l);
	l->snap.seq = l->file_seq;
	memcpy(l->snap.head, l->file_head, sizeof(l->snap.head));
	l->snap.bytes = unsynced(l);
	l->snap.records = l->rel_records + l->written_records;
	/* Once it synced, the file's end is durable (with nothing written it is the synced end). */
	l->hf.next.seq = l->file_seq;
	memcpy(l->hf.next.head, l->file_head, sizeof(l->hf.next.head));
}

/* Start a job syncing everything written so far. No job may be out. */
static void sync_begin(struct sw_ledger *l)
{
	snap_take(l);
	sw_syncer_post(l->syncer, unsynced(l) ? l->fd : -1, head_file_after_sync, &l->hf);
}

/* After a failed fdatasync: cut the file back to the last good sync (never longer: a file emptied
 * under us is check_file's to notice), and write everything since again on the next try. */
static void cut_back(struct sw_ledger *l)
{
	struct stat st;

	if ((fstat(l->fd, &st) != 0 || st.st_size >= l->synced_size) && ftruncate(l->fd, l->synced_size) != 0)
		l->needs_truncate = true;
	l->written = l->written_records = 0;
	l->file_seq = l->synced_seq;
	memcpy(l->file_head, l->synced_head, sizeof(l->file_head));
}

/* Take in the result rc of the job that was out (the only place the synced point moves). */
static int sync_end(struct sw_ledger *l, int rc, char *err, size_t errlen)
{
	size_t b = l->snap.bytes;

	if (!b)
		return 0; /* a head file job */
	if (rc != 0) {
		/* What reached the disk is unknown now, also of what was written during the sync. */
		l->sync_wanted = false;
		take_back_released(l);
		cut_back(l);
		return write_failed(l, "sync", strerror(rc), err, errlen);
	}
	l->synced_size = l->snap.size;
	l->synced_seq = l->snap.seq;
	memcpy(l->synced_head, l->snap.head, sizeof(l->synced_head));
	/* Only what the job covered is durable; lines written since or waiting stay. The released
	 * lines come first (released later than the job's start: it covered only some of them). */
	if (b <= l->rel) {
		l->rel -= b;
		l->rel_records -= l->snap.records;
	} else {
		buf_consume(l, b - l->rel, l->snap.records - l->rel_records);
		l->rel = l->rel_records = 0;
	}
	buf_shrink(l);
	if (l->gap_seq && l->gap_seq <= l->synced_seq) {
		l->gap_seq = 0;
		memset(&l->gap_queued, 0, sizeof(l->gap_queued));
	}
	/* Still failing when a write after the job's snapshot failed (its lines wait again). */
	if (l->written == l->buf_len)
		l->failing = false;
	return 0;
}

/* Wait for the job out, if any, and take in its result. */
static int sync_settle(struct sw_ledger *l, char *err, size_t errlen)
{
	if (!sw_syncer_busy(l->syncer))
		return 0;
	return sync_end(l, sw_syncer_wait(l->syncer), err, errlen);
}

/* Ask for a sync of what is written without waiting for it: started now, or when the job out is
 * taken in. Inline (no sync thread) it has run, and been taken in, when this returns. */
static int sync_async(struct sw_ledger *l, char *err, size_t errlen)
{
	int rc;

	if (sw_syncer_busy(l->syncer)) {
		l->sync_wanted = true;
		return 0;
	}
	l->sync_wanted = false;
	sync_begin(l);
	if (sw_syncer_collect(l->syncer, &rc))
		return sync_end(l, rc, err, errlen);
	return 0;
}

/* fdatasync what was written, and wait for it. */
static int sync_written(struct sw_ledger *l, char *err, size_t errlen)
{
	if (sync_settle(l, err, errlen) != 0)
		return -1;
	l->sync_wanted = false;
	/* Waited for anyway: run here rather than hand it to the thread and wait for that. */
	snap_take(l);
	return sync_end(l, sw_syncer_run(l->syncer, unsynced(l) ? l->fd : -1, head_file_after_sync, &l->hf), err,
			errlen);
}

/* Flush and fdatasync, without looking for a rotation. */
static int sync_data(struct sw_ledger *l, char *err, size_t errlen)
{
	if (sw_ledger_flush(l, err, errlen) != 0)
		return -1;
	return sync_written(l, err, errlen);
}

static int follow_path(struct sw_ledger *l, char *err, size_t errlen, bool *new_refusal);

/* At most once a second: has the file been rotated away by mv? */
static void maybe_follow_path(struct sw_ledger *l)
{
	uint64_t now = mono_ns();
	char err[700];
	bool fresh = false;

	if (now - l->path_checked_ns < 1000000000u)
		return;
	l->path_checked_ns = now;
	if (follow_path(l, err, sizeof(err), &fresh) != 0 && fresh)
		fprintf(stderr, "sqlward: %s\n", err);
}

int sw_ledger_sync(struct sw_ledger *l, char *err, size_t errlen)
{
	if (sync_data(l, err, errlen) != 0)
		return -1;
	maybe_follow_path(l);
	return 0;
}

int sw_ledger_sync_thread_start(struct sw_ledger *l, char *err, size_t errlen)
{
	struct sw_syncer *s;

	if (sw_syncer_threaded(l->syncer))
		return 0;
	if (!(s = sw_syncer_new(true, err, errlen)))
		return -1;
	sw_syncer_set_datasync(s, l->datasync, l->datasync_ctx);
	sw_syncer_free(l->syncer); /* inline: no job is ever out between calls */
	l->syncer = s;
	return 0;
}

int sw_ledger_sync_fd(const struct sw_ledger *l)
{
	return sw_syncer_fd(l->syncer);
}

void sw_ledger_set_datasync(struct sw_ledger *l, sw_datasync_fn fn, void *ctx)
{
	char err[700];

	if (sync_settle(l, err, sizeof(err)) != 0)
		fprintf(stderr, "sqlward: %s\n", err);
	l->datasync = fn;
	l->datasync_ctx = ctx;
	sw_syncer_set_datasync(l->syncer, fn, ctx);
}

bool sw_ledger_sync_pending(const struct sw_ledger *l)
{
	return sw_syncer_busy(l->syncer);
}

int sw_ledger_sync_reap(struct sw_ledger *l, char *err, size_t errlen)
{
	int rc;

	if (!sw_syncer_collect(l->syncer, &rc))
		return 0;
	if (sync_end(l, rc, err, errlen) != 0)
		return -1;
	if (!l->sync_wanted)
		return 0;
	/* Asked for meanwhile: what waits is written now, in one write(2), and synced. */
	l->sync_wanted = false;
	if (sw_ledger_flush(l, err, errlen) != 0)
		return -1;
	return sync_async(l, err, errlen);
}

int sw_ledger_sync_request(struct sw_ledger *l, char *err, size_t errlen)
{
	if (sw_ledger_sync_reap(l, err, errlen) != 0)
		return -1;
	if (sw_syncer_busy(l->syncer)) {
		/* Nothing written now could be covered by the sync out: written (all at once) and synced
		 * when it is taken in (sw_ledger_sync_reap). */
		l->sync_wanted = true;
		return 0;
	}
	if (sw_ledger_flush(l, err, errlen) != 0)
		return -1;
	/* Nothing new to make durable: a job only when the head file has work (no job out: it is ours). */
	if (!sw_syncer_busy(l->syncer) && !unsynced(l) && !head_file_due(&l->hf, l->synced_seq)) {
		maybe_follow_path(l);
		return 0;
	}
	if (sync_async(l, err, errlen) != 0)
		return -1;
	maybe_follow_path(l);
	return 0;
}

int sw_ledger_retry(struct sw_ledger *l, char *err, size_t errlen)
{
	if (l->lost.records && !l->gap_seq)
		queue_gap(l);
	return sw_ledger_sync(l, err, errlen);
}

int sw_ledger_append_body(struct sw_ledger *l, const char *body, size_t len, bool sync, uint64_t *seq_out,
			  char *err, size_t errlen)
{
	char ferr[700];
	uint64_t mine;
	int rc;

	/* Writing has failed for long: what waits beyond the limit is dropped and counted. */
	if (l->buf_len - l->written > SW_LEDGER_BUFFER_MAX && sw_ledger_flush(l, ferr, sizeof(ferr)) != 0) {
		uint64_t n = drop_waiting(l);
		fprintf(stderr, "sqlward: ledger %s: %llu records waited for a writable ledger beyond %u MiB and were "
			"dropped; a gap record will count them (%s)\n", l->path, (unsigned long long)n,
			SW_LEDGER_BUFFER_MAX >> 20, ferr);
	}
	/* A loss is recorded where it happened, in front of the next record. */
	if (l->lost.records && !l->gap_seq)
		queue_gap(l);
	put_record(l, body, len);
	mine = l->seq;
	if (!sync) {
		if (seq_out)
			*seq_out = l->seq;
		/* While writing fails, only flush, sync and retry try again (not every record). */
		if (l->buf_len - l->written >= SW_LEDGER_FLUSH_BYTES && !sw_ledger_failing(l))
			sw_ledger_flush(l, ferr, sizeof(ferr)); /* a failure keeps it waiting; flush/sync report it */
		return 0;
	}
	l->sync_pending_seq = l->seq;
	rc = sync_data(l, err, errlen);
	l->sync_pending_seq = 0;
	if (rc != 0 || l->seq < mine) {
		if (l->seq == mine)
			drop_last(l); /* not in the ledger: the caller decides what to do */
		else if (rc == 0) /* dropped with the records before it (lose_unsynced) */
			snprintf(err, errlen, "ledger %s: the record was lost with the unsynced records before it "
				 "(the disk lost written data; see the message before)", l->path);
		return -1;
	}
	if (seq_out)
		*seq_out = l->synced_seq;
	maybe_follow_path(l);
	return 0;
}

int sw_ledger_append(struct sw_ledger *l, json_t *rec, char *err, size_t errlen)
{
	return sw_ledger_append_opts(l, rec, true, NULL, err, errlen);
}

int sw_ledger_append_opts(struct sw_ledger *l, json_t *rec, bool sync, uint64_t *seq_out,
			  char *err, size_t errlen)
{
	char *text = record_text(rec, err, errlen);
	int rc;

	if (!text)
		return -1;
	/* Without the braces: the fields between seq and prev. */
	rc = sw_ledger_append_body(l, text + 1, strlen(text) - 2, sync, seq_out, err, errlen);
	free(text);
	return rc;
}

void sw_ledger_keep_full_text(struct sw_ledger *l, const struct sw_decision *d, struct sw_full_text *ft)
{
	size_t len = d->statement ? d->statement_len : 0;

	sw_full_text_of(d, ft);
	if (len > SW_LEDGER_TEXT_MAX &&
	    sw_ledger_put_blob(l, d->statement, len, ft->sha, ft->blob, ft->error, sizeof(ft->error)) != 0) {
		ft->blob[0] = '\0';
		fprintf(stderr, "sqlward: cannot keep the full text of a %zu-byte statement: %s; its record keeps the "
			"first %d bytes and says why\n", len, ft->error, SW_LEDGER_TEXT_MAX);
	}
}

json_t *sw_ledger_decision_record(struct sw_ledger *l, const struct sw_decision *d)
{
	struct sw_full_text ft;

	sw_ledger_keep_full_text(l, d, &ft);
	return sw_statement_record(d, &ft, NULL);
}

int sw_ledger_append_decision(struct sw_ledger *l, const struct sw_decision *d, bool sync, uint64_t *seq_out,
			      char *err, size_t errlen)
{
	/* One buffer for the life of the process: the daemon writes from one thread. */
	static struct sw_jw w;
	struct sw_full_text ft;

	sw_ledger_keep_full_text(l, d, &ft);
	sw_jw_reset(&w);
	sw_decision_members(&w, d, &ft);
	return sw_ledger_append_body(l, w.buf, w.len, sync, seq_out, err, errlen);
}

int sw_ledger_put_blob(struct sw_ledger *l, const void *text, size_t len, const char sha[65],
		       char rel[SW_BLOB_REL_MAX], char *err, size_t errlen)
{
	return sw_blob_put(l->dir, l->store_name, text, len, sha, &l->access, rel, err, errlen);
}

/* ---- open / reopen / close ---- */

uint64_t sw_ledger_seq(const struct sw_ledger *l)
{
	return l->seq;
}

const char *sw_ledger_head(const struct sw_ledger *l)
{
	return l->head;
}

uint64_t sw_ledger_drops(const struct sw_ledger *l)
{
	return l->drops;
}

bool sw_ledger_kept(const struct sw_ledger *l, uint64_t seq, uint64_t drops_then)
{
	if (drops_then == l->drops)
		return true;
	if (drops_then > l->drops || l->drops - drops_then > SW_DROP_FLOORS)
		return false;
	/* The first drop after it left the shortest chain: what it did not keep is gone. */
	return seq <= l->drop_floor[drops_then % SW_DROP_FLOORS];
}

void sw_ledger_anchor(const struct sw_ledger *l, struct sw_ledger_anchor *out)
{
	out->seq = l->synced_seq;
	memcpy(out->head, l->synced_head, sizeof(out->head));
}

struct torn_tail {
	char *path;        /* where the bytes went; NULL if there was no torn tail */
	size_t len;
	char sha256[65];
};

/* Move the bytes after the last whole record to PATH.torn-SEQ and cut the ledger there. */
static int set_aside_torn_tail(int fd, const char *path, struct sw_verify_result *res, struct torn_tail *t,
			       const struct sw_ledger_access *access, char *err, size_t errlen)
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
	t->path = sw_xasprintf("%s.torn-%llu", path, (unsigned long long)res->last_seq + 1);
	side = open(t->path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
	if (side < 0 || sw_ledger_apply_access(side, 0640, access) != 0 || write(side, buf, t->len) != (ssize_t)t->len ||
	    fsync(side) != 0) {
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

/* Open (creating with our modes) and lock a ledger file. -1 with err. */
static int open_locked(const char *path, const struct sw_ledger_access *access, bool *created, char *err,
		       size_t errlen)
{
	struct stat st;
	int fd;

	*created = false;
	fd = open(path, O_RDWR | O_APPEND | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
	if (fd >= 0)
		*created = true;
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
	if ((*created || access->set_group) && sw_ledger_apply_access(fd, 0640, access) != 0) {
		snprintf(err, errlen, "cannot give ledger %s mode 0640 and its group: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	if (*created)
		sync_parent_dir(path);
	return fd;
}

/* The chain a new file continues: the caller's anchor or PATH.head, the later one. */
static int choose_anchor(const char *path, const struct sw_ledger_anchor *given, struct sw_ledger_anchor *a,
			 const char **source, char *err, size_t errlen)
{
	char why[400];
	int r = sw_ledger_read_head_file(path, a, why, sizeof(why));

	*source = "its head file";
	if (r < 0) {
		snprintf(err, errlen, "%s: it should hold {\"seq\":N,\"head\":\"...\"}, the end of the chain; fix it, or "
			 "remove it to let the ledger start a chain unrelated to the one before", why);
		return -1;
	}
	if (!given || given->seq == 0)
		return 0;
	if (!is_hex64(given->head)) {
		snprintf(err, errlen, "the chain point to continue (seq %llu) has no valid head hash",
			 (unsigned long long)given->seq);
		return -1;
	}
	if (given->seq == a->seq && strcmp(given->head, a->head) != 0) {
		snprintf(err, errlen, "ledger %s: the chain point to continue (seq %llu, head %.16s...) and %s.head "
			 "(seq %llu, head %.16s...) disagree: they are different chains; remove the head file or the "
			 "state that names the other one", path, (unsigned long long)given->seq, given->head, path,
			 (unsigned long long)a->seq, a->head);
		return -1;
	}
	if (given->seq > a->seq) {
		*a = *given;
		*source = "the daemon's state";
	}
	return 0;
}

static void ledger_free(struct sw_ledger *l)
{
	sw_syncer_free(l->syncer); /* waits for a job out: then nothing else uses the fds */
	if (l->hf.fd >= 0)
		close(l->hf.fd);
	if (l->fd >= 0)
		close(l->fd); /* releases the flock */
	free(l->buf);
	free(l->path);
	free(l->dir);
	free(l->store_name);
	free(l);
}

int sw_ledger_open_opts(const char *path, const struct sw_ledger_open_opts *opts, struct sw_ledger **out,
			char *err, size_t errlen)
{
	static const struct sw_ledger_open_opts defaults;
	struct torn_tail torn = { 0 };
	struct sw_verify_opts vo = { .skip_blobs = true };
	struct sw_verify_result res;
	struct sw_ledger_anchor anchor;
	struct sw_ledger *l;
	const char *anchor_source;
	bool created;
	int fd, rc;

	*out = NULL;
	if (!opts)
		opts = &defaults;
	if (choose_anchor(path, opts->anchor, &anchor, &anchor_source, err, errlen) != 0)
		return -1;
	fd = open_locked(path, &opts->access, &created, err, errlen);
	if (fd < 0)
		return -1;

	l = sw_xcalloc(1, sizeof(*l));
	l->fd = fd;
	l->hf.fd = -1;
	l->path = sw_xstrdup(path);
	l->hf.path = l->path;
	l->hf.access = &l->access;
	if (!(l->syncer = sw_syncer_new(false, err, errlen)))
		goto fail;
	{
		char *c1 = sw_xstrdup(path), *c2 = sw_xstrdup(path);
		l->dir = sw_xstrdup(dirname(c1));
		l->store_name = sw_xasprintf("%s.blobs", basename(c2));
		free(c1);
		free(c2);
	}
	l->access = opts->access;

	vo.probe_seq = anchor.seq;
	rc = verify_fd(fd, l->dir, &vo, &res);
	if (rc != 0) {
		snprintf(err, errlen, "cannot read ledger %s: %s", path, res.reason);
		goto fail;
	}
	if (!res.ok && res.torn_tail && set_aside_torn_tail(fd, path, &res, &torn, &opts->access, err, errlen) != 0)
		goto fail;
	if (!res.ok && !res.torn_tail) {
		snprintf(err, errlen, "ledger %s is broken at line %zu: %s; nothing more will be "
			 "appended to it. Run `sqlward verify --ledger %s` and move it aside to start a "
			 "new one", path, res.bad_line, res.reason, path);
		goto fail;
	}
	/* A ledger that ends before the chain's known end lost records from its end. */
	if (anchor.seq && res.records && res.last_seq < anchor.seq) {
		snprintf(err, errlen, "ledger %s ends at seq %llu, but the chain had already reached seq %llu (head "
			 "%.16s..., from %s): records were deleted from its end, or it is an older copy. Keep it as "
			 "evidence and move it aside (a new file at this path continues seq %llu), or remove %s.head "
			 "to go on from this file", path, (unsigned long long)res.last_seq,
			 (unsigned long long)anchor.seq, anchor.head, anchor_source, (unsigned long long)anchor.seq,
			 path);
		goto fail;
	}
	if (anchor.seq && res.probe_found && strcmp(res.probe_head, anchor.head) != 0) {
		snprintf(err, errlen, "ledger %s is not the chain %s describes: its record %llu has hash %.16s..., "
			 "expected %.16s...; keep it as evidence and move it aside, or remove %s.head", path,
			 anchor_source, (unsigned long long)anchor.seq, res.probe_head, anchor.head, path);
		goto fail;
	}
	{
		struct stat st;
		if (fstat(fd, &st) != 0) {
			snprintf(err, errlen, "cannot read ledger %s: %s", path, strerror(errno));
			goto fail;
		}
		l->dev = st.st_dev;
		l->ino = st.st_ino;
		l->synced_size = st.st_size;
	}
	l->seq = l->file_seq = l->synced_seq = res.last_seq;
	memcpy(l->head, res.head, sizeof(l->head));
	memcpy(l->file_head, res.head, sizeof(l->file_head));
	memcpy(l->synced_head, res.head, sizeof(l->synced_head));
	l->hf.seq = anchor.seq;
	l->path_checked_ns = l->hf.synced_ns = mono_ns();
	l->live_first = res.records ? res.first_seq : anchor.seq + 1;
	*out = l;

	/* A new or emptied file goes on from the chain's known end. */
	if (anchor.seq && res.records == 0) {
		char note_text[200];
		l->seq = l->file_seq = l->synced_seq = anchor.seq;
		memcpy(l->head, anchor.head, sizeof(l->head));
		memcpy(l->file_head, anchor.head, sizeof(l->file_head));
		memcpy(l->synced_head, anchor.head, sizeof(l->synced_head));
		snprintf(note_text, sizeof(note_text), "a new ledger file continues the chain from %s", anchor_source);
		put_own_record(l, sw_continuation_record(anchor.seq, anchor.head, "new_file", note_text));
		if (sync_data(l, err, errlen) != 0)
			goto fail_open;
	}
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
		torn.path = NULL;
		if (rc2 != 0)
			goto fail_open;
	}
	return 0;
fail_open:
	*out = NULL;
fail:
	free(torn.path);
	ledger_free(l);
	return -1;
}

int sw_ledger_open(const char *path, struct sw_ledger **out, char *err, size_t errlen)
{
	return sw_ledger_open_opts(path, NULL, out, err, errlen);
}

/* Refuse the file at the path (it stays where it is; we go on in the moved file). */
static int refuse_new_file(struct sw_ledger *l, int nfd, const struct stat *st, bool *new_refusal, char *err,
			   size_t errlen, const char *what)
{
	snprintf(l->refused_why, sizeof(l->refused_why), "the ledger path %s now names another file, which %s; it "
		 "is left alone and records still go to the moved file. Move that file away (the next check or "
		 "SIGHUP then starts a new file at the path continuing seq %llu)", l->path, what,
		 (unsigned long long)l->seq);
	l->refused_dev = st->st_dev;
	l->refused_ino = st->st_ino;
	*new_refusal = true;
	if (nfd >= 0)
		close(nfd);
	snprintf(err, errlen, "%s", l->refused_why);
	return -1;
}

/* Go on in another file (its predecessor closed: no sync job may still use it). */
static void replace_fd(struct sw_ledger *l, int nfd)
{
	char err[700];

	if (sync_settle(l, err, sizeof(err)) != 0)
		fprintf(stderr, "sqlward: %s\n", err);
	close(l->fd);
	l->fd = nfd;
}

static int follow_path(struct sw_ledger *l, char *err, size_t errlen, bool *new_refusal)
{
	struct sw_verify_opts vo = { .skip_blobs = true };
	struct sw_verify_result res;
	struct stat st;
	bool created;
	int nfd;

	*new_refusal = false;
	if (stat(l->path, &st) == 0) {
		if (st.st_dev == l->dev && st.st_ino == l->ino) {
			if (!l->stuck[0])
				return 0;
			snprintf(err, errlen, "%s", l->stuck); /* still the file that was changed under us */
			return -1;
		}
		if (l->refused_ino && st.st_dev == l->refused_dev && st.st_ino == l->refused_ino) {
			snprintf(err, errlen, "%s", l->refused_why);
			return -1;
		}
	} else if (errno != ENOENT) {
		snprintf(err, errlen, "cannot look at the ledger path %s: %s; records still go to the open file",
			 l->path, strerror(errno));
		return -1;
	}
	/* Finish the moved file: its last record is what the next file continues (unless it
	 * was changed under us: then what waits goes to the new file). */
	if (!l->stuck[0] && sync_data(l, err, errlen) != 0)
		return -1;
	nfd = open_locked(l->path, &l->access, &created, err, errlen);
	if (nfd < 0)
		return -1;
	if (fstat(nfd, &st) != 0) {
		snprintf(err, errlen, "cannot read the new ledger file %s: %s", l->path, strerror(errno));
		close(nfd);
		return -1;
	}
	if (verify_fd(nfd, l->dir, &vo, &res) != 0)
		return refuse_new_file(l, nfd, &st, new_refusal, err, errlen, "cannot be read");
	if (st.st_size > 0 && (l->stuck[0] || !(res.ok && res.last_seq == l->seq && strcmp(res.head, l->head) == 0)))
		return refuse_new_file(l, nfd, &st, new_refusal, err, errlen,
				       "is not empty and does not end where this chain does");
	replace_fd(l, nfd); /* the moved file: complete and synced (or changed under us); its lock goes with it */
	l->dev = st.st_dev;
	l->ino = st.st_ino;
	l->synced_size = st.st_size;
	l->refused_ino = 0;
	l->stuck[0] = '\0';
	l->needs_truncate = false;
	if (st.st_size == 0) {
		restart_in_empty_file(l, "moved", "the ledger file was moved or removed (e.g. rotated by mv); the "
				      "records before this one are in the moved file");
		fprintf(stderr, "sqlward: ledger %s was moved or removed: continuing the chain from seq %llu in a new "
			"file at that path\n", l->path, (unsigned long long)l->synced_seq);
		if (sync_data(l, err, errlen) != 0)
			return -1; /* the continuation waits in memory and is written with the next records */
	}
	return 0;
}

int sw_ledger_reopen(struct sw_ledger *l, char *err, size_t errlen)
{
	bool fresh;

	l->path_checked_ns = mono_ns();
	return follow_path(l, err, errlen, &fresh);
}

void sw_ledger_close(struct sw_ledger *l)
{
	char err[700];

	if (!l)
		return;
	if (l->lost.records && !l->gap_seq)
		queue_gap(l);
	if (sync_data(l, err, sizeof(err)) != 0)
		fprintf(stderr, "sqlward: %s; closing: %zu records that were not written are lost\n", err,
			waiting_records(l));
	/* The sync thread ends (no job is out after sync_data); the head file is the writer's again. */
	sw_syncer_free(l->syncer);
	l->syncer = NULL;
	{
		struct sw_ledger_anchor a;
		sw_ledger_anchor(l, &a);
		head_file_update(&l->hf, &a, true);
	}
	ledger_free(l);
}

/* ---- rotation by the daemon ---- */

uint64_t sw_ledger_live_bytes(const struct sw_ledger *l)
{
	return (uint64_t)file_size(l) + (l->buf_len - l->written);
}

size_t sw_ledger_buffer_bytes(const struct sw_ledger *l)
{
	return l->buf_cap;
}

uint64_t sw_ledger_live_first(const struct sw_ledger *l)
{
	return l->live_first;
}

const char *sw_ledger_path(const struct sw_ledger *l)
{
	return l->path;
}

int sw_ledger_rotate(struct sw_ledger *l, char **segment, char *err, size_t errlen)
{
	char *dest;
	struct stat st;
	bool created;
	int nfd;

	*segment = NULL;
	if (l->stuck[0]) {
		snprintf(err, errlen, "not rotated: %s", l->stuck);
		return -1;
	}
	/* At a record boundary with everything on disk: the segment is complete and final. */
	if (sync_data(l, err, errlen) != 0)
		return -1;
	/* Only its first record (e.g. the continuation of the last rotation): nothing worth a segment. */
	if (l->synced_size == 0 || l->synced_seq <= l->live_first)
		return 0;
	if (sw_segments_dir_make(l->path, &l->access, err, errlen) != 0)
		return -1;
	dest = sw_segment_path(l->path, l->live_first, l->synced_seq, false);
	if (access(dest, F_OK) == 0) {
		snprintf(err, errlen, "cannot rotate ledger %s: segment %s already exists (it should not: move it "
			 "away)", l->path, dest);
		free(dest);
		return -1;
	}
	if (rename(l->path, dest) != 0) {
		snprintf(err, errlen, "cannot rotate ledger %s to %s: %s", l->path, dest, strerror(errno));
		free(dest);
		return -1;
	}
	sync_parent_dir(dest);
	sync_parent_dir(l->path);
	nfd = open_locked(l->path, &l->access, &created, err, errlen);
	if (nfd < 0 || fstat(nfd, &st) != 0) {
		/* Put the file back: writing goes on in it. */
		if (nfd >= 0)
			close(nfd);
		if (rename(dest, l->path) != 0)
			fprintf(stderr, "sqlward: ledger %s: the rotated file %s could not be put back either: %s "
				"(records still go to it; the next check continues at the path)\n", l->path, dest,
				strerror(errno));
		free(dest);
		return -1;
	}
	replace_fd(l, nfd); /* the segment: complete and synced; its lock goes with it */
	l->dev = st.st_dev;
	l->ino = st.st_ino;
	l->synced_size = st.st_size;
	l->refused_ino = 0;
	l->needs_truncate = false;
	restart_in_empty_file(l, "rotated", "the daemon rotated the ledger: the records before this one are in "
			      "its segment directory (LEDGER.seg/)");
	/* A failure leaves the continuation waiting in memory: it is written with the next records. */
	sync_data(l, err, errlen);
	*segment = dest;
	return 1;
}
