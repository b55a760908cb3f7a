/*
 * initspin: its init() never returns and burns CPU meanwhile, so that
 * loading it must end by the CPU budget the host gives a load, not only
 * by the wall-clock limit.
 */
#include <fnhost/plugin.h>

static int
initspin_init(const struct fnh_host *h)
{
	volatile unsigned long n = 0;

	(void)h;
	for (;;)
		n++;
	return 0;
}

static int
initspin_handle(const struct fnh_host *h, struct fnh_call *c, const void *input,
		size_t input_len)
{
	(void)input;
	(void)input_len;
	return h->output(c, "loaded", 6);
}

FNH_PLUGIN(.name = "initspin", .version = "1", .init = initspin_init,
	   .handle = initspin_handle)
