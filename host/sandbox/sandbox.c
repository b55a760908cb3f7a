/*
 * sandbox.c: the layers that confine a worker (see sandbox.h).
 *
 * The syscall policy is the table below, read top to bottom: a worker may
 * make exactly these calls, in these forms.  Anything else kills the whole
 * worker (SECCOMP_RET_KILL_PROCESS), and so does any syscall made through a
 * foreign ABI (i386's int 0x80, x32's high syscall numbers).  A few calls
 * that ordinary libraries probe get an errno instead, so that a plugin
 * linking, say, a logging library fails politely instead of dying.
 *
 * libseccomp resolves a syscall that has both argument rules and a rule
 * without arguments in favour of the latter, so a syscall is either
 * plain or conditional here, never both.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/futex.h>
#include <linux/landlock.h>
#include <linux/sched.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <termios.h>
#include <unistd.h>

#include "sandbox/sandbox.h"

/* ---- the syscall policy -------------------------------------------------- */

#define ALLOW SCMP_ACT_ALLOW
#define FAIL(e) SCMP_ACT_ERRNO(e)

struct syscall_rule {
	const char *name;
	uint32_t action;
	unsigned int nargs;
	struct scmp_arg_cmp arg[2];
};

/* clang-format off */
#define ARG_EQ(n, v) {.arg = (n), .op = SCMP_CMP_EQ, .datum_a = (v)}
#define ARG_MASKED(n, mask, v)                                                \
	{.arg = (n), .op = SCMP_CMP_MASKED_EQ, .datum_a = (mask),            \
	 .datum_b = (v)}

#define RULE(sys, act) {#sys, (act), 0, {{0}}}
#define RULE1(sys, act, a) {#sys, (act), 1, {a}}
#define RULE2(sys, act, a, b) {#sys, (act), 2, {a, b}}
/* clang-format on */

/* Namespace and process-tree flags a thread never needs. */
#define CLONE_FORBIDDEN                                                        \
	(CLONE_NEWNS | CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET |           \
	 CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWCGROUP | CLONE_VFORK |         \
	 CLONE_PARENT | CLONE_PTRACE | CLONE_UNTRACED | CLONE_PIDFD)
#define CLONE_THREAD_FLAGS (CLONE_THREAD | CLONE_VM | CLONE_SIGHAND)

