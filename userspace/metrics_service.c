/* The daemon's metrics outputs: gauges from its state, HTTP endpoint, textfile (see metrics_service.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "daemon_state.h"
#include "metrics.h"
#include "metrics_http.h"
#include "metrics_service.h"
#include "util.h"

struct sw_metrics_service {
	struct sw_daemon *d;
	struct sw_metrics_http *http;   /* NULL: no --metrics-listen */
	const char *textfile;           /* NULL: no --metrics-textfile */
	char *textfile_tmp;
	uint64_t textfile_due_ns;
	char textfile_error[300];       /* the last failure, said once (not every 5 seconds) */
};

/* What the daemon knows now, for one rendering. */
static void read_gauges(struct sw_daemon *d, struct sw_metrics_gauges *g)
{
	struct stat st;

	memset(g, 0, sizeof(*g));
	g->holds_pending = d->n_holds;
	if (d->gate) {
		uint64_t k[SW_STAT__COUNT];
		sw_gate_stats(d->gate, k);
		g->have_pg_kernel = true;
		g->pg_cache_hits_exact = k[SW_STAT_CACHE_HITS];
		g->pg_cache_hits_shape = k[SW_STAT_SHAPE_HITS];
		g->pg_cache_misses = k[SW_STAT_HELD];
		g->pg_ringbuf_drops = k[SW_STAT_RB_DROPS];
		g->pg_overflow_held = k[SW_STAT_OVERFLOW_HELD];
		g->pg_refused_overflow_full = k[SW_STAT_OVERFLOW_FULL];
		g->pg_no_daemon_cancels = k[SW_STAT_NO_DAEMON_CANCELS];
		g->pg_no_daemon_terminations = k[SW_STAT_KERNEL_TERMINATIONS];
	}
	/* MariaDB's gates keep their counters private: read them from what `status` shows. */
	for (int i = 0; i < d->n_engine_gates; i++) {
		json_t *s = d->engine_gates[i].ops->state ? d->engine_gates[i].ops->state(d->engine_gates[i].gate) : NULL;
		if (!s)
			continue;
		g->have_mariadb = true;
		g->my_ringbuf_drops += (uint64_t)json_integer_value(json_object_get(s, "lost_events"));
		g->my_cache_hits +=
			(uint64_t)json_integer_value(json_object_get(json_object_get(s, "verdict_cache"), "hits"));
		g->my_cache_misses += (uint64_t)json_integer_value(json_object_get(s, "decided"));
		json_decref(s);
	}
	if (d->ledger) {
		g->ledger_seq = sw_ledger_seq(d->ledger);
		g->ledger_records_lost_unreported = sw_ledger_lost(d->ledger);
		g->ledger_records_lost_total = sw_ledger_lost_total(d->ledger);
	}
	g->ledger_writable = d->ledger && !d->ledger_failing_since_ns;
	if (stat(d->opts->ledger_path, &st) == 0) {
		g->have_ledger_bytes = true;
		g->ledger_bytes = (uint64_t)st.st_size;
	}
	sw_metrics_read_process(g);
}

static void render(void *ctx, struct sw_sbuf *out)
{
	struct sw_metrics_service *s = ctx;
	struct sw_metrics_gauges g;

	read_gauges(s->d, &g);
	sw_daemon_metrics.scrapes++;
	sw_metrics_render(&sw_daemon_metrics, &g, out);
}

static void textfile_failed(struct sw_metrics_service *s, const char *what)
{
	char msg[300];

	snprintf(msg, sizeof(msg), "%s %s: %s", what, s->textfile_tmp, strerror(errno));
	if (strcmp(msg, s->textfile_error) != 0)
		fprintf(stderr, "sqlward: warning: --metrics-textfile not written: %s; the gate goes on, fix the "
			"directory (it must exist and be writable by root)\n", msg);
	snprintf(s->textfile_error, sizeof(s->textfile_error), "%s", msg);
}

