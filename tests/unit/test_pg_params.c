/*
 * Tests for reading and rendering bound parameters (pg_params.h) from a fake
 * backend address space. Expected texts are what PostgreSQL 15.18's output
 * functions print (TimeZone UTC, DateStyle ISO, IntervalStyle postgres).
 */
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include "unit.h"
#include "pg_params.h"

/* ---- a fake address space ----------------------------------------------------- */

#define MAX_REGIONS 16

struct region {
	uint64_t addr;
	size_t len;
	unsigned char *data;
};

struct space {
	struct region r[MAX_REGIONS];
	int n;
	int reads;
};

static bool fake_read(void *ctx, uint64_t addr, void *buf, size_t len)
{
	struct space *s = ctx;

	s->reads++;
	for (int i = 0; i < s->n; i++)
		if (addr >= s->r[i].addr && addr - s->r[i].addr <= s->r[i].len &&
		    len <= s->r[i].len - (addr - s->r[i].addr)) {
			memcpy(buf, s->r[i].data + (addr - s->r[i].addr), len);
			return true;
		}
	return false;
}

/* Map a copy of len bytes at addr. */
static void map(struct space *s, uint64_t addr, const void *data, size_t len)
{
	assert_true(s->n < MAX_REGIONS);
	s->r[s->n].addr = addr;
	s->r[s->n].len = len;
	s->r[s->n].data = malloc(len ? len : 1);
	memcpy(s->r[s->n].data, data, len);
	s->n++;
}

static void unmap_all(struct space *s)
{
	for (int i = 0; i < s->n; i++)
		free(s->r[i].data);
	s->n = 0;
}

#define LIST_ADDR 0x10000
#define DATA_ADDR 0x200000   /* by-reference values live from here, 0x10000 apart */

struct entry {
	uint64_t value;
	bool isnull;
	unsigned ptype;
};

/* Map a PostgreSQL 15 ParamListInfoData with these entries at LIST_ADDR. */
static void map_list(struct space *s, int num_params, const struct entry *e, size_t n)
{
	size_t len = 64 + n * 16;
	unsigned char *buf = calloc(1, len);
	int32_t num = num_params;

	memcpy(buf + 56, &num, 4);
	for (size_t i = 0; i < n; i++) {
		memcpy(buf + 64 + i * 16, &e[i].value, 8);
		buf[64 + i * 16 + 8] = e[i].isnull;
		memcpy(buf + 64 + i * 16 + 12, &e[i].ptype, 4);
	}
	map(s, LIST_ADDR, buf, len);
	free(buf);
}

/* A plain varlena with a 4-byte header (VARSIZE includes it), as palloc'ed by input functions. */
static void map_varlena4(struct space *s, uint64_t addr, const void *payload, size_t n)
{
	unsigned char *buf = malloc(n + 4);
	uint32_t header = (uint32_t)(n + 4) << 2;

	memcpy(buf, &header, 4);
	memcpy(buf + 4, payload, n);
	map(s, addr, buf, n + 4);
	free(buf);
}

/* A short varlena (1-byte header), as stored in tuples. */
static void map_varlena1(struct space *s, uint64_t addr, const void *payload, size_t n)
{
	unsigned char buf[128];

	assert_true(n < 127);
	buf[0] = (unsigned char)(((n + 1) << 1) | 1);
	memcpy(buf + 1, payload, n);
	map(s, addr, buf, n + 1);
}

/* Read and render one by-value parameter. */
static char *render_byval(unsigned type, uint64_t datum)
{
	struct space s = { 0 };
	struct entry e = { datum, false, type };
	struct sw_param *p;
	size_t n;
	char err[256], *text;

	map_list(&s, 1, &e, 1);
	assert_int_equal(sw_pg_params_read(fake_read, &s, LIST_ADDR, &sw_pg15_params_layout, &p, &n, err,
					   sizeof(err)), 0);
	assert_int_equal(n, 1);
	text = strdup(p[0].text);
	sw_pg_params_free(p, n);
	unmap_all(&s);
	return text;
}

#define assert_byval(type, datum, expected) \
	do { \
		char *t_ = render_byval((type), (datum)); \
		assert_string_equal(t_, (expected)); \
		free(t_); \
	} while (0)

