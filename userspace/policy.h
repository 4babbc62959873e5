/*
 * Policy: YAML rules (libyaml) matched first-match-wins against one
 * classified statement and the session that sent it.
 */
#ifndef SQLWARD_POLICY_H
#define SQLWARD_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>
#include "statement.h"

/* Ordered by severity: a multi-statement string takes its most severe part. */
enum sw_verdict { SW_VERDICT_ALLOW = 0, SW_VERDICT_HOLD = 1, SW_VERDICT_DENY = 2 };
const char *sw_verdict_name(enum sw_verdict v);
bool sw_verdict_parse(const char *name, enum sw_verdict *out);

/* Reserved rule ids the engine itself uses. */
#define SW_RULE_DEFAULT    "default"     /* no rule matched: the policy's explicit default */
#define SW_RULE_UNGOVERNED "ungoverned"  /* role not governed: observed, never stopped */
#define SW_RULE_EMPTY      "empty"       /* no statement at all (empty string, comments only): allow */
#define SW_RULE_PLAN       "plan"        /* a step of an approved plan, authorised by its approvals (plan.h) */

#define SW_HOLD_TIMEOUT_DEFAULT_S (15 * 60)
#define SW_HOLD_TIMEOUT_MAX_S     (24 * 60 * 60)
#define SW_RULE_ID_MAX            64     /* bytes in a rule id */

struct sw_policy;

struct sw_subject {
	const char *role;
	const char *database;  /* NULL when unknown: rules with a database match never match */
	enum sw_engine engine; /* which server the statement is for (`engine:` match key) */
	const char *application; /* the session's application_name, NULL when unknown (`application:`) */
	const char *client_exe;  /* the client process's executable when on this host, else NULL (`client_exe:`) */
};

struct sw_judgement {
	enum sw_verdict verdict;
	const char *rule_id;   /* owned by the policy (or a static reserved id) */
	const char *reason;    /* the rule's `reason:` text, may be NULL; owned by the policy */
	unsigned hold_timeout_s; /* for hold: the rule's timeout (default 15 min) */
	unsigned budget_ms;    /* for allow: the deciding rule's runtime `budget:`, 0 when none */
	size_t stmt_index;     /* for an overall judgement: the statement that decided it */
};

/*
 * Load a policy file. On error returns -1 and writes "FILE:LINE:COLUMN: what is wrong
 * and what to do" into err. The policy is validated completely (unknown keys,
 * unknown classes/traits/actions, duplicate ids, missing default) before use.
 */
int sw_policy_load(const char *path, struct sw_policy **out, char *err, size_t errlen);
/* Same, from memory; name is used in error messages in place of a file name. */
int sw_policy_load_string(const char *yaml, size_t len, const char *name,
			  struct sw_policy **out, char *err, size_t errlen);
void sw_policy_free(struct sw_policy *p);

/* SHA-256 (hex) of the policy file's bytes, for the ledger. */
const char *sw_policy_digest(const struct sw_policy *p);
const char *sw_policy_path(const struct sw_policy *p);

/*
 * Could a verdict of this policy change when only a statement's literal
 * constants change? True when a rule matches on live context (row estimates,
 * sizes) or anything else derived from literal values; the daemon then
 * never caches verdicts by statement shape.
 */
bool sw_policy_literal_sensitive(const struct sw_policy *p);

/*
 * What live context the policy's read rules need beyond the write facts
 * (SW_LIVE_WANT_* in live_facts.h): `*` and view expansion for `column:`,
 * EXPLAIN of reads for `est_cost:`/`est_rows:`. 0 when no read rule asks
 * (reads then cost no round trip). Pass it to sw_live_annotate_wants.
 */
unsigned sw_policy_live_wants(const struct sw_policy *p);

/* Is this role governed (held first, judged, enforced)? */
bool sw_policy_governs(const struct sw_policy *p, const char *role);
/* The govern role patterns, each "exact", "prefix*", "*suffix" or "*"
 * (validated at load so the kernel can evaluate them identically). */
