/* The metrics registry and its Prometheus text rendering (see metrics.h). */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include "metrics.h"

const double sw_metrics_hold_bounds[SW_METRICS_HOLD_BUCKETS] = { 1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600 };

struct sw_metrics sw_daemon_metrics;

static const char *const engine_label[2] = { "postgresql", "mariadb" };
static const char *const verdict_label[SW_METRICS_VERDICTS] = { "allow", "hold", "deny", "none" };
static const char *const decision_label[SW_HOLD_DECISION__COUNT] = {
	"approved", "denied", "expired", "abandoned", "server_ended", "cancelled",
};

void sw_metrics_count_statement(struct sw_metrics *m, enum sw_engine engine, const struct sw_judgement *overall,
				enum sw_class cls, bool governed)
{
	unsigned v = overall && (unsigned)overall->verdict < 3 ? (unsigned)overall->verdict : 3;
	unsigned e = engine == SW_ENGINE_MYSQL ? 1 : 0;
	unsigned c = (unsigned)cls < SW_CLASS__COUNT ? (unsigned)cls : SW_CLASS_UNKNOWN;

	m->statements[e][v][c][governed ? 1 : 0]++;
}

void sw_metrics_count_hold(struct sw_metrics *m, double held_s, enum sw_metrics_hold_decision decision)
{
	unsigned b = 0;

	if (held_s < 0)
		held_s = 0;
	while (b < SW_METRICS_HOLD_BUCKETS && held_s > sw_metrics_hold_bounds[b])
		b++;
	m->hold_buckets[b]++;
	m->hold_seconds_sum += held_s;
	if ((unsigned)decision < SW_HOLD_DECISION__COUNT)
		m->hold_decisions[decision]++;
}

enum sw_metrics_hold_decision sw_metrics_hold_decision_of(enum sw_verdict v, const char *decided_by,
							   const char *outcome)
{
	if (v == SW_VERDICT_ALLOW)
		return SW_HOLD_DECISION_APPROVED;
	if (outcome && strcmp(outcome, "timed_out") == 0)
		return SW_HOLD_DECISION_EXPIRED;
	if (outcome && strcmp(outcome, "abandoned") == 0)
		return SW_HOLD_DECISION_ABANDONED;
	if (decided_by && strcmp(decided_by, "server") == 0)
		return SW_HOLD_DECISION_SERVER_ENDED;
	if (!decided_by || strcmp(decided_by, "sqlward") == 0)
		return SW_HOLD_DECISION_CANCELLED;
	return SW_HOLD_DECISION_DENIED;   /* a person refused it */
}

void sw_metrics_checkpoint(uint64_t seq, time_t when)
{
	sw_daemon_metrics.last_checkpoint_seq = seq;
	sw_daemon_metrics.last_checkpoint_unix = (int64_t)when;
}

void sw_metrics_escape_label(struct sw_sbuf *out, const char *value)
{
	for (const char *p = value; *p; p++) {
		if (*p == '\\')
			sw_sbuf_add(out, "\\\\", 2);
		else if (*p == '"')
			sw_sbuf_add(out, "\\\"", 2);
		else if (*p == '\n')
			sw_sbuf_add(out, "\\n", 2);
		else
			sw_sbuf_add(out, p, 1);
	}
}

