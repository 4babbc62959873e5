/* GitHub workflow commands and SARIF for `sqlward check` (see report_ci.h). */
#include "report_ci.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include "util.h"

char *sw_finding_message(const struct sw_stmt *st, const struct sw_judgement *j)
{
	size_t len = 0;
	char *buf = NULL;
	FILE *m = open_memstream(&buf, &len);

	fprintf(m, "%s %s", sw_verdict_name(j->verdict), st->command ? st->command : "?");
	for (size_t i = 0; i < st->n_objects; i++)
		fprintf(m, "%s%s", i ? ", " : " ", st->objects[i].name);
	fprintf(m, " (rule %s)", j->rule_id ? j->rule_id : "?");
	if (j->reason)
		fprintf(m, ": %s", j->reason);
	for (size_t i = 0; i < st->reasons.n; i++)
		fprintf(m, "%s%s", i || j->reason ? "; " : ": ", st->reasons.v[i]);
	fclose(m);
	return buf;
}

/* ---- GitHub workflow commands ---- */

void sw_gh_escape_data(FILE *out, const char *s)
{
	for (; s && *s; s++) {
		switch (*s) {
		case '%': fputs("%25", out); break;
		case '\r': fputs("%0D", out); break;
		case '\n': fputs("%0A", out); break;
		default: fputc(*s, out);
		}
	}
}

void sw_gh_escape_property(FILE *out, const char *s)
{
	for (; s && *s; s++) {
		switch (*s) {
		case ':': fputs("%3A", out); break;
		case ',': fputs("%2C", out); break;
		case '%': fputs("%25", out); break;
		case '\r': fputs("%0D", out); break;
		case '\n': fputs("%0A", out); break;
		default: fputc(*s, out);
		}
	}
}

static void gh_command(FILE *out, const char *level, const struct sw_check_where *w, const char *title,
		       const char *message)
{
	fprintf(out, "::%s file=", level);
	sw_gh_escape_property(out, w->source);
	fprintf(out, ",line=%lu,col=%lu,title=", w->line, w->col);
	sw_gh_escape_property(out, title);
	fputs("::", out);
	sw_gh_escape_data(out, message);
	fputc('\n', out);
}

void sw_gh_stmt(FILE *out, const struct sw_check_where *w, const struct sw_stmt *st, const struct sw_judgement *j)
{
	char *msg, *title;
	if (j->verdict == SW_VERDICT_ALLOW)
		return;
	msg = sw_finding_message(st, j);
	title = sw_xasprintf("sqlward: %s (%s)", sw_verdict_name(j->verdict), j->rule_id ? j->rule_id : "?");
	gh_command(out, j->verdict == SW_VERDICT_DENY ? "error" : "warning", w, title, msg);
	free(title);
	free(msg);
}

void sw_gh_note(FILE *out, const struct sw_check_where *w, const char *note)
{
	gh_command(out, "notice", w, "sqlward: skipped", note);
}

/* ---- SARIF 2.1.0 ---- */

struct sw_sarif {
	json_t *rules;      /* array of reportingDescriptor */
	json_t *rule_index; /* rule id -> index in rules */
	json_t *results;
};

struct sw_sarif *sw_sarif_new(void)
{
	struct sw_sarif *s = sw_xcalloc(1, sizeof(*s));
	s->rules = json_array();
	s->rule_index = json_object();
	s->results = json_array();
	return s;
}

/* A relative URI reference for a file name: unreserved characters and '/' as they are, the rest %XX. */
static char *file_uri(const char *path)
{
	static const char hex[] = "0123456789ABCDEF";
	char *u = sw_xmalloc(3 * strlen(path) + 1), *o = u;
	for (const unsigned char *p = (const unsigned char *)path; *p; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		    strchr("-._~/", *p)) {
			*o++ = (char)*p;
		} else {
			*o++ = '%';
			*o++ = hex[*p >> 4];
			*o++ = hex[*p & 15];
		}
	}
	*o = 0;
	return u;
}

void sw_sarif_stmt(struct sw_sarif *s, const struct sw_check_where *w, const struct sw_stmt *st,
		   const struct sw_judgement *j)
{
	const char *rule = j->rule_id ? j->rule_id : "unknown";
	json_t *idx, *res, *loc;
	char *msg, *uri;

	if (j->verdict == SW_VERDICT_ALLOW)
		return;
	idx = json_object_get(s->rule_index, rule);
	if (!idx) {
		char *desc = sw_xasprintf("sqlward policy rule %s", rule);
		idx = json_integer((json_int_t)json_array_size(s->rules));
		json_object_set_new(s->rule_index, rule, idx);
		json_array_append_new(s->rules, json_pack("{s:s, s:s, s:{s:s}}", "id", rule, "name", rule,
							  "shortDescription", "text", desc));
		free(desc);
	}
	msg = sw_finding_message(st, j);
	uri = file_uri(w->source);
	loc = json_pack("{s:{s:{s:s}, s:{s:I, s:I}}}", "physicalLocation", "artifactLocation", "uri", uri,
			"region", "startLine", (json_int_t)w->line, "startColumn", (json_int_t)w->col);
	res = json_pack("{s:s, s:O, s:s, s:{s:s}, s:[o]}", "ruleId", rule, "ruleIndex", idx, "level",
			j->verdict == SW_VERDICT_DENY ? "error" : "warning", "message", "text", msg, "locations", loc);
	json_array_append_new(s->results, res);
	free(uri);
	free(msg);
}

void sw_sarif_end(struct sw_sarif *s, FILE *out)
{
	json_t *log = json_pack("{s:s, s:s, s:[{s:{s:{s:s, s:o}}, s:o}]}",
				"$schema", "https://json.schemastore.org/sarif-2.1.0.json", "version", "2.1.0",
				"runs", "tool", "driver", "name", "sqlward", "rules", s->rules, "results", s->results);
	json_dumpf(log, out, JSON_INDENT(2));
	fputc('\n', out);
	json_decref(log);
	json_decref(s->rule_index);
	free(s);
}
