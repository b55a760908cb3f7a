/*
 * api-sessions.c: the function token's routes (see api.h): open a
 * session, invoke it, close it, and the one-shot run.
 *
 * An input is opened before the worker sees it: an encrypted invoke's
 * body, or a whole body that is an fnh2: text, is decrypted with the
 * host's key for the session's own function checksum, and one that does
 * not open (made for another function, another host, altered, or an
 * fnh1: text, which named no function) is answered 400 and never handed
 * to the function as if it were plain input.  Every answer a function
 * gives is signed (the attestation headers).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "base/hex.h"
#include "daemon/api.h"
#include "daemon/log.h"

/* Whether f is what rq's pins (the Fnhost-Function-Checksum header, the
 * token's fch) allow; else rep is answered.  Checked before anything
 * else of a request is looked at, its input included, so that a pinned
 * caller is told of the pin whatever it sent. */
static bool
pins_allow(struct request *rq, const struct store_function *f,
	   struct reply *rep)
{
	const char *pin = MHD_lookup_connection_value(
		rq->conn, MHD_HEADER_KIND, "Fnhost-Function-Checksum");
	const char *tpin = rq->tok.checksum;

	if (pin && !api_checksum_text(pin)) {
		reply_error(rep, ERR_INVALID,
			    "Fnhost-Function-Checksum is 64 lower-case hex "
			    "digits");
		return false;
	}
	if ((pin && strcmp(pin, f->checksum) != 0) ||
	    (tpin[0] && strcmp(tpin, f->checksum) != 0)) {
		reply_error(rep, ERR_CONFLICT,
			    "function %s has checksum %s, not the pinned %.64s",
			    f->id, f->checksum,
			    pin && strcmp(pin, f->checksum) ? pin : tpin);
		return false;
	}
	return true;
}

/* sessions_open()'s result rc for f: the refusal answered, or the open
 * logged and checksum filled. */
static int
open_result(int rc, const struct store_function *f,
	    const struct session_opened *opened, char checksum[65],
	    const char *err, struct reply *rep)
{
	if (rc < 0) {
		reply_fail(rep, rc, err);
		if (err_kind_of(rc) == ERR_LIMIT)
			reply_retry_after(rep, opened->retry_after_s);
		return -1;
	}
	log_msg(LOG_LEVEL_INFO,
		"event=session_open session=%s function=%s name=%s number=%lld",
		opened->id, f->id, f->name, (long long)f->number);
	memcpy(checksum, f->checksum, 65);
	return 0;
}

/* Open a session of function id for rq's caller, once the pins are
 * checked; fills opened and checksum. */
static int
open_session(struct request *rq, const char *id, struct session_opened *opened,
	     char checksum[65], struct reply *rep)
{
	struct server *srv = rq->srv;
	struct store_function f;
	char path[PATH_MAX], err[SESSION_ERR_MAX];
	int bundle_fd, rc;

	if (!api_function_find(srv, id, &f, rep))
		return -1;
	/* The pins are checked before any worker exists. */
	if (!pins_allow(rq, &f, rep))
		return -1;
	if (atomic_load(&srv->draining)) {
		reply_error(rep, ERR_DRAINING, "the host is shutting down");
		return -1;
	}
	rc = store_bundle_open(srv->store, f.checksum, &bundle_fd, path,
			       sizeof(path), err, sizeof(err));
	if (rc < 0) {
		reply_fail(rep, rc, err);
		return -1;
	}
	rc = sessions_open(srv->sessions, &f, bundle_fd, path, rq->tok.jti,
			   rq->tok.function_id, opened, err, sizeof(err));
	close(bundle_fd);
	return open_result(rc, &f, opened, checksum, err, rep);
}

static void
reply_opened(struct reply *rep, const struct session_opened *opened,
	     const char *checksum)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "session",
			       json_object_new_string(opened->id));
	json_object_object_add(o, "function_checksum",
			       json_object_new_string(checksum));
	json_object_object_add(o, "expires",
			       json_object_new_int64(opened->expires));
	reply_json(rep, 201, o);
}

