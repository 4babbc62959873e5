/*
 * A PostgreSQL hold (see pg_hold.h): the backend is stopped where the kernel
 * held it; allowing resumes it (SIGCONT), refusing makes PostgreSQL refuse
 * what it was about to do (sw_pg_refuse).
 */
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include "pg_hold.h"
#include "client_owner.h"
#include "daemon_state.h"
#include "outcome_watch.h"
#include "pg_backend.h"
#include "sessions.h"
#include "watchdog.h"

static void pg_hold_release(struct sw_hold *h, bool allow, const char *message)
{
	struct sw_daemon *d = h->engine_ctx;
	struct sw_session_info *s = sw_session_find(d, h->pid);

	(void)message;   /* PostgreSQL's own error tells the client (a cancel, a refused setting) */
	if (allow) {
		sw_outcome_watch(d, h);
		sw_pg_resume(h->pid);
		if (h->type == SW_EV_STATEMENT)
			sw_prepared_commit(d->prepared, h->pid, &h->analysis);
		if (s) {
			sw_session_track(s, &h->analysis);
			/* This approval covers the next execution (Bind) of this text, and only that one. */
			if (h->type == SW_EV_STATEMENT) {
				sw_session_expect_executes(s, &h->analysis, true);
				s->token_valid = true;
				memcpy(s->token_sha256, h->statement_sha256, sizeof(s->token_sha256));
				s->token_hold_id = h->id;
			}
		}
	} else if (!sw_pg_refuse(h->pid, h->type, h->arg0, h->aux)) {
		json_t *f = json_pack("{s:I, s:i, s:s}", "hold_id", (json_int_t)h->id, "pid", h->pid, "problem",
				      "the refusal could not be made certain (the message or setting could not be "
				      "rewritten); the session was terminated instead");
		sw_daemon_note(d, "refusal_uncertain", f);
		json_decref(f);
	}
	/* The watchdog no longer answers for this backend. */
	sw_watchdog_tell(d->watchdog_fd, "R %d\n", h->pid);
}

static bool pg_hold_refusal_ends_session(const struct sw_hold *h)
{
	return sw_pg_refusal_ends_session(h->type, h->aux);
}

static bool pg_hold_client_gone(const struct sw_hold *h)
{
	return sw_client_gone(h->pid);
}

/*
 * The server itself (or a DBA) is ending or cancelling the held backend: the
 * postmaster's fast or immediate shutdown (SIGTERM, SIGQUIT), pg_terminate_backend
 * (SIGTERM) or pg_cancel_backend (SIGINT). The signal waits while the backend is
 * stopped; nobody waits for a decision any more, so the hold is resolved at once
 * (a stopped backend would otherwise hold up `pg_ctl stop -m fast` until the
 * hold's timeout).
 */
static const char *pg_hold_server_ending(const struct sw_hold *h, const char **comment)
{
	uint64_t pend = sw_proc_pending_signals(h->pid);

	if (pend & ((1ull << (SIGTERM - 1)) | (1ull << (SIGQUIT - 1)))) {
		*comment = "the server is ending this session (shutdown or pg_terminate_backend)";
		return "terminated";
	}
	if (pend & (1ull << (SIGINT - 1))) {
		*comment = "the statement was cancelled while held (pg_cancel_backend)";
		return "cancelled";
	}
	return NULL;
}

static const struct sw_hold_ops pg_hold_ops = {
	.release = pg_hold_release,
	.refusal_ends_session = pg_hold_refusal_ends_session,
	.client_gone = pg_hold_client_gone,
	.server_ending = pg_hold_server_ending,
};

void sw_pg_hold_init(struct sw_daemon *d, struct sw_hold *h)
{
	h->engine = SW_ENGINE_POSTGRES;
	h->ops = &pg_hold_ops;
	h->engine_ctx = d;
}
