/*
 * echo: a well-behaved test plugin whose output is its input, byte for
 * byte.  The end-to-end tests use it to check that bytes cross the worker
 * boundary unchanged, and the hostile suite to check that the host still
 * serves a fresh session after an attack.
 */
#include <fnhost/plugin.h>

/* versions.t deploys it under another name too, as another plugin would
 * be: the Makefile builds it again with -DTEST_PLUGIN_NAME. */
#ifndef TEST_PLUGIN_NAME
#define TEST_PLUGIN_NAME "echo"
#endif

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

FNH_PLUGIN(.name = TEST_PLUGIN_NAME, .version = "1.0",
	   .description = "returns its input", .handle = echo_handle)
