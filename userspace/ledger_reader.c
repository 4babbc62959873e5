/* Reading a ledger line by line (ledger_reader.h). zlib's gz* functions read
 * both compressed segments and plain files. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include "ledger_reader.h"
#include "ledger_segments.h"
#include "util.h"

struct sw_ledger_reader {
	char **files;        /* oldest first; the live file last */
	size_t n_files, cur;
	gzFile in;
	char *line;
	size_t cap;
	uint64_t lineno;
};

static int open_current(struct sw_ledger_reader *r, char *err, size_t errlen)
{
	const char *p = r->files[r->cur];

	r->in = gzopen(p, "rb");
	if (!r->in && errno == ENOENT && r->cur + 1 < r->n_files) {
		/* A segment compressed since it was listed: its .gz holds the same records. */
		char *gz = sw_xasprintf("%s.gz", p);
		r->in = gzopen(gz, "rb");
		if (r->in) {
			free(r->files[r->cur]);
			r->files[r->cur] = gz;
		} else {
			free(gz);
			errno = ENOENT;
		}
	}
	if (!r->in) {
		int e = errno;
		snprintf(err, errlen, "cannot open ledger %s: %s; %s", p, strerror(e),
			 e == EACCES ? "run as root or as a user allowed to read it (the ledger's group)" :
			 "pass --ledger FILE or set SQLWARD_LEDGER to the daemon's ledger");
		return -1;
	}
	gzbuffer(r->in, 128 * 1024);
	r->lineno = 0;
	return 0;
}

int sw_ledger_reader_open(const char *path, struct sw_ledger_reader **out, char *err, size_t errlen)
{
	struct sw_ledger_reader *r = sw_xcalloc(1, sizeof(*r));
	struct sw_segment_list segs;

	if (sw_segments_list(path, &segs, err, errlen) != 0) {
		free(r);
		return -1;
	}
	r->files = sw_xcalloc(segs.n + 1, sizeof(*r->files));
	for (size_t i = 0; i < segs.n; i++) {
		r->files[i] = segs.v[i].path; /* taken over */
		segs.v[i].path = NULL;
	}
	r->files[segs.n] = sw_xstrdup(path);
	r->n_files = segs.n + 1;
	sw_segments_free(&segs);
	if (open_current(r, err, errlen) < 0) {
		sw_ledger_reader_close(r);
		return -1;
	}
	*out = r;
	return 0;
}

/* One line of the current file into r->line (grown as needed): its length, 0 at the end, -1 on error. */
static ssize_t read_line(struct sw_ledger_reader *r, bool *partial)
{
	size_t len = 0;

	for (;;) {
		if (r->cap - len < 2) {
			r->cap = r->cap ? r->cap * 2 : 4096;
			r->line = sw_xrealloc(r->line, r->cap);
		}
		if (!gzgets(r->in, r->line + len, (int)(r->cap - len > INT32_MAX ? INT32_MAX : r->cap - len))) {
			int zerr;
			gzerror(r->in, &zerr);
			/* Z_BUF_ERROR: the stream ends early; a closed segment that does is damaged. */
			if (zerr != Z_OK && (zerr != Z_BUF_ERROR || r->cur + 1 < r->n_files))
				return -1;
			r->line[len] = '\0';
			*partial = len > 0;
			return (ssize_t)len;
		}
		len += strlen(r->line + len);
		if (len && r->line[len - 1] == '\n') {
			r->line[--len] = '\0';
			*partial = false;
			return (ssize_t)len + 1;   /* + 1: an empty line is still a line */
		}
	}
}

int sw_ledger_reader_next(struct sw_ledger_reader *r, const char **line, size_t *len, bool *partial,
			  char *err, size_t errlen)
{
	for (;;) {
		bool part = false;
		ssize_t n = read_line(r, &part);

		if (n < 0) {
			int zerr;
			const char *m = gzerror(r->in, &zerr);
			snprintf(err, errlen, "read error in %s after line %llu: %s", r->files[r->cur],
				 (unsigned long long)r->lineno, zerr == Z_ERRNO ? strerror(errno) : m);
			return -1;
		}
		if (n > 0) {
			r->lineno++;
			*line = r->line;
			*len = part ? (size_t)n : (size_t)n - 1;
			if (partial)
				*partial = part;
			return 1;
		}
		gzclose(r->in);
		r->in = NULL;
		if (r->cur + 1 >= r->n_files)
			return 0;
		r->cur++;
		if (open_current(r, err, errlen) < 0)
			return -1;
	}
}

const char *sw_ledger_reader_file(const struct sw_ledger_reader *r)
{
	return r->files[r->cur];
}

uint64_t sw_ledger_reader_lineno(const struct sw_ledger_reader *r)
{
	return r->lineno;
}

void sw_ledger_reader_close(struct sw_ledger_reader *r)
{
	if (!r)
		return;
	if (r->in)
		gzclose(r->in);
	for (size_t i = 0; i < r->n_files; i++)
		free(r->files[i]);
	free(r->files);
	free(r->line);
	free(r);
}
