/* Reasons for statements a newer server accepts and the 15 grammar cannot read (see pg_version_syntax.h). */
#include <stdlib.h>
#include <string.h>
#include "pg_proc_oids.h"
#include "pg_version_syntax.h"
#include "util.h"

#define PARSE_ERROR_PREFIX "parse error: "   /* pg_classify.c parse_failed() */

void sw_pg_note_server_syntax(struct sw_analysis *a, int major)
{
	struct sw_stmt *st;

	if (!a || a->parse_ok || major <= SW_PG_GRAMMAR_MAJOR || a->n_stmts != 1)
		return;
	st = &a->stmts[0];
	for (size_t i = 0; i < st->reasons.n; i++) {
		const char *r = st->reasons.v[i];
		if (strncmp(r, PARSE_ERROR_PREFIX, strlen(PARSE_ERROR_PREFIX)) != 0)
			continue;
		st->reasons.v[i] = sw_xasprintf("PostgreSQL %d syntax the classifier (PostgreSQL %d grammar) cannot "
						"read: %s; refused (a governed role's statements must be understood)",
						major, SW_PG_GRAMMAR_MAJOR, r + strlen(PARSE_ERROR_PREFIX));
		free((char *)r);
		return;
	}
}
