/*
 * The daemon's approved plans (plan.h): submitted over the control socket,
 * approved there or by offline signatures, kept one file each in a directory
 * (written atomically, so a restart neither forgets an approval nor grants a
 * second run), and the runs in progress.
 *
 * A run: a governed session whose statement equals step 1 of a plan in scope
 * (engine, role pattern, database, window, runs left, not revoked, no run in
 * progress) follows the plan; from then on each statement of that session
 * equal to the NEXT step moves it on, and the run ends after the last step.
 * Anything else the session sends is off-plan and judged by the policy as
 * usual (the run waits); a step out of order, a step of a finished run or a
 * second run beyond max_runs is off-plan too.
 *
 * While a session has matched only steps the policy allows anyway (BEGIN,
 * reads), it follows the plan tentatively: several sessions may, and none
 * uses a run (an application's BEGIN must not take a migration's plan). The
 * first step that needs the plan's approvals makes that session's run THE
 * run: it is counted (on disk) and every other session's tentative progress
 * is dropped. A counted run is used for good: a session that ends halfway
 * has used it (runs are never given back).
 */
#ifndef SQLWARD_PLAN_STORE_H
#define SQLWARD_PLAN_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include <jansson.h>
#include "plan.h"
#include "policy.h"

struct sw_plan_run {
	bool active;
	enum sw_engine engine;
	uint64_t session;            /* the engine's session key (PostgreSQL: pid << 32 | context id) */
	size_t next;                 /* 0-based index of the step it waits for */
	unsigned number;             /* 1-based run number */
	size_t last;                 /* 0-based index of the step matched last (for its Bind) */
	bool bind_open;              /* the last step was parsed (extended protocol): its Bind belongs to it */
};

struct sw_plan_entry {
	struct sw_plan *plan;
	char *path;                  /* its file in the store */
	char *submitted_by;
	time_t submitted;
	unsigned runs_started, runs_done;
	bool revoked;
	char *revoked_by;
	struct sw_plan_run run;
	/* Sessions following the plan tentatively (only policy-allowed steps so far). */
	struct sw_plan_tentative { enum sw_engine engine; uint64_t session; size_t next; } *tentative;
	size_t n_tentative;
	/* Derived under the policy in force (policy_digest): approvers that count, and why others do not. */
	char policy_digest[65];
	struct sw_strv approvers, problems;
};

struct sw_plan_store {
	char *dir;
	struct sw_plan_entry **v;
	size_t n;
};

/* Open (create) the directory and load every plan in it; a file that does not load is skipped with a
 * line in notes (the plan it held does not run). -1 with err when the directory is unusable. */
int sw_plan_store_open(const char *dir, struct sw_plan_store **out, struct sw_strv *notes, char *err, size_t errlen);
void sw_plan_store_free(struct sw_plan_store *s);
struct sw_plan_entry *sw_plan_store_find(struct sw_plan_store *s, const char *id);

/*
 * Submit a plan (its JSON as a client sent it). A plan already there (same id) takes the new approvals
 * (the body is the same by construction). Refused when a signature does not verify, the window is over
 * or longer than the policy's max_validity, or the scope names no role. 0 or -1 with err.
 */
int sw_plan_store_submit(struct sw_plan_store *s, const struct sw_policy *pol, const json_t *plan, const char *by,
			 struct sw_plan_entry **out, char *err, size_t errlen);
/* Approve on the control socket as user (digest_prefix must match the plan's digest). */
int sw_plan_store_approve(struct sw_plan_store *s, const struct sw_policy *pol, const char *id,
			  const char *digest_prefix, const char *user, const char *comment, char *err, size_t errlen);
int sw_plan_store_revoke(struct sw_plan_store *s, const char *id, const char *by, char *err, size_t errlen);
/* Approvers that count under pol, recomputed when the policy changed. */
void sw_plan_store_refresh(struct sw_plan_store *s, const struct sw_policy *pol);
/* The entry as `plan list` / `plan status` show it (with per-step readiness under pol when steps). */
json_t *sw_plan_entry_json(struct sw_plan_entry *e, const struct sw_policy *pol, bool steps);

/* ---- runs ---- */

struct sw_plan_match {
	struct sw_plan_entry *e;
	size_t first;                /* 0-based index of the first step matched */
	size_t n;                    /* steps matched (a multi-statement string: one per statement) */
	bool starts;                 /* step 1 (a tentative follower starts) */
	bool tentative;              /* the session follows the plan tentatively (see above) */
	bool bind;                   /* the Bind of the step parsed last (nothing moves on) */
};

/*
 * Which plan step(s) these statements are, for a governed session: digests[i] is
 * sw_plan_stmt_digest() of the string's i-th statement. bind: the statement is an
 * execution (Bind) of what was parsed. Does not change anything (see _advance).
 */
bool sw_plan_store_match(struct sw_plan_store *s, enum sw_engine engine, uint64_t session, const char *role,
			 const char *database, const char (*digests)[65], size_t n, bool bind, time_t now,
			 struct sw_plan_match *m);
/* The matched statements ran (or will): move the session on; a step that needed the plan's approvals
 * (authorised) makes it the counted run; finish it after the last step; saved when counts change.
 * parsed: a Parse (its Bind follows). Returns -1 with err when the store could not be saved (the
 * caller refuses the statement: a run that cannot be counted must not happen). */
int sw_plan_store_advance(struct sw_plan_store *s, const struct sw_plan_match *m, enum sw_engine engine,
			  uint64_t session, bool parsed, bool authorised, char *err, size_t errlen);
/* The session ended: a run it had in progress is over (used). Returns that entry, or NULL. */
struct sw_plan_entry *sw_plan_store_session_ended(struct sw_plan_store *s, enum sw_engine engine, uint64_t session);
/* Is any plan able to start or continue a run (so the gate computes digests at all)? */
bool sw_plan_store_any_active(const struct sw_plan_store *s, time_t now);

#endif
