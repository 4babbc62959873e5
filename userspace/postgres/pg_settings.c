/*
 * The run-time settings allowlist and the value checks behind it; see
 * pg_settings.h. Parsing follows PostgreSQL 15 (guc.c parse_int and
 * convert_to_base_unit, bool.c parse_bool_with_len, varlena.c
 * SplitIdentifierString) so a value is judged as the server will read it.
 */
#include <ctype.h>
#include <errno.h>
#include <fnmatch.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "pg_settings.h"
#include "util.h"

/* Which values a setting may take; the text is what sw_pg_setting_allowlist shows. */
static const char ANY_VALUE[] = "any value";
static const char ONLY_ON[] = "only on (RESET transaction_read_only is refused: it resets to off)";
static const char ONLY_LOWER[] = "only lowered: nonzero and not above the session's current value";
static const char CATALOG_FIRST[] = "any list in which no schema comes before pg_catalog";

static const struct sw_setting_entry allowlist[] = {
	/* Presentation of values to this client only. */
	{ "application_name", ANY_VALUE, "a label in pg_stat_activity and the log; changes no privilege or limit" },
	{ "bytea_output", ANY_VALUE, "how bytea values are printed to this client" },
	{ "client_encoding", ANY_VALUE, "conversion happens before parsing, so sqlward sees the server-encoded text either way" },
	{ "client_min_messages", ANY_VALUE, "which notices this client receives; the server log is unaffected" },
	{ "datestyle", ANY_VALUE, "how dates are printed and read for this session" },
	{ "extra_float_digits", ANY_VALUE, "how many digits floating-point output shows" },
	{ "intervalstyle", ANY_VALUE, "how intervals are printed" },
	{ "lc_messages", ANY_VALUE, "the language of messages (this session's server log lines too); what is logged stays the same" },
	{ "lc_monetary", ANY_VALUE, "locale for money formatting" },
	{ "lc_numeric", ANY_VALUE, "locale for number formatting (to_char)" },
	{ "lc_time", ANY_VALUE, "locale for date formatting (to_char)" },
	{ "timezone", ANY_VALUE, "the time zone timestamps are shown in" },
	{ "xmlbinary", ANY_VALUE, "how binary values are encoded in XML output" },
	{ "xmloption", ANY_VALUE, "whether XML values are documents or content" },
	{ "default_text_search_config", ANY_VALUE, "the text search configuration used when none is named" },
	/* Lexing: the daemon reads the backend's own values and judges under them. */
	{ "backslash_quote", ANY_VALUE, "string lexing; sqlward judges each statement under the backend's current value" },
	{ "escape_string_warning", ANY_VALUE, "only a warning about backslashes in strings" },
	{ "standard_conforming_strings", ANY_VALUE, "string lexing; sqlward judges each statement under the backend's current value" },
	/* Stricter or equal isolation never grants anything. */
	{ "default_transaction_deferrable", ANY_VALUE, "whether serializable read-only transactions wait for a safe snapshot" },
	{ "default_transaction_isolation", ANY_VALUE, "isolation level of later transactions; no level lifts a privilege" },
	{ "transaction_deferrable", ANY_VALUE, "whether this serializable read-only transaction waits for a safe snapshot" },
	{ "transaction_isolation", ANY_VALUE, "isolation level of this transaction; no level lifts a privilege" },
	/* Constrained: only in the safe direction. */
	{ "default_transaction_read_only", ONLY_ON, "turning read-only on only takes the ability to write away" },
	{ "transaction_read_only", ONLY_ON, "turning read-only on only takes the ability to write away" },
	{ "idle_in_transaction_session_timeout", ONLY_LOWER, "a shorter limit only ends idle transactions sooner" },
	{ "idle_session_timeout", ONLY_LOWER, "a shorter limit only ends idle sessions sooner" },
	{ "lock_timeout", ONLY_LOWER, "a shorter limit only gives up on locks sooner" },
	{ "statement_timeout", ONLY_LOWER, "a shorter limit only cancels statements sooner" },
	{ "search_path", CATALOG_FIRST, "name resolution within what the role may already use; pg_catalog must stay ahead so built-ins cannot be shadowed" },
};

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* Settings changed by SET ROLE / SET SESSION AUTHORIZATION: never, not even RESET. */
static const char *const identity_settings[] = { "role", "session_authorization" };

