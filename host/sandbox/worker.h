/*
 * worker.h: the host's handle on one session's worker process.
 *
 * worker_open() takes a fresh worker from the zygote, hands it the session
 * (directories and sealed plugin), and waits until the plugin is loaded
 * and initialised.  worker_invoke() runs one invoke with a deadline;
 * worker_close() ends the session.  Whatever the worker does, the host
 * only ever waits until a deadline, and a worker that crashes, hangs,
 * floods or breaks the protocol is killed and reaped; the handle then
 * answers every later invoke with an error.
 */
#ifndef FNHOST_WORKER_H
#define FNHOST_WORKER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sandbox/zygote.h"

enum worker_status {
	WORKER_OK,	  /* the function returned 0 */
	WORKER_FAILED,	  /* the function returned an error (its text) */
	WORKER_CRASHED,	  /* the worker died, or broke the protocol */
	WORKER_TIMEOUT,	  /* past the time limit; the worker was killed */
	WORKER_TOO_LARGE, /* input or output over its limit (output: killed) */
	WORKER_GONE,	  /* the session had already ended */
};

/*
 * Why a worker is gone, as far as the host can know it.  The host's own
 * knowledge (a deadline it enforced, a frame it refused) or the kernel's
 * (waitid()); never the worker's word, which a plugin could forge.  A
 * seccomp kill says SIGSYS but not which call: the kernel's audit record
 * for the worker's pid names it (SECCOMP_RET_KILL_PROCESS is logged by
 * default).  Memory has no cause of its own: at the address space limit
 * allocations fail, and whatever the plugin does then (an error, abort(),
 * a fault) is all the host sees.
 */
enum worker_cause {
	WORKER_CAUSE_NONE,     /* alive, or ended by the host's close */
	WORKER_CAUSE_SIGNAL,   /* killed by a signal the host did not send */
	WORKER_CAUSE_SECCOMP,  /* killed by the seccomp policy (SIGSYS) */
	WORKER_CAUSE_ABORT,    /* the plugin called abort() */
	WORKER_CAUSE_EXIT,     /* exited by itself, mid-session */
	WORKER_CAUSE_HUNG,     /* closed its channel, did not exit: killed */
	WORKER_CAUSE_WALL,     /* past the invoke's (or load's) time limit */
	WORKER_CAUSE_CPU,      /* past the invoke's CPU budget */
	WORKER_CAUSE_OUTPUT,   /* output over its limit: killed */
	WORKER_CAUSE_PROTOCOL, /* broke the channel protocol: killed */
};

/* A fixed lower-case word for cause ("signal", "seccomp", "abort",
 * "exit", "hung", "wall_time", "cpu_time", "output", "protocol", or
 * "none"), for the log. */
const char *worker_cause_name(enum worker_cause cause);

struct worker_params {
	const struct sandbox_limits *limits;
	int bundle_fd;		 /* O_PATH directory */
	const char *bundle_path; /* as the plugin sees it */
	int scratch_fd;		 /* O_PATH directory */
	const char *scratch_path;
	int plugin_fd; /* sealed memfd, see worker_seal_plugin() */
	uint32_t max_input, max_output;
	int load_timeout_ms; /* for loading and init() */
	/* CPU time of all the worker's threads per invoke, and for the
	 * load with init(), in ms, watched by the host while it waits for
	 * the worker's bytes (0: only the spawn's backstop). */
	uint32_t cpu_budget_ms;
	/* Log lines from the plugin; may be NULL. */
	void (*log)(void *ctx, int level, const char *msg);
	void *log_ctx;
	/* The SECRETS frame's payload (channel.h), borrowed for the call;
	 * NULL and 0 for none. */
	const void *secrets;
	size_t secrets_len;
};

struct worker_result {
	enum worker_status status;
	char *output; /* malloc'd, output_len bytes (+ a NUL); NULL if none */
	size_t output_len;
	char error[4200]; /* one line, for every status but WORKER_OK */
	/* WORKER_FAILED: the function's whole error text, valid UTF-8,
	 * malloc'd (+ a NUL), of which error holds what fits; NULL when
	 * error holds it all. */
	char *error_text;
	size_t error_text_len;
};

/* Free what r holds (output, error_text); r may be reused after. */
void worker_result_free(struct worker_result *r);

struct worker;

/* Copy the plugin file name (in dirfd) into a sealed memfd and check that
 * its SHA-256 is want (skipped when want is NULL).  On success *fd is the
 * memfd, and got (if not NULL) receives the digest.  Returns 0, or -1 with
 * a reason in err. */
int worker_seal_plugin(int dirfd, const char *name,
		       const unsigned char want[32], unsigned char got[32],
		       int *fd, char *err, size_t errlen);

/* Start a session.  Returns 0 and *out, or -1 with a reason in err (the
 * plugin's REFUSE text, a load timeout, a crash at load). */
int worker_open(struct zygote *z, const struct worker_params *p,
		struct worker **out, char *err, size_t errlen);

/* The same with a worker already spawned (pool.h), whose channel passes
 * to the session and whose pidfd is closed once the worker is ready (it
 * is reopened to reap it), or both are closed on failure. */
int worker_start(const struct zygote_worker *spawned,
		 const struct worker_params *p, struct worker **out, char *err,
		 size_t errlen);

/* Run one invoke of len bytes with a timeout.  Fills r (release it with
 * worker_result_free()).  Returns r->status. */
enum worker_status worker_invoke(struct worker *w, const void *input,
				 size_t len, int timeout_ms,
				 struct worker_result *r);

/* A worker with no process behind it, whose frames are whatever the other
 * end of chan sends: for fuzzing and tests of the host's side of the
 * protocol.  worker_close() closes chan. */
struct worker *worker_adopt(int chan, uint32_t max_input, uint32_t max_output);

/* The name and version the plugin's descriptor gave when it loaded (at
 * most 100 bytes each; "" when it sent none), valid until worker_close(). */
const char *worker_plugin_name(const struct worker *w);
const char *worker_plugin_version(const struct worker *w);

/* The worker's process id, in the host's pid namespace. */
pid_t worker_pid(const struct worker *w);

/* True while the worker can take another invoke. */
bool worker_alive(const struct worker *w);

/* Why the worker is gone (WORKER_CAUSE_NONE while it is alive), and in
 * *signo (if not NULL) the signal that killed it, or 0; in *status (if
 * not NULL) its exit status for WORKER_CAUSE_EXIT, or 0. */
enum worker_cause worker_cause(const struct worker *w, int *signo, int *status);

/* Tell the worker the session is over (its channel closes): it runs
 * fini() and exits.  worker_close() must still follow, to reap it. */
void worker_hangup(struct worker *w);

/* End the session: the worker runs fini() and exits within grace_ms, or
 * is killed.  Reaps it and frees w. */
void worker_close(struct worker *w, int grace_ms);

#endif
