/* Proving a ledger against its signed checkpoints (verify_checkpoints.h). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ledger_checkpoint.h"
#include "statement_json.h"
#include "util.h"
#include "verify_checkpoints.h"

struct cp {
	struct sw_checkpoint_line l;
	bool sig_ok;
	bool seen;          /* the ledger held record l.c.seq */
	char found[65];     /* its hash */
};

struct sw_cp_proof {
	char *file;
	struct cp *v;       /* sorted by seq */
	size_t n;
	size_t skipped;     /* of another ledger id */
	size_t malformed;
};

static int by_seq(const void *a, const void *b)
{
	const struct cp *x = a, *y = b;

	if (!x->l.parsed || !y->l.parsed)
		return (int)x->l.parsed - (int)y->l.parsed;
	return x->l.c.seq < y->l.c.seq ? -1 : x->l.c.seq > y->l.c.seq;
}

struct sw_cp_proof *sw_cp_proof_load(const char *file, const char *pubkey, const char *ledger_id, char *err,
				     size_t errlen)
{
	struct sw_checkpoint_line *lines;
	struct sw_cp_proof *p;
	EVP_PKEY *key;
	size_t n;

	if (!(key = sw_ed25519_read_key(pubkey, false, err, errlen)))
		return NULL;
	if (sw_checkpoints_read(file, &lines, &n, err, errlen) != 0) {
		EVP_PKEY_free(key);
		return NULL;
	}
	p = sw_xcalloc(1, sizeof(*p));
	p->file = sw_xstrdup(file);
	p->v = sw_xcalloc(n ? n : 1, sizeof(*p->v));
	for (size_t i = 0; i < n; i++) {
		if (lines[i].parsed && ledger_id && strcmp(lines[i].c.ledger_id, ledger_id) != 0) {
			p->skipped++;
			continue;
		}
		p->v[p->n].l = lines[i];
		p->v[p->n].sig_ok = lines[i].parsed && sw_checkpoint_valid(key, &lines[i].c);
		if (!lines[i].parsed)
			p->malformed++;
		p->n++;
	}
	free(lines);
	EVP_PKEY_free(key);
	qsort(p->v, p->n, sizeof(*p->v), by_seq);
	return p;
}

void sw_cp_proof_record(struct sw_cp_proof *p, uint64_t seq, const char *hash)
{
	size_t lo = p->malformed, hi = p->n;

	/* Parsed checkpoints are sorted by seq after the malformed ones: find the first with this seq. */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (p->v[mid].l.c.seq < seq)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < p->n && p->v[lo].l.c.seq == seq; lo++) {
		p->v[lo].seen = true;
		snprintf(p->v[lo].found, sizeof(p->v[lo].found), "%s", hash);
	}
}

