/*
 * uname: reports the host name the worker sees through uname(2), which
 * seccomp allows.  /etc/hostname is out of reach; the UTS namespace should
 * not hand the same name over another way.  The test compares the answer
 * with the real host name.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>

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

static int
uname_handle(const struct fnh_host *h, struct fnh_call *c, const void *input,
	     size_t input_len)
{
	struct utsname u;

	(void)input;
	(void)input_len;
	if (uname(&u) < 0)
		return blocked(h, c, "uname", errno);
	return say(h, c, "nodename=%s", u.nodename);
}

FNH_PLUGIN(.name = "uname", .version = "1", .handle = uname_handle)
