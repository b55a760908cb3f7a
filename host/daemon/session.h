/*
 * session.h: the daemon's live sessions, their workers and their limits.
 *
 * A session is one worker process plus one scratch directory, opened for
 * one function and closed by the client, by the idle or lifetime limit,
 * by a worker that crashes or runs past its time, or at shutdown.  Invokes
 * of one session run one at a time, in arrival order.  Every call is
 * thread-safe.  Each returns an HTTP status with, for errors, a code and
 * a one-line message for the JSON error body.
 */
#ifndef FNHOST_SESSION_H
#define FNHOST_SESSION_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "formats/config.h"
#include "daemon/metrics.h"
#include "daemon/store.h"
#include "sandbox/worker.h"
#include "sandbox/zygote.h"

struct sessions;

/* What went wrong, for the error body. */
struct session_error {
	int status;	/* HTTP status */
	char code[32];	/* e.g. "too_many_sessions" */
	char message[4200];
};

struct session_opened {
	char id[33];	 /* 32 lower-case hex characters */
	int64_t expires; /* Unix seconds: the lifetime limit */
};

/* The zygote is shared with nothing else: the table's warm pool
 * (pool.h, cfg->warm_workers) makes every call to it.  cfg, z, m must
 * outlive the table.  Call after the last fork of the process. */
struct sessions *sessions_new(const struct config *cfg, struct zygote *z,
			      struct metrics *m);
/* Close every session (killing workers still busy), wait until every
 * closed session's worker is reaped and scratch dir wiped, and free the
 * table. */
void sessions_free(struct sessions *ss);

/* Open a session of function f whose bundle is at bundle_fd/bundle_path.
 * Returns 201, 429 over a concurrency limit, 503 when draining, or a
 * 5xx/4xx when the plugin can not be loaded (the message says why). */
int sessions_open(struct sessions *ss, const struct store_function *f,
		  int bundle_fd, const char *bundle_path,
		  struct session_opened *out, struct session_error *e);

/* Run one invoke of session sid, which must belong to function_id.
 * Fills r (free r->output).  Returns 200, 404 (no such session), 413
 * (input too large), 422 (the function's error), 502 (crashed; the
 * session is gone), 504 (timed out; the session is gone). */
int sessions_invoke(struct sessions *ss, const char *sid,
		    const char *function_id, const void *input, size_t len,
		    struct worker_result *r, char checksum[65],
		    struct session_error *e);

/* Close session sid of function_id: 204, or 404.  The session is
 * unreachable on return; its worker ends and its scratch dir is wiped by
 * a thread of the table, unless too many closes are already waiting. */
int sessions_close(struct sessions *ss, const char *sid,
		   const char *function_id, struct session_error *e);

/* Close sessions past their idle or lifetime limit, and drop ready
 * sessions unused for session_idle; call about once a second. */
void sessions_reap(struct sessions *ss);

/* Refuse new sessions from now on (503), and drop the ready ones. */
void sessions_drain(struct sessions *ss);

/* Drop the ready session of function_id, if any: the function is gone.
 * Its open sessions go on. */
void sessions_forget(struct sessions *ss, const char *function_id);

/* Sessions open now. */
size_t sessions_count(struct sessions *ss);

#endif
