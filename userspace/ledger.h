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
 * collected and written in batches (sw_ledger_flush; the daemon flushes
 * after every event-loop pass and syncs every second); a synced record
 * (held, decided, daemon event) writes and fdatasyncs everything before it.
 *
 * Record types:
 *  "statement"  one decision (sw_decision_record). Statement text that is
 *               not valid UTF-8 is stored base64-encoded with
 *               "statement_encoding":"base64"; text longer than
 *               SW_LEDGER_TEXT_MAX is cut (on a UTF-8 boundary) with
 *               "statement_truncated":true. "statement_length" and
 *               "statement_sha256" always describe the full text judged.
 *  "daemon"     a daemon event (sw_daemon_record): "event" is "start",
 *               "stop", "policy_load", "ringbuf_drop", ... plus its fields.
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

#define SW_LEDGER_GENESIS "0000000000000000000000000000000000000000000000000000000000000000"
/* Statement text longer than this is stored truncated, with its full length and SHA-256. */
#define SW_LEDGER_TEXT_MAX (64 * 1024)
/* Where `sqlward run/log/verify` look when neither --ledger nor $SQLWARD_LEDGER is given. */
#define SW_LEDGER_DEFAULT_PATH "/var/lib/sqlward/ledger.jsonl"
/* How jansson-built records are serialized on their line. */
#define SW_LEDGER_LINE_FLAGS (JSON_COMPACT | JSON_ENSURE_ASCII)

struct sw_ledger;

/*
 * Open (creating if absent) a ledger for appending. An existing ledger is
 * verified first; a broken one is refused (nothing is appended to a chain
 * that does not verify) with the first bad record named in err. One fault
 * is repaired instead: a last line without its newline (the writer died in
 * the middle of a write). Those bytes were never a record; they are moved to
 * PATH.torn-SEQ (SEQ: the seq the record would have had), the ledger is cut
 * back to its last whole record, and a "daemon" record with event
 * "torn_tail_set_aside" (bytes, sha256, saved_to) says so.
 */
int sw_ledger_open(const char *path, struct sw_ledger **out, char *err, size_t errlen);
/* Syncs unsynced records, releases the lock, frees l. */
void sw_ledger_close(struct sw_ledger *l);
/* $SQLWARD_LEDGER if set and non-empty, else SW_LEDGER_DEFAULT_PATH. */
const char *sw_ledger_default_path(void);
/* seq of the last record (0 for an empty ledger) and its hash (genesis if empty). */
uint64_t sw_ledger_seq(const struct sw_ledger *l);
const char *sw_ledger_head(const struct sw_ledger *l);

/*
 * Append one record: adds "seq", "prev", "hash", and writes it (with any
 * records waiting before it) and fdatasyncs before returning. Takes a
 * reference-neutral view of rec (the caller still owns it). 0 or -1.
 */
int sw_ledger_append(struct sw_ledger *l, json_t *rec, char *err, size_t errlen);
/*
 * Same, with options: sync=false only queues the line in memory (written by
 * the next sw_ledger_flush/sync, a synced record, or once 256 KiB wait; use
 * for high-volume records such as observed statements and flush often).
 * seq_out (may be NULL) receives the seq given to the record.
 */
int sw_ledger_append_opts(struct sw_ledger *l, json_t *rec, bool sync, uint64_t *seq_out,
			  char *err, size_t errlen);
/*
 * Append one record given as its serialized fields without braces, seq,
 * prev or hash ("type":"...","time":"...",...): compact, ASCII-only JSON
 * members whose "type" and "time" are valid (the caller guarantees it; the
 * statement writer below does). 0 or -1.
 */
int sw_ledger_append_body(struct sw_ledger *l, const char *body, size_t len, bool sync, uint64_t *seq_out,
			  char *err, size_t errlen);
/* write(2) records appended with sync=false that are still in memory. 0 or -1
 * (then those records are lost and the chain continues from the file). */
int sw_ledger_flush(struct sw_ledger *l, char *err, size_t errlen);
/* Flush, then fdatasync (no-op if nothing was written since the last sync). 0 or -1. */
int sw_ledger_sync(struct sw_ledger *l, char *err, size_t errlen);

