/*
 * The ledger: append-only JSON Lines with a SHA-256 hash chain.
 *
 * Every record is one line: a compact, ASCII-only JSON object whose first
 * field is "seq" (1, 2, ...) and whose last two are "prev" (the previous
 * record's hash; 64 zeros for the first) and "hash". "hash" is SHA-256 (hex)
 * over the line's own bytes without its final ,"hash":"..." member, i.e. of
 *     line[: line.rindex(',"hash":')] + "}"
 * so any edit, deletion, insertion or reordering (and any reformatting of a
 * line) breaks the chain at that record. Hashing the bytes as written, not a
 * re-serialization, means a verifier needs no canonical JSON form: in
 * Python, hashlib.sha256((l[:l.rindex(',"hash":')] + "}").encode()).
 *
 * Lines are ASCII-only (\uXXXX escapes, see json_writer.h): no raw control
 * or bidi character reaches a terminal that shows the file. "type" and
 * "time" follow "seq".
 *
 * Writing: unsynced records (observed statements, kernel-cache allows) are
 * collected and written in batches: at SW_LEDGER_FLUSH_BYTES waiting, or by
 * sw_ledger_flush (the daemon flushes on its 100 ms tick, so `sqlward log -f`
 * sees them within about 100 ms, and syncs every second); a synced record
 * (held, decided, daemon event) writes and fdatasyncs everything before it.
 * A flush also fdatasyncs once 4 MiB were written since the last sync (what
 * is written but not synced is kept in memory, see "Write failures", up to
 * 8 MiB: beyond that, while a slow sync is out, it is read back from the file
 * if that sync fails).
 *
 * Record types: ledger_record.h lists them all, with their builders. The
 * ledger itself reads these:
 *  "statement"  one decision (sw_statement_record). Statement text that is
 *               not valid UTF-8 is stored base64-encoded with
 *               "statement_encoding":"base64"; text longer than
 *               SW_LEDGER_TEXT_MAX is cut (on a UTF-8 boundary) with
 *               "statement_truncated":true. "statement_length" and
 *               "statement_sha256" always describe the full text judged.
 *               A statement longer than SW_LEDGER_TEXT_MAX is also kept
 *               whole in the full-text store beside the ledger
 *               (ledger_blob.h): "statement_blob" names it, relative to the
 *               ledger file's directory ("ledger.jsonl.blobs/ab/<sha256>.z");
 *               when it could not be written (disk full) the record says
 *               why in "statement_blob_error" instead.
 *  "daemon"     a daemon event (sw_daemon_record): "event" is "start",
 *               "stop", "policy_load", "ringbuf_drop", ... plus its fields.
 *  "continuation"  only ever a file's first record: the file continues a
 *               chain whose earlier records are elsewhere (a rotated or
 *               earlier file). "continues_seq" and "continues_head" are the
 *               last record before it (so its own seq is continues_seq + 1
 *               and its prev is continues_head), "reason" is "copytruncate"
 *               (the file was truncated under the writer), "moved" (the path
 *               was renamed or removed and opened again), "new_file" (a new
 *               or empty file opened with a known head) or "rotated" (the
 *               daemon rotated the file into a segment, see below), "note"
 *               says it in words. Without it a file that does not start at
 *               seq 1 fails.
 *  "daemon" event "segments_removed"  retention deleted the oldest segments
 *               (sw_segments_removed_record): "first_seq"/"last_seq" (the
 *               seq range removed), "last_hash" (the hash of record last_seq,
 *               which the oldest remaining file continues), "files", "rule".
 *               Written and synced before any file is deleted: verify accepts
 *               a ledger whose oldest file continues a "rotated" point only
 *               when such a record names exactly that point.
 *  "checkpoint" a signed checkpoint was taken (ledger_checkpoint.h): the
 *               chain point signed ("checkpoint_seq", "checkpoint_head"),
 *               "ledger_id", "key_id", "signature" and where it was sent.
 *  "gap"        records that were lost (the ledger could not be written and
 *               they could not be kept in memory, or the daemon could not
 *               hand them over): "lost" (how many), "kinds" ({type or kind:
 *               count}), "first_time"/"last_time" (the lost records' own
 *               times), and while writing failed "failing_since" and "error".
 *               A gap record is written in front of the first record that
 *               reaches the file after the loss; verify reports gaps and
 *               stays OK (the loss is recorded, not hidden).
 *
 * Rotation: the writer notices (at most a second late, and at once with
 * sw_ledger_reopen, e.g. on SIGHUP) when the path names another file or none
 * (mv rotation) and continues in the file at the path with a continuation
 * record; it notices before every write when the file was truncated to zero
 * (copytruncate) and starts it again with a continuation record.
 *
 * Rotation by the daemon (sw_ledger_rotate; `sqlward run --ledger-rotate-size
 * / --ledger-rotate-interval`, ledger_upkeep.h): at a record boundary with
 * everything synced, the file is renamed to a segment in PATH.seg/ named by
 * the seq range it holds (ledger_segments.h), a new file at PATH starts with
 * a continuation record (reason "rotated"), and the segment is compressed to
 * gzip in the background. PATH.blobs is untouched (statement_blob paths stay
 * relative to PATH's directory). Readers (ledger_reader.h) and verify read
 * the segments oldest first, then PATH.
 *
 * PATH.head: after every fdatasync the writer records the durable chain end
 * {"seq":N,"head":"..."} there (fdatasynced itself at most once a second).
 * A new or empty ledger file at PATH continues that chain, and a ledger that
 * ends before it (records deleted from its end, or an older copy) is refused.
 * Remove PATH.head to start an unrelated chain on purpose.
 *
 * The sync thread (sw_ledger_sync_thread_start; the daemon starts it): the
 * fdatasync runs on a thread of its own, so the writer's thread (the
 * daemon's loop) is never blocked by a sync in progress: it keeps writing
 * records while the disk flushes. sw_ledger_sync_request writes what waits
 * and asks for a sync of everything written (one sync covers every record
 * written before it began: group commit), without waiting; the thread's
 * eventfd (sw_ledger_sync_fd) becomes readable when it is done, and
 * sw_ledger_sync_reap takes the result in: the durable end
 * (sw_ledger_anchor) moves there, or, when the sync failed, everything since
 * the last good one is cut off and waits to be written again, as below. The
 * blocking calls (sw_ledger_sync, a synced append, rotate, close) wait for the
 * sync out and then for their own. Rotation and reopening replace the file
 * only with no sync out (ledger.c says which thread touches what). Without
 * the thread every sync runs inline, as the blocking calls describe.
 *
 * Write failures (disk full, EIO): nothing on disk is damaged (a partial
 * write is cut off again, and after a failed fdatasync everything since the
 * last good one is cut off and written again; lines no longer in memory are
 * read back first and written again only if they are intact, chained from the
 * last synced record to where the writer's lines ended; if not, the page cache
 * lost them too and every record after the last synced one is dropped and
 * counted for the next gap record, as below), records appended with
 * sync=false are kept in memory and written when writing works again (up to
 * SW_LEDGER_BUFFER_MAX bytes; beyond that they are dropped and counted for
 * the next gap record), and a record appended with sync=true that could not
 * be synced is taken out of the chain (the caller decides: retry it, or
 * count it with sw_ledger_note_lost).
 */
