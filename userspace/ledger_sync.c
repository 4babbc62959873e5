/*
 * The ledger's syncer (ledger_sync.h): one fdatasync job at a time, on a
 * worker thread or inline.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>
#include "ledger_sync.h"
#include "util.h"

struct sw_syncer {
	bool threaded;
	int efd;                 /* threaded: the worker's "a job is done" (written under mu) */
	pthread_t thread;
	bool out;                /* owner only: a job was posted and not collected */
	pthread_mutex_t mu;
	pthread_cond_t posted_cv, done_cv;
	/* ---- under mu ---- */
	bool posted;             /* a job waits for the worker */
	bool done;               /* the job has run; rc is its result */
	bool stop;               /* the worker ends once no job waits */
	int fd;                  /* the job: datasync(fd) (fd < 0: none), then after(actx, rc) */
	sw_sync_after_fn after;
	void *actx;
	int rc;
	sw_datasync_fn datasync; /* NULL: fdatasync(2) */
	void *dctx;
};

static int run_datasync(sw_datasync_fn fn, void *ctx, int fd)
{
	if (fd < 0)
		return 0;
	if (fn)
		return fn(fd, ctx);
	return fdatasync(fd) == 0 ? 0 : errno;
}

static void *worker_main(void *arg)
{
	struct sw_syncer *s = arg;

	pthread_mutex_lock(&s->mu);
	for (;;) {
		int fd, rc;
		sw_sync_after_fn after;
		void *actx, *dctx;
		sw_datasync_fn fn;

		while (!s->posted && !s->stop)
			pthread_cond_wait(&s->posted_cv, &s->mu);
		if (!s->posted)
			break;
		fd = s->fd;
		after = s->after;
		actx = s->actx;
		fn = s->datasync;
		dctx = s->dctx;
		s->posted = false;
		/* The sync runs without the lock: the owner may look (sw_syncer_collect) meanwhile. */
		pthread_mutex_unlock(&s->mu);
		rc = run_datasync(fn, dctx, fd);
		if (after)
			after(actx, rc);
		pthread_mutex_lock(&s->mu);
		s->rc = rc;
		s->done = true;
		pthread_cond_broadcast(&s->done_cv);
		pthread_mutex_unlock(&s->mu);
		{
			/* After the unlock, so the woken owner does not wait for the mutex. A job the owner
			 * collected meanwhile (sw_syncer_wait) leaves a wake-up with nothing to take, which
			 * sw_syncer_collect drains. Cannot fail but for a counter overflow. */
			uint64_t one = 1;
			if (write(s->efd, &one, sizeof(one)) != sizeof(one))
				fprintf(stderr, "sqlward: ledger sync thread: cannot signal the loop: %s\n", strerror(errno));
		}
		pthread_mutex_lock(&s->mu);
	}
	pthread_mutex_unlock(&s->mu);
	return NULL;
}

struct sw_syncer *sw_syncer_new(bool threaded, char *err, size_t errlen)
{
	struct sw_syncer *s = sw_xcalloc(1, sizeof(*s));

	s->threaded = threaded;
	s->efd = -1;
	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->posted_cv, NULL);
	pthread_cond_init(&s->done_cv, NULL);
	if (!threaded)
		return s;
	s->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (s->efd < 0) {
		snprintf(err, errlen, "cannot create the ledger sync thread's eventfd: %s", strerror(errno));
		goto fail;
	}
	{
		/* The worker takes no signals (it inherits this mask): a process-directed SIGTERM must
		 * reach the owner's signalfd, not kill the process in a thread that never blocked it. */
		sigset_t all, old;
		int e;
		sigfillset(&all);
		pthread_sigmask(SIG_SETMASK, &all, &old);
		e = pthread_create(&s->thread, NULL, worker_main, s);
		pthread_sigmask(SIG_SETMASK, &old, NULL);
		if (e != 0) {
			snprintf(err, errlen, "cannot start the ledger sync thread: %s", strerror(e));
			close(s->efd);
			goto fail;
		}
	}
	return s;
