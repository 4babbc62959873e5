/* Servers a gate's restart watch stopped, found in any gate's my_successors map (my_watch_stops.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include "my_watch_stops.h"
#include "pg_backend.h"   /* sw_proc_state */

/* The map name and layout of my_successors (bpf/mariadb.bpf.c): key pid, value when stopped. */
#define MAP_NAME "my_successors"

bool sw_my_is_successors_map(const struct bpf_map_info *info)
{
	return info->type == BPF_MAP_TYPE_HASH && info->key_size == sizeof(uint32_t) &&
	       info->value_size == sizeof(uint64_t) && strcmp(info->name, MAP_NAME) == 0;
}

/* The next my_successors map after *id (its fd, *id set; 0: no more; -1: error, err says why). */
static int next_map(uint32_t *id, uint32_t skip_id, char *err, size_t errlen)
{
	for (;;) {
		struct bpf_map_info info;
		uint32_t len = sizeof(info);
		int fd;

		if (bpf_map_get_next_id(*id, id) != 0) {
			if (errno == ENOENT)
				return 0;
			snprintf(err, errlen, "cannot list the kernel's BPF maps to find servers a MariaDB restart watch "
				 "stopped: %s (this needs CAP_SYS_ADMIN: run as root)", strerror(errno));
			return -1;
		}
		if (*id == skip_id)
			continue;
		fd = bpf_map_get_fd_by_id(*id);
		if (fd < 0) {
			if (errno == ENOENT)
				continue;   /* freed meanwhile */
			snprintf(err, errlen, "cannot open BPF map %u to look for servers a MariaDB restart watch "
				 "stopped: %s (this needs CAP_SYS_ADMIN: run as root)", *id, strerror(errno));
			return -1;
		}
		memset(&info, 0, sizeof(info));
		if (bpf_obj_get_info_by_fd(fd, &info, &len) == 0 && sw_my_is_successors_map(&info))
			return fd;
		close(fd);
	}
}

/*
 * Was pid's entry (stopped at when_ns, CLOCK_MONOTONIC as bpf_ktime_get_ns) made for this process,
 * not for an earlier one with the same pid? The process began before it was stopped. (Its start is
 * read since boot, which runs ahead of the monotonic clock by any suspend: an entry may then look
 * stale, and its server is left stopped; never the other way.) A process gone: no stale verdict.
 */
static bool entry_of_process(pid_t pid, uint64_t when_ns)
{
	char path[64], buf[1024], *p;
	unsigned long long start = 0;
	long tck = sysconf(_SC_CLK_TCK);
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if (!(f = fopen(path, "re")))
		return true;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	/* After the command name (which may hold spaces and parentheses): state is field 3, starttime 22. */
	if (!(p = strrchr(buf, ')')) || tck <= 0 ||
	    sscanf(p + 2, "%*c %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %llu", &start) != 1)
		return true;
	/* (In clock ticks, rounded down: never later than the true start.) */
	return when_ns >= start / (unsigned long long)tck * 1000000000ull +
				 start % (unsigned long long)tck * 1000000000ull / (unsigned long long)tck;
}

int sw_my_watch_stopped(pid_t pid, uint32_t skip_id, bool remove, uint32_t *map_id, char *err, size_t errlen)
{
	uint32_t id = 0, key = (uint32_t)pid;
	uint64_t when;
	int fd, found = 0;

	while ((fd = next_map(&id, skip_id, err, errlen)) > 0) {
		if (bpf_map_lookup_elem(fd, &key, &when) == 0 && entry_of_process(pid, when)) {
			if (!found && map_id)
				*map_id = id;
			found = 1;
			if (remove)
				bpf_map_delete_elem(fd, &key);
		}
		close(fd);
		if (found && !remove)
			break;
	}
	return fd < 0 ? -1 : found;
}

int sw_my_watch_stopped_all(pid_t *out, int max, char *err, size_t errlen)
{
	uint32_t id = 0;
	int fd, n = 0;

	while ((fd = next_map(&id, 0, err, errlen)) > 0) {
		uint32_t key, *prev = NULL;
		uint64_t when;
		while (bpf_map_get_next_key(fd, prev, &key) == 0) {
			bool seen = false;
			prev = &key;
			for (int i = 0; i < n; i++)
				seen |= out[i] == (pid_t)key;
			if (!seen && n < max && sw_proc_state((pid_t)key) == 'T' &&
			    bpf_map_lookup_elem(fd, &key, &when) == 0 && entry_of_process((pid_t)key, when))
				out[n++] = (pid_t)key;
		}
		close(fd);
	}
	return fd < 0 ? -1 : n;
}
