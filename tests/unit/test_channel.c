/*
 * test_channel.c: the worker channel's framing (sandbox/channel.h) over a
 * Unix socketpair.  Every frame type round-trips, with and without fds;
 * a length over the limit, an unknown or unexpected type, and a too-long
 * send are refused without reading or writing a payload byte; a peer that
 * closes mid-frame is ECONNRESET, one that stalls is ETIMEDOUT at the
 * deadline; a frame written a few bytes at a time is reassembled.  The
 * host's end is non-blocking, as worker.c makes it, so deadlines hold.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "base/clock.h"
#include "sandbox/channel.h"

/* sv[0] is the host's end (non-blocking), sv[1] the worker's. */
static int sv[2];

static int
setup_pair(void **state)
{
	(void)state;
	/* A test that hangs is killed, and so fails. */
	alarm(30);
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return -1;
	return fcntl(sv[0], F_SETFL, fcntl(sv[0], F_GETFL) | O_NONBLOCK);
}

static int
teardown_pair(void **state)
{
	(void)state;
	alarm(0);
	if (sv[0] >= 0)
		close(sv[0]);
	if (sv[1] >= 0)
		close(sv[1]);
	return 0;
}

/* Bytes waiting on fd, without taking them. */
static ssize_t
pending(int fd)
{
	char buf[64];

	return recv(fd, buf, sizeof(buf), MSG_PEEK | MSG_DONTWAIT);
}

static void
write_all(int fd, const void *buf, size_t len)
{
	assert_int_equal(write(fd, buf, len), (ssize_t)len);
}

/* fork(), with a child that dies with its parent: a test that fails
 * leaves no writer behind holding the output open. */
static pid_t
fork_child(void)
{
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0)
		prctl(PR_SET_PDEATHSIG, SIGKILL);
	return pid;
}

/* Fork a child that writes len bytes to fd chunk bytes at a time, a
 * millisecond apart, then exits 0 (1 on a failed write). */
static pid_t
slow_writer(int fd, const void *buf, size_t len, size_t chunk)
{
	const char *p = buf;
	pid_t pid = fork_child();

	if (pid > 0)
		return pid;
	while (len > 0) {
		size_t n = len < chunk ? len : chunk;
		struct timespec ms = { 0, 1000000 };

		if (write(fd, p, n) != (ssize_t)n)
			_exit(1);
		p += n;
		len -= n;
		nanosleep(&ms, NULL);
	}
	_exit(0);
}

static void
reap(pid_t pid)
{
	int status;

	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

/* Read one frame from the host's end; its type and payload must be as
 * given. */
static void
expect_frame(uint32_t type, const void *want, size_t len)
{
	int64_t deadline = clock_now_ms() + 5000;
	struct chan_hdr hdr = { 0, 0 };
	char *got = malloc(len + 1);

	assert_non_null(got);
	assert_int_equal(chan_read_hdr(sv[0], &hdr, CHAN_BIT(type),
				       CHAN_MAX_CHUNK, deadline),
			 0);
	assert_int_equal(hdr.type, type);
	assert_int_equal(hdr.len, len);
	assert_int_equal(chan_read_full(sv[0], got, len, deadline), 0);
	assert_memory_equal(got, want, len);
	free(got);
}

static const uint32_t all_types[] = {
	CHAN_SETUP,  CHAN_INVOKE, CHAN_READY, CHAN_REFUSE,
	CHAN_OUTPUT, CHAN_LOG,	  CHAN_DONE,
};

static void
test_roundtrip_each_type(void **state)
{
	char payload[64];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(all_types) / sizeof(all_types[0]); i++) {
		int n = snprintf(payload, sizeof(payload), "frame %zu type %u",
				 i, all_types[i]);

		assert_int_equal(chan_send(sv[1], all_types[i], payload,
					   (size_t)n, 0),
				 0);
		expect_frame(all_types[i], payload, (size_t)n);
	}
	/* An empty INVOKE (an empty input) is a header alone. */
	assert_int_equal(chan_send(sv[1], CHAN_INVOKE, NULL, 0, 0), 0);
	expect_frame(CHAN_INVOKE, "", 0);
	assert_int_equal(pending(sv[0]), -1);
	assert_int_equal(errno, EAGAIN);
}

