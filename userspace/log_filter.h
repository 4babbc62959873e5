/*
 * Which ledger records `sqlward log` shows: every filter the command takes,
 * combined (a record must pass all that are set).
 */
#ifndef SQLWARD_LOG_FILTER_H
#define SQLWARD_LOG_FILTER_H

#include <stdbool.h>
#include <time.h>
#include <jansson.h>
#include "log_session.h"

struct sw_log_filter {
	const char *role;         /* glob on "role" */
	const char *verdict;      /* allow, hold or deny */
	const char *request;      /* request_id, exactly */
	const char *application;  /* glob on application_name */
	const char *client;       /* glob on the client: address:port, address alone, or client_exe */
	const char *plan;         /* a plan id ("plan-..." or without the prefix) */
	const char *engine;       /* the records' spelling: "postgres" or "mysql" */
	const char *session;      /* a session id or a bare pid (sw_log_session_is) */
	/* NULL: every type; "statement" also shows gap records (what is missing between them);
	 * "session" means session_start and session_end. */
	const char *type;
	bool has_since, has_until;
	struct timespec since, until;
};

/* The --engine value in the records' spelling (postgresql -> postgres, mariadb -> mysql), or NULL. */
const char *sw_log_filter_engine(const char *arg);
/* Does rec (of session s, NULL when it belongs to none) pass f? When the filter asks about a
 * session's who (client, application, role) a record that does not say uses its session's. */
bool sw_log_filter_match(const struct sw_log_filter *f, json_t *rec, const struct sw_log_session *s);

#endif
