/*
 * The daemon's control socket: one JSON request per connection, one JSON
 * reply. Callers are identified by SO_PEERCRED, never by what they claim.
 *
 *   {"op":"pending"}                       -> {"ok":true,"pending":[...]}
 *   {"op":"show","id":N}                   -> {"ok":true,"hold":{...}}
 *   {"op":"approve"|"deny","id":N,"comment":"..."} -> {"ok":true} | {"ok":false,"error":"..."}
 *   {"op":"status"}                        -> {"ok":true, counters...}
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include "daemon_internal.h"
#include "util.h"

int sw_control_listen(const char *path, const char *group, char *err, size_t errlen)
{
	gid_t gid = (gid_t)-1;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char dir[sizeof(sa.sun_path)];
	char *slash;
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		snprintf(err, errlen, "control socket path %s is too long (max %zu bytes)", path, sizeof(sa.sun_path) - 1);
		return -1;
	}
	if (group) {
		struct group *gr = getgrnam(group);
		if (!gr) {
			snprintf(err, errlen, "socket group \"%s\" does not exist; create it (groupadd %s) and add "
				 "the approvers to it", group, group);
			return -1;
		}
		gid = gr->gr_gid;
	}
	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = 0;
		if (mkdir(dir, 0750) == 0 && gid != (gid_t)-1 && chown(dir, (uid_t)-1, gid) < 0) {
			snprintf(err, errlen, "cannot give %s to group %s: %s", dir, group, strerror(errno));
			return -1;
		} else if (errno != EEXIST && access(dir, F_OK) != 0) {
			snprintf(err, errlen, "cannot create %s for the control socket: %s", dir, strerror(errno));
			return -1;
		}
	}
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return -1;
	}
	/* A socket file left by a dead daemon: remove it, but never steal a live one. */
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
		snprintf(err, errlen, "another sqlward daemon is listening on %s; stop it first or use --socket", path);
		close(fd);
		return -1;
	}
	unlink(path);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 16) < 0) {
		snprintf(err, errlen, "cannot listen on %s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	/* Reaching the socket is not authority: every request is checked by SO_PEERCRED. */
	if (gid != (gid_t)-1 && chown(path, (uid_t)-1, gid) < 0) {
		snprintf(err, errlen, "cannot give %s to group %s: %s", path, group, strerror(errno));
		close(fd);
		return -1;
	}
	chmod(path, 0660);
	return fd;
}

static void reply(int fd, json_t *r)
{
	char *s = json_dumps(r, JSON_COMPACT);
	if (s) {
		size_t n = strlen(s), off = 0;
		s[n] = '\n';
		while (off < n + 1) {
			ssize_t w = write(fd, s + off, n + 1 - off);
			if (w <= 0)
				break;
			off += (size_t)w;
		}
		free(s);
	}
	json_decref(r);
}

static json_t *error_reply(const char *fmt, const char *arg)
{
	char *msg = sw_xasprintf(fmt, arg);
	json_t *r = json_pack("{s:b, s:s}", "ok", 0, "error", msg);
	free(msg);
	return r;
}

/* The caller's groups by name (for "group:NAME" approvers). */
static size_t actor_groups(uid_t uid, const char *user, char ***out)
{
	struct passwd *pw = getpwuid(uid);
	gid_t gids[256];
	int ng = 256;
	char **names;
	size_t n = 0;

	*out = NULL;
	if (!pw || getgrouplist(user, pw->pw_gid, gids, &ng) < 0)
		return 0;
	names = sw_xcalloc((size_t)ng, sizeof(*names));
	for (int i = 0; i < ng; i++) {
		struct group *gr = getgrgid(gids[i]);
		if (gr)
			names[n++] = sw_xstrdup(gr->gr_name);
	}
	*out = names;
	return n;
}

static json_t *op_decide(struct sw_daemon *d, json_t *req, const struct ucred *cred, const char *who, bool approve)
{
	json_t *idv = json_object_get(req, "id");
	const char *comment = json_string_value(json_object_get(req, "comment"));
	struct sw_actor actor = { .uid = cred->uid, .user = who };
	struct timespec now;
	enum sw_approval_result r;
	struct sw_hold *h;
	char idbuf[32], msg[2048];   /* a refusal names the whole connection chain */
	char **groups;
	json_t *reply;

	if (!json_is_integer(idv))
		return error_reply("%s", "request needs an integer \"id\" (see `sqlward pending`)");
	snprintf(idbuf, sizeof(idbuf), "%lld", (long long)json_integer_value(idv));
	h = sw_holds_find(d, (uint64_t)json_integer_value(idv));
	if (!h)
		return error_reply("no held statement with id %s (already decided, timed out, or never held); "
				   "run `sqlward pending` to see what is waiting", idbuf);
	actor.n_groups = actor_groups(cred->uid, who, &groups);
	actor.groups = (const char *const *)groups;
	clock_gettime(CLOCK_REALTIME, &now);
	r = sw_approval_decide(&h->approval, &actor, approve, comment, &now, msg, sizeof(msg));
	for (size_t i = 0; i < actor.n_groups; i++)
		free(groups[i]);
	free(groups);

	switch (r) {
	case SW_APPROVAL_RECORDED:
		sw_holds_note(d, h, "approval", who, comment, msg);
		return json_pack("{s:b, s:s, s:s, s:s}", "ok", 1, "id", idbuf, "decision", "approval recorded",
				 "message", msg);
	case SW_APPROVAL_RELEASED:
	case SW_APPROVAL_DENIED: {
		char *by = sw_xstrdup(h->approval.decided_by ? h->approval.decided_by : who);
		int rc = sw_holds_release(d, h, r == SW_APPROVAL_RELEASED ? SW_VERDICT_ALLOW : SW_VERDICT_DENY, by,
					  comment, r == SW_APPROVAL_RELEASED ? "ran" : "cancelled");
		free(by);
		if (rc < 0)
			return error_reply("%s", "the ledger could not be written, so the statement was cancelled");
		reply = json_pack("{s:b, s:s, s:s, s:s}", "ok", 1, "id", idbuf, "decision",
				  r == SW_APPROVAL_RELEASED ? "approved" : "denied", "message", msg);
		return reply;
	}
	default:
		sw_holds_note(d, h, "approval_refused", who, comment, msg);
		return error_reply("%s", msg);
	}
}

static json_t *op_freeze(struct sw_daemon *d, json_t *req, const struct ucred *cred, const char *who)
{
	json_t *onv = json_object_get(req, "on");
	const char *reason = json_string_value(json_object_get(req, "reason"));
	json_t *untilv = json_object_get(req, "until");
	struct sw_freeze next = d->freeze;
	struct sw_approval perm;
	struct sw_actor actor = { .uid = cred->uid, .user = who };
	char **groups, why[512], err[512];
	bool allowed;

	if (json_is_null(onv) || !onv) {
		json_t *r = json_pack("{s:b, s:b, s:s, s:o}", "ok", 1, "frozen", d->frozen, "reason", d->frozen_reason,
				      "manual", sw_freeze_json(&d->freeze));
		return r;
	}
	/* Who may switch: root, or the policy's freeze operators (same matching as approvers). */
	sw_approval_init(&perm, 1, sw_policy_freeze_operators(d->policy));
	actor.n_groups = actor_groups(cred->uid, who, &groups);
	actor.groups = (const char *const *)groups;
	allowed = cred->uid == 0 || (perm.approvers.n && sw_approval_may_decide(&perm, &actor, why, sizeof(why)));
	for (size_t i = 0; i < actor.n_groups; i++)
		free(groups[i]);
	free(groups);
	sw_approval_free(&perm);
	if (!allowed)
		return error_reply("%s may not switch the freeze: only root or the policy's `freeze: operators:` may", who);
	if (json_is_true(onv) && (!reason || !reason[0]))
		return error_reply("%s", "a freeze needs a reason (--reason TEXT): it is shown to everyone it stops");
	next.on = json_is_true(onv);
	snprintf(next.reason, sizeof(next.reason), "%s", reason ? reason : "");
	snprintf(next.by, sizeof(next.by), "%s", who);
	next.since = time(NULL);
	next.until = json_is_integer(untilv) ? (time_t)json_integer_value(untilv) : 0;
	if (sw_freeze_save(d->state_path, &next, err, sizeof(err)) < 0)
		return error_reply("%s; the freeze was not changed", err);
	d->freeze = next;
	sw_daemon_freeze_changed(d, "manual");
	return json_pack("{s:b, s:b, s:s}", "ok", 1, "frozen", d->frozen, "reason", d->frozen_reason);
}

/* Counters, and which checkpoints are live on which server binary. */
static json_t *status_reply(struct sw_daemon *d)
{
	uint64_t st[SW_STAT__COUNT];
	json_t *cps = json_array(), *r;

	sw_gate_stats(d->gate, st);
	for (int i = 0; i < d->n_layouts; i++) {
		json_t *probes = json_array();
		for (int f = 0; f < SW_FN__COUNT; f++)
			json_array_append_new(probes, json_string(sw_pg_layout_fn_name(f)));
		json_array_append_new(cps, json_pack("{s:s, s:s, s:o}", "binary", d->layouts[i].path, "version",
						     d->layouts[i].version, "probes", probes));
	}
	r = sw_daemon_counters_json(st);
	json_object_set_new(r, "ok", json_true());
	json_object_set_new(r, "pending", json_integer((json_int_t)d->n_holds));
	json_object_set_new(r, "policy_sha256", json_string(sw_policy_digest(d->policy)));
	json_object_set_new(r, "large_statements_being_classified",
			    json_integer((json_int_t)(d->worker ? sw_aworker_pending(d->worker) : 0)));
	json_object_set_new(r, "checkpoints", cps);
	return r;
}

static json_t *handle_request(struct sw_daemon *d, json_t *req, const struct ucred *cred)
{
	const char *op = json_string_value(json_object_get(req, "op"));
	struct passwd *pw = getpwuid(cred->uid);
	char who[64];
	uint64_t now = sw_mono_ns();

	if (pw)
		snprintf(who, sizeof(who), "%s", pw->pw_name);
	else
		snprintf(who, sizeof(who), "uid:%u", (unsigned)cred->uid);
	if (!op)
		return error_reply("%s", "request has no \"op\"");
	if (strcmp(op, "pending") == 0) {
		json_t *arr = json_array();
		for (size_t i = 0; i < d->n_holds; i++)
			json_array_append_new(arr, sw_hold_json(d, d->holds[i], now));
		return json_pack("{s:b, s:o}", "ok", 1, "pending", arr);
	}
	if (strcmp(op, "show") == 0) {
		json_t *idv = json_object_get(req, "id");
		struct sw_hold *h = json_is_integer(idv) ? sw_holds_find(d, (uint64_t)json_integer_value(idv)) : NULL;
		if (!h)
			return error_reply("%s", "no held statement with that id; run `sqlward pending`");
		return json_pack("{s:b, s:o}", "ok", 1, "hold", sw_hold_json(d, h, now));
	}
	if (strcmp(op, "approve") == 0 || strcmp(op, "deny") == 0)
		return op_decide(d, req, cred, who, op[0] == 'a');
	if (strcmp(op, "freeze") == 0)
		return op_freeze(d, req, cred, who);
	if (strcmp(op, "status") == 0)
		return status_reply(d);
	return error_reply("unknown op \"%s\"", op);
}

void sw_control_handle(struct sw_daemon *d, int listen_fd)
{
	for (;;) {
		struct timeval tv = { .tv_sec = 1 };
		struct ucred cred;
		socklen_t cl = sizeof(cred);
		char buf[65536];
		size_t have = 0;
		json_error_t jerr;
		json_t *req;
		int fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);

		if (fd < 0)
			return;
		/* A slow or silent client must not stall the gate. */
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &cl) < 0) {
			close(fd);
			continue;
		}
		while (have < sizeof(buf) - 1) {
			ssize_t r = read(fd, buf + have, sizeof(buf) - 1 - have);
			if (r <= 0)
				break;
			have += (size_t)r;
			if (memchr(buf, '\n', have))
				break;
		}
		buf[have] = 0;
		req = json_loads(buf, JSON_DISABLE_EOF_CHECK, &jerr);
		if (!req)
			reply(fd, error_reply("malformed request: %s", jerr.text));
		else
			reply(fd, handle_request(d, req, &cred));
		json_decref(req);
		close(fd);
	}
}
