/*
 * The daemon's control socket: one JSON request per connection, one JSON
 * reply. Callers are identified by SO_PEERCRED, never by what they claim,
 * and reaching the socket grants nothing: each request is checked against
 * the policy's separate powers (access.h).
 *
 *   {"op":"pending"}                       -> {"ok":true,"pending":[...],"all":bool}
 *   {"op":"show","id":"k7q2m3-12"}         -> {"ok":true,"hold":{...}}
 *   {"op":"approve"|"deny","id":ID,"sha256":"PREFIX","comment":"..."}
 *                                          -> {"ok":true,...} | {"ok":false,"error":"..."}
 *   {"op":"show","session":"12345"}        -> {"ok":true,"session":S,"batch_digest":HEX,"holds":[...],
 *                                              "commands":{"approve","deny"}}
 *   {"op":"approve"|"deny","session":S,"batch_digest":"PREFIX","comment":"..."[,"force":true]}
 *                                          -> {"ok":true,"session":S,"decision":...,"holds":[{"id",
 *                                              "decision","message"}],"message":...} | {"ok":false,...}
 *   {"op":"freeze"[,"on":bool,"reason":"...","until":T]} -> the freeze, and any window in force
 *   {"op":"status"}                        -> {"ok":true, counters...}
 *   {"op":"plan_submit"|"plan_approve"|"plan_list"|"plan_show"|"plan_revoke",...}: control_plans.h
 *
 * An id is "k7q2m3-12" (hold_id.h), or a plain number: the whole id of an
 * older daemon's hold, else the counter of a hold of this run. Approving or
 * denying by a bare counter needs --sha256 too: a counter means another
 * statement after a restart, the hash cannot. An id no longer waiting is
 * answered with what happened to it, from the ledger (hold_history.h).
 *
 * A session (hold_batch.h: a PostgreSQL backend pid "12345", a MariaDB
 * connection "12345:7") is decided as one batch: `show` gives every hold
 * still pending in it and the batch digest over (hold id, statement sha256)
 * in id order; approve/deny with "session" must give 16+ hex digits of that
 * digest, and decide exactly those holds, all or nothing: a set that changed
 * since it was shown (a hold arrived or was decided) decides nothing, and a
 * caller the approval rules refuse on one hold decides none of them (the
 * refusal names that hold). Every hold is decided by the same rules as a
 * single approve/deny, and recorded as its own decision.
 */
#include <errno.h>
#include <poll.h>
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
#include "access.h"
#include "control_plans.h"
#include "control_server.h"
#include "daemon_freeze.h"
#include "daemon_state.h"
#include "gate_state.h"
#include "hold_batch.h"
#include "hold_json.h"
#include "hold_history.h"
#include "hold_id.h"
#include "hold_view.h"
#include "hold_webhooks.h"
#include "holds.h"
#include "ledger_access.h"
#include "util.h"

#define SHA256_PREFIX_MIN 8   /* hex digits: fewer bind too little */
/* When the hash stands in for the id (none, or a bare counter): the agent writes the statement
 * and could grind a second text with a short prefix; 16 hex digits (64 bits) it cannot. */
#define SHA256_PREFIX_ALONE_MIN 16   /* (the messages below say 16) */

/* Decided holds, from the daemon's ledger. One daemon per process; the
 * control server is the only reader, so it lives here. */
static struct sw_hold_history *history;

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

/* ---- who is asking ---- */

struct caller {
	struct sw_actor actor;
	char user[64];
	char **groups;
};

/* The caller's groups by name (for "group:NAME" entries), from the user database. */
static size_t actor_groups(uid_t uid, const char *user, char ***out)
{
	struct passwd *pw = getpwuid(uid);
	int ng = 64;
	gid_t *gids;
	char **names;
	size_t n = 0;

	*out = NULL;
	if (!pw)
		return 0;
	gids = sw_xcalloc((size_t)ng, sizeof(*gids));
	if (getgrouplist(user, pw->pw_gid, gids, &ng) < 0) {
		gids = sw_xrealloc(gids, (size_t)ng * sizeof(*gids));   /* ng is now the count needed */
		if (getgrouplist(user, pw->pw_gid, gids, &ng) < 0)
			ng = 0;
	}
	names = sw_xcalloc((size_t)(ng ? ng : 1), sizeof(*names));
	for (int i = 0; i < ng; i++) {
		struct group *gr = getgrgid(gids[i]);
		if (gr)
			names[n++] = sw_xstrdup(gr->gr_name);
	}
	free(gids);
	*out = names;
	return n;
}

static void caller_init(struct caller *c, const struct ucred *cred)
{
	struct passwd *pw = getpwuid(cred->uid);

	memset(c, 0, sizeof(*c));
	if (pw)
		snprintf(c->user, sizeof(c->user), "%s", pw->pw_name);
	else
		snprintf(c->user, sizeof(c->user), "uid:%u", (unsigned)cred->uid);
	c->actor.uid = cred->uid;
	c->actor.user = c->user;
	c->actor.n_groups = actor_groups(cred->uid, c->user, &c->groups);
	c->actor.groups = (const char *const *)c->groups;
}

