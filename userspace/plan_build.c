/* Building a plan from migration files (plan_build.h). */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "plan_build.h"
#include "plan_digest.h"
#include "role_pattern.h"
#include "sha256_hex.h"
#include "sql_script.h"
#include "statement_json.h"
#include "util.h"

#define PLAN_INPUT_MAX (64u << 20)

/* ---- input ---- */

static char *read_stream(FILE *f, const char *name, char *err, size_t errlen)
{
	size_t cap = 65536, n = 0, r;
	char *buf = sw_xmalloc(cap);

	while ((r = fread(buf + n, 1, cap - n - 1, f)) > 0) {
		n += r;
		if (n + 1 == cap) {
			if (cap >= PLAN_INPUT_MAX) {
				snprintf(err, errlen, "%s is larger than %u MiB; split the migration", name,
					 PLAN_INPUT_MAX >> 20);
				free(buf);
				return NULL;
			}
			cap *= 2;
			buf = sw_xrealloc(buf, cap);
		}
	}
	if (ferror(f)) {
		snprintf(err, errlen, "cannot read %s: %s", name, strerror(errno));
		free(buf);
		return NULL;
	}
	buf[n] = 0;
	if (strlen(buf) != n) {
		snprintf(err, errlen, "%s contains a NUL byte; it is not a SQL text file", name);
		free(buf);
		return NULL;
	}
	return buf;
}

/* ---- statements ---- */

/* One statement of an input: its text and the line it starts on. */
struct piece {
	char *text;
	unsigned line;
};

static unsigned newlines(const char *s, size_t n)
{
	unsigned k = 0;
	for (size_t i = 0; i < n; i++)
		k += s[i] == '\n';
	return k;
}

/*
 * MariaDB for now: the statements as the classifier splits the whole text
 * (as `sqlward check` does). sql_script.c's splitter starts a statement that
 * opens inside an executable comment (/ *!40101 SET ... * /;) at its first
 * token and keeps the closing marker, which then does not parse alone.
 */
static long split_by_classifier(const struct sw_plan_build *b, const char *source, const char *sql,
				struct piece **out, char *err, size_t errlen)
{
	struct sw_analysis a;
	struct piece *v;
	size_t n = 0, cursor = 0;
	unsigned line = 1;

	b->engine->analyze(sql, &b->lex, &a);
	if (!a.parse_ok) {
		snprintf(err, errlen, "%s does not parse as %s SQL: %s", source, b->engine->name,
			 a.error ? a.error : "parse error");
		sw_analysis_free(&a);
		return -1;
	}
	v = sw_xcalloc(a.n_stmts ? a.n_stmts : 1, sizeof(*v));
	for (size_t i = 0; i < a.n_stmts; i++) {
		const char *text = a.stmts[i].text ? a.stmts[i].text : "";
		/* Each statement's text is a slice of the input, in order: where it starts gives its line. */
		const char *at = text[0] ? strstr(sql + cursor, text) : NULL;
		if (!text[0])
			continue;
		if (at) {
			line += newlines(sql + cursor, (size_t)(at - sql) - cursor);
			cursor = (size_t)(at - sql);
		}
		v[n].text = sw_xstrdup(text);
		v[n].line = line;
		n++;
	}
	sw_analysis_free(&a);
	*out = v;
	return (long)n;
}

/*
 * The statements of one input, in order, as its client sends them
 * (sql_script.h: psql's and the mysql client's splitting, psql variables
 * replaced). Meta-commands never reach the server: skipped, each named in
 * b->notes. Returns the number of pieces (*out malloc'd), or -1 with err.
 */
static long split_statements(const struct sw_plan_build *b, const char *source, const char *sql,
			     struct piece **out, char *err, size_t errlen)
{
	if (b->engine->id == SW_ENGINE_MYSQL)
		return split_by_classifier(b, source, sql, out, err, errlen);
	struct sw_script *sc = sw_script_open_mem(sql, strlen(sql), b->engine->id, b->lex.my_sql_mode);
	struct sw_script_item it;
	struct piece *v = NULL;
	size_t n = 0, cap = 0;
	int rc = 0;