/* # HELP and # TYPE of a family (help texts are ours: no escaping needed). */
static void family(struct sw_sbuf *o, const char *name, const char *type, const char *help)
{
	sw_sbuf_printf(o, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void sample_u64(struct sw_sbuf *o, const char *name, uint64_t v)
{
	sw_sbuf_printf(o, "%s %" PRIu64 "\n", name, v);
}

/* name{label="value"} v, with the value escaped. */
static void sample_label_u64(struct sw_sbuf *o, const char *name, const char *label, const char *value, uint64_t v)
{
	sw_sbuf_printf(o, "%s{%s=\"", name, label);
	sw_metrics_escape_label(o, value);
	sw_sbuf_printf(o, "\"} %" PRIu64 "\n", v);
}

/* Seconds and the like: microsecond resolution is plenty. */
static void sample_double(struct sw_sbuf *o, const char *name, double v)
{
	sw_sbuf_printf(o, "%s %.6f\n", name, v);
}

static void render_statements(const struct sw_metrics *m, struct sw_sbuf *o)
{
	family(o, "sqlward_statements_total", "counter",
	       "Statement records written, by engine, the policy's verdict, the deciding statement's class and "
	       "whether the role is governed (governed=\"false\": observed only).");
	for (unsigned e = 0; e < 2; e++)
		for (unsigned v = 0; v < SW_METRICS_VERDICTS; v++)
			for (unsigned c = 0; c < SW_CLASS__COUNT; c++)
				for (unsigned g = 0; g < 2; g++) {
					uint64_t n = m->statements[e][v][c][g];
					if (!n)
						continue;   /* only series that happened: 176 zeros say nothing */
					sw_sbuf_str(o, "sqlward_statements_total{engine=\"");
					sw_metrics_escape_label(o, engine_label[e]);
					sw_sbuf_str(o, "\",verdict=\"");
					sw_metrics_escape_label(o, verdict_label[v]);
					sw_sbuf_str(o, "\",class=\"");
					sw_metrics_escape_label(o, sw_class_name((enum sw_class)c));
					sw_sbuf_printf(o, "\",governed=\"%s\"} %" PRIu64 "\n", g ? "true" : "false", n);
				}
}

static void render_holds(const struct sw_metrics *m, const struct sw_metrics_gauges *g, struct sw_sbuf *o)
{
	uint64_t cum = 0;

	family(o, "sqlward_holds_pending", "gauge", "Statements held now, waiting for a decision.");
	sample_u64(o, "sqlward_holds_pending", g->holds_pending);

	family(o, "sqlward_hold_duration_seconds", "histogram",
	       "How long decided holds kept their session waiting, from the stop to the decision.");
	for (unsigned b = 0; b < SW_METRICS_HOLD_BUCKETS; b++) {
		cum += m->hold_buckets[b];
		sw_sbuf_printf(o, "sqlward_hold_duration_seconds_bucket{le=\"%g\"} %" PRIu64 "\n",
			       sw_metrics_hold_bounds[b], cum);
	}
	cum += m->hold_buckets[SW_METRICS_HOLD_BUCKETS];
	sw_sbuf_printf(o, "sqlward_hold_duration_seconds_bucket{le=\"+Inf\"} %" PRIu64 "\n", cum);
	sample_double(o, "sqlward_hold_duration_seconds_sum", m->hold_seconds_sum);
	sample_u64(o, "sqlward_hold_duration_seconds_count", cum);

	family(o, "sqlward_hold_decisions_total", "counter",
	       "Holds decided, by how they ended: approved, denied (by an approver), expired (timeout), "
	       "abandoned (client gone), server_ended, cancelled (by sqlward, e.g. stopping).");
	for (unsigned i = 0; i < SW_HOLD_DECISION__COUNT; i++)
		sample_label_u64(o, "sqlward_hold_decisions_total", "decision", decision_label[i], m->hold_decisions[i]);
}

/* name{engine="E"[,cache="C"]} N */
static void cache_sample(struct sw_sbuf *o, const char *name, const char *engine, const char *cache, uint64_t n)
{
	sw_sbuf_printf(o, "%s{engine=\"%s\"", name, engine);
	if (cache)
		sw_sbuf_printf(o, ",cache=\"%s\"", cache);
	sw_sbuf_printf(o, "} %" PRIu64 "\n", n);
}

static void render_kernel(const struct sw_metrics_gauges *g, struct sw_sbuf *o)
{
	/* One family per counter for both engines, told apart by the engine label (a family's samples
	 * must follow its header together). */
	if (g->have_pg_kernel || g->have_mariadb) {
		family(o, "sqlward_kernel_verdict_cache_hits_total", "counter",
		       "Governed statements allowed in the kernel from its verdict cache, by engine and cache "
		       "(PostgreSQL: exact text or shape; MariaDB: exact, the same text and context or the same "
		       "prepared statement).");
		if (g->have_pg_kernel) {
			cache_sample(o, "sqlward_kernel_verdict_cache_hits_total", "postgresql", "exact",
				     g->pg_cache_hits_exact);
			cache_sample(o, "sqlward_kernel_verdict_cache_hits_total", "postgresql", "shape",
				     g->pg_cache_hits_shape);
		}
		if (g->have_mariadb)
			cache_sample(o, "sqlward_kernel_verdict_cache_hits_total", "mariadb", "exact", g->my_cache_hits);
		family(o, "sqlward_kernel_verdict_cache_misses_total", "counter",
		       "Governed events the kernel stopped for the daemon (no cached verdict), by engine.");
		if (g->have_pg_kernel)
			cache_sample(o, "sqlward_kernel_verdict_cache_misses_total", "postgresql", NULL, g->pg_cache_misses);
		if (g->have_mariadb)
			cache_sample(o, "sqlward_kernel_verdict_cache_misses_total", "mariadb", NULL, g->my_cache_misses);
	}
	if (g->have_pg_kernel) {
		family(o, "sqlward_kernel_overflow_held_total", "counter",
		       "Governed PostgreSQL statements held in the overflow map because the ring buffer was full.");
		sample_u64(o, "sqlward_kernel_overflow_held_total", g->pg_overflow_held);
		family(o, "sqlward_kernel_refusals_total", "counter",
		       "Governed PostgreSQL statements the kernel refused on its own, by reason.");
		sample_label_u64(o, "sqlward_kernel_refusals_total", "reason", "no_daemon_cancel", g->pg_no_daemon_cancels);
		sample_label_u64(o, "sqlward_kernel_refusals_total", "reason", "no_daemon_terminate",
				 g->pg_no_daemon_terminations);
		sample_label_u64(o, "sqlward_kernel_refusals_total", "reason", "ring_and_overflow_full",
				 g->pg_refused_overflow_full);
	}
	if (g->have_pg_kernel || g->have_mariadb) {
		family(o, "sqlward_ringbuf_drops_total", "counter",
		       "Kernel events that did not fit in the ring buffer, by engine.");
		if (g->have_pg_kernel)
			sample_label_u64(o, "sqlward_ringbuf_drops_total", "engine", "postgresql", g->pg_ringbuf_drops);
		if (g->have_mariadb)
			sample_label_u64(o, "sqlward_ringbuf_drops_total", "engine", "mariadb", g->my_ringbuf_drops);
	}
}

static void render_ledger(const struct sw_metrics *m, const struct sw_metrics_gauges *g, struct sw_sbuf *o)
{
	family(o, "sqlward_ledger_records_lost_total", "counter",
	       "Records that never reached the ledger (reported there by gap records).");
	sample_u64(o, "sqlward_ledger_records_lost_total", g->ledger_records_lost_total);
	family(o, "sqlward_ledger_records_lost_unreported", "gauge",
	       "Lost records not yet described by a gap record on disk.");
	sample_u64(o, "sqlward_ledger_records_lost_unreported", g->ledger_records_lost_unreported);
	family(o, "sqlward_ledger_seq", "gauge", "Sequence number of the ledger's last record.");
	sample_u64(o, "sqlward_ledger_seq", g->ledger_seq);
	family(o, "sqlward_ledger_writable", "gauge", "1 while the ledger can be written, 0 while writing fails.");
	sample_u64(o, "sqlward_ledger_writable", g->ledger_writable ? 1 : 0);
	if (g->have_ledger_bytes) {
		family(o, "sqlward_ledger_bytes", "gauge", "Size of the ledger file being written.");
		sample_u64(o, "sqlward_ledger_bytes", g->ledger_bytes);
	}
	family(o, "sqlward_ledger_last_checkpoint_timestamp_seconds", "gauge",
	       "Unix time of the last signed ledger checkpoint (0: none since the daemon started).");
	sw_sbuf_printf(o, "sqlward_ledger_last_checkpoint_timestamp_seconds %" PRId64 "\n", m->last_checkpoint_unix);
	family(o, "sqlward_ledger_last_checkpoint_seq", "gauge", "Ledger seq the last signed checkpoint covers.");
	sample_u64(o, "sqlward_ledger_last_checkpoint_seq", m->last_checkpoint_seq);
}

static void render_process(const struct sw_metrics_gauges *g, struct sw_sbuf *o)
{
	if (!g->have_process)
		return;
	family(o, "process_cpu_seconds_total", "counter", "Total user and system CPU time spent in seconds.");
	sample_double(o, "process_cpu_seconds_total", g->process_cpu_seconds);
	family(o, "process_resident_memory_bytes", "gauge", "Resident memory size in bytes.");
	sample_u64(o, "process_resident_memory_bytes", g->process_resident_bytes);
	family(o, "process_virtual_memory_bytes", "gauge", "Virtual memory size in bytes.");
	sample_u64(o, "process_virtual_memory_bytes", g->process_virtual_bytes);
	family(o, "process_open_fds", "gauge", "Number of open file descriptors.");
	sample_u64(o, "process_open_fds", g->process_open_fds);
	family(o, "process_max_fds", "gauge", "Maximum number of open file descriptors.");
	sample_u64(o, "process_max_fds", g->process_max_fds);
	family(o, "process_start_time_seconds", "gauge", "Start time of the process since unix epoch in seconds.");
	sample_double(o, "process_start_time_seconds", g->process_start_time_seconds);
}

void sw_metrics_render(const struct sw_metrics *m, const struct sw_metrics_gauges *g, struct sw_sbuf *out)
{
	render_statements(m, out);
	render_holds(m, g, out);
	render_kernel(g, out);
	render_ledger(m, g, out);
	render_process(g, out);
	family(out, "sqlward_metrics_scrapes_total", "counter", "Metrics renderings served (HTTP and textfile).");
	sample_u64(out, "sqlward_metrics_scrapes_total", m->scrapes);
}
