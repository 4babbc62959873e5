/*
 * What every part of the daemon calls on its state: the clock, daemon and
 * statement records, the freeze as it stands, binary layouts, counters.
 * Calls no other part of the daemon (see daemon_state.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include "daemon_state.h"
#include "pg_completion.h"
#include "ledger_record.h"
#include "metrics.h"

uint64_t sw_mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void sw_mono_to_timespec(const struct sw_daemon *d, uint64_t mono_ns, struct timespec *out)
{
	int64_t wall = (int64_t)mono_ns + d->mono_to_wall_ns;
	out->tv_sec = wall / 1000000000ll;
	out->tv_nsec = wall % 1000000000ll;
}

void sw_daemon_clock_init(struct sw_daemon *d)
{
	struct timespec w;
	uint64_t m = sw_mono_ns();
	clock_gettime(CLOCK_REALTIME, &w);
	d->mono_to_wall_ns = ((int64_t)w.tv_sec * 1000000000ll + w.tv_nsec) - (int64_t)m;
}

void sw_daemon_note(struct sw_daemon *d, const char *event, json_t *fields)
{
	char err[512];
	json_t *rec = sw_daemon_record(event, json_incref(fields));

	if (d->ledger && sw_ledger_append_opts(d->ledger, rec, true, NULL, err, sizeof(err)) < 0) {
		fprintf(stderr, "sqlward: LEDGER WRITE FAILED: %s\n", err);
		sw_ledger_note_lost(d->ledger, "daemon", NULL);
	}
	{
		char *txt = json_dumps(fields ? fields : rec, JSON_COMPACT);
		fprintf(stderr, "sqlward: %s %s\n", event, txt ? txt : "");
		free(txt);
	}
	json_decref(rec);
}

void sw_gate_count(const struct sw_decision *dec)
{
	const struct sw_analysis *a = dec->analysis;
	size_t k = dec->overall ? dec->overall->stmt_index : 0;

	sw_metrics_count_statement(&sw_daemon_metrics, dec->engine, dec->overall,
				   a && k < a->n_stmts ? a->stmts[k].cls : SW_CLASS_UNKNOWN, dec->governed);
}

int sw_daemon_decision_sync(struct sw_daemon *d, char *err, size_t errlen)
{
	/* Decision: a sync asked of the sync thread (the loop goes on deciding meanwhile;
	 * sw_daemon_record_safe says when a statement may move). Stopping: every decided statement
	 * moves before the gates close, so wait for it. */
	if (!d->opts || d->opts->ledger_sync == SW_LEDGER_SYNC_DECISION)
		return d->stopping ? sw_ledger_sync(d->ledger, err, errlen)
				   : sw_ledger_sync_request(d->ledger, err, errlen);
	/* Written into the kernel: a crash of the daemon loses nothing; synced on the next 100 ms tick. */
	if (sw_ledger_flush(d->ledger, err, errlen) != 0)
		return -1;
	d->decisions_unsynced = true;
	return 0;
}

bool sw_daemon_record_safe(const struct sw_daemon *d, uint64_t seq)
{
	struct sw_ledger_anchor durable;

	if (d->opts && d->opts->ledger_sync == SW_LEDGER_SYNC_INTERVAL)
		return true;
	sw_ledger_anchor(d->ledger, &durable);
	return seq <= durable.seq;
}

void sw_gate_record(struct sw_daemon *d, const struct sw_decision *dec, bool sync, uint64_t *seq_out)
{
	char err[512];
	bool interval = sync && d->opts && d->opts->ledger_sync == SW_LEDGER_SYNC_INTERVAL;

	/* The one place every statement decision of every engine passes: counted here (a decided
	 * hold's second record, holds.c, counts as a hold decision instead). */
	sw_gate_count(dec);
	/* The session's record still waiting for its completion goes first (pg_completion.h). */
	if (dec->engine == SW_ENGINE_POSTGRES)
		sw_pg_deferred_write_pid(d, dec->pid);
	if (sw_ledger_append_decision(d->ledger, dec, sync && !interval, seq_out, err, sizeof(err)) < 0) {
		/* Not in the chain: counted, and reported by a gap record once the ledger takes records. */
		fprintf(stderr, "sqlward: LEDGER WRITE FAILED: %s\n", err);
		sw_ledger_note_lost(d->ledger, "statement", &dec->time);
	} else if (interval && sw_daemon_decision_sync(d, err, sizeof(err)) != 0) {
		/* Appended unsynced: it stays queued in memory and is written once the ledger takes records
		 * (not lost, so not counted as lost). */
		fprintf(stderr, "sqlward: LEDGER WRITE FAILED: %s; the record waits in memory\n", err);
	}
}

const char *sw_daemon_frozen(struct sw_daemon *d)
{
	time_t now = time(NULL);
	if (sw_freeze_active(&d->freeze, now))
		return d->freeze.reason[0] ? d->freeze.reason : "freeze switched on";
	return sw_policy_freeze_window(d->policy, now);
}

bool sw_daemon_any_frozen_class(const struct sw_daemon *d, const struct sw_analysis *a)
{
	for (size_t i = 0; i < a->n_stmts; i++)
		if (sw_policy_freezes(d->policy, a->stmts[i].cls))
			return true;
	return false;
}

const struct sw_pg_layout *sw_daemon_layout_of(const struct sw_daemon *d, int pid)
{
	return sw_pg_layout_of_pid(d->layouts, d->n_layouts, pid);
}

json_t *sw_daemon_counters_json(const uint64_t st[SW_STAT__COUNT])
{
	static const struct { const char *name; enum sw_stat i; } names[] = {
		{ "ring_buffer_drops", SW_STAT_RB_DROPS },
		{ "held", SW_STAT_HELD },
		{ "cache_hits", SW_STAT_CACHE_HITS },
		{ "shape_hits", SW_STAT_SHAPE_HITS },
		{ "shape_give_ups", SW_STAT_SHAPE_GIVE_UPS },
		{ "kernel_cancels", SW_STAT_NO_DAEMON_CANCELS },
		{ "kernel_terminations", SW_STAT_KERNEL_TERMINATIONS },
		{ "held_while_ring_full", SW_STAT_OVERFLOW_HELD },
		{ "refused_ring_and_overflow_full", SW_STAT_OVERFLOW_FULL },
		{ "nested_executions_skipped", SW_STAT_NESTED_SKIPPED },
		{ "unknown_sessions", SW_STAT_UNKNOWN_SESSION },
		{ "replaced_binary_execs_stopped", SW_STAT_UNPROBED_EXEC_STOPPED },
		{ "replaced_binary_execs_killed", SW_STAT_UNPROBED_EXEC_KILLED },
	};
	json_t *o = json_object();

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		json_object_set_new(o, names[i].name, json_integer((json_int_t)st[names[i].i]));
	return o;
}
