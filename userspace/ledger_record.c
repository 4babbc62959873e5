/*
 * Builders for ledger records (see ledger.h for the format). The records
 * are plain jansson objects; sw_ledger_append adds seq, prev and hash.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/evp.h>
#include "ledger.h"
#include "json_writer.h"
#include "statement_json.h"
#include "util.h"

static json_t *now_string(void)
{
	struct timespec now;
	char buf[40];

	clock_gettime(CLOCK_REALTIME, &now);
	sw_format_time(&now, buf, sizeof(buf));
	return json_string(buf);
}

/* Standard base64 (RFC 4648, with padding, no line breaks). */
static void write_base64(struct sw_jw *w, const char *data, size_t len)
{
	size_t cap = 4 * ((len + 2) / 3) + 1;
	unsigned char *buf = sw_xmalloc(cap);
	int n = EVP_EncodeBlock(buf, (const unsigned char *)data, (int)len);

	sw_jw_stringn(w, (const char *)buf, n > 0 ? (size_t)n : 0);
	free(buf);
}

/* Where a statement's full text went when the record cannot hold it all. */
struct full_text {
	char sha[65];                /* SHA-256 of the whole text */
	char blob[SW_BLOB_REL_MAX];  /* "statement_blob", or empty */
	char error[300];             /* why it could not be kept, or empty */
};

/*
 * "statement" (+ "statement_encoding", "statement_truncated"),
 * "statement_length", "statement_sha256" (+ "statement_blob" or
 * "statement_blob_error").
 */
static void write_statement_text(struct sw_jw *w, const char *text, size_t len, const struct full_text *ft)
{
	size_t cut = len;
	bool truncated = false;

	if (len > SW_LEDGER_TEXT_MAX) {
		truncated = true;
		cut = SW_LEDGER_TEXT_MAX;
		/* Do not split a UTF-8 sequence: text[cut] must not be a continuation byte. */
		while (cut > SW_LEDGER_TEXT_MAX - 3 && ((unsigned char)text[cut] & 0xC0) == 0x80)
			cut--;
	}
	sw_jw_key(w, "statement");
	if (sw_utf8_valid(text, cut)) {
		sw_jw_stringn(w, text, cut);
	} else {
		write_base64(w, text, len > SW_LEDGER_TEXT_MAX ? SW_LEDGER_TEXT_MAX : len);
		sw_jw_kv_str(w, "statement_encoding", "base64");
	}
	if (truncated)
		sw_jw_kv_bool(w, "statement_truncated", true);
	sw_jw_kv_int(w, "statement_length", (int64_t)len);
	sw_jw_kv_str(w, "statement_sha256", ft->sha);
	if (ft->blob[0])
		sw_jw_kv_str(w, "statement_blob", ft->blob);
	else if (ft->error[0])
		sw_jw_kv_str(w, "statement_blob_error", ft->error);
}

/* The statement's text (never NULL) and its SHA-256; with a ledger, a text too long
 * for the record is kept whole in its full-text store first. */
static const char *prepare_text(struct sw_ledger *l, const struct sw_decision *d, size_t *len, struct full_text *ft)
{
	const char *text = d->statement ? d->statement : "";

	*len = d->statement ? d->statement_len : 0;
	ft->blob[0] = ft->error[0] = '\0';
	sw_sha256_hex(text, *len, ft->sha);
	if (l && *len > SW_LEDGER_TEXT_MAX &&
	    sw_ledger_put_blob(l, text, *len, ft->sha, ft->blob, ft->error, sizeof(ft->error)) != 0) {
		ft->blob[0] = '\0';
		fprintf(stderr, "sqlward: cannot keep the full text of a %zu-byte statement: %s; its record keeps the "
			"first %d bytes and says why\n", *len, ft->error, SW_LEDGER_TEXT_MAX);
	}
	return text;
}

static void write_strv(struct sw_jw *w, const char *key, const struct sw_strv *sv)
{
	sw_jw_key(w, key);
	sw_jw_array(w);
	for (size_t i = 0; sv && i < sv->n; i++)
		sw_jw_string(w, sv->v[i]);
	sw_jw_array_end(w);
}

