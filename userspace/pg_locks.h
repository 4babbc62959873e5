/*
 * PostgreSQL table lock modes (LOCKMODE 1..8 as in PostgreSQL 15
 * src/include/storage/lockdefs.h), their pg_locks.mode spellings, and what
 * each one conflicts with (src/backend/storage/lmgr/lock.c, LockConflicts[]).
 */
#ifndef SQLWARD_PG_LOCKS_H
#define SQLWARD_PG_LOCKS_H

#include <stdbool.h>

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
};
#define SW_LOCK__MAX SW_LOCK_ACCESS_EXCLUSIVE

/* "AccessShareLock" ... "AccessExclusiveLock"; NULL for SW_LOCK_NONE or out of range. */
const char *sw_lock_name(enum sw_lockmode m);
/* Parses a pg_locks.mode name; also accepts the SQL spelling ("ACCESS EXCLUSIVE",
 * any case, with spaces or underscores). SW_LOCK_NONE when unknown. */
enum sw_lockmode sw_lock_parse(const char *name);
/* Do two modes conflict (LockConflicts[] of lock.c)? */
bool sw_lock_conflicts(enum sw_lockmode a, enum sw_lockmode b);
/* Does holding m make a plain SELECT (AccessShareLock) wait? */
bool sw_lock_blocks_reads(enum sw_lockmode m);
/* Does holding m make INSERT/UPDATE/DELETE (RowExclusiveLock) wait? */
bool sw_lock_blocks_writes(enum sw_lockmode m);
/* "reads and writes", "writes", "SELECT FOR UPDATE/SHARE and writes",
 * "schema changes and maintenance", "nothing but other locks of its kind"... */
const char *sw_lock_blocks_text(enum sw_lockmode m);

#endif