static void
test_roundtrip_two_pieces(void **state)
{
	int32_t status = -7;
	char want[sizeof(status) + 5];

	(void)state;
	memcpy(want, &status, sizeof(status));
	memcpy(want + sizeof(status), "boom!", 5);
	/* From the host's non-blocking end to the worker's, too. */
	assert_int_equal(chan_send2(sv[0], CHAN_DONE, &status, sizeof(status),
				    "boom!", 5, clock_now_ms() + 1000),
			 0);
	{
		struct chan_hdr hdr;
		char got[sizeof(want)];

		assert_int_equal(chan_read_full(sv[1], &hdr, sizeof(hdr), 0),
				 0);
		assert_int_equal(hdr.type, CHAN_DONE);
		assert_int_equal(hdr.len, sizeof(want));
		assert_int_equal(chan_read_full(sv[1], got, sizeof(got), 0), 0);
		assert_memory_equal(got, want, sizeof(want));
	}
}

/* len bytes that differ from one KiB to the next, to be freed. */
static unsigned char *
pattern(size_t len, unsigned int mul)
{
	unsigned char *p = malloc(len);
	size_t i;

	assert_non_null(p);
	for (i = 0; i < len; i++)
		p[i] = (unsigned char)(i * mul + (i >> 10));
	return p;
}

static void
test_roundtrip_max_chunk(void **state)
{
	size_t len = CHAN_MAX_CHUNK;
	unsigned char *big = pattern(len, 7);
	pid_t pid;

	(void)state;
	/* More than a socket buffer: the child writes while we read. */
	pid = fork_child();
	if (pid == 0)
		_exit(chan_send(sv[1], CHAN_OUTPUT, big, len, 0) == 0 ? 0 : 1);
	expect_frame(CHAN_OUTPUT, big, len);
	reap(pid);
	free(big);
}

/* The host's non-blocking end sends more than the socket holds to a
 * worker that reads slowly: the partial writes resume where they were. */
static void
test_send_partial_writes(void **state)
{
	size_t len = CHAN_MAX_CHUNK;
	unsigned char *big = pattern(len, 13);
	pid_t pid;

	(void)state;
	pid = fork_child();
	if (pid == 0) {
		struct chan_hdr hdr;
		unsigned char *got = malloc(len);
		size_t off = 0;
		ssize_t n;

		if (!got || chan_read_full(sv[1], &hdr, sizeof(hdr), 0) ||
		    hdr.type != CHAN_INVOKE || hdr.len != len)
			_exit(1);
		while (off < len) {
			struct timespec ms = { 0, 1000000 };

			n = read(sv[1], got + off,
				 len - off < 4096 ? len - off : 4096);
			if (n <= 0)
				_exit(2);
			off += (size_t)n;
			if (off % (64 * 4096) == 0)
				nanosleep(&ms, NULL);
		}
		_exit(memcmp(got, big, len) ? 3 : 0);
	}
	assert_int_equal(chan_send(sv[0], CHAN_INVOKE, big, len,
				   clock_now_ms() + 10000),
			 0);
	reap(pid);
	free(big);
}

static void
test_fds_roundtrip(void **state)
{
	struct chan_setup setup = { .max_input = 65536,
				    .max_output = 1 << 20,
				    .bundle_dir_len = 2,
				    .scratch_dir_len = 2 };
	int fds[CHAN_SETUP_NFDS], got[CHAN_SETUP_NFDS], p[2];
	char buf[64], c = 0;
	size_t len = sizeof(buf);

	(void)state;
	assert_int_equal(pipe(p), 0);
	fds[0] = p[1];
	fds[1] = p[1];
	fds[2] = memfd_create("test", MFD_CLOEXEC);
	assert_true(fds[2] >= 0);
	assert_int_equal(chan_send_fds(sv[0], CHAN_SETUP, &setup, sizeof(setup),
				       fds, CHAN_SETUP_NFDS),
			 0);
	assert_int_equal(chan_recv_fds(sv[1], CHAN_SETUP, buf, &len, got,
				       CHAN_SETUP_NFDS),
			 0);
	assert_int_equal(len, sizeof(setup));
	assert_memory_equal(buf, &setup, sizeof(setup));
	/* The received fds are new ones for the same files. */
	assert_true(got[0] >= 0 && got[0] != p[1]);
	assert_int_equal(write(got[1], "k", 1), 1);
	assert_int_equal(read(p[0], &c, 1), 1);
	assert_int_equal(c, 'k');
	assert_int_equal(fcntl(got[2], F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
	close(got[0]);
	close(got[1]);
	close(got[2]);
	close(fds[2]);
	close(p[0]);
	close(p[1]);
}

/* How many fds this process has open. */
static int
open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)))
		n += e->d_name[0] != '.';
	closedir(d);
	return n - 1; /* the directory's own */
}

