/*
 * The daemon's state for its helper modules (binary_watch.c, outcome_watch.c,
 * hold_view.c, hold_webhooks.c): the lower parts only, so a helper never
 * depends on the modules that call it.
 *
 * Who owns what:
 *   daemon.c          the main loop, start-up and stop, policy reload, the ledger's
 *                     sync and flush; it knows each engine only by its open function
 *                     and calls its gate through struct sw_engine_gate_ops (engine_gate.h)
 *   pg_engine_gate.c  PostgreSQL's gate: its open (layouts, probes, backends already
 *                     running, a previous daemon's undecided holds), the kernel's ring
 *                     buffer and overflow, heartbeat, session sweep, pins, counters,
 *                     stop (pg_engine_gate.h)
 *   my_gate.c         MariaDB's gate, one per governed mariadbd (my_gate.h)
 *   control_server.c  the control socket (control_server.h)
 *   gate_events.c     PostgreSQL events from capture to verdict (gate_events.h)
 *   holds.c           the hold queue: add, release, expire, holds nobody waits for;
 *                     every engine's holds move through their struct sw_hold_ops
 *                     (holds.h; PostgreSQL's are pg_hold.c's)
 *   daemon_freeze.c   acting on a freeze change (daemon_freeze.h)
 *   gate_state.c      the gate's state for `sqlward status` (gate_state.h)
 *   hold_json.c       a hold as JSON (hold_json.h)
 *   sessions.c        the session table (sessions.h)
 *   daemon_state.c    struct sw_daemon, sw_session_info, sw_hold; clock, records, freeze
 *                     as it stands, layouts, counters (daemon_state.h)
 * Calls go down that list's dependency order (daemon_state.h draws it), never up:
 * scripts/module-cycles.py checks it.
 */
#ifndef SQLWARD_DAEMON_INTERNAL_H
#define SQLWARD_DAEMON_INTERNAL_H

#include "daemon_state.h"
#include "hold_json.h"
#include "sessions.h"

#endif
