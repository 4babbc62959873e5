/* The MariaDB holder thread: see my_holder.h. x86-64 only (argument registers). */
#include "my_holder.h"

#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ptrace.h>
#include <sys/signalfd.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "mariadb.h"
#include "util.h"

#ifndef __x86_64__
#error "my_holder.c reads dispatch_command's arguments from x86-64 registers; port the register names first"
#endif

/* A traced thread the holder knows. */
struct traced {
	pid_t tid;
	bool held;                 /* stopped by the hold signal, waiting for a decision */
	bool wait;                 /* stopped by the wait signal: only waits to be recorded, never refused */
	enum sw_my_stop_kind kind;
	unsigned long long real_len;  /* command stop: rcx at the stop (the deny value 0 is in the registers now) */
	unsigned long long real_cmd;  /* command stop: rdi at the stop (the deny state may have replaced it) */
	struct user_regs_struct regs; /* the registers as they were set at the stop (deny) */
	/* Execute stop: what the deny state replaced, restored on allow. */
	bool armed;
	uint64_t lex;
	uint32_t real_sqlcom, real_killed;
};

struct cmd {
	pid_t tid;
	bool allow;
	char *message;
};

struct sw_my_holder {
	pid_t pid;
	struct sw_my_holder_cfg cfg;
	pthread_t thread;
	int out_efd, cmd_efd, ready_efd;
	pthread_mutex_t mu;
	/* Shared (under mu). */
	struct sw_my_stop *stops;
	size_t n_stops, cap_stops;
	struct cmd *cmds;
	size_t n_cmds, cap_cmds;
	bool quit, dead;
	size_t n_threads;
	char error[512];
	/* Holder thread only. */
	struct traced *t;
	size_t n_t, cap_t;
};

static uint64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void efd_signal(int fd)
{
	uint64_t one = 1;
	if (write(fd, &one, sizeof(one)) < 0) {
		/* An eventfd only fails to count past 2^64-2: a wake-up is pending anyway. */
	}
}

static struct traced *find_traced(struct sw_my_holder *h, pid_t tid)
{
	for (size_t i = 0; i < h->n_t; i++)
		if (h->t[i].tid == tid)
			return &h->t[i];
	return NULL;
}

static struct traced *add_traced(struct sw_my_holder *h, pid_t tid)
{
	struct traced *t = find_traced(h, tid);
	if (t)
		return t;
	if (h->n_t == h->cap_t) {
		h->cap_t = h->cap_t ? h->cap_t * 2 : 64;
		h->t = sw_xrealloc(h->t, h->cap_t * sizeof(*h->t));
	}
	t = &h->t[h->n_t++];
	memset(t, 0, sizeof(*t));
	t->tid = tid;
	return t;
}

static void drop_traced(struct sw_my_holder *h, pid_t tid)
{
	for (size_t i = 0; i < h->n_t; i++)
		if (h->t[i].tid == tid) {
			h->t[i] = h->t[--h->n_t];
			return;
		}
}

static void push_stop(struct sw_my_holder *h, const struct sw_my_stop *s)
{
	pthread_mutex_lock(&h->mu);
	if (h->n_stops == h->cap_stops) {
		h->cap_stops = h->cap_stops ? h->cap_stops * 2 : 16;
		h->stops = sw_xrealloc(h->stops, h->cap_stops * sizeof(*h->stops));
	}
	h->stops[h->n_stops++] = *s;
	pthread_mutex_unlock(&h->mu);
	efd_signal(h->out_efd);
}

