/*
 * closefds: closes every fd above 2, its channel to the host included, and
 * returns success.  The host must see the worker go silent and fail the
 * invoke, not hang.
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stdio.h>
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

static int
closefds_handle(const struct fnh_host *h, struct fnh_call *c, const void *input,
		size_t input_len)
{
	int fd;

	(void)input;
	(void)input_len;
	for (fd = 3; fd < 1024; fd++)
		close(fd);
	return say(h, c, "ESCAPED: output after closing the channel");
}

FNH_PLUGIN(.name = "closefds", .version = "1", .handle = closefds_handle)
