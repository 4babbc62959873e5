/*
 * Replication-protocol commands of a PostgreSQL 15 walsender.
 *
 * On a replication connection every Query message goes first to
 * exec_replication_command() (walsender.c). Its scanner (repl_scanner.l)
 * looks at the first token only: if it is one of IDENTIFY_SYSTEM,
 * BASE_BACKUP, START_REPLICATION, CREATE_REPLICATION_SLOT,
 * DROP_REPLICATION_SLOT, READ_REPLICATION_SLOT, TIMELINE_HISTORY or SHOW the
 * text is a replication command (parsed with repl_gram.y and run);
 * otherwise it is ordinary SQL (a database walsender runs it through the
 * normal parser; a physical one refuses it).
 *
 * The decision here follows that scanner byte for byte: keywords are
 * UPPER-CASE only (the scanner is case-sensitive; "show x" is SQL), a
 * keyword counts only as a whole token ("SHOWX", "SHOW$1" are identifiers;
 * "SHOW;" "SHOW(" "SHOW'x'" are SHOW), a double-quoted name is never a
 * keyword, only [ \t\n\r\f] is skipped before it (a \v, a comment or any
 * other leading character makes the text SQL), and empty text is SQL.
 */
#ifndef SQLWARD_PG_REPLICATION_H
#define SQLWARD_PG_REPLICATION_H

#include <stdbool.h>
#include "statement.h"

/*
 * True when PostgreSQL 15's walsender treats cmd as a replication command:
 * then *out holds one statement of class SW_CLASS_REPLICATION whose command
 * is the keyword ("CREATE_REPLICATION_SLOT", "SHOW", ...), with reasons an
 * approver needs (slot, kind, plugin, LSN, options, what it exposes).
 * parse_ok is false (with out->error) when the rest of the command does not
 * follow repl_gram.y: the server still takes it as a replication command
 * and rejects it with a syntax error.
 * False: the walsender runs cmd as SQL (or, on a physical walsender, refuses
 * it); *out is left zeroed. That includes text whose first token is an
 * unterminated quoted string: the scanner raises "unterminated quoted
 * string" and nothing runs.
 * cmd is the Query message's string; the server rejects a message with a
 * NUL inside, so a C string is the whole command.
 */
bool sw_pg_replication_analyze(const char *cmd, struct sw_analysis *out);

#endif