static void caller_free(struct caller *c)
{
	for (size_t i = 0; i < c->actor.n_groups; i++)
		free(c->groups[i]);
	free(c->groups);
}

/* ---- decided holds ---- */

/* The history, caught up with the ledger. */
static struct sw_hold_history *hold_history(struct sw_daemon *d)
{
	char err[512];

	if (!history)
		history = sw_hold_history_new();
	if (sw_hold_history_update(history, d->opts->ledger_path, err, sizeof(err)) < 0)
		fprintf(stderr, "sqlward: %s\n", err);
	return history;
}

static bool run_tag_used(void *ctx, uint32_t run)
{
	return sw_hold_history_run_seen(ctx, run);
}

uint64_t sw_control_hold_id_base(struct sw_daemon *d)
{
	struct sw_hold_history *h = hold_history(d);
	uint32_t run = sw_hold_id_new_run(sw_hold_id_this_host(), run_tag_used, h);
	char tag[SW_HOLD_ID_TEXT_MAX];

	sw_hold_id_run_format(run, tag, sizeof(tag));
	fprintf(stderr, "sqlward: hold ids of this run: %s-1, %s-2, ... (%zu decided holds remembered from the "
		"ledger)\n", tag, tag, sw_hold_history_size(h));
	return sw_hold_id_make(run, 0);
}

/* This daemon's run tag, 0 while it issues plain counters. */
static uint32_t current_run(const struct sw_daemon *d)
{
	return sw_hold_id_run(d->next_hold_id);
}

/* An approval_refused record for a hold that is no longer held (it has no sw_hold for sw_holds_note). */
static void note_stale_refusal(struct sw_daemon *d, uint64_t id, const struct sw_hold_fate *f, const char *user,
			       const char *comment, const char *message)
{
	char idt[SW_HOLD_ID_TEXT_MAX], err[512];
	json_t *rec;

	sw_hold_id_format(id, idt, sizeof(idt));
	rec = sw_stale_refusal_record(id, idt, f && f->sha256[0] ? f->sha256 : NULL, user, comment, message);
	if (sw_ledger_append_opts(d->ledger, rec, true, NULL, err, sizeof(err)) < 0) {
		fprintf(stderr, "sqlward: LEDGER WRITE FAILED: %s\n", err);
		sw_ledger_note_lost(d->ledger, "approval_refused", NULL);
	}
	json_decref(rec);
}

/* Why there is no hold with this id, when the history does not know it either. */
static void unknown_id_message(const struct sw_daemon *d, uint64_t id, char *msg, size_t len)
{
	char idt[SW_HOLD_ID_TEXT_MAX], mine[SW_HOLD_ID_TEXT_MAX], theirs[8], ours[8];
	uint32_t run = sw_hold_id_run(id), cur = current_run(d);

	sw_hold_id_format(id, idt, sizeof(idt));
	if (!run || !cur) {
		snprintf(msg, len, "no held statement with id %s (already decided, timed out, or never held); run "
			 "`sqlward pending` to see what is waiting", idt);
		return;
	}
	sw_hold_id_run_format(cur, mine, sizeof(mine));
	if (run == cur) {
		snprintf(msg, len, "no held statement with id %s: this daemon run has held %u statement%s so far "
			 "(%s-1 to %s-%u); run `sqlward pending` to see what is waiting", idt,
			 sw_hold_id_counter(d->next_hold_id), sw_hold_id_counter(d->next_hold_id) == 1 ? "" : "s", mine,
			 mine, sw_hold_id_counter(d->next_hold_id));
		return;
	}
	sw_hold_id_host_format(run, theirs, sizeof(theirs));
	sw_hold_id_host_format(cur, ours, sizeof(ours));
	if (sw_hold_id_host_tag(run) != sw_hold_id_host_tag(cur))
		snprintf(msg, len, "hold %s is not from this host: its ids begin with host tag %s and this host's "
			 "with %s (this run's ids are %s-N); run the command on the host that holds it (`sqlward pending` "
			 "there)", idt, theirs, ours, mine);
	else
		snprintf(msg, len, "hold %s is not from this daemon run (its ids are %s-N) and this host's ledger has "
			 "no record of it (sqlward remembers the last %d decided holds); it cannot be decided now",
			 idt, mine, SW_HOLD_HISTORY_MAX);
}

/* ---- which hold a request names ---- */

struct target {
	struct sw_hold *hold;        /* the live hold, or NULL */
	uint64_t id;                 /* what was asked for (for stale answers) */
	char sha256[65];             /* --sha256 prefix, lower case; "" when absent */
	json_t *error;               /* a refusal to reply with (hold == NULL) */
	bool missing;                /* a well-formed id that names no live hold (recorded when deciding) */
	bool stale;                  /* ... of a hold that was decided */
	struct sw_hold_fate fate;    /* its fate when stale */
};

static bool sha_prefix_of(const char *prefix, const char *sha)
{
	return strncmp(sha, prefix, strlen(prefix)) == 0;
}

