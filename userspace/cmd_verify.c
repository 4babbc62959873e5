/*
 * sqlward verify: check ledger files' hash chains from the first record to
 * the last, the statement texts kept beside them, and that each file given
 * continues the one before it (rotation).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "commands.h"
#include "ledger.h"
#include "statement_json.h"
#include "util.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: sqlward verify [--format text|json] [--no-blobs] [--blob-base DIR]\n"
		"                      [--ledger FILE | FILE...]\n"
		"\n"
		"Check every record of the ledger: valid JSON, consecutive seq, each\n"
		"record's prev equal to the previous record's hash, and each hash\n"
		"matching the record's content; every statement kept whole beside the\n"
		"ledger (LEDGER.blobs/) must be there and hash to its record's\n"
		"statement_sha256. A file may begin with a continuation record (it\n"
		"continues a chain whose earlier records are in a rotated file). Given\n"
		"several files, oldest first, each must continue the one before it.\n"
		"Gap records (records lost while the ledger could not be written) are\n"
		"reported; they do not fail the check.\n"
		"\n"
		"  --ledger FILE     ledger to check (default: $SQLWARD_LEDGER or %s)\n"
		"  FILE...           several ledger files, oldest first (e.g. ledger.jsonl.2\n"
		"                    ledger.jsonl.1 ledger.jsonl after rotations)\n"
		"  --format FMT      text (default) or json\n"
		"  --no-blobs        check the chain only, not the full statement texts\n"
		"  --blob-base DIR   directory the records' statement_blob paths are relative to\n"
		"                    (default: each ledger file's own directory)\n"
		"\n"
		"The last file is also compared with its head file (FILE.head, the chain end the\n"
		"writer last synced): a ledger that ends before it lost records from its end.\n"
		"\n"
		"Exit status: 0 intact, 1 a record, a statement text or a link between files is\n"
		"bad, 2 usage error or unreadable ledger.\n",
		SW_LEDGER_DEFAULT_PATH);
}

struct note {
	char *kind, *text;
	size_t line;
	uint64_t seq;
};

struct notes {
	struct note *v;
	size_t n;
};

static void collect_note(void *ctx, const struct sw_verify_note *n)
{
	struct notes *ns = ctx;

	ns->v = sw_xrealloc(ns->v, (ns->n + 1) * sizeof(*ns->v));
	ns->v[ns->n++] = (struct note){ .kind = sw_xstrdup(n->kind), .text = sw_xstrdup(n->text), .line = n->line,
					.seq = n->seq };
}

static void notes_free(struct notes *ns)
{
	for (size_t i = 0; i < ns->n; i++) {
		free(ns->v[i].kind);
		free(ns->v[i].text);
	}
	free(ns->v);
	ns->v = NULL;
	ns->n = 0;
}

/* What the head file beside the last ledger says about it (checked = false: there is none). */
struct head_check {
	bool checked, ok;
	struct sw_ledger_anchor a;
	char text[600];
};

/* Compare the head file read before verifying (so a live writer cannot race ahead of it). */
static void check_head_file(const char *path, const struct sw_verify_result *res, struct head_check *hc)
{
	if (!hc->checked)
		return;
	hc->ok = true;
	if (res->records == 0) {
		snprintf(hc->text, sizeof(hc->text), "the file is empty; %s.head says the chain reached seq %llu: the "
			 "writer starts this file with a continuation of it", path, (unsigned long long)hc->a.seq);
	} else if (res->last_seq < hc->a.seq) {
		hc->ok = false;
		snprintf(hc->text, sizeof(hc->text), "the ledger ends at seq %llu, but %s.head says the chain had reached "
			 "seq %llu (head %s): records were deleted from its end, or this is an older copy",
			 (unsigned long long)res->last_seq, path, (unsigned long long)hc->a.seq, hc->a.head);
	} else if (res->probe_found && strcmp(res->probe_head, hc->a.head) != 0) {
		hc->ok = false;
		snprintf(hc->text, sizeof(hc->text), "record %llu has hash %s, but %s.head says %s: the file is not the "
			 "chain its head file describes", (unsigned long long)hc->a.seq, res->probe_head, path,
			 hc->a.head);
	} else {
		snprintf(hc->text, sizeof(hc->text), "%s.head (seq %llu) is in the chain", path,
			 (unsigned long long)hc->a.seq);
	}
}

