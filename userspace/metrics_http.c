/* The Prometheus scrape listener (see metrics_http.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include "metrics.h"
#include "metrics_http.h"

#define MAX_CLIENTS 8
#define REQUEST_MAX 4096
#define CLIENT_TIME_NS (5ull * 1000000000ull)
#define LISTENER_TAG UINT64_MAX

struct client {
	int fd;                     /* -1: free slot */
	char req[REQUEST_MAX];
	size_t req_len;
	bool answering;             /* the response is in resp, being written */
	bool draining;              /* all written, our side shut: reading until the client closes */
	struct sw_sbuf resp;
	size_t sent;
	uint64_t deadline_ns;
};

struct sw_metrics_http {
	int ep;                     /* our own epoll set: the listener and the clients */
	int lfd;
	int port;
	sw_metrics_render_fn render;
	void *ctx;
	struct client c[MAX_CLIENTS];
};

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* "HOST:PORT", "[V6]:PORT" or "PORT" into a socket address. */
static bool parse_addr(const char *addr, struct sockaddr_storage *ss, socklen_t *sl, char *err, size_t errlen)
{
	char host[64];
	const char *colon = strrchr(addr, ':'), *port_s = colon ? colon + 1 : addr;
	size_t hl = colon ? (size_t)(colon - addr) : 0;
	char *end;
	long port;

	errno = 0;
	port = strtol(port_s, &end, 10);
	if (!*port_s || *end || errno || port < 0 || port > 65535) {
		snprintf(err, errlen, "--metrics-listen %s: no valid port; give HOST:PORT (e.g. 127.0.0.1:9477) or a port", addr);
		return false;
	}
	if (hl >= 2 && addr[0] == '[' && addr[hl - 1] == ']') {   /* [v6] */
		addr++;
		hl -= 2;
	}
	if (hl >= sizeof(host)) {
		snprintf(err, errlen, "--metrics-listen %s: host too long", addr);
		return false;
	}
	memcpy(host, addr, hl);
	host[hl] = 0;
	if (!host[0] || strcmp(host, "localhost") == 0)
		strcpy(host, "127.0.0.1");
	memset(ss, 0, sizeof(*ss));
	{
		struct sockaddr_in *v4 = (struct sockaddr_in *)ss;
		struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)ss;
		if (inet_pton(AF_INET, host, &v4->sin_addr) == 1) {
			v4->sin_family = AF_INET;
			v4->sin_port = htons((uint16_t)port);
			*sl = sizeof(*v4);
			return true;
		}
		if (inet_pton(AF_INET6, host, &v6->sin6_addr) == 1) {
			v6->sin6_family = AF_INET6;
			v6->sin6_port = htons((uint16_t)port);
			*sl = sizeof(*v6);
			return true;
		}
	}
	snprintf(err, errlen, "--metrics-listen %s: \"%s\" is not a numeric IPv4 or IPv6 address (no name lookup "
		 "is done); give e.g. 127.0.0.1:9477 or [::1]:9477", addr, host);
	return false;
}

