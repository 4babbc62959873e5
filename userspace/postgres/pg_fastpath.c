/*
 * Fastpath function calls (see pg_fastpath.h): decode the 'F' message body
 * the way HandleFunctionRequest/parse_fcall_arguments do, then describe the
 * call as the SQL classifier would judge the same function call.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "pg_fastpath.h"
#include "pg_params.h"
#include "pg_proc_oids.h"
#include "util.h"

/* ---- decoding ------------------------------------------------------------------ */

/* A cursor over the body, like the server's StringInfo with pq_getmsg*(). */
struct msg {
	const unsigned char *p;
	size_t len, pos;
	char *err;
	size_t errlen;
};

static bool msg_error(struct msg *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static bool msg_error(struct msg *m, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(m->err, m->errlen, fmt, ap);
	va_end(ap);
	return false;
}

/* pq_getmsgint(): network byte order, unsigned. */
static bool get_uint(struct msg *m, size_t width, uint32_t *v, const char *what)
{
	*v = 0;
	if (m->len - m->pos < width)
		return msg_error(m, "the message ends at byte %zu, inside %s (%zu bytes needed, %zu left); "
				 "the server rejects it (\"insufficient data left in message\")", m->pos, what, width, m->len - m->pos);
	for (size_t i = 0; i < width; i++)
		*v = *v << 8 | m->p[m->pos + i];
	m->pos += width;
	return true;
}

bool sw_pg_fastpath_decode(const unsigned char *body, size_t len, struct sw_fastpath_call *call,
			   char *err, size_t errlen)
{
	struct msg m = { body, len, 0, err, errlen };
	uint32_t n_formats = 0, nargs = 0, v = 0;
	size_t formats_at;

	memset(call, 0, sizeof(*call));
	if (!get_uint(&m, 4, &call->fn_oid, "the function OID") ||
	    !get_uint(&m, 2, &n_formats, "the number of argument format codes"))
		return false;
	/* The codes are read now and checked per argument, as the server does. */
	formats_at = m.pos;
	for (uint32_t i = 0; i < n_formats; i++)
		if (!get_uint(&m, 2, &v, "the argument format codes"))
			return false;
	if (!get_uint(&m, 2, &nargs, "the number of arguments"))
		return false;
	if (nargs > SW_FASTPATH_MAX_ARGS)
		return msg_error(&m, "the call has %" PRIu32 " arguments, more than the server's limit of %d; "
				 "it rejects the call", nargs, SW_FASTPATH_MAX_ARGS);
	if (n_formats > 1 && n_formats != nargs)
		return msg_error(&m, "the call has %" PRIu32 " argument format codes for %" PRIu32 " arguments "
				 "(allowed: 0, 1 or one per argument); the server rejects it", n_formats, nargs);
	call->nargs = (int)nargs;

	for (uint32_t i = 0; i < nargs; i++) {
		struct sw_fastpath_arg *a = &call->args[i];
		int32_t size;
		uint32_t code = 0;
		char what[64];

		snprintf(what, sizeof(what), "the length of argument %" PRIu32, i + 1);
		if (!get_uint(&m, 4, &v, what))
			return false;
		size = (int32_t)v;
		if (size == -1) {
			a->isnull = true;
		} else if (size < 0) {
			return msg_error(&m, "argument %" PRIu32 " has length %" PRId32 " (only -1, NULL, may be "
					 "negative); the server rejects it", i + 1, size);
		} else if ((size_t)size > m.len - m.pos) {
			return msg_error(&m, "argument %" PRIu32 " claims %" PRId32 " bytes but only %zu are left in the "
					 "message; the server rejects it", i + 1, size, m.len - m.pos);
		} else {
			a->data = body + m.pos;
			a->len = (uint32_t)size;
			m.pos += (size_t)size;
		}
		if (n_formats > 0) {
			size_t at = formats_at + 2 * (n_formats > 1 ? i : 0);
			code = (uint32_t)body[at] << 8 | body[at + 1];
		}
		a->format = (int16_t)code;
		if (a->format != 0 && a->format != 1)
			return msg_error(&m, "argument %" PRIu32 " has format code %d (0 text or 1 binary); the server "
					 "rejects it", i + 1, a->format);
	}
	if (!get_uint(&m, 2, &v, "the result format code"))
		return false;
	call->result_format = (int16_t)v;
	if (call->result_format != 0 && call->result_format != 1)
		return msg_error(&m, "the result format code is %d (0 text or 1 binary); the server runs the "
				 "function and then fails to send its result", call->result_format);
	if (m.pos != len)
		return msg_error(&m, "%zu bytes follow the end of the call; the server rejects it (\"invalid message "
				 "format\")", len - m.pos);
	return true;
}

/* ---- the statement ------------------------------------------------------------------ */

/* An identifier as SQL must spell it to mean exactly this name. */
static char *sql_identifier(const char *name)
{
	bool plain = (name[0] >= 'a' && name[0] <= 'z') || name[0] == '_';
	size_t n = 0;
	char *q;

	for (const char *c = name; *c && plain; c++)
		plain = (*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '_';
	if (plain)
		return sw_xstrdup(name);
	q = sw_xmalloc(2 * strlen(name) + 3);
	q[n++] = '"';
	for (const char *c = name; *c; c++) {
		if (*c == '"')
			q[n++] = '"';
		q[n++] = *c;
	}
	q[n++] = '"';
	q[n] = '\0';
	return q;
}

/* SELECT schema.name($1, ...), or the unknown-function form for an OID that is not a built-in. */
static char *synthetic_sql(const struct sw_pg_proc *proc, uint32_t oid, int nargs)
{
	char *fn, *sql;
	size_t len;

	if (proc) {
		char *schema = sql_identifier(proc->schema), *name = sql_identifier(proc->name);
		fn = sw_xasprintf("%s.%s", schema, name);
		free(schema);
		free(name);
	} else {
		fn = sw_xasprintf("\"fastpath function OID %" PRIu32 "\"", oid);
	}
	sql = sw_xasprintf("SELECT %s(", fn);
	free(fn);
	for (int i = 0; i < nargs; i++) {
		char *next = sw_xasprintf("%s%s$%d", sql, i ? ", " : "", i + 1);
		free(sql);
		sql = next;
	}
	len = strlen(sql);
	sql = sw_xrealloc(sql, len + 2);
	memcpy(sql + len, ")", 2);
	return sql;
}

/* The i-th name in "oid, integer" (pg_proc_oids argtypes), NULL when there is none. */
static char *arg_type_name(const struct sw_pg_proc *proc, int i)
{
	const char *s = proc ? proc->argtypes : NULL;

	for (int k = 0; s && k < i; k++) {
		s = strstr(s, ", ");
		if (s)
			s += 2;
	}
	if (!s || !*s)
		return NULL;
	return sw_xstrndup(s, strcspn(s, ","));
}

/* A binary integer argument also as its value (network byte order). */
static char *binary_int_suffix(const char *type, const struct sw_fastpath_arg *a)
{
	uint64_t v = 0;

	if (!type)
		return sw_xstrdup("");
	for (uint32_t i = 0; i < a->len && i < 8; i++)
		v = v << 8 | a->data[i];
	if (a->len == 2 && strcmp(type, "smallint") == 0)
		return sw_xasprintf(" = %d", (int16_t)v);
	if (a->len == 4 && strcmp(type, "integer") == 0)
		return sw_xasprintf(" = %" PRId32, (int32_t)v);
	if (a->len == 4 && strcmp(type, "oid") == 0)
		return sw_xasprintf(" = %" PRIu32, (uint32_t)v);
	if (a->len == 8 && strcmp(type, "bigint") == 0)
		return sw_xasprintf(" = %" PRId64, (int64_t)v);
	return sw_xstrdup("");
}

static char *describe_argument(const struct sw_pg_proc *proc, int i, const struct sw_fastpath_arg *a)
{
	char *type = arg_type_name(proc, i), *value, *text;

	if (a->isnull) {
		value = sw_xstrdup("NULL");
	} else if (a->format == 0) {
		char *esc = sw_render_escaped(a->data, a->len, a->len, false);
		value = sw_xasprintf("'%s' (text format)", esc);
		free(esc);
	} else {
		char *hex = sw_render_hex(a->data, a->len, a->len, 64), *num = binary_int_suffix(type, a);
		value = sw_xasprintf("%s%s (binary format)", hex, num);
		free(hex);
		free(num);
	}
	if (type)
		text = sw_xasprintf("argument $%d (%s): %s", i + 1, type, value);
	else
		text = sw_xasprintf("argument $%d: %s", i + 1, value);
	free(type);
	free(value);
	return text;
}

/* front's reasons first, then the classifier's own (but the placeholder one); front is emptied. */
static void prepend_reasons(struct sw_stmt *st, struct sw_strv *front)
{
	struct sw_strv rest = st->reasons;

	st->reasons = *front;
	for (size_t i = 0; i < rest.n; i++)
		/* A fastpath call has no Bind: the classifier's $n note does not apply. */
		if (strcmp(rest.v[i], SW_REASON_PARAMETERIZED) != 0)
			sw_strv_push(&st->reasons, rest.v[i]);
	sw_strv_free(&rest);
	memset(front, 0, sizeof(*front));
}

static void undecodable(const unsigned char *body, size_t len, const char *why, struct sw_analysis *out)
{
	struct sw_stmt *st;
	char *msg;

	memset(out, 0, sizeof(*out));
	out->engine = SW_ENGINE_POSTGRES;
	out->parse_ok = false;
	out->error = sw_xasprintf("fastpath function call message does not decode: %s", why);
	out->stmts = sw_xcalloc(1, sizeof(*out->stmts));
	out->n_stmts = 1;
	st = &out->stmts[0];
	st->cls = SW_CLASS_UNKNOWN;
	st->command = sw_xstrdup("FUNCTION CALL");
	st->traits = SW_TRAIT_FASTPATH;
	if (len >= 4)
		st->text = sw_xasprintf("fastpath call of function OID %" PRIu32 " (%zu-byte message that does not decode)",
					(uint32_t)body[0] << 24 | (uint32_t)body[1] << 16 | (uint32_t)body[2] << 8 | body[3],
					len);
	else
		st->text = sw_xasprintf("fastpath call (%zu-byte message that does not decode)", len);
	msg = sw_xasprintf("%s; judged as unknown (fail closed)", out->error);
	sw_strv_push(&st->reasons, msg);
	free(msg);
}

void sw_pg_fastpath_analyze(const unsigned char *body, size_t len, int major, struct sw_analysis *out)
{
	struct sw_fastpath_call *call = sw_xmalloc(sizeof(*call));
	const struct sw_pg_proc *proc;
	struct sw_strv front = { 0 };
	struct sw_stmt *st;
	char err[256], *sql, *r;

	if (!sw_pg_fastpath_decode(body, len, call, err, sizeof(err))) {
		undecodable(body, len, err, out);
		free(call);
		return;
	}
	proc = sw_pg_proc_by_oid(call->fn_oid, major);   /* OIDs differ between majors */
	sql = synthetic_sql(proc, call->fn_oid, call->nargs);
	sw_pg_analyze(sql, out);
	free(sql);
	if (!out->parse_ok || out->n_stmts != 1) {
		/* Cannot happen for the texts built above; fail closed if it does. */
		sw_analysis_free(out);
		undecodable(body, len, "its synthetic SQL text did not parse", out);
		free(call);
		return;
	}
	st = &out->stmts[0];
	free(st->command);
	st->command = sw_xstrdup("FUNCTION CALL");
	st->traits |= SW_TRAIT_FASTPATH;
	/*
	 * The argument values are in the message and shown below: nothing is
	 * bound later. (The daemon defers parameterized statements to Bind; a
	 * fastpath call has none, so keeping the trait would let it through.)
	 */
	st->traits &= ~(unsigned)SW_TRAIT_PARAMETERIZED;

	if (proc)
		r = sw_xasprintf("fastpath function call (protocol message F, libpq PQfn): OID %" PRIu32 " = %s.%s",
				 call->fn_oid, proc->schema, proc->name);
	else if (!sw_pg_catalog_has_major(major))
		r = sw_xasprintf("fastpath function call (protocol message F, libpq PQfn): OID %" PRIu32 " cannot be "
				 "named: sqlward has no function table for PostgreSQL major %d (supported: %d to %d); "
				 "judged as an unknown function", call->fn_oid, major, SW_PG_MAJOR_MIN, SW_PG_MAJOR_MAX);
	else if (call->fn_oid >= SW_PG_FIRST_UNPINNED_OID && call->fn_oid < 16384)
		r = sw_xasprintf("fastpath function call (protocol message F, libpq PQfn): OID %" PRIu32 " was "
				 "numbered when the cluster was initialized (information_schema helpers, snowball, "
				 "PL/pgSQL handlers: the numbers differ between clusters), so sqlward cannot name it; "
				 "judged as an unknown function", call->fn_oid);
	else
		r = sw_xasprintf("fastpath function call (protocol message F, libpq PQfn): OID %" PRIu32 " is not a "
				 "built-in function of PostgreSQL %d (a user or extension function, or no function at all)",
				 call->fn_oid, major);
	sw_strv_push(&front, r);
	free(r);
	if (proc && proc->nargs != call->nargs) {
		r = sw_xasprintf("the call passes %d arguments but %s.%s takes %d: the server rejects it before the "
				 "function runs", call->nargs, proc->schema, proc->name, proc->nargs);
		sw_strv_push(&front, r);
		free(r);
	}
	for (int i = 0; i < call->nargs; i++) {
		r = describe_argument(proc, i, &call->args[i]);
		sw_strv_push(&front, r);
		free(r);
	}
	prepend_reasons(st, &front);
	free(call);
}
