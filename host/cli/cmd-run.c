/*
 * cmd-run.c: fnhost run: one session of a function, one invoke per input,
 * each result on its own line.  -c pins the function's checksum, which
 * every answer must carry; --encrypt seals each invoke to the host's key;
 * --verify checks each answer's attestation.  A function's own output and
 * error text are its result and are printed as they are.
 */
#define _GNU_SOURCE
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/types.h>

#include "formats/attest.h"
#include "formats/hpke.h"
#include "cli/cli.h"
#include "cli/client.h"
#include "cli/host-keys.h"
#include "cli/output.h"
#include "cli/remote.h"

/* Longest input line `run -` reads from standard input. */
#define RUN_MAX_LINE CLIENT_MAX_RESPONSE
/* Room for the text of an error answer beyond its body's length: the
 * host's own "answered HTTP N (code)" when the body has no message. */
#define RUN_ERROR_MIN 128

/*
 * How `fnhost run` treats its invokes: --encrypt seals each input to the
 * host's key in invoke_one() and opens the answer, --verify checks each
 * answer's attestation in attest_check(), after the checksum check.
 */
struct run_opts {
	const char *function; /* the function id */
	const char *pin;      /* -c: the checksum it must have, or NULL */
	int json;
	int encrypt;	       /* --encrypt */
	int verify;	       /* --verify */
	struct host_keys keys; /* for either */
};

struct run_state {
	struct remote *x;
	const struct run_opts *o;
	char sid[129];	   /* the session id */
	char sum[65];	   /* its function's checksum, as the host said */
	const char *ended; /* why no more invokes go out, or NULL */
	int failed;	   /* some invoke did not succeed */
};

/* One result line: the output, or the error text. */
static void
result_print(const struct run_state *st, int ok, const char *text, size_t len)
{
	json_object *obj;

	if (!st->o->json) {
		if (!ok)
			fputs("error: ", stdout);
		fwrite(text, 1, len, stdout);
		putchar('\n');
	} else {
		obj = json_object_new_object();
		json_object_object_add(obj, "ok", json_object_new_boolean(ok));
		json_object_object_add(obj, ok ? "output" : "error",
				       json_object_new_string_len(text,
								  (int)len));
		output_json(obj);
		json_object_put(obj);
	}
	fflush(stdout);
}

static void
result_error(struct run_state *st, const char *text)
{
	st->failed = 1;
	result_print(st, 0, text, strlen(text));
}

/* The checksum the host put on an answer must be the pinned one; anything
 * else means another function may have seen the input. */
static int
invoke_check(struct run_state *st, const struct client_response *rs)
{
	const char *got = client_header(rs, "Fnhost-Function-Checksum");
	char shown[80];

	if (!st->o->pin || (got && !strcmp(got, st->o->pin)))
		return 0;
	snprintf(shown, sizeof(shown), "%s", got ? got : "none");
	remote_fail(st->x,
		    "the answer came from function checksum %s, not "
		    "the pinned %s",
		    client_sanitize(shown), st->o->pin);
	result_error(st, "checksum mismatch: the answer is not from the "
			 "pinned function");
	st->ended = "not sent: the host ran a function other than the "
		    "pinned one";
	return -1;
}

/*
 * --verify: the host's signature must hold over the checksum, the input
 * and the output it names, and those must be the pinned checksum, the
 * input sent and the output received.  An fnh2: input was encrypted by
 * someone else: its plaintext digest is taken as signed.
 */
static int
attest_check(struct run_state *st, const char *in, size_t len,
	     const struct client_response *rs)
{
	const char *fn = client_header(rs, "Fnhost-Function-Checksum");
	const char *ih = client_header(rs, "Fnhost-Input-Sha256");
	const char *oh = client_header(rs, "Fnhost-Output-Sha256");
	const char *sig = client_header(rs, "Fnhost-Attestation");
	char in_hex[ATTEST_HEX_LEN + 1], out_hex[ATTEST_HEX_LEN + 1];
	char why[256] = "";

	if (!st->o->verify)
		return 0;
	if (!fn || !ih || !oh || !sig)
		snprintf(why, sizeof(why), "the answer carries no attestation");
	else if (attest_sha256_hex(rs->body, rs->len, out_hex, why,
				   sizeof(why)) < 0 ||
		 attest_sha256_hex(in, len, in_hex, why, sizeof(why)) < 0)
		;
	else if (strcmp(oh, out_hex))
		snprintf(why, sizeof(why),
			 "the output received is not the "
			 "one attested");
	else if (!hpke_is_text(in, len) && strcmp(ih, in_hex))
		snprintf(why, sizeof(why),
			 "the input attested is not the one "
			 "sent");
	else if (attest_verify_b64(st->o->keys.att, fn, ih, oh, sig,
				   strlen(sig), why, sizeof(why)) < 0)
		;
	else
		return 0;
	remote_fail(st->x, "the attestation does not hold: %s", why);
	result_error(st, "the attestation does not hold");
	st->ended = "not sent: an answer failed its attestation";
	return -1;
}