/* Seize every thread of the process not traced yet; repeat until a scan finds none new. */
static int seize_all(struct sw_my_holder *h, char *err, size_t errlen)
{
	char path[64];
	bool found = true;

	snprintf(path, sizeof(path), "/proc/%d/task", (int)h->pid);
	for (int round = 0; found && round < 100; round++) {
		DIR *d = opendir(path);
		struct dirent *de;
		found = false;
		if (!d) {
			snprintf(err, errlen, "cannot list the threads of mariadbd %d (%s): is it running?", (int)h->pid,
				 strerror(errno));
			return -1;
		}
		while ((de = readdir(d))) {
			pid_t tid = atoi(de->d_name);
			if (tid <= 0 || find_traced(h, tid))
				continue;
			if (ptrace(PTRACE_SEIZE, tid, NULL, (void *)(long)PTRACE_O_TRACECLONE) != 0) {
				if (errno == ESRCH)
					continue;   /* the thread ended meanwhile */
				snprintf(err, errlen,
					 "cannot trace thread %d of mariadbd %d: %s. The MariaDB gate holds a session by "
					 "tracing the server's threads: check that no debugger or other tracer is attached "
					 "(TracerPid in /proc/%d/status), that kernel.yama.ptrace_scope is at most 2 "
					 "(sysctl kernel.yama.ptrace_scope), and that no AppArmor/SELinux profile denies "
					 "ptrace for the daemon", (int)tid, (int)h->pid, strerror(errno), (int)tid);
				closedir(d);
				return -1;
			}
			add_traced(h, tid);
			found = true;
		}
		closedir(d);
	}
	return 0;
}

static bool mem_read(const struct sw_my_holder *h, uint64_t addr, void *buf, size_t len)
{
	return sw_my_read_memory(h->pid, addr, buf, len);
}

static bool mem_write(const struct sw_my_holder *h, uint64_t addr, const void *buf, size_t len)
{
	struct iovec local = { (void *)buf, len }, remote = { (void *)addr, len };
	return addr && process_vm_writev(h->pid, &local, 1, &remote, 1, 0) == (ssize_t)len;
}

/* Execute stop: the statement runs as an empty one and its THD is killed unless an allow restores both. */
static bool arm_execute(struct sw_my_holder *h, struct traced *t, uint64_t thd)
{
	uint32_t empty = h->cfg.sqlcom_empty_query, kill = h->cfg.kill_query;

	t->lex = 0;
	return mem_read(h, thd + h->cfg.thd_lex, &t->lex, sizeof(t->lex)) && t->lex &&
	       mem_read(h, t->lex + h->cfg.lex_sql_command, &t->real_sqlcom, 4) &&
	       mem_read(h, thd + h->cfg.thd_killed, &t->real_killed, 4) &&
	       mem_write(h, thd + h->cfg.thd_killed, &kill, 4) &&
	       mem_write(h, t->lex + h->cfg.lex_sql_command, &empty, 4);
}

/* A hold-signal stop at a probed function: set the deny state first, then report it. A wait
 * stop (SW_MY_WAIT_SIGNAL, dispatch_command only) sets none: its command runs whatever happens. */
static bool take_hold_stop(struct sw_my_holder *h, struct traced *t, bool wait)
{
	struct user_regs_struct r;
	struct sw_my_stop s;

	if (ptrace(PTRACE_GETREGS, t->tid, NULL, &r) != 0)
		return false;
	memset(&s, 0, sizeof(s));
	/* The probe fired at the entry; the signal is delivered once the first instruction ran. */
	if (r.rip >= h->cfg.dispatch_entry && r.rip <= h->cfg.dispatch_entry + 16) {
		t->kind = SW_MY_STOP_COMMAND;
		t->real_len = r.rcx & 0xffffffffull;
		t->real_cmd = r.rdi;
		if (!wait) {
			/* Deny until an allow restores it. A length of 0 alone does not refuse every
			 * command: COM_SHUTDOWN, COM_PROCESS_KILL, COM_REFRESH, COM_SET_OPTION and
			 * COM_BINLOG_DUMP read their arguments from the packet whatever its length.
			 * An empty COM_QUERY runs nothing ("Query was empty"); a prepare stays a
			 * prepare (an empty one fails) so its client reads a prepare's answer. */
			r.rcx = 0;
			if ((uint32_t)r.rdi != SW_MY_COM_STMT_PREPARE)
				r.rdi = SW_MY_COM_QUERY;
			if (ptrace(PTRACE_SETREGS, t->tid, NULL, &r) != 0)
				return false;
		}
		s.command = (uint32_t)t->real_cmd;
		s.packet = r.rdx;
		s.packet_len = (uint32_t)t->real_len;
		t->armed = s.armed = !wait;
	} else if (wait) {
		return false;
	} else if (h->cfg.execute_entry && r.rip >= h->cfg.execute_entry && r.rip <= h->cfg.execute_entry + 16) {
		t->kind = SW_MY_STOP_EXECUTE;
		t->armed = s.armed = arm_execute(h, t, r.rdi);
		s.sql_command = (int32_t)t->real_sqlcom;
	} else {
		return false;
	}
	t->regs = r;
	t->held = true;
	t->wait = s.wait = wait;
	s.tid = t->tid;
	s.kind = t->kind;
	s.thd = t->kind == SW_MY_STOP_COMMAND ? r.rsi : r.rdi;
	s.when_ns = mono_ns();
	push_stop(h, &s);
	return true;
}

