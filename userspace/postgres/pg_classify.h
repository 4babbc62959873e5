/*
 * PostgreSQL classifier internals shared with prepared.c (the public entry
 * point sw_pg_analyze() is declared in statement.h).
 */
#ifndef SQLWARD_PG_CLASSIFY_H
#define SQLWARD_PG_CLASSIFY_H

#include <stdbool.h>

/*
 * When text is a DEALLOCATE statement: true, *name = the (case-folded)
 * prepared statement name, or NULL for DEALLOCATE ALL (caller frees).
 */
bool sw_pg_deallocate_target(const char *text, char **name);

#endif