/* The answer sealed inside an encrypted invoke's response, "SSS\n", then
 * "Name: value\n" lines, then "\n", then the body (fnhostd(8)), put in rs
 * as if it had come so: its status, its headers and its body.  Returns
 * 0, or -1 when it is not framed so. */
static int
answer_unframe(struct client_response *rs, const char *p, size_t len)
{
	const char *end = p + len, *nl, *colon;
	char *body;
	size_t n = 0, nlen, vlen;

	if (len < 5 || p[3] != '\n' || p[0] < '1' || p[0] > '9' || p[1] < '0' ||
	    p[1] > '9' || p[2] < '0' || p[2] > '9')
		return -1;
	rs->status = (p[0] - '0') * 100 + (p[1] - '0') * 10 + (p[2] - '0');
	for (p += 4; p < end && *p != '\n'; p = nl + 1) {
		nl = memchr(p, '\n', (size_t)(end - p));
		colon = nl ? memchr(p, ':', (size_t)(nl - p)) : NULL;
		if (!colon || colon + 1 >= nl || colon[1] != ' ' ||
		    n >= CLIENT_MAX_HEADERS)
			return -1;
		nlen = (size_t)(colon - p);
		vlen = (size_t)(nl - colon - 2);
		if (nlen == 0 || nlen >= CLIENT_HEADER_NAME_MAX ||
		    vlen >= CLIENT_HEADER_VALUE_MAX)
			return -1;
		memcpy(rs->headers[n].name, p, nlen);
		rs->headers[n].name[nlen] = '\0';
		memcpy(rs->headers[n].value, colon + 2, vlen);
		rs->headers[n].value[vlen] = '\0';
		n++;
	}
	if (p >= end)
		return -1;
	p++; /* the empty line */
	body = malloc((size_t)(end - p) + 1);
	if (!body)
		return -1;
	memcpy(body, p, (size_t)(end - p));
	body[end - p] = '\0';
	free(rs->body);
	rs->body = body;
	rs->len = (size_t)(end - p);
	rs->nheaders = n;
	return 0;
}

/* --encrypt: an encapsulated answer opened in place.  Only a refusal
 * of the request itself (it did not open) comes in the clear. */
static int
answer_open(struct run_state *st, struct hpke_ohttp *hs,
	    struct client_response *rs)
{
	const char *type = client_header(rs, "Content-Type");
	unsigned char *out;
	size_t len;
	int rc;

	if (!type || strcasecmp(type, "application/fnhost-hpke"))
		return rs->status == 200 ? -1 : 0; /* a plain refusal */
	if (rs->status != 200 ||
	    hpke_ohttp_open_response(hs, rs->body, rs->len, &out, &len,
				     st->x->err, sizeof(st->x->err)) < 0)
		return -1;
	rc = answer_unframe(rs, (const char *)out, len);
	hpke_free(out, len);
	return rc;
}

static void
invoke_one(struct run_state *st, const char *in, size_t len)
{
	struct client_request rq = { .method = "POST",
				     .auth = 1,
				     .content_type = "application/octet-stream",
				     .body = in,
				     .body_len = len };
	struct client_response rs = { 0 };
	char path[256], code[64], *msg = NULL;
	size_t msglen;
	struct hpke_ohttp hs = { 0 };
	unsigned char *req = NULL;
	size_t reqlen;

	if (st->ended) {
		result_error(st, st->ended);
		return;
	}
	snprintf(path, sizeof(path), "/v1/sessions/%s/invoke", st->sid);
	rq.path = path;
	if (st->o->encrypt) {
		if (hpke_ohttp_seal_request(&hs, 0, st->o->keys.enc, st->sum,
					    in, len, &req, &reqlen, st->x->err,
					    sizeof(st->x->err)) < 0) {
			result_error(st, st->x->err);
			goto out;
		}
		rq.body = req;
		rq.body_len = reqlen;
		rq.content_type = "application/fnhost-hpke";
	}
	if (client_call(&st->x->c, &rq, &rs, st->x->err, sizeof(st->x->err)) <
	    0) {
		result_error(st, st->x->err);
		st->ended = "not sent after the failure above";
		goto out;
	}
	if (st->o->encrypt && answer_open(st, &hs, &rs) < 0) {
		result_error(st, "the host's encrypted answer can not be "
				 "opened");
		st->ended = "not sent after the failure above";
		goto out;
	}
	if (rs.status == 200) {
		if (invoke_check(st, &rs) == 0 &&
		    attest_check(st, in, len, &rs) == 0)
			result_print(st, 1, rs.body, rs.len);
		goto out;
	}
	/* The whole message: a function's error text is its answer as
	 * much as its output is, and no longer than the body it is in. */
	msglen = rs.len + RUN_ERROR_MIN;
	if ((msg = malloc(msglen)) == NULL) {
		result_error(st, "out of memory");
		goto out;
	}
	client_error(&rs, code, sizeof(code), msg, msglen);
	result_error(st, msg);
	/* The host drops the session when its worker crashed (502) or ran
	 * out of time (504); 404 says it is gone already, 503 that the host
	 * is shutting down. */
	if (rs.status == 502 || rs.status == 504 || rs.status == 404 ||
	    rs.status == 503)
		st->ended = "the session has ended";
out:
	free(msg);
	free(req);
	hpke_ohttp_clear(&hs);
	client_response_free(&rs);
}

