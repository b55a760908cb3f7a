/*
 * http.c: fnhostd's routes (see http.h).
 *
 * libmicrohttpd calls the access handler several times per request: once
 * with the headers, then once per piece of body, then once with no body
 * left, when the route answers.  struct request carries a request across
 * those calls and is freed by the completion callback.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <limits.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/b64.h"
#include "base/hex.h"
#include "formats/bundle.h"
#include "sandbox/channel.h"
#include "daemon/http.h"
#include "daemon/log.h"
#include "sandbox/scratch.h"
#include "daemon/token.h"

/* Bodies of the small JSON and text routes. */
#define SMALL_BODY (64u << 10)
/* A request refused before its body is read still has its body read and
 * dropped, up to this size, before the answer goes out: a client still
 * sending would otherwise meet a reset rather than the answer. */
#define DRAIN_MAX (1u << 20)

enum body_kind { BODY_NONE, BODY_SMALL, BODY_INPUT, BODY_DEPLOY };

/* What a handler answers. */
struct reply {
	int status;
	struct MHD_Response *resp;
};

struct request {
	enum body_kind kind;
	struct reply early; /* decided before the body, sent after it */
	int64_t start_ms;
	char *body;
	size_t len, limit;
	bool too_large;
	/* deploy */
	struct MHD_PostProcessor *pp;
	char staging[PATH_MAX];
	int staging_fd;
	int file_fd;
	char file_name[BUNDLE_NAME_MAX + 1];
	uint64_t total;
	size_t nfiles;
	int fail_status;
	char fail_code[32];
	char fail_msg[512];
};

/* ---- responses ----------------------------------------------------------- */

static struct MHD_Response *
json_response(json_object *obj)
{
	const char *text = json_object_to_json_string_ext(
		obj, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	struct MHD_Response *r = MHD_create_response_from_buffer(
		strlen(text), (void *)text, MHD_RESPMEM_MUST_COPY);

	if (r)
		MHD_add_response_header(r, "Content-Type",
					"application/json");
	json_object_put(obj);
	return r;
}

static void
reply_json(struct reply *rep, int status, json_object *obj)
{
	rep->status = status;
	rep->resp = json_response(obj);
}

static void
reply_error(struct reply *rep, int status, const char *code,
	    const char *fmt, ...)
{
	json_object *err = json_object_new_object(), *top;
	char msg[4200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	json_object_object_add(err, "code", json_object_new_string(code));
	json_object_object_add(err, "message", json_object_new_string(msg));
	top = json_object_new_object();
	json_object_object_add(top, "error", err);
	reply_json(rep, status, top);
}

static void
reply_session_error(struct reply *rep, const struct session_error *e)
{
	reply_error(rep, e->status, e->code, "%s", e->message);
}

/* Answer body bytes, sealed to the encrypted invoke st when it is set. */
static void
reply_bytes(struct reply *rep, int status, const char *type, const void *buf,
	    size_t len, struct hpke_ohttp *st)
{
	unsigned char *sealed = NULL;
	size_t sealed_len = 0;
	char err[256];

	if (st && hpke_ohttp_seal_response(st, buf, len, &sealed, &sealed_len,
					   err, sizeof(err)) < 0) {
		reply_error(rep, 500, "internal", "%s", err);
		return;
	}
	rep->status = status;
	rep->resp = MHD_create_response_from_buffer(
		st ? sealed_len : len, st ? sealed : (void *)buf,
		st ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_MUST_COPY);
	if (!rep->resp) {
		free(sealed);
		return;
	}
	MHD_add_response_header(rep->resp, "Content-Type",
				st ? "application/fnhost-hpke" : type);
}

/* A session's error; inside the encrypted answer when st is set, as the
 * function's error text may say something of its input. */
static void
reply_invoke_error(struct reply *rep, const struct session_error *e,
		   struct hpke_ohttp *st)
{
	json_object *err, *top;
	const char *text;

	if (!st) {
		reply_session_error(rep, e);
		return;
	}
	err = json_object_new_object();
	json_object_object_add(err, "code", json_object_new_string(e->code));
	json_object_object_add(err, "message",
			       json_object_new_string(e->message));
	top = json_object_new_object();
	json_object_object_add(top, "error", err);
	text = json_object_to_json_string_ext(
		top, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	reply_bytes(rep, e->status, "application/json", text, strlen(text),
		    st);
	json_object_put(top);
}

static void
reply_empty(struct reply *rep, int status)
{
	rep->status = status;
	rep->resp = MHD_create_response_from_buffer(0, NULL,
						    MHD_RESPMEM_PERSISTENT);
}

/* ---- authentication ------------------------------------------------------ */

/* The bearer token of the request, or NULL. */
static const char *
bearer(struct MHD_Connection *c)
{
	const char *h = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
						    "Authorization");

	if (!h || strncasecmp(h, "Bearer ", 7) != 0)
		return NULL;
	h += 7;
	while (*h == ' ')
		h++;
	return *h ? h : NULL;
}

static bool
is_admin(struct server *srv, struct MHD_Connection *c)
{
	const char *t = bearer(c);

	return t && strlen(t) == 64 &&
	       CRYPTO_memcmp(t, srv->admin_token, 64) == 0;
}

static bool
require_admin(struct server *srv, struct MHD_Connection *c,
	      struct reply *rep)
{
	if (is_admin(srv, c))
		return true;
	if (!bearer(c))
		reply_error(rep, 401, "unauthorized",
			    "this route needs the admin token");
	else
		reply_error(rep, 403, "forbidden",
			    "this route takes only the admin token");
	return false;
}

/* Check a function token; on success *tok holds its claims. */
static bool
require_token(struct server *srv, struct MHD_Connection *c,
	      struct store_token *tok, struct reply *rep)
{
	struct store_token rec;
	const char *t = bearer(c);
	char err[512];

	if (!t) {
		reply_error(rep, 401, "unauthorized",
			    "missing 'Authorization: Bearer' function token");
		return false;
	}
	if (token_cache_verify(srv->tokens, t, time(NULL), tok, err,
			       sizeof(err)) < 0) {
		reply_error(rep, 401, "unauthorized", "%s", err);
		return false;
	}
	if (store_token_get(srv->store, tok->jti, &rec, err, sizeof(err)) <
		    0 ||
	    rec.revoked) {
		reply_error(rep, 401, "unauthorized", "token %s is revoked",
			    tok->jti);
		return false;
	}
	return true;
}

static bool
token_for(const struct store_token *tok, const char *function_id,
	  struct reply *rep)
{
	if (!strcmp(tok->function_id, function_id))
		return true;
	reply_error(rep, 403, "forbidden",
		    "the token is for function %s, not %s", tok->function_id,
		    function_id);
	return false;
}

/* ---- helpers ------------------------------------------------------------- */

static void
sha256_hex(const void *buf, size_t len, char hex[65])
{
	unsigned char d[32];
	unsigned int dl = 0;

	EVP_Digest(buf, len, d, &dl, EVP_sha256(), NULL);
	hex_encode(hex, d, 32);
}

static json_object *
function_json(const struct store_function *f)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "id", json_object_new_string(f->id));
	json_object_object_add(o, "name", json_object_new_string(f->name));
	json_object_object_add(o, "version",
			       json_object_new_string(f->version));
	json_object_object_add(o, "checksum",
			       json_object_new_string(f->checksum));
	json_object_object_add(o, "created",
			       json_object_new_int64(f->created));
	return o;
}

