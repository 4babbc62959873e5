/* What state the gate is in, for `sqlward status` (see gate_state.h). */
#include "gate_state.h"
#include "binary_watch.h"
#include "daemon_state.h"
#include "outcome_watch.h"
#include "sessions.h"

json_t *sw_daemon_gate_state(struct sw_daemon *d)
{
	json_t *scope = json_array(), *ledger, *pins, *o;
	size_t waiting = 0;
	int watched = 0;

	for (int i = 0; i < d->scope.n; i++)
		json_array_append_new(scope, json_pack("{s:i, s:s}", "postmaster_pid", d->scope.clusters[i].postmaster,
						       "data_directory", d->scope.clusters[i].dir));
	for (size_t i = 0; i < d->n_releases; i++)
		waiting += d->releases[i].waiting_since_ns != 0;
	ledger = json_pack("{s:s, s:b, s:I, s:I, s:I}", "path", d->opts->ledger_path, "writable",
			   !d->ledger_failing_since_ns, "statements_waiting_for_ledger", (json_int_t)waiting,
			   "refused_unrecorded", (json_int_t)d->refused_unrecorded, "records_lost_unreported",
			   (json_int_t)sw_ledger_lost(d->ledger));
	if (d->ledger_failing_since_ns) {
		json_object_set_new(ledger, "unwritable_for_s",
				    json_real((double)(sw_mono_ns() - d->ledger_failing_since_ns) / 1e9));
		json_object_set_new(ledger, "error", json_string(d->ledger_error));
	}
	pins = d->opts->pin_dir ? json_pack("{s:s, s:b}", "dir", d->opts->pin_dir, "in_place", !d->pins_missing)
				: json_pack("{s:n, s:b}", "dir", "in_place", 0);
	if (d->pins_missing)
		json_object_set_new(pins, "error", json_string(d->pins_error));
	watched = sw_outcome_watched(d);
	o = json_pack("{s:s, s:o, s:o, s:o, s:o, s:i}", "state",
		      d->ledger_failing_since_ns ? "degraded: ledger unwritable" : d->pins_missing ? "degraded: pins missing"
											   : "gating",
		      "scope", d->scope.n ? scope : json_string("every process of the probed binaries"), "binaries",
		      sw_binaries_json(d), "ledger", ledger, "pins", pins, "outcomes_being_watched", watched);
	if (d->n_engine_gates) {
		json_t *my = json_array();
		for (int i = 0; i < d->n_engine_gates; i++)
			json_array_append_new(my, d->engine_gates[i].ops->state(d->engine_gates[i].gate));
		json_object_set_new(o, "mariadb", my);
	}
	if (!d->scope.n)
		json_decref(scope);
	{
		/* The execution checkpoint on the governed backends (nested statements judged or not). */
		struct sw_session_info **all;
		size_t n = sw_sessions_all(d, &all), live = 0, off = 0;
		const char *problem = NULL;
		for (size_t i = 0; i < n; i++) {
			const struct sw_session_info *s = all[i];
			if (!s->governed)
				continue;
			if (s->nested_live) {
				live++;
			} else {
				off++;
				if (s->nested_problem[0] && !problem)
					problem = s->nested_problem;
			}
		}
		json_object_set_new(o, "governed_sessions",
				    json_pack("{s:I, s:I, s:s?}", "execution_checkpoint_live", (json_int_t)live,
					      "without_execution_checkpoint", (json_int_t)off, "why_not", problem));
	}
	return o;
}