static void on_wait(struct sw_my_holder *h, pid_t tid, int status)
{
	struct traced *t = find_traced(h, tid);
	int sig, event;

	if (WIFEXITED(status) || WIFSIGNALED(status)) {
		if (t && t->held) {
			struct sw_my_stop s = { .tid = tid, .gone = true, .when_ns = mono_ns() };
			push_stop(h, &s);
		}
		drop_traced(h, tid);
		if (tid == h->pid) {
			pthread_mutex_lock(&h->mu);
			h->dead = true;
			snprintf(h->error, sizeof(h->error), "mariadbd %d exited", (int)h->pid);
			pthread_mutex_unlock(&h->mu);
		}
		return;
	}
	if (!WIFSTOPPED(status))
		return;
	if (!t)
		t = add_traced(h, tid);   /* a new thread (auto-attached through TRACECLONE) */
	sig = WSTOPSIG(status);
	event = status >> 16;
	if (event == PTRACE_EVENT_CLONE) {
		unsigned long child = 0;
		if (ptrace(PTRACE_GETEVENTMSG, tid, NULL, &child) == 0 && child)
			add_traced(h, (pid_t)child);
		ptrace(PTRACE_CONT, tid, NULL, NULL);
		return;
	}
	if (event == PTRACE_EVENT_STOP) {
		/* A group stop (SIGSTOP/SIGTSTP...) stays a stop; a new thread's first stop just goes on. */
		if (sig == SIGSTOP || sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU)
			ptrace(PTRACE_LISTEN, tid, NULL, NULL);
		else
			ptrace(PTRACE_CONT, tid, NULL, NULL);
		return;
	}
	if (sig == SW_MY_HOLD_SIGNAL || sig == SW_MY_WAIT_SIGNAL) {
		siginfo_t si;
		if (ptrace(PTRACE_GETSIGINFO, tid, NULL, &si) == 0 && si.si_code == SI_KERNEL && !t->held &&
		    take_hold_stop(h, t, sig == SW_MY_WAIT_SIGNAL))
			return;   /* stays stopped until decided (or recorded) */
	}
	/* Any other signal goes on to mariadbd as if nobody traced it. */
	ptrace(PTRACE_CONT, tid, NULL, (void *)(long)sig);
}

static size_t deny_text(const char *message, char *out, size_t cap)
{
	/* Only printable ASCII, no quote or backslash: the text lexes the same under every sql_mode
	 * and client character set, and MESSAGE_TEXT stays under its 128-character limit. */
	static const char head[] = "SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT='";
	size_t n = 0, m = 0;

	if (cap < sizeof(head) + 2)
		return 0;
	memcpy(out, head, sizeof(head) - 1);
	n = sizeof(head) - 1;
	for (const char *p = message ? message : "refused by sqlward"; *p && m < 120 && n + 3 < cap; p++, m++) {
		unsigned char c = (unsigned char)*p;
		out[n++] = (c < 0x20 || c > 0x7e) ? ' ' : c == '\'' ? '`' : c == '\\' ? '/' : (char)c;
	}
	out[n++] = '\'';
	out[n] = 0;
	return n;
}

