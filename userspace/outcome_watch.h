/*
 * What became of a statement a human approved. The approval record says what
 * was intended; once the backend is released, PostgreSQL may still cancel
 * the statement (its statement_timeout ran during the hold), fail it, or lose
 * its client. Probes on that one backend (EndCommand, EmitErrorReport,
 * ReadyForQuery) report what it did until it is idle again; an "outcome"
 * record says so: completed (command tags, rows), cancelled (and why),
 * failed (SQLSTATE, message), terminated, or client_gone.
 */
#ifndef SQLWARD_OUTCOME_WATCH_H
#define SQLWARD_OUTCOME_WATCH_H

#include <stddef.h>
#include <stdint.h>

struct sw_daemon;
struct sw_hold;
struct sw_outcome_event;

/* Before the released backend moves: start watching it (records "unknown" if the probes cannot attach). */
void sw_outcome_watch(struct sw_daemon *d, const struct sw_hold *h);
void sw_outcome_on_event(struct sw_daemon *d, const struct sw_outcome_event *ev, size_t size);
/* Backends that exited while watched: record their outcome. Every second. */
void sw_outcome_check(struct sw_daemon *d);
/* Daemon stopping: record what is known for every statement still running. */
void sw_outcome_finish_all(struct sw_daemon *d);
/* How many released statements are being watched. */
int sw_outcome_watched(const struct sw_daemon *d);
/* "57014" from PostgreSQL's packed SQLSTATE. */
void sw_sqlstate_unpack(uint32_t code, char out[6]);

#endif
