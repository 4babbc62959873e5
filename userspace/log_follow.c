/* Following the live ledger file (log_follow.h). */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "log_follow.h"
#include "util.h"

struct sw_log_follow {
	char *path;
	FILE *in;          /* NULL: not open (the file is missing between a rename and its re-creation) */
	dev_t dev;
	ino_t ino;
	off_t offset;      /* after the last complete line read */
	/* The file's first bytes when they were read: different bytes there later mean it was
	 * truncated and written again (copytruncate), even when it has grown past offset since. */
	char head[64];
	size_t head_len;
	uint64_t last_seq;
	bool moving;       /* rotated, and the new file has records: read the old one to its end, then switch */
	char *line;
	size_t cap;
};

struct sw_log_follow *sw_log_follow_open(const char *path, uint64_t last_seq)
{
	struct sw_log_follow *f = sw_xcalloc(1, sizeof(*f));

	f->path = sw_xstrdup(path);
	f->last_seq = last_seq;
	return f;
}

/* The seq a ledger line starts with ({"seq":N,...), 0 when it has none. */
static uint64_t line_seq(const char *line)
{
	return strncmp(line, "{\"seq\":", 7) == 0 ? strtoull(line + 7, NULL, 10) : 0;
}

static int reopen(struct sw_log_follow *f, char *err, size_t errlen)
{
	struct stat st;

	f->in = fopen(f->path, "re");
	if (!f->in) {
		if (errno == ENOENT)
			return 0;   /* renamed away and not created again yet */
		snprintf(err, errlen, "cannot open ledger %s: %s", f->path, strerror(errno));
		return -1;
	}
	fstat(fileno(f->in), &st);
	f->dev = st.st_dev;
	f->ino = st.st_ino;
	f->offset = 0;
	f->head_len = 0;
	return 1;
}

/* Was the file truncated and written again since its head was read? */
static bool rewritten(struct sw_log_follow *f)
{
	char now[sizeof(f->head)];

	if (!f->head_len)
		return false;
	return pread(fileno(f->in), now, f->head_len, 0) != (ssize_t)f->head_len ||
	       memcmp(now, f->head, f->head_len) != 0;
}

int sw_log_follow_next(struct sw_log_follow *f, const char **line, size_t *len, char *err, size_t errlen)
{
	for (;;) {
		struct stat st;
		ssize_t n;

		if (!f->in) {
			int r = reopen(f, err, errlen);
			if (r <= 0)
				return r;
		}
		if (rewritten(f)) {
			f->offset = 0;
			f->head_len = 0;
		}
		if (fseeko(f->in, f->offset, SEEK_SET) != 0) {
			snprintf(err, errlen, "cannot read ledger %s: %s", f->path, strerror(errno));
			return -1;
		}
		n = getline(&f->line, &f->cap, f->in);
		if (n > 0 && f->line[n - 1] == '\n') {
			uint64_t seq;
			if (f->offset == 0) {
				f->head_len = (size_t)n < sizeof(f->head) ? (size_t)n : sizeof(f->head);
				memcpy(f->head, f->line, f->head_len);
			}
			f->offset += n;
			f->line[--n] = '\0';
			seq = line_seq(f->line);
			if (seq && seq <= f->last_seq)
				continue;   /* shown already (read again after a truncation, or before following) */
			if (seq)
				f->last_seq = seq;
			*line = f->line;
			*len = (size_t)n;
			return 1;
		}
		/* At the end (or a line still being written): has the file been replaced or truncated? */
		clearerr(f->in);
		if (f->moving) {
			/* The old file read to its end after the writer moved on: go on with the new one. */
			fclose(f->in);
			f->in = NULL;
			f->moving = false;
			if (reopen(f, err, errlen) <= 0)
				return 0;
			continue;
		}
		int found = stat(f->path, &st);
		if (found != 0 || st.st_dev != f->dev || st.st_ino != f->ino) {
			/* Rotated. The writer may still append to the old file until it reopens the path (a
			 * rename, then SIGHUP): stay on it while the new file is missing or empty; once the
			 * new one has records the old one is complete, so read it to its end once more. */
			if (found != 0 || st.st_size == 0)
				return 0;
			f->moving = true;
			continue;
		}
		if (st.st_size < f->offset) {
			f->offset = 0;   /* truncated in place: read it again from its start */
			f->head_len = 0;
			continue;
		}
		return 0;
	}
}

void sw_log_follow_close(struct sw_log_follow *f)
{
	if (!f)
		return;
	if (f->in)
		fclose(f->in);
	free(f->path);
	free(f->line);
	free(f);
}
