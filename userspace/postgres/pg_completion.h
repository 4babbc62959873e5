/*
 * How every recorded client statement ended, and runtime budgets.
 *
 * The kernel keeps, per backend, the client statement it runs now (map
 * "running") and adds up what the completion probes see (EndCommand's rows,
 * the first error's SQLSTATE); when the backend is idle again it sends one
 * SW_EV_COMPLETION. Where the statement ran without waiting for the daemon
 * (observed, or allowed by the kernel's caches), its record waits for the
 * completion until the end of the loop's pass, and both are written as one
 * record: the statement record with a "completion" object (half the framing,
 * hashing and writing per statement; readers: record_completion.h).
 * Otherwise the completion is a "completion" ledger record pointing at the
 * statement's record (statement_seq). A completion that arrives before its
 * statement's record was written (the statement was still with the analysis
 * worker) waits for it.
 *
 * A governed statement allowed by a rule with `budget:` that still runs when
 * the budget is over is cancelled (SIGINT, as pg_cancel_backend does) only
 * when the kernel says the backend still runs that very statement; its
 * completion then says "over_budget".
 */
#ifndef SQLWARD_PG_COMPLETION_H
#define SQLWARD_PG_COMPLETION_H

#include <stddef.h>
#include <stdint.h>

struct sw_daemon;
struct sw_session_info;
struct sw_completion_event;
struct sw_decision;

/* A SW_EV_COMPLETION from the ring buffer. */
void sw_pg_completion_on_event(struct sw_daemon *d, const void *data, size_t size);
/* The record of session s's client statement (s->statement_id) was written as s->statement_seq:
 * a completion that came first is written now. */
void sw_pg_completion_recorded(struct sw_daemon *d, const struct sw_session_info *s);
/* The record of session s's client statement statement_id, concluded without waiting for the
 * daemon (observed, or allowed in the kernel): it waits for its completion until the end of this
 * pass of the loop (sw_pg_deferred_write_all), to be written as one record with it. */
void sw_pg_record_deferred(struct sw_daemon *d, struct sw_session_info *s, const struct sw_decision *dec,
			   uint64_t statement_id);
/* A waiting record of pid's (or s's) is written now: the session records something else first. */
void sw_pg_deferred_write_pid(struct sw_daemon *d, int pid);
void sw_pg_deferred_write_session(struct sw_daemon *d, struct sw_session_info *s);
/* The end of a pass: every waiting record is written (alone where its completion did not come). */
void sw_pg_deferred_write_all(struct sw_daemon *d);
/* An allowed governed client statement with a runtime budget, running since start_ns (monotonic). */
void sw_pg_budget_start(struct sw_daemon *d, int pid, uint64_t statement_id, uint64_t start_ns, unsigned budget_ms);
/* Every pass of the loop: cancel what is over budget; write completions whose statement never got a record. */
void sw_pg_completion_tick(struct sw_daemon *d);
/* Daemon stopping: completions still waiting are written, budgets dropped, memory freed. */
void sw_pg_completion_finish(struct sw_daemon *d);

/* The outcome a completion records (exposed for unit tests). budget_cancelled: the gate cancelled it
 * for its budget. */
const char *sw_pg_completion_outcome(const struct sw_completion_event *ev, int budget_cancelled);

#endif
