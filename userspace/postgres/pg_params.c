/*
 * Bound parameters of an extended-protocol execution (see pg_params.h):
 * read a ParamListInfo (its layout per major: the server binary's, see
 * pg_layout.c) from a stopped backend through a memory-read callback and
 * render each value as its output function would.
 */
#include <inttypes.h>
#include <math.h>   /* classification macros only: sqlward does not link libm */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "pg_params.h"
#include "util.h"

/*
 * src/include/nodes/params.h, x86-64, PostgreSQL 15 (13 to 18 alike; 12 has no
 * paramValuesStr, so numParams at 48 and params at 56): ParamListInfoData is seven pointers
 * (paramFetch first), int numParams at 56, params[] at 64 (Datum alignment);
 * ParamExternData is { Datum value; bool isnull; uint16 pflags; Oid ptype; }:
 * value 0, isnull 8, pflags 10, ptype 12, size 16.
 */
const struct sw_pg_params_layout sw_pg15_params_layout = {
	.fetch_hook_off = 0,
	.num_params_off = 56,
	.params_off = 64,
	.extern_size = 16,
	.value_off = 0,
	.isnull_off = 8,
	.ptype_off = 12,
};


static char *out_finish(struct sw_sbuf *o)
{
	return o->s ? o->s : sw_xstrdup("");
}

static void out_cut_marker(struct sw_sbuf *o, size_t total)
{
	sw_sbuf_printf(o, "... (%zu bytes)", total);
}

/* ---- shared renderers ------------------------------------------------------- */

/* Code points that act on a terminal or hide/reorder text: shown as bytes. */
static bool unsafe_code_point(uint32_t cp)
{
	return cp < 0xA0 || cp == 0xAD || cp == 0x61C || cp == 0x180E || (cp >= 0x2000 && cp <= 0x206F) ||
	       cp == 0xFEFF || (cp >= 0xFFF9 && cp <= 0xFFFB) || (cp >= 0xE0000 && cp <= 0xE007F);
}

/* Append the escaped form of p[0..n) to o, stopping before SW_PARAM_TEXT_MAX; returns the bytes consumed. */
static size_t escape_into(struct sw_sbuf *o, const unsigned char *p, size_t n, bool keep_utf8)
{
	size_t i = 0;

	while (i < n) {
		uint32_t cp;
		size_t len = keep_utf8 && p[i] >= 0x80 ? sw_utf8_decode(p + i, n - i, &cp) : 0;
		char piece[8];
		size_t piece_len;

		if (len && !unsafe_code_point(cp)) {
			memcpy(piece, p + i, len);
			piece_len = len;
		} else {
			/* Byte by byte, also inside an unsafe UTF-8 character. */
			len = 1;
			if (p[i] == '\\')
				piece_len = (size_t)snprintf(piece, sizeof(piece), "\\\\");
			else if (p[i] >= 0x20 && p[i] < 0x7F)
				piece_len = (size_t)snprintf(piece, sizeof(piece), "%c", p[i]);
			else
				piece_len = (size_t)snprintf(piece, sizeof(piece), "\\x%02X", p[i]);
		}
		if (o->len + piece_len > SW_PARAM_TEXT_MAX)
			break;
		sw_sbuf_add(o, piece, piece_len);
		i += len;
	}
	return i;
}

char *sw_render_escaped(const unsigned char *p, size_t n, size_t total, bool keep_utf8)
{
	struct sw_sbuf o = { 0 };

	if (escape_into(&o, p, n, keep_utf8) < total)
		out_cut_marker(&o, total);
	return out_finish(&o);
}

char *sw_render_hex(const unsigned char *p, size_t n, size_t total, size_t max_bytes)
{
	struct sw_sbuf o = { 0 };
	size_t shown = n < max_bytes ? n : max_bytes;

	sw_sbuf_add(&o, "\\x", 2);
	for (size_t i = 0; i < shown; i++)
		sw_sbuf_printf(&o, "%02x", p[i]);
	if (shown < total)
		out_cut_marker(&o, total);
	return out_finish(&o);
}

/* ---- reading backend memory -------------------------------------------------- */

struct reader {
	sw_mem_read_fn rd;
	void *ctx;
	char *err;
	size_t errlen;
	int index;          /* the $n being read, for messages */
	const char *type;
};

static bool read_failed(struct reader *r, uint64_t addr, size_t len)
{
	snprintf(r->err, r->errlen,
		 "could not read %zu bytes of parameter $%d (%s) at 0x%" PRIx64 " in the backend; "
		 "the backend may have moved on or exited: judge the execution again",
		 len, r->index, r->type, addr);
	return false;
}

