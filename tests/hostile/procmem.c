/*
 * procmem: writes into its own read-only memory through /proc/self/mem,
 * which ignores page protections.  /proc is outside what Landlock allows.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
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

static const volatile char procmem_target[] = "unchanged";

static int
procmem_handle(const struct fnh_host *h, struct fnh_call *c, const void *input,
	       size_t input_len)
{
	ssize_t n;
	int fd, err;

	(void)input;
	(void)input_len;
	fd = open("/proc/self/mem", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return blocked(h, c, "open /proc/self/mem", errno);
	n = pwrite(fd, "X", 1, (off_t)(uintptr_t)procmem_target);
	err = errno;
	close(fd);
	if (n != 1)
		return blocked(h, c, "pwrite /proc/self/mem", err);
	return say(h, c,
		   "ESCAPED: wrote read-only memory via /proc/self/mem"
		   " (now '%c')",
		   procmem_target[0]);
}

FNH_PLUGIN(.name = "procmem", .version = "1", .handle = procmem_handle)
