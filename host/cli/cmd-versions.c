/*
 * cmd-versions.c: fnhost versions, alias and rollback: a function name's
 * versions and the aliases that point at them (admin).
 *
 * The host does the work; these only name it: versions lists a name's
 * versions with the aliases on each, alias set points an alias at a
 * version (its number or checksum), alias delete removes one, and
 * rollback moves an alias ("latest" when none is given) back to the
 * version before the one it points at.
 */
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/output.h"
#include "cli/remote.h"

/* NAME, or NAME@ALIAS when alias is not NULL, checked as a path segment
 * into path ("/v1/functions/<it><suffix>"). */
static int
target_path(struct remote *x, const char *name, const char *alias,
	    const char *suffix, char *path, size_t len)
{
	char target[256];

	if (strchr(name, '@') != NULL ||
	    (alias != NULL && strchr(alias, '@') != NULL))
		return remote_fail(x, "give NAME and ALIAS apart, without '@'");
	snprintf(target, sizeof(target), "%s%s%s", name, alias ? "@" : "",
		 alias ? alias : "");
	if (remote_id_check(x, "function name", target) < 0)
		return -1;
	snprintf(path, len, "/v1/functions/%s%s", target, suffix);
	return 0;
}

static void
version_row(json_object *item)
{
	static const char *const c_number[] = { "number", NULL };
	static const char *const c_id[] = { "id", NULL };
	static const char *const c_version[] = { "version", NULL };
	static const char *const c_sum[] = { "checksum", NULL };
	static const char *const c_created[] = { "created", NULL };
	static const char *const *const cols[] = { c_number, c_id, c_version,
						   c_sum, c_created };
	json_object *aliases, *a;
	size_t i, n;

	remote_row(item, cols, sizeof(cols) / sizeof(cols[0]));
	/* remote_row() ends the line; the aliases follow on their own, so
	 * that a script reading columns sees the same five on every row. */
	if (!json_object_object_get_ex(item, "aliases", &aliases) ||
	    !json_object_is_type(aliases, json_type_array))
		return;
	n = json_object_array_length(aliases);
	for (i = 0; i < n; i++) {
		a = json_object_array_get_idx(aliases, i);
		if (!json_object_is_type(a, json_type_string))
			continue;
		fputs("  alias ", stdout);
		output_text(json_object_get_string(a));
		putchar('\n');
	}
}

static int
versions_run(struct remote *x)
{
	char path[320];

	if (target_path(x, x->args[0], NULL, "/versions", path, sizeof(path)) <
	    0)
		return CLI_FAIL;
	return remote_list(x, path, "versions", version_row);
}

const struct remote_spec versions_cmd = { .name = "versions",
					  .usage = "versions [options] NAME",
					  .min_args = 1,
					  .max_args = 1,
					  .timeout_ms = REMOTE_TIMEOUT_MS,
					  .run = versions_run };

/* Print an alias the host answered: "NAME@ALIAS NUMBER", or its JSON. */
static int
alias_report(struct remote *x, struct client_request *rq)
{
	json_object *obj = NULL, *num;
	int ret = CLI_FAIL;

	if (remote_call(x, rq, 200, 0, &obj) < 0)
		goto out;
	if (!json_object_object_get_ex(obj, "number", &num) ||
	    !json_object_is_type(num, json_type_int)) {
		remote_fail(x, "the host's answer names no version");
		goto out;
	}
	if (x->json) {
		output_json(obj);
	} else {
		output_text(remote_string(obj, "name"));
		putchar('@');
		output_text(remote_string(obj, "alias"));
		printf(" %lld\n", (long long)json_object_get_int64(num));
	}
	ret = CLI_OK;
out:
	json_object_put(obj);
	return ret;
}

static int
alias_set_run(struct remote *x)
{
	struct client_request rq = { .method = "PUT",
				     .auth = 1,
				     .content_type = "application/json" };
	const char *v = x->args[2];
	json_object *body;
	char path[320];
	int ret;

	if (target_path(x, x->args[0], x->args[1], "/alias", path,
			sizeof(path)) < 0)
		return CLI_FAIL;
	/* A number as a number, a checksum as text: the host takes both. */
	body = json_object_new_object();
	if (strspn(v, "0123456789") == strlen(v) && strlen(v) <= 12 &&
	    v[0] != '0')
		json_object_object_add(body, "version",
				       json_object_new_int64(atoll(v)));
	else
		json_object_object_add(body, "version",
				       json_object_new_string(v));
	rq.path = path;
	rq.body = json_object_to_json_string_ext(body, JSON_C_TO_STRING_PLAIN);
	rq.body_len = strlen(rq.body);
	ret = alias_report(x, &rq);
	json_object_put(body);
	return ret;
}

static int
alias_delete_run(struct remote *x)
{
	struct client_request rq = { .method = "DELETE", .auth = 1 };
	char path[320];

	if (target_path(x, x->args[0], x->args[1], "/alias", path,
			sizeof(path)) < 0)
		return CLI_FAIL;
	rq.path = path;
	return remote_report(x, &rq, 204, 200, path + strlen("/v1/functions/"),
			     "alias", "deleted");
}

static const struct remote_spec alias_verbs[] = {
	{ .name = "alias set",
	  .usage = "alias set [options] NAME ALIAS VERSION",
	  .min_args = 3,
	  .max_args = 3,
	  .timeout_ms = REMOTE_TIMEOUT_MS,
	  .run = alias_set_run },
	{ .name = "alias delete",
	  .usage = "alias delete [options] NAME ALIAS",
	  .min_args = 2,
	  .max_args = 2,
	  .timeout_ms = REMOTE_TIMEOUT_MS,
	  .run = alias_delete_run },
};

const struct remote_spec alias_cmd = {
	.name = "alias",
	.usage = "alias set NAME ALIAS VERSION | delete NAME ALIAS\n"
		 "  (fnhost alias VERB -h for its options)",
	.verbs = alias_verbs,
	.nverbs = sizeof(alias_verbs) / sizeof(alias_verbs[0])
};

static int
rollback_run(struct remote *x)
{
	struct client_request rq = { .method = "POST", .auth = 1 };
	char path[320];

	if (target_path(x, x->args[0], x->nargs > 1 ? x->args[1] : NULL,
			"/rollback", path, sizeof(path)) < 0)
		return CLI_FAIL;
	rq.path = path;
	return alias_report(x, &rq);
}

const struct remote_spec rollback_cmd = { .name = "rollback",
					  .usage = "rollback [options] NAME "
						   "[ALIAS]",
					  .min_args = 1,
					  .max_args = 2,
					  .timeout_ms = REMOTE_TIMEOUT_MS,
					  .run = rollback_run };
