/* Private layout of a loaded policy, shared by policy*.c only. */
#ifndef SQLWARD_POLICY_INTERNAL_H
#define SQLWARD_POLICY_INTERNAL_H

#include <time.h>
#include "policy.h"
#include "role_pattern.h"

#define SW_MATCH_SETTINGS_MAX 16   /* `setting:` globs in one match */
#define SW_MATCH_SETTING_LEN  64   /* bytes per glob, NUL included */

/* One `match:` mapping. A condition is present when its list is non-empty
 * (or its mask non-zero); every present condition must hold (AND). */
struct sw_match {
	struct sw_strv role, database, command, relation, relation_outside, function, column;
	/* Read-agent keys (issue 14). Each can be unknown (no read facts, no live context,
	 * no application_name): unknown is resolved once, for the whole rule, by when_unknown. */
	struct sw_strv application, client_exe;  /* `application:` / `client_exe:` globs on the subject */
	struct sw_strv tenant_relations;          /* `tenant: { relations }` globs, relation: semantics */
	char *tenant_column;                      /* `tenant: { column }`; NULL when absent */
	struct sw_strv range_relations;           /* `range: { relations }` globs */
	char *range_column;                       /* `range: { column }`; NULL when absent */
	long long limit_over;                     /* `limit_over: N`; -1 when absent */
	signed char recursive_unbounded;          /* `recursive_unbounded:` -1 absent, 0 false, 1 true */
	/*
	 * `setting:` globs on the names of settings the statement changes. Held
	 * inline (setting names are short), so sw_match_free needs no change.
	 * setting_every: every setting changed must match (allow rules, so one
	 * allowed name cannot carry another through); otherwise any one. Flips
	 * under each `not:`, like when_unknown's fail-closed default.
	 */
	char setting[SW_MATCH_SETTINGS_MAX][SW_MATCH_SETTING_LEN];
	unsigned n_setting;
	bool setting_every;
	unsigned engine_mask;     /* `engine:` 1u << enum sw_engine; 0 when absent */
	unsigned class_mask;      /* 1u << enum sw_class */
	unsigned trait_mask;      /* SW_TRAIT_* */
	/* Impact (static, impact.h). */
	enum sw_lockmode lock_min; /* `lock:`; SW_LOCK_NONE when absent */
	signed char rewrite, scan;/* `rewrite:` / `scan:`: -1 absent, 0 false, 1 true */
	unsigned rev_mask;        /* `reversibility:`: 1u << enum sw_reversibility */
	/* Live context (live_context.h): comparisons, each present when op != 0. */
	struct sw_cmp { char op; double v; } est_rows, table_size, table_rows, null_rows, est_cost;
	double blocked_older_s;   /* `blocked_by_xact_older_than:` seconds; < 0 when absent */
	bool uses_live;           /* any live key above */
	bool may_be_unknown;      /* this match or a nested one has a key that can be unknown */
	bool unknown_matches;     /* `when_unknown:` (default: match for deny/hold, ignore for allow) */
	struct sw_match *not;     /* `not:` nested match, NULL when absent */
	bool uses_database;       /* this match or a nested one has `database:` */
};

/* A scheduled freeze window (UTC): either an absolute [start, end) or weekly days + from/to minutes. */
struct sw_freeze_window {
	time_t start, end;        /* absolute; both 0 for a weekly window */
	unsigned days_mask;       /* weekly: 1 << tm_wday (0 = Sunday) */
	int from_min, to_min;     /* weekly: minutes after midnight; to < from wraps midnight */
	char *reason;
};

/* `trusted_functions:` entry: vetted code the agent may call (see policy.h). */
struct sw_trusted_fn {
	char *schema;        /* glob on the schema the call names */
	char *name;          /* glob on the function name ("*" when absent) */
	char *owner;         /* glob every function of that name must be owned by (live catalog), or NULL */
	bool record;         /* nested: record (statements it runs recorded, not judged) */
};

struct sw_policy {
	char *path;
	char *description;
	char digest[65];
	enum sw_verdict dflt;
	struct sw_role_pattern *govern;
	const char **govern_text;  /* the patterns as written, for sw_policy_govern_patterns */
	size_t n_govern;
	struct sw_rule *rules;
	size_t n_rules;
	unsigned freeze_class_mask;           /* classes a freeze denies (1u << enum sw_class) */
	struct sw_strv freeze_operators;      /* who besides root may switch freeze on/off */
	struct sw_strv queue_readers;         /* `access: queue_readers:` (pending, show, status) */
	struct sw_strv ledger_readers;        /* `access: ledger_readers:` (read access to the ledger file) */
	struct sw_freeze_window *freeze_windows;
	size_t n_freeze_windows;
	char *live_dsn;                       /* `live: { dsn: ... }`, NULL when absent */
	char *live_mysql_dsn;                 /* `live: { mysql_dsn: ... }` (MariaDB), NULL when absent */
	struct sw_plans_policy plans;         /* `plans:` */
	struct sw_trusted_fn *trusted;        /* `trusted_functions:` */
	size_t n_trusted;
	bool literal_sensitive;               /* a rule reads a live fact a literal can change (see policy.h) */
	bool literal_sensitive_always;        /* a rule reads a literal itself (`limit_over:`), DSN or not */
	unsigned live_wants;                  /* SW_LIVE_WANT_* (live_facts.h): what read rules need */
};

void sw_match_free(struct sw_match *m);   /* frees m itself */
bool sw_match_eval(const struct sw_match *m, const struct sw_subject *s, const struct sw_stmt *st);

#endif
