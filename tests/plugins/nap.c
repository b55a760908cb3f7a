/*
 * nap: sleeps for as many milliseconds as its input says (a decimal
 * number, at most 60000), then answers "woke".  The tests use it for an
 * invoke that holds its session without burning CPU.
 */
#include <time.h>

#include <fnhost/plugin.h>

static int
nap_handle(const struct fnh_host *host, struct fnh_call *call,
	   const void *input, size_t input_len)
{
	const char *in = input;
	struct timespec ts;
	unsigned long ms = 0;
	size_t i;

	for (i = 0; i < input_len && in[i] >= '0' && in[i] <= '9'; i++)
		if (ms < 60000)
			ms = ms * 10 + (unsigned long)(in[i] - '0');
	if (ms > 60000)
		ms = 60000;
	ts.tv_sec = (time_t)(ms / 1000);
	ts.tv_nsec = (long)(ms % 1000) * 1000000L;
	while (nanosleep(&ts, &ts) != 0)
		;
	if (host->output(call, "woke", 4) < 0)
		return host->fail(call, "output limit reached");
	return 0;
}

FNH_PLUGIN(.name = "nap", .version = "1.0",
	   .description = "sleeps for its input's milliseconds",
	   .handle = nap_handle)
