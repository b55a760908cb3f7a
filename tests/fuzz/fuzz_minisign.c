/*
 * fuzz_minisign: a publisher key (POST /v1/trust, a trusted .pub file) and a
 * signature file (MANIFEST.minisig of a deploy) through their parsers,
 * and a parsed signature through minisign_verify() against a parsed key
 * over the rest of the input.  Two 16-bit big-endian lengths come first:
 * the key's, then the signature's.  A finding is a crash or undefined
 * behaviour, or a signature that still verifies once the message it
 * verified has one bit changed.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "formats/minisign.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct minisign_pubkey pk;
	struct minisign_sig sig;
	unsigned char *msg;
	size_t a, b;
	char err[512];
	int have_pk;

	if (size < 4)
		return 0;
	a = 4 + ((size_t)data[0] << 8 | data[1]);
	b = a + ((size_t)data[2] << 8 | data[3]);
	if (a > size || b > size)
		return 0;
	have_pk = minisign_pubkey_parse((const char *)data + 4, a - 4, &pk, err,
					sizeof(err)) == 0;
	if (minisign_sig_parse((const char *)data + a, b - a, &sig, err,
			       sizeof(err)) < 0 ||
	    !have_pk ||
	    minisign_verify(&pk, 1, &sig, data + b, size - b, NULL, err,
			    sizeof(err)) < 0 ||
	    size == b)
		return 0;
	/* It verified: then the same message with one bit changed must not. */
	msg = malloc(size - b);
	if (!msg)
		return 0;
	memcpy(msg, data + b, size - b);
	msg[(size - b) / 2] ^= 1;
	if (minisign_verify(&pk, 1, &sig, msg, size - b, NULL, err,
			    sizeof(err)) == 0)
		abort();
	free(msg);
	return 0;
}
