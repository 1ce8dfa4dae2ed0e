/* SPDX-License-Identifier: MIT */
/*
 * sonde serve's HTTP/1.1 server: GET /metrics (and HEAD), one request
 * per connection (Connection: close), non-blocking sockets served from
 * the caller's poll loop. Written here rather than taken from
 * libmicrohttpd: a scrape is one small GET, and the library's own
 * threads or its select loop would sit beside sonde's signal handling
 * and table reads, which must stay on one thread; this is ~250 lines
 * that never block.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "serve.h"

#define MAX_CONNS 16
#define MAX_REQUEST 8192
#define CONN_TIMEOUT 10 /* seconds from accept to the reply's end */

struct conn {
	int fd;
	char req[MAX_REQUEST];
	size_t got;
	struct serve_buf reply;
	size_t sent;
	bool replying;
	time_t since;
	void *snap;	/* a profile waiting for its seconds */
	uint64_t due_ms; /* CLOCK_MONOTONIC */
	int seconds;
	bool head;
};

struct serve_http {
	int listen_fd;
	struct conn conns[MAX_CONNS];
};

/* ADDR:PORT, [ADDR6]:PORT; "" or "*" as ADDR: every address */
struct serve_http *serve_http_open(const char *where, int *status)
{
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM,
				 .ai_flags = AI_PASSIVE | AI_NUMERICHOST |
					     AI_NUMERICSERV};
	struct addrinfo *ai = NULL;
	struct serve_http *h = NULL;
	char *host = strdup(where), *port, *end;
	int one = 1, err, i, fd;
	long pn;

	*status = EXIT_USAGE;
	if (!host)
		return NULL;
	port = strrchr(host, ':');
	pn = port ? strtol(port + 1, &end, 10) : -1;
	if (!port || !port[1] || pn < 0 || pn > 65535 || *end) {
		fprintf(stderr, "%s: --listen takes ADDR:PORT, not '%s'\n",
			prog, where);
		goto out;
	}
	*port++ = '\0';
	if (host[0] == '[' && strlen(host) > 1 && host[strlen(host) - 1] == ']') {
		host[strlen(host) - 1] = '\0';
		memmove(host, host + 1, strlen(host));
	}
	err = getaddrinfo(*host && strcmp(host, "*") ? host : NULL, port,
			  &hints, &ai);
	if (err) {
		fprintf(stderr, "%s: --listen %s: %s\n", prog, where,
			gai_strerror(err));
		goto out;
	}
	*status = EXIT_RUNTIME;
	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(fd, ai->ai_addr, ai->ai_addrlen) || listen(fd, 16) ||
	    !(h = calloc(1, sizeof(*h)))) {
		fprintf(stderr, "%s: --listen %s: %s\n", prog, where,
			strerror(errno));
		if (fd >= 0)
			close(fd);
		goto out;
	}
	h->listen_fd = fd;
	for (i = 0; i < MAX_CONNS; i++)
		h->conns[i].fd = -1;
	*status = 0;
out:
	if (ai)
		freeaddrinfo(ai);
	free(host);
	return h;
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void conn_close(struct conn *c)
{
	serve_pprof_free(c->snap); /* a profile not sent */
	c->snap = NULL;
	if (c->fd >= 0)
		close(c->fd);
	serve_buf_free(&c->reply);
	c->fd = -1;
	c->got = c->sent = 0;
	c->replying = false;
}

void serve_http_close(struct serve_http *h)
{
	int i;

	if (!h)
		return;
	for (i = 0; i < MAX_CONNS; i++)
		conn_close(&h->conns[i]);
	close(h->listen_fd);
	free(h);
}

int serve_http_nfds(const struct serve_http *h)
{
	return 1 + MAX_CONNS;
}

void serve_http_pollfds(struct serve_http *h, struct pollfd *fds)
{
	int i;

	fds[0] = (struct pollfd){.fd = h->listen_fd, .events = POLLIN};
	for (i = 0; i < MAX_CONNS; i++) {
		struct conn *c = &h->conns[i];

		fds[i + 1] = (struct pollfd){
			.fd = c->fd,
			/* a waiting profile: only to see its client go */
			.events = c->snap ? POLLRDHUP : c->replying ? POLLOUT : POLLIN,
		};
	}
}

static void reply(struct conn *c, const char *status, const char *type,
		  struct serve_buf *body, bool head)
{
	serve_buf_add(&c->reply,
		      "HTTP/1.1 %s\r\n"
		      "Content-Type: %s\r\n"
		      "Content-Length: %zu\r\n%s"
		      "Connection: close\r\n\r\n",
		      status, type, body->len,
		      strcmp(type, "application/octet-stream") ? "" :
		      "Content-Disposition: attachment; filename=\"profile\"\r\n");
	if (!head && body->len)
		serve_buf_put(&c->reply, body->p, body->len);
	c->replying = true;
}

