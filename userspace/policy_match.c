/*
 * Matching and judging: rules in file order, first match wins, else the
 * policy's default. Name matching follows the classifier's spelling
 * (unquoted identifiers are lower-case), so role, database, relation and
 * column globs are case-sensitive; command, function and setting globs
 * are not.
 */
#include <fnmatch.h>
#include <string.h>
#include "impact.h"
#include "live_context.h"
#include "lock_mode.h"
#include "policy_internal.h"

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

/* A known fact is compared; an unknown one matches only with when_unknown: match;
 * a fact that does not apply to the statement never matches. */
static bool fact_holds(const struct sw_match *m, const struct sw_fact *f, const struct sw_cmp *c)
{
	if (f->state == SW_FACT_UNKNOWN)
		return m->unknown_matches;
	return f->state == SW_FACT_KNOWN && cmp_holds(c, f->v);
}

enum rel_key { RK_SIZE, RK_ROWS, RK_BLOCKED };

/* Per relation (named relations the statement locks; with `lock:`, only those
 * it locks at that mode or stronger): ANY relation satisfies the condition. */
static bool rel_fact_holds(const struct sw_match *m, const struct sw_live *lv, enum rel_key k)
{
	for (size_t i = 0; i < lv->n_rels; i++) {
		const struct sw_live_rel *r = &lv->rels[i];
		if (m->lock_min && !sw_lock_at_least((enum sw_lockmode)r->lockmode, m->lock_min))
			continue;
		switch (k) {
		case RK_SIZE:
			if (fact_holds(m, &r->bytes, &m->table_size))
				return true;
			break;
		case RK_ROWS:
			if (fact_holds(m, &r->rows, &m->table_rows))
				return true;
			break;
		case RK_BLOCKED: {
			struct sw_cmp older = { '>', m->blocked_older_s };
			if (fact_holds(m, &r->blocker_age_s, &older))
				return true;
			break;
		}
		}
	}
	return false;
}

/*
 * The live-context keys. Without live context (offline `check`, or no
 * `live:` DSN for this database) they never match: the statement is judged
 * by the rules that do not need the database. With live context, a fact
 * that could not be read is "unknown" and when_unknown decides.
 */
static bool live_holds(const struct sw_match *m, const struct sw_stmt *st)
{
	const struct sw_live *lv = st->impact ? st->impact->live : NULL;
	if (!lv)
		return false;
	if (m->est_rows.op && !fact_holds(m, &lv->est_rows, &m->est_rows))
		return false;
	if (m->null_rows.op && !fact_holds(m, &lv->null_rows, &m->null_rows))
		return false;
	if (m->table_size.op && !rel_fact_holds(m, lv, RK_SIZE))
		return false;
	if (m->table_rows.op && !rel_fact_holds(m, lv, RK_ROWS))
		return false;
	if (m->blocked_older_s >= 0 && !rel_fact_holds(m, lv, RK_BLOCKED))
		return false;
	return true;
}

bool sw_match_eval(const struct sw_match *m, const struct sw_subject *s, const struct sw_stmt *st)
{
	if (m->engine_mask && !(m->engine_mask & (1u << s->engine)))
		return false;
	if (m->role.n && !glob_any(&m->role, s->role, 0))
		return false;
	if (m->database.n && !glob_any(&m->database, s->database, 0))
		return false;
	/* An out-of-range class is treated as unknown. */
	unsigned cls = (unsigned)st->cls < SW_CLASS__COUNT ? (unsigned)st->cls : SW_CLASS_UNKNOWN;
	if (m->class_mask && !(m->class_mask & (1u << cls)))
		return false;
	if (m->trait_mask && !(m->trait_mask & st->traits))
		return false;
	if (m->command.n && !glob_any(&m->command, st->command, FNM_CASEFOLD))
		return false;
	if (m->relation.n) {
		bool hit = false;
		for (size_t i = 0; i < st->n_objects && !hit; i++)
			hit = relation_any(&m->relation, st->objects[i].name);
		if (!hit)
			return false;
	}
	if (m->relation_outside.n) {
		bool outside = false;
		for (size_t i = 0; i < st->n_objects && !outside; i++)
			outside = !relation_any(&m->relation_outside, st->objects[i].name);
		if (!outside)
			return false;
	}
	if (m->function.n) {
		bool hit = false;
		for (size_t i = 0; i < st->functions.n && !hit; i++)
			hit = function_any(&m->function, st->functions.v[i]);
		if (!hit)
			return false;
	}
	if (m->column.n) {
		bool hit = false;
		for (size_t i = 0; i < st->columns.n && !hit; i++)
			hit = glob_any(&m->column, st->columns.v[i], 0);
		if (!hit)
			return false;
	}
	if (m->n_setting && !setting_holds(m, st))
		return false;
	if (m->lock_min && !lock_at_least(st, m->lock_min))
		return false;
	if (m->rewrite >= 0 && (st->impact ? st->impact->rewrite : st->rewrites_table) != (m->rewrite == 1))
		return false;
	if (m->scan >= 0 && (st->impact ? st->impact->scan : false) != (m->scan == 1))
		return false;
	if (m->rev_mask &&
	    !(m->rev_mask & (1u << (st->impact ? st->impact->reversibility : SW_REV_UNKNOWN))))
		return false;
	if (m->uses_live && !live_holds(m, st))
		return false;
	if (m->not && sw_match_eval(m->not, s, st))
		return false;
	return true;
}

static void from_rule(const struct sw_rule *r, struct sw_judgement *out)
{
	out->verdict = r->action;
	out->rule_id = r->id;
	out->reason = r->reason;
	out->hold_timeout_s = r->action == SW_VERDICT_HOLD ? r->timeout_s : 0;
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
