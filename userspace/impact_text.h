/*
 * Plain-text view of a statement's impact, read from its JSON (sw_stmt_json:
 * lock_set, rewrite, scan, reversibility, rollback, safer, live), so the
 * approval dossier (`sqlward show`, which only has the daemon's JSON) and
 * `sqlward check --format text` print the same facts the same way.
 */
#ifndef SQLWARD_IMPACT_TEXT_H
#define SQLWARD_IMPACT_TEXT_H

#include <stdbool.h>
#include <stdio.h>
#include <jansson.h>

/* One "LABEL value" line per fact; every line starts with indent and the
 * label is padded to width. compact leaves out what did not happen (no
 * rewrite, no scan, nothing to undo). Prints nothing when o has no impact. */
void sw_impact_print(FILE *out, json_t *o, const char *indent, int width, bool compact);

#endif
