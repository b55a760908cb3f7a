/* trust.c: the trusted publisher keys (see trust.h). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "daemon/trust.h"

struct trust {
	struct store *store;
	/* Held from a reload's read of trusted/ to its swap: reloads run
	 * one at a time, so the set swapped in last was read last.  Without
	 * it, a reload that read trusted/ before a key was removed could
	 * swap in after the removal's own reload, and the removed key stay
	 * trusted although its DELETE was answered. */
	pthread_mutex_t reload;
	pthread_rwlock_t lock; /* guards keys and n */
	struct minisign_pubkey *keys;
	size_t n;
};

struct trust *
trust_new(struct store *s)
{
	struct trust *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->store = s;
	pthread_mutex_init(&t->reload, NULL);
	pthread_rwlock_init(&t->lock, NULL);
	return t;
}

void
trust_free(struct trust *t)
{
	if (!t)
		return;
	pthread_rwlock_destroy(&t->lock);
	pthread_mutex_destroy(&t->reload);
	free(t->keys);
	free(t);
}

int
trust_reload(struct trust *t, size_t *n, char *err, size_t errlen)
{
	struct minisign_pubkey *keys = NULL, *old;
	size_t count = 0;
	int rc;

	/* Deploys verify under the read lock meanwhile: only the swap
	 * waits for them, not the read of trusted/. */
	pthread_mutex_lock(&t->reload);
	rc = store_trust_load(t->store, &keys, &count, err, errlen);
	if (rc < 0)
		goto out;
	pthread_rwlock_wrlock(&t->lock);
	old = t->keys;
	t->keys = keys;
	t->n = count;
	pthread_rwlock_unlock(&t->lock);
	free(old);
	if (n)
		*n = count;
out:
	pthread_mutex_unlock(&t->reload);
	return rc;
}

int
trust_commit(struct trust *t, struct deploy *d,
	     const struct deploy_probe *probe, struct store_function *out,
	     char *err, size_t errlen)
{
	int rc;

	pthread_rwlock_rdlock(&t->lock);
	rc = deploy_commit(d, t->keys, t->n, probe, out, err, errlen);
	pthread_rwlock_unlock(&t->lock);
	return rc;
}

int
trust_verify(struct trust *t, int dirfd, struct bundle_info *info, char *err,
	     size_t errlen)
{
	int rc;

	pthread_rwlock_rdlock(&t->lock);
	rc = bundle_verify(dirfd, t->keys, t->n, info, err, errlen);
	pthread_rwlock_unlock(&t->lock);
	return rc;
}

char (*trust_ids(struct trust *t, size_t *n))[17]
{
	char(*ids)[17] = NULL;
	size_t i, j;

	pthread_rwlock_rdlock(&t->lock);
	*n = 0;
	if (t->n)
		ids = calloc(t->n, sizeof(*ids));
	for (i = 0; ids && i < t->n; i++) {
		/* The id as minisign prints it: the 8 bytes, last first. */
		for (j = 0; j < 8; j++)
			snprintf(ids[i] + 2 * j, 3, "%02X",
				 t->keys[i].key_id[7 - j]);
		(*n)++;
	}
	pthread_rwlock_unlock(&t->lock);
	return ids;
}
