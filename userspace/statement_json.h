/*
 * JSON views of classified statements, shared by `sqlward check`, the
 * ledger and the control socket so every consumer sees the same fields.
 */
#ifndef SQLWARD_STATEMENT_JSON_H
#define SQLWARD_STATEMENT_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>
#include "statement.h"
#include "json_text.h"  /* sw_json_text & co., which every user of this header also writes */

/*
 * {"class":..., "command":..., "objects":[names], "locks":{name: mode},
 *  "functions":[...], "columns":[...], "traits":[names], "rewrites_table":bool,
 *  "reasons":[...]} plus "prepare_name"/"execute_name" when set.
 * Does not include the statement text.
 */
json_t *sw_stmt_json(const struct sw_stmt *st);
/* The trait bits as a JSON array of names. */
json_t *sw_traits_json(unsigned traits);

#endif
