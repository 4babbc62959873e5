/*
 * Lock strength: the one representation of "which lock a statement takes
 * on an object", shared by every engine, the impact analysis, policies and
 * every output. Code compares and stores the enum; a mode's name appears
 * only where text is written or read (sw_lock_name, sw_lock_parse).
 *
 * The names are PostgreSQL's pg_locks.mode spellings ("AccessExclusiveLock").
 * They are an output contract: the "locks" object of `sqlward check --format
 * json`, the lock_set of the impact, and the `lock:` condition of policies.
 *
 * Values 1..8 are PostgreSQL's table lock modes (LOCKMODE in PostgreSQL 15
 * src/include/storage/lockdefs.h), weakest first; the order is PostgreSQL's,
 * in which each mode conflicts with at least as many modes as the one before.
 *
 * Room for MySQL/MariaDB metadata locks: they are not table lock modes and
 * their conflicts differ (sql/mdl.cc), so they get their own values after
 * SW_LOCK_PG_LAST (e.g. SW_LOCK_MDL_SHARED_READ ... SW_LOCK_MDL_EXCLUSIVE,
 * named as performance_schema.metadata_locks.LOCK_TYPE spells them), their own
 * names in lock_mode.c's table and their own conflict rows (an MDL and a
 * PostgreSQL mode never conflict: one statement runs on one engine). Code
 * that means "at least this strong" must then compare within one engine's
 * range (sw_lock_stronger does); a bare `>` only holds within a range.
 */
#ifndef SQLWARD_LOCK_MODE_H
#define SQLWARD_LOCK_MODE_H

#include <stdbool.h>
#include <stddef.h>

enum sw_lockmode {
	SW_LOCK_NONE = 0,
	SW_LOCK_ACCESS_SHARE = 1,            /* SELECT */
	SW_LOCK_ROW_SHARE = 2,               /* SELECT FOR UPDATE/SHARE */
	SW_LOCK_ROW_EXCLUSIVE = 3,           /* INSERT, UPDATE, DELETE, MERGE */
	SW_LOCK_SHARE_UPDATE_EXCLUSIVE = 4,  /* VACUUM, ANALYZE, CREATE INDEX CONCURRENTLY */
	SW_LOCK_SHARE = 5,                   /* CREATE INDEX */
	SW_LOCK_SHARE_ROW_EXCLUSIVE = 6,     /* CREATE TRIGGER, ADD FOREIGN KEY */
	SW_LOCK_EXCLUSIVE = 7,               /* REFRESH MATERIALIZED VIEW CONCURRENTLY */
	SW_LOCK_ACCESS_EXCLUSIVE = 8,        /* most ALTER TABLE, DROP, TRUNCATE */
	SW_LOCK_PG_LAST = SW_LOCK_ACCESS_EXCLUSIVE,
	/* A MySQL engine's metadata-lock strengths go here (see above). */
};
#define SW_LOCK__MAX SW_LOCK_PG_LAST

/* "AccessShareLock" ... "AccessExclusiveLock"; NULL for SW_LOCK_NONE or out of range. */
const char *sw_lock_name(enum sw_lockmode m);
/* Parses a pg_locks.mode name; also accepts the SQL spelling ("ACCESS EXCLUSIVE",
 * any case, with spaces or underscores). SW_LOCK_NONE when unknown. */
enum sw_lockmode sw_lock_parse(const char *name);
/* The names a policy may write, for messages: "AccessShareLock, ..., ExclusiveLock or AccessExclusiveLock". */
void sw_lock_name_list(char *buf, size_t len);
/* The stronger of two modes (a when they are equal; SW_LOCK_NONE is weakest). */
enum sw_lockmode sw_lock_stronger(enum sw_lockmode a, enum sw_lockmode b);
/* Is m min or stronger (a policy's `lock: MODE`)? False for SW_LOCK_NONE. */
bool sw_lock_at_least(enum sw_lockmode m, enum sw_lockmode min);
/* Do two modes conflict (PostgreSQL's LockConflicts[] of lock.c)? */
bool sw_lock_conflicts(enum sw_lockmode a, enum sw_lockmode b);

#endif
