/*
 * runtime.h: what runs inside a worker process.
 *
 * runtime_main() serves one session on the channel: it waits for SETUP
 * (the session's directories and the sealed plugin memfd), locks the
 * sandbox, loads the plugin, checks its descriptor, calls init(), answers
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

/* own_scratch_root, when not NULL, is the worker's own scratch tmpfs
 * (zygote.c): the session's scratch dir, named in SETUP as a child of it,
 * is made there, empty, instead of taken from the host's view. */
_Noreturn void runtime_main(int chan, const struct sandbox_policy *policy,
			    int landlock_abi, const char *own_scratch_root);

/* Check a plugin descriptor in the order the ABI fixes: magic, size,
 * abi_major, then the other fields.  Returns 0, or -1 with a message
 * naming the offending field in err. */
int runtime_check_descriptor(const struct fnh_plugin *p, char *err,
			     size_t errlen);

#endif
