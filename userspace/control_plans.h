/*
 * The control socket's plan requests (plan.h, plan_store.h):
 *   {"op":"plan_submit","plan":{...}}                  -> {"ok":true,"plan":STATUS}
 *   {"op":"plan_approve","id":ID,"digest":PREFIX,"comment":C} -> {"ok":true,"plan":STATUS}
 *   {"op":"plan_list"}                                 -> {"ok":true,"plans":[STATUS...]}
 *   {"op":"plan_show","id":ID}                         -> {"ok":true,"plan":STATUS with steps}
 *   {"op":"plan_revoke","id":ID}                       -> {"ok":true,"plan":STATUS}
 * Who may: submit, list and show: anyone who reaches the socket (a plan is
 * not secret and submitting grants nothing); approve: someone whose approval
 * counts for at least one step (the holding rule's approvers, `plans:
 * approvers` for a deny rule marked `plan: allow`), never the plan's author
 * or submitter; revoke: root, its submitter, or a plan approver.
 * Every change is a ledger record (plan_submitted, plan_approved, plan_revoked).
 */
#ifndef SQLWARD_CONTROL_PLANS_H
#define SQLWARD_CONTROL_PLANS_H

#include <stdbool.h>
#include <jansson.h>
#include "approval.h"

struct sw_daemon;

/* Is op a plan request? Then the reply (never NULL). */
bool sw_control_plan_op(struct sw_daemon *d, const char *op, json_t *req, const struct sw_actor *who,
			json_t **reply);

#endif
