/*
 * store-secrets.c: secrets/, values sealed to the host (see store.h).
 *
 * One flat directory: "<name>@<key>.sealed".  '@' is in neither a label
 * nor a key, so a file name splits one way only.  The store keeps the
 * sealed bytes as the client made them and never holds a plaintext.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/store-int.h"
#include "formats/hpke.h"

#define SECRET_SUFFIX ".sealed"

int
store_secret_key_ok(const char *key)
{
	size_t i;

	if (!key || !(store_is_alnum(key[0]) || key[0] == '_'))
		return 0;
	for (i = 0; key[i]; i++) {
		if (i == STORE_SECRET_KEY_MAX)
			return 0;
		if (!store_is_alnum(key[i]) && !strchr("_.-", key[i]))
			return 0;
	}
	return 1;
}

int
store_secret_name_ok(const char *name)
{
	return store_label_ok(name);
}

/* "<name>@<key>" as a file's stem: both parts well-formed. */
static int
stem_ok(const char *stem)
{
	char name[BUNDLE_LABEL_MAX + 2];
	const char *at = strchr(stem, '@');

	if (!at || (size_t)(at - stem) > BUNDLE_LABEL_MAX)
		return 0;
	memcpy(name, stem, (size_t)(at - stem));
	name[at - stem] = '\0';
	return store_label_ok(name) && store_secret_key_ok(at + 1);
}

static int
check(const char *name, const char *key, char *err, size_t errlen)
{
	char q[QUOTE_MAX];

	if (!store_label_ok(name))
		return store_fail(err, errlen, ERR_INVALID,
				  "bad function name '%s'",
				  quote_str(q, sizeof(q), name));
	if (key && !store_secret_key_ok(key))
		return store_fail(err, errlen, ERR_INVALID,
				  "bad secret key '%s' (1-%d of [A-Za-z0-9_.-], "
				  "not starting with '.' or '-')",
				  quote_str(q, sizeof(q), key),
				  STORE_SECRET_KEY_MAX);
	return 0;
}

static bool
sealed_len_ok(size_t len)
{
	return len >= HPKE_NENC + HPKE_NT && len <= HPKE_SECRET_SEALED_MAX;
}

static int
sealed_len_fail(char *err, size_t errlen)
{
	return store_fail(err, errlen, ERR_INVALID,
			  "a sealed secret is %d to %d bytes",
			  HPKE_NENC + HPKE_NT, HPKE_SECRET_SEALED_MAX);
}

static void
file_of(const char *name, const char *key, char file[NAME_MAX + 1])
{
	snprintf(file, NAME_MAX + 1, "%s@%s%s", name, key, SECRET_SUFFIX);
}

struct listing {
	const char *name;
	size_t namelen;
	struct store_vec vec;
};

static int
list_one(struct store *s, const char *file, const char *stem, void *ctx,
	 char *err, size_t errlen)
{
	struct listing *l = ctx;
	struct store_secret_key *k;

	(void)s;
	(void)file;
	if (strncmp(stem, l->name, l->namelen) != 0 || stem[l->namelen] != '@')
		return 0;
	k = store_vec_next(&l->vec);
	if (!k)
		return store_fail(err, errlen, ERR_INTERNAL, "out of memory");
	snprintf(k->key, sizeof(k->key), "%s", stem + l->namelen + 1);
	l->vec.n++;
	return 0;
}

static int
key_cmp(const void *a, const void *b)
{
	return strcmp(((const struct store_secret_key *)a)->key,
		      ((const struct store_secret_key *)b)->key);
}

int
store_secret_list(struct store *s, const char *name,
		  struct store_secret_key **keys, size_t *n, char *err,
		  size_t errlen)
{
	struct listing l = { name, 0, { NULL, 0, 0, sizeof(**keys) } };
	int rc;

	*keys = NULL;
	*n = 0;
	rc = check(name, NULL, err, errlen);
	if (rc < 0)
		return rc;
	l.namelen = strlen(name);
	rc = store_dir_each(s, DIR_SECRETS, SECRET_SUFFIX, stem_ok,
			    "not named <name>@<key>" SECRET_SUFFIX, list_one,
			    &l, err, errlen);
	if (rc < 0) {
		free(l.vec.v);
		return rc;
	}
	if (l.vec.n)
		qsort(l.vec.v, l.vec.n, sizeof(**keys), key_cmp);
	*keys = l.vec.v;
	*n = l.vec.n;
	return 0;
}

