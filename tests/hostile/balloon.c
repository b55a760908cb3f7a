/*
 * balloon: allocates memory in 16 MiB blocks, writing every page, up to
 * 2 GiB, four times the host's default worker memory limit.  The address
 * space limit must stop it first: malloc() returns NULL (blocked) or the
 * worker dies.  (The cap keeps a host without the limit alive.)
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

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

#define BLOCK (16UL << 20)
#define BLOCKS_MAX 128UL

static int
balloon_handle(const struct fnh_host *h, struct fnh_call *c, const void *input,
	       size_t input_len)
{
	unsigned long n, i;

	(void)input;
	(void)input_len;
	for (n = 0; n < BLOCKS_MAX; n++) {
		volatile char *p = malloc(BLOCK);

		if (p == NULL)
			break;
		for (i = 0; i < BLOCK; i += 4096)
			p[i] = 1;
	}
	if (n == BLOCKS_MAX)
		return say(h, c, "ESCAPED: %lu MiB allocated", n * 16);
	return say(h, c, "blocked: malloc failed after %lu MiB", n * 16);
}

FNH_PLUGIN(.name = "balloon", .version = "1", .handle = balloon_handle)
