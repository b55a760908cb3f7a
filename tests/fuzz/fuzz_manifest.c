/*
 * fuzz_manifest: MANIFEST text, as a deploy's upload brings it, through
 * bundle_manifest_parse().  A finding is a crash, a leak or undefined
 * behaviour on bytes a publisher (or anyone who can reach a deploy)
 * controls; an accepted manifest must also hold only checked names.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "formats/bundle.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bundle_manifest m;
	char err[512];
	size_t i;

	if (bundle_manifest_parse((const char *)data, size, &m, err,
				  sizeof(err)) == 0) {
		for (i = 0; i < m.n; i++)
			if (bundle_name_check(m.entries[i].name,
					      strlen(m.entries[i].name), err,
					      sizeof(err)) < 0)
				abort(); /* a name the parser should refuse */
		bundle_manifest_free(&m);
	}
	return 0;
}
