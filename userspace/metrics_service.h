/*
 * The daemon's metrics outputs (--metrics-listen, --metrics-textfile): the
 * gauges read from its state at each rendering, the HTTP endpoint
 * (metrics_http.h) served from the daemon's loop, and the textfile-collector
 * file rewritten atomically every SW_METRICS_TEXTFILE_S seconds. Called by
 * daemon.c only.
 */
#ifndef SQLWARD_METRICS_SERVICE_H
#define SQLWARD_METRICS_SERVICE_H

#include <stddef.h>
#include <stdint.h>

#define SW_METRICS_TEXTFILE_S 5

struct sw_daemon;
struct sw_metrics_service;

/* NULL with *err empty when neither output is asked for; NULL with err set on a bad option. */
struct sw_metrics_service *sw_metrics_service_open(struct sw_daemon *d, char *err, size_t errlen);
/* The fd for the daemon's loop, or -1 (no HTTP endpoint). */
int sw_metrics_service_fd(const struct sw_metrics_service *s);
/* That fd is readable. */
void sw_metrics_service_ready(struct sw_metrics_service *s);
/* Once a second: expire slow clients, rewrite the textfile when it is due. */
void sw_metrics_service_tick(struct sw_metrics_service *s, uint64_t now_ns);
/* Writes the textfile a last time (the daemon's final counts), closes the listener. */
void sw_metrics_service_close(struct sw_metrics_service *s);

#endif
