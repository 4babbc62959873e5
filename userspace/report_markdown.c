/*
 * GitHub-flavoured markdown report for `sqlward check --format markdown`
 * (see report_markdown.h). Statements between BEGIN and COMMIT hold their
 * locks until the COMMIT, so each one lists the locks already held in its
 * transaction (cmd_check.c tracks them statement by statement), and a
 * statement that PostgreSQL refuses inside a transaction block is flagged.
 */
#include <string.h>
#include "impact.h"
#include "live_context.h"
#include "report_markdown.h"
#include "util.h"

static struct {
	unsigned n, allow, hold, deny, exclusive, rewrites, problems;
} totals;

void sw_md_begin(FILE *out)
{
	memset(&totals, 0, sizeof(totals));
	fprintf(out, "## sqlward: impact of these statements\n\n");
}

/* Markdown-safe inline text: no pipes or backticks break the table. */
static void md_text(FILE *out, const char *s)
{
	for (; s && *s; s++) {
		if (*s == '|')
			fputs("\\|", out);
		else if (*s == '\n' || *s == '\r' || *s == '\t')
			fputc(' ', out);
		else
			fputc(*s, out);
	}
}

static void md_code(FILE *out, const char *s)
{
	fputs("<code>", out);
	for (; s && *s; s++) {
		switch (*s) {
		case '<': fputs("&lt;", out); break;
		case '>': fputs("&gt;", out); break;
		case '&': fputs("&amp;", out); break;
		case '|': fputs("&#124;", out); break;
		case '\n': case '\r': case '\t': fputc(' ', out); break;
		default: fputc(*s, out);
		}
	}
	fputs("</code>", out);
}

static const char *icon(enum sw_verdict v)
{
	return v == SW_VERDICT_DENY ? ":no_entry: deny" : v == SW_VERDICT_HOLD ? ":hourglass: hold" :
	       ":white_check_mark: allow";
}

static void lock_line(FILE *out, const struct sw_lock_entry *e)
{
	if (e->via == SW_VIA_NAMED) {
		md_code(out, e->object);
	} else {
		fprintf(out, "%s of ", sw_via_name(e->via));
		md_code(out, e->object);
		if (e->detail) {
			fputs(" (constraint ", out);
			md_code(out, e->detail);
			fputs(")", out);
		}
	}
	fprintf(out, " **%s** (%s%s)", sw_lock_name(e->mode), sw_lock_blocks_text(e->mode),
		e->if_rows ? "; only when rows are written" : "");
}


/* Live context (--dsn): table sizes, queueing risk, row estimates, NULLs, the old column type. */
static void md_live(FILE *out, const struct sw_live *lv)
{
	fputs("| Live (database now) | ", out);
	for (size_t k = 0; k < lv->n_rels; k++) {
		const struct sw_live_rel *r = &lv->rels[k];
		if (k)
			fputs("<br>", out);
		md_code(out, r->name);
		if (r->created_here) {
			fputs(": created earlier in this file (new and empty; size rules skip it)", out);
			continue;
		}
		if (r->bytes.state == SW_FACT_KNOWN && !r->exists) {
			fputs(": does not exist yet", out);
			continue;
		}
		fputs(": ", out);
		if (r->bytes.state == SW_FACT_KNOWN)
			sw_fprint_bytes(out, r->bytes.v);
		else
			fputs("size unknown", out);
		if (r->rows.state == SW_FACT_KNOWN)
			fprintf(out, ", ~%.0f rows", r->rows.v);
		if (r->blocker_mode && r->blocker_age_s.state == SW_FACT_KNOWN)
			fprintf(out, "; :warning: **would queue** behind pid %d (%s %s, transaction open %.0f s), "
				"and everything after it would queue too", r->blocker_pid,
				r->blocker_granted ? "holds" : "waits for", r->blocker_mode, r->blocker_age_s.v);
		else if (r->blocker_age_s.state == SW_FACT_KNOWN)
			fputs("; no conflicting lock held now", out);
		else
			fputs("; conflicting locks unknown", out);
	}
	if (lv->est_rows.state != SW_FACT_NA) {
		fputs(lv->n_rels ? "<br>" : "", out);
		if (lv->est_rows.state == SW_FACT_KNOWN)
			fprintf(out, "estimated rows touched: ~%.0f (EXPLAIN, without ANALYZE)", lv->est_rows.v);
		else
			fputs("estimated rows touched: unknown", out);
	}
	if (lv->null_rows.state != SW_FACT_NA) {
		fputs("<br>NULLs in ", out);
		md_code(out, lv->null_column ? lv->null_column : "the column");
		if (lv->null_rows.state == SW_FACT_KNOWN)
			fprintf(out, ": %.0f%s", lv->null_rows.v,
				lv->null_rows.v > 0 ? " — **SET NOT NULL would fail** after scanning" : "");
		else
			fputs(": unknown", out);
	}
	if (lv->old_type) {
		fputs("<br>column type now: ", out);
		md_code(out, lv->old_type);
		fputs(lv->type_rewrite.state == SW_FACT_KNOWN && lv->type_rewrite.v == 0 ?
		      " (binary-coercible: no rewrite)" : " (the change rewrites the table)", out);
	}
	if (lv->error) {
		fputs("<br>live error: ", out);
		md_text(out, lv->error);
	}
	fputs(" |\n", out);
}

