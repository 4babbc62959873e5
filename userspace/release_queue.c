/* Every engine's decided statements on their way out (see release_queue.h). */
#include "release_queue.h"

#include <stdio.h>
#include <stdlib.h>
#include "ledger.h"
#include "util.h"

uint64_t sw_release_wait_ns(void)
{
	static uint64_t ns;
	if (!ns) {
		const char *t = getenv("SQLWARD_TEST_LEDGER_WAIT_MS");
		ns = (t && atoll(t) > 0 ? (uint64_t)atoll(t) : 30000ull) * 1000000ull;
	}
	return ns;
}

void sw_release_queue(struct sw_daemon *d, const struct sw_release *r)
{
	if (d->n_releases == d->cap_releases) {
		d->cap_releases = d->cap_releases ? 2 * d->cap_releases : 16;
		d->releases = sw_xrealloc(d->releases, d->cap_releases * sizeof(*d->releases));
	}
	d->releases[d->n_releases] = *r;
	/* Its record was appended before it was queued: at or before the chain's end now. */
	if (!r->seq)
		d->releases[d->n_releases].seq = sw_ledger_seq(d->ledger);
	d->releases[d->n_releases].drops = sw_ledger_drops(d->ledger);
	d->n_releases++;
}

void sw_daemon_ledger_state(struct sw_daemon *d, bool failing, const char *err)
{
	if (failing && !d->ledger_failing_since_ns) {
		d->ledger_failing_since_ns = sw_mono_ns();
		snprintf(d->ledger_error, sizeof(d->ledger_error), "%s", err ? err : "unknown error");
		fprintf(stderr, "sqlward: LEDGER UNWRITABLE: %s; allowed governed statements wait (up to %llu s) "
			"for their record, refusals go ahead, other records are kept in memory; free space or fix "
			"the ledger's filesystem\n", d->ledger_error,
			(unsigned long long)(sw_release_wait_ns() / 1000000000ull));
	} else if (!failing && d->ledger_failing_since_ns) {
		json_t *f = json_pack("{s:f, s:s}", "unwritable_s",
				      (double)(sw_mono_ns() - d->ledger_failing_since_ns) / 1e9, "error", d->ledger_error);
		d->ledger_failing_since_ns = 0;
		d->ledger_error[0] = 0;
		sw_daemon_note(d, "ledger_writable_again", f);
		json_decref(f);
	} else {
		return;   /* no change */
	}
	for (int i = 0; i < d->n_gates; i++)
		if (d->gates[i].ops->ledger_state)
			d->gates[i].ops->ledger_state(d->gates[i].gate, failing, err);
}

enum sw_release_fate sw_release_fate(struct sw_release *r, bool ledger_ok, bool record_safe, uint64_t now_ns,
				     uint64_t wait_ns, bool stopping)
{
	if (ledger_ok)
		return !record_safe ? SW_RELEASE_KEEP : r->allow ? SW_RELEASE_RUN : SW_RELEASE_REFUSE;
	if (!r->allow)
		return SW_RELEASE_REFUSE;
	if (!r->waiting_since_ns)
		r->waiting_since_ns = now_ns;
	if (now_ns - r->waiting_since_ns < wait_ns && !stopping)
		return SW_RELEASE_KEEP;
	return SW_RELEASE_REFUSE_UNRECORDED;
}

/* What its correction record says: built before the engine lets go of it. */
static json_t *unrecorded_fields(const struct sw_release *r)
{
	json_t *f = json_pack("{s:i, s:s}", "pid", r->pid, "reason",
			      "allowed by policy, but its record could not be written to the ledger in time: the "
			      "statement was refused instead and did not run (the record before this one for this "
			      "pid says ran)");
	if (r->ops->describe)
		r->ops->describe(r, f);
	return f;
}

/* Its "ran" record is corrected by this one (fields: stolen), kept in memory until the ledger
 * takes records. */
static void note_refused_unrecorded(struct sw_daemon *d, json_t *fields)
{
	struct timespec t;
	char err[256];
	json_t *rec;

	clock_gettime(CLOCK_REALTIME, &t);
	rec = sw_daemon_record("release_refused_unrecorded", fields);
	if (sw_ledger_append_opts(d->ledger, rec, false, NULL, err, sizeof(err)) < 0)
		sw_ledger_note_lost(d->ledger, "daemon", &t);
	json_decref(rec);
}

void sw_release_run(struct sw_daemon *d)
{
	char err[512] = "";
	uint64_t now;
	size_t k = 0, n;
	bool ok;

	if (!d->n_releases)
		return;
	now = sw_mono_ns();
	if (d->ledger_failing_since_ns && now < d->ledger_retry_ns && !d->stopping)
		return;
	ok = (d->ledger_failing_since_ns ? sw_ledger_retry(d->ledger, err, sizeof(err))
					 : sw_daemon_decision_sync(d, err, sizeof(err))) == 0;
	sw_daemon_ledger_state(d, !ok, err);
	if (!ok)
		d->ledger_retry_ns = now + SW_LEDGER_RETRY_NS;
	/* (An engine's move queues nothing; the entries are copied out before it runs all the same.) */
	n = d->n_releases;
	for (size_t i = 0; i < n; i++) {
		struct sw_release r = d->releases[i];
		enum sw_release_fate fate;
		/* It moves once a finished sync covers its record (the sync thread's;
		 * sw_daemon_record_safe), unless its record was dropped meanwhile (it waited beyond what
		 * the ledger keeps in memory): its seq is another record's now, and it ran unrecorded if
		 * it moved. */
		if (r.allow && !sw_ledger_kept(d->ledger, r.seq, r.drops))
			fate = SW_RELEASE_REFUSE_UNRECORDED;
		else
			fate = sw_release_fate(&r, ok, ok && sw_daemon_record_safe(d, r.seq), now, sw_release_wait_ns(),
					       d->stopping);
		switch (fate) {
		case SW_RELEASE_KEEP:
			d->releases[k++] = r;
			break;
		case SW_RELEASE_RUN:
			r.ops->move(d, &r, true);
			break;
		case SW_RELEASE_REFUSE:
			r.ops->move(d, &r, false);
			break;
		case SW_RELEASE_REFUSE_UNRECORDED: {
			json_t *f = unrecorded_fields(&r);
			r.ops->move(d, &r, false);
			d->refused_unrecorded++;
			note_refused_unrecorded(d, f);
			break;
		}
		}
	}
	d->n_releases = k;
}