size_t sw_policy_govern_patterns(const struct sw_policy *p, const char *const **patterns);

/*
 * Rules, read-only, for the CLI, the ledger and approvals. A rule's match
 * conditions are opaque (struct sw_match); everything else is public.
 */
/* Hold rules: whose approval never counts (`approvers_distinct_from:`). */
enum sw_distinct_from {
	/* The OS user whose client process sent the statement; when that cannot be
	 * established, every OS user of every process its connection passed through. */
	SW_DISTINCT_FROM_REQUESTER = 0,
	/* Every OS user of every process its connection passed through, always. */
	SW_DISTINCT_FROM_CHAIN,
};
const char *sw_distinct_from_name(enum sw_distinct_from d);

/* A rule's `plan:` key: may an approved plan (plan.h) authorise what this rule holds or denies? */
enum sw_rule_plan {
	SW_RULE_PLAN_DEFAULT = 0,    /* hold rules: yes (the plan's approvals must satisfy the rule's
	                              * approvers); deny rules: no */
	SW_RULE_PLAN_ALLOW,          /* `plan: allow` (deny rules): yes, approved under `plans:` */
	SW_RULE_PLAN_NEVER,          /* `plan: never`: no plan authorises it; a hold is always live */
};

struct sw_match;
struct sw_rule {
	char *id;                    /* [a-z0-9][a-z0-9._-]*, unique, not a reserved id */
	char *description;           /* may be NULL */
	enum sw_verdict action;
	char *reason;                /* may be NULL */
	unsigned timeout_s;          /* hold rules: hold timeout (default 15 min); 0 otherwise */
	struct sw_strv approvers;    /* hold rules: "alice", "group:dba"; empty = policy names none */
	unsigned approvals_required; /* hold rules: distinct approvals needed (default 1); 0 otherwise */
	enum sw_distinct_from approvers_distinct_from; /* hold rules: who may not approve */
	char *webhook;               /* hold rules: notify.webhook URL, or NULL */
	char *webhook_secret_file;   /* hold rules: notify.secret_file, or NULL */
	char *webhook_secret;        /* its contents (the HMAC key, trailing white space cut), or NULL */
	enum sw_rule_plan plan;      /* `plan:` */
	unsigned budget_ms;          /* allow rules: `budget:` (1s..24h), how long a statement it allows may
	                              * run before the gate cancels it; 0 when none */
	unsigned line, column;       /* 1-based position of the rule in the policy file */
	struct sw_match *match;
};
/* May an approved plan authorise a statement this rule (NULL: the policy's default) decided? */
bool sw_rule_plan_may_authorise(const struct sw_rule *r, enum sw_verdict dflt);

/*
 * `plans:` -- approved plans (plan.h). approvers/approvals_required apply to
 * what a plan authorises against a deny rule marked `plan: allow` (a hold
 * rule's own approvers apply to what it holds); keys name each offline
 * approver's Ed25519 public key (PEM); max_validity bounds a plan's window.
 */
struct sw_plan_key {
	char *name;                  /* an OS user name: who the signature counts as */
	char *path;                  /* PEM public key file */
};
struct sw_plans_policy {
	struct sw_strv approvers;    /* empty: root only */
	unsigned approvals_required; /* >= 1 */
	struct sw_plan_key *keys;
	size_t n_keys;
	unsigned max_validity_s;     /* default 7 days */
};
const struct sw_plans_policy *sw_policy_plans(const struct sw_policy *p);
/* The public key file of the offline approver name, or NULL. */
const char *sw_policy_plan_key(const struct sw_policy *p, const char *name);
size_t sw_policy_n_rules(const struct sw_policy *p);
const struct sw_rule *sw_policy_rule_at(const struct sw_policy *p, size_t i);
/* The rule with this id; NULL for reserved ids ("default", ...) and unknown ids. */
const struct sw_rule *sw_policy_rule(const struct sw_policy *p, const char *id);
enum sw_verdict sw_policy_default(const struct sw_policy *p);
/* `live: { dsn: ... }`: where the daemon reads live context (libpq DSN), or NULL. */
const char *sw_policy_live_dsn(const struct sw_policy *p);
/* `live: { mysql_dsn: ... }`: the same for MariaDB sessions (my_live.c's DSN), or NULL. */
const char *sw_policy_live_mysql_dsn(const struct sw_policy *p);
/*
 * `trusted_functions:` -- vetted code an agent may call. A call of a trusted
 * function (written schema-qualified, "app.report_monthly") is not an
 * unknown_function; what it runs is judged at the execution checkpoint, or
 * with `nested: record` (*record) recorded there without being judged.
 */
