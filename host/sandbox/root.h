/*
 * root.h: the worker's private root.
 *
 * A worker's root is a tmpfs of its own holding only what a plugin may
 * see: the system paths of sandbox.h's table (read-only binds; links
 * copied as links), the session's scratch tmpfs at the scratch root's
 * path, a procfs of the worker's pid namespace at /proc, and, from SETUP
 * on, the session's bundle directory (read-only) at the path the host
 * named.  Nothing else exists there: no /dev, no /tmp, no host process,
 * and statfs("/") tells the size of that empty tmpfs.
 *
 * It is built in two steps so that a pooled worker pays for most of it
 * before it has a session.  root_build() runs in the fresh worker (its
 * own mount namespace, still privileged): it builds the tree and
 * pivot_root()s into it, keeping the host's tree at ROOT_HOST_VIEW, the
 * one place the bundle can be bound from.  root_enter() runs at SETUP,
 * before the worker drops its privileges: it binds the bundle (checked to
 * be the directory the host's fd names), detaches the host's tree and
 * makes the root read-only.  After it, no path of the process leads to
 * the host's tree.
 */
#ifndef FNHOST_ROOT_H
#define FNHOST_ROOT_H

#include <stdbool.h>
#include <sys/types.h>

#include "sandbox/sandbox.h"

#define ROOT_HOST_VIEW "/.host"

/* Build the private root and enter it.  scratch_root (NULL for none) gets
 * the session's scratch tmpfs of lim's size and inodes, owned by uid:gid
 * unless userns (where only root is mapped).  pidns: mount a procfs of
 * its own; without one, or where the kernel refuses that, the host's
 * procfs is bound instead.  Returns 0, or -1 with a reason in err (the
 * worker must then not serve). */
int root_build(const char *scratch_root, const struct sandbox_limits *lim,
	       uid_t uid, gid_t gid, bool userns, bool pidns, char *err,
	       size_t errlen);

/* At SETUP: bind bundle_dir (read-only, which must be bundle_fd's
 * directory) and, when scratch_dir is not NULL, scratch_dir (read-write,
 * scratch_fd's) at their own paths, then detach the host's tree and make
 * the root read-only.  Returns 0, or -1 with a reason in err. */
int root_enter(const char *bundle_dir, int bundle_fd, const char *scratch_dir,
	       int scratch_fd, char *err, size_t errlen);

#endif
