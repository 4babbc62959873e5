/*
 * Table lock modes and their conflicts. The conflict matrix is PostgreSQL
 * 15's LockConflicts[] (src/backend/storage/lmgr/lock.c), the table in the
 * "Explicit Locking" chapter of the manual (Table 13.2), written here as a
 * bit mask per mode.
 */
#include <ctype.h>
#include <string.h>
#include <strings.h>
#include "pg_locks.h"

static const char *const names[SW_LOCK__MAX + 1] = {
	NULL, "AccessShareLock", "RowShareLock", "RowExclusiveLock",
	"ShareUpdateExclusiveLock", "ShareLock", "ShareRowExclusiveLock",
	"ExclusiveLock", "AccessExclusiveLock",
};

#define B(m) (1u << (m))
/* conflicts[m]: the modes m conflicts with (lock.c LockConflicts[]). */
static const unsigned conflicts[SW_LOCK__MAX + 1] = {
	[SW_LOCK_ACCESS_SHARE] = B(8),
	[SW_LOCK_ROW_SHARE] = B(7) | B(8),
	[SW_LOCK_ROW_EXCLUSIVE] = B(5) | B(6) | B(7) | B(8),
	[SW_LOCK_SHARE_UPDATE_EXCLUSIVE] = B(4) | B(5) | B(6) | B(7) | B(8),
	[SW_LOCK_SHARE] = B(3) | B(4) | B(6) | B(7) | B(8),
	[SW_LOCK_SHARE_ROW_EXCLUSIVE] = B(3) | B(4) | B(5) | B(6) | B(7) | B(8),
	[SW_LOCK_EXCLUSIVE] = B(2) | B(3) | B(4) | B(5) | B(6) | B(7) | B(8),
	[SW_LOCK_ACCESS_EXCLUSIVE] = B(1) | B(2) | B(3) | B(4) | B(5) | B(6) | B(7) | B(8),
};

const char *sw_lock_name(enum sw_lockmode m)
{
	return m >= 1 && m <= SW_LOCK__MAX ? names[m] : NULL;
}

enum sw_lockmode sw_lock_parse(const char *name)
{
	char norm[40];
	size_t o = 0;

	if (!name)
		return SW_LOCK_NONE;
	for (int m = 1; m <= SW_LOCK__MAX; m++)
		if (strcmp(name, names[m]) == 0)
			return (enum sw_lockmode)m;
	/* "ACCESS EXCLUSIVE", "access_exclusive", "AccessExclusive" */
	for (const char *p = name; *p && o + 1 < sizeof(norm); p++)
		if (*p != ' ' && *p != '_')
			norm[o++] = (char)tolower((unsigned char)*p);
	norm[o] = 0;
	for (int m = 1; m <= SW_LOCK__MAX; m++) {
		size_t n = strlen(names[m]) - 4; /* without "Lock" */
		if ((strlen(norm) == n && strncasecmp(norm, names[m], n) == 0) ||
		    strcasecmp(norm, names[m]) == 0)
			return (enum sw_lockmode)m;
	}
	return SW_LOCK_NONE;
}

bool sw_lock_conflicts(enum sw_lockmode a, enum sw_lockmode b)
{
	if (a < 1 || a > SW_LOCK__MAX || b < 1 || b > SW_LOCK__MAX)
		return false;
	return (conflicts[a] & B(b)) != 0;
}

bool sw_lock_blocks_reads(enum sw_lockmode m)
{
	return sw_lock_conflicts(m, SW_LOCK_ACCESS_SHARE);
}

bool sw_lock_blocks_writes(enum sw_lockmode m)
{
	return sw_lock_conflicts(m, SW_LOCK_ROW_EXCLUSIVE);
}

const char *sw_lock_blocks_text(enum sw_lockmode m)
{
	switch (m) {
	case SW_LOCK_ACCESS_EXCLUSIVE:
		return "blocks reads and writes";
	case SW_LOCK_EXCLUSIVE:
		return "blocks writes and SELECT FOR UPDATE/SHARE (plain reads continue)";
	case SW_LOCK_SHARE_ROW_EXCLUSIVE:
	case SW_LOCK_SHARE:
		return "blocks writes (reads continue)";
	case SW_LOCK_SHARE_UPDATE_EXCLUSIVE:
		return "blocks schema changes, VACUUM and other ShareUpdateExclusiveLock holders (reads and writes continue)";
	case SW_LOCK_ROW_EXCLUSIVE:
		return "blocks CREATE INDEX and stronger locks (reads and writes continue)";
	case SW_LOCK_ROW_SHARE:
		return "blocks only ExclusiveLock and AccessExclusiveLock";
	case SW_LOCK_ACCESS_SHARE:
		return "blocks only AccessExclusiveLock";
	default:
		return "takes no table lock";
	}
}