static const struct syscall_rule policy[] = {
	/* Memory.  Mappings may be writable or executable, never both, and
	 * only file-backed pages (the plugin and its libraries, mapped by
	 * the dynamic loader) may be executable; mprotect never adds exec. */
	RULE(brk, ALLOW),
	RULE1(mmap, ALLOW, ARG_MASKED(2, PROT_EXEC, 0)),
	RULE2(mmap, ALLOW, ARG_MASKED(2, PROT_WRITE | PROT_EXEC, PROT_EXEC),
	      ARG_MASKED(3, MAP_ANONYMOUS, 0)),
	RULE1(mprotect, ALLOW, ARG_MASKED(2, PROT_EXEC, 0)),
	RULE(munmap, ALLOW),
	RULE(mremap, ALLOW),
	RULE(madvise, ALLOW),
	RULE(msync, ALLOW),
	RULE(mincore, ALLOW),

	/* Files.  Which paths may be opened, written or removed is Landlock's
	 * business (bundle read-only, scratch read-write); these calls only
	 * work on what it lets through. */
	RULE(read, ALLOW),
	RULE(write, ALLOW),
	RULE(readv, ALLOW),
	RULE(writev, ALLOW),
	RULE(pread64, ALLOW),
	RULE(pwrite64, ALLOW),
	RULE(preadv, ALLOW),
	RULE(pwritev, ALLOW),
	RULE(lseek, ALLOW),
	RULE(close, ALLOW),
	/* Files are created without setuid or setgid bits, here as in
	 * fchmod below: a plugin must not make a file that runs as its uid
	 * for someone else, whatever the mount flags of the view it is in. */
	RULE1(open, ALLOW, ARG_MASKED(2, S_ISUID | S_ISGID, 0)),
	RULE1(open, FAIL(EPERM), ARG_MASKED(2, S_ISUID, S_ISUID)),
	RULE1(open, FAIL(EPERM), ARG_MASKED(2, S_ISGID, S_ISGID)),
	RULE1(openat, ALLOW, ARG_MASKED(3, S_ISUID | S_ISGID, 0)),
	RULE1(openat, FAIL(EPERM), ARG_MASKED(3, S_ISUID, S_ISUID)),
	RULE1(openat, FAIL(EPERM), ARG_MASKED(3, S_ISGID, S_ISGID)),
	RULE1(creat, ALLOW, ARG_MASKED(1, S_ISUID | S_ISGID, 0)),
	RULE1(creat, FAIL(EPERM), ARG_MASKED(1, S_ISUID, S_ISUID)),
	RULE1(creat, FAIL(EPERM), ARG_MASKED(1, S_ISGID, S_ISGID)),
	RULE(stat, ALLOW),
	RULE(fstat, ALLOW),
	RULE(lstat, ALLOW),
	RULE(newfstatat, ALLOW),
	RULE(statx, ALLOW),
	RULE(statfs, ALLOW),
	RULE(fstatfs, ALLOW),
	RULE(access, ALLOW),
	RULE(faccessat, ALLOW),
	RULE(faccessat2, ALLOW),
	RULE(getdents, ALLOW),
	RULE(getdents64, ALLOW),
	RULE(readlink, ALLOW),
	RULE(readlinkat, ALLOW),
	RULE(getcwd, ALLOW),
	RULE(chdir, ALLOW),
	RULE(fchdir, ALLOW),
	RULE(mkdir, ALLOW),
	RULE(mkdirat, ALLOW),
	RULE(rmdir, ALLOW),
	RULE(unlink, ALLOW),
	RULE(unlinkat, ALLOW),
	RULE(rename, ALLOW),
	RULE(renameat, ALLOW),
	RULE(renameat2, ALLOW),
	RULE(link, ALLOW),
	RULE(linkat, ALLOW),
	RULE(symlink, ALLOW),
	RULE(symlinkat, ALLOW),
	RULE(truncate, ALLOW),
	RULE(ftruncate, ALLOW),
	RULE(fallocate, ALLOW),
	RULE(fsync, ALLOW),
	RULE(fdatasync, ALLOW),
	RULE(fadvise64, ALLOW),
	/* No locks: a lock on a file two sessions can open (a system
	 * library, /etc/ld.so.cache) is a bit one session sets and another
	 * reads.  Refused for every file, not just shared ones, so that no
	 * list of shared files has to be right.  fcntl's lock commands are
	 * refused with it, below. */
	RULE(flock, FAIL(ENOLCK)),
	/* Landlock does not govern metadata changes, so only their fd forms:
	 * a file must first be opened, which Landlock does govern.  utimensat
	 * with a NULL path is futimens().  fchmod never sets setuid or
	 * setgid (see open above). */
	RULE1(fchmod, ALLOW, ARG_MASKED(1, S_ISUID | S_ISGID, 0)),
	RULE1(fchmod, FAIL(EPERM), ARG_MASKED(1, S_ISUID, S_ISUID)),
	RULE1(fchmod, FAIL(EPERM), ARG_MASKED(1, S_ISGID, S_ISGID)),
	RULE1(utimensat, ALLOW, ARG_EQ(1, 0)),
	RULE(umask, ALLOW),
	RULE(sendfile, ALLOW),
	RULE(copy_file_range, ALLOW),

	/* Descriptors and waiting on them: only ever the worker's own. */
	RULE(dup, ALLOW),
	RULE(dup2, ALLOW),
	RULE(dup3, ALLOW),
	/* fcntl: descriptor flags, status flags, seals and pipe sizes only.
	 * Record locks (POSIX and OFD), leases and directory notification
	 * are each visible to every process that opens the same file: a
	 * channel between sessions through any shared inode.  They fail
	 * politely; any other command (F_SETOWN, F_SETSIG, ...) kills. */
	RULE1(fcntl, ALLOW, ARG_EQ(1, F_DUPFD)),
	RULE1(fcntl, ALLOW, ARG_EQ(1, F_DUPFD_CLOEXEC)),
	RULE1(fcntl, ALLOW, ARG_EQ(1, F_GETFD)),
	RULE1(fcntl, ALLOW, ARG_EQ(1, F_SETFD)),
	RULE1(fcntl, ALLOW, ARG_EQ(1, F_GETFL)),
	RULE1(fcntl, ALLOW, ARG_EQ(1, F_SETFL)),
	RULE1(fcntl, ALLOW, ARG_EQ(1, F_GET_SEALS)),
	RULE1(fcntl, ALLOW, ARG_EQ(1, F_GETPIPE_SZ)),
	RULE1(fcntl, FAIL(ENOLCK), ARG_EQ(1, F_GETLK)),
	RULE1(fcntl, FAIL(ENOLCK), ARG_EQ(1, F_SETLK)),
	RULE1(fcntl, FAIL(ENOLCK), ARG_EQ(1, F_SETLKW)),
	RULE1(fcntl, FAIL(ENOLCK), ARG_EQ(1, F_OFD_GETLK)),
	RULE1(fcntl, FAIL(ENOLCK), ARG_EQ(1, F_OFD_SETLK)),
	RULE1(fcntl, FAIL(ENOLCK), ARG_EQ(1, F_OFD_SETLKW)),
	RULE1(fcntl, FAIL(EACCES), ARG_EQ(1, F_GETLEASE)),
	RULE1(fcntl, FAIL(EACCES), ARG_EQ(1, F_SETLEASE)),
	RULE1(fcntl, FAIL(EACCES), ARG_EQ(1, F_NOTIFY)),
	RULE(pipe, ALLOW),
	RULE(pipe2, ALLOW),
	RULE(eventfd2, ALLOW),
	RULE(poll, ALLOW),
	RULE(ppoll, ALLOW),
	RULE(select, ALLOW),
	RULE(pselect6, ALLOW),
	RULE(epoll_create1, ALLOW),
	RULE(epoll_ctl, ALLOW),
	RULE(epoll_wait, ALLOW),
	RULE(epoll_pwait, ALLOW),

	/* ioctl: the few harmless fd requests; isatty()'s TCGETS says "not a
	 * terminal".  Everything else (TIOCSTI first of all) kills.  The
	 * comparison is on all 64 bits, so high garbage bits do not match. */
	RULE1(ioctl, ALLOW, ARG_EQ(1, FIONREAD)),
	RULE1(ioctl, ALLOW, ARG_EQ(1, FIONBIO)),
	RULE1(ioctl, ALLOW, ARG_EQ(1, FIOCLEX)),
	RULE1(ioctl, ALLOW, ARG_EQ(1, FIONCLEX)),
	RULE1(ioctl, FAIL(ENOTTY), ARG_EQ(1, TCGETS)),

	/* Threads, but no new processes: clone must share the address space
	 * and signal handlers and create no namespace.  clone3 hides its
	 * flags behind a pointer, so it says ENOSYS and glibc uses clone. */
	RULE1(clone, ALLOW,
	      ARG_MASKED(0, CLONE_THREAD_FLAGS | CLONE_FORBIDDEN,
			 CLONE_THREAD_FLAGS)),
	RULE(clone3, FAIL(ENOSYS)),
	/* Private futexes only.  A shared futex on a page of a file (even a
	 * read-only, private mapping not yet written) is keyed by the inode,
	 * so two sessions that map the same library meet on it: a waiter in
	 * one is woken by, and counted by FUTEX_WAKE in, the other.  Shared
	 * ones answer EAGAIN, which every futex user must handle (the value
	 * changed); glibc's pthread_join(), the one shared user, then polls
	 * the thread's tid instead of sleeping on it. */
	RULE1(futex, ALLOW,
	      ARG_MASKED(1, FUTEX_PRIVATE_FLAG, FUTEX_PRIVATE_FLAG)),
	RULE1(futex, FAIL(EAGAIN), ARG_MASKED(1, FUTEX_PRIVATE_FLAG, 0)),
	RULE(set_robust_list, ALLOW),
	RULE(set_tid_address, ALLOW),
	RULE(rseq, ALLOW),
	RULE(sched_yield, ALLOW),
	RULE(sched_getaffinity, ALLOW),
	RULE(exit, ALLOW),
	RULE(exit_group, ALLOW),

	/* Signals.  The worker is alone in its pid namespace and Landlock
	 * scopes signals to it, so tgkill reaches only its own threads
	 * (raise and abort use it).  kill(2) is refused outright. */
	RULE(rt_sigaction, ALLOW),
	RULE(rt_sigprocmask, ALLOW),
	RULE(rt_sigreturn, ALLOW),
	RULE(rt_sigpending, ALLOW),
	RULE(rt_sigtimedwait, ALLOW),
	RULE(rt_sigsuspend, ALLOW),
	RULE(pause, ALLOW),
	RULE(sigaltstack, ALLOW),
	RULE(restart_syscall, ALLOW),
	RULE(tgkill, ALLOW),
	RULE(tkill, ALLOW),
	RULE(kill, FAIL(EPERM)),

	/* Time and identity: read-only facts. */
	RULE(clock_gettime, ALLOW),
	RULE(clock_getres, ALLOW),
	RULE(gettimeofday, ALLOW),
	RULE(time, ALLOW),
	RULE(nanosleep, ALLOW),
	RULE(clock_nanosleep, ALLOW),
	RULE(getitimer, ALLOW),
	RULE(setitimer, ALLOW),
	RULE(alarm, ALLOW),
	RULE(times, ALLOW),
	RULE(getrusage, ALLOW),
	RULE(getpid, ALLOW),
	RULE(gettid, ALLOW),
	RULE(getppid, ALLOW),
	RULE(getuid, ALLOW),
	RULE(geteuid, ALLOW),
	RULE(getgid, ALLOW),
	RULE(getegid, ALLOW),
	RULE(getresuid, ALLOW),
	RULE(getresgid, ALLOW),
	RULE(getgroups, ALLOW),
	RULE(getpgrp, ALLOW),
	RULE(getpriority, ALLOW),
	RULE(uname, ALLOW),
	RULE(sysinfo, ALLOW),
	RULE(getrandom, ALLOW),
	RULE(getcpu, ALLOW),

	/* Limits may be read, never changed; priority never raised. */
	RULE(getrlimit, ALLOW),
	RULE1(prlimit64, ALLOW, ARG_EQ(2, 0)), /* no new limit: a read */
	RULE(setrlimit, FAIL(EPERM)),
	RULE(setpriority, FAIL(EACCES)),

	/* prctl: thread names only (pthread_setname_np). */
	RULE1(prctl, ALLOW, ARG_EQ(0, PR_SET_NAME)),
	RULE1(prctl, ALLOW, ARG_EQ(0, PR_GET_NAME)),

	/* No network of any family: there is none in the worker's namespace
	 * either, but a Unix socket path is reachable from any namespace. */
	RULE(socket, FAIL(EACCES)),
	RULE(socketpair, FAIL(EACCES)),
	/* ...so the only socket is the channel, written with sendmsg for its
	 * MSG_NOSIGNAL; fds sent up it are dropped by the host's read(). */
	RULE(sendmsg, ALLOW),
};

