/* The control socket's plan requests: see control_plans.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "control_plans.h"
#include "daemon_state.h"
#include "plan_authorise.h"
#include "plan_store.h"
#include "util.h"

static json_t *fail(const char *msg)
{
	return json_pack("{s:b, s:s}", "ok", 0, "error", msg);
}

static json_t *no_store(void)
{
	return fail("this daemon keeps no plans (its plan directory could not be opened at start-up; see its log)");
}

/* A ledger record of what changed (the daemon's own record type). */
static void note(struct sw_daemon *d, const char *what, const struct sw_plan_entry *e, const char *by,
		 const char *comment)
{
	json_t *f = json_pack("{s:s, s:s, s:s?, s:s?}", "plan", e->plan->id, "digest", e->plan->digest, "by", by,
			      "comment", comment);
	sw_daemon_note(d, what, f);
	json_decref(f);
}

/* Would who's approval count for some step of the plan (under the policy now)? */
static bool approves_a_step(struct sw_daemon *d, const struct sw_plan *p, const struct sw_actor *who)
{
	const struct sw_plans_policy *pp = sw_policy_plans(d->policy);

	for (size_t i = 0; i < p->n_steps; i++) {
		json_t *an = p->steps[i].analysis;
		const char *rule = json_string_value(json_object_get(an, "rule"));
		const struct sw_rule *r = rule ? sw_policy_rule(d->policy, rule) : NULL;
		const struct sw_strv *list = r && r->action == SW_VERDICT_HOLD ? &r->approvers : &pp->approvers;
		if (list->n ? sw_actor_in(who, list) : who->uid == 0)
			return true;
	}
	return false;
}

static json_t *op_submit(struct sw_daemon *d, json_t *req, const struct sw_actor *who)
{
	struct sw_plan_entry *e;
	char err[1024];
	json_t *plan = json_object_get(req, "plan");

	if (!json_is_object(plan))
		return fail("plan_submit needs \"plan\": the plan file's JSON (sqlward plan submit FILE)");
	if (sw_plan_store_submit(d->plans, d->policy, plan, who->user, &e, err, sizeof(err)) < 0)
		return fail(err);
	note(d, "plan_submitted", e, who->user, NULL);
	return json_pack("{s:b, s:o}", "ok", 1, "plan", sw_plan_entry_json(e, d->policy, true));
}

static json_t *op_approve(struct sw_daemon *d, json_t *req, const struct sw_actor *who)
{
	const char *id = json_string_value(json_object_get(req, "id"));
	const char *digest = json_string_value(json_object_get(req, "digest"));
	const char *comment = json_string_value(json_object_get(req, "comment"));
	struct sw_plan_entry *e = sw_plan_store_find(d->plans, id);
	char err[1024];

	if (!e) {
		snprintf(err, sizeof(err), "no plan %s in the daemon; submit it first (sqlward plan submit FILE)",
			 id ? id : "(none given)");
		return fail(err);
	}
	if (!approves_a_step(d, e->plan, who)) {
		snprintf(err, sizeof(err), "%s approves none of plan %s's steps under the policy (each step needs the "
			 "approvers of the rule that would hold it, or plans: approvers); nothing was recorded",
			 who->user, id);
		return fail(err);
	}
	if (sw_plan_store_approve(d->plans, d->policy, id, digest, who->user, comment, err, sizeof(err)) < 0)
		return fail(err);
	note(d, "plan_approved", e, who->user, comment);
	return json_pack("{s:b, s:o}", "ok", 1, "plan", sw_plan_entry_json(e, d->policy, true));
}

static json_t *op_revoke(struct sw_daemon *d, json_t *req, const struct sw_actor *who)
{
	const char *id = json_string_value(json_object_get(req, "id"));
	struct sw_plan_entry *e = sw_plan_store_find(d->plans, id);
	char err[1024];

	if (!e)
		return fail("no such plan (sqlward plan list shows them)");
	if (who->uid != 0 && !(e->submitted_by && strcmp(e->submitted_by, who->user) == 0) &&
	    !sw_actor_in(who, &sw_policy_plans(d->policy)->approvers)) {
		snprintf(err, sizeof(err), "%s may not revoke plan %s: only root, its submitter (%s) or the policy's "
			 "plans: approvers may", who->user, id, e->submitted_by ? e->submitted_by : "?");
		return fail(err);
	}
	if (sw_plan_store_revoke(d->plans, id, who->user, err, sizeof(err)) < 0)
		return fail(err);
	note(d, "plan_revoked", e, who->user, NULL);
	return json_pack("{s:b, s:o}", "ok", 1, "plan", sw_plan_entry_json(e, d->policy, false));
}

bool sw_control_plan_op(struct sw_daemon *d, const char *op, json_t *req, const struct sw_actor *who,
			json_t **reply)
{
	if (strncmp(op, "plan_", 5) != 0)
		return false;
	if (!d->plans) {
		*reply = no_store();
		return true;
	}
	if (strcmp(op, "plan_submit") == 0) {
		*reply = op_submit(d, req, who);
	} else if (strcmp(op, "plan_approve") == 0) {
		*reply = op_approve(d, req, who);
	} else if (strcmp(op, "plan_revoke") == 0) {
		*reply = op_revoke(d, req, who);
	} else if (strcmp(op, "plan_list") == 0) {
		json_t *arr = json_array();
		for (size_t i = 0; i < d->plans->n; i++)
			json_array_append_new(arr, sw_plan_entry_json(d->plans->v[i], d->policy, false));
		*reply = json_pack("{s:b, s:o}", "ok", 1, "plans", arr);
	} else if (strcmp(op, "plan_show") == 0) {
		struct sw_plan_entry *e = sw_plan_store_find(d->plans, json_string_value(json_object_get(req, "id")));
		*reply = e ? json_pack("{s:b, s:o}", "ok", 1, "plan", sw_plan_entry_json(e, d->policy, true))
			   : fail("no such plan (sqlward plan list shows them)");
	} else {
		*reply = fail("unknown plan request; use plan_submit, plan_approve, plan_list, plan_show or plan_revoke");
	}
	return true;
}
