/* Client side of the control socket protocol (see control_server.c). */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include "control_client.h"
#include "daemon.h"
#include "util.h"

const char *sw_control_socket_path(const char *opt)
{
	const char *env = getenv("SQLWARD_SOCKET");
	if (opt)
		return opt;
	return env && env[0] ? env : SW_DEFAULT_SOCKET;
}

/* name, or "uid N" / "gid N" (kind, id) when the id has no name. */
static const char *name_or_id(const char *name, const char *kind, unsigned id, char *buf, size_t len)
{
	if (name)
		snprintf(buf, len, "%s", name);
	else
		snprintf(buf, len, "%s %u", kind, id);
	return buf;
}

static const char *user_name(uid_t uid, char *buf, size_t len)
{
	struct passwd *pw = getpwuid(uid);
	return name_or_id(pw ? pw->pw_name : NULL, "uid", (unsigned)uid, buf, len);
}

static const char *group_name(gid_t gid, char *buf, size_t len)
{
	struct group *gr = getgrgid(gid);
	return name_or_id(gr ? gr->gr_name : NULL, "gid", (unsigned)gid, buf, len);
}

/* The first directory on the way to path that this user may not search, in dir. */
static bool blocking_dir(const char *path, char *dir, size_t len)
{
	char copy[sizeof(((struct sockaddr_un *)0)->sun_path)];

	snprintf(copy, sizeof(copy), "%s", path);
	for (char *slash = strchr(copy + 1, '/'); slash; slash = strchr(slash + 1, '/')) {
		*slash = 0;
		if (access(copy, X_OK) != 0 && errno == EACCES) {
			snprintf(dir, len, "%s", copy);
			return true;
		}
		*slash = '/';
	}
	return false;
}

void sw_control_unreachable(const char *path, int err, char *msg, size_t len)
{
	char me[64], owner[64], group[64], dir[256];
	struct stat st;

	user_name(getuid(), me, sizeof(me));
	if (err == EACCES || err == EPERM) {
		if (blocking_dir(path, dir, sizeof(dir)) && stat(dir, &st) == 0)
			snprintf(msg, len, "permission denied: %s may not enter %s (owner %s, group %s, mode %04o), "
				 "the directory of the control socket %s; the daemon may well be running. Ask an "
				 "administrator to let you reach it (the group of `sqlward run --socket-group`)", me, dir,
				 user_name(st.st_uid, owner, sizeof(owner)), group_name(st.st_gid, group, sizeof(group)),
				 (unsigned)(st.st_mode & 07777), path);
		else if (stat(path, &st) == 0 && st.st_gid == 0)
			snprintf(msg, len, "permission denied on the control socket %s (owner %s, group %s, mode %04o): "
				 "the daemon is running, but without --socket-group, so only root may connect. Ask an "
				 "administrator to run it with `--socket-group GROUP` and add %s to that group; the policy "
				 "then decides what %s may do", path, user_name(st.st_uid, owner, sizeof(owner)),
				 group_name(st.st_gid, group, sizeof(group)), (unsigned)(st.st_mode & 07777), me, me);
		else if (stat(path, &st) == 0)
			snprintf(msg, len, "permission denied on the control socket %s (owner %s, group %s, mode %04o): "
				 "%s is not allowed to connect; the daemon is running. Ask an administrator to add %s to "
				 "group %s (`sqlward run --socket-group %s`); the policy then decides what %s may do", path,
				 user_name(st.st_uid, owner, sizeof(owner)), group_name(st.st_gid, group, sizeof(group)),
				 (unsigned)(st.st_mode & 07777), me, me, group, group, me);
		else
			snprintf(msg, len, "permission denied on the control socket %s: %s is not allowed to connect "
				 "(%s); ask an administrator for access (`sqlward run --socket-group`)", path, me,
				 strerror(err));
	} else if (err == ENOENT) {
		snprintf(msg, len, "no control socket at %s: the sqlward daemon is not running, or it listens "
			 "elsewhere; start it (`sqlward run`) or give its path with --socket or SQLWARD_SOCKET", path);
	} else if (err == ECONNREFUSED) {
		snprintf(msg, len, "nothing listens on the control socket %s: the daemon that made it is no longer "
			 "running; start it (`sqlward run`)", path);
	} else if (err == ENOTSOCK || err == ENOTDIR) {
		snprintf(msg, len, "%s is not a control socket (%s); give the daemon's socket with --socket or "
			 "SQLWARD_SOCKET", path, strerror(err));
	} else {
		snprintf(msg, len, "cannot reach the daemon at %s: %s; is `sqlward run` running (use --socket or "
			 "SQLWARD_SOCKET for another path)?", path, strerror(err));
	}
}

/* The request and its newline in one piece; a peer that has already hung up is an error, not SIGPIPE. */
static int send_line(int fd, const char *msg)
{
	char *line = sw_xasprintf("%s\n", msg);
	size_t len = strlen(line), off = 0;
	int rc = 0;

	while (off < len) {
		ssize_t n = send(fd, line + off, len - off, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			rc = -1;
			break;
		}
		off += (size_t)n;
	}
	free(line);
	return rc;
}

json_t *sw_control_call(const char *path, json_t *req)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char *msg = json_dumps(req, JSON_COMPACT);
	char *buf = NULL, why[1024];
	size_t have = 0, cap = 0;
	json_error_t jerr;
	json_t *r = NULL;
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "sqlward: control socket path %s is too long (at most %zu bytes)\n", path,
			sizeof(sa.sun_path) - 1);
		free(msg);
		return NULL;
	}
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		sw_control_unreachable(path, errno, why, sizeof(why));
		fprintf(stderr, "sqlward: %s\n", why);
		goto out;
	}
	if (send_line(fd, msg) < 0) {
		fprintf(stderr, "sqlward: cannot send to the daemon at %s: %s\n", path, strerror(errno));
		goto out;
	}
	for (;;) {
		ssize_t n;
		if (have + 4096 > cap) {
			char *grown = realloc(buf, cap = cap ? cap * 2 : 65536);
			if (!grown) {
				fprintf(stderr, "sqlward: out of memory reading the daemon's reply\n");
				goto out;
			}
			buf = grown;
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
