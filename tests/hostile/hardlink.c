/*
 * hardlink: makes a hard link in the scratch dir to a file outside it (the
 * input: /etc/passwd, a file of the test, "@bundle/plugin.so").  A link
 * inside the read-write scratch dir would give the outside file the scratch
 * dir's rights, so making the link at all must fail (Landlock's REFER
 * rule; protected_hardlinks for files the worker does not own).
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
hardlink_handle(const struct fnh_host *h, struct fnh_call *c, const void *input,
		size_t input_len)
{
	char arg[1024], target[2048];
	int fd;

	arg_copy(arg, sizeof(arg), input, input_len);
	if (strncmp(arg, "@bundle/", 8) == 0)
		snprintf(target, sizeof(target), "%s/%s", h->bundle_dir,
			 arg + 8);
	else
		snprintf(target, sizeof(target), "%s", arg);
	unlink("evil-hardlink");
	if (link(target, "evil-hardlink") < 0)
		return blocked(h, c, "link", errno);
	fd = open("evil-hardlink", O_WRONLY | O_NOCTTY | O_CLOEXEC);
	if (fd >= 0) {
		close(fd);
		return say(h, c, "ESCAPED: hard link to %s, open for writing",
			   target);
	}
	return say(h, c, "ESCAPED: hard link to %s made in the scratch dir",
		   target);
}

FNH_PLUGIN(.name = "hardlink", .version = "1", .handle = hardlink_handle)
