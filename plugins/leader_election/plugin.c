/*
 * leader_election: the seed's leader-election function (Cape's app.py) as a
 * native plugin, answering byte for byte what the Python answers.
 *
 * The seed's cape_handler, step by step, and where each step lives here:
 *
 *	user_input = json.loads(arg)		pyjson_loads()
 *	if "node_list" not in user_input:	le_has_node_list()
 *	    raise Exception("node list is missing")
 *	nodes = user_input.get("node_list")	le_get_nodes()
 *	nodes.sort()				pysort_list()
 *	message = str(nodes[-1])		pyrepr_str()
 *	digest.update(message.encode("utf-8"))	pyrepr_utf8()
 *	RSA.importKey(open("private.pem")...)	le_load_key()
 *	PKCS1_v1_5.new(key).sign(digest)	le_sign()
 *	json.dumps({"message":..,"signature":..})	le_output()
 *
 * Every failure is reported with the text of the exception Python raises
 * at that step (str(exception)), in the same order of checks.  The key is
 * read from the bundle on every invoke, as the seed reads it, so the plugin
 * keeps no state; a missing or unreadable key fails the invoke, not the
 * session.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>

#include <fnhost/plugin.h>

#include "pyjson.h"
#include "pyrepr.h"
#include "pysort.h"
#include "pyvalue.h"

#define LE_KEY_NAME "private.pem"
/* A 16384-bit RSA key in PEM is about 13 KiB. */
#define LE_KEY_MAX (64 * 1024)
#define LE_ERR_MAX 1024

/* Does s[0..n) contain the ASCII text pat as a substring? */
static int
le_str_contains(const uint32_t *s, size_t n, const char *pat)
{
	size_t m = strlen(pat), i, j;

	for (i = 0; i + m <= n; i++) {
		for (j = 0; j < m; j++)
			if (s[i + j] != (unsigned char)pat[j])
				break;
		if (j == m)
			return 1;
	}
	return 0;
}

/*
 * Python's "node_list" in user_input: a key test for a dict, a membership
 * test (==) for a list, a substring test for a str, and a TypeError for
 * anything else.  Returns 1 or 0, or -1 with the error text in err.
 */
static int
le_has_node_list(const struct pyv *in, char *err, size_t errlen)
{
	size_t i;

	switch (in->type) {
	case PYV_DICT:
		return pyv_dict_get(in, "node_list") != NULL;
	case PYV_LIST:
		/* Only a str can equal a str. */
		for (i = 0; i < in->u.list.len; i++) {
			const struct pyv *it = in->u.list.items[i];

			if (it->type == PYV_STR && it->u.str.len == 9 &&
			    le_str_contains(it->u.str.cp, 9, "node_list"))
				return 1;
		}
		return 0;
	case PYV_STR:
		return le_str_contains(in->u.str.cp, in->u.str.len,
				       "node_list");
	default:
		snprintf(err, errlen, "argument of type '%s' is not iterable",
			 pyv_type_name(in));
		return -1;
	}
}

/* user_input.get("node_list"): borrowed, or NULL with the AttributeError
 * text in err when user_input is not a dict. */
static struct pyv *
le_get_nodes(const struct pyv *in, char *err, size_t errlen)
{
	if (in->type != PYV_DICT) {
		snprintf(err, errlen, "'%s' object has no attribute 'get'",
			 pyv_type_name(in));
		return NULL;
	}
	return pyv_dict_get(in, "node_list");
}

/* Read at most LE_KEY_MAX bytes of path into a NUL-terminated buffer. */
static char *
le_read_file(const char *path, size_t *len, char *err, size_t errlen)
{
	char *buf = NULL;
	size_t n = 0;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		/* Python's FileNotFoundError/PermissionError text. */
		snprintf(err, errlen, "[Errno %d] %s: '%s'", errno,
			 strerror(errno), LE_KEY_NAME);
		return NULL;
	}
	buf = malloc(LE_KEY_MAX + 1);
	if (buf == NULL) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	for (;;) {
		ssize_t r = read(fd, buf + n, LE_KEY_MAX + 1 - n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			snprintf(err, errlen, "[Errno %d] %s: '%s'", errno,
				 strerror(errno), LE_KEY_NAME);
			goto fail;
		}
		if (r == 0)
			break;
		n += (size_t)r;
		if (n > LE_KEY_MAX) {
			snprintf(err, errlen, "%s: larger than %d bytes",
				 LE_KEY_NAME, LE_KEY_MAX);
			goto fail;
		}
	}
	buf[n] = '\0';
	*len = n;
	goto out;
