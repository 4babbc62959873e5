/*
 * One gate per thing governed. Two daemons on one binary would judge the same
 * backends twice and, at start-up, take each other's held statements for
 * orphans. A daemon locks (flock, in /run/sqlward) every server binary it
 * probes and, when scoped with --postmaster-pid, every data directory it
 * governs: unscoped daemons lock a binary exclusively, scoped ones share it
 * and lock their data directories exclusively. The locks die with the daemon.
 */
#ifndef SQLWARD_INSTANCE_LOCK_H
#define SQLWARD_INSTANCE_LOCK_H

#include <stddef.h>

struct sw_pg_scope;

struct sw_instance_locks {
	int fds[32];
	int n;
};

/* Take the locks; -1 with err naming what is governed already and by which pid. */
int sw_instance_lock(struct sw_instance_locks *l, const char *dir, const char *const *bins, int n_bins,
		     const struct sw_pg_scope *scope, char *err, size_t errlen);
void sw_instance_unlock(struct sw_instance_locks *l);

#endif
