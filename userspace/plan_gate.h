/*
 * Execution bound to an approved plan, for every engine's gate: is this
 * governed client statement the next step of a plan (plan_store.h), and do
 * the plan's approvals authorise what the policy would otherwise hold or
 * deny (plan_authorise.h)? The gate calls sw_plan_gate_consult after the
 * policy, the freeze and its own requirements have judged the statement,
 * and sw_plan_gate_ran once the statement was let through (or recorded as
 * run by a kernel cache).
 */
#ifndef SQLWARD_PLAN_GATE_H
#define SQLWARD_PLAN_GATE_H

#include <stdbool.h>
#include <stdint.h>
#include <jansson.h>
#include "plan_store.h"
#include "policy.h"
#include "statement.h"

struct sw_plan_verdict {
	bool matched;                /* the statement is step(s) of a plan */
	bool authorised;             /* ...and the plan turned a hold/deny into allow */
	bool needed;                 /* the policy alone would not have allowed it */
	struct sw_plan_match m;
	char why[320];               /* matched but not authorised: what is missing */
};

/*
 * Consult the plans for a governed client statement judged per[0..a->n_stmts)
 * and overall. When the statement is a step and every part the policy did not
 * allow is authorised, overall becomes allow with rule "plan". Returns the
 * ledger's "plan" object (to put in the record's extras) or NULL when the
 * statement is not a plan's step.
 */
json_t *sw_plan_gate_consult(struct sw_plan_store *s, const struct sw_policy *pol, enum sw_engine engine,
			     uint64_t session, const struct sw_subject *subj, const struct sw_analysis *a,
			     const struct sw_judgement *per, struct sw_judgement *overall, bool bind,
			     struct sw_plan_verdict *out);
/*
 * The consulted statement goes ahead (or was refused: ran=false, the run still moves on: a step is
 * used when it is tried). parsed: a Parse whose Bind follows. -1 with err when the run could not be
 * counted on disk: the caller refuses the statement.
 */
int sw_plan_gate_ran(struct sw_plan_store *s, const struct sw_plan_verdict *v, enum sw_engine engine,
		     uint64_t session, bool parsed, char *err, size_t errlen);

#endif
