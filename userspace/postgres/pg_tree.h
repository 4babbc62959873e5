/*
 * Parse SQL with libpg_query and hand the parse tree (protobuf-c structs,
 * pg_query.pb-c.h) to a callback.
 *
 * libpg_query's public API returns the tree serialized as protobuf bytes,
 * which the caller unpacks again: make bench measured 70% of the
 * classifier's time in that round trip (serialization sizing, packing,
 * unpacking). libpg_query builds the very same protobuf-c structs before it
 * serializes them, so sqlward links with
 *   -Wl,--wrap=pg_query__parse_result__get_packed_size
 *   -Wl,--wrap=pg_query__parse_result__pack
 * and receives the tree there, before it is packed. The callback sees
 * exactly the structs unpack would have rebuilt from the bytes. Should a
 * libpg_query build not go through those functions, the bytes are unpacked
 * as before (correct, just slower).
 */
#ifndef SQLWARD_PG_TREE_H
#define SQLWARD_PG_TREE_H

#include <stdbool.h>
#include <pg_query/pg_query.pb-c.h>

/* Read-only: the tree and its strings live only during the call. */
typedef void (*sw_pg_tree_fn)(const PgQuery__ParseResult *tree, void *arg);

/*
 * Parse sql; on success call fn(tree, arg) once and return 0. On a parse
 * error return -1 with *error set to libpg_query's message (caller frees);
 * fn is not called. fn must not parse SQL itself.
 */
int sw_pg_parse_tree(const char *sql, sw_pg_tree_fn fn, void *arg, char **error);

/*
 * The server settings that change how text is lexed (src/backend/parser/scan.l:
 * standard_conforming_strings decides whether '\' escapes in '...';
 * backslash_quote whether \' is accepted: 0 off, 1 on, 2 safe_encoding).
 * The same bytes can be one statement under one setting and two under the
 * other, so the daemon parses with the backend's own values. Per thread;
 * PostgreSQL's defaults (on, safe_encoding) until set.
 */
struct sw_pg_lex {
	bool standard_conforming_strings;
	int backslash_quote;
};
#define SW_PG_LEX_DEFAULTS ((struct sw_pg_lex){ .standard_conforming_strings = true, .backslash_quote = 2 })
/* Use these settings for this thread's parses from now on (NULL: the defaults). */
void sw_pg_tree_set_lex(const struct sw_pg_lex *lex);
struct sw_pg_lex sw_pg_tree_get_lex(void);

/* Whether the last sw_pg_parse_tree on this thread got the tree before
 * serialization (for tests: false means the link flags are missing). */
bool sw_pg_tree_direct(void);
/* Tests: always take the unpack path (to compare both paths' results). */
void sw_pg_tree_force_unpack(bool on);

#endif
