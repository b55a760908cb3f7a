/*
 * api.h: what the HTTP layer's modules share, and nothing outside it.
 *
 * http.c owns the transport: it matches a request's head against the
 * route table (routes.c), authenticates the caller from the route's
 * entry before any body byte is read (auth.c), reads the body the entry
 * allows, and calls the entry's handler once the body is complete.  A
 * handler fills a struct reply; reply.c turns error kinds (base/err.h)
 * into statuses and JSON error codes through one table.  The handlers
 * live by concern: api-functions.c (functions and tokens), api-deploy.c,
 * api-sessions.c (sessions, invokes, one-shot runs) and api-host.c
 * (health, metrics, the host's keys, trusted publishers).
 */
#ifndef FNHOST_API_H
#define FNHOST_API_H

#include <json-c/json.h>
#include <microhttpd.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "daemon/conns.h"
#include "daemon/deploy.h"
#include "daemon/hostkeys.h"
#include "daemon/http.h"
#include "daemon/jobs.h"
#include "daemon/metrics.h"
#include "daemon/registry.h"
#include "daemon/secrets.h"
#include "daemon/session.h"
#include "daemon/store.h"
#include "daemon/token.h"
#include "daemon/trust.h"
#include "formats/config.h"
#include "formats/hpke.h"
#include "sandbox/sandbox.h"

struct server {
	const struct config *cfg;
	struct store *store;
	struct sessions *sessions;
	struct metrics *metrics;
	const struct sandbox_features *features;
	struct hostkeys *keys;	 /* encryption and attestation */
	struct secrets *secrets; /* resealed by a key rotation */
	struct trust *trust;	 /* trusted publisher keys */
	char admin_token[65];
	struct token_cache *tokens; /* verified function tokens */
	unsigned char token_secret[32];
	atomic_bool draining;
	struct MHD_Daemon *mhd;
	struct jobs *jobs;   /* the handlers that wait */
	struct conns *conns; /* every connection's deadline */
	/* store = postgres: the shared registry every write goes to (the
	 * store is its cache); NULL with store = file.  Set before
	 * http_start(). */
	struct registry *registry;
};

/* Who may call a route. */
enum caller {
	CALLER_ANYONE,
	CALLER_ADMIN,	 /* the admin token */
	CALLER_TOKEN,	 /* any function's token; the session checks it */
	CALLER_TOKEN_ID, /* a token for the function the path names */
};

/* What a route reads as its body. */
enum body_kind {
	BODY_NONE,   /* none: up to BODY_SMALL_MAX are dropped */
	BODY_SMALL,  /* JSON or a key, up to BODY_SMALL_MAX, buffered */
	BODY_INPUT,  /* an invoke's input, up to max_input, buffered */
	BODY_DEPLOY, /* multipart files, up to max_bundle, to the store */
};
#define BODY_SMALL_MAX (64u << 10)

struct request;
struct reply;

/* Where a handler runs: on the event thread that read the request (it
 * answers at once), or, for those that wait on a worker or the disk, on
 * a handler thread (jobs.h) while the connection is suspended.  A
 * RUNS_TRY_INLINE route has both: its try_inline runs first on the event
 * thread and answers when all it needs is in memory; when it declines,
 * handle runs on a handler thread as for RUNS_WAITING.  A try_inline
 * may not block: no disk, no worker, no wait on a lock that anyone
 * holds across I/O or a worker call. */
enum runs { RUNS_INLINE, RUNS_WAITING, RUNS_TRY_INLINE };

struct route {
	const char *method;
	const char *path; /* segments; "{}" matches one, the argument; a
			     last "*" the rest, which must not be empty */
	enum caller who;
	enum body_kind body;
	enum runs runs;
	void (*handle)(struct request *rq, struct reply *rep);
	/* RUNS_TRY_INLINE: true when rep is the answer; false, with
	 * nothing visible changed and rep untouched, to run handle on a
	 * handler thread.  Not called for a body over its limit. */
	bool (*try_inline)(struct request *rq, struct reply *rep);
};

/* The entry for method and url, with its "{}" segment copied to arg
 * (arg[0] = '\0' when it has none); NULL when no entry matches. */
const struct route *route_find(const char *method, const char *url, char *arg,
			       size_t arglen);
/* The methods that url has routes for, as "GET, DELETE" into buf (for
 * CORS preflights); returns how many (0: none, buf is ""). */
size_t route_methods(const char *url, char *buf, size_t len);
/* The table itself, for tests. */
extern const struct route route_table[];
extern const size_t route_count;

/* A request, from its head to its completion. */
struct request {
	struct server *srv;
	struct MHD_Connection *conn;
	const struct route *route;
	char arg[256];		/* the path's "{}" segment, or its "*" rest */
	struct store_token tok; /* the caller's, for CALLER_TOKEN* */
	int64_t start_ms;
	uint64_t received; /* body bytes, stored or not */
	char *body;	   /* BODY_SMALL, BODY_INPUT: NUL-terminated */
	size_t len, limit;
	bool too_large; /* the body passed limit; the rest drained */
	struct deploy_upload *upload; /* BODY_DEPLOY */
	/* An invoke's place in its session's queue (session.h); http.c
	 * sets it to hand the request back to a handler thread. */
	struct session_waiter wait;
	/* A session of refill_f made ahead was handed over on the event
	 * thread: its replacement is asked for once the answer is sent
	 * (api_session_open_end()), so that the thread making it does not
	 * take the CPU from the answer on its way. */
	bool refill;
	struct store_function refill_f;
};

