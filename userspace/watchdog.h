/* The watchdog process that resolves held sessions if the daemon dies (see watchdog.c). */
#ifndef SQLWARD_WATCHDOG_H
#define SQLWARD_WATCHDOG_H

#include <stdarg.h>
#include <stddef.h>
#include "ledger_blob.h"

struct sw_policy;
struct sw_pg_scope;

struct sw_watchdog_opts {
	const char *ledger_path;
	const struct sw_policy *policy;   /* govern patterns, for backends the daemon never reported */
	const char *const *pg_bins;
	int n_pg_bins;
	const struct sw_pg_scope *scope;  /* the governed clusters (--postmaster-pid) */
	struct sw_ledger_access ledger_access;
};

/* Fork the watchdog; returns the write end of its pipe, or -1 with err set. */
int sw_watchdog_start(const struct sw_watchdog_opts *o, char *err, size_t errlen);
/* Send one line ("H pid hold_id sha role\n", "R pid\n", "Q\n"). */
void sw_watchdog_tell(int fd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
