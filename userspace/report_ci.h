/*
 * CI reporters for `sqlward check`: findings placed on the line of the
 * file they are about, so they land on the right line of a pull request.
 *   --format github: GitHub Actions workflow commands (::error / ::warning /
 *     ::notice file=F,line=L,col=C,title=T::message), one per statement that
 *     is denied or held, one notice per skipped client command;
 *   --format sarif: one SARIF 2.1.0 log (tool.driver.rules = the policy rules
 *     that fired; each result with its level, message and region), written
 *     at the end.
 * Allowed statements are not findings: they appear in neither.
 */
#ifndef SQLWARD_REPORT_CI_H
#define SQLWARD_REPORT_CI_H

#include <stdio.h>
#include "policy.h"
#include "statement.h"

/* Where a statement (or a finding about it) is in its input. */
struct sw_check_where {
	const char *source;      /* the file as named on the command line, or "<stdin>" */
	unsigned long line, col; /* 1-based; the parser's error position for a parse error */
	size_t index;            /* 0-based statement number in the file */
};

/* GitHub: the escaping of a workflow command's message (% \r \n) and of a property value (also : ,). */
void sw_gh_escape_data(FILE *out, const char *s);
void sw_gh_escape_property(FILE *out, const char *s);
void sw_gh_stmt(FILE *out, const struct sw_check_where *w, const struct sw_stmt *st, const struct sw_judgement *j);
void sw_gh_note(FILE *out, const struct sw_check_where *w, const char *note);

struct sw_sarif;
struct sw_sarif *sw_sarif_new(void);
void sw_sarif_stmt(struct sw_sarif *s, const struct sw_check_where *w, const struct sw_stmt *st,
		   const struct sw_judgement *j);
/* Write the log and free s. */
void sw_sarif_end(struct sw_sarif *s, FILE *out);

/* The finding's message: "DROP TABLE app.orders: rule reason; note; note" (malloc'd). */
char *sw_finding_message(const struct sw_stmt *st, const struct sw_judgement *j);

#endif
