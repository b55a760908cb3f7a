/*
 * api-functions.c: the admin's routes for functions and their tokens
 * (see api.h): list, show, delete; versions and aliases; issue, list,
 * revoke.
 *
 * A path's {id} is a target (store.h): a version's id, a name (its
 * "latest"), "<name>@<alias>" or "<name>@<number>".
 */
#include <inttypes.h>
#include <stdio.h>
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
	json_object_object_add(o, "number", json_object_new_int64(f->number));
	return o;
}

bool
api_function_find(struct server *srv, const char *id, struct store_function *f,
		  struct reply *rep)
{
	char err[512];
	int rc;

	rc = store_function_resolve(srv->store, id, f, err, sizeof(err));
	if (rc == 0)
		return true;
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
	rc = srv->registry
		     ? registry_version_delete(srv->registry, f.id, err,
					       sizeof(err))
		     : store_version_delete(srv->store, f.id, err, sizeof(err));
	if (rc < 0) {
		reply_fail(rep, rc, err);
		return;
	}
	sessions_forget(srv->sessions, f.id); /* open ones finish */
	log_msg(LOG_LEVEL_INFO, "event=delete function=%s name=%s number=%lld",
		f.id, f.name, (long long)f.number);
	reply_empty(rep, 204);
}

static json_object *
alias_json(const struct store_alias *a)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "name", json_object_new_string(a->name));
	json_object_object_add(o, "alias", json_object_new_string(a->alias));
	json_object_object_add(o, "number", json_object_new_int64(a->number));
	json_object_object_add(o, "set", json_object_new_int64(a->set));
	return o;
}

/* The name a target is of: the name of the version it resolves to.
 * Taking the part before an '@' unresolved would answer "svc@nosuch"
 * or "svc@99" with svc's versions, as if the alias or the version were
 * there. */
static bool
target_name(struct server *srv, const char *arg,
	    char name[BUNDLE_LABEL_MAX + 1], struct reply *rep)
{
	struct store_function f;

	if (!api_function_find(srv, arg, &f, rep))
		return false;
	memcpy(name, f.name, sizeof(f.name));
	return true;
}

/* "<name>@<alias>" of a path: alias to *alias (dflt when there is no
 * '@', or NULL to require one). */
static bool
target_alias(const char *arg, char name[BUNDLE_LABEL_MAX + 1],
	     char alias[STORE_ALIAS_MAX + 1], const char *dflt,
	     struct reply *rep)
{
	const char *at = strchr(arg, '@');

	if (at == NULL && dflt != NULL) {
		snprintf(name, BUNDLE_LABEL_MAX + 1, "%s", arg);
		snprintf(alias, STORE_ALIAS_MAX + 1, "%s", dflt);
		if (strlen(arg) <= BUNDLE_LABEL_MAX)
			return true;
	} else if (at != NULL && (size_t)(at - arg) <= BUNDLE_LABEL_MAX &&
		   strlen(at + 1) <= STORE_ALIAS_MAX) {
		memcpy(name, arg, (size_t)(at - arg));
		name[at - arg] = '\0';
		snprintf(alias, STORE_ALIAS_MAX + 1, "%s", at + 1);
		return true;
	}
	reply_error(rep, ERR_INVALID, "want NAME@ALIAS, not '%.100s'", arg);
	return false;
}

void
api_version_list(struct request *rq, struct reply *rep)
{
	struct server *srv = rq->srv;
	struct store_function *v = NULL;
	struct store_alias *al = NULL;
	json_object *o, *arr, *names, *each;
	char name[BUNDLE_LABEL_MAX + 1], err[512];
	size_t i, j, n = 0, na = 0;
	int rc;

	if (!target_name(srv, rq->arg, name, rep))
		return;
	rc = store_version_list(srv->store, name, &v, &n, err, sizeof(err));
	if (rc == 0)
		rc = store_alias_list(srv->store, name, &al, &na, err,
				      sizeof(err));
	if (rc < 0) {
		reply_fail(rep, rc, err);
		goto out;
	}
	o = json_object_new_object();
	json_object_object_add(o, "name", json_object_new_string(name));
	arr = json_object_new_array();
	for (i = 0; i < n; i++) {
		each = api_function_json(&v[i]);
		names = json_object_new_array();
		for (j = 0; j < na; j++)
			if (al[j].number == v[i].number)
				json_object_array_add(names,
						      json_object_new_string(
							      al[j].alias));
		json_object_object_add(each, "aliases", names);
		json_object_array_add(arr, each);
	}
	json_object_object_add(o, "versions", arr);
	arr = json_object_new_array();
	for (j = 0; j < na; j++)
		json_object_array_add(arr, alias_json(&al[j]));
	json_object_object_add(o, "aliases", arr);
	reply_json(rep, 200, o);
out:
	free(v);
	free(al);
}

