/*
 * Webhook notifications for held statements: a worker thread POSTs the
 * dossier as JSON (libcurl) and retries failures with exponential backoff.
 * Enqueueing never blocks the gate, and a failing webhook never affects the hold.
 */
#ifndef SQLWARD_NOTIFY_H
#define SQLWARD_NOTIFY_H

#include <jansson.h>

struct sw_notifier;

struct sw_notifier *sw_notifier_start(void);
/* Queue one POST of body (the notifier takes its own reference). */
void sw_notifier_post(struct sw_notifier *n, const char *url, json_t *body);
/* Stop the worker; undelivered notifications are dropped (and said so). */
void sw_notifier_stop(struct sw_notifier *n);

#endif