/* Receiving fds: the wrong type, the wrong number of fds or a payload
 * bigger than the buffer is EPROTO, with every received fd closed. */
static void
test_fds_refused(void **state)
{
	int fds[CHAN_SETUP_NFDS], got[CHAN_SETUP_NFDS], before;
	char buf[8];
	size_t len, i;

	(void)state;
	for (i = 0; i < CHAN_SETUP_NFDS; i++)
		fds[i] = memfd_create("test", MFD_CLOEXEC);
	before = open_fds();

	len = sizeof(buf);
	assert_int_equal(chan_send_fds(sv[0], CHAN_INVOKE, "abcd", 4, fds,
				       CHAN_SETUP_NFDS),
			 0);
	assert_int_equal(chan_recv_fds(sv[1], CHAN_SETUP, buf, &len, got,
				       CHAN_SETUP_NFDS),
			 -1);
	assert_int_equal(errno, EPROTO);
	for (i = 0; i < CHAN_SETUP_NFDS; i++)
		assert_int_equal(got[i], -1);
	assert_int_equal(open_fds(), before);
	assert_int_equal(chan_read_full(sv[1], buf, 4, 0), 0);

	len = sizeof(buf);
	assert_int_equal(chan_send_fds(sv[0], CHAN_SETUP, "abcd", 4, fds, 2),
			 0);
	assert_int_equal(chan_recv_fds(sv[1], CHAN_SETUP, buf, &len, got,
				       CHAN_SETUP_NFDS),
			 -1);
	assert_int_equal(errno, EPROTO);
	assert_int_equal(open_fds(), before);
	assert_int_equal(chan_read_full(sv[1], buf, 4, 0), 0);

	/* More fds than the frame should carry: the extra ones too. */
	len = sizeof(buf);
	assert_int_equal(chan_send_fds(sv[0], CHAN_SETUP, "abcd", 4, fds,
				       CHAN_SETUP_NFDS),
			 0);
	assert_int_equal(chan_recv_fds(sv[1], CHAN_SETUP, buf, &len, got,
				       CHAN_SETUP_NFDS - 1),
			 -1);
	assert_int_equal(errno, EPROTO);
	assert_int_equal(open_fds(), before);
	assert_int_equal(chan_read_full(sv[1], buf, 4, 0), 0);

	len = 3;
	assert_int_equal(chan_send_fds(sv[0], CHAN_SETUP, "abcd", 4, fds,
				       CHAN_SETUP_NFDS),
			 0);
	assert_int_equal(chan_recv_fds(sv[1], CHAN_SETUP, buf, &len, got,
				       CHAN_SETUP_NFDS),
			 -1);
	assert_int_equal(errno, EPROTO);
	assert_int_equal(len, 3);
	assert_int_equal(open_fds(), before);

	/* More than a frame may carry is refused before sending. */
	assert_int_equal(chan_send_fds(sv[0], CHAN_SETUP, "", 0, fds, 9), -1);
	assert_int_equal(errno, EINVAL);
	for (i = 0; i < CHAN_SETUP_NFDS; i++)
		close(fds[i]);
}

/* A length over the limit is refused on the header alone: the payload is
 * neither waited for nor read, so nothing is ever sized by it. */