/* Sanitizer runtimes (SANITIZER=address|undefined builds only) read their
 * own state through prctl and need a few more calls when they report. */
static const struct syscall_rule relaxed_policy[] = {
	RULE1(prctl, ALLOW, ARG_EQ(0, PR_GET_DUMPABLE)),
	RULE1(prctl, ALLOW, ARG_EQ(0, PR_SET_DUMPABLE)),
	RULE1(prctl, ALLOW, ARG_EQ(0, PR_SET_PTRACER)),
	RULE1(prctl, ALLOW, ARG_EQ(0, PR_GET_PDEATHSIG)),
	RULE1(prctl, ALLOW, ARG_EQ(0, PR_SET_VMA)),
	RULE(sched_getparam, ALLOW),
	RULE(sched_getscheduler, ALLOW),
};

static int
add_rules(scmp_filter_ctx ctx, const struct syscall_rule *rules, size_t n,
	  char *err, size_t errlen)
{
	size_t i;
	int nr, rc;

	for (i = 0; i < n; i++) {
		nr = seccomp_syscall_resolve_name(rules[i].name);
		if (nr == __NR_SCMP_ERROR) {
			snprintf(err, errlen, "seccomp: unknown syscall %s",
				 rules[i].name);
			return -1;
		}
		rc = seccomp_rule_add_array(ctx, rules[i].action, nr,
					    rules[i].nargs, rules[i].arg);
		if (rc < 0) {
			snprintf(err, errlen, "seccomp: rule for %s: %s",
				 rules[i].name, strerror(-rc));
			return -1;
		}
	}
	return 0;
}

