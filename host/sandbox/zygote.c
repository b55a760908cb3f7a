/*
 * zygote.c: the worker fork server (see zygote.h).
 *
 * Requests and replies are datagrams on a SOCK_SEQPACKET pair, so each one
 * arrives whole: first the host's struct zygote_conf, then the zygote's
 * hello, then one spawn request and its reply at a time.  A reply carries
 * the new worker's channel and pidfd as SCM_RIGHTS.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sandbox/channel.h"
#include "sandbox/root.h"
#include "sandbox/runtime.h"
#include "sandbox/uids.h"
#include "sandbox/zygote.h"

/* The configuration the host sends the zygote it started, its first
 * datagram: the zygote is a program of its own (fnhost-zygote), so it has
 * nothing of the host's memory, not even its struct sandbox_config. */
struct zygote_conf {
	char version[16]; /* FNHOST_VERSION, and size: the same build's */
	uint32_t size;
	uint8_t relaxed;
	uint32_t worker_uid, worker_gid, worker_uid_base;
	char scratch_root[PATH_MAX]; /* "" for none */
	char preload[1024];
};

struct hello {
	int32_t ok;
	struct sandbox_features features;
	char err[256];
};

struct spawn_reply {
	int32_t pid;  /* 0 on failure */
	uint32_t uid; /* what the worker runs as */
	uint32_t gid;
	char err[256];
};

/* Everything a worker inherits from the zygote. */
struct zygote_state {
	struct zygote_conf conf; /* what cfg's strings point into */
	struct sandbox_config cfg;
	struct sandbox_policy policy;
	struct sandbox_features features;
	int devnull;
	int sock;
	unsigned next_spare_uid; /* uids.h */
	bool no_mountns;	 /* ZYGOTE_ENV_NO_MOUNTNS was set */
};

/* ---- in the zygote ------------------------------------------------------- */

/*
 * Load the operator's preload list.  The libraries stay mapped in every
 * worker forked later, where the dynamic linker finds them by soname when
 * a plugin needs them, instead of loading and relocating them again at
 * every session start (libproj and its dependencies take milliseconds).
 * They are system libraries the operator named, loaded before any plugin
 * exists; their constructors run here, outside the sandbox.
 */
static int
preload_libraries(const char *list, char *err, size_t errlen)
{
	char name[256];
	size_t n;

	while (list && *list) {
		list += strspn(list, " \t");
		n = strcspn(list, " \t");
		if (n == 0)
			break;
		if (n >= sizeof(name)) {
			snprintf(err, errlen, "preload: a name is too long");
			return -1;
		}
		memcpy(name, list, n);
		name[n] = '\0';
		list += n;
		if (!dlopen(name, RTLD_NOW | RTLD_GLOBAL | RTLD_NODELETE)) {
			snprintf(err, errlen, "cannot preload %.100s: %.100s",
				 name, dlerror());
			return -1;
		}
	}
	return 0;
}

/* Enter the namespaces that every worker shares.  As root nothing more is
 * needed; otherwise a user namespace first grants the right to. */
static void
enter_shared_namespaces(struct sandbox_features *f)
{
	uid_t uid = getuid();
	gid_t gid = getgid();
	char map[64];
	int fd;

	if (geteuid() != 0) {
		if (unshare(CLONE_NEWUSER) < 0)
			return;
		f->userns = true;
		fd = open("/proc/self/setgroups", O_WRONLY | O_CLOEXEC);
		if (fd >= 0) {
			(void)!write(fd, "deny", 4);
			close(fd);
		}
		snprintf(map, sizeof(map), "0 %u 1", (unsigned)uid);
		fd = open("/proc/self/uid_map", O_WRONLY | O_CLOEXEC);
		if (fd >= 0) {
			(void)!write(fd, map, strlen(map));
			close(fd);
		}
		snprintf(map, sizeof(map), "0 %u 1", (unsigned)gid);
		fd = open("/proc/self/gid_map", O_WRONLY | O_CLOEXEC);
		if (fd >= 0) {
			(void)!write(fd, map, strlen(map));
			close(fd);
		}
	}
	f->netns = unshare(CLONE_NEWNET) == 0;
	f->ipcns = unshare(CLONE_NEWIPC) == 0;
	f->utsns = unshare(CLONE_NEWUTS) == 0;
	if (f->utsns)
		(void)!sethostname("fnhost-worker", 13);
}

