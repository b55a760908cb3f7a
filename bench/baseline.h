/*
 * baseline.h: the two servers fnhostd is measured against, in the bench's
 * own process, both libmicrohttpd run as fnhostd runs it (an internal
 * epoll thread per pool thread, MHD_OPTION_THREAD_POOL_SIZE threads):
 *
 *	plain	GET / answers "hello"; POST / answers its body back
 *	bare	what fnhostd does for a session, without a sandbox, a store,
 *		a token or a signature: POST /s forks a child that echoes
 *		length-prefixed frames on a socketpair (as a worker serves
 *		invokes on its channel) and answers its number;
 *		POST /s/N/invoke is one frame there and back; DELETE /s/N
 *		closes the socketpair and reaps the child; POST /run is all
 *		three in one request
 *
 * What fnhostd costs beyond plain is its own work per request; beyond
 * bare, the sandbox, its bookkeeping and its checks per session.
 */
#ifndef FNHOST_BENCH_BASELINE_H
#define FNHOST_BENCH_BASELINE_H

#include <microhttpd.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define BASE_BODY_MAX 4096
#define BARE_SESSIONS 256

/* A request's uploaded body, kept per request in *ctx.  Every answer is
 * queued from the second call on, after the whole request is read, as
 * fnhostd's are: libmicrohttpd closes a connection whose answer was
 * queued on the first call, which would make a keep-alive baseline
 * reconnect each time. */
struct base_upload {
	size_t len;
	char buf[BASE_BODY_MAX];
};

struct bare_session {
	int fd; /* -1: free */
	pid_t pid;
};

static struct {
	pthread_mutex_t lock;
	struct bare_session s[BARE_SESSIONS];
} bare = { .lock = PTHREAD_MUTEX_INITIALIZER };

static void
base_completed(void *cls, struct MHD_Connection *c, void **ctx,
	       enum MHD_RequestTerminationCode toe)
{
	(void)cls, (void)c, (void)toe;
	free(*ctx);
	*ctx = NULL;
}

/* Gather a POST body into *ctx; true once it is whole. */
static bool
base_upload(void **ctx, const char *data, size_t *len, bool *more)
{
	struct base_upload *u = *ctx;

	*more = false;
	if (!u) {
		u = calloc(1, sizeof(*u));
		*ctx = u;
		*more = u != NULL;
		return false;
	}
	if (*len) {
		size_t room = sizeof(u->buf) - u->len;
		size_t n = *len < room ? *len : room;

		memcpy(u->buf + u->len, data, n);
		u->len += n;
		*len = 0;
		*more = true;
		return false;
	}
	return true;
}

static enum MHD_Result
base_answer(struct MHD_Connection *c, unsigned status, const void *buf,
	    size_t len)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	r = MHD_create_response_from_buffer(len, (void *)buf,
					    MHD_RESPMEM_MUST_COPY);
	if (!r)
		return MHD_NO;
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result
plain_handler(void *cls, struct MHD_Connection *c, const char *url,
	      const char *method, const char *version, const char *data,
	      size_t *len, void **ctx)
{
	struct base_upload *u;
	bool more;

	(void)cls, (void)url, (void)version;
	if (!base_upload(ctx, data, len, &more))
		return more ? MHD_YES : MHD_NO;
	u = *ctx;
	if (!strcmp(method, "GET"))
		return base_answer(c, 200, "hello", 5);
	return base_answer(c, 200, u->buf, u->len);
}

/* The child's whole life: echo frames (uint32 length, bytes) until EOF. */
static _Noreturn void
bare_child(int fd)
{
	char buf[BASE_BODY_MAX + 4];
	uint32_t n;

	for (;;) {
		if (read(fd, &n, 4) != 4 || n > BASE_BODY_MAX)
			_exit(0);
		memcpy(buf, &n, 4);
		for (size_t got = 0; got < n;) {
			ssize_t r = read(fd, buf + 4 + got, n - got);

			if (r <= 0)
				_exit(0);
			got += (size_t)r;
		}
		if (write(fd, buf, 4 + n) != (ssize_t)(4 + n))
			_exit(0);
	}
}