/* The --sha256 prefix: 8 to 64 hex digits. */
static bool parse_sha_prefix(json_t *v, char out[65])
{
	const char *s = json_string_value(v);
	size_t n = s ? strlen(s) : 0;

	if (n < SHA256_PREFIX_MIN || n > 64 || strspn(s, "0123456789abcdefABCDEF") != n)
		return false;
	for (size_t i = 0; i <= n; i++)
		out[i] = (char)(s[i] >= 'A' && s[i] <= 'F' ? s[i] - 'A' + 'a' : s[i]);
	return true;
}

/* The live hold whose statement's hash starts with t->sha256 (no id given). */
static void find_by_sha(struct sw_daemon *d, struct target *t)
{
	struct sw_sbuf ids = { 0 };
	size_t n = 0;

	for (size_t i = 0; i < d->n_holds; i++)
		if (sha_prefix_of(t->sha256, d->holds[i]->statement_sha256)) {
			char idt[SW_HOLD_ID_TEXT_MAX];
			sw_hold_id_format(d->holds[i]->id, idt, sizeof(idt));
			sw_sbuf_printf(&ids, "%s%s", n++ ? ", " : "", idt);
			t->hold = d->holds[i];
		}
	if (n == 0) {
		t->error = error_reply("no held statement's sha256 starts with %s; run `sqlward pending` to see what "
				       "is waiting", t->sha256);
	} else if (n > 1) {
		/* The same text held in several sessions: the id must say which. */
		char *m = sw_xasprintf("--sha256 %s is ambiguous: it matches held statements %s; give the id too "
				       "(`sqlward approve ID --sha256 %s`)", t->sha256, ids.s, t->sha256);
		t->error = error_reply("%s", m);
		t->hold = NULL;
		free(m);
	}
	free(ids.s);
}

/*
 * Resolve the request's "id" (and "sha256") to a live hold. deciding: the
 * caller wants to approve or deny (a bare counter then needs --sha256). On
 * failure t->hold is NULL and t->error says why; t->stale when the id is of a
 * hold that was decided (t->fate says how).
 */
static void find_target(struct sw_daemon *d, json_t *req, bool deciding, struct target *t)
{
	json_t *idv = json_object_get(req, "id"), *shav = json_object_get(req, "sha256");
	uint32_t run = current_run(d);
	bool bare = false;
	char msg[1024];

	memset(t, 0, sizeof(*t));
	if (shav && !parse_sha_prefix(shav, t->sha256)) {
		t->error = error_reply("%s", "--sha256 takes 8 to 64 hex digits of the statement's SHA-256, as `sqlward "
				       "show ID` prints it");
		return;
	}
	if (!idv && t->sha256[0]) {
		if (strlen(t->sha256) < SHA256_PREFIX_ALONE_MIN) {
			t->error = error_reply("%s", "without a hold id, --sha256 needs at least 16 hex digits (the "
					       "statement's author could make another statement share a shorter prefix); "
					       "`sqlward show ID` prints the full hash");
			return;
		}
		find_by_sha(d, t);
		return;
	}
	if (json_is_integer(idv) && json_integer_value(idv) > 0) {
		t->id = (uint64_t)json_integer_value(idv);
		bare = true;
	} else if (!json_is_string(idv) || sw_hold_id_parse(json_string_value(idv), &t->id, &bare) < 0) {
		t->error = error_reply("%s", "request needs a hold id like k7q2m3-12 (see `sqlward pending`)");
		return;
	}
	/* A plain number: an older daemon's whole id, or a counter of this run. */
	if (bare && deciding && t->sha256[0] && strlen(t->sha256) < SHA256_PREFIX_ALONE_MIN) {
		t->error = error_reply("%s", "with a bare number, --sha256 needs at least 16 hex digits; use the full "
				       "id (`sqlward pending` shows it) or the longer hash");
		return;
	}
	if (bare && !(t->hold = sw_holds_find(d, t->id)) && run) {
		t->id = sw_hold_id_make(run, sw_hold_id_counter(t->id));
		if (deciding && !t->sha256[0]) {
			char idt[SW_HOLD_ID_TEXT_MAX];
			sw_hold_id_format(t->id, idt, sizeof(idt));
			snprintf(msg, sizeof(msg), "a bare number names a hold only within one daemon run, and after a "
				 "restart it names another statement; use the full id %s, or bind the number to the "
				 "statement you reviewed with --sha256 (`sqlward show %s` prints the command)", idt, idt);
			t->error = error_reply("%s", msg);
			return;
		}
	}
	if (!t->hold)
		t->hold = sw_holds_find(d, t->id);
	if (t->hold)
		return;
	t->missing = true;
	{
		const struct sw_hold_fate *f = sw_hold_history_find(hold_history(d), t->id);
		if (f) {
			char what[768];
			t->stale = true;
			t->fate = *f;
			sw_hold_fate_describe(f, sw_hold_history_runs(history), what, sizeof(what));
			snprintf(msg, sizeof(msg), "%s; it is not waiting any more, so nothing was %s. Run `sqlward "
				 "pending` for what is waiting now (a statement sent again is held under a new id)", what,
				 deciding ? "decided" : "shown");
		} else {
			unknown_id_message(d, t->id, msg, sizeof(msg));
		}
	}
	t->error = error_reply("%s", msg);
}

