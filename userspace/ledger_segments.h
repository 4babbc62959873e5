/*
 * Closed pieces of a ledger that the daemon rotated (ledger.h, "Rotation by
 * the daemon"): they live beside the ledger in PATH.seg/, one file per
 * segment, named by the seq range it holds:
 *     PATH.seg/<first seq>-<last seq>.jsonl      just rotated, being compressed
 *     PATH.seg/<first seq>-<last seq>.jsonl.gz   compressed (gzip: zcat reads it)
 * with both numbers written as 20 digits, so names sort by seq. A segment
 * is compressed beside itself (NAME.gz.tmp), fsynced, read back and compared
 * with the plain file, renamed to NAME.gz, and only then is the plain file
 * removed: at every moment one complete copy of the segment exists.
 */
#ifndef SQLWARD_LEDGER_SEGMENTS_H
#define SQLWARD_LEDGER_SEGMENTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include "ledger_blob.h"

struct sw_segment {
	uint64_t first, last;   /* the seq range its name says it holds */
	char *path;
	bool compressed;        /* .jsonl.gz */
	uint64_t bytes;         /* on disk */
	time_t mtime;           /* when it was written last: about its last record's time */
};

struct sw_segment_list {
	struct sw_segment *v;   /* oldest first */
	size_t n;
};

/* "PATH.seg" (caller frees). */
char *sw_segments_dir(const char *ledger_path);
/* PATH.seg/<first>-<last>.jsonl[.gz] (caller frees). */
char *sw_segment_path(const char *ledger_path, uint64_t first, uint64_t last, bool compressed);
/*
 * The segments of the ledger at ledger_path, oldest first (none when PATH.seg
 * does not exist). A range with both a plain and a compressed file is listed
 * once, as the plain file (the .gz may still be written). 0, or -1 with err
 * (the directory cannot be read, or two segments overlap).
 */
int sw_segments_list(const char *ledger_path, struct sw_segment_list *out, char *err, size_t errlen);
void sw_segments_free(struct sw_segment_list *l);
/* Make PATH.seg (0750, the ledger's group) if it is missing. 0 or -1 (err). */
int sw_segments_dir_make(const char *ledger_path, const struct sw_ledger_access *access, char *err, size_t errlen);

/*
 * Compress the plain segment at path into path.gz as described above and
 * remove path. *stop (may be NULL) is polled between blocks: set, the work is
 * abandoned (the plain segment stays). 0, or -1 with err (the plain segment
 * stays; a partial .gz.tmp is removed).
 */
int sw_segment_compress(const char *path, const struct sw_ledger_access *access, const volatile bool *stop,
			char *err, size_t errlen);

/* A worker thread that compresses the segments given to it, one after another. */
struct sw_seg_compressor;
struct sw_seg_compressor *sw_seg_compressor_start(const struct sw_ledger_access *access);
/* Queue path (copied) for compression. */
void sw_seg_compressor_add(struct sw_seg_compressor *c, const char *path);
/* Segments compressed so far, and failures (the last one's error in err, may be NULL). */
void sw_seg_compressor_counts(struct sw_seg_compressor *c, uint64_t *done, uint64_t *failed, char *err,
			      size_t errlen);
/* Abandon what is in progress (its plain segment stays, compressed at the next start), join, free. */
void sw_seg_compressor_stop(struct sw_seg_compressor *c);

#endif
