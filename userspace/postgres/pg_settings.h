/*
 * PostgreSQL run-time settings (GUCs) a governed session may change: the
 * shipped allowlist, default deny. A governed login (possibly SUPERUSER)
 * must not weaken what the DBA set (timeouts, read-only transactions,
 * logging, row security, resource limits) nor change who it is (role,
 * session_authorization). Names and values are judged the way the server
 * reads them (guc.c, varlena.c, bool.c of PostgreSQL 15): case-insensitive
 * names with the old aliases mapped, booleans as parse_bool, durations as
 * parse_int with GUC_UNIT_MS, search_path as SplitIdentifierString.
 *
 * A security team extends the allowlist in the policy, not here: an allow
 * rule `match: { setting: [work_mem] }` placed before the rule that denies
 * trait unsafe_setting (policies/README.md).
 */
#ifndef SQLWARD_PG_SETTINGS_H
#define SQLWARD_PG_SETTINGS_H

#include <stdbool.h>
#include <stddef.h>

/* What the daemon knows about the session right now; NULL = nothing known (offline `sqlward check`). */
struct sw_setting_ctx {
	bool timeouts_known;
	int statement_timeout_ms, lock_timeout_ms, idle_in_transaction_session_timeout_ms, idle_session_timeout_ms;
};

/*
 * May a governed session set `name` to `value` (value NULL = RESET / SET ...
 * TO DEFAULT)? value is the text the server receives (flatten_set_variable_args:
 * list items joined with ", ", search_path items quoted as identifiers).
 * false: *why gets one sentence naming the setting, what is wrong and what
 * to do (why may be NULL).
 */
bool sw_pg_setting_allowed(const char *name, const char *value, const struct sw_setting_ctx *ctx,
			   char *why, size_t whylen);

/*
 * SET name FROM CURRENT copies the value in effect, which sqlward does not
 * see offline: allowed only for settings that may take any value.
 */
bool sw_pg_setting_copy_allowed(const char *name, char *why, size_t whylen);

/*
 * Why this change escalates the session, or NULL: any change (RESET too) of
 * role or session_authorization, setting session_replication_role, and a
 * search_path that puts a schema before pg_catalog (user functions and
 * operators would shadow the built-ins sqlward trusts). value as above.
 */
const char *sw_pg_setting_escalation(const char *name, const char *value);

/* The name the server resolves (lower case, sort_mem -> work_mem, ...). Caller frees. */
char *sw_pg_setting_canonical(const char *name);

/* Does the server quote each list item as an identifier (GUC_LIST_QUOTE: search_path, ...)? */
bool sw_pg_setting_list_quoted(const char *name);

/* May a governed session give this setting (canonical name) any value at all? */
bool sw_pg_setting_any_value(const char *canonical_name);

/* The allowlist, for documentation and tests. */
struct sw_setting_entry {
	const char *name;    /* canonical name */
	const char *values;  /* which values a governed session may give it */
	const char *why;     /* why that is harmless */
};
size_t sw_pg_setting_allowlist(const struct sw_setting_entry **entries);

#endif
