/*
 * uids.c: worker uids that no living process holds (see uids.h).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sandbox/uids.h"

int
uid_in_use(uid_t uid, void *unused)
{
	struct rlimit two = { 2, 2 };
	pid_t pid;
	int st;

	(void)unused;
	/* A child, so that the zygote keeps its own identity.  The kernel
	 * counts the tasks of each uid (what RLIMIT_NPROC bounds), in every
	 * pid namespace, zombies and stopped ones too.  Switched to uid
	 * with a limit of two, the child is one of them and may fork a
	 * second only when there is no other.  (kill(-1, 0) would not do:
	 * it succeeds when other processes exist at all, ignoring EPERM.) */
	pid = fork();
	if (pid < 0)
		return 1;
	if (pid == 0) {
		pid_t grandchild;

		if (setrlimit(RLIMIT_NPROC, &two) < 0 ||
		    setresgid(65534, 65534, 65534) < 0 ||
		    setresuid(uid, uid, uid) < 0)
			_exit(2);
		grandchild = fork();
		if (grandchild < 0)
			_exit(errno == EAGAIN ? 1 : 2);
		if (grandchild == 0)
			_exit(0);
		waitpid(grandchild, NULL, 0);
		_exit(0);
	}
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return 1;
	return !(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

int
uid_pick(uid_t base, pid_t pid, unsigned *next_spare,
	 int (*busy)(uid_t uid, void *ctx), void *ctx, uid_t *out)
{
	uid_t uid = base + (uid_t)pid;
	unsigned i;

	if (!busy(uid, ctx)) {
		*out = uid;
		return 0;
	}
	for (i = 0; i < UID_SPARE_TRIES; i++) {
		uid = base + UID_PID_LIMIT + *next_spare % UID_SPARES;
		*next_spare = (*next_spare + 1) % UID_SPARES;
		if (!busy(uid, ctx)) {
			*out = uid;
			return 0;
		}
	}
	return -1;
}