/* Look a function up, answering 404 when there is none. */
static bool
find_function(struct server *srv, const char *id, struct store_function *f,
	      struct reply *rep)
{
	char err[512];

	if (store_function_get(srv->store, id, f, err, sizeof(err)) == 0)
		return true;
	if (errno == ENOENT)
		reply_error(rep, 404, "not_found", "no function '%.40s'", id);
	else
		reply_error(rep, 500, "internal", "%s", err);
	return false;
}

/* ---- functions ----------------------------------------------------------- */

static void
list_functions(struct server *srv, struct reply *rep)
{
	struct store_function *v = NULL;
	json_object *arr;
	char err[512];
	size_t i, n = 0;

	if (store_function_list(srv->store, &v, &n, err, sizeof(err)) < 0) {
		reply_error(rep, 500, "internal", "%s", err);
		return;
	}
	arr = json_object_new_array();
	for (i = 0; i < n; i++)
		json_object_array_add(arr, function_json(&v[i]));
	free(v);
	reply_json(rep, 200, arr);
}

static void
delete_function(struct server *srv, const char *id, struct reply *rep)
{
	struct store_function f;
	char err[512];

	if (!find_function(srv, id, &f, rep))
		return;
	if (store_function_delete(srv->store, id, err, sizeof(err)) < 0) {
		reply_error(rep, 500, "internal", "%s", err);
		return;
	}
	sessions_forget(srv->sessions, id); /* open ones finish */
	log_msg(LOG_LEVEL_INFO, "event=delete function=%s", id);
	reply_empty(rep, 204);
}

/* ---- deploy -------------------------------------------------------------- */

static void
deploy_fail(struct request *rq, int status, const char *code,
	    const char *fmt, ...)
{
	va_list ap;

	if (rq->fail_status)
		return; /* the first reason is the one to tell */
	rq->fail_status = status;
	snprintf(rq->fail_code, sizeof(rq->fail_code), "%s", code);
	va_start(ap, fmt);
	vsnprintf(rq->fail_msg, sizeof(rq->fail_msg), fmt, ap);
	va_end(ap);
}

static void
close_part(struct request *rq)
{
	if (rq->file_fd >= 0) {
		if (fsync(rq->file_fd) < 0)
			deploy_fail(rq, 500, "internal", "cannot write '%s'",
				    rq->file_name);
		close(rq->file_fd);
	}
	rq->file_fd = -1;
}

/* One piece of one uploaded file. */
static enum MHD_Result
deploy_part(void *cls, enum MHD_ValueKind kind, const char *key,
	    const char *filename, const char *content_type,
	    const char *transfer_encoding, const char *data, uint64_t off,
	    size_t size)
{
	struct request *rq = cls;
	const char *name = filename && *filename ? filename : key;
	char err[512];

	(void)kind;
	(void)content_type;
	(void)transfer_encoding;
	if (rq->fail_status)
		return MHD_YES; /* keep reading; the answer is decided */
	if (!name || bundle_name_check(name, strlen(name), err,
				       sizeof(err)) < 0) {
		deploy_fail(rq, 400, "bad_bundle", "%s",
			    name ? err : "a part has no file name");
		return MHD_YES;
	}
	if (off == 0 || strcmp(name, rq->file_name) != 0) {
		close_part(rq);
		if (++rq->nfiles > BUNDLE_MAX_FILES + 2) {
			deploy_fail(rq, 413, "too_large",
				    "a bundle holds at most %d files",
				    BUNDLE_MAX_FILES);
			return MHD_YES;
		}
		snprintf(rq->file_name, sizeof(rq->file_name), "%s", name);
		rq->file_fd = openat(rq->staging_fd, name,
				     O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
					     O_CLOEXEC,
				     0644);
		if (rq->file_fd < 0) {
			deploy_fail(rq, 400, "bad_bundle",
				    errno == EEXIST ? "file '%s' is sent twice"
						    : "cannot store '%s'",
				    name);
			return MHD_YES;
		}
	}
	rq->total += size;
	if (rq->total > rq->limit) {
		deploy_fail(rq, 413, "too_large",
			    "the bundle is over the limit of %zu bytes",
			    rq->limit);
		return MHD_YES;
	}
	if (size &&
	    pwrite(rq->file_fd, data, size, (off_t)off) != (ssize_t)size)
		deploy_fail(rq, 500, "internal", "cannot store '%s': %s", name,
			    strerror(errno));
	return MHD_YES;
}