/* ---- requests ---- */

static json_t *op_pending(struct sw_daemon *d, const struct caller *c)
{
	char why[512];
	bool all = sw_access_may(d->policy, SW_POWER_READ_QUEUE, &c->actor, why, sizeof(why));
	bool approver = sw_access_is_approver(d->policy, &c->actor);
	uint64_t now = sw_mono_ns();
	json_t *arr = json_array();

	for (size_t i = 0; i < d->n_holds; i++)
		if (all || sw_access_may_see_hold(d->policy, &d->holds[i]->approval, &c->actor)) {
			json_array_append_new(arr, sw_hold_view_json(d, d->holds[i], now));
			approver = true;
		}
	if (!all && !approver) {
		json_decref(arr);
		return error_reply("%s", why);
	}
	return json_pack("{s:b, s:o, s:b}", "ok", 1, "pending", arr, "all", all);
}

static json_t *op_show(struct sw_daemon *d, json_t *req, const struct caller *c)
{
	struct target t;

	find_target(d, req, false, &t);
	if (!t.hold)
		return t.error;
	if (!sw_access_may_see_hold(d->policy, &t.hold->approval, &c->actor)) {
		char why[512];
		sw_access_may(d->policy, SW_POWER_READ_QUEUE, &c->actor, why, sizeof(why));
		return error_reply("%s", why);
	}
	if (t.sha256[0] && !sha_prefix_of(t.sha256, t.hold->statement_sha256))
		return error_reply("the held statement's sha256 does not start with %s; run `sqlward show ID` without "
				   "--sha256 to see it", t.sha256);
	return json_pack("{s:b, s:o}", "ok", 1, "hold", sw_hold_view_json(d, t.hold, sw_mono_ns()));
}

/* A refused approve/deny of a live hold: recorded, told to the rules' webhooks, answered. */
static json_t *refuse(struct sw_daemon *d, struct sw_hold *h, const char *user, const char *comment, const char *msg)
{
	sw_holds_note(d, h, "approval_refused", user, comment, msg);
	sw_hold_webhooks_note(d, h, "approval_refused", user, comment, msg);
	return error_reply("%s", msg);
}

static json_t *op_decide(struct sw_daemon *d, json_t *req, const struct caller *c, bool approve)
{
	const char *comment = json_string_value(json_object_get(req, "comment"));
	const char *who = c->user;
	char idt[SW_HOLD_ID_TEXT_MAX], msg[2048];   /* a refusal names the whole connection chain */
	struct timespec now;
	enum sw_approval_result r;
	struct target t;
	struct sw_hold *h;

	find_target(d, req, true, &t);
	if (!t.hold) {
		if (t.missing)
			note_stale_refusal(d, t.id, t.stale ? &t.fate : NULL, who, comment,
					   json_string_value(json_object_get(t.error, "error")));
		return t.error;
	}
	h = t.hold;
	sw_hold_id_format(h->id, idt, sizeof(idt));
	if (t.sha256[0] && !sha_prefix_of(t.sha256, h->statement_sha256)) {
		snprintf(msg, sizeof(msg), "the statement held as %s has sha256 %.16s..., which does not start with %s: "
			 "it is not the statement you reviewed, so nothing was decided; run `sqlward show %s`", idt,
			 h->statement_sha256, t.sha256, idt);
		return refuse(d, h, who, comment, msg);
	}
	if (approve && sw_hold_server_cancels(h, sw_mono_ns()) && !json_is_true(json_object_get(req, "force"))) {
		snprintf(msg, sizeof(msg), "PostgreSQL will cancel %s the moment it is released: the session's "
			 "statement_timeout (%d ms) ran out while it was held, so it would not run and the client "
			 "would see \"canceling statement due to user request\". Nothing was decided: deny it, or "
			 "approve it with --force to end the wait that way", idt, h->statement_timeout_ms);
		return error_reply("%s", msg);
	}
	if (!approve && h->release_retry) {
		/* Approved, but its record is still waiting for the ledger: a deny still stops it. */
		if (!sw_approval_may_deny(&h->approval, &c->actor, msg, sizeof(msg)))
			return refuse(d, h, who, comment, msg);
		sw_holds_release(d, h, SW_VERDICT_DENY, who, comment, "cancelled");
		return json_pack("{s:b, s:s, s:s, s:s}", "ok", 1, "id", idt, "decision", "denied", "message",
				 "denied before its approval could be recorded");
	}
	clock_gettime(CLOCK_REALTIME, &now);
	r = sw_approval_decide(&h->approval, &c->actor, approve, comment, &now, msg, sizeof(msg));
	switch (r) {
	case SW_APPROVAL_RECORDED:
		sw_holds_note(d, h, "approval", who, comment, msg);
		sw_hold_webhooks_note(d, h, "approval_recorded", who, comment, msg);
		return json_pack("{s:b, s:s, s:s, s:s}", "ok", 1, "id", idt, "decision", "approval recorded",
				 "message", msg);
	case SW_APPROVAL_RELEASED:
	case SW_APPROVAL_DENIED: {
		char *by = sw_xstrdup(h->approval.decided_by ? h->approval.decided_by : who);
		int rc = sw_holds_release(d, h, r == SW_APPROVAL_RELEASED ? SW_VERDICT_ALLOW : SW_VERDICT_DENY, by,
					  comment, r == SW_APPROVAL_RELEASED ? "released" : "cancelled");
		free(by);
		if (rc < 0 && r == SW_APPROVAL_RELEASED)
			return error_reply("the ledger could not be written, so %s stays held: it is released as soon as "
					   "the approval is on disk, or times out like any hold (see `sqlward status`)", idt);
		return json_pack("{s:b, s:s, s:s, s:s}", "ok", 1, "id", idt, "decision",
				 r == SW_APPROVAL_RELEASED ? "approved" : "denied", "message", msg);
	}
	default:
		return refuse(d, h, who, comment, msg);
	}
}