void
api_session_open(struct request *rq, struct reply *rep)
{
	struct session_opened opened;
	char checksum[65];

	if (open_session(rq, rq->arg, &opened, checksum, rep) == 0)
		reply_opened(rep, &opened, checksum);
}

/*
 * The open on the event thread, answered only from memory: the record of
 * an id in the store's cache (a name or an alias may need the disk), the
 * pins, and a session of it made ahead (sessions_open_ready()), whose
 * replacement the readier's thread makes from the bundle it opens
 * itself.  Anything else declines, having changed nothing, and
 * api_session_open() answers on a handler thread.  The checks and the
 * answers are api_session_open()'s, in its order.
 */
bool
api_session_open_try(struct request *rq, struct reply *rep)
{
	struct server *srv = rq->srv;
	struct session_opened opened;
	struct store_function f;
	char checksum[65], err[SESSION_ERR_MAX];
	int rc;

	if (!store_function_cached(srv->store, rq->arg, &f))
		return false;
	if (!pins_allow(rq, &f, rep))
		return true;
	if (atomic_load(&srv->draining)) {
		reply_error(rep, ERR_DRAINING, "the host is shutting down");
		return true;
	}
	rc = sessions_open_ready(srv->sessions, &f, rq->tok.jti,
				 rq->tok.function_id, &opened, err,
				 sizeof(err));
	if (rc == SESSIONS_NOT_READY)
		return false;
	if (rc == 0) {
		rq->refill = true;
		rq->refill_f = f;
	}
	if (open_result(rc, &f, &opened, checksum, err, rep) == 0)
		reply_opened(rep, &opened, checksum);
	return true;
}

void
api_session_open_end(struct request *rq)
{
	if (!rq->refill)
		return;
	rq->refill = false;
	sessions_want_ready(rq->srv->sessions, &rq->refill_f);
}

/* The output of a successful invoke, with the attestation headers: the
 * digests of the input the worker got and of the output it gave, and the
 * host's signature over them and the function's checksum.  r->output is
 * handed to libmicrohttpd as it is (NULL afterwards), not copied.  An
 * encrypted invoke's answer has the headers sealed with the output
 * (reply_sealed()): in the clear, the digests and the signature, which
 * anyone may check against a guess, would tell whoever sees the exchange
 * which input or output it was, out of the few a function such as
 * hide-and-seek takes. */
static void
reply_output(struct server *srv, struct reply *rep, const char *checksum,
	     const void *in, size_t inlen, struct worker_result *r,
	     struct hpke_ohttp *st)
{
	char in_hex[65], out_hex[65], sig[ATTEST_SIG_B64_LEN + 1], err[256];
	const char *out = r->output ? r->output : "";
	const struct reply_header hdrs[] = {
		{ "Fnhost-Function-Checksum", checksum },
		{ "Fnhost-Input-Sha256", in_hex },
		{ "Fnhost-Output-Sha256", out_hex },
		{ "Fnhost-Attestation", sig },
	};
	size_t i;

	if (hex_sha256(in_hex, in, inlen) < 0 ||
	    hex_sha256(out_hex, out, r->output_len) < 0 ||
	    hostkeys_attest(srv->keys, checksum, in_hex, out_hex, sig, err,
			    sizeof(err)) < 0) {
		reply_error(rep, ERR_INTERNAL, "%s", err);
		return;
	}
	if (st) {
		reply_sealed(rep, 200, "application/octet-stream", hdrs,
			     sizeof(hdrs) / sizeof(hdrs[0]), out, r->output_len,
			     st);
		return;
	}
	reply_bytes_take(rep, 200, "application/octet-stream", r->output,
			 r->output_len, NULL);
	r->output = NULL;
	if (!rep->resp)
		return;
	for (i = 0; i < sizeof(hdrs) / sizeof(hdrs[0]); i++)
		MHD_add_response_header(rep->resp, hdrs[i].name, hdrs[i].value);
}

/* An invoke's input as the worker is to see it. */
struct input {
	const void *buf;
	size_t len;
	unsigned char *plain; /* decrypted: wiped and freed by input_free() */
	size_t plain_len;
	struct hpke_ohttp st; /* an encrypted invoke's, for its answer */
	bool sealed;
};

