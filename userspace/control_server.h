/*
 * The daemon's control socket (control_server.c): called by daemon.c;
 * calls down into holds.c, daemon_freeze.c, gate_state.c and
 * daemon_state.c, never back into daemon.c.
 */
#ifndef SQLWARD_CONTROL_SERVER_H
#define SQLWARD_CONTROL_SERVER_H

#include <stddef.h>
#include <stdint.h>

struct sw_daemon;

/* The listening socket at path (group: who may connect, NULL: root only), or -1 and err. */
int sw_control_listen(const char *path, const char *group, char *err, size_t errlen);
/* Answer the connections waiting on listen_fd. */
void sw_control_handle(struct sw_daemon *d, int listen_fd);

/*
 * Read the ledger's history of decided holds (kept for stale-id answers) and
 * return the base of this run's hold ids: the daemon sets
 * d->next_hold_id = sw_control_hold_id_base(d) once, after the ledger is open
 * and before the first hold, so sw_holds_add's ++next_hold_id gives
 * "k7q2m3-1", "k7q2m3-2", ... (a run tag this host's ledger never used).
 */
uint64_t sw_control_hold_id_base(struct sw_daemon *d);

#endif
