/*
 * bench/session.c: what a sandboxed session costs, against a bare
 * fork+wait measured in the same run on the same machine.
 *
 *	fork+wait        the baseline: fork(), child _exit(0), waitpid()
 *	fork+prepare     ... the child sets rlimits, drops privileges
 *	fork+lock        ... the child applies Landlock and seccomp
 *	clone+ns         clone() with the worker's pid and mount namespaces
 *	clone+ns+root    ... the child builds the private root alone: its
 *	                 tmpfs, the system paths' read-only binds, the
 *	                 scratch tmpfs, pivot_root, a fresh procfs
 *	spawn            a zygote worker: namespaces, rlimits, the private
 *	                 root and scratch tmpfs (what a pooled worker has
 *	                 done before its session), reaped at once
 *	pooled open      what a session open over HTTP waits for once a
 *	                 pooled worker exists: its scratch dir, SETUP (the
 *	                 bundle bound, the host's tree let go, privileges
 *	                 dropped, Landlock, seccomp), dlopen and init()
 *	session          spawn, open, one invoke, close and reap
 *
 * spawn, pooled open and session are measured twice, from two zygotes
 * of the same run: one as fnhostd runs it, and one started with
 * ZYGOTE_ENV_NO_MOUNTNS (zygote.h; "flat"), whose workers have no mount
 * namespace, so no private root and no scratch tmpfs.  The difference is
 * what the private world costs per session; bench/api gives the same two
 * through a real fnhostd's warm pool.
 *
 * Usage: bench-session BUNDLE_DIR [ROUNDS]; prints p50, p90 and p99 in
 * microseconds and each p50 and p90 as a ratio to the baseline's.  No
 * figure is asserted: a shared machine is noisy.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <linux/sched.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "formats/bundle.h"
#include "sandbox/root.h"
#include "sandbox/scratch.h"
#include "timing.h"
#include "sandbox/worker.h"

struct bench_ctx {
	struct zygote full, flat; /* flat: without a mount namespace */
	struct zygote *z;	  /* the one the figure at hand uses */
	struct sandbox_config cfg;
	struct sandbox_policy policy;
	struct sandbox_limits lim;
	int bundle_fd, memfd;
	const char *bundle_path;
};

/* A figure: one round of it, returning the microseconds of what it
 * times (the setup and teardown around that are not). */
typedef double (*figure_fn)(struct bench_ctx *c);

static _Noreturn void
die(const char *err)
{
	fprintf(stderr, "bench: %s\n", err);
	exit(1);
}

static double
bare_fork(struct bench_ctx *c)
{
	double start = now_us();
	pid_t pid = fork();

	(void)c;
	if (pid == 0)
		_exit(0);
	waitpid(pid, NULL, 0);
	return now_us() - start;
}

static double
fork_prepare(struct bench_ctx *c)
{
	double start = now_us();
	char err[256];
	pid_t pid = fork();

	if (pid == 0)
		_exit(sandbox_prepare(&c->cfg, &c->lim, c->cfg.worker_uid, err,
				      sizeof(err)) < 0);
	waitpid(pid, NULL, 0);
	return now_us() - start;
}

static double
fork_lock(struct bench_ctx *c)
{
	double start = now_us();
	char err[256];
	pid_t pid = fork();

	if (pid == 0)
		_exit(sandbox_lock(&c->policy, c->full.features.landlock_abi,
				   c->bundle_fd, c->bundle_fd, err,
				   sizeof(err)) < 0);
	waitpid(pid, NULL, 0);
	return now_us() - start;
}

/* clone() with the worker's pid and mount namespaces; with_root: the
 * child builds the private root in them (root.h) before it exits. */
static double
clone_ns_root(struct bench_ctx *c, bool with_root)
{
	double start = now_us();
	char err[256];
	pid_t pid = (pid_t)syscall(SYS_clone,
				   CLONE_NEWPID | CLONE_NEWNS | SIGCHLD, NULL,
				   NULL, NULL, NULL);
	int st;

	if (pid == 0)
		_exit(with_root &&
		      root_build(c->cfg.scratch_root, &c->lim,
				 c->cfg.worker_uid, c->cfg.worker_gid, false,
				 true, err, sizeof(err)) < 0);
	waitpid(pid, &st, 0);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		die("the private root could not be built");
	return now_us() - start;
}

