/*
 * Every engine's decided statements on their way out (group commit): a
 * statement the policy allowed or refused is queued with its engine's ops
 * (struct sw_release_ops, daemon_state.h) while its thread or backend stays
 * stopped, and moves once a finished sync of the ledger covers its record
 * (sw_daemon_record_safe): one sync for every statement decided before it.
 * While the ledger cannot be written, refusals go ahead at once (fail
 * closed), and an allowed statement stays stopped until its record is on
 * disk, for up to sw_release_wait_ns(); then it is refused instead, with a
 * "release_refused_unrecorded" daemon record written once the ledger takes
 * records again. A stopping daemon leaves nothing queued: it waits for the
 * sync, and refuses what its record could not cover.
 *
 * Also owned here: the daemon's view of whether the ledger is writable
 * (d->ledger_failing_since_ns), told to every engine's gate.
 */
#ifndef SQLWARD_RELEASE_QUEUE_H
#define SQLWARD_RELEASE_QUEUE_H

#include <stdbool.h>
#include <stdint.h>
#include "daemon_state.h"

/* How often a failing ledger is tried again while statements wait for it. */
#define SW_LEDGER_RETRY_NS (200ull * 1000000ull)

/* How long an allowed statement waits for its record to reach a failing ledger before it is
 * refused (30 s; tests shorten it with SQLWARD_TEST_LEDGER_WAIT_MS). */
uint64_t sw_release_wait_ns(void);

/* Queue a decided statement right after appending its record (copied; r->ops set; r->seq its
 * record's, or 0: the chain's end now). An allowed one whose record the ledger drops later (it
 * waited beyond SW_LEDGER_BUFFER_MAX for a writable ledger; sw_ledger_kept) is refused. */
void sw_release_queue(struct sw_daemon *d, const struct sw_release *r);
/* Sync what waits (or retry a failing ledger, at most every SW_LEDGER_RETRY_NS) and move every
 * statement its record allows to. Cheap with nothing queued. */
void sw_release_run(struct sw_daemon *d);

/* What becomes of one queued statement now (pure; sets r->waiting_since_ns when it starts to wait). */
enum sw_release_fate {
	SW_RELEASE_KEEP,               /* stays stopped */
	SW_RELEASE_RUN,                /* allowed, its record is durable */
	SW_RELEASE_REFUSE,             /* refused by the policy: goes now */
	SW_RELEASE_REFUSE_UNRECORDED,  /* allowed, but its record could not be written in time */
};
enum sw_release_fate sw_release_fate(struct sw_release *r, bool ledger_ok, bool record_safe, uint64_t now_ns,
				     uint64_t wait_ns, bool stopping);

/* The ledger is failing (err says why) or writable again: said once per change (stderr, and a
 * "ledger_writable_again" record), and told to every engine's gate (its ledger_state op). */
void sw_daemon_ledger_state(struct sw_daemon *d, bool failing, const char *err);

#endif
