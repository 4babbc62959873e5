/* The daemon's approved plans and their runs: see plan_store.h. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "json_file.h"
#include "plan_authorise.h"
#include "plan_store.h"
#include "role_pattern.h"
#include "time_text.h"
#include "util.h"

static void entry_free(struct sw_plan_entry *e)
{
	if (!e)
		return;
	sw_plan_free(e->plan);
	free(e->path);
	free(e->submitted_by);
	free(e->revoked_by);
	sw_strv_free(&e->approvers);
	sw_strv_free(&e->problems);
	free(e->tentative);
	free(e);
}

void sw_plan_store_free(struct sw_plan_store *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n; i++)
		entry_free(s->v[i]);
	free(s->v);
	free(s->dir);
	free(s);
}

struct sw_plan_entry *sw_plan_store_find(struct sw_plan_store *s, const char *id)
{
	for (size_t i = 0; s && id && i < s->n; i++)
		if (strcmp(s->v[i]->plan->id, id) == 0)
			return s->v[i];
	return NULL;
}

/* The entry's file, whole or not at all. */
static int entry_save(const struct sw_plan_entry *e, char *err, size_t errlen)
{
	json_t *j = json_pack("{s:o, s:s?, s:I, s:i, s:i, s:b, s:s?}", "plan", sw_plan_to_json(e->plan),
			      "submitted_by", e->submitted_by, "submitted", (json_int_t)e->submitted, "runs_started",
			      (int)e->runs_started, "runs_done", (int)e->runs_done, "revoked", e->revoked,
			      "revoked_by", e->revoked_by);
	int rc = sw_json_save_atomic(j, e->path, JSON_INDENT(1) | JSON_SORT_KEYS, 0600, err, errlen);

	json_decref(j);
	return rc;
}

static int entry_load(const char *path, struct sw_plan_entry **out, char *err, size_t errlen)
{
	json_error_t je;
	json_t *j = json_load_file(path, JSON_REJECT_DUPLICATES, &je), *pl;
	struct sw_plan_entry *e;
	char perr[512];

	if (!j) {
		snprintf(err, errlen, "%s: line %d: %s", path, je.line, je.text);
		return -1;
	}
	pl = json_object_get(j, "plan");
	e = sw_xcalloc(1, sizeof(*e));
	if (!json_is_object(pl) || sw_plan_from_json(pl, &e->plan, perr, sizeof(perr)) < 0) {
		snprintf(err, errlen, "%s: %s", path, pl ? perr : "no \"plan\" in it");
		json_decref(j);
		entry_free(e);
		return -1;
	}
	e->path = sw_xstrdup(path);
	if (json_is_string(json_object_get(j, "submitted_by")))
		e->submitted_by = sw_xstrdup(json_string_value(json_object_get(j, "submitted_by")));
	e->submitted = (time_t)json_integer_value(json_object_get(j, "submitted"));
	e->runs_started = (unsigned)json_integer_value(json_object_get(j, "runs_started"));
	e->runs_done = (unsigned)json_integer_value(json_object_get(j, "runs_done"));
	e->revoked = json_is_true(json_object_get(j, "revoked"));
	if (json_is_string(json_object_get(j, "revoked_by")))
		e->revoked_by = sw_xstrdup(json_string_value(json_object_get(j, "revoked_by")));
	json_decref(j);
	*out = e;
	return 0;
}

int sw_plan_store_open(const char *dir, struct sw_plan_store **out, struct sw_strv *notes, char *err, size_t errlen)
{
	struct sw_plan_store *s;
	DIR *dh;
	struct dirent *de;

	if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
		snprintf(err, errlen, "cannot create the plan directory %s: %s", dir, strerror(errno));
		return -1;
	}
	dh = opendir(dir);
	if (!dh) {
		snprintf(err, errlen, "cannot read the plan directory %s: %s", dir, strerror(errno));
		return -1;
	}
	s = sw_xcalloc(1, sizeof(*s));
	s->dir = sw_xstrdup(dir);
	while ((de = readdir(dh))) {
		size_t len = strlen(de->d_name);
		struct sw_plan_entry *e;
		char *path, lerr[768];
		if (strncmp(de->d_name, "plan-", 5) != 0 || len < 6 || strcmp(de->d_name + len - 5, ".json") != 0)
			continue;
		path = sw_xasprintf("%s/%s", dir, de->d_name);
		if (entry_load(path, &e, lerr, sizeof(lerr)) < 0) {
			char *line = sw_xasprintf("plan file not loaded (its plan does not run): %s", lerr);
			sw_strv_push(notes, line);
			free(line);
		} else {
			s->v = sw_xrealloc(s->v, (s->n + 1) * sizeof(*s->v));
			s->v[s->n++] = e;
		}
		free(path);
	}
	closedir(dh);
	*out = s;
	return 0;
}

