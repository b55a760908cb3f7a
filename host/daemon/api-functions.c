/*
 * api-functions.c: the admin's routes for functions and their tokens
 * (see api.h): list, show, delete; issue, list, revoke.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "daemon/api.h"
#include "daemon/log.h"

json_object *
api_function_json(const struct store_function *f)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "id", json_object_new_string(f->id));
	json_object_object_add(o, "name", json_object_new_string(f->name));
	json_object_object_add(o, "version",
			       json_object_new_string(f->version));
	json_object_object_add(o, "checksum",
			       json_object_new_string(f->checksum));
	json_object_object_add(o, "created", json_object_new_int64(f->created));
	return o;
}

bool
api_function_find(struct server *srv, const char *id, struct store_function *f,
		  struct reply *rep)
{
	char err[512];
	int rc;

	rc = store_function_get(srv->store, id, f, err, sizeof(err));
	if (rc == 0)
		return true;
	if (err_kind_of(rc) == ERR_NOT_FOUND)
		reply_error(rep, ERR_NOT_FOUND, "no function '%.40s'", id);
	else
		reply_fail(rep, rc, err);
	return false;
}

void
api_function_list(struct request *rq, struct reply *rep)
{
	struct store_function *v = NULL;
	json_object *arr;
	char err[512];
	size_t i, n = 0;
	int rc;

	rc = store_function_list(rq->srv->store, &v, &n, err, sizeof(err));
	if (rc < 0) {
		reply_fail(rep, rc, err);
		return;
	}
	arr = json_object_new_array();
	for (i = 0; i < n; i++)
		json_object_array_add(arr, api_function_json(&v[i]));
	free(v);
	reply_json(rep, 200, arr);
}

void
api_function_show(struct request *rq, struct reply *rep)
{
	struct store_function f;

	if (api_function_find(rq->srv, rq->arg, &f, rep))
		reply_json(rep, 200, api_function_json(&f));
}

void
api_function_delete(struct request *rq, struct reply *rep)
{
	struct server *srv = rq->srv;
	struct store_function f;
	char err[512];
	int rc;

	if (!api_function_find(srv, rq->arg, &f, rep))
		return;
	rc = store_function_delete(srv->store, f.id, err, sizeof(err));
	if (rc < 0) {
		reply_fail(rep, rc, err);
		return;
	}
	sessions_forget(srv->sessions, f.id); /* open ones finish */
	log_msg(LOG_LEVEL_INFO, "event=delete function=%s", f.id);
	reply_empty(rep, 204);
}

/* The ttl and checksum pin a token request asks for, or false with the
 * refusal answered. */
static bool
token_request(struct server *srv, json_object *body,
	      const struct store_function *f, int64_t *ttl, const char **pin,
	      struct reply *rep)
{
	json_object *v;

	*ttl = srv->cfg->token_default_ttl_s;
	*pin = NULL;
	if (json_object_object_get_ex(body, "ttl", &v)) {
		if (!json_object_is_type(v, json_type_int) ||
		    json_object_get_int64(v) < 1 ||
		    json_object_get_int64(v) > srv->cfg->token_max_ttl_s) {
			reply_error(rep, ERR_INVALID,
				    "ttl must be a whole number of seconds "
				    "from 1 to %u",
				    srv->cfg->token_max_ttl_s);
			return false;
		}
		*ttl = json_object_get_int64(v);
	}
	if (json_object_object_get_ex(body, "checksum", &v)) {
		*pin = json_object_get_string(v);
		if (!json_object_is_type(v, json_type_string) ||
		    strcmp(*pin, f->checksum) != 0) {
			reply_error(rep, ERR_CONFLICT,
				    "function %s has checksum %s, not the "
				    "pinned one",
				    f->id, f->checksum);
			return false;
		}
	}
	return true;
}

void
api_token_create(struct request *rq, struct reply *rep)
{
	struct server *srv = rq->srv;
	struct store_function f;
	struct store_token rec;
	const char *pin;
	json_object *body, *out;
	char err[512], *jwt = NULL;
	int64_t ttl;
	int rc;

	if (!api_function_find(srv, rq->arg, &f, rep))
		return;
	body = request_json(rq, rep);
	if (!body || !token_request(srv, body, &f, &ttl, &pin, rep))
		goto out;
	rc = token_issue(srv->token_secret, f.id, pin, time(NULL), ttl, &rec,
			 &jwt, err, sizeof(err));
	if (rc == 0)
		rc = store_token_put(srv->store, &rec, err, sizeof(err));
	if (rc < 0) {
		reply_fail(rep, rc, err);
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

static json_object *
token_json(const struct store_token *t)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "jti", json_object_new_string(t->jti));
	json_object_object_add(o, "function",
			       json_object_new_string(t->function_id));
	if (t->checksum[0])
		json_object_object_add(o, "checksum",
				       json_object_new_string(t->checksum));
	json_object_object_add(o, "issued", json_object_new_int64(t->iat));
	json_object_object_add(o, "expires", json_object_new_int64(t->exp));
	json_object_object_add(o, "revoked",
			       json_object_new_boolean(t->revoked));
	return o;
}

void
api_token_list(struct request *rq, struct reply *rep)
{
	struct store_token *v = NULL;
	json_object *arr;
	char err[512];
	size_t i, n = 0;
	int rc;

	rc = store_token_list(rq->srv->store, &v, &n, err, sizeof(err));
	if (rc < 0) {
		reply_fail(rep, rc, err);
		return;
	}
	arr = json_object_new_array();
	for (i = 0; i < n; i++)
		json_object_array_add(arr, token_json(&v[i]));
	free(v);
	reply_json(rep, 200, arr);
}

void
api_token_revoke(struct request *rq, struct reply *rep)
{
	char err[512];
	int rc;

	rc = store_token_revoke(rq->srv->store, rq->arg, err, sizeof(err));
	if (rc < 0) {
		if (err_kind_of(rc) == ERR_NOT_FOUND)
			reply_error(rep, ERR_NOT_FOUND, "no token '%.40s'",
				    rq->arg);
		else
			reply_fail(rep, rc, err);
		return;
	}
	log_msg(LOG_LEVEL_INFO, "event=revoke jti=%s", rq->arg);
	reply_empty(rep, 204);
}
