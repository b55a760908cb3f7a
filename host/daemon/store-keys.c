/*
 * store-keys.c: keys/, the host's secrets (see store.h), each a file
 * written atomically, 0600, and wiped from memory once read:
 *	keys/admin.token	64 lower-case hex characters and "\n"
 *	keys/token.key		32 random bytes
 *	keys/<name>		a raw key of hostkeys.c (at most 64 bytes)
 *
 * A key that is there but malformed is an error naming the file
 * (-ERR_IO), never silently replaced: tokens signed with it would stop
 * verifying.  Every read-modify-write holds the store's lock so that
 * two first callers agree on one key.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "daemon/store-int.h"

#define ADMIN_TOKEN "admin.token"
#define TOKEN_KEY "token.key"
#define RAW_KEY_MAX 64

/*
 * keys/<name>: read it into out when it exists and parse() accepts it;
 * else make text from 32 random bytes with make(), write it and parse
 * that.  *created says which.
 */
static int
key_get(struct store *s, const char *name, char *text, size_t max,
	int (*parse)(const char *, size_t, void *), void *out,
	void (*make)(const unsigned char *, char *, size_t *), bool *created,
	char *err, size_t errlen)
{
	unsigned char rnd[32];
	char shown[PATH_MAX], *buf = NULL;
	size_t len = 0;
	int rc;

	store_shown(s, DIR_KEYS, name, shown);
	pthread_mutex_lock(&s->lock);
	*created = false;
	rc = store_read_file(s->dirfd[DIR_KEYS], name, max, shown, &buf, &len,
			     err, errlen);
	if (rc == 0 && parse(buf, len, out) < 0)
		rc = store_fail(err, errlen, ERR_IO, "%s is malformed", shown);
	if (rc != -ERR_NOT_FOUND)
		goto out;
	if (RAND_bytes(rnd, sizeof(rnd)) != 1) {
		rc = store_fail(err, errlen, ERR_IO,
				"the random generator failed");
		goto out;
	}
	make(rnd, text, &len);
	rc = fileio_replace(s->dirfd[DIR_KEYS], name, text, len, 0600, err,
			    errlen);
	if (rc == 0 && parse(text, len, out) < 0)
		rc = store_fail(err, errlen, ERR_INTERNAL,
				"a new %s does not parse", name);
	*created = rc == 0;
out:
	pthread_mutex_unlock(&s->lock);
	OPENSSL_cleanse(rnd, sizeof(rnd));
	if (buf != NULL) {
		OPENSSL_cleanse(buf, len);
		free(buf);
	}
	return rc;
}

/* admin.token: 64 lower-case hex characters, a final newline optional. */
static int
admin_parse(const char *buf, size_t len, void *out)
{
	size_t i;

	if (len == 65 && buf[64] == '\n')
		len = 64;
	if (len != 64)
		return -1;
	for (i = 0; i < 64; i++)
		if (!store_is_lower_hex(buf[i]))
			return -1;
	memcpy(out, buf, 64);
	((char *)out)[64] = '\0';
	return 0;
}

static void
admin_make(const unsigned char *rnd, char *text, size_t *len)
{
	hex_encode(text, rnd, 32);
	text[64] = '\n';
	*len = 65;
}

int
store_admin_token(struct store *s, char token[65], bool *created, char *err,
		  size_t errlen)
{
	char text[66];
	bool made;
	int rc;

	rc = key_get(s, ADMIN_TOKEN, text, 65, admin_parse, token, admin_make,
		     &made, err, errlen);
	OPENSSL_cleanse(text, sizeof(text));
	if (created != NULL)
		*created = made;
	return rc;
}

/* token.key: exactly 32 bytes. */
static int
secret_parse(const char *buf, size_t len, void *out)
{
	if (len != 32)
		return -1;
	memcpy(out, buf, 32);
	return 0;
}

static void
secret_make(const unsigned char *rnd, char *text, size_t *len)
{
	memcpy(text, rnd, 32);
	*len = 32;
}

int
store_token_secret(struct store *s, unsigned char secret[32], char *err,
		   size_t errlen)
{
	char text[32];
	bool made;
	int rc;

	rc = key_get(s, TOKEN_KEY, text, 32, secret_parse, secret, secret_make,
		     &made, err, errlen);
	OPENSSL_cleanse(text, sizeof(text));
	return rc;
}

/* A raw key's name: one plain file name in keys/, never a temporary's,
 * so that a caller's name cannot reach outside keys/. */
static int
raw_name_check(const char *name, char *err, size_t errlen)
{
	char q[QUOTE_MAX];
	size_t n = name != NULL ? strnlen(name, NAME_MAX + 1) : 0;

	if (n == 0 || n > NAME_MAX || name[0] == '.' || strchr(name, '/'))
		return store_fail(err, errlen, ERR_INVALID, "bad key name '%s'",
				  quote_str(q, sizeof(q), name));
	return 0;
}

int
store_key_get(struct store *s, const char *name, void *out, size_t len,
	      char *err, size_t errlen)
{
	char shown[PATH_MAX], *buf = NULL;
	size_t got = 0;
	int rc;

	rc = raw_name_check(name, err, errlen);
	if (rc < 0)
		return rc;
	if (len > RAW_KEY_MAX)
		return store_fail(err, errlen, ERR_INVALID,
				  "a key is at most %d bytes", RAW_KEY_MAX);
	store_shown(s, DIR_KEYS, name, shown);
	pthread_mutex_lock(&s->lock);
	rc = store_read_file(s->dirfd[DIR_KEYS], name, RAW_KEY_MAX, shown, &buf,
			     &got, err, errlen);
	if (rc == 0 && got != len)
		rc = store_fail(err, errlen, ERR_IO, "%s is malformed", shown);
	if (rc == 0)
		memcpy(out, buf, len);
	pthread_mutex_unlock(&s->lock);
	if (buf != NULL) {
		OPENSSL_cleanse(buf, got);
		free(buf);
	}
	return rc;
}

int
store_key_put(struct store *s, const char *name, const void *buf, size_t len,
	      char *err, size_t errlen)
{
	int rc;

	rc = raw_name_check(name, err, errlen);
	if (rc < 0)
		return rc;
	pthread_mutex_lock(&s->lock);
	rc = fileio_replace(s->dirfd[DIR_KEYS], name, buf, len, 0600, err,
			    errlen);
	pthread_mutex_unlock(&s->lock);
	return rc;
}

int
store_key_remove(struct store *s, const char *name, char *err, size_t errlen)
{
	int rc;

	rc = raw_name_check(name, err, errlen);
	if (rc < 0)
		return rc;
	pthread_mutex_lock(&s->lock);
	rc = store_remove_file(s, DIR_KEYS, name, err, errlen);
	pthread_mutex_unlock(&s->lock);
	return rc == -ERR_NOT_FOUND ? 0 : rc;
}