static json_t *file_json(const char *path, const struct sw_verify_result *res, const struct notes *ns,
			 const struct head_check *hc)
{
	json_t *o = json_object(), *arr = json_array();

	json_object_set_new(o, "ledger", sw_json_text(path));
	json_object_set_new(o, "ok", json_boolean(res->ok && (!hc || !hc->checked || hc->ok)));
	json_object_set_new(o, "records", json_integer((json_int_t)res->records));
	json_object_set_new(o, "head", json_string(res->head));
	if (res->records) {
		json_object_set_new(o, "first_seq", json_integer((json_int_t)res->first_seq));
		json_object_set_new(o, "last_seq", json_integer((json_int_t)res->last_seq));
	}
	if (res->continues)
		json_object_set_new(o, "continues", sw_ledger_anchor_json(&res->continued));
	json_object_set_new(o, "gaps", json_integer((json_int_t)res->gaps));
	json_object_set_new(o, "lost", json_integer((json_int_t)res->lost));
	json_object_set_new(o, "blobs", json_integer((json_int_t)res->blobs));
	json_object_set_new(o, "blob_errors", json_integer((json_int_t)res->blob_errors));
	json_object_set_new(o, "texts_not_kept", json_integer((json_int_t)res->texts_not_kept));
	for (size_t i = 0; i < ns->n; i++)
		json_array_append_new(arr, json_pack("{s:s, s:I, s:I, s:o}", "kind", ns->v[i].kind, "line",
						     (json_int_t)ns->v[i].line, "seq", (json_int_t)ns->v[i].seq, "text",
						     sw_json_text(ns->v[i].text)));
	json_object_set_new(o, "notes", arr);
	if (res->bad_line) {
		json_object_set_new(o, "bad_line", json_integer((json_int_t)res->bad_line));
		json_object_set_new(o, "reason", sw_json_text(res->reason));
	}
	if (hc && hc->checked) {
		json_t *h = sw_ledger_anchor_json(&hc->a);
		json_object_set_new(h, "ok", json_boolean(hc->ok));
		json_object_set_new(h, "text", sw_json_text(hc->text));
		json_object_set_new(o, "head_file", h);
	}
	return o;
}

static void print_file(const char *path, const struct sw_verify_result *res, const struct notes *ns,
		       const struct head_check *hc)
{
	if (res->bad_line) {
		printf("ledger %s: record at line %zu is bad: %s (%zu records before it verified)\n", path,
		       res->bad_line, res->reason, res->records);
		return;
	}
	printf("ledger %s: %zu records, chain intact, head %s\n", path, res->records, res->head);
	for (size_t i = 0; i < ns->n; i++) {
		if (strcmp(ns->v[i].kind, "continuation") == 0)
			printf("ledger %s: %s\n", path, ns->v[i].text);
		else
			printf("ledger %s: line %zu (seq %llu): %s%s\n", path, ns->v[i].line,
			       (unsigned long long)ns->v[i].seq,
			       strcmp(ns->v[i].kind, "gap") == 0 ? "gap: " :
			       strcmp(ns->v[i].kind, "text_not_kept") == 0 ? "full text not kept: " : "",
			       ns->v[i].text);
	}
	if (res->records)
		printf("ledger %s: seq %llu to %llu", path, (unsigned long long)res->first_seq,
		       (unsigned long long)res->last_seq);
	else
		printf("ledger %s: empty", path);
	printf("; %zu full statement text%s checked", res->blobs, res->blobs == 1 ? "" : "s");
	if (res->gaps)
		printf("; %zu gap%s (%llu records lost)", res->gaps, res->gaps == 1 ? "" : "s",
		       (unsigned long long)res->lost);
	printf("\n");
	if (res->blob_errors)
		printf("ledger %s: %zu statement text%s missing or bad (first at line %zu): restore %s from a "
		       "backup; each record still has its text's SHA-256 and length\n", path, res->blob_errors,
		       res->blob_errors == 1 ? " is" : "s are", res->blob_bad_line, "the ledger's .blobs directory");
	if (hc && hc->checked)
		printf("ledger %s: %s%s\n", path, hc->ok ? "" : "BAD: ", hc->text);
}