#ifndef SQLWARD_LEDGER_H
#define SQLWARD_LEDGER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include <jansson.h>
#include "statement.h"
#include "policy.h"
#include "ledger_blob.h"
#include "ledger_sync.h"
/* Records are built by ledger_record.h; times and digests (time_text.h, sha256_hex.h)
 * are the formats of their fields. Every writer and reader of records wants all three. */
#include "ledger_record.h"
#include "sha256_hex.h"
#include "time_text.h"

#define SW_LEDGER_GENESIS "0000000000000000000000000000000000000000000000000000000000000000"
/* Where `sqlward run/log/verify` look when neither --ledger nor $SQLWARD_LEDGER is given. */
#define SW_LEDGER_DEFAULT_PATH "/var/lib/sqlward/ledger.jsonl"
/* How jansson-built records are serialized on their line. */
#define SW_LEDGER_LINE_FLAGS (JSON_COMPACT | JSON_ENSURE_ASCII)
/* Records waiting for a writable ledger are kept up to this many bytes, then dropped (and counted). */
#define SW_LEDGER_BUFFER_MAX (64u << 20)
/* Records appended with sync=false are written (one write(2)) once this many bytes wait. */
#define SW_LEDGER_FLUSH_BYTES (64u << 10)

struct sw_ledger;

/* A point in a chain: a record's seq and hash (seq 0 with the genesis hash: no chain yet). */
struct sw_ledger_anchor {
	uint64_t seq;
	char head[65];
};
/* {"seq":N,"head":"..."} (new reference), and back (0, or -1 with err). */
json_t *sw_ledger_anchor_json(const struct sw_ledger_anchor *a);
int sw_ledger_anchor_from_json(json_t *j, struct sw_ledger_anchor *a, char *err, size_t errlen);