int
sandbox_policy_compile(struct sandbox_policy *p, bool relaxed, char *err,
		       size_t errlen)
{
	scmp_filter_ctx ctx;
	int fd = -1, ret = -1;
	off_t size;

	memset(p, 0, sizeof(*p));
	ctx = seccomp_init(SCMP_ACT_KILL_PROCESS);
	if (!ctx) {
		snprintf(err, errlen, "seccomp: cannot create a filter");
		return -1;
	}
	/* Only the native ABI: i386 and x32 calls are killed, not mapped. */
	/* A binary tree of syscall numbers rather than a linear chain: the
	 * kernel runs the program for every syscall, and emulates it for
	 * every syscall number when each worker loads it (the action
	 * cache), so its length is paid at every session start. */
	if (seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2) < 0 ||
	    seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH,
			     SCMP_ACT_KILL_PROCESS) < 0 ||
	    add_rules(ctx, policy, sizeof(policy) / sizeof(policy[0]), err,
		      errlen) < 0)
		goto out;
	if (relaxed &&
	    add_rules(ctx, relaxed_policy,
		      sizeof(relaxed_policy) / sizeof(relaxed_policy[0]), err,
		      errlen) < 0)
		goto out;
	/* libseccomp 2.5 exports only to an fd. */
	fd = memfd_create("fnhost-seccomp", MFD_CLOEXEC);
	if (fd < 0 || seccomp_export_bpf(ctx, fd) < 0) {
		snprintf(err, errlen, "seccomp: cannot export the program");
		goto out;
	}
	size = lseek(fd, 0, SEEK_END);
	if (size <= 0 || size % sizeof(struct sock_filter) ||
	    size / sizeof(struct sock_filter) > BPF_MAXINSNS) {
		snprintf(err, errlen, "seccomp: program has a bad size");
		goto out;
	}
	p->filter = malloc((size_t)size);
	if (!p->filter || pread(fd, p->filter, (size_t)size, 0) != size) {
		snprintf(err, errlen, "seccomp: cannot read the program");
		sandbox_policy_free(p);
		goto out;
	}
	p->len = (unsigned short)(size / sizeof(struct sock_filter));
	ret = 0;
