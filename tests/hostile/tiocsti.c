/*
 * tiocsti: pushes "ESCAPED" into the input queue of a terminal with
 * TIOCSTI, so that the user's shell would run it.  It tries fds 0..2 (the
 * test gives fnhost a pseudo-terminal as stdin) and /dev/tty.  seccomp
 * kills ioctls outside its short list.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <fnhost/plugin.h>

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

static const char inject[] = "ESCAPED\n";

/* Push inject into fd's terminal.  Returns 0, or -1 with errno. */
static int
push(int fd)
{
	size_t i;

	for (i = 0; i < sizeof(inject) - 1; i++)
		if (ioctl(fd, TIOCSTI, &inject[i]) < 0)
			return -1;
	return 0;
}

static int
tiocsti_handle(const struct fnh_host *h, struct fnh_call *c, const void *input,
	       size_t input_len)
{
	int fd, err = 0;

	(void)input;
	(void)input_len;
	for (fd = 0; fd < 3; fd++) {
		if (push(fd) == 0)
			return say(h, c, "ESCAPED: TIOCSTI on fd %d", fd);
		err = errno;
	}
	fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return blocked(h, c, "TIOCSTI on fds 0-2, then open /dev/tty",
			       errno);
	if (push(fd) == 0)
		return say(h, c, "ESCAPED: TIOCSTI on /dev/tty");
	err = errno;
	close(fd);
	return blocked(h, c, "TIOCSTI", err);
}

FNH_PLUGIN(.name = "tiocsti", .version = "1", .handle = tiocsti_handle)
