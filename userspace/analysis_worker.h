/*
 * Classification off the daemon's event loop for large statements.
 *
 * libpg_query's time grows with the statement (a 1.9 MB expression took
 * ~0.9 s): classified in the loop, one session's huge statement would delay
 * every other session's decision by that long. Statements above a size are
 * handed to this worker thread instead; the loop keeps deciding everyone
 * else's and finishes the large one when the worker signals its eventfd.
 * The worker only parses and classifies (sw_pg_analyze under the given
 * lexing settings); policy, ledger and enforcement stay on the loop's thread.
 */
#ifndef SQLWARD_ANALYSIS_WORKER_H
#define SQLWARD_ANALYSIS_WORKER_H

#include <stddef.h>
#include "pg_tree.h"
#include "statement.h"

/* Statements at least this long are classified by the worker. */
#define SW_AWORKER_MIN_BYTES ((size_t)64 << 10)

struct sw_aworker;

/* Start the thread. NULL (errno set) if it could not be created. */
struct sw_aworker *sw_aworker_start(void);
/* Readable (eventfd) whenever finished jobs wait for sw_aworker_take. */
int sw_aworker_fd(const struct sw_aworker *w);
/* Queue text (len bytes, NUL-terminated; the worker reads it, the caller keeps
 * it alive until the job is taken back) to classify under lex; job is returned
 * with the result. */
void sw_aworker_submit(struct sw_aworker *w, const char *text, const struct sw_pg_lex *lex, void *job);
/* One finished job (its analysis moved into *out), or NULL when none is ready. */
void *sw_aworker_take(struct sw_aworker *w, struct sw_analysis *out);
/* Jobs submitted and not yet taken back. */
size_t sw_aworker_pending(const struct sw_aworker *w);
/* Finish the queued jobs, stop the thread; jobs not taken are returned by
 * sw_aworker_take afterwards. Then free with sw_aworker_free. */
void sw_aworker_stop(struct sw_aworker *w);
void sw_aworker_free(struct sw_aworker *w);

#endif
