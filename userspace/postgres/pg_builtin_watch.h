/*
 * The built-in functions sqlward watches at their C entry in governed
 * backends (the function checkpoint): every denylisted or sensitive
 * function of pg_functions.c, found among PostgreSQL's built-ins
 * (pg_proc_oids.c) by OID. However the server reaches one -- a view, a
 * column default, a PL/pgSQL expression, an operator -- the call is
 * judged before the function runs, as "SELECT pg_catalog.name()".
 */
#ifndef SQLWARD_PG_BUILTIN_WATCH_H
#define SQLWARD_PG_BUILTIN_WATCH_H

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

#endif
