/*
 * Lock strengths: names and conflicts. The conflict matrix is PostgreSQL
 * 15's LockConflicts[] (src/backend/storage/lmgr/lock.c), the table in the
 * "Explicit Locking" chapter of the manual (Table 13.2), written here as a
 * bit mask per mode.
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

void sw_lock_name_list(char *buf, size_t len)
{
	size_t o = 0;

	buf[0] = '\0';
	for (int m = 1; m <= SW_LOCK__MAX && o < len; m++) {
		const char *sep = m == 1 ? "" : m == SW_LOCK__MAX ? " or " : ", ";
		int n = snprintf(buf + o, len - o, "%s%s", sep, names[m]);
		if (n < 0)
			break;
		o += (size_t)n;
	}
}

enum sw_lockmode sw_lock_stronger(enum sw_lockmode a, enum sw_lockmode b)
{
	/* Within PostgreSQL's range the LOCKMODE number is the strength. */
	return b > a ? b : a;
}

bool sw_lock_at_least(enum sw_lockmode m, enum sw_lockmode min)
{
	return m != SW_LOCK_NONE && m >= min;
}

bool sw_lock_conflicts(enum sw_lockmode a, enum sw_lockmode b)
{
	if (!valid(a) || !valid(b))
		return false;
	return (conflicts[a] & B(b)) != 0;
}
