/*
 * Webhook events for held statements. Every rule that held the statement and
 * has `notify:` is told of every event (one POST per distinct webhook and
 * secret), signed when the rule names a secret_file (notify.h):
 *   held, approval_recorded (more approvals needed), approval_refused,
 *   approved, denied (by a person), timed_out, abandoned (the client hung
 *   up), refused (by sqlward: the daemon stopped, a freeze, a failed write).
 * Body: {"event", "time", "host", "hold_id", "rules": [ids], "commands":
 * {"show", "approve", "deny"}, "decision": {"outcome", "decided_by",
 * "comment"} (decided events), "user"/"message" (approval events), "hold":
 * the dossier (hold_view.h)}.
 */
#ifndef SQLWARD_HOLD_WEBHOOKS_H
#define SQLWARD_HOLD_WEBHOOKS_H

#include "policy.h"

struct sw_daemon;
struct sw_hold;

/* The daemon created h (after its "held" record is on disk). */
void sw_hold_webhooks_held(struct sw_daemon *d, const struct sw_hold *h);
/* The daemon decided h (sw_holds_release, after the decision record, before h is freed):
 * v, decided_by, comment and outcome as recorded. */
void sw_hold_webhooks_decided(struct sw_daemon *d, const struct sw_hold *h, enum sw_verdict v,
			      const char *decided_by, const char *comment, const char *outcome);
/* An approval counted (event "approval_recorded") or refused ("approval_refused"). */
void sw_hold_webhooks_note(struct sw_daemon *d, const struct sw_hold *h, const char *event, const char *user,
			   const char *comment, const char *message);
/* approved / denied / timed_out / abandoned / refused for a decision. */
const char *sw_hold_event_name(enum sw_verdict v, const char *decided_by, const char *outcome);

#endif
