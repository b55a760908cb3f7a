/*
 * init_fail: a plugin whose init() refuses the session with a fail() text.
 * tests/e2e/descriptor.t checks that the text reaches the user and that
 * handle() is never called.
 */
#include <stddef.h>

#include <fnhost/plugin.h>

static int
refuse_init(const struct fnh_host *host)
{
	return host->fail(NULL, "init_fail refuses: missing licence %d", 42);
}

static int
never_handle(const struct fnh_host *host, struct fnh_call *call,
	     const void *input, size_t input_len)
{
	static const char msg[] = "ESCAPED: handle ran after init failed";

	(void)input;
	(void)input_len;
	if (host->output(call, msg, sizeof(msg) - 1) < 0)
		return -1;
	return 0;
}

FNH_PLUGIN(.name = "init_fail", .version = "1.0", .init = refuse_init,
	   .handle = never_handle)