/* ---- one session's holds as one batch (hold_batch.h) ---- */

struct batch {
	char session[SW_SESSION_KEY_MAX];
	struct sw_hold **holds;      /* pending in the session, by hold id */
	size_t n;
	char digest[65];
};

static int by_hold_id(const void *a, const void *b)
{
	uint64_t x = (*(struct sw_hold *const *)a)->id, y = (*(struct sw_hold *const *)b)->id;
	return x < y ? -1 : x > y;
}

/* The request's "session" as a key ("12345" or "12345:7"); an error reply if malformed. */
static json_t *parse_session(json_t *req, char out[SW_SESSION_KEY_MAX])
{
	json_t *v = json_object_get(req, "session");

	if (json_is_integer(v) && json_integer_value(v) > 0 && json_integer_value(v) <= INT32_MAX)
		snprintf(out, SW_SESSION_KEY_MAX, "%lld", (long long)json_integer_value(v));
	else if (json_is_string(v) && strlen(json_string_value(v)) < SW_SESSION_KEY_MAX &&
		 sw_hold_batch_session_valid(json_string_value(v)))
		snprintf(out, SW_SESSION_KEY_MAX, "%s", json_string_value(v));
	else
		return error_reply("%s", "--session takes a session as `sqlward pending --format json` shows it "
				   "(\"session\"): a PostgreSQL backend pid (12345) or a MariaDB connection as "
				   "mariadbd-pid:connection-id (12345:7)");
	return NULL;
}

/* Every hold still waiting for a decision in b->session (approved ones whose record is still
 * waiting for the ledger are decided already), and their digest. */
static void batch_collect(struct sw_daemon *d, struct batch *b)
{
	struct sw_batch_item *items;
	char (*ids)[SW_HOLD_ID_TEXT_MAX];

	b->holds = sw_xcalloc(d->n_holds ? d->n_holds : 1, sizeof(*b->holds));
	b->n = 0;
	for (size_t i = 0; i < d->n_holds; i++) {
		struct sw_hold *h = d->holds[i];
		char key[SW_SESSION_KEY_MAX];
		sw_hold_view_session(h, key, sizeof(key));
		if (strcmp(key, b->session) == 0 && h->approval.state == SW_HOLD_PENDING && !h->release_retry)
			b->holds[b->n++] = h;
	}
	qsort(b->holds, b->n, sizeof(*b->holds), by_hold_id);
	items = sw_xcalloc(b->n ? b->n : 1, sizeof(*items));
	ids = sw_xcalloc(b->n ? b->n : 1, sizeof(*ids));
	for (size_t i = 0; i < b->n; i++) {
		sw_hold_id_format(b->holds[i]->id, ids[i], sizeof(ids[i]));
		items[i].hold_id = ids[i];
		items[i].sha256 = b->holds[i]->statement_sha256;
	}
	sw_hold_batch_digest(items, b->n, b->digest);
	free(items);
	free(ids);
}

static json_t *no_holds_in_session(const struct batch *b, bool deciding)
{
	char *m = sw_xasprintf("no held statement is waiting in session %s (decided, timed out, ended, or never "
			       "held)%s; run `sqlward pending` to see what is waiting and each hold's \"session\"",
			       b->session, deciding ? ", so nothing was decided" : "");
	json_t *r = error_reply("%s", m);
	free(m);
	return r;
}

