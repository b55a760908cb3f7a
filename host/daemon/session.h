/*
 * session.h: the daemon's live sessions, their workers and their limits.
 *
 * A session is one worker process plus one scratch directory, opened for
 * one function and closed by the client, by the idle or lifetime limit,
 * by a worker that crashes or runs past its time, or at shutdown.  Invokes
 * of one session run one at a time, in arrival order.  Every call is
 * thread-safe.  Each returns 0, or a negated error kind (base/err.h)
 * with a one-line reason in err; nothing here speaks HTTP.
 */
#ifndef FNHOST_SESSION_H
#define FNHOST_SESSION_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "daemon/metrics.h"
#include "daemon/secrets.h"
#include "daemon/store.h"
#include "formats/config.h"
#include "sandbox/sandbox.h"
#include "sandbox/worker.h"
#include "sandbox/zygote.h"

struct sessions;

/* Room for any reason these calls give: a function's error text and a
 * few words. */
#define SESSION_ERR_MAX 4300

/* A session id: 32 lower-case hex characters, after "NODE." when the
 * host has a node label (fnhost.conf node), so that a proxy can route
 * each request of a session to the host that holds its worker. */
#define SESSION_ID_MAX (CONFIG_NODE_MAX + 1 + 32)

struct session_opened {
	char id[SESSION_ID_MAX + 1];
	int64_t expires; /* Unix seconds: the lifetime limit */
	/* Refused over a limit: seconds until a place frees at the latest
	 * (the first session it counts reaches its idle or lifetime limit). */
	unsigned retry_after_s;
};

/* The zygote is shared with nothing else: the table's warm pool
 * (pool.h, cfg->warm_workers) makes every call to it.  Every worker is
 * under lim (launch_config()).  Each worker gets the secrets of its
 * function's name from sec (secrets.h; NULL: none) as it is made; the
 * sessions made ahead for sessions_want_ready() have their bundle
 * opened from store.  cfg, z, m, sec and store must outlive the table.
 * Call after the last fork of the process. */
struct sessions *sessions_new(const struct config *cfg, struct zygote *z,
			      const struct sandbox_limits *lim,
			      struct metrics *m, struct secrets *sec,
			      struct store *store);
/* Close every session (killing workers still busy), wait until every
 * closed session's worker is reaped and scratch dir wiped, and free the
 * table. */
void sessions_free(struct sessions *ss);

/* Open a session of function f whose bundle is at bundle_fd/bundle_path,
 * for the token whose jti is owner and whose sub is target (a function
 * id or "<name>@<alias>"): the later calls name the session's function
 * by target, so a session stays reachable by its token after the alias
 * moves on.  Returns 0, -ERR_LIMIT over a share
 * (the reason names the limit; out->retry_after_s says when to retry),
 * -ERR_DRAINING, or launch_session()'s kinds when the plugin can not be
 * loaded.  The shares: sessions_per_token, sessions_per_function,
 * sessions_total, and the host's last eighth kept for functions holding
 * fewer than an eighth (fnhost.conf(5)). */
int sessions_open(struct sessions *ss, const struct store_function *f,
		  int bundle_fd, const char *bundle_path, const char *owner,
		  const char *target, struct session_opened *out, char *err,
		  size_t errlen);

/* sessions_open() when a session of f made ahead is ready: it is handed
 * over without the bundle, any disk or any wait on a worker, so that the
 * call may run on libmicrohttpd's event thread.  Its replacement is not
 * asked for: the caller does so with sessions_want_ready() once the
 * open's answer is sent, not before.  Returns what sessions_open() does, or SESSIONS_NOT_READY
 * when no session of f is ready: then nothing is left changed (none
 * reserved or refused; one taken by another caller meanwhile has the
 * place reserved for it given back, no refusal counted) and the caller
 * opens the slow way.  A refusal over a limit or while draining, with a
 * ready session there, is the one sessions_open() would give. */
int sessions_open_ready(struct sessions *ss, const struct store_function *f,
			const char *owner, const char *target,
			struct session_opened *out, char *err, size_t errlen);

/* Ask for a session of f to be made ahead, unless enough are there or
 * coming: after sessions_open_ready() took one.  The thread that makes
 * it opens f's bundle from the store; the call touches no disk and
 * waits on nothing but a lock held for a few instructions. */
void sessions_want_ready(struct sessions *ss, const struct store_function *f);

#define SESSIONS_NOT_READY 2
#define SESSIONS_BUSY 3

