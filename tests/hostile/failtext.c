/*
 * failtext: fails every invoke with a fixed text plus the input, so the
 * test can check the text arrives exactly; "long" asks for a text far over
 * any sane limit, which the host must cut, not choke on.
 */
#define _GNU_SOURCE
#include <string.h>

#include <fnhost/plugin.h>

/* Copy the input into buf as a C string, cut to fit. */
static void
arg_copy(char *buf, size_t n, const void *in, size_t len)
{
	if (len >= n)
		len = n - 1;
	if (len > 0)
		memcpy(buf, in, len);
	buf[len] = '\0';
}

static int
failtext_handle(const struct fnh_host *h, struct fnh_call *c, const void *input,
		size_t input_len)
{
	static char big[1 << 20];
	char arg[256];

	arg_copy(arg, sizeof(arg), input, input_len);
	if (strcmp(arg, "long") == 0) {
		memset(big, 'x', sizeof(big) - 1);
		return h->fail(c, "%s", big);
	}
	h->output(c, "partial output", 14);
	return h->fail(c, "failtext says no: %s", arg);
}

FNH_PLUGIN(.name = "failtext", .version = "1", .handle = failtext_handle)
