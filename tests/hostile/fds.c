/*
 * fds: looks at the file descriptors the worker inherited.  Input, one per
 * session:
 *	scan:MARKER	list every open fd (0..1023) with its type and inode,
 *			read the first bytes of each that allows pread(),
 *			and report ESCAPED when MARKER (a string in a file
 *			the test opened before starting fnhost) shows up
 *	stdio		write an ESCAPED line to fds 1 and 2: they must not
 *			be the host's stdout or stderr
 *	memfd		pwrite/ftruncate every sealed memfd (the plugin's own
 *			code): the seals must hold
 * /proc/self/fd readlink() is tried too; Landlock normally hides /proc.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
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

static const char *
fd_type(mode_t m)
{
	if (S_ISREG(m))
		return "file";
	if (S_ISDIR(m))
		return "dir";
	if (S_ISSOCK(m))
		return "socket";
	if (S_ISFIFO(m))
		return "pipe";
	if (S_ISCHR(m))
		return "chardev";
	return "other";
}

static int
scan(const struct fnh_host *h, struct fnh_call *c, const char *marker)
{
	char buf[4097], proc[64], link[256];
	struct stat st;
	int fd, found = -1;

	for (fd = 0; fd < 1024; fd++) {
		ssize_t n;

		if (fcntl(fd, F_GETFD) < 0)
			continue;
		if (fstat(fd, &st) < 0) {
			say(h, c, "fd %d: fstat: %s", fd, strerror(errno));
			continue;
		}
		snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
		n = readlink(proc, link, sizeof(link) - 1);
		if (n < 0)
			snprintf(link, sizeof(link), "(readlink: %s)",
				 strerror(errno));
		else
			link[n] = '\0';
		say(h, c, "fd %d: %s dev=%llu ino=%llu %s", fd,
		    fd_type(st.st_mode), (unsigned long long)st.st_dev,
		    (unsigned long long)st.st_ino, link);
		n = pread(fd, buf, sizeof(buf) - 1, 0);
		if (n > 0) {
			buf[n] = '\0';
			if (*marker != '\0' && memmem(buf, (size_t)n, marker,
						      strlen(marker)) != NULL)
				found = fd;
		}
	}
	if (found >= 0)
		return say(h, c, "ESCAPED: fd %d holds the test's secret",
			   found);
	return 0;
}

static int
stdio(const struct fnh_host *h, struct fnh_call *c)
{
	static const char line[] = "ESCAPED: a plugin wrote this to fd 1/2\n";
	ssize_t n1 = write(1, line, sizeof(line) - 1);
	ssize_t n2 = write(2, line, sizeof(line) - 1);

	return say(h, c, "wrote %zd bytes to fd 1, %zd to fd 2", n1, n2);
}

static int
memfd(const struct fnh_host *h, struct fnh_call *c)
{
	int fd, seen = 0;

	for (fd = 0; fd < 1024; fd++) {
		int seals = fcntl(fd, F_GET_SEALS);

		if (seals < 0)
			continue;
		seen++;
		if (pwrite(fd, "\xcc", 1, 0) == 1)
			return say(h, c, "ESCAPED: wrote into memfd %d", fd);
		if (ftruncate(fd, 0) == 0)
			return say(h, c, "ESCAPED: truncated memfd %d", fd);
	}
	return say(h, c, "blocked: %d memfds, all sealed", seen);
}

static int
fds_handle(const struct fnh_host *h, struct fnh_call *c, const void *input,
	   size_t input_len)
{
	char arg[256];

	arg_copy(arg, sizeof(arg), input, input_len);
	if (strncmp(arg, "scan:", 5) == 0)
		return scan(h, c, arg + 5);
	if (strcmp(arg, "stdio") == 0)
		return stdio(h, c);
	if (strcmp(arg, "memfd") == 0)
		return memfd(h, c);
	return h->fail(c, "unknown op %s", arg);
}

FNH_PLUGIN(.name = "fds", .version = "1", .handle = fds_handle)
