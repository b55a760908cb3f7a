/*
 * thread: the first invoke leaves a thread spinning and returns normally;
 * later invokes answer "still here".  A background thread is allowed: the
 * next invoke of the session must still work.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

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

static void *
spinner(void *arg)
{
	volatile unsigned long *n = arg;

	for (;;)
		(*n)++;
	return NULL;
}

static int
thread_handle(const struct fnh_host *h, struct fnh_call *c, const void *input,
	      size_t input_len)
{
	static volatile unsigned long spins;
	pthread_t t;
	int err;

	if (input_len == 5 && memcmp(input, "start", 5) == 0) {
		err = pthread_create(&t, NULL, spinner, (void *)&spins);
		if (err != 0)
			return h->fail(c, "pthread_create: %s", strerror(err));
		pthread_detach(t);
		return say(h, c, "started");
	}
	return say(h, c, "still here");
}

FNH_PLUGIN(.name = "thread", .version = "1", .handle = thread_handle)
