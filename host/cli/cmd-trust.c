/*
 * cmd-trust.c: fnhost trust add, list and remove: the publisher keys whose
 * bundles the host accepts (admin).
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "formats/minisign.h"
#include "cli/cli.h"
#include "cli/output.h"
#include "cli/remote.h"

static int
add_run(struct remote *x)
{
	struct client_request rq = { .method = "POST",
				     .path = "/v1/trust",
				     .auth = 1,
				     .content_type = "text/plain" };
	char text[MINISIGN_FILE_MAX + 1], id[MINISIGN_KEYID_HEX];
	struct minisign_pubkey pk;
	ssize_t n;
	size_t len = 0;
	int fd = -1, ret = CLI_FAIL;

	/* Parse it here first, so a wrong file fails with a local reason. */
	if ((fd = open(x->args[0], O_RDONLY | O_CLOEXEC | O_NOCTTY)) < 0) {
		remote_fail(x, "%s: %s", x->args[0], strerror(errno));
		goto out;
	}
	while (len < sizeof(text)) {
		n = read(fd, text + len, sizeof(text) - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			remote_fail(x, "%s: %s", x->args[0], strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (len == sizeof(text)) {
		remote_fail(x, "%s: larger than %d bytes", x->args[0],
			    MINISIGN_FILE_MAX);
		goto out;
	}
	if (minisign_pubkey_parse(text, len, &pk, x->err, sizeof(x->err)) < 0) {
		remote_fail(x, "%s: %s", x->args[0], x->err);
		goto out;
	}
	minisign_keyid_hex(pk.key_id, id);
	rq.body = text;
	rq.body_len = len;
	ret = remote_report(x, &rq, 201, 200, id, "keyid", "trusted");
out:
	if (fd >= 0)
		close(fd);
	return ret;
}

/* A key's id, and its comment when the host has one; a bare value when
 * the host lists keys as such. */
static void
key_row(json_object *item)
{
	static const char *const c_id[] = { "keyid", "key_id", "id", NULL };
	static const char *const c_comment[] = { "comment", NULL };
	static const char *const *const cols[] = { c_id, c_comment };

	if (json_object_is_type(item, json_type_object)) {
		remote_row(item, cols, remote_member(item, c_comment) ? 2 : 1);
	} else {
		output_value("", item);
		putchar('\n');
	}
}

static int
list_run(struct remote *x)
{
	return remote_list(x, "/v1/trust", "keys", key_row);
}

/* A key id, or the key id of a .pub file (DESIGN's "trust remove
 * KEY.pub"), upper-case as minisign prints it. */
static int
keyid_arg(struct remote *x, const char *arg, char id[MINISIGN_KEYID_HEX])
{
	struct minisign_pubkey pk;
	char shown[80];
	size_t i;

	if (strlen(arg) == 16 && strspn(arg, "0123456789abcdefABCDEF") == 16) {
		for (i = 0; i < 16; i++)
			id[i] = (char)toupper((unsigned char)arg[i]);
		id[16] = '\0';
		return 0;
	}
	if (minisign_pubkey_load(arg, &pk, x->err, sizeof(x->err)) < 0) {
		snprintf(shown, sizeof(shown), "%s", arg);
		return remote_fail(x,
				   "'%s' is neither a key id (16 hex "
				   "digits) nor a public key file: %s",
				   client_sanitize(shown), x->err);
	}
	minisign_keyid_hex(pk.key_id, id);
	return 0;
}

static int
remove_run(struct remote *x)
{
	char id[MINISIGN_KEYID_HEX];

	if (keyid_arg(x, x->args[0], id) < 0)
		return CLI_FAIL;
	return remote_delete(x, "/v1/trust/", id, "keyid", "removed");
}

static const struct remote_spec verbs[] = {
	{ .name = "trust add",
	  .usage = "trust add [options] KEY.pub",
	  .min_args = 1,
	  .max_args = 1,
	  .timeout_ms = REMOTE_TIMEOUT_MS,
	  .run = add_run },
	{ .name = "trust list",
	  .usage = "trust list [options]",
	  .timeout_ms = REMOTE_TIMEOUT_MS,
	  .run = list_run },
	{ .name = "trust remove",
	  .usage = "trust remove [options] KEYID|KEY.pub",
	  .min_args = 1,
	  .max_args = 1,
	  .timeout_ms = REMOTE_TIMEOUT_MS,
	  .run = remove_run },
};

const struct remote_spec trust_cmd = {
	.name = "trust",
	.usage = "trust add KEY.pub | list | remove KEYID|KEY.pub\n"
		 "  (fnhost trust VERB -h for its options)",
	.verbs = verbs,
	.nverbs = sizeof(verbs) / sizeof(verbs[0])
};