/* A read that may fail quietly; a range that wraps around the address space fails. */
static bool try_read(struct reader *r, uint64_t addr, void *buf, size_t len)
{
	return addr + len >= addr && r->rd(r->ctx, addr, buf, len);
}

static bool read_mem(struct reader *r, uint64_t addr, void *buf, size_t len)
{
	return try_read(r, addr, buf, len) || read_failed(r, addr, len);
}

enum varlena_form { VARLENA_PLAIN, VARLENA_COMPRESSED, VARLENA_EXTERNAL, VARLENA_CORRUPT };

struct varlena {
	enum varlena_form form;
	size_t size;            /* payload bytes the header declares (plain), stored bytes (compressed) */
	unsigned char header[4];
	unsigned char *data;    /* the first `got` payload bytes (plain) */
	size_t got;
};

/* A varlena datum (postgres.h, little-endian): read the header, then at most `want` payload bytes. */
static bool read_varlena(struct reader *r, uint64_t addr, size_t want, struct varlena *v)
{
	uint32_t word;
	size_t hdr;

	memset(v, 0, sizeof(*v));
	if (!read_mem(r, addr, v->header, 1))
		return false;
	if (v->header[0] == 0x01) {             /* VARATT_IS_1B_E: TOAST pointer or expanded object */
		v->form = VARLENA_EXTERNAL;
		return read_mem(r, addr + 1, v->header + 1, 1);
	}
	if (v->header[0] & 0x01) {              /* VARATT_IS_1B: short header, length includes it */
		hdr = 1;
		v->size = (size_t)(v->header[0] >> 1) - 1;
	} else {
		if (!read_mem(r, addr, v->header, 4))
			return false;
		word = (uint32_t)v->header[0] | (uint32_t)v->header[1] << 8 | (uint32_t)v->header[2] << 16 |
		       (uint32_t)v->header[3] << 24;
		if ((word & 0x03) == 0x02) {    /* VARATT_IS_4B_C: compressed in line */
			v->form = VARLENA_COMPRESSED;
			v->size = word >> 2;
			return true;
		}
		hdr = 4;
		if ((word >> 2) < 4) {
			v->form = VARLENA_CORRUPT;
			return true;
		}
		v->size = (word >> 2) - 4;
	}
	v->form = VARLENA_PLAIN;
	v->got = v->size < want ? v->size : want;
	v->data = sw_xmalloc(v->got + 1);
	if (v->got && !read_mem(r, addr + hdr, v->data, v->got)) {
		free(v->data);
		v->data = NULL;
		return false;
	}
	return true;
}

/* Not decoded here: say what it is instead. */
static char *describe_unplain_varlena(const struct varlena *v)
{
	switch (v->form) {
	case VARLENA_COMPRESSED:
		return sw_xasprintf("(compressed value, %zu bytes stored; not decoded)", v->size);
	case VARLENA_EXTERNAL:
		return sw_xasprintf("(%s; not decoded)", v->header[1] == 18 ? "TOAST pointer to an out-of-line value"
							   : v->header[1] == 1 ? "indirect value"
							   : "expanded in-memory object");
	default:
		return sw_xasprintf("(corrupt varlena header %02x %02x %02x %02x)", v->header[0], v->header[1],
				    v->header[2], v->header[3]);
	}
}

/* ---- value renderers ---------------------------------------------------------- */

/* Is mant * 10^exp10 exactly odd * 2^twos_exp? Both sides reduced to odd part and power of two. */
static bool decimal_equals_dyadic(long long mant, int exp10, uint64_t odd, int twos_exp)
{
	unsigned __int128 m = (unsigned __int128)mant;
	int twos = 0;

	while (m % 2 == 0) {
		m /= 2;
		twos++;
	}
	for (int k = 0; k < (exp10 < 0 ? -exp10 : exp10); k++) {
		if (exp10 > 0) {
			m *= 5;
			if (m > odd)
				return false;
		} else {
			if (m % 5)
				return false;   /* not a dyadic rational */
			m /= 5;
		}
	}
	return m == odd && twos + exp10 == twos_exp;
}