/* "sqlward_refused <message>": not SQL, so the server's parse error (1064) quotes it. */
static size_t deny_prepare_text(const char *message, char *out, size_t cap)
{
	size_t n = deny_text(message, out, cap), head = strlen("SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT='");
	static const char tag[] = "sqlward_refused ";

	if (n <= head + 1 || n - head - 1 + sizeof(tag) > cap)
		return 0;
	memmove(out + sizeof(tag) - 1, out + head, n - head - 1);   /* the message without its quotes */
	memcpy(out, tag, sizeof(tag) - 1);
	n = sizeof(tag) - 1 + (n - head - 1);
	out[n] = 0;
	return n;
}

size_t sw_my_deny_packet(const char *message, char *out, size_t cap)
{
	return deny_text(message, out, cap);
}

/*
 * Bytes a refusal's text may take at a stopped command's packet. The packet lies in THD.net's read
 * buffer: uncompressed, at its start (net_buffer_length, >= 1 KB); compressed, anywhere in a frame
 * the client shaped, so it may sit right at the buffer's end. NET (mysql_com.h, the client ABI)
 * begins vio, buff, buff_end. Without the layout, only the packet's own bytes are sure.
 */
static size_t packet_room(const struct sw_my_holder *h, const struct traced *t)
{
	uint64_t net[3], pkt = t->regs.rdx;

	if (!h->cfg.thd_vio || !mem_read(h, t->regs.rsi + h->cfg.thd_vio, net, sizeof(net)) || pkt < net[1] ||
	    pkt >= net[2])
		return t->real_len;
	return (size_t)(net[2] - pkt);
}

static void apply(struct sw_my_holder *h, const struct cmd *c)
{
	struct traced *t = find_traced(h, c->tid);
	struct user_regs_struct r;

	if (!t || !t->held)
		return;
	r = t->regs;
	if (t->wait) {
		/* It only waited for its record: it runs as it arrived, whatever was asked (a daemon
		 * that stops releases it so). */
		t->held = t->wait = false;
		ptrace(PTRACE_CONT, t->tid, NULL, NULL);
		return;
	}
	if (t->kind == SW_MY_STOP_EXECUTE) {
		if (c->allow && t->armed) {
			mem_write(h, t->lex + h->cfg.lex_sql_command, &t->real_sqlcom, 4);
			mem_write(h, r.rdi + h->cfg.thd_killed, &t->real_killed, 4);
		} else if (!c->allow && !t->armed) {
			/* Nothing else can refuse it: the hold signal goes on, and its default action ends
			 * the server (see mariadb.h) rather than let the statement run. */
			t->held = false;
			ptrace(PTRACE_CONT, t->tid, NULL, (void *)(long)SW_MY_HOLD_SIGNAL);
			return;
		}
		t->held = false;
		ptrace(PTRACE_CONT, t->tid, NULL, NULL);
		return;
	}
	if (c->allow) {
		r.rcx = t->real_len;
		r.rdi = t->real_cmd;
	} else if (c->message) {
		/* r.rdi is the deny state's command: COM_QUERY, or COM_STMT_PREPARE for a prepare. */
		char text[256];
		/* A prepared SIGNAL would prepare fine: a prepare gets a text whose syntax error
		 * quotes the reason instead. */
		size_t n = (uint32_t)r.rdi == SW_MY_COM_QUERY ? deny_text(c->message, text, sizeof(text))
							      : deny_prepare_text(c->message, text, sizeof(text));
		struct iovec local = { text, n }, remote = { (void *)r.rdx, n };
		/* Only where the text fits in the server's buffer; else the command arrives empty. */
		if (n && n <= packet_room(h, t) && process_vm_writev(h->pid, &local, 1, &remote, 1, 0) == (ssize_t)n)
			r.rcx = n;
	}
	ptrace(PTRACE_SETREGS, t->tid, NULL, &r);
	t->held = false;
	ptrace(PTRACE_CONT, t->tid, NULL, NULL);
}

