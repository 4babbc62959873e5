/*
 * Read access to the ledger for the policy's `access: ledger_readers:`,
 * granted with POSIX ACLs so the ledger stays root's file (0640) and no
 * group has to be shared with anyone else: read on the ledger file, its
 * PATH.head, its full-text store PATH.blobs and its rotated segments
 * PATH.seg (whose directories also pass it on to what is created in them
 * later), search (x) on its directory.
 * Those ACLs are rebuilt from the list every time (a reader removed from the
 * policy loses access); entries on the ledger's directory are only added (it
 * may carry an administrator's own ACL).
 */
#ifndef SQLWARD_LEDGER_ACCESS_H
#define SQLWARD_LEDGER_ACCESS_H

#include <stddef.h>
#include <jansson.h>
#include "statement.h"

/*
 * Grant readers ("alice", "group:audit") read access to ledger_path. 0, or
 * -1 with err: a name that is not an OS user or group (the others are still
 * granted), or a file system without ACLs.
 */
int sw_ledger_access_apply(const struct sw_strv *readers, const char *ledger_path, char *err, size_t errlen);
/*
 * Cheap upkeep, once a second: give the readers read access again to the
 * ledger file and PATH.head when one of them lacks it (the head file is
 * created after the first sync; a rotation puts a new file at the path).
 * The blob store needs none: its directories pass access on. 0 or -1 (err).
 */
int sw_ledger_access_refresh(const struct sw_strv *readers, const char *ledger_path, char *err, size_t errlen);
/* {"readers": ["alice", "group:audit"]}: who besides the owner and its group may read the file now. */
json_t *sw_ledger_access_json(const char *ledger_path);

#endif
