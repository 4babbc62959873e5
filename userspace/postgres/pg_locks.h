/*
 * What holding a PostgreSQL table lock mode (lock_mode.h) keeps other
 * sessions from doing, for people and for the impact analysis.
 */
#ifndef SQLWARD_PG_LOCKS_H
#define SQLWARD_PG_LOCKS_H

#include <stdbool.h>
#include "lock_mode.h"

/* Does holding m make a plain SELECT (AccessShareLock) wait? */
bool sw_lock_blocks_reads(enum sw_lockmode m);
/* Does holding m make INSERT/UPDATE/DELETE (RowExclusiveLock) wait? */
bool sw_lock_blocks_writes(enum sw_lockmode m);
/* "reads and writes", "writes", "SELECT FOR UPDATE/SHARE and writes",
 * "schema changes and maintenance", "nothing but other locks of its kind"... */
const char *sw_lock_blocks_text(enum sw_lockmode m);

#endif
