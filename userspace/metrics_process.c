/*
 * The process_* metrics (the names every Prometheus client library uses):
 * CPU time, memory, fds and start time of this process, from /proc/self.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>
#include "metrics.h"

/* Boot time (unix seconds) from /proc/stat's btime line; 0 if unreadable. */
static double boot_time(void)
{
	FILE *f = fopen("/proc/stat", "re");
	char line[256];
	double bt = 0;

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, "btime ", 6) == 0) {
			bt = strtod(line + 6, NULL);
			break;
		}
	fclose(f);
	return bt;
}

bool sw_metrics_read_process(struct sw_metrics_gauges *g)
{
	char buf[1024], *p;
	FILE *f = fopen("/proc/self/stat", "re");
	size_t n;
	unsigned long utime, stime, vsize;
	unsigned long long starttime;
	long rss, tck = sysconf(_SC_CLK_TCK), page = sysconf(_SC_PAGESIZE);
	struct rlimit rl;
	DIR *dir;

	if (!f)
		return false;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	/* The command name (field 2) may hold spaces and parentheses: fields resume after the last ')'. */
	p = strrchr(buf, ')');
	if (!p || tck <= 0 || page <= 0)
		return false;
	/* Fields 3..: state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime(14)
	 * stime(15) cutime cstime priority nice num_threads itrealvalue starttime(22) vsize(23) rss(24) */
	if (sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu %*d %*d %*d %*d %*d %*d %llu %lu %ld",
		   &utime, &stime, &starttime, &vsize, &rss) != 5)
		return false;
	g->process_cpu_seconds = (double)(utime + stime) / (double)tck;
	g->process_start_time_seconds = boot_time() + (double)starttime / (double)tck;
	g->process_virtual_bytes = vsize;
	g->process_resident_bytes = rss > 0 ? (uint64_t)rss * (uint64_t)page : 0;
	g->process_open_fds = 0;
	if ((dir = opendir("/proc/self/fd"))) {
		struct dirent *e;
		while ((e = readdir(dir)))
			g->process_open_fds += e->d_name[0] != '.';
		closedir(dir);
		g->process_open_fds--;   /* the directory stream's own fd */
	}
	g->process_max_fds = getrlimit(RLIMIT_NOFILE, &rl) == 0 ? (uint64_t)rl.rlim_cur : 0;
	g->have_process = true;
	return true;
}
