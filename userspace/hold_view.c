/* The reviewer's view of a hold (see hold_view.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "daemon_internal.h"
#include "hold_batch.h"
#include "hold_id.h"
#include "hold_view.h"
#include "util.h"

const char *sw_hold_view_host(void)
{
	static char host[256];

	if (!host[0] && gethostname(host, sizeof(host) - 1) != 0)
		snprintf(host, sizeof(host), "localhost");
	return host;
}

/* path as one shell word. */
static void shell_word(const char *s, struct sw_sbuf *b)
{
	if (s[strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_./:=@%+-")] == 0) {
		sw_sbuf_str(b, s);
		return;
	}
	sw_sbuf_str(b, "'");
	for (; *s; s++) {
		if (*s == '\'')
			sw_sbuf_str(b, "'\\''");
		else
			sw_sbuf_add(b, s, 1);
	}
	sw_sbuf_str(b, "'");
}

/* " --socket PATH" when the daemon is not on the default socket. */
static void socket_option(const struct sw_daemon *d, struct sw_sbuf *b)
{
	if (d->opts && d->opts->socket_path && strcmp(d->opts->socket_path, SW_DEFAULT_SOCKET) != 0) {
		sw_sbuf_str(b, " --socket ");
		shell_word(d->opts->socket_path, b);
	}
}

void sw_hold_view_session(const struct sw_hold *h, char *buf, size_t len)
{
	json_t *conn = json_object_get(h->extra, "connection_id");

	sw_hold_batch_session_key(h->engine, h->pid, json_is_integer(conn) ? (int64_t)json_integer_value(conn) : -1,
				  buf, len);
}

void sw_hold_view_session_command(const struct sw_daemon *d, const char *session, const char *verb,
				  const char *digest, char *buf, size_t len)
{
	struct sw_sbuf b = { 0 };

	sw_sbuf_printf(&b, "sqlward %s --session %s", verb, session);
	if (digest)
		sw_sbuf_printf(&b, " --batch-digest %.*s", SW_BATCH_DIGEST_PREFIX_MIN, digest);
	socket_option(d, &b);
	snprintf(buf, len, "%s", b.s);
	free(b.s);
}

void sw_hold_view_command(const struct sw_daemon *d, const struct sw_hold *h, const char *verb, char *buf, size_t len)
{
	char id[SW_HOLD_ID_TEXT_MAX];
	struct sw_sbuf b = { 0 };

	sw_hold_id_format(h->id, id, sizeof(id));
	sw_sbuf_printf(&b, "sqlward %s %s", verb, id);
	if (strcmp(verb, "approve") == 0)
		sw_sbuf_printf(&b, " --sha256 %.*s", SW_SHA256_PREFIX_SHOWN, h->statement_sha256);
	socket_option(d, &b);
	snprintf(buf, len, "%s", b.s);
	free(b.s);
}

json_t *sw_hold_view_json(const struct sw_daemon *d, const struct sw_hold *h, uint64_t now_ns)
{
	json_t *o = sw_hold_json(d, h, now_ns), *by = json_array();
	char id[SW_HOLD_ID_TEXT_MAX], show[512], approve[512], deny[512], show_session[512], ts[64];
	char session[SW_SESSION_KEY_MAX];
	double left = h->deadline_ns > now_ns ? (double)(h->deadline_ns - now_ns) / 1e9 : 0.0;
	struct timespec expires;

	sw_hold_id_format(h->id, id, sizeof(id));
	/* A plain counter stays a number, as older daemons and scripts have it. */
	if (sw_hold_id_run(h->id))
		json_object_set_new(o, "id", json_string(id));
	json_object_set_new(o, "hold_id", json_string(id));
	json_object_set_new(o, "host", json_string(sw_hold_view_host()));
	json_object_set_new(o, "approval", sw_approval_json(&h->approval));
	json_object_set_new(o, "approvals_required", json_integer(h->approval.required));
	for (size_t i = 0; i < h->approval.n_entries; i++)
		json_array_append_new(by, json_string(h->approval.entries[i].user));
	json_object_set_new(o, "approved_by", by);
	clock_gettime(CLOCK_REALTIME, &expires);
	expires.tv_sec += (time_t)left;
	sw_format_time(&expires, ts, sizeof(ts));
	json_object_set_new(o, "time_left_s", json_real(left));
	json_object_set_new(o, "expires_at", json_string(ts));
	json_object_set_new(o, "requester_user", h->approval.requester_known && h->approval.requester
							 ? json_string(h->approval.requester) : json_null());
	sw_hold_view_session(h, session, sizeof(session));
	json_object_set_new(o, "session", json_string(session));
	sw_hold_view_session_command(d, session, "show", NULL, show_session, sizeof(show_session));
	sw_hold_view_command(d, h, "show", show, sizeof(show));
	sw_hold_view_command(d, h, "approve", approve, sizeof(approve));
	sw_hold_view_command(d, h, "deny", deny, sizeof(deny));
	json_object_set_new(o, "commands", json_pack("{s:s, s:s, s:s, s:s}", "show", show, "approve", approve, "deny", deny,
							 "show_session", show_session));
	return o;
}
