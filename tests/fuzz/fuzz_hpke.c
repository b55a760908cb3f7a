/*
 * fuzz_hpke: what a client can send encrypted, through the host's
 * openers with a fixed key pair: the first byte picks an fnh1: text
 * (hpke_decrypt_text) or an encrypted invoke (hpke_ohttp_open_request
 * and, when it opens, the sealed answer).  A finding is a crash or
 * undefined behaviour; an input that opens is a forgery, as only the
 * holder of the public key's secret (not the fuzzer) can make one.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "formats/hpke.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* Any function's checksum: the openers are bound to one. */
	static const char SUM[] = "6b6d1c8b21f896269554cf633da084b25b49706a"
				  "8efb41463687f353e0395171";
	static const unsigned char sk[HPKE_NSK] =
		"fnhost fuzzing HPKE key, 32 by";
	unsigned char *pt = NULL;
	struct hpke_ohttp st;
	size_t len = 0;
	char err[256];

	if (size < 1)
		return 0;
	if (data[0] & 1) {
		if (hpke_decrypt_text(sk, SUM, (const char *)data + 1, size - 1,
				      &pt, &len, err, sizeof(err)) == 0)
			abort();
		return 0;
	}
	memset(&st, 0, sizeof(st));
	if (hpke_ohttp_open_request(&st, 0, sk, SUM, data + 1, size - 1, &pt,
				    &len, err, sizeof(err)) == 0)
		abort();
	hpke_ohttp_clear(&st);
	return 0;
}
