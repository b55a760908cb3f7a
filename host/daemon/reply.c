/*
 * reply.c: fnhostd's answers (see api.h), and the one table that turns
 * an error kind into an HTTP status and a JSON error code.
 */
#include <openssl/crypto.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/utf8.h"
#include "daemon/api.h"

static const struct {
	int status;
	const char *code;
} kinds[ERR_KIND_COUNT] = {
	[ERR_OK] = { 200, "ok" },
	[ERR_INTERNAL] = { 500, "internal" },
	[ERR_IO] = { 500, "internal" },
	[ERR_INVALID] = { 400, "bad_request" },
	[ERR_BAD_BUNDLE] = { 400, "bad_bundle" },
	[ERR_BAD_KEY] = { 400, "bad_key" },
	[ERR_UNTRUSTED] = { 403, "untrusted" },
	[ERR_UNAUTHORIZED] = { 401, "unauthorized" },
	[ERR_FORBIDDEN] = { 403, "forbidden" },
	[ERR_NOT_FOUND] = { 404, "not_found" },
	[ERR_NO_SESSION] = { 404, "no_session" },
	[ERR_CONFLICT] = { 409, "checksum_mismatch" },
	[ERR_TOO_LARGE] = { 413, "too_large" },
	[ERR_LIMIT] = { 429, "too_many_sessions" },
	[ERR_DRAINING] = { 503, "shutting_down" },
	[ERR_FUNCTION] = { 422, "function_error" },
	[ERR_REFUSED] = { 502, "plugin_refused" },
	[ERR_CRASHED] = { 502, "worker_crashed" },
	[ERR_TIMEOUT] = { 504, "timeout" },
	/* RFC 9110's 421: this host can not answer for that session, its
	 * node can; a proxy routing by the id's node label never sends it. */
	[ERR_MISDIRECTED] = { 421, "wrong_node" },
	[ERR_UNAVAILABLE] = { 503, "registry_unavailable" },
	[ERR_METHOD] = { 405, "method_not_allowed" },
};

int
reply_status_of(enum err_kind kind)
{
	return (unsigned)kind < ERR_KIND_COUNT ? kinds[kind].status : 500;
}

const char *
reply_code_of(enum err_kind kind)
{
	return (unsigned)kind < ERR_KIND_COUNT ? kinds[kind].code : "internal";
}

static const char *
json_text(json_object *obj)
{
	return json_object_to_json_string_ext(
		obj, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
}

void
reply_json(struct reply *rep, int status, json_object *obj)
{
	const char *text = json_text(obj);

	rep->status = status;
	rep->resp = MHD_create_response_from_buffer(strlen(text), (void *)text,
						    MHD_RESPMEM_MUST_COPY);
	if (rep->resp)
		MHD_add_response_header(rep->resp, "Content-Type",
					"application/json");
	json_object_put(obj);
}

void
reply_empty(struct reply *rep, int status)
{
	rep->status = status;
	rep->resp = MHD_create_response_from_buffer(0, NULL,
						    MHD_RESPMEM_PERSISTENT);
}

static json_object *
error_json(enum err_kind kind, const char *msg)
{
	json_object *err = json_object_new_object(), *top;
	size_t n = strlen(msg);
	char *clean = malloc(3 * n + 1);

	/* A message may carry a plugin's text, or be cut to a buffer inside
	 * a character: JSON is UTF-8 (utf8.h). */
	if (clean)
		utf8_clean(clean, 3 * n + 1, msg, n);
	json_object_object_add(err, "code",
			       json_object_new_string(reply_code_of(kind)));
	json_object_object_add(err, "message",
			       json_object_new_string(clean ? clean : ""));
	free(clean);
	top = json_object_new_object();
	json_object_object_add(top, "error", err);
	return top;
}

void
reply_error(struct reply *rep, enum err_kind kind, const char *fmt, ...)
{
	char small[512], *msg = small;
	va_list ap;
	int n;

	/* Any length: a function's error text is as long as it says. */
	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n >= (int)sizeof(small) && (msg = malloc((size_t)n + 1)) != NULL) {
		va_start(ap, fmt);
		vsnprintf(msg, (size_t)n + 1, fmt, ap);
		va_end(ap);
	}
	if (!msg)
		msg = small; /* out of memory: what fitted */
	reply_json(rep, reply_status_of(kind), error_json(kind, msg));
	if (msg != small)
		free(msg);
}

