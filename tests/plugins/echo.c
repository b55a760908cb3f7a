/*
 * echo: a well-behaved test plugin whose output is its input, byte for
 * byte.  The end-to-end tests use it to check that bytes cross the worker
 * boundary unchanged, and the hostile suite to check that the host still
 * serves a fresh session after an attack.
 */
#include <fnhost/plugin.h>

static int
echo_handle(const struct fnh_host *host, struct fnh_call *call,
	    const void *input, size_t input_len)
{
	if (input_len == 0)
		return 0;
	if (host->output(call, input, input_len) < 0)
		return host->fail(call, "output limit reached");
	return 0;
}

FNH_PLUGIN(.name = "echo", .version = "1.0", .description = "returns its input",
	   .handle = echo_handle)