void sw_md_skipped(FILE *out, const struct sw_check_where *w, const char *note)
{
	fputs("> :fast_forward: ", out);
	md_text(out, w->source);
	fprintf(out, ":%lu: ", w->line);
	md_text(out, note);
	fputs("\n\n", out);
}

void sw_md_stmt(FILE *out, const struct sw_check_where *w, const struct sw_stmt *st, const struct sw_judgement *j,
		const struct sw_md_tx *tx)
{
	const struct sw_impact *im = st->impact;
	long begin = tx ? tx->begin : -1;

	totals.n++;
	if (j->verdict == SW_VERDICT_DENY)
		totals.deny++;
	else if (j->verdict == SW_VERDICT_HOLD)
		totals.hold++;
	else
		totals.allow++;
	fprintf(out, "### %s · %s · ", icon(j->verdict), st->command ? st->command : "?");
	md_text(out, w->source);
	fprintf(out, ":%lu #%zu\n\n```sql\n%s\n```\n\n", w->line, w->index + 1, st->text ? st->text : "");
	fprintf(out, "| | |\n|---|---|\n");
	fprintf(out, "| Verdict | %s (rule `%s`)", sw_verdict_name(j->verdict), j->rule_id ? j->rule_id : "?");
	if (j->reason) {
		fputs(": ", out);
		md_text(out, j->reason);
	}
	fputs(" |\n", out);
	if (!im) {
		fputs("| Impact | not analysed (the statement could not be parsed) |\n\n", out);
		return;
	}
	fputs("| Locks | ", out);
	if (!im->n_locks)
		fputs("no table locks", out);
	for (size_t k = 0; k < im->n_locks; k++) {
		if (k)
			fputs("<br>", out);
		lock_line(out, &im->locks[k]);
	}
	fputs(" |\n", out);
	if (im->strongest == SW_LOCK_ACCESS_EXCLUSIVE)
		totals.exclusive++;
	if (im->rewrite || im->scan) {
		fputs("| Rewrite / scan | ", out);
		if (im->rewrite) {
			fputs("**rewrites the table**: ", out);
			md_text(out, im->rewrite_why);
			totals.rewrites++;
		}
		if (im->rewrite && im->scan)
			fputs("<br>", out);
		if (im->scan) {
			fputs("scans: ", out);
			md_text(out, im->scan_why);
		}
		fputs(" |\n", out);
	}
	if (im->live)
		md_live(out, im->live);
	if (im->no_transaction_block) {
		if (begin >= 0)
			fprintf(out, "| Transaction block | :x: **error here**: it is inside the transaction opened "
				"at #%ld (line %lu), and PostgreSQL refuses it inside BEGIN ... COMMIT (", begin + 1,
				tx->begin_line);
		else
			fputs("| Transaction block | must run on its own, outside BEGIN ... COMMIT (", out);
		md_text(out, im->no_tx_source);
		fputs(") |\n", out);
		if (begin >= 0)
			totals.problems++;
	} else if (begin >= 0) {
		fprintf(out, "| Transaction | inside the transaction opened at #%ld (line %lu): its locks are held "
			"until COMMIT", begin + 1, tx->begin_line);
		for (size_t k = 0; k < tx->held_objects.n && k < tx->held_modes.n; k++) {
			fputs(k ? ", " : "; already held: ", out);
			md_code(out, tx->held_objects.v[k]);
			fprintf(out, " %s", tx->held_modes.v[k]);
		}
		fputs(" |\n", out);
	}
	fprintf(out, "| Reversible | %s", sw_reversibility_name(im->reversibility));
	if (im->rollback) {
		fputs(": ", out);
		md_code(out, im->rollback);
	}
	fputs(" |\n", out);
	if (im->safer) {
		fputs("| Safer | ", out);
		md_text(out, im->safer);
		fputs(" |\n", out);
	}
	fputc('\n', out);
}

void sw_md_end(FILE *out)
{
	fprintf(out, "---\n**%u statements**: %u allowed, %u held for approval, %u denied; "
		"%u take %s, %u rewrite a table%s.\n",
		totals.n, totals.allow, totals.hold, totals.deny, totals.exclusive,
		sw_lock_name(SW_LOCK_ACCESS_EXCLUSIVE), totals.rewrites,
		totals.problems ? "; **a CONCURRENTLY statement inside a transaction block will fail**" : "");
}
