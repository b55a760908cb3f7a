/*
 * cmd-keys.c: fnhost key, key rotate and encrypt: the host's public keys,
 * a new encryption key for it, and texts sealed to it.
 */
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formats/hpke.h"
#include "cli/cli.h"
#include "cli/host-keys.h"
#include "cli/output.h"
#include "cli/remote.h"

/* -f ID: the checksum the host gives for function ID, which the text is
 * then bound to (GET /v1/functions/ID, the admin's route). */
static int
function_checksum(struct remote *x, char out[65])
{
	struct client_request rq = { .method = "GET", .auth = 1 };
	json_object *obj = NULL;
	char path[256];
	const char *sum;
	int ret = -1;

	if (remote_id_check(x, "function id", x->function) < 0)
		return -1;
	snprintf(path, sizeof(path), "/v1/functions/%s", x->function);
	rq.path = path;
	if (remote_call(x, &rq, 200, 0, &obj) < 0)
		goto out;
	sum = remote_string(obj, "checksum");
	if (!sum || remote_checksum_parse(sum, out) < 0) {
		remote_fail(x, "the host's answer names no checksum for %s",
			    x->function);
		goto out;
	}
	ret = 0;
out:
	json_object_put(obj);
	return ret;
}

static int
encrypt_run(struct remote *x)
{
	struct host_keys k;
	json_object *obj;
	char *text = NULL, sum[65];
	size_t len;
	int ret = CLI_FAIL;

	/* A text opens only for one function, so which one is not optional. */
	if (!x->function == !x->checksum[0]) {
		remote_fail(x, "name the function the text is for: -f ID or "
			       "-c CHECKSUM (one of them)");
		return CLI_USAGE;
	}
	if (x->function) {
		if (function_checksum(x, sum) < 0)
			goto out;
	} else {
		memcpy(sum, x->checksum, sizeof(sum));
	}
	if (host_keys_get(x, &k) < 0)
		goto out;
	if (hpke_encrypt_text(k.enc, sum, NULL, x->args[0], strlen(x->args[0]),
			      &text, &len, x->err, sizeof(x->err)) < 0) {
		remote_fail(x, "%s", x->err);
		goto out;
	}
	if (x->json) {
		obj = json_object_new_object();
		json_object_object_add(obj, "text",
				       json_object_new_string(text));
		output_json(obj);
		json_object_put(obj);
	} else {
		printf("%s\n", text);
	}
	ret = CLI_OK;
out:
	free(text);
	return ret;
}

const struct remote_spec encrypt_cmd = {
	.name = "encrypt",
	.usage = "encrypt [options] (-f ID | -c CHECKSUM) [-k KEYFILE] TEXT\n"
		 "  prints TEXT encrypted to the host as an fnh2: text that\n"
		 "  only the function with that checksum can open (-f asks\n"
		 "  the host for function ID's checksum, with the admin\n"
		 "  token); the key comes from KEYFILE (fnhost key -o json)\n"
		 "  or from the host",
	.min_args = 1,
	.max_args = 1,
	.takes = TAKES_KEYFILE | TAKES_CHECKSUM | TAKES_FUNCTION,
	.timeout_ms = REMOTE_TIMEOUT_MS,
	.run = encrypt_run
};

static int
rotate_run(struct remote *x)
{
	struct client_request rq = { .method = "POST",
				     .auth = 1,
				     .path = "/v1/key/rotate",
				     .content_type = "application/json" };
	char body[64];

	snprintf(body, sizeof(body), "{\"keep\": %ld}",
		 x->keep < 0 ? 0 : x->keep);
	rq.body = body;
	rq.body_len = strlen(body);
	return remote_show(x, &rq, 0);
}

static int
key_run(struct remote *x)
{
	struct client_request rq = { .method = "GET", .path = "/v1/key" };

	return remote_show(x, &rq, 1);
}

static const struct remote_spec rotate_cmd = {
	.name = "key rotate",
	.usage = "key rotate [options] [--keep DURATION]\n"
		 "  a new encryption key for the host (admin); texts and\n"
		 "  invokes made for the old one are still decrypted for\n"
		 "  DURATION (90, 90s, 15m, 12h, 7d; default 0: not at all)",
	.takes = TAKES_KEEP,
	.timeout_ms = REMOTE_TIMEOUT_MS,
	.run = rotate_run
};

/* "key" alone prints the keys, so rotate is a verb beside it. */
const struct remote_spec key_cmd = {
	.name = "key",
	.usage = "key [options] | key rotate [options] [--keep DURATION]",
	.timeout_ms = REMOTE_TIMEOUT_MS,
	.run = key_run,
	.verbs = &rotate_cmd,
	.nverbs = 1
};
