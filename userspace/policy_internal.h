/* Private layout of a loaded policy, shared by policy*.c only. */
#ifndef SQLWARD_POLICY_INTERNAL_H
#define SQLWARD_POLICY_INTERNAL_H

#include <time.h>
#include "policy.h"
#include "role_pattern.h"

/* One `match:` mapping. A condition is present when its list is non-empty
 * (or its mask non-zero); every present condition must hold (AND). */
struct sw_match {
	struct sw_strv role, database, command, relation, relation_outside, function, column;
	unsigned class_mask;      /* 1u << enum sw_class */
	unsigned trait_mask;      /* SW_TRAIT_* */
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
	struct sw_freeze_window *freeze_windows;
	size_t n_freeze_windows;
};

void sw_match_free(struct sw_match *m);   /* frees m itself */
bool sw_match_eval(const struct sw_match *m, const struct sw_subject *s, const struct sw_stmt *st);

#endif
