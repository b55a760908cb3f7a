/*
 * ptrace: reaches into another process.  Input, one per session:
 *	traceme			PTRACE_TRACEME
 *	attach:1		PTRACE_ATTACH to pid 1
 *	attach:ppid		PTRACE_ATTACH to getppid()
 *	attach:PID		PTRACE_ATTACH to a pid the test gives (a
 *				process of the worker's own uid)
 *	seize:PID		PTRACE_SEIZE
 *	vmread:PID		process_vm_readv of PID's stack
 *	pidfd_getfd:PID		pidfd_open + pidfd_getfd(PID, 0): steal an fd
 * seccomp allows none of these calls.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

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

static long
target_pid(const char *s)
{
	if (strcmp(s, "ppid") == 0)
		return getppid();
	return strtol(s, NULL, 10);
}

/* Returns the syscall's result, -1 with errno, or -2 for an unknown op. */
static long
attack(const char *op, long pid)
{
	if (strcmp(op, "traceme") == 0)
		return ptrace(PTRACE_TRACEME, 0, NULL, NULL);
	if (strcmp(op, "attach") == 0)
		return ptrace(PTRACE_ATTACH, (pid_t)pid, NULL, NULL);
	if (strcmp(op, "seize") == 0)
		return ptrace(PTRACE_SEIZE, (pid_t)pid, NULL, NULL);
	if (strcmp(op, "vmread") == 0) {
		char buf[64];
		struct iovec local = { buf, sizeof(buf) };
		struct iovec remote = { (void *)0x7ff000000000UL, sizeof(buf) };

		return syscall(SYS_process_vm_readv, pid, &local, 1, &remote, 1,
			       0);
	}
	if (strcmp(op, "pidfd_getfd") == 0) {
		long pfd = syscall(SYS_pidfd_open, pid, 0);

		if (pfd < 0)
			return -1;
		return syscall(SYS_pidfd_getfd, pfd, 0, 0);
	}
	return -2;
}

static int
ptrace_handle(const struct fnh_host *h, struct fnh_call *c, const void *input,
	      size_t input_len)
{
	char arg[128], *colon;
	long pid = 0, rc;

	arg_copy(arg, sizeof(arg), input, input_len);
	colon = strchr(arg, ':');
	if (colon != NULL) {
		*colon++ = '\0';
		pid = target_pid(colon);
	}
	rc = attack(arg, pid);
	if (rc == -2)
		return h->fail(c, "unknown op %s", arg);
	if (rc < 0 && errno == EFAULT)
		return say(h, c, "ESCAPED: %s %ld was allowed (EFAULT)", arg,
			   pid);
	if (rc < 0)
		return blocked(h, c, arg, errno);
	return say(h, c, "ESCAPED: %s %ld returned %ld", arg, pid, rc);
}

FNH_PLUGIN(.name = "ptrace", .version = "1", .handle = ptrace_handle)
