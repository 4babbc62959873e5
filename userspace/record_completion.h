/*
 * A statement record that carries its completion.
 *
 * The daemon writes an observed or kernel-allowed client statement and its
 * completion as one record when the completion arrives in the same pass of its
 * loop (postgres/pg_completion.h): the statement record gains a "completion"
 * object (time, outcome, rows, commands, command, sqlstate, duration_ms,
 * budget_ms). Otherwise the completion is a record of its own ("type":
 * "completion", "statement_seq"). Readers that show events (log's table and
 * timeline, the OCSF export) show both forms alike: the embedded completion
 * as the completion record it stands for.
 */
#ifndef SQLWARD_RECORD_COMPLETION_H
#define SQLWARD_RECORD_COMPLETION_H

#include <jansson.h>

/* The completion record rec's embedded completion stands for ("embedded": true, its seq and hash
 * the statement record's), or NULL when rec carries none. The caller owns it. */
json_t *sw_record_embedded_completion(json_t *rec);

#endif
