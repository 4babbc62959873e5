/* Other gates' stops at exec of the same process (see exec_stop_peers.h). */
#include <errno.h>
#include <string.h>
#include <stdio.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include "exec_stop_peers.h"
#include "sqlward.h"

/* The map name the kernel keeps for exec_stopped (sqlward.bpf.c) */
#define MAP_NAME "exec_stopped"

bool sw_exec_stop_in_map(int map_fd, uint32_t pid, uint64_t ktime_ns)
{
	struct sw_exec_stop s;

	if (bpf_map_lookup_elem(map_fd, &pid, &s) != 0)
		return false;
	return s.ktime_ns > ktime_ns ? s.ktime_ns - ktime_ns < SW_EXEC_STOP_SAME_NS
				     : ktime_ns - s.ktime_ns < SW_EXEC_STOP_SAME_NS;
}

/* Is fd a gate's exec_stopped map of this build's layout (and not the map with id own)? */
static bool is_peer_map(int fd, uint32_t own)
{
	struct bpf_map_info info;
	uint32_t len = sizeof(info);

	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(fd, &info, &len) != 0)
		return false;
	return info.id != own && info.type == BPF_MAP_TYPE_HASH && info.key_size == sizeof(uint32_t) &&
	       info.value_size == sizeof(struct sw_exec_stop) && strcmp(info.name, MAP_NAME) == 0;
}

int sw_exec_stop_peers(int own_map_fd, uint32_t pid, uint64_t ktime_ns, char *err, size_t errlen)
{
	struct bpf_map_info info;
	uint32_t len = sizeof(info), id = 0;
	int n = 0;

	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(own_map_fd, &info, &len) != 0) {
		snprintf(err, errlen, "cannot read this gate's exec_stopped map: %s", strerror(errno));
		return -1;
	}
	for (;;) {
		int fd;
		if (bpf_map_get_next_id(id, &id) != 0) {
			if (errno == ENOENT)
				return n;   /* the end of the list */
			snprintf(err, errlen, "cannot list the kernel's BPF maps to find other sqlward gates: %s "
				 "(sqlward run needs CAP_SYS_ADMIN)", strerror(errno));
			return -1;
		}
		fd = bpf_map_get_fd_by_id(id);
		if (fd < 0) {
			if (errno == ENOENT)
				continue;   /* freed meanwhile */
			snprintf(err, errlen, "cannot open BPF map %u to look for other sqlward gates: %s "
				 "(sqlward run needs CAP_SYS_ADMIN)", id, strerror(errno));
			return -1;
		}
		if (is_peer_map(fd, info.id) && sw_exec_stop_in_map(fd, pid, ktime_ns))
			n++;
		close(fd);
	}
}
