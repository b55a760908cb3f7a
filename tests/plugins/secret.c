/*
 * secret: a test plugin that answers the value of the secret its input
 * names (host->secret()), and fails when its function has no such
 * secret, so that secrets.t can see which worker holds what.
 */
#include <fnhost/plugin.h>
#include <stdio.h>

static int
secret_handle(const struct fnh_host *host, struct fnh_call *call,
	      const void *input, size_t input_len)
{
	char key[65], value[4096];
	int n;

	if (!FNH_HOST_HAS(host, secret))
		return host->fail(call, "the host has no secret()");
	snprintf(key, sizeof(key), "%.*s", (int)input_len, (const char *)input);
	n = host->secret(key, NULL, 0);
	if (n < 0)
		return host->fail(call, "no secret '%s'", key);
	if (host->secret(key, value, sizeof(value)) != n)
		return host->fail(call, "secret '%s' changed length", key);
	if (host->output(call, value, (size_t)n) < 0)
		return host->fail(call, "output limit reached");
	return 0;
}

/* Its name is what a test needs the function to be called: the host
 * refuses a bundle signed under another name than its descriptor's, and
 * the Makefile builds this again as svc and as other. */
#ifndef TEST_PLUGIN_NAME
#define TEST_PLUGIN_NAME "secret"
#endif

FNH_PLUGIN(.name = TEST_PLUGIN_NAME, .version = "1.0",
	   .description = "answers the secret its input names",
	   .handle = secret_handle)
