/*
 * Policy loading: libyaml document API -> struct sw_policy, validated
 * completely before use. Every error names FILE:LINE:COLUMN (1-based, from
 * the libyaml mark of the offending node) and says what to do about it.
 * The format is documented in policies/README.md and policies/default.yaml.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <fnmatch.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <openssl/evp.h>
#include <yaml.h>
#include <libpq-fe.h>
#include "impact.h"
#include "live_facts.h"
#include "lock_mode.h"
#include "policy_internal.h"
#include "my_live.h"
#include "util.h"

#define POLICY_FILE_MAX (1024 * 1024)   /* a policy larger than this is a mistake */
#define NOT_DEPTH_MAX   4               /* nested `not:` levels */
#define GLOB_MAX        256             /* bytes in one glob */

struct ld {
	const char *name;
	const char *buf;
	size_t len;
	char *err;
	size_t errlen;
	yaml_document_t *doc;
};

typedef yaml_node_t node_t;

static int fail_at(struct ld *l, unsigned long line, unsigned long col, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int fail_at(struct ld *l, unsigned long line, unsigned long col, const char *fmt, ...)
{
	char msg[768];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (l->err && l->errlen)
		snprintf(l->err, l->errlen, "%s:%lu:%lu: %s", l->name, line, col, msg);
	return -1;
}

#define FAIL(l, node, ...) \
	fail_at((l), (unsigned long)(node)->start_mark.line + 1, \
		(unsigned long)(node)->start_mark.column + 1, __VA_ARGS__)

static node_t *node(struct ld *l, yaml_node_item_t id)
{
	return yaml_document_get_node(l->doc, id);
}

static const char *scalar(const node_t *n)
{
	return (const char *)n->data.scalar.value;
}

static bool is_null_scalar(const node_t *n)
{
	const char *v = scalar(n);
	return n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
	       (!*v || strcmp(v, "~") == 0 || strcmp(v, "null") == 0 ||
		strcmp(v, "Null") == 0 || strcmp(v, "NULL") == 0);
}

static const char *type_name(const node_t *n)
{
	switch (n->type) {
	case YAML_SCALAR_NODE:
		return is_null_scalar(n) ? "nothing" : "a single value";
	case YAML_SEQUENCE_NODE:
		return "a list";
	case YAML_MAPPING_NODE:
		return "a mapping";
	default:
		return "nothing";
	}
}

/* A non-empty scalar string without NUL bytes. */
static int want_str(struct ld *l, const node_t *n, const char *what, const char **out)
{
	if (n->type != YAML_SCALAR_NODE)
		return FAIL(l, n, "%s must be a single value, not %s; write it as "
			    "`key: value`", what, type_name(n));
	if (is_null_scalar(n))
		return FAIL(l, n, "%s has no value; give it a value or remove the key", what);
	if (strlen(scalar(n)) != n->data.scalar.length)
		return FAIL(l, n, "%s contains a NUL byte; remove it", what);
	*out = scalar(n);
	return 0;
}

/* A non-negative decimal integer written as a plain scalar. */
static int want_uint(struct ld *l, const node_t *n, const char *what, unsigned long max,
		     unsigned long *out)
{
	const char *v;
	char *end;

	if (n->type != YAML_SCALAR_NODE || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE ||
	    is_null_scalar(n))
		return FAIL(l, n, "%s must be a whole number (unquoted), not %s; write "
			    "e.g. `%s: 1`", what, n->type == YAML_SCALAR_NODE && !is_null_scalar(n) ?
			    "a quoted string" : type_name(n), what);
	v = scalar(n);
	if (!isdigit((unsigned char)v[0]))
		return FAIL(l, n, "%s must be a whole number, not \"%s\"; write e.g. "
			    "`%s: 1`", what, v, what);
	errno = 0;
	unsigned long x = strtoul(v, &end, 10);
	if (*end || errno || x > max)
		return FAIL(l, n, "%s must be a whole number from 0 to %lu, not \"%s\"; "
			    "use a smaller number", what, max, v);
	*out = x;
	return 0;
}

/*
 * A string or a non-empty list of strings. check (may be NULL) validates
 * each item and returns 0 or an error already written.
 */
typedef int (*item_check)(struct ld *l, const node_t *item, const char *v, void *arg);

static int want_str_list(struct ld *l, const node_t *n, const char *what,
			 item_check check, void *arg, struct sw_strv *out)
{
	const char *v;

	if (n->type == YAML_SCALAR_NODE) {
		if (want_str(l, n, what, &v) < 0)
			return -1;
		if (check && check(l, n, v, arg) < 0)
			return -1;
		sw_strv_push_unique(out, v);
		return 0;
	}
	if (n->type != YAML_SEQUENCE_NODE)
		return FAIL(l, n, "%s must be a value or a list of values, not %s; write "
			    "`%s: x` or `%s: [x, y]`", what, type_name(n), what, what);
	if (n->data.sequence.items.start == n->data.sequence.items.top)
		return FAIL(l, n, "%s is an empty list; list at least one value or "
			    "remove the key", what);
	for (yaml_node_item_t *it = n->data.sequence.items.start;
	     it < n->data.sequence.items.top; it++) {
		const node_t *item = node(l, *it);
		if (item->type != YAML_SCALAR_NODE)
			return FAIL(l, item, "each item of %s must be a single value, not %s; "
				    "flatten the list", what, type_name(item));
		if (want_str(l, item, what, &v) < 0)
			return -1;
		if (check && check(l, item, v, arg) < 0)
			return -1;
		sw_strv_push_unique(out, v);
	}
	return 0;
}

/*
 * Walk a mapping: keys must be plain strings, each in `valid` (a
 * NULL-terminated list), none repeated. Values are stored in vals[] at the
 * key's index (NULL when absent); keys[] receives the key nodes.
 */
static int want_mapping(struct ld *l, const node_t *n, const char *what,
			const char *const *valid, const char *valid_text,
			const node_t **keys, const node_t **vals)
{
	size_t nvalid = 0;

	while (valid[nvalid])
		nvalid++;
	for (size_t i = 0; i < nvalid; i++)
		keys[i] = vals[i] = NULL;
	if (n->type != YAML_MAPPING_NODE)
		return FAIL(l, n, "%s must be a mapping, not %s; write its `key: value` "
			    "lines indented under it (or `{ key: value }`)", what, type_name(n));
	for (yaml_node_pair_t *p = n->data.mapping.pairs.start;
	     p < n->data.mapping.pairs.top; p++) {
		const node_t *k = node(l, p->key), *v = node(l, p->value);
		size_t i;
		if (k->type != YAML_SCALAR_NODE)
			return FAIL(l, k, "a key in %s is %s; keys must be plain names",
				    what, type_name(k));
		for (i = 0; i < nvalid; i++)
			if (strcmp(scalar(k), valid[i]) == 0)
				break;
		if (i == nvalid)
			return FAIL(l, k, "unknown %s key \"%s\"; valid keys are %s",
				    what, scalar(k), valid_text);
		if (keys[i])
			return FAIL(l, k, "duplicate key \"%s\" in %s (first at line %lu); "
				    "give each key once", scalar(k), what,
				    (unsigned long)keys[i]->start_mark.line + 1);
		keys[i] = k;
		vals[i] = v;
	}
	return 0;
}

static bool is_empty_mapping(const node_t *n)
{
	return n->type == YAML_MAPPING_NODE &&
	       n->data.mapping.pairs.start == n->data.mapping.pairs.top;
}

/* ---- match ---- */

enum {
	MK_ROLE, MK_DATABASE, MK_CLASS, MK_COMMAND, MK_RELATION, MK_RELATION_OUTSIDE,
	MK_FUNCTION, MK_COLUMN, MK_SETTING, MK_TRAIT, MK_LOCK, MK_REWRITE, MK_SCAN, MK_REVERSIBILITY,
	MK_EST_ROWS, MK_TABLE_SIZE, MK_TABLE_ROWS, MK_NULL_ROWS, MK_BLOCKED, MK_WHEN_UNKNOWN,
	MK_NOT, MK_ENGINE, MK_APPLICATION, MK_CLIENT_EXE, MK_TENANT, MK_LIMIT_OVER, MK_RECURSIVE_UNBOUNDED,
	MK_EST_COST, MK_RANGE, MK__COUNT
};
static const char *const match_keys[] = {
	"role", "database", "class", "command", "relation", "relation_outside",
	"function", "column", "setting", "trait", "lock", "rewrite", "scan", "reversibility",
	"est_rows", "table_size", "table_rows", "null_rows", "blocked_by_xact_older_than",
	"when_unknown", "not", "engine", "application", "client_exe", "tenant", "limit_over",
	"recursive_unbounded", "est_cost", "range", NULL
};
static const char match_keys_text[] =
	"engine, role, database, class, command, relation, relation_outside, function, column, setting, "
	"trait, lock, rewrite, scan, reversibility, est_rows, table_size, table_rows, null_rows, "
	"blocked_by_xact_older_than, application, client_exe, tenant, limit_over, recursive_unbounded, "
	"est_cost, range, when_unknown, not";

/* `engine:` postgres | mysql (mariadb is the same engine). */
static int check_engine(struct ld *l, const node_t *item, const char *v, void *arg)
{
	unsigned *mask = arg;
	if (strcmp(v, "postgres") == 0 || strcmp(v, "postgresql") == 0)
		*mask |= 1u << SW_ENGINE_POSTGRES;
	else if (strcmp(v, "mysql") == 0 || strcmp(v, "mariadb") == 0)
		*mask |= 1u << SW_ENGINE_MYSQL;
	else
		return FAIL(l, item, "engine \"%s\" is not one sqlward gates; write postgres or mysql (mariadb "
			    "is accepted for mysql)", v);
	return 0;
}

static int check_glob(struct ld *l, const node_t *item, const char *v, void *arg)
{
	const char *what = arg;
	if (strlen(v) > GLOB_MAX)
		return FAIL(l, item, "%s pattern is longer than %d bytes; shorten it",
			    what, GLOB_MAX);
	return 0;
}

static int check_class(struct ld *l, const node_t *item, const char *v, void *arg)
{
	unsigned *mask = arg;
	enum sw_class c;
	if (!sw_class_parse(v, &c)) {
		char names[256] = "";
		for (unsigned i = 0; i < SW_CLASS__COUNT; i++) {
			strcat(names, i ? ", " : "");
			strcat(names, sw_class_name((enum sw_class)i));
		}
		return FAIL(l, item, "unknown class \"%s\"; valid classes are %s", v, names);
	}
	*mask |= 1u << c;
	return 0;
}

static int check_trait(struct ld *l, const node_t *item, const char *v, void *arg)
{
	unsigned *mask = arg;
	unsigned bit = sw_trait_parse(v);
	if (!bit) {
		char names[512] = "";
		for (unsigned i = 0; i < SW_TRAIT__COUNT; i++) {
			strcat(names, i ? ", " : "");
			strcat(names, sw_trait_name(i));
		}
		return FAIL(l, item, "unknown trait \"%s\"; valid traits are %s", v, names);
	}
	*mask |= bit;
	return 0;
}

static int parse_duration_max(struct ld *l, const node_t *n, const char *what, unsigned long max_s,
			      const char *range_text, unsigned *out);

static int check_rev(struct ld *l, const node_t *item, const char *v, void *arg)
{
	unsigned *mask = arg;
	enum sw_reversibility r;
	if (!sw_reversibility_parse(v, &r))
		return FAIL(l, item, "unknown reversibility \"%s\"; valid values are none_needed, "
			    "reversible, backup_only, unknown", v);
	*mask |= 1u << r;
	return 0;
}

/* true/false (YAML 1.1 spellings too), as a plain scalar. */
static int parse_bool(struct ld *l, const node_t *n, const char *what, signed char *out)
{
	static const char *const t[] = { "true", "True", "TRUE", "yes", "Yes", "on", NULL };
	static const char *const f[] = { "false", "False", "FALSE", "no", "No", "off", NULL };
	const char *v;
	if (want_str(l, n, what, &v) < 0)
		return -1;
	for (int i = 0; t[i]; i++)
		if (strcmp(v, t[i]) == 0) {
			*out = 1;
			return 0;
		}
	for (int i = 0; f[i]; i++)
		if (strcmp(v, f[i]) == 0) {
			*out = 0;
			return 0;
		}
	return FAIL(l, n, "%s must be true or false, not \"%s\"", what, v);
}

static int parse_lock(struct ld *l, const node_t *n, enum sw_lockmode *out)
{
	const char *v;
	char names[200];
	if (want_str(l, n, "lock", &v) < 0)
		return -1;
	*out = sw_lock_parse(v);
	if (*out == SW_LOCK_NONE) {
		sw_lock_name_list(names, sizeof(names));
		return FAIL(l, n, "unknown lock mode \"%s\"; use a pg_locks.mode name: %s", v, names);
	}
	return 0;
}

/*
 * A comparison: ">10000", ">= 1", "<5", "<=5", "=0". With sizes, the number
 * may carry a unit B, kB, MB, GB or TB (1024-based, like pg_size_pretty).
 */
static int parse_cmp(struct ld *l, const node_t *n, const char *what, bool size, struct sw_cmp *out)
{
	const char *v, *p;
	char *end;
	char op;
	double mult = 1;

	if (n->type == YAML_SCALAR_NODE && !is_null_scalar(n) &&
	    strspn(scalar(n), "0123456789") == strlen(scalar(n)))
		return FAIL(l, n, "%s \"%s\" has no comparison; write it quoted with an operator, "
			    "e.g. %s: \">%s\" (>, >=, <, <= or =)", what, scalar(n), what, scalar(n));
	if (want_str(l, n, what, &v) < 0)
		return -1;
	p = v;
	if (p[0] == '>' && p[1] == '=') { op = 'G'; p += 2; }
	else if (p[0] == '<' && p[1] == '=') { op = 'L'; p += 2; }
	else if (*p == '>' || *p == '<' || *p == '=') { op = *p; p++; }
	else
		goto bad;
	while (*p == ' ')
		p++;
	if (!isdigit((unsigned char)*p))
		goto bad;
	errno = 0;
	double x = strtod(p, &end);
	if (errno || x < 0)
		goto bad;
	while (*end == ' ')
		end++;
	if (*end) {
		static const struct { const char *u; double m; } units[] = {
			{ "B", 1 }, { "kB", 1024.0 }, { "KB", 1024.0 }, { "MB", 1048576.0 },
			{ "GB", 1073741824.0 }, { "TB", 1099511627776.0 },
		};
		size_t i;
		if (!size)
			goto bad;
		for (i = 0; i < sizeof(units) / sizeof(units[0]); i++)
			if (strcmp(end, units[i].u) == 0)
				break;
		if (i == sizeof(units) / sizeof(units[0]))
			goto bad;
		mult = units[i].m;
	}
	out->op = op;
	out->v = x * mult;
	return 0;
bad:
	if (size)
		return FAIL(l, n, "bad %s \"%s\"; write an operator and a size, e.g. \">1GB\" "
			    "(operators >, >=, <, <=, =; units B, kB, MB, GB, TB)", what, v);
	return FAIL(l, n, "bad %s \"%s\"; write an operator and a whole number, e.g. \">10000\" "
		    "(operators >, >=, <, <=, =)", what, v);
}

/* A `setting:` glob: a run-time setting name (work_mem, myapp.tenant) or a pattern of one. */
static int check_setting_glob(struct ld *l, const node_t *item, const char *v, void *arg)
{
	(void)arg;
	if (strlen(v) >= SW_MATCH_SETTING_LEN)
		return FAIL(l, item, "setting pattern \"%s\" is longer than %d bytes; setting names are "
			    "shorter, so shorten it", v, SW_MATCH_SETTING_LEN - 1);
	for (const char *c = v; *c; c++)
		if (!isalnum((unsigned char)*c) && !strchr("_.*?[]!^-", *c))
			return FAIL(l, item, "setting pattern \"%s\" contains '%c', which setting names do not "
				    "use; write a name such as work_mem or a glob such as \"myapp.*\"", v, *c);
	return 0;
}

/*
 * `setting:` (policy_internal.h). Every setting the statement changes must
 * match in an allow rule, any one in a deny or hold rule; each `not:` level
 * flips that, so the key always errs towards the stricter verdict.
 */
static int load_setting_globs(struct ld *l, const node_t *n, int depth, bool deny_or_hold,
			      struct sw_match *m)
{
	struct sw_strv globs = { 0 };
	int rc = -1;

	if (want_str_list(l, n, "setting", check_setting_glob, NULL, &globs) < 0)
		goto out;
	if (globs.n > SW_MATCH_SETTINGS_MAX) {
		FAIL(l, n, "setting lists %zu patterns; one match holds at most %d, so use globs "
		     "(\"lc_*\") or split the rule", globs.n, SW_MATCH_SETTINGS_MAX);
		goto out;
	}
	for (size_t i = 0; i < globs.n; i++)
		snprintf(m->setting[i], sizeof(m->setting[i]), "%s", globs.v[i]);
	m->n_setting = (unsigned)globs.n;
	m->setting_every = !deny_or_hold != (depth % 2 == 1);  /* allow rule, even `not:` depth */
	rc = 0;
out:
	sw_strv_free(&globs);
	return rc;
}

/*
 * `column:` globs: one with a '.' is RELATION.COLUMN (the part after the last
 * '.' is the column, the rest a relation: glob), so both parts must be there.
 */
static int check_column_globs(struct ld *l, const node_t *n, const struct sw_strv *globs)
{
	for (size_t i = 0; i < globs->n; i++) {
		const char *g = globs->v[i], *dot = strrchr(g, '.');
		if (dot && (dot == g || !dot[1]))
			return FAIL(l, n, "column pattern \"%s\" has an empty %s part; write a column name glob "
				    "(\"*password*\") or RELATION.COLUMN (\"app.customers.email\", \"*.ssn\")", g,
				    dot == g ? "relation" : "column");
	}
	return 0;
}

/* A column or role name as the classifier reports it: no glob characters, no '.'. */
static bool plain_name(const char *v)
{
	return *v && strlen(v) < 64 && !strpbrk(v, "*?[].");
}

/*
 * tenant: { column: tenant_id, relations: ["app.*"] } and
 * range: { column: created_at, relations: ["app.events"] } (policy_internal.h):
 * a column every scan of those relations must be pinned by (tenant) or
 * bounded by (range).
 */
static int load_scan_bound(struct ld *l, const node_t *n, const char *key, struct sw_strv *relations, char **column)
{
	static const char *const tk[] = { "column", "relations", NULL };
	const node_t *keys[2], *v[2];
	const char *c;
	bool tenant = strcmp(key, "tenant") == 0;

	if (want_mapping(l, n, key, tk, "column, relations", keys, v) < 0)
		return -1;
	if (!v[0] || !v[1])
		return tenant ? FAIL(l, n, "tenant needs `column:` (the tenant key every scan must be constrained by) and "
				     "`relations:` (the relations that hold tenants' rows), e.g. "
				     "`tenant: { column: tenant_id, relations: [\"app.*\"] }`")
			      : FAIL(l, n, "range needs `column:` (the column every scan must bound, e.g. a timestamp) "
				     "and `relations:` (the relations it applies to), e.g. "
				     "`range: { column: created_at, relations: [\"app.events\"] }`");
	if (want_str(l, v[0], tenant ? "tenant column" : "range column", &c) < 0)
		return -1;
	if (!plain_name(c))
		return FAIL(l, v[0], "%s column \"%s\" must be one column name (no glob, no '.', under 64 "
			    "bytes), as the classifier reports it: lower case unless quoted, e.g. %s", key, c,
			    tenant ? "tenant_id" : "created_at");
	if (want_str_list(l, v[1], tenant ? "tenant relations" : "range relations", check_glob,
			  (void *)(tenant ? "tenant relations" : "range relations"), relations) < 0)
		return -1;
	*column = sw_xstrdup(c);
	return 0;
}

static int load_match(struct ld *l, const node_t *n, int depth, bool unknown_matches, struct sw_match **out)
{
	const node_t *keys[MK__COUNT], *v[MK__COUNT];
	struct sw_match *m = sw_xcalloc(1, sizeof(*m));
	struct sw_strv scratch = { 0 };
	const char *what = depth ? "not" : "match";
	int rc = -1;

	*out = m;
	if (want_mapping(l, n, what, match_keys, match_keys_text, keys, v) < 0)
		return -1;
	if (is_empty_mapping(n))
		return FAIL(l, n, "empty %s; name at least one condition (%s); a rule "
			    "that should match everything belongs in `default:`",
			    what, match_keys_text);
	struct { int k; struct sw_strv *dst; } globs[] = {
		{ MK_ROLE, &m->role }, { MK_DATABASE, &m->database },
		{ MK_COMMAND, &m->command }, { MK_RELATION, &m->relation },
		{ MK_RELATION_OUTSIDE, &m->relation_outside },
		{ MK_FUNCTION, &m->function }, { MK_COLUMN, &m->column },
		{ MK_APPLICATION, &m->application }, { MK_CLIENT_EXE, &m->client_exe },
	};
	for (size_t i = 0; i < sizeof(globs) / sizeof(globs[0]); i++) {
		int k = globs[i].k;
		if (v[k] && want_str_list(l, v[k], match_keys[k], check_glob,
					  (void *)match_keys[k], globs[i].dst) < 0)
			goto out;
	}
	if (v[MK_CLASS] && want_str_list(l, v[MK_CLASS], "class", check_class,
					 &m->class_mask, &scratch) < 0)
		goto out;
	if (v[MK_ENGINE] && want_str_list(l, v[MK_ENGINE], "engine", check_engine,
					  &m->engine_mask, &scratch) < 0)
		goto out;
	if (v[MK_TRAIT] && want_str_list(l, v[MK_TRAIT], "trait", check_trait,
					 &m->trait_mask, &scratch) < 0)
		goto out;
	/* unknown_matches is the rule's action default: true for deny and hold rules. */
	if (v[MK_SETTING] && load_setting_globs(l, v[MK_SETTING], depth, unknown_matches, m) < 0)
		goto out;
	if (v[MK_REVERSIBILITY] && want_str_list(l, v[MK_REVERSIBILITY], "reversibility", check_rev,
						 &m->rev_mask, &scratch) < 0)
		goto out;
	if (v[MK_LOCK] && parse_lock(l, v[MK_LOCK], &m->lock_min) < 0)
		goto out;
	m->rewrite = m->scan = -1;
	if (v[MK_REWRITE] && parse_bool(l, v[MK_REWRITE], "rewrite", &m->rewrite) < 0)
		goto out;
	if (v[MK_SCAN] && parse_bool(l, v[MK_SCAN], "scan", &m->scan) < 0)
		goto out;
	if (v[MK_COLUMN] && check_column_globs(l, v[MK_COLUMN], &m->column) < 0)
		goto out;
	m->recursive_unbounded = -1;
	if (v[MK_RECURSIVE_UNBOUNDED] &&
	    parse_bool(l, v[MK_RECURSIVE_UNBOUNDED], "recursive_unbounded", &m->recursive_unbounded) < 0)
		goto out;
	m->limit_over = -1;
	if (v[MK_LIMIT_OVER]) {
		unsigned long x;
		if (want_uint(l, v[MK_LIMIT_OVER], "limit_over", 1000000000000ul, &x) < 0)
			goto out;
		m->limit_over = (long long)x;
	}
	if (v[MK_TENANT] && load_scan_bound(l, v[MK_TENANT], "tenant", &m->tenant_relations, &m->tenant_column) < 0)
		goto out;
	if (v[MK_RANGE] && load_scan_bound(l, v[MK_RANGE], "range", &m->range_relations, &m->range_column) < 0)
		goto out;
	struct { int k; bool size; struct sw_cmp *dst; } cmps[] = {
		{ MK_EST_COST, false, &m->est_cost },
		{ MK_EST_ROWS, false, &m->est_rows }, { MK_TABLE_SIZE, true, &m->table_size },
		{ MK_TABLE_ROWS, false, &m->table_rows }, { MK_NULL_ROWS, false, &m->null_rows },
	};
	for (size_t i = 0; i < sizeof(cmps) / sizeof(cmps[0]); i++)
		if (v[cmps[i].k] && parse_cmp(l, v[cmps[i].k], match_keys[cmps[i].k], cmps[i].size,
					      cmps[i].dst) < 0)
			goto out;
	m->blocked_older_s = -1;
	if (v[MK_BLOCKED]) {
		unsigned secs;
		if (parse_duration_max(l, v[MK_BLOCKED], "blocked_by_xact_older_than", 7 * 24 * 3600,
				       "write 1s to 168h", &secs) < 0)
			goto out;
		m->blocked_older_s = secs;
	}
	m->uses_live = m->est_rows.op || m->table_size.op || m->table_rows.op || m->null_rows.op ||
		       m->blocked_older_s >= 0 || m->est_cost.op;
	m->may_be_unknown = m->uses_live || m->column.n || m->application.n || m->client_exe.n ||
			    m->tenant_column || m->range_column || m->limit_over >= 0 || m->recursive_unbounded >= 0;
	m->unknown_matches = unknown_matches;
	if (depth && m->uses_live) {
		for (int k = 0; k < MK__COUNT; k++)
			if (keys[k] && (k == MK_EST_COST || (k >= MK_EST_ROWS && k <= MK_BLOCKED))) {
				FAIL(l, keys[k], "`%s` cannot be used under `not:` (an unknown live fact has no "
				     "safe negation); write the comparison the other way round instead, "
				     "e.g. \"<=10000\" for not \">10000\"", match_keys[k]);
				goto out;
			}
	}
	if (v[MK_NOT]) {
		if (depth + 1 > NOT_DEPTH_MAX) {
			FAIL(l, v[MK_NOT], "`not:` nested more than %d deep; simplify the "
			     "rule", NOT_DEPTH_MAX);
			goto out;
		}
		if (load_match(l, v[MK_NOT], depth + 1, unknown_matches, &m->not) < 0)
			goto out;
		m->may_be_unknown |= m->not->may_be_unknown;
	}
	if (v[MK_WHEN_UNKNOWN]) {
		const char *w;
		if (depth) {
			FAIL(l, keys[MK_WHEN_UNKNOWN], "when_unknown applies to the whole rule; move it out of "
			     "`not:` into the rule's top-level match");
			goto out;
		}
		if (!m->may_be_unknown) {
			FAIL(l, keys[MK_WHEN_UNKNOWN], "when_unknown only applies to keys whose fact can be "
			     "unknown (est_rows, est_cost, table_size, table_rows, null_rows, "
			     "blocked_by_xact_older_than, column, tenant, range, limit_over, recursive_unbounded, "
			     "application, client_exe); remove it or add one of them");
			goto out;
		}
		if (want_str(l, v[MK_WHEN_UNKNOWN], "when_unknown", &w) < 0)
			goto out;
		if (strcmp(w, "match") != 0 && strcmp(w, "ignore") != 0) {
			FAIL(l, v[MK_WHEN_UNKNOWN], "when_unknown must be match or ignore, not \"%s\"", w);
			goto out;
		}
		m->unknown_matches = strcmp(w, "match") == 0;
	}
	m->uses_database = m->database.n > 0 || (m->not && m->not->uses_database);
	rc = 0;
out:
	sw_strv_free(&scratch);
	return rc;
}

/* ---- rules ---- */

/* Could this match's class and command accept a read (a SELECT)? est_rows on writes only needs no read EXPLAIN. */
static bool may_apply_to_reads(const struct sw_match *m)
{
	bool cmd = !m->command.n;
	for (size_t i = 0; i < m->command.n && !cmd; i++)
		cmd = fnmatch(m->command.v[i], "SELECT", FNM_CASEFOLD) == 0;
	return cmd && (!m->class_mask || (m->class_mask & (1u << SW_CLASS_READ)));
}

/* What live context and literals a rule's match reads (struct sw_policy). */
static void note_live_wants(const struct sw_match *m, struct sw_policy *p)
{
	for (; m; m = m->not) {
		if (m->column.n)
			p->live_wants |= SW_LIVE_WANT_COLUMNS;
		if (m->est_cost.op || (m->est_rows.op && may_apply_to_reads(m)))
			p->live_wants |= SW_LIVE_WANT_READ_EST;
		/* LIMIT 10 and LIMIT 10000 have one shape: a verdict on the bound is per text. */
		if (m->limit_over >= 0)
			p->literal_sensitive_always = true;
	}
}

unsigned sw_policy_live_wants(const struct sw_policy *p)
{
	return p->live_wants;
}

enum {
	RK_ID, RK_DESCRIPTION, RK_MATCH, RK_ACTION, RK_REASON, RK_TIMEOUT,
	RK_APPROVERS, RK_APPROVALS_REQUIRED, RK_NOTIFY, RK_APPROVERS_DISTINCT_FROM, RK_PLAN, RK_BUDGET, RK__COUNT
};
static const char *const rule_keys[] = {
	"id", "description", "match", "action", "reason", "timeout",
	"approvers", "approvals_required", "notify", "approvers_distinct_from", "plan", "budget", NULL
};
static const char rule_keys_text[] =
	"id, description, match, action, reason, timeout, approvers, approvals_required, notify, "
	"approvers_distinct_from, plan, budget";

const char *sw_distinct_from_name(enum sw_distinct_from d)
{
	return d == SW_DISTINCT_FROM_CHAIN ? "chain" : "requester";
}

/* approvers_distinct_from: requester | chain (see enum sw_distinct_from). */
static int parse_distinct_from(struct ld *l, const node_t *n, enum sw_distinct_from *out)
{
	const char *v;

	if (want_str(l, n, "approvers_distinct_from", &v) < 0)
		return -1;
	if (strcmp(v, "requester") == 0)
		*out = SW_DISTINCT_FROM_REQUESTER;
	else if (strcmp(v, "chain") == 0)
		*out = SW_DISTINCT_FROM_CHAIN;
	else
		return FAIL(l, n, "unknown approvers_distinct_from \"%s\"; use requester (the OS user whose "
			    "client sent the statement may not approve it) or chain (nobody whose process the "
			    "connection passed through may)", v);
	return 0;
}

#define SECRET_MAX 4096   /* bytes in a webhook secret file */

/*
 * notify.secret_file: the HMAC-SHA256 key webhook POSTs are signed with. An
 * absolute path to a regular file that other users cannot read or write
 * (anyone who reads it can forge notifications); trailing white space is cut.
 */
static int load_secret(struct ld *l, const node_t *n, struct sw_rule *r)
{
	const char *path;
	char buf[SECRET_MAX + 1];
	struct stat st;
	ssize_t got;
	size_t len;
	int fd;

	if (want_str(l, n, "secret_file", &path) < 0)
		return -1;
	if (path[0] != '/')
		return FAIL(l, n, "secret_file \"%s\" is not an absolute path; write the full path, e.g. "
			    "/etc/sqlward/webhook.secret", path);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return FAIL(l, n, "cannot open secret_file %s: %s; create it (e.g. `head -c 32 /dev/urandom | "
			    "base64 > %s; chmod 600 %s`) readable by the user that runs sqlward", path,
			    strerror(errno), path, path);
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return FAIL(l, n, "secret_file %s is not a regular file; point it at a file holding the secret", path);
	}
	if (st.st_mode & (S_IROTH | S_IWOTH)) {
		close(fd);
		return FAIL(l, n, "secret_file %s is %s by every user (mode %04o), so anyone could sign forged "
			    "notifications; run `chmod o-rw %s` (0600 or 0640, owned by root)", path,
			    st.st_mode & S_IROTH ? "readable" : "writable", (unsigned)(st.st_mode & 07777), path);
	}
	got = read(fd, buf, sizeof(buf));
	close(fd);
	if (got < 0)
		return FAIL(l, n, "cannot read secret_file %s: %s", path, strerror(errno));
	if (got > SECRET_MAX) {
		explicit_bzero(buf, sizeof(buf));
		return FAIL(l, n, "secret_file %s is longer than %d bytes; a secret of 32 random bytes is enough",
			    path, SECRET_MAX);
	}
	len = (size_t)got;
	while (len && isspace((unsigned char)buf[len - 1]))
		len--;
	buf[len] = 0;
	if (len == 0 || strlen(buf) != len) {
		explicit_bzero(buf, sizeof(buf));
		return FAIL(l, n, "secret_file %s is %s; put the secret in it as text (e.g. base64 of 32 random "
			    "bytes)", path, len ? "binary (it holds a NUL byte)" : "empty");
	}
	r->webhook_secret_file = sw_xstrdup(path);
	r->webhook_secret = sw_xstrdup(buf);
	explicit_bzero(buf, sizeof(buf));
	return 0;
}