/* The text of a version number as a target writes it ("name@12"): 1 to
 * 12 digits, no leading 0; into *n. */
static bool
number_text(const char *s, int64_t *n)
{
	size_t len = strspn(s, "0123456789");

	if (len == 0 || len > 12 || s[len] != '\0' || s[0] == '0')
		return false;
	*n = strtoll(s, NULL, 10);
	return true;
}

bool
api_checksum_text(const char *s)
{
	size_t len = strspn(s, "0123456789abcdef");

	return len == 64 && s[len] == '\0';
}

/* The version number a request body's "version" names: a number, the
 * text of one, or a checksum of one of name's versions.  Anything else
 * ("0", "-1", "1.0", " 1") is malformed, 400, rather than a version that
 * is not there. */
static bool
body_version(struct server *srv, json_object *body, const char *name,
	     int64_t *number, struct reply *rep)
{
	struct store_function *v = NULL;
	json_object *j;
	const char *s;
	char err[512];
	size_t i, n = 0;
	int rc;

	if (!json_object_object_get_ex(body, "version", &j)) {
		reply_error(rep, ERR_INVALID, "the body needs \"version\"");
		return false;
	}
	if (json_object_is_type(j, json_type_int)) {
		/* A number no version can have is a malformed request, not
		 * one for a version that is not there; json-c gives one past
		 * the int64 range as INT64_MAX, which this refuses too. */
		*number = json_object_get_int64(j);
		if (*number >= 1 && *number <= STORE_NUMBER_MAX)
			return true;
		reply_error(rep, ERR_INVALID,
			    "\"version\" is a number from 1 to %lld or a "
			    "checksum",
			    STORE_NUMBER_MAX);
		return false;
	}
	s = json_object_get_string(j);
	if (!json_object_is_type(j, json_type_string) ||
	    (!number_text(s, number) && !api_checksum_text(s))) {
		reply_error(rep, ERR_INVALID,
			    "\"version\" is a number from 1 to %lld or a "
			    "checksum (64 lower-case hex digits)",
			    STORE_NUMBER_MAX);
		return false;
	}
	rc = store_version_list(srv->store, name, &v, &n, err, sizeof(err));
	if (rc < 0) {
		reply_fail(rep, rc, err);
		return false;
	}
	for (i = 0; i < n; i++) {
		char num[24];

		snprintf(num, sizeof(num), "%" PRId64, v[i].number);
		if (!strcmp(s, v[i].checksum) || !strcmp(s, num)) {
			*number = v[i].number;
			free(v);
			return true;
		}
	}
	free(v);
	reply_error(rep, ERR_NOT_FOUND, "no version '%.70s' of '%s'", s, name);
	return false;
}

void
api_alias_set(struct request *rq, struct reply *rep)
{
	struct server *srv = rq->srv;
	char name[BUNDLE_LABEL_MAX + 1], alias[STORE_ALIAS_MAX + 1], err[512];
	struct store_alias a;
	json_object *body;
	int64_t number;
	int rc;

	if (!target_alias(rq->arg, name, alias, NULL, rep))
		return;
	body = request_json(rq, rep);
	if (!body || !body_version(srv, body, name, &number, rep))
		goto out;
	rc = srv->registry ? registry_alias_set(srv->registry, name, alias,
						number, &a, err, sizeof(err))
			   : store_alias_set(srv->store, name, alias, number,
					     &a, err, sizeof(err));
	if (rc < 0) {
		reply_fail(rep, rc, err);
		goto out;
	}
	log_msg(LOG_LEVEL_INFO, "event=alias_set name=%s alias=%s number=%lld",
		name, alias, (long long)number);
	reply_json(rep, 200, alias_json(&a));
out:
	json_object_put(body);
}

