/*
 * uids.h: which uid a new worker gets, never one a process still has.
 *
 * As root each worker runs as a uid of its own (worker_uid_base, see
 * sandbox.h), so that no worker can signal, trace or share RLIMIT_NPROC
 * with another.  A uid is handed out only once no process of it exists:
 * a process left of an earlier holder could otherwise signal the next.
 * The kernel keeps a worker's pid until every process of its pid
 * namespace has gone, so base + pid is free as far as this zygote's
 * workers go; the probe also catches what the pid can not: another
 * fnhostd on the machine whose range overlaps, or any other program
 * running as a uid of the range.
 *
 * uid_pick() tries base + pid first, then the spare range above every
 * pid (base + UID_PID_LIMIT + k, round-robin), asking busy() of each.
 * The zygote is the only caller and single-threaded.
 */
#ifndef FNHOST_UIDS_H
#define FNHOST_UIDS_H

#include <sys/types.h>

/* Above the kernel's largest pid_max (PID_MAX_LIMIT, 2^22). */
#define UID_PID_LIMIT (1u << 22)
/* How many spare uids follow, and how many uid_pick() tries of them. */
#define UID_SPARES 65536u
#define UID_SPARE_TRIES 64u

/* Whether any task (process or thread, running, stopped or a zombie, in
 * any pid namespace) has uid as its real uid: a child switched to uid,
 * with RLIMIT_NPROC at 2, tries to fork (the kernel counts every task of
 * a uid).  Root only.  Returns 1 (in use, or could not tell), or 0. */
int uid_in_use(uid_t uid, void *unused);

/* Choose the uid of a worker of this pid.  *next_spare is the caller's
 * round-robin position in the spares.  Returns 0 with *out set, or -1
 * when every candidate tried is busy. */
int uid_pick(uid_t base, pid_t pid, unsigned *next_spare,
	     int (*busy)(uid_t uid, void *ctx), void *ctx, uid_t *out);

#endif
