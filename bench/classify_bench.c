/*
 * Classifier micro-benchmark (make bench): what the daemon does for each held
 * statement, without the kernel, ledger or sockets: sw_pg_analyze (libpg_query
 * parse + classification) and sw_policy_judge, one statement per input line.
 *
 * usage: classify_bench POLICY ROLE CORPUS [REPEAT]
 * Prints one line: statements, CPU seconds, statements/s/core, peak RSS and
 * the verdict mix. Single-threaded, so CPU seconds = core seconds.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include "policy.h"
#include "statement.h"

static double cpu_s(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

int main(int argc, char **argv)
{
	struct sw_policy *p;
	char err[1024];
	FILE *f;
	char *buf = NULL, **lines = NULL;
	size_t cap = 0, n = 0, lcap = 0;
	ssize_t len;
	unsigned long verdicts[3] = { 0 }, stmts = 0, unparsed = 0;
	int repeat = argc > 4 ? atoi(argv[4]) : 1;
	struct timespec t0, t1;
	double c0, c1;

	if (argc < 4) {
		fprintf(stderr, "usage: classify_bench POLICY ROLE CORPUS [REPEAT]\n");
		return 2;
	}
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
	c0 = cpu_s();
	for (int r = 0; r < repeat; r++) {
		for (size_t i = 0; i < n; i++) {
			struct sw_analysis a;
			struct sw_judgement per[64], *pp = per, overall;
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
	c1 = cpu_s();
	clock_gettime(CLOCK_MONOTONIC, &t1);

	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	double wall = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
	unsigned long strings = (unsigned long)n * (unsigned long)repeat;
	printf("strings=%lu statements=%lu unparseable=%lu cpu_s=%.3f wall_s=%.3f strings_per_core_s=%.0f "
	       "statements_per_core_s=%.0f peak_rss_kb=%ld verdicts %s=%lu %s=%lu %s=%lu\n",
	       strings, stmts, unparsed, c1 - c0, wall, strings / (c1 - c0), stmts / (c1 - c0), ru.ru_maxrss,
	       sw_verdict_name(0), verdicts[0], sw_verdict_name(1), verdicts[1], sw_verdict_name(2), verdicts[2]);
	for (size_t i = 0; i < n; i++)
		free(lines[i]);
	free(lines);
	sw_policy_free(p);
	return 0;
}
