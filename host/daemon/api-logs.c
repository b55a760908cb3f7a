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
 * forever); `fnhost logs -f` asks again.  The route runs inline: the
 * body comes from libmicrohttpd's content callback on the event thread,
 * which never blocks longer than FOLLOW_WAIT_MS per call, the price of
 * not holding a handler thread (of which there are few, for workers) for
 * a follower's whole time.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/clock.h"
#include "daemon/api.h"
#include "daemon/fnlog.h"

#define LOGS_TYPE "application/x-ndjson"
/* The longest a content callback waits for a line. */
#define FOLLOW_WAIT_MS 100
/* What one callback reads from the ring at most. */
#define FOLLOW_CHUNK (64u << 10)

struct follow {
	char name[BUNDLE_LABEL_MAX + 1];
	uint64_t after; /* the last seq sent */
	int64_t deadline_ms;
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
		if (!fnlog_read(f->name, &f->after, &f->pending)) {
			int64_t left = f->deadline_ms - clock_now_ms();

			if (left <= 0)
				return MHD_CONTENT_READER_END_OF_STREAM;
			fnlog_wait(f->name, f->after,
				   left < FOLLOW_WAIT_MS ? (int)left
							 : FOLLOW_WAIT_MS);
			if (!fnlog_read(f->name, &f->after, &f->pending))
				return 0; /* asked again at once */
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
	snprintf(f->name, sizeof(f->name), "%s", fn.name);
	buf_init(&f->pending, FOLLOW_CHUNK);
	f->deadline_ms = clock_now_ms() +
			 (int64_t)(timeout_s > 1 ? timeout_s - 1 : 1) * 1000;
	rep->status = 200;
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
