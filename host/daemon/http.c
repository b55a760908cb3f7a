/*
 * http.c: fnhostd's transport on libmicrohttpd (see http.h, api.h).
 *
 * libmicrohttpd calls the access handler several times per request: once
 * with the head, then once per piece of body, then once with no body
 * left.  On the head the request is matched against the route table and
 * its caller authenticated; a request refused then (no route, no or the
 * wrong token, a body over the route's limit) has its body read and
 * dropped, never stored, before the answer goes out.  struct request
 * carries a request across the calls and is freed by the completion
 * callback.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/clock.h"
#include "daemon/api.h"
#include "daemon/cors.h"
#include "daemon/follows.h"
#include "daemon/log.h"
#include "sandbox/channel.h"

/* A request refused before its body is read still has its body read and
 * dropped, up to this size, before the answer goes out: a client still
 * sending would otherwise meet a reset rather than the answer. */
#define DRAIN_MAX (1u << 20)
/* What multipart framing may add to a bundle's bytes. */
#define DEPLOY_FRAMING (1u << 20)

/* A request across the access handler's calls. */
struct exchange {
	struct request rq;
	struct reply early;   /* decided on the head, sent after the body */
	bool refused;	      /* early is the answer; the body is dropped */
	struct reply done;    /* a handler thread's answer */
	atomic_bool answered; /* done is set; the connection is resumed */
	bool waiting;	      /* suspended while a handler thread works */
};

/* The connection's deadlines (conns.h), or NULL. */
static struct conn *
conn_of(struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);

	return ci ? ci->socket_context : NULL;
}

json_object *
request_json(struct request *rq, struct reply *rep)
{
	json_tokener *tok;
	json_object *o;

	if (rq->len == 0)
		return json_object_new_object();
	tok = json_tokener_new();
	o = json_tokener_parse_ex(tok, rq->body, (int)rq->len);
	if (!o || json_tokener_get_parse_end(tok) != rq->len ||
	    !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		o = NULL;
		reply_error(rep, ERR_INVALID, "the body is not a JSON object");
	}
	json_tokener_free(tok);
	return o;
}

static size_t
body_limit(const struct server *srv, enum body_kind kind)
{
	switch (kind) {
	case BODY_INPUT:
		return srv->cfg->max_input;
	case BODY_DEPLOY:
		return srv->cfg->max_bundle;
	case BODY_NONE:
	case BODY_SMALL:
		break;
	}
	return BODY_SMALL_MAX;
}

/* The declared body length, or 0 when none is declared. */
static unsigned long long
content_length(struct MHD_Connection *c)
{
	const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
						     "Content-Length");

	return cl ? strtoull(cl, NULL, 10) : 0;
}

/* No route for method and url.  A path that routes take with other
 * methods is 405 with those in Allow (RFC 9110, 15.5.6), so that "PUT
 * .../logs" is told the path is there and which methods it takes, not
 * that it does not exist; any other is 404. */
static int
no_route(const char *method, const char *url, struct reply *rep)
{
	size_t len = strlen(url) + 1;
	const struct route *r = NULL;
	char allow[128], *arg;

	/* A route that matches once its argument may be as long as the
	 * path: the path is there, its name or id is what is wrong (the
	 * static files' "*" excepted: any path they lack is 404). */
	arg = malloc(len);
	if (arg)
		r = route_find(method, url, arg, len);
	free(arg);
	if (r && r->path[strlen(r->path) - 1] != '*') {
		reply_error(rep, ERR_INVALID,
			    "the path's name or id is over %zu bytes",
			    sizeof(((struct request *)0)->arg) - 1);
		return -ERR_INVALID;
	}
	if (route_methods(url, allow, sizeof(allow)) == 0) {
		reply_error(rep, ERR_NOT_FOUND, "no route %s %.200s", method,
			    url);
		return -ERR_NOT_FOUND;
	}
	reply_error(rep, ERR_METHOD, "%.200s takes %s, not %.16s", url, allow,
		    method);
	if (rep->resp)
		MHD_add_response_header(rep->resp, MHD_HTTP_HEADER_ALLOW,
					allow);
	return -ERR_METHOD;
}