static uint64_t f8(double d)
{
	uint64_t v;
	memcpy(&v, &d, 8);
	return v;
}

static uint64_t f4(float f)
{
	uint32_t v;
	memcpy(&v, &f, 4);
	return v;
}

/* Read and render one by-reference parameter whose bytes (as mapped) are at DATA_ADDR. */
static char *render_byref(struct space *s, unsigned type)
{
	struct entry e = { DATA_ADDR, false, type };
	struct sw_param *p;
	size_t n;
	char err[256], *text;

	map_list(s, 1, &e, 1);
	if (sw_pg_params_read(fake_read, s, LIST_ADDR, &sw_pg15_params_layout, &p, &n, err, sizeof(err)) != 0)
		fail_msg("read failed: %s", err);
	text = strdup(p[0].text);
	sw_pg_params_free(p, n);
	unmap_all(s);
	return text;
}

#define assert_byref(s, type, expected) \
	do { \
		char *t_ = render_byref((s), (type)); \
		assert_string_equal(t_, (expected)); \
		free(t_); \
	} while (0)

/* ---- by-value types -------------------------------------------------------------- */

static void test_scalars(void **state)
{
	(void)state;
	assert_byval(16, 1, "t");
	assert_byval(16, 0, "f");
	assert_byval(18, 'a', "a");
	assert_byval(18, 0, "");
	assert_byval(18, 0xE9, "\\351");       /* charout: high-bit bytes in octal */
	assert_byval(18, 0x1B, "\\x1B");
	assert_byval(21, (uint64_t)(int64_t)-5, "-5");
	assert_byval(21, 32767, "32767");
	assert_byval(23, (uint64_t)(int64_t)INT32_MIN, "-2147483648");
	assert_byval(20, (uint64_t)INT64_MIN, "-9223372036854775808");
	assert_byval(26, 4294967295u, "4294967295");
}

static void test_floats(void **state)
{
	(void)state;
	assert_byval(701, f8(0.1), "0.1");
	assert_byval(701, f8(0.1 + 0.2), "0.30000000000000004");
	assert_byval(701, f8(1e15), "1e+15");
	assert_byval(701, f8(999000000000000.0), "999000000000000");
	assert_byval(701, f8(5e-324), "5e-324");
	assert_byval(701, f8(1.7976931348623157e308), "1.7976931348623157e+308");
	assert_byval(701, f8(0.0001), "0.0001");
	assert_byval(701, f8(0.00001), "1e-05");
	assert_byval(701, f8(123456789012345678.0), "1.2345678901234568e+17");
	assert_byval(701, f8(-0.0), "-0");
	assert_byval(701, f8(NAN), "NaN");
	assert_byval(701, f8(-INFINITY), "-Infinity");
	/* An exact midpoint reads back, but PostgreSQL's Ryu never prints one. */
	assert_byval(701, f8(-38260849636049984.0), "-3.8260849636049984e+16");
	assert_byval(700, f4(0.1f), "0.1");
	assert_byval(700, f4(1e6f), "1e+06");
	assert_byval(700, f4(16777216.0f), "1.6777216e+07");
	assert_byval(700, f4(131962656.0f), "1.31962656e+08");
	assert_byval(700, f4(3.4028235e38f), "3.4028235e+38");
	assert_byval(700, f4(INFINITY), "Infinity");
}

static void test_dates_and_times(void **state)
{
	(void)state;
	assert_byval(1082, 0, "2000-01-01");
	assert_byval(1082, (uint64_t)(int64_t)-730119, "0001-01-01");
	assert_byval(1082, (uint64_t)(int64_t)-730120, "0001-12-31 BC");
	assert_byval(1082, (uint64_t)(int64_t)INT32_MIN, "-infinity");
	assert_byval(1082, INT32_MAX, "infinity");
	assert_byval(1083, 0, "00:00:00");
	assert_byval(1083, 86400000000ull, "24:00:00");
	assert_byval(1083, 49501500000ull, "13:45:01.5");
	assert_byval(1083, (uint64_t)-1, "(time out of range: -1 microseconds)");
	assert_byval(1114, 762529501500000ull, "2024-02-29 13:45:01.5");
	assert_byval(1184, 762529501500000ull, "2024-02-29 13:45:01.5+00");
	assert_byval(1184, (uint64_t)INT64_C(-63113904000000000), "0001-01-01 00:00:00+00 BC");
	assert_byval(1114, (uint64_t)INT64_MAX, "infinity");
	assert_byval(1114, (uint64_t)INT64_MIN, "-infinity");
	assert_byval(1114, (uint64_t)INT64_C(-211813488000000001), "(timestamp out of range: -211813488000000001)");
}

