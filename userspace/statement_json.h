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

/*
 * {"class":..., "command":..., "objects":[names], "locks":{name: mode},
 *  "functions":[...], "columns":[...], "traits":[names], "rewrites_table":bool,
 *  "reasons":[...]} plus "prepare_name"/"execute_name" when set.
 * Does not include the statement text.
 */
json_t *sw_stmt_json(const struct sw_stmt *st);
/* The trait bits as a JSON array of names. */
json_t *sw_traits_json(unsigned traits);

/*
 * Text helpers. Statements and the names taken from them may hold bytes that
 * are not valid UTF-8 (e.g. a SQL_ASCII database); jansson only accepts
 * valid UTF-8, so every string that came from a client goes through these.
 */
/* Strict UTF-8 check (no overlongs, surrogates, > U+10FFFF or NUL bytes). */
bool sw_utf8_valid(const char *s, size_t len);
/* A JSON string of s; invalid bytes become U+FFFD. Never NULL (NULL s gives json null). */
json_t *sw_json_text(const char *s);
json_t *sw_json_textn(const char *s, size_t len);

#endif