/* Answer a deploy refused for rq's first reason, counted and logged. */
static void
deploy_refuse(struct server *srv, struct request *rq, struct reply *rep)
{
	atomic_fetch_add(&srv->metrics->deploys_refused, 1);
	log_msg(LOG_LEVEL_WARN, "event=deploy_refused reason=\"%s\"",
		rq->fail_msg);
	reply_error(rep, rq->fail_status, rq->fail_code, "%s", rq->fail_msg);
}

static void
deploy_finish(struct server *srv, struct request *rq, struct reply *rep)
{
	struct store_function f = {0};
	struct bundle_info info;
	char err[1024];
	int rc;

	close_part(rq);
	if (rq->fail_status)
		goto refuse;
	pthread_rwlock_rdlock(&srv->trust_lock);
	rc = bundle_verify(rq->staging_fd, srv->trusted, srv->ntrusted, &info,
			   err, sizeof(err));
	pthread_rwlock_unlock(&srv->trust_lock);
	if (rc < 0) {
		deploy_fail(rq,
			    strstr(err, "not a trusted key") ? 403 : 400,
			    strstr(err, "not a trusted key") ? "untrusted"
							     : "bad_bundle",
			    "%s", err);
		goto refuse;
	}
	if (store_bundle_install(srv->store, rq->staging, &info, err,
				 sizeof(err)) < 0) {
		deploy_fail(rq, 500, "internal", "%s", err);
		goto refuse;
	}
	rq->staging[0] = '\0'; /* the store owns it now */
	snprintf(f.name, sizeof(f.name), "%s", info.name);
	snprintf(f.version, sizeof(f.version), "%s", info.version);
	memcpy(f.checksum, info.checksum, sizeof(f.checksum));
	snprintf(f.plugin, sizeof(f.plugin), "%s", info.plugin);
	memcpy(f.plugin_sha256, info.plugin_sha256, 32);
	f.created = time(NULL);
	if (store_function_put(srv->store, &f, err, sizeof(err)) < 0) {
		deploy_fail(rq, 500, "internal", "%s", err);
		goto refuse;
	}
	atomic_fetch_add(&srv->metrics->deploys_ok, 1);
	log_msg(LOG_LEVEL_INFO,
		"event=deploy function=%s name=%s version=%s checksum=%s",
		f.id, f.name, f.version, f.checksum);
	reply_json(rep, 201, function_json(&f));
	return;
refuse:
	deploy_refuse(srv, rq, rep);
}

/* ---- tokens and trust ---------------------------------------------------- */

static json_object *
parse_body_object(struct request *rq, struct reply *rep)
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
		reply_error(rep, 400, "bad_request",
			    "the body is not a JSON object");
	}
	json_tokener_free(tok);
	return o;
}

static void
create_token(struct server *srv, struct request *rq, const char *id,
	     struct reply *rep)
{
	int64_t ttl = srv->cfg->token_default_ttl_s;
	struct store_function f;
	struct store_token rec;
	const char *pin = NULL;
	json_object *body, *v, *out;
	char err[512], *jwt = NULL;

	if (!find_function(srv, id, &f, rep))
		return;
	body = parse_body_object(rq, rep);
	if (!body)
		return;
	if (json_object_object_get_ex(body, "ttl", &v)) {
		if (!json_object_is_type(v, json_type_int) ||
		    json_object_get_int64(v) < 1 ||
		    json_object_get_int64(v) > srv->cfg->token_max_ttl_s) {
			reply_error(rep, 400, "bad_request",
				    "ttl must be a whole number of seconds "
				    "from 1 to %u",
				    srv->cfg->token_max_ttl_s);
			goto out;
		}
		ttl = json_object_get_int64(v);
	}
	if (json_object_object_get_ex(body, "checksum", &v)) {
		pin = json_object_get_string(v);
		if (!json_object_is_type(v, json_type_string) ||
		    strcmp(pin, f.checksum) != 0) {
			reply_error(rep, 409, "checksum_mismatch",
				    "function %s has checksum %s, not the "
				    "pinned one",
				    f.id, f.checksum);
			goto out;
		}
	}
	if (token_issue(srv->token_secret, f.id, pin, time(NULL), ttl, &rec,
			&jwt, err, sizeof(err)) < 0 ||
	    store_token_put(srv->store, &rec, err, sizeof(err)) < 0) {
		reply_error(rep, 500, "internal", "%s", err);
		goto out;
	}
	out = json_object_new_object();
	json_object_object_add(out, "token", json_object_new_string(jwt));
	json_object_object_add(out, "jti", json_object_new_string(rec.jti));
	json_object_object_add(out, "expires", json_object_new_int64(rec.exp));
	reply_json(rep, 201, out);
out:
	free(jwt);
	json_object_put(body);
}

