/*
 * auth.c: who is calling, decided from the request head alone (see
 * api.h), once per request, from the route's entry.
 *
 * The admin token is compared in constant time.  A function token is a
 * JWT the host signed (token.h; verified ones are cached), not revoked
 * in the store, and, for the routes whose path names a function, for
 * that function.  A store that can not be read is an I/O error, never
 * reported as a revoked token.
 *
 * A refusal says what the caller holds and what to do instead: the
 * admin token on a function route (it does not run functions: a session
 * belongs to a function token's jti, which sessions_per_token, revoking
 * and pinning hang on, and the admin token has none), a function token
 * on an admin route, or an admin token of another host (its shape, 64
 * hex digits, tells it from a JWT without any secret).
 */
#include <openssl/crypto.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "daemon/api.h"

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
is_admin(const struct server *srv, const char *t)
{
	return strlen(t) == 64 && CRYPTO_memcmp(t, srv->admin_token, 64) == 0;
}

/* Whether t has an admin token's shape: 64 lower-case hex digits. */
static bool
looks_admin(const char *t)
{
	size_t n;

	n = strspn(t, "0123456789abcdef");
	return n == 64 && t[n] == '\0';
}

static int
check_admin(struct request *rq, const char *t, char *err, size_t errlen)
{
	if (!t)
		return err_set(err, errlen, ERR_UNAUTHORIZED,
			       "this route needs the admin token");
	if (is_admin(rq->srv, t))
		return 0;
	if (looks_admin(t))
		return err_set(err, errlen, ERR_FORBIDDEN,
			       "not this host's admin token (it is in "
			       "DATADIR/keys/admin.token)");
	if (strchr(t, '.'))
		return err_set(err, errlen, ERR_FORBIDDEN,
			       "a function token can not call this route; "
			       "it takes the admin token "
			       "(DATADIR/keys/admin.token)");
	return err_set(err, errlen, ERR_FORBIDDEN,
		       "this route takes only the admin token");
}

/* Whether the path's {id} names what the token's sub names: the same
 * text, or the same once written the one way (store_target_normal():
 * "hs" is "hs@latest").  Never by what they resolve to: a token for
 * hs@stable does not open hs@latest because both point at one version
 * now. */
static bool
names_same(struct request *rq, const char *sub, const char *arg)
{
	char norm[STORE_TARGET_MAX], why[256];

	if (!strcmp(sub, arg))
		return true;
	return store_target_normal(rq->srv->store, arg, norm, why,
				   sizeof(why)) == 0 &&
	       !strcmp(sub, norm);
}

static int
check_function_token(struct request *rq, const char *t, char *err,
		     size_t errlen)
{
	struct server *srv = rq->srv;
	struct store_token rec;
	char why[512];
	int rc;

	if (!t)
		return err_set(err, errlen, ERR_UNAUTHORIZED,
			       "missing 'Authorization: Bearer' function "
			       "token");
	if (is_admin(srv, t))
		return err_set(err, errlen, ERR_UNAUTHORIZED,
			       "an admin token is not a function token; "
			       "issue one with `fnhost token create ID`");
	if (looks_admin(t))
		return err_set(err, errlen, ERR_UNAUTHORIZED,
			       "an admin token (and not this host's) is not "
			       "a function token; issue one with `fnhost "
			       "token create ID`");
	if (token_cache_verify(srv->tokens, t, time(NULL), &rq->tok, why,
			       sizeof(why)) < 0)
		return err_set(err, errlen, ERR_UNAUTHORIZED, "%s", why);
	rc = store_token_get(srv->store, rq->tok.jti, &rec, why, sizeof(why));
	if (rc < 0 && err_kind_of(rc) != ERR_NOT_FOUND)
		return err_set(err, errlen, ERR_IO, "cannot check token %s: %s",
			       rq->tok.jti, why);
	/* With a shared registry a token issued on another host a moment
	 * ago may not be replicated here yet (within milliseconds, at most
	 * REGISTRY_POLL_MS): the request path never asks the database. */
	if (rc < 0 && srv->registry)
		return err_set(err, errlen, ERR_UNAUTHORIZED,
			       "token %s is not known to this host yet (one "
			       "issued on another host is, once replicated)",
			       rq->tok.jti);
	if (rc < 0 || rec.revoked)
		return err_set(err, errlen, ERR_UNAUTHORIZED,
			       "token %s is revoked", rq->tok.jti);
	if (rq->route->who == CALLER_TOKEN_ID &&
	    !names_same(rq, rq->tok.function_id, rq->arg))
		return err_set(err, errlen, ERR_FORBIDDEN,
			       "the token is for function %s, not %.100s",
			       rq->tok.function_id, rq->arg);
	return 0;
}

int
auth_check(struct request *rq, char *err, size_t errlen)
{
	const char *t = bearer(rq->conn);

	switch (rq->route->who) {
	case CALLER_ANYONE:
		return 0;
	case CALLER_ADMIN:
		return check_admin(rq, t, err, errlen);
	case CALLER_TOKEN:
	case CALLER_TOKEN_ID:
		return check_function_token(rq, t, err, errlen);
	}
	return err_set(err, errlen, ERR_INTERNAL, "route without a caller");
}
