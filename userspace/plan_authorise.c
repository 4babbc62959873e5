/* What an approved plan may authorise: see plan_authorise.h. */
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "approval.h"
#include "plan_authorise.h"
#include "util.h"

void sw_plan_valid_approvers(const struct sw_policy *pol, const struct sw_plan *p, const char *submitted_by,
			     struct sw_strv *out, struct sw_strv *problems)
{
	for (size_t i = 0; i < p->n_approvals; i++) {
		const struct sw_plan_approval *a = &p->approvals[i];
		char err[256], *line = NULL;

		if (!a->approver || !a->approver[0])
			continue;
		if (p->author && strcmp(a->approver, p->author) == 0)
			line = sw_xasprintf("%s wrote the plan and may not approve it", a->approver);
		else if (submitted_by && strcmp(a->approver, submitted_by) == 0)
			line = sw_xasprintf("%s submitted the plan and may not approve it", a->approver);
		else if (a->via == SW_PLAN_VIA_SIGNATURE) {
			const char *key = sw_policy_plan_key(pol, a->approver);
			if (!key)
				line = sw_xasprintf("signature by %s: the policy names no key for %s (plans: keys)",
						    a->approver, a->approver);
			else if (!sw_plan_signature_valid(p, a, key, err, sizeof(err)))
				line = sw_xasprintf("signature by %s does not verify with %s: %s", a->approver, key, err);
		}
		if (line) {
			if (problems)
				sw_strv_push(problems, line);
			free(line);
			continue;
		}
		sw_strv_push_unique(out, a->approver);
	}
}

/* An OS user by name as the approver rules see them (uid, groups); false when unknown. */
static bool actor_by_name(const char *name, struct sw_actor *who, char ***groups_out)
{
	struct passwd *pw = getpwnam(name);
	int ng = 256;
	gid_t gids[256];
	char **names;
	size_t n = 0;

	*groups_out = NULL;
	if (!pw)
		return false;
	if (getgrouplist(name, pw->pw_gid, gids, &ng) < 0)
		ng = 256;
	names = sw_xcalloc((size_t)ng + 1, sizeof(*names));
	for (int i = 0; i < ng; i++) {
		struct group *g = getgrgid(gids[i]);
		if (g)
			names[n++] = sw_xstrdup(g->gr_name);
	}
	*who = (struct sw_actor){ .uid = pw->pw_uid, .user = name, .groups = (const char *const *)names,
				  .n_groups = n };
	*groups_out = names;
	return true;
}

bool sw_plan_authorises(const struct sw_policy *pol, const struct sw_strv *approvers, const struct sw_judgement *j,
			char *why, size_t len)
{
	const struct sw_rule *r;
	const struct sw_plans_policy *pp = sw_policy_plans(pol);
	const struct sw_strv *who_may;
	unsigned required, have = 0;

	if (j->verdict == SW_VERDICT_ALLOW)
		return true;
	r = sw_policy_rule(pol, j->rule_id);
	if (!r && strcmp(j->rule_id, SW_RULE_DEFAULT) != 0) {
		snprintf(why, len, "refused by the gate itself (%s), which no plan overrides", j->rule_id);
		return false;
	}
	if (!sw_rule_plan_may_authorise(r, sw_policy_default(pol))) {
		if (r && r->plan == SW_RULE_PLAN_NEVER)
			snprintf(why, len, "rule %s is marked `plan: never`: no plan authorises it", r->id);
		else if (r)
			snprintf(why, len, "rule %s denies and is not marked `plan: allow`, so no plan authorises it",
				 r->id);
		else
			snprintf(why, len, "the policy's default (deny) is not something a plan authorises");
		return false;
	}
	if (r && r->action == SW_VERDICT_HOLD) {
		who_may = &r->approvers;
		required = r->approvals_required ? r->approvals_required : 1;
	} else {
		who_may = &pp->approvers;
		required = pp->approvals_required ? pp->approvals_required : 1;
	}
	for (size_t i = 0; i < approvers->n; i++) {
		struct sw_actor who;
		char **groups;
		bool ok;
		if (!actor_by_name(approvers->v[i], &who, &groups))
			continue;
		/* A rule (or plans:) naming nobody: root only, as for a hold. */
		ok = who_may->n ? sw_actor_in(&who, who_may) : who.uid == 0;
		for (size_t k = 0; k < who.n_groups; k++)
			free(groups[k]);
		free(groups);
		have += ok;
	}
	if (have >= required)
		return true;
	snprintf(why, len, "%s needs %u approval(s) by %s; the plan has %u that count",
		 r ? r->id : "the policy's default hold", required,
		 who_may->n ? (r && r->action == SW_VERDICT_HOLD ? "its approvers" : "the policy's plans: approvers")
			    : "root", have);
	return false;
}
