/*
 * sandbox.h: the layers that confine a worker process.
 *
 * A worker is confined in three steps.  sandbox_limit() runs right after
 * the fork, before the worker knows its session: rlimits, non-dumpable.
 * sandbox_drop() runs when SETUP has come and the worker has bound the
 * session's bundle into its private root (root.h), which needs the
 * privileges it then gives up: root switches to an unprivileged uid and
 * keeps no capability, no_new_privs.  (Until SETUP a pooled worker runs
 * nothing but the zygote's code and reads only the host's channel.)
 * sandbox_lock() runs once the session's directories are known: Landlock (bundle read-only, scratch read-write,
 * the system libraries read-only, nothing else; no TCP; signals and
 * abstract Unix sockets scoped to the worker), then the seccomp program.
 * After sandbox_lock() returns the process can not undo any of it.
 *
 * The seccomp program is compiled once (sandbox_policy_compile) in the
 * single-threaded zygote and inherited by every worker; sandbox_probe()
 * reports which layers this kernel offers.
 */
#ifndef FNHOST_SANDBOX_H
#define FNHOST_SANDBOX_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct sandbox_limits {
	uint64_t memory;      /* RLIMIT_AS in bytes; 0 leaves it unset */
	uint64_t file_size;   /* RLIMIT_FSIZE in bytes */
	uint32_t cpu_seconds; /* RLIMIT_CPU, a backstop for the host's timer */
	uint32_t open_files;  /* RLIMIT_NOFILE */
	uint32_t threads;     /* RLIMIT_NPROC, set only when the worker has
				 a uid of its own (0: unset) */
	/* The session's own scratch tmpfs (size= and nr_inodes=), mounted
	 * over the scratch root in the worker's mount namespace. */
	uint64_t scratch_size;
	uint64_t scratch_inodes;
};

/* What the kernel offers, probed once at start. */
struct sandbox_features {
	int landlock_abi; /* 0 when Landlock is unavailable */
	bool seccomp;
	bool userns; /* the zygote had to enter a user namespace */
	bool netns, ipcns, utsns, pidns, mountns;
};

/* Options that apply to every worker. */
struct sandbox_config {
	bool relaxed;	  /* sanitizers: no RLIMIT_AS, their syscalls */
	uid_t worker_uid; /* used only when the host runs as root */
	gid_t worker_gid;
	/* Root only (of the host's user namespace: the zygote ignores it in
	 * one of its own): each worker runs as worker_uid_base + its pid (unique
	 * among the living, and all of a worker's processes die with it),
	 * so that RLIMIT_NPROC bounds one worker's threads and no two
	 * workers share a uid.  0: every worker is worker_uid. */
	uid_t worker_uid_base;
	/* The directory all scratch dirs live under.  With a mount namespace
	 * each worker mounts a tmpfs of its own over it (nosuid, nodev,
	 * noexec; scratch_size and scratch_inodes in sandbox_limits), so
	 * that no two sessions share a file system, a counter or an inode
	 * there, and all of it goes with the worker's namespace when the
	 * worker ends.  NULL skips that. */
	const char *scratch_root;
	/* Libraries the zygote loads once, so that no worker pays for
	 * loading them when its plugin needs them: blank-separated sonames
	 * or absolute paths, chosen by the operator.  NULL or "" for none. */
	const char *preload;
};

/* The first of the uids workers get one each of (see worker_uid_base):
 * far above any real account's, and below 2^32 - 1 - pid_max. */
#define SANDBOX_UID_BASE_DEFAULT 0x70000000u

/* The compiled seccomp program. */
struct sandbox_policy {
	void *filter; /* struct sock_filter[] */
	unsigned short len;
};

/* Compile the allowlist (the table in sandbox.c) to a BPF program.
 * Returns 0, or -1 with a reason in err. */
int sandbox_policy_compile(struct sandbox_policy *p, bool relaxed, char *err,
			   size_t errlen);
void sandbox_policy_free(struct sandbox_policy *p);

/* Fill f with the layers this kernel offers (without changing the
 * calling process). */
void sandbox_probe(struct sandbox_features *f);

/* In a fresh worker: rlimits and PR_SET_DUMPABLE 0.  Returns 0, or -1
 * with a reason in err. */
int sandbox_limit(const struct sandbox_config *cfg,
		  const struct sandbox_limits *lim, char *err, size_t errlen);

/* Drop privileges (as root: to uid, and cfg->worker_gid; no capability
 * left in any set), the parent-death signal again, PR_SET_NO_NEW_PRIVS.
 * Returns 0, or -1 with a reason in err. */
int sandbox_drop(const struct sandbox_config *cfg, uid_t uid, char *err,
		 size_t errlen);

/* sandbox_limit() then sandbox_drop(), for a worker without a private
 * root (bench/session.c times the two together). */
int sandbox_prepare(const struct sandbox_config *cfg,
		    const struct sandbox_limits *lim, uid_t uid, char *err,
		    size_t errlen);

/* The system paths every worker sees and may read, as one table (the
 * path, and the Landlock access rights on it). */
struct sandbox_system_path {
	const char *path;
	uint64_t access;
};
extern const struct sandbox_system_path sandbox_system_paths[];
extern const size_t sandbox_system_paths_len;

/* Landlock with the two directories (O_PATH fds), then the seccomp
 * program.  landlock_abi 0 skips Landlock.  Returns 0, or -1 with a reason
 * in err (the caller must then exit: the process is half-confined). */
int sandbox_lock(const struct sandbox_policy *p, int landlock_abi,
		 int bundle_fd, int scratch_fd, char *err, size_t errlen);

#endif
