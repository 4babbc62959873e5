/*
 * A policy's control-plane settings: the freeze (frozen classes, operators,
 * scheduled windows), `access:` (who besides root reads the queue and the
 * ledger) and `plans:` (who approves approved plans, their keys).
 */
#include <string.h>
#include <time.h>
#include "policy_internal.h"

bool sw_policy_freezes(const struct sw_policy *p, enum sw_class c)
{
	return (p->freeze_class_mask >> c) & 1u;
}

const struct sw_strv *sw_policy_freeze_operators(const struct sw_policy *p)
{
	return &p->freeze_operators;
}

const struct sw_strv *sw_policy_queue_readers(const struct sw_policy *p)
{
	return &p->queue_readers;
}

const struct sw_strv *sw_policy_ledger_readers(const struct sw_policy *p)
{
	return &p->ledger_readers;
}

/* When window w, active at t, ends (for the occurrence that contains t); 0 if w is not active at t. */
static time_t window_end(const struct sw_freeze_window *w, time_t t)
{
	struct tm tm;
	time_t midnight;
	int m;
	bool today, yesterday;

	if (w->end)
		return t >= w->start && t < w->end ? w->end : 0;
	gmtime_r(&t, &tm);
	m = tm.tm_hour * 60 + tm.tm_min;
	midnight = t - (time_t)(m * 60 + tm.tm_sec);
	today = (w->days_mask >> tm.tm_wday) & 1u;
	yesterday = (w->days_mask >> ((tm.tm_wday + 6) % 7)) & 1u;
	if (w->from_min <= w->to_min)
		return today && m >= w->from_min && m < w->to_min ? midnight + w->to_min * 60 : 0;
	/* Wraps midnight: the evening of a listed day runs into the next morning. */
	if (today && m >= w->from_min)
		return midnight + 86400 + w->to_min * 60;
	return yesterday && m < w->to_min ? midnight + w->to_min * 60 : 0;
}

const char *sw_policy_freeze_window(const struct sw_policy *p, time_t t)
{
	for (size_t i = 0; i < p->n_freeze_windows; i++)
		if (window_end(&p->freeze_windows[i], t))
			return p->freeze_windows[i].reason ? p->freeze_windows[i].reason : "scheduled freeze window";
	return NULL;
}

time_t sw_policy_freeze_window_until(const struct sw_policy *p, time_t t)
{
	time_t until = 0;

	/* A window may end where another begins (sat then sun): follow them, a few weeks at most. */
	for (int hop = 0; hop < 64; hop++) {
		time_t at = until ? until : t, end = 0;
		for (size_t i = 0; i < p->n_freeze_windows; i++) {
			time_t e = window_end(&p->freeze_windows[i], at);
			if (e > end)
				end = e;
		}
		if (!end)
			break;
		until = end;
	}
	return until;
}

const struct sw_plans_policy *sw_policy_plans(const struct sw_policy *p)
{
	return &p->plans;
}

const char *sw_policy_plan_key(const struct sw_policy *p, const char *name)
{
	for (size_t i = 0; i < p->plans.n_keys; i++)
		if (strcmp(p->plans.keys[i].name, name) == 0)
			return p->plans.keys[i].path;
	return NULL;
}

bool sw_rule_plan_may_authorise(const struct sw_rule *r, enum sw_verdict dflt)
{
	if (!r)
		return dflt == SW_VERDICT_HOLD;
	if (r->plan == SW_RULE_PLAN_NEVER)
		return false;
	if (r->plan == SW_RULE_PLAN_ALLOW)
		return true;
	return r->action == SW_VERDICT_HOLD;
}