static void fail(json_t *failures, const struct cp *c, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void fail(json_t *failures, const struct cp *c, const char *fmt, ...)
{
	va_list ap;
	char *text;

	va_start(ap, fmt);
	text = sw_xvasprintf(fmt, ap);
	va_end(ap);
	json_array_append_new(failures, json_pack("{s:I, s:I, s:o}", "line", (json_int_t)c->l.lineno, "seq",
						  (json_int_t)(c->l.parsed ? c->l.c.seq : 0), "text", sw_json_text(text)));
	free(text);
}

json_t *sw_cp_proof_judge(struct sw_cp_proof *p, uint64_t first, uint64_t last,
			  const struct sw_ledger_anchor *removed, bool *ok)
{
	json_t *failures = json_array(), *notes = json_array();
	size_t proved = 0, retained = 0;
	const struct cp *highest = NULL;

	for (size_t i = 0; i < p->n; i++) {
		const struct cp *c = &p->v[i];
		const struct sw_checkpoint *k = &c->l.c;

		if (!c->l.parsed) {
			fail(failures, c, "line %zu of the checkpoint file is not a checkpoint (%s): the file was altered; "
			     "compare it with another copy of the checkpoints (syslog, webhook receiver)", c->l.lineno,
			     c->l.error);
			continue;
		}
		if (!c->sig_ok) {
			fail(failures, c, "the checkpoint of seq %llu (signed %s) does not verify with the public key: "
			     "it was forged or altered, or made with another key (key_id %s); it proves nothing, check "
			     "the checkpoint file and the key", (unsigned long long)k->seq, k->time, k->key_id);
			continue;
		}
		if (!highest || k->seq > highest->l.c.seq)
			highest = c;
		if (c->seen && strcmp(c->found, k->head) == 0) {
			proved++;
			continue;
		}
		if (c->seen) {
			fail(failures, c, "record %llu has hash %.16s..., but the checkpoint signed at %s says %.16s...: "
			     "the chain was rewritten from record %llu or earlier (every hash after an edit recomputed); "
			     "keep this ledger as evidence and restore it from a backup or from copies of its "
			     "segments", (unsigned long long)k->seq, c->found, k->time, k->head,
			     (unsigned long long)k->seq);
			continue;
		}
		if (removed && k->seq <= removed->seq && (!first || k->seq < first)) {
			if (k->seq == removed->seq && strcmp(k->head, removed->head) != 0) {
				fail(failures, c, "the checkpoint of seq %llu says hash %.16s..., but the retention record "
				     "says the removed record %llu had %.16s...: the chain was rewritten",
				     (unsigned long long)k->seq, k->head, (unsigned long long)k->seq, removed->head);
				continue;
			}
			retained++;
			continue;
		}
		if (k->seq > last)
			fail(failures, c, "the ledger ends at seq %llu, but a checkpoint signed at %s proves the chain "
			     "had reached seq %llu: records %llu to %llu were removed from its end (the tail was "
			     "truncated, whatever its head file says); keep it as evidence and restore the records "
			     "from a backup", (unsigned long long)last, k->time, (unsigned long long)k->seq,
			     (unsigned long long)last + 1, (unsigned long long)k->seq);
		else
			fail(failures, c, "record %llu, signed in a checkpoint at %s, is not in the ledger (seq %llu "
			     "to %llu) and no segments_removed record accounts for it: a segment was deleted; "
			     "restore it from a backup", (unsigned long long)k->seq, k->time,
			     (unsigned long long)first, (unsigned long long)last);
	}
	if (retained)
		json_array_append_new(notes, sw_json_text("checkpoints within segments removed by retention (recorded) "
							  "are not compared"));
	if (p->skipped)
		json_array_append_new(notes, json_sprintf("%zu checkpoints of other ledgers were skipped", p->skipped));
	if (p->n == 0)
		json_array_append_new(notes, sw_json_text("the checkpoint file holds no checkpoint of this ledger: "
							  "nothing is proved beyond the hash chain"));
	*ok = json_array_size(failures) == 0;
	return json_pack("{s:s, s:b, s:I, s:I, s:I, s:I, s:o, s:o}", "file", p->file, "ok", *ok, "checkpoints",
			 (json_int_t)p->n, "proved", (json_int_t)proved, "retained", (json_int_t)retained,
			 "last_checkpoint_seq", (json_int_t)(highest ? highest->l.c.seq : 0), "failures", failures,
			 "notes", notes);
}

void sw_cp_proof_print(json_t *r)
{
	const char *file = json_string_value(json_object_get(r, "file"));
	size_t i;
	json_t *v;

	json_array_foreach(json_object_get(r, "failures"), i, v)
		printf("checkpoints %s: BAD: line %lld: %s\n", file,
		       (long long)json_integer_value(json_object_get(v, "line")),
		       json_string_value(json_object_get(v, "text")));
	json_array_foreach(json_object_get(r, "notes"), i, v)
		printf("checkpoints %s: %s\n", file, json_string_value(v));
	printf("checkpoints %s: %lld checkpoint%s, %lld proved against the ledger, %lld in removed segments%s%s\n",
	       file, (long long)json_integer_value(json_object_get(r, "checkpoints")),
	       json_integer_value(json_object_get(r, "checkpoints")) == 1 ? "" : "s",
	       (long long)json_integer_value(json_object_get(r, "proved")),
	       (long long)json_integer_value(json_object_get(r, "retained")),
	       json_is_true(json_object_get(r, "ok")) ? "; the ledger reaches the last one" : "",
	       json_is_true(json_object_get(r, "ok")) ? "" : "; the ledger does NOT match its checkpoints");
}

void sw_cp_proof_free(struct sw_cp_proof *p)
{
	if (!p)
		return;
	free(p->file);
	free(p->v);
	free(p);
}
