/*
 * pg_classify_major: what the daemon's classifier says about a statement, or a
 * function OID, for a backend of one PostgreSQL major (the per-major catalog
 * tables and the newer-syntax reason: pg_proc_oids.h, pg_version_syntax.h),
 * for tests/integration/test_pg_syntax_versions.sh.
 *
 *   pg_classify_major MAJOR sql TEXT    classify TEXT as the daemon does for a backend of MAJOR:
 *                                       prints "parse_ok=0|1 class=CLASS command=CMD" and one
 *                                       "reason: ..." line per reason
 *   pg_classify_major MAJOR procs       prints the built-in functions sqlward knows for MAJOR,
 *                                       one "OID|SCHEMA|NAME|NARGS|ARGTYPES" line each, by OID
 *
 * Exits 0, or 2 on bad usage or a MAJOR without tables.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "pg_catalog_data.h"
#include "pg_proc_oids.h"
#include "pg_version_syntax.h"
#include "statement.h"

static int usage(void)
{
	fprintf(stderr, "usage: pg_classify_major MAJOR sql TEXT | pg_classify_major MAJOR procs "
			"(MAJOR: %d to %d)\n", SW_PG_MAJOR_MIN, SW_PG_MAJOR_MAX);
	return 2;
}

int main(int argc, char **argv)
{
	int major;

	if (argc < 3)
		return usage();
	major = atoi(argv[1]);
	if (!sw_pg_catalog_has_major(major)) {
		fprintf(stderr, "pg_classify_major: no catalog tables for PostgreSQL %s; "
				"regenerate them with scripts/gen-pg-proc-oids.sh\n", argv[1]);
		return usage();
	}
	if (strcmp(argv[2], "procs") == 0 && argc == 3) {
		for (size_t i = 0; i < sw_pg_procs_n; i++) {
			const struct sw_pg_proc *p = &sw_pg_procs[i];
			if (p->majors & SW_PG_MAJOR_BIT(major))
				printf("%u|%s|%s|%d|%s\n", p->oid, p->schema, p->name, p->nargs, p->argtypes);
		}
		return 0;
	}
	if (strcmp(argv[2], "sql") == 0 && argc == 4) {
		struct sw_analysis a;
		int was = sw_pg_catalog_set_major(major);

		/* As gate_events.c analyze(): classify under the major's facts, then the version note. */
		sw_pg_analyze(argv[3], &a);
		sw_pg_catalog_set_major(was);
		sw_pg_note_server_syntax(&a, major);
		for (size_t i = 0; i < a.n_stmts; i++) {
			const struct sw_stmt *st = &a.stmts[i];
			printf("parse_ok=%d class=%s command=%s\n", a.parse_ok, sw_class_name(st->cls),
			       st->command ? st->command : "");
			for (size_t r = 0; r < st->reasons.n; r++)
				printf("reason: %s\n", st->reasons.v[r]);
		}
		sw_analysis_free(&a);
		return 0;
	}
	return usage();
}
