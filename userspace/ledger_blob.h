/*
 * Full statement texts beside the ledger: a content-addressed store.
 *
 * A statement longer than SW_LEDGER_TEXT_MAX keeps its first bytes in its
 * record and its whole text in LEDGER.blobs/ab/<sha256>.z: the text
 * compressed as one zlib stream (RFC 1950; Python: zlib.decompress), named
 * by the SHA-256 of the uncompressed text, so equal texts share one file. The
 * record names it with "statement_blob", a path relative to the ledger
 * file's directory ("ledger.jsonl.blobs/ab/ab12....z"), so rotated ledger
 * files in the same directory still find their texts.
 *
 * A blob is written to a temporary name, fsynced, renamed into place and its
 * directory fsynced before sw_blob_put returns: a record is only written
 * after that, so a record on disk never names a blob that is not.
 *
 * Reading is bounded by the record: the file may not be larger than any zlib
 * compression of statement_length bytes, and decompression stops at
 * statement_length bytes, so a hostile blob cannot exhaust memory or time.
 */
#ifndef SQLWARD_LEDGER_BLOB_H
#define SQLWARD_LEDGER_BLOB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Longest "statement_blob" value (NAME.blobs/ab/<64 hex>.z). */
#define SW_BLOB_REL_MAX 512

/*
 * Who may read what the ledger creates: files 0640, directories 0750, never
 * writable by others; with set_group, owned by that group (reviewers read the
 * ledger without root). Zero-initialised: the creator's group.
 */
struct sw_ledger_access {
	bool set_group;
	gid_t group;
};

/* Give fd mode (& 0777) and, with a->set_group, the group. 0 or -1 (errno set). */
int sw_ledger_apply_access(int fd, mode_t mode, const struct sw_ledger_access *a);

/*
 * Store len bytes of data, whose SHA-256 is sha, in the store STORE_NAME
 * (e.g. "ledger.jsonl.blobs") inside base_dir, durably (see above). A blob
 * already there is checked and reused (rewritten if it does not hold the
 * text). rel receives the record's "statement_blob" value. 0 or -1 (err).
 */
int sw_blob_put(const char *base_dir, const char *store_name, const void *data, size_t len, const char sha[65],
		const struct sw_ledger_access *access, char rel[SW_BLOB_REL_MAX], char *err, size_t errlen);

/*
 * Is rel a blob path sqlward writes for this SHA-256 (NAME.blobs/<2 hex>/<sha>.z,
 * nothing absolute, no ".." or other directories)? Only such paths are opened.
 */
bool sw_blob_rel_valid(const char *rel, const char sha[65]);

/*
 * Read the blob rel (relative to base_dir): it must decompress to exactly len
 * bytes whose SHA-256 is sha. Each piece of text goes to sink (NULL: only
 * check); a sink returning non-zero stops the read (-1, err from the sink's
 * caller). 0, or -1 with err saying what is wrong (missing, corrupt,
 * truncated, too long, wrong text).
 */
int sw_blob_read(const char *base_dir, const char *rel, const char sha[65], uint64_t len,
		 int (*sink)(void *ctx, const void *data, size_t n), void *ctx, char *err, size_t errlen);

#endif
