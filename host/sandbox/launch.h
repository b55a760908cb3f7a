/*
 * launch.h: how a session's worker is made, the one way for fnhostd and
 * for `fnhost test`, so that "the same sandbox" is one function.
 *
 * launch_config() turns fnhost.conf into what the zygote and every worker
 * are confined by; launch_session() takes one spawned, still anonymous
 * worker and makes it a session's: the plugin copied into a sealed memfd
 * and checked against its digest (or a memfd so made earlier, which the
 * caller keeps: daemon/sealed.h), a fresh scratch dir owned by the
 * worker's uid, and the worker handed both and waited for until its
 * plugin is loaded and init() has run.  launch_discard() undoes it.
 */
#ifndef FNHOST_LAUNCH_H
#define FNHOST_LAUNCH_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#include "formats/config.h"
#include "sandbox/sandbox.h"
#include "sandbox/worker.h"
#include "sandbox/zygote.h"

/* What a session runs: a bundle and its plugin. */
struct launch {
	int bundle_fd;			    /* O_PATH directory */
	const char *bundle_path;	    /* as the plugin sees it */
	const char *plugin;		    /* the .so's name in the bundle */
	const unsigned char *plugin_sha256; /* as MANIFEST says; NULL: any */
	/* When sealed is true, plugin_memfd is what worker_seal_plugin()
	 * made of plugin and checked against plugin_sha256, borrowed for the
	 * call (launch_session() hands the worker a copy of the descriptor
	 * and refuses one that lacks a seal); else the plugin is sealed now.
	 * A zeroed struct launch seals. */
	bool sealed;
	int plugin_memfd;
	/* Log lines from the plugin, and their context, which the launched
	 * session owns from launch_session() on (log_free releases it then,
	 * or when the launch fails); each may be NULL. */
	void (*log)(void *ctx, int level, const char *msg);
	void *log_ctx;
	void (*log_free)(void *ctx);
	/* The function's secrets as the SECRETS frame carries them
	 * (channel.h), borrowed for the call; NULL and 0 for none. */
	const void *secrets;
	size_t secrets_len;
};

/* A session's worker and its scratch dir. */
struct launched {
	struct worker *w;
	char scratch[PATH_MAX];
	int scratch_fd; /* O_PATH while the worker is made, then -1 */
	void *log_ctx;	/* struct launch's, released by launch_discard() */
	void (*log_free)(void *ctx);
};

/* The zygote's configuration and every worker's limits from cfg (whose
 * strings sc points into: cfg must outlive sc).  As root, the workers'
 * user must exist.  Returns 0, or a negated kind with a reason in err. */
int launch_config(const struct config *cfg, struct sandbox_config *sc,
		  struct sandbox_limits *lim, char *err, size_t errlen);

/* Make the spawned worker zw run l, with cfg's input, output and load
 * time limits and its scratch root.  zw is consumed either way: on
 * failure the worker is killed and reaped and nothing is left behind.
 * Returns 0 and fills out, or -ERR_BAD_BUNDLE (the plugin does not match
 * its digest, or l's memfd is not sealed for good), -ERR_IO (no scratch dir), -ERR_REFUSED (the plugin failed
 * to load or init) with a reason in err. */
int launch_session(const struct zygote_worker *zw, const struct config *cfg,
		   const struct launch *l, struct launched *out, char *err,
		   size_t errlen);

/* End a launched session's worker (fini() has up to grace_ms), remove
 * its scratch dir and release its log context.  Returns 0, or -1 when the dir could not be removed
 * entirely.  A zeroed struct launched with scratch_fd -1 is a no-op. */
int launch_discard(struct launched *s, int grace_ms);

#endif
