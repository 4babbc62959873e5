/*
 * Per-session registry of SQL-level prepared statements, so that
 * `EXECUTE name` is judged as the statement that session prepared.
 */
#ifndef SQLWARD_PREPARED_H
#define SQLWARD_PREPARED_H

#include "statement.h"

struct sw_prepared;  /* all sessions */

struct sw_prepared *sw_prepared_new(void);
void sw_prepared_free(struct sw_prepared *p);
/* Remember that session pid prepared st (st->prepare_name set); copies st. */
void sw_prepared_remember(struct sw_prepared *p, int pid, const struct sw_stmt *st);
/* DEALLOCATE name (name NULL: DEALLOCATE ALL / DISCARD ALL). */
void sw_prepared_forget(struct sw_prepared *p, int pid, const char *name);
/* The session ended. */
void sw_prepared_drop_session(struct sw_prepared *p, int pid);
/* NULL when the session never prepared that name (as far as sqlward saw). */
const struct sw_stmt *sw_prepared_lookup(const struct sw_prepared *p, int pid, const char *name);
/*
 * Replace every EXECUTE in a (to be judged) analysis with the statement it
 * runs: class/command/objects/... of the prepared one, traits |= prepared,
 * command kept as "EXECUTE". A name never seen becomes class unknown with
 * trait unresolved (fail closed). Also applies PREPARE/DEALLOCATE/DISCARD
 * bookkeeping only when commit is true (the statement was allowed to run).
 */
void sw_prepared_resolve(const struct sw_prepared *p, int pid, struct sw_analysis *a);
void sw_prepared_commit(struct sw_prepared *p, int pid, const struct sw_analysis *a);

#endif
