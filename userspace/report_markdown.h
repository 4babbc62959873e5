/*
 * `sqlward check --format markdown`: a GitHub-flavoured report for a
 * pull-request comment: per statement the verdict, locks and what they
 * block, rewrite, scan, transaction-block rule, reversibility with the
 * rollback statement, and the safer alternative.
 */
#ifndef SQLWARD_REPORT_MARKDOWN_H
#define SQLWARD_REPORT_MARKDOWN_H

#include <stdio.h>
#include "policy.h"
#include "report_ci.h"
#include "statement.h"

/* The transaction a statement runs in, as the statements before it in the same file left it. */
struct sw_md_tx {
	long begin;                   /* index (0-based) of the statement that opened it; -1: none */
	unsigned long begin_line;     /* its line */
	struct sw_strv held_objects;  /* relations locked so far in it (ShareLock or stronger), and */
	struct sw_strv held_modes;    /* the lock mode names, one each */
};

void sw_md_begin(FILE *out);
/* One statement at w, judged as j; tx NULL when unknown. */
void sw_md_stmt(FILE *out, const struct sw_check_where *w, const struct sw_stmt *st, const struct sw_judgement *j,
		const struct sw_md_tx *tx);
/* A client command or data the check skipped (psql meta-command, DELIMITER, COPY data). */
void sw_md_skipped(FILE *out, const struct sw_check_where *w, const char *note);
void sw_md_end(FILE *out);

#endif
