/*
 * Lookups over the generated catalog tables (pg_catalog_data.h,
 * pg_proc_oids.h), each for one PostgreSQL major. The typmod
 * rules restate PostgreSQL 15's planner support functions:
 *   utils/adt/varchar.c varchar_support, utils/adt/varbit.c varbit_support,
 *   utils/adt/numeric.c numeric_support, utils/adt/datetime.c TemporalSimplify
 *   (timestamp_support, time_support), utils/adt/timestamp.c interval_support,
 * and commands/tablecmds.c ATColumnChangeRequiresRewrite.
 */
#include <stdlib.h>
#include <string.h>
#include "pg_catalog_data.h"
#include "pg_proc_oids.h"

#define VARHDRSZ 4
#define MAX_TEMPORAL_PRECISION 6  /* MAX_TIMESTAMP_PRECISION, MAX_TIME_PRECISION */

bool sw_pg_catalog_has_major(int major)
{
	return major >= SW_PG_MAJOR_MIN && major <= SW_PG_MAJOR_MAX;
}

/* ---- functions by OID ------------------------------------------------------- */

static int compare_oid(const void *key, const void *elem)
{
	unsigned oid = *(const unsigned *)key;
	const struct sw_pg_proc *p = elem;

	return oid < p->oid ? -1 : oid > p->oid;
}

const struct sw_pg_proc *sw_pg_proc_by_oid(unsigned oid, int major)
{
	const struct sw_pg_proc *hit, *end = sw_pg_procs + sw_pg_procs_n;

	if (!sw_pg_catalog_has_major(major))
		return NULL;
	hit = bsearch(&oid, sw_pg_procs, sw_pg_procs_n, sizeof(sw_pg_procs[0]), compare_oid);
	if (!hit)
		return NULL;
	/* An OID has one row per distinct meaning across majors: find this major's. */
	while (hit > sw_pg_procs && hit[-1].oid == oid)
		hit--;
	for (; hit < end && hit->oid == oid; hit++)
		if (hit->majors & SW_PG_MAJOR_BIT(major))
			return hit;
	return NULL;
}

/* ---- volatility, casts: for this thread's major ------------------------------ */

static _Thread_local int current_major;   /* 0: SW_PG_GRAMMAR_MAJOR */

int sw_pg_catalog_set_major(int major)
{
	int old = sw_pg_catalog_major();

	current_major = major;
	return old;
}

int sw_pg_catalog_major(void)
{
	return current_major ? current_major : SW_PG_GRAMMAR_MAJOR;
}

static int cmp_vol(const void *k, const void *e)
{
	return strcmp(k, ((const struct sw_pg_volatility *)e)->name);
}

char sw_pg_proc_volatility(const char *name)
{
	const struct sw_pg_volatility *v, *end = sw_pg_volatility + sw_pg_volatility_n;
	unsigned bit = SW_PG_MAJOR_BIT(sw_pg_catalog_major());

	if (!name)
		return 0;
	v = bsearch(name, sw_pg_volatility, sw_pg_volatility_n, sizeof(*v), cmp_vol);
	if (!v)
		return 0;
	/* Rows of one name are adjacent (one per volatility seen across majors). */
	while (v > sw_pg_volatility && strcmp(v[-1].name, name) == 0)
		v--;
	for (; v < end && strcmp(v->name, name) == 0; v++)
		if (v->majors & bit)
			return v->vol;
	return 0;
}

bool sw_pg_binary_coercible(const char *source, const char *target)
{
	unsigned bit = SW_PG_MAJOR_BIT(sw_pg_catalog_major());

	for (size_t i = 0; i < sw_pg_binary_casts_n; i++)
		if ((sw_pg_binary_casts[i].majors & bit) && strcmp(sw_pg_binary_casts[i].source, source) == 0 &&
		    strcmp(sw_pg_binary_casts[i].target, target) == 0)
			return true;
	return false;
}

static const char *typmod_support(const char *type)
{
	unsigned bit = SW_PG_MAJOR_BIT(sw_pg_catalog_major());

	for (size_t i = 0; i < sw_pg_typmod_support_n; i++)
		if ((sw_pg_typmod_support[i].majors & bit) && strcmp(sw_pg_typmod_support[i].type, type) == 0)
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
