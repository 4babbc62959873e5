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
 * MariaDB metadata locks (MDL) are not table lock modes and their conflicts
 * differ (sql/mdl.cc), so they have their own values after SW_LOCK_PG_LAST,
 * in MariaDB 10.11's enum_mdl_type order (sql/mdl.h), named as
 * information_schema.METADATA_LOCK_INFO.LOCK_MODE spells them
 * ("MDL_SHARED_READ"), with their own conflict rows (MDL_object_lock's
 * m_granted_incompatible). An MDL and a PostgreSQL mode never conflict: one
 * statement runs on one engine. The MDL order is not a strength order (SU
 * and SRO block different things), so "at least this strong" for MDL means
 * "blocks at least what min blocks" (sw_lock_at_least); a bare `>` only holds
 * within PostgreSQL's range.
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
	/* MariaDB 10.11 table metadata locks (sql/mdl.h enum_mdl_type). */
	SW_LOCK_MDL_SHARED = 9,               /* S: metadata only (PREPARE, HANDLER OPEN) */
	SW_LOCK_MDL_SHARED_HIGH_PRIO = 10,    /* SH: information_schema, SHOW */
	SW_LOCK_MDL_SHARED_READ = 11,         /* SR: SELECT */
	SW_LOCK_MDL_SHARED_WRITE = 12,        /* SW: INSERT, UPDATE, DELETE, SELECT FOR UPDATE */
	SW_LOCK_MDL_SHARED_UPGRADABLE = 13,   /* SU: online ALTER TABLE while it runs */
	SW_LOCK_MDL_SHARED_READ_ONLY = 14,    /* SRO: LOCK TABLES ... READ */
	SW_LOCK_MDL_SHARED_NO_WRITE = 15,     /* SNW: ALTER TABLE copying rows (LOCK=SHARED) */
	SW_LOCK_MDL_SHARED_NO_READ_WRITE = 16, /* SNRW: LOCK TABLES ... WRITE */
	SW_LOCK_MDL_EXCLUSIVE = 17,           /* X: DROP, RENAME, TRUNCATE, CREATE; every ALTER briefly */
	SW_LOCK_MDL_FIRST = SW_LOCK_MDL_SHARED,
	SW_LOCK_MDL_LAST = SW_LOCK_MDL_EXCLUSIVE,
};
#define SW_LOCK__MAX SW_LOCK_MDL_LAST

/* "AccessShareLock" ... "AccessExclusiveLock", "MDL_SHARED" ... "MDL_EXCLUSIVE";
 * NULL for SW_LOCK_NONE or out of range. */
const char *sw_lock_name(enum sw_lockmode m);
/* Parses a pg_locks.mode name; also accepts the SQL spelling ("ACCESS EXCLUSIVE",
 * any case, with spaces or underscores). MDL names in any case, with or without
 * "MDL_" (performance_schema spells them "SHARED_READ"). SW_LOCK_NONE when unknown. */
enum sw_lockmode sw_lock_parse(const char *name);
/* The PostgreSQL names a policy may write, for messages: "AccessShareLock, ..., ExclusiveLock or AccessExclusiveLock". */
void sw_lock_name_list(char *buf, size_t len);
/* The MDL names, for messages: "MDL_SHARED, ..., MDL_SHARED_NO_READ_WRITE or MDL_EXCLUSIVE". */
void sw_lock_mdl_name_list(char *buf, size_t len);
/* Is m one of MariaDB's metadata locks? */
bool sw_lock_is_mdl(enum sw_lockmode m);
/* The stronger of two modes (a when they are equal or of different engines;
 * SW_LOCK_NONE is weakest). Two MDL modes neither of which blocks all the
 * other blocks (SU, SRO) give the later one in enum_mdl_type order. */
enum sw_lockmode sw_lock_stronger(enum sw_lockmode a, enum sw_lockmode b);
/* Is m min or stronger (a policy's `lock: MODE`)? False for SW_LOCK_NONE and
 * across engines. For MDL: m conflicts with every mode min conflicts with. */
bool sw_lock_at_least(enum sw_lockmode m, enum sw_lockmode min);
/* Do two modes conflict (PostgreSQL's LockConflicts[] of lock.c; MariaDB's
 * MDL_object_lock::m_granted_incompatible of mdl.cc)? */
bool sw_lock_conflicts(enum sw_lockmode a, enum sw_lockmode b);

#endif
