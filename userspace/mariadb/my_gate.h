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

/*
 * Probe and trace mariadbd `pid` (its binary is read from /proc/PID/exe).
 * enforce=false observes only (never stops a thread). Fails with a message
 * saying what could not be verified or attached; nothing is left attached then.
 */
int sw_my_gate_open(struct sw_daemon *d, pid_t pid, bool enforce, struct sw_my_gate **out, char *err, size_t errlen);
/* The fds the daemon's loop polls; call sw_my_gate_poll when any is readable (or on a tick). */
int sw_my_gate_ring_fd(const struct sw_my_gate *g);
int sw_my_gate_holder_fd(const struct sw_my_gate *g);
void sw_my_gate_poll(struct sw_my_gate *g);
/* The governed role patterns changed (policy load/reload). */
void sw_my_gate_set_patterns(struct sw_my_gate *g, const char *const *patterns, size_t n);
/* For `sqlward status`. */
struct json_t *sw_my_gate_state(const struct sw_my_gate *g);
/* A governed command held for a human is a struct sw_hold whose ops (daemon_state.h) are this
 * gate's: the holder moves the one thread; a refusal at the execution checkpoint ends the
 * connection; a client hang-up is seen on the connection's TCP socket. */

/* Decide what is pending, stop tracing, detach the probes. */
void sw_my_gate_close(struct sw_my_gate *g);

#endif
