/*
 * Matching and judging: rules in file order, first match wins, else the
 * policy's default. Name matching follows the classifier's spelling
 * (unquoted identifiers are lower-case), so role, database, relation and
 * column globs are case-sensitive; command, function and setting globs
 * are not.
 */
#include <fnmatch.h>
#include <stdio.h>
#include <string.h>
#include "impact.h"
#include "live_context.h"
#include "lock_mode.h"
#include "policy_internal.h"
#include "read_facts.h"

/*
 * Three-valued matching (Kleene): a key whose fact is missing is UNKNOWN;
 * AND keeps the weakest (NO < UNKNOWN < YES), `not:` swaps YES and NO and
 * keeps UNKNOWN, and the rule's when_unknown decides an UNKNOWN at the top,
 * so no negation can turn a missing fact into a match the author did not
 * ask for.
 */
enum tri { T_NO = 0, T_UNKNOWN = 1, T_YES = 2 };

static enum tri tri_of(bool b)
{
	return b ? T_YES : T_NO;
}

static const char *last_component(const char *name)
{
	const char *dot = strrchr(name, '.');
	return dot ? dot + 1 : name;
}

static bool glob_any(const struct sw_strv *globs, const char *s, int flags)
{
	if (!s)
		return false;
	for (size_t i = 0; i < globs->n; i++)
		if (fnmatch(globs->v[i], s, flags) == 0)
			return true;
	return false;
}

/* A glob with a '.' is matched against the name as written, one without
 * against its last component ("customers" matches "app.customers"). */
static bool relation_glob(const char *glob, const char *name)
{
	if (strchr(glob, '.'))
		return fnmatch(glob, name, 0) == 0;
	return fnmatch(glob, last_component(name), 0) == 0;
}

static bool relation_any(const struct sw_strv *globs, const char *name)
{
	for (size_t i = 0; i < globs->n; i++)
		if (relation_glob(globs->v[i], name))
			return true;
	return false;
}

static bool setting_glob_any(const struct sw_match *m, const char *name)
{
	for (unsigned i = 0; i < m->n_setting; i++)
		if (fnmatch(m->setting[i], name, FNM_CASEFOLD) == 0)
			return true;
	return false;
}

/* `setting:` against the settings the statement changes: every one or any
 * one of them (policy_internal.h); a statement that changes none never matches. */
static bool setting_holds(const struct sw_match *m, const struct sw_stmt *st)
{
	size_t hits = 0;

	for (size_t i = 0; i < st->settings.n; i++)
		hits += setting_glob_any(m, st->settings.v[i]);
	if (m->setting_every)
		return st->settings.n > 0 && hits == st->settings.n;
	return hits > 0;
}

static bool function_any(const struct sw_strv *globs, const char *fn)
{
	for (size_t i = 0; i < globs->n; i++)
		if (fnmatch(globs->v[i], fn, FNM_CASEFOLD) == 0 ||
		    fnmatch(globs->v[i], last_component(fn), FNM_CASEFOLD) == 0)
			return true;
	return false;
}

/*
 * `lock: MODE` matches when the statement takes MODE or a stronger one on
 * any relation, counting the relations found through the catalog (impact.h
 * sw_via) and the foreign-key locks taken only when rows are written.
 * "Stronger" is lock_mode.h's order (sw_lock_at_least).
 */
static bool lock_at_least(const struct sw_stmt *st, enum sw_lockmode min)
{
	const struct sw_impact *im = st->impact;
	if (!im)
		return sw_lock_at_least(sw_stmt_strongest_lock(st), min);
	for (size_t i = 0; i < im->n_locks; i++)
		if (sw_lock_at_least(im->locks[i].mode, min))
			return true;
	return false;
}

static bool cmp_holds(const struct sw_cmp *c, double x)
{
	switch (c->op) {
	case '>': return x > c->v;
	case 'G': return x >= c->v;
	case '<': return x < c->v;
	case 'L': return x <= c->v;
	case '=': return x == c->v;
	default: return false;
	}
}

/* A known fact is compared; an unknown one is UNKNOWN (when_unknown decides);
 * a fact that does not apply to the statement never matches. */
static enum tri fact_holds(const struct sw_fact *f, const struct sw_cmp *c)
{
	if (f->state == SW_FACT_UNKNOWN)
		return T_UNKNOWN;
	return tri_of(f->state == SW_FACT_KNOWN && cmp_holds(c, f->v));
}

enum rel_key { RK_SIZE, RK_ROWS, RK_BLOCKED };

/* Per relation (named relations the statement locks; with `lock:`, only those
 * it locks at that mode or stronger): ANY relation satisfies the condition. */
