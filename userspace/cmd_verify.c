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
#include "ledger_segments.h"
#include "statement_json.h"
#include "util.h"
#include "verify_checkpoints.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: sqlward verify [--format text|json] [--no-blobs] [--blob-base DIR]\n"
		"                      [--checkpoints FILE --checkpoint-pubkey PUB [--ledger-id ID]]\n"
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
		"A ledger the daemon rotated (--ledger-rotate-size/-interval) is checked\n"
		"across its segments (FILE.seg/*.jsonl.gz, oldest first) and then FILE: each\n"
		"must continue the one before; a missing segment names the seq range\n"
		"missing; a damaged .gz names the file. Segments deleted by retention are\n"
		"accepted only where a segments_removed record names exactly that point.\n"
		"\n"
		"  --ledger FILE     ledger to check (default: $SQLWARD_LEDGER or %s)\n"
		"  FILE...           several ledger files, oldest first (e.g. ledger.jsonl.2\n"
		"                    ledger.jsonl.1 ledger.jsonl after rotations)\n"
		"  --format FMT      text (default) or json\n"
		"  --no-blobs        check the chain only, not the full statement texts\n"
		"  --blob-base DIR   directory the records' statement_blob paths are relative to\n"
		"                    (default: each ledger file's own directory)\n"
		"  --checkpoints FILE  prove the ledger against the signed checkpoints the daemon\n"
		"                    sent there (--checkpoint-to): every signature valid, the ledger\n"
		"                    holds each checkpoint's seq with exactly its hash, and reaches\n"
		"                    the last one (a truncated tail or a rewritten chain fails)\n"
		"  --checkpoint-pubkey PUB  the public key of the daemon's --checkpoint-key\n"
		"  --ledger-id ID    only the checkpoints of this ledger (HOST:PATH; default: all)\n"
		"\n"
		"The last file is also compared with its head file (FILE.head, the chain end the\n"
		"writer last synced): a ledger that ends before it lost records from its end.\n"
		"\n"
		"Exit status: 0 intact, 1 a record, a statement text, a link between files or a\n"
		"checkpoint is bad, 2 usage error or unreadable ledger.\n",
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

/* What the records of all files tell the whole check: retention, checkpoints. */
struct across {
	struct sw_cp_proof *proof;
	struct sw_ledger_anchor removed;  /* the latest segments_removed record's end (seq 0: none) */
	struct notes *ns;                 /* the current file's notes */
};

static void on_record(void *ctx, uint64_t seq, const char *hash, json_t *rec)
{
	struct across *a = ctx;
	const char *type = json_string_value(json_object_get(rec, "type"));
	const char *event = json_string_value(json_object_get(rec, "event"));

	if (a->proof)
		sw_cp_proof_record(a->proof, seq, hash);
	if (type && event && strcmp(type, "daemon") == 0 && strcmp(event, "segments_removed") == 0) {
		const char *h = json_string_value(json_object_get(rec, "last_hash"));
		json_int_t last = json_integer_value(json_object_get(rec, "last_seq"));
		if (h && strlen(h) == 64 && last > 0 && (uint64_t)last >= a->removed.seq) {
			a->removed.seq = (uint64_t)last;
			memcpy(a->removed.head, h, 65);
		}
		{
			struct sw_verify_note n = { .kind = "segments_removed", .seq = seq };
			char *text = sw_xasprintf("retention removed segments holding seq %lld to %lld (%s)",
						  (long long)json_integer_value(json_object_get(rec, "first_seq")),
						  (long long)last, json_string_value(json_object_get(rec, "rule")) ?: "");
			n.text = text;
			collect_note(a->ns, &n);
			free(text);
		}
	}
}

static void on_note(void *ctx, const struct sw_verify_note *n)
{
	struct across *a = ctx;
	collect_note(a->ns, n);
}

