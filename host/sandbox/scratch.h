/*
 * scratch.h: per-session scratch directories.
 *
 * A scratch directory is created empty under a root directory, owned by
 * the worker's uid (when the host is root) with mode 0700, and removed
 * with everything in it when its session closes.  Removal never follows a
 * symbolic link, whatever a plugin left behind.
 */
#ifndef FNHOST_SCRATCH_H
#define FNHOST_SCRATCH_H

#include <stddef.h>
#include <sys/types.h>

/* Make a new directory root/<prefix>XXXXXX.  When owner is not -1 it is
 * chowned to owner:group.  Writes its path into path (len bytes) and an
 * O_PATH fd into *fd (if fd is not NULL).  Returns 0, or -1 with a reason
 * in err. */
int scratch_create(const char *root, const char *prefix, uid_t owner,
		   gid_t group, char *path, size_t len, int *fd, char *err,
		   size_t errlen);

/* Remove every entry of dir whose name starts with prefix, with all it
 * holds (what a crash left).  Returns 0, or -1 if some could not go. */
int scratch_remove_children(const char *dir, const char *prefix);

/* Remove path and everything below it.  Returns 0, or -1 with errno set
 * (everything removable has been removed then). */
int scratch_remove(const char *path);

#endif