struct sw_metrics_http *sw_metrics_http_open(const char *addr, sw_metrics_render_fn render, void *ctx,
					     char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	socklen_t sl = 0;
	struct sw_metrics_http *h;
	int one = 1;

	if (!parse_addr(addr, &ss, &sl, err, errlen))
		return NULL;
	h = calloc(1, sizeof(*h));
	if (!h) {
		snprintf(err, errlen, "--metrics-listen: out of memory");
		return NULL;
	}
	h->render = render;
	h->ctx = ctx;
	for (int i = 0; i < MAX_CLIENTS; i++)
		h->c[i].fd = -1;
	h->ep = epoll_create1(EPOLL_CLOEXEC);
	h->lfd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (h->ep < 0 || h->lfd < 0) {
		snprintf(err, errlen, "--metrics-listen %s: cannot create a socket: %s", addr, strerror(errno));
		goto fail;
	}
	setsockopt(h->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(h->lfd, (struct sockaddr *)&ss, sl) < 0) {
		snprintf(err, errlen, "--metrics-listen %s: cannot bind: %s%s", addr, strerror(errno),
			 errno == EADDRINUSE ? "; another process listens there: pick another port or stop it"
					     : errno == EADDRNOTAVAIL ? "; the address is not one of this host's" : "");
		goto fail;
	}
	if (listen(h->lfd, 16) < 0 ||
	    epoll_ctl(h->ep, EPOLL_CTL_ADD, h->lfd, &(struct epoll_event){ .events = EPOLLIN, .data.u64 = LISTENER_TAG })) {
		snprintf(err, errlen, "--metrics-listen %s: cannot listen: %s", addr, strerror(errno));
		goto fail;
	}
	{
		struct sockaddr_storage bound;
		socklen_t bl = sizeof(bound);
		if (getsockname(h->lfd, (struct sockaddr *)&bound, &bl) == 0)
			h->port = ntohs(bound.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&bound)->sin6_port
								    : ((struct sockaddr_in *)&bound)->sin_port);
	}
	return h;
fail:
	sw_metrics_http_close(h);
	return NULL;
}

int sw_metrics_http_fd(const struct sw_metrics_http *h)
{
	return h->ep;
}

int sw_metrics_http_port(const struct sw_metrics_http *h)
{
	return h->port;
}

