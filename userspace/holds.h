/*
 * Held statements (holds.c): the pending queue, release (run or cancel),
 * timeouts and the records that say so. Every engine holds through it and
 * moves its sessions through its struct sw_hold_ops (daemon_state.h).
 * Calls down into daemon_state.c, never back into daemon.c, an engine's
 * gate, gate_events.c or control_server.c.
 */
#ifndef SQLWARD_HOLDS_H
#define SQLWARD_HOLDS_H

#include "daemon_state.h"

void sw_holds_add(struct sw_daemon *d, struct sw_hold *h);
struct sw_hold *sw_holds_find(struct sw_daemon *d, uint64_t id);
/* Decide a held statement: SW_VERDICT_ALLOW runs it, SW_VERDICT_DENY cancels it.
 * Writes the ledger record (synced) before the backend moves. Frees the hold. */
int sw_holds_release(struct sw_daemon *d, struct sw_hold *h, enum sw_verdict v,
		     const char *decided_by, const char *comment, const char *outcome);
void sw_holds_expire(struct sw_daemon *d, uint64_t now_ns);
/* Holds nobody waits for any more, refused: the client hung up ("abandoned"; every second), or
 * the server is ending or cancelling the session ("terminated", "cancelled"; with the timeouts). */
void sw_holds_check_clients(struct sw_daemon *d);
void sw_holds_check_server(struct sw_daemon *d);
void sw_holds_release_all(struct sw_daemon *d, const char *outcome, const char *comment);
void sw_hold_free(struct sw_hold *h);
/* Free replaced policies no waiting hold was judged under (all, when stopping). */
void sw_holds_policy_gc(struct sw_daemon *d, bool all);
/* Write an "approval" or "approval_refused" record for a hold. */
void sw_holds_note(struct sw_daemon *d, const struct sw_hold *h, const char *type, const char *user,
		   const char *comment, const char *message);

#endif
