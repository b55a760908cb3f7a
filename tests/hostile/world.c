/*
 * world: surveys the file system it was given, to tell what it learns of
 * the host.  A private root leaves nothing of the host's tree but the
 * read-only system libraries: a host path does not exist, /proc holds
 * only the worker's own processes, statfs("/") is the empty root's own
 * tmpfs, and no descriptor leads out.
 * Input: "statfs:PATH" ("type=HEX bytes=N"), "stat:PATH" ("exists" with
 * the mode, or "absent: ERRNO"), "ls:PATH" (the names, or "blocked:
 * ERRNO"), "fds" (where each of its descriptors points), "dirs" (its
 * bundle and scratch directories as it sees them).  The test judges
 * the answers against what the host has.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <fnhost/plugin.h>

static int __attribute__((format(printf, 3, 4)))
say(const struct fnh_host *h, struct fnh_call *c, const char *fmt, ...)
{
	char line[4096];
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

/* The names in path, blank-separated, or why not. */
static int
list(const struct fnh_host *h, struct fnh_call *c, const char *path)
{
	char names[3000] = "";
	struct dirent *e;
	size_t n = 0;
	DIR *d = opendir(path);

	if (!d)
		return say(h, c, "blocked: %s", strerror(errno));
	while ((e = readdir(d)) != NULL && n < sizeof(names) - 258)
		n += (size_t)snprintf(names + n, sizeof(names) - n, "%s ",
				      e->d_name);
	closedir(d);
	return say(h, c, "names: %s", names);
}

/* Where each open descriptor leads. */
static int
fds(const struct fnh_host *h, struct fnh_call *c)
{
	char path[64], to[512], all[3000] = "";
	size_t n = 0;
	ssize_t len;
	int fd;

	for (fd = 0; fd < 64 && n < sizeof(all) - 600; fd++) {
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		len = readlink(path, to, sizeof(to) - 1);
		if (len < 0)
			continue;
		to[len] = '\0';
		n += (size_t)snprintf(all + n, sizeof(all) - n, "%d=%s ", fd,
				      to);
	}
	return say(h, c, "fds: %s", all);
}

static int
world_handle(const struct fnh_host *h, struct fnh_call *c, const void *input,
	     size_t input_len)
{
	char arg[1024], *path;
	struct statfs sf;
	struct stat st;

	if (input_len >= sizeof(arg))
		input_len = sizeof(arg) - 1;
	memcpy(arg, input, input_len);
	arg[input_len] = '\0';
	if (strcmp(arg, "fds") == 0)
		return fds(h, c);
	if (strcmp(arg, "dirs") == 0)
		return say(h, c, "bundle=%s scratch=%s", h->bundle_dir,
			   h->scratch_dir);
	path = strchr(arg, ':');
	if (!path)
		return h->fail(c, "input is not OP:PATH");
	*path++ = '\0';
	if (strcmp(arg, "statfs") == 0) {
		if (statfs(path, &sf) < 0)
			return say(h, c, "blocked: %s", strerror(errno));
		return say(h, c, "type=%lx bytes=%llu",
			   (unsigned long)sf.f_type,
			   (unsigned long long)sf.f_blocks *
				   (unsigned long long)sf.f_bsize);
	}
	if (strcmp(arg, "stat") == 0) {
		if (lstat(path, &st) < 0)
			return say(h, c, "absent: %s", strerror(errno));
		return say(h, c, "exists: mode %o", (unsigned)st.st_mode);
	}
	if (strcmp(arg, "ls") == 0)
		return list(h, c, path);
	return h->fail(c, "unknown op %s", arg);
}

FNH_PLUGIN(.name = "world", .version = "1", .handle = world_handle)