static void client_close(struct sw_metrics_http *h, struct client *c)
{
	if (c->fd < 0)
		return;
	epoll_ctl(h->ep, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	c->fd = -1;
	free(c->resp.s);
	memset(&c->resp, 0, sizeof(c->resp));
	c->req_len = c->sent = 0;
	c->answering = c->draining = false;
}

/* Write what the socket takes now; close once all is sent (or the client is gone). */
static void client_write(struct sw_metrics_http *h, struct client *c)
{
	while (c->sent < c->resp.len) {
		ssize_t n = send(c->fd, c->resp.s + c->sent, c->resp.len - c->sent, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;   /* EPOLLOUT brings us back */
		if (n <= 0) {
			client_close(h, c);
			return;
		}
		c->sent += (size_t)n;
	}
	/* Lingering close: closing now with unread request bytes would reset the connection and
	 * could destroy the response on its way; read until the client closes (or its deadline). */
	shutdown(c->fd, SHUT_WR);
	c->draining = true;
	c->answering = false;
	epoll_ctl(h->ep, EPOLL_CTL_MOD, c->fd, &(struct epoll_event){ .events = EPOLLIN, .data.u64 = (uint64_t)(c - h->c) });
}

static void client_drain(struct sw_metrics_http *h, struct client *c)
{
	char sink[4096];

	for (int k = 0; k < 16; k++) {
		ssize_t n = recv(c->fd, sink, sizeof(sink), MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n <= 0)
			break;
	}
	client_close(h, c);   /* the client closed, failed, or keeps sending: done either way */
}

static void respond(struct sw_metrics_http *h, struct client *c, const char *status, bool head, const char *type,
		    const char *body, size_t body_len)
{
	sw_sbuf_printf(&c->resp, "HTTP/1.1 %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n",
		       status, type, body_len);
	if (!head)
		sw_sbuf_add(&c->resp, body, body_len);
	c->answering = true;
	epoll_ctl(h->ep, EPOLL_CTL_MOD, c->fd, &(struct epoll_event){ .events = EPOLLOUT, .data.u64 = (uint64_t)(c - h->c) });
	client_write(h, c);
}

static void respond_text(struct sw_metrics_http *h, struct client *c, const char *status, const char *text)
{
	respond(h, c, status, false, "text/plain; charset=utf-8", text, strlen(text));
}

/* A whole request head is in c->req: answer it. */
static void answer(struct sw_metrics_http *h, struct client *c)
{
	char method[16], target[256];
	const char *path_end;
	size_t plen;
	bool head;

	if (sscanf(c->req, "%15s %255s HTTP/1.%*1[01]", method, target) != 2) {
		respond_text(h, c, "400 Bad Request", "sqlward: not an HTTP/1.x request; GET /metrics\n");
		return;
	}
	head = strcmp(method, "HEAD") == 0;
	if (strcmp(method, "GET") && !head) {
		respond_text(h, c, "405 Method Not Allowed", "sqlward: only GET /metrics is served\n");
		return;
	}
	path_end = strchr(target, '?');
	plen = path_end ? (size_t)(path_end - target) : strlen(target);
	if (plen != 8 || memcmp(target, "/metrics", 8) != 0) {
		respond_text(h, c, "404 Not Found", "sqlward: only GET /metrics is served\n");
		return;
	}
	{
		struct sw_sbuf body = { 0 };
		h->render(h->ctx, &body);
		respond(h, c, "200 OK", head, SW_METRICS_CONTENT_TYPE, body.s ? body.s : "", body.len);
		free(body.s);
	}
}

static void client_read(struct sw_metrics_http *h, struct client *c)
{
	for (;;) {
		ssize_t n;
		if (c->req_len == REQUEST_MAX - 1) {
			respond_text(h, c, "431 Request Header Fields Too Large",
				     "sqlward: request over 4 KiB; GET /metrics needs no more\n");
			return;
		}
		n = recv(c->fd, c->req + c->req_len, REQUEST_MAX - 1 - c->req_len, MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n <= 0) {   /* gone before asking */
			client_close(h, c);
			return;
		}
		c->req_len += (size_t)n;
		c->req[c->req_len] = 0;
		if (memchr(c->req, 0, c->req_len)) {
			respond_text(h, c, "400 Bad Request", "sqlward: NUL byte in the request\n");
			return;
		}
		if (strstr(c->req, "\r\n\r\n") || strstr(c->req, "\n\n")) {
			answer(h, c);
			return;
		}
	}
}

static void accept_all(struct sw_metrics_http *h)
{
	/* A bounded number per call: a connection flood cannot keep the loop here. */
	for (int k = 0; k < 16; k++) {
		int fd = accept4(h->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC), slot = -1;
		if (fd < 0)
			return;
		for (int i = 0; i < MAX_CLIENTS && slot < 0; i++)
			if (h->c[i].fd < 0)
				slot = i;
		if (slot < 0 || epoll_ctl(h->ep, EPOLL_CTL_ADD, fd,
					  &(struct epoll_event){ .events = EPOLLIN, .data.u64 = (uint64_t)slot })) {
			close(fd);   /* busy: the scraper retries at its next interval */
			continue;
		}
		h->c[slot].fd = fd;
		h->c[slot].deadline_ns = now_ns() + CLIENT_TIME_NS;
	}
}

void sw_metrics_http_ready(struct sw_metrics_http *h)
{
	struct epoll_event evs[MAX_CLIENTS + 1];
	int n = epoll_wait(h->ep, evs, MAX_CLIENTS + 1, 0);

	for (int i = 0; i < n; i++) {
		struct client *c;
		if (evs[i].data.u64 == LISTENER_TAG) {
			accept_all(h);
			continue;
		}
		c = &h->c[evs[i].data.u64];
		if (c->fd < 0)
			continue;
		if (c->answering)
			client_write(h, c);
		else if (c->draining)
			client_drain(h, c);
		else
			client_read(h, c);
	}
}

void sw_metrics_http_expire(struct sw_metrics_http *h, uint64_t now)
{
	for (int i = 0; i < MAX_CLIENTS; i++)
		if (h->c[i].fd >= 0 && now >= h->c[i].deadline_ns)
			client_close(h, &h->c[i]);
}

void sw_metrics_http_close(struct sw_metrics_http *h)
{
	if (!h)
		return;
	for (int i = 0; i < MAX_CLIENTS; i++)
		client_close(h, &h->c[i]);
	if (h->lfd >= 0)
		close(h->lfd);
	if (h->ep >= 0)
		close(h->ep);
	free(h);
}