static enum tri rel_fact_holds(const struct sw_match *m, const struct sw_live *lv, enum rel_key k)
{
	enum tri t = T_NO, x = T_NO;

	for (size_t i = 0; i < lv->n_rels; i++) {
		const struct sw_live_rel *r = &lv->rels[i];
		if (m->lock_min && !sw_lock_at_least((enum sw_lockmode)r->lockmode, m->lock_min))
			continue;
		switch (k) {
		case RK_SIZE:
			x = fact_holds(&r->bytes, &m->table_size);
			break;
		case RK_ROWS:
			x = fact_holds(&r->rows, &m->table_rows);
			break;
		case RK_BLOCKED: {
			struct sw_cmp older = { '>', m->blocked_older_s };
			x = fact_holds(&r->blocker_age_s, &older);
			break;
		}
		}
		if (x > t)
			t = x;   /* ANY relation: the strongest answer */
	}
	return t;
}

/*
 * The live-context keys. Without live context (offline `check`, or no
 * `live:` DSN for this database) they never match: the statement is judged
 * by the rules that do not need the database. With live context, a fact
 * that could not be read is "unknown" and when_unknown decides.
 */
static enum tri tri_and(enum tri a, enum tri b)
{
	return a < b ? a : b;
}

/*
 * Reads are the exception: est_rows and est_cost of a read are UNKNOWN
 * without live context (a rule bounding what an agent reads must not be
 * skipped because no DSN was configured), so when_unknown decides.
 */
static enum tri live_holds(const struct sw_match *m, const struct sw_stmt *st)
{
	const struct sw_live *lv = st->impact ? st->impact->live : NULL;
	enum tri t = T_YES;

	if (!lv) {
		if (st->cls == SW_CLASS_READ && (m->est_rows.op || m->est_cost.op))
			return T_UNKNOWN;
		return T_NO;
	}
	if (m->est_rows.op)
		t = tri_and(t, fact_holds(&lv->est_rows, &m->est_rows));
	if (m->est_cost.op)
		t = tri_and(t, fact_holds(&lv->est_cost, &m->est_cost));
	if (m->null_rows.op)
		t = tri_and(t, fact_holds(&lv->null_rows, &m->null_rows));
	if (m->table_size.op)
		t = tri_and(t, rel_fact_holds(m, lv, RK_SIZE));
	if (m->table_rows.op)
		t = tri_and(t, rel_fact_holds(m, lv, RK_ROWS));
	if (m->blocked_older_s >= 0)
		t = tri_and(t, rel_fact_holds(m, lv, RK_BLOCKED));
	return t;
}

/* ---- read-agent keys (read_facts.h) ---- */

/* Does relation (NULL: not resolved; then any of candidates) match the relation: glob? A glob
 * of only '*' matches any relation, even none. */
static bool rel_or_candidates(const char *glob, const char *relation, const struct sw_strv *candidates)
{
	if (strcmp(glob, "*") == 0)
		return true;
	if (relation)
		return relation_glob(glob, relation);
	for (size_t i = 0; candidates && i < candidates->n; i++)
		if (relation_glob(glob, candidates->v[i]))
			return true;
	return false;
}

/*
 * One `column:` glob against a column of relation (or of one of candidates).
 * "RELATION.COLUMN" (split at the last '.'): both parts must match; a glob
 * without '.': the column name in any relation. column NULL asks whether
 * the glob could apply to that relation at all (for an unexpanded `*`).
 */
static bool column_glob(const char *glob, const char *relation, const struct sw_strv *candidates,
			const char *column)
{
	const char *dot = strrchr(glob, '.');
	char rel[256];

	if (!dot)
		return !column || fnmatch(glob, column, 0) == 0;
	if (column && fnmatch(dot + 1, column, 0) != 0)
		return false;
	snprintf(rel, sizeof(rel), "%.*s", (int)(dot - glob), glob);
	return rel_or_candidates(rel, relation, candidates);
}

static bool column_any(const struct sw_strv *globs, const char *relation, const struct sw_strv *candidates,
		       const char *column)
{
	for (size_t i = 0; i < globs->n; i++)
		if (column_glob(globs->v[i], relation, candidates, column))
			return true;
	return false;
}

/*
 * `column:`. Without read facts (MariaDB, statements the classifier does
 * not describe): a glob's column part against the column names the
 * statement references, and a RELATION.COLUMN glob's relation part against
 * the objects it names (conservative). With read facts: every resolved
 * reference; a `*` by the columns live context expanded it to, or UNKNOWN
 * when not expanded and some glob could apply to its relation.
 */
static enum tri column_holds(const struct sw_match *m, const struct sw_stmt *st)
{
	const struct sw_read_facts *rf = st->reads;
	enum tri t = T_NO;