/* notify: { webhook: "https://...", secret_file: PATH } — hold events are POSTed there, signed. */
static int load_notify(struct ld *l, const node_t *n, struct sw_rule *r)
{
	static const char *const nk[] = { "webhook", "secret_file", NULL };
	const node_t *keys[2], *v[2];
	const char *s;

	if (want_mapping(l, n, "notify", nk, "webhook, secret_file", keys, v) < 0)
		return -1;
	if (!v[0])
		return FAIL(l, n, "notify needs `webhook: URL`; or remove `notify:`");
	if (want_str(l, v[0], "webhook", &s) < 0)
		return -1;
	if (strncmp(s, "http://", 7) != 0 && strncmp(s, "https://", 8) != 0)
		return FAIL(l, v[0], "webhook \"%s\" is not an http:// or https:// URL", s);
	r->webhook = sw_xstrdup(s);
	return v[1] ? load_secret(l, v[1], r) : 0;
}

static int parse_verdict(struct ld *l, const node_t *n, const char *what, enum sw_verdict *out)
{
	const char *v;
	if (want_str(l, n, what, &v) < 0)
		return -1;
	if (!sw_verdict_parse(v, out))
		return FAIL(l, n, "unknown %s \"%s\"; use allow, deny or hold", what, v);
	return 0;
}