/*
 * Open (creating if absent) a ledger for appending. An existing ledger is
 * verified first; a broken one is refused (nothing is appended to a chain
 * that does not verify) with the first bad record named in err. One fault
 * is repaired instead: a last line without its newline (the writer died in
 * the middle of a write). Those bytes were never a record; they are moved to
 * PATH.torn-SEQ (SEQ: the seq the record would have had), the ledger is cut
 * back to its last whole record, and a "daemon" record with event
 * "torn_tail_set_aside" (bytes, sha256, saved_to) says so. With a known chain
 * end (PATH.head, see above): an empty or new file starts with a
 * "continuation" record (reason "new_file"), and a file that ends before that
 * end, or holds another hash at its seq, is refused (err says what to do); a
 * malformed PATH.head is refused too. The chain is checked, not the blobs.
 */
int sw_ledger_open(const char *path, struct sw_ledger **out, char *err, size_t errlen);

struct sw_ledger_open_opts {
	/* The chain a new or empty ledger file continues, e.g. the last head the daemon
	 * knew from its state file (NULL or seq 0: none). PATH.head is also read; the
	 * one with the higher seq wins (same seq, different head: refused). */
	const struct sw_ledger_anchor *anchor;
	/* Group and modes of the ledger, PATH.head, PATH.blobs/ and what is in it:
	 * files 0640, directories 0750, owned by access.group when set_group (an
	 * existing ledger file is given them too). */
	struct sw_ledger_access access;
};
/* sw_ledger_open with options (opts may be NULL). */
int sw_ledger_open_opts(const char *path, const struct sw_ledger_open_opts *opts, struct sw_ledger **out,
			char *err, size_t errlen);
/* Syncs unsynced records, releases the lock, frees l. */
void sw_ledger_close(struct sw_ledger *l);
/* $SQLWARD_LEDGER if set and non-empty, else SW_LEDGER_DEFAULT_PATH. */
const char *sw_ledger_default_path(void);
/* seq of the last record (0 for an empty ledger) and its hash (genesis if empty). */
uint64_t sw_ledger_seq(const struct sw_ledger *l);
const char *sw_ledger_head(const struct sw_ledger *l);
/* The durable end of the chain (what the last successful fdatasync covered). */
void sw_ledger_anchor(const struct sw_ledger *l, struct sw_ledger_anchor *out);
/* Records appended with sync=false can be dropped later (they waited beyond SW_LEDGER_BUFFER_MAX for
 * a writable ledger), and their seqs then go to other records: a statement that waits for its
 * record must not move because a sync covers its seq. sw_ledger_drops says how many times records
 * were dropped since open; sw_ledger_kept whether the record of seq, appended when sw_ledger_drops
 * said drops_then, is still in the chain (false: dropped, or too many drops since to tell). */
uint64_t sw_ledger_drops(const struct sw_ledger *l);
bool sw_ledger_kept(const struct sw_ledger *l, uint64_t seq, uint64_t drops_then);

/*
 * Append one record: adds "seq", "prev", "hash", and writes it (with any
 * records waiting before it) and fdatasyncs before returning. Takes a
 * reference-neutral view of rec (the caller still owns it). 0 or -1.
 */
int sw_ledger_append(struct sw_ledger *l, json_t *rec, char *err, size_t errlen);
/*
 * Same, with options: sync=false only queues the line in memory (written by
 * the next sw_ledger_flush/sync, a synced record, or once
 * SW_LEDGER_FLUSH_BYTES wait; use for high-volume records such as observed
 * statements, and flush as often as readers must see them), and
 * returns 0 once queued: a failed write keeps it queued (see above).
 * sync=true returns 0 only once the record is on disk; on -1 it is not in
 * the chain. seq_out (may be NULL) receives the seq given to the record
 * (for sync=false: final once written; a copytruncate noticed before then
 * renumbers waiting records after the new file's continuation record).
 */
int sw_ledger_append_opts(struct sw_ledger *l, json_t *rec, bool sync, uint64_t *seq_out,
			  char *err, size_t errlen);
/*
 * Append one record given as its serialized fields without braces, seq,
 * prev or hash ("type":"...","time":"...",...): compact, ASCII-only JSON
 * members beginning with a valid "type" and then "time" (the caller
 * guarantees it; the statement writer below does). 0 or -1.
 */
int sw_ledger_append_body(struct sw_ledger *l, const char *body, size_t len, bool sync, uint64_t *seq_out,
			  char *err, size_t errlen);
/* write(2) records appended with sync=false that are still in memory, now
 * (into the page cache: sw_ledger_sync makes them durable). 0 or -1 (then
 * they stay in memory for the next try; see "Write failures" above). */
