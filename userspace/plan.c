/*
 * Approved plans (plan.h): the file format, its validation, sealing and the
 * message an offline approval signs.
 *
 * The digest is SHA-256 over the canonical body: the plan's JSON without
 * "approvals", "id" and "digest", dumped with sorted keys and no white space.
 * A plan read from a file is rebuilt from its parsed fields and hashed again,
 * so what is hashed is exactly what the daemon will use; a file edited after
 * sealing no longer matches its digest and is refused.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "plan.h"
#include "plan_digest.h"
#include "role_pattern.h"
#include "sha256_hex.h"
#include "util.h"

static const char signed_prefix[] = "sqlward-plan-v1\n";

/* ---- times: "2026-05-01T12:00:00Z", nothing else ---- */

static void utc_text(time_t t, char buf[32])
{
	struct tm tm;
	if (!gmtime_r(&t, &tm) || !strftime(buf, 32, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(buf, 32, "1970-01-01T00:00:00Z");
}

static json_t *utc_json(time_t t)
{
	char buf[32];
	utc_text(t, buf);
	return json_string(buf);
}

/* Strict: the text must be exactly what utc_text writes for the time it names (no 31 February). */
static bool utc_parse(const char *s, time_t *out)
{
	struct tm tm;
	const char *end;
	char again[32];

	memset(&tm, 0, sizeof(tm));
	end = strptime(s, "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (!end || *end)
		return false;
	*out = timegm(&tm);
	utc_text(*out, again);
	return strcmp(again, s) == 0;
}

/* ---- the canonical body ---- */

/* A free-form member: shared when only hashed, copied when handed out (callers may change what they get). */
static json_t *member(json_t *v, bool copy)
{
	if (!v)
		return json_null();
	return copy ? json_deep_copy(v) : json_incref(v);
}

static json_t *step_json(const struct sw_plan_step *s, bool copy)
{
	return json_pack("{s:I, s:s, s:s, s:s, s:o, s:o}", "n", (json_int_t)s->n, "sql", s->sql, "sha256", s->sha256,
			 "match", s->match, "source", s->source ? json_string(s->source) : json_null(),
			 "analysis", member(s->analysis, copy));
}

static json_t *body_json(const struct sw_plan *p, bool copy)
{
	json_t *roles = json_array(), *steps = json_array();

	for (size_t i = 0; i < p->roles.n; i++)
		json_array_append_new(roles, json_string(p->roles.v[i]));
	for (size_t i = 0; i < p->n_steps; i++)
		json_array_append_new(steps, step_json(&p->steps[i], copy));
	return json_pack("{s:i, s:s, s:s, s:o, s:o, s:o, s:I, s:{s:s, s:o, s:o}, s:{s:o, s:o, s:o}}",
			 "sqlward_plan", SW_PLAN_FORMAT, "title", p->title, "author", p->author,
			 "created", utc_json(p->created), "valid_from", utc_json(p->valid_from),
			 "valid_until", utc_json(p->valid_until), "max_runs", (json_int_t)p->max_runs,
			 "scope", "engine", sw_engine_name(p->engine), "roles", roles,
			 "database", p->database ? json_string(p->database) : json_null(),
			 "stages", "intent", member(p->intent, copy), "sql", steps,
			 "validation", member(p->validation, copy));
}

static void body_digest(const struct sw_plan *p, char out[65])
{
	json_t *b = body_json(p, false);
	char *s = json_dumps(b, JSON_SORT_KEYS | JSON_COMPACT);

	if (!s) {
		fprintf(stderr, "sqlward: cannot serialize a plan (out of memory?)\n");
		abort();
	}
	sw_sha256_hex(s, strlen(s), out);
	free(s);
	json_decref(b);
}

void sw_plan_seal(struct sw_plan *p)
{
	body_digest(p, p->digest);
	snprintf(p->id, sizeof(p->id), "plan-%.*s", SW_PLAN_ID_HEX, p->digest);
}

static const char *via_name(enum sw_plan_approval_via v)
{
	return v == SW_PLAN_VIA_SIGNATURE ? "signature" : "control";
}

json_t *sw_plan_to_json(const struct sw_plan *p)
{
	json_t *o = body_json(p, true), *ap = json_array();

	json_object_set_new(o, "id", json_string(p->id));
	json_object_set_new(o, "digest", json_string(p->digest));
	for (size_t i = 0; i < p->n_approvals; i++) {
		const struct sw_plan_approval *a = &p->approvals[i];
		json_array_append_new(ap, json_pack("{s:s, s:s, s:o, s:o, s:o}", "approver", a->approver,
						    "via", via_name(a->via),
						    "signature", a->signature ? json_string(a->signature) : json_null(),
						    "comment", a->comment ? json_string(a->comment) : json_null(),
						    "when", utc_json(a->when)));
	}
	json_object_set_new(o, "approvals", ap);
	return o;
}

void sw_plan_signed_message(const struct sw_plan *p, char out[128])
{
	snprintf(out, 128, "%s%s\n%s\n", signed_prefix, p->id, p->digest);
}

void sw_plan_free(struct sw_plan *p)
{
	if (!p)
		return;
	sw_strv_free(&p->roles);
	free(p->database);
	free(p->title);
	free(p->author);
	json_decref(p->intent);
	json_decref(p->validation);
	for (size_t i = 0; i < p->n_steps; i++) {
		free(p->steps[i].sql);
		free(p->steps[i].source);
		json_decref(p->steps[i].analysis);
	}
	free(p->steps);
	for (size_t i = 0; i < p->n_approvals; i++) {
		free(p->approvals[i].approver);
		free(p->approvals[i].signature);
		free(p->approvals[i].comment);
	}
	free(p->approvals);
	free(p);
}

/* ---- parsing: every field typed and checked, nothing unknown ---- */

struct rd {
	char *err;
	size_t errlen;
};

__attribute__((format(printf, 2, 3))) static int fail(struct rd *r, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(r->err, r->errlen, fmt, ap);
	va_end(ap);
	return -1;
}

/* Refuse keys outside allowed (NULL-terminated). */
static int only_keys(struct rd *r, const json_t *o, const char *where, const char *const *allowed)
{
	const char *k;
	json_t *v;

	json_object_foreach((json_t *)o, k, v) {
		bool ok = false;
		for (size_t i = 0; allowed[i] && !ok; i++)
			ok = strcmp(k, allowed[i]) == 0;
		if (!ok)
			return fail(r, "%s: unknown key \"%s\"; a plan holds only the fields sqlward writes "
				    "(rebuild it with `sqlward plan build`)", where, k);
	}
	return 0;
}

static int need(struct rd *r, const json_t *o, const char *where, const char *key, json_t **out)
{
	*out = json_object_get(o, key);
	if (!*out)
		return fail(r, "%s: \"%s\" is missing", where, key);
	return 0;
}

/* A string with no NUL; non-empty unless empty_ok. */
static int want_str(struct rd *r, const json_t *o, const char *where, const char *key, bool empty_ok,
		    const char **out)
{
	json_t *v;
	if (need(r, o, where, key, &v) < 0)
		return -1;
	if (!json_is_string(v))
		return fail(r, "%s: \"%s\" must be a string", where, key);
	if (strlen(json_string_value(v)) != json_string_length(v))
		return fail(r, "%s: \"%s\" contains a NUL character", where, key);
	if (!empty_ok && !json_string_length(v))
		return fail(r, "%s: \"%s\" must not be empty", where, key);
	*out = json_string_value(v);
	return 0;
}

/* A string or null (*out NULL). */
static int want_str_or_null(struct rd *r, const json_t *o, const char *where, const char *key, const char **out)
{
	json_t *v;
	if (need(r, o, where, key, &v) < 0)
		return -1;
	*out = NULL;
	if (json_is_null(v))
		return 0;
	return want_str(r, o, where, key, true, out);
}

static int want_time(struct rd *r, const json_t *o, const char *where, const char *key, time_t *out)
{
	const char *s;
	if (want_str(r, o, where, key, false, &s) < 0)
		return -1;
	if (!utc_parse(s, out))
		return fail(r, "%s: \"%s\" is \"%s\", not a UTC time like \"2026-05-01T12:00:00Z\"", where, key, s);
	return 0;
}

static int want_uint(struct rd *r, const json_t *o, const char *where, const char *key, json_int_t lo, json_int_t hi,
		     unsigned *out)
{
	json_t *v;
	if (need(r, o, where, key, &v) < 0)
		return -1;
	if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi)
		return fail(r, "%s: \"%s\" must be a whole number from %lld to %lld", where, key, (long long)lo,
			    (long long)hi);
	*out = (unsigned)json_integer_value(v);
	return 0;
}

static bool is_hex64(const char *s)
{
	if (strlen(s) != 64)
		return false;
	for (; *s; s++)
		if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f')))
			return false;
	return true;
}

static int read_scope(struct rd *r, const json_t *sc, struct sw_plan *p)
{
	static const char *const keys[] = { "engine", "roles", "database", NULL };
	const char *engine, *db;
	struct sw_role_pattern rp;
	char why[256];
	json_t *roles, *v;
	size_t i;

	if (!json_is_object(sc))
		return fail(r, "\"scope\" must be an object {engine, roles, database}");
	if (only_keys(r, sc, "scope", keys) < 0 || want_str(r, sc, "scope", "engine", false, &engine) < 0)
		return -1;
	if (strcmp(engine, "postgres") == 0)
		p->engine = SW_ENGINE_POSTGRES;
	else if (strcmp(engine, "mysql") == 0)
		p->engine = SW_ENGINE_MYSQL;
	else
		return fail(r, "scope: engine \"%s\" is not \"postgres\" or \"mysql\"", engine);
	if (need(r, sc, "scope", "roles", &roles) < 0)
		return -1;
	if (!json_is_array(roles) || json_array_size(roles) == 0)
		return fail(r, "scope: \"roles\" must be a non-empty array of role patterns (the roles the plan may run as)");
	json_array_foreach(roles, i, v) {
		if (!json_is_string(v) || json_string_length(v) == 0 ||
		    strlen(json_string_value(v)) != json_string_length(v))
			return fail(r, "scope: roles[%zu] must be a non-empty string", i);
		if (!sw_role_pattern_parse(json_string_value(v), &rp, why, sizeof(why)))
			return fail(r, "scope: roles[%zu]: %s", i, why);
		sw_strv_push(&p->roles, json_string_value(v));
	}
	if (want_str_or_null(r, sc, "scope", "database", &db) < 0)
		return -1;
	if (db && !db[0])
		return fail(r, "scope: \"database\" must be a database name or null (any database), not \"\"");
	p->database = db ? sw_xstrdup(db) : NULL;
	return 0;
}

static int read_step(struct rd *r, const json_t *o, size_t i, enum sw_engine e, struct sw_plan_step *s)
{
	static const char *const keys[] = { "n", "sql", "sha256", "match", "source", "analysis", NULL };
	char where[48], ehex[65], elex[512];
	const char *sql, *sha, *match, *source;
	json_t *an;

	snprintf(where, sizeof(where), "stages.sql[%zu]", i);
	if (!json_is_object(o))
		return fail(r, "%s must be an object {n, sql, sha256, match, source, analysis}", where);
	if (only_keys(r, o, where, keys) < 0 || want_uint(r, o, where, "n", 1, SW_PLAN_STEPS_MAX, &s->n) < 0 ||
	    want_str(r, o, where, "sql", false, &sql) < 0 || want_str(r, o, where, "sha256", false, &sha) < 0 ||
	    want_str(r, o, where, "match", false, &match) < 0 || want_str_or_null(r, o, where, "source", &source) < 0 ||
	    need(r, o, where, "analysis", &an) < 0)
		return -1;
	if (s->n != i + 1)
		return fail(r, "%s: \"n\" is %u; steps are numbered 1, 2, ... in order", where, s->n);
	if (!json_is_object(an))
		return fail(r, "%s: \"analysis\" must be an object", where);
	sw_sha256_hex(sql, strlen(sql), ehex);
	if (!is_hex64(sha) || strcmp(sha, ehex) != 0)
		return fail(r, "%s: \"sha256\" is not the SHA-256 of its \"sql\"; the step was edited -- rebuild "
			    "the plan with `sqlward plan build`", where);
	if (sw_plan_stmt_digest(e, sql, strlen(sql), ehex, elex, sizeof(elex)) < 0)
		return fail(r, "%s: %s", where, elex);
	if (strcmp(match, ehex) != 0)
		return fail(r, "%s: \"match\" is not the token digest of its \"sql\"; the step was edited -- "
			    "rebuild the plan with `sqlward plan build`", where);
	s->sql = sw_xstrdup(sql);
	memcpy(s->sha256, sha, 65);
	memcpy(s->match, match, 65);
	s->source = source ? sw_xstrdup(source) : NULL;
	s->analysis = json_deep_copy(an);
	return 0;
}

static int read_stages(struct rd *r, const json_t *st, struct sw_plan *p)
{
	static const char *const keys[] = { "intent", "sql", "validation", NULL };
	json_t *intent, *sql, *val, *v;
	size_t i;

	if (!json_is_object(st))
		return fail(r, "\"stages\" must be an object {intent, sql, validation}");
	if (only_keys(r, st, "stages", keys) < 0 || need(r, st, "stages", "intent", &intent) < 0 ||
	    need(r, st, "stages", "sql", &sql) < 0 || need(r, st, "stages", "validation", &val) < 0)
		return -1;
	if (!json_is_object(intent))
		return fail(r, "stages: \"intent\" must be an object (why the change is made: description, change, ticket)");
	if (!json_is_object(val) && !json_is_null(val))
		return fail(r, "stages: \"validation\" must be an object or null");
	if (!json_is_array(sql) || json_array_size(sql) == 0)
		return fail(r, "stages: \"sql\" must be a non-empty array of steps");
	if (json_array_size(sql) > SW_PLAN_STEPS_MAX)
		return fail(r, "stages: %zu steps; a plan holds at most %d", json_array_size(sql), SW_PLAN_STEPS_MAX);
	p->intent = json_deep_copy(intent);
	p->validation = json_is_null(val) ? NULL : json_deep_copy(val);
	p->steps = sw_xcalloc(json_array_size(sql), sizeof(*p->steps));
	json_array_foreach(sql, i, v) {
		if (read_step(r, v, i, p->engine, &p->steps[i]) < 0)
			return -1;
		p->n_steps++;
	}
	return 0;
}

static int read_approval(struct rd *r, const json_t *o, size_t i, struct sw_plan_approval *a)
{
	static const char *const keys[] = { "approver", "via", "signature", "comment", "when", NULL };
	char where[32];
	const char *approver, *via, *sig, *comment;

	snprintf(where, sizeof(where), "approvals[%zu]", i);
	if (!json_is_object(o))
		return fail(r, "%s must be an object {approver, via, signature, comment, when}", where);
	if (only_keys(r, o, where, keys) < 0 || want_str(r, o, where, "approver", false, &approver) < 0 ||
	    want_str(r, o, where, "via", false, &via) < 0 || want_str_or_null(r, o, where, "signature", &sig) < 0 ||
	    want_str_or_null(r, o, where, "comment", &comment) < 0 || want_time(r, o, where, "when", &a->when) < 0)
		return -1;
	if (strcmp(via, "signature") == 0)
		a->via = SW_PLAN_VIA_SIGNATURE;
	else if (strcmp(via, "control") == 0)
		a->via = SW_PLAN_VIA_CONTROL;
	else
		return fail(r, "%s: \"via\" is \"%s\", not \"signature\" or \"control\"", where, via);
	if (a->via == SW_PLAN_VIA_SIGNATURE && (!sig || !sig[0]))
		return fail(r, "%s: an approval via signature needs its \"signature\"", where);
	if (a->via == SW_PLAN_VIA_CONTROL && sig)
		return fail(r, "%s: an approval via control carries no signature (null)", where);
	a->approver = sw_xstrdup(approver);
	a->signature = sig ? sw_xstrdup(sig) : NULL;
	a->comment = comment ? sw_xstrdup(comment) : NULL;
	return 0;
}

static int read_plan(struct rd *r, const json_t *j, struct sw_plan *p)
{
	static const char *const keys[] = { "sqlward_plan", "id", "digest", "title", "author", "created",
					    "valid_from", "valid_until", "max_runs", "scope", "stages",
					    "approvals", NULL };
	const char *id, *digest, *title, *author;
	unsigned format;
	json_t *v, *ap;
	char expect[65];
	size_t i;

	if (!json_is_object(j))
		return fail(r, "a plan is a JSON object with \"sqlward_plan\": %d", SW_PLAN_FORMAT);
	if (!json_object_get(j, "sqlward_plan"))
		return fail(r, "not a sqlward plan: \"sqlward_plan\" is missing");
	if (want_uint(r, j, "plan", "sqlward_plan", 0, 1000000, &format) < 0)
		return -1;
	if (format != SW_PLAN_FORMAT)
		return fail(r, "plan format %u; this sqlward reads format %d (upgrade sqlward or rebuild the plan)",
			    format, SW_PLAN_FORMAT);
	if (only_keys(r, j, "plan", keys) < 0 || want_str(r, j, "plan", "id", false, &id) < 0 ||
	    want_str(r, j, "plan", "digest", false, &digest) < 0 ||
	    want_str(r, j, "plan", "title", false, &title) < 0 || want_str(r, j, "plan", "author", false, &author) < 0 ||
	    want_time(r, j, "plan", "created", &p->created) < 0 ||
	    want_time(r, j, "plan", "valid_from", &p->valid_from) < 0 ||
	    want_time(r, j, "plan", "valid_until", &p->valid_until) < 0 ||
	    want_uint(r, j, "plan", "max_runs", 1, SW_PLAN_RUNS_MAX, &p->max_runs) < 0)
		return -1;
	if (strchr(title, '\n') || strchr(title, '\r'))
		return fail(r, "plan: \"title\" must be one line");
	if (p->valid_until <= p->valid_from)
		return fail(r, "plan: \"valid_until\" must be after \"valid_from\"");
	if (p->valid_until - p->valid_from > SW_PLAN_VALIDITY_MAX_S)
		return fail(r, "plan: valid for more than %d days; a plan's window is at most that long",
			    SW_PLAN_VALIDITY_MAX_S / 86400);
	p->title = sw_xstrdup(title);
	p->author = sw_xstrdup(author);
	if (need(r, j, "plan", "scope", &v) < 0 || read_scope(r, v, p) < 0)
		return -1;
	if (need(r, j, "plan", "stages", &v) < 0 || read_stages(r, v, p) < 0)
		return -1;
	if (need(r, j, "plan", "approvals", &ap) < 0)
		return -1;
	if (!json_is_array(ap))
		return fail(r, "plan: \"approvals\" must be an array");
	p->approvals = sw_xcalloc(json_array_size(ap) ? json_array_size(ap) : 1, sizeof(*p->approvals));
	json_array_foreach(ap, i, v) {
		if (read_approval(r, v, i, &p->approvals[i]) < 0)
			return -1;
		p->n_approvals++;
	}
	body_digest(p, expect);
	if (!is_hex64(digest))
		return fail(r, "plan: \"digest\" must be 64 lower-case hex digits");
	if (strcmp(digest, expect) != 0)
		return fail(r, "plan %s was changed after it was sealed: its content no longer matches its digest "
			    "(%.16s..., content hashes to %.16s...); a changed plan is a new plan -- rebuild it with "
			    "`sqlward plan build` and have it approved again", id, digest, expect);
	memcpy(p->digest, digest, 65);
	snprintf(p->id, sizeof(p->id), "plan-%.*s", SW_PLAN_ID_HEX, p->digest);
	if (strcmp(id, p->id) != 0)
		return fail(r, "plan: \"id\" is \"%s\" but its digest makes it \"%s\"; the id was edited", id, p->id);
	return 0;
}

int sw_plan_from_json(const json_t *j, struct sw_plan **out, char *err, size_t errlen)
{
	struct rd r = { err, errlen };
	struct sw_plan *p = sw_xcalloc(1, sizeof(*p));

	if (read_plan(&r, j, p) < 0) {
		sw_plan_free(p);
		*out = NULL;
		return -1;
	}
	*out = p;
	return 0;
}

int sw_plan_load(const char *path, struct sw_plan **out, char *err, size_t errlen)
{
	json_error_t je;
	json_t *j;
	char why[768];
	int rc;
	FILE *f = fopen(path, "r");

	*out = NULL;
	if (!f) {
		snprintf(err, errlen, "cannot open plan %s: %s", path, strerror(errno));
		return -1;
	}
	j = json_loadf(f, JSON_REJECT_DUPLICATES, &je);
	fclose(f);
	if (!j) {
		snprintf(err, errlen, "%s:%d:%d: not a plan file (invalid JSON: %s)", path, je.line, je.column, je.text);
		return -1;
	}
	rc = sw_plan_from_json(j, out, why, sizeof(why));
	json_decref(j);
	if (rc < 0)
		snprintf(err, errlen, "%s: %s", path, why);
	return rc;
}