/* Tell the host why this worker can not serve, as the answer to the SETUP
 * it will send, and exit. */
static _Noreturn void
child_refuse(const char *what, const char *why)
{
	char msg[512];
	int n = snprintf(msg, sizeof(msg), "worker: %s: %s", what, why);

	chan_send(3, CHAN_REFUSE, msg, (size_t)n, 0);
	_exit(1);
}

/* The uid the zygote chose, which it writes into the channel first. */
static int
read_uid(uid_t *uid)
{
	uint32_t u;
	size_t got = 0;
	ssize_t n;

	while (got < sizeof(u)) {
		n = read(3, (char *)&u + got, sizeof(u) - got);
		if (n <= 0 && !(n < 0 && errno == EINTR))
			return -1;
		if (n > 0)
			got += (size_t)n;
	}
	*uid = (uid_t)u;
	return 0;
}

/* In the new worker: tidy the fds, then become the session runtime. */
static _Noreturn void
worker_child(struct zygote_state *zs, int chan,
	     const struct sandbox_limits *lim)
{
	struct runtime_args args = {
		.policy = &zs->policy,
		.cfg = &zs->cfg,
		.landlock_abi = zs->features.landlock_abi,
	};
	char err[256];
	uid_t uid;

	/* Die with the host.  (A host that died before this line closed the
	 * channel's other end with it, and the worker exits on EOF.) */
	prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	if (dup2(zs->devnull, 0) < 0 || dup2(zs->devnull, 1) < 0 ||
	    (!zs->cfg.relaxed && dup2(zs->devnull, 2) < 0) ||
	    dup2(chan, 3) < 0 || close_range(4, ~0U, 0) < 0)
		_exit(1);
	if (read_uid(&uid) < 0)
		_exit(1);
	if (sandbox_limit(&zs->cfg, lim, err, sizeof(err)) < 0)
		child_refuse("cannot prepare", err);
	/* Off the request path: a pooled worker builds its world before it
	 * has a session. */
	if (zs->features.mountns &&
	    root_build(zs->cfg.scratch_root, lim, uid, zs->cfg.worker_gid,
		       zs->features.userns, zs->features.pidns, err,
		       sizeof(err)) < 0)
		child_refuse("cannot build the private root", err);
	args.uid = uid;
	args.private_root = zs->features.mountns;
	args.own_scratch_root = zs->features.mountns ? zs->cfg.scratch_root
						     : NULL;
	runtime_main(3, &args);
}

/* Fork a worker as the host's child.  Returns its pid, or -1. */
static pid_t
fork_worker(struct zygote_state *zs, int chan, int *pidfd,
	    const struct sandbox_limits *lim)
{
	unsigned long flags = CLONE_PARENT | CLONE_PIDFD | SIGCHLD;
	pid_t pid;

	if (zs->features.pidns)
		flags |= CLONE_NEWPID;
	if (zs->features.mountns)
		flags |= CLONE_NEWNS;
	/* Raw clone: glibc's fork() has no flags.  The zygote is single
	 * threaded, so the child's libc state is consistent. */
	pid = (pid_t)syscall(SYS_clone, flags, NULL, pidfd, NULL, NULL);
	if (pid == 0)
		worker_child(zs, chan, lim);
	return pid;
}

/* Find out once which per-worker namespaces clone() grants (without a
 * mount namespace when told so, see zygote.h). */
