/*
 * Making a backend stopped at the entry of a function fail there, before the
 * function does anything: through ptrace its next instruction becomes a call
 * of ProcessInterrupts with a query cancel pending, which raises "canceling
 * statement due to user request" (an ERROR the statement's transaction or a
 * PL/pgSQL handler unwinds as usual). Used where a cancel signal alone comes
 * too late: a built-in acts before it checks for interrupts.
 */
#ifndef SQLWARD_PG_RAISE_H
#define SQLWARD_PG_RAISE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include "pg_layout.h"

/* Leaves the backend stopped (the caller resumes it). false, with why: nothing was changed. */
bool sw_pg_raise_cancel(pid_t pid, const struct sw_pg_layout *L, char *why, size_t len);

#endif