out:
	if (fd >= 0)
		close(fd);
	seccomp_release(ctx);
	return ret;
}

void
sandbox_policy_free(struct sandbox_policy *p)
{
	free(p->filter);
	p->filter = NULL;
	p->len = 0;
}

static int
load_policy(const struct sandbox_policy *p, char *err, size_t errlen)
{
	struct sock_fprog prog = { .len = p->len, .filter = p->filter };

	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) < 0) {
		snprintf(err, errlen, "seccomp: cannot load the program: %s",
			 strerror(errno));
		return -1;
	}
	return 0;
}

/* ---- Landlock ------------------------------------------------------------ */

/* Access rights by the ABI version that introduced them; Debian 12's
 * headers stop at version 2.  Values from the kernel's uapi landlock.h. */
#ifndef LANDLOCK_ACCESS_FS_TRUNCATE
#define LANDLOCK_ACCESS_FS_TRUNCATE (1ULL << 14) /* ABI 3 */
#endif
#ifndef LANDLOCK_ACCESS_FS_IOCTL_DEV
#define LANDLOCK_ACCESS_FS_IOCTL_DEV (1ULL << 15) /* ABI 5 */
#endif
#define LL_NET_BIND_TCP (1ULL << 0)		  /* ABI 4 */
#define LL_NET_CONNECT_TCP (1ULL << 1)		  /* ABI 4 */
#define LL_SCOPE_ABSTRACT_UNIX_SOCKET (1ULL << 0) /* ABI 6 */
#define LL_SCOPE_SIGNAL (1ULL << 1)		  /* ABI 6 */

/* struct landlock_ruleset_attr as of ABI 6. */
struct ll_ruleset_attr {
	uint64_t handled_access_fs;
	uint64_t handled_access_net;
	uint64_t scoped;
};

#define LL_READ (LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR)
#define LL_WRITE                                                               \
	(LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_REMOVE_DIR |       \
	 LANDLOCK_ACCESS_FS_REMOVE_FILE | LANDLOCK_ACCESS_FS_MAKE_DIR |        \
	 LANDLOCK_ACCESS_FS_MAKE_REG | LANDLOCK_ACCESS_FS_REFER |              \
	 LANDLOCK_ACCESS_FS_TRUNCATE)

