/*
 * sealed.c: sealed plugin memfds, one per function (see sealed.h).
 *
 * The lock guards the entries only; a plugin is copied and hashed with
 * it released, so a first session of a big plugin holds up no other
 * function's.  Two threads that miss at once both seal, and the second
 * to come back keeps the first one's memfd and closes its own.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon/sealed.h"
#include "sandbox/worker.h"

struct sealed {
	char function_id[32];
	unsigned char sha256[32];
	int fd;	       /* -1: a free slot */
	uint64_t used; /* the set's clock at the last get */
};

struct sealed_set {
	pthread_mutex_t lock;
	struct sealed *v;
	size_t max;
	uint64_t clock;
};

struct sealed_set *
sealed_new(size_t max)
{
	struct sealed_set *ss = calloc(1, sizeof(*ss));
	size_t i;

	if (!ss || !max)
		goto fail;
	ss->v = calloc(max, sizeof(*ss->v));
	if (!ss->v)
		goto fail;
	for (i = 0; i < max; i++)
		ss->v[i].fd = -1;
	ss->max = max;
	pthread_mutex_init(&ss->lock, NULL);
	return ss;
fail:
	free(ss);
	return NULL;
}

/* The entry of function_id and sha256, or NULL.  Call with the lock. */
static struct sealed *
find_locked(struct sealed_set *ss, const char *function_id,
	    const unsigned char sha256[32])
{
	size_t i;

	for (i = 0; i < ss->max; i++)
		if (ss->v[i].fd >= 0 &&
		    !strcmp(ss->v[i].function_id, function_id) &&
		    !memcmp(ss->v[i].sha256, sha256, 32))
			return &ss->v[i];
	return NULL;
}

/* A dup of e's memfd, e marked as just used.  Call with the lock. */
static int
dup_locked(struct sealed_set *ss, struct sealed *e)
{
	e->used = ++ss->clock;
	return fcntl(e->fd, F_DUPFD_CLOEXEC, 0);
}

/* A free slot, or the least recently used one emptied.  Call with the
 * lock; returns the memfd to close once it is released, or -1. */
static struct sealed *
slot_locked(struct sealed_set *ss, int *evicted)
{
	struct sealed *lru = &ss->v[0];
	size_t i;

	*evicted = -1;
	for (i = 0; i < ss->max; i++) {
		if (ss->v[i].fd < 0)
			return &ss->v[i];
		if (ss->v[i].used < lru->used)
			lru = &ss->v[i];
	}
	*evicted = lru->fd;
	lru->fd = -1;
	return lru;
}

int
sealed_get(struct sealed_set *ss, const char *function_id,
	   const unsigned char sha256[32], int bundle_fd, const char *plugin,
	   char *err, size_t errlen)
{
	struct sealed *e;
	int fd = -1, mfd = -1, evicted = -1;

	if (strlen(function_id) >= sizeof(e->function_id)) {
		snprintf(err, errlen, "function id '%.40s' is too long",
			 function_id);
		return -1;
	}
	pthread_mutex_lock(&ss->lock);
	e = find_locked(ss, function_id, sha256);
	if (e)
		fd = dup_locked(ss, e);
	pthread_mutex_unlock(&ss->lock);
	if (e)
		goto out;
	if (worker_seal_plugin(bundle_fd, plugin, sha256, NULL, &mfd, err,
			       errlen) < 0)
		return -1;
	pthread_mutex_lock(&ss->lock);
	e = find_locked(ss, function_id, sha256); /* sealed meanwhile? */
	if (!e) {
		e = slot_locked(ss, &evicted);
		snprintf(e->function_id, sizeof(e->function_id), "%s",
			 function_id);
		memcpy(e->sha256, sha256, 32);
		e->fd = mfd;
		mfd = -1;
	}
	fd = dup_locked(ss, e);
	pthread_mutex_unlock(&ss->lock);
out:
	if (mfd >= 0)
		close(mfd);
	if (evicted >= 0)
		close(evicted);
	if (fd < 0)
		snprintf(err, errlen,
			 "cannot duplicate the sealed copy of '%s': %s", plugin,
			 strerror(errno));
	return fd;
}

void
sealed_drop(struct sealed_set *ss, const char *function_id)
{
	int gone[16];
	size_t i, n = 0;

	/* Closed after the lock is released, a batch at a time: a close
	 * is cheap, but no other get should wait on one. */
	do {
		n = 0;
		pthread_mutex_lock(&ss->lock);
		for (i = 0; i < ss->max && n < 16; i++) {
			struct sealed *e = &ss->v[i];

			if (e->fd >= 0 &&
			    (!function_id ||
			     !strcmp(e->function_id, function_id))) {
				gone[n++] = e->fd;
				e->fd = -1;
			}
		}
		pthread_mutex_unlock(&ss->lock);
		for (i = 0; i < n; i++)
			close(gone[i]);
	} while (n == 16);
}

size_t
sealed_count(struct sealed_set *ss)
{
	size_t i, n = 0;

	pthread_mutex_lock(&ss->lock);
	for (i = 0; i < ss->max; i++)
		n += ss->v[i].fd >= 0;
	pthread_mutex_unlock(&ss->lock);
	return n;
}

void
sealed_free(struct sealed_set *ss)
{
	if (!ss)
		return;
	sealed_drop(ss, NULL);
	pthread_mutex_destroy(&ss->lock);
	free(ss->v);
	free(ss);
}