	for (size_t i = 0; i < st->columns.n; i++)
		for (size_t g = 0; g < m->column.n; g++) {
			const char *glob = m->column.v[g], *dot = strrchr(glob, '.');
			if (!dot) {
				if (fnmatch(glob, st->columns.v[i], 0) == 0)
					return T_YES;
				continue;
			}
			if (rf || fnmatch(dot + 1, st->columns.v[i], 0) != 0)
				continue;   /* with read facts, the references below say which relation */
			for (size_t o = 0; o < st->n_objects; o++)
				if (column_glob(glob, st->objects[o].name, NULL, NULL))
					return T_YES;
		}
	if (!rf)
		return T_NO;
	for (size_t i = 0; i < rf->n_cols; i++) {
		const struct sw_col_ref *c = &rf->cols[i];
		if (!c->column)
			continue;
		if (strcmp(c->column, "*") != 0) {
			if (column_any(&m->column, c->relation, &c->candidates, c->column))
				return T_YES;
			continue;
		}
		if (c->expanded.n == 0) {
			if (column_any(&m->column, c->relation, &c->candidates, NULL))
				t = T_UNKNOWN;
			continue;
		}
		for (size_t e = 0; e < c->expanded.n; e++)
			if (column_any(&m->column, c->relation, &c->candidates, c->expanded.v[e]))
				return T_YES;
	}
	/* The classifier stopped listing (too many references, too deep): what it did not list is unknown. */
	return rf->truncated ? T_UNKNOWN : t;
}

/* `tenant:` / `range:`: some scan of one of relations is not pinned (bounded) by column. */
static enum tri scan_bound_missing(const struct sw_strv *relations, const char *column, bool range,
				   const struct sw_stmt *st)
{
	const struct sw_read_facts *rf = st->reads;

	if (!rf)
		return T_UNKNOWN;
	for (size_t i = 0; i < rf->n_scans; i++) {
		const struct sw_scan *sc = &rf->scans[i];
		const struct sw_strv *have = range ? &sc->range_columns : &sc->eq_columns;
		bool bound = false;
		if (!relation_any(relations, sc->relation))
			continue;
		for (size_t k = 0; k < have->n && !bound; k++)
			bound = strcmp(have->v[k], column) == 0;
		if (!bound)
			return T_YES;
	}
	return rf->truncated ? T_UNKNOWN : T_NO;
}

/* `limit_over: N`: the outermost row bound is missing or above N. */
static enum tri limit_holds(const struct sw_match *m, const struct sw_stmt *st)
{
	const struct sw_read_facts *rf = st->reads;

	if (!rf || rf->limit_param || !rf->limit_known)
		return T_UNKNOWN;
	return tri_of(rf->limit < 0 || rf->limit > m->limit_over);
}

/* A subject's application_name or client executable against globs; NULL (not known): UNKNOWN. */
static enum tri subject_glob(const struct sw_strv *globs, const char *v)
{
	if (!v)
		return T_UNKNOWN;
	return tri_of(glob_any(globs, v, 0));
}

/* The keys above, ANDed; T_NO as soon as one fails. */
static enum tri read_keys(const struct sw_match *m, const struct sw_subject *s, const struct sw_stmt *st)
{
	enum tri t = T_YES;

	if (m->application.n)
		t = tri_and(t, subject_glob(&m->application, s->application));
	if (m->client_exe.n && t)
		t = tri_and(t, subject_glob(&m->client_exe, s->client_exe));
	if (m->column.n && t)
		t = tri_and(t, column_holds(m, st));
	if (m->tenant_column && t)
		t = tri_and(t, scan_bound_missing(&m->tenant_relations, m->tenant_column, false, st));
	if (m->range_column && t)
		t = tri_and(t, scan_bound_missing(&m->range_relations, m->range_column, true, st));
	if (m->limit_over >= 0 && t)
		t = tri_and(t, limit_holds(m, st));
	if (m->recursive_unbounded >= 0 && t)
		t = tri_and(t, st->reads ? tri_of(st->reads->recursive_unbounded == (m->recursive_unbounded == 1))
					 : T_UNKNOWN);
	return t;
}

static enum tri match_eval(const struct sw_match *m, const struct sw_subject *s, const struct sw_stmt *st)
{
	enum tri t;

