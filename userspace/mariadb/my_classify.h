/*
 * MariaDB/MySQL classifier: the engine-neutral model (statement.h) from
 * MariaDB 10.11 SQL, lexed under the session's sql_mode (my_lex.c) and
 * parsed by sqlward's own grammar (my_grammar.y).
 */
#ifndef SQLWARD_MY_CLASSIFY_H
#define SQLWARD_MY_CLASSIFY_H

#include <stddef.h>
#include <stdint.h>
#include "my_lex.h"   /* SW_MY_MODE_* */
#include "statement.h"

/* MariaDB 10.11's default sql_mode. */
#define SW_MY_DEFAULT_SQL_MODE "STRICT_TRANS_TABLES,ERROR_FOR_DIVISION_BY_ZERO,NO_AUTO_CREATE_USER,NO_ENGINE_SUBSTITUTION"

/*
 * Classify a (possibly multi-statement) string. Never fails: a string it
 * cannot lex or parse gives parse_ok=false, error "line L, column C: ...",
 * and one unknown statement holding the text. An empty string, or one of
 * only comments and semicolons, gives parse_ok=true and no statements (the
 * server answers it with "Query was empty" and runs nothing).
 */
void sw_my_analyze(const char *sql, unsigned sql_mode, struct sw_analysis *out);

/*
 * The textual sql_mode ("STRICT_TRANS_TABLES,ANSI_QUOTES", any case,
 * combination modes such as ANSI expanded) to SW_MY_MODE_* bits. Returns 0,
 * or -1 with err naming the unknown mode.
 */
int sw_my_mode_parse(const char *text, unsigned *out, char *err, size_t errlen);

/*
 * Unqualified names resolve in the session's current database (USE mysql; SELECT ... FROM
 * global_priv): those that name a sensitive schema's table are marked sensitive_catalog.
 */
void sw_my_judge_database(struct sw_analysis *a, const char *db);

/* thd->variables.sql_mode as MariaDB 10.11 stores it (sql/sql_class.h MODE_*) to SW_MY_MODE_* bits. */
unsigned sw_my_mode_from_server(uint64_t server_bits);

/*
 * The enum_sql_command (my_sqlcom.h) MariaDB 10.11's parser produces for a
 * statement this classifier understood, or -1 when unsure, so the daemon
 * can check it against the command read at mysql_execute_command.
 */
int sw_my_expected_sqlcom(const struct sw_stmt *st);
const char *sw_my_sqlcom_name(int sqlcom);
/* Every enum_sql_command the server may parse the statement as (a tag two commands share gives
 * both) as a 192-bit set; false when unsure (the checkpoint then judges what the server parsed). */
bool sw_my_expected_sqlcoms(const struct sw_stmt *st, uint64_t mask[3]);

#endif
