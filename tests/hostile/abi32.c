/*
 * abi32: makes system calls through the other x86 ABIs, which a filter
 * written for x86-64 numbers must not let through.  Input:
 *	i386_getpid	int $0x80 with eax = 20 (getpid on i386)
 *	i386_open	int $0x80 open("/etc/passwd") (eax = 5), the path
 *			in memory below 4 GiB
 *	x32_getpid	syscall 39 | __X32_SYSCALL_BIT
 *	x32_open	open("/etc/passwd") as an x32 call
 * seccomp kills foreign architectures; "ESCAPED" means a call ran.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
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

#define X32_BIT 0x40000000L

static long
int80(long nr, long a, long b, long c)
{
	long ret;

	__asm__ volatile("int $0x80"
			 : "=a"(ret)
			 : "a"(nr), "b"(a), "c"(b), "d"(c)
			 : "memory", "r8", "r9", "r10", "r11");
	return ret;
}

/* "/etc/passwd" in memory a 32-bit pointer can reach, or NULL. */
static char *
low_path(void)
{
	char *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	strcpy(p, "/etc/passwd");
	return p;
}

static int
abi32_handle(const struct fnh_host *h, struct fnh_call *c, const void *input,
	     size_t input_len)
{
	char how[64], *path;
	long rc;

	arg_copy(how, sizeof(how), input, input_len);
	if (strcmp(how, "i386_getpid") == 0)
		rc = int80(20, 0, 0, 0);
	else if (strcmp(how, "i386_open") == 0) {
		path = low_path();
		if (path == NULL)
			return blocked(h, c, "mmap MAP_32BIT", errno);
		rc = int80(5, (long)(uintptr_t)path, O_RDONLY, 0);
	} else if (strcmp(how, "x32_getpid") == 0)
		rc = syscall(X32_BIT | SYS_getpid);
	else if (strcmp(how, "x32_open") == 0)
		rc = syscall(X32_BIT | SYS_open, "/etc/passwd", O_RDONLY);
	else
		return h->fail(c, "unknown way %s", how);
	if (strncmp(how, "x32", 3) == 0 && rc < 0)
		return blocked(h, c, how, errno);
	if (strncmp(how, "i386", 4) == 0 && rc < 0 && rc > -4096)
		return blocked(h, c, how, (int)-rc);
	return say(h, c, "ESCAPED: %s returned %ld", how, rc);
}

FNH_PLUGIN(.name = "abi32", .version = "1", .handle = abi32_handle)