static void
probe_worker_namespaces(struct zygote_state *zs)
{
	const unsigned long try[] = { CLONE_NEWPID | CLONE_NEWNS, CLONE_NEWPID,
				      CLONE_NEWNS, 0 };
	size_t i;
	int st;

	for (i = 0; i < sizeof(try) / sizeof(try[0]); i++) {
		pid_t pid;

		if (zs->no_mountns && (try[i] & CLONE_NEWNS))
			continue;
		pid = (pid_t)syscall(SYS_clone, try[i] | SIGCHLD, NULL, NULL,
				     NULL, NULL);
		if (pid == 0)
			_exit(0);
		if (pid < 0)
			continue;
		waitpid(pid, &st, 0);
		zs->features.pidns = (try[i] & CLONE_NEWPID) != 0;
		zs->features.mountns = (try[i] & CLONE_NEWNS) != 0;
		return;
	}
}

static void
serve_spawn(struct zygote_state *zs, const struct sandbox_limits *lim)
{
	struct spawn_reply reply = { 0 };
	int sv[2] = { -1, -1 }, pidfd = -1, fds[2];
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
		snprintf(reply.err, sizeof(reply.err), "socketpair: %s",
			 strerror(errno));
		goto reply;
	}
	pid = fork_worker(zs, sv[1], &pidfd, lim);
	if (pid < 0) {
		snprintf(reply.err, sizeof(reply.err), "clone: %s",
			 strerror(errno));
		goto reply;
	}
	/* The worker's uid, known now that its pid is: it reads it before
	 * anything else from its end of the channel. */
	reply.uid = zs->cfg.worker_uid;
	if (zs->cfg.worker_uid_base) {
		uid_t uid;

		if (uid_pick(zs->cfg.worker_uid_base, pid, &zs->next_spare_uid,
			     uid_in_use, NULL, &uid) < 0) {
			snprintf(reply.err, sizeof(reply.err),
				 "no worker uid free of processes");
			kill(pid, SIGKILL);
			goto reply;
		}
		reply.uid = uid;
	}
	if (write(sv[0], &reply.uid, sizeof(reply.uid)) !=
	    (ssize_t)sizeof(reply.uid)) {
		snprintf(reply.err, sizeof(reply.err),
			 "cannot tell the worker its uid: %s", strerror(errno));
		/* Cannot happen on a fresh pair; the host, its parent,
		 * reaps it when it ends. */
		kill(pid, SIGKILL);
		goto reply;
	}
	reply.gid = zs->cfg.worker_gid;
	reply.pid = pid;
reply:
	if (sv[1] >= 0)
		close(sv[1]);
	{
		struct iovec iov = { .iov_base = &reply,
				     .iov_len = sizeof(reply) };
		union {
			char buf[CMSG_SPACE(sizeof(fds))];
			struct cmsghdr align;
		} ctl;
		struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
		struct cmsghdr *cmsg;

		if (reply.pid) {
			fds[0] = sv[0];
			fds[1] = pidfd;
			memset(&ctl, 0, sizeof(ctl));
			msg.msg_control = ctl.buf;
			msg.msg_controllen = sizeof(ctl.buf);
			cmsg = CMSG_FIRSTHDR(&msg);
			cmsg->cmsg_level = SOL_SOCKET;
			cmsg->cmsg_type = SCM_RIGHTS;
			cmsg->cmsg_len = CMSG_LEN(sizeof(fds));
			memcpy(CMSG_DATA(cmsg), fds, sizeof(fds));
		}
		(void)sendmsg(zs->sock, &msg, MSG_NOSIGNAL);
	}
	if (sv[0] >= 0)
		close(sv[0]);
	if (pidfd >= 0)
		close(pidfd);
}

/* Workers get a clean environment.  clearenv() alone would leave the
 * strings themselves on the stack for a plugin to find, so wipe them. */
static void
scrub_environment(void)
{
	extern char **environ;
	char **e;

	for (e = environ; e && *e; e++)
		explicit_bzero(*e, strlen(*e));
	clearenv();
}

