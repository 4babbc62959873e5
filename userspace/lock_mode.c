/*
 * Lock strengths: names and conflicts. The PostgreSQL conflict matrix is
 * PostgreSQL 15's LockConflicts[] (src/backend/storage/lmgr/lock.c), the
 * table in the "Explicit Locking" chapter of the manual (Table 13.2); the
 * MDL matrix is MariaDB 10.11's MDL_object_lock::m_granted_incompatible
 * (sql/mdl.cc). Both are written here as a bit mask per mode.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include "lock_mode.h"

static const char *const names[SW_LOCK__MAX + 1] = {
	NULL, "AccessShareLock", "RowShareLock", "RowExclusiveLock",
	"ShareUpdateExclusiveLock", "ShareLock", "ShareRowExclusiveLock",
	"ExclusiveLock", "AccessExclusiveLock",
	"MDL_SHARED", "MDL_SHARED_HIGH_PRIO", "MDL_SHARED_READ", "MDL_SHARED_WRITE", "MDL_SHARED_UPGRADABLE",
	"MDL_SHARED_READ_ONLY", "MDL_SHARED_NO_WRITE", "MDL_SHARED_NO_READ_WRITE", "MDL_EXCLUSIVE",
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
#define S    B(SW_LOCK_MDL_SHARED)
#define SH   B(SW_LOCK_MDL_SHARED_HIGH_PRIO)
#define SR   B(SW_LOCK_MDL_SHARED_READ)
#define SW   B(SW_LOCK_MDL_SHARED_WRITE)
#define SU   B(SW_LOCK_MDL_SHARED_UPGRADABLE)
#define SRO  B(SW_LOCK_MDL_SHARED_READ_ONLY)
#define SNW  B(SW_LOCK_MDL_SHARED_NO_WRITE)
#define SNRW B(SW_LOCK_MDL_SHARED_NO_READ_WRITE)
#define X    B(SW_LOCK_MDL_EXCLUSIVE)
	[SW_LOCK_MDL_SHARED] = X,
	[SW_LOCK_MDL_SHARED_HIGH_PRIO] = X,
	[SW_LOCK_MDL_SHARED_READ] = X | SNRW,
	[SW_LOCK_MDL_SHARED_WRITE] = X | SNRW | SNW | SRO,
	[SW_LOCK_MDL_SHARED_UPGRADABLE] = X | SNRW | SNW | SU,
	[SW_LOCK_MDL_SHARED_READ_ONLY] = X | SNRW | SW,
	[SW_LOCK_MDL_SHARED_NO_WRITE] = X | SNRW | SNW | SU | SW,
	[SW_LOCK_MDL_SHARED_NO_READ_WRITE] = X | SNRW | SNW | SRO | SU | SW | SR,
	[SW_LOCK_MDL_EXCLUSIVE] = X | SNRW | SNW | SRO | SU | SW | SR | SH | S,
#undef S
#undef SH
#undef SR
#undef SW
#undef SU
#undef SRO
#undef SNW
#undef SNRW
#undef X
};

static bool valid(enum sw_lockmode m)
{
	return m >= 1 && m <= SW_LOCK__MAX;
}

const char *sw_lock_name(enum sw_lockmode m)
{
	return valid(m) ? names[m] : NULL;
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
	for (int m = SW_LOCK_MDL_FIRST; m <= SW_LOCK_MDL_LAST; m++)
		if (strcasecmp(name, names[m]) == 0) /* "mdl_shared_read" */
			return (enum sw_lockmode)m;
	/* "ACCESS EXCLUSIVE", "access_exclusive", "AccessExclusive" */
	for (const char *p = name; *p && o + 1 < sizeof(norm); p++)
		if (*p != ' ' && *p != '_')
			norm[o++] = (char)tolower((unsigned char)*p);
	norm[o] = 0;
	for (int m = 1; m <= SW_LOCK_PG_LAST; m++) {
		size_t n = strlen(names[m]) - 4; /* without "Lock" */
		if ((strlen(norm) == n && strncasecmp(norm, names[m], n) == 0) ||
		    strcasecmp(norm, names[m]) == 0)
			return (enum sw_lockmode)m;
	}
	/* "SHARED_READ" (performance_schema's spelling); "EXCLUSIVE" stays PostgreSQL's above */
	for (int m = SW_LOCK_MDL_FIRST; m <= SW_LOCK_MDL_LAST; m++)
		if (strcasecmp(name, names[m] + 4) == 0)
			return (enum sw_lockmode)m;
	return SW_LOCK_NONE;
}

static void name_list(char *buf, size_t len, int first, int last)
{
	size_t o = 0;

	buf[0] = '\0';
	for (int m = first; m <= last && o < len; m++) {
		const char *sep = m == first ? "" : m == last ? " or " : ", ";
		int n = snprintf(buf + o, len - o, "%s%s", sep, names[m]);
		if (n < 0)
			break;
		o += (size_t)n;
	}
}

void sw_lock_name_list(char *buf, size_t len)
{
	name_list(buf, len, 1, SW_LOCK_PG_LAST);
}

void sw_lock_mdl_name_list(char *buf, size_t len)
{
	name_list(buf, len, SW_LOCK_MDL_FIRST, SW_LOCK_MDL_LAST);
}

bool sw_lock_is_mdl(enum sw_lockmode m)
{
	return m >= SW_LOCK_MDL_FIRST && m <= SW_LOCK_MDL_LAST;
}

/* m blocks everything min blocks (both MDL). */
static bool mdl_covers(enum sw_lockmode m, enum sw_lockmode min)
{
	return (conflicts[m] & conflicts[min]) == conflicts[min];
}

enum sw_lockmode sw_lock_stronger(enum sw_lockmode a, enum sw_lockmode b)
{
	if (a == SW_LOCK_NONE || !valid(b))
		return valid(a) ? a : b;
	if (sw_lock_is_mdl(a) != sw_lock_is_mdl(b))
		return a;
	if (sw_lock_is_mdl(a)) {
		if (mdl_covers(a, b) != mdl_covers(b, a))
			return mdl_covers(a, b) ? a : b;
		return b > a ? b : a;
	}
	/* Within PostgreSQL's range the LOCKMODE number is the strength. */
	return b > a ? b : a;
}

bool sw_lock_at_least(enum sw_lockmode m, enum sw_lockmode min)
{
	if (!valid(m) || !valid(min) || sw_lock_is_mdl(m) != sw_lock_is_mdl(min))
		return false;
	if (sw_lock_is_mdl(m))
		return mdl_covers(m, min);
	return m >= min;
}

bool sw_lock_conflicts(enum sw_lockmode a, enum sw_lockmode b)
{
	if (!valid(a) || !valid(b))
		return false;
	return (conflicts[a] & B(b)) != 0;
}