static void entry_refresh(struct sw_plan_entry *e, const struct sw_policy *pol, bool force)
{
	if (!force && strcmp(e->policy_digest, sw_policy_digest(pol)) == 0)
		return;
	sw_strv_free(&e->approvers);
	sw_strv_free(&e->problems);
	sw_plan_valid_approvers(pol, e->plan, e->submitted_by, &e->approvers, &e->problems);
	snprintf(e->policy_digest, sizeof(e->policy_digest), "%s", sw_policy_digest(pol));
}

void sw_plan_store_refresh(struct sw_plan_store *s, const struct sw_policy *pol)
{
	for (size_t i = 0; s && i < s->n; i++)
		entry_refresh(s->v[i], pol, false);
}

/* The window and scope a daemon accepts; 0 or -1 with err. */
static int check_submittable(const struct sw_plan *p, const struct sw_policy *pol, time_t now, char *err,
			     size_t errlen)
{
	unsigned maxv = sw_policy_plans(pol)->max_validity_s;

	if (!p->roles.n) {
		snprintf(err, errlen, "plan %s names no role (scope.roles); build it with --role", p->id);
		return -1;
	}
	if (p->valid_until <= now) {
		snprintf(err, errlen, "plan %s expired (valid until %lld); build a new plan", p->id,
			 (long long)p->valid_until);
		return -1;
	}
	if (p->valid_until - p->valid_from > (time_t)maxv) {
		snprintf(err, errlen, "plan %s is valid for %lld s, longer than the policy's plans: max_validity (%u s); "
			 "build it with a shorter window", p->id, (long long)(p->valid_until - p->valid_from), maxv);
		return -1;
	}
	return 0;
}

int sw_plan_store_submit(struct sw_plan_store *s, const struct sw_policy *pol, const json_t *plan, const char *by,
			 struct sw_plan_entry **out, char *err, size_t errlen)
{
	struct sw_plan *p;
	struct sw_plan_entry *e;
	char perr[512];
	bool fresh = false;

	if (sw_plan_from_json(plan, &p, perr, sizeof(perr)) < 0) {
		snprintf(err, errlen, "the plan is not valid: %s", perr);
		return -1;
	}
	if (check_submittable(p, pol, time(NULL), err, errlen) < 0)
		goto fail;
	/* Every signature must verify now: a bad one is a mistake (or an attack) the submitter must see. */
	for (size_t i = 0; i < p->n_approvals; i++) {
		const struct sw_plan_approval *a = &p->approvals[i];
		const char *key;
		if (a->via != SW_PLAN_VIA_SIGNATURE) {
			snprintf(err, errlen, "approval by %s is marked \"control\": approvals on the control socket "
				 "are given with `sqlward plan approve`, not carried in the file", a->approver);
			goto fail;
		}
		key = sw_policy_plan_key(pol, a->approver);
		if (!key) {
			snprintf(err, errlen, "signature by %s: the policy names no public key for %s (plans: keys)",
				 a->approver, a->approver);
			goto fail;
		}
		if (!sw_plan_signature_valid(p, a, key, perr, sizeof(perr))) {
			snprintf(err, errlen, "signature by %s does not verify with %s: %s", a->approver, key, perr);
			goto fail;
		}
	}
	e = sw_plan_store_find(s, p->id);
	if (!e) {
		e = sw_xcalloc(1, sizeof(*e));
		e->plan = p;
		e->path = sw_xasprintf("%s/%s.json", s->dir, p->id);
		e->submitted_by = sw_xstrdup(by);
		e->submitted = time(NULL);
		fresh = true;
	} else {
		/* Same id, same body: take the signatures it did not have. */
		for (size_t i = 0; i < p->n_approvals; i++) {
			bool have = false;
			for (size_t k = 0; k < e->plan->n_approvals && !have; k++)
				have = e->plan->approvals[k].signature && p->approvals[i].signature &&
				       strcmp(e->plan->approvals[k].signature, p->approvals[i].signature) == 0;
			if (have)
				continue;
			struct sw_plan_approval *a = &p->approvals[i];
			e->plan->approvals = sw_xrealloc(e->plan->approvals,
							 (e->plan->n_approvals + 1) * sizeof(*e->plan->approvals));
			e->plan->approvals[e->plan->n_approvals++] = *a;
			memset(a, 0, sizeof(*a));
		}
		sw_plan_free(p);
	}
	if (entry_save(e, err, errlen) < 0) {
		if (fresh)
			entry_free(e);
		return -1;
	}
	if (fresh) {
		s->v = sw_xrealloc(s->v, (s->n + 1) * sizeof(*s->v));
		s->v[s->n++] = e;
	}
	entry_refresh(e, pol, true);
	*out = e;
	return 0;
fail:
	sw_plan_free(p);
	return -1;
}

