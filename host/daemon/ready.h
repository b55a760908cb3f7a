/*
 * ready.h: sessions made ahead of their client, and the one way the
 * daemon makes a session's worker.
 *
 * Once a session of a function opens, a thread of the set makes the next
 * one for that function ahead of time (a worker from the warm pool, the
 * plugin loaded, init() run, an empty scratch dir), so that the next open
 * only hands it over.  The thread runs as SCHED_IDLE, on CPU time no
 * request wants, and as root the worker it makes has a nice value of 10
 * until it is handed over, below the sessions in use.  At
 * most cfg->warm_sessions exist, up to two per function; one unused past
 * session_idle is dropped by ready_drop().  All calls are thread-safe.
 */
#ifndef FNHOST_READY_H
#define FNHOST_READY_H

#include <stdbool.h>
#include <stdint.h>

#include "daemon/metrics.h"
#include "daemon/pool.h"
#include "daemon/secrets.h"
#include "daemon/store.h"
#include "sandbox/launch.h"

struct ready_set;

/* A set making ready sessions with workers of pool, each handed the
 * secrets of its function's name from sec (NULL: none) as it is made;
 * the bundles of those wanted without one are opened from store.  cfg,
 * m, pool, sec and store must outlive it.  NULL when out of memory or
 * threads.  A ready session holds the secrets as they were when it was
 * made: drop a name's ready sessions when its secrets change. */
struct ready_set *ready_new(const struct config *cfg, struct metrics *m,
			    struct pool *pool, struct secrets *sec,
			    struct store *store);

/* Make a session of f, whose bundle is at bundle_fd/bundle_path, now:
 * pool_launch()'s result. */
int ready_launch(struct ready_set *rs, const struct store_function *f,
		 int bundle_fd, const char *bundle_path, struct launched *out,
		 char *err, size_t errlen);

/* Hand over a ready session of f made from the same plugin: true and out
 * filled, or false when there is none. */
bool ready_take(struct ready_set *rs, const struct store_function *f,
		struct launched *out);

/* Whether ready_take() would find a session of f now: a hint, another
 * caller may take it first.  Holds the lock only to look. */
bool ready_has(struct ready_set *rs, const struct store_function *f);

/* Ask for a ready session of f, unless one is there or coming.  bundle_fd
 * is duplicated; the caller keeps its own.  bundle_fd -1 (bundle_path
 * then unused) has the set's thread open f's bundle from the store
 * itself: the call then touches no disk, for a caller that may not
 * block (an open answered on libmicrohttpd's event thread, api.h). */
void ready_want(struct ready_set *rs, const struct store_function *f,
		int bundle_fd, const char *bundle_path);

/* Drop the ready sessions of function_id (NULL: all) unused for longer
 * than idle_ms (-1: whatever their age, and then the sealed memfds of
 * their plugins too, sealed.h). */
void ready_drop(struct ready_set *rs, const char *function_id, int64_t idle_ms);

/* Stop making them, drop every one and free the set.  NULL is a no-op. */
void ready_free(struct ready_set *rs);

#endif
