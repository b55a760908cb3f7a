/*
 * fuzz_pyjson: any bytes through the plugins' json.loads(bytes)
 * (plugins/common/pyjson.c), as every invoke of a seed plugin reads its
 * input.  A finding is a crash or undefined behaviour, or a value whose
 * json.dump() text does not read back to the same text: dump(loads(t))
 * must be a fixed point once t is a dump, as it is in Python.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pyjson.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const unsigned char key[16] = "fuzz-pyjson-key";
	struct pyv *v, *again;
	char err[512], *text, *text2;
	size_t len, len2;

	pyv_hash_setkey(key);
	v = pyjson_loads(data, size, err, sizeof(err));
	if (!v) {
		if (!memchr(err, '\0', sizeof(err)) || !err[0])
			abort(); /* every refusal has a text */
		return 0;
	}
	text = pyjson_dump(v, &len, err, sizeof(err));
	pyv_free(v);
	if (!text)
		return 0; /* a lone surrogate: Python refuses to write it too */
	again = pyjson_loads(text, len, err, sizeof(err));
	if (!again)
		abort(); /* what json.dump wrote, json.loads reads */
	text2 = pyjson_dump(again, &len2, err, sizeof(err));
	pyv_free(again);
	if (!text2 || len2 != len || memcmp(text, text2, len) != 0)
		abort();
	free(text);
	free(text2);
	return 0;
}
