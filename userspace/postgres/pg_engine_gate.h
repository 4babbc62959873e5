/*
 * PostgreSQL's gate behind the daemon's engine seam (engine_gate.h): the
 * BPF gate on the governed server binaries (bpf_gate.c), their layouts,
 * the sessions learnt from the backends, and the daemon's handling of what
 * the kernel reports (gate_events.c). daemon.c opens it when PostgreSQL
 * binaries are given and from then on calls it only through its ops.
 * Calls down into gate_events.c, binary_watch.c, outcome_watch.c, holds.c,
 * sessions.c and daemon_state.c; nothing calls back into it.
 */
#ifndef SQLWARD_PG_ENGINE_GATE_H
#define SQLWARD_PG_ENGINE_GATE_H

#include <stddef.h>

struct sw_daemon;
struct sw_engine_gate;

/*
 * Load and check every binary's layout (d->opts->pg_bins), open the BPF gate,
 * attach its probes, learn the backends already running (refusing what a
 * gone daemon left stopped, and recording the holds it never decided), pin
 * the gate and fill *out with it and its ops. The ledger is open and the
 * policy loaded (d->scope read) before. Fails with err saying what could not
 * be loaded or attached; whatever the probes already stopped is refused then
 * and nothing of the gate is left open (pinned links stay for the next daemon).
 */
int sw_pg_engine_gate_open(struct sw_daemon *d, struct sw_engine_gate *out, char *err, size_t errlen);

#endif
