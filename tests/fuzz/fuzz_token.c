/*
 * fuzz_token: a bearer token, as any client sends it, through
 * token_verify() with a fixed secret, and through a cache of verified
 * tokens kept across inputs.  A finding is a crash or undefined
 * behaviour, or a token accepted without a signature made with the
 * secret: the fuzzer can not make one, so any acceptance is a bug.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/store.h"
#include "daemon/token.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const unsigned char secret[32] =
		"fnhost fuzzing secret, 32 bytes";
	static struct token_cache *cache;
	struct store_token rec;
	char jwt[4097], err[512];

	if (size >= sizeof(jwt))
		return 0;
	if (!cache && !(cache = token_cache_new(secret)))
		abort();
	memcpy(jwt, data, size);
	jwt[size] = '\0';
	if (token_verify(secret, jwt, 1700000000, &rec, err, sizeof(err)) == 0)
		abort();
	if (token_cache_verify(cache, jwt, 1700000000, &rec, err,
			       sizeof(err)) == 0)
		abort();
	return 0;
}
