/*
 * gossip.h: the membership protocol of fnhost-node(1).
 *
 * Every datagram is one message, little-endian, exactly this long:
 *
 *	magic "FNG1" | version 1 | type 1 (gossip) | count u16 |
 *	sender port u16 | pad u16 | epoch u32 |
 *	count x { IPv4 address u32 (network order) | port u16 | pad u16 |
 *		  heartbeat u32 }
 *
 * A node is named by its port (the seed names nodes so); the entries are
 * what the sender knows, itself included, each with the highest
 * heartbeat it has seen.  Anything else, shorter, longer, of another
 * version or with more than GOSSIP_MAX_MEMBERS entries, is refused.
 * gossip_encode() and gossip_decode() are pure: no I/O, any bytes.
 */
#ifndef FNHOST_GOSSIP_H
#define FNHOST_GOSSIP_H

#include <stddef.h>
#include <stdint.h>

#define GOSSIP_MAGIC "FNG1"
#define GOSSIP_VERSION 1
#define GOSSIP_TYPE 1
#define GOSSIP_MAX_MEMBERS 64
#define GOSSIP_HEADER 18
#define GOSSIP_ENTRY 12
#define GOSSIP_MAX_BYTES (GOSSIP_HEADER + GOSSIP_MAX_MEMBERS * GOSSIP_ENTRY)

struct gossip_entry {
	uint32_t addr; /* IPv4, network byte order */
	uint16_t port; /* also the node's id */
	uint32_t heartbeat;
};

struct gossip_msg {
	uint16_t sender; /* the sender's port */
	uint32_t epoch;	 /* the membership epoch it has seen */
	size_t count;
	struct gossip_entry entries[GOSSIP_MAX_MEMBERS];
};

/* Write m into buf (GOSSIP_MAX_BYTES at least); returns the length. */
size_t gossip_encode(const struct gossip_msg *m, unsigned char *buf);

/* Parse len bytes into m.  Returns 0, or -1 with why ("bad magic", "bad
 * length" ...) for anything that is not exactly one valid message. */
int gossip_decode(const unsigned char *buf, size_t len, struct gossip_msg *m,
		  const char **why);

#endif