/* The headers the API reads as one value each (MHD hands back the first
 * of several): who is calling, what the body is, the pin, the origin.
 * Sent twice, a proxy or a client library may act on one copy and the
 * host on the other, so the two disagree on who calls, on whether the
 * body is encrypted or on the version pinned; such a request is refused
 * rather than read one way. */
static const char *const single_headers[] = {
	MHD_HTTP_HEADER_AUTHORIZATION,	"Fnhost-Function-Checksum",
	MHD_HTTP_HEADER_CONTENT_TYPE,	MHD_HTTP_HEADER_ORIGIN,
	MHD_HTTP_HEADER_CONTENT_LENGTH,
};
#define SINGLE_HEADERS (sizeof(single_headers) / sizeof(single_headers[0]))

static enum MHD_Result
count_header(void *cls, enum MHD_ValueKind kind, const char *key,
	     const char *value)
{
	unsigned int *seen = cls;
	size_t i;

	(void)kind;
	(void)value;
	for (i = 0; i < SINGLE_HEADERS; i++)
		if (key && !strcasecmp(key, single_headers[i]))
			seen[i]++;
	return MHD_YES;
}

/* The first of single_headers that c carries more than once, or NULL. */
static const char *
repeated_header(struct MHD_Connection *c)
{
	unsigned int seen[SINGLE_HEADERS] = { 0 };
	size_t i;

	MHD_get_connection_values(c, MHD_HEADER_KIND, count_header, seen);
	for (i = 0; i < SINGLE_HEADERS; i++)
		if (seen[i] > 1)
			return single_headers[i];
	return NULL;
}

/* Everything decided on the head: the route, the caller, the body's
 * limit.  Returns 0 to read the body, or an error with rep answered. */
static int
request_head(struct request *rq, const char *method, const char *url,
	     struct reply *rep)
{
	struct server *srv = rq->srv;
	unsigned long long cl = content_length(rq->conn);
	const char *twice = repeated_header(rq->conn);
	char err[512];
	int rc;

	if (twice) {
		reply_error(rep, ERR_INVALID,
			    "the header %s is sent more than once", twice);
		return -ERR_INVALID;
	}
	if (cors_preflight(srv->cfg, rq->conn, method, url, rep))
		return 1; /* answered on the head: there is no body */
	rq->route = route_find(method, url, rq->arg, sizeof(rq->arg));
	if (!rq->route)
		return no_route(method, url, rep);
	rc = auth_check(rq, err, sizeof(err));
	if (rc < 0) {
		reply_fail(rep, rc, err);
		return rc;
	}
	rq->limit = body_limit(srv, rq->route->body);
	if (rq->route->body != BODY_DEPLOY) {
		if (cl <= rq->limit)
			return 0;
		reply_error(rep, ERR_TOO_LARGE,
			    "the body is over the limit of %zu bytes",
			    rq->limit);
		return -ERR_TOO_LARGE;
	}
	if (cl > rq->limit + DEPLOY_FRAMING) {
		snprintf(err, sizeof(err),
			 "the bundle is over the limit of %zu bytes",
			 rq->limit);
		rc = -ERR_TOO_LARGE;
	} else {
		rc = api_deploy_begin(rq, err, sizeof(err));
	}
	if (rc < 0)
		api_deploy_refuse(srv, rep, rc, err);
	return rc;
}