int sw_ledger_flush(struct sw_ledger *l, char *err, size_t errlen);
/* Flush, then fdatasync (no-op if nothing was written since the last sync);
 * at most once a second also looks for a rotation (sw_ledger_reopen). 0 or -1. */
int sw_ledger_sync(struct sw_ledger *l, char *err, size_t errlen);

/* Start the sync thread (see above). 0, or -1 with err (the ledger goes on syncing inline). */
int sw_ledger_sync_thread_start(struct sw_ledger *l, char *err, size_t errlen);
/* The sync thread's eventfd: readable when a sync finished (call sw_ledger_sync_reap); -1 without the thread. */
int sw_ledger_sync_fd(const struct sw_ledger *l);
/* Ask for an fdatasync of every record appended so far, without waiting (without the thread it
 * runs now): what waits is written and a sync started now, or, while a sync is out (it cannot
 * cover them), both once that one is taken in. 0, or -1 with err: a write failed, or a finished
 * sync taken in failed. At most once a second also looks for a rotation, as sw_ledger_sync does. */
int sw_ledger_sync_request(struct sw_ledger *l, char *err, size_t errlen);
/* Take in a finished sync, if any (after the eventfd was readable; cheap otherwise): the durable end
 * moves (sw_ledger_anchor), and a sync asked for meanwhile starts (what waits written first). -1
 * with err when the sync failed or that write did. */
int sw_ledger_sync_reap(struct sw_ledger *l, char *err, size_t errlen);
/* A sync has been started and not yet taken in. */
bool sw_ledger_sync_pending(const struct sw_ledger *l);
/* Tests: run fn instead of fdatasync(2) on the ledger file (NULL: fdatasync again), on whichever
 * thread syncs. */
void sw_ledger_set_datasync(struct sw_ledger *l, sw_datasync_fn fn, void *ctx);

/*
 * Rotation by outside tools. If the path no longer names the open file
 * (renamed, removed or replaced: compared by device and inode), everything
 * waiting is written and synced to the open (moved) file, and the chain goes
 * on in the file at the path, created if missing (0640, the group), starting
 * with a "continuation" record. A non-empty file there that is not this very
 * chain is refused (-1, err says what to do) and writing goes on in the moved
 * file; asked again, the same refusal costs only a stat. 0 when nothing had to
 * be done or the new file is in use. Call it on SIGHUP; sw_ledger_sync calls it
 * at most once a second.
 */
int sw_ledger_reopen(struct sw_ledger *l, char *err, size_t errlen);

/*
 * Rotation by the daemon (see above): sync, rename the file to the segment
 * PATH.seg/<first>-<last>.jsonl (*segment: its path, caller frees; the caller
 * compresses it) and go on in a new file at PATH starting with a
 * continuation record (reason "rotated"). 1 rotated, 0 nothing to rotate
 * (the file holds one record or none), -1 with err (nothing changed).
 */
int sw_ledger_rotate(struct sw_ledger *l, char **segment, char *err, size_t errlen);
/* Bytes in the open file (with what waits to be written), its first record's seq, the path. */
uint64_t sw_ledger_live_bytes(const struct sw_ledger *l);
uint64_t sw_ledger_live_first(const struct sw_ledger *l);
const char *sw_ledger_path(const struct sw_ledger *l);
/* Memory the ledger holds for records (waiting, and written but not yet synced), in bytes. */
size_t sw_ledger_buffer_bytes(const struct sw_ledger *l);

/*
 * Is the ledger writable now? Writes what waits (with a gap record first when
 * records were lost) and syncs: cheap when nothing waits. 0 when every record
 * accepted so far is on disk or counted in a gap record on disk; -1 (err says
 * why) while writing still fails.
 */
int sw_ledger_retry(struct sw_ledger *l, char *err, size_t errlen);
/* True from a failed write or sync until the next successful one. */
bool sw_ledger_failing(const struct sw_ledger *l);
/*
 * Count a record that never reached the ledger (e.g. a synced append the daemon
 * gave up on): kind is the record's type or a finer name ("statement",
 * "observed", "daemon", ...), when its time (NULL: now). The next gap record
 * reports it.
 */
void sw_ledger_note_lost(struct sw_ledger *l, const char *kind, const struct timespec *when);
/* Records lost and not yet reported by a gap record on disk. */
uint64_t sw_ledger_lost(const struct sw_ledger *l);
/* Records lost since the ledger was opened (a gap record's count stays in it). */
uint64_t sw_ledger_lost_total(const struct sw_ledger *l);

/*
 * Keep a statement's full text (len bytes, SHA-256 sha) in the ledger's
 * full-text store, durable before this returns; rel receives the record's
 * "statement_blob". 0 or -1 (err).
 */
