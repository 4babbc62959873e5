/*
 * The ledger's syncer: runs fdatasync(2) for the ledger writer (ledger.c), one
 * job at a time, either on a thread of its own (the daemon: its loop keeps
 * writing records while the disk flushes) or inline in the caller (tools,
 * tests, the watchdog: the job runs inside sw_syncer_post).
 *
 * A job is: datasync(fd) (skipped for fd < 0), then after(actx, rc) on the
 * same thread, rc being 0 or the errno of the sync. The writer uses `after`
 * to record the durable chain end in PATH.head (ledger.h), so the head file
 * is touched only by whichever thread runs the syncs.
 *
 * Threading: two threads share a threaded syncer, its owner (the thread that
 * calls every function below) and its worker. They share only the fields
 * marked "under mu" in ledger_sync.c (the job, its result, stop), under one
 * mutex: a job is posted once, taken once, its result read once, and a mutex
 * is the simplest thing that is obviously right for that. The owner posts a
 * job only while none is out (sw_syncer_busy false) and promises to keep the
 * job's fd open and its actx untouched until it has collected the job
 * (sw_syncer_collect or sw_syncer_wait): so the worker never syncs a closed or
 * reused descriptor. Collecting takes the mutex the worker released after the
 * job, so everything the job wrote (e.g. the head file's state) is visible to
 * the owner from then on. The eventfd (sw_syncer_fd) is written by the worker
 * after a job is done (for the owner's epoll) and drained by the owner whenever
 * it collects or looks (a late wake-up for a job already collected finds
 * nothing to take). The worker blocks every signal (they are the owner's).
 */
#ifndef SQLWARD_LEDGER_SYNC_H
#define SQLWARD_LEDGER_SYNC_H

#include <stdbool.h>
#include <stddef.h>

/* What runs instead of fdatasync(2) (tests inject failures and delays): 0 or an errno. */
typedef int (*sw_datasync_fn)(int fd, void *ctx);
/* Run after a job's sync on the same thread, with its result (0 or an errno). */
typedef void (*sw_sync_after_fn)(void *actx, int rc);

struct sw_syncer;

/* A syncer with a worker thread (threaded) or without (inline). NULL with err. */
struct sw_syncer *sw_syncer_new(bool threaded, char *err, size_t errlen);
/* Waits for a job still out (its result is dropped), stops the worker, frees s (NULL: nothing). */
void sw_syncer_free(struct sw_syncer *s);
/* Readable when a job is done (threaded); -1 inline. */
int sw_syncer_fd(const struct sw_syncer *s);
bool sw_syncer_threaded(const struct sw_syncer *s);
/* The sync to run (NULL: fdatasync). Only while no job is out. */
void sw_syncer_set_datasync(struct sw_syncer *s, sw_datasync_fn fn, void *ctx);
/* Post a job (only while none is out). Inline it has run when this returns. */
void sw_syncer_post(struct sw_syncer *s, int fd, sw_sync_after_fn after, void *actx);
/* Run a job here, now, and return its result (only while none is out): for a caller that would
 * only wait for it. */
int sw_syncer_run(struct sw_syncer *s, int fd, sw_sync_after_fn after, void *actx);
/* A job is out: posted and not yet collected. */
bool sw_syncer_busy(const struct sw_syncer *s);
/* Collect a finished job without waiting: true with its result in *rc; false when none is
 * out or it is still running. Drains the eventfd either way. */
bool sw_syncer_collect(struct sw_syncer *s, int *rc);
/* Wait for the job out to finish and collect it: its result (0 when none was out). */
int sw_syncer_wait(struct sw_syncer *s);

#endif