	while (rc == 0 && sw_script_next(sc, &it) > 0) {
		switch (it.kind) {
		case SW_SCRIPT_STATEMENT:
			if (!it.sql) {
				snprintf(err, errlen, "%s:%lu: %s; a plan holds the exact text the server receives",
					 source, it.line, it.note ? it.note : "the statement's text cannot be known");
				rc = -1;
				break;
			}
			if (n == cap) {
				cap = cap ? cap * 2 : 16;
				v = sw_xrealloc(v, cap * sizeof(*v));
			}
			v[n].text = sw_xstrdup(it.sql);
			v[n].line = (unsigned)it.line;
			{
				/* Point at the code, not at the comments before it. */
				long code = sw_plan_stmt_code_offset(b->engine->id, it.text ? it.text : "",
								     it.text ? strlen(it.text) : 0);
				if (code > 0)
					v[n].line += newlines(it.text, (size_t)code);
			}
			n++;
			break;
		case SW_SCRIPT_META:
			if (b->notes) {
				char *note = sw_xasprintf("%s:%lu: %s (a client command: not part of the plan)", source,
							  it.line, it.note ? it.note : it.text ? it.text : "meta-command");
				sw_strv_push(b->notes, note);
				free(note);
			}
			break;
		case SW_SCRIPT_DATA:
			snprintf(err, errlen, "%s:%lu: COPY ... FROM STDIN data cannot be part of a plan (the plan binds "
				 "statements, not the rows sent after them); load it outside the plan", source, it.line);
			rc = -1;
			break;
		case SW_SCRIPT_ERROR:
			snprintf(err, errlen, "%s:%lu: %s", source, it.line, it.note ? it.note : "cannot split the input");
			rc = -1;
			break;
		}
		sw_script_item_free(&it);
	}
	if (rc == 0 && sw_script_error(sc)) {
		snprintf(err, errlen, "cannot read %s: %s", source, sw_script_error(sc));
		rc = -1;
	}
	sw_script_close(sc);
	if (rc < 0) {
		for (size_t i = 0; i < n; i++)
			free(v[i].text);
		free(v);
		return -1;
	}
	*out = v;
	return (long)n;
}

/* The judgement of one step for the plan's scope: the most severe over its literal roles. */
static void judge_step(const struct sw_plan_build *b, const struct sw_stmt *st, struct sw_judgement *out,
		       const char **as_role)
{
	bool any = false;

	*as_role = NULL;
	for (size_t i = 0; i < b->roles.n; i++) {
		const char *role = b->roles.v[i];
		struct sw_subject s = { .role = role, .database = b->database, .engine = b->engine->id };
		struct sw_judgement j;
		if (strchr(role, '*'))
			continue;
		if (sw_policy_governs(b->policy, role)) {
			sw_policy_judge_stmt(b->policy, &s, st, &j);
		} else {
			memset(&j, 0, sizeof(j));
			j.verdict = SW_VERDICT_ALLOW;
			j.rule_id = SW_RULE_UNGOVERNED;
		}
		if (!any || j.verdict > out->verdict) {
			*out = j;
			*as_role = role;
		}
		any = true;
	}
	if (!any) {
		/* Only patterns: judged as a governed session no role-specific rule names (like `check`). */
		struct sw_subject s = { .role = "", .database = b->database, .engine = b->engine->id };
		sw_policy_judge_stmt(b->policy, &s, st, out);
	}
}

static json_t *step_analysis(const struct sw_plan_build *b, const struct sw_stmt *st)
{
	json_t *o = sw_stmt_json(st);
	struct sw_judgement j;
	const char *as_role;

	if (b->engine->stmt_json_add)
		b->engine->stmt_json_add(o, st);
	judge_step(b, st, &j, &as_role);
	json_object_set_new(o, "verdict", json_string(sw_verdict_name(j.verdict)));
	json_object_set_new(o, "rule", json_string(j.rule_id));
	json_object_set_new(o, "rule_reason", j.reason ? json_string(j.reason) : json_null());
	json_object_set_new(o, "judged_as", json_pack("{s:o, s:o, s:s}",
		"role", as_role ? json_string(as_role) : json_null(),
		"database", b->database ? json_string(b->database) : json_null(),
		"policy", sw_policy_digest(b->policy) ? sw_policy_digest(b->policy) : ""));
	return o;
}

/* One statement as its own string: what the server sees when a migration tool sends it. */
static json_t *analyse_alone(const struct sw_plan_build *b, const char *text, char *err, size_t errlen)
{
	struct sw_analysis a;
	json_t *o = NULL;

	b->engine->analyze(text, &b->lex, &a);
	if (!a.parse_ok || a.n_stmts != 1) {
		snprintf(err, errlen, "does not parse as one statement on its own: %s",
			 a.error ? a.error : "a different number of statements");
	} else {
		sw_policy_apply_trust(b->policy, &a, NULL, NULL);
		o = step_analysis(b, &a.stmts[0]);
	}
	sw_analysis_free(&a);
	return o;
}

