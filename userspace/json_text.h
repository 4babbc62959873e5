/*
 * JSON strings from client bytes. Statements and the names taken from them
 * may hold bytes that are not valid UTF-8 (e.g. a SQL_ASCII database);
 * jansson only accepts valid UTF-8, so every string that came from a client
 * goes through these.
 */
#ifndef SQLWARD_JSON_TEXT_H
#define SQLWARD_JSON_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>

/* Strict UTF-8 check (no overlongs, surrogates, > U+10FFFF or NUL bytes). */
bool sw_utf8_valid(const char *s, size_t len);
/* A JSON string of s; invalid bytes become U+FFFD. Never NULL (NULL s gives json null). */
json_t *sw_json_text(const char *s);
json_t *sw_json_textn(const char *s, size_t len);

#endif
