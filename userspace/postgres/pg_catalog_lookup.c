/*
 * Lookups over the generated catalog data (pg_catalog_data.h). The typmod
 * rules restate PostgreSQL 15's planner support functions:
 *   utils/adt/varchar.c varchar_support, utils/adt/varbit.c varbit_support,
 *   utils/adt/numeric.c numeric_support, utils/adt/datetime.c TemporalSimplify
 *   (timestamp_support, time_support), utils/adt/timestamp.c interval_support,
 * and commands/tablecmds.c ATColumnChangeRequiresRewrite.
 */
#include <stdlib.h>
#include <string.h>
#include "pg_catalog_data.h"

#define VARHDRSZ 4
#define MAX_TEMPORAL_PRECISION 6  /* MAX_TIMESTAMP_PRECISION, MAX_TIME_PRECISION */

static int cmp_vol(const void *k, const void *e)
{
	return strcmp(k, ((const struct sw_pg_volatility *)e)->name);
}

char sw_pg_proc_volatility(const char *name)
{
	const struct sw_pg_volatility *v;
	if (!name)
		return 0;
	v = bsearch(name, sw_pg_volatility, sw_pg_volatility_n, sizeof(*v), cmp_vol);
	return v ? v->vol : 0;
}

bool sw_pg_binary_coercible(const char *source, const char *target)
{
	for (size_t i = 0; i < sw_pg_binary_casts_n; i++)
		if (strcmp(sw_pg_binary_casts[i].source, source) == 0 &&
		    strcmp(sw_pg_binary_casts[i].target, target) == 0)
			return true;
	return false;
}

static const char *typmod_support(const char *type)
{
	for (size_t i = 0; i < sw_pg_typmod_support_n; i++)
		if (strcmp(sw_pg_typmod_support[i].type, type) == 0)
			return sw_pg_typmod_support[i].support;
	return NULL;
}

/* Would the length coercion from old_typmod to new_typmod be simplified away? */
static bool typmod_change_is_free(const char *support, int old_typmod, int new_typmod)
{
	if (new_typmod < 0)
		return true;   /* every support function: an unconstrained target is a relabel */
	if (old_typmod < 0)
		return false;
	if (strcmp(support, "varchar_support") == 0 || strcmp(support, "varbit_support") == 0)
		return old_typmod <= new_typmod;
	if (strcmp(support, "numeric_support") == 0) {
		int o = old_typmod - VARHDRSZ, n = new_typmod - VARHDRSZ;
		return (o & 0x7ff) == (n & 0x7ff) && ((o >> 16) & 0xffff) <= ((n >> 16) & 0xffff);
	}
	if (strcmp(support, "timestamp_support") == 0 || strcmp(support, "time_support") == 0)
		return new_typmod >= MAX_TEMPORAL_PRECISION || old_typmod <= new_typmod;
	return false;  /* interval_support also weighs the field mask: assume a rewrite */
}

bool sw_pg_alter_type_rewrites(const char *old_type, int old_typmod, const char *new_type, int new_typmod)
{
	const char *support;
	if (!old_type || !new_type)
		return true;
	if (strcmp(old_type, new_type) == 0) {
		if (old_typmod == new_typmod)
			return false;
		support = typmod_support(new_type);
		return !support || !typmod_change_is_free(support, old_typmod, new_typmod);
	}
	/* timestamp <-> timestamptz is free only when the session TimeZone is UTC
	 * (TimestampTimestampTzRequiresRewrite); the daemon cannot know it: rewrite. */
	if (!sw_pg_binary_coercible(old_type, new_type))
		return true;
	/* A RelabelType keeps no typmod: a new typmod is a length coercion from
	 * "unconstrained", which only an unconstrained target avoids. */
	return new_typmod >= 0;
}
