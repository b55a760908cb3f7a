/*
 * zygote.h: the single-threaded process that forks workers.
 *
 * zygote_start() must be called while the caller has only one thread: it
 * forks, and the child executes fnhost-zygote, a small program of its own
 * (ZYGOTE_HELPER under the prefix the caller runs from: the parent of its
 * executable's directory), so that no worker is a copy of the caller's
 * memory or maps the caller's libraries: a fork copies every mapping the
 * forking process has, and fnhostd's thirty libraries made a worker's
 * spawn about 40% dearer (bench/PROFILE.md).  The zygote probes the kernel, compiles
 * the seccomp program once, enters the namespaces all workers share
 * (network, IPC, UTS), loads the preload list, and then only answers
 * spawn requests.  Each worker is forked with CLONE_PARENT, so it is the
 * caller's child, not the zygote's: the caller gets a pidfd with it and
 * reaps it with waitid(P_PIDFD).  Each worker has its own pid and mount
 * namespaces, has already run sandbox_limit() and built its private root
 * (root.h), and waits on its channel for a session (runtime.h).  As root
 * its uid is one no living task holds (uids.h); in the user namespace a
 * non-root caller's zygote enters, every worker has the caller's uid and
 * worker_uid_base is ignored.  The zygote's command line is its path and
 * then the caller's.
 *
 * Tests and benches only: with ZYGOTE_ENV_NO_MOUNTNS in the environment of
 * zygote_start()'s caller, the zygote behaves as on a kernel that refuses
 * its workers a mount namespace: no private root, no scratch tmpfs, and
 * features.mountns false.  It only takes layers away, and fnhostd with
 * require_sandbox (the default) then refuses to run; it lets tests see
 * that refusal and benches measure what those layers cost on a kernel
 * that has them.
 *
 * zygote_spawn() is not thread-safe; serialize calls on one zygote.
 */
#ifndef FNHOST_ZYGOTE_H
#define FNHOST_ZYGOTE_H

#include <sys/types.h>

#include "sandbox/sandbox.h"

#define ZYGOTE_ENV_NO_MOUNTNS "FNHOST_TEST_NO_MOUNTNS"

/* Where fnhost-zygote is, under the prefix; the descriptor its socket to
 * the host is on when it starts. */
#define ZYGOTE_HELPER "libexec/fnhost/fnhost-zygote"
#define ZYGOTE_FD 3

struct zygote {
	pid_t pid;
	int sock;
	struct sandbox_features features; /* what the zygote found */
};

struct zygote_worker {
	pid_t pid;
	int pidfd; /* for signals and waitid(P_PIDFD) */
	int chan;  /* the host's end of the channel, close-on-exec */
	uid_t uid; /* what it runs as, for the files made for it: -1 */
	gid_t gid; /* unless the host is root */
};

/* Start the zygote.  Returns 0, or -1 with a reason in err. */
int zygote_start(struct zygote *z, const struct sandbox_config *cfg, char *err,
		 size_t errlen);

/* fnhost-zygote's main: serve the host on ZYGOTE_FD until it closes.
 * Returns only on a configuration it can not take (the reason sent to the
 * host): 1. */
int zygote_serve(void);

/* Fork one worker with these limits.  Returns 0, or -1 with a reason. */
int zygote_spawn(struct zygote *z, const struct sandbox_limits *lim,
		 struct zygote_worker *w, char *err, size_t errlen);

/* Kill a spawned worker that no session will use (it holds nothing of
 * anyone's yet), reap it and close its descriptors. */
void zygote_worker_kill(const struct zygote_worker *w);

/* Stop the zygote and reap it.  Workers already spawned live on. */
void zygote_stop(struct zygote *z);

#endif