/* "90s", "15m", "2h": a whole number and one unit, 1s .. max_s. range_text
 * ends the out-of-range message ("a hold lasts from 1s to 24h"). */
static int parse_duration_max(struct ld *l, const node_t *n, const char *what, unsigned long max_s,
			      const char *range_text, unsigned *out)
{
	const char *v;
	char *end;
	unsigned long mult;

	if (n->type == YAML_SCALAR_NODE && !is_null_scalar(n) &&
	    strspn(scalar(n), "0123456789") == strlen(scalar(n)))
		return FAIL(l, n, "%s \"%s\" has no unit; write a number with s, m or h, "
			    "e.g. %s", what, scalar(n), max_s > 60 ? "15m" : "30s");
	if (want_str(l, n, what, &v) < 0)
		return -1;
	if (!isdigit((unsigned char)v[0]))
		goto bad;
	errno = 0;
	unsigned long x = strtoul(v, &end, 10);
	if (errno || end[0] == '\0' || end[1] != '\0')
		goto bad;
	switch (end[0]) {
	case 's': mult = 1; break;
	case 'm': mult = 60; break;
	case 'h': mult = 3600; break;
	default: goto bad;
	}
	if (x == 0 || x > max_s / mult)
		return FAIL(l, n, "%s \"%s\" is out of range; %s", what, v, range_text);
	*out = (unsigned)(x * mult);
	return 0;
bad:
	return FAIL(l, n, "bad %s \"%s\"; write a whole number with s, m or h, "
		    "e.g. 90s, 15m or 2h (at most %luh)", what, v, max_s / 3600);
}

