/* channel.c: framing between host and worker (see channel.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sandbox/channel.h"

/* Wait until fd is ready for events or the deadline passes.  Returns 0, or
 * -1 with errno ETIMEDOUT. */
static int
wait_ready(int fd, short events, int64_t deadline_ms)
{
	struct pollfd pfd = { .fd = fd, .events = events };
	int64_t left;
	int n;

	for (;;) {
		left = -1;
		if (deadline_ms) {
			left = deadline_ms - clock_now_ms();
			if (left <= 0) {
				errno = ETIMEDOUT;
				return -1;
			}
		}
		n = poll(&pfd, 1,
			 left > (int64_t)1 << 30 ? 1 << 30 : (int)left);
		if (n > 0)
			return 0;
		if (n < 0 && errno != EINTR)
			return -1;
	}
}

/* Write every byte of iov, waiting for writability on EAGAIN. */
static int
write_iov(int fd, struct iovec *iov, int iovcnt, int64_t deadline_ms)
{
	ssize_t n;

	struct msghdr msg = { 0 };

	while (iovcnt > 0) {
		/* sendmsg, not writev: MSG_NOSIGNAL turns a dead peer into
		 * EPIPE instead of a SIGPIPE for the whole host. */
		msg.msg_iov = iov;
		msg.msg_iovlen = (size_t)iovcnt;
		n = sendmsg(fd, &msg, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN &&
			    wait_ready(fd, POLLOUT, deadline_ms) == 0)
				continue;
			return -1;
		}
		while (iovcnt > 0 && (size_t)n >= iov->iov_len) {
			n -= (ssize_t)iov->iov_len;
			iov++;
			iovcnt--;
		}
		if (iovcnt > 0) {
			iov->iov_base = (char *)iov->iov_base + n;
			iov->iov_len -= (size_t)n;
		}
	}
	return 0;
}

int
chan_send2(int fd, uint32_t type, const void *a, size_t alen, const void *b,
	   size_t blen, int64_t deadline_ms)
{
	struct chan_hdr hdr = { .type = type, .len = (uint32_t)(alen + blen) };
	struct iovec iov[3] = {
		{ .iov_base = &hdr, .iov_len = sizeof(hdr) },
		{ .iov_base = (void *)a, .iov_len = alen },
		{ .iov_base = (void *)b, .iov_len = blen },
	};

	if (alen + blen > UINT32_MAX || alen + blen < alen) {
		errno = EMSGSIZE;
		return -1;
	}
	return write_iov(fd, iov, 3, deadline_ms);
}

int
chan_send(int fd, uint32_t type, const void *buf, size_t len,
	  int64_t deadline_ms)
{
	return chan_send2(fd, type, buf, len, NULL, 0, deadline_ms);
}

