/*
 * bad_size: a malformed plugin for tests/e2e/descriptor.t.  Its size is
 * smaller than the ABI v1 descriptor.
 * Everything else in the descriptor is valid, so the host's message must
 * name exactly this field.
 */
#include <fnhost/plugin.h>

static int ok_handle(const struct fnh_host *host, struct fnh_call *call,
		     const void *input, size_t input_len)
{
	(void)call;
	(void)input;
	(void)input_len;
	host->log(FNH_LOG_ERROR, "a refused plugin was invoked");
	return -1;
}

__attribute__((visibility("default"))) const struct fnh_plugin *
fnh_plugin_v1(void)
{
	static const struct fnh_plugin desc = {
		.magic = FNH_PLUGIN_MAGIC,
		.size = 16, /* up to abi_minor only */
		.abi_major = FNH_ABI_MAJOR,
		.abi_minor = FNH_ABI_MINOR,
		.name = "malformed",
		.version = "1.0",
		.handle = ok_handle,
	};

	return &desc;
}
