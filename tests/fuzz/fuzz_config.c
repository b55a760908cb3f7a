/*
 * fuzz_config: fnhost.conf text through config_parse(), which takes any
 * bytes.  A finding is a crash or undefined behaviour, or an accepted
 * file that breaks a cross-key rule the parser promises to hold.
 */
#include <stdint.h>
#include <stdlib.h>

#include "formats/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config c;
	char err[1024];

	config_defaults(&c);
	if (config_parse(&c, (const char *)data, size, "fuzz.conf", err,
			 sizeof(err)) == 0 &&
	    (c.sessions_per_function > c.sessions_total ||
	     c.token_default_ttl_s > c.token_max_ttl_s ||
	     c.session_idle_ms > c.session_lifetime_ms))
		abort();
	return 0;
}
