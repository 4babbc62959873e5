/* Who may do what on the control socket (see access.h). */
#include <stdio.h>
#include "access.h"

bool sw_access_is_approver(const struct sw_policy *p, const struct sw_actor *who)
{
	for (size_t i = 0; i < sw_policy_n_rules(p); i++) {
		const struct sw_rule *r = sw_policy_rule_at(p, i);
		if (r->action == SW_VERDICT_HOLD && sw_actor_in(who, &r->approvers))
			return true;
	}
	return false;
}

bool sw_access_may(const struct sw_policy *p, enum sw_power what, const struct sw_actor *who, char *why, size_t len)
{
	bool reader = sw_actor_in(who, sw_policy_queue_readers(p));
	bool freeze_op = sw_actor_in(who, sw_policy_freeze_operators(p));

	if (who->uid == 0)
		return true;
	switch (what) {
	case SW_POWER_READ_QUEUE:
		if (reader)
			return true;
		snprintf(why, len, "%s may not read the queue of held statements: only root and the policy's "
			 "`access: queue_readers:` may (an approver sees only the holds of their rules); reaching the "
			 "control socket is not permission", who->user);
		return false;
	case SW_POWER_READ_FREEZE:
		if (reader || freeze_op)
			return true;
		snprintf(why, len, "%s may not read the freeze: only root, the policy's `freeze: operators:` and "
			 "`access: queue_readers:` may", who->user);
		return false;
	case SW_POWER_SWITCH_FREEZE:
		if (freeze_op)
			return true;
		snprintf(why, len, "%s may not switch the freeze: only root or the policy's `freeze: operators:` may",
			 who->user);
		return false;
	}
	snprintf(why, len, "%s: unknown power", who->user);
	return false;
}

bool sw_access_may_see_hold(const struct sw_policy *p, const struct sw_approval *a, const struct sw_actor *who)
{
	char why[8];
	return sw_access_may(p, SW_POWER_READ_QUEUE, who, why, sizeof(why)) ||
	       sw_approval_may_deny(a, who, why, sizeof(why));
}