/* ---- by-reference types ------------------------------------------------------------- */

/* Varlena values: type, bytes, 1-byte header?, expected text. */
struct varlena_case {
	unsigned type;
	const char *bytes;
	size_t n;
	bool short_header;
	const char *expected;
};

static void test_text_types(void **state)
{
	struct space s = { 0 };
	/* é, a backslash, controls, bad UTF-8, U+202E (right-to-left override) */
	static const char mixed[] = "caf\xc3\xa9 \\ \x01\n\xff\xe2\x80\xae";
	static const struct varlena_case cases[] = {
		{ 25, mixed, sizeof(mixed) - 1, false, "caf\xc3\xa9 \\\\ \\x01\\x0A\\xFF\\xE2\\x80\\xAE" },
		{ 1043, "short", 5, true, "short" },
		{ 1042, "ab  ", 4, false, "ab  " },
		{ 114, "{\"a\": 1}", 8, false, "{\"a\": 1}" },
		{ 142, "<x/>", 4, false, "<x/>" },
		{ 25, "", 0, false, "" },
		{ 17, "\x00\x01\xab", 3, false, "\\x0001ab" },
		{ 3802, "jsonbbytes", 10, true, "jsonb value, 10 bytes (binary jsonb is not decoded)" },
	};
	(void)state;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (cases[i].short_header)
			map_varlena1(&s, DATA_ADDR, cases[i].bytes, cases[i].n);
		else
			map_varlena4(&s, DATA_ADDR, cases[i].bytes, cases[i].n);
		assert_byref(&s, cases[i].type, cases[i].expected);
	}

	/* unknown is a C string (typlen -2), not a varlena. */
	map(&s, DATA_ADDR, "lit\x1b[31m", 9);
	assert_byref(&s, 705, "lit\\x1B[31m");

	/* name: NAMEDATALEN bytes, NUL-padded. */
	{
		char name[64] = "relname";
		map(&s, DATA_ADDR, name, sizeof(name));
		assert_byref(&s, 19, "relname");
		memset(name, 'n', sizeof(name));  /* no NUL at all: stop at 64 */
		map(&s, DATA_ADDR, name, sizeof(name));
		assert_byref(&s, 19, "nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn");
	}
}

static void test_interval_uuid(void **state)
{
	struct space s = { 0 };
	unsigned char iv[16], u[16];
	int64_t t;
	int32_t d, m;
	(void)state;

#define MAP_INTERVAL(tt, dd, mm) \
	do { \
		t = (tt); d = (dd); m = (mm); \
		memcpy(iv, &t, 8); memcpy(iv + 8, &d, 4); memcpy(iv + 12, &m, 4); \
		map(&s, DATA_ADDR, iv, 16); \
	} while (0)
	MAP_INTERVAL(4 * 3600000000LL + 5 * 60000000LL + 6789000LL, 3, 14);
	assert_byref(&s, 1186, "1 year 2 mons 3 days 04:05:06.789");
	MAP_INTERVAL(0, 0, -13);
	assert_byref(&s, 1186, "-1 years -1 mons");
	MAP_INTERVAL(2 * 3600000000LL, -1, 0);
	assert_byref(&s, 1186, "-1 days +02:00:00");
	MAP_INTERVAL(0, 0, 0);
	assert_byref(&s, 1186, "00:00:00");
	MAP_INTERVAL(-1000000, 1, 0);
	assert_byref(&s, 1186, "1 day -00:00:01");
#undef MAP_INTERVAL

	for (int i = 0; i < 16; i++)
		u[i] = (unsigned char)(i * 17);
	map(&s, DATA_ADDR, u, 16);
	assert_byref(&s, 2950, "00112233-4455-6677-8899-aabbccddeeff");
}

