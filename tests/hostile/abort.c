/*
 * abort: calls abort(), i.e. raises SIGABRT on itself.  The invoke must
 * fail and the session end.
 */
#define _GNU_SOURCE
#include <stdlib.h>

#include <fnhost/plugin.h>

static int
abort_handle(const struct fnh_host *h, struct fnh_call *c, const void *input,
	     size_t input_len)
{
	(void)h;
	(void)c;
	(void)input;
	(void)input_len;
	abort();
}

FNH_PLUGIN(.name = "abort", .version = "1", .handle = abort_handle)
