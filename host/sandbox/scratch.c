/* scratch.c: per-session scratch directories (see scratch.h). */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sandbox/scratch.h"

int
scratch_create(const char *root, const char *prefix, uid_t owner, gid_t group,
	       char *path, size_t len, int *fd, char *err, size_t errlen)
{
	int n;

	n = snprintf(path, len, "%s/%sXXXXXX", root, prefix);
	if (n < 0 || (size_t)n >= len) {
		snprintf(err, errlen, "scratch root path is too long");
		return -1;
	}
	if (!mkdtemp(path)) {
		snprintf(err, errlen, "cannot create a scratch dir in %s: %s",
			 root, strerror(errno));
		return -1;
	}
	if (owner != (uid_t)-1 && chown(path, owner, group) < 0) {
		snprintf(err, errlen, "cannot hand %s to uid %u: %s", path,
			 (unsigned)owner, strerror(errno));
		rmdir(path);
		return -1;
	}
	if (fd) {
		*fd = open(path, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (*fd < 0) {
			snprintf(err, errlen, "cannot open %s: %s", path,
				 strerror(errno));
			rmdir(path);
			return -1;
		}
	}
	return 0;
}

/* Empty the directory dfd (consumed), depth first.  Depth is bounded by
 * what a plugin could create within PATH_MAX. */
static int
empty_dir(int dfd, int depth)
{
	struct dirent *de;
	int ret = 0, sub;
	DIR *d;

	d = fdopendir(dfd);
	if (!d) {
		close(dfd);
		return -1;
	}
	while ((errno = 0, de = readdir(d)) != NULL) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (unlinkat(dfd, de->d_name, 0) == 0)
			continue;
		if (errno != EISDIR && errno != EPERM) {
			ret = -1;
			continue;
		}
		sub = openat(dfd, de->d_name,
			     O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (sub < 0 || depth > PATH_MAX / 2 ||
		    empty_dir(sub, depth + 1) < 0 ||
		    unlinkat(dfd, de->d_name, AT_REMOVEDIR) < 0)
			ret = -1;
	}
	closedir(d);
	return ret;
}

int
scratch_remove(const char *path)
{
	int fd, ret;

	fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : -1;
	ret = empty_dir(fd, 0);
	if (rmdir(path) < 0)
		ret = -1;
	return ret;
}

int
scratch_remove_children(const char *dir, const char *prefix)
{
	char path[PATH_MAX];
	struct dirent *de;
	int ret = 0;
	DIR *d;

	d = opendir(dir);
	if (!d)
		return errno == ENOENT ? 0 : -1;
	while ((de = readdir(d)) != NULL) {
		if (strncmp(de->d_name, prefix, strlen(prefix)) != 0)
			continue;
		if (snprintf(path, sizeof(path), "%s/%s", dir, de->d_name) >=
			    (int)sizeof(path) ||
		    scratch_remove(path) < 0)
			ret = -1;
	}
	closedir(d);
	return ret;
}
