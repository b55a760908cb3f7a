/*
 * stack: recurses without bound until the stack runs out (SIGSEGV on the
 * guard page).  The invoke must fail and the session end.
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stdio.h>

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

static unsigned long
dive(volatile unsigned char *prev, unsigned long depth)
{
	volatile unsigned char frame[512];

	/* Never true before the stack runs out; it keeps the compiler
	 * from calling the recursion infinite. */
	if (depth == ~0UL)
		return 0;
	frame[0] = (unsigned char)depth;
	frame[511] = prev != NULL ? prev[0] : 0;
	return dive(frame, depth + 1) + frame[511];
}

static int
stack_handle(const struct fnh_host *h, struct fnh_call *c, const void *input,
	     size_t input_len)
{
	(void)input;
	(void)input_len;
	return say(h, c, "ESCAPED: recursion ended at %lu", dive(NULL, 0));
}

FNH_PLUGIN(.name = "stack", .version = "1", .handle = stack_handle)
