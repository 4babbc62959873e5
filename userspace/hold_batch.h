/*
 * Deciding every hold of one session at once (`sqlward show|approve|deny
 * --session S`), still statement-exact. Pure functions: the control server
 * gathers the session's holds, these name the session, digest the set and
 * decide it all or nothing.
 *
 * A session is one PostgreSQL backend ("12345", its pid) or one MariaDB
 * connection ("12345:7", mariadbd's pid and the connection id). Both engines
 * hold a session by stopping it, so a session has at most one hold at a time
 * today; its dossier carries the transaction so far (statements that already
 * ran). The batch is still a list: its digest binds the exact holds shown.
 *
 * The batch digest is SHA-256 over the holds in hold-id order, each as
 * "<hold id text> <statement sha256>\n". A hold arriving or being decided
 * changes it, so a decision bound to an old digest decides nothing.
 */
#ifndef SQLWARD_HOLD_BATCH_H
#define SQLWARD_HOLD_BATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include "approval.h"
#include "statement.h"

#define SW_SESSION_KEY_MAX 48
/* Hex digits of the batch digest a decision must give: no hold id binds it, so as many as a
 * statement hash given without an id (its author must not be able to grind a matching set). */
#define SW_BATCH_DIGEST_PREFIX_MIN 16

/* The session key of a hold: PostgreSQL "PID"; MariaDB "PID:CONN" (conn_id < 0: unknown, "PID:?"). */
void sw_hold_batch_session_key(enum sw_engine engine, int pid, int64_t conn_id, char *buf, size_t len);
/* Is text a well-formed session key ("123" or "123:45")? */
bool sw_hold_batch_session_valid(const char *text);

struct sw_batch_item {
	const char *hold_id;      /* as `pending` shows it ("k7q2m3-12") */
	const char *sha256;       /* the held statement's SHA-256, 64 hex digits */
};

/* The batch digest (64 hex digits) of items in the order given (the caller sorts by hold id). */
void sw_hold_batch_digest(const struct sw_batch_item *items, size_t n, char out[65]);
/* Is prefix SW_BATCH_DIGEST_PREFIX_MIN..64 hex digits (any case)? Lower-cases it into out. */
bool sw_hold_batch_parse_prefix(const char *prefix, char out[65]);
/* Does digest start with the (lower-case) prefix? */
bool sw_hold_batch_digest_matches(const char *prefix, const char *digest);

/* What deciding one hold of a batch did (sw_approval_decide's result and message). */
struct sw_batch_outcome {
	enum sw_approval_result result;
	char message[1024];
};

/*
 * Approve (or deny) every approval in a[0..n) for who, all or nothing: each
 * through sw_approval_decide, the same rules as a single decision. When one is
 * refused (or already decided) the ones before it are put back exactly as they
 * were, *failed is its index and out[*failed].message says why; returns false.
 * On success out[i] says what happened to each (RECORDED, RELEASED, DENIED).
 * Every approval must be pending.
 */
bool sw_hold_batch_decide(struct sw_approval *const *a, size_t n, const struct sw_actor *who, bool approve,
			  const char *comment, const struct timespec *now, struct sw_batch_outcome *out,
			  size_t *failed);

#endif
