/*
 * runtime.h: what runs inside a worker process.
 *
 * runtime_main() serves one session on the channel: it waits for SETUP
 * (the session's directories and the sealed plugin memfd), binds them into
 * its private root, drops its privileges, locks the sandbox, loads the plugin, checks its descriptor, calls init(), answers
 * READY (or REFUSE with the reason), then runs handle() once per INVOKE and
 * answers with OUTPUT pieces and one DONE.  When the host closes the
 * channel it calls fini() and exits.  It never returns.
 */
#ifndef FNHOST_RUNTIME_H
#define FNHOST_RUNTIME_H

#include <stddef.h>

#include "fnhost/plugin.h"
#include "sandbox/sandbox.h"

/* The exit status of a worker whose plugin called abort(): the worker is
 * init of its pid namespace, where a self-sent SIGABRT is ignored. */
#define RUNTIME_EXIT_ABORT 134

/* What a worker's runtime needs from the zygote. */
struct runtime_args {
	const struct sandbox_policy *policy;
	const struct sandbox_config *cfg;
	int landlock_abi;
	uid_t uid; /* what sandbox_drop() switches to after SETUP */
	/* root_build() ran (root.h): root_enter() binds the session's
	 * directories at SETUP, before the privileges go. */
	bool private_root;
	/* When not NULL, the worker's own scratch tmpfs: the session's
	 * scratch dir, named in SETUP as a child of it, is made there,
	 * empty, instead of taken from the host's view. */
	const char *own_scratch_root;
};

_Noreturn void runtime_main(int chan, const struct runtime_args *args);

/* Check a plugin descriptor in the order the ABI fixes: magic, size,
 * abi_major, then the other fields.  Returns 0, or -1 with a message
 * naming the offending field in err. */
int runtime_check_descriptor(const struct fnh_plugin *p, char *err,
			     size_t errlen);

#endif
