/* JSON view of a MariaDB statement's impact (my_impact.h). */
#ifndef SQLWARD_MY_IMPACT_JSON_H
#define SQLWARD_MY_IMPACT_JSON_H

#include <jansson.h>
#include "statement.h"

/*
 * Adds to a statement object made by sw_stmt_json(): "algorithm" and
 * "lock_clause" (what the server uses: INSTANT/NOCOPY/INPLACE/COPY and
 * NONE/SHARED/EXCLUSIVE) and "online_ddl" (per operation) for ALTER-like
 * statements, and corrects what each MDL entry of "lock_set" blocks
 * (impact_json.c judges modes by PostgreSQL's conflicts). No-op for a
 * statement without a MariaDB impact.
 */
void sw_my_impact_json_add(json_t *o, const struct sw_stmt *st);

#endif