/* Read one line of f (without its newline) into *buf: its length, -1 at
 * the end of input, -2 when it is longer than max (the rest of it is
 * read and dropped). */
static ssize_t
line_read(FILE *f, char **buf, size_t *cap, size_t max)
{
	size_t n = 0, want;
	int ch, over = 0;
	char *p;

	while ((ch = getc_unlocked(f)) != EOF && ch != '\n') {
		if (n == max) {
			over = 1;
			continue;
		}
		if (n + 1 >= *cap) {
			want = *cap ? *cap * 2 : 4096;
			if (want > max + 1)
				want = max + 1;
			if ((p = realloc(*buf, want)) == NULL)
				return -3;
			*buf = p;
			*cap = want;
		}
		(*buf)[n++] = (char)ch;
	}
	if (ch == EOF && n == 0 && !over)
		return -1;
	if (over)
		return -2;
	return (ssize_t)n;
}

static void
invoke_stdin(struct run_state *st)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;

	while ((n = line_read(stdin, &line, &cap, RUN_MAX_LINE)) != -1) {
		if (n == -3) {
			result_error(st, "out of memory reading standard "
					 "input");
			break;
		}
		if (n == -2)
			result_error(st, "not sent: the input line is longer "
					 "than 64 MiB");
		else
			invoke_one(st, line ? line : "", (size_t)n);
	}
	free(line);
}

/* The first run of exactly 64 hex digits in msg other than not, into
 * out[65]; "" when there is none. */
static void
checksum_find(const char *msg, const char * not, char out[65])
{
	const char *p = msg;
	size_t n;

	out[0] = '\0';
	while (*p) {
		n = strspn(p, "0123456789abcdef");
		if (n == 64 && (!not || strncmp(p, not, 64))) {
			memcpy(out, p, 64);
			out[64] = '\0';
			return;
		}
		p += n ? n : 1;
	}
}

/* The 409 answer: say which checksum the function has, when the host
 * tells: in its error object ("checksum"), in the checksum header, or,
 * failing both, as the one other checksum its message names. */
static void
mismatch_report(struct run_state *st, const struct client_response *rs)
{
	const char *names[] = { "checksum", "function_checksum", NULL };
	json_object *obj, *e, *v = NULL;
	char actual[65] = "", msg[512];
	const char *hdr;

	obj = client_json(rs, st->x->err, sizeof(st->x->err));
	if (obj && json_object_object_get_ex(obj, "error", &e))
		v = remote_member(e, names);
	if (v && json_object_is_type(v, json_type_string))
		remote_checksum_parse(json_object_get_string(v), actual);
	hdr = client_header(rs, "Fnhost-Function-Checksum");
	if (!actual[0] && hdr)
		remote_checksum_parse(hdr, actual);
	json_object_put(obj);
	client_error_line(rs, msg, sizeof(msg));
	if (!actual[0])
		checksum_find(msg, st->o->pin, actual);
	if (st->o->pin && actual[0])
		remote_fail(st->x,
			    "checksum mismatch: the function is "
			    "%s, not %s",
			    actual, st->o->pin);
	else if (st->o->pin)
		remote_fail(st->x,
			    "checksum mismatch: the function is "
			    "not %s (%s)",
			    st->o->pin, msg);
	else
		remote_fail(st->x, "checksum mismatch: %s", msg);
}

/* The session's answer must name a usable session id and, under a pin,
 * the pinned checksum. */
