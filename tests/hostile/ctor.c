/*
 * ctor: attacks from a constructor, which runs inside dlopen(), before the
 * host has looked at the descriptor.  It tries to read /etc/shadow and
 * /etc/passwd and to write a marker beside the scratch dir ("../") and in
 * /tmp.  handle() reports what the constructor managed.  The sandbox must
 * be complete before dlopen(), so each attempt must fail.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <fnhost/plugin.h>

/* The constructor's findings, for handle() to report.  Written once,
 * before any invoke; this file's only mutable state. */
static char ctor_report[1024];

static void
note(const char *what, int ok, int err)
{
	size_t used = strlen(ctor_report);

	snprintf(ctor_report + used, sizeof(ctor_report) - used,
		 ok ? "ESCAPED: %s\n" : "blocked: %s: %s\n", what,
		 ok ? "" : strerror(err));
}

static void
try_read(const char *path)
{
	char buf[64], what[128];
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	snprintf(what, sizeof(what), "constructor read %s", path);
	if (fd < 0) {
		note(what, 0, errno);
		return;
	}
	note(what, read(fd, buf, sizeof(buf)) >= 0, errno);
	close(fd);
}

static void
try_write(const char *path)
{
	char what[128];
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);

	snprintf(what, sizeof(what), "constructor wrote %s", path);
	if (fd < 0) {
		note(what, 0, errno);
		return;
	}
	note(what, write(fd, "ESCAPED\n", 8) == 8, errno);
	close(fd);
}

__attribute__((constructor)) static void
ctor_attack(void)
{
	try_read("/etc/shadow");
	try_read("/etc/passwd");
	try_write("../fnhost-ctor-marker");
	try_write("/tmp/fnhost-ctor-marker");
}

static int
ctor_handle(const struct fnh_host *h, struct fnh_call *c, const void *input,
	    size_t input_len)
{
	(void)input;
	(void)input_len;
	return h->output(c, ctor_report, strlen(ctor_report));
}

FNH_PLUGIN(.name = "ctor", .version = "1", .handle = ctor_handle)
