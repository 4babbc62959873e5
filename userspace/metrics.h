/*
 * Prometheus metrics: the daemon's counters and their text rendering
 * (exposition format 0.0.4). Served by metrics_http.c and written as a
 * textfile-collector file by metrics_service.c; README "Metrics" lists them.
 *
 * Counting is plain integer increments into struct sw_metrics from the
 * daemon's loop thread only (every caller below runs there): no locks, no
 * allocation. What the daemon knows only at a scrape (holds pending, the
 * kernel's counters, process and ledger facts) comes in struct
 * sw_metrics_gauges, filled by the caller just before rendering.
 */
#ifndef SQLWARD_METRICS_H
#define SQLWARD_METRICS_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>
#include "policy.h"
#include "statement.h"
#include "util.h"

/* sqlward_hold_duration_seconds upper bounds (seconds), +Inf implied. */
#define SW_METRICS_HOLD_BUCKETS 10
extern const double sw_metrics_hold_bounds[SW_METRICS_HOLD_BUCKETS];

/* Verdict label: the policy's verdict, or "none" for a record without one. */
#define SW_METRICS_VERDICTS 4   /* allow, hold, deny, none */

/* How a hold ended (sqlward_hold_decisions_total{decision}). */
enum sw_metrics_hold_decision {
	SW_HOLD_DECISION_APPROVED = 0,  /* an approver released it */
	SW_HOLD_DECISION_DENIED,        /* an approver refused it */
	SW_HOLD_DECISION_EXPIRED,       /* no decision before its timeout */
	SW_HOLD_DECISION_ABANDONED,     /* the client hung up while held */
	SW_HOLD_DECISION_SERVER_ENDED,  /* the server ended or cancelled the held session */
	SW_HOLD_DECISION_CANCELLED,     /* sqlward refused it (daemon stopping, hold dropped) */
	SW_HOLD_DECISION__COUNT
};

struct sw_metrics {
	/* [engine][verdict][class][governed] */
	uint64_t statements[2][SW_METRICS_VERDICTS][SW_CLASS__COUNT][2];
	uint64_t hold_buckets[SW_METRICS_HOLD_BUCKETS + 1];  /* per bucket, not cumulative; last: above the top */
	double hold_seconds_sum;
	uint64_t hold_decisions[SW_HOLD_DECISION__COUNT];
	/* The ledger's last signed checkpoint (sw_metrics_checkpoint); 0: none yet. */
	int64_t last_checkpoint_unix;
	uint64_t last_checkpoint_seq;
	uint64_t scrapes;               /* renders served (HTTP and textfile) */
};

/* The daemon's one registry (the process runs one daemon). */
extern struct sw_metrics sw_daemon_metrics;

/* One statement record (the decision as the ledger gets it). */
void sw_metrics_count_statement(struct sw_metrics *m, enum sw_engine engine, const struct sw_judgement *overall,
				enum sw_class cls, bool governed);
/* A hold that ended after held_s seconds, how it ended. */
void sw_metrics_count_hold(struct sw_metrics *m, double held_s, enum sw_metrics_hold_decision decision);
/* How a hold ended, from its release: verdict, who decided, the ledger outcome. */
enum sw_metrics_hold_decision sw_metrics_hold_decision_of(enum sw_verdict v, const char *decided_by,
							   const char *outcome);

/*
 * Hook for the ledger's signed checkpoints: call after a checkpoint of the
 * chain up to seq was signed and sent (when: its time). Sets
 * sqlward_ledger_last_checkpoint_timestamp_seconds and _seq of the daemon's registry.
 */
void sw_metrics_checkpoint(uint64_t seq, time_t when);

/* What the daemon knows at a scrape. A "have_" flag false leaves that family out. */
struct sw_metrics_gauges {
	uint64_t holds_pending;
	bool have_pg_kernel;            /* PostgreSQL's gate is open: its kernel counters follow */
	uint64_t pg_cache_hits_exact, pg_cache_hits_shape, pg_cache_misses, pg_ringbuf_drops;
	uint64_t pg_overflow_held, pg_refused_overflow_full, pg_no_daemon_cancels, pg_no_daemon_terminations;
	bool have_mariadb;              /* at least one mariadbd is gated */
	uint64_t my_ringbuf_drops;      /* commands the ring buffer had no room for, summed over servers */
	uint64_t my_cache_hits;         /* governed commands the kernel's verdict cache allowed, summed */
	uint64_t my_cache_misses;       /* governed commands the kernel stopped for the daemon, summed */
	uint64_t ledger_records_lost_total;      /* records that never reached the ledger (counted in gap records) */
	uint64_t ledger_records_lost_unreported; /* ... not yet described by a gap record on disk */
	uint64_t ledger_seq;            /* last record's seq */
	bool ledger_writable;
	bool have_ledger_bytes;         /* the ledger file could be stat'ed */
	uint64_t ledger_bytes;
	bool have_process;              /* /proc/self could be read */
	double process_cpu_seconds, process_start_time_seconds;
	uint64_t process_resident_bytes, process_virtual_bytes, process_open_fds, process_max_fds;
};

/* Fill the process_* gauges from /proc/self (false: unreadable, have_process stays false). */
bool sw_metrics_read_process(struct sw_metrics_gauges *g);

/* The whole exposition text into out (appended). */
void sw_metrics_render(const struct sw_metrics *m, const struct sw_metrics_gauges *g, struct sw_sbuf *out);
/* A label value as the format wants it: \ " and newline escaped (appended to out). */
void sw_metrics_escape_label(struct sw_sbuf *out, const char *value);
/* The Content-Type of the rendering. */
#define SW_METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

#endif