int sw_cmd_verify(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "ledger", required_argument, NULL, 'l' },
		{ "format", required_argument, NULL, 'f' },
		{ "no-blobs", no_argument, NULL, 'n' },
		{ "blob-base", required_argument, NULL, 'b' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *ledger = NULL, *default_path[1];
	const char *const *paths;
	size_t n_paths, total = 0;
	struct sw_verify_opts vo = { 0 };
	struct sw_ledger_anchor end;
	bool json = false, have_end = false, all_ok = true;
	json_t *files = json_array();
	char last_head[65] = SW_LEDGER_GENESIS;
	int c, status = 0;

	optind = 0; /* glibc: full re-initialisation, so the command can run more than once */
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:h", opts, NULL)) != -1) {
		switch (c) {
		case 'l':
			ledger = optarg;
			break;
		case 'f':
			if (strcmp(optarg, "json") == 0)
				json = true;
			else if (strcmp(optarg, "text") == 0)
				json = false;
			else {
				fprintf(stderr, "sqlward verify: unknown --format '%s' (use text or json)\n", optarg);
				json_decref(files);
				return 2;
			}
			break;
		case 'n':
			vo.skip_blobs = true;
			break;
		case 'b':
			vo.blob_base = optarg;
			break;
		case 'h':
			usage(stdout);
			json_decref(files);
			return 0;
		case ':':
			fprintf(stderr, "sqlward verify: option '%s' needs a value\n", argv[optind - 1]);
			usage(stderr);
			json_decref(files);
			return 2;
		default:
			fprintf(stderr, "sqlward verify: unknown option '%s'\n", argv[optind - 1]);
			usage(stderr);
			json_decref(files);
			return 2;
		}
	}
	if (ledger && optind < argc) {
		fprintf(stderr, "sqlward verify: give the ledger either with --ledger FILE or as FILE... arguments, "
			"not both (unexpected argument '%s')\n", argv[optind]);
		usage(stderr);
		json_decref(files);
		return 2;
	}
	if (optind < argc) {
		paths = (const char *const *)argv + optind;
		n_paths = (size_t)(argc - optind);
	} else {
		default_path[0] = ledger ? ledger : sw_ledger_default_path();
		paths = default_path;
		n_paths = 1;
	}

	for (size_t i = 0; i < n_paths && all_ok; i++) {
		const char *path = paths[i];
		struct sw_verify_result res;
		struct head_check hc = { 0 };
		struct notes ns = { 0 };
		char why[512];
		bool last = i + 1 == n_paths;

		/* The head file first: a live writer updates it only after its ledger is synced. */
		if (last) {
			int r = sw_ledger_read_head_file(path, &hc.a, why, sizeof(why));
			if (r < 0 && errno == EINVAL) {
				fprintf(stderr, "sqlward verify: %s: it should hold {\"seq\":N,\"head\":\"...\"}; the daemon "
					"refuses to start until it is fixed or removed\n", why);
				status = 1;
			} else if (r < 0) {
				fprintf(stderr, "sqlward verify: %s; the ledger is not compared with it\n", why);
			}
			hc.checked = r > 0;
		}
		vo.after = have_end ? &end : NULL;
		vo.probe_seq = hc.checked ? hc.a.seq : 0;
		vo.note = collect_note;
		vo.ctx = &ns;
		if (sw_ledger_verify_opts(path, &vo, &res) != 0) {
			fprintf(stderr, "sqlward verify: cannot read ledger %s: %s; %s\n", path, res.reason,
				strstr(res.reason, "ermission") ?
				"run as root or as a member of the ledger's group" :
				"pass --ledger FILE or set SQLWARD_LEDGER to the daemon's ledger");
			notes_free(&ns);
			json_decref(files);
			return 2;
		}
		check_head_file(path, &res, &hc);
		if (!res.ok || (hc.checked && !hc.ok))
			all_ok = false;
		if (json)
			json_array_append_new(files, file_json(path, &res, &ns, &hc));
		else
			print_file(path, &res, &ns, &hc);
		notes_free(&ns);
		total += res.records;
		/* An empty file passes the previous end on to the next one. */
		if (res.records) {
			end.seq = res.last_seq;
			memcpy(end.head, res.head, sizeof(end.head));
			memcpy(last_head, res.head, sizeof(last_head));
			have_end = true;
		}
	}
	if (!all_ok)
		status = 1;

	if (json) {
		json_t *out;
		char *s;

		if (n_paths == 1) {
			out = json_incref(json_array_get(files, 0));
		} else {
			out = json_pack("{s:b, s:I, s:I, s:s, s:O}", "ok", status == 0,
					"files_checked", (json_int_t)json_array_size(files), "records", (json_int_t)total,
					"head", last_head, "files", files);
		}
		s = json_dumps(out, JSON_COMPACT);
		if (s)
			printf("%s\n", s);
		free(s);
		json_decref(out);
	} else if (n_paths > 1 && status == 0) {
		printf("%zu files, %zu records: each file continues the one before it; head %s\n", n_paths, total,
		       last_head);
	} else if (n_paths > 1) {
		printf("the files do not form one intact chain (see above); the check stopped there\n");
	}
	json_decref(files);
	return status;
}