static _Noreturn void
zygote_main(struct zygote_state *zs)
{
	struct hello hello = { 0 };
	struct sandbox_limits lim;
	ssize_t n;

	signal(SIGCHLD, SIG_DFL);
	zs->no_mountns = getenv(ZYGOTE_ENV_NO_MOUNTNS) != NULL;
	scrub_environment();
	sandbox_probe(&zs->features);
	enter_shared_namespaces(&zs->features);
	/* In a user namespace only the host's own uid is mapped, so every
	 * worker has it and none has one of its own.  sandbox_limit() sees
	 * euid 0 there; an RLIMIT_NPROC it set would count the tasks of all
	 * workers together (since Linux 5.14, the namespace's), or every
	 * process of the user (before), not one worker's threads. */
	if (zs->features.userns)
		zs->cfg.worker_uid_base = 0;
	probe_worker_namespaces(zs);
	zs->devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	/* It reads and prints nothing: the host's terminal or pipes are not
	 * its to hold open (stderr stays for a sanitizer's reports). */
	if (zs->devnull >= 0) {
		dup2(zs->devnull, 0);
		dup2(zs->devnull, 1);
		if (!zs->cfg.relaxed)
			dup2(zs->devnull, 2);
	}
	if (zs->devnull < 0) {
		snprintf(hello.err, sizeof(hello.err), "cannot open /dev/null");
	} else if (zs->features.seccomp &&
		   sandbox_policy_compile(&zs->policy, zs->cfg.relaxed,
					  hello.err, sizeof(hello.err)) < 0) {
		/* err says why */
	} else if (preload_libraries(zs->cfg.preload, hello.err,
				     sizeof(hello.err)) < 0) {
		/* err says why */
	} else {
		hello.ok = 1;
	}
	hello.features = zs->features;
	if (send(zs->sock, &hello, sizeof(hello), MSG_NOSIGNAL) < 0 ||
	    !hello.ok)
		_exit(1);
	for (;;) {
		n = recv(zs->sock, &lim, sizeof(lim), 0);
		if (n == 0)
			break;
		if (n < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if ((size_t)n == sizeof(lim))
			serve_spawn(zs, &lim);
	}
	_exit(0);
}

/* The host's configuration, the first datagram on fd, into zs. */
static int
conf_read(int fd, struct zygote_state *zs, char *err, size_t errlen)
{
	struct zygote_conf *c = &zs->conf;
	ssize_t n;

	do
		n = recv(fd, c, sizeof(*c), 0);
	while (n < 0 && errno == EINTR);
	if (n != (ssize_t)sizeof(*c) || c->size != sizeof(*c) ||
	    strncmp(c->version, FNHOST_VERSION, sizeof(c->version)) != 0) {
		snprintf(err, errlen,
			 "fnhost-zygote %s is not the host's build: reinstall "
			 "both",
			 FNHOST_VERSION);
		return -1;
	}
	c->scratch_root[sizeof(c->scratch_root) - 1] = '\0';
	c->preload[sizeof(c->preload) - 1] = '\0';
	zs->cfg = (struct sandbox_config){
		.relaxed = c->relaxed,
		.worker_uid = c->worker_uid,
		.worker_gid = c->worker_gid,
		.worker_uid_base = c->worker_uid_base,
		.scratch_root = c->scratch_root[0] ? c->scratch_root : NULL,
		.preload = c->preload,
	};
	return 0;
}

int
zygote_serve(void)
{
	struct zygote_state zs = { 0 };
	struct hello hello = { 0 };

	zs.sock = ZYGOTE_FD;
	if (fcntl(ZYGOTE_FD, F_SETFD, FD_CLOEXEC) < 0 ||
	    conf_read(ZYGOTE_FD, &zs, hello.err, sizeof(hello.err)) < 0) {
		(void)send(ZYGOTE_FD, &hello, sizeof(hello), MSG_NOSIGNAL);
		return 1;
	}
	zygote_main(&zs);
}

/* ---- in the host --------------------------------------------------------- */

/* fnhost-zygote's path: libexec/fnhost/fnhost-zygote under the prefix the
 * running program is in (its directory's parent), so that an installed
 * fnhostd and one in a build tree each run their own. */
static int
helper_path(char *path, size_t len, char *err, size_t errlen)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	char *slash;
	int i;

	if (n < 0) {
		snprintf(err, errlen, "zygote: cannot read /proc/self/exe: %s",
			 strerror(errno));
		return -1;
	}
	self[n] = '\0';
	for (i = 0; i < 2; i++) {
		slash = strrchr(self, '/');
		if (!slash) {
			snprintf(err, errlen, "zygote: %s is not a path", self);
			return -1;
		}
		*slash = '\0';
	}
	if ((size_t)snprintf(path, len, "%s/%s", self, ZYGOTE_HELPER) >= len) {
		snprintf(err, errlen, "zygote: the path to %s is too long",
			 ZYGOTE_HELPER);
		return -1;
	}
	return 0;
}

