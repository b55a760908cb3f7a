/*
 * fuzz_gossip: a datagram, as anyone on the network can send one to
 * fnhost-node, through gossip_decode().  A finding is a crash or
 * undefined behaviour, or an accepted message that does not encode back
 * to exactly the bytes it came from (the format has one spelling).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "node/gossip.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned char again[GOSSIP_MAX_BYTES];
	struct gossip_msg m;
	const char *why;
	size_t i, len;

	if (gossip_decode(data, size, &m, &why) < 0)
		return 0;
	len = gossip_encode(&m, again);
	if (len != size)
		abort();
	/* Padding is ignored on the way in and written as zero. */
	for (i = 0; i < len; i++)
		if (again[i] != data[i] && i != 10 && i != 11 && i != 16 &&
		    i != 17 &&
		    !(i >= GOSSIP_HEADER &&
		      ((i - GOSSIP_HEADER) % GOSSIP_ENTRY == 6 ||
		       (i - GOSSIP_HEADER) % GOSSIP_ENTRY == 7)))
			abort();
	return 0;
}
