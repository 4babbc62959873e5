/* What state the gate is in, for `sqlward status` (control_server.c). */
#ifndef SQLWARD_GATE_STATE_H
#define SQLWARD_GATE_STATE_H

#include <jansson.h>

struct sw_daemon;

/* Scope, binaries and their checkpoints, ledger, pins, MariaDB servers, governed sessions. */
json_t *sw_daemon_gate_state(struct sw_daemon *d);

#endif
