/*
 * gossip.c: the wire format of fnhost-node's membership gossip (see
 * gossip.h).  Fixed-size fields, read one by one, never cast from the
 * buffer.
 */
#include <string.h>

#include "node/gossip.h"

static void
put16(unsigned char *p, uint16_t v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
}

static void
put32(unsigned char *p, uint32_t v)
{
	put16(p, (uint16_t)v);
	put16(p + 2, (uint16_t)(v >> 16));
}

static uint16_t
get16(const unsigned char *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t
get32(const unsigned char *p)
{
	return (uint32_t)get16(p) | (uint32_t)get16(p + 2) << 16;
}

size_t
gossip_encode(const struct gossip_msg *m, unsigned char *buf)
{
	unsigned char *p = buf + GOSSIP_HEADER;
	size_t i, n = m->count < GOSSIP_MAX_MEMBERS ? m->count
						    : GOSSIP_MAX_MEMBERS;

	memcpy(buf, GOSSIP_MAGIC, 4);
	buf[4] = GOSSIP_VERSION;
	buf[5] = GOSSIP_TYPE;
	put16(buf + 6, (uint16_t)n);
	put16(buf + 8, m->sender);
	put16(buf + 10, 0);
	put32(buf + 12, m->epoch);
	put16(buf + 16, 0);
	for (i = 0; i < n; i++, p += GOSSIP_ENTRY) {
		/* The address stays in network order, byte for byte. */
		memcpy(p, &m->entries[i].addr, 4);
		put16(p + 4, m->entries[i].port);
		put16(p + 6, 0);
		put32(p + 8, m->entries[i].heartbeat);
	}
	return GOSSIP_HEADER + n * GOSSIP_ENTRY;
}

int
gossip_decode(const unsigned char *buf, size_t len, struct gossip_msg *m,
	      const char **why)
{
	const unsigned char *p = buf + GOSSIP_HEADER;
	size_t i, n;

	if (len < GOSSIP_HEADER) {
		*why = "too short";
		return -1;
	}
	if (memcmp(buf, GOSSIP_MAGIC, 4) != 0) {
		*why = "bad magic";
		return -1;
	}
	if (buf[4] != GOSSIP_VERSION || buf[5] != GOSSIP_TYPE) {
		*why = "unknown version or type";
		return -1;
	}
	n = get16(buf + 6);
	if (n == 0 || n > GOSSIP_MAX_MEMBERS) {
		*why = "bad member count";
		return -1;
	}
	if (len != GOSSIP_HEADER + n * GOSSIP_ENTRY) {
		*why = "bad length";
		return -1;
	}
	m->sender = get16(buf + 8);
	m->epoch = get32(buf + 12);
	m->count = n;
	if (m->sender == 0) {
		*why = "bad sender";
		return -1;
	}
	for (i = 0; i < n; i++, p += GOSSIP_ENTRY) {
		memcpy(&m->entries[i].addr, p, 4);
		m->entries[i].port = get16(p + 4);
		m->entries[i].heartbeat = get32(p + 8);
		if (m->entries[i].port == 0 || m->entries[i].addr == 0) {
			*why = "bad member";
			return -1;
		}
	}
	return 0;
}
