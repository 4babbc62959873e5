/*
 * What an approved plan may authorise (plan.h, policy `plans:` and rule
 * `plan:`). The plan's approvals are counted under the policy in force when
 * the statement runs, through the same approver rules as a hold:
 *   - a step the policy holds: the holding rule's approvers and
 *     approvals_required (a rule without approvers: root only);
 *   - a step a deny rule marked `plan: allow` refuses: `plans: approvers` and
 *     `plans: approvals_required`;
 *   - nothing a rule marked `plan: never`, an unmarked deny rule, the freeze or
 *     the gate's own requirements refuse.
 * No self-approval: the plan's author and whoever submitted it to the daemon
 * never count. An offline approval counts only with a valid Ed25519 signature
 * by the key the policy names for that approver.
 */
#ifndef SQLWARD_PLAN_AUTHORISE_H
#define SQLWARD_PLAN_AUTHORISE_H

#include <stdbool.h>
#include <stddef.h>
#include "plan.h"
#include "policy.h"

/*
 * The approvers of p that count under pol: each valid signature (key named in
 * `plans: keys`) and each approval given on the control socket, never the
 * author or submitted_by (may be NULL), each name once. problems (may be NULL)
 * receives one line per approval that does not count, saying why.
 */
void sw_plan_valid_approvers(const struct sw_policy *pol, const struct sw_plan *p, const char *submitted_by,
			     struct sw_strv *out, struct sw_strv *problems);

/*
 * May these approvers (from sw_plan_valid_approvers) authorise a statement
 * the policy judged j? True for allow. False with why (naming the rule and
 * what is missing) otherwise.
 */
bool sw_plan_authorises(const struct sw_policy *pol, const struct sw_strv *approvers, const struct sw_judgement *j,
			char *why, size_t len);

#endif
