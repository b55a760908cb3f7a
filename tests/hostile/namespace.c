/*
 * namespace: changes its view of the system.  Input, one per session:
 *	unshare_user	unshare(CLONE_NEWUSER): full capabilities in a new
 *			user namespace, the usual first step of a kernel
 *			exploit
 *	unshare_mount	unshare(CLONE_NEWNS)
 *	unshare_net	unshare(CLONE_NEWNET)
 *	setns		setns() into pid 1's mount namespace
 *	mount		mount a tmpfs on a scratch directory
 *	umount		lazily unmount /
 *	chroot		chroot(".")
 *	pivot_root	pivot_root(".", ".")
 *	fsopen		fsopen("tmpfs"), the new mount API
 *	open_tree	open_tree(AT_FDCWD, "/", OPEN_TREE_CLONE)
 * seccomp allows none of them.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
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

#ifndef OPEN_TREE_CLONE
#define OPEN_TREE_CLONE 1
#endif

static long
do_setns(void)
{
	int fd = open("/proc/1/ns/mnt", O_RDONLY | O_CLOEXEC);

	/* Without the file, still knock on setns() itself with a bad fd, so
	 * that it is seccomp that answers. */
	return syscall(SYS_setns, fd, 0);
}

static long
do_mount(void)
{
	mkdir("mnt", 0755);
	return mount("none", "mnt", "tmpfs", 0, NULL);
}

/* Returns the call's result, -1 with errno, or -2 for an unknown name. */
static long
attack(const char *name)
{
	if (strcmp(name, "unshare_user") == 0)
		return unshare(CLONE_NEWUSER);
	if (strcmp(name, "unshare_mount") == 0)
		return unshare(CLONE_NEWNS);
	if (strcmp(name, "unshare_net") == 0)
		return unshare(CLONE_NEWNET);
	if (strcmp(name, "setns") == 0)
		return do_setns();
	if (strcmp(name, "mount") == 0)
		return do_mount();
	if (strcmp(name, "umount") == 0)
		return umount2("/", MNT_DETACH);
	if (strcmp(name, "chroot") == 0)
		return chroot(".");
	if (strcmp(name, "pivot_root") == 0)
		return syscall(SYS_pivot_root, ".", ".");
	if (strcmp(name, "fsopen") == 0)
		return syscall(SYS_fsopen, "tmpfs", 0);
	if (strcmp(name, "open_tree") == 0)
		return syscall(SYS_open_tree, AT_FDCWD, "/", OPEN_TREE_CLONE);
	return -2;
}

static int
namespace_handle(const struct fnh_host *h, struct fnh_call *c,
		 const void *input, size_t input_len)
{
	char name[64];
	long rc;

	arg_copy(name, sizeof(name), input, input_len);
	rc = attack(name);
	if (rc == -2)
		return h->fail(c, "unknown call %s", name);
	if (rc < 0)
		return blocked(h, c, name, errno);
	return say(h, c, "ESCAPED: %s returned %ld", name, rc);
}

FNH_PLUGIN(.name = "namespace", .version = "1", .handle = namespace_handle)