/* Take one piece of the body, as the route's kind says. */
static void
request_feed(struct request *rq, const char *data, size_t size)
{
	char *p;

	switch (rq->route->body) {
	case BODY_NONE:
		return; /* dropped */
	case BODY_DEPLOY:
		api_deploy_feed(rq, data, size);
		return;
	case BODY_SMALL:
	case BODY_INPUT:
		break;
	}
	if (rq->too_large || size > rq->limit - rq->len) {
		rq->too_large = true; /* drain the rest, answer 413 */
		return;
	}
	p = realloc(rq->body, rq->len + size + 1);
	if (!p) {
		rq->too_large = true;
		return;
	}
	rq->body = p;
	memcpy(p + rq->len, data, size);
	rq->len += size;
	p[rq->len] = '\0';
}

static void
request_answer(struct request *rq, struct reply *rep)
{
	if (rq->too_large && rq->route->body == BODY_SMALL)
		reply_error(rep, ERR_TOO_LARGE,
			    "the body is over the limit of %zu bytes",
			    rq->limit);
	else
		rq->route->handle(rq, rep);
}

static enum MHD_Result
queue(struct exchange *x, const char *method, const char *url,
      struct reply *rep)
{
	struct request *rq = &x->rq;
	enum MHD_Result ok;

	if (!rep->resp) {
		log_msg(LOG_LEVEL_ERROR,
			"method=%s path=%.200s msg=\"no response\"", method,
			url);
		return MHD_NO;
	}
	cors_decorate(rq->srv->cfg, rq->conn, rep->resp);
	if (rep->own_deadline)
		conns_waiting(rq->srv->conns, conn_of(rq->conn));
	ok = MHD_queue_response(rq->conn, (unsigned int)rep->status, rep->resp);
	MHD_destroy_response(rep->resp);
	rep->resp = NULL;
	atomic_fetch_add(&rq->srv->metrics->requests, 1);
	log_msg(LOG_LEVEL_INFO,
		"method=%s path=%.200s status=%d bytes_in=%llu ms=%lld", method,
		url, rep->status, (unsigned long long)rq->received,
		(long long)(clock_now_ms() - rq->start_ms));
	return ok;
}

/* On a handler thread: answer x, then let its connection go on.  x may
 * be freed the moment the connection is resumed, so that is the last
 * thing done with it.  A handler that queued x (an invoke of a busy
 * session) leaves it suspended, holding no thread, and x may be another
 * thread's at once: nothing of it is touched then. */
static void
answer_waiting(void *arg)
{
	struct exchange *x = arg;
	struct MHD_Connection *c = x->rq.conn;
	struct reply rep = { 0 };

	request_answer(&x->rq, &rep);
	if (rep.queued)
		return;
	x->done = rep;
	atomic_store(&x->answered, true);
	MHD_resume_connection(c);
}

/* x's turn in its session's queue came (session.h): handle it again on a
 * handler thread. */
static void
wake_waiting(void *arg)
{
	struct exchange *x = arg;

	jobs_add(x->rq.srv->jobs, answer_waiting, x);
}

/* Answer rq on the event thread, when its route may: whether rep is the
 * answer. */
static bool
answer_inline(struct request *rq, struct reply *rep)
{
	switch (rq->route->runs) {
	case RUNS_INLINE:
		request_answer(rq, rep);
		return true;
	case RUNS_TRY_INLINE:
		return !rq->too_large && rq->route->try_inline(rq, rep);
	case RUNS_WAITING:
		break;
	}
	return false;
}

/* The body is complete: answer now, or hand the request to a handler
 * thread and suspend its connection until the answer is ready. */
static enum MHD_Result
request_complete(struct exchange *x, const char *method, const char *url)
{
	struct reply rep = { 0 };

	if (x->refused) {
		rep = x->early;
		x->early.resp = NULL;
	} else if (x->waiting) {
		if (!atomic_load(&x->answered))
			return MHD_YES; /* woken early; the handler goes on */
		rep = x->done;
		x->done.resp = NULL;
	} else if (!answer_inline(&x->rq, &rep)) {
		x->waiting = true;
		conns_waiting(x->rq.srv->conns, conn_of(x->rq.conn));
		MHD_suspend_connection(x->rq.conn);
		jobs_add(x->rq.srv->jobs, answer_waiting, x);
		return MHD_YES;
	}
	return queue(x, method, url, &rep);
}

