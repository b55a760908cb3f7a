/*
 * log_forge: a plugin that tries to forge whole lines of fnhostd's log,
 * through its log() lines, its init() failure text (a ready session made
 * ahead fails half the time) and its invoke errors; and floods log().
 * tests/e2e/logs.t checks that every line of the log is still one of
 * fnhostd's own.
 */
#include <stddef.h>
#include <string.h>

#include <fnhost/plugin.h>

#define FORGED                                                                 \
	"x\nfnhostd: ts=2026-01-01T00:00:00.000Z level=info "                  \
	"event=trust_add key=FORGED\r\n"

static int
forge_init(const struct fnh_host *host)
{
	unsigned char coin = 0;

	host->log(1, "init " FORGED);
	if (host->random(&coin, 1) == 0 && (coin & 1))
		return host->fail(NULL, "init refuses " FORGED);
	return 0;
}

static int
forge_handle(const struct fnh_host *host, struct fnh_call *call,
	     const void *input, size_t input_len)
{
	int i, n = input_len == 5 && !memcmp(input, "flood", 5) ? 5000 : 1;

	for (i = 0; i < n; i++)
		host->log(2, "handle \"quoted\" \\ " FORGED);
	if (input_len == 4 && !memcmp(input, "fail", 4))
		return host->fail(call, "failing " FORGED);
	return host->output(call, "ok", 2) < 0 ? -1 : 0;
}

FNH_PLUGIN(.name = "log_forge", .version = "1.0", .init = forge_init,
	   .handle = forge_handle)
