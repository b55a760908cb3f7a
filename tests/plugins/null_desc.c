/*
 * null_desc: a malformed plugin for tests/e2e/descriptor.t.  Its
 * fnh_plugin_v1() returns NULL instead of a descriptor.
 */
#include <stddef.h>

#include <fnhost/plugin.h>

__attribute__((visibility("default"))) const struct fnh_plugin *
fnh_plugin_v1(void)
{
	return NULL;
}