static json_t *op_show_session(struct sw_daemon *d, json_t *req, const struct caller *c)
{
	struct batch b = { 0 };
	json_t *r, *arr;
	char approve[512], deny[512];
	uint64_t now = sw_mono_ns();

	if ((r = parse_session(req, b.session)))
		return r;
	batch_collect(d, &b);
	if (b.n == 0) {
		free(b.holds);
		return no_holds_in_session(&b, false);
	}
	/* The batch is shown whole or not at all: a digest over holds the caller cannot see would
	 * have them approve what they did not review. */
	for (size_t i = 0; i < b.n; i++)
		if (!sw_access_may_see_hold(d->policy, &b.holds[i]->approval, &c->actor)) {
			char why[512];
			free(b.holds);
			sw_access_may(d->policy, SW_POWER_READ_QUEUE, &c->actor, why, sizeof(why));
			return error_reply("%s", why);
		}
	arr = json_array();
	for (size_t i = 0; i < b.n; i++)
		json_array_append_new(arr, sw_hold_view_json(d, b.holds[i], now));
	sw_hold_view_session_command(d, b.session, "approve", b.digest, approve, sizeof(approve));
	sw_hold_view_session_command(d, b.session, "deny", b.digest, deny, sizeof(deny));
	r = json_pack("{s:b, s:s, s:s, s:s, s:o, s:{s:s, s:s}}", "ok", 1, "session", b.session, "host",
		      sw_hold_view_host(), "batch_digest", b.digest, "holds", arr, "commands", "approve", approve,
		      "deny", deny);
	free(b.holds);
	return r;
}

/* A refused batch: recorded (and told to the webhooks) on every hold of it, answered once. */
static json_t *refuse_batch(struct sw_daemon *d, const struct batch *b, const char *user, const char *comment,
			    const char *msg)
{
	for (size_t i = 0; i < b->n; i++) {
		sw_holds_note(d, b->holds[i], "approval_refused", user, comment, msg);
		sw_hold_webhooks_note(d, b->holds[i], "approval_refused", user, comment, msg);
	}
	return error_reply("%s", msg);
}

static json_t *op_decide_session(struct sw_daemon *d, json_t *req, const struct caller *c, bool approve)
{
	const char *comment = json_string_value(json_object_get(req, "comment"));
	const char *who = c->user, *verb = approve ? "approved" : "denied";
	struct batch b = { 0 };
	struct sw_approval **appr;
	struct sw_batch_outcome *out;
	char prefix[65], msg[3072], idt[SW_HOLD_ID_TEXT_MAX];
	json_t *r, *results;
	struct timespec now;
	size_t failed = 0, n_released = 0, n_recorded = 0, n_stuck = 0;

	if ((r = parse_session(req, b.session)))
		return r;
	if (!sw_hold_batch_parse_prefix(json_string_value(json_object_get(req, "batch_digest")), prefix))
		return error_reply("%s", "deciding a session needs --batch-digest: 16 to 64 hex digits of the batch "
				   "digest `sqlward show --session S` prints (it binds the decision to exactly the "
				   "holds you reviewed)");
	batch_collect(d, &b);
	if (b.n == 0) {
		free(b.holds);
		return no_holds_in_session(&b, true);
	}
	if (!sw_hold_batch_digest_matches(prefix, b.digest)) {
		snprintf(msg, sizeof(msg), "the holds waiting in session %s are not the ones you reviewed: their batch "
			 "digest is now %.16s..., not %s (a statement was held or decided since), so nothing was "
			 "decided; run `sqlward show --session %s` again and decide what it shows", b.session, b.digest,
			 prefix, b.session);
		r = refuse_batch(d, &b, who, comment, msg);
		free(b.holds);
		return r;
	}
	for (size_t i = 0; approve && i < b.n; i++)
		if (sw_hold_server_cancels(b.holds[i], sw_mono_ns()) && !json_is_true(json_object_get(req, "force"))) {
			sw_hold_id_format(b.holds[i]->id, idt, sizeof(idt));
			snprintf(msg, sizeof(msg), "PostgreSQL will cancel %s (session %s) the moment it is released: "
				 "its statement_timeout (%d ms) ran out while it was held. Nothing in the batch was "
				 "decided: deny it, or approve the batch with --force to end the wait that way", idt,
				 b.session, b.holds[i]->statement_timeout_ms);
			free(b.holds);
			return error_reply("%s", msg);
		}
	appr = sw_xcalloc(b.n, sizeof(*appr));
	out = sw_xcalloc(b.n, sizeof(*out));
	for (size_t i = 0; i < b.n; i++)
		appr[i] = &b.holds[i]->approval;
	clock_gettime(CLOCK_REALTIME, &now);
	if (!sw_hold_batch_decide(appr, b.n, &c->actor, approve, comment, &now, out, &failed)) {
		sw_hold_id_format(b.holds[failed]->id, idt, sizeof(idt));
		snprintf(msg, sizeof(msg), "the batch of session %s (%zu held statement%s) was not %s: on %s, %s. "
			 "A batch is decided all or nothing, so nothing was decided; decide the holds one by one "
			 "(`sqlward show %s`)", b.session, b.n, b.n == 1 ? "" : "s", verb, idt, out[failed].message,
			 idt);
		r = refuse_batch(d, &b, who, comment, msg);
		free(appr);
		free(out);
		free(b.holds);
		return r;
	}
	/* Decided, each as its own hold; the ledger records say which batch it was decided in. */
	results = json_array();
	for (size_t i = 0; i < b.n; i++) {
		struct sw_hold *h = b.holds[i];
		const char *decision;
		sw_hold_id_format(h->id, idt, sizeof(idt));
		if (!json_is_object(h->extra)) {
			json_decref(h->extra);
			h->extra = json_object();
		}
		json_object_set_new(h->extra, "batch", json_pack("{s:s, s:s, s:i}", "session", b.session, "digest",
								  b.digest, "holds", (int)b.n));
		if (out[i].result == SW_APPROVAL_RECORDED) {
			snprintf(msg, sizeof(msg), "%s (batch of session %s, digest %.16s)", out[i].message, b.session,
				 b.digest);
			sw_holds_note(d, h, "approval", who, comment, msg);
			sw_hold_webhooks_note(d, h, "approval_recorded", who, comment, msg);
			decision = "approval recorded";
			n_recorded++;
		} else {
			bool allow = out[i].result == SW_APPROVAL_RELEASED;
			char *by = sw_xstrdup(h->approval.decided_by ? h->approval.decided_by : who);
			int rc = sw_holds_release(d, h, allow ? SW_VERDICT_ALLOW : SW_VERDICT_DENY, by, comment,
						  allow ? "released" : "cancelled");   /* frees h */
			free(by);
			decision = allow ? "approved" : "denied";
			if (rc < 0 && allow) {
				snprintf(out[i].message, sizeof(out[i].message), "approved, but the ledger could not be "
					 "written, so it stays held: it is released as soon as the approval is on disk, "
					 "or times out like any hold (see `sqlward status`)");
				decision = "approved, waiting for the ledger";
				n_stuck++;
			} else {
				n_released++;
			}
		}
		json_array_append_new(results, json_pack("{s:s, s:s, s:s}", "id", idt, "decision", decision,
							 "message", out[i].message));
	}
	/* out[0].message is "approved by alice[,bob]" / "denied by alice" when the batch went through. */
	if (n_recorded == 0 && n_stuck == 0)
		snprintf(msg, sizeof(msg), "session %s: %zu held statement%s %s", b.session, n_released,
			 n_released == 1 ? "" : "s", out[0].message);
	else
		snprintf(msg, sizeof(msg), "session %s: %zu released, %zu with the approval recorded (more approvers "
			 "needed), %zu approved but waiting for the ledger", b.session, n_released, n_recorded, n_stuck);
	r = json_pack("{s:b, s:s, s:s, s:s, s:o, s:s}", "ok", 1, "session", b.session, "decision",
		      n_recorded == b.n ? "approval recorded" : n_released == b.n ? verb : "partly", "batch_digest",
		      b.digest, "holds", results, "message", msg);
	free(appr);
	free(out);
	free(b.holds);
	return r;
}

