/* secrets.c: a function's secrets for its worker (see secrets.h). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "base/err.h"
#include "daemon/log.h"
#include "daemon/secrets.h"
#include "sandbox/channel.h"

/* Append one entry to *blob: the frame's layout is in channel.h. */
static int
pack(unsigned char **blob, size_t *len, const char *key, const void *val,
     size_t vlen)
{
	uint32_t kl = (uint32_t)strlen(key), vl = (uint32_t)vlen;
	size_t need = *len + 2 * sizeof(uint32_t) + kl + vl;
	unsigned char *b;

	/* Grow by hand: realloc() would leave an unwiped copy behind. */
	b = malloc(need);
	if (!b)
		return -1;
	if (*blob) {
		memcpy(b, *blob, *len);
		secrets_wipe(*blob, *len);
	}
	memcpy(b + *len, &kl, sizeof(kl));
	memcpy(b + *len + sizeof(kl), &vl, sizeof(vl));
	memcpy(b + *len + 2 * sizeof(kl), key, kl);
	memcpy(b + *len + 2 * sizeof(kl) + kl, val, vl);
	*blob = b;
	*len = need;
	return 0;
}

int
secrets_init(struct secrets *sec, struct store *s, struct hostkeys *k,
	     char *err, size_t errlen)
{
	sec->store = s;
	sec->keys = k;
	if (pthread_rwlock_init(&sec->keys_lock, NULL) != 0)
		return err_set(err, errlen, ERR_INTERNAL,
			       "can not make the secrets' lock");
	return 0;
}

void
secrets_fini(struct secrets *sec)
{
	pthread_rwlock_destroy(&sec->keys_lock);
}

/* Open every secret of name and pack them; under keys_lock, shared. */
static int
open_all_locked(struct secrets *sec, const char *name, unsigned char **blob,
		size_t *len, char *err, size_t errlen)
{
	struct store_secret_key *keys = NULL;
	unsigned char *sealed, *pt;
	size_t i, n = 0, slen, ptlen;
	char e2[256];
	int rc;

	rc = store_secret_list(sec->store, name, &keys, &n, err, errlen);
	for (i = 0; rc == 0 && i < n; i++) {
		rc = store_secret_get(sec->store, name, keys[i].key, &sealed,
				      &slen, err, errlen);
		if (rc == -ERR_NOT_FOUND) {
			rc = 0; /* deleted since the listing */
			continue;
		}
		if (rc < 0)
			break;
		if (hostkeys_open_secret(sec->keys, name, keys[i].key, sealed,
					 slen, &pt, &ptlen, e2,
					 sizeof(e2)) < 0) {
			log_msg(LOG_LEVEL_WARN,
				"event=secret_unopenable function=%s key=%s "
				"msg=\"%s; set it again\"",
				name, keys[i].key, e2);
			free(sealed);
			continue;
		}
		free(sealed);
		if (pack(blob, len, keys[i].key, pt, ptlen) < 0)
			rc = err_set(err, errlen, ERR_INTERNAL,
				     "out of memory");
		hpke_free(pt, ptlen);
	}
	free(keys);
	if (rc < 0) {
		secrets_wipe(*blob, *len);
		*blob = NULL;
		*len = 0;
	}
	return rc;
}

int
secrets_open_all(struct secrets *sec, const char *name, unsigned char **blob,
		 size_t *len, char *err, size_t errlen)
{
	int rc;

	*blob = NULL;
	*len = 0;
	if (!sec || !sec->store)
		return 0;
	pthread_rwlock_rdlock(&sec->keys_lock);
	rc = open_all_locked(sec, name, blob, len, err, errlen);
	pthread_rwlock_unlock(&sec->keys_lock);
	return rc;
}

void
secrets_share(struct secrets *sec, const struct secrets_shared *sh)
{
	sec->shared = *sh;
}

/* Check sealed against the keys and store it, resealed to the current
 * key when it is sealed to the previous one: in the registry when
 * shared is true and the secrets are, else in the store.  Under
 * keys_lock, shared, from the check to the write: so no put stores a
 * text sealed to a key that a rotation's reseal is dropping. */
static int
put_checked(struct secrets *sec, bool shared, const char *name, const char *key,
	    const void *sealed, size_t len, char *err, size_t errlen)
{
	unsigned char *resealed = NULL;
	const void *text = sealed;
	size_t rlen = 0;
	int rc;

	pthread_rwlock_rdlock(&sec->keys_lock);
	rc = hostkeys_reseal_secret(sec->keys, name, key, sealed, len,
				    &resealed, &rlen, err, errlen);
	if (rc < 0) {
		rc = -ERR_INVALID;
		goto out;
	}
	if (resealed) {
		text = resealed;
		len = rlen;
	}
	if (shared)
		rc = sec->shared.put(sec->shared.ctx, name, key, text, len, err,
				     errlen);
	else
		rc = store_secret_put(sec->store, name, key, text, len, err,
				      errlen);
out:
	pthread_rwlock_unlock(&sec->keys_lock);
	free(resealed); /* sealed: nothing to wipe */
	return rc;
}

