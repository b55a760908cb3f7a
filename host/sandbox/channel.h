/*
 * channel.h: the framed byte stream between the host and one worker.
 *
 * A frame is a header (type, payload length; both uint32 in host byte
 * order, since both ends run on the same machine) followed by the payload.
 * The stream is a SOCK_STREAM Unix socket: frames may be any size, and
 * file descriptors ride along with the SETUP frame as SCM_RIGHTS.
 *
 * The worker side is trusted to nothing: the plugin shares the worker's
 * address space and can write anything into the socket.  So the host reads
 * with a deadline, checks every type and length against its limits before
 * allocating, and treats any surprise as the worker breaking the protocol.
 */
#ifndef FNHOST_CHANNEL_H
#define FNHOST_CHANNEL_H

#include <stddef.h>
#include <stdint.h>

#include "base/clock.h"

enum chan_type {
	/* host -> worker */
	CHAN_SETUP = 1,	  /* struct chan_setup + two paths; 3 fds */
	CHAN_INVOKE = 2,  /* the input bytes */
	CHAN_SECRETS = 3, /* right after SETUP, always: see below */
	/* worker -> host */
	CHAN_READY = 16,  /* plugin loaded, init ok: "name\0version" */
	CHAN_REFUSE = 17, /* plugin could not be loaded or init failed: text */
	CHAN_OUTPUT = 18, /* a piece of the invoke's output */
	CHAN_LOG = 19,	  /* int32 level + text */
	CHAN_DONE = 20,	  /* int32 status + error text; ends an invoke */
};

/* Payload limits for what the host accepts from a worker. */
#define CHAN_MAX_TEXT 4096	  /* REFUSE, LOG, READY */
#define CHAN_MAX_CHUNK (1u << 20) /* one OUTPUT frame */

/* The longest error text of a DONE frame of an invoke whose output may
 * be max_output bytes: as long as that output, within one frame, and
 * never shorter than a text frame's. */
static inline size_t
chan_error_max(size_t max_output)
{
	size_t max = max_output;

	if (max < CHAN_MAX_TEXT - sizeof(int32_t))
		max = CHAN_MAX_TEXT - sizeof(int32_t);
	if (max > CHAN_MAX_CHUNK - sizeof(int32_t))
		max = CHAN_MAX_CHUNK - sizeof(int32_t);
	return max;
}

struct chan_hdr {
	uint32_t type;
	uint32_t len;
};

/* The fixed head of a SETUP payload; bundle_dir and scratch_dir follow,
 * each NUL-terminated, lengths including the NUL.  The fds, in order:
 * bundle dir (O_PATH), scratch dir (O_PATH), sealed plugin memfd. */
struct chan_setup {
	uint32_t max_input;
	uint32_t max_output;
	uint32_t bundle_dir_len;
	uint32_t scratch_dir_len;
};
#define CHAN_SETUP_NFDS 3

/* The SECRETS payload: the function's secrets, none or more of
 * { uint32 key_len; uint32 value_len; key bytes; value bytes }, keys
 * without a NUL, each at most CHAN_SECRET_KEY_MAX, values at most
 * CHAN_SECRET_VALUE_MAX, the whole at most CHAN_SECRETS_MAX.  Only the
 * worker of that function's session ever receives it. */
#define CHAN_SECRET_KEY_MAX 64
#define CHAN_SECRET_VALUE_MAX 4096
#define CHAN_SECRETS_MAX                                                       \
	(64u * (8 + CHAN_SECRET_KEY_MAX + CHAN_SECRET_VALUE_MAX))

/* Write one frame, retrying on EINTR and short writes.  fd may be
 * non-blocking; then the write waits at most until deadline_ms (a
 * time from clock_now_ms(); 0 = no deadline).  Returns 0, or
 * -1 with errno (ETIMEDOUT past the deadline, EPIPE when the peer is gone). */
int chan_send(int fd, uint32_t type, const void *buf, size_t len,
	      int64_t deadline_ms);

/* Like chan_send() for a payload in two pieces (head, then body). */
int chan_send2(int fd, uint32_t type, const void *a, size_t alen, const void *b,
	       size_t blen, int64_t deadline_ms);

/* Send a frame with fds attached (SCM_RIGHTS) on a blocking socket. */
int chan_send_fds(int fd, uint32_t type, const void *buf, size_t len,
		  const int *fds, size_t nfds);

/* Read exactly len bytes, waiting at most until deadline_ms (0 = none).
 * Returns 0, or -1 with errno: ETIMEDOUT, ECONNRESET at end of stream. */
int chan_read_full(int fd, void *buf, size_t len, int64_t deadline_ms);

/* chan_read_full() that, when fd (non-blocking) has nothing yet, calls
 * wait(ctx) instead of polling to a deadline: 0 to read again, or -1
 * with errno set, which it returns. */
int chan_read_full_wait(int fd, void *buf, size_t len, int (*wait)(void *ctx),
			void *ctx);

/* Read a frame header and check it: type must be one of the bits set in
 * the allowed mask (1u << (type & 31) for the worker-to-host types, or the
 * host-to-worker ones), len at most max_len.  Returns 0, or -1 with errno:
 * EPROTO for an unexpected type or a length over max_len. */
int chan_read_hdr(int fd, struct chan_hdr *hdr, uint32_t allowed_mask,
		  size_t max_len, int64_t deadline_ms);

/* chan_read_hdr()'s check of a header read by other means. */
int chan_check_hdr(const struct chan_hdr *hdr, uint32_t allowed_mask,
		   size_t max_len);

/* Receive a frame that carries exactly nfds fds, on a blocking socket.  The
 * payload must fit buf (len in *len, updated).  Returns 0, or -1 with errno
 * (EPROTO when the frame or its fds are not as expected; received fds are
 * closed then). */
int chan_recv_fds(int fd, uint32_t type, void *buf, size_t *len, int *fds,
		  size_t nfds);

/* The bit for type in an allowed mask. */
#define CHAN_BIT(type) (1u << ((type)&31))

#endif