/* The helper's command line: its path, then the caller's own, so that ps
 * (and a test that looks for what a killed host left behind) sees whose
 * zygote and workers these are.  buf holds the caller's arguments. */
static void
helper_argv(const char *path, char *buf, size_t len, char **argv, size_t max)
{
	size_t n = 0, i = 0, used = 0;
	ssize_t got;
	int fd;

	argv[n++] = (char *)path;
	fd = open("/proc/self/cmdline", O_RDONLY | O_CLOEXEC);
	got = fd >= 0 ? read(fd, buf, len - 1) : -1;
	if (fd >= 0)
		close(fd);
	if (got > 0)
		used = (size_t)got;
	buf[used] = '\0';
	while (i < used && n < max - 1) {
		argv[n++] = buf + i;
		i += strlen(buf + i) + 1;
	}
	argv[n] = NULL;
}

static int
conf_pack(struct zygote_conf *c, const struct sandbox_config *cfg, char *err,
	  size_t errlen)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->version, sizeof(c->version), "%s", FNHOST_VERSION);
	c->size = sizeof(*c);
	c->relaxed = cfg->relaxed;
	c->worker_uid = cfg->worker_uid;
	c->worker_gid = cfg->worker_gid;
	c->worker_uid_base = cfg->worker_uid_base;
	if ((cfg->scratch_root &&
	     (size_t)snprintf(c->scratch_root, sizeof(c->scratch_root), "%s",
			      cfg->scratch_root) >= sizeof(c->scratch_root)) ||
	    (cfg->preload &&
	     (size_t)snprintf(c->preload, sizeof(c->preload), "%s",
			      cfg->preload) >= sizeof(c->preload))) {
		snprintf(err, errlen, "zygote: a path or list is too long");
		return -1;
	}
	return 0;
}

/* In the child of zygote_start()'s fork: become fnhost-zygote, with the
 * socket as ZYGOTE_FD and nothing else of the host's open, or say why
 * not there and exit. */
static _Noreturn void
exec_helper(int sock, pid_t host, const char *path, char *const argv[])
{
	extern char **environ;
	struct hello hello = { 0 };
	struct zygote_conf conf;

	/* Die with the host, which may have died before this line. */
	prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	if (getppid() != host)
		_exit(1);
	if (sock != ZYGOTE_FD && dup2(sock, ZYGOTE_FD) < 0)
		_exit(1);
	if (fcntl(ZYGOTE_FD, F_SETFD, 0) < 0 ||
	    close_range(ZYGOTE_FD + 1, ~0U, 0) < 0)
		_exit(1);
	execve(path, argv, environ);
	snprintf(hello.err, sizeof(hello.err), "cannot run %.200s: %s", path,
		 strerror(errno));
	/* Take the host's configuration first: a socket closed with a
	 * datagram unread resets the host's end, and the host would read
	 * that reset instead of the reason. */
	(void)recv(ZYGOTE_FD, &conf, sizeof(conf), 0);
	(void)send(ZYGOTE_FD, &hello, sizeof(hello), MSG_NOSIGNAL);
	_exit(1);
}

