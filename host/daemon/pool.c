/*
 * pool.c: the warm worker pool (see pool.h).
 *
 * One mutex guards the array of warm workers and the stop flag; a second
 * serializes calls to the zygote, which answers one spawn at a time.  The
 * refill thread sleeps on a condition variable until a take leaves the
 * pool short, and never holds the array lock across a spawn.  A launch
 * ahead waits on a second condition for the refill rather than spawn:
 * its caller runs at the lowest priority (ready.c), and a thread that
 * the request path may wait on for the zygote's lock must not.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "base/err.h"

#include "daemon/log.h"
#include "daemon/pool.h"

/* After a failed spawn the refill thread waits this long before the next
 * try, so that a broken zygote is not hammered. */
#define RETRY_MS 1000

/* How long a launch ahead waits for the refill thread before it spawns
 * a worker itself: the refill's own retry, so that only a zygote that
 * keeps failing makes it. */
#define AHEAD_WAIT_MS RETRY_MS

struct pool {
	struct zygote *z;
	const struct sandbox_limits *lim;
	pthread_mutex_t spawn_lock; /* serializes zygote_spawn() */
	pthread_mutex_t lock;	    /* guards warm, n, stop */
	pthread_cond_t short_of;    /* n < size, or stop */
	pthread_cond_t stocked;	    /* n > 0, or stop; on CLOCK_MONOTONIC */
	struct zygote_worker *warm;
	size_t n, size;
	bool stop;
	pthread_t refill;
};

static int
spawn(struct pool *p, struct zygote_worker *w, char *err, size_t errlen)
{
	int rc;

	pthread_mutex_lock(&p->spawn_lock);
	rc = zygote_spawn(p->z, p->lim, w, err, errlen);
	pthread_mutex_unlock(&p->spawn_lock);
	return rc;
}

static void *
refill_main(void *arg)
{
	const struct timespec retry = { .tv_sec = RETRY_MS / 1000 };
	struct pool *p = arg;
	struct zygote_worker w;
	char err[512];

	pthread_mutex_lock(&p->lock);
	for (;;) {
		while (!p->stop && p->n >= p->size)
			pthread_cond_wait(&p->short_of, &p->lock);
		if (p->stop)
			break;
		pthread_mutex_unlock(&p->lock);
		if (spawn(p, &w, err, sizeof(err)) < 0) {
			log_msg(LOG_LEVEL_WARN,
				"event=pool msg=\"cannot warm a worker: %s\"",
				err);
			nanosleep(&retry, NULL);
			pthread_mutex_lock(&p->lock);
			continue;
		}
		pthread_mutex_lock(&p->lock);
		if (p->stop || p->n >= p->size) {
			pthread_mutex_unlock(&p->lock);
			zygote_worker_kill(&w);
			pthread_mutex_lock(&p->lock);
			continue;
		}
		p->warm[p->n++] = w;
		pthread_cond_signal(&p->stocked);
	}
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

struct pool *
pool_new(struct zygote *z, const struct sandbox_limits *lim, unsigned int size)
{
	struct pool *p = calloc(1, sizeof(*p));
	pthread_condattr_t ca;

	if (!p)
		return NULL;
	p->z = z;
	p->lim = lim;
	p->size = size;
	p->warm = calloc(size ? size : 1, sizeof(*p->warm));
	if (!p->warm)
		goto fail;
	pthread_mutex_init(&p->spawn_lock, NULL);
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->short_of, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&p->stocked, &ca);
	pthread_condattr_destroy(&ca);
	if (size && pthread_create(&p->refill, NULL, refill_main, p) != 0) {
		pthread_cond_destroy(&p->stocked);
		pthread_cond_destroy(&p->short_of);
		pthread_mutex_destroy(&p->lock);
		pthread_mutex_destroy(&p->spawn_lock);
		goto fail;
	}
	return p;
fail:
	free(p->warm);
	free(p);
	return NULL;
}

/* A warm worker, else one spawned now; ahead, one the refill thread
 * makes is waited for first, up to AHEAD_WAIT_MS. */
static int
take(struct pool *p, bool ahead, struct zygote_worker *w, char *err,
     size_t errlen)
{
	struct timespec until;
	bool warm = false;

	pthread_mutex_lock(&p->lock);
	if (ahead && p->size) {
		clock_gettime(CLOCK_MONOTONIC, &until);
		until.tv_sec += AHEAD_WAIT_MS / 1000;
		while (!p->n && !p->stop &&
		       pthread_cond_timedwait(&p->stocked, &p->lock, &until) !=
			       ETIMEDOUT)
			;
	}
	if (p->n > 0) {
		*w = p->warm[--p->n];
		warm = true;
	}
	pthread_cond_signal(&p->short_of);
	pthread_mutex_unlock(&p->lock);
	return warm ? 0 : spawn(p, w, err, errlen);
}

static int
launch_with(struct pool *p, const struct config *cfg, const struct launch *l,
	    bool ahead, int nice, struct launched *out, char *err,
	    size_t errlen)
{
	struct zygote_worker zw;

	if (take(p, ahead, &zw, err, errlen) < 0) {
		if (l->log_free)
			l->log_free(l->log_ctx); /* as launch_session() would */
		return -ERR_IO;
	}
	if (nice)
		setpriority(PRIO_PROCESS, (id_t)zw.pid, nice);
	return launch_session(&zw, cfg, l, out, err, errlen);
}

int
pool_launch(struct pool *p, const struct config *cfg, const struct launch *l,
	    struct launched *out, char *err, size_t errlen)
{
	return launch_with(p, cfg, l, false, 0, out, err, errlen);
}

int
pool_launch_ahead(struct pool *p, const struct config *cfg,
		  const struct launch *l, int nice, struct launched *out,
		  char *err, size_t errlen)
{
	return launch_with(p, cfg, l, true, nice, out, err, errlen);
}

void
pool_free(struct pool *p)
{
	size_t i;

	if (!p)
		return;
	pthread_mutex_lock(&p->lock);
	p->stop = true;
	pthread_cond_signal(&p->short_of);
	pthread_cond_broadcast(&p->stocked);
	pthread_mutex_unlock(&p->lock);
	if (p->size)
		pthread_join(p->refill, NULL);
	for (i = 0; i < p->n; i++)
		zygote_worker_kill(&p->warm[i]);
	pthread_cond_destroy(&p->stocked);
	pthread_cond_destroy(&p->short_of);
	pthread_mutex_destroy(&p->lock);
	pthread_mutex_destroy(&p->spawn_lock);
	free(p->warm);
	free(p);
}