/* A forked child on a socketpair: its slot, or -1. */
static int
bare_open(void)
{
	int sv[2], i;
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return -1;
	pid = fork();
	if (pid == 0) {
		/* Only its own end: another session's end held here would
		 * keep that child from seeing EOF when it is closed. */
		if (sv[1] > 0)
			close_range(0, (unsigned)sv[1] - 1, 0);
		close_range((unsigned)sv[1] + 1, ~0u, 0);
		bare_child(sv[1]);
	}
	close(sv[1]);
	if (pid < 0) {
		close(sv[0]);
		return -1;
	}
	pthread_mutex_lock(&bare.lock);
	for (i = 0; i < BARE_SESSIONS && bare.s[i].fd >= 0; i++)
		;
	if (i < BARE_SESSIONS) {
		bare.s[i].fd = sv[0];
		bare.s[i].pid = pid;
	}
	pthread_mutex_unlock(&bare.lock);
	if (i == BARE_SESSIONS) {
		close(sv[0]);
		waitpid(pid, NULL, 0);
		return -1;
	}
	return i;
}

/* One frame to the child and its answer back, into out; its length or
 * -1. */
static ssize_t
bare_invoke(int fd, const char *in, size_t len, char *out)
{
	uint32_t n = (uint32_t)len;
	char frame[BASE_BODY_MAX + 4];
	size_t got = 0;

	memcpy(frame, &n, 4);
	memcpy(frame + 4, in, len);
	if (write(fd, frame, 4 + len) != (ssize_t)(4 + len))
		return -1;
	while (got < 4 + len) {
		ssize_t r = read(fd, frame + got, 4 + len - got);

		if (r <= 0)
			return -1;
		got += (size_t)r;
	}
	memcpy(out, frame + 4, len);
	return (ssize_t)len;
}

static void
bare_close(int i)
{
	struct bare_session s;

	pthread_mutex_lock(&bare.lock);
	s = bare.s[i];
	bare.s[i].fd = -1;
	pthread_mutex_unlock(&bare.lock);
	if (s.fd < 0)
		return;
	close(s.fd); /* the child exits on EOF */
	waitpid(s.pid, NULL, 0);
}

static int
bare_fd(int i)
{
	int fd;

	pthread_mutex_lock(&bare.lock);
	fd = bare.s[i].fd;
	pthread_mutex_unlock(&bare.lock);
	return fd;
}

static enum MHD_Result
bare_handler(void *cls, struct MHD_Connection *c, const char *url,
	     const char *method, const char *version, const char *data,
	     size_t *len, void **ctx)
{
	char out[BASE_BODY_MAX], num[16];
	struct base_upload *u;
	int i = -1, fd;
	ssize_t n;
	bool more;

	(void)cls, (void)version;
	if (!base_upload(ctx, data, len, &more))
		return more ? MHD_YES : MHD_NO;
	u = *ctx;
	if (!strcmp(method, "DELETE") && sscanf(url, "/s/%d", &i) == 1 &&
	    i >= 0 && i < BARE_SESSIONS) {
		bare_close(i);
		return base_answer(c, 204, "", 0);
	}
	if (strcmp(method, "POST") != 0)
		return base_answer(c, 404, "", 0);
	if (!strcmp(url, "/s")) {
		i = bare_open();
		if (i < 0)
			return base_answer(c, 503, "", 0);
		n = snprintf(num, sizeof(num), "%d", i);
		return base_answer(c, 201, num, (size_t)n);
	}
	if (!strcmp(url, "/run")) {
		i = bare_open();
		if (i < 0)
			return base_answer(c, 503, "", 0);
		n = bare_invoke(bare_fd(i), u->buf, u->len, out);
		bare_close(i);
		return n < 0 ? base_answer(c, 500, "", 0)
			     : base_answer(c, 200, out, (size_t)n);
	}
	if (sscanf(url, "/s/%d/invoke", &i) == 1 && i >= 0 &&
	    i < BARE_SESSIONS && (fd = bare_fd(i)) >= 0) {
		n = bare_invoke(fd, u->buf, u->len, out);
		return n < 0 ? base_answer(c, 500, "", 0)
			     : base_answer(c, 200, out, (size_t)n);
	}
	return base_answer(c, 404, "", 0);
}

/* A server of handler on port, threaded as fnhostd is with threads
 * (http_threads) pool threads. */
static struct MHD_Daemon *
base_start(MHD_AccessHandlerCallback handler, unsigned short port,
	   unsigned threads)
{
	for (int i = 0; i < BARE_SESSIONS; i++)
		bare.s[i].fd = -1;
	return MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL,
				port, NULL, NULL, handler, NULL,
				MHD_OPTION_NOTIFY_COMPLETED, base_completed,
				NULL, MHD_OPTION_THREAD_POOL_SIZE, threads,
				MHD_OPTION_END);
}

#endif
