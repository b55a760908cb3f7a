/*
 * null_handle: a malformed plugin for tests/e2e/descriptor.t.  Its handle is
 * NULL.
 * Everything else in the descriptor is valid, so the host's message must
 * name exactly this field.
 */
#include <fnhost/plugin.h>

__attribute__((visibility("default"))) const struct fnh_plugin *
fnh_plugin_v1(void)
{
	static const struct fnh_plugin desc = {
		.magic = FNH_PLUGIN_MAGIC,
		.size = sizeof(struct fnh_plugin),
		.abi_major = FNH_ABI_MAJOR,
		.abi_minor = FNH_ABI_MINOR,
		.name = "malformed",
		.version = "1.0",
		.handle = NULL,
	};

	return &desc;
}
