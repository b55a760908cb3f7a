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

#include "formats/config.h"
#include "sandbox/launch.h"
#include "sandbox/sandbox.h"
#include "sandbox/zygote.h"

struct pool;

/* Start a pool of size warm workers (0: none, every take spawns) with
 * these limits; z and lim must outlive it.  Returns NULL when out of
 * memory or threads. */
struct pool *pool_new(struct zygote *z, const struct sandbox_limits *lim,
		      unsigned int size);

/* Make session l (launch.h) of a worker: a warm one when there is one,
 * else one spawned now.  Returns 0 and fills out, or -ERR_IO when no
 * worker can be spawned and launch_session()'s kinds, with a reason in
 * err.  l's log context is the session's either way (released when this
 * fails). */
int pool_launch(struct pool *p, const struct config *cfg,
		const struct launch *l, struct launched *out, char *err,
		size_t errlen);

/* pool_launch() for a session made ahead of its client, by a thread of
 * the lowest priority: with the pool empty it waits up to a second for
 * the refill thread's next worker before spawning one itself, so that it
 * seldom holds the zygote's lock that requests wait on.  A nice value
 * other than 0 is set on the worker before it loads the plugin (it
 * yields the CPU to the sessions in use). */
int pool_launch_ahead(struct pool *p, const struct config *cfg,
		      const struct launch *l, int nice, struct launched *out,
		      char *err, size_t errlen);

/* Stop the refill thread, let every warm worker go and reap it, and free
 * the pool.  NULL is a no-op. */
void pool_free(struct pool *p);

#endif
