/* host-keys.c: the host's public keys, from a file or the host (see
 * host-keys.h). */
#include <ctype.h>
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

#include "base/b64.h"
#include "cli/host-keys.h"

/* One 32-byte key, base64url, from obj.member.public_key. */
static int
key_member(json_object *obj, const char *member, unsigned char key[32])
{
	json_object *m, *pk;
	const char *text;
	size_t n;

	if (!json_object_object_get_ex(obj, member, &m) ||
	    !json_object_object_get_ex(m, "public_key", &pk) ||
	    !json_object_is_type(pk, json_type_string))
		return -1;
	text = json_object_get_string(pk);
	return b64url_decode(key, 32, text, strlen(text), &n) == 0 && n == 32
		       ? 0
		       : -1;
}

/* The keys from GET /v1/key's JSON. */
static int
keys_from_json(json_object *obj, struct host_keys *k)
{
	if (key_member(obj, "encryption", k->enc) < 0)
		return -1;
	k->have_att = key_member(obj, "attestation", k->att) == 0;
	return 0;
}

static int
keys_from_host(struct remote *x, struct host_keys *k)
{
	struct client_request rq = { .method = "GET", .path = "/v1/key" };
	json_object *obj = NULL;
	int ret = -1;

	if (remote_call(x, &rq, 200, 0, &obj) < 0)
		goto out;
	if (keys_from_json(obj, k) < 0)
		remote_fail(x, "the host's /v1/key answer has no usable key");
	else
		ret = 0;
out:
	json_object_put(obj);
	return ret;
}

int
host_keys_get(struct remote *x, struct host_keys *k)
{
	char buf[8192], *p;
	json_object *obj;
	size_t n;
	FILE *f;
	int ret;

	memset(k, 0, sizeof(*k));
	if (!x->keyfile)
		return keys_from_host(x, k);
	if ((f = fopen(x->keyfile, "r")) == NULL)
		return remote_fail(x, "cannot read %s: %s", x->keyfile,
				   strerror(errno));
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	if ((obj = json_tokener_parse(buf)) != NULL) {
		ret = keys_from_json(obj, k);
		json_object_put(obj);
	} else {
		p = buf + strlen(buf);
		while (p > buf && isspace((unsigned char)p[-1]))
			*--p = '\0';
		for (p = buf; isspace((unsigned char)*p); p++)
			;
		ret = b64url_decode(k->enc, sizeof(k->enc), p, strlen(p), &n) ==
					      0 &&
				      n == sizeof(k->enc)
			      ? 0
			      : -1;
	}
	if (ret < 0)
		remote_fail(x,
			    "%s holds neither the JSON of `fnhost key -o "
			    "json` nor a base64url X25519 key",
			    x->keyfile);
	return ret;
}