static void
test_over_limit(void **state)
{
	struct chan_hdr bad = { .type = CHAN_READY, .len = CHAN_MAX_TEXT + 1 };
	struct chan_hdr huge = { .type = CHAN_OUTPUT, .len = UINT32_MAX };
	struct chan_hdr hdr;
	int64_t t0;

	(void)state;
	write_all(sv[1], &bad, sizeof(bad));
	write_all(sv[1], "payload", 7);
	assert_int_equal(chan_read_hdr(sv[0], &hdr, CHAN_BIT(CHAN_READY),
				       CHAN_MAX_TEXT, clock_now_ms() + 1000),
			 -1);
	assert_int_equal(errno, EPROTO);
	assert_int_equal(pending(sv[0]), 7);

	/* A header claiming 4 GiB with no payload at all: EPROTO at once,
	 * not a wait for bytes that never come. */
	assert_int_equal(chan_read_full(sv[0], (char[7]){ 0 }, 7, 0), 0);
	write_all(sv[1], &huge, sizeof(huge));
	t0 = clock_now_ms();
	assert_int_equal(chan_read_hdr(sv[0], &hdr, CHAN_BIT(CHAN_OUTPUT),
				       CHAN_MAX_CHUNK, t0 + 3000),
			 -1);
	assert_int_equal(errno, EPROTO);
	assert_true(clock_now_ms() - t0 < 1000);

	/* Exactly at the limit is a frame. */
	bad.len = CHAN_MAX_TEXT;
	write_all(sv[1], &bad, sizeof(bad));
	assert_int_equal(chan_read_hdr(sv[0], &hdr, CHAN_BIT(CHAN_READY),
				       CHAN_MAX_TEXT, clock_now_ms() + 1000),
			 0);
	assert_int_equal(hdr.len, CHAN_MAX_TEXT);
}

static void
refuse_type(uint32_t type, uint32_t allowed)
{
	struct chan_hdr h = { .type = type, .len = 0 }, hdr;

	write_all(sv[1], &h, sizeof(h));
	assert_int_equal(chan_read_hdr(sv[0], &hdr, allowed, CHAN_MAX_TEXT,
				       clock_now_ms() + 1000),
			 -1);
	assert_int_equal(errno, EPROTO);
}

static void
test_unknown_type(void **state)
{
	const uint32_t from_worker = CHAN_BIT(CHAN_READY) |
				     CHAN_BIT(CHAN_REFUSE) | CHAN_BIT(CHAN_LOG);

	(void)state;
	refuse_type(0, from_worker);
	refuse_type(3, from_worker);
	refuse_type(CHAN_INVOKE, from_worker); /* the other direction's */
	refuse_type(CHAN_OUTPUT, from_worker); /* known, not allowed now */
	/* Types of 32 and over never alias a bit of the mask. */
	refuse_type(32 + CHAN_READY, from_worker);
	refuse_type(64 + CHAN_LOG, UINT32_MAX);
	refuse_type(UINT32_MAX, UINT32_MAX);
	/* and an allowed one still passes after all that. */
	assert_int_equal(chan_send(sv[1], CHAN_LOG, "x", 1, 0), 0);
	expect_frame(CHAN_LOG, "x", 1);
}

static void
test_peer_closes_mid_header(void **state)
{
	struct chan_hdr h = { .type = CHAN_DONE, .len = 4 }, hdr;
	int64_t t0;

	(void)state;
	write_all(sv[1], &h, 5);
	close(sv[1]);
	sv[1] = -1;
	t0 = clock_now_ms();
	assert_int_equal(chan_read_hdr(sv[0], &hdr, CHAN_BIT(CHAN_DONE),
				       CHAN_MAX_TEXT, t0 + 3000),
			 -1);
	assert_int_equal(errno, ECONNRESET);
	assert_true(clock_now_ms() - t0 < 1000);
}

static void
test_peer_closes_mid_payload(void **state)
{
	struct chan_hdr hdr;
	char buf[100];
	int64_t t0;

	(void)state;
	assert_int_equal(chan_send(sv[1], CHAN_OUTPUT, "0123456789", 10, 0), 0);
	/* The header says 10 bytes; claim 100 by reading them. */
	assert_int_equal(chan_read_hdr(sv[0], &hdr, CHAN_BIT(CHAN_OUTPUT),
				       CHAN_MAX_CHUNK, 0),
			 0);
	close(sv[1]);
	sv[1] = -1;
	t0 = clock_now_ms();
	assert_int_equal(chan_read_full(sv[0], buf, sizeof(buf), t0 + 3000),
			 -1);
	assert_int_equal(errno, ECONNRESET);
	assert_true(clock_now_ms() - t0 < 1000);
}

