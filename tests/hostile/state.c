/*
 * state: looks for what an earlier session left behind.  Input:
 *	write		leave a file in the scratch dir and report the
 *			scratch dir's path
 *	probe:PATH	in a later session: is there anything in this
 *			session's scratch dir, and can the earlier session's
 *			scratch dir PATH (from "write") still be read?
 * A session's scratch dir must start empty and the old one be gone (or at
 * least out of reach).
 */
#define _GNU_SOURCE
#include <dirent.h>
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
state_write(const struct fnh_host *h, struct fnh_call *c)
{
	static const char secret[] = "left by an earlier session\n";
	int fd = open("leftover", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
		      0600);

	if (fd < 0)
		return h->fail(c, "create leftover: %s", strerror(errno));
	if (write(fd, secret, sizeof(secret) - 1) < 0) {
		close(fd);
		return h->fail(c, "write leftover: %s", strerror(errno));
	}
	close(fd);
	return say(h, c, "scratch=%s", h->scratch_dir);
}

static int
state_probe(const struct fnh_host *h, struct fnh_call *c, const char *old)
{
	char path[2048];
	struct dirent *e;
	DIR *d = opendir(".");
	int fd;

	if (d == NULL)
		return h->fail(c, "opendir scratch: %s", strerror(errno));
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		say(h, c, "ESCAPED: scratch dir not empty: %s", e->d_name);
		break;
	}
	closedir(d);
	if (strcmp(old, h->scratch_dir) == 0)
		return say(h, c, "ESCAPED: scratch dir %s reused", old);
	snprintf(path, sizeof(path), "%s/leftover", old);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return blocked(h, c, "open the old scratch dir", errno);
	close(fd);
	return say(h, c, "ESCAPED: read %s", path);
}

static int
state_handle(const struct fnh_host *h, struct fnh_call *c, const void *input,
	     size_t input_len)
{
	char arg[1024];

	arg_copy(arg, sizeof(arg), input, input_len);
	if (strcmp(arg, "write") == 0)
		return state_write(h, c);
	if (strncmp(arg, "probe:", 6) == 0)
		return state_probe(h, c, arg + 6);
	return h->fail(c, "unknown op %s", arg);
}

FNH_PLUGIN(.name = "state", .version = "1", .handle = state_handle)
