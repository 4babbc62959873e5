/*
 * What a reviewer sees of one held statement (`pending`, `show`, webhook
 * events): the daemon's dossier (sw_hold_json) plus
 *   "id"              the hold id as text ("k7q2m3-12"; a plain number from an older daemon),
 *   "hold_id"         the same, always text,
 *   "host"            this host's name,
 *   "approval"        every rule it was held by and what each asks (sw_approval_json),
 *   "approvals_required"  the largest of them,
 *   "approved_by"     who approved so far,
 *   "time_left_s", "expires_at"  until the hold times out,
 *   "requester_user"  who sent it when established, else null ("requester_chain" says why),
 *   "session"         its session (hold_batch.h): the backend pid, or mariadbd pid:connection id,
 *   "commands"        {"show", "approve", "deny", "show_session"}: the exact commands to run; approve
 *                     binds the statement's hash (--sha256, first 16 hex digits); show_session
 *                     shows every hold of its session as one dossier (`show --session`).
 */
#ifndef SQLWARD_HOLD_VIEW_H
#define SQLWARD_HOLD_VIEW_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

struct sw_daemon;
struct sw_hold;

#define SW_SHA256_PREFIX_SHOWN 16   /* hex digits of the hash in the approve command */

json_t *sw_hold_view_json(const struct sw_daemon *d, const struct sw_hold *h, uint64_t now_ns);
/* "sqlward VERB ID" (+ " --sha256 HEX16" for approve, + " --socket PATH" off the default socket). */
void sw_hold_view_command(const struct sw_daemon *d, const struct sw_hold *h, const char *verb, char *buf, size_t len);
/* The hold's session key (hold_batch.h): "PID" for PostgreSQL, "PID:CONN" for MariaDB. */
void sw_hold_view_session(const struct sw_hold *h, char *buf, size_t len);
/* "sqlward VERB --session S" (+ " --batch-digest HEX16" when digest is given, + " --socket PATH"). */
void sw_hold_view_session_command(const struct sw_daemon *d, const char *session, const char *verb,
				  const char *digest, char *buf, size_t len);
/* This host's name (gethostname), for reviewers juggling several hosts. */
const char *sw_hold_view_host(void);

#endif
