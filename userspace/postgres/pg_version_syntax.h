/*
 * The classifier reads PostgreSQL 15's grammar (libpg_query). A backend of a
 * newer major accepts syntax that grammar cannot read (SQL/JSON constructors
 * in 16, JSON_TABLE and MERGE ... RETURNING in 17, RETURNING OLD/NEW and
 * virtual generated columns in 18): such a statement is already unknown (a
 * parse error, so refused); this makes its reason say why. Older majors (12
 * to 14) need nothing: what the 15 grammar accepts and they do not (MERGE
 * before 15) is refused by the server itself.
 */
#ifndef SQLWARD_PG_VERSION_SYNTAX_H
#define SQLWARD_PG_VERSION_SYNTAX_H

#include "statement.h"

/*
 * For a statement to a server of PostgreSQL major `major` that the 15
 * grammar could not parse: replace the "parse error: MSG" reason with
 * "PostgreSQL N syntax the classifier (PostgreSQL 15 grammar) cannot read:
 * MSG; refused (a governed role's statements must be understood)" when N is
 * newer than 15. Anything else (parsed, other failures, older or unknown
 * majors) is left as it is.
 */
void sw_pg_note_server_syntax(struct sw_analysis *a, int major);

#endif
