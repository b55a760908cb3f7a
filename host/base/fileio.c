/* fileio.c: whole-file reads and atomic replaces (see fileio.h). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/err.h"
#include "base/fileio.h"
#include "base/hex.h"
#include "base/quote.h"

/* Random bytes in a temporary's name (twice as many hex digits). */
#define TMP_RANDOM 6
/* Room for a name quoted in a message. */
#define QUOTE_MAX 80

int
fileio_read(int dirfd, const char *name, size_t max, const char *shown,
	    char **buf, size_t *len, char *err, size_t errlen)
{
	char q[QUOTE_MAX], *b = NULL;
	struct stat st;
	size_t got = 0;
	ssize_t n;
	int fd, rc, e = 0;

	*buf = NULL;
	if (shown == NULL)
		shown = quote_str(q, sizeof(q), name);
	fd = openat(dirfd, name,
		    O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return err_set(err, errlen,
			       errno == ENOENT ? ERR_NOT_FOUND : ERR_IO,
			       "cannot open %s: %s", shown, strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		e = EIO;
		rc = err_set(err, errlen, ERR_IO, "%s is not a regular file",
			     shown);
		goto out;
	}
	/* max + 1 bytes: one more than allowed tells a file too long. */
	if (max >= SIZE_MAX - 1 || (b = malloc(max + 2)) == NULL) {
		e = ENOMEM;
		rc = err_set(err, errlen, ERR_INTERNAL, "out of memory");
		goto out;
	}
	while (got <= max) {
		n = read(fd, b + got, max + 1 - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			e = errno;
			rc = err_set(err, errlen, ERR_IO, "cannot read %s: %s",
				     shown, strerror(e));
			goto out;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	if (got > max) {
		e = EFBIG;
		rc = err_set(err, errlen, ERR_TOO_LARGE, "%s is over %zu bytes",
			     shown, max);
		goto out;
	}
	b[got] = '\0';
	*buf = b;
	b = NULL;
	*len = got;
	rc = 0;
out:
	free(b);
	close(fd);
	if (rc < 0)
		errno = e;
	return rc;
}

int
fileio_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	ssize_t n;

	while (len > 0) {
		n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -ERR_IO;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int
fileio_replace(int dirfd, const char *name, const void *buf, size_t len,
	       mode_t mode, char *err, size_t errlen)
{
	char tmp[NAME_MAX + 1], q[QUOTE_MAX], rnd[2 * TMP_RANDOM + 1];
	unsigned char raw[TMP_RANDOM];
	size_t n = name != NULL ? strnlen(name, NAME_MAX + 1) : 0;
	int fd = -1, saved;

	quote_bytes(q, sizeof(q), name, n);
	/* Room for ".tmp-<name>-<random>" within NAME_MAX. */
	if (n == 0 || n > NAME_MAX - sizeof(FILEIO_TMP_PREFIX) - sizeof(rnd) ||
	    strchr(name, '/') != NULL || !strcmp(name, ".") ||
	    !strcmp(name, ".."))
		return err_set(err, errlen, ERR_INVALID, "bad file name '%s'",
			       q);
	if (getrandom(raw, sizeof(raw), 0) != (ssize_t)sizeof(raw))
		return err_set(err, errlen, ERR_IO,
			       "cannot write %s: no "
			       "random bytes for a temporary name",
			       q);
	hex_encode(rnd, raw, sizeof(raw));
	snprintf(tmp, sizeof(tmp), FILEIO_TMP_PREFIX "%s-%s", name, rnd);
	/* Made 0600 and given its mode only once it is whole. */
	fd = openat(dirfd, tmp,
		    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		goto fail;
	if (fileio_write_all(fd, buf, len) < 0 ||
	    fchmod(fd, mode & 07777) < 0 || fsync(fd) < 0)
		goto fail_unlink;
	saved = close(fd);
	fd = -1;
	if (saved < 0 || renameat(dirfd, tmp, dirfd, name) < 0)
		goto fail_unlink;
	/* The rename is durable only once the directory is. */
	if (fsync(dirfd) < 0)
		goto fail;
	return 0;
fail_unlink:
	saved = errno;
	if (fd >= 0)
		close(fd);
	unlinkat(dirfd, tmp, 0);
	errno = saved;
fail:
	return err_set(err, errlen, ERR_IO, "cannot write %s: %s", q,
		       strerror(errno));
}