struct sw_strv;
/* The owners of the functions schema.name (live catalog); false when they cannot be read. */
typedef bool (*sw_owner_fn)(void *ctx, const char *schema, const char *name, struct sw_strv *owners);
/* An entry with `owner:` trusts a function only when owners (may be NULL: then never) says every
 * function of that name is owned by a matching role; why (may be NULL) says why one was not. */
bool sw_policy_function_trusted(const struct sw_policy *p, const char *function, bool *record, sw_owner_fn owners,
				void *ctx, char *why, size_t whylen);
/* Clear unknown_function where every unknown function a statement calls is trusted (with a
 * reason saying so); true when all of them are trusted with `nested: record`. Before judging. */
bool sw_policy_apply_trust(const struct sw_policy *p, struct sw_analysis *a, sw_owner_fn owners, void *ctx);
/* The policy's top-level `description:`, or NULL. */
const char *sw_policy_description(const struct sw_policy *p);
/* True for ids the engine reserves (default, ungoverned, empty). */
bool sw_rule_id_reserved(const char *id);

/* Judge one statement for a governed subject (does not check governance). */
void sw_policy_judge_stmt(const struct sw_policy *p, const struct sw_subject *s,
			  const struct sw_stmt *st, struct sw_judgement *out);
/*
 * Judge a whole analysis. per_stmt (may be NULL) receives one judgement per
 * statement; overall is the most severe one (the first at that severity).
 * An ungoverned role gets allow with rule SW_RULE_UNGOVERNED for every part.
 * An analysis with no statements (empty string, only comments) is allowed
 * with rule SW_RULE_EMPTY. When !a->parse_ok the analysis holds one
 * statement of class unknown and the rules decide it like any other.
 */
void sw_policy_judge(const struct sw_policy *p, const struct sw_subject *s,
		     const struct sw_analysis *a, struct sw_judgement *per_stmt,
		     struct sw_judgement *overall);

/*
 * Freeze (policy `freeze:`): the classes a freeze denies for governed roles
 * (default write, ddl, privilege), who besides root may switch it, and
 * scheduled windows. sw_policy_freeze_window returns the reason of a window
 * active at t (UTC), or NULL.
 */
bool sw_policy_freezes(const struct sw_policy *p, enum sw_class c);
const struct sw_strv *sw_policy_freeze_operators(const struct sw_policy *p);
const char *sw_policy_freeze_window(const struct sw_policy *p, time_t t);
/* When the scheduled freeze in force at t ends (windows that follow on without
 * a gap count as one), or 0 when no window is active at t. */
time_t sw_policy_freeze_window_until(const struct sw_policy *p, time_t t);

/*
 * Separate powers on the control socket (policy `access:`): who besides root
 * may read the queue (pending, show, status) and who may read the ledger (the
 * daemon grants them read access to the ledger file). Each list holds OS
 * users and "group:NAME"; empty when the policy names nobody.
 */
const struct sw_strv *sw_policy_queue_readers(const struct sw_policy *p);
const struct sw_strv *sw_policy_ledger_readers(const struct sw_policy *p);

#endif