static int parse_duration(struct ld *l, const node_t *n, unsigned *out)
{
	return parse_duration_max(l, n, "timeout", SW_HOLD_TIMEOUT_MAX_S, "a hold lasts from 1s to 24h", out);
}

static int check_rule_id(struct ld *l, const node_t *n, const char *id)
{
	size_t len = strlen(id);
	bool ok = len > 0 && len <= SW_RULE_ID_MAX &&
		  (islower((unsigned char)id[0]) || isdigit((unsigned char)id[0]));
	for (size_t i = 1; ok && i < len; i++) {
		unsigned char c = (unsigned char)id[i];
		ok = islower(c) || isdigit(c) || c == '.' || c == '_' || c == '-';
	}
	if (!ok)
		return FAIL(l, n, "bad rule id \"%s\"; ids start with a lower-case letter or "
			    "digit and use only a-z, 0-9, '.', '_' and '-' (at most %d bytes)",
			    id, SW_RULE_ID_MAX);
	if (sw_rule_id_reserved(id))
		return FAIL(l, n, "rule id \"%s\" is reserved by sqlward (default, ungoverned "
			    "and empty are recorded by the engine itself); choose another id", id);
	return 0;
}

/* An OS user or "group:NAME"; arg: what the list is called (NULL: approvers). */
static int check_approver(struct ld *l, const node_t *item, const char *v, void *arg)
{
	const char *what = arg ? arg : "approver";
	const char *name = strncmp(v, "group:", 6) == 0 ? v + 6 : v;
	bool ok = *name && strlen(name) <= 256;
	for (const char *c = name; ok && *c; c++)
		ok = isalnum((unsigned char)*c) || strchr("_.-$@", *c);
	if (!ok)
		return FAIL(l, item, "bad %s \"%s\"; write an OS user name (\"alice\") or "
			    "\"group:NAME\" for every member of a group", what, v);
	return 0;
}

