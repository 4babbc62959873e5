/*
 * The request id a client attaches to its SQL so that a reviewer can join the
 * question an agent was asked (its intent) to the statements it produced:
 * a leading comment "/ * sqlward: request=ID * /" (the comment is found by
 * each engine's own lexer, never by searching the text), or "request=ID" in
 * the session's application_name. ID: [A-Za-z0-9._:-]{1,128}.
 */
#ifndef SQLWARD_REQUEST_ID_H
#define SQLWARD_REQUEST_ID_H

#include <stdbool.h>
#include <stddef.h>

#define SW_REQUEST_ID_MAX 128

/*
 * The body of one comment as the lexer delimited it ("/ * ... * /" or
 * "-- ..."): "sqlward:" then space-separated items, one of them
 * "request=ID". Other items are ignored; a malformed ID is no ID.
 * out holds SW_REQUEST_ID_MAX + 1 bytes.
 */
bool sw_request_id_from_comment(const char *comment, size_t len, char *out);

/* PostgreSQL: the leading comments of sql (before its first token), found with
 * libpg_query's scanner; the first that carries a request id wins. */
bool sw_request_id_pg(const char *sql, char *out);

/* MariaDB: the same, the first token found with my_lex under mode (SW_MY_MODE_*). */
bool sw_request_id_my(const char *sql, size_t len, unsigned mode, char *out);

/* "request=ID" as a word of an application_name ("agent-7 request=q-42"). */
bool sw_request_id_from_application(const char *app, char *out);

#endif
