/* The policy offline commands judge with: see policy_default.h. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "daemon_opts.h"
#include "policy_default.h"

/* policies/default.yaml, compiled in by the Makefile ($(BUILD)/gen/default_policy.c). */
extern const char sw_default_policy_yaml[];

int sw_policy_load_default(const char *path, const char *command, struct sw_policy **p, char *err, size_t errlen)
{
	if (path && path[0])
		return sw_policy_load(path, p, err, errlen);
	if (access(SW_DEFAULT_POLICY, F_OK) == 0) {
		fprintf(stderr, "sqlward %s: policy: %s\n", command, SW_DEFAULT_POLICY);
		return sw_policy_load(SW_DEFAULT_POLICY, p, err, errlen);
	}
	fprintf(stderr, "sqlward %s: policy: the default policy built into sqlward (policies/default.yaml; "
		"%s does not exist; use --policy FILE for another)\n", command, SW_DEFAULT_POLICY);
	return sw_policy_load_string(sw_default_policy_yaml, strlen(sw_default_policy_yaml),
				     "<built-in policies/default.yaml>", p, err, errlen);
}