/* The freeze as a reply, with the scheduled window in force (and until when) if any. */
static json_t *freeze_reply(struct sw_daemon *d)
{
	time_t now = time(NULL), until = sw_policy_freeze_window_until(d->policy, now);
	const char *window = sw_policy_freeze_window(d->policy, now);
	json_t *r = json_pack("{s:b, s:b, s:s, s:o}", "ok", 1, "frozen", d->frozen, "reason", d->frozen_reason,
			      "manual", sw_freeze_json(&d->freeze));

	if (window) {
		struct timespec ts = { .tv_sec = until };
		char at[64];
		sw_format_time(&ts, at, sizeof(at));
		json_object_set_new(r, "window", json_pack("{s:s, s:s}", "reason", window, "until", at));
	}
	return r;
}

static json_t *op_freeze(struct sw_daemon *d, json_t *req, const struct caller *c)
{
	json_t *onv = json_object_get(req, "on");
	const char *reason = json_string_value(json_object_get(req, "reason"));
	json_t *untilv = json_object_get(req, "until"), *r, *window;
	struct sw_freeze next = d->freeze;
	char why[512], err[512];

	if (json_is_null(onv) || !onv) {
		if (!sw_access_may(d->policy, SW_POWER_READ_FREEZE, &c->actor, why, sizeof(why)))
			return error_reply("%s", why);
		return freeze_reply(d);
	}
	if (!sw_access_may(d->policy, SW_POWER_SWITCH_FREEZE, &c->actor, why, sizeof(why)))
		return error_reply("%s", why);
	if (json_is_true(onv) && (!reason || !reason[0]))
		return error_reply("%s", "a freeze needs a reason (--reason TEXT): it is shown to everyone it stops");
	next.on = json_is_true(onv);
	snprintf(next.reason, sizeof(next.reason), "%s", reason ? reason : "");
	snprintf(next.by, sizeof(next.by), "%s", c->user);
	next.since = time(NULL);
	next.until = json_is_integer(untilv) ? (time_t)json_integer_value(untilv) : 0;
	if (sw_freeze_save(d->state_path, &next, err, sizeof(err)) < 0)
		return error_reply("%s; the freeze was not changed", err);
	d->freeze = next;
	sw_daemon_freeze_changed(d, "manual");
	r = freeze_reply(d);
	window = json_object_get(r, "window");
	if (!next.on && window) {
		char *m = sw_xasprintf("the manual freeze is off, but the scheduled freeze window \"%s\" still applies "
				       "until %s: statements of the frozen classes are denied until then",
				       json_string_value(json_object_get(window, "reason")),
				       json_string_value(json_object_get(window, "until")));
		json_object_set_new(r, "message", json_string(m));
		free(m);
	}
	return r;
}

