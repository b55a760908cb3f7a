/*
 * store.c: the daemon's persistent state under DATADIR (see store.h):
 * opening it and its layout, the lock against a second daemon, and what
 * store_open() cleans of what a crash or time left behind.  The records,
 * keys, trusted keys and bundles are in store-*.c (see store-int.h).
 *
 * Every directory is reached through a dirfd opened once here; every
 * name is checked against its exact form (function id, jti, checksum,
 * key id) before it is used with openat(), and every open is
 * O_NOFOLLOW, so neither a hostile id from a URL nor a link planted in
 * DATADIR leads outside it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "daemon/log.h"
#include "daemon/store-int.h"

/* ---- open, clean, close -------------------------------------------------- */

/*
 * Check that fd, a directory of the store, is ours and not writable by
 * others; make it mode (subdirectories are kept exactly 0700).
 */
static int
dir_own(int fd, const char *shown, unsigned int mode, char *err, size_t errlen)
{
	struct stat st;
	int e;

	if (fstat(fd, &st) < 0) {
		e = errno;
		return store_fail_io(err, errlen, e, "cannot stat %s: %s",
				     shown, strerror(e));
	}
	if (st.st_uid != geteuid())
		return store_fail_io(err, errlen, EPERM,
				     "%s is owned by uid %u, not %u", shown,
				     (unsigned)st.st_uid, (unsigned)geteuid());
	if (mode != 0 && (st.st_mode & 07777) != mode && fchmod(fd, mode) < 0) {
		e = errno;
		return store_fail_io(err, errlen, e, "cannot chmod %s: %s",
				     shown, strerror(e));
	}
	if (mode == 0 && (st.st_mode & 022) != 0)
		return store_fail_io(err, errlen, EPERM,
				     "%s is writable by group or others",
				     shown);
	return 0;
}

/* Open (making it 0700 if missing) dirfd/name as a directory; link_hint
 * follows the reason when name is a link. */
static int
dir_open(int dirfd, const char *name, const char *shown, const char *link_hint,
	 char *err, size_t errlen)
{
	int fd, e;

	if (mkdirat(dirfd, name, 0700) < 0 && errno != EEXIST) {
		e = errno;
		return store_fail_io(err, errlen, e, "cannot make %s: %s",
				     shown, strerror(e));
	}
	fd = openat(dirfd, name,
		    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		e = errno;
		return store_fail_io(err, errlen, e, "cannot open %s: %s%s",
				     shown, strerror(e),
				     e == ELOOP || e == ENOTDIR ? link_hint
								: "");
	}
	return fd;
}

/* Remove dir/name, a leftover, saying so in the log. */
static int
clean_one(struct store *s, enum store_dir dir, const char *name,
	  const char *why, char *err, size_t errlen)
{
	char shown[PATH_MAX];
	int e;

	store_shown(s, dir, name, shown);
	if (store_remove_tree(s->dirfd[dir], name, 0) < 0) {
		e = errno;
		return store_fail_io(err, errlen, e, "cannot remove %s: %s",
				     shown, strerror(e));
	}
	log_msg(LOG_LEVEL_INFO, "event=store_clean removed=\"%s\" why=%s",
		shown, why);
	return 0;
}

/* Temporaries (".tmp-*") directly in DATADIR: of its format and
 * journal files. */
static int
clean_root_temporaries(struct store *s, char *err, size_t errlen)
{
	struct dirent *de;
	int rc = 0, e;
	DIR *d;

	if ((d = store_open_listing(s->rootfd)) == NULL)
		return store_fail_io(err, errlen, errno, "cannot list %s: %s",
				     s->path, strerror(errno));
	while (rc == 0 && (de = readdir(d)) != NULL) {
		if (!store_is_temporary(de->d_name))
			continue;
		if (store_remove_tree(s->rootfd, de->d_name, 0) < 0) {
			e = errno;
			rc = store_fail_io(err, errlen, e,
					   "cannot remove %s/%s: %s", s->path,
					   de->d_name, strerror(e));
		} else {
			log_msg(LOG_LEVEL_INFO,
				"event=store_clean removed=\"%s/%s\" "
				"why=temporary",
				s->path, de->d_name);
		}
	}
	closedir(d);
	if (rc == 0 && fsync(s->rootfd) < 0)
		rc = store_fail_io(err, errlen, errno, "cannot sync %s: %s",
				   s->path, strerror(errno));
	return rc;
}