int
zygote_start(struct zygote *z, const struct sandbox_config *cfg, char *err,
	     size_t errlen)
{
	struct zygote_conf conf;
	char path[PATH_MAX], args[4096], *argv[64];
	struct hello hello;
	pid_t host = getpid(), pid;
	int sv[2];
	ssize_t n;

	memset(z, 0, sizeof(*z));
	z->sock = -1;
	if (conf_pack(&conf, cfg, err, errlen) < 0 ||
	    helper_path(path, sizeof(path), err, errlen) < 0)
		return -1;
	helper_argv(path, args, sizeof(args), argv,
		    sizeof(argv) / sizeof(argv[0]));
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		snprintf(err, errlen, "zygote: socketpair: %s",
			 strerror(errno));
		return -1;
	}
	pid = fork();
	if (pid < 0) {
		snprintf(err, errlen, "zygote: fork: %s", strerror(errno));
		close(sv[0]);
		close(sv[1]);
		return -1;
	}
	if (pid == 0)
		exec_helper(sv[1], host, path, argv);
	close(sv[1]);
	z->pid = pid;
	z->sock = sv[0];
	/* Queued until the zygote reads it, whenever its exec is done. */
	if (send(z->sock, &conf, sizeof(conf), MSG_NOSIGNAL) < 0) {
		snprintf(err, errlen, "zygote: %s", strerror(errno));
		zygote_stop(z);
		return -1;
	}
	do
		n = recv(z->sock, &hello, sizeof(hello), 0);
	while (n < 0 && errno == EINTR);
	if (n != (ssize_t)sizeof(hello) || !hello.ok) {
		hello.err[sizeof(hello.err) - 1] = '\0';
		snprintf(err, errlen, "zygote: %s",
			 n == (ssize_t)sizeof(hello) ? hello.err
						     : "did not start");
		zygote_stop(z);
		return -1;
	}
	z->features = hello.features;
	return 0;
}

int
zygote_spawn(struct zygote *z, const struct sandbox_limits *lim,
	     struct zygote_worker *w, char *err, size_t errlen)
{
	struct spawn_reply reply;
	union {
		char buf[CMSG_SPACE(2 * sizeof(int))];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = { .iov_base = &reply, .iov_len = sizeof(reply) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *cmsg;
	int fds[2] = { -1, -1 };
	ssize_t n;

	if (send(z->sock, lim, sizeof(*lim), MSG_NOSIGNAL) < 0) {
		snprintf(err, errlen, "zygote: %s", strerror(errno));
		return -1;
	}
	msg.msg_control = ctl.buf;
	msg.msg_controllen = sizeof(ctl.buf);
	do
		n = recvmsg(z->sock, &msg, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n != (ssize_t)sizeof(reply)) {
		snprintf(err, errlen, "zygote: no answer");
		return -1;
	}
	cmsg = CMSG_FIRSTHDR(&msg);
	if (cmsg && cmsg->cmsg_level == SOL_SOCKET &&
	    cmsg->cmsg_type == SCM_RIGHTS &&
	    cmsg->cmsg_len == CMSG_LEN(sizeof(fds)))
		memcpy(fds, CMSG_DATA(cmsg), sizeof(fds));
	if (!reply.pid || fds[0] < 0 || fds[1] < 0) {
		reply.err[sizeof(reply.err) - 1] = '\0';
		snprintf(err, errlen, "zygote: %s",
			 reply.pid ? "answer without fds" : reply.err);
		if (fds[0] >= 0)
			close(fds[0]);
		if (fds[1] >= 0)
			close(fds[1]);
		return -1;
	}
	w->pid = reply.pid;
	w->chan = fds[0];
	w->pidfd = fds[1];
	w->uid = geteuid() == 0 ? (uid_t)reply.uid : (uid_t)-1;
	w->gid = geteuid() == 0 ? (gid_t)reply.gid : (gid_t)-1;
	return 0;
}

void
zygote_stop(struct zygote *z)
{
	int st;

	if (z->sock >= 0)
		close(z->sock);
	z->sock = -1;
	if (z->pid > 0)
		while (waitpid(z->pid, &st, 0) < 0 && errno == EINTR)
			;
	z->pid = 0;
}

void
zygote_worker_kill(const struct zygote_worker *w)
{
	syscall(SYS_pidfd_send_signal, w->pidfd, SIGKILL, NULL, 0);
	while (waitid(P_PIDFD, (id_t)w->pidfd, NULL, WEXITED) < 0 &&
	       errno == EINTR)
		;
	close(w->pidfd);
	close(w->chan);
}
