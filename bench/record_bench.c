/*
 * Record-path micro-benchmark (make bench): the userspace work the daemon
 * does for every statement the kernel did not hold (observed, or allowed by
 * a kernel cache): classify through the shape-keyed cache, judge, build the
 * ledger record, chain and append it (no fdatasync, as for those records).
 * No kernel, no ring buffer: this is the daemon's CPU cost per statement.
 *
 * usage: record_bench POLICY ROLE LEDGER [N]
 * Statements are pgbench -S style with varying literals. Prints one line:
 * records, CPU seconds, records/s/core, microseconds per record, peak RSS.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>
#include "analysis_cache.h"
#include "bench_cpu.h"
#include "ledger.h"
#include "policy.h"
#include "statement.h"

int main(int argc, char **argv)
{
	struct sw_policy *p;
	struct sw_ledger *l;
	struct sw_acache *cache;
	char err[1024], text[256];
	long n = argc > 4 ? atol(argv[4]) : 200000;
	double c0, c1;

	if (argc < 4) {
		fprintf(stderr, "usage: record_bench POLICY ROLE LEDGER [N]\n");
		return 2;
	}
	if (sw_policy_load(argv[1], &p, err, sizeof(err)) < 0) {
		fprintf(stderr, "record_bench: %s\n", err);
		return 2;
	}
	unlink(argv[3]);
	if (sw_ledger_open(argv[3], &l, err, sizeof(err)) < 0) {
		fprintf(stderr, "record_bench: %s\n", err);
		return 2;
	}
	cache = sw_acache_new(4096);

	struct sw_subject subj = { .role = argv[2], .database = "bench" };
	c0 = bench_cpu_s();
	for (long i = 0; i < n; i++) {
		struct sw_analysis a;
		struct sw_judgement per[4], overall;
		struct sw_decision d;
		int len = snprintf(text, sizeof(text), "SELECT abalance FROM pgbench_accounts WHERE aid = %ld;",
				   (i * 7919) % 1000000 + 1);

		sw_acache_analyze(cache, text, (size_t)len, &a);
		sw_policy_judge(p, &subj, &a, per, &overall);
		memset(&d, 0, sizeof(d));
		clock_gettime(CLOCK_REALTIME, &d.time);
		d.engine = SW_ENGINE_POSTGRES;
		d.pid = 4242;
		d.role = argv[2];
		d.database = "bench";
		d.client = "127.0.0.1:40000";
		d.statement = text;
		d.statement_len = (size_t)len;
		d.statement_complete = true;
		d.analysis = &a;
		d.per_stmt = per;
		d.overall = &overall;
		d.outcome = "observed";
		if (sw_ledger_append_decision(l, &d, false, NULL, err, sizeof(err)) < 0) {
			fprintf(stderr, "record_bench: %s\n", err);
			return 1;
		}
		sw_analysis_free(&a);
	}
	sw_ledger_close(l);
	c1 = bench_cpu_s();

	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	printf("records=%ld cpu_s=%.3f records_per_core_s=%.0f us_per_record=%.2f peak_rss_kb=%ld\n", n, c1 - c0,
	       n / (c1 - c0), (c1 - c0) * 1e6 / n, ru.ru_maxrss);
	sw_acache_free(cache);
	sw_policy_free(p);
	return 0;
}