int sw_plan_store_approve(struct sw_plan_store *s, const struct sw_policy *pol, const char *id,
			  const char *digest_prefix, const char *user, const char *comment, char *err, size_t errlen)
{
	struct sw_plan_entry *e = sw_plan_store_find(s, id);
	struct sw_plan *p;

	if (!e) {
		snprintf(err, errlen, "no plan %s in the daemon; submit it first (sqlward plan submit FILE)", id);
		return -1;
	}
	p = e->plan;
	if (!digest_prefix || strlen(digest_prefix) < 8 || strncmp(p->digest, digest_prefix, strlen(digest_prefix))) {
		snprintf(err, errlen, "the digest given does not match plan %s (%s): approve exactly what you reviewed "
			 "with --digest (at least 8 hex digits of the digest `sqlward plan show` prints)", id, p->digest);
		return -1;
	}
	if (e->revoked) {
		snprintf(err, errlen, "plan %s was revoked by %s; build and submit a new one", id, e->revoked_by);
		return -1;
	}
	if ((p->author && strcmp(user, p->author) == 0) || (e->submitted_by && strcmp(user, e->submitted_by) == 0)) {
		snprintf(err, errlen, "%s %s plan %s and may not approve it (no self-approval); ask another approver",
			 user, p->author && strcmp(user, p->author) == 0 ? "wrote" : "submitted", id);
		return -1;
	}
	for (size_t i = 0; i < p->n_approvals; i++)
		if (strcmp(p->approvals[i].approver, user) == 0) {
			snprintf(err, errlen, "%s already approved plan %s; approvals must come from different people",
				 user, id);
			return -1;
		}
	p->approvals = sw_xrealloc(p->approvals, (p->n_approvals + 1) * sizeof(*p->approvals));
	p->approvals[p->n_approvals++] = (struct sw_plan_approval){
		.approver = sw_xstrdup(user), .via = SW_PLAN_VIA_CONTROL,
		.comment = comment ? sw_xstrdup(comment) : NULL, .when = time(NULL) };
	if (entry_save(e, err, errlen) < 0) {
		struct sw_plan_approval *a = &p->approvals[--p->n_approvals];
		free(a->approver);
		free(a->comment);
		return -1;
	}
	entry_refresh(e, pol, true);
	return 0;
}

int sw_plan_store_revoke(struct sw_plan_store *s, const char *id, const char *by, char *err, size_t errlen)
{
	struct sw_plan_entry *e = sw_plan_store_find(s, id);

	if (!e) {
		snprintf(err, errlen, "no plan %s in the daemon (sqlward plan list shows them)", id);
		return -1;
	}
	e->revoked = true;
	free(e->revoked_by);
	e->revoked_by = sw_xstrdup(by);
	e->run.active = false;
	e->n_tentative = 0;
	return entry_save(e, err, errlen);
}

/* ---- runs ---- */

static bool in_scope(const struct sw_plan *p, enum sw_engine engine, const char *role, const char *database)
{
	bool role_ok = false;

	if (p->engine != engine)
		return false;
	for (size_t i = 0; i < p->roles.n && !role_ok; i++)
		role_ok = sw_role_pattern_match_str(p->roles.v[i], role);
	return role_ok && (!p->database || (database && strcmp(p->database, database) == 0));
}

static bool may_start(const struct sw_plan_entry *e, time_t now)
{
	const struct sw_plan *p = e->plan;
	return !e->revoked && !e->run.active && e->runs_started < p->max_runs && now >= p->valid_from &&
	       now < p->valid_until;
}

static bool steps_equal(const struct sw_plan *p, size_t first, const char (*digests)[65], size_t n)
{
	if (first + n > p->n_steps)
		return false;
	for (size_t i = 0; i < n; i++)
		if (strcmp(p->steps[first + i].match, digests[i]) != 0)
			return false;
	return true;
}

