/*
 * What a PostgreSQL statement reads (read_facts.h), from its libpg_query
 * parse tree: every column reference resolved through the FROM aliases of
 * its query level and the enclosing ones, `*` references, one scan per
 * relation read with the columns its own level's WHERE pins to a constant,
 * and the outermost LIMIT. One walk over the tree, bounded work.
 */
#ifndef SQLWARD_PG_READ_FACTS_H
#define SQLWARD_PG_READ_FACTS_H

#include <pg_query/pg_query.pb-c.h>
#include "statement.h"

/* At most this many distinct column references and scans; beyond: facts.truncated. */
#define SW_PG_READ_MAX_COLS  1024
#define SW_PG_READ_MAX_SCANS 1024

/*
 * Fill st->reads for a statement that reads: SELECT (VALUES, SELECT INTO),
 * INSERT/UPDATE/DELETE/MERGE, and the query inside EXPLAIN, PREPARE, DECLARE
 * CURSOR, COPY (query) TO / COPY table TO, CREATE TABLE AS / MATERIALIZED
 * VIEW. Other statements keep st->reads NULL. stmt is RawStmt.stmt.
 */
void sw_pg_read_facts(const PgQuery__Node *stmt, struct sw_stmt *st);

#endif
