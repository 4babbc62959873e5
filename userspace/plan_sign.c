/*
 * Offline approval of a plan (plan.h): Ed25519 keys in PEM files and
 * signatures over sw_plan_signed_message() (plan id and digest), base64.
 * The private key stays with its approver (a CI secret); the policy names
 * each approver's public key. The key and signature work is ed25519_pem.h's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "ed25519_pem.h"
#include "plan.h"
#include "util.h"

int sw_plan_keygen(const char *private_path, const char *public_path, char *err, size_t errlen)
{
	return sw_ed25519_keygen(private_path, public_path, err, errlen);
}

int sw_plan_sign(struct sw_plan *p, const char *approver, const char *key_path, const char *comment,
		 char *err, size_t errlen)
{
	char msg[128], b64[SW_ED25519_SIG_B64_LEN + 1], why[300];
	EVP_PKEY *key;
	struct sw_plan_approval *a;
	int rc;

	if (!approver || !approver[0]) {
		snprintf(err, errlen, "a signature needs the approver's name (the key's name in the policy)");
		return -1;
	}
	for (size_t i = 0; i < p->n_approvals; i++)
		if (strcmp(p->approvals[i].approver, approver) == 0) {
			snprintf(err, errlen, "%s has already approved plan %s; one approval per approver", approver,
				 p->id);
			return -1;
		}
	if (!(key = sw_ed25519_read_key(key_path, true, err, errlen)))
		return -1;
	sw_plan_signed_message(p, msg);
	rc = sw_ed25519_sign_b64(key, msg, strlen(msg), b64, why, sizeof(why));
	EVP_PKEY_free(key);
	if (rc != 0) {
		snprintf(err, errlen, "cannot sign with %s: %s", key_path, why);
		return -1;
	}
	p->approvals = sw_xrealloc(p->approvals, (p->n_approvals + 1) * sizeof(*p->approvals));
	a = &p->approvals[p->n_approvals++];
	memset(a, 0, sizeof(*a));
	a->approver = sw_xstrdup(approver);
	a->via = SW_PLAN_VIA_SIGNATURE;
	a->signature = sw_xstrdup(b64);
	a->comment = comment ? sw_xstrdup(comment) : NULL;
	a->when = time(NULL);
	return 0;
}

bool sw_plan_signature_valid(const struct sw_plan *p, const struct sw_plan_approval *a, const char *pubkey_pem_path,
			     char *err, size_t errlen)
{
	char msg[128];
	EVP_PKEY *key;
	bool ok;

	if (a->via != SW_PLAN_VIA_SIGNATURE || !a->signature) {
		snprintf(err, errlen, "the approval by %s was given on the control socket, not signed", a->approver);
		return false;
	}
	if (!sw_ed25519_sig_well_formed(a->signature)) {
		snprintf(err, errlen, "the signature by %s is not a base64 Ed25519 signature (88 characters)",
			 a->approver);
		return false;
	}
	if (!(key = sw_ed25519_read_key(pubkey_pem_path, false, err, errlen)))
		return false;
	sw_plan_signed_message(p, msg);
	ok = sw_ed25519_verify_b64(key, a->signature, msg, strlen(msg));
	EVP_PKEY_free(key);
	if (!ok)
		snprintf(err, errlen, "the signature by %s does not verify with %s: it was made for another plan or "
			 "with another key", a->approver, pubkey_pem_path);
	return ok;
}