/* The members of a statement record, without braces (see sw_decision_record). */
static void write_decision(struct sw_jw *w, const struct sw_decision *d, struct sw_ledger *l)
{
	struct full_text ft;
	size_t text_len;
	const char *text = prepare_text(l, d, &text_len, &ft);
	const struct sw_analysis *a = d->analysis;
	const struct sw_stmt *st = NULL;
	size_t n_stmts = a ? a->n_stmts : 0;
	char tbuf[40];

	if (a && d->overall && d->overall->stmt_index < n_stmts)
		st = &a->stmts[d->overall->stmt_index];
	else if (n_stmts > 0)
		st = &a->stmts[0];

	sw_format_time(&d->time, tbuf, sizeof(tbuf));
	sw_jw_kv_str(w, "type", "statement");
	sw_jw_kv_str(w, "time", tbuf);
	sw_jw_kv_str(w, "engine", sw_engine_name(d->engine));
	sw_jw_kv_int(w, "pid", d->pid);
	sw_jw_kv_str(w, "role", d->role);
	sw_jw_kv_str(w, "database", d->database);
	sw_jw_kv_str(w, "client", d->client);
	sw_jw_kv_bool(w, "governed", d->governed);
	write_statement_text(w, text, text_len, &ft);
	sw_jw_kv_bool(w, "statement_complete", d->statement_complete);

	sw_jw_kv_str(w, "class", sw_class_name(st ? st->cls : SW_CLASS_UNKNOWN));
	if (st)
		sw_jw_kv_str(w, "command", st->command);

	/* Union of all statements' objects and traits. */
	{
		struct sw_strv names = { 0 };
		unsigned traits = 0;

		for (size_t i = 0; i < n_stmts; i++) {
			traits |= a->stmts[i].traits;
			for (size_t k = 0; k < a->stmts[i].n_objects; k++)
				sw_strv_push_unique(&names, a->stmts[i].objects[k].name);
		}
		write_strv(w, "objects", &names);
		sw_strv_free(&names);
		sw_jw_key(w, "traits");
		sw_jw_array(w);
		for (unsigned i = 0; i < SW_TRAIT__COUNT; i++)
			if (traits & (1u << i))
				sw_jw_string(w, sw_trait_name(i));
		sw_jw_array_end(w);
	}

	if (d->overall) {
		sw_jw_kv_str(w, "verdict", sw_verdict_name(d->overall->verdict));
		sw_jw_kv_str(w, "rule", d->overall->rule_id);
		sw_jw_kv_str(w, "reason", d->overall->reason);
	} else {
		sw_jw_kv_str(w, "verdict", "none");
	}
	write_strv(w, "reasons", st ? &st->reasons : NULL);
	if (a && !a->parse_ok && a->error)
		sw_jw_kv_str(w, "parse_error", a->error);

	if (n_stmts > 1) {
		sw_jw_key(w, "statements");
		sw_jw_array(w);
		for (size_t i = 0; i < n_stmts; i++) {
			const struct sw_stmt *s = &a->stmts[i];
			sw_jw_object(w);
			sw_jw_kv_str(w, "class", sw_class_name(s->cls));
			sw_jw_kv_str(w, "command", s->command);
			sw_jw_key(w, "objects");
			sw_jw_array(w);
			for (size_t k = 0; k < s->n_objects; k++)
				sw_jw_string(w, s->objects[k].name);
			sw_jw_array_end(w);
			if (d->per_stmt) {
				sw_jw_kv_str(w, "verdict", sw_verdict_name(d->per_stmt[i].verdict));
				sw_jw_kv_str(w, "rule", d->per_stmt[i].rule_id);
			}
			sw_jw_object_end(w);
		}
		sw_jw_array_end(w);
	}

	sw_jw_kv_int(w, "held_us", d->held_us > (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)d->held_us);
	sw_jw_kv_str(w, "outcome", d->outcome);
	sw_jw_kv_str(w, "decided_by", d->decided_by);
	sw_jw_kv_str(w, "comment", d->comment);
	sw_jw_kv_str(w, "via", d->via);
	if (json_is_object(d->extra)) {
		const char *k;
		json_t *v;
		json_object_foreach((json_t *)d->extra, k, v) {
			sw_jw_key(w, k);
			sw_jw_value(w, v);
		}
	}
}

static json_t *decision_record(const struct sw_decision *d, struct sw_ledger *l)
{
	struct sw_jw w;
	json_error_t e;
	json_t *o;

	sw_jw_init(&w);
	sw_jw_object(&w);
	write_decision(&w, d, l);
	sw_jw_object_end(&w);
	o = json_loadb(w.buf, w.len, 0, &e);
	if (!o) {
		fprintf(stderr, "sqlward: internal error: statement record is not valid JSON: %s\n", e.text);
		abort();
	}
	sw_jw_free(&w);
	return o;
}

json_t *sw_decision_record(const struct sw_decision *d)
{
	return decision_record(d, NULL);
}

json_t *sw_ledger_decision_record(struct sw_ledger *l, const struct sw_decision *d)
{
	return decision_record(d, l);
}

int sw_ledger_append_decision(struct sw_ledger *l, const struct sw_decision *d, bool sync, uint64_t *seq_out,
			      char *err, size_t errlen)
{
	/* One buffer for the life of the process: the daemon writes from one thread. */
	static struct sw_jw w;

	sw_jw_reset(&w);
	write_decision(&w, d, l);
	return sw_ledger_append_body(l, w.buf, w.len, sync, seq_out, err, errlen);
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
