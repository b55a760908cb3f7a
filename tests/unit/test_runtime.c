/* Descriptor checks, in the order the ABI fixes them, and the channel's
 * bounds as the host applies them to a hostile worker. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "sandbox/channel.h"
#include "sandbox/runtime.h"

static int
ok_handle(const struct fnh_host *h, struct fnh_call *c, const void *in,
	  size_t len)
{
	(void)h;
	(void)c;
	(void)in;
	(void)len;
	return 0;
}

static struct fnh_plugin
good(void)
{
	struct fnh_plugin p = {
		.magic = FNH_PLUGIN_MAGIC,
		.size = sizeof(struct fnh_plugin),
		.abi_major = FNH_ABI_MAJOR,
		.abi_minor = FNH_ABI_MINOR,
		.name = "echo",
		.version = "1.0",
		.handle = ok_handle,
	};
	return p;
}

static void
expect_refused(const struct fnh_plugin *p, const char *field)
{
	char err[256];

	assert_int_equal(runtime_check_descriptor(p, err, sizeof(err)), -1);
	assert_non_null(strstr(err, field));
}

static void
test_good_descriptor(void **state)
{
	struct fnh_plugin p = good();
	char err[256];

	(void)state;
	assert_int_equal(runtime_check_descriptor(&p, err, sizeof(err)), 0);
	p.size += 64; /* a later minor version may grow the struct */
	assert_int_equal(runtime_check_descriptor(&p, err, sizeof(err)), 0);
}

static void
test_field_order(void **state)
{
	struct fnh_plugin p = good();

	(void)state;
	expect_refused(NULL, "NULL");
	/* Bad magic wins over everything else that is wrong. */
	p.magic = 0x31484e46;
	p.size = 1;
	p.abi_major = 9;
	expect_refused(&p, "magic");
	p.magic = FNH_PLUGIN_MAGIC;
	expect_refused(&p, "size");
	p.size = sizeof(p);
	expect_refused(&p, "abi_major");
}

static void
test_fields(void **state)
{
	struct fnh_plugin p;

	(void)state;
	p = good();
	p.handle = NULL;
	expect_refused(&p, "handle");
	p = good();
	p.name = NULL;
	expect_refused(&p, "name");
	p = good();
	p.name = "Bad Name";
	expect_refused(&p, "name");
	p = good();
	p.name = "";
	expect_refused(&p, "name");
	p = good();
	p.version = NULL;
	expect_refused(&p, "version");
	p = good();
	p.reserved[7] = &p;
	expect_refused(&p, "reserved[7]");
}

static void
test_channel_bounds(void **state)
{
	struct chan_hdr hdr;
	char buf[16];
	int sv[2];

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	/* A frame of an allowed type within the limit reads back whole. */
	assert_int_equal(chan_send(sv[1], CHAN_DONE, "abcd", 4, 0), 0);
	assert_int_equal(chan_read_hdr(sv[0], &hdr, CHAN_BIT(CHAN_DONE), 4, 0),
			 0);
	assert_int_equal(hdr.len, 4);
	assert_int_equal(chan_read_full(sv[0], buf, 4, 0), 0);
	assert_memory_equal(buf, "abcd", 4);
	/* Over the length limit, or a type not expected: EPROTO. */
	assert_int_equal(chan_send(sv[1], CHAN_DONE, "abcde", 5, 0), 0);
	assert_int_equal(chan_read_hdr(sv[0], &hdr, CHAN_BIT(CHAN_DONE), 4, 0),
			 -1);
	assert_int_equal(errno, EPROTO);
	assert_int_equal(chan_read_full(sv[0], buf, 5, 0), 0);
	assert_int_equal(chan_send(sv[1], CHAN_SETUP, NULL, 0, 0), 0);
	assert_int_equal(chan_read_hdr(sv[0], &hdr, CHAN_BIT(CHAN_DONE), 4, 0),
			 -1);
	assert_int_equal(errno, EPROTO);
	/* A garbage type number far out of range. */
	hdr.type = 0xdeadbeef;
	hdr.len = 0;
	assert_int_equal(write(sv[1], &hdr, sizeof(hdr)), (ssize_t)sizeof(hdr));
	assert_int_equal(chan_read_hdr(sv[0], &hdr, ~0u, 4, 0), -1);
	assert_int_equal(errno, EPROTO);
	/* Nothing comes: the deadline ends the wait. */
	assert_int_equal(fcntl(sv[0], F_SETFL, O_NONBLOCK), 0);
	assert_int_equal(chan_read_full(sv[0], buf, 1, clock_now_ms() + 50),
			 -1);
	assert_int_equal(errno, ETIMEDOUT);
	/* The peer goes away mid-frame: ECONNRESET, not a hang. */
	assert_int_equal(write(sv[1], "ab", 2), 2);
	close(sv[1]);
	assert_int_equal(chan_read_full(sv[0], buf, 4, clock_now_ms() + 1000),
			 -1);
	assert_int_equal(errno, ECONNRESET);
	close(sv[0]);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_descriptor),
		cmocka_unit_test(test_field_order),
		cmocka_unit_test(test_fields),
		cmocka_unit_test(test_channel_bounds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
