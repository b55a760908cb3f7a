/*
 * store-util.c: the store's private helpers (see store-int.h): errors,
 * the exact forms of its names, random names, and the file operations
 * every part of the store makes.  Quoting, hex, bounded reads and atomic
 * replaces are base/'s (quote.h, hex.h, fileio.h); only what is the
 * store's own stays here.
 *
 * Every open is O_NOFOLLOW and relative to a dirfd, so neither a hostile
 * id nor a link planted in DATADIR leads outside it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "base/fileio.h"
#include "daemon/store-int.h"

const char *const store_dir_names[DIR_COUNT] = {
	"keys",	  "trusted", "bundles", "functions",
	"tokens", "aliases", "secrets", "tmp",
};

/* ---- errors -------------------------------------------------------------- */

/* The errno a kind stands for, for callers that still read errno. */
static int
errno_of(enum err_kind kind)
{
	switch (kind) {
	case ERR_NOT_FOUND:
		return ENOENT;
	case ERR_INTERNAL:
		return ENOMEM;
	case ERR_IO:
		return EIO;
	case ERR_CONFLICT:
		return EEXIST;
	default:
		return EINVAL;
	}
}

int
store_fail(char *err, size_t errlen, enum err_kind kind, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = err_vset(err, errlen, kind, fmt, ap);
	va_end(ap);
	errno = errno_of(kind);
	return rc;
}

int
store_fail_io(char *err, size_t errlen, int errnum, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = err_vset(err, errlen, ERR_IO, fmt, ap);
	va_end(ap);
	errno = errnum;
	return rc;
}

/* ---- names --------------------------------------------------------------- */

int
store_is_alnum(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') ||
	       (c >= 'a' && c <= 'z');
}

int
store_is_lower_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

static int
is_upper_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F');
}

/* Never reads s past its NUL or len + 1 bytes. */
int
store_name_is(const char *s, size_t len, int (*ok)(char))
{
	size_t i;

	if (s == NULL)
		return 0;
	for (i = 0; i < len; i++)
		if (s[i] == '\0' || !ok(s[i]))
			return 0;
	return s[len] == '\0';
}

int
store_id_ok(const char *s)
{
	return store_name_is(s, ID_LEN, store_is_alnum);
}

int
store_jti_ok(const char *s)
{
	return store_name_is(s, JTI_LEN, store_is_lower_hex);
}

int
store_checksum_ok(const char *s)
{
	return store_name_is(s, CHECKSUM_LEN, store_is_lower_hex);
}

int
store_keyid_ok(const char *s)
{
	return store_name_is(s, KEYID_LEN, is_upper_hex);
}

/* A function name or version: 1 to BUNDLE_LABEL_MAX bytes of
 * [A-Za-z0-9._+-] starting with a letter or digit (as bundle.h says). */
int
store_label_ok(const char *s)
{
	size_t i;

	if (s == NULL || !store_is_alnum(s[0]))
		return 0;
	for (i = 0; s[i] != '\0'; i++) {
		if (i == BUNDLE_LABEL_MAX)
			return 0;
		if (!store_is_alnum(s[i]) && !strchr("._+-", s[i]))
			return 0;
	}
	return 1;
}

void
store_file_name(const char *name, const char *suffix, char out[NAME_MAX + 1])
{
	snprintf(out, NAME_MAX + 1, "%s%s", name, suffix);
}

int
store_file_is(const char *file, const char *suffix, int (*ok)(const char *),
	      char out[NAME_MAX + 1])
{
	size_t n = strlen(file), sn = strlen(suffix);

	if (n <= sn || n > NAME_MAX || strcmp(file + n - sn, suffix) != 0)
		return 0;
	memcpy(out, file, n - sn);
	out[n - sn] = '\0';
	return ok(out);
}

int
store_is_temporary(const char *name)
{
	return strncmp(name, TMP_PREFIX, strlen(TMP_PREFIX)) == 0;
}

void
store_shown(const struct store *s, enum store_dir dir, const char *file,
	    char out[PATH_MAX])
{
	int n;

	/* store_open() left room for any dir and file name; cut if not. */
	n = snprintf(out, PATH_MAX, "%s/%s%s%s", s->path, store_dir_names[dir],
		     file[0] != '\0' ? "/" : "", file);
	if (n < 0 || n >= PATH_MAX)
		memcpy(out + PATH_MAX - 4, "...", 4);
}

/* ---- bytes --------------------------------------------------------------- */

/* Bytes of 248 and above are dropped so that each of the 62 characters
 * is equally likely (248 = 4 * 62). */