/* NumericData payload: header word(s) then base-10000 digits, little-endian. */
static void map_numeric(struct space *s, const uint16_t *words, size_t n, bool short_varlena)
{
	unsigned char buf[64];

	assert_true(n * 2 <= sizeof(buf));
	for (size_t i = 0; i < n; i++) {
		buf[2 * i] = (unsigned char)(words[i] & 0xFF);
		buf[2 * i + 1] = (unsigned char)(words[i] >> 8);
	}
	if (short_varlena)
		map_varlena1(s, DATA_ADDR, buf, n * 2);
	else
		map_varlena4(s, DATA_ADDR, buf, n * 2);
}

static void test_numeric(void **state)
{
	struct space s = { 0 };
	(void)state;

	/* Short form: 0x8000 | dscale << 7 | weight (6-bit, sign 0x40); sign 0x2000. */
	map_numeric(&s, (uint16_t[]){ 0x8000 | 1 << 7, 1, 5000 }, 3, true);
	assert_byref(&s, 1700, "1.5");
	map_numeric(&s, (uint16_t[]){ 0x8000 | 2 << 7 }, 1, false);
	assert_byref(&s, 1700, "0.00");
	map_numeric(&s, (uint16_t[]){ 0x8000 | 0x2000 | 3 << 7 | 1, 1, 2345, 6780 }, 4, false);
	assert_byref(&s, 1700, "-12345.678");
	map_numeric(&s, (uint16_t[]){ 0x8000 | 6 << 7 | 0x40 | 0x3E, 100 }, 2, true); /* weight -2 */
	assert_byref(&s, 1700, "0.000001");
	/* Long form: sign_dscale, int16 weight. */
	map_numeric(&s, (uint16_t[]){ 0x4000 | 3, 1, 1, 2345, 6780 }, 5, false);
	assert_byref(&s, 1700, "-12345.678");
	map_numeric(&s, (uint16_t[]){ 0, 7, 100 }, 3, false);
	assert_byref(&s, 1700, "1000000000000000000000000000000");
	map_numeric(&s, (uint16_t[]){ 0xC000 }, 1, true);
	assert_byref(&s, 1700, "NaN");
	map_numeric(&s, (uint16_t[]){ 0xD000 }, 1, true);
	assert_byref(&s, 1700, "Infinity");
	map_numeric(&s, (uint16_t[]){ 0xF000 }, 1, true);
	assert_byref(&s, 1700, "-Infinity");
	map_numeric(&s, (uint16_t[]){ 0x8000, 10000 }, 2, true);
	assert_byref(&s, 1700, "(corrupt numeric: digit 10000 out of range)");
	map_numeric(&s, (uint16_t[]){ 0 }, 1, true);
	assert_byref(&s, 1700, "(corrupt numeric: 2 bytes)");
}

static void test_not_decoded(void **state)
{
	struct space s = { 0 };
	unsigned char compressed[12] = { 0 }, toast[18] = { 0x01, 18 }, corrupt[4] = { 0x08, 0, 0, 0 };
	uint32_t h = (12u << 2) | 0x02;
	(void)state;

	memcpy(compressed, &h, 4);
	map(&s, DATA_ADDR, compressed, sizeof(compressed));
	assert_byref(&s, 25, "(compressed value, 12 bytes stored; not decoded)");
	map(&s, DATA_ADDR, toast, sizeof(toast));
	assert_byref(&s, 25, "(TOAST pointer to an out-of-line value; not decoded)");
	map(&s, DATA_ADDR, corrupt, sizeof(corrupt));  /* VARSIZE 2: smaller than its header */
	assert_byref(&s, 17, "(corrupt varlena header 08 00 00 00)");

	/* A type not rendered here: shown by its varlena bytes when it is one. */
	map_varlena4(&s, DATA_ADDR, "\x01\x02", 2);
	assert_byref(&s, 1007, "(type OID 1007, 2 bytes) \\x0102");
	{
		struct entry e = { 0x42, false, 16385 };
		struct sw_param *p;
		size_t n;
		char err[256];
		map_list(&s, 1, &e, 1);
		assert_int_equal(sw_pg_params_read(fake_read, &s, LIST_ADDR, &sw_pg15_params_layout, &p, &n, err,
						   sizeof(err)), 0);
		assert_string_equal(p[0].type_name, "type OID 16385");
		assert_string_equal(p[0].text, "(type OID 16385, Datum 0x0000000000000042: by value or not a readable varlena)");
		sw_pg_params_free(p, n);
		unmap_all(&s);
	}
}