static bool
is_hpke_request(struct MHD_Connection *c)
{
	const char *type = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
						       "Content-Type");

	return type && !strcasecmp(type, "application/fnhost-hpke");
}

/* An fnh2: text without the line end a text file gives it. */
static size_t
text_len(const char *body, size_t len)
{
	if (len > 0 && body[len - 1] == '\n')
		len--;
	if (len > 0 && body[len - 1] == '\r')
		len--;
	return len;
}

/* An encrypted invoke whose plaintext is itself an fnh2 text: a hider's
 * sealed position sent by a seeker with fnhost run --encrypt.  The text
 * is opened too, so the function sees what it sees without --encrypt; a
 * text that does not open is answered 400, sealed to the request. */
static bool
input_open_inner(struct server *srv, const char *checksum, struct input *in,
		 struct reply *rep)
{
	unsigned char *inner = NULL;
	size_t inner_len = 0;
	char err[256], why[320];

	if (!hpke_is_text(in->plain, in->plain_len))
		return true;
	if (hostkeys_decrypt_text(srv->keys, checksum, (const char *)in->plain,
				  text_len((const char *)in->plain,
					   in->plain_len),
				  &inner, &inner_len, err, sizeof(err)) < 0) {
		snprintf(why, sizeof(why),
			 "the encrypted input does not open for function "
			 "%s: %s",
			 checksum, err);
		reply_fail_sealed(rep, -ERR_INVALID, why, &in->st);
		return false;
	}
	hpke_free(in->plain, in->plain_len);
	in->plain = inner;
	in->plain_len = inner_len;
	return true;
}

/* rq's body, decrypted for the function checksum when it is an encrypted
 * invoke (and the fnh2 text it may carry) or, whole, an fnh2 text.  A
 * body over max_input is answered 413; one that fails to decrypt 400.
 * On success, and on a false return, input_free() in. */
static bool
input_open(struct request *rq, const char *checksum, struct input *in,
	   struct reply *rep)
{
	struct server *srv = rq->srv;
	const char *body = rq->body ? rq->body : "";
	char err[256];

	memset(in, 0, sizeof(*in));
	if (rq->too_large) {
		reply_error(rep, ERR_TOO_LARGE,
			    "the input is over the limit of %u bytes",
			    srv->cfg->max_input);
		return false;
	}
	in->buf = body;
	in->len = rq->len;
	if (is_hpke_request(rq->conn)) {
		if (hostkeys_open_request(srv->keys, &in->st, checksum, body,
					  rq->len, &in->plain, &in->plain_len,
					  err, sizeof(err)) < 0) {
			reply_error(rep, ERR_INVALID,
				    "the encrypted invoke can not be opened "
				    "for function %s: %s",
				    checksum, err);
			return false;
		}
		in->sealed = true;
		if (!input_open_inner(srv, checksum, in, rep))
			return false;
	} else if (hpke_is_text(body, rq->len)) {
		if (hostkeys_decrypt_text(srv->keys, checksum, body,
					  text_len(body, rq->len), &in->plain,
					  &in->plain_len, err,
					  sizeof(err)) < 0) {
			reply_error(rep, ERR_INVALID,
				    "the encrypted input does not open for "
				    "function %s: %s",
				    checksum, err);
			return false;
		}
	} else {
		return true;
	}
	in->buf = in->plain;
	in->len = in->plain_len;
	return true;
}

static void
input_free(struct input *in)
{
	if (in->plain)
		hpke_free(in->plain, in->plain_len);
	hpke_ohttp_clear(&in->st);
}

/* Run one invoke of session sid, opened by the caller's token tok, with
 * input in, and answer it; or, with wt and the session busy, queue wt
 * (rep->queued) and answer nothing. */
static void
invoke_reply(struct server *srv, const char *sid, const struct store_token *tok,
	     struct input *in, struct session_waiter *wt, struct reply *rep)
{
	struct hpke_ohttp *st = in->sealed ? &in->st : NULL;
	struct worker_result r = { 0 };
	char checksum[65], err[SESSION_ERR_MAX];
	int rc;