/*
 * Is mant * 10^exp10 exactly halfway between ax (> 0) and a neighbouring
 * value? PostgreSQL builds Ryu with STRICTLY_SHORTEST 0 (ryu_common.h): it
 * never prints a midpoint, although strtod() reads one back as ax when ax's
 * mantissa is even. From the IEEE bits, ax = M * 2^q; the spacing above is
 * 2^q, below it is 2^(q-1) at the bottom of a binade (M = 2^52, or 2^23).
 */
static bool is_midpoint(long long mant, int exp10, double ax, bool single)
{
	int frac_bits = single ? 23 : 52, bias = single ? 127 : 1023;
	uint64_t bits, frac, biased;
	uint64_t m;
	int q;

	if (single) {
		float f = (float)ax;
		uint32_t b32;
		memcpy(&b32, &f, 4);
		bits = b32;
	} else {
		memcpy(&bits, &ax, 8);
	}
	frac = bits & ((UINT64_C(1) << frac_bits) - 1);
	biased = bits >> frac_bits;
	m = biased ? frac | UINT64_C(1) << frac_bits : frac;
	q = (biased ? (int)biased : 1) - bias - frac_bits;

	if (decimal_equals_dyadic(mant, exp10, 2 * m + 1, q - 1))
		return true;
	if (frac == 0 && biased > 1)  /* the value below is closer: spacing 2^(q-1) */
		return decimal_equals_dyadic(mant, exp10, 4 * m - 1, q - 2);
	return decimal_equals_dyadic(mant, exp10, 2 * m - 1, q - 1);
}

/*
 * float4out/float8out with extra_float_digits 1 (the default) print the
 * shortest decimal that reads back as the same value (Ryu). For each length
 * p the closest p-digit decimal is tried, then its neighbours (the rounding
 * interval is lopsided at powers of two); the first that reads back, and is
 * not a midpoint, wins. Returns the digits (no trailing zeros) and
 * the decimal exponent of the first one.
 */
static void shortest_digits(double ax, bool single, char digits[24], int *exp10)
{
	int max_digits = single ? 9 : 17;
	char buf[48];

	for (int p = 1; p <= max_digits; p++) {
		char *e;
		long long mant;
		int mant_exp;

		snprintf(buf, sizeof(buf), "%.*e", p - 1, ax);
		e = strchr(buf, 'e');
		/* buf is d.ddd...e±X: the p digits as an integer, times 10^(X-p+1). */
		mant = buf[0] - '0';
		for (char *c = buf + 2; c < e; c++)
			mant = mant * 10 + (*c - '0');
		mant_exp = atoi(e + 1) - (p - 1);
		for (int step = 0; step <= 2; step++) {
			long long m = mant + (step == 0 ? 0 : step == 1 ? -1 : 1);
			double back;
			snprintf(buf, sizeof(buf), "%llde%d", m, mant_exp);
			back = single ? strtof(buf, NULL) : strtod(buf, NULL);
			if (m > 0 && back == ax && !is_midpoint(m, mant_exp, ax, single)) {
				int n = snprintf(digits, 24, "%lld", m);
				*exp10 = mant_exp + n - 1;
				while (n > 1 && digits[n - 1] == '0')
					digits[--n] = '\0';
				return;
			}
		}
	}
	/* Unreachable: 17 (float: 9) digits always read back. */
	snprintf(digits, 24, "0");
	*exp10 = 0;
}

/* Fixed notation for a decimal exponent in [-4, 15) (float4: [-4, 6)), else d.ddde+XX. */
static char *render_float(double x, bool single)
{
	struct sw_sbuf o = { 0 };
	char digits[24];
	int exp10, nd;

	if (isnan(x))
		return sw_xstrdup("NaN");
	if (isinf(x))
		return sw_xstrdup(x < 0 ? "-Infinity" : "Infinity");
	if (x == 0)
		return sw_xstrdup(signbit(x) ? "-0" : "0");
	shortest_digits(x < 0 ? -x : x, single, digits, &exp10);
	nd = (int)strlen(digits);
	if (x < 0)
		sw_sbuf_add(&o, "-", 1);
	if (exp10 < -4 || exp10 >= (single ? 6 : 15)) {
		sw_sbuf_add(&o, digits, 1);
		if (nd > 1) {
			sw_sbuf_add(&o, ".", 1);
			sw_sbuf_add(&o, digits + 1, (size_t)nd - 1);
		}
		sw_sbuf_printf(&o, "e%c%02d", exp10 < 0 ? '-' : '+', abs(exp10));
	} else if (exp10 < 0) {
		sw_sbuf_add(&o, "0.", 2);
		for (int z = exp10 + 1; z < 0; z++)
			sw_sbuf_add(&o, "0", 1);
		sw_sbuf_add(&o, digits, (size_t)nd);
	} else if (nd <= exp10 + 1) {
		sw_sbuf_add(&o, digits, (size_t)nd);
		for (int z = nd; z <= exp10; z++)
			sw_sbuf_add(&o, "0", 1);
	} else {
		sw_sbuf_printf(&o, "%.*s.%s", exp10 + 1, digits, digits + exp10 + 1);
	}
	return out_finish(&o);
}