/* Counters, checkpoints per server binary, webhooks, hold ids, ledger readers. */
static json_t *status_reply(struct sw_daemon *d)
{
	uint64_t st[SW_STAT__COUNT];
	json_t *cps = json_array(), *r;
	uint32_t run = current_run(d);

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
	json_object_set_new(r, "host", json_string(sw_hold_view_host()));
	json_object_set_new(r, "pending", json_integer((json_int_t)d->n_holds));
	json_object_set_new(r, "policy_sha256", json_string(sw_policy_digest(d->policy)));
	json_object_set_new(r, "large_statements_being_classified",
			    json_integer((json_int_t)(d->worker ? sw_aworker_pending(d->worker) : 0)));
	json_object_set_new(r, "checkpoints", cps);
	json_object_set_new(r, "gate", sw_daemon_gate_state(d));
	json_object_set_new(r, "webhooks", sw_notifier_status_json(d->notifier));
	if (run) {
		char tag[SW_HOLD_ID_TEXT_MAX], host[8];
		sw_hold_id_run_format(run, tag, sizeof(tag));
		sw_hold_id_host_format(run, host, sizeof(host));
		json_object_set_new(r, "hold_ids", json_pack("{s:s, s:s, s:i}", "run", tag, "host_tag", host, "held",
							     (int)sw_hold_id_counter(d->next_hold_id)));
	} else {
		json_object_set_new(r, "hold_ids", json_pack("{s:s}", "run", "plain counters (restart at 1)"));
	}
	json_object_set_new(r, "ledger_access", sw_ledger_access_json(d->opts->ledger_path));
	return r;
}

#define SW_CONTROL_REQUEST_MAX (16u << 20)   /* bytes in one request (a large plan) */

static json_t *handle_request(struct sw_daemon *d, json_t *req, const struct ucred *cred)
{
	const char *op = json_string_value(json_object_get(req, "op"));
	struct caller c;
	char why[512];
	json_t *r;

	if (!op)
		return error_reply("%s", "request has no \"op\"");
	caller_init(&c, cred);
	if (strcmp(op, "pending") == 0)
		r = op_pending(d, &c);
	else if (strcmp(op, "show") == 0)
		r = json_object_get(req, "session") ? op_show_session(d, req, &c) : op_show(d, req, &c);
	else if (strcmp(op, "approve") == 0 || strcmp(op, "deny") == 0)
		r = json_object_get(req, "session") ? op_decide_session(d, req, &c, op[0] == 'a')
						     : op_decide(d, req, &c, op[0] == 'a');
	else if (strcmp(op, "freeze") == 0)
		r = op_freeze(d, req, &c);
	else if (sw_control_plan_op(d, op, req, &c.actor, &r))
		;
	else if (strcmp(op, "status") == 0)
		r = sw_access_may(d->policy, SW_POWER_READ_QUEUE, &c.actor, why, sizeof(why)) ? status_reply(d)
											       : error_reply("%s", why);
	else
		r = error_reply("unknown op \"%s\"", op);
	caller_free(&c);
	return r;
}

void sw_control_handle(struct sw_daemon *d, int listen_fd)
{
	/* The gate's loop serves the socket: clients get 0.5 s per pass in all, however they trickle
	 * (a member of the socket group must not be able to stall the gate); the rest wait for the next. */
	uint64_t deadline = sw_mono_ns() + 500000000ull;

	while (sw_mono_ns() < deadline) {
		struct timeval tv = { .tv_usec = 200000 };
		struct ucred cred;
		socklen_t cl = sizeof(cred);
		/* Requests are small, except a plan being submitted (its steps and their analysis). */
		size_t cap = 65536, have = 0;
		char *buf = sw_xmalloc(cap);
		json_error_t jerr;
		json_t *req;
		int fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);

		if (fd < 0) {
			free(buf);
			return;
		}
		/* A slow or silent client must not stall the gate. */
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &cl) < 0) {
			close(fd);
			free(buf);
			continue;
		}
		for (;;) {
			uint64_t now = sw_mono_ns();
			struct pollfd pf = { .fd = fd, .events = POLLIN };
			ssize_t r;
			if (now >= deadline || poll(&pf, 1, (int)((deadline - now) / 1000000ull) + 1) <= 0)
				break;
			if (have == cap - 1) {
				if (cap >= SW_CONTROL_REQUEST_MAX)
					break;
				buf = sw_xrealloc(buf, cap *= 2);
			}
			r = read(fd, buf + have, cap - 1 - have);
			if (r <= 0)
				break;
			if (memchr(buf + have, '\n', (size_t)r)) {
				have += (size_t)r;
				break;
			}
			have += (size_t)r;
		}
		buf[have] = 0;
		req = json_loads(buf, JSON_DISABLE_EOF_CHECK, &jerr);
		if (!req)
			reply(fd, error_reply("malformed request: %s", jerr.text));
		else
			reply(fd, handle_request(d, req, &cred));
		json_decref(req);
		close(fd);
		free(buf);
	}
}