static void
list_tokens(struct server *srv, struct reply *rep)
{
	struct store_token *v = NULL;
	json_object *arr, *o;
	char err[512];
	size_t i, n = 0;

	if (store_token_list(srv->store, &v, &n, err, sizeof(err)) < 0) {
		reply_error(rep, 500, "internal", "%s", err);
		return;
	}
	arr = json_object_new_array();
	for (i = 0; i < n; i++) {
		o = json_object_new_object();
		json_object_object_add(o, "jti",
				       json_object_new_string(v[i].jti));
		json_object_object_add(
			o, "function",
			json_object_new_string(v[i].function_id));
		if (v[i].checksum[0])
			json_object_object_add(
				o, "checksum",
				json_object_new_string(v[i].checksum));
		json_object_object_add(o, "issued",
				       json_object_new_int64(v[i].iat));
		json_object_object_add(o, "expires",
				       json_object_new_int64(v[i].exp));
		json_object_object_add(o, "revoked",
				       json_object_new_boolean(v[i].revoked));
		json_object_array_add(arr, o);
	}
	free(v);
	reply_json(rep, 200, arr);
}

static void
revoke_token(struct server *srv, const char *jti, struct reply *rep)
{
	char err[512];

	if (store_token_revoke(srv->store, jti, err, sizeof(err)) < 0) {
		if (errno == ENOENT)
			reply_error(rep, 404, "not_found", "no token '%.40s'",
				    jti);
		else
			reply_error(rep, 500, "internal", "%s", err);
		return;
	}
	log_msg(LOG_LEVEL_INFO, "event=revoke jti=%s", jti);
	reply_empty(rep, 204);
}

int
server_reload_trust(struct server *srv, char *err, size_t errlen)
{
	struct minisign_pubkey *keys = NULL, *old;
	size_t n = 0;

	if (store_trust_load(srv->store, &keys, &n, err, errlen) < 0)
		return -1;
	pthread_rwlock_wrlock(&srv->trust_lock);
	old = srv->trusted;
	srv->trusted = keys;
	srv->ntrusted = n;
	pthread_rwlock_unlock(&srv->trust_lock);
	free(old);
	return 0;
}

static void
trust_add(struct server *srv, struct request *rq, struct reply *rep)
{
	json_object *o;
	char err[512], keyid[17];

	if (store_trust_add(srv->store, rq->body ? rq->body : "", rq->len,
			    keyid, err, sizeof(err)) < 0) {
		reply_error(rep, 400, "bad_key", "%s", err);
		return;
	}
	if (server_reload_trust(srv, err, sizeof(err)) < 0) {
		reply_error(rep, 500, "internal", "%s", err);
		return;
	}
	log_msg(LOG_LEVEL_INFO, "event=trust_add key=%s", keyid);
	o = json_object_new_object();
	json_object_object_add(o, "key_id", json_object_new_string(keyid));
	reply_json(rep, 201, o);
}

static void
trust_list(struct server *srv, struct reply *rep)
{
	json_object *arr = json_object_new_array(), *o;
	char hex[17];
	size_t i, j;

	pthread_rwlock_rdlock(&srv->trust_lock);
	for (i = 0; i < srv->ntrusted; i++) {
		/* The id as minisign prints it: the 8 bytes, last first. */
		for (j = 0; j < 8; j++)
			snprintf(hex + 2 * j, 3, "%02X",
				 srv->trusted[i].key_id[7 - j]);
		o = json_object_new_object();
		json_object_object_add(o, "key_id",
				       json_object_new_string(hex));
		json_object_array_add(arr, o);
	}
	pthread_rwlock_unlock(&srv->trust_lock);
	reply_json(rep, 200, arr);
}

static void
trust_remove(struct server *srv, const char *keyid, struct reply *rep)
{
	char err[512];

	if (store_trust_remove(srv->store, keyid, err, sizeof(err)) < 0) {
		reply_error(rep, errno == ENOENT ? 404 : 400,
			    errno == ENOENT ? "not_found" : "bad_request", "%s",
			    err);
		return;
	}
	if (server_reload_trust(srv, err, sizeof(err)) < 0) {
		reply_error(rep, 500, "internal", "%s", err);
		return;
	}
	log_msg(LOG_LEVEL_INFO, "event=trust_remove key=%s", keyid);
	reply_empty(rep, 204);
}

/* ---- sessions ------------------------------------------------------------ */

/* Open a session after the pins are checked; 0 on success, with the
 * function's checksum in checksum. */
static int
open_session(struct server *srv, struct MHD_Connection *c,
	     const struct store_token *tok, const char *id,
	     struct session_opened *opened, char checksum[65],
	     struct reply *rep)
{
	const char *pin = MHD_lookup_connection_value(
		c, MHD_HEADER_KIND, "Fnhost-Function-Checksum");
	struct store_function f;
	struct session_error e;
	char path[PATH_MAX], err[512];
	int bundle_fd, status;

	if (!find_function(srv, id, &f, rep))
		return -1;
	/* The pins are checked before any worker exists. */
	if ((pin && strcmp(pin, f.checksum) != 0) ||
	    (tok->checksum[0] && strcmp(tok->checksum, f.checksum) != 0)) {
		reply_error(rep, 409, "checksum_mismatch",
			    "function %s has checksum %s, not the pinned %.64s",
			    f.id, f.checksum,
			    pin && strcmp(pin, f.checksum) ? pin
							   : tok->checksum);
		return -1;
	}
	if (atomic_load(&srv->draining)) {
		reply_error(rep, 503, "shutting_down",
			    "the host is shutting down");
		return -1;
	}
	if (store_bundle_open(srv->store, f.checksum, &bundle_fd, path,
			      sizeof(path), err, sizeof(err)) < 0) {
		reply_error(rep, 500, "internal", "%s", err);
		return -1;
	}
	status = sessions_open(srv->sessions, &f, bundle_fd, path, opened, &e);
	close(bundle_fd);
	if (status != 201) {
		reply_session_error(rep, &e);
		return -1;
	}
	log_msg(LOG_LEVEL_INFO, "event=session_open session=%s function=%s",
		opened->id, f.id);
	memcpy(checksum, f.checksum, 65);
	return 0;
}

