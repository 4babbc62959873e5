/*
 * Ledger records: one builder per record type, the only place records are
 * made. Each returns a new jansson object (callers append it with
 * sw_ledger_append* and decref it); the ledger adds "seq", "prev" and
 * "hash" and writes "type" and "time" first, the other members in the order
 * the builder sets them (which the hash chain then covers: keep it).
 *
 * Record types (README.md, "Ledger"):
 *  statement        a decision on one statement (sw_statement_record; a decided
 *                   hold adds its hold members)
 *  daemon           a daemon event (sw_daemon_record): start, stop, policy_load, ...
 *  approval         an approval of a held statement (sw_hold_note_record)
 *  approval_refused an approval or denial that was refused (sw_hold_note_record,
 *                   sw_stale_refusal_record when the hold is gone)
 *  outcome          what an approved statement then did (sw_outcome_record)
 *  completion       how a recorded client statement ended: outcome, rows, duration
 *                   (sw_completion_members)
 *  hold_unresolved  a previous daemon's hold nobody decided (sw_hold_unresolved_record)
 *  failure_mode     what the watchdog did to a held backend after the daemon died
 *                   (sw_failure_mode_record)
 *  webhook_failed   a webhook delivery given up on (sw_webhook_failed_record)
 *  session_start    a client session learned; session_end: it ended (session_record.h)
 *  gap              records that were lost (sw_gap_record; written by the ledger)
 *  continuation     a file's first record continuing a chain (sw_continuation_record;
 *                   written by the ledger)
 *  checkpoint       a signed checkpoint of the chain was taken and sent out
 *                   (sw_checkpoint_record, ledger_checkpoint.h)
 *  daemon "segments_removed"  retention deleted the oldest segments
 *                   (sw_segments_removed_record, ledger.h)
 *
 * This module sits below the ledger writer (ledger.h): it builds records and
 * never writes them, so the writer can build its own gap and continuation
 * records without a dependency loop.
 */
#ifndef SQLWARD_LEDGER_RECORD_H
#define SQLWARD_LEDGER_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include <jansson.h>
#include "json_writer.h"
#include "ledger_blob.h"
#include "policy.h"
#include "statement.h"
#include "who_fields.h"

/* Statement text longer than this is stored truncated, with its full length and SHA-256. */
#define SW_LEDGER_TEXT_MAX (64 * 1024)

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
	/* Who is asking, rendered once per session (who_fields.h): written among extra's members,
	 * before its member number who.at. Zero: none (a hold's are in extra). */
	struct sw_who_ref who;
};

/* Where a statement's full text is: its SHA-256, and where a text longer than
 * SW_LEDGER_TEXT_MAX was kept whole ("statement_blob") or why it could not be. */
struct sw_full_text {
	char sha[65];
	char blob[SW_BLOB_REL_MAX];    /* empty: not kept */
	char error[300];               /* empty: no error */
};
/* The digest of d's text, nothing kept (the ledger's full-text store fills blob/error). */
void sw_full_text_of(const struct sw_decision *d, struct sw_full_text *ft);

/*
 * The record for a statement decision ("type":"statement").
 * "class", "command", "reasons" are the deciding statement's
 * (overall->stmt_index); "objects" and "traits" are the union over all
 * statements in the string (in order of first appearance / bit order), so a
 * reviewer sees every object the string touched; "statements" (only when
 * there is more than one) gives each statement's own class, command,
 * objects, verdict and rule. NULL strings are omitted. ft: where the full
 * text is (NULL: its digest only); hold: a decided hold's members, appended
 * last (NULL: none).
 */
struct sw_hold_decision;
json_t *sw_statement_record(const struct sw_decision *d, const struct sw_full_text *ft,
			    const struct sw_hold_decision *hold);
/* sw_statement_record(d, NULL, NULL). */
json_t *sw_decision_record(const struct sw_decision *d);
/* The members of sw_statement_record(d, ft, NULL) without braces, into w (the
 * daemon's hot path writes them straight to the ledger). */
void sw_decision_members(struct sw_jw *w, const struct sw_decision *d, const struct sw_full_text *ft);

/* What a decided hold adds to its statement record. The JSON values are stolen. */
struct sw_hold_decision {
	uint64_t hold_id;
	const char *hold;              /* the id as people type it (hold_id.h) */
	uint64_t hold_seq;             /* seq of the record that held it */
	json_t *approvals;             /* [{user, time, comment}] */
	json_t *requester;             /* {user, pid}, or NULL when not known */
	json_t *requester_chain;       /* or NULL when not known */
};

/*
 * A "daemon" record: {"type":"daemon","time":now,"event":event, ...fields}
 * (steals fields; "type" and "event" cannot be overridden). Events the daemon
 * writes: "start", "stop", "policy_load", "ringbuf_drop", ...
 */
json_t *sw_daemon_record(const char *event, json_t *fields);

