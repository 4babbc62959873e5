/*
 * `sqlward check --verify --dsn DSN`: run statements in a rolled-back
 * transaction on a scratch database and compare the locks and rewrites
 * PostgreSQL really performed with the static prediction (impact.h).
 */
#ifndef SQLWARD_CHECK_VERIFY_H
#define SQLWARD_CHECK_VERIFY_H

#include <stdio.h>
#include <libpq-fe.h>
#include "statement.h"

enum sw_verify_result {
	SW_VERIFY_AGREE = 0,
	SW_VERIFY_MISMATCH,
	SW_VERIFY_CITED,    /* cannot run in a transaction block: the source is cited instead */
	SW_VERIFY_SKIPPED,  /* nothing to measure (BEGIN, COMMIT, ...) */
	SW_VERIFY_ERROR,    /* the statement (or a query around it) failed */
	SW_VERIFY_CONSERVATIVE, /* no mismatch, but a lock marked conservative was weaker or absent */
	SW_VERIFY_REFUSED,  /* PostgreSQL refused it, as the prediction's fails_if said it would */
	SW_VERIFY__COUNT
};

/* Connect; refuses a database without `sqlward.scratch = on`. */
int sw_verify_open(const char *dsn, PGconn **out, char *err, size_t errlen);
/* Closes the connection and prints one line per statement category with
 * its agreement ("verify category ddl.alter_table: 41/41 agree, ...") to
 * stdout, after the caller's own summary. */
void sw_verify_close(PGconn *c);
/* The per-category lines alone (sw_verify_close prints them once). */
void sw_verify_print_categories(FILE *out);
/* Run one statement in BEGIN ... ROLLBACK and print one report entry. */
enum sw_verify_result sw_verify_stmt(PGconn *c, const struct sw_stmt *st, const char *where, FILE *out);

#endif
