/* tracefs for the tracepoints the gate attaches (the MariaDB restart watch on chdir/fchdir). */
#ifndef SQLWARD_TRACEFS_MOUNT_H
#define SQLWARD_TRACEFS_MOUNT_H

#include <stdbool.h>
#include <stddef.h>

/* Where libbpf looks for tracepoint ids: tracefs under debugfs when that exists, else /sys/kernel/tracing. */
const char *sw_tracefs_dir(void);

/* True when sw_tracefs_dir() has the tracepoint events libbpf needs. */
bool sw_tracefs_ready(void);

/* Mounts tracefs at /sys/kernel/tracing when no tracefs is reachable (a host or container that never mounted
 * it). Returns 1 when it mounted, 0 when tracefs was already there, -1 with err when it cannot be had. Call it
 * before libbpf first attaches a tracepoint: libbpf decides once per process where tracefs lives. */
int sw_tracefs_ensure(char *err, size_t errlen);

#endif
