/*
 * socket: reaches the network or a local service.  Input, one per session:
 *	inet:PORT	TCP connect to 127.0.0.1:PORT (the test listens there)
 *	inet6:PORT	TCP connect to [::1]:PORT
 *	udp:PORT	UDP datagram to 127.0.0.1:PORT
 *	unix:PATH	connect to a Unix socket path (the test listens there)
 *	abstract:NAME	connect to the abstract Unix socket "\0NAME"
 *	netlink		NETLINK_ROUTE socket and a link dump request
 *	packet		AF_PACKET raw socket
 *	raw		AF_INET raw ICMP socket
 *	vsock		AF_VSOCK connect to the host (CID 2), port 1024
 *	socketpair	AF_UNIX socketpair
 * seccomp answers socket() and socketpair() with EACCES; the empty
 * network namespace and Landlock stand behind it.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/vm_sockets.h>

#include <fnhost/plugin.h>

/* Copy the input into buf as a C string, cut to fit. */
static void
arg_copy(char *buf, size_t n, const void *in, size_t len)
{
	if (len >= n)
		len = n - 1;
	if (len > 0)
		memcpy(buf, in, len);
	buf[len] = '\0';
}

/* Append one formatted line to the invoke's output.  Returns 0, or -1
 * when the host refused it. */
static int __attribute__((format(printf, 3, 4)))
say(const struct fnh_host *h, struct fnh_call *c, const char *fmt, ...)
{
	char line[2048];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -1;
	if ((size_t)n > sizeof(line) - 2)
		n = (int)sizeof(line) - 2;
	line[n++] = '\n';
	return h->output(c, line, (size_t)n);
}

/* Report a failed step with its errno, as "blocked: what: reason". */
static int
blocked(const struct fnh_host *h, struct fnh_call *c, const char *what, int err)
{
	return say(h, c, "blocked: %s: %s", what, strerror(err));
}

static const char hello[] = "ESCAPED: hello from a sandboxed plugin\n";

static int
try_inet(int family, int type, const char *port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6 };
	struct sockaddr *sa = (struct sockaddr *)&sin;
	socklen_t salen = sizeof(sin);
	int fd = socket(family, type | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	sin.sin_port = sin6.sin6_port = htons((uint16_t)atoi(port));
	inet_pton(AF_INET, "127.0.0.1", &sin.sin_addr);
	inet_pton(AF_INET6, "::1", &sin6.sin6_addr);
	if (family == AF_INET6) {
		sa = (struct sockaddr *)&sin6;
		salen = sizeof(sin6);
	}
	if (connect(fd, sa, salen) < 0 ||
	    send(fd, hello, sizeof(hello) - 1, 0) < 0) {
		int err = errno;

		close(fd);
		errno = err;
		return -1;
	}
	close(fd);
	return 0;
}

static int
try_unix(const char *name, int abstract)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	size_t len = strlen(name);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	if (len + 2 > sizeof(sun.sun_path))
		len = sizeof(sun.sun_path) - 2;
	memcpy(sun.sun_path + abstract, name, len);
	if (connect(fd, (struct sockaddr *)&sun,
		    (socklen_t)(offsetof(struct sockaddr_un, sun_path) +
				abstract + len + !abstract)) < 0 ||
	    send(fd, hello, sizeof(hello) - 1, 0) < 0) {
		int err = errno;

		close(fd);
		errno = err;
		return -1;
	}
	close(fd);
	return 0;
}

static int
try_netlink(void)
{
	struct {
		struct nlmsghdr nh;
		struct rtgenmsg g;
	} req = {
		.nh = { .nlmsg_len = sizeof(req),
			.nlmsg_type = RTM_GETLINK,
			.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP },
		.g = { .rtgen_family = AF_UNSPEC },
	};
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	int rc = 0;

	if (fd < 0)
		return -1;
	if (send(fd, &req, sizeof(req), 0) < 0)
		rc = -1;
	close(fd);
	return rc;
}

static int
try_vsock(void)
{
	struct sockaddr_vm svm = { .svm_family = AF_VSOCK,
				   .svm_cid = VMADDR_CID_HOST,
				   .svm_port = 1024 };
	int fd = socket(AF_VSOCK, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int rc = 0;

	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&svm, sizeof(svm)) < 0)
		rc = -1;
	close(fd);
	return rc;
}

static int
try_plain(int family, int type, int proto)
{
	int fd = socket(family, type | SOCK_CLOEXEC, proto);

	if (fd < 0)
		return -1;
	close(fd);
	return 0;
}

static int
try_socketpair(void)
{
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return -1;
	close(sv[0]);
	close(sv[1]);
	return 0;
}

/* Returns 0 when the attempt worked, -1 with errno, -2 if op is unknown. */
static int
attack(const char *op, const char *arg)
{
	if (strcmp(op, "inet") == 0)
		return try_inet(AF_INET, SOCK_STREAM, arg);
	if (strcmp(op, "inet6") == 0)
		return try_inet(AF_INET6, SOCK_STREAM, arg);
	if (strcmp(op, "udp") == 0)
		return try_inet(AF_INET, SOCK_DGRAM, arg);
	if (strcmp(op, "unix") == 0)
		return try_unix(arg, 0);
	if (strcmp(op, "abstract") == 0)
		return try_unix(arg, 1);
	if (strcmp(op, "netlink") == 0)
		return try_netlink();
	if (strcmp(op, "packet") == 0)
		return try_plain(AF_PACKET, SOCK_RAW, htons(3 /* ETH_P_ALL */));
	if (strcmp(op, "raw") == 0)
		return try_plain(AF_INET, SOCK_RAW, IPPROTO_ICMP);
	if (strcmp(op, "vsock") == 0)
		return try_vsock();
	if (strcmp(op, "socketpair") == 0)
		return try_socketpair();
	return -2;
}

static int
socket_handle(const struct fnh_host *h, struct fnh_call *c, const void *input,
	      size_t input_len)
{
	char op[1024], *arg;
	int rc;

	arg_copy(op, sizeof(op), input, input_len);
	arg = strchr(op, ':');
	if (arg != NULL)
		*arg++ = '\0';
	else
		arg = op + strlen(op);
	rc = attack(op, arg);
	if (rc == -2)
		return h->fail(c, "unknown op %s", op);
	if (rc < 0)
		return blocked(h, c, op, errno);
	return say(h, c, "ESCAPED: %s %s worked", op, arg);
}

FNH_PLUGIN(.name = "socket", .version = "1", .handle = socket_handle)
