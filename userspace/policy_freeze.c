/* Freeze settings of a policy: frozen classes, operators, scheduled windows. */
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

const char *sw_policy_freeze_window(const struct sw_policy *p, time_t t)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	for (size_t i = 0; i < p->n_freeze_windows; i++) {
		const struct sw_freeze_window *w = &p->freeze_windows[i];
		bool on;
		if (w->end) {
			on = t >= w->start && t < w->end;
		} else {
			int m = tm.tm_hour * 60 + tm.tm_min;
			bool today = (w->days_mask >> tm.tm_wday) & 1u;
			if (w->from_min <= w->to_min)
				on = today && m >= w->from_min && m < w->to_min;
			else   /* wraps midnight: the evening of a listed day and the next morning */
				on = (today && m >= w->from_min) ||
				     (((w->days_mask >> ((tm.tm_wday + 6) % 7)) & 1u) && m < w->to_min);
		}
		if (on)
			return w->reason ? w->reason : "scheduled freeze window";
	}
	return NULL;
}
