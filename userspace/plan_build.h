/*
 * Building a plan (plan.h) from migration files: plain SQL files in the order
 * given, a directory of Flyway-style files (V<version>__<name>.sql, sorted by
 * version), Liquibase formatted SQL, and what migration tools print (Django
 * `sqlmigrate`, Alembic `upgrade --sql`): to sqlward all of these are SQL,
 * BEGIN/COMMIT and comment lines included. Every statement becomes a step
 * with the same analysis and impact `sqlward check` gives it, and the
 * verdict the policy gives it at plan time.
 */
#ifndef SQLWARD_PLAN_BUILD_H
#define SQLWARD_PLAN_BUILD_H

#include <stddef.h>
#include <time.h>
#include <jansson.h>
#include "engine.h"
#include "plan.h"
#include "policy.h"

struct sw_plan_build {
	const struct sw_engine_ops *engine;
	struct sw_engine_lex lex;
	const struct sw_policy *policy;    /* judges each step at plan time */
	struct sw_strv roles;              /* scope: role patterns ("app", "app_*", "*_migrator", "*") */
	const char *database;              /* scope: NULL = any */
	const char *title, *author;
	json_t *intent;                    /* borrowed; copied into the plan (NULL: {}) */
	json_t *validation;                /* borrowed; may be NULL */
	time_t created, valid_from, valid_until;
	unsigned max_runs;
	struct sw_strv *notes;             /* may be NULL: receives what was skipped (psql meta-commands) */
};

/* Add every statement of sql (from source, a file name or "<stdin>") as the next steps. -1 with err. */
int sw_plan_add_sql(struct sw_plan *p, const struct sw_plan_build *b, const char *source, const char *sql,
		    char *err, size_t errlen);
/*
 * Add a file ("-": stdin) or a directory's *.sql files: Flyway-named files
 * (V1__a.sql, V1.1__b.sql, V2_1__c.sql) by version, then repeatable ones
 * (R__x.sql) by name; other files by name in natural order (0002 before 0010).
 * Flyway undo files (U1__x.sql) are skipped and named in skipped.
 */
int sw_plan_add_path(struct sw_plan *p, const struct sw_plan_build *b, const char *path, struct sw_strv *skipped,
		     char *err, size_t errlen);
/* An empty plan with b's scope, window and intent (steps added with the functions above). */
struct sw_plan *sw_plan_new(const struct sw_plan_build *b);
/* Check the result and seal it (sw_plan_seal). -1 with err when it cannot be a plan (no steps, bad window). */
int sw_plan_finish(struct sw_plan *p, char *err, size_t errlen);

/* Where sql's first token that is not a comment starts (plan_digest.c); -1 when the lexer rejects sql. */
long sw_plan_stmt_code_offset(enum sw_engine e, const char *sql, size_t len);
/* Flyway-style file order (strcmp-like); exposed for tests. */
int sw_plan_file_order(const char *a, const char *b);

#endif
