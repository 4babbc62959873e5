/*
 * Ledger records of a client session's life, for incident review
 * (`sqlward log --session`): "session_start" when the daemon learns a
 * PostgreSQL backend (it authenticated, or it was already running when the
 * daemon started) or sees a MariaDB connection's first command, and
 * "session_end" when the backend has exited or a MariaDB connection ended. Both carry "session", the key `sqlward log` shows:
 * PID@START with the backend's start time (UTC, seconds; from /proc), so a
 * reused pid is another session; PID:CONNECTION for MariaDB.
 */
#ifndef SQLWARD_SESSION_RECORD_H
#define SQLWARD_SESSION_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>
#include <jansson.h>

/* The backend's start (wall clock, seconds), or 0 when /proc does not say. */
time_t sw_proc_start_time(int pid);

struct sw_session_facts {
	const char *engine;        /* "postgres" or "mysql" */
	int pid;                   /* the backend's; mariadbd's for MariaDB */
	unsigned long long connection_id;  /* MariaDB's connection id; 0 for PostgreSQL */
	const char *session;       /* the key */
	time_t backend_start;      /* 0: unknown */
	const char *role, *database, *client;    /* NULL or "": unknown */
	const char *application, *client_exe;    /* NULL or "": unknown */
	bool running;              /* learned when the daemon started, not at its authentication */
};
json_t *sw_session_start_record(const struct sw_session_facts *f);
json_t *sw_session_end_record(const struct sw_session_facts *f);

#endif