int sw_plan_add_sql(struct sw_plan *p, const struct sw_plan_build *b, const char *source, const char *sql,
		    char *err, size_t errlen)
{
	struct piece *pc;
	long n = split_statements(b, source, sql, &pc, err, errlen);
	int rc = 0;

	if (n < 0)
		return -1;
	if (p->n_steps + (size_t)n > SW_PLAN_STEPS_MAX) {
		snprintf(err, errlen, "more than %d statements; split the migration into several plans",
			 SW_PLAN_STEPS_MAX);
		rc = -1;
	} else {
		p->steps = sw_xrealloc(p->steps, (p->n_steps + (size_t)n + 1) * sizeof(*p->steps));
	}
	for (long i = 0; i < n && rc == 0; i++) {
		struct sw_plan_step *s = &p->steps[p->n_steps];
		char why[512];

		memset(s, 0, sizeof(*s));
		s->n = (unsigned)p->n_steps + 1;
		s->sql = pc[i].text;
		pc[i].text = NULL;
		sw_sha256_hex(s->sql, strlen(s->sql), s->sha256);
		if (sw_plan_stmt_digest(b->engine->id, s->sql, strlen(s->sql), s->match, why, sizeof(why)) < 0 ||
		    !(s->analysis = analyse_alone(b, s->sql, why, sizeof(why)))) {
			snprintf(err, errlen, "%s:%u: %s", source, pc[i].line, why);
			free(s->sql);
			rc = -1;
			break;
		}
		s->source = sw_xasprintf("%s:%u", source, pc[i].line);
		p->n_steps++;
	}
	for (long i = 0; i < n; i++)
		free(pc[i].text);
	free(pc);
	return rc;
}

/* ---- file order ---- */

enum file_kind { FK_VERSIONED, FK_REPEATABLE, FK_OTHER, FK_UNDO };

/* Flyway name: V<version>__<description>.sql; version is digits separated by '.' or '_'. */
static enum file_kind file_kind(const char *name, const char **ver, size_t *verlen)
{
	const char *sep;

	*ver = NULL;
	*verlen = 0;
	if (name[0] == 'R' && strncmp(name + 1, "__", 2) == 0)
		return FK_REPEATABLE;
	if ((name[0] != 'V' && name[0] != 'U') || !(sep = strstr(name + 1, "__")) || sep == name + 1)
		return FK_OTHER;
	for (const char *c = name + 1; c < sep; c++)
		if (!((*c >= '0' && *c <= '9') || *c == '.' || *c == '_'))
			return FK_OTHER;
	if (name[1] < '0' || name[1] > '9')
		return FK_OTHER;
	*ver = name + 1;
	*verlen = (size_t)(sep - (name + 1));
	return name[0] == 'V' ? FK_VERSIONED : FK_UNDO;
}

/* Compare versions component by component as numbers of any length ("1.10" after "1.9"). */
static int version_cmp(const char *a, size_t alen, const char *b, size_t blen)
{
	size_t i = 0, j = 0;

	while (i < alen || j < blen) {
		size_t si, sj, ei, ej;
		while (i < alen && a[i] == '0')
			i++;
		while (j < blen && b[j] == '0')
			j++;
		si = i;
		sj = j;
		while (i < alen && a[i] >= '0' && a[i] <= '9')
			i++;
		while (j < blen && b[j] >= '0' && b[j] <= '9')
			j++;
		ei = i - si;
		ej = j - sj;
		if (ei != ej)
			return ei < ej ? -1 : 1;
		if (ei && memcmp(a + si, b + sj, ei) != 0)
			return memcmp(a + si, b + sj, ei);
		if (i < alen)
			i++;   /* the separator */
		if (j < blen)
			j++;
	}
	return 0;
}

int sw_plan_file_order(const char *a, const char *b)
{
	const char *va, *vb;
	size_t la, lb;
	enum file_kind ka = file_kind(a, &va, &la), kb = file_kind(b, &vb, &lb);

	if (ka != kb)
		return ka < kb ? -1 : 1;
	if (ka == FK_VERSIONED || ka == FK_UNDO) {
		int c = version_cmp(va, la, vb, lb);
		if (c)
			return c;
	}
	return strverscmp(a, b);
}

