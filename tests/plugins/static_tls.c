/*
 * static_tls: a plugin that dlopen() can not load.  It needs 1 MiB of
 * initial-exec TLS, far more than the static TLS surplus a running process
 * keeps for dlopen()ed objects, so dlopen(RTLD_NOW) fails with "cannot
 * allocate memory in static TLS block".  tests/e2e/descriptor.t checks
 * that the host relays the loader's reason and survives.
 *
 * (A plugin with an unresolved symbol would show the same path, but the
 * build links test plugins with -Wl,--no-undefined, which refuses to
 * produce one.)
 */
#include <fnhost/plugin.h>

static __thread volatile char big_tls[1 << 20]
	__attribute__((tls_model("initial-exec")));

static int
tls_handle(const struct fnh_host *host, struct fnh_call *call,
	   const void *input, size_t input_len)
{
	static const char msg[] = "ESCAPED: static_tls was loaded";

	big_tls[input_len % sizeof(big_tls)] = 1;
	if (host->output(call, msg, sizeof(msg) - 1) < 0)
		return -1;
	(void)input;
	return 0;
}

FNH_PLUGIN(.name = "static_tls", .version = "1.0", .handle = tls_handle)