int sw_cmd_verify(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "ledger", required_argument, NULL, 'l' },
		{ "format", required_argument, NULL, 'f' },
		{ "no-blobs", no_argument, NULL, 'n' },
		{ "blob-base", required_argument, NULL, 'b' },
		{ "checkpoints", required_argument, NULL, 'c' },
		{ "checkpoint-pubkey", required_argument, NULL, 'k' },
		{ "ledger-id", required_argument, NULL, 'i' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *ledger = NULL, *cp_file = NULL, *cp_pub = NULL, *ledger_id = NULL;
	const char **paths;
	size_t n_paths, n_segs = 0, total = 0;
	struct sw_segment_list segs = { 0 };
	struct sw_verify_opts vo = { 0 };
	struct sw_ledger_anchor end;
	struct across across = { 0 };
	bool json = false, have_end = false, all_ok = true, chain_ok, first_cont = false;
	struct sw_ledger_anchor first_point = { 0 };
	char first_reason[16] = "", first_file[4096] = "";
	uint64_t first_seq = 0, last_seq = 0;
	json_t *files = json_array(), *cp_report = NULL, *retention = NULL;
	char last_head[65] = SW_LEDGER_GENESIS, *blob_dir = NULL;
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
		case 'c':
			cp_file = optarg;
			break;
		case 'k':
			cp_pub = optarg;
			break;
		case 'i':
			ledger_id = optarg;
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
	if (!cp_file != !cp_pub) {
		fprintf(stderr, "sqlward verify: --checkpoints FILE and --checkpoint-pubkey PUB go together (the "
			"public key of the daemon's --checkpoint-key)\n");
		json_decref(files);
		return 2;
	}
	if (cp_file) {
		char err[800];
		across.proof = sw_cp_proof_load(cp_file, cp_pub, ledger_id, err, sizeof(err));
		if (!across.proof) {
			fprintf(stderr, "sqlward verify: %s\n", err);
			json_decref(files);
			return 2;
		}
	}
	if (optind < argc) {
		n_paths = (size_t)(argc - optind);
		paths = sw_xcalloc(n_paths, sizeof(*paths));
		for (size_t i = 0; i < n_paths; i++)
			paths[i] = argv[optind + (int)i];
	} else {
		/* One ledger: its segments oldest first, then the live file. */
		const char *live = ledger ? ledger : sw_ledger_default_path();
		char err[1200];
		if (sw_segments_list(live, &segs, err, sizeof(err)) != 0) {
			fprintf(stderr, "sqlward verify: %s\n", err);
			json_decref(files);
			sw_cp_proof_free(across.proof);
			return 2;
		}
		n_segs = segs.n;
		n_paths = n_segs + 1;
		paths = sw_xcalloc(n_paths, sizeof(*paths));
		for (size_t i = 0; i < n_segs; i++)
			paths[i] = segs.v[i].path;
		paths[n_segs] = live;
		/* Segments' statement_blob paths are relative to the live file's directory. */
		if (n_segs && !vo.blob_base) {
			char *copy = sw_xstrdup(live), *slash = strrchr(copy, '/');
			if (!slash)
				blob_dir = sw_xstrdup(".");
			else if (slash == copy)
				blob_dir = sw_xstrdup("/");
			else {
				*slash = '\0';
				blob_dir = sw_xstrdup(copy);
			}
			free(copy);
			vo.blob_base = blob_dir;
		}
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
		vo.note = on_note;
		vo.record = on_record;
		across.ns = &ns;
		vo.ctx = &across;
		if (sw_ledger_verify_opts(path, &vo, &res) != 0) {
			if (i < n_segs) {
				/* A segment that cannot be read (a damaged .gz) is a failure of the ledger. */
				res.ok = false;
				res.bad_line = res.records + 1;
			} else {
				fprintf(stderr, "sqlward verify: cannot read ledger %s: %s; %s\n", path, res.reason,
					strstr(res.reason, "ermission") ?
					"run as root or as a member of the ledger's group" :
					"pass --ledger FILE or set SQLWARD_LEDGER to the daemon's ledger");
				notes_free(&ns);
				json_decref(files);
				sw_segments_free(&segs);
				free(paths);
				free(blob_dir);
				sw_cp_proof_free(across.proof);
				return 2;
			}
		}
		/* A segment holds exactly the range its name says. */
		if (i < n_segs && res.ok && res.records &&
		    (res.first_seq != segs.v[i].first || res.last_seq != segs.v[i].last)) {
			res.ok = false;
			res.bad_line = res.records;
			snprintf(res.reason, sizeof(res.reason), "the segment's name says it holds seq %llu to %llu, but "
				 "it holds seq %llu to %llu: it was renamed or replaced",
				 (unsigned long long)segs.v[i].first, (unsigned long long)segs.v[i].last,
				 (unsigned long long)res.first_seq, (unsigned long long)res.last_seq);
		}
		if (i == 0 && res.records) {
			first_cont = res.continues;
			first_point = res.continued;
			snprintf(first_reason, sizeof(first_reason), "%s", res.continued_reason);
			snprintf(first_file, sizeof(first_file), "%s", path);
			first_seq = res.first_seq;
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
			last_seq = res.last_seq;
		}
	}
	chain_ok = all_ok;
	/*
	 * The oldest file continues a point the daemon rotated away: the records before it were in
	 * segments, so retention must have recorded removing exactly up to that point.
	 */
	if (all_ok && first_cont && strcmp(first_reason, "rotated") == 0) {
		bool recorded = across.removed.seq == first_point.seq && strcmp(across.removed.head, first_point.head) == 0;
		char text[9000];
		if (recorded)
			snprintf(text, sizeof(text), "records 1 to %llu were removed by retention (a segments_removed "
				 "record says so, with the last one's hash)", (unsigned long long)first_point.seq);
		else
			snprintf(text, sizeof(text), "the oldest file %s continues seq %llu of a rotated segment, but "
				 "records up to seq %llu are in no segment and no segments_removed record accounts for "
				 "them: segments were deleted outside retention; restore %s.seg/ from a backup",
				 first_file, (unsigned long long)first_point.seq, (unsigned long long)first_point.seq,
				 paths[n_paths - 1]);
		retention = json_pack("{s:b, s:I, s:o}", "ok", recorded, "removed_up_to", (json_int_t)first_point.seq,
				      "text", sw_json_text(text));
		if (!recorded)
			all_ok = false;
		if (!json)
			printf("ledger %s: %s%s\n", paths[n_paths - 1], recorded ? "" : "BAD: ", text);
	}
	if (across.proof) {
		bool ok = false;
		if (chain_ok) {
			cp_report = sw_cp_proof_judge(across.proof, first_seq, last_seq,
						      across.removed.seq ? &across.removed : NULL, &ok);
			if (!json)
				sw_cp_proof_print(cp_report);
		} else {
			cp_report = json_pack("{s:s, s:b, s:s}", "file", cp_file, "ok", 0, "text",
					      "not compared: the hash chain itself is broken (see above)");
			if (!json)
				printf("checkpoints %s: not compared: the hash chain itself is broken (see above)\n",
				       cp_file);
		}
		if (!ok)
			all_ok = false;
	}
	if (!all_ok)
		status = 1;

	if (json) {
		json_t *out;
		char *s;

		if (n_paths == 1) {
			out = json_incref(json_array_get(files, 0));
			if (!all_ok)
				json_object_set_new(out, "ok", json_false());
		} else {
			out = json_pack("{s:b, s:I, s:I, s:s, s:O}", "ok", status == 0,
					"files_checked", (json_int_t)json_array_size(files), "records", (json_int_t)total,
					"head", last_head, "files", files);
			if (n_segs)
				json_object_set_new(out, "segments", json_integer((json_int_t)n_segs));
		}
		if (retention)
			json_object_set(out, "retention", retention);
		if (cp_report)
			json_object_set(out, "checkpoints", cp_report);
		s = json_dumps(out, JSON_COMPACT);
		if (s)
			printf("%s\n", s);
		free(s);
		json_decref(out);
	} else if (n_paths > 1 && status == 0) {
		printf("%zu files, %zu records: each file continues the one before it; head %s\n", n_paths, total,
		       last_head);
	} else if (n_paths > 1 && !chain_ok) {
		printf("the files do not form one intact chain (see above); the check stopped there\n");
	}
	json_decref(files);
	json_decref(retention);
	json_decref(cp_report);
	sw_segments_free(&segs);
	free(paths);
	free(blob_dir);
	sw_cp_proof_free(across.proof);
	return status;
}
