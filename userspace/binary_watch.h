/*
 * Governed server binaries followed through replacement on disk. A package
 * upgrade writes a new file (a new inode) at the binary's path; uprobes stay
 * on the old inode, so a cluster restarted on the new file would run ungated.
 * The daemon attaches to the new file as soon as it appears (polled), and the
 * kernel stops any exec of an unprobed file at a governed path until the
 * daemon has attached to it (or kills it when no daemon is alive).
 */
#ifndef SQLWARD_BINARY_WATCH_H
#define SQLWARD_BINARY_WATCH_H

#include <stddef.h>

struct sw_daemon;

/* At start, before attaching: processes still running an older file of a governed binary
 * (upgraded on disk, not yet restarted) get that file's layout too. -1 with err if one cannot be gated. */
int sw_binaries_find_running(struct sw_daemon *d, char *err, size_t errlen);
/* A /proc entry name: the pid when it is a process running a governed binary's path (exe set), else 0. */
int sw_binaries_proc_entry(const struct sw_daemon *d, const char *name, char *exe, size_t len);
/* Tell the kernel where the governed binaries live and which files carry probes; attach the exec hook. */
int sw_binaries_init(struct sw_daemon *d, char *err, size_t errlen);
/* Attach to replaced binaries and resume (or kill) processes stopped at exec. Every second and on SW_EV_EXEC. */
void sw_binaries_check(struct sw_daemon *d);
/* What the gate is attached to, for `sqlward status`. */
struct json_t;
struct json_t *sw_binaries_json(const struct sw_daemon *d);

#endif