/* ---- caps ---------------------------------------------------------------------------- */

static void test_caps(void **state)
{
	struct space s = { 0 };
	char *big = malloc(10000), *t;
	(void)state;

	memset(big, 'x', 10000);
	map_varlena4(&s, DATA_ADDR, big, 10000);
	t = render_byref(&s, 25);
	assert_int_equal(strlen(t), SW_PARAM_TEXT_MAX + strlen("... (10000 bytes)"));
	assert_string_equal(t + SW_PARAM_TEXT_MAX, "... (10000 bytes)");
	free(t);

	/* Escapes are never split by the cap. */
	memset(big, 0x01, 10000);
	map_varlena4(&s, DATA_ADDR, big, 10000);
	t = render_byref(&s, 25);
	assert_non_null(strstr(t, "\\x01... (10000 bytes)"));
	assert_true(strlen(t) <= SW_PARAM_TEXT_MAX + strlen("... (10000 bytes)"));
	free(t);

	map_varlena4(&s, DATA_ADDR, big, 5000);
	t = render_byref(&s, 17);
	assert_int_equal(strlen(t), 2 + 2 * 2047 + strlen("... (5000 bytes)"));
	free(t);

	/* A C string with no NUL within the cap. */
	memset(big, 'u', 10000);
	map(&s, DATA_ADDR, big, 10000);
	t = render_byref(&s, 705);
	assert_non_null(strstr(t, "uuu... (more than 4096 bytes)"));
	free(t);

	/* numeric 1e8000: rendered, then cut. */
	{
		uint16_t words[3] = { 0, 2000, 1 };
		map_numeric(&s, words, 3, false);
		t = render_byref(&s, 1700);
		assert_int_equal(strncmp(t, "10000", 5), 0);
		assert_string_equal(t + SW_PARAM_TEXT_MAX, "... (8001 bytes)");
		free(t);
	}

	/* A 4-byte header claiming 1 GB over 100 mapped bytes: only a bounded read is tried, and it fails. */
	{
		unsigned char lie[100] = { 0 };
		uint32_t h = 0x3FFFFFFFu << 2;
		struct entry e = { DATA_ADDR, false, 25 };
		struct sw_param *p = (struct sw_param *)1;
		size_t n = 7;
		char err[256];
		memcpy(lie, &h, 4);
		map(&s, DATA_ADDR, lie, sizeof(lie));
		map_list(&s, 1, &e, 1);
		assert_int_equal(sw_pg_params_read(fake_read, &s, LIST_ADDR, &sw_pg15_params_layout, &p, &n, err,
						   sizeof(err)), -1);
		assert_null(p);
		assert_int_equal(n, 0);
		assert_non_null(strstr(err, "could not read 4096 bytes of parameter $1 (text)"));
		unmap_all(&s);
	}
	free(big);

	{
		unsigned char b[100];
		for (int i = 0; i < 100; i++)
			b[i] = (unsigned char)i;
		t = sw_render_hex(b, 100, 100, 64);
		assert_int_equal(strncmp(t, "\\x000102", 8), 0);
		assert_string_equal(t + 2 + 128, "... (100 bytes)");
		free(t);
		t = sw_render_escaped((const unsigned char *)"ab", 2, 2000, false);  /* only part was read */
		assert_string_equal(t, "ab... (2000 bytes)");
		free(t);
		t = sw_render_escaped((const unsigned char *)"\xc3\xa9", 2, 2, false);
		assert_string_equal(t, "\\xC3\\xA9");
		free(t);
	}
}

/* ---- the list -------------------------------------------------------------------------- */

