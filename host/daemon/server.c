/* server.c: what fnhostd's HTTP layer holds (see http.h). */
#include <openssl/crypto.h>
#include <stdlib.h>

#include "daemon/api.h"

int
server_new(const struct server_deps *deps, struct server **out,
	   bool *first_start, char *err, size_t errlen)
{
	struct server *srv = calloc(1, sizeof(*srv));
	int rc;

	*out = NULL;
	if (!srv)
		return err_set(err, errlen, ERR_INTERNAL, "out of memory");
	srv->cfg = deps->cfg;
	srv->store = deps->store;
	srv->sessions = deps->sessions;
	srv->metrics = deps->metrics;
	srv->features = deps->features;
	srv->keys = deps->keys;
	srv->secrets = deps->secrets;
	rc = store_admin_token(srv->store, srv->admin_token, first_start, err,
			       errlen);
	if (rc == 0)
		rc = store_token_secret(srv->store, srv->token_secret, err,
					errlen);
	if (rc < 0)
		goto fail;
	srv->tokens = token_cache_new(srv->token_secret);
	srv->trust = trust_new(srv->store);
	if (!srv->tokens || !srv->trust) {
		rc = err_set(err, errlen, ERR_INTERNAL, "out of memory");
		goto fail;
	}
	rc = trust_reload(srv->trust, NULL, err, errlen);
	if (rc < 0)
		goto fail;
	*out = srv;
	return 0;
fail:
	server_free(srv);
	return rc;
}

void
server_free(struct server *srv)
{
	if (!srv)
		return;
	trust_free(srv->trust);
	token_cache_free(srv->tokens);
	OPENSSL_cleanse(srv->admin_token, sizeof(srv->admin_token));
	OPENSSL_cleanse(srv->token_secret, sizeof(srv->token_secret));
	free(srv);
}

int
server_reload_trust(struct server *srv, size_t *n, char *err, size_t errlen)
{
	return trust_reload(srv->trust, n, err, errlen);
}

void
server_drain(struct server *srv)
{
	atomic_store(&srv->draining, true);
}
