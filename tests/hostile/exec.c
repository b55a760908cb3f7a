/*
 * exec: runs another program.  Input "HOW:CMD", CMD a shell command line:
 *	sh	execve("/bin/sh", {"sh", "-c", CMD})
 *	at	execveat(AT_FDCWD, "/bin/sh", ...)
 *	scratch	copy the dynamic loader into the scratch dir, make it
 *		executable and execve() it (Landlock grants no EXECUTE there)
 *	memfd	memfd_create, copy the dynamic loader into it, fexecve()
 * seccomp has no exec at all: the worker must die (or the call fail).  If
 * an exec did happen, CMD (from the test) writes ESCAPED to the worker's
 * stdout and stderr and then loops, so the test sees either the word or a
 * time-out instead of a crash.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
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

#define LOADER "/lib64/ld-linux-x86-64.so.2"

/* Copy the file at src into fd.  Returns 0, or -1 with errno. */
static int
copy_into(const char *src, int fd)
{
	char buf[65536];
	ssize_t n;
	int in = open(src, O_RDONLY | O_CLOEXEC), rc = 0;

	if (in < 0)
		return -1;
	while ((n = read(in, buf, sizeof(buf))) > 0) {
		if (write(fd, buf, (size_t)n) != n) {
			rc = -1;
			break;
		}
	}
	if (n < 0)
		rc = -1;
	close(in);
	return rc;
}

static int
exec_scratch(char *const argv[], char *const envp[])
{
	int fd = open("evil-exe", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
		      0755);

	if (fd < 0)
		return -1;
	if (copy_into(LOADER, fd) < 0) {
		close(fd);
		return -1;
	}
	close(fd);
	if (chmod("evil-exe", 0755) < 0)
		return -1;
	return execve("evil-exe", argv, envp);
}

static int
exec_memfd(char *const argv[], char *const envp[])
{
	int fd = memfd_create("evil", 0);

	if (fd < 0)
		return -1;
	if (copy_into(LOADER, fd) < 0)
		return -1;
	return fexecve(fd, argv, envp);
}

static int
exec_handle(const struct fnh_host *h, struct fnh_call *c, const void *input,
	    size_t input_len)
{
	char arg[1024], *cmd;
	char *argv[] = { "sh", "-c", NULL, NULL };
	char *envp[] = { NULL };

	arg_copy(arg, sizeof(arg), input, input_len);
	cmd = strchr(arg, ':');
	if (cmd == NULL)
		return h->fail(c, "input is not HOW:CMD");
	*cmd++ = '\0';
	argv[2] = cmd;
	if (strcmp(arg, "sh") == 0)
		execve("/bin/sh", argv, envp);
	else if (strcmp(arg, "at") == 0)
		syscall(SYS_execveat, AT_FDCWD, "/bin/sh", argv, envp, 0);
	else if (strcmp(arg, "scratch") == 0)
		exec_scratch(argv, envp);
	else if (strcmp(arg, "memfd") == 0)
		exec_memfd(argv, envp);
	else
		return h->fail(c, "unknown way %s", arg);
	return blocked(h, c, arg, errno);
}

FNH_PLUGIN(.name = "exec", .version = "1", .handle = exec_handle)