/* A peer that stalls mid-frame, still connected: the deadline ends it. */
static void
test_stall_mid_frame(void **state)
{
	struct chan_hdr h = { .type = CHAN_DONE, .len = 4 }, hdr;
	int64_t t0, took;

	(void)state;
	write_all(sv[1], &h, 3);
	t0 = clock_now_ms();
	assert_int_equal(chan_read_hdr(sv[0], &hdr, CHAN_BIT(CHAN_DONE),
				       CHAN_MAX_TEXT, t0 + 200),
			 -1);
	took = clock_now_ms() - t0;
	assert_int_equal(errno, ETIMEDOUT);
	assert_true(took >= 199 && took < 2000);
}

static void
test_deadlines(void **state)
{
	char buf[16];
	char *big;
	int64_t t0, took;

	(void)state;
	/* Nothing comes. */
	t0 = clock_now_ms();
	assert_int_equal(chan_read_full(sv[0], buf, 1, t0 + 150), -1);
	took = clock_now_ms() - t0;
	assert_int_equal(errno, ETIMEDOUT);
	assert_true(took >= 149 && took < 2000);
	/* A deadline already past: no wait at all. */
	t0 = clock_now_ms();
	assert_int_equal(chan_read_full(sv[0], buf, 1, t0 - 1), -1);
	assert_int_equal(errno, ETIMEDOUT);
	assert_true(clock_now_ms() - t0 < 100);
	/* Nobody reads: a send bigger than the socket's buffers times out. */
	big = calloc(1, CHAN_MAX_CHUNK);
	assert_non_null(big);
	t0 = clock_now_ms();
	assert_int_equal(chan_send(sv[0], CHAN_INVOKE, big, CHAN_MAX_CHUNK,
				   t0 + 150),
			 -1);
	took = clock_now_ms() - t0;
	assert_int_equal(errno, ETIMEDOUT);
	assert_true(took >= 149 && took < 2000);
	free(big);
}

/* A frame arriving a few bytes at a time, header split too, is one
 * frame; and the one after it is read whole. */
static void
test_split_writes(void **state)
{
	unsigned char stream[2 * sizeof(struct chan_hdr) + 3000 + 5];
	struct chan_hdr h1 = { .type = CHAN_OUTPUT, .len = 3000 };
	struct chan_hdr h2 = { .type = CHAN_DONE, .len = 5 };
	unsigned char *p = stream;
	size_t i;
	pid_t pid;

	(void)state;
	memcpy(p, &h1, sizeof(h1));
	p += sizeof(h1);
	for (i = 0; i < h1.len; i++)
		*p++ = (unsigned char)(i % 251);
	memcpy(p, &h2, sizeof(h2));
	p += sizeof(h2);
	memcpy(p, "done!", 5);
	/* 3 bytes a write, a millisecond apart: about a second of pieces. */
	pid = slow_writer(sv[1], stream, sizeof(stream), 3);
	expect_frame(CHAN_OUTPUT, stream + sizeof(h1), h1.len);
	expect_frame(CHAN_DONE, "done!", 5);
	reap(pid);
}

static void
test_send_refusals(void **state)
{
	(void)state;
	/* More than a 32-bit length can say: nothing is written. */
	assert_int_equal(chan_send2(sv[0], CHAN_INVOKE, "a", 1, "b",
				    (size_t)UINT32_MAX, 0),
			 -1);
	assert_int_equal(errno, EMSGSIZE);
	assert_int_equal(pending(sv[1]), -1);
	assert_int_equal(errno, EAGAIN);
	/* A peer gone is EPIPE, not a SIGPIPE that would end this test. */
	close(sv[1]);
	sv[1] = -1;
	assert_int_equal(chan_send(sv[0], CHAN_INVOKE, "x", 1,
				   clock_now_ms() + 1000),
			 -1);
	assert_int_equal(errno, EPIPE);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup_pair, teardown_pair)
		T(test_roundtrip_each_type),
		T(test_roundtrip_two_pieces),
		T(test_roundtrip_max_chunk),
		T(test_send_partial_writes),
		T(test_fds_roundtrip),
		T(test_fds_refused),
		T(test_over_limit),
		T(test_unknown_type),
		T(test_peer_closes_mid_header),
		T(test_peer_closes_mid_payload),
		T(test_stall_mid_frame),
		T(test_deadlines),
		T(test_split_writes),
		T(test_send_refusals),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
