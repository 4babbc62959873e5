/* Execution bound to an approved plan: see plan_gate.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "plan_authorise.h"
#include "plan_digest.h"
#include "plan_gate.h"
#include "util.h"

#define PLAN_STMTS_MAX 64   /* statements of one string compared with steps */

json_t *sw_plan_gate_consult(struct sw_plan_store *s, const struct sw_policy *pol, enum sw_engine engine,
			     uint64_t session, const struct sw_subject *subj, const struct sw_analysis *a,
			     const struct sw_judgement *per, struct sw_judgement *overall, bool bind,
			     struct sw_plan_verdict *out)
{
	char (*dig)[65];
	size_t n = a->n_stmts;
	time_t now = time(NULL);
	const struct sw_plan *p;
	json_t *ref;
	bool ok = true;

	memset(out, 0, sizeof(*out));
	if (!s || !a->parse_ok || !n || n > PLAN_STMTS_MAX || !sw_plan_store_any_active(s, now))
		return NULL;
	dig = sw_xcalloc(n, sizeof(*dig));
	for (size_t i = 0; i < n && ok; i++) {
		char err[128];
		const char *t = a->stmts[i].text ? a->stmts[i].text : "";
		ok = sw_plan_stmt_digest(engine, t, strlen(t), dig[i], err, sizeof(err)) == 0;
	}
	ok = ok && sw_plan_store_match(s, engine, session, subj->role, subj->database, (const char (*)[65])dig, n,
				       bind, now, &out->m);
	free(dig);
	if (!ok)
		return NULL;
	out->matched = true;
	sw_plan_store_refresh(s, pol);
	p = out->m.e->plan;
	/* Every part the policy (or freeze, or the gate) did not allow must be authorised by the plan. */
	out->authorised = true;
	for (size_t i = 0; i < n && out->authorised; i++)
		if (per && per[i].verdict != SW_VERDICT_ALLOW)
			out->authorised = sw_plan_authorises(pol, &out->m.e->approvers, &per[i], out->why, sizeof(out->why));
	if (out->authorised && overall->verdict != SW_VERDICT_ALLOW)
		out->authorised = sw_plan_authorises(pol, &out->m.e->approvers, overall, out->why, sizeof(out->why));
	out->needed = overall->verdict != SW_VERDICT_ALLOW;
	ref = json_pack("{s:s, s:s, s:i, s:i, s:i, s:b}", "id", p->id, "digest", p->digest, "step",
			(int)out->m.first + 1, "steps", (int)p->n_steps, "run",
			(int)(out->m.tentative ? out->m.e->runs_started + 1 : out->m.e->run.number), "authorised",
			out->authorised);
	if (out->m.n > 1)
		json_object_set_new(ref, "last_step", json_integer((json_int_t)(out->m.first + out->m.n)));
	if (out->m.bind)
		json_object_set_new(ref, "execution_of_step", json_true());
	if (overall->verdict != SW_VERDICT_ALLOW) {
		json_object_set_new(ref, "policy_verdict", json_string(sw_verdict_name(overall->verdict)));
		json_object_set_new(ref, "policy_rule", json_string(overall->rule_id));
		if (out->authorised) {
			json_t *by = json_array();
			for (size_t i = 0; i < out->m.e->approvers.n; i++)
				json_array_append_new(by, json_string(out->m.e->approvers.v[i]));
			json_object_set_new(ref, "approved_by", by);
			*overall = (struct sw_judgement){ .verdict = SW_VERDICT_ALLOW, .rule_id = SW_RULE_PLAN,
							  .reason = "a step of an approved plan, run in order",
							  .stmt_index = overall->stmt_index };
		} else {
			json_object_set_new(ref, "not_authorised", json_string(out->why));
		}
	}
	return ref;
}

int sw_plan_gate_ran(struct sw_plan_store *s, const struct sw_plan_verdict *v, enum sw_engine engine,
		     uint64_t session, bool parsed, char *err, size_t errlen)
{
	if (!v->matched)
		return 0;
	return sw_plan_store_advance(s, &v->m, engine, session, parsed, v->authorised && v->needed, err, errlen);
}
