/* A JSON document saved whole or not at all: see json_file.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "json_file.h"
#include "util.h"

int sw_json_save_atomic(const json_t *j, const char *path, size_t flags, mode_t mode, char *err, size_t errlen)
{
	/* The pid keeps two writers (a CLI and the daemon) from sharing one temporary file. */
	char *tmp = sw_xasprintf("%s.tmp.%d", path, (int)getpid());
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode), rc = -1;

	if (fd < 0 || json_dumpfd(j, fd, flags) < 0 || write(fd, "\n", 1) != 1 || fsync(fd) < 0) {
		snprintf(err, errlen, "cannot write %s: %s; check the directory's free space and permissions", tmp,
			 strerror(errno));
		goto out;
	}
	if (close(fd) < 0) {
		fd = -1;
		snprintf(err, errlen, "cannot write %s: %s", tmp, strerror(errno));
		goto out;
	}
	fd = -1;
	if (rename(tmp, path) < 0) {
		snprintf(err, errlen, "cannot replace %s: %s", path, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	if (rc < 0)
		unlink(tmp);
	free(tmp);
	return rc;
}