static int load_rule(struct ld *l, const node_t *n, struct sw_policy *p, struct sw_rule *r)
{
	const node_t *keys[RK__COUNT], *v[RK__COUNT];
	const char *s;

	r->line = (unsigned)n->start_mark.line + 1;
	r->column = (unsigned)n->start_mark.column + 1;
	if (want_mapping(l, n, "rule", rule_keys, rule_keys_text, keys, v) < 0)
		return -1;
	if (!v[RK_ID])
		return FAIL(l, n, "rule has no id; add `id: some-name` (unique, lower-case) "
			    "so the ledger can say which rule decided");
	if (want_str(l, v[RK_ID], "id", &s) < 0 || check_rule_id(l, v[RK_ID], s) < 0)
		return -1;
	for (size_t i = 0; i < (size_t)(r - p->rules); i++)
		if (strcmp(p->rules[i].id, s) == 0)
			return FAIL(l, v[RK_ID], "duplicate rule id \"%s\" (first used at line %u); "
				    "rule ids must be unique", s, p->rules[i].line);
	r->id = sw_xstrdup(s);
	if (v[RK_DESCRIPTION]) {
		if (want_str(l, v[RK_DESCRIPTION], "description", &s) < 0)
			return -1;
		r->description = sw_xstrdup(s);
	}
	if (v[RK_REASON]) {
		if (want_str(l, v[RK_REASON], "reason", &s) < 0)
			return -1;
		r->reason = sw_xstrdup(s);
	}
	if (!v[RK_ACTION])
		return FAIL(l, n, "rule \"%s\" has no action; add `action: allow`, "
			    "`action: deny` or `action: hold`", r->id);
	if (parse_verdict(l, v[RK_ACTION], "action", &r->action) < 0)
		return -1;
	if (!v[RK_MATCH])
		return FAIL(l, n, "rule \"%s\" has no match; add a `match:` mapping (a rule "
			    "for every statement belongs in `default:`)", r->id);
	if (load_match(l, v[RK_MATCH], 0, r->action != SW_VERDICT_ALLOW, &r->match) < 0)
		return -1;
	/* Row estimates and sizes depend on literal values: no shape caching (policy.h). */
	if (r->match->uses_live)
		p->literal_sensitive = true;
	note_live_wants(r->match, p);
	if (v[RK_BUDGET]) {
		unsigned secs;
		if (r->action != SW_VERDICT_ALLOW)
			return FAIL(l, keys[RK_BUDGET], "`budget:` only applies to allow rules (how long a statement "
				    "the rule allows may run) and rule \"%s\" is %s; remove it", r->id,
				    sw_verdict_name(r->action));
		if (parse_duration_max(l, v[RK_BUDGET], "budget", 24 * 3600, "a budget is 1s to 24h", &secs) < 0)
			return -1;
		r->budget_ms = secs * 1000u;
	}
	if (v[RK_PLAN]) {
		if (want_str(l, v[RK_PLAN], "plan", &s) < 0)
			return -1;
		if (r->action == SW_VERDICT_ALLOW)
			return FAIL(l, keys[RK_PLAN], "`plan:` only applies to deny and hold rules (what an approved "
				    "plan may authorise) and rule \"%s\" allows; remove it", r->id);
		if (strcmp(s, "allow") == 0)
			r->plan = SW_RULE_PLAN_ALLOW;
		else if (strcmp(s, "never") == 0)
			r->plan = SW_RULE_PLAN_NEVER;
		else
			return FAIL(l, v[RK_PLAN], "unknown plan \"%s\"; write `plan: allow` (an approved plan may "
				    "authorise what this rule matches) or `plan: never` (no plan may)", s);
	}

	bool hold = r->action == SW_VERDICT_HOLD;
	static const int hold_only[] = { RK_TIMEOUT, RK_APPROVERS, RK_APPROVALS_REQUIRED, RK_NOTIFY,
					 RK_APPROVERS_DISTINCT_FROM };
	for (size_t i = 0; i < sizeof(hold_only) / sizeof(hold_only[0]); i++)
		if (!hold && keys[hold_only[i]])
			return FAIL(l, keys[hold_only[i]], "`%s` only applies to hold rules and "
				    "rule \"%s\" is %s; remove it or use `action: hold`",
				    rule_keys[hold_only[i]], r->id, sw_verdict_name(r->action));
	if (!hold)
		return 0;
	r->timeout_s = SW_HOLD_TIMEOUT_DEFAULT_S;
	if (v[RK_TIMEOUT] && parse_duration(l, v[RK_TIMEOUT], &r->timeout_s) < 0)
		return -1;
	if (v[RK_NOTIFY] && load_notify(l, v[RK_NOTIFY], r) < 0)
		return -1;
	if (v[RK_APPROVERS] && want_str_list(l, v[RK_APPROVERS], "approvers", check_approver,
					     NULL, &r->approvers) < 0)
		return -1;
	r->approvals_required = 1;
	if (v[RK_APPROVALS_REQUIRED]) {
		unsigned long x;
		if (want_uint(l, v[RK_APPROVALS_REQUIRED], "approvals_required", 100, &x) < 0)
			return -1;
		if (x < 1)
			return FAIL(l, v[RK_APPROVALS_REQUIRED], "approvals_required must be at "
				    "least 1; remove it for the default of 1");
		/* Only users listed and no group: more approvals than people can never happen. */
		bool groups = false;
		for (size_t i = 0; i < r->approvers.n; i++)
			groups |= strncmp(r->approvers.v[i], "group:", 6) == 0;
		if (r->approvers.n && !groups && x > r->approvers.n)
			return FAIL(l, v[RK_APPROVALS_REQUIRED], "approvals_required is %lu but "
				    "only %zu approver(s) are listed, so the hold could never be "
				    "approved; lower it or list more approvers", x, r->approvers.n);
		r->approvals_required = (unsigned)x;
	}
	if (v[RK_APPROVERS_DISTINCT_FROM] &&
	    parse_distinct_from(l, v[RK_APPROVERS_DISTINCT_FROM], &r->approvers_distinct_from) < 0)
		return -1;
	return 0;
}

