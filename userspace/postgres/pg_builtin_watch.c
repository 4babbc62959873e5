/* The built-ins watched at their C entry (see pg_builtin_watch.h). */
#include <stdio.h>
#include <string.h>
#include "pg_builtin_watch.h"
#include "pg_functions.h"
#include "pg_proc_oids.h"
#include "sqlward.h"

static struct sw_watched_builtin list[SW_BUILTINS_MAX];
static size_t n_list;
static int built;

const struct sw_watched_builtin *sw_pg_watched_builtins(size_t *n)
{
	if (!built) {
		for (size_t i = 0; i < sw_pg_procs_n && n_list < SW_BUILTINS_MAX; i++) {
			const struct sw_pg_proc *p = &sw_pg_procs[i];
			const struct sw_pg_func *f;
			if (strcmp(p->schema, "pg_catalog") != 0 || strcmp(p->name, "set_config") == 0)
				continue;   /* set_config with constants is SET, judged where settings are applied */
			f = sw_pg_func_lookup("pg_catalog", p->name);
			if (!f || !(f->flags & (PGF_DENY | PGF_SENSITIVE | PGF_WRITE)))
				continue;
			/* Rows of every major (pg_proc_oids.h): the union of their OIDs is watched, once
			 * each, named as in the grammar's major when it watches that OID too. */
			if (n_list && list[n_list - 1].oid == p->oid) {
				if (p->majors & SW_PG_MAJOR_BIT(SW_PG_GRAMMAR_MAJOR))
					list[n_list - 1].name = p->name;
				continue;
			}
			list[n_list++] = (struct sw_watched_builtin){ p->oid, p->name };
		}
		built = 1;
	}
	*n = n_list;
	return list;
}

void sw_pg_builtin_statement(size_t k, char *out, size_t len)
{
	size_t n;
	const struct sw_watched_builtin *b = sw_pg_watched_builtins(&n);

	snprintf(out, len, "SELECT pg_catalog.%s()", k < n ? b[k].name : "unknown");
}

bool sw_pg_builtin_statement_for_major(size_t k, int major, char *out, size_t len)
{
	size_t n;
	const struct sw_watched_builtin *b = sw_pg_watched_builtins(&n);
	const struct sw_pg_proc *p = k < n ? sw_pg_proc_by_oid(b[k].oid, major) : NULL;

	/* No function with that OID on this major: keep the watched name (fail closed). */
	if (!p || strcmp(p->name, b[k].name) == 0)
		return false;
	snprintf(out, len, "SELECT %s.%s()", p->schema, p->name);
	return true;
}

bool sw_pg_builtin_part_of_write(size_t k)
{
	size_t n;
	const struct sw_watched_builtin *b = sw_pg_watched_builtins(&n);
	const struct sw_pg_func *f = k < n ? sw_pg_func_lookup("pg_catalog", b[k].name) : NULL;

	return f && (f->flags & PGF_IN_WRITE) && !(f->flags & (PGF_DENY | PGF_SENSITIVE));
}
