/*
 * store-trust.c: trusted/, the publisher keys whose bundles may be
 * deployed (see store.h): trusted/<KEYID>.pub holds the key in the text
 * minisign_pubkey_format() writes, 0644.
 *
 * A key is stored under the id it holds and found by that id, since a
 * signature names its key by id.  load refuses, naming the file, rather
 * than skips, so that the operator sees it: a file whose text does not
 * parse or holds a key of another id (-ERR_BAD_KEY), a file of another
 * name (-ERR_IO, as any stray file in the store).  A second key under an
 * id already trusted is refused (-ERR_BAD_KEY), never swapped in.
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>

#include "daemon/store-int.h"

/* The key in trusted/<file> into *pk; shown names the file. */
static int
trust_read(struct store *s, const char *file, const char *shown,
	   struct minisign_pubkey *pk, char *err, size_t errlen)
{
	char e2[256], *buf = NULL;
	size_t len;
	int rc;

	rc = store_read_file(s->dirfd[DIR_TRUSTED], file, MINISIGN_FILE_MAX,
			     shown, &buf, &len, err, errlen);
	if (rc < 0)
		return rc;
	if (minisign_pubkey_parse(buf, len, pk, e2, sizeof(e2)) < 0)
		rc = store_fail(err, errlen, ERR_BAD_KEY, "%s: %s", shown, e2);
	free(buf);
	return rc;
}

static int
trust_one(struct store *s, const char *file, const char *keyid, void *ctx,
	  char *err, size_t errlen)
{
	struct store_vec *vec = ctx;
	struct minisign_pubkey *pk = store_vec_next(vec);
	char shown[PATH_MAX], hex[MINISIGN_KEYID_HEX];
	int rc;

	if (pk == NULL)
		return store_fail(err, errlen, ERR_INTERNAL, "out of memory");
	store_shown(s, DIR_TRUSTED, file, shown);
	rc = trust_read(s, file, shown, pk, err, errlen);
	if (rc < 0)
		return rc;
	minisign_keyid_hex(pk->key_id, hex);
	if (strcmp(hex, keyid) != 0)
		return store_fail(err, errlen, ERR_BAD_KEY, "%s holds key %s",
				  shown, hex);
	vec->n++;
	return 0;
}

int
store_trust_load(struct store *s, struct minisign_pubkey **keys, size_t *n,
		 char *err, size_t errlen)
{
	struct store_vec vec = { NULL, 0, 0, sizeof(**keys) };
	int rc;

	rc = store_dir_each(s, DIR_TRUSTED, ".pub", store_keyid_ok,
			    "not named <KEYID>.pub (16 upper-case hex)",
			    trust_one, &vec, err, errlen);
	if (rc < 0) {
		free(vec.v);
		return rc;
	}
	*keys = vec.v;
	*n = vec.n;
	return 0;
}

int
store_trust_add(struct store *s, const char *text, size_t len, char keyid[17],
		char *err, size_t errlen)
{
	struct minisign_pubkey pk, old;
	char canon[MINISIGN_FILE_MAX], file[NAME_MAX + 1], shown[PATH_MAX];
	char e2[256];
	int n, rc;

	if (len > MINISIGN_FILE_MAX)
		return store_fail(err, errlen, ERR_BAD_KEY,
				  "a public key file is at most %d bytes",
				  MINISIGN_FILE_MAX);
	if (minisign_pubkey_parse(text, len, &pk, e2, sizeof(e2)) < 0)
		return store_fail(err, errlen, ERR_BAD_KEY, "%s", e2);
	n = minisign_pubkey_format(&pk, canon, sizeof(canon));
	if (n < 0)
		return store_fail(err, errlen, ERR_BAD_KEY,
				  "cannot format the key");
	minisign_keyid_hex(pk.key_id, keyid);
	store_file_name(keyid, ".pub", file);
	store_shown(s, DIR_TRUSTED, file, shown);
	pthread_mutex_lock(&s->lock);
	rc = trust_read(s, file, shown, &old, err, errlen);
	if (rc == 0 && memcmp(old.pk, pk.pk, sizeof(pk.pk)) != 0)
		rc = store_fail(err, errlen, ERR_BAD_KEY,
				"a different key with id %s is already "
				"trusted",
				keyid);
	else if (rc == -ERR_NOT_FOUND || rc == -ERR_BAD_KEY)
		/* Not there, or damaged: the key given takes its place. */
		rc = fileio_replace(s->dirfd[DIR_TRUSTED], file, canon,
				    (size_t)n, 0644, err, errlen);
	pthread_mutex_unlock(&s->lock);
	return rc;
}

int
store_trust_remove(struct store *s, const char *keyid, char *err, size_t errlen)
{
	char file[NAME_MAX + 1], q[QUOTE_MAX];
	int rc;

	if (!store_keyid_ok(keyid))
		return store_fail(err, errlen, ERR_INVALID,
				  "bad key id '%s' (16 upper-case hex digits)",
				  quote_str(q, sizeof(q), keyid));
	store_file_name(keyid, ".pub", file);
	rc = store_remove_file(s, DIR_TRUSTED, file, err, errlen);
	if (rc == -ERR_NOT_FOUND)
		return store_fail(err, errlen, ERR_NOT_FOUND,
				  "no trusted key '%s'", keyid);
	return rc;
}