static struct sw_plan_tentative *tentative_of(struct sw_plan_entry *e, enum sw_engine engine, uint64_t session)
{
	for (size_t i = 0; i < e->n_tentative; i++)
		if (e->tentative[i].engine == engine && e->tentative[i].session == session)
			return &e->tentative[i];
	return NULL;
}

static void tentative_drop(struct sw_plan_entry *e, struct sw_plan_tentative *t)
{
	*t = e->tentative[--e->n_tentative];
}

#define TENTATIVE_MAX 64   /* sessions following one plan before it needs approval (oldest dropped) */

bool sw_plan_store_match(struct sw_plan_store *s, enum sw_engine engine, uint64_t session, const char *role,
			 const char *database, const char (*digests)[65], size_t n, bool bind, time_t now,
			 struct sw_plan_match *m)
{
	if (!s || !n)
		return false;
	/* The run this session has in progress first: its next step (or, for a Bind, the step just parsed). */
	for (size_t i = 0; i < s->n; i++) {
		struct sw_plan_entry *e = s->v[i];
		if (!e->run.active || e->run.engine != engine || e->run.session != session)
			continue;
		if (e->revoked || now >= e->plan->valid_until || !in_scope(e->plan, engine, role, database))
			return false;
		if (bind && e->run.bind_open && steps_equal(e->plan, e->run.last, digests, n) && n == 1) {
			*m = (struct sw_plan_match){ .e = e, .first = e->run.last, .n = 1, .bind = true };
			return true;
		}
		if (steps_equal(e->plan, e->run.next, digests, n)) {
			*m = (struct sw_plan_match){ .e = e, .first = e->run.next, .n = n };
			return true;
		}
		e->run.bind_open = false;   /* something else came between the step's Parse and a Bind */
		return false;               /* one run per session: anything else is off-plan */
	}
	/* Following a plan tentatively: its next step; else step 1 of a plan that may start. */
	for (size_t i = 0; i < s->n; i++) {
		struct sw_plan_entry *e = s->v[i];
		struct sw_plan_tentative *t = tentative_of(e, engine, session);
		if (!t || !may_start(e, now) || !in_scope(e->plan, engine, role, database))
			continue;
		if (steps_equal(e->plan, t->next, digests, n)) {
			*m = (struct sw_plan_match){ .e = e, .first = t->next, .n = n, .tentative = true };
			return true;
		}
	}
	for (size_t i = 0; i < s->n; i++) {
		struct sw_plan_entry *e = s->v[i];
		if (may_start(e, now) && in_scope(e->plan, engine, role, database) && steps_equal(e->plan, 0, digests, n)) {
			*m = (struct sw_plan_match){ .e = e, .first = 0, .n = n, .starts = true, .tentative = true };
			return true;
		}
	}
	return false;
}

/* The session's tentative progress becomes the counted run (on disk first). */
static int commit_run(struct sw_plan_entry *e, enum sw_engine engine, uint64_t session, char *err, size_t errlen)
{
	e->runs_started++;
	if (entry_save(e, err, errlen) < 0) {
		e->runs_started--;
		return -1;
	}
	e->run = (struct sw_plan_run){ .active = true, .engine = engine, .session = session,
				       .number = e->runs_started };
	e->n_tentative = 0;
	return 0;
}

int sw_plan_store_advance(struct sw_plan_store *s, const struct sw_plan_match *m, enum sw_engine engine,
			  uint64_t session, bool parsed, bool authorised, char *err, size_t errlen)
{
	struct sw_plan_entry *e = m->e;
	size_t next = m->first + m->n;
	(void)s;

	if (m->bind) {
		e->run.bind_open = false;
		return 0;
	}
	if (m->tentative) {
		struct sw_plan_tentative *t = tentative_of(e, engine, session);
		if (!authorised && next < e->plan->n_steps) {
			if (!t) {
				if (e->n_tentative == TENTATIVE_MAX)
					tentative_drop(e, &e->tentative[0]);
				e->tentative = sw_xrealloc(e->tentative, (e->n_tentative + 1) * sizeof(*e->tentative));
				t = &e->tentative[e->n_tentative++];
				*t = (struct sw_plan_tentative){ .engine = engine, .session = session };
			}
			t->next = next;
			return 0;
		}
		/* A step that needs the plan (or the last one): this session's is the run. */
		if (commit_run(e, engine, session, err, errlen) < 0)
			return -1;
	}
	e->run.last = next - 1;
	e->run.next = next;
	e->run.bind_open = parsed;
	if (e->run.next >= e->plan->n_steps) {
		e->run.active = false;
		e->runs_done++;
		if (entry_save(e, err, errlen) < 0)
			return 0;   /* the run happened; only the count of finished runs is behind */
	}
	return 0;
}

