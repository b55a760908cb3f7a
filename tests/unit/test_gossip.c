/*
 * test_gossip.c: fnhost-node's wire format (gossip.h): a known answer for
 * one message, the round trip, and every refusal by name.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "node/gossip.h"

/* Two members: 127.0.0.1:5000 with heartbeat 7 and 10.0.0.2:5001 with
 * 0x01020304, sent by 5001 in epoch 3. */
/* clang-format off */
static const unsigned char known[] = {
	'F', 'N', 'G', '1', 1, 1, 2, 0, 0x89, 0x13, 0, 0, 3, 0, 0, 0, 0, 0,
	127, 0, 0, 1, 0x88, 0x13, 0, 0, 7, 0, 0, 0,
	10, 0, 0, 2, 0x89, 0x13, 0, 0, 4, 3, 2, 1,
};
/* clang-format on */

static void
fill(struct gossip_msg *m)
{
	memset(m, 0, sizeof(*m));
	m->sender = 5001;
	m->epoch = 3;
	m->count = 2;
	memcpy(&m->entries[0].addr, "\x7f\0\0\x01", 4);
	m->entries[0].port = 5000;
	m->entries[0].heartbeat = 7;
	memcpy(&m->entries[1].addr, "\x0a\0\0\x02", 4);
	m->entries[1].port = 5001;
	m->entries[1].heartbeat = 0x01020304;
}

static void
test_known_answer(void **state)
{
	unsigned char buf[GOSSIP_MAX_BYTES];
	struct gossip_msg m, back;
	const char *why = NULL;

	(void)state;
	fill(&m);
	assert_int_equal(gossip_encode(&m, buf), sizeof(known));
	assert_memory_equal(buf, known, sizeof(known));
	assert_int_equal(gossip_decode(known, sizeof(known), &back, &why), 0);
	assert_int_equal(back.sender, 5001);
	assert_int_equal(back.epoch, 3);
	assert_int_equal(back.count, 2);
	for (size_t i = 0; i < 2; i++) {
		assert_int_equal(back.entries[i].addr, m.entries[i].addr);
		assert_int_equal(back.entries[i].port, m.entries[i].port);
		assert_int_equal(back.entries[i].heartbeat,
				 m.entries[i].heartbeat);
	}
}

static void
refused(const unsigned char *buf, size_t len, const char *want)
{
	struct gossip_msg m;
	const char *why = NULL;

	assert_int_equal(gossip_decode(buf, len, &m, &why), -1);
	assert_string_equal(why, want);
}

static void
test_refusals(void **state)
{
	unsigned char b[sizeof(known) + 1];

	(void)state;
	refused(known, 17, "too short");
	refused(known, sizeof(known) - 1, "bad length");
	memcpy(b, known, sizeof(known));
	b[sizeof(known)] = 0;
	refused(b, sizeof(known) + 1, "bad length");
	b[0] = 'X';
	refused(b, sizeof(known), "bad magic");
	memcpy(b, known, sizeof(known));
	b[4] = 2;
	refused(b, sizeof(known), "unknown version or type");
	memcpy(b, known, sizeof(known));
	b[6] = 0;
	refused(b, sizeof(known), "bad member count");
	b[6] = GOSSIP_MAX_MEMBERS + 1;
	refused(b, sizeof(known), "bad member count");
	memcpy(b, known, sizeof(known));
	b[8] = b[9] = 0;
	refused(b, sizeof(known), "bad sender");
	memcpy(b, known, sizeof(known));
	b[22] = b[23] = 0;
	refused(b, sizeof(known), "bad member");
	memcpy(b, known, sizeof(known));
	memset(b + 18, 0, 4);
	refused(b, sizeof(known), "bad member");
}

static void
test_most_members(void **state)
{
	unsigned char buf[GOSSIP_MAX_BYTES];
	struct gossip_msg m, back;
	const char *why;
	size_t i;

	(void)state;
	memset(&m, 0, sizeof(m));
	m.sender = 1;
	m.count = GOSSIP_MAX_MEMBERS;
	for (i = 0; i < m.count; i++) {
		m.entries[i].addr = 0x0100007f;
		m.entries[i].port = (uint16_t)(i + 1);
		m.entries[i].heartbeat = (uint32_t)i;
	}
	assert_int_equal(gossip_encode(&m, buf), GOSSIP_MAX_BYTES);
	assert_int_equal(gossip_decode(buf, GOSSIP_MAX_BYTES, &back, &why), 0);
	assert_int_equal(back.count, GOSSIP_MAX_MEMBERS);
	assert_int_equal(back.entries[63].port, 64);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_known_answer),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_most_members),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