/* What a notable setting off the allowlist would let a session do (fnmatch on the canonical name). */
static const struct { const char *glob; const char *does; } denied_hints[] = {
	{ "session_replication_role", "can switch off triggers and foreign-key checks" },
	{ "row_security", "changes how row-level security policies apply" },
	{ "*_preload_libraries", "loads shared libraries into the server" },
	{ "log_*", "changes what the server logs (the audit trail)" },
	{ "debug_*", "changes what the server logs (the audit trail)" },
	{ "trace_*", "changes what the server logs (the audit trail)" },
	{ "*work_mem", "lets one session take more server memory" },
	{ "hash_mem_multiplier", "lets one session take more server memory" },
	{ "temp_buffers", "lets one session take more server memory" },
	{ "temp_file_limit", "lets one session fill more disk with temporary files" },
	{ "max_parallel_*", "lets one session take more server CPUs" },
	{ "synchronous_commit", "weakens the durability of the session's commits" },
	{ "zero_damaged_pages", "switches off a data-integrity check" },
	{ "ignore_*", "switches off a data-integrity check" },
	{ "lo_compat_privileges", "switches off large-object permission checks" },
	{ "allow_system_table_mods", "lets the system catalogs be modified directly" },
	{ "default_tablespace", "moves new tables to other storage" },
	{ "temp_tablespaces", "moves temporary files to other storage" },
	{ "enable_*", "changes query plans, which can make statements far slower" },
};

/* Names PostgreSQL marks GUC_LIST_QUOTE: each list item is quoted as an identifier. */
static const char *const list_quoted[] = {
	"local_preload_libraries", "search_path", "session_preload_libraries",
	"shared_preload_libraries", "temp_tablespaces",
};

/* guc.c map_old_guc_names: obsolete names the server still accepts. */
static const char *const old_names[][2] = {
	{ "sort_mem", "work_mem" },
	{ "vacuum_mem", "maintenance_work_mem" },
};