static double
clone_ns(struct bench_ctx *c)
{
	return clone_ns_root(c, false);
}

static double
clone_ns_with_root(struct bench_ctx *c)
{
	return clone_ns_root(c, true);
}

static void
spawn_or_die(struct bench_ctx *c, struct zygote_worker *w)
{
	char err[256];

	if (zygote_spawn(c->z, &c->lim, w, err, sizeof(err)) < 0)
		die(err);
}

static double
worker_spawn(struct bench_ctx *c)
{
	double start = now_us();
	struct zygote_worker w;

	spawn_or_die(c, &w);
	close(w.chan); /* the idle worker exits on EOF */
	waitid(P_PIDFD, (id_t)w.pidfd, NULL, WEXITED);
	close(w.pidfd);
	return now_us() - start;
}

/* A session on a worker of c->z; pooled: the worker is spawned first and
 * only what follows is timed, up to its plugin's init(); otherwise the
 * whole session, spawn to reap, with one invoke. */
static double
session_on(struct bench_ctx *c, bool pooled)
{
	char scratch[4096], err[4200];
	struct worker_params p = { 0 };
	struct zygote_worker zw;
	struct worker_result r;
	struct worker *w;
	double start, took = 0;
	int sfd;

	if (pooled)
		spawn_or_die(c, &zw);
	start = now_us();
	if (scratch_create("/tmp", "fnhost-bench-", (uid_t)-1, (gid_t)-1,
			   scratch, sizeof(scratch), &sfd, err,
			   sizeof(err)) < 0)
		die(err);
	chmod(scratch, 0777);
	p.limits = &c->lim;
	p.bundle_fd = c->bundle_fd;
	p.bundle_path = c->bundle_path;
	p.scratch_fd = sfd;
	p.scratch_path = scratch;
	p.plugin_fd = c->memfd;
	p.max_input = p.max_output = 1 << 20;
	p.load_timeout_ms = 5000;
	if ((pooled ? worker_start(&zw, &p, &w, err, sizeof(err))
		    : worker_open(c->z, &p, &w, err, sizeof(err))) < 0)
		die(err);
	if (pooled)
		took = now_us() - start;
	if (worker_invoke(w, "ping", 4, 5000, &r) != WORKER_OK) {
		snprintf(err, sizeof(err), "invoke: %.4000s", r.error);
		die(err);
	}
	free(r.output);
	worker_close(w, 1000);
	close(sfd);
	scratch_remove(scratch);
	return pooled ? took : now_us() - start;
}

static double
pooled_open(struct bench_ctx *c)
{
	return session_on(c, true);
}

static double
full_session(struct bench_ctx *c)
{
	return session_on(c, false);
}

struct figure {
	double p50, p90;
};

/* Print name's p50, p90 and p99 of the n timings t (sorted then), with
 * their ratios to base's unless base is NULL. */
static struct figure
report(const char *name, double *t, int n, const struct figure *base)
{
	struct figure f;
	double p99;

	percentiles(t, n, &f.p50, &p99);
	f.p90 = t[n * 9 / 10];
	printf("%-18s p50 %8.1f  p90 %8.1f  p99 %8.1f us", name, f.p50, f.p90,
	       p99);
	if (base)
		printf("  %6.2fx %6.2fx fork+wait", f.p50 / base->p50,
		       f.p90 / base->p90);
	printf("\n");
	return f;
}

static double *
timings(int rounds)
{
	double *t = calloc((size_t)rounds, sizeof(*t));

	if (!t)
		die("out of memory");
	return t;
}

static struct figure
measure(const char *name, figure_fn fn, struct bench_ctx *c, int rounds,
	const struct figure *base)
{
	double *t = timings(rounds);
	struct figure f;
	int i;

	for (i = 0; i < rounds / 10 + 1; i++) /* warm up */
		fn(c);
	for (i = 0; i < rounds; i++)
		t[i] = fn(c);
	f = report(name, t, rounds, base);
	free(t);
	return f;
}

/* name on the full zygote and on the flat one, round by round in turn
 * so that what the machine does meanwhile falls on both alike, and what
 * the private world adds. */