static int name_cmp(const void *x, const void *y)
{
	return sw_plan_file_order(*(char *const *)x, *(char *const *)y);
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n >= m && strcmp(s + n - m, suffix) == 0;
}

static int add_file(struct sw_plan *p, const struct sw_plan_build *b, const char *path, char *err, size_t errlen)
{
	bool is_stdin = strcmp(path, "-") == 0;
	FILE *f = is_stdin ? stdin : fopen(path, "r");
	char *sql;
	int rc;

	if (!f) {
		snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
		return -1;
	}
	sql = read_stream(f, is_stdin ? "<stdin>" : path, err, errlen);
	if (!is_stdin)
		fclose(f);
	if (!sql)
		return -1;
	rc = sw_plan_add_sql(p, b, is_stdin ? "<stdin>" : path, sql, err, errlen);
	free(sql);
	return rc;
}

int sw_plan_add_path(struct sw_plan *p, const struct sw_plan_build *b, const char *path, struct sw_strv *skipped,
		     char *err, size_t errlen)
{
	struct stat sb;
	struct sw_strv names = { 0 };
	struct dirent *de;
	DIR *d;
	int rc = 0;

	if (strcmp(path, "-") == 0 || (stat(path, &sb) == 0 && !S_ISDIR(sb.st_mode)))
		return add_file(p, b, path, err, errlen);
	if (!(d = opendir(path))) {
		snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
		return -1;
	}
	while ((de = readdir(d)))
		if (de->d_name[0] != '.' && ends_with(de->d_name, ".sql"))
			sw_strv_push(&names, de->d_name);
	closedir(d);
	if (names.n == 0) {
		snprintf(err, errlen, "%s holds no *.sql files", path);
		sw_strv_free(&names);
		return -1;
	}
	qsort(names.v, names.n, sizeof(*names.v), name_cmp);
	for (size_t i = 0; i < names.n && rc == 0; i++) {
		const char *ver;
		size_t vl;
		char *full = sw_xasprintf("%s%s%s", path, ends_with(path, "/") ? "" : "/", names.v[i]);
		if (file_kind(names.v[i], &ver, &vl) == FK_UNDO) {
			if (skipped) {
				char *note = sw_xasprintf("%s (a Flyway undo migration is not part of the forward plan; "
							  "build a plan of its own to run it)", full);
				sw_strv_push(skipped, note);
				free(note);
			}
		} else {
			rc = add_file(p, b, full, err, errlen);
		}
		free(full);
	}
	sw_strv_free(&names);
	return rc;
}

/* ---- the plan ---- */

struct sw_plan *sw_plan_new(const struct sw_plan_build *b)
{
	struct sw_plan *p = sw_xcalloc(1, sizeof(*p));

	p->engine = b->engine->id;
	sw_strv_copy(&p->roles, &b->roles);
	p->database = b->database ? sw_xstrdup(b->database) : NULL;
	p->created = b->created;
	p->valid_from = b->valid_from;
	p->valid_until = b->valid_until;
	p->max_runs = b->max_runs;
	p->title = sw_xstrdup(b->title ? b->title : "");
	p->author = sw_xstrdup(b->author ? b->author : "");
	p->intent = b->intent ? json_deep_copy(b->intent) : json_object();
	p->validation = b->validation ? json_deep_copy(b->validation) : NULL;
	return p;
}

int sw_plan_finish(struct sw_plan *p, char *err, size_t errlen)
{
	json_t *j;
	struct sw_plan *check;
	int rc;

	if (p->n_steps == 0) {
		snprintf(err, errlen, "the input holds no statements; a plan needs at least one");
		return -1;
	}
	if (p->roles.n == 0) {
		snprintf(err, errlen, "a plan needs the roles it runs as (--role)");
		return -1;
	}
	for (size_t i = 0; i < p->roles.n; i++) {
		struct sw_role_pattern rp;
		char why[256];
		if (!sw_role_pattern_parse(p->roles.v[i], &rp, why, sizeof(why))) {
			snprintf(err, errlen, "--role %s: %s", p->roles.v[i], why);
			return -1;
		}
	}
	sw_plan_seal(p);
	/* What is written must read back: the same checks every reader applies. */
	j = sw_plan_to_json(p);
	rc = sw_plan_from_json(j, &check, err, errlen);
	json_decref(j);
	sw_plan_free(check);
	return rc;
}
