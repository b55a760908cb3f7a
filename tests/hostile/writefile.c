/*
 * writefile: changes the file system outside the scratch dir.  Input:
 * "OP:PATH", "@bundle/" standing for the bundle dir.  OP is one of
 *	create		a new file with a marker line
 *	openw		open an existing file for writing (nothing written)
 *	truncate	truncate an existing file to 0 bytes
 *	unlink		remove a file
 *	mkdir		make a directory
 *	rename_in	move an outside file into the scratch dir
 *	rename_out	move a scratch file to PATH
 *	symlink		make a symlink at PATH
 *	chmod		chmod PATH 0777
 *	utime		set PATH's times to the epoch
 * The test runs each OP in its own session against files it owns (and
 * hands to the worker's uid, so that only the sandbox stands in the way)
 * and checks afterwards that nothing changed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fnhost/plugin.h>

/* Copy the input into buf as a C string, cut to fit. */
static void
arg_copy(char *buf, size_t n, const void *in, size_t len)
{
	if (len >= n)
		len = n - 1;
	if (len > 0)
		memcpy(buf, in, len);
	buf[len] = '\0';
}

/* Append one formatted line to the invoke's output.  Returns 0, or -1
 * when the host refused it. */
static int __attribute__((format(printf, 3, 4)))
say(const struct fnh_host *h, struct fnh_call *c, const char *fmt, ...)
{
	char line[2048];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -1;
	if ((size_t)n > sizeof(line) - 2)
		n = (int)sizeof(line) - 2;
	line[n++] = '\n';
	return h->output(c, line, (size_t)n);
}

/* Report a failed step with its errno, as "blocked: what: reason". */
static int
blocked(const struct fnh_host *h, struct fnh_call *c, const char *what, int err)
{
	return say(h, c, "blocked: %s: %s", what, strerror(err));
}

static int
op_create(const char *path)
{
	static const char marker[] = "ESCAPED: written by writefile\n";
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = write(fd, marker, sizeof(marker) - 1);
	close(fd);
	return n < 0 ? -1 : 0;
}

static int
op_openw(const char *path)
{
	int fd = open(path, O_WRONLY | O_NOCTTY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	close(fd);
	return 0;
}

static int
op_rename_out(const char *path)
{
	int fd = open("moved", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	if (fd < 0)
		return -1;
	close(fd);
	return rename("moved", path);
}

static int
op_utime(const char *path)
{
	const struct timespec ts[2] = { { 0, 0 }, { 0, 0 } };

	return utimensat(AT_FDCWD, path, ts, 0);
}

/* Run op on path: 0 when it worked, -1 with errno, -2 for an unknown op. */
static int
op_run(const char *op, const char *path)
{
	if (strcmp(op, "create") == 0)
		return op_create(path);
	if (strcmp(op, "openw") == 0)
		return op_openw(path);
	if (strcmp(op, "truncate") == 0)
		return truncate(path, 0);
	if (strcmp(op, "unlink") == 0)
		return unlink(path);
	if (strcmp(op, "mkdir") == 0)
		return mkdir(path, 0755);
	if (strcmp(op, "rename_in") == 0)
		return rename(path, "stolen");
	if (strcmp(op, "rename_out") == 0)
		return op_rename_out(path);
	if (strcmp(op, "symlink") == 0)
		return symlink("ESCAPED", path);
	if (strcmp(op, "chmod") == 0)
		return chmod(path, 0777);
	if (strcmp(op, "utime") == 0)
		return op_utime(path);
	return -2;
}

static int
writefile_handle(const struct fnh_host *h, struct fnh_call *c,
		 const void *input, size_t input_len)
{
	char arg[1024], path[2048], *colon;
	int rc;

	arg_copy(arg, sizeof(arg), input, input_len);
	colon = strchr(arg, ':');
	if (colon == NULL)
		return h->fail(c, "input is not OP:PATH");
	*colon++ = '\0';
	if (strncmp(colon, "@bundle/", 8) == 0)
		snprintf(path, sizeof(path), "%s/%s", h->bundle_dir, colon + 8);
	else
		snprintf(path, sizeof(path), "%s", colon);
	rc = op_run(arg, path);
	if (rc == -2)
		return h->fail(c, "unknown op %s", arg);
	if (rc < 0)
		return blocked(h, c, arg, errno);
	return say(h, c, "ESCAPED: %s %s", arg, path);
}

FNH_PLUGIN(.name = "writefile", .version = "1", .handle = writefile_handle)