static void *holder_main(void *arg)
{
	struct sw_my_holder *h = arg;
	sigset_t chld;
	int sfd;
	char err[512] = "";

	/* Every signal is the daemon loop's to read from its signalfd (SIGTERM must not end the
	 * daemon here); SIGCHLD, the tracees' stops, is this thread's, through its own signalfd. */
	{
		sigset_t all;
		sigfillset(&all);
		pthread_sigmask(SIG_BLOCK, &all, NULL);
	}
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	sfd = signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK);
	if (seize_all(h, err, sizeof(err)) < 0) {
		pthread_mutex_lock(&h->mu);
		h->dead = true;
		snprintf(h->error, sizeof(h->error), "%s", err);
		pthread_mutex_unlock(&h->mu);
		efd_signal(h->ready_efd);
		if (sfd >= 0)
			close(sfd);
		return NULL;   /* exiting detaches what was seized */
	}
	pthread_mutex_lock(&h->mu);
	h->n_threads = h->n_t;
	pthread_mutex_unlock(&h->mu);
	efd_signal(h->ready_efd);
	for (;;) {
		struct pollfd p[2] = { { .fd = sfd, .events = POLLIN }, { .fd = h->cmd_efd, .events = POLLIN } };
		struct cmd *cmds;
		size_t n_cmds;
		bool quit;
		int status;
		pid_t tid;

		/* SIGCHLD wakes us when a thread stops; the timeout covers a SIGCHLD another
		 * thread of the daemon took, so no stop waits more than that. */
		poll(p, 2, 20);
		if (sfd >= 0) {
			struct signalfd_siginfo si;
			while (read(sfd, &si, sizeof(si)) == sizeof(si))
				;
		}
		while ((tid = waitpid(-1, &status, __WALL | __WNOTHREAD | WNOHANG)) > 0)
			on_wait(h, tid, status);
		{
			uint64_t v;
			if (read(h->cmd_efd, &v, sizeof(v)) < 0) {
				/* nothing queued */
			}
		}
		pthread_mutex_lock(&h->mu);
		cmds = h->cmds;
		n_cmds = h->n_cmds;
		h->cmds = NULL;
		h->n_cmds = h->cap_cmds = 0;
		quit = h->quit;
		h->n_threads = h->n_t;
		pthread_mutex_unlock(&h->mu);
		for (size_t i = 0; i < n_cmds; i++) {
			apply(h, &cmds[i]);
			free(cmds[i].message);
		}
		free(cmds);
		if (quit) {
			/* The probe is detached by now, but a hold signal it sent may still be on its
			 * way: keep tracing a little so it stops here (and is refused) instead of
			 * reaching an untraced thread, then deny what is stopped (its registers
			 * already say so) and let this thread's exit detach the rest. */
			uint64_t until = mono_ns() + 100ull * 1000000ull;
			while (mono_ns() < until) {
				poll(NULL, 0, 5);
				while ((tid = waitpid(-1, &status, __WALL | __WNOTHREAD | WNOHANG)) > 0)
					on_wait(h, tid, status);
			}
			for (size_t i = 0; i < h->n_t; i++)
				if (h->t[i].held) {
					struct cmd c = { .tid = h->t[i].tid, .allow = false, .message = NULL };
					apply(h, &c);
				}
			break;
		}
	}
	if (sfd >= 0)
		close(sfd);
	return NULL;
}

int sw_my_holder_start(pid_t pid, const struct sw_my_holder_cfg *cfg, struct sw_my_holder **out, char *err,
		       size_t errlen)
{
	struct sw_my_holder *h = sw_xcalloc(1, sizeof(*h));
	uint64_t v;

	h->pid = pid;
	h->cfg = *cfg;
	pthread_mutex_init(&h->mu, NULL);
	h->out_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	h->cmd_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	h->ready_efd = eventfd(0, EFD_CLOEXEC);
	if (h->out_efd < 0 || h->cmd_efd < 0 || h->ready_efd < 0 ||
	    pthread_create(&h->thread, NULL, holder_main, h) != 0) {
		snprintf(err, errlen, "cannot start the MariaDB holder thread: %s", strerror(errno));
		free(h);
		return -1;
	}
	if (read(h->ready_efd, &v, sizeof(v)) < 0)
		v = 0;
	if (h->dead) {
		snprintf(err, errlen, "%s", h->error);
		pthread_join(h->thread, NULL);
		close(h->out_efd);
		close(h->cmd_efd);
		close(h->ready_efd);
		free(h->t);
		free(h);
		return -1;
	}
	*out = h;
	return 0;
}