/* ---- top level ---- */

enum { TK_VERSION, TK_DESCRIPTION, TK_GOVERN, TK_DEFAULT, TK_RULES, TK_FREEZE, TK_LIVE, TK_ACCESS, TK_TRUSTED,
       TK_PLANS, TK__COUNT };
static const char *const top_keys[] = {
	"sqlward_policy", "description", "govern", "default", "rules", "freeze", "live", "access",
	"trusted_functions", "plans", NULL
};
static const char top_keys_text[] = "sqlward_policy, description, govern, default, rules, freeze, live, access, "
				    "trusted_functions, plans";

/*
 * trusted_functions: [{ schema: app, name: "report_*", nested: judge|record }]
 * -- functions a security team reviewed (policy.h).
 */
static int load_trusted(struct ld *l, const node_t *n, struct sw_policy *p)
{
	static const char *const tk[] = { "schema", "name", "nested", "owner", NULL };
	size_t nt;

	if (n->type != YAML_SEQUENCE_NODE)
		return FAIL(l, n, "trusted_functions must be a list of `- { schema: app, name: \"report_*\" }` entries");
	nt = (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
	p->trusted = sw_xcalloc(nt ? nt : 1, sizeof(*p->trusted));
	for (size_t i = 0; i < nt; i++) {
		const node_t *e = node(l, n->data.sequence.items.start[i]), *keys[4], *v[4];
		struct sw_trusted_fn *t = &p->trusted[p->n_trusted++];
		const char *s;

		if (want_mapping(l, e, "trusted function", tk, "schema, name, nested, owner", keys, v) < 0)
			return -1;
		if (!v[0])
			return FAIL(l, e, "a trusted function needs `schema:` (the schema its vetted code lives in; "
				    "only schema-qualified calls are trusted)");
		if (want_str(l, v[0], "schema", &s) < 0)
			return -1;
		if (!*s || strcmp(s, "*") == 0 || fnmatch(s, "pg_catalog", FNM_CASEFOLD) == 0)
			return FAIL(l, v[0], "schema \"%s\" would trust every schema or the built-ins; name the "
				    "application's schema (e.g. app)", s);
		t->schema = sw_xstrdup(s);
		if (v[1]) {
			if (want_str(l, v[1], "name", &s) < 0)
				return -1;
			t->name = sw_xstrdup(s);
		} else {
			t->name = sw_xstrdup("*");
		}
		if (v[3]) {
			if (want_str(l, v[3], "owner", &s) < 0)
				return -1;
			if (!p->live_dsn)
				return FAIL(l, v[3], "owner needs the live catalog: add `live: { dsn: ... }` (the daemon "
					    "reads who owns the function there), or remove owner:");
			t->owner = sw_xstrdup(s);
		}
		if (v[2]) {
			if (want_str(l, v[2], "nested", &s) < 0)
				return -1;
			if (strcmp(s, "record") == 0)
				t->record = true;
			else if (strcmp(s, "judge") != 0)
				return FAIL(l, v[2], "nested: \"%s\" is not judge or record (judge: what the function "
					    "runs is judged like anything else; record: recorded without judgment)", s);
		}
	}
	return 0;
}

/*
 * live: { dsn: "host=/run/postgresql dbname=app user=sqlward_live" } -- where
 * the daemon reads live context. Checked with libpq's own parser; a password
 * in the file is refused (the policy is copied around and its digest logged):
 * use a passfile or peer authentication.
 */
/*
 * live: { mysql_dsn: "socket=/run/mysqld/mysqld.sock user=root database=app" } -- the same for
 * MariaDB sessions (my_live.c). No password in the file: the unix_socket plugin authenticates
 * the daemon's OS user. The account must not be governed.
 */
static int load_live_mysql(struct ld *l, const node_t *v, struct sw_policy *p)
{
	struct sw_my_dsn d;
	const char *s;
	char err[300];

	if (want_str(l, v, "mysql_dsn", &s) < 0)
		return -1;
	if (sw_my_dsn_parse(s, &d, err, sizeof(err)) < 0)
		return FAIL(l, v, "live mysql_dsn: %s", err);
	if (d.password) {
		sw_my_dsn_free(&d);
		return FAIL(l, v, "live mysql_dsn contains a password; remove it and let MariaDB's unix_socket plugin "
			    "authenticate the daemon (socket=/run/mysqld/mysqld.sock user=root)");
	}
	if (d.user && sw_policy_governs(p, d.user)) {
		FAIL(l, v, "live mysql_dsn connects as \"%s\", a governed account; the gate would hold sqlward's own "
		     "queries: use an account the policy does not govern", d.user);
		sw_my_dsn_free(&d);
		return -1;
	}
	sw_my_dsn_free(&d);
	p->live_mysql_dsn = sw_xstrdup(s);
	return 0;
}

static int load_live(struct ld *l, const node_t *n, struct sw_policy *p)
{
	static const char *const lk[] = { "dsn", "mysql_dsn", NULL };
	const node_t *keys[2], *v[2];
	const char *s;
	char *perr = NULL;
	PQconninfoOption *opts;

	if (want_mapping(l, n, "live", lk, "dsn, mysql_dsn", keys, v) < 0)
		return -1;
	if (!v[0] && !v[1])
		return FAIL(l, n, "live needs `dsn: \"...\"` (a libpq connection string) and/or `mysql_dsn: \"...\"` "
			    "(MariaDB); or remove `live:`");
	if (v[1] && load_live_mysql(l, v[1], p) < 0)
		return -1;
	if (!v[0])
		return 0;
	if (want_str(l, v[0], "dsn", &s) < 0)
		return -1;
	opts = PQconninfoParse(s, &perr);
	if (!opts) {
		char msg[256];
		snprintf(msg, sizeof(msg), "%s", perr ? perr : "out of memory");
		msg[strcspn(msg, "\n")] = 0;
		PQfreemem(perr);
		return FAIL(l, v[0], "live dsn is not a libpq connection string (%s); write it like "
			    "\"host=/run/postgresql dbname=app user=sqlward_live\"", msg);
	}
	for (PQconninfoOption *o = opts; o->keyword; o++) {
		if (strcmp(o->keyword, "password") == 0 && o->val && *o->val) {
			PQconninfoFree(opts);
			return FAIL(l, v[0], "live dsn contains a password; remove it and use a passfile "
				    "(~/.pgpass of the daemon's user, or passfile=PATH) or peer authentication");
		}
		/* A governed live role would be held by the gate while the daemon waits for it. */
		if (strcmp(o->keyword, "user") == 0 && o->val && sw_policy_governs(p, o->val)) {
			FAIL(l, v[0], "live dsn connects as \"%s\", a governed role; the gate would hold "
			     "sqlward's own queries: use a role the policy does not govern", o->val);
			PQconninfoFree(opts);
			return -1;
		}
	}
	PQconninfoFree(opts);
	p->live_dsn = sw_xstrdup(s);
	return 0;
}

/* ---- freeze ---- */

static int parse_utc(struct ld *l, const node_t *n, const char *what, time_t *out)
{
	const char *s, *end;
	struct tm tm;

	if (want_str(l, n, what, &s) < 0)
		return -1;
	memset(&tm, 0, sizeof(tm));
	end = strptime(s, "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (!end || *end)
		return FAIL(l, n, "%s \"%s\" is not a UTC time; write it like \"2026-12-24T00:00:00Z\"", what, s);
	*out = timegm(&tm);
	return 0;
}

static int parse_hhmm(struct ld *l, const node_t *n, const char *what, int *out)
{
	const char *s;
	unsigned h, m;
	char extra;

	if (want_str(l, n, what, &s) < 0)
		return -1;
	if (sscanf(s, "%u:%u%c", &h, &m, &extra) != 2 || h > 24 || m > 59 || (h == 24 && m))
		return FAIL(l, n, "%s \"%s\" is not a time of day; write it as HH:MM (UTC), e.g. \"18:00\"", what, s);
	*out = (int)(h * 60 + m);
	return 0;
}

static int check_day(struct ld *l, const node_t *item, const char *v, void *arg)
{
	static const char *const days[] = { "sun", "mon", "tue", "wed", "thu", "fri", "sat" };
	unsigned *mask = arg;
	for (unsigned i = 0; i < 7; i++)
		if (strcmp(v, days[i]) == 0) {
			*mask |= 1u << i;
			return 0;
		}
	return FAIL(l, item, "unknown day \"%s\"; use mon, tue, wed, thu, fri, sat, sun", v);
}

static int load_freeze_window(struct ld *l, const node_t *n, struct sw_freeze_window *w)
{
	static const char *const wk[] = { "start", "end", "days", "from", "to", "reason", NULL };
	const node_t *keys[6], *v[6];
	struct sw_strv days = { 0 };
	const char *s;
	int rc;

	if (want_mapping(l, n, "freeze window", wk, "start, end, days, from, to, reason", keys, v) < 0)
		return -1;
	if (v[5]) {
		if (want_str(l, v[5], "reason", &s) < 0)
			return -1;
		w->reason = sw_xstrdup(s);
	}
	if (v[0] || v[1]) {
		if (!v[0] || !v[1] || v[2] || v[3] || v[4])
			return FAIL(l, n, "a freeze window is either `start:` + `end:` (UTC times) or `days:` + "
				    "`from:` + `to:` (weekly); give one form completely");
		if (parse_utc(l, v[0], "start", &w->start) < 0 || parse_utc(l, v[1], "end", &w->end) < 0)
			return -1;
		if (w->end <= w->start)
			return FAIL(l, v[1], "freeze window ends before it starts; check start and end");
		return 0;
	}
	if (!v[2] || !v[3] || !v[4])
		return FAIL(l, n, "a weekly freeze window needs `days:`, `from:` and `to:` (UTC); or use "
			    "`start:` and `end:` for a one-off window");
	rc = want_str_list(l, v[2], "days", check_day, &w->days_mask, &days);
	sw_strv_free(&days);
	if (rc < 0 || parse_hhmm(l, v[3], "from", &w->from_min) < 0 || parse_hhmm(l, v[4], "to", &w->to_min) < 0)
		return -1;
	return 0;
}

static int load_freeze(struct ld *l, const node_t *n, struct sw_policy *p)
{
	static const char *const fk[] = { "classes", "operators", "windows", NULL };
	const node_t *keys[3], *v[3];
	struct sw_strv tmp = { 0 };
	int rc;

	if (want_mapping(l, n, "freeze", fk, "classes, operators, windows", keys, v) < 0)
		return -1;
	if (v[0]) {
		p->freeze_class_mask = 0;
		rc = want_str_list(l, v[0], "freeze classes", check_class, &p->freeze_class_mask, &tmp);
		sw_strv_free(&tmp);
		if (rc < 0)
			return -1;
	}
	if (v[1] && want_str_list(l, v[1], "freeze operators", NULL, NULL, &p->freeze_operators) < 0)
		return -1;
	if (v[2]) {
		const node_t *ws = v[2];
		size_t nw;
		if (ws->type != YAML_SEQUENCE_NODE)
			return FAIL(l, ws, "freeze windows must be a list; start each window with `- `");
		nw = (size_t)(ws->data.sequence.items.top - ws->data.sequence.items.start);
		p->freeze_windows = sw_xcalloc(nw ? nw : 1, sizeof(*p->freeze_windows));
		for (size_t i = 0; i < nw; i++) {
			p->n_freeze_windows++;
			if (load_freeze_window(l, node(l, ws->data.sequence.items.start[i]), &p->freeze_windows[i]) < 0)
				return -1;
		}
	}
	return 0;
}

/* ---- access ---- */

/* access: { queue_readers: [...], ledger_readers: [...] }: separate powers (policy.h). */
static int load_access(struct ld *l, const node_t *n, struct sw_policy *p)
{
	static const char *const ak[] = { "queue_readers", "ledger_readers", NULL };
	const node_t *keys[2], *v[2];

	if (want_mapping(l, n, "access", ak, "queue_readers, ledger_readers", keys, v) < 0)
		return -1;
	if (v[0] && want_str_list(l, v[0], "queue_readers", check_approver, "queue reader", &p->queue_readers) < 0)
		return -1;
	if (v[1] && want_str_list(l, v[1], "ledger_readers", check_approver, "ledger reader", &p->ledger_readers) < 0)
		return -1;
	return 0;
}

/* ---- plans ---- */

/* plans: { approvers: [...], approvals_required: N, keys: { alice: FILE }, max_validity: 7d } (policy.h). */
static int load_plans(struct ld *l, const node_t *n, struct sw_policy *p)
{
	static const char *const pk[] = { "approvers", "approvals_required", "keys", "max_validity", NULL };
	const node_t *keys[4], *v[4];
	struct sw_plans_policy *pp = &p->plans;

	if (want_mapping(l, n, "plans", pk, "approvers, approvals_required, keys, max_validity", keys, v) < 0)
		return -1;
	if (v[0] && want_str_list(l, v[0], "approvers", check_approver, "plan approver", &pp->approvers) < 0)
		return -1;
	if (v[1]) {
		unsigned long x;
		if (want_uint(l, v[1], "approvals_required", 100, &x) < 0)
			return -1;
		if (x < 1)
			return FAIL(l, v[1], "approvals_required must be at least 1; remove it for the default of 1");
		pp->approvals_required = (unsigned)x;
	}
	if (v[2]) {
		const node_t *m = v[2];
		if (m->type != YAML_MAPPING_NODE)
			return FAIL(l, m, "plans: keys must be a mapping of approver name to public key file, "
				    "e.g. `keys: { alice: /etc/sqlward/keys/alice.pub }`");
		for (yaml_node_pair_t *pr = m->data.mapping.pairs.start; pr < m->data.mapping.pairs.top; pr++) {
			const node_t *k = node(l, pr->key), *val = node(l, pr->value);
			const char *name, *path;
			if (want_str(l, k, "key name", &name) < 0 || check_approver(l, k, name, "key name") < 0 ||
			    want_str(l, val, "key file", &path) < 0)
				return -1;
			if (strncmp(name, "group:", 6) == 0)
				return FAIL(l, k, "a plan key belongs to one person: name an OS user, not \"%s\"", name);
			if (path[0] != '/')
				return FAIL(l, val, "key file \"%s\" must be an absolute path", path);
			if (access(path, R_OK) != 0)
				return FAIL(l, val, "cannot read the public key file \"%s\" of plan approver %s: %s; create "
					    "it with `sqlward plan keygen` (the approver keeps the private key)", path,
					    name, strerror(errno));
			for (size_t i = 0; i < pp->n_keys; i++)
				if (strcmp(pp->keys[i].name, name) == 0)
					return FAIL(l, k, "plan approver %s has two keys; keep one", name);
			pp->keys = sw_xrealloc(pp->keys, (pp->n_keys + 1) * sizeof(*pp->keys));
			pp->keys[pp->n_keys].name = sw_xstrdup(name);
			pp->keys[pp->n_keys].path = sw_xstrdup(path);
			pp->n_keys++;
		}
	}
	if (v[3] && parse_duration_max(l, v[3], "max_validity", 90ul * 24 * 3600,
					  "a plan may be valid for 1s to 2160h (90 days)", &pp->max_validity_s) < 0)
		return -1;
	return 0;
}

static int load_govern(struct ld *l, const node_t *n, struct sw_policy *p)
{
	static const char *const gk[] = { "roles", NULL };
	const node_t *keys[1], *v[1];
	struct sw_strv roles = { 0 };
	char why[256];
	int rc = -1;

	if (want_mapping(l, n, "govern", gk, "roles", keys, v) < 0)
		return -1;
	if (!v[0])
		return FAIL(l, n, "govern has no roles; add `roles: [\"agent_*\"]` or remove "
			    "`govern:` to only observe every role");
	if (want_str_list(l, v[0], "roles", NULL, NULL, &roles) < 0)
		goto out;
	if (roles.n > SW_ROLE_PATTERNS_MAX) {
		FAIL(l, v[0], "govern lists %zu role patterns; the kernel tests at most %d, "
		     "so use prefix or suffix patterns to cover more roles", roles.n,
		     SW_ROLE_PATTERNS_MAX);
		goto out;
	}
	p->govern = sw_xcalloc(roles.n, sizeof(*p->govern));
	p->govern_text = sw_xcalloc(roles.n, sizeof(*p->govern_text));
	for (size_t i = 0; i < roles.n; i++) {
		if (!sw_role_pattern_parse(roles.v[i], &p->govern[i], why, sizeof(why))) {
			/* Point at the offending list item when there is a list. */
			const node_t *at = v[0];
			if (v[0]->type == YAML_SEQUENCE_NODE)
				for (yaml_node_item_t *it = v[0]->data.sequence.items.start;
				     it < v[0]->data.sequence.items.top; it++)
					if (strcmp(scalar(node(l, *it)), roles.v[i]) == 0) {
						at = node(l, *it);
						break;
					}
			FAIL(l, at, "%s", why);
			goto out;
		}
		p->govern_text[i] = sw_xstrdup(roles.v[i]);
		p->n_govern++;
	}
	rc = 0;
out:
	sw_strv_free(&roles);
	return rc;
}

static int load_root(struct ld *l, const node_t *root, struct sw_policy *p)
{
	const node_t *keys[TK__COUNT], *v[TK__COUNT];
	const char *s;
	unsigned long ver;

	if (root->type != YAML_MAPPING_NODE)
		return FAIL(l, root, "a policy must be a mapping, not %s; write "
			    "`sqlward_policy: 1`, `govern:`, `default:` and `rules:` at the top "
			    "level (see policies/default.yaml)", type_name(root));
	if (want_mapping(l, root, "top-level", top_keys, top_keys_text, keys, v) < 0)
		return -1;
	if (!v[TK_VERSION])
		return FAIL(l, root, "missing `sqlward_policy:` (the format version); add "
			    "`sqlward_policy: 1` at the top of the file");
	if (want_uint(l, v[TK_VERSION], "sqlward_policy", 1000000, &ver) < 0)
		return -1;
	if (ver != 1)
		return FAIL(l, v[TK_VERSION], "unsupported policy format version %lu; this "
			    "sqlward reads `sqlward_policy: 1`", ver);
	if (v[TK_DESCRIPTION]) {
		if (want_str(l, v[TK_DESCRIPTION], "description", &s) < 0)
			return -1;
		p->description = sw_xstrdup(s);
	}
	if (v[TK_GOVERN] && load_govern(l, v[TK_GOVERN], p) < 0)
		return -1;
	p->freeze_class_mask = (1u << SW_CLASS_WRITE) | (1u << SW_CLASS_DDL) | (1u << SW_CLASS_PRIVILEGE);
	if (v[TK_FREEZE] && load_freeze(l, v[TK_FREEZE], p) < 0)
		return -1;
	if (v[TK_LIVE] && load_live(l, v[TK_LIVE], p) < 0)
		return -1;
	if (v[TK_ACCESS] && load_access(l, v[TK_ACCESS], p) < 0)
		return -1;
	if (v[TK_TRUSTED] && load_trusted(l, v[TK_TRUSTED], p) < 0)
		return -1;
	p->plans.approvals_required = 1;
	p->plans.max_validity_s = 7 * 24 * 3600;
	if (v[TK_PLANS] && load_plans(l, v[TK_PLANS], p) < 0)
		return -1;
	if (!v[TK_DEFAULT])
		return FAIL(l, root, "missing `default:` (the verdict when no rule matches); "
			    "add `default: deny` (or allow, or hold)");
	if (parse_verdict(l, v[TK_DEFAULT], "default", &p->dflt) < 0)
		return -1;
	if (v[TK_RULES]) {
		const node_t *rs = v[TK_RULES];
		if (rs->type != YAML_SEQUENCE_NODE)
			return FAIL(l, rs, "rules must be a list, not %s; start each rule "
				    "with `- id:`", type_name(rs));
		size_t n = (size_t)(rs->data.sequence.items.top - rs->data.sequence.items.start);
		if (n == 0)
			return FAIL(l, rs, "rules is an empty list; add rules or remove the "
				    "`rules:` key");
		p->rules = sw_xcalloc(n, sizeof(*p->rules));
		for (size_t i = 0; i < n; i++) {
			/* Count the rule before loading it so a failure frees what it holds. */
			p->n_rules++;
			if (load_rule(l, node(l, rs->data.sequence.items.start[i]), p,
				      &p->rules[i]) < 0) {
				return -1;
			}
		}
	}
	return 0;
}

static unsigned long line_of_offset(const char *buf, size_t len, size_t off)
{
	unsigned long line = 1;
	for (size_t i = 0; i < off && i < len; i++)
		line += buf[i] == '\n';
	return line;
}

static int yaml_error(struct ld *l, yaml_parser_t *ps)
{
	const char *problem = ps->problem ? ps->problem : "cannot parse";
	if (ps->error == YAML_READER_ERROR)
		return fail_at(l, line_of_offset(l->buf, l->len, ps->problem_offset), 1,
			       "not valid UTF-8 text (%s at byte %zu); save the policy as "
			       "UTF-8", problem, ps->problem_offset);
	if (ps->error == YAML_MEMORY_ERROR)
		return fail_at(l, 1, 1, "out of memory while reading the policy; free memory "
			       "and try again");
	return fail_at(l, (unsigned long)ps->problem_mark.line + 1,
		       (unsigned long)ps->problem_mark.column + 1,
		       "YAML syntax error: %s%s%s; fix the YAML (check indentation, "
		       "colons and quoting)", problem, ps->context ? " " : "",
		       ps->context ? ps->context : "");
}

static void digest_hex(const void *buf, size_t len, char out[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	if (!EVP_Digest(buf, len, md, &mdlen, EVP_sha256(), NULL) || mdlen != 32) {
		fputs("sqlward: SHA-256 unavailable\n", stderr);
		abort();
	}
	for (unsigned i = 0; i < mdlen; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

int sw_policy_load_string(const char *yaml, size_t len, const char *name,
			  struct sw_policy **out, char *err, size_t errlen)
{
	struct ld l = { .name = name ? name : "<policy>", .buf = yaml, .len = len,
			.err = err, .errlen = errlen };
	struct sw_policy *p;
	yaml_parser_t ps;
	yaml_document_t doc, doc2;
	int rc = -1;

	*out = NULL;
	if (err && errlen)
		err[0] = '\0';
	if (len > POLICY_FILE_MAX)
		return fail_at(&l, 1, 1, "policy is larger than %d bytes; this is not a policy "
			       "file", POLICY_FILE_MAX);
	if (!yaml_parser_initialize(&ps))
		return fail_at(&l, 1, 1, "cannot initialise the YAML parser");
	yaml_parser_set_input_string(&ps, (const unsigned char *)yaml, len);
	if (!yaml_parser_load(&ps, &doc)) {
		rc = yaml_error(&l, &ps);
		yaml_parser_delete(&ps);
		return rc;
	}
	l.doc = &doc;
	p = sw_xcalloc(1, sizeof(*p));
	p->path = sw_xstrdup(l.name);
	p->dflt = SW_VERDICT_DENY;
	digest_hex(yaml, len, p->digest);

	node_t *root = yaml_document_get_root_node(&doc);
	if (!root) {
		fail_at(&l, 1, 1, "policy is empty; start it with `sqlward_policy: 1` and a "
			"`default:` verdict (see policies/default.yaml)");
		goto out;
	}
	if (root->type == YAML_SCALAR_NODE && is_null_scalar(root)) {
		FAIL(&l, root, "policy has no content; start it with `sqlward_policy: 1` and "
		     "a `default:` verdict (see policies/default.yaml)");
		goto out;
	}
	if (load_root(&l, root, p) < 0)
		goto out;
	/* Exactly one document: a second one would be silently ignored otherwise. */
	if (!yaml_parser_load(&ps, &doc2)) {
		yaml_error(&l, &ps);
		goto out;
	}
	node_t *root2 = yaml_document_get_root_node(&doc2);
	if (root2) {
		FAIL(&l, root2, "a second YAML document (after `---`); a policy file holds "
		     "exactly one document");
		yaml_document_delete(&doc2);
		goto out;
	}
	yaml_document_delete(&doc2);
	rc = 0;
out:
	yaml_document_delete(&doc);
	yaml_parser_delete(&ps);
	if (rc < 0)
		sw_policy_free(p);
	else
		*out = p;
	return rc;
}

int sw_policy_load(const char *path, struct sw_policy **out, char *err, size_t errlen)
{
	struct stat sb;
	char *buf = NULL;
	size_t len = 0;
	int fd, rc;

	*out = NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "%s: cannot open policy: %s; check the path", path,
			 strerror(errno));
		return -1;
	}
	if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode)) {
		snprintf(err, errlen, "%s: not a regular file; give the path of a policy "
			 "YAML file", path);
		close(fd);
		return -1;
	}
	if (sb.st_size > POLICY_FILE_MAX) {
		snprintf(err, errlen, "%s: policy is larger than %d bytes; this is not a "
			 "policy file", path, POLICY_FILE_MAX);
		close(fd);
		return -1;
	}
	buf = sw_xmalloc((size_t)sb.st_size + 1);
	for (;;) {
		ssize_t r = read(fd, buf + len, (size_t)sb.st_size + 1 - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			snprintf(err, errlen, "%s: cannot read policy: %s", path, strerror(errno));
			free(buf);
			close(fd);
			return -1;
		}
		if (r == 0)
			break;
		len += (size_t)r;
		if (len > (size_t)sb.st_size) {
			snprintf(err, errlen, "%s: policy changed while being read; try again",
				 path);
			free(buf);
			close(fd);
			return -1;
		}
	}
	close(fd);
	rc = sw_policy_load_string(buf, len, path, out, err, errlen);
	free(buf);
	return rc;
}