static void say(char *why, size_t whylen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void say(char *why, size_t whylen, const char *fmt, ...)
{
	va_list ap;

	if (!why || !whylen)
		return;
	va_start(ap, fmt);
	vsnprintf(why, whylen, fmt, ap);
	va_end(ap);
}

char *sw_pg_setting_canonical(const char *name)
{
	char *low = sw_xstrdup(name ? name : "");

	/* guc_name_compare folds ASCII letters only. */
	for (char *p = low; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	for (size_t i = 0; i < N(old_names); i++)
		if (strcmp(low, old_names[i][0]) == 0) {
			free(low);
			return sw_xstrdup(old_names[i][1]);
		}
	return low;
}

static const struct sw_setting_entry *find_allowed(const char *canon)
{
	for (size_t i = 0; i < N(allowlist); i++)
		if (strcmp(allowlist[i].name, canon) == 0)
			return &allowlist[i];
	return NULL;
}

static bool is_identity(const char *canon)
{
	for (size_t i = 0; i < N(identity_settings); i++)
		if (strcmp(identity_settings[i], canon) == 0)
			return true;
	return false;
}

bool sw_pg_setting_list_quoted(const char *name)
{
	char *canon = sw_pg_setting_canonical(name);
	bool quoted = false;

	for (size_t i = 0; i < N(list_quoted) && !quoted; i++)
		quoted = strcmp(list_quoted[i], canon) == 0;
	free(canon);
	return quoted;
}

size_t sw_pg_setting_allowlist(const struct sw_setting_entry **entries)
{
	*entries = allowlist;
	return N(allowlist);
}

/* ---- values, parsed as the server parses them ---- */

/* pg_strncasecmp over ASCII: equal in the first n bytes, ignoring case? */
static bool ascii_prefix_eq(const char *a, const char *b, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int ca = tolower((unsigned char)a[i]), cb = tolower((unsigned char)b[i]);
		if (ca != cb)
			return false;
		if (!ca)
			return true;
	}
	return true;
}

/* bool.c parse_bool_with_len: on/off/true/false/yes/no/1/0 and unique prefixes; no white space. */
static bool parse_pg_bool(const char *v, bool *out)
{
	size_t len = strlen(v);

	switch (*v) {
	case 't': case 'T':
		*out = true;
		return ascii_prefix_eq(v, "true", len);
	case 'f': case 'F':
		*out = false;
		return ascii_prefix_eq(v, "false", len);
	case 'y': case 'Y':
		*out = true;
		return ascii_prefix_eq(v, "yes", len);
	case 'n': case 'N':
		*out = false;
		return ascii_prefix_eq(v, "no", len);
	case 'o': case 'O':
		/* "o" alone is ambiguous: at least two characters are compared. */
		if (ascii_prefix_eq(v, "on", len > 2 ? len : 2)) {
			*out = true;
			return true;
		}
		*out = false;
		return ascii_prefix_eq(v, "off", len > 2 ? len : 2);
	case '1':
		*out = true;
		return len == 1;
	case '0':
		*out = false;
		return len == 1;
	default:
		return false;
	}
}

/*
 * rint() in the default rounding mode (half to even) without libm: below
 * 2^52, adding and subtracting 2^52 leaves the nearest integer.
 */
static double round_half_even(double x)
{
	const double two52 = 4503599627370496.0;
	volatile double t;

	if (!(x < two52 && x > -two52))
		return x;  /* already integral, or not a number */
	if (x >= 0) {
		t = x + two52;
		return t - two52;
	}
	t = x - two52;
	return t + two52;
}

/*
 * guc.c convert_to_base_unit for GUC_UNIT_MS: a unit of at most three
 * characters (case-sensitive), white space after it, nothing else. A
 * fractional value is rounded to a whole number of the next smaller unit.
 */
static bool ms_from_unit(double value, const char *unit, double *ms)
{
	static const struct { const char *unit; double mult; } units[] = {
		{ "d", 1000.0 * 60 * 60 * 24 }, { "h", 1000.0 * 60 * 60 }, { "min", 1000.0 * 60 },
		{ "s", 1000.0 }, { "ms", 1.0 }, { "us", 1.0 / 1000 },
	};
	char u[4];
	size_t n = 0;

	while (*unit && !isspace((unsigned char)*unit) && n < 3)
		u[n++] = *unit++;
	u[n] = '\0';
	while (isspace((unsigned char)*unit))
		unit++;
	if (*unit)
		return false;
	for (size_t i = 0; i < N(units); i++)
		if (strcmp(u, units[i].unit) == 0) {
			double v = value * units[i].mult;
			if (i + 1 < N(units))
				v = round_half_even(v / units[i + 1].mult) * units[i + 1].mult;
			*ms = v;
			return true;
		}
	return false;
}

/* guc.c parse_int with GUC_UNIT_MS: integer (octal, hex) or float, optional unit, rounded. */
static bool parse_pg_ms(const char *value, int *out)
{
	char *end;
	double v;

	errno = 0;
	v = (double)strtol(value, &end, 0);
	if (*end == '.' || *end == 'e' || *end == 'E' || errno == ERANGE) {
		errno = 0;
		v = strtod(value, &end);
	}
	if (end == value || errno == ERANGE || isnan(v))
		return false;
	while (isspace((unsigned char)*end))
		end++;
	if (*end && !ms_from_unit(v, end, &v))
		return false;
	v = round_half_even(v);
	if (v > INT_MAX || v < INT_MIN)
		return false;
	*out = (int)v;
	return true;
}

/*
 * varlena.c SplitIdentifierString with ',': the first schema name, and
 * whether "pg_catalog" appears. Unquoted names are folded to lower case;
 * quoted ones keep their case and "" stands for ". (Truncation to 63 bytes
 * cannot make a name equal pg_catalog, so it is not done.) false: the
 * server would refuse the list.
 */
static bool split_search_path(const char *value, char **first, bool *has_catalog)
{
	char *buf = sw_xstrdup(value), *p = buf;
	bool ok = true, done = false;

	*first = NULL;
	*has_catalog = false;
	while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r' || *p == '\f')
		p++;
	while (*p && !done) {
		char *name, *endp;

		if (*p == '"') {
			char *w;
			name = w = p + 1;
			for (p++;; p++) {
				if (!*p) {
					ok = false;
					goto out;
				}
				if (*p == '"') {
					if (p[1] != '"')
						break;
					p++;
				}
				*w++ = *p;
			}
			endp = w;
			p++;
		} else {
			name = p;
			while (*p && *p != ',' && !strchr(" \t\n\r\f", *p)) {
				if (*p >= 'A' && *p <= 'Z')
					*p = (char)(*p - 'A' + 'a');
				p++;
			}
			endp = p;
			if (name == p) {
				ok = false;
				goto out;
			}
		}
		while (*p && strchr(" \t\n\r\f", *p))
			p++;
		if (*p == ',') {
			p++;
			while (*p && strchr(" \t\n\r\f", *p))
				p++;
		} else if (!*p) {
			done = true;
		} else {
			ok = false;
			goto out;
		}
		*endp = '\0';
		if (!*first)
			*first = sw_xstrdup(name);
		if (strcmp(name, "pg_catalog") == 0)
			*has_catalog = true;
		/* A separator must be followed by another name. */
		if (!done && !*p) {
			ok = false;
			goto out;
		}
	}
out:
	free(buf);
	if (!ok) {
		free(*first);
		*first = NULL;
	}
	return ok;
}

/* ---- judging ---- */

static int current_timeout_ms(const char *canon, const struct sw_setting_ctx *c)
{
	if (strcmp(canon, "statement_timeout") == 0)
		return c->statement_timeout_ms;
	if (strcmp(canon, "lock_timeout") == 0)
		return c->lock_timeout_ms;
	if (strcmp(canon, "idle_in_transaction_session_timeout") == 0)
		return c->idle_in_transaction_session_timeout_ms;
	return c->idle_session_timeout_ms;
}

static bool timeout_allowed(const char *canon, const char *value, const struct sw_setting_ctx *ctx,
			    char *why, size_t whylen)
{
	int ms, cur = ctx && ctx->timeouts_known ? current_timeout_ms(canon, ctx) : 0;

	if (!parse_pg_ms(value, &ms) || ms < 0) {
		say(why, whylen, "%s = '%s' is not a duration PostgreSQL accepts; write a whole number with "
		    "a unit (us, ms, s, min, h, d), e.g. '30s'", canon, value);
		return false;
	}
	if (ms == 0) {
		say(why, whylen, "%s = '%s' switches the timeout off; governed sessions may only lower "
		    "timeouts, so give a nonzero value such as '30s'", canon, value);
		return false;
	}
	if (cur > 0 && ms > cur) {
		say(why, whylen, "%s = '%s' (%d ms) is above the session's current %d ms; governed sessions "
		    "may only lower timeouts, so give %d ms or less", canon, value, ms, cur, cur);
		return false;
	}
	return true;
}

static bool read_only_allowed(const char *canon, const char *value, char *why, size_t whylen)
{
	bool on;

	if (!parse_pg_bool(value, &on)) {
		say(why, whylen, "%s = '%s' is not a boolean PostgreSQL accepts; write on", canon, value);
		return false;
	}
	if (!on) {
		say(why, whylen, "%s = '%s' makes transactions read-write; governed sessions may only turn "
		    "read-only on, so leave it out (and do not ask for READ WRITE)", canon, value);
		return false;
	}
	return true;
}

/* 1: a schema comes before pg_catalog (*first names it; caller frees), 0: fine, -1: not a list. */
static int catalog_shadowed(const char *value, char **first)
{
	bool has_catalog;

	if (!split_search_path(value, first, &has_catalog))
		return -1;
	return has_catalog && strcmp(*first, "pg_catalog") != 0;
}

static bool search_path_allowed(const char *value, char *why, size_t whylen)
{
	char *first = NULL;
	int shadowed = catalog_shadowed(value, &first);

	if (shadowed < 0)
		say(why, whylen, "search_path = '%s' is not a list PostgreSQL accepts; write schema names "
		    "separated by commas", value);
	else if (shadowed)
		say(why, whylen, "search_path = '%s' puts schema \"%s\" before pg_catalog, so its functions "
		    "and operators would shadow the built-ins; put pg_catalog first or leave it out (it is "
		    "then searched first)", value, first);
	free(first);
	return shadowed == 0;
}

static void why_identity(const char *canon, char *why, size_t whylen)
{
	say(why, whylen, "%s changes who the session acts as (%s); a governed session keeps the identity "
	    "it logged in with, so ask a DBA to grant the privileges it needs instead", canon,
	    strcmp(canon, "role") == 0 ? "SET ROLE, RESET ROLE" :
	    "SET SESSION AUTHORIZATION, RESET SESSION AUTHORIZATION");
}

static void why_not_listed(const char *canon, char *why, size_t whylen)
{
	/* Settings from ALTER ROLE/DATABASE ... SET are judged at connection start like SET:
	 * only the policy can widen what a governed session may have. */
	static const char advice[] = "if the team accepts it for this role, add an allow rule with `setting:";
	const char *does = NULL;

	if (strchr(canon, '.')) {
		say(why, whylen, "%s is an extension or application setting, which governed sessions may "
		    "not change; %s [%s]` before deny-unsafe-setting", canon, advice, canon);
		return;
	}
	for (size_t i = 0; i < N(denied_hints) && !does; i++)
		if (fnmatch(denied_hints[i].glob, canon, 0) == 0)
			does = denied_hints[i].does;
	say(why, whylen, "%s %s%sis not on sqlward's list of settings governed sessions may change; "
	    "%s [%s]` before deny-unsafe-setting", canon, does ? does : "", does ? ", and " : "",
	    advice, canon);
}

bool sw_pg_setting_allowed(const char *name, const char *value, const struct sw_setting_ctx *ctx,
			   char *why, size_t whylen)
{
	char *canon = sw_pg_setting_canonical(name);
	const struct sw_setting_entry *e = find_allowed(canon);
	bool ok = false;

	if (is_identity(canon)) {
		why_identity(canon, why, whylen);
	} else if (!value) {
		/*
		 * RESET restores the value the DBA (or the connection) set, except
		 * for transaction_read_only, whose reset value is PostgreSQL's
		 * built-in off: inside a transaction that has not read yet it turns
		 * default_transaction_read_only = on into a read-write transaction.
		 */
		ok = strcmp(canon, "transaction_read_only") != 0;
		if (!ok)
			say(why, whylen, "RESET transaction_read_only makes the transaction read-write "
			    "(PostgreSQL's built-in default), whatever the DBA set; leave it alone or set it to on");
	} else if (!e) {
		why_not_listed(canon, why, whylen);
	} else if (e->values == ANY_VALUE) {
		ok = true;
	} else if (e->values == ONLY_ON) {
		ok = read_only_allowed(canon, value, why, whylen);
	} else if (e->values == ONLY_LOWER) {
		ok = timeout_allowed(canon, value, ctx, why, whylen);
	} else {
		ok = search_path_allowed(value, why, whylen);
	}
	free(canon);
	return ok;
}

bool sw_pg_setting_copy_allowed(const char *name, char *why, size_t whylen)
{
	char *canon = sw_pg_setting_canonical(name);
	const struct sw_setting_entry *e = find_allowed(canon);
	bool ok = false;

	if (is_identity(canon))
		why_identity(canon, why, whylen);
	else if (!e)
		why_not_listed(canon, why, whylen);
	else if (e->values == ANY_VALUE)
		ok = true;
	else
		say(why, whylen, "SET %s FROM CURRENT copies a value sqlward cannot see, and %s is constrained "
		    "(%s); write the value out instead", canon, canon, e->values);
	free(canon);
	return ok;
}

const char *sw_pg_setting_escalation(const char *name, const char *value)
{
	char *canon = sw_pg_setting_canonical(name), *first = NULL;
	const char *esc = NULL;

	if (strcmp(canon, "role") == 0)
		esc = "changes the role the session acts as";
	else if (strcmp(canon, "session_authorization") == 0)
		esc = "changes the session user";
	else if (strcmp(canon, "session_replication_role") == 0 && value)
		esc = "can switch off triggers and foreign-key checks";
	else if (strcmp(canon, "search_path") == 0 && value && catalog_shadowed(value, &first) == 1)
		esc = "puts a schema before pg_catalog, so user functions and operators can shadow the built-ins";
	free(first);
	free(canon);
	return esc;
}

bool sw_pg_setting_any_value(const char *canonical_name)
{
	for (size_t i = 0; i < N(allowlist); i++)
		if (strcmp(allowlist[i].name, canonical_name) == 0)
			return allowlist[i].values == ANY_VALUE;
	return false;
}