static void
measure_both(const char *name, figure_fn fn, struct bench_ctx *c, int rounds,
	     const struct figure *base)
{
	double *full_t = timings(rounds), *flat_t = timings(rounds);
	struct figure full, flat;
	char label[64];
	int i;

	for (i = -(rounds / 10 + 1); i < rounds; i++) { /* i < 0: warm up */
		c->z = &c->full;
		full_t[i < 0 ? 0 : i] = fn(c);
		c->z = &c->flat;
		flat_t[i < 0 ? 0 : i] = fn(c);
	}
	full = report(name, full_t, rounds, base);
	snprintf(label, sizeof(label), "%s flat", name);
	flat = report(label, flat_t, rounds, base);
	printf("%-18s p50 %+8.1f  p90 %+8.1f us  (%.2fx, %.2fx flat)\n",
	       "  private world", full.p50 - flat.p50, full.p90 - flat.p90,
	       full.p50 / flat.p50, full.p90 / flat.p90);
	free(full_t);
	free(flat_t);
}

int
main(int argc, char **argv)
{
	struct bench_ctx c = { .lim = { .memory = 512u << 20,
					.file_size = 64u << 20,
					.cpu_seconds = 60,
					.open_files = 64 } };
	int rounds = argc > 2 ? atoi(argv[2]) : 300;
	char err[4200], plugin[256];
	struct figure base;
	int dirfd;

	if (argc < 2 || rounds < 10) {
		fprintf(stderr, "usage: bench-session BUNDLE_DIR [ROUNDS]\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	c.cfg.worker_uid = c.cfg.worker_gid = 65534;
	c.cfg.scratch_root = "/tmp";
	c.cfg.relaxed = getenv("FNHOST_SANDBOX_RELAXED") != NULL;
	/* The worker binds the bundle at the path it is given, which must be
	 * absolute (root.h); make bench names it relative to the tree. */
	c.bundle_path = realpath(argv[1], NULL);
	if (!c.bundle_path)
		die("cannot resolve the bundle's path");
	dirfd = open(argv[1], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	c.bundle_fd = open(argv[1], O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0 || c.bundle_fd < 0 ||
	    bundle_find_plugin(dirfd, plugin, sizeof(plugin), err,
			       sizeof(err)) < 0 ||
	    worker_seal_plugin(dirfd, plugin, NULL, NULL, &c.memfd, err,
			       sizeof(err)) < 0 ||
	    sandbox_policy_compile(&c.policy, c.cfg.relaxed, err, sizeof(err)) <
		    0 ||
	    zygote_start(&c.full, &c.cfg, err, sizeof(err)) < 0)
		die(err);
	/* The zygote reads the switch when it starts, from the environment
	 * it inherits. */
	if (setenv(ZYGOTE_ENV_NO_MOUNTNS, "1", 1) < 0 ||
	    zygote_start(&c.flat, &c.cfg, err, sizeof(err)) < 0)
		die(err);
	unsetenv(ZYGOTE_ENV_NO_MOUNTNS);
	if (!c.full.features.mountns || c.flat.features.mountns)
		die("the kernel gives workers no mount namespace: there is no "
		    "private world to measure");
	printf("sessions: %d rounds each; Landlock ABI %d, seccomp %s; flat: "
	       "a zygote without the private root and scratch tmpfs\n",
	       rounds, c.full.features.landlock_abi,
	       c.full.features.seccomp ? "on" : "off");
	base = measure("fork+wait", bare_fork, &c, rounds, NULL);
	measure("fork+prepare", fork_prepare, &c, rounds, &base);
	measure("fork+lock", fork_lock, &c, rounds, &base);
	measure("clone+ns", clone_ns, &c, rounds, &base);
	measure("clone+ns+root", clone_ns_with_root, &c, rounds, &base);
	measure_both("spawn", worker_spawn, &c, rounds, &base);
	measure_both("pooled open", pooled_open, &c, rounds, &base);
	measure_both("session", full_session, &c, rounds, &base);
	zygote_stop(&c.full);
	zygote_stop(&c.flat);
	sandbox_policy_free(&c.policy);
	return 0;
}
