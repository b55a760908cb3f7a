/*
 * spin: never returns from handle(), burning CPU.  Only the host's invoke
 * time limit (or the CPU rlimit behind it) ends the invoke.
 */
#include <fnhost/plugin.h>

static int
spin_handle(const struct fnh_host *host, struct fnh_call *call,
	    const void *input, size_t input_len)
{
	volatile unsigned long n = 0;

	(void)host;
	(void)call;
	(void)input;
	(void)input_len;
	for (;;)
		n++;
	return 0;
}

FNH_PLUGIN(.name = "spin", .version = "1.0", .description = "loops forever",
	   .handle = spin_handle)
