/*
 * Bound parameters of one extended-protocol execution, read from a stopped
 * PostgreSQL 15 backend and rendered for the human who approves it.
 *
 * At Bind the server calls GetCachedPlan(psrc, ParamListInfo params, ...);
 * params (NULL when there are none) holds one ParamExternData per $n: a
 * Datum, an isnull flag and the type OID. Values are rendered the way the
 * type's output function would print them (DateStyle ISO, IntervalStyle
 * postgres, extra_float_digits 1, bytea_output hex; timestamptz in UTC),
 * except that text is escaped so that what a reviewer sees is unambiguous:
 * control bytes and invalid UTF-8 as \xNN, a backslash as \\.
 *
 * Memory is read only through a callback (process_vm_readv in the daemon, a
 * fake address space in tests). Nothing read from the backend is trusted:
 * every length is bounded before it is used, and a read that fails is an
 * error, never a crash.
 */
#ifndef SQLWARD_PG_PARAMS_H
#define SQLWARD_PG_PARAMS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Copy len bytes at addr in the backend into buf; false when any of them cannot be read. */
typedef bool (*sw_mem_read_fn)(void *ctx, uint64_t addr, void *buf, size_t len);

struct sw_param {
	int index;          /* 1-based: the $n it binds */
	unsigned type_oid;  /* ParamExternData.ptype */
	bool isnull;
	char *text;         /* rendered value; NULL when isnull */
	char *type_name;    /* "int4", "text", ...; "type OID N" for a type not rendered here */
};

/* Where the fields are (bytes). PostgreSQL 15 on x86-64: sw_pg15_params_layout. */
struct sw_pg_params_layout {
	size_t fetch_hook_off;  /* ParamListInfoData.paramFetch: non-NULL means params[] may be empty */
	size_t num_params_off;  /* ParamListInfoData.numParams (int) */
	size_t params_off;      /* ParamListInfoData.params[] */
	size_t extern_size;     /* sizeof(ParamExternData) */
	size_t value_off;       /* ParamExternData.value (Datum, 8 bytes) */
	size_t isnull_off;      /* ParamExternData.isnull (bool) */
	size_t ptype_off;       /* ParamExternData.ptype (Oid) */
};
extern const struct sw_pg_params_layout sw_pg15_params_layout;

#define SW_PARAMS_MAX 65535      /* more than the protocol's int16 count can bind: corrupt */
#define SW_PARAM_TEXT_MAX 4096   /* a rendered value longer than this is cut, ending "... (N bytes)" */

/*
 * Read and render the ParamListInfo at params_addr (0: no parameters, *n = 0).
 * Returns 0 and a malloc'ed array (*out, *n; free with sw_pg_params_free), or
 * -1 with a message in err when the list cannot be read or is not a plain
 * Bind parameter list; then *out is NULL and *n 0.
 */
int sw_pg_params_read(sw_mem_read_fn rd, void *ctx, uint64_t params_addr,
		      const struct sw_pg_params_layout *L, struct sw_param **out, size_t *n,
		      char *err, size_t errlen);
void sw_pg_params_free(struct sw_param *params, size_t n);

/* [{"index": 1, "type": "int4", "value": "42"}, ...]; value null for NULL. New reference. */
json_t *sw_pg_params_json(const struct sw_param *params, size_t n);

/*
 * Renderers shared with fastpath arguments. n bytes of a value of total
 * bytes are at p (n <= total: the rest was not read); the result is at most
 * SW_PARAM_TEXT_MAX bytes plus "... (total bytes)" when anything is left out.
 *   escaped: printable ASCII as is, a backslash as \\, other bytes as \xNN;
 *            keep_utf8 keeps valid printable UTF-8 characters.
 *   hex:     \x and two lower-case hex digits a byte, at most max_bytes bytes.
 */
char *sw_render_escaped(const unsigned char *p, size_t n, size_t total, bool keep_utf8);
char *sw_render_hex(const unsigned char *p, size_t n, size_t total, size_t max_bytes);

#endif
