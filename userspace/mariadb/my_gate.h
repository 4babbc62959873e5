/*
 * The MariaDB gate: the probes of bpf/mariadb.bpf.c on one governed mariadbd,
 * its holder (my_holder.c), and the daemon's handling of what they report:
 * each client command of every connection is recorded under the connection's
 * account, and a governed connection's command is judged by the same policy
 * as PostgreSQL statements and run or refused while its thread is held.
 */
#ifndef SQLWARD_MY_GATE_H
#define SQLWARD_MY_GATE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct sw_daemon;
struct sw_my_gate;
struct sw_analysis;
struct sw_engine_gate;

/*
 * Probe and trace mariadbd `pid` (its binary is read from /proc/PID/exe) and
 * fill *out with the gate and its ops (engine_gate.h): the daemon polls,
 * reports and closes it through them. enforce=false observes only (never
 * stops a thread). Fails with a message saying what could not be verified or
 * attached; nothing is left attached then.
 */
int sw_my_gate_open(struct sw_daemon *d, pid_t pid, bool enforce, struct sw_engine_gate *out, char *err,
		    size_t errlen);

/* A governed command held for a human is a struct sw_hold whose ops (daemon_state.h) are this
 * gate's: the holder moves the one thread; a refusal at the execution checkpoint ends the
 * connection; a client hang-up is seen on the connection's TCP socket. */

#endif
