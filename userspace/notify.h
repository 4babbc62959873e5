/*
 * Webhook notifications: a worker thread POSTs JSON bodies (libcurl) and
 * retries failures with exponential backoff. Enqueueing never blocks the
 * gate, and a failing webhook never affects a hold.
 *
 * A body sent with a secret is signed: header
 *   X-Sqlward-Signature: sha256=<hex HMAC-SHA256(secret, body bytes)>
 * (also X-Sqlward-Event, X-Sqlward-Hold). A receiver recomputes the HMAC
 * over the exact bytes it received and compares in constant time.
 *
 * Failures are visible: counters and the last error (sw_notifier_status_json,
 * shown by `sqlward status`), and one "webhook_failed" ledger record per
 * notification given up on, which the daemon's loop writes with
 * sw_notifier_drain. Webhook URLs are shown redacted (scheme, host and port;
 * a chat webhook's path is its password).
 */
#ifndef SQLWARD_NOTIFY_H
#define SQLWARD_NOTIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>

struct sw_notifier;
struct sw_ledger;

struct sw_notifier *sw_notifier_start(void);
/*
 * Queue one POST of body to url. secret (may be NULL: unsigned) signs it;
 * event and hold_id (may be NULL) name it in headers and failure reports.
 * The notifier serializes body now (the caller keeps its reference).
 */
void sw_notifier_send(struct sw_notifier *n, const char *url, const char *secret, const char *event,
		      const char *hold_id, json_t *body);
/* The same, unsigned, with event taken from body's "event". */
void sw_notifier_post(struct sw_notifier *n, const char *url, json_t *body);
/*
 * {"queued", "delivered", "failed_attempts", "given_up", "dropped", "recorded",
 *  "last_error": {"time", "webhook", "event", "hold_id", "attempts", "error"} | null}
 */
json_t *sw_notifier_status_json(struct sw_notifier *n);
/*
 * Append a "webhook_failed" record (synced) for every notification given up
 * on since the last call; the daemon calls this on every tick of its loop and
 * before it stops. Returns how many were written.
 */
size_t sw_notifier_drain(struct sw_notifier *n, struct sw_ledger *ledger);
/*
 * Wait up to timeout_ms for every queued notification to be delivered or
 * given up on (a retry due later than that is not waited for). The daemon
 * calls it when it stops, after refusing what it held, so those events go
 * out; then sw_notifier_drain, then sw_notifier_stop. true when nothing is left.
 */
bool sw_notifier_flush(struct sw_notifier *n, unsigned timeout_ms);
/* Stop the worker; undelivered notifications are dropped (and said so). */
void sw_notifier_stop(struct sw_notifier *n);

/* hex HMAC-SHA256 of data under key, into out[65]. */
void sw_hmac_sha256_hex(const void *key, size_t keylen, const void *data, size_t len, char out[65]);
/* "https://hooks.example:8443/…": scheme, host and port of url, path cut. */
void sw_webhook_redact(const char *url, char *out, size_t len);

#endif
