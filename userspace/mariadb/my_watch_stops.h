/*
 * Servers a gate's restart watch stopped (bpf/mariadb.bpf.c, on_chdir_exit):
 * a mariadbd that entered a governed data directory is SIGSTOPped there and
 * its pid put in that gate's my_successors map until the gate's daemon gates
 * it. Should that daemon and its watchdog both die first, the server stays
 * stopped; the dead daemon's pinned links keep the map, so a new daemon (and
 * sqlward doctor) can tell such a stop from an operator's SIGSTOP. An entry
 * made before the process began (an earlier process with its pid) is not its.
 */
#ifndef SQLWARD_MY_WATCH_STOPS_H
#define SQLWARD_MY_WATCH_STOPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct bpf_map_info;

/* Is this a gate's my_successors map (name and layout)? */
bool sw_my_is_successors_map(const struct bpf_map_info *info);

/* Does some gate's my_successors map (other than the map with id skip_id; 0: none skipped) hold pid?
 * 1: yes (*map_id: the first that does; with remove, pid is deleted from every one that does), 0: no,
 * -1: the kernel's maps cannot be listed (err says why). */
int sw_my_watch_stopped(pid_t pid, uint32_t skip_id, bool remove, uint32_t *map_id, char *err, size_t errlen);

/* The processes held in any gate's my_successors map that are stopped now (state T): up to max in
 * out[]; how many, or -1 (err says why). */
int sw_my_watch_stopped_all(pid_t *out, int max, char *err, size_t errlen);

#endif
