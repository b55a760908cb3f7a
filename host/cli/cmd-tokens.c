/*
 * cmd-tokens.c: fnhost token create, list and delete: the tokens that let
 * a client run one function, optionally pinned to its checksum.
 */
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/output.h"
#include "cli/remote.h"

static int
create_run(struct remote *x)
{
	struct client_request rq = { .method = "POST",
				     .auth = 1,
				     .content_type = "application/json" };
	json_object *obj = NULL, *body = NULL;
	const char *token;
	char path[256];
	int ret = CLI_FAIL;

	if (remote_id_check(x, "function id", x->args[0]) < 0)
		goto out;
	snprintf(path, sizeof(path), "/v1/functions/%s/tokens", x->args[0]);
	body = json_object_new_object();
	if (x->ttl >= 0)
		json_object_object_add(body, "ttl",
				       json_object_new_int64(x->ttl));
	if (x->checksum[0])
		json_object_object_add(body, "checksum",
				       json_object_new_string(x->checksum));
	rq.path = path;
	rq.body = json_object_to_json_string_ext(body, JSON_C_TO_STRING_PLAIN);
	rq.body_len = strlen(rq.body);
	if (remote_call(x, &rq, 201, 200, &obj) < 0)
		goto out;
	if ((token = remote_string(obj, "token")) == NULL) {
		remote_fail(x, "the host's answer holds no token");
		goto out;
	}
	if (x->json) {
		output_json(obj);
	} else {
		output_text(token);
		putchar('\n');
	}
	ret = CLI_OK;
out:
	json_object_put(body);
	json_object_put(obj);
	return ret;
}

static void
token_row(json_object *item)
{
	static const char *const c_jti[] = { "jti", NULL };
	static const char *const c_fn[] = { "function", "function_id", "sub",
					    NULL };
	static const char *const c_sum[] = { "checksum", "fch", NULL };
	static const char *const c_exp[] = { "expires", "exp", NULL };
	static const char *const c_rev[] = { "revoked", NULL };
	static const char *const *const cols[] = { c_jti, c_fn, c_sum, c_exp,
						   c_rev };

	remote_row(item, cols, sizeof(cols) / sizeof(cols[0]));
}

static int
list_run(struct remote *x)
{
	return remote_list(x, "/v1/tokens", "tokens", token_row);
}

static int
delete_run(struct remote *x)
{
	if (remote_id_check(x, "token id", x->args[0]) < 0)
		return CLI_FAIL;
	return remote_delete(x, "/v1/tokens/", x->args[0], "jti", "revoked");
}

static const struct remote_spec verbs[] = {
	{ .name = "token create",
	  .usage = "token create [options] [--ttl S] [--pin CHECKSUM] ID",
	  .min_args = 1,
	  .max_args = 1,
	  .takes = TAKES_TTL | TAKES_PIN,
	  .timeout_ms = REMOTE_TIMEOUT_MS,
	  .run = create_run },
	{ .name = "token list",
	  .usage = "token list [options]",
	  .timeout_ms = REMOTE_TIMEOUT_MS,
	  .run = list_run },
	{ .name = "token delete",
	  .usage = "token delete [options] JTI",
	  .min_args = 1,
	  .max_args = 1,
	  .timeout_ms = REMOTE_TIMEOUT_MS,
	  .run = delete_run },
};

const struct remote_spec token_cmd = {
	.name = "token",
	.usage = "token create [--ttl S] [--pin CHECKSUM] ID | list | "
		 "delete JTI\n"
		 "  (fnhost token VERB -h for its options)",
	.verbs = verbs,
	.nverbs = sizeof(verbs) / sizeof(verbs[0])
};
