/*
 * cmd-logs.c: fnhost logs [-f] TARGET: a function name's last log lines
 * (admin), as the host keeps them (GET /v1/functions/TARGET/logs).
 *
 * Text prints each line as "TIME SESSION EVENT [cause=C] MSG", the
 * message escaped as output_text() does (it is the plugin's); -o json
 * prints the host's JSON lines as they are.  -f goes on printing lines
 * as they are logged: the host ends each followed answer after its
 * client timeout, and logs asks again for the lines after the last it
 * printed, until it is interrupted or the function is gone.
 */
#include <json-c/json.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/buf.h"
#include "cli/cli.h"
#include "cli/output.h"
#include "cli/remote.h"

/* What a followed answer's pieces add up to, line by line. */
struct reader {
	int json;
	struct buf partial; /* a line not yet ended */
	uint64_t last;	    /* the last seq printed */
};

static void
print_line(struct reader *r, const char *line, size_t len)
{
	json_object *o = json_tokener_parse(line);
	json_object *seq, *t;
	const char *cause;
	char when[32] = "-";
	time_t sec;
	struct tm tm;

	(void)len;
	if (!o || !json_object_object_get_ex(o, "seq", &seq)) {
		json_object_put(o);
		return; /* not a line of the host's: skip it */
	}
	if ((uint64_t)json_object_get_int64(seq) <= r->last) {
		json_object_put(o);
		return; /* printed before the answer was asked again */
	}
	r->last = (uint64_t)json_object_get_int64(seq);
	if (r->json) {
		puts(line);
	} else {
		if (json_object_object_get_ex(o, "time", &t)) {
			sec = (time_t)(json_object_get_int64(t) / 1000);
			if (gmtime_r(&sec, &tm))
				strftime(when, sizeof(when),
					 "%Y-%m-%dT%H:%M:%SZ", &tm);
		}
		fputs(when, stdout);
		putchar(' ');
		output_text(remote_string(o, "session"));
		putchar(' ');
		output_text(remote_string(o, "event"));
		cause = remote_string(o, "cause");
		if (cause) {
			fputs(" cause=", stdout);
			output_text(cause);
		}
		putchar(' ');
		output_text(remote_string(o, "msg"));
		putchar('\n');
	}
	fflush(stdout);
	json_object_put(o);
}

/* Print every whole line of what arrived; keep the rest. */
static void
on_body(void *ctx, const char *data, size_t len)
{
	struct reader *r = ctx;
	char *nl, *line;
	size_t used = 0;

	if (buf_append(&r->partial, data, len) < 0)
		return;
	line = r->partial.data;
	while ((nl = memchr(line + used, '\n', r->partial.len - used))) {
		*nl = '\0';
		print_line(r, line + used, (size_t)(nl - (line + used)));
		used = (size_t)(nl - line) + 1;
	}
	if (used) {
		memmove(line, line + used, r->partial.len - used);
		r->partial.len -= used;
		line[r->partial.len] = '\0';
	}
}

static int
logs_run(struct remote *x)
{
	struct reader r = { .json = x->json };
	struct client_request rq = { .method = "GET",
				     .auth = 1,
				     .on_body = on_body,
				     .on_body_ctx = &r };
	struct client_response rs;
	char path[400];
	int ret = CLI_OK;

	if (remote_id_check(x, "function", x->args[0]) < 0)
		return CLI_FAIL;
	snprintf(path, sizeof(path), "/v1/functions/%s/logs%s", x->args[0],
		 x->follow ? "?follow=1" : "");
	rq.path = path;
	buf_init(&r.partial, 1u << 20);
	do {
		if (remote_exchange(x, &rq, 200, 0, &rs) < 0)
			ret = CLI_FAIL;
		free(rs.body);
	} while (ret == CLI_OK && x->follow);
	buf_free(&r.partial, false);
	return ret;
}

/* A followed answer lasts the host's client timeout; allow for it. */
const struct remote_spec logs_cmd = { .name = "logs",
				      .usage = "logs [options] [-f] TARGET",
				      .min_args = 1,
				      .max_args = 1,
				      .takes = TAKES_FOLLOW,
				      .timeout_ms = 3600 * 1000L,
				      .run = logs_run };