static void
start_session(struct server *srv, struct MHD_Connection *c, const char *id,
	      struct reply *rep)
{
	struct session_opened opened;
	struct store_token tok;
	char checksum[65];
	json_object *o;

	if (!require_token(srv, c, &tok, rep) || !token_for(&tok, id, rep) ||
	    open_session(srv, c, &tok, id, &opened, checksum, rep) < 0)
		return;
	o = json_object_new_object();
	json_object_object_add(o, "session", json_object_new_string(opened.id));
	json_object_object_add(o, "function_checksum",
			       json_object_new_string(checksum));
	json_object_object_add(o, "expires",
			       json_object_new_int64(opened.expires));
	reply_json(rep, 201, o);
}

/* The output of a successful invoke, with the attestation headers:
 * the digests of the input the worker got and of the output it gave, and
 * the host's signature over them and the function's checksum. */
static void
reply_output(struct server *srv, struct reply *rep, const char *checksum,
	     const void *in, size_t inlen, struct worker_result *r,
	     struct hpke_ohttp *st)
{
	char in_hex[65], out_hex[65], sig[ATTEST_SIG_B64_LEN + 1], err[256];

	sha256_hex(in, inlen, in_hex);
	sha256_hex(r->output ? r->output : "", r->output_len, out_hex);
	if (hostkeys_attest(srv->keys, checksum, in_hex, out_hex, sig, err,
			    sizeof(err)) < 0) {
		reply_error(rep, 500, "internal", "%s", err);
		return;
	}
	reply_bytes(rep, 200, "application/octet-stream",
		    r->output ? r->output : "", r->output_len, st);
	if (!rep->resp)
		return;
	MHD_add_response_header(rep->resp, "Fnhost-Function-Checksum",
				checksum);
	MHD_add_response_header(rep->resp, "Fnhost-Input-Sha256", in_hex);
	MHD_add_response_header(rep->resp, "Fnhost-Output-Sha256", out_hex);
	MHD_add_response_header(rep->resp, "Fnhost-Attestation", sig);
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

/*
 * The body, decrypted when it is an encrypted invoke or, whole, an fnh1
 * text.  A body over max_input is answered 413; what fails to decrypt is
 * answered 400 and nothing runs: it is never handed to the function as if
 * it were plain input.  On success, input_free() in.
 */
static bool
input_open(struct server *srv, struct MHD_Connection *c, struct request *rq,
	   struct input *in, struct reply *rep)
{
	const char *body = rq->body ? rq->body : "";
	char err[256];