fail:
	free(buf);
	buf = NULL;
out:
	close(fd);
	return buf;
}

/* Never ask for a passphrase: an encrypted key is a bad key here. */
static int
le_no_passphrase(char *buf, int size, int rwflag, void *u)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)u;
	return -1;
}

/*
 * The RSA private key in bundle_dir/private.pem, PEM in either PKCS#1
 * ("RSA PRIVATE KEY", as pycryptodome writes it) or PKCS#8 ("PRIVATE
 * KEY", as openssl genpkey writes it).  NULL with a one-line reason in err.
 */
static EVP_PKEY *
le_load_key(const char *bundle_dir, char *err, size_t errlen)
{
	char path[PATH_MAX];
	EVP_PKEY *pkey = NULL;
	BIO *bio = NULL;
	char *pem;
	size_t len = 0;
	int n;

	n = snprintf(path, sizeof(path), "%s/%s", bundle_dir, LE_KEY_NAME);
	if (n < 0 || (size_t)n >= sizeof(path)) {
		snprintf(err, errlen, "bundle directory path too long");
		return NULL;
	}
	pem = le_read_file(path, &len, err, errlen);
	if (pem == NULL)
		return NULL;
	bio = BIO_new_mem_buf(pem, (int)len);
	if (bio != NULL)
		pkey = PEM_read_bio_PrivateKey(bio, NULL, le_no_passphrase,
					       NULL);
	if (pkey != NULL && !EVP_PKEY_is_a(pkey, "RSA")) {
		EVP_PKEY_free(pkey);
		pkey = NULL;
	}
	if (pkey == NULL)
		/* pycryptodome's text for a key it cannot import. */
		snprintf(err, errlen, "RSA key format is not supported");
	BIO_free(bio);
	OPENSSL_cleanse(pem, len);
	free(pem);
	return pkey;
}

/*
 * RSA PKCS#1 v1.5 signature over SHA-256 of msg[0..len), as lower-case
 * hex in a malloc'd string.  NULL with the reason in err.
 */
static char *
le_sign(EVP_PKEY *pkey, const char *msg, size_t len, char *err, size_t errlen)
{
	static const char hex[] = "0123456789abcdef";
	EVP_MD_CTX *ctx = NULL;
	unsigned char *sig = NULL;
	size_t siglen = 0, i;
	char *out = NULL;

	ctx = EVP_MD_CTX_new();
	if (ctx == NULL ||
	    EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, pkey) != 1 ||
	    EVP_DigestSign(ctx, NULL, &siglen, (const unsigned char *)msg,
			   len) != 1 ||
	    (sig = malloc(siglen)) == NULL ||
	    EVP_DigestSign(ctx, sig, &siglen, (const unsigned char *)msg,
			   len) != 1 ||
	    (out = malloc(siglen * 2 + 1)) == NULL) {
		snprintf(err, errlen, "RSA signature failed");
		goto out;
	}
	for (i = 0; i < siglen; i++) {
		out[2 * i] = hex[sig[i] >> 4];
		out[2 * i + 1] = hex[sig[i] & 0xf];
	}
	out[2 * siglen] = '\0';
out:
	free(sig);
	EVP_MD_CTX_free(ctx);
	return out;
}

