/*
 * http.h: fnhostd's HTTP API (DESIGN.md, "HTTP API") on libmicrohttpd.
 *
 * One thread per connection; handlers may block on a worker, always with a
 * deadline.  Every answer is either the route's success body or
 * {"error":{"code":"...","message":"..."}} with the fitting status, and
 * every request is logged as one line without its body.
 */
#ifndef FNHOST_HTTP_H
#define FNHOST_HTTP_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>

#include "formats/config.h"
#include "daemon/hostkeys.h"
#include "daemon/metrics.h"
#include "formats/minisign.h"
#include "sandbox/sandbox.h"
#include "daemon/session.h"
#include "daemon/store.h"
#include "daemon/token.h"

struct server {
	const struct config *cfg;
	struct store *store;
	struct sessions *sessions;
	struct metrics *metrics;
	const struct sandbox_features *features;
	struct hostkeys *keys; /* encryption and attestation */
	char admin_token[65];
	unsigned char token_secret[32];
	struct token_cache *tokens; /* token_secret's verified tokens */
	atomic_bool draining;

	pthread_rwlock_t trust_lock; /* guards trusted, ntrusted */
	struct minisign_pubkey *trusted;
	size_t ntrusted;

	void *mhd; /* struct MHD_Daemon */
};

/* (Re)load the trusted publisher keys from the store. */
int server_reload_trust(struct server *srv, char *err, size_t errlen);

/* Listen on cfg->listen and serve until http_stop().  Returns 0, or -1
 * with a reason in err. */
int http_start(struct server *srv, char *err, size_t errlen);
void http_stop(struct server *srv);

#endif