int
secrets_put(struct secrets *sec, const char *name, const char *key,
	    const void *sealed, size_t len, char *err, size_t errlen)
{
	bool shared = sec->shared.put != NULL;
	int rc;

	rc = put_checked(sec, shared, name, key, sealed, len, err, errlen);
	if (rc == 0 && shared)
		sec->shared.catch_up(sec->shared.ctx);
	return rc;
}

int
secrets_cache_put(struct secrets *sec, const char *name, const char *key,
		  const void *sealed, size_t len, char *err, size_t errlen)
{
	return put_checked(sec, false, name, key, sealed, len, err, errlen);
}

/* Reseal one secret, if it is sealed to the previous key. */
static int
reseal_one(struct secrets *sec, const struct store_secret_ref *r,
	   size_t *resealed, char *err, size_t errlen)
{
	unsigned char *sealed = NULL, *now = NULL;
	size_t slen = 0, nlen = 0;
	bool swapped = false;
	char e2[256];
	int rc;

	rc = store_secret_get(sec->store, r->name, r->key, &sealed, &slen, err,
			      errlen);
	if (rc == -ERR_NOT_FOUND)
		return 0; /* deleted since the listing */
	if (rc < 0)
		return rc;
	if (hostkeys_reseal_secret(sec->keys, r->name, r->key, sealed, slen,
				   &now, &nlen, e2, sizeof(e2)) < 0) {
		log_msg(LOG_LEVEL_WARN,
			"event=secret_unopenable function=%s key=%s "
			"msg=\"%s; set it again\"",
			r->name, r->key, e2);
		goto out;
	}
	if (now)
		rc = store_secret_swap(sec->store, r->name, r->key, sealed,
				       slen, now, nlen, &swapped, err, errlen);
	if (swapped)
		(*resealed)++;
out:
	free(sealed);
	free(now); /* sealed: nothing to wipe */
	return rc;
}

/* Reseal every secret of the store, one by one. */
static int
reseal_stored(struct secrets *sec, size_t *resealed, char *err, size_t errlen)
{
	struct store_secret_ref *refs = NULL;
	size_t i, n = 0;
	int rc;

	rc = store_secret_list_all(sec->store, &refs, &n, err, errlen);
	for (i = 0; rc == 0 && i < n; i++)
		rc = reseal_one(sec, &refs[i], resealed, err, errlen);
	free(refs);
	return rc;
}

/* The reseal of every secret; under keys_lock, exclusive.  always: the
 * pass over shared secrets runs even with no previous key held. */
static int
reseal_all_locked(struct secrets *sec, bool always, size_t *resealed, char *err,
		  size_t errlen)
{
	bool shared = sec->shared.reseal != NULL;
	int rc;

	*resealed = 0;
	if (!hostkeys_hold_old(sec->keys) && !(shared && always))
		return 0; /* each start: no listing when no rotation is due */
	if (shared)
		rc = sec->shared.reseal(sec->shared.ctx, sec->keys, sec->store,
					resealed, err, errlen);
	else
		rc = reseal_stored(sec, resealed, err, errlen);
	/* One that opens with neither key (sealed before an earlier
	 * rotation, by a host that did not reseal) is no reason to keep
	 * the previous key: it does not open that one either. */
	if (rc == 0)
		rc = hostkeys_forget_old(sec->keys, sec->store, err, errlen);
	return rc;
}

int
secrets_reseal_all(struct secrets *sec, size_t *resealed, char *err,
		   size_t errlen)
{
	int rc;

	pthread_rwlock_wrlock(&sec->keys_lock);
	rc = reseal_all_locked(sec, false, resealed, err, errlen);
	pthread_rwlock_unlock(&sec->keys_lock);
	return rc;
}

/* After the keys changed: a reseal that fails is logged, and finished at
 * the next start, which runs it again. */
static void
reseal_after_change(struct secrets *sec, size_t *resealed)
{
	char err[512];

	if (reseal_all_locked(sec, true, resealed, err, sizeof(err)) < 0)
		log_msg(LOG_LEVEL_WARN,
			"event=secrets_reseal_failed resealed=%zu msg=\"%s\"",
			*resealed, err);
}

int
secrets_rotate(struct secrets *sec, uint32_t keep_s, size_t *resealed,
	       char *err, size_t errlen)
{
	int rc;

	*resealed = 0;
	pthread_rwlock_wrlock(&sec->keys_lock);
	rc = hostkeys_rotate(sec->keys, sec->store, keep_s, err, errlen);
	if (rc == 0)
		reseal_after_change(sec, resealed);
	pthread_rwlock_unlock(&sec->keys_lock);
	return rc;
}

int
secrets_reload_keys(struct secrets *sec, bool *changed, size_t *resealed,
		    char *err, size_t errlen)
{
	int rc;

	*changed = false;
	*resealed = 0;
	pthread_rwlock_wrlock(&sec->keys_lock);
	rc = hostkeys_reload(sec->keys, sec->store, changed, err, errlen);
	if (rc == 0 && *changed)
		reseal_after_change(sec, resealed);
	pthread_rwlock_unlock(&sec->keys_lock);
	return rc;
}

void
secrets_wipe(unsigned char *blob, size_t len)
{
	if (!blob)
		return;
	OPENSSL_cleanse(blob, len);
	free(blob);
}
