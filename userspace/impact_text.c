/* Plain-text impact lines (see impact_text.h). */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include "impact_text.h"
#include "util.h"

static const char *str(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/* Names from the statement, escaped as every human view escapes them (controls, bidi, zero-width). */
static void put_text(FILE *out, const char *s)
{
	char *e;

	if (!s)
		return;
	e = sw_escape_display(s, strlen(s), 0, 0, NULL);
	fputs(e, out);
	free(e);
}

static void label(FILE *out, const char *indent, int width, const char *l)
{
	fprintf(out, "%s%-*s ", indent, width, l);
}


static const char *what_blocks(json_t *e)
{
	bool r = json_is_true(json_object_get(e, "blocks_reads"));
	bool w = json_is_true(json_object_get(e, "blocks_writes"));
	return r ? "blocks reads and writes" : w ? "blocks writes, reads continue" :
	       "reads and writes continue";
}

static void print_live(FILE *out, json_t *lv, const char *indent, int width)
{
	size_t i;
	json_t *r, *v;

	if (!lv)
		return;
	json_array_foreach(json_object_get(lv, "relations"), i, r) {
		json_t *bytes = json_object_get(r, "bytes"), *rows = json_object_get(r, "rows");
		json_t *age = json_object_get(r, "blocker_age_s"), *by = json_object_get(r, "blocked_by");
		label(out, indent, width, i ? "" : "live");
		put_text(out, str(r, "relation"));
		if (json_is_true(json_object_get(r, "created_here"))) {
			fputs(": created earlier in this file (new and empty; no size lookups)\n", out);
			continue;
		}
		if (!json_is_true(json_object_get(r, "exists"))) {
			fputs(": does not exist yet\n", out);
			continue;
		}
		fputs(": ", out);
		if (json_is_number(bytes))
			sw_fprint_bytes(out, json_number_value(bytes));
		else
			fputs("size unknown", out);
		if (json_is_number(rows))
			fprintf(out, ", ~%.0f rows", json_number_value(rows));
		if (by && json_is_number(age))
			fprintf(out, "; WOULD QUEUE behind pid %lld (%s %s, transaction open %.0fs)",
				(long long)json_integer_value(json_object_get(by, "pid")),
				json_is_true(json_object_get(by, "granted")) ? "holds" : "waits for",
				str(by, "mode"), json_number_value(age));
		else if (json_is_number(age))
			fputs("; no conflicting lock held now", out);
		else
			fputs("; conflicting locks unknown", out);
		fputc('\n', out);
	}
	if ((v = json_object_get(lv, "est_rows"))) {
		label(out, indent, width, "est. rows");
		if (json_is_number(v))
			fprintf(out, "~%.0f (planner estimate, EXPLAIN without ANALYZE)\n", json_number_value(v));
		else
			fputs("unknown\n", out);
	}
	if ((v = json_object_get(lv, "null_rows"))) {
		label(out, indent, width, "NULLs");
		if (json_is_number(v))
			fprintf(out, "%.0f row(s) hold NULL in %s%s\n", json_number_value(v),
				str(lv, "null_column") ? str(lv, "null_column") : "the column",
				json_number_value(v) > 0 ? ": SET NOT NULL would fail after scanning" : "");
		else
			fputs("unknown\n", out);
	}
	if (str(lv, "old_type")) {
		label(out, indent, width, "old type");
		put_text(out, str(lv, "old_type"));
		fputs(json_is_false(json_object_get(lv, "type_rewrite")) ? ": no rewrite (binary-coercible)\n" :
		      ": the type change rewrites the table\n", out);
	}
	if (str(lv, "error")) {
		label(out, indent, width, "live error");
		put_text(out, str(lv, "error"));
		fputc('\n', out);
	}
}

/* "rewrite YES: why" / "rewrite no" (left out when compact). */
static void yes_no(FILE *out, json_t *o, const char *key, const char *indent, int width, bool compact)
{
	char why[32];
	bool yes = json_is_true(json_object_get(o, key));
	if (!yes && compact)
		return;
	label(out, indent, width, key);
	snprintf(why, sizeof(why), "%s_why", key);
	if (yes) {
		fputs("YES: ", out);
		put_text(out, str(o, why));
	} else {
		fputs("no", out);
	}
	fputc('\n', out);
}

void sw_impact_print(FILE *out, json_t *o, const char *indent, int width, bool compact)
{
	json_t *ls = json_object_get(o, "lock_set"), *e;
	size_t i;

	if (!json_is_array(ls))
		return;
	if (!json_array_size(ls) && !compact) {
		label(out, indent, width, "locks");
		fputs("no table locks\n", out);
	}
	json_array_foreach(ls, i, e) {
		label(out, indent, width, i ? "" : "locks");
		if (json_is_string(json_object_get(e, "relation"))) {
			put_text(out, str(e, "relation"));
		} else {
			fprintf(out, "%s of ", str(e, "via") ? str(e, "via") : "?");
			put_text(out, str(e, "of"));
		}
		if (str(e, "constraint")) {
			fputs(" (constraint ", out);
			put_text(out, str(e, "constraint"));
			fputc(')', out);
		}
		fprintf(out, " %s: %s%s\n", str(e, "mode") ? str(e, "mode") : "?", what_blocks(e),
			json_is_true(json_object_get(e, "if_rows")) ? " (only when rows are written)" : "");
	}
	yes_no(out, o, "rewrite", indent, width, compact);
	yes_no(out, o, "scan", indent, width, compact);
	if (str(o, "transaction_block") && strcmp(str(o, "transaction_block"), "forbidden") == 0) {
		label(out, indent, width, "txn block");
		fputs("cannot run inside BEGIN ... COMMIT (", out);
		put_text(out, str(o, "transaction_block_source"));
		fputs(")\n", out);
	}
	if (compact && str(o, "reversibility") && strcmp(str(o, "reversibility"), "none_needed") == 0)
		goto safer;
	label(out, indent, width, "undo");
	fputs(str(o, "reversibility") ? str(o, "reversibility") : "unknown", out);
	if (str(o, "rollback")) {
		fputs(": ", out);
		put_text(out, str(o, "rollback"));
	}
	fputc('\n', out);
safer:
	if (str(o, "safer")) {
		label(out, indent, width, "safer");
		put_text(out, str(o, "safer"));
		fputc('\n', out);
	}
	print_live(out, json_object_get(o, "live"), indent, width);
}