static void test_list_nulls_and_json(void **state)
{
	struct space s = { 0 };
	struct entry e[3] = {
		{ 42, false, 23 },
		{ 0, true, 25 },
		{ DATA_ADDR, false, 25 },
	};
	struct sw_param *p;
	size_t n;
	char err[256], *dump;
	json_t *j;
	(void)state;

	map_varlena4(&s, DATA_ADDR, "it's", 4);
	map_list(&s, 3, e, 3);
	assert_int_equal(sw_pg_params_read(fake_read, &s, LIST_ADDR, &sw_pg15_params_layout, &p, &n, err,
					   sizeof(err)), 0);
	assert_int_equal(n, 3);
	assert_int_equal(p[0].index, 1);
	assert_int_equal(p[0].type_oid, 23);
	assert_string_equal(p[0].type_name, "int4");
	assert_string_equal(p[0].text, "42");
	assert_true(p[1].isnull);
	assert_null(p[1].text);
	assert_string_equal(p[1].type_name, "text");
	assert_string_equal(p[2].text, "it's");

	j = sw_pg_params_json(p, n);
	dump = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
	assert_string_equal(dump, "[{\"index\":1,\"type\":\"int4\",\"value\":\"42\"},"
				  "{\"index\":2,\"type\":\"text\",\"value\":null},"
				  "{\"index\":3,\"type\":\"text\",\"value\":\"it's\"}]");
	free(dump);
	json_decref(j);
	sw_pg_params_free(p, n);
	unmap_all(&s);

	/* No parameters: Bind passes NULL. */
	assert_int_equal(sw_pg_params_read(fake_read, &s, 0, &sw_pg15_params_layout, &p, &n, err, sizeof(err)), 0);
	assert_int_equal(n, 0);
	assert_null(p);
	j = sw_pg_params_json(p, n);
	assert_int_equal(json_array_size(j), 0);
	json_decref(j);
}

static void expect_error(struct space *s, uint64_t addr, const char *needle)
{
	struct sw_param *p;
	size_t n;
	char err[256];

	assert_int_equal(sw_pg_params_read(fake_read, s, addr, &sw_pg15_params_layout, &p, &n, err, sizeof(err)), -1);
	assert_null(p);
	assert_int_equal(n, 0);
	if (!strstr(err, needle))
		fail_msg("error \"%s\" does not say \"%s\"", err, needle);
	unmap_all(s);
}

static void test_corrupt_lists(void **state)
{
	struct space s = { 0 };
	struct entry e[2] = { { 1, false, 23 }, { DATA_ADDR, false, 25 } };
	unsigned char hdr[64] = { 0 };
	(void)state;

	/* Nothing mapped at all. */
	expect_error(&s, LIST_ADDR, "could not read 8 bytes of parameter $0 (parameter list) at 0x10000");

	map_list(&s, -1, e, 0);
	expect_error(&s, LIST_ADDR, "claims -1 parameters");
	map_list(&s, 70000, e, 0);
	expect_error(&s, LIST_ADDR, "claims 70000 parameters (possible: 0 to 65535)");

	/* numParams 2 but the array is not all there. */
	map_list(&s, 2, e, 1);
	expect_error(&s, LIST_ADDR, "could not read 32 bytes");

	/* The second value's memory is gone: the whole read fails (and frees the first). */
	map_list(&s, 2, e, 2);
	expect_error(&s, LIST_ADDR, "parameter $2 (text) at 0x200000");

	/* A fetch hook (PL/pgSQL): params[] is not the source of the values. */
	hdr[0] = 0x10;
	memcpy(hdr + 56, &(int32_t){ 0 }, 4);
	map(&s, LIST_ADDR, hdr, sizeof(hdr));
	expect_error(&s, LIST_ADDR, "fetch hook");

	/* A by-reference pointer into nothing. */
	{
		struct entry u = { 0xdead0000, false, 2950 };
		map_list(&s, 1, &u, 1);
		expect_error(&s, LIST_ADDR, "could not read 16 bytes of parameter $1 (uuid) at 0xdead0000");
	}
	{
		struct entry u = { UINT64_MAX - 2, false, 1186 };  /* the address range wraps */
		map_list(&s, 1, &u, 1);
		expect_error(&s, LIST_ADDR, "parameter $1 (interval)");
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_scalars),
		cmocka_unit_test(test_floats),
		cmocka_unit_test(test_dates_and_times),
		cmocka_unit_test(test_text_types),
		cmocka_unit_test(test_interval_uuid),
		cmocka_unit_test(test_numeric),
		cmocka_unit_test(test_not_decoded),
		cmocka_unit_test(test_caps),
		cmocka_unit_test(test_list_nulls_and_json),
		cmocka_unit_test(test_corrupt_lists),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
