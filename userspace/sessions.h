/*
 * The daemon's table of PostgreSQL sessions (struct sw_session_info,
 * daemon_state.h): who each backend is, what the kernel is told about it,
 * its transaction and what its allowed statement may EXECUTE. Below holds,
 * events and the control server; calls none of them.
 */
#ifndef SQLWARD_SESSIONS_H
#define SQLWARD_SESSIONS_H

#include "daemon_state.h"
#include "who_fields.h"

/* Learn (or refresh) a session. kflags: the kernel's SW_SESS_* flags for it when known (0 otherwise). */
struct sw_session_info *sw_session_learn(struct sw_daemon *d, int pid, const char *role, const char *kernel_title,
					 uint32_t kflags);
/* Push a session's state (role, flags, cache context) to the kernel. */
void sw_session_publish(struct sw_daemon *d, struct sw_session_info *s);
/* A known session (NULL if it ended or was never seen). */
struct sw_session_info *sw_session_find(struct sw_daemon *d, int pid);
/* The binary layout of backend pid (sw_daemon_layout_of), cached in its session once found:
 * what every statement's analysis asks for, without a stat of /proc/PID/exe each time. */
const struct sw_pg_layout *sw_session_layout(struct sw_daemon *d, int pid);
/* Every known session: a list valid until the next call (twalk has no context argument). */
size_t sw_sessions_all(struct sw_daemon *d, struct sw_session_info ***out);
/* A session whose backend ended: off the kernel's maps, its checkpoint detached, freed. */
void sw_session_forget(struct sw_daemon *d, struct sw_session_info *s);
/* At the daemon's stop: free the table (the checkpoints stay through their pins). */
void sw_sessions_free_all(struct sw_daemon *d);

/* Update a session's transaction context after a statement ran. */
void sw_session_track(struct sw_session_info *s, const struct sw_analysis *a);
/* Expectations for the EXECUTEs of a statement that was allowed (approved: by a human). */
void sw_session_expect_executes(struct sw_session_info *s, const struct sw_analysis *a, bool approved);
void sw_session_expect_clear(struct sw_session_info *s);

/* Who is asking: application_name read from the backend when a setting may have changed it (else at
 * most once a second), and the client process on this host (once per session). Before the policy. */
void sw_session_who(struct sw_daemon *d, struct sw_session_info *s);
/* A setting event (setting_name) or statements (a) that may change application_name: read it again
 * at the next statement, and until then allow nothing of the session from the kernel's caches. */
void sw_session_note_settings(struct sw_daemon *d, struct sw_session_info *s, const char *setting_name,
			      const struct sw_analysis *a);

/* A setting the policy allowed on a stopped backend (before it is applied): application_name's
 * value is the session's from now on (its cache context follows before the backend moves). */
void sw_session_setting_applied(struct sw_daemon *d, struct sw_session_info *s, const char *name,
				const char *value);

enum sw_who_stmt {
	SW_WHO_CLIENT,   /* the client's own statement: its leading comment's request id */
	SW_WHO_INSIDE,   /* run inside the client statement now running: that statement's request id */
	SW_WHO_OTHER,    /* anything else (a fastpath call, a replication command): application_name's only */
};
/* The ledger fields application_name, client_exe, client_cmdline and request_id of one statement
 * of s (a session of the table): the session's values, rendered once for all its records, and the
 * statement's request id, placed after the members extra has now. text: the statement
 * (SW_WHO_CLIENT). *out is valid until the session's next statement or its end. */
void sw_session_who_ref(struct sw_session_info *s, const char *text, enum sw_who_stmt kind, const json_t *extra,
			struct sw_who_ref *out);

#endif