	if (m->engine_mask && !(m->engine_mask & (1u << s->engine)))
		return T_NO;
	if (m->role.n && !glob_any(&m->role, s->role, 0))
		return T_NO;
	if (m->database.n && !glob_any(&m->database, s->database, 0))
		return T_NO;
	/* An out-of-range class is treated as unknown. */
	unsigned cls = (unsigned)st->cls < SW_CLASS__COUNT ? (unsigned)st->cls : SW_CLASS_UNKNOWN;
	if (m->class_mask && !(m->class_mask & (1u << cls)))
		return T_NO;
	if (m->trait_mask && !(m->trait_mask & st->traits))
		return T_NO;
	if (m->command.n && !glob_any(&m->command, st->command, FNM_CASEFOLD))
		return T_NO;
	if (m->relation.n) {
		bool hit = false;
		for (size_t i = 0; i < st->n_objects && !hit; i++)
			hit = relation_any(&m->relation, st->objects[i].name);
		if (!hit)
			return T_NO;
	}
	if (m->relation_outside.n) {
		bool outside = false;
		for (size_t i = 0; i < st->n_objects && !outside; i++)
			outside = !relation_any(&m->relation_outside, st->objects[i].name);
		if (!outside)
			return T_NO;
	}
	if (m->function.n) {
		bool hit = false;
		for (size_t i = 0; i < st->functions.n && !hit; i++)
			hit = function_any(&m->function, st->functions.v[i]);
		if (!hit)
			return T_NO;
	}
	if (m->n_setting && !setting_holds(m, st))
		return T_NO;
	if (m->lock_min && !lock_at_least(st, m->lock_min))
		return T_NO;
	if (m->rewrite >= 0 && (st->impact ? st->impact->rewrite : st->rewrites_table) != (m->rewrite == 1))
		return T_NO;
	if (m->scan >= 0 && (st->impact ? st->impact->scan : false) != (m->scan == 1))
		return T_NO;
	if (m->rev_mask &&
	    !(m->rev_mask & (1u << (st->impact ? st->impact->reversibility : SW_REV_UNKNOWN))))
		return T_NO;
	if (!(t = read_keys(m, s, st)))
		return T_NO;
	if (m->uses_live)
		t = tri_and(t, live_holds(m, st));
	if (t && m->not) {
		enum tri n = match_eval(m->not, s, st);
		t = tri_and(t, n == T_UNKNOWN ? T_UNKNOWN : n == T_YES ? T_NO : T_YES);
	}
	return t;
}

bool sw_match_eval(const struct sw_match *m, const struct sw_subject *s, const struct sw_stmt *st)
{
	enum tri t = match_eval(m, s, st);
	return t == T_YES || (t == T_UNKNOWN && m->unknown_matches);
}

static void from_rule(const struct sw_rule *r, struct sw_judgement *out)
{
	out->verdict = r->action;
	out->rule_id = r->id;
	out->reason = r->reason;
	out->hold_timeout_s = r->action == SW_VERDICT_HOLD ? r->timeout_s : 0;
	out->budget_ms = r->action == SW_VERDICT_ALLOW ? r->budget_ms : 0;
}

void sw_policy_judge_stmt(const struct sw_policy *p, const struct sw_subject *s,
			  const struct sw_stmt *st, struct sw_judgement *out)
{
	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < p->n_rules; i++) {
		const struct sw_rule *r = &p->rules[i];
		/* An unknown database never satisfies a rule that mentions one,
		 * not even through `not:`, so it cannot slip past a negation. */
		if (r->match->uses_database && !s->database)
			continue;
		if (sw_match_eval(r->match, s, st)) {
			from_rule(r, out);
			return;
		}
	}
	out->verdict = p->dflt;
	out->rule_id = SW_RULE_DEFAULT;
	out->reason = NULL;
	out->hold_timeout_s = p->dflt == SW_VERDICT_HOLD ? SW_HOLD_TIMEOUT_DEFAULT_S : 0;
}

void sw_policy_judge(const struct sw_policy *p, const struct sw_subject *s,
		     const struct sw_analysis *a, struct sw_judgement *per_stmt,
		     struct sw_judgement *overall)
{
	bool governed = sw_policy_governs(p, s->role);

	memset(overall, 0, sizeof(*overall));
	overall->verdict = SW_VERDICT_ALLOW;
	overall->rule_id = governed ? SW_RULE_EMPTY : SW_RULE_UNGOVERNED;
	for (size_t i = 0; i < a->n_stmts; i++) {
		struct sw_judgement j;
		if (governed) {
			sw_policy_judge_stmt(p, s, &a->stmts[i], &j);
		} else {
			memset(&j, 0, sizeof(j));
			j.verdict = SW_VERDICT_ALLOW;
			j.rule_id = SW_RULE_UNGOVERNED;
		}
		j.stmt_index = i;
		if (per_stmt)
			per_stmt[i] = j;
		if (i == 0 || j.verdict > overall->verdict)
			*overall = j;
	}
}