void
api_alias_delete(struct request *rq, struct reply *rep)
{
	char name[BUNDLE_LABEL_MAX + 1], alias[STORE_ALIAS_MAX + 1], err[512];
	int rc;

	if (!target_alias(rq->arg, name, alias, NULL, rep))
		return;
	rc = rq->srv->registry ? registry_alias_delete(rq->srv->registry, name,
						       alias, err, sizeof(err))
			       : store_alias_delete(rq->srv->store, name, alias,
						    err, sizeof(err));
	if (rc < 0) {
		reply_fail(rep, rc, err);
		return;
	}
	log_msg(LOG_LEVEL_INFO, "event=alias_delete name=%s alias=%s", name,
		alias);
	reply_empty(rep, 204);
}

void
api_rollback(struct request *rq, struct reply *rep)
{
	char name[BUNDLE_LABEL_MAX + 1], alias[STORE_ALIAS_MAX + 1], err[512];
	struct store_alias a;
	int rc;

	if (!target_alias(rq->arg, name, alias, STORE_ALIAS_LATEST, rep))
		return;
	rc = rq->srv->registry
		     ? registry_alias_rollback(rq->srv->registry, name, alias,
					       &a, err, sizeof(err))
		     : store_alias_rollback(rq->srv->store, name, alias, &a,
					    err, sizeof(err));
	if (rc < 0) {
		reply_fail(rep, rc, err);
		return;
	}
	log_msg(LOG_LEVEL_INFO, "event=rollback name=%s alias=%s number=%lld",
		name, alias, (long long)a.number);
	reply_json(rep, 200, alias_json(&a));
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
		/* A pin that is no checksum at all (5, null, "abc") is a
		 * malformed request; only a checksum of another bundle is
		 * the conflict. */
		if (!json_object_is_type(v, json_type_string) ||
		    !api_checksum_text(*pin)) {
			reply_error(rep, ERR_INVALID,
				    "checksum is 64 lower-case hex digits");
			*pin = NULL;
			return false;
		}
		if (strcmp(*pin, f->checksum) != 0) {
			reply_error(rep, ERR_CONFLICT,
				    "function %s has checksum %s, not the "
				    "pinned one",
				    f->id, f->checksum);
			*pin = NULL;
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
	char err[512], *jwt = NULL, target[STORE_TARGET_MAX];
	int64_t ttl;
	int rc;

	/* The token names what the path names, written the one way: an id
	 * (that version, as before), or "<name>@<alias>" (follows it). */
	if (!api_function_find(srv, rq->arg, &f, rep))
		return;
	rc = store_target_normal(srv->store, rq->arg, target, err, sizeof(err));
	if (rc < 0) {
		reply_fail(rep, rc, err);
		return;
	}
	body = request_json(rq, rep);
	if (!body || !token_request(srv, body, &f, &ttl, &pin, rep))
		goto out;
	rc = token_issue(srv->token_secret, target, pin, time(NULL), ttl, &rec,
			 &jwt, err, sizeof(err));
	if (rc == 0 && srv->registry)
		rc = registry_token_put(srv->registry, &rec, err, sizeof(err));
	else if (rc == 0)
		rc = store_token_put(srv->store, &rec, err, sizeof(err));
	if (rc < 0) {
		reply_fail(rep, rc, err);
		goto out;
	}
	out = json_object_new_object();
	json_object_object_add(out, "token", json_object_new_string(jwt));
	json_object_object_add(out, "jti", json_object_new_string(rec.jti));
	json_object_object_add(out, "expires", json_object_new_int64(rec.exp));
	json_object_object_add(out, "function", json_object_new_string(target));
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

	rc = rq->srv->registry
		     ? registry_token_revoke(rq->srv->registry, rq->arg, err,
					     sizeof(err))
		     : store_token_revoke(rq->srv->store, rq->arg, err,
					  sizeof(err));
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