/* Written beside it and renamed over it: the collector never reads half a file. No fsync: a
 * crash at worst leaves the previous file, and the loop never waits for the disk. */
static void textfile_write(struct sw_metrics_service *s)
{
	struct sw_sbuf body = { 0 };
	int fd;
	size_t off = 0;

	render(s, &body);
	fd = open(s->textfile_tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0) {
		textfile_failed(s, "cannot create");
		free(body.s);
		return;
	}
	while (off < body.len) {
		ssize_t n = write(fd, body.s + off, body.len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			textfile_failed(s, "cannot write");
			close(fd);
			unlink(s->textfile_tmp);
			free(body.s);
			return;
		}
		off += (size_t)n;
	}
	free(body.s);
	close(fd);
	if (rename(s->textfile_tmp, s->textfile) < 0) {
		textfile_failed(s, "cannot rename");
		unlink(s->textfile_tmp);
		return;
	}
	s->textfile_error[0] = 0;
}

struct sw_metrics_service *sw_metrics_service_open(struct sw_daemon *d, char *err, size_t errlen)
{
	struct sw_metrics_service *s;

	err[0] = 0;
	if (!d->opts->metrics_listen && !d->opts->metrics_textfile)
		return NULL;
	s = sw_xcalloc(1, sizeof(*s));
	s->d = d;
	if (d->opts->metrics_listen) {
		s->http = sw_metrics_http_open(d->opts->metrics_listen, render, s, err, errlen);
		if (!s->http) {
			free(s);
			return NULL;
		}
		fprintf(stderr, "sqlward: metrics at http://%s/metrics (port %d)\n", d->opts->metrics_listen,
			sw_metrics_http_port(s->http));
	}
	if (d->opts->metrics_textfile) {
		const char *base = strrchr(d->opts->metrics_textfile, '/');
		base = base ? base + 1 : d->opts->metrics_textfile;
		if (!*base || strlen(base) < 6 || strcmp(base + strlen(base) - 5, ".prom") != 0) {
			snprintf(err, errlen, "--metrics-textfile %s: name a file ending in .prom (node_exporter's textfile "
				 "collector reads only those), e.g. /var/lib/node_exporter/textfile/sqlward.prom",
				 d->opts->metrics_textfile);
			sw_metrics_http_close(s->http);
			free(s);
			return NULL;
		}
		s->textfile = d->opts->metrics_textfile;
		/* Not *.prom: the collector ignores the half-written file. */
		s->textfile_tmp = sw_xasprintf("%s.%d.tmp", s->textfile, (int)getpid());
		textfile_write(s);
		s->textfile_due_ns = sw_mono_ns() + SW_METRICS_TEXTFILE_S * 1000000000ull;
	}
	return s;
}

int sw_metrics_service_fd(const struct sw_metrics_service *s)
{
	return s && s->http ? sw_metrics_http_fd(s->http) : -1;
}

void sw_metrics_service_ready(struct sw_metrics_service *s)
{
	if (s && s->http)
		sw_metrics_http_ready(s->http);
}

void sw_metrics_service_tick(struct sw_metrics_service *s, uint64_t now_ns)
{
	if (!s)
		return;
	if (s->http)
		sw_metrics_http_expire(s->http, now_ns);
	if (s->textfile && now_ns >= s->textfile_due_ns) {
		textfile_write(s);
		s->textfile_due_ns = now_ns + SW_METRICS_TEXTFILE_S * 1000000000ull;
	}
}

void sw_metrics_service_close(struct sw_metrics_service *s)
{
	if (!s)
		return;
	/* A stopped daemon exports nothing: a file left behind would look like a live one. */
	if (s->textfile && unlink(s->textfile) < 0 && errno != ENOENT)
		fprintf(stderr, "sqlward: warning: cannot remove --metrics-textfile %s: %s\n", s->textfile, strerror(errno));
	sw_metrics_http_close(s->http);
	free(s->textfile_tmp);
	free(s);
}
