/*
 * wx: makes memory that is both written and executed by the plugin at run
 * time (the first step of running injected code).  Input, one per session:
 *	anon_wx		mmap anonymous PROT_WRITE | PROT_EXEC
 *	anon_x		mmap anonymous PROT_READ | PROT_EXEC
 *	mprotect_rx	mmap a RW page, fill it, mprotect it to RX
 *	mprotect_rwx	mprotect a RW page to RWX
 *	stack_x		mprotect a page of the stack to RWX
 *	file_wx		mmap the scratch file PROT_WRITE | PROT_EXEC
 *	file_x		write code to a scratch file, mmap it RX
 *	dual		map one scratch file twice, RW and RX, write through
 *			the first and run through the second
 * seccomp refuses any exec bit with write, any exec on anonymous memory,
 * and any exec bit in mprotect.  "ESCAPED" means injected code ran.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
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

/* x86-64: mov eax, 42; ret */
static const unsigned char code[] = { 0xb8, 0x2a, 0x00, 0x00, 0x00, 0xc3 };

static int
run_code(void *p)
{
	int (*fn)(void);

	memcpy(&fn, &p, sizeof(fn));
	return fn();
}

/* A scratch file holding the code, one page long.  Returns an fd or -1. */
static int
code_file(void)
{
	char page[4096] = { 0 };
	int fd = open("code.bin", O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	if (fd < 0)
		return -1;
	memcpy(page, code, sizeof(code));
	if (write(fd, page, sizeof(page)) != (ssize_t)sizeof(page)) {
		close(fd);
		return -1;
	}
	return fd;
}

static void *
map_anon(int prot)
{
	void *p = mmap(NULL, 4096, prot, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

static void *
map_file(int prot, int flags)
{
	int fd = code_file();
	void *p;

	if (fd < 0)
		return NULL;
	p = mmap(NULL, 4096, prot, flags, fd, 0);
	close(fd);
	return p == MAP_FAILED ? NULL : p;
}

static void *
mprotect_page(int prot)
{
	void *p = map_anon(PROT_READ | PROT_WRITE);

	if (p == NULL)
		return NULL;
	memcpy(p, code, sizeof(code));
	if (mprotect(p, 4096, prot) < 0)
		return NULL;
	return p;
}

/* Runs the code on the stack itself, before the frame is reused; returns
 * its result, or -1 with errno. */
static int
stack_x(void)
{
	unsigned char buf[8192];
	uintptr_t page = ((uintptr_t)buf + 4095) & ~(uintptr_t)4095;

	memcpy((void *)page, code, sizeof(code));
	if (mprotect((void *)page, 4096, PROT_READ | PROT_WRITE | PROT_EXEC))
		return -1;
	return run_code((void *)page);
}

static void *
dual(void)
{
	unsigned char *w, *x;
	int fd = open("dual.bin", O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	if (fd < 0 || ftruncate(fd, 4096) < 0)
		return NULL;
	w = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	x = mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_SHARED, fd, 0);
	close(fd);
	if (w == MAP_FAILED || x == MAP_FAILED)
		return NULL;
	memcpy(w, code, sizeof(code));
	return x;
}

static int
wx_handle(const struct fnh_host *h, struct fnh_call *c, const void *input,
	  size_t input_len)
{
	char how[64];
	void *p;

	arg_copy(how, sizeof(how), input, input_len);
	if (strcmp(how, "anon_wx") == 0) {
		p = map_anon(PROT_READ | PROT_WRITE | PROT_EXEC);
		if (p != NULL)
			memcpy(p, code, sizeof(code));
	} else if (strcmp(how, "anon_x") == 0)
		p = map_anon(PROT_READ | PROT_EXEC);
	else if (strcmp(how, "mprotect_rx") == 0)
		p = mprotect_page(PROT_READ | PROT_EXEC);
	else if (strcmp(how, "mprotect_rwx") == 0)
		p = mprotect_page(PROT_READ | PROT_WRITE | PROT_EXEC);
	else if (strcmp(how, "stack_x") == 0) {
		int rc = stack_x();

		if (rc < 0)
			return blocked(h, c, how, errno);
		return say(h, c, "ESCAPED: %s: injected code returned %d", how,
			   rc);
	} else if (strcmp(how, "file_wx") == 0)
		p = map_file(PROT_READ | PROT_WRITE | PROT_EXEC, MAP_SHARED);
	else if (strcmp(how, "file_x") == 0)
		p = map_file(PROT_READ | PROT_EXEC, MAP_PRIVATE);
	else if (strcmp(how, "dual") == 0)
		p = dual();
	else
		return h->fail(c, "unknown way %s", how);
	if (p == NULL)
		return blocked(h, c, how, errno);
	if (strcmp(how, "anon_x") == 0)
		return say(h, c, "ESCAPED: %s: anonymous executable memory",
			   how);
	return say(h, c, "ESCAPED: %s: injected code returned %d", how,
		   run_code(p));
}

FNH_PLUGIN(.name = "wx", .version = "1", .handle = wx_handle)
