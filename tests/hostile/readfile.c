/*
 * readfile: reads a file outside the bundle and scratch directories.
 * Input: a path, absolute or relative to the scratch dir (the working
 * directory): /etc/passwd, ../../../../../../etc/passwd, /proc/1/environ,
 * /etc/hostname, a secret file of the test.  "@bundle/" at the start stands
 * for the bundle directory.  Landlock must refuse the open.
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

/* "@bundle/x" and "@scratch/x" name files in the session's directories. */
static void
path_expand(const struct fnh_host *h, char *out, size_t n, const char *arg)
{
	if (strncmp(arg, "@bundle/", 8) == 0)
		snprintf(out, n, "%s/%s", h->bundle_dir, arg + 8);
	else if (strncmp(arg, "@scratch/", 9) == 0)
		snprintf(out, n, "%s/%s", h->scratch_dir, arg + 9);
	else
		snprintf(out, n, "%s", arg);
}

/* Printable excerpt of buf, for a human reading the report. */
static void
excerpt(char *out, size_t n, const char *buf, size_t len)
{
	size_t i;

	for (i = 0; i < len && i + 1 < n; i++)
		out[i] = buf[i] >= 0x20 && buf[i] < 0x7f ? buf[i] : '.';
	out[i] = '\0';
}

static int
readfile_handle(const struct fnh_host *h, struct fnh_call *c, const void *input,
		size_t input_len)
{
	char arg[1024], path[2048], buf[256], text[48];
	ssize_t n;
	int fd, err;

	arg_copy(arg, sizeof(arg), input, input_len);
	path_expand(h, path, sizeof(path), arg);
	fd = open(path, O_RDONLY | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return blocked(h, c, "open", errno);
	n = read(fd, buf, sizeof(buf));
	err = errno;
	close(fd);
	if (n < 0)
		return say(h, c, "ESCAPED: opened %s (read: %s)", path,
			   strerror(err));
	excerpt(text, sizeof(text), buf, (size_t)n);
	return say(h, c, "ESCAPED: read %zd bytes of %s: %s", n, path, text);
}

FNH_PLUGIN(.name = "readfile", .version = "1", .handle = readfile_handle)
