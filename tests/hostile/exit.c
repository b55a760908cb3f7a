/*
 * exit: leaves handle() without returning.  Input:
 *	exit		exit(0), running the worker's atexit handlers
 *	_exit		_exit(0)
 *	thread_exit	pthread_exit() from the thread that runs handle()
 *	ignore_term	ignore SIGTERM and SIGINT, then sleep: a host that
 *			asks nicely must follow up with SIGKILL
 * The invoke must fail and no process stay behind.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
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

static int
exit_handle(const struct fnh_host *h, struct fnh_call *c, const void *input,
	    size_t input_len)
{
	char how[64];

	arg_copy(how, sizeof(how), input, input_len);
	if (strcmp(how, "exit") == 0)
		exit(0);
	if (strcmp(how, "_exit") == 0)
		_exit(0);
	if (strcmp(how, "thread_exit") == 0)
		pthread_exit(NULL);
	if (strcmp(how, "ignore_term") == 0) {
		signal(SIGTERM, SIG_IGN);
		signal(SIGINT, SIG_IGN);
		signal(SIGHUP, SIG_IGN);
		sleep(1000);
		return say(h, c, "ESCAPED: slept through the time limit");
	}
	return h->fail(c, "unknown way %s", how);
}

FNH_PLUGIN(.name = "exit", .version = "1", .handle = exit_handle)