	rc = sessions_invoke(srv->sessions, sid, tok->function_id, tok->jti,
			     in->buf, in->len, wt, &r, checksum, err,
			     sizeof(err));
	if (rc == SESSIONS_QUEUED)
		rep->queued = true;
	else if (rc == 0)
		reply_output(srv, rep, checksum, in->buf, in->len, &r, st);
	else if (rc == -ERR_FUNCTION && r.error_text)
		reply_fail_sealed(rep, rc, r.error_text, st); /* all of it */
	else
		reply_fail_sealed(rep, rc, err, st);
	worker_result_free(&r);
}

/*
 * A session answers only the token that opened it (session.h): another
 * token of the same function, pinned to another checksum or held by
 * another client, gets 404 as for a session that is not there.
 * An invoke of a busy session waits in the session's queue without a
 * handler thread (session.h, struct session_waiter), and is handled
 * here again when its turn comes: once queued, rq may be answered and
 * freed by another thread, so nothing of it is touched after.
 */
void
api_session_invoke(struct request *rq, struct reply *rep)
{
	struct sessions *ss = rq->srv->sessions;
	char checksum[65], err[SESSION_ERR_MAX];
	struct input in;
	int rc;

	rc = sessions_checksum(ss, rq->arg, rq->tok.function_id, rq->tok.jti,
			       checksum, err, sizeof(err));
	if (rc < 0) {
		reply_fail(rep, rc, err);
		return;
	}
	if (input_open(rq, checksum, &in, rep))
		invoke_reply(rq->srv, rq->arg, &rq->tok, &in, &rq->wait, rep);
	else /* a turn kept for this request would be kept for ever */
		sessions_invoke_cancel(ss, rq->arg, rq->tok.function_id,
				       rq->tok.jti, &rq->wait);
	input_free(&in);
}

/* Close rq's session, waiting for its invoke if may_wait: whether rep
 * is the answer (not when the close would have waited). */
static bool
close_session(struct request *rq, bool may_wait, struct reply *rep)
{
	char err[SESSION_ERR_MAX];
	int rc;

	rc = sessions_close(rq->srv->sessions, rq->arg, rq->tok.function_id,
			    may_wait, err, sizeof(err));
	if (rc == SESSIONS_BUSY)
		return false;
	if (rc < 0) {
		reply_fail(rep, rc, err);
		return true;
	}
	log_msg(LOG_LEVEL_INFO, "event=session_close session=%s", rq->arg);
	reply_empty(rep, 204);
	return true;
}

void
api_session_close(struct request *rq, struct reply *rep)
{
	close_session(rq, true, rep);
}

/* The close on the event thread: of a session with no invoke running or
 * waiting for its turn, and a place in the graves for its worker, which
 * the table's burier ends; any other is closed on a handler thread. */
bool
api_session_close_try(struct request *rq, struct reply *rep)
{
	return close_session(rq, false, rep);
}

void
api_run(struct request *rq, struct reply *rep)
{
	struct session_opened opened;
	struct store_function f;
	struct input in;
	char checksum[65], err[SESSION_ERR_MAX];

	/* The input is opened for the function's checksum before any worker
	 * exists, so one made for another function starts nothing. */
	if (!api_function_find(rq->srv, rq->arg, &f, rep) ||
	    !pins_allow(rq, &f, rep))
		return;
	if (!input_open(rq, f.checksum, &in, rep))
		goto out;
	if (open_session(rq, rq->arg, &opened, checksum, rep) == 0) {
		/* An alias moved between the two look ups would leave the
		 * input opened for a checksum that is not the session's. */
		if (strcmp(checksum, f.checksum) != 0)
			reply_error(rep, ERR_CONFLICT,
				    "function %s changed to checksum %s while "
				    "its input was opened for %s",
				    f.id, checksum, f.checksum);
		else
			/* none other has its id: nothing queues */
			invoke_reply(rq->srv, opened.id, &rq->tok, &in, NULL,
				     rep);
		sessions_close(rq->srv->sessions, opened.id,
			       rq->tok.function_id, true, err, sizeof(err));
	}
out:
	input_free(&in);
}
