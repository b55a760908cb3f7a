/*
 * cmd-secrets.c: fnhost secret set, list and delete: a function name's
 * secrets (admin).
 *
 * set seals the value here, on the client, to the host's encryption key
 * for the name and the key (hpke_seal_secret(); the key from -k or
 * GET /v1/key), so that the value crosses the network and rests on the
 * host's disk only sealed; the host opens it for that name's workers
 * alone.  The value is the third argument, or with "-" or none the bytes
 * of standard input, all of them (a trailing newline is part of it).
 */
#include <json-c/json.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/b64.h"
#include "cli/cli.h"
#include "cli/host-keys.h"
#include "cli/output.h"
#include "cli/remote.h"
#include "formats/hpke.h"

/* "/v1/functions/<name>/secrets", the name checked as a path segment. */
static int
secrets_path(struct remote *x, const char *name, char *path, size_t len)
{
	if (strchr(name, '@'))
		return remote_fail(x,
				   "secrets belong to a function name, not "
				   "a version or alias ('%s')",
				   name);
	if (remote_id_check(x, "function name", name) < 0)
		return -1;
	snprintf(path, len, "/v1/functions/%s/secrets", name);
	return 0;
}

/* Standard input, at most HPKE_SECRET_MAX bytes, into buf. */
static int
read_stdin(struct remote *x, unsigned char *buf, size_t *len)
{
	size_t n = 0;
	ssize_t r;

	for (;;) {
		r = read(0, buf + n, HPKE_SECRET_MAX + 1 - n);
		if (r < 0)
			return remote_fail(x, "cannot read standard input");
		if (r == 0)
			break;
		n += (size_t)r;
		if (n > HPKE_SECRET_MAX)
			return remote_fail(x, "a secret is at most %d bytes",
					   HPKE_SECRET_MAX);
	}
	*len = n;
	return 0;
}

static int
set_run(struct remote *x)
{
	struct client_request rq = { .method = "PUT",
				     .auth = 1,
				     .content_type = "application/json" };
	unsigned char value[HPKE_SECRET_MAX + 1], *sealed = NULL;
	const char *name = x->args[0], *key = x->args[1];
	struct host_keys k;
	json_object *body = NULL;
	size_t vlen = 0, slen;
	char path[320], *b64 = NULL;
	int ret = CLI_FAIL;

	if (secrets_path(x, name, path, sizeof(path)) < 0)
		return CLI_FAIL;
	if (x->nargs < 3 || !strcmp(x->args[2], "-")) {
		if (read_stdin(x, value, &vlen) < 0)
			goto out;
	} else {
		vlen = strlen(x->args[2]);
		if (vlen > HPKE_SECRET_MAX) {
			remote_fail(x, "a secret is at most %d bytes",
				    HPKE_SECRET_MAX);
			goto out;
		}
		memcpy(value, x->args[2], vlen);
	}
	if (host_keys_get(x, &k) < 0)
		goto out;
	if (hpke_seal_secret(k.enc, name, key, NULL, value, vlen, &sealed,
			     &slen, x->err, sizeof(x->err)) < 0) {
		remote_fail(x, "%s", x->err);
		goto out;
	}
	b64 = malloc(b64url_encoded_len(slen) + 1);
	if (!b64 || b64url_encode(b64, b64url_encoded_len(slen) + 1, sealed,
				  slen) < 0) {
		remote_fail(x, "out of memory");
		goto out;
	}
	body = json_object_new_object();
	json_object_object_add(body, "key", json_object_new_string(key));
	json_object_object_add(body, "sealed", json_object_new_string(b64));
	rq.path = path;
	rq.body = json_object_to_json_string_ext(body, JSON_C_TO_STRING_PLAIN);
	rq.body_len = strlen(rq.body);
	ret = remote_report(x, &rq, 204, 200, key, "key", "set");
out:
	OPENSSL_cleanse(value, sizeof(value));
	json_object_put(body);
	free(b64);
	free(sealed);
	return ret;
}

static void
key_row(json_object *item)
{
	if (json_object_is_type(item, json_type_string))
		output_text(json_object_get_string(item));
	putchar('\n');
}

static int
list_run(struct remote *x)
{
	char path[320];

	if (secrets_path(x, x->args[0], path, sizeof(path)) < 0)
		return CLI_FAIL;
	return remote_list(x, path, "keys", key_row);
}

static int
delete_run(struct remote *x)
{
	struct client_request rq = { .method = "DELETE", .auth = 1 };
	char path[400];
	size_t n;

	if (secrets_path(x, x->args[0], path, sizeof(path)) < 0)
		return CLI_FAIL;
	/* The key goes in the query; its syntax is the host's to check,
	 * but nothing in it may change the query's meaning. */
	if (x->args[1][0] == '\0' ||
	    strspn(x->args[1], "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstu"
			       "vwxyz0123456789_.-") != strlen(x->args[1]))
		return remote_fail(x, "bad secret key '%s' ([A-Za-z0-9_.-])",
				   x->args[1]);
	n = strlen(path);
	snprintf(path + n, sizeof(path) - n, "?key=%s", x->args[1]);
	rq.path = path;
	return remote_report(x, &rq, 204, 200, x->args[1], "key", "deleted");
}

static const struct remote_spec secret_verbs[] = {
	{ .name = "secret set",
	  .usage = "secret set [options] [-k HOSTKEY] NAME KEY [VALUE|-]",
	  .min_args = 2,
	  .max_args = 3,
	  .takes = TAKES_KEYFILE,
	  .timeout_ms = REMOTE_TIMEOUT_MS,
	  .run = set_run },
	{ .name = "secret list",
	  .usage = "secret list [options] NAME",
	  .min_args = 1,
	  .max_args = 1,
	  .timeout_ms = REMOTE_TIMEOUT_MS,
	  .run = list_run },
	{ .name = "secret delete",
	  .usage = "secret delete [options] NAME KEY",
	  .min_args = 2,
	  .max_args = 2,
	  .timeout_ms = REMOTE_TIMEOUT_MS,
	  .run = delete_run },
};

const struct remote_spec secret_cmd = {
	.name = "secret",
	.usage = "secret set NAME KEY [VALUE|-] | list NAME | delete NAME KEY\n"
		 "  (fnhost secret VERB -h for its options)",
	.verbs = secret_verbs,
	.nverbs = sizeof(secret_verbs) / sizeof(secret_verbs[0])
};
