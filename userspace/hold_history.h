/*
 * What happened to holds that are no longer waiting, so a stale id is
 * answered with its fate ("hold X was approved by alice at T") instead of
 * "no such hold", and can never reach another statement.
 *
 * The history is read from the ledger, which already records every decision
 * (a "statement" record with "hold_id", written before the backend moves),
 * every statement the watchdog refused after the daemon died ("failure_mode")
 * and every daemon start. sw_hold_history_update reads what was appended
 * since its last call, so the daemon builds it once at start and the control
 * server catches up when an id is not found. Memory is bounded: the newest
 * SW_HOLD_HISTORY_MAX decided holds and SW_HOLD_HISTORY_RUNS run tags.
 */
#ifndef SQLWARD_HOLD_HISTORY_H
#define SQLWARD_HOLD_HISTORY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define SW_HOLD_HISTORY_MAX  4096
#define SW_HOLD_HISTORY_RUNS 1024

/* One decided hold. */
struct sw_hold_fate {
	uint64_t id;
	char sha256[65];
	char outcome[16];          /* ran, cancelled, terminated, timed_out, abandoned, ... */
	bool approved;             /* verdict allow */
	bool daemon_died;          /* refused by the watchdog after its daemon died */
	char decided_by[96];       /* "alice,bob", "sqlward", ... */
	char comment[160];         /* the approver's comment, or why sqlward refused it */
	char rule[65];
	struct timespec when;      /* when it was decided */
	unsigned run;              /* daemon runs (start records) before it: 1 for the first run */
};

struct sw_hold_history;

struct sw_hold_history *sw_hold_history_new(void);
void sw_hold_history_free(struct sw_hold_history *h);

/*
 * Read the ledger records appended since the last call (the whole file the
 * first time, and a new file at the path after a rotation, or a truncated one,
 * from its start; what was read before is kept). Only complete lines are read;
 * lines that are not JSON are skipped (`sqlward verify` judges the chain).
 * 0, or -1 with err when the file cannot be read (a missing file is empty).
 */
int sw_hold_history_update(struct sw_hold_history *h, const char *ledger_path, char *err, size_t errlen);
/* Remember one decided hold (a newer record of the same id wins). */
void sw_hold_history_add(struct sw_hold_history *h, const struct sw_hold_fate *f);
/* The newest record of this id, or NULL. */
const struct sw_hold_fate *sw_hold_history_find(const struct sw_hold_history *h, uint64_t id);
/* Daemon start records read so far: the current run's number once its start is on disk. */
unsigned sw_hold_history_runs(const struct sw_hold_history *h);
/* Did a hold id with this run tag appear in the ledger (as far as remembered)? */
bool sw_hold_history_run_seen(const struct sw_hold_history *h, uint32_t run_tag);
/* Decided holds remembered. */
size_t sw_hold_history_size(const struct sw_hold_history *h);

/*
 * One sentence on what happened to it, for a reviewer:
 *   "hold k7q2m3-4 was approved by alice at 2026-12-01T10:00:00Z (outcome ran)"
 *   "hold 3 belonged to a previous daemon run and was refused when it stopped, at T"
 * current_run: sw_hold_history_runs of the asking daemon (0: unknown).
 */
void sw_hold_fate_describe(const struct sw_hold_fate *f, unsigned current_run, char *buf, size_t len);

#endif
