/*
 * A tiny HTTP/1.x listener for Prometheus scrapes, run from the daemon's own
 * loop: everything non-blocking, one fd for the loop to wait on (an epoll set
 * of its own holding the listener and the clients), GET (or HEAD) /metrics
 * only, requests up to 4 KiB, one response per connection then close, at
 * most 8 clients at a time, each given 5 seconds. Nothing it does can wait:
 * a slow or hostile client only loses its connection, the gate never stalls.
 */
#ifndef SQLWARD_METRICS_HTTP_H
#define SQLWARD_METRICS_HTTP_H

#include <stddef.h>
#include <stdint.h>
#include "util.h"

struct sw_metrics_http;

/* Renders the body of one response (appended to out). */
typedef void (*sw_metrics_render_fn)(void *ctx, struct sw_sbuf *out);

/*
 * Listen on addr: "HOST:PORT", "[V6HOST]:PORT" or "PORT" (127.0.0.1),
 * numeric hosts only (plus "localhost"): no name lookup. NULL with err
 * (what to fix) when the address is malformed or cannot be bound.
 */
struct sw_metrics_http *sw_metrics_http_open(const char *addr, sw_metrics_render_fn render, void *ctx,
					     char *err, size_t errlen);
/* The fd the daemon's loop waits on (readable: call sw_metrics_http_ready). */
int sw_metrics_http_fd(const struct sw_metrics_http *h);
/* The port bound (useful with port 0). */
int sw_metrics_http_port(const struct sw_metrics_http *h);
/* Accept, read, answer, write what can be written now, close what is done. Never blocks. */
void sw_metrics_http_ready(struct sw_metrics_http *h);
/* Close clients past their deadline (call about once a second). */
void sw_metrics_http_expire(struct sw_metrics_http *h, uint64_t now_ns);
void sw_metrics_http_close(struct sw_metrics_http *h);

#endif
