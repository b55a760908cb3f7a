/*
 * session-int.h: how the session table gets its workers, for session.c
 * and its tests; nothing else includes it.
 *
 * sessions_new() builds the table on the real launcher (ready.h over
 * pool.h over the zygote).  sessions_new_launcher() takes any launcher, so
 * that a test can hand out workers of its own (worker_adopt() over a
 * socketpair) and play the worker's side of the channel.  The table
 * calls these and nothing else to make, reuse or drop a session's worker.
 */
#ifndef FNHOST_SESSION_INT_H
#define FNHOST_SESSION_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "daemon/metrics.h"
#include "daemon/session.h"
#include "daemon/store.h"
#include "formats/config.h"
#include "sandbox/launch.h"

/*
 * What the table needs from whoever makes its workers.  ctx is the
 * launcher's own, passed to every call.  Each call may come from any
 * thread, several at once, except free, which comes once, when no other
 * call is running or will come.
 *
 * launch: make a session of f (bundle at bundle_fd/bundle_path) now; 0
 *	and out filled (out->w alive, its scratch dir and log context the
 *	session's, all released by launch_discard()), or a negated kind
 *	with a reason in err and out untouched: ready_launch()'s contract.
 * take: hand over a session of f made ahead from the same plugin (f's
 *	checksum): true and out filled as by launch, or false.
 * ready: whether take would find a session of f now (a hint: another
 *	caller may take it first); never blocks.
 * want: the table opened a session of f and would like the next one
 *	made ahead; bundle_fd is only borrowed for the call.  bundle_fd
 *	-1 (no bundle_path either): the table has no bundle at hand, and
 *	the call must not block; the launcher finds f's bundle itself.
 * drop: discard the sessions made ahead of function_id (NULL: all)
 *	unused for longer than idle_ms (-1: whatever their age).
 * free: stop, discard whatever was made ahead, release ctx.  Sessions
 *	already handed over are the table's and outlive it.
 */
struct session_launcher {
	int (*launch)(void *ctx, const struct store_function *f, int bundle_fd,
		      const char *bundle_path, struct launched *out, char *err,
		      size_t errlen);
	bool (*take)(void *ctx, const struct store_function *f,
		     struct launched *out);
	bool (*ready)(void *ctx, const struct store_function *f);
	void (*want)(void *ctx, const struct store_function *f, int bundle_fd,
		     const char *bundle_path);
	void (*drop)(void *ctx, const char *function_id, int64_t idle_ms);
	void (*free)(void *ctx);
};

/* A table whose workers come from ops/ctx; cfg and m must outlive it,
 * ops too.  The table owns ctx from this call on: ops->free(ctx) runs in
 * sessions_free(), or before this returns NULL (out of memory or
 * threads). */
struct sessions *sessions_new_launcher(const struct config *cfg,
				       struct metrics *m,
				       const struct session_launcher *ops,
				       void *ctx);

#endif