int
store_secret_put(struct store *s, const char *name, const char *key,
		 const void *sealed, size_t len, char *err, size_t errlen)
{
	struct store_secret_key *keys = NULL;
	char file[NAME_MAX + 1];
	size_t i, n = 0;
	bool there = false;
	int rc;

	rc = check(name, key, err, errlen);
	if (rc < 0)
		return rc;
	if (!sealed_len_ok(len))
		return sealed_len_fail(err, errlen);
	file_of(name, key, file);
	/* The count and the write under one lock, so that two puts can not
	 * both pass the bound. */
	pthread_mutex_lock(&s->lock);
	rc = store_secret_list(s, name, &keys, &n, err, errlen);
	for (i = 0; rc == 0 && i < n; i++)
		there = there || !strcmp(keys[i].key, key);
	if (rc == 0 && !there && n >= STORE_SECRETS_PER_NAME)
		rc = store_fail(err, errlen, ERR_LIMIT,
				"function '%s' holds %d secrets already", name,
				STORE_SECRETS_PER_NAME);
	if (rc == 0)
		rc = fileio_replace(s->dirfd[DIR_SECRETS], file, sealed, len,
				    0600, err, errlen);
	pthread_mutex_unlock(&s->lock);
	free(keys);
	return rc;
}

int
store_secret_get(struct store *s, const char *name, const char *key,
		 unsigned char **sealed, size_t *len, char *err, size_t errlen)
{
	char file[NAME_MAX + 1], shown[PATH_MAX];
	char *buf = NULL;
	int rc;

	*sealed = NULL;
	*len = 0;
	rc = check(name, key, err, errlen);
	if (rc < 0)
		return rc;
	file_of(name, key, file);
	store_shown(s, DIR_SECRETS, file, shown);
	rc = store_read_file(s->dirfd[DIR_SECRETS], file,
			     HPKE_SECRET_SEALED_MAX, shown, &buf, len, err,
			     errlen);
	if (rc == -ERR_NOT_FOUND)
		return store_fail(err, errlen, ERR_NOT_FOUND,
				  "no secret '%s' for function '%s'", key,
				  name);
	if (rc < 0)
		return rc;
	*sealed = (unsigned char *)buf;
	return 0;
}

int
store_secret_delete(struct store *s, const char *name, const char *key,
		    char *err, size_t errlen)
{
	char file[NAME_MAX + 1];
	int rc;

	rc = check(name, key, err, errlen);
	if (rc < 0)
		return rc;
	file_of(name, key, file);
	rc = store_remove_file(s, DIR_SECRETS, file, err, errlen);
	if (rc == -ERR_NOT_FOUND)
		return store_fail(err, errlen, ERR_NOT_FOUND,
				  "no secret '%s' for function '%s'", key,
				  name);
	return rc;
}

static int
list_all_one(struct store *s, const char *file, const char *stem, void *ctx,
	     char *err, size_t errlen)
{
	struct store_vec *vec = ctx;
	struct store_secret_ref *r;
	const char *at = strchr(stem, '@'); /* stem_ok() saw it */

	(void)s;
	(void)file;
	r = store_vec_next(vec);
	if (!r)
		return store_fail(err, errlen, ERR_INTERNAL, "out of memory");
	snprintf(r->name, sizeof(r->name), "%.*s", (int)(at - stem), stem);
	snprintf(r->key, sizeof(r->key), "%s", at + 1);
	vec->n++;
	return 0;
}

int
store_secret_list_all(struct store *s, struct store_secret_ref **refs,
		      size_t *n, char *err, size_t errlen)
{
	struct store_vec vec = { NULL, 0, 0, sizeof(**refs) };
	int rc;

	*refs = NULL;
	*n = 0;
	rc = store_dir_each(s, DIR_SECRETS, SECRET_SUFFIX, stem_ok,
			    "not named <name>@<key>" SECRET_SUFFIX,
			    list_all_one, &vec, err, errlen);
	if (rc < 0) {
		free(vec.v);
		return rc;
	}
	*refs = vec.v;
	*n = vec.n;
	return 0;
}

int
store_secret_swap(struct store *s, const char *name, const char *key,
		  const void *was, size_t was_len, const void *now,
		  size_t now_len, bool *swapped, char *err, size_t errlen)
{
	char file[NAME_MAX + 1], shown[PATH_MAX];
	char *buf = NULL;
	size_t len = 0;
	int rc;

	*swapped = false;
	rc = check(name, key, err, errlen);
	if (rc < 0)
		return rc;
	if (!sealed_len_ok(now_len))
		return sealed_len_fail(err, errlen);
	file_of(name, key, file);
	store_shown(s, DIR_SECRETS, file, shown);
	/* The read and the write under one lock: a put or a delete in
	 * between is kept, never overwritten with what was. */
	pthread_mutex_lock(&s->lock);
	rc = store_read_file(s->dirfd[DIR_SECRETS], file,
			     HPKE_SECRET_SEALED_MAX, shown, &buf, &len, err,
			     errlen);
	if (rc == -ERR_NOT_FOUND) {
		rc = 0; /* deleted meanwhile */
		goto out;
	}
	if (rc < 0 || len != was_len || memcmp(buf, was, len) != 0)
		goto out;
	rc = fileio_replace(s->dirfd[DIR_SECRETS], file, now, now_len, 0600,
			    err, errlen);
	*swapped = rc == 0;
out:
	pthread_mutex_unlock(&s->lock);
	free(buf);
	return rc;
}