int sw_ledger_put_blob(struct sw_ledger *l, const void *text, size_t len, const char sha[65],
		       char rel[SW_BLOB_REL_MAX], char *err, size_t errlen);

/* d's full text: its digest, and a text longer than SW_LEDGER_TEXT_MAX kept whole
 * in l's full-text store ("statement_blob"), or why it could not be. */
void sw_ledger_keep_full_text(struct sw_ledger *l, const struct sw_decision *d, struct sw_full_text *ft);
/* The statement record (sw_statement_record) for ledger l, full text kept. */
json_t *sw_ledger_decision_record(struct sw_ledger *l, const struct sw_decision *d);
/* The same record written straight to the ledger (the daemon's hot path), full text included. */
int sw_ledger_append_decision(struct sw_ledger *l, const struct sw_decision *d, bool sync, uint64_t *seq_out,
			      char *err, size_t errlen);

/* A gap or continuation record in one sentence for people (false for other types). */
bool sw_ledger_describe_record(json_t *rec, char *out, size_t len);

/* The bytes a record's hash covers, for a record whose keys are in line order
 * (seq first, prev last), e.g. one parsed from a line (caller frees). */
char *sw_ledger_canonical(json_t *rec);

/* Result of verifying a ledger file. */
struct sw_verify_result {
	bool ok;                   /* the chain is intact and every statement blob is good */
	size_t records;            /* records that verified */
	size_t bad_line;           /* 1-based line of the first bad record (0 if the chain is intact) */
	char reason[512];          /* what is wrong with it */
	char head[65];             /* hash of the last good record */
	uint64_t good_bytes;       /* file offset just past the last good record */
	bool torn_tail;            /* the only fault: a last line without its newline */
	uint64_t first_seq, last_seq;      /* of the records that verified (0 when none) */
	bool continues;                    /* the first record is a continuation of ... */
	struct sw_ledger_anchor continued; /* ... this point of the chain */
	size_t gaps;               /* gap records */
	uint64_t lost;             /* records they say were lost */
	size_t blobs;              /* statement blobs checked and good */
	size_t blob_errors;        /* statement blobs missing or bad */
	size_t blob_bad_line;      /* line of the first one (0: none) */
	char blob_reason[512];     /* what is wrong with it */
	size_t texts_not_kept;     /* records whose full text could not be stored (statement_blob_error) */
	bool probe_found;          /* sw_verify_opts.probe_seq was in the file (or its continuation point) */
	char probe_head[65];       /* its hash */
	char continued_reason[16]; /* the continuation record's "reason" (when continues) */
};

/* Something verify met that a reader should see (passed to sw_verify_opts.note). */
struct sw_verify_note {
	const char *kind;          /* "continuation", "gap", "text_not_kept", "blob_error" */
	size_t line;
	uint64_t seq;
	const char *text;          /* one sentence */
};

struct sw_verify_opts {
	bool skip_blobs;           /* do not read statement blobs (chain only) */
	const char *blob_base;     /* directory statement_blob paths are relative to (NULL: the file's) */
	/* The file must continue this point (the previous file's end): its first record
	 * must be a continuation of exactly it. NULL: any start (seq 1 or a continuation). */
	const struct sw_ledger_anchor *after;
	uint64_t probe_seq;        /* report record probe_seq's hash (0: none) */
	void (*note)(void *ctx, const struct sw_verify_note *n);
	void *ctx;
	/* Called (with ctx) for every record that verified, in order (may be NULL). */
	void (*record)(void *ctx, uint64_t seq, const char *hash, json_t *rec);
};

/*
 * Stream-verify a ledger file (chain and statement blobs); a path ending in
 * ".gz" (a compressed segment) is read through zlib, and damage to it is a
 * read error naming the file. Returns 0 when the
 * file could be read to the end (res->ok says whether it is intact), -1 when
 * it could not be opened or read (res->reason says why; res->ok is false,
 * bad_line 0).
 */
int sw_ledger_verify(const char *path, struct sw_verify_result *res);
/* The same with options (o may be NULL). */
int sw_ledger_verify_opts(const char *path, const struct sw_verify_opts *o, struct sw_verify_result *res);
/*
 * Read PATH.head (the chain end the writer last synced, see above) of the
 * ledger at path: 1 found, 0 there is none, -1 with err: malformed (errno
 * EINVAL) or unreadable (errno from open/read, e.g. EACCES).
 */
int sw_ledger_read_head_file(const char *path, struct sw_ledger_anchor *a, char *err, size_t errlen);

#endif