fail:
	pthread_cond_destroy(&s->done_cv);
	pthread_cond_destroy(&s->posted_cv);
	pthread_mutex_destroy(&s->mu);
	free(s);
	return NULL;
}

void sw_syncer_free(struct sw_syncer *s)
{
	if (!s)
		return;
	sw_syncer_wait(s);
	if (s->threaded) {
		pthread_mutex_lock(&s->mu);
		s->stop = true;
		pthread_cond_signal(&s->posted_cv);
		pthread_mutex_unlock(&s->mu);
		pthread_join(s->thread, NULL);
		close(s->efd);
	}
	pthread_cond_destroy(&s->done_cv);
	pthread_cond_destroy(&s->posted_cv);
	pthread_mutex_destroy(&s->mu);
	free(s);
}

int sw_syncer_fd(const struct sw_syncer *s)
{
	return s->threaded ? s->efd : -1;
}

bool sw_syncer_threaded(const struct sw_syncer *s)
{
	return s->threaded;
}

void sw_syncer_set_datasync(struct sw_syncer *s, sw_datasync_fn fn, void *ctx)
{
	pthread_mutex_lock(&s->mu);
	s->datasync = fn;
	s->dctx = ctx;
	pthread_mutex_unlock(&s->mu);
}

void sw_syncer_post(struct sw_syncer *s, int fd, sw_sync_after_fn after, void *actx)
{
	if (s->out) {
		fprintf(stderr, "sqlward: internal error: a ledger sync was posted while one was out\n");
		abort();
	}
	s->out = true;
	if (!s->threaded) {
		s->rc = run_datasync(s->datasync, s->dctx, fd);
		if (after)
			after(actx, s->rc);
		s->done = true;
		return;
	}
	pthread_mutex_lock(&s->mu);
	s->fd = fd;
	s->after = after;
	s->actx = actx;
	s->done = false;
	s->posted = true;
	pthread_mutex_unlock(&s->mu);
	pthread_cond_signal(&s->posted_cv);
}

int sw_syncer_run(struct sw_syncer *s, int fd, sw_sync_after_fn after, void *actx)
{
	int rc;

	if (s->out) {
		fprintf(stderr, "sqlward: internal error: a ledger sync was run while one was out\n");
		abort();
	}
	/* datasync is only ever changed by this thread (the owner): no lock needed to read it here. */
	rc = run_datasync(s->datasync, s->dctx, fd);
	if (after)
		after(actx, rc);
	return rc;
}

bool sw_syncer_busy(const struct sw_syncer *s)
{
	return s->out;
}

/*
 * Under mu: empty the eventfd. Whatever it counts is for a job whose done was already set (the
 * worker writes it after setting done and unlocking), so this loses no wake-up the owner still
 * needs: the job out, when not yet done, writes its own later.
 */
static void drain(struct sw_syncer *s)
{
	uint64_t n;

	if (s->threaded && read(s->efd, &n, sizeof(n)) < 0 && errno != EAGAIN)
		fprintf(stderr, "sqlward: ledger sync thread: cannot read its eventfd: %s\n", strerror(errno));
}

/* Under mu (threaded): take the finished job's result. */
static int take_done(struct sw_syncer *s)
{
	drain(s);
	s->done = false;
	s->out = false;
	return s->rc;
}

bool sw_syncer_collect(struct sw_syncer *s, int *rc)
{
	bool got = false;

	if (!s->threaded) {
		if (s->out) {
			*rc = take_done(s);
			got = true;
		}
		return got;
	}
	pthread_mutex_lock(&s->mu);
	if (s->out && s->done) {
		*rc = take_done(s);
		got = true;
	} else {
		drain(s); /* a late wake-up for a job already taken: nothing to take */
	}
	pthread_mutex_unlock(&s->mu);
	return got;
}

int sw_syncer_wait(struct sw_syncer *s)
{
	int rc;

	if (!s->out)
		return 0;
	if (!s->threaded)
		return take_done(s);
	pthread_mutex_lock(&s->mu);
	while (!s->done)
		pthread_cond_wait(&s->done_cv, &s->mu);
	rc = take_done(s);
	pthread_mutex_unlock(&s->mu);
	return rc;
}
