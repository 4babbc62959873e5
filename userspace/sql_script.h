/*
 * Reading SQL files as their clients run them: a script is split into
 * items, in order, each with its exact text and the 1-based line and column
 * where it starts in the input.
 *
 *  - PostgreSQL, as psql runs a file (psql -f): statements are delimited by
 *    `;` tokens from libpg_query's scanner (quotes, dollar quotes, comments,
 *    E'' strings and parentheses as the server lexes them; semicolons inside
 *    CREATE FUNCTION ... BEGIN ATOMIC bodies kept as psql keeps them). psql
 *    meta-commands (a backslash outside quotes and comments, to the end of
 *    its line) are items of kind META and are not sent to the server; \g,
 *    \gx, \gset, \gexec, \gdesc, \watch and \crosstabview also end the
 *    statement before them. psql variables in a statement (:name, :'name',
 *    :"name") are replaced with the values an earlier \set gave them, as
 *    psql does; a variable this input never sets (psql -v, \gset, a shell
 *    command) makes the statement not checkable (sql NULL, note the reason).
 *    Data lines after COPY ... FROM STDIN (up to `\.`) are one DATA item.
 *  - MariaDB, as the mysql client runs a file: statements are delimited by
 *    `;` tokens from the MariaDB lexer (my_lex.h), or by the delimiter a
 *    `DELIMITER x` line set (a META item), outside strings and comments.
 *
 * Streaming: the input is read in chunks and split chunk by chunk, so a
 * file of any size is processed with memory bounded by its largest
 * statement (and the chunk size, 1 MiB). A statement longer than 64 MiB
 * ends the input with an ERROR item, as does a NUL byte.
 *
 *     struct sw_script *s = sw_script_open_file(f, SW_ENGINE_POSTGRES, 0);
 *     struct sw_script_item it;
 *     while (sw_script_next(s, &it) > 0) {
 *             ... it.kind, it.sql, it.line ...
 *             sw_script_item_free(&it);
 *     }
 *     if (sw_script_error(s)) ... reading failed ...
 *     sw_script_close(s);
 */
#ifndef SQLWARD_SQL_SCRIPT_H
#define SQLWARD_SQL_SCRIPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include "statement.h"

enum sw_script_kind {
	SW_SCRIPT_STATEMENT,   /* a statement the client sends to the server */
	SW_SCRIPT_META,        /* a client command (psql meta-command, DELIMITER): skipped, reported */
	SW_SCRIPT_DATA,        /* COPY ... FROM STDIN data lines: skipped, reported */
	SW_SCRIPT_ERROR,       /* the rest of the input cannot be split (NUL byte, statement > 64 MiB) */
};

struct sw_script_item {
	enum sw_script_kind kind;
	char *text;            /* exact input text: a statement without its delimiter, a meta-command's
				  line; NULL for DATA */
	char *sql;             /* STATEMENT: the text the server would receive (psql variables replaced);
				  NULL when it cannot be known (see note) */
	char *note;            /* META/DATA: "skipped psql meta-command \set on line 3"; STATEMENT with
				  sql NULL: why it is not checkable; ERROR: what went wrong; else NULL */
	char *command;         /* META: the command as written ("\set", "DELIMITER"); else NULL */
	unsigned long line;    /* 1-based line of the item's first character */
	unsigned long col;     /* 1-based column (in characters) of the item's first character */
	unsigned long long offset; /* byte offset of the item's first character */
	bool substituted;      /* sql differs from text (psql variables were replaced) */
};

struct sw_script;

/* Read f (not closed by sw_script_close). my_sql_mode: SW_MY_MODE_* for MariaDB lexing. */
struct sw_script *sw_script_open_file(FILE *f, enum sw_engine engine, unsigned my_sql_mode);
/* Read len bytes of text (not copied: must outlive the script). */
struct sw_script *sw_script_open_mem(const char *text, size_t len, enum sw_engine engine, unsigned my_sql_mode);
/* Next item: 1 (*it filled, free with sw_script_item_free), 0 at the end of the input or after a
 * read error (see sw_script_error). */
int sw_script_next(struct sw_script *s, struct sw_script_item *it);
/* Why reading the input failed (strerror text), NULL when it did not. */
const char *sw_script_error(const struct sw_script *s);
void sw_script_item_free(struct sw_script_item *it);
void sw_script_close(struct sw_script *s);

/*
 * The line and column of the character (code point) at offset chars into
 * the item's text; an offset past the end gives the text's end.
 */
void sw_script_locate(const struct sw_script_item *it, size_t chars, unsigned long *line, unsigned long *col);

/*
 * PostgreSQL: the 0-based character offset in sql at which the parser
 * reports its syntax error (libpg_query's cursorpos), or -1 when sql parses
 * or the parser gives no position.
 */
long sw_script_pg_error_offset(const char *sql);

#endif
