/* A worker thread that classifies large statements (see analysis_worker.h). */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>
#include "analysis_worker.h"
#include "util.h"

struct job {
	struct job *next;
	const char *text;
	struct sw_pg_lex lex;
	void *ctx;
	struct sw_analysis result;
};

struct sw_aworker {
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct job *todo_head, *todo_tail;   /* FIFO */
	struct job *done;                    /* LIFO is fine: order between sessions does not matter */
	size_t pending;
	bool stopping, started;
	int efd;
};

static void *worker_main(void *arg)
{
	struct sw_aworker *w = arg;

	for (;;) {
		struct job *j;
		pthread_mutex_lock(&w->mu);
		while (!w->todo_head && !w->stopping)
			pthread_cond_wait(&w->cv, &w->mu);
		j = w->todo_head;
		if (!j) {
			pthread_mutex_unlock(&w->mu);
			return NULL;
		}
		w->todo_head = j->next;
		if (!w->todo_head)
			w->todo_tail = NULL;
		pthread_mutex_unlock(&w->mu);

		sw_pg_tree_set_lex(&j->lex);
		sw_pg_analyze(j->text, &j->result);

		pthread_mutex_lock(&w->mu);
		j->next = w->done;
		w->done = j;
		pthread_mutex_unlock(&w->mu);
		{
			uint64_t one = 1;
			ssize_t rc = write(w->efd, &one, sizeof(one));
			(void)rc;
		}
	}
}

struct sw_aworker *sw_aworker_start(void)
{
	struct sw_aworker *w = sw_xcalloc(1, sizeof(*w));
	sigset_t all, old;
	int e;

	w->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (w->efd < 0) {
		e = errno;
		free(w);
		errno = e;
		return NULL;
	}
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->cv, NULL);
	/* The thread starts with every signal blocked: SIGTERM and SIGHUP are the event
	 * loop's to read from its signalfd, never a reason for this thread to die. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	e = pthread_create(&w->thread, NULL, worker_main, w);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (e != 0) {
		close(w->efd);
		free(w);
		errno = e;
		return NULL;
	}
	w->started = true;
	return w;
}

int sw_aworker_fd(const struct sw_aworker *w)
{
	return w->efd;
}

void sw_aworker_submit(struct sw_aworker *w, const char *text, const struct sw_pg_lex *lex, void *job)
{
	struct job *j = sw_xcalloc(1, sizeof(*j));

	j->text = text;
	j->lex = lex ? *lex : SW_PG_LEX_DEFAULTS;
	j->ctx = job;
	pthread_mutex_lock(&w->mu);
	if (w->todo_tail)
		w->todo_tail->next = j;
	else
		w->todo_head = j;
	w->todo_tail = j;
	w->pending++;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
}

void *sw_aworker_take(struct sw_aworker *w, struct sw_analysis *out)
{
	struct job *j;
	void *ctx;
	uint64_t n;

	pthread_mutex_lock(&w->mu);
	j = w->done;
	if (j) {
		w->done = j->next;
		w->pending--;
	}
	pthread_mutex_unlock(&w->mu);
	if (!j) {
		ssize_t rc = read(w->efd, &n, sizeof(n));   /* drain the wakeup */
		(void)rc;
		return NULL;
	}
	*out = j->result;
	ctx = j->ctx;
	free(j);
	return ctx;
}

size_t sw_aworker_pending(const struct sw_aworker *w)
{
	size_t n;
	pthread_mutex_lock((pthread_mutex_t *)&w->mu);
	n = w->pending;
	pthread_mutex_unlock((pthread_mutex_t *)&w->mu);
	return n;
}

void sw_aworker_stop(struct sw_aworker *w)
{
	if (!w || !w->started)
		return;
	pthread_mutex_lock(&w->mu);
	w->stopping = true;
	pthread_cond_broadcast(&w->cv);
	pthread_mutex_unlock(&w->mu);
	pthread_join(w->thread, NULL);
	w->started = false;
}

void sw_aworker_free(struct sw_aworker *w)
{
	if (!w)
		return;
	sw_aworker_stop(w);
	close(w->efd);
	pthread_mutex_destroy(&w->mu);
	pthread_cond_destroy(&w->cv);
	free(w);
}