/* Proleptic Gregorian date of a day count from 2000-01-01 (year 0 is 1 BC). */
static void civil_from_days(int64_t days, int64_t *y, int *m, int *d)
{
	int64_t z = days + 10957 + 719468;  /* shift to days from 0000-03-01 */
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;

	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

/* EncodeDateOnly, ISO: YYYY-MM-DD; years <= 0 are written as BC later. */
static void add_date(struct sw_sbuf *o, int64_t days, bool *bc)
{
	int64_t y;
	int m, d;

	civil_from_days(days, &y, &m, &d);
	*bc = y <= 0;
	sw_sbuf_printf(o, "%04" PRId64 "-%02d-%02d", y > 0 ? y : -(y - 1), m, d);
}

/* AppendSeconds: SS, then up to six fraction digits without trailing zeros. */
static void add_seconds(struct sw_sbuf *o, int64_t sec, int64_t usec)
{
	sw_sbuf_printf(o, "%02" PRId64, sec < 0 ? -sec : sec);
	if (usec) {
		char frac[24];
		int k;
		snprintf(frac, sizeof(frac), "%06" PRId64, usec < 0 ? -usec : usec);
		for (k = 6; k > 0 && frac[k - 1] == '0'; k--)
			;
		frac[k] = '\0';
		sw_sbuf_printf(o, ".%s", frac);
	}
}

#define USECS_PER_SEC INT64_C(1000000)
#define USECS_PER_MINUTE (60 * USECS_PER_SEC)
#define USECS_PER_HOUR (60 * USECS_PER_MINUTE)
#define USECS_PER_DAY (24 * USECS_PER_HOUR)
#define POSTGRES_EPOCH_JDATE 2451545   /* Julian day of 2000-01-01 */

static void add_time_of_day(struct sw_sbuf *o, int64_t t)
{
	sw_sbuf_printf(o, "%02" PRId64 ":%02" PRId64 ":", t / USECS_PER_HOUR, t % USECS_PER_HOUR / USECS_PER_MINUTE);
	add_seconds(o, t % USECS_PER_MINUTE / USECS_PER_SEC, t % USECS_PER_SEC);
}

static char *render_date(int32_t date)
{
	struct sw_sbuf o = { 0 };
	bool bc;

	if (date == INT32_MIN)
		return sw_xstrdup("-infinity");
	if (date == INT32_MAX)
		return sw_xstrdup("infinity");
	add_date(&o, date, &bc);
	if (bc)
		sw_sbuf_add(&o, " BC", 3);
	return out_finish(&o);
}

static char *render_time(int64_t t)
{
	struct sw_sbuf o = { 0 };

	if (t < 0 || t > USECS_PER_DAY)
		return sw_xasprintf("(time out of range: %" PRId64 " microseconds)", t);
	add_time_of_day(&o, t);
	return out_finish(&o);
}

/* timestamp_out / timestamptz_out (ISO; timestamptz shown in UTC). */
static char *render_timestamp(int64_t ts, bool with_tz)
{
	struct sw_sbuf o = { 0 };
	int64_t days, t;
	bool bc;

	if (ts == INT64_MIN)
		return sw_xstrdup("-infinity");
	if (ts == INT64_MAX)
		return sw_xstrdup("infinity");
	days = ts / USECS_PER_DAY;
	t = ts % USECS_PER_DAY;
	if (t < 0) {
		t += USECS_PER_DAY;
		days--;
	}
	/* timestamp2tm refuses Julian days outside [0, INT_MAX]: "timestamp out of range". */
	if (days + POSTGRES_EPOCH_JDATE < 0 || days + POSTGRES_EPOCH_JDATE > INT32_MAX)
		return sw_xasprintf("(timestamp out of range: %" PRId64 ")", ts);
	add_date(&o, days, &bc);
	sw_sbuf_add(&o, " ", 1);
	add_time_of_day(&o, t);
	if (with_tz)
		sw_sbuf_add(&o, "+00", 3);
	if (bc)
		sw_sbuf_add(&o, " BC", 3);
	return out_finish(&o);
}

/* AddPostgresIntPart: " -1 years", "+2 mons"; each nonzero part sets the sign rule for the next. */
static void add_interval_part(struct sw_sbuf *o, int64_t value, const char *unit, bool *is_zero, bool *is_before)
{
	if (value == 0)
		return;
	sw_sbuf_printf(o, "%s%s%" PRId64 " %s%s", *is_zero ? "" : " ", *is_before && value > 0 ? "+" : "", value, unit,
		   value != 1 ? "s" : "");
	*is_before = value < 0;
	*is_zero = false;
}

/* interval_out with IntervalStyle postgres: Interval is { int64 time; int32 day; int32 month; }. */
static char *render_interval(const unsigned char raw[16])
{
	struct sw_sbuf o = { 0 };
	int64_t time;
	int32_t day, month;
	int64_t hour, min, sec, usec;
	bool is_zero = true, is_before = false;

	memcpy(&time, raw, 8);
	memcpy(&day, raw + 8, 4);
	memcpy(&month, raw + 12, 4);
	hour = time / USECS_PER_HOUR;
	time -= hour * USECS_PER_HOUR;
	min = time / USECS_PER_MINUTE;
	time -= min * USECS_PER_MINUTE;
	sec = time / USECS_PER_SEC;
	usec = time - sec * USECS_PER_SEC;

	add_interval_part(&o, month / 12, "year", &is_zero, &is_before);
	add_interval_part(&o, month % 12, "mon", &is_zero, &is_before);
	add_interval_part(&o, day, "day", &is_zero, &is_before);
	if (is_zero || hour || min || sec || usec) {
		bool minus = hour < 0 || min < 0 || sec < 0 || usec < 0;
		sw_sbuf_printf(&o, "%s%s%02" PRId64 ":%02" PRId64 ":", is_zero ? "" : " ", minus ? "-" : is_before ? "+" : "",
			   hour < 0 ? -hour : hour, min < 0 ? -min : min);
		add_seconds(&o, sec, usec);
	}
	return out_finish(&o);
}

static char *render_uuid(const unsigned char u[16])
{
	struct sw_sbuf o = { 0 };

	for (int i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			sw_sbuf_add(&o, "-", 1);
		sw_sbuf_printf(&o, "%02x", u[i]);
	}
	return out_finish(&o);
}

/* NumericData after the varlena header (numeric.c): short or long header, then base-10000 digits. */
#define NUMERIC_DATA_MAX (2 * (32768 + 4096) + 4)  /* the largest valid numeric's payload */

static uint16_t le16(const unsigned char *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

/* numeric_out: get_str_from_var on the stored digits; NaN and infinities by name. */
static char *render_numeric(const unsigned char *p, size_t n)
{
	struct sw_sbuf o = { 0 };
	uint16_t head;
	bool neg;
	int weight, dscale;
	size_t hdr, ndigits;

	if (n < 2)
		return sw_xasprintf("(corrupt numeric: %zu bytes)", n);
	head = le16(p);
	if ((head & 0xC000) == 0xC000)   /* NUMERIC_SPECIAL */
		return sw_xstrdup(head == 0xD000 ? "Infinity" : head == 0xF000 ? "-Infinity" : "NaN");
	if (head & 0x8000) {             /* NUMERIC_SHORT */
		hdr = 2;
		neg = head & 0x2000;
		dscale = (head & 0x1F80) >> 7;
		weight = (head & 0x0040) ? (int)(head & 0x003F) - 64 : (int)(head & 0x003F);
	} else {
		if (n < 4)
			return sw_xasprintf("(corrupt numeric: %zu bytes)", n);
		hdr = 4;
		neg = head & 0x4000;
		dscale = head & 0x3FFF;
		weight = (int16_t)le16(p + 2);
	}
	ndigits = (n - hdr) / 2;
	for (size_t i = 0; i < ndigits; i++)
		if (le16(p + hdr + 2 * i) > 9999)
			return sw_xasprintf("(corrupt numeric: digit %u out of range)", le16(p + hdr + 2 * i));

#define DIGIT(i) ((i) >= 0 && (size_t)(i) < ndigits ? le16(p + hdr + 2 * (size_t)(i)) : 0)
	if (neg)
		sw_sbuf_add(&o, "-", 1);
	if (weight < 0) {
		sw_sbuf_add(&o, "0", 1);
	} else {
		for (int d = 0; d <= weight; d++)
			sw_sbuf_printf(&o, d == 0 ? "%u" : "%04u", DIGIT(d));
	}
	if (dscale > 0) {
		/* After the point: groups from weight+1 on, cut to dscale digits. */
		size_t start;
		sw_sbuf_add(&o, ".", 1);
		start = o.len;
		for (int d = weight + 1; (int)(o.len - start) < dscale; d++)
			sw_sbuf_printf(&o, "%04u", DIGIT(d));
		o.len = start + (size_t)dscale;
		o.s[o.len] = '\0';
	}
#undef DIGIT
	return out_finish(&o);
}

/* A rendered value longer than SW_PARAM_TEXT_MAX keeps its first part and says how long it was. */
static char *cap_rendered(char *text)
{
	size_t len = strlen(text);
	char *capped;

	if (len <= SW_PARAM_TEXT_MAX)
		return text;
	capped = sw_xasprintf("%.*s... (%zu bytes)", SW_PARAM_TEXT_MAX, text, len);
	free(text);
	return capped;
}

/* ---- types ---------------------------------------------------------------------- */

enum render_kind {
	R_BOOL, R_CHAR, R_NAME, R_INT2, R_INT4, R_INT8, R_OID, R_FLOAT4, R_FLOAT8, R_TEXT, R_CSTRING,
	R_BYTEA, R_DATE, R_TIME, R_TIMESTAMP, R_TIMESTAMPTZ, R_INTERVAL, R_UUID, R_NUMERIC, R_JSONB,
};

struct pg_type {
	unsigned oid;
	const char *name;
	enum render_kind kind;
};

/* pg_type.dat, sorted by OID. */
static const struct pg_type pg_types[] = {
	{ 16, "bool", R_BOOL },
	{ 17, "bytea", R_BYTEA },
	{ 18, "char", R_CHAR },
	{ 19, "name", R_NAME },
	{ 20, "int8", R_INT8 },
	{ 21, "int2", R_INT2 },
	{ 23, "int4", R_INT4 },
	{ 25, "text", R_TEXT },
	{ 26, "oid", R_OID },
	{ 114, "json", R_TEXT },
	{ 142, "xml", R_TEXT },
	{ 700, "float4", R_FLOAT4 },
	{ 701, "float8", R_FLOAT8 },
	{ 705, "unknown", R_CSTRING },   /* typlen -2: a C string, not a varlena */
	{ 1042, "bpchar", R_TEXT },
	{ 1043, "varchar", R_TEXT },
	{ 1082, "date", R_DATE },
	{ 1083, "time", R_TIME },
	{ 1114, "timestamp", R_TIMESTAMP },
	{ 1184, "timestamptz", R_TIMESTAMPTZ },
	{ 1186, "interval", R_INTERVAL },
	{ 1700, "numeric", R_NUMERIC },
	{ 2950, "uuid", R_UUID },
	{ 3802, "jsonb", R_JSONB },
};

static const struct pg_type *find_type(unsigned oid)
{
	for (size_t i = 0; i < sizeof(pg_types) / sizeof(pg_types[0]); i++)
		if (pg_types[i].oid == oid)
			return &pg_types[i];
	return NULL;
}

#define NAMEDATALEN 64
#define CSTRING_CHUNK 256   /* aligned chunks never cross a page boundary */

/* A C string at addr: read in aligned chunks until its NUL or SW_PARAM_TEXT_MAX bytes. */
static bool render_cstring(struct reader *r, uint64_t addr, char **text)
{
	unsigned char *buf = sw_xmalloc(SW_PARAM_TEXT_MAX + CSTRING_CHUNK);
	size_t len = 0;
	bool ended = false;

	while (!ended && len < SW_PARAM_TEXT_MAX) {
		size_t chunk = CSTRING_CHUNK - (size_t)((addr + len) % CSTRING_CHUNK);
		/* A reader finer than pages may refuse the chunk: then byte by byte. */
		if (!try_read(r, addr + len, buf + len, chunk)) {
			chunk = 1;
			if (!read_mem(r, addr + len, buf + len, 1)) {
				free(buf);
				return false;
			}
		}
		for (size_t i = 0; i < chunk && !ended; i++, len++)
			ended = buf[len] == '\0';
	}
	if (ended) {
		len--;  /* the NUL */
		*text = sw_render_escaped(buf, len, len, true);
	} else {
		struct sw_sbuf o = { 0 };
		escape_into(&o, buf, len, true);
		sw_sbuf_printf(&o, "... (more than %zu bytes)", len);
		*text = out_finish(&o);
	}
	free(buf);
	return true;
}

/* A type rendered here by its varlena payload. */
static bool render_varlena_kind(struct reader *r, enum render_kind kind, uint64_t addr, char **text)
{
	struct varlena v;
	size_t want = kind == R_NUMERIC ? NUMERIC_DATA_MAX : kind == R_JSONB ? 0 : SW_PARAM_TEXT_MAX;

	if (!read_varlena(r, addr, want, &v))
		return false;
	if (v.form != VARLENA_PLAIN)
		*text = describe_unplain_varlena(&v);
	else if (kind == R_TEXT)
		*text = sw_render_escaped(v.data, v.got, v.size, true);
	else if (kind == R_BYTEA)
		*text = sw_render_hex(v.data, v.got, v.size, (SW_PARAM_TEXT_MAX - 2) / 2);
	else if (kind == R_JSONB)
		*text = sw_xasprintf("jsonb value, %zu bytes (binary jsonb is not decoded)", v.size);
	else if (v.size > NUMERIC_DATA_MAX)
		*text = sw_xasprintf("(corrupt numeric: %zu bytes, more than any numeric)", v.size);
	else
		*text = cap_rendered(render_numeric(v.data, v.got));
	free(v.data);
	return true;
}

/* A type not rendered here: its datum may be a value or a pointer; try it as a varlena. */
static char *render_unknown_type(struct reader *r, unsigned oid, uint64_t datum)
{
	struct reader quiet = *r;
	char errbuf[256];
	struct varlena v;
	char *text;

	quiet.err = errbuf;
	quiet.errlen = sizeof(errbuf);
	if (!read_varlena(&quiet, datum, 64, &v) || v.form == VARLENA_CORRUPT)
		return sw_xasprintf("(type OID %u, Datum 0x%016" PRIx64 ": by value or not a readable varlena)", oid,
				    datum);
	if (v.form != VARLENA_PLAIN) {
		char *what = describe_unplain_varlena(&v);
		text = sw_xasprintf("(type OID %u) %s", oid, what);
		free(what);
	} else {
		char *hex = sw_render_hex(v.data, v.got, v.size, 64);
		text = sw_xasprintf("(type OID %u, %zu bytes) %s", oid, v.size, hex);
		free(hex);
	}
	free(v.data);
	return text;
}

/* Render one non-null value; false (with r->err) when backend memory could not be read. */
static bool render_value(struct reader *r, unsigned oid, uint64_t datum, char **text)
{
	const struct pg_type *t = find_type(oid);
	unsigned char buf[NAMEDATALEN];

	if (!t) {
		*text = render_unknown_type(r, oid, datum);
		return true;
	}
	switch (t->kind) {
	case R_BOOL:
		*text = sw_xstrdup(datum ? "t" : "f");
		return true;
	case R_CHAR: {
		unsigned char c = (unsigned char)datum;
		/* charout: high-bit bytes as \ooo, NUL as the empty string. */
		*text = c >= 0x80 ? sw_xasprintf("\\%03o", c) : sw_render_escaped(&c, c != 0, c != 0, false);
		return true;
	}
	case R_INT2:
		*text = sw_xasprintf("%d", (int16_t)datum);
		return true;
	case R_INT4:
		*text = sw_xasprintf("%" PRId32, (int32_t)datum);
		return true;
	case R_INT8:
		*text = sw_xasprintf("%" PRId64, (int64_t)datum);
		return true;
	case R_OID:
		*text = sw_xasprintf("%" PRIu32, (uint32_t)datum);
		return true;
	case R_FLOAT4: {
		uint32_t bits = (uint32_t)datum;
		float f;
		memcpy(&f, &bits, sizeof(f));
		*text = render_float(f, true);
		return true;
	}
	case R_FLOAT8: {
		double d;
		memcpy(&d, &datum, sizeof(d));
		*text = render_float(d, false);
		return true;
	}
	case R_DATE:
		*text = render_date((int32_t)datum);
		return true;
	case R_TIME:
		*text = render_time((int64_t)datum);
		return true;
	case R_TIMESTAMP:
	case R_TIMESTAMPTZ:
		*text = render_timestamp((int64_t)datum, t->kind == R_TIMESTAMPTZ);
		return true;
	case R_NAME:
		if (!read_mem(r, datum, buf, NAMEDATALEN))
			return false;
		*text = sw_render_escaped(buf, strnlen((char *)buf, NAMEDATALEN), strnlen((char *)buf, NAMEDATALEN), true);
		return true;
	case R_INTERVAL:
		if (!read_mem(r, datum, buf, 16))
			return false;
		*text = render_interval(buf);
		return true;
	case R_UUID:
		if (!read_mem(r, datum, buf, 16))
			return false;
		*text = render_uuid(buf);
		return true;
	case R_CSTRING:
		return render_cstring(r, datum, text);
	default:
		return render_varlena_kind(r, t->kind, datum, text);
	}
}

/* ---- the parameter list --------------------------------------------------------- */

void sw_pg_params_free(struct sw_param *params, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(params[i].text);
		free(params[i].type_name);
	}
	free(params);
}

static uint64_t load_le(const unsigned char *p, size_t len)
{
	uint64_t v = 0;
	for (size_t i = len; i > 0; i--)
		v = v << 8 | p[i - 1];
	return v;
}

int sw_pg_params_read(sw_mem_read_fn rd, void *ctx, uint64_t params_addr,
		      const struct sw_pg_params_layout *L, struct sw_param **out, size_t *n,
		      char *err, size_t errlen)
{
	struct reader r = { rd, ctx, err, errlen, 0, "parameter list" };
	unsigned char word[8];
	int32_t num;
	unsigned char *entries;
	struct sw_param *params;
	size_t count;

	*out = NULL;
	*n = 0;
	if (params_addr == 0)
		return 0;  /* Bind with no parameters passes NULL */
	if (L->extern_size < L->value_off + 8 || L->extern_size < L->isnull_off + 1 ||
	    L->extern_size < L->ptype_off + 4) {
		snprintf(err, errlen, "parameter layout is inconsistent (ParamExternData of %zu bytes cannot hold its "
			 "fields); fix the layout for this PostgreSQL build", L->extern_size);
		return -1;
	}
	if (!read_mem(&r, params_addr + L->fetch_hook_off, word, 8))
		return -1;
	if (load_le(word, 8) != 0) {
		snprintf(err, errlen, "the parameter list at 0x%" PRIx64 " has a fetch hook (PL/pgSQL or SPI), so its "
			 "values are not stored in it and cannot be shown; judge the statement without its values",
			 params_addr);
		return -1;
	}
	if (!read_mem(&r, params_addr + L->num_params_off, word, 4))
		return -1;
	num = (int32_t)load_le(word, 4);
	if (num < 0 || num > SW_PARAMS_MAX) {
		snprintf(err, errlen, "the parameter list at 0x%" PRIx64 " claims %" PRId32 " parameters (possible: 0 to "
			 "%d); this is not the ParamListInfo layout of the server's major, check the probe and layout", params_addr, num,
			 SW_PARAMS_MAX);
		return -1;
	}
	count = (size_t)num;
	entries = sw_xmalloc(count * L->extern_size + 1);
	if (!read_mem(&r, params_addr + L->params_off, entries, count * L->extern_size)) {
		free(entries);
		return -1;
	}
	params = sw_xcalloc(count ? count : 1, sizeof(*params));
	for (size_t i = 0; i < count; i++) {
		const unsigned char *e = entries + i * L->extern_size;
		struct sw_param *p = &params[i];
		const struct pg_type *t;

		p->index = (int)i + 1;
		p->type_oid = (unsigned)load_le(e + L->ptype_off, 4);
		p->isnull = e[L->isnull_off] != 0;
		t = find_type(p->type_oid);
		p->type_name = t ? sw_xstrdup(t->name) : sw_xasprintf("type OID %u", p->type_oid);
		if (p->isnull)
			continue;
		r.index = p->index;
		r.type = p->type_name;
		if (!render_value(&r, p->type_oid, load_le(e + L->value_off, 8), &p->text)) {
			sw_pg_params_free(params, i + 1);
			free(entries);
			return -1;
		}
	}
	free(entries);
	*out = params;
	*n = count;
	return 0;
}

json_t *sw_pg_params_json(const struct sw_param *params, size_t n)
{
	json_t *arr = json_array();

	for (size_t i = 0; i < n; i++) {
		const struct sw_param *p = &params[i];
		/* Rendered text is valid UTF-8 without NUL (escaped), so json_string cannot fail. */
		json_array_append_new(arr, json_pack("{s:i, s:s, s:o}", "index", p->index, "type", p->type_name,
						     "value", p->isnull ? json_null() : json_string(p->text)));
	}
	return arr;
}
