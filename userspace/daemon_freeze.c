/* Acting on a change of the freeze (see daemon_freeze.h). */
#include <stdio.h>
#include <string.h>
#include "daemon_freeze.h"
#include "daemon_state.h"
#include "holds.h"

void sw_daemon_freeze_changed(struct sw_daemon *d, const char *source)
{
	const char *r = sw_daemon_frozen(d);
	bool now = r != NULL;
	json_t *f;

	if (now == d->frozen && (!now || strcmp(r, d->frozen_reason) == 0))
		return;
	d->frozen = now;
	snprintf(d->frozen_reason, sizeof(d->frozen_reason), "%s", r ? r : "");
	/* Cached "allow" verdicts were decided without the freeze. */
	sw_gate_cache_clear(d->gate);
	for (int i = 0; i < d->n_gates; i++)
		if (d->gates[i].ops->freeze_changed)
			d->gates[i].ops->freeze_changed(d->gates[i].gate);
	f = json_pack("{s:b, s:s, s:s}", "frozen", now, "reason", now ? d->frozen_reason : "", "source", source);
	json_object_set_new(f, "manual", sw_freeze_json(&d->freeze));
	sw_daemon_note(d, now ? "freeze_on" : "freeze_off", f);
	json_decref(f);
	if (now)
		for (size_t i = 0; i < d->n_holds;) {
			struct sw_hold *h = d->holds[i];
			/* (An approval still waiting to be recorded is not a release yet: the freeze wins.) */
			if (sw_daemon_any_frozen_class(d, &h->analysis) &&
			    (h->release_retry || sw_approval_timeout(&h->approval) == SW_APPROVAL_TIMED_OUT))
				sw_holds_release(d, h, SW_VERDICT_DENY, "sqlward", "freeze switched on", "cancelled");
			else
				i++;
		}
}
