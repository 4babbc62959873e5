/* Webhook events for held statements (see hold_webhooks.h). */
#include <string.h>
#include "daemon_internal.h"
#include "hold_id.h"
#include "hold_view.h"
#include "hold_webhooks.h"

const char *sw_hold_event_name(enum sw_verdict v, const char *decided_by, const char *outcome)
{
	if (v == SW_VERDICT_ALLOW)
		return "approved";
	if (outcome && strcmp(outcome, "timed_out") == 0)
		return "timed_out";
	if (outcome && strcmp(outcome, "abandoned") == 0)
		return "abandoned";
	if (decided_by && decided_by[0] && strcmp(decided_by, "sqlward") != 0)
		return "denied";
	return "refused";
}

static bool same(const char *a, const char *b)
{
	return a == b || (a && b && strcmp(a, b) == 0);
}

/* POST body (event) to every webhook of h's rules, each webhook and secret once. */
static void send_all(struct sw_daemon *d, const struct sw_hold *h, const char *event, json_t *body)
{
	const struct sw_approval *a = &h->approval;
	char id[SW_HOLD_ID_TEXT_MAX];

	sw_hold_id_format(h->id, id, sizeof(id));
	for (size_t i = 0; i < a->n_rules; i++) {
		const struct sw_approval_rule *r = &a->rules[i];
		bool sent = false;
		if (!r->webhook)
			continue;
		for (size_t k = 0; k < i && !sent; k++)
			sent = same(a->rules[k].webhook, r->webhook) && same(a->rules[k].webhook_secret, r->webhook_secret);
		if (!sent)
			sw_notifier_send(d->notifier, r->webhook, r->webhook_secret, event, id, body);
	}
}

static bool any_webhook(const struct sw_hold *h)
{
	for (size_t i = 0; i < h->approval.n_rules; i++)
		if (h->approval.rules[i].webhook)
			return true;
	return false;
}

/* The common part of every event's body. */
static json_t *event_body(struct sw_daemon *d, const struct sw_hold *h, const char *event)
{
	json_t *hold = sw_hold_view_json(d, h, sw_mono_ns()), *rules = json_array();
	struct timespec now;
	char ts[64];

	clock_gettime(CLOCK_REALTIME, &now);
	sw_format_time(&now, ts, sizeof(ts));
	for (size_t i = 0; i < h->approval.n_rules; i++)
		if (h->approval.rules[i].id)
			json_array_append_new(rules, json_string(h->approval.rules[i].id));
	return json_pack("{s:s, s:s, s:s, s:O, s:o, s:O, s:o}", "event", event, "time", ts, "host", sw_hold_view_host(),
			 "hold_id", json_object_get(hold, "hold_id"), "rules", rules, "commands",
			 json_object_get(hold, "commands"), "hold", hold);
}

void sw_hold_webhooks_held(struct sw_daemon *d, const struct sw_hold *h)
{
	json_t *body;

	if (!any_webhook(h))
		return;
	body = event_body(d, h, "held");
	send_all(d, h, "held", body);
	json_decref(body);
}

void sw_hold_webhooks_decided(struct sw_daemon *d, const struct sw_hold *h, enum sw_verdict v,
			      const char *decided_by, const char *comment, const char *outcome)
{
	const char *event = sw_hold_event_name(v, decided_by, outcome);
	json_t *body;

	if (!any_webhook(h))
		return;
	body = event_body(d, h, event);
	json_object_set_new(body, "decision", json_pack("{s:s?, s:s?, s:s?}", "outcome", outcome, "decided_by",
							decided_by, "comment", comment));
	send_all(d, h, event, body);
	json_decref(body);
}

void sw_hold_webhooks_note(struct sw_daemon *d, const struct sw_hold *h, const char *event, const char *user,
			   const char *comment, const char *message)
{
	json_t *body;

	if (!any_webhook(h))
		return;
	body = event_body(d, h, event);
	json_object_set_new(body, "user", json_string(user));
	if (comment)
		json_object_set_new(body, "comment", json_string(comment));
	json_object_set_new(body, "message", json_string(message));
	send_all(d, h, event, body);
	json_decref(body);
}
