/*
 * kill: signals processes outside the worker.  Input, one per session:
 *	all		kill(-1, SIGKILL): everything the uid may signal
 *	pgrp		kill(0, SIGKILL): the process group it was born in
 *	ppid		kill(getppid(), SIGKILL)
 *	pid:PID		kill(PID, SIGKILL)
 *	tgkill:PID	tgkill(PID, PID, SIGKILL): allowed by seccomp for
 *			raise(), so the pid namespace and Landlock's
 *			signal scope must stop it
 *	tkill:PID	tkill(PID, SIGKILL)
 *	sigqueue:PID	rt_sigqueueinfo(PID, SIGKILL)
 *	setown:PID	F_SETOWN PID + F_SETSIG SIGKILL + O_ASYNC on every fd,
 *			so the kernel signals PID when I/O is possible
 *	setown_pgrp:PGID the same for a process group (F_SETOWN -PGID)
 * The test hands PIDs of a sentinel process running as the worker's uid
 * and checks that it survives.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
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

/* Make every open fd signal owner with SIGKILL on I/O.  Returns the number
 * of fds that took it; err gets the first errno. */
static int
setown_all(long owner, int *err)
{
	int fd, ok = 0;

	*err = 0;
	for (fd = 0; fd < 1024; fd++) {
		int fl = fcntl(fd, F_GETFL);

		if (fl < 0)
			continue;
		if (fcntl(fd, F_SETOWN, (int)owner) < 0 ||
		    fcntl(fd, F_SETSIG, SIGKILL) < 0 ||
		    fcntl(fd, F_SETFL, fl | O_ASYNC) < 0) {
			if (*err == 0)
				*err = errno;
			continue;
		}
		ok++;
	}
	return ok;
}

static long
attack(const char *op, long pid, int *err)
{
	siginfo_t si;
	long rc = -2;

	memset(&si, 0, sizeof(si));
	si.si_signo = SIGKILL;
	si.si_code = SI_QUEUE;
	if (strcmp(op, "all") == 0)
		rc = kill(-1, SIGKILL);
	else if (strcmp(op, "pgrp") == 0)
		rc = kill(0, SIGKILL);
	else if (strcmp(op, "ppid") == 0)
		rc = kill(getppid(), SIGKILL);
	else if (strcmp(op, "pid") == 0)
		rc = kill((pid_t)pid, SIGKILL);
	else if (strcmp(op, "tgkill") == 0)
		rc = syscall(SYS_tgkill, pid, pid, SIGKILL);
	else if (strcmp(op, "tkill") == 0)
		rc = syscall(SYS_tkill, pid, SIGKILL);
	else if (strcmp(op, "sigqueue") == 0)
		rc = syscall(SYS_rt_sigqueueinfo, pid, SIGKILL, &si);
	else if (strcmp(op, "setown") == 0 || strcmp(op, "setown_pgrp") == 0) {
		long owner = op[6] == '\0' ? pid : -pid;
		int n = setown_all(owner, err);

		if (n == 0 && *err != 0) {
			errno = *err;
			return -1;
		}
		return n;
	}
	*err = errno;
	return rc;
}

static int
kill_handle(const struct fnh_host *h, struct fnh_call *c, const void *input,
	    size_t input_len)
{
	char arg[128], *colon;
	long pid = 0, rc;
	int err;

	arg_copy(arg, sizeof(arg), input, input_len);
	colon = strchr(arg, ':');
	if (colon != NULL) {
		*colon++ = '\0';
		pid = strtol(colon, NULL, 10);
	}
	rc = attack(arg, pid, &err);
	if (rc == -2)
		return h->fail(c, "unknown op %s", arg);
	if (rc < 0)
		return blocked(h, c, arg, err);
	if (pid == getpid())
		return say(h, c, "self: pid %ld is the worker itself", pid);
	if (strncmp(arg, "setown", 6) == 0)
		return say(h, c, "armed: %ld fds signal %ld on I/O", rc, pid);
	return say(h, c, "ESCAPED: %s %ld delivered", arg, pid);
}

FNH_PLUGIN(.name = "kill", .version = "1", .handle = kill_handle)
