/*
 * api-secrets.c: the admin's routes for a function name's secrets (see
 * api.h and secrets.h).
 *
 *	PUT    /v1/functions/{name}/secrets  {"key","sealed"}: set or replace
 *	GET    /v1/functions/{name}/secrets  {"name","keys":[...]}
 *	DELETE /v1/functions/{name}/secrets?key=KEY
 *
 * The path names a function name, not a version: every version of the
 * name gets the same secrets, and a secret may be set before the name's
 * first deploy.  "sealed" is base64url (no padding) of what
 * hpke_seal_secret() made for this name and key on the client.  A put is
 * opened once here, only to refuse at once a text sealed to another
 * host, name or key (what it opens to is wiped unread; one sealed to the
 * previous key is resealed to the current one), and no reply or log line
 * ever carries a value.  A change drops the name's sessions
 * made ahead, so that the next session's worker gets the new values;
 * sessions already open keep those they started with.
 */
#include <stdlib.h>
#include <string.h>

#include "base/b64.h"
#include "daemon/api.h"
#include "daemon/log.h"

/* rq->arg as a function name, or false with the 400 answered. */
static bool
path_name(struct request *rq, struct reply *rep)
{
	if (store_secret_name_ok(rq->arg))
		return true;
	reply_error(rep, ERR_INVALID,
		    "secrets belong to a function name ([A-Za-z0-9._+-], at "
		    "most %d), not a version or an alias",
		    BUNDLE_LABEL_MAX);
	return false;
}

/* Drop the sessions made ahead of every version of name: they hold the
 * secrets as they were. */
static void
forget_name(struct server *srv, const char *name)
{
	struct store_function *v = NULL;
	char err[512];
	size_t i, n = 0;

	if (store_version_list(srv->store, name, &v, &n, err, sizeof(err)) < 0)
		return; /* no version: nothing made ahead */
	for (i = 0; i < n; i++)
		sessions_forget(srv->sessions, v[i].id);
	free(v);
}

void
api_secret_set(struct request *rq, struct reply *rep)
{
	struct server *srv = rq->srv;
	unsigned char *sealed = NULL;
	const char *key, *b64;
	size_t slen, blen;
	json_object *body, *jk, *js;
	char err[512];
	int rc;

	if (!path_name(rq, rep))
		return;
	body = request_json(rq, rep);
	if (!body)
		return;
	if (!json_object_object_get_ex(body, "key", &jk) ||
	    !json_object_is_type(jk, json_type_string) ||
	    !json_object_object_get_ex(body, "sealed", &js) ||
	    !json_object_is_type(js, json_type_string)) {
		reply_error(rep, ERR_INVALID,
			    "want {\"key\": KEY, \"sealed\": BASE64URL}");
		goto out;
	}
	key = json_object_get_string(jk);
	b64 = json_object_get_string(js);
	blen = strlen(b64);
	if (!store_secret_key_ok(key)) {
		reply_error(rep, ERR_INVALID,
			    "bad secret key (1-%d of [A-Za-z0-9_.-], not "
			    "starting with '.' or '-')",
			    STORE_SECRET_KEY_MAX);
		goto out;
	}
	if (blen > b64url_encoded_len(HPKE_SECRET_SEALED_MAX)) {
		reply_error(rep, ERR_TOO_LARGE, "a secret is at most %d bytes",
			    HPKE_SECRET_MAX);
		goto out;
	}
	sealed = malloc(b64_decoded_max(blen) + 1);
	if (!sealed) {
		reply_error(rep, ERR_INTERNAL, "out of memory");
		goto out;
	}
	if (b64url_decode(sealed, b64_decoded_max(blen), b64, blen, &slen) <
	    0) {
		reply_error(rep, ERR_INVALID, "sealed is not base64url");
		goto out;
	}
	rc = secrets_put(srv->secrets, rq->arg, key, sealed, slen, err,
			 sizeof(err));
	if (rc == -ERR_INVALID) {
		reply_error(rep, ERR_INVALID,
			    "%s (seal it with `fnhost secret set` against "
			    "this host's key)",
			    err);
		goto out;
	}
	if (rc < 0) {
		reply_fail(rep, rc, err);
		goto out;
	}
	forget_name(srv, rq->arg);
	log_msg(LOG_LEVEL_INFO, "event=secret_set function=%s key=%s", rq->arg,
		key);
	reply_empty(rep, 204);
out:
	free(sealed);
	json_object_put(body);
}

void
api_secret_list(struct request *rq, struct reply *rep)
{
	struct store_secret_key *keys = NULL;
	json_object *o, *arr;
	char err[512];
	size_t i, n = 0;
	int rc;

	if (!path_name(rq, rep))
		return;
	rc = store_secret_list(rq->srv->store, rq->arg, &keys, &n, err,
			       sizeof(err));
	if (rc < 0) {
		reply_fail(rep, rc, err);
		return;
	}
	o = json_object_new_object();
	arr = json_object_new_array();
	for (i = 0; i < n; i++)
		json_object_array_add(arr, json_object_new_string(keys[i].key));
	json_object_object_add(o, "name", json_object_new_string(rq->arg));
	json_object_object_add(o, "keys", arr);
	free(keys);
	reply_json(rep, 200, o);
}

void
api_secret_delete(struct request *rq, struct reply *rep)
{
	const char *key;
	char err[512];
	int rc;

	if (!path_name(rq, rep))
		return;
	key = MHD_lookup_connection_value(rq->conn, MHD_GET_ARGUMENT_KIND,
					  "key");
	if (!key || !*key) {
		reply_error(rep, ERR_INVALID, "say which secret: ?key=KEY");
		return;
	}
	rc = rq->srv->registry
		     ? registry_secret_delete(rq->srv->registry, rq->arg, key,
					      err, sizeof(err))
		     : store_secret_delete(rq->srv->store, rq->arg, key, err,
					   sizeof(err));
	if (rc < 0) {
		reply_fail(rep, rc, err);
		return;
	}
	forget_name(rq->srv, rq->arg);
	log_msg(LOG_LEVEL_INFO, "event=secret_delete function=%s key=%s",
		rq->arg, key);
	reply_empty(rep, 204);
}