/* What a handler answers. */
struct reply {
	int status;
	struct MHD_Response *resp;
	/* The answer streams until a deadline of its handler's own (a log
	 * follower's): the connection's body deadline (conns.h) must not
	 * cut it short. */
	bool own_deadline;
	/* No answer yet: the request waits in its session's queue, to be
	 * handled again when its turn comes, and is another thread's from
	 * the moment it was queued.  Only for a RUNS_WAITING route. */
	bool queued;
};

/* Decide whether rq's caller may call rq->route, from the request head
 * alone; on success rq->tok holds a function token's claims.  Returns 0,
 * or -ERR_UNAUTHORIZED / -ERR_FORBIDDEN / -ERR_IO with a reason. */
int auth_check(struct request *rq, char *err, size_t errlen);

/* ---- replies (reply.c) ---- */

/* The status and JSON error code of an error kind. */
int reply_status_of(enum err_kind kind);
const char *reply_code_of(enum err_kind kind);

void reply_json(struct reply *rep, int status, json_object *obj);
void reply_empty(struct reply *rep, int status);
/* {"error":{"code","message"}} with the kind's status and code. */
void reply_error(struct reply *rep, enum err_kind kind, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* The error a function's return value rc < 0 and its reason stand for. */
void reply_fail(struct reply *rep, int rc, const char *err);
/* Add "Retry-After: seconds" to a refusal. */
void reply_retry_after(struct reply *rep, unsigned seconds);
/* Body bytes, sealed to the encrypted invoke st when st is not NULL. */
void reply_bytes(struct reply *rep, int status, const char *type,
		 const void *buf, size_t len, struct hpke_ohttp *st);
/* A header of an answer sealed to an encrypted invoke. */
struct reply_header {
	const char *name, *value;
};
/* The answer status, type, the n headers and len bytes of buf, sealed
 * together to the encrypted invoke st (reply.c says how); the response
 * itself is 200 application/fnhost-hpke with nothing else to read. */
void reply_sealed(struct reply *rep, int status, const char *type,
		  const struct reply_header *hdrs, size_t n, const void *buf,
		  size_t len, struct hpke_ohttp *st);
/* reply_bytes() of a malloc()ed buf (NULL for none) that it takes and
 * frees in every case: libmicrohttpd sends it and free()s it, with no
 * copy. */
void reply_bytes_take(struct reply *rep, int status, const char *type,
		      void *buf, size_t len, struct hpke_ohttp *st);
/* reply_fail(), inside the encrypted answer when st is not NULL: the
 * function's error text may say something of its input. */
void reply_fail_sealed(struct reply *rep, int rc, const char *err,
		       struct hpke_ohttp *st);

/* rq's body as a JSON object ({} when empty), or NULL with the 400
 * answered. */
json_object *request_json(struct request *rq, struct reply *rep);

/* ---- handlers ---- */

/* api-functions.c */
void api_function_list(struct request *rq, struct reply *rep);
void api_function_show(struct request *rq, struct reply *rep);
void api_function_delete(struct request *rq, struct reply *rep);
void api_version_list(struct request *rq, struct reply *rep);
void api_alias_set(struct request *rq, struct reply *rep);
void api_alias_delete(struct request *rq, struct reply *rep);
void api_rollback(struct request *rq, struct reply *rep);
void api_token_create(struct request *rq, struct reply *rep);
void api_token_list(struct request *rq, struct reply *rep);
void api_token_revoke(struct request *rq, struct reply *rep);
json_object *api_function_json(const struct store_function *f);
/* Resolve target id (store_function_resolve(): an id, a name, a
 * name@alias or name@number), answering 404 (or the store's error) when
 * it names no version.  Returns whether f was filled. */
bool api_function_find(struct server *srv, const char *id,
		       struct store_function *f, struct reply *rep);
/* Whether s is a checksum as the host writes one (64 lower-case hex
 * digits): a pin that is not one is malformed (400), not a conflict. */
bool api_checksum_text(const char *s);

/* api-deploy.c: the upload's life follows the request's. */
int api_deploy_begin(struct request *rq, char *err, size_t errlen);
void api_deploy_feed(struct request *rq, const char *data, size_t size);
void api_deploy(struct request *rq, struct reply *rep);
void api_deploy_end(struct request *rq);
/* Count and log a refused deploy, and answer it. */
void api_deploy_refuse(struct server *srv, struct reply *rep, int rc,
		       const char *why);

/* api-sessions.c */
void api_session_open(struct request *rq, struct reply *rep);
/* The open's work left for after its answer is sent, or for when the
 * client has gone first; called once for every request. */
void api_session_open_end(struct request *rq);
bool api_session_open_try(struct request *rq, struct reply *rep);
void api_session_invoke(struct request *rq, struct reply *rep);
void api_session_close(struct request *rq, struct reply *rep);
bool api_session_close_try(struct request *rq, struct reply *rep);
void api_run(struct request *rq, struct reply *rep);

/* api-host.c */
void api_healthz(struct request *rq, struct reply *rep);
void api_metrics(struct request *rq, struct reply *rep);
void api_key(struct request *rq, struct reply *rep);
void api_key_rotate(struct request *rq, struct reply *rep);
/* GET /v1/openapi.json: dist/openapi.json as built into the binary. */
void api_openapi(struct request *rq, struct reply *rep);
void api_trust_add(struct request *rq, struct reply *rep);
void api_trust_list(struct request *rq, struct reply *rep);
void api_trust_remove(struct request *rq, struct reply *rep);

/* api-logs.c */
void api_function_logs(struct request *rq, struct reply *rep);

/* api-secrets.c */
void api_secret_set(struct request *rq, struct reply *rep);
void api_secret_list(struct request *rq, struct reply *rep);
void api_secret_delete(struct request *rq, struct reply *rep);

/* static.c */
void api_static(struct request *rq, struct reply *rep);

#endif
