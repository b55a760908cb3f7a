/*
 * fileio.h: whole-file reads and writes that can not be tricked.
 *
 * fileio_read() reads name relative to dirfd (AT_FDCWD allowed) into a
 * malloc()ed buffer with a NUL after its *len bytes.  It opens with
 * O_NOFOLLOW (a symlink is refused, not followed), O_NONBLOCK (a FIFO
 * can not hang it) and O_CLOEXEC, refuses anything but a regular file,
 * and reads at most max bytes.  Returns 0, or -ERR_NOT_FOUND if name does
 * not exist, -ERR_TOO_LARGE if it holds more than max bytes, -ERR_IO for
 * anything else (a symlink, a directory, a failing read), -ERR_INTERNAL
 * out of memory; *buf is NULL on failure.  Messages name the file as
 * shown, a text the caller made fit for a message (a path the reader
 * knows, such as "DATADIR/keys/admin.token"), or as the quoted name when
 * shown is NULL.  On failure errno tells the cause, for callers that
 * report it: the failing open() or read()'s own (ENOENT, ELOOP for a
 * symlink, ...), EIO for a file that is no regular file, EFBIG over max,
 * ENOMEM.
 *
 * fileio_write_all() writes all of buf, over short writes and EINTR:
 * 0, or -ERR_IO with errno set.
 *
 * fileio_replace() replaces name in the directory dirfd (a real
 * directory fd: it is fsync()ed) with buf[len] and mode, atomically and
 * durably: a temporary ".tmp-<name>-<random>" in the same directory,
 * made 0600, written, given its mode, fsync()ed, renamed over name, and
 * the directory fsync()ed.  Readers see the old content or the new, never
 * a part; on failure the temporary is removed (only a crash leaves one).
 * name is one path component.  Returns 0, -ERR_INVALID for a bad name,
 * or -ERR_IO.
 */
#ifndef FNHOST_FILEIO_H
#define FNHOST_FILEIO_H

#include <stddef.h>
#include <sys/types.h>

#define FILEIO_TMP_PREFIX ".tmp-"

int fileio_read(int dirfd, const char *name, size_t max, const char *shown,
		char **buf, size_t *len, char *err, size_t errlen);

int fileio_write_all(int fd, const void *buf, size_t len);

int fileio_replace(int dirfd, const char *name, const void *buf, size_t len,
		   mode_t mode, char *err, size_t errlen);

#endif
