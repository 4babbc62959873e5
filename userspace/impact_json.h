/* JSON view of a statement's impact (impact.h). */
#ifndef SQLWARD_IMPACT_JSON_H
#define SQLWARD_IMPACT_JSON_H

#include <jansson.h>
#include "impact.h"

json_t *sw_lock_entry_json(const struct sw_lock_entry *e);
/* Adds lock_set, strongest_lock, blocks, rewrite, scan, ... to o. */
void sw_impact_json_add(json_t *o, const struct sw_stmt *st);

#endif
