/* CPU time of this process (user + system), for the micro-benchmarks. */
#ifndef SQLWARD_BENCH_CPU_H
#define SQLWARD_BENCH_CPU_H

#include <sys/resource.h>

static inline double bench_cpu_s(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

#endif