struct sw_plan_entry *sw_plan_store_session_ended(struct sw_plan_store *s, enum sw_engine engine, uint64_t session)
{
	struct sw_plan_entry *ended = NULL;

	for (size_t i = 0; s && i < s->n; i++) {
		struct sw_plan_entry *e = s->v[i];
		struct sw_plan_tentative *t = tentative_of(e, engine, session);
		if (t)
			tentative_drop(e, t);
		if (e->run.active && e->run.engine == engine && e->run.session == session) {
			e->run.active = false;
			ended = e;
		}
	}
	return ended;
}

bool sw_plan_store_any_active(const struct sw_plan_store *s, time_t now)
{
	for (size_t i = 0; s && i < s->n; i++)
		if (s->v[i]->run.active || may_start(s->v[i], now))
			return true;
	return false;
}

/* ---- status ---- */

static json_t *time_json(time_t t)
{
	char buf[64];
	sw_format_time(&(struct timespec){ .tv_sec = t }, buf, sizeof(buf));
	return json_string(buf);
}

json_t *sw_plan_entry_json(struct sw_plan_entry *e, const struct sw_policy *pol, bool steps)
{
	const struct sw_plan *p = e->plan;
	time_t now = time(NULL);
	json_t *o, *appr = json_array(), *roles = json_array();
	const char *state = e->revoked ? "revoked" : e->run.active ? "running" : now < p->valid_from ? "not yet valid"
			    : now >= p->valid_until ? "expired" : e->runs_started >= p->max_runs ? "used" : "ready";

	entry_refresh(e, pol, false);
	for (size_t i = 0; i < e->approvers.n; i++)
		json_array_append_new(appr, json_string(e->approvers.v[i]));
	for (size_t i = 0; i < p->roles.n; i++)
		json_array_append_new(roles, json_string(p->roles.v[i]));
	o = json_pack("{s:s, s:s, s:s?, s:s?, s:s, s:o, s:s?, s:s, s:o, s:o, s:i, s:i, s:i, s:i, s:o, s:s?, s:s?}",
		      "id", p->id, "digest", p->digest, "title", p->title, "author", p->author, "state", state, "roles",
		      roles, "database", p->database, "engine", sw_engine_name(p->engine), "valid_from",
		      time_json(p->valid_from), "valid_until", time_json(p->valid_until), "steps_total", (int)p->n_steps,
		      "max_runs", (int)p->max_runs, "runs_started", (int)e->runs_started, "runs_done",
		      (int)e->runs_done, "approved_by", appr, "submitted_by", e->submitted_by, "revoked_by",
		      e->revoked_by);
	if (e->problems.n) {
		json_t *pr = json_array();
		for (size_t i = 0; i < e->problems.n; i++)
			json_array_append_new(pr, json_string(e->problems.v[i]));
		json_object_set_new(o, "approvals_not_counted", pr);
	}
	if (e->run.active)
		json_object_set_new(o, "run", json_pack("{s:i, s:i}", "number", (int)e->run.number, "next_step",
							(int)e->run.next + 1));
	if (steps) {
		/* Each step as the policy judged it when the plan was built, and whether the approvals cover it now. */
		json_t *arr = json_array();
		for (size_t i = 0; i < p->n_steps; i++) {
			const struct sw_plan_step *st = &p->steps[i];
			json_t *an = st->analysis, *s = json_pack("{s:i, s:s}", "n", (int)st->n, "match", st->match);
			const char *v = json_string_value(json_object_get(an, "verdict"));
			const char *rule = json_string_value(json_object_get(an, "rule"));
			if (json_object_get(an, "command"))
				json_object_set(s, "command", json_object_get(an, "command"));
			if (v && rule) {
				enum sw_verdict vv;
				char why[300] = "";
				struct sw_judgement j = { .rule_id = rule };
				if (sw_verdict_parse(v, &vv)) {
					j.verdict = vv;
					bool ok = sw_plan_authorises(pol, &e->approvers, &j, why, sizeof(why));
					json_object_set_new(s, "verdict_at_plan_time", json_string(v));
					json_object_set_new(s, "rule", json_string(rule));
					json_object_set_new(s, "authorised", json_boolean(ok));
					if (!ok)
						json_object_set_new(s, "missing", json_string(why));
				}
			}
			json_array_append_new(arr, s);
		}
		json_object_set_new(o, "steps", arr);
	}
	return o;
}