/* What the daemon knows about one statement decision. */
struct sw_decision {
	struct timespec time;          /* when the statement reached the server (CLOCK_REALTIME) */
	enum sw_engine engine;
	int pid;
	const char *role;
	const char *database;          /* NULL if unknown */
	const char *client;            /* "addr:port", "local", or NULL */
	bool governed;
	const char *statement;         /* the text the daemon judged */
	size_t statement_len;          /* its length in bytes */
	bool statement_complete;       /* false: only a prefix could be read (judged fail-closed) */
	const struct sw_analysis *analysis;
	const struct sw_judgement *per_stmt;  /* analysis->n_stmts entries */
	const struct sw_judgement *overall;
	const char *outcome;           /* "ran", "cancelled", "timed_out", "observed", ... */
	uint64_t held_us;              /* how long the session was held; 0 if never */
	const char *decided_by;        /* "policy", "cache", or an approver's name; may be NULL */
	const char *comment;           /* approver's comment; may be NULL */
	/* How the statement reached the server when it was not the parser: "bind" (one
	 * execution of a prepared statement), "fastpath", "replication", "setting"; NULL
	 * for a parsed statement (simple Query or Parse). */
	const char *via;
	/* Members appended to the record as they are ("parameters", "setting", ...); may be NULL. */
	const struct json_t *extra;
};

/*
 * Build the JSON record for a statement decision ("type":"statement").
 * "class", "command", "reasons" are the deciding statement's
 * (overall->stmt_index); "objects" and "traits" are the union over all
 * statements in the string (in order of first appearance / bit order), so a
 * reviewer sees every object the string touched; "statements" (only when
 * there is more than one) gives each statement's own class, command,
 * objects, verdict and rule. NULL strings are omitted.
 */
json_t *sw_decision_record(const struct sw_decision *d);
/* The same record written straight to the ledger (the daemon's hot path). */
int sw_ledger_append_decision(struct sw_ledger *l, const struct sw_decision *d, bool sync, uint64_t *seq_out,
			      char *err, size_t errlen);

/*
 * Build a record of any type: {"type": type, "time": now} plus fields
 * (steals the reference to fields, which may be NULL; a "type" or "time"
 * in fields overrides).
 */
json_t *sw_event_record(const char *type, json_t *fields);
/*
 * A "daemon" record: {"type":"daemon","time":now,"event":event, ...fields}
 * (steals fields; "type" and "event" cannot be overridden). Events the daemon
 * writes: "start", "stop", "policy_load", "ringbuf_drop", ...
 */
json_t *sw_daemon_record(const char *event, json_t *fields);

/* The bytes a record's hash covers, for a record whose keys are in line order
 * (seq first, prev last), e.g. one parsed from a line (caller frees). */
char *sw_ledger_canonical(json_t *rec);

/* Result of verifying a ledger file. */
struct sw_verify_result {
	bool ok;
	size_t records;            /* records that verified */
	size_t bad_line;           /* 1-based line of the first bad record (0 if ok) */
	char reason[256];          /* what is wrong with it */
	char head[65];             /* hash of the last good record */
	uint64_t good_bytes;       /* file offset just past the last good record */
	bool torn_tail;            /* the only fault: a last line without its newline */
};
/*
 * Stream-verify a ledger file. Returns 0 when the file could be read to the
 * end (res->ok says whether the chain is intact), -1 when it could not be
 * opened or read (res->reason says why; res->ok is false, bad_line 0).
 */
int sw_ledger_verify(const char *path, struct sw_verify_result *res);

/* RFC 3339 UTC with microseconds: 2026-11-21T13:20:00.123456Z */
void sw_format_time(const struct timespec *ts, char *buf, size_t len);
/* Hex SHA-256 of bytes into out[65]. */
void sw_sha256_hex(const void *data, size_t len, char out[65]);
/*
 * Parse a time: RFC 3339 ("2026-11-21T13:00:00Z", optional fraction, "Z" or
 * "+HH:MM"; without a zone it is local time; ' ' may replace 'T'; a bare date
 * is local midnight), "now", or a relative age "30s", "10m", "2h", "1d", "1w"
 * meaning that long before now. 0 or -1.
 */
int sw_parse_time(const char *s, const struct timespec *now, struct timespec *out);

#endif
