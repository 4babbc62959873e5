/*
 * A governed mariadbd restarted: which process took its place. A server is
 * known by its data directory (mariadbd makes it its working directory early in
 * start-up, before InnoDB and the network), so the successor of a server that
 * exited is the mariadbd (or mysqld) process whose working directory is the
 * same directory, whatever its pid and whichever binary file it runs (a package
 * upgrade replaces the file).
 */
#ifndef SQLWARD_MY_SUCCESSOR_H
#define SQLWARD_MY_SUCCESSOR_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct sw_my_server_id {
	dev_t dev;                 /* the data directory, as the kernel knows it */
	ino_t ino;
	char path[4096];           /* as the server's /proc/PID/cwd reads (for messages) */
};

/* The data directory of the running server pid. False (err says why) if it cannot be read. */
bool sw_my_server_id_of(pid_t pid, struct sw_my_server_id *out, char *err, size_t errlen);

/* The pid of a mariadbd/mysqld process, other than not_pid, running in id's data directory; 0: none. */
pid_t sw_my_find_successor(const struct sw_my_server_id *id, pid_t not_pid);

/* A pidfd for pid (readable once it exits); -1 if the kernel has none (then sw_my_server_alive polls). */
int sw_my_pidfd(pid_t pid);

/* Send sig to pid by its pidfd when there is one (never to a process that reused the pid); 0 or -1. */
int sw_my_pidfd_signal(pid_t pid, int pidfd, int sig);

/* Is the server still running? (Its pidfd when there is one: a reused pid is not mistaken for it.) */
bool sw_my_server_alive(pid_t pid, int pidfd);

/* Has the server exited, or is it exiting (killed by SIGKILL, or its main thread ended)? */
bool sw_my_server_ending(pid_t pid, int pidfd);

/* Send sig to every MariaDB server process stopped (SIGSTOP) in id's data directory other than
 * not_pid: the kernel's watch stopped it to be gated and nobody will (the watchdog, the daemon having
 * died): SIGKILL when the daemon enforced (resumed, it would serve ungated), SIGCONT when it only
 * observed (observe-only never keeps a server from serving). Fills done[] (up to max); returns how
 * many were signalled. */
int sw_my_signal_stopped_successors(const struct sw_my_server_id *id, pid_t not_pid, int sig, pid_t *done, int max);

/* Remove every pin a daemon left in dir for mariadbd pid (gone: its probes can never fire again). */
void sw_my_unpin_server(const char *dir, pid_t pid);

#endif
