/*
 * How `sqlward log` shows sessions: one session's records as a timeline
 * (connect, statements and their verdicts, holds and who decided them,
 * completions, budget kills, disconnect) and the list of sessions
 * (--sessions), as text for people or JSON for scripts.
 */
#ifndef SQLWARD_LOG_SESSION_VIEW_H
#define SQLWARD_LOG_SESSION_VIEW_H

#include <stdio.h>
#include <jansson.h>
#include "log_session.h"

/* The heading printed when the timeline moves to session s. Caller frees. */
char *sw_log_timeline_heading(const struct sw_log_session *s);
/* One timeline line for rec (of session s; NULL for a record of no session, such as a gap or a daemon
 * event): time, event, what happened; texts escaped and cut to width (0: whole). Caller frees. */
char *sw_log_timeline_line(json_t *rec, const struct sw_log_session *s, size_t width);
/* The session list: a table (json false) or one JSON object per session (json true); only the
 * sessions named in only (an object whose keys are session ids) unless it is NULL. */
void sw_log_sessions_print(FILE *out, const struct sw_log_sessions *t, const json_t *only, bool json);
/* One session's summary as JSON (the --sessions --format json object). */
json_t *sw_log_session_json(const struct sw_log_session *s);

#endif
