/*
 * store-bundles.c: deploy staging in tmp/ and the content-addressed
 * bundles/<checksum>/ (see store.h): dir 0555, files 0444, all fsynced
 * before the rename that publishes them, so bundles/ only ever holds
 * whole bundles (store_open() finishes or collects what a crash left).
 *
 * Only a path of the form DATADIR/tmp/deploy-XXXXXX is taken as a
 * staging dir, and it is reached through the tmp/ dirfd by its last
 * component, so no path a caller passes leads elsewhere.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon/store-int.h"

static int
staging_name_ok(const char *name)
{
	size_t n = strlen(STAGING_PREFIX);

	return strncmp(name, STAGING_PREFIX, n) == 0 &&
	       store_name_is(name + n, STAGING_RANDOM, store_is_alnum);
}

/* The name in tmp/ of path, a staging dir of this store; or NULL. */
static const char *
staging_name(const struct store *s, const char *path)
{
	size_t plen = strlen(s->path);

	if (path == NULL || strncmp(path, s->path, plen) != 0 ||
	    strncmp(path + plen, "/tmp/", 5) != 0 ||
	    !staging_name_ok(path + plen + 5))
		return NULL;
	return path + plen + 5;
}

int
store_staging_create(struct store *s, char *path, size_t len, int *dirfd,
		     char *err, size_t errlen)
{
	char name[sizeof(STAGING_PREFIX) + STAGING_RANDOM];
	size_t pn = strlen(STAGING_PREFIX);
	int tries, fd, e, n, rc;

	for (tries = 0;; tries++) {
		memcpy(name, STAGING_PREFIX, pn);
		rc = store_random_alnum(name + pn, STAGING_RANDOM, err, errlen);
		if (rc < 0)
			return rc;
		if (mkdirat(s->dirfd[DIR_TMP], name, 0700) == 0)
			break;
		e = errno;
		if (e != EEXIST || tries == 16) {
			return store_fail_io(
				err, errlen, e,
				"cannot make a staging dir in %s/tmp: "
				"%s",
				s->path, strerror(e));
		}
	}
	n = snprintf(path, len, "%s/tmp/%s", s->path, name);
	fd = openat(s->dirfd[DIR_TMP], name,
		    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (n < 0 || (size_t)n >= len || fd < 0) {
		e = fd < 0 ? errno : ENAMETOOLONG;
		if (fd >= 0)
			close(fd);
		unlinkat(s->dirfd[DIR_TMP], name, AT_REMOVEDIR);
		return store_fail_io(err, errlen, e,
				     "cannot open staging dir %s: %s", name,
				     strerror(e));
	}
	*dirfd = fd;
	return 0;
}

int
store_staging_remove(struct store *s, const char *path, char *err,
		     size_t errlen)
{
	char q[QUOTE_MAX];
	const char *name = staging_name(s, path);

	if (name == NULL)
		return store_fail(err, errlen, ERR_INVALID,
				  "'%s' is not a staging dir",
				  quote_str(q, sizeof(q), path));
	if (store_remove_tree(s->dirfd[DIR_TMP], name, 0) < 0 ||
	    fsync(s->dirfd[DIR_TMP]) < 0) {
		return store_fail_io(err, errlen, errno, "cannot remove %s: %s",
				     path, strerror(errno));
	}
	return 0;
}

/* Make every file of the staging dir sfd 0444 and durable; anything but
 * a regular file is refused (bundle_verify() already did). */
static int
seal_files(int sfd, const char *staging, char *err, size_t errlen)
{
	char q[QUOTE_MAX];
	struct dirent *de;
	struct stat st;
	DIR *d;
	int fd = -1, rc = 0;

	if ((d = store_open_listing(sfd)) == NULL) {
		return store_fail_io(err, errlen, errno, "cannot list %s: %s",
				     staging, strerror(errno));
	}
	while (rc == 0 && (errno = 0, de = readdir(d)) != NULL) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		fd = openat(sfd, de->d_name,
			    O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
		if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
			rc = store_fail(err, errlen, ERR_INVALID,
					"%s: '%s' is not a regular file",
					staging,
					quote_str(q, sizeof(q), de->d_name));
		else if (fchmod(fd, 0444) < 0 || fsync(fd) < 0)
			rc = store_fail_io(err, errlen, errno,
					   "cannot seal %s/%s: %s", staging,
					   quote_str(q, sizeof(q), de->d_name),
					   strerror(errno));
		if (fd >= 0)
			close(fd);
		fd = -1;
	}
	if (rc == 0 && errno != 0)
		rc = store_fail_io(err, errlen, errno, "cannot list %s: %s",
				   staging, strerror(errno));
	closedir(d); /* de is gone with it: err was written first */
	return rc < 0 && rc != -ERR_INVALID ? -ERR_IO : rc;
}

/*
 * Move tmp/<name> to bundles/<checksum>; 1 when that bundle is stored
 * already.  A directory moved to another parent must be writable (its
 * ".." changes), so it is made 0555 only once there; store_open()
 * collects one a crash left before that.
 */
static int
bundle_move(struct store *s, int sfd, const char *name, const char *checksum,
	    char *err, size_t errlen)
{
	int e;

	if (renameat(s->dirfd[DIR_TMP], name, s->dirfd[DIR_BUNDLES], checksum) <
	    0) {
		e = errno;
		if (e == EEXIST || e == ENOTEMPTY)
			return 1; /* stored already, by another deploy */
		return store_fail_io(err, errlen, e,
				     "cannot move %s to bundles/: %s", name,
				     strerror(e));
	}
	if (fchmod(sfd, 0555) < 0 || fsync(sfd) < 0 ||
	    fsync(s->dirfd[DIR_BUNDLES]) < 0 || fsync(s->dirfd[DIR_TMP]) < 0) {
		return store_fail_io(err, errlen, errno,
				     "cannot seal bundles/%s: %s", checksum,
				     strerror(errno));
	}
	return 0;
}

int
store_bundle_install(struct store *s, const char *staging_path,
		     const struct bundle_info *info, char *err, size_t errlen)
{
	char q[QUOTE_MAX];
	const char *name = staging_name(s, staging_path);
	struct stat st;
	int sfd = -1, rc, e;

	if (name == NULL)
		return store_fail(err, errlen, ERR_INVALID,
				  "'%s' is not a staging dir",
				  quote_str(q, sizeof(q), staging_path));
	if (!store_checksum_ok(info->checksum))
		return store_fail(err, errlen, ERR_INVALID,
				  "bad bundle checksum '%s'",
				  quote_str(q, sizeof(q), info->checksum));
	if (fstatat(s->dirfd[DIR_BUNDLES], info->checksum, &st,
		    AT_SYMLINK_NOFOLLOW) == 0) {
		rc = 1; /* the same bytes are stored: this copy goes */
		goto out;
	}
	sfd = openat(s->dirfd[DIR_TMP], name,
		     O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (sfd < 0) {
		rc = store_fail_io(err, errlen, errno, "cannot open %s: %s",
				   staging_path, strerror(errno));
		goto out;
	}
	rc = seal_files(sfd, staging_path, err, errlen);
	if (rc == 0 && fsync(sfd) < 0)
		rc = store_fail_io(err, errlen, errno, "cannot sync %s: %s",
				   staging_path, strerror(errno));
	if (rc == 0)
		rc = bundle_move(s, sfd, name, info->checksum, err, errlen);
out:
	e = errno;
	if (sfd >= 0)
		close(sfd);
	/* The caller is done with the staging dir whatever happened. */
	if (rc != 0 && store_remove_tree(s->dirfd[DIR_TMP], name, 0) == 0)
		fsync(s->dirfd[DIR_TMP]);
	errno = e;
	return rc < 0 ? rc : 0;
}

int
store_bundle_open(struct store *s, const char *checksum, int *dirfd, char *path,
		  size_t len, char *err, size_t errlen)
{
	char q[QUOTE_MAX];
	int fd, n;

	if (!store_checksum_ok(checksum))
		return store_fail(err, errlen, ERR_INVALID,
				  "bad bundle checksum '%s'",
				  quote_str(q, sizeof(q), checksum));
	n = snprintf(path, len, "%s/bundles/%s", s->path, checksum);
	if (n < 0 || (size_t)n >= len)
		return store_fail(err, errlen, ERR_INVALID,
				  "bundle path is too long");
	fd = openat(s->dirfd[DIR_BUNDLES], checksum,
		    O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT)
		return store_fail(err, errlen, ERR_NOT_FOUND, "no bundle '%s'",
				  checksum);
	if (fd < 0) {
		return store_fail_io(err, errlen, errno, "cannot open %s: %s",
				     path, strerror(errno));
	}
	*dirfd = fd;
	return 0;
}
