/* Makes tracefs reachable before a tracepoint attach, so a host that never mounted it still gets the kernel's
 * restart watch rather than a /proc poll that a restarted server can race. */
#include "tracefs_mount.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#define DEBUGFS_TRACING "/sys/kernel/debug/tracing"
#define TRACEFS "/sys/kernel/tracing"

const char *sw_tracefs_dir(void)
{
	/* libbpf's own choice (use_debugfs): the debugfs path when it exists, whatever it holds. */
	return access(DEBUGFS_TRACING, F_OK) == 0 ? DEBUGFS_TRACING : TRACEFS;
}

bool sw_tracefs_ready(void)
{
	char path[128];

	snprintf(path, sizeof(path), "%s/events/syscalls", sw_tracefs_dir());
	return access(path, F_OK) == 0;
}

int sw_tracefs_ensure(char *err, size_t errlen)
{
	if (sw_tracefs_ready())
		return 0;
	if (strcmp(sw_tracefs_dir(), TRACEFS) != 0) {
		snprintf(err, errlen, "%s has no events/syscalls: debugfs is mounted but its tracing directory is "
			 "empty; mount tracefs there (mount -t tracefs tracefs %s) or unmount debugfs",
			 DEBUGFS_TRACING, DEBUGFS_TRACING);
		return -1;
	}
	if (mount("tracefs", TRACEFS, "tracefs", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) != 0) {
		snprintf(err, errlen, "cannot mount tracefs at %s: %s; mount it (mount -t tracefs tracefs %s)",
			 TRACEFS, strerror(errno), TRACEFS);
		return -1;
	}
	if (!sw_tracefs_ready()) {
		snprintf(err, errlen, "tracefs mounted at %s has no events/syscalls: this kernel was built without "
			 "syscall tracepoints (CONFIG_FTRACE_SYSCALLS)", TRACEFS);
		return -1;
	}
	return 1;
}
