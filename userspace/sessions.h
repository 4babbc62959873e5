/*
 * The daemon's table of PostgreSQL sessions (struct sw_session_info,
 * daemon_state.h): who each backend is, what the kernel is told about it,
 * its transaction and what its allowed statement may EXECUTE. Below holds,
 * events and the control server; calls none of them.
 */
#ifndef SQLWARD_SESSIONS_H
#define SQLWARD_SESSIONS_H

#include "daemon_state.h"

/* Learn (or refresh) a session. kflags: the kernel's SW_SESS_* flags for it when known (0 otherwise). */
struct sw_session_info *sw_session_learn(struct sw_daemon *d, int pid, const char *role, const char *kernel_title,
					 uint32_t kflags);
/* Push a session's state (role, flags, cache context) to the kernel. */
void sw_session_publish(struct sw_daemon *d, struct sw_session_info *s);
/* A known session (NULL if it ended or was never seen). */
struct sw_session_info *sw_session_find(struct sw_daemon *d, int pid);
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

#endif
