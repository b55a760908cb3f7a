/*
 * rawhttp.h: the benches' HTTP client: one keep-alive TCP connection,
 * requests written as bytes the caller built beforehand, each response
 * read by its Content-Length.  No library sits between the clock and
 * the server, so a round trip costs the server's time and the kernel's
 * loopback, and nothing of a client's own (libcurl adds ~100 us).
 *
 * It reads only what the servers here send: a status line, headers and
 * a body of Content-Length bytes (none for 204 and 304).  Any failure
 * is a bench failure: the functions return -1 and the caller dies.
 */
#ifndef FNHOST_BENCH_RAWHTTP_H
#define FNHOST_BENCH_RAWHTTP_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#define RAW_BUF (64u << 10)

struct raw_conn {
	int fd;
	size_t have;	   /* bytes in buf not yet consumed */
	char buf[RAW_BUF]; /* a response's head and body */
	const char *body;  /* the last response's body, in buf */
	size_t body_len;
};

/* Connect c to addr:port (addr an IPv4 address in network order); 0 or
 * -1. */
static inline int
raw_connect_addr(struct raw_conn *c, in_addr_t addr, unsigned short port)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_port = htons(port),
				 .sin_addr.s_addr = addr };
	int one = 1;

	c->have = 0;
	c->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->fd < 0)
		return -1;
	/* Requests are written whole; Nagle would only delay the next. */
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(c->fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		close(c->fd);
		c->fd = -1;
		return -1;
	}
	return 0;
}

/* Connect c to 127.0.0.1:port; 0 or -1. */
static inline int
raw_connect(struct raw_conn *c, unsigned short port)
{
	return raw_connect_addr(c, htonl(INADDR_LOOPBACK), port);
}

static inline void
raw_close(struct raw_conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
}

/* A request's bytes into out (cap bytes): method, path, the bearer token
 * and one extra header line ("Name: value", no line end) when not NULL,
 * and body (Content-Length is sent for any method but GET).  Returns its
 * length, or 0 when it does not fit. */
static inline size_t
raw_build(char *out, size_t cap, const char *method, const char *path,
	  const char *token, const char *extra, const void *body, size_t len)
{
	int n;

	n = snprintf(out, cap,
		     "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\n%s%s%s%s%s", method,
		     path, token ? "Authorization: Bearer " : "",
		     token ? token : "", token ? "\r\n" : "",
		     extra ? extra : "", extra ? "\r\n" : "");
	if (n < 0 || (size_t)n >= cap)
		return 0;
	if (strcmp(method, "GET") != 0) {
		int m = snprintf(out + n, cap - (size_t)n,
				 "Content-Length: %zu\r\n", len);

		if (m < 0 || (size_t)m >= cap - (size_t)n)
			return 0;
		n += m;
	}
	if ((size_t)n + 2 + len > cap)
		return 0;
	memcpy(out + n, "\r\n", 2);
	if (len)
		memcpy(out + n + 2, body, len);
	return (size_t)n + 2 + len;
}

/* The value of header name in the head [h, end), or -1. */
static inline long
raw_header_long(const char *h, const char *end, const char *name)
{
	size_t nl = strlen(name);
	const char *p;

	for (p = h; p < end; p++) {
		if ((p == h || p[-1] == '\n') && (size_t)(end - p) > nl + 1 &&
		    !strncasecmp(p, name, nl) && p[nl] == ':')
			return strtol(p + nl + 1, NULL, 10);
	}
	return -1;
}

/* Write req[len] and read its response: the status, or -1.  The body is
 * c->body, c->body_len (NUL-terminated), until the next request. */
static inline int
raw_round_trip(struct raw_conn *c, const char *req, size_t len)
{
	size_t off = 0, head, need;
	char *end = NULL;
	long clen;
	int status;
	ssize_t n;

	while (off < len) {
		n = write(c->fd, req + off, len - off);
		if (n <= 0)
			return -1;
		off += (size_t)n;
	}
	c->have = 0;
	for (;;) {
		if (c->have >= 4) {
			c->buf[c->have] = '\0';
			end = strstr(c->buf, "\r\n\r\n");
			if (end)
				break;
		}
		if (c->have >= RAW_BUF - 1)
			return -1;
		n = read(c->fd, c->buf + c->have, RAW_BUF - 1 - c->have);
		if (n <= 0)
			return -1;
		c->have += (size_t)n;
	}
	head = (size_t)(end - c->buf) + 4;
	if (sscanf(c->buf, "HTTP/1.%*d %d", &status) != 1)
		return -1;
	clen = raw_header_long(c->buf, end, "Content-Length");
	if (clen < 0)
		clen = 0; /* 204: no body */
	need = head + (size_t)clen;
	if (need >= RAW_BUF)
		return -1;
	while (c->have < need) {
		n = read(c->fd, c->buf + c->have, need - c->have);
		if (n <= 0)
			return -1;
		c->have += (size_t)n;
	}
	c->buf[need] = '\0';
	c->body = c->buf + head;
	c->body_len = (size_t)clen;
	c->have = 0;
	return status;
}

#endif