int
chan_send_fds(int fd, uint32_t type, const void *buf, size_t len,
	      const int *fds, size_t nfds)
{
	struct chan_hdr hdr = { .type = type, .len = (uint32_t)len };
	union {
		char buf[CMSG_SPACE(sizeof(int) * 8)];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = { .iov_base = &hdr, .iov_len = sizeof(hdr) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *cmsg;
	ssize_t n;

	if (nfds > 8 || len > UINT32_MAX) {
		errno = EINVAL;
		return -1;
	}
	memset(&ctl, 0, sizeof(ctl));
	msg.msg_control = ctl.buf;
	msg.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
	cmsg = CMSG_FIRSTHDR(&msg);
	cmsg->cmsg_level = SOL_SOCKET;
	cmsg->cmsg_type = SCM_RIGHTS;
	cmsg->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
	memcpy(CMSG_DATA(cmsg), fds, sizeof(int) * nfds);
	/* The fds travel with the header's first byte; the rest is plain. */
	do
		n = sendmsg(fd, &msg, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -1;
	if ((size_t)n < sizeof(hdr)) {
		struct iovec rest[2] = {
			{ .iov_base = (char *)&hdr + n,
			  .iov_len = sizeof(hdr) - (size_t)n },
			{ .iov_base = (void *)buf, .iov_len = len },
		};
		return write_iov(fd, rest, 2, 0);
	}
	iov.iov_base = (void *)buf;
	iov.iov_len = len;
	return write_iov(fd, &iov, 1, 0);
}

int
chan_read_full_wait(int fd, void *buf, size_t len, int (*wait)(void *ctx),
		    void *ctx)
{
	char *p = buf;
	ssize_t n;

	while (len > 0) {
		n = read(fd, p, len);
		if (n > 0) {
			p += n;
			len -= (size_t)n;
			continue;
		}
		if (n == 0) {
			errno = ECONNRESET;
			return -1;
		}
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN && wait(ctx) == 0)
			continue;
		return -1;
	}
	return 0;
}

struct until {
	int fd;
	int64_t deadline_ms;
};

static int
wait_until(void *ctx)
{
	const struct until *u = ctx;

	return wait_ready(u->fd, POLLIN, u->deadline_ms);
}

int
chan_read_full(int fd, void *buf, size_t len, int64_t deadline_ms)
{
	struct until u = { .fd = fd, .deadline_ms = deadline_ms };

	return chan_read_full_wait(fd, buf, len, wait_until, &u);
}

int
chan_read_hdr(int fd, struct chan_hdr *hdr, uint32_t allowed_mask,
	      size_t max_len, int64_t deadline_ms)
{
	if (chan_read_full(fd, hdr, sizeof(*hdr), deadline_ms) < 0)
		return -1;
	return chan_check_hdr(hdr, allowed_mask, max_len);
}

int
chan_check_hdr(const struct chan_hdr *hdr, uint32_t allowed_mask,
	       size_t max_len)
{
	if (hdr->type >= 32 || !(allowed_mask & CHAN_BIT(hdr->type)) ||
	    hdr->len > max_len) {
		errno = EPROTO;
		return -1;
	}
	return 0;
}

static void
close_all(int *fds, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (fds[i] >= 0)
			close(fds[i]);
}

int
chan_recv_fds(int fd, uint32_t type, void *buf, size_t *len, int *fds,
	      size_t nfds)
{
	struct chan_hdr hdr;
	union {
		char buf[CMSG_SPACE(sizeof(int) * 8)];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = { .iov_base = &hdr, .iov_len = sizeof(hdr) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *cmsg;
	size_t i, got = 0;
	ssize_t n;

	for (i = 0; i < nfds; i++)
		fds[i] = -1;
	msg.msg_control = ctl.buf;
	msg.msg_controllen = sizeof(ctl.buf);
	do
		n = recvmsg(fd, &msg, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n <= 0) {
		if (n == 0)
			errno = ECONNRESET;
		return -1;
	}
	for (cmsg = CMSG_FIRSTHDR(&msg); cmsg; cmsg = CMSG_NXTHDR(&msg, cmsg)) {
		size_t k, m;

		if (cmsg->cmsg_level != SOL_SOCKET ||
		    cmsg->cmsg_type != SCM_RIGHTS)
			continue;
		m = (cmsg->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (k = 0; k < m; k++) {
			int f;

			memcpy(&f, CMSG_DATA(cmsg) + k * sizeof(int),
			       sizeof(f));
			if (got < nfds)
				fds[got] = f;
			else
				close(f);
			got++;
		}
	}
	if ((size_t)n < sizeof(hdr) &&
	    chan_read_full(fd, (char *)&hdr + n, sizeof(hdr) - (size_t)n, 0))
		goto fail;
	if (got != nfds || (msg.msg_flags & MSG_CTRUNC) || hdr.type != type ||
	    hdr.len > *len) {
		errno = EPROTO;
		goto fail;
	}
	if (chan_read_full(fd, buf, hdr.len, 0) < 0)
		goto fail;
	*len = hdr.len;
	return 0;
fail:
	close_all(fds, nfds);
	for (i = 0; i < nfds; i++)
		fds[i] = -1;
	return -1;
}