void
reply_fail(struct reply *rep, int rc, const char *err)
{
	reply_error(rep, err_kind_of(rc), "%s", err);
}

void
reply_retry_after(struct reply *rep, unsigned seconds)
{
	char v[16];

	snprintf(v, sizeof(v), "%u", seconds ? seconds : 1);
	if (rep->resp)
		MHD_add_response_header(rep->resp, "Retry-After", v);
}

/*
 * An encrypted invoke's answer, whatever it is, goes out as 200 with
 * only its Content-Type in the clear: the status, the headers and the
 * body are sealed together, as "SSS\n", then "Name: value\n" for each
 * header, then "\n", then the body.  Were the status or the attestation
 * headers outside, whoever sees the exchange would learn whether the
 * function failed on the input, and could test guesses of the input and
 * output against their digests and signature.
 */
void
reply_sealed(struct reply *rep, int status, const char *type,
	     const struct reply_header *hdrs, size_t n, const void *buf,
	     size_t len, struct hpke_ohttp *st)
{
	unsigned char *inner = NULL, *sealed = NULL;
	size_t head = 0, i, sealed_len = 0;
	char err[256];
	int w;

	/* "SSS\n" + "Content-Type: " type "\n" + the headers + "\n" */
	head = 4 + 14 + strlen(type) + 1 + 1;
	for (i = 0; i < n; i++)
		head += strlen(hdrs[i].name) + 2 + strlen(hdrs[i].value) + 1;
	if (status < 100 || status > 999 || len > SIZE_MAX - head - 1 ||
	    !(inner = malloc(head + len + 1))) {
		reply_error(rep, ERR_INTERNAL, "cannot frame the answer");
		goto out;
	}
	w = snprintf((char *)inner, head + 1, "%03d\nContent-Type: %s\n",
		     status, type);
	for (i = 0; i < n && w >= 0; i++)
		w += snprintf((char *)inner + w, head + 1 - (size_t)w,
			      "%s: %s\n", hdrs[i].name, hdrs[i].value);
	inner[head - 1] = '\n';
	if (len)
		memcpy(inner + head, buf, len);
	if (hpke_ohttp_seal_response(st, inner, head + len, &sealed,
				     &sealed_len, err, sizeof(err)) < 0) {
		reply_error(rep, ERR_INTERNAL, "%s", err);
		goto out;
	}
	rep->status = 200;
	rep->resp = MHD_create_response_from_buffer(sealed_len, sealed,
						    MHD_RESPMEM_MUST_FREE);
	if (!rep->resp) {
		free(sealed);
		goto out;
	}
	MHD_add_response_header(rep->resp, "Content-Type",
				"application/fnhost-hpke");
out:
	if (inner)
		OPENSSL_cleanse(inner, head + len);
	free(inner);
}

void
reply_bytes(struct reply *rep, int status, const char *type, const void *buf,
	    size_t len, struct hpke_ohttp *st)
{
	if (st) {
		reply_sealed(rep, status, type, NULL, 0, buf, len, st);
		return;
	}
	rep->status = status;
	rep->resp = MHD_create_response_from_buffer(len, (void *)buf,
						    MHD_RESPMEM_MUST_COPY);
	if (!rep->resp)
		return;
	MHD_add_response_header(rep->resp, "Content-Type", type);
}

void
reply_bytes_take(struct reply *rep, int status, const char *type, void *buf,
		 size_t len, struct hpke_ohttp *st)
{
	if (!buf || st) {
		/* Sealing makes new bytes anyway; NULL is no output. */
		reply_bytes(rep, status, type, buf ? buf : "", len, st);
		free(buf);
		return;
	}
	rep->status = status;
	rep->resp = MHD_create_response_from_buffer(len, buf,
						    MHD_RESPMEM_MUST_FREE);
	if (!rep->resp) {
		free(buf);
		return;
	}
	MHD_add_response_header(rep->resp, "Content-Type", type);
}

void
reply_fail_sealed(struct reply *rep, int rc, const char *err,
		  struct hpke_ohttp *st)
{
	enum err_kind kind = err_kind_of(rc);
	json_object *obj;
	const char *text;

	if (!st) {
		reply_fail(rep, rc, err);
		return;
	}
	obj = error_json(kind, err);
	text = json_text(obj);
	reply_bytes(rep, reply_status_of(kind), "application/json", text,
		    strlen(text), st);
	json_object_put(obj);
}
