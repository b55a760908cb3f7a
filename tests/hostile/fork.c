/*
 * fork: makes a new process.  Input, one way per session:
 *	fork		fork()
 *	vfork_exec	vfork(), then execve /bin/sh -c CMD-less true
 *	clone		raw clone(SIGCHLD): a fork without glibc
 *	clone_vm	clone(CLONE_VM | SIGCHLD) with its own stack: a process
 *			sharing memory, but not a thread
 *	clone_newuser	a thread-like clone that also asks for CLONE_NEWUSER
 *	clone_parent	thread flags plus CLONE_PARENT
 *	clone3		raw clone3 for a plain child (its flags hide behind
 *			a pointer seccomp can not read)
 *	posix_spawn	posix_spawn("/bin/true")
 * seccomp allows clone only with the thread flags: the worker must die or
 * the call must fail.  A child that does appear exits at once.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/sched.h>

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

static char child_stack[64 * 1024] __attribute__((aligned(16)));

static int
child_fn(void *arg)
{
	(void)arg;
	syscall(SYS_exit_group, 0);
	return 0;
}

static long
do_clone3(void)
{
	struct clone_args args;

	memset(&args, 0, sizeof(args));
	args.exit_signal = SIGCHLD;
	return syscall(SYS_clone3, &args, sizeof(args));
}

/* Start a child the way named.  Returns its pid (> 0) in the parent, -1
 * with errno on failure, -2 for an unknown way; a child never returns. */
static long
start_child(const char *how)
{
	long pid;

	if (strcmp(how, "fork") == 0)
		pid = fork();
	else if (strcmp(how, "vfork_exec") == 0) {
		pid = vfork();
		if (pid == 0) {
			char *argv[] = { "true", NULL }, *envp[] = { NULL };

			execve("/bin/true", argv, envp);
			_exit(127);
		}
	} else if (strcmp(how, "clone") == 0)
		pid = syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0);
	else if (strcmp(how, "clone_vm") == 0)
		return clone(child_fn, child_stack + sizeof(child_stack),
			     CLONE_VM | SIGCHLD, NULL);
	else if (strcmp(how, "clone_newuser") == 0)
		return clone(child_fn, child_stack + sizeof(child_stack),
			     CLONE_VM | CLONE_SIGHAND | CLONE_THREAD |
				     CLONE_NEWUSER,
			     NULL);
	else if (strcmp(how, "clone_parent") == 0)
		return clone(child_fn, child_stack + sizeof(child_stack),
			     CLONE_VM | CLONE_SIGHAND | CLONE_THREAD |
				     CLONE_PARENT,
			     NULL);
	else if (strcmp(how, "clone3") == 0)
		pid = do_clone3();
	else if (strcmp(how, "posix_spawn") == 0) {
		char *argv[] = { "true", NULL }, *envp[] = { NULL };
		pid_t p;
		int err = posix_spawn(&p, "/bin/true", NULL, NULL, argv, envp);

		if (err != 0) {
			errno = err;
			return -1;
		}
		return p;
	} else
		return -2;
	if (pid == 0)
		syscall(SYS_exit_group, 0);
	return pid;
}

static int
fork_handle(const struct fnh_host *h, struct fnh_call *c, const void *input,
	    size_t input_len)
{
	char how[64];
	long pid;

	arg_copy(how, sizeof(how), input, input_len);
	pid = start_child(how);
	if (pid == -2)
		return h->fail(c, "unknown way %s", how);
	if (pid < 0)
		return blocked(h, c, how, errno);
	return say(h, c, "ESCAPED: %s made process %ld", how, pid);
}

FNH_PLUGIN(.name = "fork", .version = "1", .handle = fork_handle)
