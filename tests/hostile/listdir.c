/*
 * listdir: lists a directory outside the bundle and scratch directories.
 * Input: a path ("/", "/tmp", "..", "/proc", "@bundle/..").  Landlock must
 * refuse to open it.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

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

static void
path_expand(const struct fnh_host *h, char *out, size_t n, const char *arg)
{
	if (strncmp(arg, "@bundle/", 8) == 0)
		snprintf(out, n, "%s/%s", h->bundle_dir, arg + 8);
	else
		snprintf(out, n, "%s", arg);
}

static int
listdir_handle(const struct fnh_host *h, struct fnh_call *c, const void *input,
	       size_t input_len)
{
	char arg[1024], path[2048], names[512] = "";
	struct dirent *e;
	size_t used = 0;
	int count = 0;
	DIR *d;

	arg_copy(arg, sizeof(arg), input, input_len);
	path_expand(h, path, sizeof(path), arg);
	d = opendir(path);
	if (d == NULL)
		return blocked(h, c, "opendir", errno);
	while ((e = readdir(d)) != NULL) {
		size_t len = strlen(e->d_name);

		count++;
		if (used + len + 2 < sizeof(names)) {
			memcpy(names + used, e->d_name, len);
			used += len;
			names[used++] = ' ';
			names[used] = '\0';
		}
	}
	closedir(d);
	return say(h, c, "ESCAPED: listed %d entries of %s: %s", count, path,
		   names);
}

FNH_PLUGIN(.name = "listdir", .version = "1", .handle = listdir_handle)