/* Temporaries (".tmp-*") in every directory, and all of tmp/. */
static int
clean_temporaries(struct store *s, char *err, size_t errlen)
{
	struct dirent *de;
	DIR *d;
	int i, rc;

	rc = clean_root_temporaries(s, err, errlen);
	if (rc < 0)
		return rc;
	for (i = 0; i < DIR_COUNT; i++) {
		if ((d = store_open_listing(s->dirfd[i])) == NULL)
			return store_fail_io(err, errlen, errno,
					     "cannot list %s/%s: %s", s->path,
					     store_dir_names[i],
					     strerror(errno));
		while ((de = readdir(d)) != NULL) {
			if (!strcmp(de->d_name, ".") ||
			    !strcmp(de->d_name, ".."))
				continue;
			if (i != DIR_TMP && !store_is_temporary(de->d_name))
				continue;
			rc = clean_one(s, (enum store_dir)i, de->d_name,
				       i == DIR_TMP ? "staging" : "temporary",
				       err, errlen);
			if (rc < 0) {
				closedir(d);
				return rc;
			}
		}
		closedir(d);
	}
	return 0;
}

/* Records of tokens past their exp: refused anyway, so no longer kept. */
static int
clean_tokens(struct store *s, int64_t now, char *err, size_t errlen)
{
	struct store_token *v = NULL;
	char file[NAME_MAX + 1];
	size_t i, n = 0;
	int rc;

	rc = store_token_list(s, &v, &n, err, errlen);
	for (i = 0; rc == 0 && i < n; i++) {
		if (v[i].exp >= now)
			continue;
		store_file_name(v[i].jti, ".json", file);
		rc = clean_one(s, DIR_TOKENS, file, "expired", err, errlen);
	}
	free(v);
	return rc;
}

static int
checksum_cmp(const void *a, const void *b)
{
	return strcmp(a, b);
}

/* Why bundles/<name> goes, or NULL when it stays: it must be a
 * directory named by a checksum that one of the n sums[] names. */
static const char *
bundle_unwanted(struct store *s, const char *name, char (*sums)[65], size_t n,
		struct stat *st)
{
	if (!store_checksum_ok(name) ||
	    fstatat(s->dirfd[DIR_BUNDLES], name, st, AT_SYMLINK_NOFOLLOW) < 0 ||
	    !S_ISDIR(st->st_mode))
		return "not_a_bundle";
	if (n == 0 ||
	    bsearch(name, sums, n, sizeof(*sums), checksum_cmp) == NULL)
		return "unreferenced";
	return NULL;
}

/*
 * Bundles: whatever no function record names goes (a crash between
 * install and record, or a deleted function), and so does anything that
 * is not a directory named by a checksum.  A named bundle left 0700 by a
 * crash inside store_bundle_install() had its files synced before the
 * move, so it is finished here.
 */
static int
clean_bundles(struct store *s, char *err, size_t errlen)
{
	struct store_function *fns = NULL;
	char(*sums)[65] = NULL, shown[PATH_MAX];
	const char *why;
	struct dirent *de;
	struct stat st;
	size_t i, n = 0;
	DIR *d = NULL;
	int rc, fd;

	rc = store_function_list(s, &fns, &n, err, errlen);
	if (rc < 0)
		return rc;
	if ((sums = calloc(n ? n : 1, sizeof(*sums))) == NULL) {
		rc = store_fail(err, errlen, ERR_INTERNAL, "out of memory");
		goto out;
	}
	for (i = 0; i < n; i++)
		memcpy(sums[i], fns[i].checksum, 65);
	qsort(sums, n, sizeof(*sums), checksum_cmp);
	if ((d = store_open_listing(s->dirfd[DIR_BUNDLES])) == NULL) {
		rc = store_fail_io(err, errlen, errno,
				   "cannot list %s/bundles: %s", s->path,
				   strerror(errno));
		goto out;
	}
	while (rc == 0 && (de = readdir(d)) != NULL) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		why = bundle_unwanted(s, de->d_name, sums, n, &st);
		if (why != NULL) {
			rc = clean_one(s, DIR_BUNDLES, de->d_name, why, err,
				       errlen);
			continue;
		}
		if ((st.st_mode & 07777) == 0555)
			continue;
		store_shown(s, DIR_BUNDLES, de->d_name, shown);
		fd = openat(s->dirfd[DIR_BUNDLES], de->d_name,
			    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0 || fchmod(fd, 0555) < 0 || fsync(fd) < 0)
			rc = store_fail_io(err, errlen, errno,
					   "cannot seal %s: %s", shown,
					   strerror(errno));
		if (fd >= 0)
			close(fd);
	}
