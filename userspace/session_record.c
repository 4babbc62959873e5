/* Ledger records of a client session's life (session_record.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "ledger_record.h"
#include "session_record.h"

/* /proc/stat's btime: when the system booted (seconds since the epoch); 0 unknown. */
static time_t boot_time(void)
{
	static time_t btime;
	FILE *f;
	char line[256];

	if (btime)
		return btime;
	f = fopen("/proc/stat", "re");
	while (f && fgets(line, sizeof(line), f))
		if (strncmp(line, "btime ", 6) == 0)
			btime = (time_t)strtoll(line + 6, NULL, 10);
	if (f)
		fclose(f);
	return btime;
}

time_t sw_proc_start_time(int pid)
{
	char path[64], buf[1024], *p;
	FILE *f;
	size_t n;
	unsigned long long ticks = 0;
	long hz = sysconf(_SC_CLK_TCK);

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	f = fopen(path, "re");
	if (!f)
		return 0;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	/* The command name may hold spaces and parentheses: fields count from the last ')'. */
	p = strrchr(buf, ')');
	if (!p || hz <= 0 || !boot_time())
		return 0;
	/* After ")": state is field 3; starttime is field 22, so 19 more fields on. */
	for (int field = 3; field <= 22 && p; field++)
		p = strchr(p + 1, ' ');
	if (!p || sscanf(p + 1, "%llu", &ticks) != 1)
		return 0;
	return boot_time() + (time_t)(ticks / (unsigned long long)hz);
}

static void put(json_t *o, const char *k, const char *v)
{
	if (v && *v)
		json_object_set_new(o, k, json_string(v));
}

static json_t *members(const struct sw_session_facts *f)
{
	json_t *o = json_pack("{s:s, s:i, s:s}", "engine", f->engine, "pid", f->pid, "session", f->session);

	if (f->connection_id)
		json_object_set_new(o, "connection_id", json_integer((json_int_t)f->connection_id));
	put(o, "role", f->role);
	return o;
}

json_t *sw_session_start_record(const struct sw_session_facts *f)
{
	json_t *o = members(f);

	put(o, "database", f->database);
	put(o, "client", f->client);
	put(o, "application_name", f->application);
	put(o, "client_exe", f->client_exe);
	if (f->backend_start) {
		struct tm tm;
		char t[32];
		gmtime_r(&f->backend_start, &tm);
		strftime(t, sizeof(t), "%Y-%m-%dT%H:%M:%SZ", &tm);
		json_object_set_new(o, "backend_start", json_string(t));
	}
	json_object_set_new(o, "learned", json_string(f->running ? "running" : "connect"));
	return sw_event_record("session_start", o);
}

json_t *sw_session_end_record(const struct sw_session_facts *f)
{
	return sw_event_record("session_end", members(f));
}
