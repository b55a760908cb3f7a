/*
 * http.h: fnhostd's HTTP API (DESIGN.md, "HTTP API") on libmicrohttpd.
 *
 * One thread per connection; handlers may block on a worker, always with
 * a deadline.  Every answer is either the route's success body or
 * {"error":{"code":"...","message":"..."}} with the fitting status, and
 * every request is logged as one line without its body.  The server is
 * opaque: what it serves is given to server_new(), and the routes, who
 * may call them and what they read are one table (routes.c).
 */
#ifndef FNHOST_HTTP_H
#define FNHOST_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#include "daemon/hostkeys.h"
#include "daemon/metrics.h"
#include "daemon/session.h"
#include "daemon/store.h"
#include "formats/config.h"
#include "sandbox/sandbox.h"

struct secrets;
struct server;

/* What a server serves; each must outlive it. */
struct server_deps {
	const struct config *cfg;
	struct store *store;
	struct sessions *sessions;
	struct metrics *metrics;
	const struct sandbox_features *features;
	struct hostkeys *keys;
	struct secrets *secrets; /* the store's, opened with keys */
};

/* A server over deps, holding the admin token and the token key (read
 * from the store, made on the first start: *first_start says so) and the
 * trusted publisher keys.  Returns 0, or a negated kind with a reason. */
int server_new(const struct server_deps *deps, struct server **out,
	       bool *first_start, char *err, size_t errlen);
/* Wipes the secrets.  Call after http_stop().  NULL is a no-op. */
void server_free(struct server *srv);

/* Read the trusted publisher keys again (SIGHUP); *n gets their number.
 * On failure the keys held before stay. */
int server_reload_trust(struct server *srv, size_t *n, char *err,
			size_t errlen);

/* Refuse new sessions and deploys from now on (503); /healthz says so. */
void server_drain(struct server *srv);

/* Listen on cfg->listen and serve until http_stop().  Returns 0, or a
 * negated kind with a reason in err. */
int http_start(struct server *srv, char *err, size_t errlen);
void http_stop(struct server *srv);

#endif
