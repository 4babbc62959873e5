/*
 * An approved plan: a migration reviewed once (in its pull request) and then
 * run exactly as reviewed. A plan holds the exact statements in order (each
 * with the digest execution is compared with), what each does (the same
 * analysis and impact `check` prints), its scope (roles, database, engine),
 * a validity window, how many runs it allows, and its approvals (offline
 * Ed25519 signatures, or approvals given on the control socket).
 *
 * Typed stages (seed 000): intent (why, by whom, linked change), impact (per
 * step), sql (the steps), validation (what the author checked or will check),
 * approval (the approvals) -- so an incident reviewer follows a change from
 * intent to the ledger records that carry the plan id and step.
 *
 * The plan's id and digest cover everything but its approvals: approving
 * never changes what was approved, and any change to a step, the scope or the
 * window makes a new plan whose earlier approvals do not count.
 *
 * File format (JSON, "sqlward_plan": 1) -- see README "Approved plans".
 */
#ifndef SQLWARD_PLAN_H
#define SQLWARD_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>
#include <jansson.h>
#include "statement.h"

#define SW_PLAN_FORMAT 1
#define SW_PLAN_ID_HEX 16          /* "plan-" + the first 16 hex digits of the digest */
#define SW_PLAN_STEPS_MAX 100000
#define SW_PLAN_RUNS_MAX 1000
#define SW_PLAN_VALIDITY_MAX_S (90 * 24 * 3600)

struct sw_plan_step {
	unsigned n;                /* 1-based position */
	char *sql;                 /* the statement as written in the source */
	char sha256[65];           /* of sql's bytes */
	char match[65];            /* sw_plan_stmt_digest() (plan_digest.h): what a running statement is compared with */
	char *source;              /* "FILE:LINE" it came from, or NULL */
	json_t *analysis;          /* class, command, objects, impact, verdict the policy gave at plan time */
};

enum sw_plan_approval_via { SW_PLAN_VIA_SIGNATURE = 0, SW_PLAN_VIA_CONTROL };

struct sw_plan_approval {
	char *approver;            /* signature: the key's name in the policy (an OS user name);
	                            * control: the OS user the kernel vouched for */
	enum sw_plan_approval_via via;
	char *signature;           /* base64 Ed25519 signature over sw_plan_signed_message(); NULL for control */
	char *comment;             /* may be NULL */
	time_t when;
};

struct sw_plan {
	char id[5 + SW_PLAN_ID_HEX + 1];   /* "plan-0123456789abcdef" */
	char digest[65];                   /* SHA-256 of the canonical body (everything but approvals) */
	/* scope */
	enum sw_engine engine;
	struct sw_strv roles;              /* role patterns as in govern.roles; the plan runs only for these */
	char *database;                    /* exact database name, or NULL: any */
	/* window and runs */
	time_t created, valid_from, valid_until;
	unsigned max_runs;                 /* >= 1 */
	/* stages */
	char *title;                       /* intent: one line */
	char *author;                      /* intent: who wrote it (never counts as its approver) */
	json_t *intent;                    /* intent: free-form object (change, ticket, description); owned */
	json_t *validation;                /* validation: free-form object (checks run/expected); owned, may be NULL */
	struct sw_plan_step *steps;
	size_t n_steps;
	struct sw_plan_approval *approvals;
	size_t n_approvals;
};

/* Parse and validate a plan (every field, the digest recomputed and compared, ids). -1 with err. */
int sw_plan_from_json(const json_t *j, struct sw_plan **out, char *err, size_t errlen);
int sw_plan_load(const char *path, struct sw_plan **out, char *err, size_t errlen);
/* The plan as its file holds it (body + approvals). */
json_t *sw_plan_to_json(const struct sw_plan *p);
/* Recompute digest and id from the body (after building or changing it). */
void sw_plan_seal(struct sw_plan *p);
/* The bytes an offline approval signs: "sqlward-plan-v1\n" + id + "\n" + digest + "\n". Static buffer-free: out[128]. */
void sw_plan_signed_message(const struct sw_plan *p, char out[128]);
void sw_plan_free(struct sw_plan *p);

/*
 * Offline approval (OpenSSL Ed25519). Keys are PEM files: the private key
 * stays with its approver (CI secret); the policy names each approver's
 * public key (plans: { keys: { alice: FILE } }).
 */
int sw_plan_keygen(const char *private_path, const char *public_path, char *err, size_t errlen);
/* Append a signature by approver with the private key at key_path. */
int sw_plan_sign(struct sw_plan *p, const char *approver, const char *key_path, const char *comment,
		 char *err, size_t errlen);
/* Does approval a carry a valid signature of p by the public key in pubkey_pem_path? */
bool sw_plan_signature_valid(const struct sw_plan *p, const struct sw_plan_approval *a, const char *pubkey_pem_path,
			     char *err, size_t errlen);

#endif
