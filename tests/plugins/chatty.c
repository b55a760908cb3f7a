/*
 * chatty: a test plugin that logs one line at each level around every
 * invoke and outputs its input, so that firsthour.t can see fnhost test
 * print each level by name, between the outputs of the invokes.
 */
#include <fnhost/plugin.h>

static int
chatty_handle(const struct fnh_host *host, struct fnh_call *call,
	      const void *input, size_t input_len)
{
	host->log(FNH_LOG_DEBUG, "debug %.*s", (int)input_len,
		  (const char *)input);
	host->log(FNH_LOG_INFO, "info %.*s", (int)input_len,
		  (const char *)input);
	host->log(FNH_LOG_WARNING, "warning %.*s", (int)input_len,
		  (const char *)input);
	host->log(FNH_LOG_ERROR, "error %.*s", (int)input_len,
		  (const char *)input);
	if (host->output(call, input, input_len) < 0)
		return host->fail(call, "output limit reached");
	return 0;
}

FNH_PLUGIN(.name = "chatty", .version = "2.5.1",
	   .description = "logs at every level, returns its input",
	   .handle = chatty_handle)
