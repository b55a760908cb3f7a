/*
 * hello: the fnhost plugin template.
 *
 * Each invoke answers "hello, <input> (invoke <n>)", where <n> counts the
 * invokes of the current session, failed ones included.  The count lives in a file in the
 * session's scratch directory, which is the working directory: it survives
 * from one invoke to the next of one session and is gone when the session
 * closes, so a new session starts again at 1.
 *
 * Copy this directory, rename the plugin, replace hello_handle() with your
 * function, and keep the rules of fnhost-plugin(3): report errors only by
 * returning non-zero after host->fail(), check what host->output() returns,
 * and treat every input byte as hostile.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <fnhost/plugin.h>

#define HELLO_INPUT_MAX 1024	     /* longest name we greet */
#define HELLO_COUNT_FILE "count"     /* relative: the scratch directory */
#define HELLO_COUNT_MAX 1000000000UL /* a session never gets near it */

/*
 * Read the number of earlier invokes of this session into *count: 0 when
 * the file does not exist yet (the first invoke).  Returns 0, or -1 after
 * host->fail() when the file cannot be read or does not hold a count.
 */
static int
hello_count_read(const struct fnh_host *host, struct fnh_call *call,
		 unsigned long *count)
{
	char buf[32], *end;
	ssize_t n;
	int fd, ret = -1;

	*count = 0;
	fd = open(HELLO_COUNT_FILE, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd == -1) {
		if (errno == ENOENT)
			return 0;
		return host->fail(call, "open %s: %s", HELLO_COUNT_FILE,
				  strerror(errno));
	}
	n = read(fd, buf, sizeof(buf) - 1);
	if (n < 0) {
		host->fail(call, "read %s: %s", HELLO_COUNT_FILE,
			   strerror(errno));
		goto out;
	}
	buf[n] = '\0';
	errno = 0;
	*count = strtoul(buf, &end, 10);
	if (n == 0 || end == buf || *end != '\n' || errno != 0 ||
	    *count >= HELLO_COUNT_MAX) {
		host->fail(call, "%s does not hold a count", HELLO_COUNT_FILE);
		goto out;
	}
	ret = 0;
out:
	close(fd);
	return ret;
}

/*
 * Replace the count file's content with count.  Returns 0, or -1 after
 * host->fail().
 */
static int
hello_count_write(const struct fnh_host *host, struct fnh_call *call,
		  unsigned long count)
{
	char buf[32];
	int fd, len, ret = -1;

	len = snprintf(buf, sizeof(buf), "%lu\n", count);
	fd = open(HELLO_COUNT_FILE,
		  O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd == -1)
		return host->fail(call, "create %s: %s", HELLO_COUNT_FILE,
				  strerror(errno));
	errno = 0;
	if (write(fd, buf, (size_t)len) != len) {
		host->fail(call, "write %s: %s", HELLO_COUNT_FILE,
			   errno ? strerror(errno) : "short write");
		goto out;
	}
	ret = 0;
out:
	if (close(fd) == -1 && ret == 0)
		ret = host->fail(call, "close %s: %s", HELLO_COUNT_FILE,
				 strerror(errno));
	return ret;
}

/*
 * Append the NUL-terminated text s to the output.  Returns 0, or -1 after
 * host->fail() when the host's output limit is reached.
 */
static int
hello_put(const struct fnh_host *host, struct fnh_call *call, const char *s)
{
	if (host->output(call, s, strlen(s)) == -1)
		return host->fail(call, "output limit reached");
	return 0;
}

static int
hello_handle(const struct fnh_host *host, struct fnh_call *call,
	     const void *input, size_t input_len)
{
	unsigned long count;
	char tail[48];

	/* Count first, so that an invoke that fails below still counts. */
	if (hello_count_read(host, call, &count) == -1 ||
	    hello_count_write(host, call, count + 1) == -1)
		return -1;

	/* The input is raw bytes, not a C string: bound it, never scan it
	 * for a NUL. */
	if (input_len == 0)
		return host->fail(call, "input is empty: give a name");
	if (input_len > HELLO_INPUT_MAX)
		return host->fail(call, "input is %zu bytes, more than %d",
				  input_len, HELLO_INPUT_MAX);

	snprintf(tail, sizeof(tail), " (invoke %lu)", count + 1);
	if (hello_put(host, call, "hello, ") == -1)
		return -1;
	if (host->output(call, input, input_len) == -1)
		return host->fail(call, "output limit reached");
	return hello_put(host, call, tail);
}

FNH_PLUGIN(.name = "hello", .version = "1.0.0",
	   .description = "greets its input and counts the session's invokes",
	   .handle = hello_handle)