static uint64_t
landlock_fs_rights(int abi)
{
	uint64_t all = (LANDLOCK_ACCESS_FS_MAKE_SYM << 1) - 1; /* ABI 1 */

	if (abi >= 2)
		all |= LANDLOCK_ACCESS_FS_REFER;
	if (abi >= 3)
		all |= LANDLOCK_ACCESS_FS_TRUNCATE;
	if (abi >= 5)
		all |= LANDLOCK_ACCESS_FS_IOCTL_DEV;
	return all;
}

static int
landlock_allow(int ruleset, int fd, uint64_t access, uint64_t handled)
{
	struct landlock_path_beneath_attr rule = {
		.allowed_access = access & handled,
		.parent_fd = fd,
	};

	return (int)syscall(SYS_landlock_add_rule, ruleset,
			    LANDLOCK_RULE_PATH_BENEATH, &rule, 0);
}

/*
 * The system paths a worker sees: what the dynamic loader needs to load a
 * plugin's libraries, read-only.  root.c binds each into the worker's
 * private root (a symbolic link is copied as one), and Landlock allows
 * exactly these; nothing else of the host's tree exists for a plugin.
 */
const struct sandbox_system_path sandbox_system_paths[] = {
	{ "/usr/lib", LL_READ | LANDLOCK_ACCESS_FS_EXECUTE },
	{ "/usr/lib64", LL_READ | LANDLOCK_ACCESS_FS_EXECUTE },
	{ "/lib", LL_READ | LANDLOCK_ACCESS_FS_EXECUTE },
	{ "/lib64", LL_READ | LANDLOCK_ACCESS_FS_EXECUTE },
	{ "/etc/ld.so.cache", LANDLOCK_ACCESS_FS_READ_FILE },
};
const size_t sandbox_system_paths_len = sizeof(sandbox_system_paths) /
					sizeof(sandbox_system_paths[0]);

static int
landlock_apply(int abi, int bundle_fd, int scratch_fd, char *err, size_t errlen)
{
	struct ll_ruleset_attr attr = { 0 };
	size_t attr_size = sizeof(attr.handled_access_fs);
	uint64_t fs = landlock_fs_rights(abi);
	int rs, ret = -1;
	size_t i;

	attr.handled_access_fs = fs;
	if (abi >= 4) {
		attr.handled_access_net = LL_NET_BIND_TCP | LL_NET_CONNECT_TCP;
		attr_size = offsetof(struct ll_ruleset_attr, scoped);
	}
	if (abi >= 6) {
		attr.scoped = LL_SCOPE_ABSTRACT_UNIX_SOCKET | LL_SCOPE_SIGNAL;
		attr_size = sizeof(attr);
	}
	rs = (int)syscall(SYS_landlock_create_ruleset, &attr, attr_size, 0);
	if (rs < 0) {
		snprintf(err, errlen, "landlock: cannot create a ruleset: %s",
			 strerror(errno));
		return -1;
	}
	if (landlock_allow(rs, bundle_fd, LL_READ, fs) < 0 ||
	    landlock_allow(rs, scratch_fd, LL_READ | LL_WRITE, fs) < 0) {
		snprintf(err, errlen, "landlock: cannot add a rule: %s",
			 strerror(errno));
		goto out;
	}
	for (i = 0; i < sandbox_system_paths_len; i++) {
		int fd = open(sandbox_system_paths[i].path, O_PATH | O_CLOEXEC);

		if (fd < 0)
			continue; /* not on this system: nothing to allow */
		if (landlock_allow(rs, fd, sandbox_system_paths[i].access, fs) <
		    0) {
			snprintf(err, errlen, "landlock: rule for %s: %s",
				 sandbox_system_paths[i].path, strerror(errno));
			close(fd);
			goto out;
		}
		close(fd);
	}
	if (syscall(SYS_landlock_restrict_self, rs, 0) < 0) {
		snprintf(err, errlen, "landlock: cannot restrict: %s",
			 strerror(errno));
		goto out;
	}
	ret = 0;
out:
	close(rs);
	return ret;
}

/* ---- probing, preparing, locking ----------------------------------------- */

