/*
 * What the daemon does to keep its ledger as an operator wants it, once a
 * second from its loop:
 *  - rotation: the live file becomes a segment (sw_ledger_rotate) once it
 *    holds --ledger-rotate-size bytes (default 256M; 0 turns it off) or its
 *    first record is --ledger-rotate-interval old (default off), and the
 *    segment is gzip-compressed on a worker thread (ledger_segments.h);
 *  - retention: the oldest compressed segments are deleted once they are
 *    older than --ledger-retain (by the segment file's time, i.e. about its
 *    last record's) or while segments and live file together exceed
 *    --ledger-retain-bytes; a synced "segments_removed" record comes first
 *    (ledger.h); the live file is never deleted;
 *  - signed checkpoints (ledger_checkpoint.h) with --checkpoint-key every
 *    --checkpoint-every records (default 10000) or --checkpoint-interval
 *    (default 60s) when the chain moved, and one when the daemon stops, sent
 *    to every --checkpoint-to (FILE, syslog, webhook:URL) and recorded in the
 *    ledger as a "checkpoint" record.
 */
#ifndef SQLWARD_LEDGER_UPKEEP_H
#define SQLWARD_LEDGER_UPKEEP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define SW_UPKEEP_MAX_SINKS 4
#define SW_UPKEEP_DEFAULT_ROTATE_BYTES (256ull << 20)

struct sw_ledger_upkeep_opts {
	uint64_t rotate_bytes;          /* 0: not by size */
	uint64_t rotate_interval_s;     /* 0: not by time */
	uint64_t retain_s;              /* 0: not by age */
	uint64_t retain_bytes;          /* 0: not by size */
	const char *checkpoint_key;     /* NULL: no checkpoints */
	const char *checkpoint_to[SW_UPKEEP_MAX_SINKS];
	int n_checkpoint_to;
	uint64_t checkpoint_every;      /* records; 0: the default */
	uint64_t checkpoint_interval_s; /* 0: the default */
};

struct sw_ledger;
struct sw_notifier;
struct sw_ledger_upkeep;

/* "90d", "12h", "30m", "60s", "45" (seconds): 0 or -1. */
int sw_upkeep_parse_duration(const char *s, uint64_t *out_s);
/* "256M", "1G", "512K", "1000" (bytes): 0 or -1. */
int sw_upkeep_parse_size(const char *s, uint64_t *out);
/* Check the options (the checkpoint key's owner and mode, the sinks). 0 or -1 with err. */
int sw_ledger_upkeep_check(const struct sw_ledger_upkeep_opts *o, char *err, size_t errlen);

/*
 * Start: loads the checkpoint key, starts the compressor (and gives it the
 * segments a previous daemon left uncompressed). notifier (may be NULL)
 * delivers webhook checkpoints. NULL with err when the options cannot work.
 */
struct sw_ledger_upkeep *sw_ledger_upkeep_start(const struct sw_ledger_upkeep_opts *o, struct sw_ledger *l,
						struct sw_notifier *notifier, char *err, size_t errlen);
/* After every pass of the daemon's loop (cheap): rotate when due (the size on every
 * call), retain and checkpoint at most once a second. */
void sw_ledger_upkeep_tick(struct sw_ledger_upkeep *u, struct sw_ledger *l);
/* A checkpoint now (when the chain moved since the last). 0, or -1 (reported on stderr). */
int sw_ledger_upkeep_checkpoint(struct sw_ledger_upkeep *u, struct sw_ledger *l);
/* The last checkpoint taken: its seq and when (0: none yet). */
void sw_ledger_upkeep_last_checkpoint(const struct sw_ledger_upkeep *u, uint64_t *seq, time_t *when);
/* A last checkpoint, stop the compressor, free (NULL is fine). */
void sw_ledger_upkeep_stop(struct sw_ledger_upkeep *u, struct sw_ledger *l);

#endif
