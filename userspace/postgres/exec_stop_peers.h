/*
 * Stops at exec shared by several gates. Each sqlward daemon on a host loads
 * its own gate (one per cluster with --postmaster-pid), and every gate's exec
 * hook stops the same exec of a replaced server binary, each recording it in
 * its own map "exec_stopped". A stop may be released only by the last gate
 * holding it: the others may not have attached their probes yet. This finds
 * the other gates' maps through the kernel's list of BPF maps.
 */
#ifndef SQLWARD_EXEC_STOP_PEERS_H
#define SQLWARD_EXEC_STOP_PEERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Entries this close in time are the same exec (every gate's hook runs on it within
 * microseconds); an older entry for the pid is another exec's, left by a dead daemon. */
#define SW_EXEC_STOP_SAME_NS 1000000000ull

/* Does the exec_stopped map map_fd hold the stop of pid made at ktime_ns? */
bool sw_exec_stop_in_map(int map_fd, uint32_t pid, uint64_t ktime_ns);
/*
 * How many other gates' exec_stopped maps (not own_map_fd's) hold that stop:
 * 0 when none; -1 with err when the kernel's maps cannot be listed.
 */
int sw_exec_stop_peers(int own_map_fd, uint32_t pid, uint64_t ktime_ns, char *err, size_t errlen);

#endif
