/*
 * metadata: learns about files outside its directories without opening
 * them.  Landlock governs opening, not stat(), access() or readlink(), so
 * only a mount namespace that leaves those files out can hide them.
 * Input: "stat:PATH", "access:PATH" or "readlink:PATH".  The answer is
 * "exposed: ..." when the kernel told, "blocked: ..." when it did not; the
 * test records the exposure without failing (it is a known limit of
 * Landlock, not an escape from it).
 */
#define _GNU_SOURCE
#include <errno.h>
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
metadata_handle(const struct fnh_host *h, struct fnh_call *c, const void *input,
		size_t input_len)
{
	char arg[1024], link[512], *path;
	struct stat st;
	ssize_t n;

	arg_copy(arg, sizeof(arg), input, input_len);
	path = strchr(arg, ':');
	if (path == NULL)
		return h->fail(c, "input is not OP:PATH");
	*path++ = '\0';
	if (strcmp(arg, "stat") == 0) {
		if (stat(path, &st) < 0)
			return blocked(h, c, "stat", errno);
		return say(h, c, "exposed: %s: mode %o uid %u size %lld", path,
			   (unsigned)st.st_mode, (unsigned)st.st_uid,
			   (long long)st.st_size);
	}
	if (strcmp(arg, "access") == 0) {
		if (access(path, F_OK) < 0)
			return blocked(h, c, "access", errno);
		return say(h, c, "exposed: %s exists", path);
	}
	if (strcmp(arg, "readlink") == 0) {
		n = readlink(path, link, sizeof(link) - 1);
		if (n < 0)
			return blocked(h, c, "readlink", errno);
		link[n] = '\0';
		return say(h, c, "exposed: %s -> %s", path, link);
	}
	return h->fail(c, "unknown op %s", arg);
}

FNH_PLUGIN(.name = "metadata", .version = "1", .handle = metadata_handle)