/* Load f's plugin (its bundle at bundle_fd/bundle_path) in a worker made
 * as a session's is, and end the worker at once: name and version get
 * the plugin's descriptor's (at most 100 bytes each).  For the deploy's
 * check of what the signature says (deploy.h, struct deploy_probe); no
 * session is counted, held or made ready.  Returns 0, or
 * launch_session()'s kinds. */
int sessions_descriptor(struct sessions *ss, const struct store_function *f,
			int bundle_fd, const char *bundle_path, char name[101],
			char version[101], char *err, size_t errlen);

/*
 * An invoke that waits for its session's turn without holding a thread:
 * a caller's own (the request's), given to sessions_invoke().  When the
 * session is busy the waiter is queued and the call returns
 * SESSIONS_QUEUED at once; wake(arg) is then called once, from another
 * thread of the daemon, when the waiter's turn comes or the session
 * ends, and the caller calls sessions_invoke() again with the same
 * waiter, which finds its turn kept for it (or the session gone).  The
 * waiter's memory must last until then, and the caller touches nothing
 * of its request after SESSIONS_QUEUED: wake may already run.
 */
struct session_waiter {
	void (*wake)(void *arg);
	void *arg;
	struct session_waiter *next; /* the table's */
};

#define SESSIONS_QUEUED 1

/* Run one invoke of session sid, which must have been opened for
 * function_id (the target given to sessions_open()) by the token owner:
 * what a session holds (its worker's memory, its scratch dir) is that
 * caller's, and another token, of another client or pinned to another
 * checksum, reaches it no more than a session of another function.  The
 * invokes of one
 * session run one at a time, in the order they arrive: with wt, one that
 * finds the session busy is queued (SESSIONS_QUEUED, see struct
 * session_waiter); without, the call waits for its turn.
 * Fills r (release it with worker_result_free()) and checksum, the
 * session's function's; for -ERR_FUNCTION, err holds the start of the
 * function's text and r->error_text all of it when longer.
 * Returns 0, -ERR_NO_SESSION, -ERR_MISDIRECTED (sid names another node
 * of the cluster), -ERR_TOO_LARGE (input or output over its limit),
 * -ERR_FUNCTION (the function's own error text), -ERR_CRASHED or
 * -ERR_TIMEOUT (the session is gone then). */
int sessions_invoke(struct sessions *ss, const char *sid,
		    const char *function_id, const char *owner,
		    const void *input, size_t len, struct session_waiter *wt,
		    struct worker_result *r, char checksum[65], char *err,
		    size_t errlen);

/* wt, woken for its turn (SESSIONS_QUEUED), will not invoke after all
 * (its input did not open): the turn goes to the next waiter.  Nothing
 * when no turn is kept for wt. */
void sessions_invoke_cancel(struct sessions *ss, const char *sid,
			    const char *function_id, const char *owner,
			    struct session_waiter *wt);

/* The checksum of session sid's function (which must be function_id,
 * opened by owner, as for sessions_invoke()):
 * 0, or -ERR_NO_SESSION or -ERR_MISDIRECTED.  A session's checksum never
 * changes, so an input can be opened for it before the invoke. */
int sessions_checksum(struct sessions *ss, const char *sid,
		      const char *function_id, const char *owner,
		      char checksum[65], char *err, size_t errlen);

/* Close session sid of function_id: 0, or -ERR_NO_SESSION or
 * -ERR_MISDIRECTED.  The session is unreachable on return; its worker
 * ends and its scratch dir is wiped by a thread of the table, unless too
 * many closes are already waiting.  With may_wait false the call never
 * blocks (for libmicrohttpd's event thread): it returns SESSIONS_BUSY,
 * having changed nothing, where it would wait for an invoke to end or
 * end the worker itself. */
int sessions_close(struct sessions *ss, const char *sid,
		   const char *function_id, bool may_wait, char *err,
		   size_t errlen);

/* Close sessions past their idle or lifetime limit, and drop ready
 * sessions unused for session_idle; call about once a second. */
void sessions_reap(struct sessions *ss);

/* Refuse new sessions from now on (503), and drop the ready ones. */
void sessions_drain(struct sessions *ss);

/* Close every session: the invokes waiting for a turn are answered
 * -ERR_NO_SESSION at once, and the call returns once the invokes already
 * running are done.  For shutdown, past its grace: what is queued must
 * not run one after another while the host waits to stop. */
void sessions_close_all(struct sessions *ss);

/* Drop the ready session of function_id, if any: the function is gone.
 * Its open sessions go on. */
void sessions_forget(struct sessions *ss, const char *function_id);

/* Sessions open now. */
size_t sessions_count(struct sessions *ss);

#endif