static int
session_accept(struct run_state *st, json_object *obj)
{
	const char *sid = remote_string(obj, "session");
	const char *sum = remote_string(obj, "function_checksum");
	char shown[80];

	if (!sid || client_id_check(sid) < 0 ||
	    strlen(sid) >= sizeof(st->sid)) {
		remote_fail(st->x, "the host's answer holds no valid "
				   "session id");
		return -1;
	}
	memcpy(st->sid, sid, strlen(sid) + 1);
	/* --encrypt seals each invoke to this checksum, so under a pin it
	 * must be the pinned one before any input goes out. */
	if (!sum || remote_checksum_parse(sum, st->sum) < 0) {
		remote_fail(st->x, "the host's answer names no function "
				   "checksum");
		return -1;
	}
	if (st->o->pin && (!sum || strcmp(sum, st->o->pin))) {
		snprintf(shown, sizeof(shown), "%s", sum ? sum : "none");
		remote_fail(st->x,
			    "the host opened a session of "
			    "function checksum %s, not the pinned %s",
			    client_sanitize(shown), st->o->pin);
		return -1;
	}
	return 0;
}

/* POST /v1/functions/ID/sessions; st->sid is set when a session exists
 * (even if it is refused afterwards, so it gets closed). */
static int
session_open(struct run_state *st)
{
	struct client_request rq = { .method = "POST",
				     .auth = 1,
				     .checksum = st->o->pin };
	struct client_response rs;
	json_object *obj = NULL;
	char path[256];
	int ret = -1;

	snprintf(path, sizeof(path), "/v1/functions/%s/sessions",
		 st->o->function);
	rq.path = path;
	if (client_call(&st->x->c, &rq, &rs, st->x->err, sizeof(st->x->err)) <
	    0) {
		remote_fail(st->x, "%s", st->x->err);
		goto out;
	}
	if (rs.status == 409) {
		mismatch_report(st, &rs);
		goto out;
	}
	if (remote_status(st->x, &rs, 201, 200) < 0)
		goto out;
	if ((obj = client_json(&rs, st->x->err, sizeof(st->x->err))) == NULL) {
		remote_fail(st->x, "%s", st->x->err);
		goto out;
	}
	ret = session_accept(st, obj);
out:
	json_object_put(obj);
	client_response_free(&rs);
	return ret;
}

/* DELETE the session; a failure is reported but does not change what the
 * invokes returned (the host reaps idle sessions anyway). */
static void
session_close(struct run_state *st)
{
	struct client_request rq = { .method = "DELETE", .auth = 1 };
	struct client_response rs;
	char path[256], msg[512];

	snprintf(path, sizeof(path), "/v1/sessions/%s", st->sid);
	rq.path = path;
	if (client_call(&st->x->c, &rq, &rs, st->x->err, sizeof(st->x->err)) <
	    0) {
		fprintf(stderr,
			"fnhost %s: warning: cannot close the "
			"session: %s\n",
			st->x->sp->name, st->x->err);
	} else if (rs.status != 200 && rs.status != 204 &&
		   !(st->ended && rs.status == 404)) {
		client_error_line(&rs, msg, sizeof(msg));
		fprintf(stderr,
			"fnhost %s: warning: cannot close the "
			"session: %s\n",
			st->x->sp->name, msg);
	}
	client_response_free(&rs);
}

static int
run_run(struct remote *x)
{
	struct run_opts o = { 0 };
	struct run_state st = { 0 };
	int i, ret = CLI_FAIL;

	if (remote_id_check(x, "function id", x->args[0]) < 0)
		goto out;
	o.function = x->args[0];
	o.pin = x->checksum[0] ? x->checksum : NULL;
	o.json = x->json;
	o.encrypt = x->encrypt;
	o.verify = x->verify;
	if ((o.encrypt || o.verify) && host_keys_get(x, &o.keys) < 0)
		goto out;
	if (o.verify && !o.keys.have_att) {
		remote_fail(x,
			    "--verify needs the host's attestation key, "
			    "which %s does not hold",
			    x->keyfile);
		goto out;
	}
	st.x = x;
	st.o = &o;
	if (session_open(&st) == 0) {
		for (i = 1; i < x->nargs; i++) {
			if (!strcmp(x->args[i], "-"))
				invoke_stdin(&st);
			else
				invoke_one(&st, x->args[i], strlen(x->args[i]));
		}
		ret = st.failed ? CLI_FAIL : CLI_OK;
	}
	if (st.sid[0])
		session_close(&st);
out:
	return ret;
}

const struct remote_spec run_cmd = {
	.name = "run",
	.usage = "run [options] [-c CHECKSUM] [--encrypt] [--verify] "
		 "[-k KEYFILE] ID INPUT...\n"
		 "  one session, one invoke per INPUT; '-' reads one input "
		 "per line\n  from standard input; -c pins the function's "
		 "checksum; '--' ends\n  the options, for inputs that start "
		 "with '-'; --encrypt seals\n  each invoke to the host's "
		 "key, --verify checks each answer's\n  attestation; the "
		 "keys come from KEYFILE or from the host",
	.min_args = 2,
	.max_args = -1,
	.takes = TAKES_CHECKSUM | TAKES_KEYFILE | TAKES_SEAL,
	.timeout_ms = REMOTE_TIMEOUT_MS,
	.run = run_run
};
