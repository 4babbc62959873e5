/*
 * PostgreSQL events (gate_events.c): one kernel event from capture to
 * verdict, and the group commit that moves the backends decided in a pass.
 * Called by pg_engine_gate.c (PostgreSQL's gate for the daemon); calls down
 * into holds.c, sessions.c and daemon_state.c, never back into daemon.c,
 * pg_engine_gate.c or control_server.c.
 */
#ifndef SQLWARD_GATE_EVENTS_H
#define SQLWARD_GATE_EVENTS_H

#include <stdbool.h>
#include <stddef.h>

struct sw_daemon;

/* A ring buffer record (ctx: the struct sw_daemon). */
int sw_gate_on_event(void *ctx, const void *data, size_t size);
/* Statements the kernel held while the ring buffer was full. */
void sw_gate_take_overflow(struct sw_daemon *d);
/* Finish statements the analysis worker has classified. */
void sw_gate_worker_done(struct sw_daemon *d);
/* Group commit: sync the records of this pass, then move every backend decided in it. */
void sw_gate_release_decided(struct sw_daemon *d);
/* The ledger's state changed (told by release_queue.c's sw_daemon_ledger_state): while it fails the
 * kernel's caches allow nothing. */
void sw_gate_ledger_failing(struct sw_daemon *d, bool failing);

#endif
