/* What a PostgreSQL table lock mode blocks (conflicts: lock_mode.c). */
#include "pg_locks.h"

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