out:
	if (d != NULL)
		closedir(d);
	free(sums);
	free(fns);
	return rc;
}

/* Everything a crash or time left behind, and the removals made durable. */
static int
store_clean(struct store *s, char *err, size_t errlen)
{
	int i, rc;

	rc = clean_temporaries(s, err, errlen);
	/* An operation a crash cut is finished before anything reads the
	 * records, and before the bundle its version names is collected. */
	if (rc == 0)
		rc = store_journal_replay(s, err, errlen);
	/* Before anything reads a function record in this release's form. */
	if (rc == 0)
		rc = store_migrate(s, err, errlen);
	if (rc == 0)
		rc = clean_tokens(s, (int64_t)time(NULL), err, errlen);
	if (rc == 0)
		rc = clean_bundles(s, err, errlen);
	for (i = 0; rc == 0 && i < DIR_COUNT; i++)
		if (fsync(s->dirfd[i]) < 0)
			rc = store_fail_io(err, errlen, errno,
					   "cannot sync %s/%s: %s", s->path,
					   store_dir_names[i], strerror(errno));
	return rc;
}

/* DATADIR itself: made 0700 when missing, then ours, not writable by
 * others, and locked against a second daemon. */
static int
root_open(struct store *s, const char *datadir, char *err, size_t errlen)
{
	int e, rc;

	s->rootfd = dir_open(AT_FDCWD, datadir, datadir,
			     " (give the directory, not a link)", err, errlen);
	if (s->rootfd < 0)
		return s->rootfd;
	rc = dir_own(s->rootfd, datadir, 0, err, errlen);
	if (rc < 0)
		return rc;
	if (flock(s->rootfd, LOCK_EX | LOCK_NB) < 0) {
		e = errno;
		return store_fail_io(err, errlen, e, "%s is in use%s", datadir,
				     e == EWOULDBLOCK ? " by another fnhostd"
						      : "");
	}
	return 0;
}

int
store_open(const char *datadir, struct store **out, char *err, size_t errlen)
{
	char shown[PATH_MAX];
	struct store *s;
	size_t n = datadir ? strlen(datadir) : 0;
	int i, rc, e;

	/* Room for "/bundles/<checksum>/<file>" and the like below it. */
	if (n == 0 || n > PATH_MAX - NAME_MAX - 128)
		return store_fail(err, errlen, ERR_INVALID,
				  "bad data directory path");
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return store_fail(err, errlen, ERR_INTERNAL, "out of memory");
	memcpy(s->path, datadir, n + 1);
	/* "/var/lib/fnhost/" and "/var/lib/fnhost" are the same store. */
	while (n > 1 && s->path[n - 1] == '/')
		s->path[--n] = '\0';
	s->rootfd = -1;
	for (i = 0; i < DIR_COUNT; i++)
		s->dirfd[i] = -1;
	pthread_mutex_init(&s->lock, NULL);
	pthread_mutex_init(&s->journal_lock, NULL);
	atomic_init(&s->journal_left, false);
	store_caches_init(s);
	rc = root_open(s, s->path, err, errlen);
	for (i = 0; rc == 0 && i < DIR_COUNT; i++) {
		store_shown(s, (enum store_dir)i, "", shown);
		s->dirfd[i] = dir_open(s->rootfd, store_dir_names[i], shown,
				       " (a directory is needed, not a link)",
				       err, errlen);
		rc = s->dirfd[i] < 0
			     ? s->dirfd[i]
			     : dir_own(s->dirfd[i], shown, 0700, err, errlen);
	}
	if (rc == 0 && fsync(s->rootfd) < 0)
		rc = store_fail_io(err, errlen, errno, "cannot sync %s: %s",
				   s->path, strerror(errno));
	if (rc == 0)
		rc = store_clean(s, err, errlen);
	if (rc < 0) {
		e = errno;
		store_close(s);
		errno = e;
		return rc;
	}
	*out = s;
	return 0;
}

void
store_close(struct store *s)
{
	int i;

	if (s == NULL)
		return;
	for (i = 0; i < DIR_COUNT; i++)
		if (s->dirfd[i] >= 0)
			close(s->dirfd[i]);
	if (s->rootfd >= 0)
		close(s->rootfd); /* and with it the lock */
	pthread_mutex_destroy(&s->lock);
	pthread_mutex_destroy(&s->journal_lock);
	store_caches_free(s);
	free(s);
}

const char *
store_path(const struct store *s)
{
	return s->path;
}
