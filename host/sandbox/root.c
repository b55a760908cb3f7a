/*
 * root.c: the worker's private root (see root.h).
 *
 * The tree is staged on a tmpfs mounted over /proc of the worker's own
 * mount namespace: /proc exists on every host, and the worker's own
 * procfs is mounted inside the new root later anyway.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "sandbox/root.h"

#define STAGE "/proc"

/* Make every missing directory of path, each 0755. */
static int
mkdir_p(const char *path)
{
	char buf[PATH_MAX];
	size_t i, n = strlen(path);

	if (n >= sizeof(buf)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(buf, path, n + 1);
	for (i = 1; i <= n; i++) {
		if (buf[i] != '/' && buf[i] != '\0')
			continue;
		buf[i] = '\0';
		if (mkdir(buf, 0755) < 0 && errno != EEXIST)
			return -1;
		buf[i] = path[i];
	}
	return 0;
}

/* The flags of target's mount that an unprivileged remount must keep (in
 * a user namespace they are locked), plus ours. */
static unsigned long
kept_flags(const char *target)
{
	struct statvfs sv;
	unsigned long f = 0;

	if (statvfs(target, &sv) < 0)
		return 0;
	if (sv.f_flag & ST_NOSUID)
		f |= MS_NOSUID;
	if (sv.f_flag & ST_NODEV)
		f |= MS_NODEV;
	if (sv.f_flag & ST_NOEXEC)
		f |= MS_NOEXEC;
	if (sv.f_flag & ST_NOATIME)
		f |= MS_NOATIME;
	if (sv.f_flag & ST_NODIRATIME)
		f |= MS_NODIRATIME;
	if (sv.f_flag & ST_RELATIME)
		f |= MS_RELATIME;
	return f;
}

/* Bind src at target (which exists) and make the bind read-only unless
 * writable; extra: more MS_ flags for it. */
static int
bind(const char *src, const char *target, bool writable, unsigned long extra,
     char *err, size_t errlen)
{
	unsigned long flags;

	if (mount(src, target, NULL, MS_BIND | MS_REC, NULL) < 0) {
		snprintf(err, errlen, "cannot bind %s: %s", src,
			 strerror(errno));
		return -1;
	}
	flags = MS_REMOUNT | MS_BIND | MS_NOSUID | MS_NODEV | extra |
		kept_flags(target) | (writable ? 0 : MS_RDONLY);
	if (mount(NULL, target, NULL, flags, NULL) < 0) {
		snprintf(err, errlen, "cannot make %s read-only: %s", src,
			 strerror(errno));
		return -1;
	}
	return 0;
}

/* Put the host's path (a directory, file or link) at the same path in
 * the stage.  A path the host lacks is left out. */
static int
stage_system_path(const char *path, char *err, size_t errlen)
{
	char at[PATH_MAX], link[PATH_MAX];
	struct stat st;
	ssize_t n;
	int fd;

	if (lstat(path, &st) < 0)
		return 0;
	snprintf(at, sizeof(at), STAGE "%s", path);
	if (S_ISLNK(st.st_mode)) {
		n = readlink(path, link, sizeof(link) - 1);
		if (n < 0)
			return 0;
		link[n] = '\0';
		*strrchr(at, '/') = '\0';
		if (mkdir_p(at) < 0)
			goto fail;
		snprintf(at, sizeof(at), STAGE "%s", path);
		if (symlink(link, at) < 0 && errno != EEXIST)
			goto fail;
		return 0;
	}
	if (S_ISDIR(st.st_mode)) {
		if (mkdir_p(at) < 0)
			goto fail;
	} else if (S_ISREG(st.st_mode)) {
		*strrchr(at, '/') = '\0';
		if (mkdir_p(at) < 0)
			goto fail;
		snprintf(at, sizeof(at), STAGE "%s", path);
		fd = open(at, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
		if (fd < 0)
			goto fail;
		close(fd);
	} else {
		return 0;
	}
	return bind(path, at, false, 0, err, errlen);
fail:
	snprintf(err, errlen, "cannot stage %s: %s", path, strerror(errno));
	return -1;
}

/* The session's own scratch file system at the scratch root's path: a
 * tmpfs of lim's size and inodes, without exec, suid or devices, owned
 * by the worker's uid.  Nothing of it is shared with another session (no
 * free-block count, no inode), the host never walks it, and it goes when
 * the namespace does, with the worker's last process, however deep a
 * tree a plugin left in it. */
static int
mount_scratch(const char *at, const struct sandbox_limits *lim, uid_t uid,
	      gid_t gid, bool userns, char *err, size_t errlen)
{
	char opts[128];

	/* In a user namespace only root is mapped: the worker stays it. */
	if (userns)
		snprintf(opts, sizeof(opts),
			 "size=%llu,nr_inodes=%llu,mode=0700",
			 (unsigned long long)lim->scratch_size,
			 (unsigned long long)lim->scratch_inodes);
	else
		snprintf(opts, sizeof(opts),
			 "size=%llu,nr_inodes=%llu,mode=0700,uid=%u,gid=%u",
			 (unsigned long long)lim->scratch_size,
			 (unsigned long long)lim->scratch_inodes, (unsigned)uid,
			 (unsigned)gid);
	if (mkdir_p(at) < 0 ||
	    mount("fnhost-scratch", at, "tmpfs",
		  MS_NOSUID | MS_NODEV | MS_NOEXEC, opts) < 0) {
		snprintf(err, errlen, "cannot mount the scratch tmpfs: %s",
			 strerror(errno));
		return -1;
	}
	return 0;
}

int
root_build(const char *scratch_root, const struct sandbox_limits *lim,
	   uid_t uid, gid_t gid, bool userns, bool pidns, char *err,
	   size_t errlen)
{
	char at[PATH_MAX];
	size_t i;

	/* Nothing mounted here may reach the host's namespace, nor the
	 * host's mounts this one. */
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
	    mount("fnhost-root", STAGE, "tmpfs", MS_NOSUID | MS_NODEV,
		  "size=256k,nr_inodes=512,mode=0755") < 0) {
		snprintf(err, errlen, "cannot mount the root tmpfs: %s",
			 strerror(errno));
		return -1;
	}
	for (i = 0; i < sandbox_system_paths_len; i++)
		if (stage_system_path(sandbox_system_paths[i].path, err,
				      errlen) < 0)
			return -1;
	if (scratch_root) {
		snprintf(at, sizeof(at), STAGE "%s", scratch_root);
		if (mount_scratch(at, lim, uid, gid, userns, err, errlen) < 0)
			return -1;
	}
	if (mkdir(STAGE "/proc", 0555) < 0 ||
	    mkdir(STAGE ROOT_HOST_VIEW, 0700) < 0 ||
	    syscall(SYS_pivot_root, STAGE, STAGE ROOT_HOST_VIEW) < 0 ||
	    chdir("/") < 0) {
		snprintf(err, errlen, "cannot enter the private root: %s",
			 strerror(errno));
		return -1;
	}
	/* A procfs of the worker's own pid namespace: /proc/N of the host's
	 * processes does not exist for it, not even for stat(2).  Where the
	 * kernel refuses (an unprivileged user namespace under a masked
	 * /proc) the host's is bound, which Landlock keeps unreadable; the
	 * runtime needs /proc/self/fd to load the plugin's memfd. */
	if (pidns && mount("proc", "/proc", "proc",
			   MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) == 0)
		return 0;
	return bind(ROOT_HOST_VIEW "/proc", "/proc", true, MS_NOEXEC, err,
		    errlen);
}

/* Bind the host's directory at path (fd's, as the host opened it) at the
 * same path in the private root. */
static int
bind_from_host(const char *path, int fd, bool writable, char *err,
	       size_t errlen)
{
	char src[PATH_MAX];
	struct stat a, b;

	if (path[0] != '/' ||
	    (size_t)snprintf(src, sizeof(src), ROOT_HOST_VIEW "%s", path) >=
		    sizeof(src)) {
		snprintf(err, errlen, "%s: not an absolute path that fits",
			 path);
		return -1;
	}
	if (stat(src, &a) < 0 || fstat(fd, &b) < 0 || a.st_dev != b.st_dev ||
	    a.st_ino != b.st_ino || !S_ISDIR(a.st_mode)) {
		snprintf(err, errlen, "%s is not the directory it was given",
			 path);
		return -1;
	}
	if (mkdir_p(path) < 0) {
		snprintf(err, errlen, "cannot make %s: %s", path,
			 strerror(errno));
		return -1;
	}
	return bind(src, path, writable, MS_NOEXEC, err, errlen);
}

int
root_enter(const char *bundle_dir, int bundle_fd, const char *scratch_dir,
	   int scratch_fd, char *err, size_t errlen)
{
	if (bind_from_host(bundle_dir, bundle_fd, false, err, errlen) < 0 ||
	    (scratch_dir &&
	     bind_from_host(scratch_dir, scratch_fd, true, err, errlen) < 0))
		return -1;
	if (umount2(ROOT_HOST_VIEW, MNT_DETACH) < 0 ||
	    rmdir(ROOT_HOST_VIEW) < 0) {
		snprintf(err, errlen, "cannot let go of the host's tree: %s",
			 strerror(errno));
		return -1;
	}
	/* Nothing in the root itself is the plugin's to change. */
	if (mount(NULL, "/", NULL,
		  MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV, NULL) < 0) {
		snprintf(err, errlen, "cannot make the root read-only: %s",
			 strerror(errno));
		return -1;
	}
	return 0;
}
