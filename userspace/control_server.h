/*
 * Control-server entry points for the daemon's start-up, beyond
 * sw_control_listen / sw_control_handle (daemon_internal.h).
 */
#ifndef SQLWARD_CONTROL_SERVER_H
#define SQLWARD_CONTROL_SERVER_H

#include <stdint.h>

struct sw_daemon;

/*
 * Read the ledger's history of decided holds (kept for stale-id answers) and
 * return the base of this run's hold ids: the daemon sets
 * d->next_hold_id = sw_control_hold_id_base(d) once, after the ledger is open
 * and before the first hold, so sw_holds_add's ++next_hold_id gives
 * "k7q2m3-1", "k7q2m3-2", ... (a run tag this host's ledger never used).
 */
uint64_t sw_control_hold_id_base(struct sw_daemon *d);

#endif
