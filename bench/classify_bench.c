/*
 * Classifier micro-benchmark (make bench): what the daemon does for each held
 * statement, without the kernel, ledger or sockets: sw_pg_analyze (libpg_query
 * parse + classification) and sw_policy_judge, one statement per input line.
 *
 * usage: classify_bench [--shape-cache] POLICY ROLE CORPUS [REPEAT]
 * --shape-cache classifies through the daemon's shape-keyed classification
 * cache (analysis_cache.c, 4096 slots, as in the daemon): a statement whose
 * shape was seen is not parsed again. Without it every statement is parsed.
 * Prints one line: statements, CPU seconds, statements/s/core, peak RSS,
 * the verdict mix and (with the cache) its hit rate. Single-threaded, so CPU
 * seconds = core seconds.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include "analysis_cache.h"
#include "bench_cpu.h"
#include "policy.h"
#include "statement.h"

int main(int argc, char **argv)
{
	struct sw_policy *p;
	char err[1024];
	FILE *f;
	char *buf = NULL, **lines = NULL;
	size_t cap = 0, n = 0, lcap = 0;
	ssize_t len;
	unsigned long verdicts[3] = { 0 }, stmts = 0, unparsed = 0;
	struct sw_acache *cache = NULL;
	struct timespec t0, t1;
	double c0, c1;
	int repeat;

	if (argc > 1 && strcmp(argv[1], "--shape-cache") == 0) {
		cache = sw_acache_new(4096);
		argv++;
		argc--;
	}
	if (argc < 4) {
		fprintf(stderr, "usage: classify_bench [--shape-cache] POLICY ROLE CORPUS [REPEAT]\n");
		return 2;
	}
	repeat = argc > 4 ? atoi(argv[4]) : 1;
	if (sw_policy_load(argv[1], &p, err, sizeof(err)) < 0) {
		fprintf(stderr, "classify_bench: %s\n", err);
		return 2;
	}
	if (!(f = fopen(argv[3], "r"))) {
		perror(argv[3]);
		return 2;
	}
	while ((len = getline(&buf, &cap, f)) > 0) {
		if (buf[len - 1] == '\n')
			buf[--len] = 0;
		if (n == lcap) {
			lcap = lcap ? lcap * 2 : 65536;
			lines = realloc(lines, lcap * sizeof(*lines));
		}
		lines[n++] = strdup(buf);
	}
	fclose(f);
	free(buf);

	struct sw_subject subj = { .role = argv[2], .database = "bench" };
	clock_gettime(CLOCK_MONOTONIC, &t0);
	c0 = bench_cpu_s();
	for (int r = 0; r < repeat; r++) {
		for (size_t i = 0; i < n; i++) {
			struct sw_analysis a;
			struct sw_judgement per[64], *pp = per, overall;
			if (cache)
				sw_acache_analyze(cache, lines[i], strlen(lines[i]), &a);
			else
				sw_pg_analyze(lines[i], &a);
			if (a.n_stmts > 64)
				pp = calloc(a.n_stmts, sizeof(*pp));
			sw_policy_judge(p, &subj, &a, pp, &overall);
			if (pp != per)
				free(pp);
			stmts += a.n_stmts;
			unparsed += !a.parse_ok;
			if ((unsigned)overall.verdict < 3)
				verdicts[overall.verdict]++;
			sw_analysis_free(&a);
		}
	}
	c1 = bench_cpu_s();
	clock_gettime(CLOCK_MONOTONIC, &t1);

	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	double wall = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
	unsigned long strings = (unsigned long)n * (unsigned long)repeat;
	printf("strings=%lu statements=%lu unparseable=%lu cpu_s=%.3f wall_s=%.3f strings_per_core_s=%.0f "
	       "statements_per_core_s=%.0f peak_rss_kb=%ld verdicts %s=%lu %s=%lu %s=%lu",
	       strings, stmts, unparsed, c1 - c0, wall, strings / (c1 - c0), stmts / (c1 - c0), ru.ru_maxrss,
	       sw_verdict_name(0), verdicts[0], sw_verdict_name(1), verdicts[1], sw_verdict_name(2), verdicts[2]);
	if (cache) {
		uint64_t hits, misses;
		sw_acache_stats(cache, &hits, &misses);
		printf(" shape_cache_hits=%llu shape_cache_misses=%llu", (unsigned long long)hits,
		       (unsigned long long)misses);
		sw_acache_free(cache);
	}
	putchar('\n');
	for (size_t i = 0; i < n; i++)
		free(lines[i]);
	free(lines);
	sw_policy_free(p);
	return 0;
}
