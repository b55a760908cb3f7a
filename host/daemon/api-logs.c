/*
 * api-logs.c: GET /v1/functions/{target}/logs, a function name's last
 * log lines (fnlog.h), for the admin.
 *
 * The target (an id, a name, name@alias, name@number) names the
 * function; the lines are its name's, every version's, each naming its
 * version's id.  The answer is JSON lines (application/x-ndjson): one
 * object per line, the same whether the lines are all there at once or
 * come as they are logged, so that a reader needs one parser.
 *
 * ?follow=1 keeps the answer open and sends each new line as it comes,
 * for at most client_timeout less a second, then ends it (so a follower
 * never holds a connection past the inactivity limit, nor anything
 * forever); `fnhost logs -f` asks again.  The handler runs on a handler
 * thread, as every route that may read the disk does (resolving a name
 * can list its records), and returns at once; the body comes from
 * libmicrohttpd's content callback on the event thread, which never
 * blocks: with nothing new it parks the connection (follows.h) until
 * the name logs a line or the deadline passes, so that a follower holds
 * neither a handler thread (they are few, for workers) nor an event
 * thread (they serve every other client).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/clock.h"
#include "daemon/api.h"
#include "daemon/fnlog.h"
#include "daemon/follows.h"

#define LOGS_TYPE "application/x-ndjson"
/* What one callback reads from the ring at most. */
#define FOLLOW_CHUNK (64u << 10)

struct follow {
	struct follower fw; /* its name, connection and deadline */
	uint64_t after;	    /* the last seq sent */
	bool added;	    /* to the followers (follows.h) */
	struct buf pending;
	size_t sent; /* of pending */
};

/* Copy what is pending into out; refill it from the ring first. */
static ssize_t
follow_read(void *cls, uint64_t pos, char *out, size_t max)
{
	struct follow *f = cls;
	size_t n;

	(void)pos;
	if (f->sent == f->pending.len) {
		buf_free(&f->pending, false);
		f->sent = 0;
		if (!fnlog_read(f->fw.name, &f->after, &f->pending)) {
			switch (follows_park(&f->fw, f->after)) {
			case FOLLOW_PARKED:
				return 0; /* called again once resumed */
			case FOLLOW_END:
				return MHD_CONTENT_READER_END_OF_STREAM;
			case FOLLOW_READ:
				break; /* logged since the read above */
			}
			/* The ring has a line and pending room for one: only
			 * memory can fail this, and a loop would spin. */
			if (!fnlog_read(f->fw.name, &f->after, &f->pending))
				return MHD_CONTENT_READER_END_WITH_ERROR;
		}
	}
	n = f->pending.len - f->sent;
	if (n > max)
		n = max;
	memcpy(out, f->pending.data + f->sent, n);
	f->sent += n;
	return (ssize_t)n;
}

static void
follow_free(void *cls)
{
	struct follow *f = cls;

	/* Before the memory goes, and before libmicrohttpd frees the
	 * connection: no resume may reach it after this. */
	if (f->added)
		follows_remove(&f->fw);
	buf_free(&f->pending, false);
	free(f);
}

void
api_function_logs(struct request *rq, struct reply *rep)
{
	const char *follow;
	struct store_function fn;
	struct follow *f;
	struct buf b;
	uint64_t after = 0;
	uint32_t timeout_s = rq->srv->cfg->client_timeout_s;
	size_t len;
	char *text;
	int rc;

	if (!api_function_find(rq->srv, rq->arg, &fn, rep))
		return;
	follow = MHD_lookup_connection_value(rq->conn, MHD_GET_ARGUMENT_KIND,
					     "follow");
	if (!follow || !strcmp(follow, "0")) {
		buf_init(&b, (size_t)-1);
		fnlog_read(fn.name, &after, &b);
		text = buf_steal(&b, &len);
		if (!text) {
			reply_error(rep, ERR_INTERNAL, "out of memory");
			return;
		}
		reply_bytes_take(rep, 200, LOGS_TYPE, text, len, NULL);
		return;
	}
	if (strcmp(follow, "1") != 0) {
		reply_error(rep, ERR_INVALID, "follow is 0 or 1");
		return;
	}
	f = calloc(1, sizeof(*f));
	if (!f) {
		reply_error(rep, ERR_INTERNAL, "out of memory");
		return;
	}
	snprintf(f->fw.name, sizeof(f->fw.name), "%s", fn.name);
	f->fw.conn = rq->conn;
	f->fw.deadline_ms = clock_now_ms() +
			    (int64_t)(timeout_s > 1 ? timeout_s - 1 : 1) * 1000;
	buf_init(&f->pending, FOLLOW_CHUNK);
	rc = follows_add(&f->fw);
	if (rc == -ERR_LIMIT)
		reply_error(rep, ERR_LIMIT,
			    "over %u followers of '%s' or %u in all; "
			    "try again later",
			    FOLLOWS_PER_NAME, fn.name, FOLLOWS_MAX);
	else if (rc < 0)
		reply_fail(rep, rc, "the host is shutting down");
	if (rc < 0) {
		follow_free(f);
		return;
	}
	f->added = true;
	rep->status = 200;
	rep->own_deadline = true; /* f->fw.deadline_ms, swept by follows.c */
	rep->resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 4096,
						      follow_read, f,
						      follow_free);
	if (!rep->resp) {
		follow_free(f);
		reply_error(rep, ERR_INTERNAL, "out of memory");
		return;
	}
	MHD_add_response_header(rep->resp, MHD_HTTP_HEADER_CONTENT_TYPE,
				LOGS_TYPE);
}