static enum MHD_Result
handle(void *cls, struct MHD_Connection *c, const char *url, const char *method,
       const char *version, const char *upload_data, size_t *upload_data_size,
       void **con_cls)
{
	struct exchange *x = *con_cls;
	struct reply rep = { 0 };
	unsigned long long cl;

	(void)version;
	if (!x) {
		x = calloc(1, sizeof(*x));
		if (!x)
			return MHD_NO;
		*con_cls = x;
		x->rq.srv = cls;
		x->rq.conn = c;
		x->rq.start_ms = clock_now_ms();
		x->rq.wait.wake = wake_waiting;
		x->rq.wait.arg = x;
		conns_reading_body(x->rq.srv->conns, conn_of(c));
		if (request_head(&x->rq, method, url, &rep) == 0)
			return MHD_YES; /* read the body */
		x->refused = true;
		cl = content_length(c);
		if (cl == 0 || cl > DRAIN_MAX)
			return queue(x, method, url, &rep);
		x->early = rep; /* answered once the body is dropped */
		return MHD_YES;
	}
	if (*upload_data_size) {
		x->rq.received += *upload_data_size;
		if (!x->refused)
			request_feed(&x->rq, upload_data, *upload_data_size);
		*upload_data_size = 0;
		return MHD_YES;
	}
	return request_complete(x, method, url);
}

static void
completed(void *cls, struct MHD_Connection *c, void **con_cls,
	  enum MHD_RequestTerminationCode toe)
{
	struct exchange *x = *con_cls;

	(void)cls;
	(void)toe;
	if (!x)
		return;
	conns_answered(x->rq.srv->conns, conn_of(c));
	if (x->early.resp)
		MHD_destroy_response(x->early.resp); /* the client left */
	if (x->done.resp)
		MHD_destroy_response(x->done.resp);
	api_deploy_end(&x->rq);
	api_session_open_end(&x->rq);
	free(x->rq.body);
	free(x);
	*con_cls = NULL;
}

/* ---- the daemon ---------------------------------------------------------- */

static int
hex_digit(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

/* The percent-decoding of the path and of each query key and value, as
 * libmicrohttpd's own but for "%00" and "%2F".  Decoded, a NUL would end
 * the text there: "/v1/functions/svc@1%00/versions" would be served as
 * "/v1/functions/svc@1" (a DELETE of it deletes version 1) and
 * "?key=K%00x" as "?key=K".  A '/' would split a segment in two after
 * the fact, so that "PUT /v1/functions/svc@st%2Falias", one segment of
 * data, is served as the alias route.  Both stay their three
 * characters, which no route, name, alias, key or flag takes, so the
 * request is refused as the malformed one it is. */
static size_t
unescape(void *cls, struct MHD_Connection *c, char *s)
{
	const char *r = s;
	char *w = s;
	int hi, lo;

	(void)cls;
	(void)c;
	while (*r) {
		if (r[0] == '%' && (hi = hex_digit(r[1])) >= 0 &&
		    (lo = hex_digit(r[2])) >= 0 && (hi << 4 | lo) != '\0' &&
		    (hi << 4 | lo) != '/') {
			*w++ = (char)(hi << 4 | lo);
			r += 3;
		} else {
			*w++ = *r++;
		}
	}
	*w = '\0';
	return (size_t)(w - s);
}

/* Parse "ADDR:PORT" or "[ADDR6]:PORT". */
static int
parse_listen(const char *s, struct sockaddr_storage *ss, unsigned int *flags)
{
	char host[INET6_ADDRSTRLEN + 2];
	const char *colon = strrchr(s, ':');
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;
	struct sockaddr_in *a4 = (struct sockaddr_in *)ss;
	unsigned long port;
	char *end;
	size_t hl;

	if (!colon)
		return -1;
	hl = (size_t)(colon - s);
	port = strtoul(colon + 1, &end, 10);
	if (*end || end == colon + 1 || port > 65535 || hl >= sizeof(host))
		return -1;
	memcpy(host, s, hl);
	host[hl] = '\0';
	memset(ss, 0, sizeof(*ss));
	if (hl > 2 && host[0] == '[' && host[hl - 1] == ']') {
		host[hl - 1] = '\0';
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons((uint16_t)port);
		*flags |= MHD_USE_IPv6;
		return inet_pton(AF_INET6, host + 1, &a6->sin6_addr) == 1 ? 0
									  : -1;
	}
	a4->sin_family = AF_INET;
	a4->sin_port = htons((uint16_t)port);
	return inet_pton(AF_INET, host, &a4->sin_addr) == 1 ? 0 : -1;
}

/* A connection opens or closes: its deadlines follow it. */
static void
connection_event(void *cls, struct MHD_Connection *c, void **socket_context,
		 enum MHD_ConnectionNotificationCode toe)
{
	struct server *srv = cls;
	const union MHD_ConnectionInfo *ci;

	if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
		ci = MHD_get_connection_info(c,
					     MHD_CONNECTION_INFO_CONNECTION_FD);
		*socket_context = ci ? conns_open(srv->conns, ci->connect_fd)
				     : NULL;
	} else {
		conns_close(srv->conns, *socket_context);
		*socket_context = NULL;
	}
}

