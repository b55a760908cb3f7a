/*
 * pool.h: a warm pool of workers, forked and prepared before any session
 * asks for one.
 *
 * A worker that the zygote has forked is already in its namespaces, under
 * its rlimits and its uid, and waits on its channel for a session
 * (zygote.h); nothing in it belongs to a session yet.  The pool keeps up
 * to `size` of them, refilled by a thread of its own, so that opening a
 * session costs no fork on the request path.  The pool is the only user
 * of its zygote: every spawn goes through it.  All calls are thread-safe.
 */
#ifndef FNHOST_POOL_H
#define FNHOST_POOL_H

#include <stddef.h>

#include "sandbox/sandbox.h"
#include "sandbox/zygote.h"

struct pool;

/* Start a pool of size warm workers (0: none, every take spawns) with
 * these limits; z and lim must outlive it.  Returns NULL when out of
 * memory or threads. */
struct pool *pool_new(struct zygote *z, const struct sandbox_limits *lim,
		      unsigned int size);

/* Hand over a worker: a warm one when there is one, else one spawned now.
 * The caller owns w's pidfd and channel from then on.  Returns 0, or -1
 * with a reason in err. */
int pool_take(struct pool *p, struct zygote_worker *w, char *err,
	      size_t errlen);

/* Give back a worker taken but not used: it is killed and reaped. */
void pool_release(struct pool *p, struct zygote_worker *w);

/* Stop the refill thread, let every warm worker go and reap it, and free
 * the pool.  NULL is a no-op. */
void pool_free(struct pool *p);

#endif
