/*
 * slow_fini: an echo whose fini() takes its time, as a plugin that flushes
 * state at close might: 250 ms, or as many milliseconds (up to 950) as the
 * last input that is a bare number says.  The end-to-end tests close many
 * of its sessions at once to check that every worker is still reaped and
 * every scratch dir still wiped when closes answer before fini() is done,
 * at shutdown included.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <fnhost/plugin.h>

/* The session's own: a worker serves one session. */
static long fini_ms = 250;

static void
take_delay(const void *input, size_t input_len)
{
	char buf[8], *end;
	long ms;

	if (input_len == 0 || input_len >= sizeof(buf))
		return;
	memcpy(buf, input, input_len);
	buf[input_len] = '\0';
	ms = strtol(buf, &end, 10);
	if (*end == '\0' && ms >= 0 && ms <= 950)
		fini_ms = ms;
}

static int
slow_fini_handle(const struct fnh_host *host, struct fnh_call *call,
		 const void *input, size_t input_len)
{
	take_delay(input, input_len);
	if (input_len > 0 && host->output(call, input, input_len) < 0)
		return host->fail(call, "output limit reached");
	return 0;
}

static void
slow_fini_fini(const struct fnh_host *host)
{
	struct timespec ts = { .tv_sec = fini_ms / 1000,
			       .tv_nsec = fini_ms % 1000 * 1000000 };

	(void)host;
	nanosleep(&ts, NULL);
}

FNH_PLUGIN(.name = "slow_fini", .version = "1.0",
	   .description = "echoes, and takes its time to close",
	   .handle = slow_fini_handle, .fini = slow_fini_fini)
