/*
 * segv: dereferences a bad pointer.  The invoke must fail, the session
 * end, and the host survive.
 */
#define _GNU_SOURCE
#include <stdint.h>

#include <fnhost/plugin.h>

static int
segv_handle(const struct fnh_host *h, struct fnh_call *c, const void *input,
	    size_t input_len)
{
	/* Through a volatile, so the compiler can not see the address. */
	volatile uintptr_t addr = 16;
	int *p = (int *)addr;

	(void)h;
	(void)c;
	(void)input;
	*p = (int)input_len;
	return 0;
}

FNH_PLUGIN(.name = "segv", .version = "1", .handle = segv_handle)
