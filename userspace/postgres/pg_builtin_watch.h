/*
 * The built-in functions sqlward watches at their C entry in governed
 * backends (the function checkpoint): every denylisted, sensitive or writing
 * (nextval, setval, the xid-assigning ones) function of pg_functions.c, found among PostgreSQL's built-ins
 * (pg_proc_oids.c) by OID: the OIDs they have in any supported major, so an
 * OID that names a watched function in one major and another function in
 * another (2307: opaque_out on 12, pg_stat_reset_slru from 13) is watched
 * everywhere (fails closed). However the server reaches one -- a view, a
 * column default, a PL/pgSQL expression, an operator -- the call is
 * judged before the function runs, as "SELECT pg_catalog.name()".
 */
#ifndef SQLWARD_PG_BUILTIN_WATCH_H
#define SQLWARD_PG_BUILTIN_WATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sw_watched_builtin {
	uint32_t oid;
	const char *name;          /* pg_proc.proname */
};

/* The watched built-ins (at most SW_BUILTINS_MAX), the same list for every binary; index = attach cookie >> 8. */
const struct sw_watched_builtin *sw_pg_watched_builtins(size_t *n);
/* The statement a call of watched built-in k is judged as ("SELECT pg_catalog.pg_sleep()"). */
void sw_pg_builtin_statement(size_t k, char *out, size_t len);
/*
 * The kernel names watched built-in k the same on every major. When that OID
 * is another function on a backend of this major (2307 is opaque_out on 12,
 * pg_stat_reset_slru from 13), write the statement for the function it really
 * is there and return true; false: the kernel's name is right (or the major
 * has no function with that OID) and out is untouched.
 */
bool sw_pg_builtin_statement_for_major(size_t k, int major, char *out, size_t len);
/* Is watched built-in k one a write runs for itself (PGF_IN_WRITE: nextval for a serial default,
 * the xid functions; not setval, nothing denylisted or sensitive)? Such a call inside a client
 * statement that itself writes is part of that statement's decision. */
bool sw_pg_builtin_part_of_write(size_t k);

#endif
