/*
 * threadbomb: starts threads with tiny stacks until the kernel refuses or
 * THREADS_MAX are running.  Without a per-worker cap one session could use
 * up its uid's (or the machine's) tasks and starve the others; the host
 * gives each worker a uid of its own and RLIMIT_NPROC on it.  Reaching
 * THREADS_MAX is reported as ESCAPED.  The threads sleep; they die with
 * the worker.
 */
#define _GNU_SOURCE
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
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

#define THREADS_MAX 1024

static void *
sleeper(void *arg)
{
	(void)arg;
	for (;;)
		sleep(1000);
	return NULL;
}

static int
threadbomb_handle(const struct fnh_host *h, struct fnh_call *c,
		  const void *input, size_t input_len)
{
	pthread_attr_t attr;
	pthread_t t;
	int n, err = 0;

	(void)input;
	(void)input_len;
	if (pthread_attr_init(&attr) != 0 ||
	    pthread_attr_setstacksize(&attr, PTHREAD_STACK_MIN) != 0 ||
	    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED) != 0)
		return h->fail(c, "pthread_attr setup failed");
	for (n = 0; n < THREADS_MAX; n++) {
		err = pthread_create(&t, &attr, sleeper, NULL);
		if (err != 0)
			break;
	}
	pthread_attr_destroy(&attr);
	if (n >= THREADS_MAX)
		return say(h, c, "ESCAPED: %d threads, no limit met", n);
	return say(h, c, "blocked: after %d threads: %s", n, strerror(err));
}

FNH_PLUGIN(.name = "threadbomb", .version = "1", .handle = threadbomb_handle)
