/*
 * sealed.h: one sealed memfd of each function's plugin, made once and
 * shared by every worker of that function.
 *
 * A memfd sealed with F_SEAL_WRITE, F_SEAL_GROW, F_SEAL_SHRINK and
 * F_SEAL_SEAL can never change again, not through any descriptor, a
 * worker's dup included.  So the plugin need be copied out of its bundle
 * and hashed against MANIFEST's digest once per function, not once per
 * session: every later worker gets a dup of the same memfd, whose bytes
 * are those that were hashed ("what runs is what was hashed" holds, the
 * seals make a later change impossible).
 *
 * An entry is keyed by function id and plugin SHA-256: a function id
 * names one bundle for good, and a redeploy is another id, so another
 * plugin always gets a memfd of its own and deleting a function drops
 * exactly the memfds made for it.  At most `max` entries are kept; past
 * that the least recently used one goes (its workers keep their dups).
 * All calls are thread-safe.
 */
#ifndef FNHOST_SEALED_H
#define FNHOST_SEALED_H

#include <stddef.h>

struct sealed_set;

/* An empty set of at most max (>= 1) memfds; NULL when out of memory. */
struct sealed_set *sealed_new(size_t max);

/* A new descriptor (close-on-exec, the caller's to close) of the sealed
 * memfd of plugin in bundle_fd for function_id, made and checked against
 * sha256 now if the set has none yet.  Returns it, or -1 with a reason
 * in err (the file can not be read, or its bytes do not match sha256:
 * worker_seal_plugin()'s reasons). */
int sealed_get(struct sealed_set *ss, const char *function_id,
	       const unsigned char sha256[32], int bundle_fd,
	       const char *plugin, char *err, size_t errlen);

/* Forget the memfds of function_id (NULL: all).  Descriptors handed out
 * stay valid. */
void sealed_drop(struct sealed_set *ss, const char *function_id);

/* How many memfds the set holds. */
size_t sealed_count(struct sealed_set *ss);

/* Forget every memfd and free the set.  NULL is a no-op. */
void sealed_free(struct sealed_set *ss);

#endif