	memset(in, 0, sizeof(*in));
	if (rq->too_large) {
		reply_error(rep, 413, "too_large",
			    "the input is over the limit of %u bytes",
			    srv->cfg->max_input);
		return false;
	}
	in->buf = body;
	in->len = rq->len;
	if (is_hpke_request(c)) {
		if (hostkeys_open_request(srv->keys, &in->st, body, rq->len,
					  &in->plain, &in->plain_len, err,
					  sizeof(err)) < 0) {
			reply_error(rep, 400, "bad_request",
				    "the encrypted invoke can not be opened: "
				    "%s",
				    err);
			return false;
		}
		in->sealed = true;
	} else if (hpke_is_text(body, rq->len)) {
		/* A text file's line end is not part of the text. */
		size_t len = rq->len;

		if (len > 0 && body[len - 1] == '\n')
			len--;
		if (len > 0 && body[len - 1] == '\r')
			len--;
		if (hostkeys_decrypt_text(srv->keys, body, len, &in->plain,
					  &in->plain_len, err,
					  sizeof(err)) < 0) {
			reply_error(rep, 400, "bad_request",
				    "the fnh1: input can not be decrypted: %s",
				    err);
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

/* Run one invoke of session sid with input in, and answer it. */
static void
invoke_reply(struct server *srv, const char *sid, const char *function_id,
	     struct input *in, struct reply *rep)
{
	struct hpke_ohttp *st = in->sealed ? &in->st : NULL;
	struct worker_result r = {0};
	struct session_error e;
	char checksum[65];

	if (sessions_invoke(srv->sessions, sid, function_id, in->buf, in->len,
			    &r, checksum, &e) == 200)
		reply_output(srv, rep, checksum, in->buf, in->len, &r, st);
	else
		reply_invoke_error(rep, &e, st);
	free(r.output);
}

static void
invoke(struct server *srv, struct MHD_Connection *c, struct request *rq,
       const char *sid, struct reply *rep)
{
	struct store_token tok;
	struct input in;

	if (!require_token(srv, c, &tok, rep) ||
	    !input_open(srv, c, rq, &in, rep))
		return;
	invoke_reply(srv, sid, tok.function_id, &in, rep);
	input_free(&in);
}

static void
close_session(struct server *srv, struct MHD_Connection *c, const char *sid,
	      struct reply *rep)
{
	struct session_error e;
	struct store_token tok;

	if (!require_token(srv, c, &tok, rep))
		return;
	if (sessions_close(srv->sessions, sid, tok.function_id, &e) != 204) {
		reply_session_error(rep, &e);
		return;
	}
	log_msg(LOG_LEVEL_INFO, "event=session_close session=%s", sid);
	reply_empty(rep, 204);
}

static void
run_once(struct server *srv, struct MHD_Connection *c, struct request *rq,
	 const char *id, struct reply *rep)
{
	struct session_opened opened;
	struct session_error e;
	struct store_token tok;
	struct input in;
	char checksum[65];

	if (!require_token(srv, c, &tok, rep) || !token_for(&tok, id, rep) ||
	    !input_open(srv, c, rq, &in, rep))
		return;
	if (open_session(srv, c, &tok, id, &opened, checksum, rep) == 0) {
		invoke_reply(srv, opened.id, id, &in, rep);
		sessions_close(srv->sessions, opened.id, id, &e);
	}
	input_free(&in);
}

/* ---- the host's keys ----------------------------------------------------- */

static void
key_page(struct server *srv, struct reply *rep)
{
	unsigned char enc[HPKE_NPK], att[ATTEST_PK_BYTES];
	char enc_b64[64], att_b64[64];
	json_object *o, *e, *a;
	int64_t old_until;

	hostkeys_public(srv->keys, enc, att, &old_until);
	b64url_encode(enc_b64, sizeof(enc_b64), enc, sizeof(enc));
	b64url_encode(att_b64, sizeof(att_b64), att, sizeof(att));
	e = json_object_new_object();
	json_object_object_add(
		e, "kem", json_object_new_string("DHKEM(X25519, HKDF-SHA256)"));
	json_object_object_add(e, "kdf", json_object_new_string("HKDF-SHA256"));
	json_object_object_add(e, "aead",
			       json_object_new_string("ChaCha20Poly1305"));
	json_object_object_add(e, "public_key",
			       json_object_new_string(enc_b64));
	a = json_object_new_object();
	json_object_object_add(a, "alg", json_object_new_string("Ed25519"));
	json_object_object_add(a, "public_key",
			       json_object_new_string(att_b64));
	o = json_object_new_object();
	json_object_object_add(o, "encryption", e);
	json_object_object_add(o, "attestation", a);
	reply_json(rep, 200, o);
}

/* POST /v1/key/rotate {"keep": seconds}: a new encryption key; the old one
 * decrypts for keep seconds more. */
static void
rotate_key(struct server *srv, struct request *rq, struct reply *rep)
{
	json_object *body, *v;
	int64_t keep = 0;
	char err[512];

	body = parse_body_object(rq, rep);
	if (!body)
		return;
	if (json_object_object_get_ex(body, "keep", &v)) {
		keep = json_object_is_type(v, json_type_int)
			       ? json_object_get_int64(v)
			       : -1;
		if (keep < 0 || keep > 365 * 86400) {
			reply_error(rep, 400, "bad_request",
				    "keep must be a whole number of seconds "
				    "from 0 to 31536000");
			goto out;
		}
	}
	if (hostkeys_rotate(srv->keys, srv->store, (uint32_t)keep, err,
			    sizeof(err)) < 0) {
		reply_error(rep, 500, "internal", "%s", err);
		goto out;
	}
	log_msg(LOG_LEVEL_INFO, "event=key_rotate keep_s=%lld",
		(long long)keep);
	key_page(srv, rep);
out:
	json_object_put(body);
}

/* ---- health -------------------------------------------------------------- */

static void
healthz(struct server *srv, struct reply *rep)
{
	const struct sandbox_features *f = srv->features;
	json_object *o = json_object_new_object(), *sb, *ns;

	sb = json_object_new_object();
	json_object_object_add(sb, "landlock_abi",
			       json_object_new_int(f->landlock_abi));
	json_object_object_add(sb, "seccomp",
			       json_object_new_boolean(f->seccomp));
	ns = json_object_new_object();
	json_object_object_add(ns, "user", json_object_new_boolean(f->userns));
	json_object_object_add(ns, "pid", json_object_new_boolean(f->pidns));
	json_object_object_add(ns, "mount",
			       json_object_new_boolean(f->mountns));
	json_object_object_add(ns, "net", json_object_new_boolean(f->netns));
	json_object_object_add(ns, "ipc", json_object_new_boolean(f->ipcns));
	json_object_object_add(ns, "uts", json_object_new_boolean(f->utsns));
	json_object_object_add(sb, "namespaces", ns);
	json_object_object_add(
		sb, "relaxed",
		json_object_new_boolean(srv->cfg->sandbox_relaxed));
	json_object_object_add(
		o, "status",
		json_object_new_string(atomic_load(&srv->draining) ? "draining"
								   : "ok"));
	json_object_object_add(o, "sessions",
			       json_object_new_int64((int64_t)sessions_count(
				       srv->sessions)));
	json_object_object_add(o, "sandbox", sb);
	reply_json(rep, atomic_load(&srv->draining) ? 503 : 200, o);
}

static void
metrics_page(struct server *srv, struct reply *rep)
{
	size_t len = 0;
	char *text = metrics_render(srv->metrics, &len);

	if (!text) {
		reply_error(rep, 500, "internal", "out of memory");
		return;
	}
	rep->status = 200;
	rep->resp = MHD_create_response_from_buffer(len, text,
						    MHD_RESPMEM_MUST_FREE);
	if (rep->resp)
		MHD_add_response_header(rep->resp, "Content-Type",
					"text/plain; version=0.0.4");
	else
		free(text);
}

/* ---- routing ------------------------------------------------------------- */

#define MAX_SEGMENTS 6

/* Split "/v1/a/b" into segments in buf; returns their number, or -1 for
 * a path with too many, empty or overlong segments. */
static int
split_path(const char *url, char *buf, size_t buflen, char **seg)
{
	char *p, *save = NULL;
	int n = 0;

	if (strlen(url) >= buflen || url[0] != '/')
		return -1;
	memcpy(buf, url, strlen(url) + 1);
	for (p = strtok_r(buf, "/", &save); p; p = strtok_r(NULL, "/", &save)) {
		if (n == MAX_SEGMENTS)
			return -1;
		seg[n++] = p;
	}
	return n;
}

#define IS(i, s) (n > (i) && !strcmp(seg[i], (s)))

static void
route(struct server *srv, struct MHD_Connection *c, const char *method,
      const char *url, struct request *rq, struct reply *rep)
{
	bool get = !strcmp(method, "GET"), post = !strcmp(method, "POST"),
	     del = !strcmp(method, "DELETE");
	char buf[512], *seg[MAX_SEGMENTS];
	struct store_function f;
	int n = split_path(url, buf, sizeof(buf), seg);

	if (n == 1 && IS(0, "healthz") && get)
		return healthz(srv, rep);
	if (n == 1 && IS(0, "metrics") && get) {
		if (require_admin(srv, c, rep))
			metrics_page(srv, rep);
		return;
	}
	if (n < 2 || !IS(0, "v1"))
		goto not_found;
	if (IS(1, "functions")) {
		if (n == 2 && post) {
			if (require_admin(srv, c, rep))
				deploy_finish(srv, rq, rep);
			return;
		}
		if (n == 2 && get) {
			if (require_admin(srv, c, rep))
				list_functions(srv, rep);
			return;
		}
		if (n == 3 && get) {
			if (require_admin(srv, c, rep) &&
			    find_function(srv, seg[2], &f, rep))
				reply_json(rep, 200, function_json(&f));
			return;
		}
		if (n == 3 && del) {
			if (require_admin(srv, c, rep))
				delete_function(srv, seg[2], rep);
			return;
		}
		if (n == 4 && post && IS(3, "tokens")) {
			if (require_admin(srv, c, rep))
				create_token(srv, rq, seg[2], rep);
			return;
		}
		if (n == 4 && post && IS(3, "sessions"))
			return start_session(srv, c, seg[2], rep);
		if (n == 4 && post && IS(3, "run"))
			return run_once(srv, c, rq, seg[2], rep);
	} else if (IS(1, "sessions")) {
		if (n == 4 && post && IS(3, "invoke"))
			return invoke(srv, c, rq, seg[2], rep);
		if (n == 3 && del)
			return close_session(srv, c, seg[2], rep);
	} else if (IS(1, "tokens")) {
		if (!require_admin(srv, c, rep))
			return;
		if (n == 2 && get)
			return list_tokens(srv, rep);
		if (n == 3 && del)
			return revoke_token(srv, seg[2], rep);
	} else if (IS(1, "key")) {
		if (n == 2 && get)
			return key_page(srv, rep);
		if (n == 3 && post && IS(2, "rotate")) {
			if (require_admin(srv, c, rep))
				rotate_key(srv, rq, rep);
			return;
		}
	} else if (IS(1, "trust")) {
		if (!require_admin(srv, c, rep))
			return;
		if (n == 2 && post)
			return trust_add(srv, rq, rep);
		if (n == 2 && get)
			return trust_list(srv, rep);
		if (n == 3 && del)
			return trust_remove(srv, seg[2], rep);
	}
	if (rep->resp)
		return;
not_found:
	reply_error(rep, 404, "not_found", "no route %s %.200s", method, url);
}

/* Which body a route takes, decided from the headers alone. */
static enum body_kind
body_kind_of(const char *method, const char *url)
{
	size_t n = strlen(url);

	if (strcmp(method, "POST") != 0)
		return BODY_SMALL;
	if (!strcmp(url, "/v1/functions"))
		return BODY_DEPLOY;
	if ((n > 7 && !strcmp(url + n - 7, "/invoke")) ||
	    (n > 4 && !strcmp(url + n - 4, "/run")))
		return BODY_INPUT;
	return BODY_SMALL;
}

static struct request *
request_new(struct server *srv, struct MHD_Connection *c, const char *method,
	    const char *url, struct reply *rep)
{
	struct request *rq = calloc(1, sizeof(*rq));
	char err[512];

	if (!rq)
		return NULL;
	rq->start_ms = clock_now_ms();
	rq->staging_fd = rq->file_fd = -1;
	rq->kind = body_kind_of(method, url);
	rq->limit = rq->kind == BODY_INPUT    ? srv->cfg->max_input
		    : rq->kind == BODY_DEPLOY ? srv->cfg->max_bundle
					      : SMALL_BODY;
	/* A deploy is refused before its body is read unless it is the
	 * admin's: nobody else may make the host store megabytes. */
	if (rq->kind == BODY_DEPLOY && !require_admin(srv, c, rep))
		return rq;
	if (rq->kind == BODY_DEPLOY) {
		if (atomic_load(&srv->draining)) {
			reply_error(rep, 503, "shutting_down",
				    "the host is shutting down");
			return rq;
		}
		rq->pp = MHD_create_post_processor(c, 64 << 10, deploy_part,
						   rq);
		if (!rq->pp) {
			reply_error(rep, 400, "bad_request",
				    "a deploy is multipart/form-data, one "
				    "part per file");
			return rq;
		}
		if (store_staging_create(srv->store, rq->staging,
					 sizeof(rq->staging), &rq->staging_fd,
					 err, sizeof(err)) < 0) {
			rq->staging[0] = '\0';
			reply_error(rep, 500, "internal", "%s", err);
		}
	}
	return rq;
}

/* Take one piece of the body. */
static void
request_feed(struct request *rq, const char *data, size_t size)
{
	char *p;

	if (rq->pp) {
		if (MHD_post_process(rq->pp, data, size) != MHD_YES)
			deploy_fail(rq, 400, "bad_request",
				    "the multipart body is malformed");
		return;
	}
	if (rq->kind == BODY_DEPLOY)
		return; /* refused already; the body is dropped */
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

static enum MHD_Result
queue(struct server *srv, struct MHD_Connection *c, const char *method,
      const char *url, struct request *rq, struct reply *rep)
{
	enum MHD_Result ok;

	if (!rep->resp) {
		log_msg(LOG_LEVEL_ERROR, "method=%s path=%.200s msg=\"no "
					 "response\"",
			method, url);
		return MHD_NO;
	}
	ok = MHD_queue_response(c, (unsigned int)rep->status, rep->resp);
	MHD_destroy_response(rep->resp);
	atomic_fetch_add(&srv->metrics->requests, 1);
	log_msg(LOG_LEVEL_INFO,
		"method=%s path=%.200s status=%d bytes_in=%zu ms=%lld", method,
		url, rep->status,
		rq ? (rq->kind == BODY_DEPLOY ? (size_t)rq->total : rq->len)
		   : 0,
		rq ? (long long)(clock_now_ms() - rq->start_ms) : 0LL);
	return ok;
}

static enum MHD_Result
handle(void *cls, struct MHD_Connection *c, const char *url,
       const char *method, const char *version, const char *upload_data,
       size_t *upload_data_size, void **con_cls)
{
	struct server *srv = cls;
	struct request *rq = *con_cls;
	struct reply rep = {0};
	const char *cl;

	(void)version;
	if (!rq) {
		rq = request_new(srv, c, method, url, &rep);
		if (!rq)
			return MHD_NO;
		*con_cls = rq;
		cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
						 "Content-Length");
		if (!rep.resp && cl && strtoull(cl, NULL, 10) > rq->limit &&
		    rq->kind != BODY_DEPLOY)
			reply_error(&rep, 413, "too_large",
				    "the body is over the limit of %zu bytes",
				    rq->limit);
		if (!rep.resp && cl && rq->kind == BODY_DEPLOY &&
		    strtoull(cl, NULL, 10) > rq->limit + (1u << 20)) {
			deploy_fail(rq, 413, "too_large",
				    "the bundle is over the limit of %zu "
				    "bytes",
				    rq->limit);
			deploy_refuse(srv, rq, &rep);
		}
		if (rep.resp && cl && strtoull(cl, NULL, 10) > 0 &&
		    strtoull(cl, NULL, 10) <= DRAIN_MAX) {
			rq->early = rep;
			return MHD_YES;
		}
		/* Answer now (refusals that need no body), or read on. */
		if (!rep.resp)
			return MHD_YES;
		return queue(srv, c, method, url, rq, &rep);
	}
	if (rq->early.resp) {
		if (*upload_data_size) {
			*upload_data_size = 0; /* dropped */
			return MHD_YES;
		}
		rep = rq->early;
		rq->early.resp = NULL;
		return queue(srv, c, method, url, rq, &rep);
	}
	if (*upload_data_size) {
		request_feed(rq, upload_data, *upload_data_size);
		*upload_data_size = 0;
		return MHD_YES;
	}
	route(srv, c, method, url, rq, &rep);
	return queue(srv, c, method, url, rq, &rep);
}

static void
completed(void *cls, struct MHD_Connection *c, void **con_cls,
	  enum MHD_RequestTerminationCode toe)
{
	struct request *rq = *con_cls;

	(void)cls;
	(void)c;
	(void)toe;
	if (!rq)
		return;
	if (rq->early.resp)
		MHD_destroy_response(rq->early.resp); /* the client left */
	if (rq->pp)
		MHD_destroy_post_processor(rq->pp);
	if (rq->file_fd >= 0)
		close(rq->file_fd);
	if (rq->staging_fd >= 0)
		close(rq->staging_fd);
	if (rq->staging[0])
		scratch_remove(rq->staging); /* a refused or broken deploy */
	free(rq->body);
	free(rq);
	*con_cls = NULL;
}

/* ---- the daemon ---------------------------------------------------------- */

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

int
http_start(struct server *srv, char *err, size_t errlen)
{
	unsigned int flags = MHD_USE_THREAD_PER_CONNECTION |
			     MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL;
	struct sockaddr_storage addr;

	if (parse_listen(srv->cfg->listen, &addr, &flags) < 0) {
		snprintf(err, errlen, "bad listen address '%s' (ADDR:PORT)",
			 srv->cfg->listen);
		return -1;
	}
	srv->mhd = MHD_start_daemon(
		flags, 0, NULL, NULL, handle, srv, MHD_OPTION_SOCK_ADDR,
		(struct sockaddr *)&addr, MHD_OPTION_NOTIFY_COMPLETED,
		completed, srv, MHD_OPTION_CONNECTION_LIMIT,
		(unsigned int)srv->cfg->max_connections,
		MHD_OPTION_CONNECTION_TIMEOUT,
		(unsigned int)srv->cfg->client_timeout_s,
		MHD_OPTION_END);
	if (!srv->mhd) {
		snprintf(err, errlen, "cannot listen on %s: %s",
			 srv->cfg->listen, strerror(errno));
		return -1;
	}
	return 0;
}

void
http_stop(struct server *srv)
{
	if (srv->mhd)
		MHD_stop_daemon(srv->mhd);
	srv->mhd = NULL;
}