int
http_start(struct server *srv, char *err, size_t errlen)
{
	const struct config *cfg = srv->cfg;
	unsigned int flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL |
			     MHD_ALLOW_SUSPEND_RESUME;
	struct sockaddr_storage addr;

	if (parse_listen(cfg->listen, &addr, &flags) < 0)
		return err_set(err, errlen, ERR_INVALID,
			       "bad listen address '%s' (ADDR:PORT)",
			       cfg->listen);
	srv->jobs = jobs_new(cfg->handler_threads);
	srv->conns = conns_new(cfg->request_head_timeout_ms,
			       cfg->request_body_timeout_ms, follows_expire);
	if (!srv->jobs || !srv->conns) {
		http_stop(srv);
		return err_set(err, errlen, ERR_INTERNAL,
			       "cannot start the handler threads");
	}
	srv->mhd = MHD_start_daemon(flags, 0, NULL, NULL, handle, srv,
				    MHD_OPTION_SOCK_ADDR,
				    (struct sockaddr *)&addr,
				    MHD_OPTION_NOTIFY_COMPLETED, completed, srv,
				    MHD_OPTION_NOTIFY_CONNECTION,
				    connection_event, srv,
				    MHD_OPTION_THREAD_POOL_SIZE,
				    (unsigned int)cfg->http_threads,
				    MHD_OPTION_CONNECTION_LIMIT,
				    (unsigned int)cfg->max_connections,
				    MHD_OPTION_PER_IP_CONNECTION_LIMIT,
				    (unsigned int)cfg->connections_per_ip,
				    MHD_OPTION_CONNECTION_TIMEOUT,
				    (unsigned int)cfg->client_timeout_s,
				    MHD_OPTION_UNESCAPE_CALLBACK, unescape,
				    NULL, MHD_OPTION_END);
	if (!srv->mhd) {
		int saved = errno;

		http_stop(srv);
		return err_set(err, errlen, ERR_IO, "cannot listen on %s: %s",
			       cfg->listen, strerror(saved));
	}
	return 0;
}

void
http_stop(struct server *srv)
{
	/* The parked followers and the handlers first: each resumes its
	 * suspended connection, which libmicrohttpd must have back before
	 * it stops; a follower resumed so ends its answer. */
	follows_stop();
	jobs_free(srv->jobs);
	srv->jobs = NULL;
	if (srv->mhd)
		MHD_stop_daemon(srv->mhd);
	srv->mhd = NULL;
	conns_free(srv->conns);
	srv->conns = NULL;
}
