/*
 * The policy an offline command (check, plan build) judges with when none is
 * named: --policy FILE, else $SQLWARD_POLICY (the caller passes either as
 * path), else /etc/sqlward/policy.yaml on a database host, else the shipped
 * policies/default.yaml compiled into sqlward (a laptop or a CI runner).
 */
#ifndef SQLWARD_POLICY_DEFAULT_H
#define SQLWARD_POLICY_DEFAULT_H

#include <stddef.h>
#include "policy.h"

/* Load it; says on stderr (as command) which policy was used when none was named. 0 or -1 with err. */
int sw_policy_load_default(const char *path, const char *command, struct sw_policy **p, char *err, size_t errlen);

#endif
