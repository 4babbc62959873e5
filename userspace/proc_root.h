/*
 * Server binaries of processes in other mount namespaces (containers).
 *
 * A process's /proc/PID/exe link and /proc/PID/maps name its file as seen
 * from its own root: inside a container "/usr/lib/postgresql/15/bin/postgres"
 * names the container's file, and on the host the same string names another
 * file (or none). The daemon reaches the container's file through
 * /proc/PID/root/...; uprobes attach to the inode, so that path is only used
 * to open it. Identity is always the inode (stat through /proc/PID/exe); a
 * path is compared only within the same root.
 */
#ifndef SQLWARD_PROC_ROOT_H
#define SQLWARD_PROC_ROOT_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>

/* "/proc/N/root/rest": N and "/rest" (inner points into path). false for any other path. */
bool sw_path_in_proc_root(const char *path, int *pid, const char **inner);

/*
 * The executable of pid as a path the daemon can open: its own name when that
 * names the same file here; /proc/PID/root/NAME for a process with another
 * root (a container); else the name (a file replaced on disk or deleted).
 * false when pid is gone.
 */
bool sw_proc_exe_path(pid_t pid, char *buf, size_t len);

/* Is pid in another root than the daemon (a container, a chroot)? */
bool sw_proc_other_root(pid_t pid);

/*
 * Does pid run the governed binary bin (a host path or /proc/N/root/...)? The
 * same file, or a file of the same name in the same root (an older file the
 * binary replaced on disk, which its processes still run).
 */
bool sw_proc_runs_binary(pid_t pid, const char *bin);

/*
 * The directory that holds the file at path and the file's name there,
 * symlinks resolved without leaving a /proc/N/root (realpath(3) would follow
 * that link out of the container, to the host's file of the same name).
 */
bool sw_binary_dir(const char *path, struct stat *dir, char *name, size_t len);

/*
 * What an instance lock names for a binary path: realpath(3) of a host path;
 * for /proc/N/root/... the container's root (device:inode) and the path in it,
 * so two daemons on the same container's binary meet on one lock whichever
 * of its processes they name, and never on the host's binary of that name.
 */
void sw_binary_lock_key(const char *path, char *out, size_t len);

/*
 * Server binaries in use: one path per distinct file (a container's through
 * /proc/PID/root/..., its postmaster's pid, which outlives its backends). With
 * pids (the named postmasters), the files those run; else every running
 * process whose executable's name is base. Returns how many (at most max, 64).
 */
int sw_find_running_binaries(const char *base, const int *pids, int n_pids, char bins[][4096], int max);

#endif
