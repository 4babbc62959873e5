/* Client side of the control socket protocol (see control_server.c). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include "control_client.h"
#include "daemon.h"

const char *sw_control_socket_path(const char *opt)
{
	const char *env = getenv("SQLWARD_SOCKET");
	if (opt)
		return opt;
	return env && env[0] ? env : SW_DEFAULT_SOCKET;
}

json_t *sw_control_call(const char *path, json_t *req)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char *msg = json_dumps(req, JSON_COMPACT);
	char *buf = NULL;
	size_t have = 0, cap = 0;
	json_error_t jerr;
	json_t *r = NULL;
	int fd;

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		fprintf(stderr, "sqlward: cannot reach the daemon at %s: %s; is `sqlward run` running "
			"(use --socket or SQLWARD_SOCKET for another path)?\n", path, strerror(errno));
		goto out;
	}
	if (write(fd, msg, strlen(msg)) < 0 || write(fd, "\n", 1) < 0) {
		fprintf(stderr, "sqlward: cannot send to the daemon: %s\n", strerror(errno));
		goto out;
	}
	for (;;) {
		ssize_t n;
		if (have + 4096 > cap) {
			cap = cap ? cap * 2 : 65536;
			buf = realloc(buf, cap);
			if (!buf)
				goto out;
		}
		n = read(fd, buf + have, cap - have - 1);
		if (n <= 0)
			break;
		have += (size_t)n;
	}
	if (!buf || have == 0) {
		fprintf(stderr, "sqlward: the daemon closed the connection without a reply\n");
		goto out;
	}
	buf[have] = 0;
	r = json_loads(buf, JSON_DISABLE_EOF_CHECK, &jerr);
	if (!r)
		fprintf(stderr, "sqlward: unreadable reply from the daemon: %s\n", jerr.text);
out:
	if (fd >= 0)
		close(fd);
	free(msg);
	free(buf);
	return r;
}