/* Who a note about a hold is about. */
struct sw_hold_ref {
	uint64_t hold_id;
	const char *hold;              /* the id as people type it */
	uint64_t hold_seq;             /* seq of the record that held it */
	const char *statement_sha256;
	int pid;
	const char *role;
};
/* "approval" or "approval_refused" (type) about a hold still held. comment may be NULL. */
json_t *sw_hold_note_record(const char *type, const struct sw_hold_ref *h, const char *user, const char *comment,
			    const char *message);
/* "approval_refused" about a hold no longer held ("stale"). sha256 and comment may be NULL. */
json_t *sw_stale_refusal_record(uint64_t hold_id, const char *hold, const char *sha256, const char *user,
				const char *comment, const char *message);

/* "hold_unresolved": a hold (record seq hold_seq, held at held_at) a previous daemon never decided. */
json_t *sw_hold_unresolved_record(uint64_t hold_seq, int pid, const char *role, const char *sha256,
				  const char *held_at, const char *outcome, const char *comment);

/* What an approved statement then did. */
struct sw_outcome_facts {
	const struct sw_hold_ref *hold; /* hold_id, hold, hold_seq, statement_sha256, pid, role */
	const char *outcome;           /* "completed", "cancelled", "failed", ... */
	json_t *commands;              /* [{tag, rows}]; not stolen */
	int64_t rows, ran_ms;
	const char *sqlstate;          /* with message when it failed; NULL otherwise */
	const char *message;
	const char *comment;           /* NULL: none */
};
json_t *sw_outcome_record(const struct sw_outcome_facts *o);

/*
 * How one recorded client statement ended ("type":"completion"), pointing at
 * its statement record. Written for every statement, so straight into the
 * ledger's buffer (sw_ledger_append_body) rather than through jansson.
 */
struct sw_completion_facts {
	struct timespec time;          /* when it ended (CLOCK_REALTIME) */
	enum sw_engine engine;
	int pid;
	const char *role;              /* NULL: unknown */
	uint64_t statement_seq;        /* its statement record's seq; 0: that record was not written */
	uint64_t statement_id;         /* the gate's id of the statement (the kernel's event seq) */
	const char *outcome;           /* "ran", "error", "cancelled", "over_budget", "terminated", "client_gone" */
	int64_t rows;                  /* rows processed, summed over its commands */
	int64_t commands;              /* commands completed */
	const char *command;           /* the last command's tag ("SELECT", ...), NULL when unknown */
	const char *sqlstate;          /* the first error's SQLSTATE, NULL when none */
	int64_t duration_ms;           /* from reaching the server to idle again (a hold included) */
	unsigned budget_ms;            /* over_budget: the budget it ran out of; 0 otherwise */
	/* The members of a statement record's "completion" object (the statement and its end in one
	 * record): engine, pid, role and the statement's seq and id are the record's own, left out. */
	bool embedded;
};
void sw_completion_members(struct sw_jw *w, const struct sw_completion_facts *c);
json_t *sw_completion_record(const struct sw_completion_facts *c);

/* "failure_mode": what the watchdog did (action) to a held backend after the daemon died.
 * hold_id 0 and an empty sha256 are left out. */
json_t *sw_failure_mode_record(int pid, const char *role, const char *outcome, const char *action,
			       uint64_t hold_id, const char *sha256);

/* "webhook_failed": one failed delivery (time: when it was given up on), or, with
 * webhook NULL, none; not_recorded > 0 adds "more_failures_not_recorded". */
struct sw_webhook_failure {
	const struct timespec *when;
	const char *webhook, *event, *hold_id, *error;
	int attempts;
};
json_t *sw_webhook_failed_record(const struct sw_webhook_failure *f, uint64_t not_recorded);
/* The failure's members alone, for `status` (last_error). */
json_t *sw_webhook_failure_json(const struct sw_webhook_failure *f);

/* "gap": lost records (kinds: {type: count}, stolen); the times and the failure may be empty. */
json_t *sw_gap_record(uint64_t lost, json_t *kinds, const char *first_time, const char *last_time,
		      const char *failing_since, const char *error);
/* "continuation": the file continues the chain after (seq, head). */
json_t *sw_continuation_record(uint64_t seq, const char *head, const char *reason, const char *note);

/* daemon "segments_removed": records first..last (the last with hash last_hash) were in
 * files (stolen, an array of names) deleted under rule (e.g. "older than 90d"). */
json_t *sw_segments_removed_record(uint64_t first, uint64_t last, const char *last_hash, json_t *files,
				   const char *rule);
/* "checkpoint": the chain point (seq, head) was signed (key_id, signature over ledger_id,
 * seq, head and signed_time) and sent to sent_to (stolen: an array of sink names). */
json_t *sw_checkpoint_record(const char *ledger_id, uint64_t seq, const char *head, const char *signed_time,
			     const char *key_id, const char *signature, json_t *sent_to);

/*
 * A record of any type: {"type": type, "time": now} plus fields (steals
 * fields, which may be NULL; a "type" or "time" in fields overrides). Only
 * for the builders above and for tests that forge records.
 */
json_t *sw_event_record(const char *type, json_t *fields);

#endif
