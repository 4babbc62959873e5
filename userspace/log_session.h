/*
 * Which client session each ledger record belongs to, for `sqlward log
 * --session/--sessions`. Records are fed in ledger order; the tracker keys
 * each session unambiguously and keeps a summary of it:
 *
 *   PostgreSQL  PID@START   the backend's pid and its start (UTC, seconds):
 *                           the "session" of its session_start record, or,
 *                           for a ledger written before those existed, the
 *                           time of the session's first record (a new client
 *                           address:port on the same pid starts a new one)
 *   MariaDB     PID:CONN    mariadbd's pid and the connection id (as in
 *                           `sqlward approve --session`)
 *
 * Hold notes (approval, approval_refused, outcome, hold_unresolved,
 * failure_mode) name no session: they follow the statement they are about
 * (hold_seq, else hold_id, else the pid's current PostgreSQL session).
 */
#ifndef SQLWARD_LOG_SESSION_H
#define SQLWARD_LOG_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>
#include <jansson.h>

struct sw_log_session {
	char *id;                 /* the key above */
	char *engine;             /* the records' "engine": "postgres" or "mysql" */
	int pid;
	long long conn_id;        /* MariaDB connection id; -1 for PostgreSQL */
	char *role, *database, *client, *application, *client_exe;  /* latest seen; NULL unknown */
	char *first_time, *last_time;   /* record times (RFC 3339 UTC) */
	bool connect_seen;        /* a session_start record */
	bool ended;               /* a session_end record (or, inferred, the pid's next session began) */
	size_t statements;        /* client statements (a decided hold counts once) */
	size_t allowed, denied, held, other;  /* final verdicts; held: statements that were held */
	size_t records;           /* every record of the session */
};

struct sw_log_sessions;

struct sw_log_sessions *sw_log_sessions_new(void);
/* The session rec belongs to (NULL: none, e.g. a daemon record); its summary updated. */
struct sw_log_session *sw_log_sessions_feed(struct sw_log_sessions *t, json_t *rec);
size_t sw_log_sessions_count(const struct sw_log_sessions *t);
const struct sw_log_session *sw_log_sessions_at(const struct sw_log_sessions *t, size_t i);
/* Does session s answer to id as a user typed it: its whole key, or a bare
 * pid ("12345": every session of that pid, for both engines). */
bool sw_log_session_is(const struct sw_log_session *s, const char *id);
/* A PostgreSQL session key for pid started at start: "PID@YYYY-MM-DDTHH:MM:SSZ". */
void sw_log_session_pg_key(int pid, time_t start, char *buf, size_t len);
void sw_log_sessions_free(struct sw_log_sessions *t);

#endif