int sw_my_holder_fd(const struct sw_my_holder *h)
{
	return h->out_efd;
}

size_t sw_my_holder_take(struct sw_my_holder *h, struct sw_my_stop *out, size_t max)
{
	size_t n;
	uint64_t v;

	if (read(h->out_efd, &v, sizeof(v)) < 0) {
		/* nothing signalled: the queue may still hold stops from before */
	}
	pthread_mutex_lock(&h->mu);
	n = h->n_stops < max ? h->n_stops : max;
	if (n) {
		memcpy(out, h->stops, n * sizeof(*out));
		memmove(h->stops, h->stops + n, (h->n_stops - n) * sizeof(*out));
		h->n_stops -= n;
	}
	if (h->n_stops)
		efd_signal(h->out_efd);
	pthread_mutex_unlock(&h->mu);
	return n;
}

static void queue(struct sw_my_holder *h, pid_t tid, bool allow, const char *message)
{
	pthread_mutex_lock(&h->mu);
	if (h->n_cmds == h->cap_cmds) {
		h->cap_cmds = h->cap_cmds ? h->cap_cmds * 2 : 16;
		h->cmds = sw_xrealloc(h->cmds, h->cap_cmds * sizeof(*h->cmds));
	}
	h->cmds[h->n_cmds++] = (struct cmd){ .tid = tid, .allow = allow, .message = message ? sw_xstrdup(message) : NULL };
	pthread_mutex_unlock(&h->mu);
	efd_signal(h->cmd_efd);
}

void sw_my_holder_allow(struct sw_my_holder *h, pid_t tid)
{
	queue(h, tid, true, NULL);
}

void sw_my_holder_deny(struct sw_my_holder *h, pid_t tid, const char *message)
{
	queue(h, tid, false, message);
}

bool sw_my_holder_read(const struct sw_my_holder *h, uint64_t addr, void *buf, size_t len)
{
	return mem_read(h, addr, buf, len);
}

bool sw_my_read_memory(pid_t pid, uint64_t addr, void *buf, size_t len)
{
	struct iovec local = { buf, len }, remote = { (void *)addr, len };
	return addr && process_vm_readv(pid, &local, 1, &remote, 1, 0) == (ssize_t)len;
}

bool sw_my_holder_alive(const struct sw_my_holder *h, char *why, size_t whylen)
{
	bool dead;
	pthread_mutex_lock((pthread_mutex_t *)&h->mu);
	dead = h->dead;
	if (dead && why)
		snprintf(why, whylen, "%s", h->error);
	pthread_mutex_unlock((pthread_mutex_t *)&h->mu);
	return !dead;
}

size_t sw_my_holder_threads(const struct sw_my_holder *h)
{
	size_t n;
	pthread_mutex_lock((pthread_mutex_t *)&h->mu);
	n = h->n_threads;
	pthread_mutex_unlock((pthread_mutex_t *)&h->mu);
	return n;
}

void sw_my_holder_stop(struct sw_my_holder *h)
{
	if (!h)
		return;
	pthread_mutex_lock(&h->mu);
	h->quit = true;
	pthread_mutex_unlock(&h->mu);
	efd_signal(h->cmd_efd);
	pthread_join(h->thread, NULL);
	for (size_t i = 0; i < h->n_cmds; i++)
		free(h->cmds[i].message);
	free(h->cmds);
	free(h->stops);
	free(h->t);
	close(h->out_efd);
	close(h->cmd_efd);
	close(h->ready_efd);
	pthread_mutex_destroy(&h->mu);
	free(h);
}
