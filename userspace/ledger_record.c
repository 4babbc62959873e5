/*
 * Builders for ledger records, one per record type (ledger_record.h; the
 * line format is in ledger.h). The records are plain jansson objects;
 * sw_ledger_append adds seq, prev and hash.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/evp.h>
#include "ledger_record.h"
#include "sha256_hex.h"
#include "statement_json.h"
#include "time_text.h"
#include "util.h"

static int name_cmp(const void *key, const void *elem)
{
	return strcmp(key, *(const char *const *)elem);
}

/* A member the record writes itself (an extra may not repeat it): a binary search, since every
 * extra of every record is checked (a linear scan of these was ~8% of a MariaDB record's CPU). */
static bool reserved_member(const char *k)
{
	/* Sorted by strcmp (checked once below). */
	static const char *const names[] = {
		"approvals", "class", "client", "command", "comment", "database", "decided_by", "engine",
		"governed", "hash", "held_us", "hold", "hold_id", "hold_seq", "objects", "outcome",
		"parse_error", "pid", "prev", "reason", "reasons", "requester", "requester_chain", "role",
		"rule", "seq", "statement", "statement_blob", "statement_complete", "statement_length",
		"statement_sha256", "statement_truncated", "statements", "time", "traits", "type", "verdict",
		"via",
	};
	static bool checked;

	if (!checked) {
		for (size_t i = 1; i < sizeof(names) / sizeof(names[0]); i++)
			if (strcmp(names[i - 1], names[i]) >= 0) {
				fprintf(stderr, "sqlward: internal error: reserved member names out of order at %s\n", names[i]);
				abort();
			}
		checked = true;
	}
	return bsearch(k, names, sizeof(names) / sizeof(names[0]), sizeof(names[0]), name_cmp) != NULL;
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
static void write_base64(struct sw_jw *w, const char *data, size_t len)
{
	size_t cap = 4 * ((len + 2) / 3) + 1;
	unsigned char *buf = sw_xmalloc(cap);
	int n = EVP_EncodeBlock(buf, (const unsigned char *)data, (int)len);

	sw_jw_stringn(w, (const char *)buf, n > 0 ? (size_t)n : 0);
	free(buf);
}

/*
 * "statement" (+ "statement_encoding", "statement_truncated"),
 * "statement_length", "statement_sha256" (+ "statement_blob" or
 * "statement_blob_error").
 */
static void write_statement_text(struct sw_jw *w, const char *text, size_t len, const struct sw_full_text *ft)
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
	/* Valid UTF-8 is checked while it is escaped: one pass over the text. */
	if (!sw_jw_stringn_if_valid(w, text, cut)) {
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

void sw_full_text_of(const struct sw_decision *d, struct sw_full_text *ft)
{
	ft->blob[0] = ft->error[0] = '\0';
	sw_sha256_hex(d->statement ? d->statement : "", d->statement ? d->statement_len : 0, ft->sha);
}

static void write_strv(struct sw_jw *w, const char *key, const struct sw_strv *sv)
{
	sw_jw_key(w, key);
	sw_jw_array(w);
	for (size_t i = 0; sv && i < sv->n; i++)
		sw_jw_string(w, sv->v[i]);
	sw_jw_array_end(w);
}

/* "class" to "reasons" (and "parse_error"): what the statement is and how it was judged. */
static void judgement_members(struct sw_jw *w, const struct sw_decision *d, const struct sw_analysis *a,
			      const struct sw_stmt *st, size_t n_stmts)
{
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
}

/* What the judgement members depend on besides the statement: the overall judgement. False when
 * it is too long to be a key (rendered every time then). */
static bool memo_key(const struct sw_decision *d, char *key, size_t cap, size_t *len)
{
	const struct sw_judgement *j = d->overall;
	const char *parts[2] = { j ? j->rule_id : NULL, j ? j->reason : NULL };
	size_t n = 0;

	key[n++] = j ? 1 : 0;
	key[n++] = j ? (char)j->verdict : 0;
	for (int i = 0; i < 2; i++) {
		size_t l = parts[i] ? strlen(parts[i]) : 0;
		if (n + l + 2 > cap)
			return false;
		key[n++] = parts[i] ? 1 : 0;
		if (l)
			memcpy(key + n, parts[i], l);
		n += l;
		key[n++] = 0;
	}
	*len = n;
	return true;
}

/*
 * The judgement members of a statement borrowed from the classification cache
 * (statement.h): the same bytes for every literal of the shape judged alike,
 * so they are rendered once per (shape, judgement) and replayed. The key is the
 * judgement's contents, not a policy generation: a reload, a freeze or another
 * session that judges the shape otherwise gets a different key.
 */
static void judgement_members_memo(struct sw_jw *w, const struct sw_decision *d, const struct sw_analysis *a)
{
	struct sw_stmt_memo *m = a->memo;
	char key[1024];
	size_t klen, from = w->len;

	if (!memo_key(d, key, sizeof(key), &klen)) {
		judgement_members(w, d, a, &a->stmts[0], 1);
		return;
	}
	for (int i = 0; i < SW_STMT_MEMO_WAYS; i++)
		if (m->way[i].bytes && m->way[i].key_len == klen && memcmp(m->way[i].key, key, klen) == 0) {
			sw_jw_raw(w, m->way[i].bytes, m->way[i].len);   /* its comma, then the members */
			return;
		}
	judgement_members(w, d, a, &a->stmts[0], 1);
	if (w->len <= from + 1 || w->buf[from] != ',')
		return;   /* not after another member: nothing sw_jw_raw could replay */
	{
		unsigned i = m->next;
		m->next = (m->next + 1) % SW_STMT_MEMO_WAYS;
		free(m->way[i].key);
		free(m->way[i].bytes);
		m->way[i].key = sw_xmalloc(klen);
		memcpy(m->way[i].key, key, klen);
		m->way[i].key_len = klen;
		m->way[i].len = w->len - from - 1;
		m->way[i].bytes = sw_xmalloc(m->way[i].len);
		memcpy(m->way[i].bytes, w->buf + from + 1, m->way[i].len);
	}
}

void sw_decision_members(struct sw_jw *w, const struct sw_decision *d, const struct sw_full_text *ft)
{
	struct sw_full_text own;
	size_t text_len = d->statement ? d->statement_len : 0;
	const char *text = d->statement ? d->statement : "";
	const struct sw_analysis *a = d->analysis;
	const struct sw_stmt *st = NULL;
	size_t n_stmts = a ? a->n_stmts : 0;
	char tbuf[40];

	if (a && d->overall && d->overall->stmt_index < n_stmts)
		st = &a->stmts[d->overall->stmt_index];
	else if (n_stmts > 0)
		st = &a->stmts[0];

	if (!ft) {
		sw_full_text_of(d, &own);
		ft = &own;
	}
	sw_format_time(&d->time, tbuf, sizeof(tbuf));
	sw_jw_kv_str(w, "type", "statement");
	sw_jw_kv_str(w, "time", tbuf);
	sw_jw_kv_str(w, "engine", sw_engine_name(d->engine));
	sw_jw_kv_int(w, "pid", d->pid);
	sw_jw_kv_str(w, "role", d->role);
	sw_jw_kv_str(w, "database", d->database);
	sw_jw_kv_str(w, "client", d->client);
	sw_jw_kv_bool(w, "governed", d->governed);
	write_statement_text(w, text, text_len, ft);
	sw_jw_kv_bool(w, "statement_complete", d->statement_complete);

	if (a && a->borrowed && a->memo && n_stmts == 1 && a->parse_ok)
		judgement_members_memo(w, d, a);
	else
		judgement_members(w, d, a, st, n_stmts);

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
	{
		size_t n = 0;
		if (json_is_object(d->extra)) {
			const char *k;
			json_t *v;
			json_object_foreach((json_t *)d->extra, k, v) {
				/* The who fields go where they were taken, between the extras before and after. */
				if (n++ == d->who.at)
					sw_who_ref_write(w, &d->who);
				/* An extra never repeats a member written above (or by the ledger): a record
				 * with a duplicate key is not valid JSON and would break the chain. */
				if (reserved_member(k))
					continue;
				sw_jw_key(w, k);
				sw_jw_value(w, v);
			}
		}
		if (d->who.at >= n)
			sw_who_ref_write(w, &d->who);
	}
}

json_t *sw_statement_record(const struct sw_decision *d, const struct sw_full_text *ft,
			    const struct sw_hold_decision *hold)
{
	struct sw_jw w;
	json_error_t e;
	json_t *o;

	sw_jw_init(&w);
	sw_jw_object(&w);
	sw_decision_members(&w, d, ft);
	sw_jw_object_end(&w);
	o = json_loadb(w.buf, w.len, 0, &e);
	if (!o) {
		fprintf(stderr, "sqlward: internal error: statement record is not valid JSON: %s\n", e.text);
		abort();
	}
	sw_jw_free(&w);
	if (hold) {
		json_object_set_new(o, "hold_id", json_integer((json_int_t)hold->hold_id));
		json_object_set_new(o, "hold", json_string(hold->hold));
		json_object_set_new(o, "hold_seq", json_integer((json_int_t)hold->hold_seq));
		json_object_set_new(o, "approvals", hold->approvals);
		if (hold->requester)
			json_object_set_new(o, "requester", hold->requester);
		if (hold->requester_chain)
			json_object_set_new(o, "requester_chain", hold->requester_chain);
	}
	return o;
}

json_t *sw_decision_record(const struct sw_decision *d)
{
	return sw_statement_record(d, NULL, NULL);
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

/* hold_id, hold_seq, statement_sha256, pid, role: the members every note about a hold starts with. */
static json_t *hold_ref_members(const char *type, const struct sw_hold_ref *h)
{
	return sw_event_record(type, json_pack("{s:I, s:I, s:s, s:i, s:s}", "hold_id", (json_int_t)h->hold_id,
					       "hold_seq", (json_int_t)h->hold_seq, "statement_sha256",
					       h->statement_sha256, "pid", h->pid, "role", h->role));
}

json_t *sw_hold_note_record(const char *type, const struct sw_hold_ref *h, const char *user, const char *comment,
			    const char *message)
{
	json_t *o = hold_ref_members(type, h);

	json_object_update_new(o, json_pack("{s:s, s:s?, s:s}", "user", user, "comment", comment, "message",
					    message));
	json_object_set_new(o, "hold", json_string(h->hold));
	return o;
}

json_t *sw_stale_refusal_record(uint64_t hold_id, const char *hold, const char *sha256, const char *user,
				const char *comment, const char *message)
{
	return sw_event_record("approval_refused",
			       json_pack("{s:I, s:s, s:s?, s:s, s:s?, s:s, s:b}", "hold_id", (json_int_t)hold_id,
					 "hold", hold, "statement_sha256", sha256, "user", user, "comment", comment,
					 "message", message, "stale", 1));
}

json_t *sw_hold_unresolved_record(uint64_t hold_seq, int pid, const char *role, const char *sha256,
				  const char *held_at, const char *outcome, const char *comment)
{
	return sw_event_record("hold_unresolved",
			       json_pack("{s:I, s:i, s:s, s:s, s:s, s:s, s:s}", "hold_seq", (json_int_t)hold_seq,
					 "pid", pid, "role", role, "statement_sha256", sha256, "held_at", held_at,
					 "outcome", outcome, "comment", comment));
}

json_t *sw_outcome_record(const struct sw_outcome_facts *f)
{
	json_t *o = hold_ref_members("outcome", f->hold);

	json_object_update_new(o, json_pack("{s:s, s:O, s:I, s:I}", "outcome", f->outcome, "commands", f->commands,
					    "rows", (json_int_t)f->rows, "ran_ms", (json_int_t)f->ran_ms));
	json_object_set_new(o, "hold", json_string(f->hold->hold));
	if (f->sqlstate) {
		json_object_set_new(o, "sqlstate", json_string(f->sqlstate));
		json_object_set_new(o, "message", sw_json_text(f->message));
	}
	if (f->comment)
		json_object_set_new(o, "comment", json_string(f->comment));
	return o;
}

void sw_completion_members(struct sw_jw *w, const struct sw_completion_facts *c)
{
	char tbuf[40];

	sw_format_time(&c->time, tbuf, sizeof(tbuf));
	if (c->embedded) {
		sw_jw_kv_str(w, "time", tbuf);
	} else {
		sw_jw_kv_str(w, "type", "completion");
		sw_jw_kv_str(w, "time", tbuf);
		sw_jw_kv_str(w, "engine", sw_engine_name(c->engine));
		sw_jw_kv_int(w, "pid", c->pid);
		sw_jw_kv_str(w, "role", c->role);
		if (c->statement_seq)
			sw_jw_kv_int(w, "statement_seq", (int64_t)c->statement_seq);
		sw_jw_kv_int(w, "statement_id", (int64_t)c->statement_id);
	}
	sw_jw_kv_str(w, "outcome", c->outcome);
	sw_jw_kv_int(w, "rows", c->rows);
	sw_jw_kv_int(w, "commands", c->commands);
	sw_jw_kv_str(w, "command", c->command);
	sw_jw_kv_str(w, "sqlstate", c->sqlstate);
	sw_jw_kv_int(w, "duration_ms", c->duration_ms);
	if (c->budget_ms)
		sw_jw_kv_int(w, "budget_ms", c->budget_ms);
}

json_t *sw_completion_record(const struct sw_completion_facts *c)
{
	struct sw_jw w;
	json_error_t e;
	json_t *o;

	sw_jw_init(&w);
	sw_jw_object(&w);
	sw_completion_members(&w, c);
	sw_jw_object_end(&w);
	o = json_loadb(w.buf, w.len, 0, &e);
	sw_jw_free(&w);
	if (!o) {
		fprintf(stderr, "sqlward: internal error: completion record is not valid JSON: %s\n", e.text);
		abort();
	}
	return o;
}

json_t *sw_failure_mode_record(int pid, const char *role, const char *outcome, const char *action,
			       uint64_t hold_id, const char *sha256)
{
	json_t *o = sw_event_record("failure_mode", json_pack("{s:s, s:i, s:s, s:s, s:s}", "event", "daemon_died",
							      "pid", pid, "role", role, "outcome", outcome,
							      "action", action));
	if (hold_id)
		json_object_set_new(o, "hold_id", json_integer((json_int_t)hold_id));
	if (sha256 && sha256[0])
		json_object_set_new(o, "statement_sha256", json_string(sha256));
	return o;
}

json_t *sw_webhook_failure_json(const struct sw_webhook_failure *f)
{
	char ts[64];
	sw_format_time(f->when, ts, sizeof(ts));
	return json_pack("{s:s, s:s, s:s, s:s, s:i, s:s}", "time", ts, "webhook", f->webhook, "event", f->event,
			 "hold_id", f->hold_id, "attempts", f->attempts, "error", f->error);
}

json_t *sw_webhook_failed_record(const struct sw_webhook_failure *f, uint64_t not_recorded)
{
	json_t *o = sw_event_record("webhook_failed", f ? sw_webhook_failure_json(f) : NULL);

	if (not_recorded)
		json_object_set_new(o, "more_failures_not_recorded", json_integer((json_int_t)not_recorded));
	return o;
}

json_t *sw_gap_record(uint64_t lost, json_t *kinds, const char *first_time, const char *last_time,
		      const char *failing_since, const char *error)
{
	json_t *f = json_pack("{s:I, s:o}", "lost", (json_int_t)lost, "kinds", kinds);

	if (first_time && *first_time)
		json_object_set_new(f, "first_time", json_string(first_time));
	if (last_time && *last_time)
		json_object_set_new(f, "last_time", json_string(last_time));
	if (failing_since) {
		json_object_set_new(f, "failing_since", json_string(failing_since));
		json_object_set_new(f, "error", json_string(error));
	}
	return sw_event_record("gap", f);
}

json_t *sw_continuation_record(uint64_t seq, const char *head, const char *reason, const char *note)
{
	return sw_event_record("continuation", json_pack("{s:I, s:s, s:s, s:s}", "continues_seq", (json_int_t)seq,
							 "continues_head", head, "reason", reason, "note", note));
}

json_t *sw_segments_removed_record(uint64_t first, uint64_t last, const char *last_hash, json_t *files,
				   const char *rule)
{
	return sw_daemon_record("segments_removed", json_pack("{s:I, s:I, s:s, s:o, s:s}", "first_seq",
							      (json_int_t)first, "last_seq", (json_int_t)last,
							      "last_hash", last_hash, "files", files, "rule", rule));
}

json_t *sw_checkpoint_record(const char *ledger_id, uint64_t seq, const char *head, const char *signed_time,
			     const char *key_id, const char *signature, json_t *sent_to)
{
	return sw_event_record("checkpoint", json_pack("{s:I, s:s, s:o, s:s, s:s, s:s, s:o}", "checkpoint_seq",
						       (json_int_t)seq, "checkpoint_head", head, "ledger_id",
						       sw_json_text(ledger_id), "signed_time", signed_time, "key_id",
						       key_id, "signature", signature, "sent_to", sent_to));
}