int
store_random_alnum(char *out, size_t n, char *err, size_t errlen)
{
	static const char set[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
				  "abcdefghijklmnopqrstuvwxyz0123456789";
	unsigned char buf[64];
	size_t i, o = 0;

	while (o < n) {
		if (RAND_bytes(buf, sizeof(buf)) != 1)
			return store_fail(err, errlen, ERR_IO,
					  "the random generator failed");
		for (i = 0; i < sizeof(buf) && o < n; i++)
			if (buf[i] < 248)
				out[o++] = set[buf[i] % 62];
	}
	out[n] = '\0';
	OPENSSL_cleanse(buf, sizeof(buf));
	return 0;
}

/* ---- files --------------------------------------------------------------- */

int
store_read_file(int dirfd, const char *name, size_t max, const char *shown,
		char **buf, size_t *len, char *err, size_t errlen)
{
	int rc;

	rc = fileio_read(dirfd, name, max, shown, buf, len, err, errlen);
	/* The store wrote every file it reads within its bound: one over it
	 * is a damaged store, not a request that is too large. */
	if (rc == -ERR_TOO_LARGE)
		rc = -ERR_IO;
	return rc;
}

/*
 * Directories are made 0700 first, so that read-only bundles (0555) can
 * be emptied without CAP_DAC_OVERRIDE.
 */
int
store_remove_tree(int parent, const char *name, int depth)
{
	struct dirent *de;
	DIR *d;
	int fd, first = 0;

	if (unlinkat(parent, name, 0) == 0 || errno == ENOENT)
		return 0;
	if (errno != EISDIR || depth >= REMOVE_DEPTH)
		return -1;
	fd = openat(parent, name,
		    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -1;
	fchmod(fd, 0700); /* if it fails, the unlinks below say so */
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return -1;
	}
	/* Go on past a failure, and tell the first one's errno. */
	while ((errno = 0, de = readdir(d)) != NULL) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (store_remove_tree(fd, de->d_name, depth + 1) < 0 && !first)
			first = errno;
	}
	if (errno != 0 && !first)
		first = errno;
	closedir(d);
	if (unlinkat(parent, name, AT_REMOVEDIR) < 0 && errno != ENOENT &&
	    !first)
		first = errno;
	errno = first;
	return first ? -1 : 0;
}

int
store_remove_file(struct store *s, enum store_dir dir, const char *file,
		  char *err, size_t errlen)
{
	char shown[PATH_MAX];

	store_shown(s, dir, file, shown);
	if (unlinkat(s->dirfd[dir], file, 0) < 0) {
		if (errno == ENOENT)
			return -ERR_NOT_FOUND;
		return store_fail_io(err, errlen, errno, "cannot remove %s: %s",
				     shown, strerror(errno));
	}
	if (fsync(s->dirfd[dir]) < 0) {
		store_shown(s, dir, "", shown);
		return store_fail_io(err, errlen, errno, "cannot sync %s: %s",
				     shown, strerror(errno));
	}
	return 0;
}

DIR *
store_open_listing(int dirfd)
{
	DIR *d;
	int fd;

	fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	if ((d = fdopendir(fd)) == NULL)
		close(fd);
	return d;
}

int
store_dir_each(struct store *s, enum store_dir dir, const char *suffix,
	       int (*name_ok)(const char *), const char *bad,
	       int (*each)(struct store *s, const char *file, const char *name,
			   void *ctx, char *err, size_t errlen),
	       void *ctx, char *err, size_t errlen)
{
	char name[NAME_MAX + 1], shown[PATH_MAX];
	struct dirent *de;
	DIR *d;
	int rc = 0;

	store_shown(s, dir, "", shown);
	if ((d = store_open_listing(s->dirfd[dir])) == NULL) {
		return store_fail_io(err, errlen, errno, "cannot list %s: %s",
				     shown, strerror(errno));
	}
	while ((errno = 0, de = readdir(d)) != NULL) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..") ||
		    store_is_temporary(de->d_name))
			continue;
		if (!store_file_is(de->d_name, suffix, name_ok, name)) {
			store_shown(s, dir, de->d_name, shown);
			rc = store_fail(err, errlen, ERR_IO, "%s: %s", shown,
					bad);
			goto out;
		}
		rc = each(s, de->d_name, name, ctx, err, errlen);
		if (rc == -ERR_NOT_FOUND)
			rc = 0; /* removed since readdir() */
		if (rc < 0)
			goto out;
	}
	if (errno != 0) {
		rc = store_fail_io(err, errlen, errno, "cannot list %s: %s",
				   shown, strerror(errno));
	}
out:
	closedir(d);
	return rc;
}

void *
store_vec_next(struct store_vec *vec)
{
	size_t c = vec->cap ? vec->cap * 2 : 16;
	void *p;

	if (vec->n < vec->cap)
		return (char *)vec->v + vec->n * vec->size;
	if (c > SIZE_MAX / vec->size ||
	    (p = realloc(vec->v, c * vec->size)) == NULL)
		return NULL;
	vec->v = p;
	vec->cap = c;
	return (char *)vec->v + vec->n * vec->size;
}
