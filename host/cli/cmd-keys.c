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

static int
encrypt_run(struct remote *x)
{
	struct host_keys k;
	json_object *obj;
	char *text = NULL;
	size_t len;
	int ret = CLI_FAIL;

	if (host_keys_get(x, &k) < 0)
		goto out;
	if (hpke_encrypt_text(k.enc, x->args[0], strlen(x->args[0]), &text,
			      &len, x->err, sizeof(x->err)) < 0) {
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

int
cmd_encrypt(int argc, char **argv)
{
	static const struct remote_spec sp = {
		"encrypt",
		"encrypt [options] [-k KEYFILE] TEXT\n"
		"  prints TEXT encrypted to the host as an fnh1: text, for\n"
		"  any invoke of that host; the key comes from KEYFILE\n"
		"  (fnhost key -o json) or from the host",
		1, 1, TAKES_KEYFILE, REMOTE_TIMEOUT_MS, encrypt_run};

	return remote_main(&sp, argc, argv);
}

static int
rotate_run(struct remote *x)
{
	struct client_request rq = {.method = "POST", .auth = 1,
				    .path = "/v1/key/rotate",
				    .content_type = "application/json"};
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
	struct client_request rq = {.method = "GET", .path = "/v1/key"};

	return remote_show(x, &rq, 1);
}

int
cmd_key(int argc, char **argv)
{
	static const struct remote_spec key_sp = {
		"key", "key [options] | key rotate [options] [--keep DURATION]",
		0, 0, 0, REMOTE_TIMEOUT_MS, key_run};
	static const struct remote_spec rotate_sp = {
		"key rotate",
		"key rotate [options] [--keep DURATION]\n"
		"  a new encryption key for the host (admin); texts and\n"
		"  invokes made for the old one are still decrypted for\n"
		"  DURATION (90, 90s, 15m, 12h, 7d; default 0: not at all)",
		0, 0, TAKES_KEEP, REMOTE_TIMEOUT_MS, rotate_run};

	/* "key" alone prints the keys, so rotate is its only verb. */
	if (argc > 1 && !strcmp(argv[1], "rotate"))
		return remote_main(&rotate_sp, argc - 1, argv + 1);
	return remote_main(&key_sp, argc, argv);
}
