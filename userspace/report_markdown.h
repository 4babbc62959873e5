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
#include "statement.h"

void sw_md_begin(FILE *out);
/* Statement i of a (one migration file, judged as j). */
void sw_md_stmt(FILE *out, const char *source, size_t i, const struct sw_analysis *a,
		const struct sw_judgement *j);
void sw_md_end(FILE *out);

#endif
