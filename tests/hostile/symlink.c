/*
 * symlink: makes a symbolic link in the scratch dir pointing outside (the
 * input, e.g. /etc/passwd) and reads through it.  Creating the link may
 * be allowed; following it out of the scratch dir must not be.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
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
symlink_handle(const struct fnh_host *h, struct fnh_call *c, const void *input,
	       size_t input_len)
{
	char target[1024], buf[256];
	ssize_t n;
	int fd, err;

	arg_copy(target, sizeof(target), input, input_len);
	unlink("evil-symlink");
	if (symlink(target, "evil-symlink") < 0)
		return blocked(h, c, "symlink", errno);
	fd = open("evil-symlink", O_RDONLY | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return blocked(h, c, "open through the symlink", errno);
	n = read(fd, buf, sizeof(buf));
	err = errno;
	close(fd);
	if (n < 0)
		return say(h, c, "ESCAPED: opened %s through a symlink (%s)",
			   target, strerror(err));
	return say(h, c, "ESCAPED: read %zd bytes of %s through a symlink", n,
		   target);
}

FNH_PLUGIN(.name = "symlink", .version = "1", .handle = symlink_handle)
