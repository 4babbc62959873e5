/*
 * Which PostgreSQL cluster(s) one daemon governs (`--postmaster-pid`): the
 * backends of those postmasters and, since a cluster restart brings a new
 * postmaster, every process whose working directory is one of their data
 * directories (PostgreSQL runs with its data directory as cwd). With no
 * postmaster named, every process of the probed binaries is in scope.
 */
#ifndef SQLWARD_PG_SCOPE_H
#define SQLWARD_PG_SCOPE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define SW_SCOPE_MAX 8

struct sw_pg_scope {
	int n;
	struct {
		int postmaster;      /* as named on the command line */
		dev_t dev;           /* its data directory (stat of /proc/PID/cwd) */
		ino_t ino;
		char dir[4096];
	} clusters[SW_SCOPE_MAX];
};

/* From the named postmasters (n may be 0). false with err when one is not a running process. */
bool sw_pg_scope_init(struct sw_pg_scope *s, const int *postmasters, int n, char *err, size_t errlen);
/* Is pid a process of a governed cluster? */
bool sw_pg_scope_has(const struct sw_pg_scope *s, pid_t pid);
/*
 * A backend pid of a governed cluster reported a session: if its postmaster is
 * not the one on record (the cluster restarted), the scope follows it. Returns
 * the cluster's index with *previous set to the postmaster it replaced, or -1.
 */
int sw_pg_scope_follow(struct sw_pg_scope *s, pid_t pid, int *previous);
/* The kernel's encoding of a data directory's device (struct super_block.s_dev). */
unsigned long long sw_pg_scope_kdev(dev_t dev);

#endif
