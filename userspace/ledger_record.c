/*
 * Builders for ledger records (see ledger.h for the format). The records
 * are plain jansson objects; sw_ledger_append adds seq, prev and hash.
 */
#include <stdlib.h>
#include <string.h>
#include <openssl/evp.h>
#include "ledger.h"
#include "statement_json.h"
#include "util.h"

static void set_str(json_t *o, const char *key, const char *val)
{
	if (val)
		json_object_set_new(o, key, sw_json_text(val));
}

static json_t *now_string(void)
{
	struct timespec now;
	char buf[40];

	clock_gettime(CLOCK_REALTIME, &now);
	sw_format_time(&now, buf, sizeof(buf));
	return json_string(buf);
}

/* Standard base64 (RFC 4648, with padding, no line breaks). */
static json_t *base64_json(const char *data, size_t len)
{
	size_t cap = 4 * ((len + 2) / 3) + 1;
	unsigned char *buf = sw_xmalloc(cap);
	int n = EVP_EncodeBlock(buf, (const unsigned char *)data, (int)len);
	json_t *j = json_stringn((const char *)buf, n > 0 ? (size_t)n : 0);

	free(buf);
	return j;
}

/*
 * "statement" (+ "statement_encoding", "statement_truncated"),
 * "statement_length", "statement_sha256".
 */
static void set_statement_text(json_t *o, const char *text, size_t len)
{
	char sha[65];
	size_t cut = len;
	bool truncated = false;

	if (!text) {
		text = "";
		len = cut = 0;
	}
	if (len > SW_LEDGER_TEXT_MAX) {
		truncated = true;
		cut = SW_LEDGER_TEXT_MAX;
		/* Do not split a UTF-8 sequence: text[cut] must not be a continuation byte. */
		while (cut > SW_LEDGER_TEXT_MAX - 3 && ((unsigned char)text[cut] & 0xC0) == 0x80)
			cut--;
	}
	if (sw_utf8_valid(text, cut)) {
		json_object_set_new(o, "statement", json_stringn(text, cut));
	} else {
		size_t n = len > SW_LEDGER_TEXT_MAX ? SW_LEDGER_TEXT_MAX : len;
		json_object_set_new(o, "statement", base64_json(text, n));
		json_object_set_new(o, "statement_encoding", json_string("base64"));
	}
	if (truncated)
		json_object_set_new(o, "statement_truncated", json_true());
	json_object_set_new(o, "statement_length", json_integer((json_int_t)len));
	sw_sha256_hex(text, len, sha);
	json_object_set_new(o, "statement_sha256", json_string(sha));
}

static json_t *objects_json(const struct sw_stmt *st)
{
	json_t *a = json_array();

	for (size_t i = 0; i < st->n_objects; i++)
		json_array_append_new(a, sw_json_text(st->objects[i].name));
	return a;
}

static json_t *strv_json(const struct sw_strv *sv)
{
	json_t *a = json_array();

	for (size_t i = 0; i < sv->n; i++)
		json_array_append_new(a, sw_json_text(sv->v[i]));
	return a;
}

json_t *sw_decision_record(const struct sw_decision *d)
{
	const struct sw_analysis *a = d->analysis;
	const struct sw_stmt *st = NULL;
	size_t n_stmts = a ? a->n_stmts : 0;
	json_t *o = json_object();
	char tbuf[40];

	if (a && d->overall && d->overall->stmt_index < n_stmts)
		st = &a->stmts[d->overall->stmt_index];
	else if (n_stmts > 0)
		st = &a->stmts[0];

	sw_format_time(&d->time, tbuf, sizeof(tbuf));
	json_object_set_new(o, "type", json_string("statement"));
	json_object_set_new(o, "time", json_string(tbuf));
	json_object_set_new(o, "engine", json_string(sw_engine_name(d->engine)));
	json_object_set_new(o, "pid", json_integer(d->pid));
	set_str(o, "role", d->role);
	set_str(o, "database", d->database);
	set_str(o, "client", d->client);
	json_object_set_new(o, "governed", json_boolean(d->governed));
	set_statement_text(o, d->statement, d->statement ? d->statement_len : 0);
	json_object_set_new(o, "statement_complete", json_boolean(d->statement_complete));

	json_object_set_new(o, "class", json_string(sw_class_name(st ? st->cls : SW_CLASS_UNKNOWN)));
	if (st)
		set_str(o, "command", st->command);

	/* Union of all statements' objects and traits. */
	{
		struct sw_strv names = { 0 };
		unsigned traits = 0;
		json_t *objs = json_array();

		for (size_t i = 0; i < n_stmts; i++) {
			traits |= a->stmts[i].traits;
			for (size_t k = 0; k < a->stmts[i].n_objects; k++)
				sw_strv_push_unique(&names, a->stmts[i].objects[k].name);
		}
		for (size_t i = 0; i < names.n; i++)
			json_array_append_new(objs, sw_json_text(names.v[i]));
		sw_strv_free(&names);
		json_object_set_new(o, "objects", objs);
		json_object_set_new(o, "traits", sw_traits_json(traits));
	}

	if (d->overall) {
		json_object_set_new(o, "verdict", json_string(sw_verdict_name(d->overall->verdict)));
		set_str(o, "rule", d->overall->rule_id);
		set_str(o, "reason", d->overall->reason);
	} else {
		json_object_set_new(o, "verdict", json_string("none"));
	}
	json_object_set_new(o, "reasons", st ? strv_json(&st->reasons) : json_array());
	if (a && !a->parse_ok && a->error)
		set_str(o, "parse_error", a->error);

	if (n_stmts > 1) {
		json_t *arr = json_array();
		for (size_t i = 0; i < n_stmts; i++) {
			const struct sw_stmt *s = &a->stmts[i];
			json_t *e = json_object();
			json_object_set_new(e, "class", json_string(sw_class_name(s->cls)));
			set_str(e, "command", s->command);
			json_object_set_new(e, "objects", objects_json(s));
			if (d->per_stmt) {
				json_object_set_new(e, "verdict",
						    json_string(sw_verdict_name(d->per_stmt[i].verdict)));
				set_str(e, "rule", d->per_stmt[i].rule_id);
			}
			json_array_append_new(arr, e);
		}
		json_object_set_new(o, "statements", arr);
	}

	json_object_set_new(o, "held_us",
			    json_integer(d->held_us > (uint64_t)INT64_MAX ? INT64_MAX : (json_int_t)d->held_us));
	set_str(o, "outcome", d->outcome);
	set_str(o, "decided_by", d->decided_by);
	set_str(o, "comment", d->comment);
	return o;
}

json_t *sw_event_record(const char *type, json_t *fields)
{
	json_t *o = json_object();

	json_object_set_new(o, "type", json_string(type));
	json_object_set_new(o, "time", now_string());
	if (json_is_object(fields))
		json_object_update(o, fields);
	json_decref(fields);
	return o;
}

json_t *sw_daemon_record(const char *event, json_t *fields)
{
	json_t *o = json_object();

	json_object_set_new(o, "type", json_string("daemon"));
	json_object_set_new(o, "time", now_string());
	json_object_set_new(o, "event", sw_json_text(event));
	if (json_is_object(fields))
		json_object_update(o, fields);
	json_decref(fields);
	/* The record type and event name cannot be overridden by fields. */
	json_object_set_new(o, "type", json_string("daemon"));
	json_object_set_new(o, "event", sw_json_text(event));
	return o;
}