void
sandbox_probe(struct sandbox_features *f)
{
	long abi;

	memset(f, 0, sizeof(*f));
	abi = syscall(SYS_landlock_create_ruleset, NULL, 0,
		      LANDLOCK_CREATE_RULESET_VERSION);
	f->landlock_abi = abi > 0 ? (int)abi : 0;
	/* SECCOMP_GET_ACTION_AVAIL answers without changing anything. */
	{
		uint32_t action = SECCOMP_RET_KILL_PROCESS;

		f->seccomp = syscall(SYS_seccomp, SECCOMP_GET_ACTION_AVAIL, 0,
				     &action) == 0;
	}
}

static int
set_limit(int resource, uint64_t value)
{
	struct rlimit rl = { .rlim_cur = value, .rlim_max = value };

	return setrlimit(resource, &rl);
}

static int
drop_privileges(const struct sandbox_config *cfg, uid_t uid, char *err,
		size_t errlen)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3
	};
	struct __user_cap_data_struct data[2];
	int cap;

	if (geteuid() == 0) {
		/* Clear the bounding set while we still may. */
		for (cap = 0; cap <= CAP_LAST_CAP; cap++)
			prctl(PR_CAPBSET_DROP, cap, 0, 0, 0);
		/* In a user namespace only our own id is mapped: switching
		 * fails there, and there is nothing to switch away from. */
		if (setgroups(0, NULL) == 0 &&
		    (setresgid(cfg->worker_gid, cfg->worker_gid,
			       cfg->worker_gid) < 0 ||
		     setresuid(uid, uid, uid) < 0)) {
			snprintf(err, errlen, "cannot switch to uid %u: %s",
				 (unsigned)uid, strerror(errno));
			return -1;
		}
	}
	memset(data, 0, sizeof(data));
	if (syscall(SYS_capset, &hdr, data) < 0) {
		snprintf(err, errlen, "cannot drop capabilities: %s",
			 strerror(errno));
		return -1;
	}
	prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
	return 0;
}

int
sandbox_limit(const struct sandbox_config *cfg,
	      const struct sandbox_limits *lim, char *err, size_t errlen)
{
	/* Threads count per uid: only a uid of the worker's own makes the
	 * limit the worker's. */
	bool own_uid = geteuid() == 0 && cfg->worker_uid_base != 0;

	if ((lim->memory && !cfg->relaxed &&
	     set_limit(RLIMIT_AS, lim->memory) < 0) ||
	    set_limit(RLIMIT_FSIZE, lim->file_size) < 0 ||
	    set_limit(RLIMIT_CPU, lim->cpu_seconds) < 0 ||
	    set_limit(RLIMIT_NOFILE, lim->open_files) < 0 ||
	    set_limit(RLIMIT_CORE, 0) < 0 || set_limit(RLIMIT_MEMLOCK, 0) < 0 ||
	    (own_uid && lim->threads &&
	     set_limit(RLIMIT_NPROC, lim->threads) < 0)) {
		snprintf(err, errlen, "cannot set rlimits: %s",
			 strerror(errno));
		return -1;
	}
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0) {
		snprintf(err, errlen, "cannot make the worker non-dumpable: %s",
			 strerror(errno));
		return -1;
	}
	return 0;
}

int
sandbox_drop(const struct sandbox_config *cfg, uid_t uid, char *err,
	     size_t errlen)
{
	if (drop_privileges(cfg, uid, err, errlen) < 0)
		return -1;
	/* Changing uid cleared the parent-death signal; set it again.  A
	 * worker stopped between invokes (worker.c) never reads the EOF of
	 * a dead host, so this is what ends it then. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0) {
		snprintf(err, errlen, "cannot set the parent-death signal: %s",
			 strerror(errno));
		return -1;
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		snprintf(err, errlen, "cannot set no_new_privs: %s",
			 strerror(errno));
		return -1;
	}
	return 0;
}

int
sandbox_prepare(const struct sandbox_config *cfg,
		const struct sandbox_limits *lim, uid_t uid, char *err,
		size_t errlen)
{
	if (sandbox_limit(cfg, lim, err, errlen) < 0)
		return -1;
	return sandbox_drop(cfg, uid, err, errlen);
}

int
sandbox_lock(const struct sandbox_policy *p, int landlock_abi, int bundle_fd,
	     int scratch_fd, char *err, size_t errlen)
{
	if (landlock_abi > 0 && landlock_apply(landlock_abi, bundle_fd,
					       scratch_fd, err, errlen) < 0)
		return -1;
	if (p->filter && load_policy(p, err, errlen) < 0)
		return -1;
	return 0;
}