static void reply_text(struct conn *c, const char *status, const char *text)
{
	struct serve_buf b = {0};

	serve_buf_add(&b, "%s\n", text);
	reply(c, status, "text/plain; charset=utf-8", &b, false);
	serve_buf_free(&b);
}

/* The request line, once the headers are in: method, path, version. */
/* The profile, once its seconds are over. */
static void profile_reply(struct conn *c, const struct serve_pages *pages)
{
	struct serve_buf body = {0};
	void *snap = c->snap;

	c->snap = NULL;
	if (pages->profile_end(snap, c->seconds, &body, pages->ctx) || body.failed)
		reply_text(c, "500 Internal Server Error", "out of memory");
	else
		reply(c, "200 OK", "application/octet-stream", &body, c->head);
	serve_buf_free(&body);
	c->since = time(NULL);
}

static void answer(struct conn *c, const struct serve_pages *pages)
{
	char method[16], path[1024], version[16], msg[256];
	struct serve_buf body = {0};
	const char *query;
	bool head;
	int code;

	if (sscanf(c->req, "%15s %1023s HTTP/%15s", method, path, version) != 3 ||
	    strncmp(version, "1.", 2)) {
		reply_text(c, "400 Bad Request", "bad request");
		return;
	}
	head = !strcmp(method, "HEAD");
	if (strcmp(method, "GET") && !head) {
		reply_text(c, "405 Method Not Allowed", "only GET");
		return;
	}
	query = path[strcspn(path, "?")] ? path + strcspn(path, "?") + 1 : "";
	path[strcspn(path, "?")] = '\0';
	if (!strcmp(path, "/debug/pprof/profile")) {
		code = pages->profile_start(query, &c->snap, &c->seconds, msg,
					    sizeof(msg), pages->ctx);
		c->head = head;
		if (code == 200)
			c->due_ms = now_ms() + (uint64_t)c->seconds * 1000;
		else
			reply_text(c, code == 404 ? "404 Not Found" :
				      code == 400 ? "400 Bad Request" :
				      "500 Internal Server Error", msg);
		return;
	}
	if (!strcmp(path, "/")) {
		reply_text(c, "200 OK", "sonde serve: the metrics are at /metrics");
		return;
	}
	if (strcmp(path, "/metrics")) {
		reply_text(c, "404 Not Found", "not found: the metrics are at /metrics");
		return;
	}
	pages->metrics(&body, pages->ctx);
	if (body.failed)
		reply_text(c, "500 Internal Server Error", "out of memory");
	else
		reply(c, "200 OK", "text/plain; version=0.0.4; charset=utf-8",
		      &body, head);
	serve_buf_free(&body);
}

static void accept_new(struct serve_http *h)
{
	int fd, i;

	while ((fd = accept4(h->listen_fd, NULL, NULL,
			     SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
		for (i = 0; i < MAX_CONNS && h->conns[i].fd >= 0; i++)
			;
		if (i == MAX_CONNS) { /* busy: the client retries */
			close(fd);
			continue;
		}
		h->conns[i].fd = fd;
		h->conns[i].since = time(NULL);
	}
}

static void conn_read(struct conn *c, const struct serve_pages *pages)
{
	ssize_t n = read(c->fd, c->req + c->got, sizeof(c->req) - 1 - c->got);

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		conn_close(c);
		return;
	}
	c->got += (size_t)n;
	c->req[c->got] = '\0';
	if (strstr(c->req, "\r\n\r\n") || strstr(c->req, "\n\n"))
		answer(c, pages);
	else if (c->got == sizeof(c->req) - 1)
		reply_text(c, "431 Request Header Fields Too Large",
			   "request too large");
}

static void conn_write(struct conn *c)
{
	ssize_t n = send(c->fd, c->reply.p + c->sent, c->reply.len - c->sent,
			 MSG_NOSIGNAL);

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n < 0) {
		conn_close(c);
		return;
	}
	c->sent += (size_t)n;
	if (c->sent == c->reply.len) {
		shutdown(c->fd, SHUT_WR);
		conn_close(c);
	}
}

void serve_http_service(struct serve_http *h, const struct pollfd *fds,
			const struct serve_pages *pages)
{
	time_t now = time(NULL);
	int i;

	for (i = 0; i < MAX_CONNS; i++) {
		struct conn *c = &h->conns[i];
		short ev = fds[i + 1].revents;

		if (c->fd < 0 || fds[i + 1].fd != c->fd)
			continue;
		if (ev & (POLLERR | POLLNVAL | (c->snap ? POLLHUP | POLLRDHUP : 0)))
			conn_close(c);
		else if (c->snap && now_ms() >= c->due_ms)
			profile_reply(c, pages);
		else if (c->replying && (ev & POLLOUT))
			conn_write(c);
		else if (!c->replying && !c->snap && (ev & (POLLIN | POLLHUP)))
			conn_read(c, pages);
		if (c->fd >= 0 && !c->snap && now - c->since > CONN_TIMEOUT)
			conn_close(c);
	}
	if (fds[0].revents & POLLIN)
		accept_new(h);
}