/* json.dumps({"message": msg, "signature": sig}) to the invoke's output. */
static int
le_output(const struct fnh_host *host, struct fnh_call *call,
	  const struct pyrepr_buf *msg, const char *sig)
{
	static const char head[] = "{\"message\": ";
	static const char mid[] = ", \"signature\": \"";
	static const char tail[] = "\"}";
	char *jmsg = NULL, *out = NULL;
	size_t jlen, slen = strlen(sig), total;
	int ret = -1;

	if (pyrepr_json_string(msg->cp, msg->len, &jmsg, &jlen) < 0) {
		ret = host->fail(call, "out of memory");
		goto out;
	}
	total = sizeof(head) - 1 + jlen + sizeof(mid) - 1 + slen +
		sizeof(tail) - 1;
	out = malloc(total);
	if (out == NULL) {
		ret = host->fail(call, "out of memory");
		goto out;
	}
	memcpy(out, head, sizeof(head) - 1);
	memcpy(out + sizeof(head) - 1, jmsg, jlen);
	memcpy(out + sizeof(head) - 1 + jlen, mid, sizeof(mid) - 1);
	memcpy(out + sizeof(head) - 1 + jlen + sizeof(mid) - 1, sig, slen);
	memcpy(out + total - (sizeof(tail) - 1), tail, sizeof(tail) - 1);
	if (host->output(call, out, total) < 0) {
		ret = host->fail(call,
				 "output of %zu bytes exceeds the "
				 "host's output limit",
				 total);
		goto out;
	}
	ret = 0;
out:
	free(out);
	free(jmsg);
	return ret;
}

static int
le_handle(const struct fnh_host *host, struct fnh_call *call, const void *input,
	  size_t input_len)
{
	char err[LE_ERR_MAX] = "";
	struct pyrepr_buf msg = { 0 };
	struct pyv *in = NULL, *nodes;
	EVP_PKEY *pkey = NULL;
	char *utf8 = NULL, *sig = NULL;
	size_t utf8_len = 0;
	int ret = -1, has;

	in = pyjson_loads(input, input_len, err, sizeof(err));
	if (in == NULL)
		goto fail;
	has = le_has_node_list(in, err, sizeof(err));
	if (has < 0)
		goto fail;
	if (!has) {
		snprintf(err, sizeof(err), "node list is missing");
		goto fail;
	}
	nodes = le_get_nodes(in, err, sizeof(err));
	if (nodes == NULL)
		goto fail;
	if (pysort_list(nodes, err, sizeof(err)) < 0)
		goto fail;
	if (nodes->u.list.len == 0) {
		snprintf(err, sizeof(err), "list index out of range");
		goto fail;
	}
	if (pyrepr_str(nodes->u.list.items[nodes->u.list.len - 1], &msg, err,
		       sizeof(err)) < 0 ||
	    pyrepr_utf8(msg.cp, msg.len, &utf8, &utf8_len, err, sizeof(err)) <
		    0)
		goto fail;
	pkey = le_load_key(host->bundle_dir, err, sizeof(err));
	if (pkey == NULL)
		goto fail;
	sig = le_sign(pkey, utf8, utf8_len, err, sizeof(err));
	if (sig == NULL)
		goto fail;
	ret = le_output(host, call, &msg, sig);
	goto out;
fail:
	ret = host->fail(call, "%s", err);
out:
	free(sig);
	EVP_PKEY_free(pkey);
	free(utf8);
	pyrepr_buf_free(&msg);
	pyv_free(in);
	return ret;
}

/*
 * Once per session: the key of the hash tables over client-chosen dict
 * keys (pyvalue.h), fresh from the host, so a flood of colliding keys
 * cannot be computed in advance.  No key, no session.
 */
static int
le_init(const struct fnh_host *host)
{
	unsigned char key[16];

	if (host->random(key, sizeof(key)) != 0) {
		host->log(FNH_LOG_ERROR, "no random bytes for the hash key");
		return -1;
	}
	pyv_hash_setkey(key);
	return 0;
}

FNH_PLUGIN(.name = "leader_election", .version = "1.0.0",
	   .description = "sorts node_list as Python does and signs the "
			  "largest with the bundle's RSA key",
	   .init = le_init, .handle = le_handle)
