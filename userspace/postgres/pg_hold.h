/*
 * How a PostgreSQL hold moves (pg_hold.c): the struct sw_hold_ops of a
 * statement held in one stopped backend (h->pid). gate_events.c gives every
 * hold it makes these ops; holds.c and the daemon then decide it like any
 * engine's hold. Calls down into sessions.c, outcome_watch.c and
 * daemon_state.c; nothing of the daemon's calls it but through the ops.
 */
#ifndef SQLWARD_PG_HOLD_H
#define SQLWARD_PG_HOLD_H

struct sw_daemon;
struct sw_hold;

/* Make h a PostgreSQL hold of daemon d: its ops are pg_hold.c's (engine_ctx is d). */
void sw_pg_hold_init(struct sw_daemon *d, struct sw_hold *h);

#endif
