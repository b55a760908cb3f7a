/*
 * bench/session.c: what a sandboxed session costs, against a bare
 * fork+wait measured in the same run on the same machine.
 *
 *	fork+wait        the baseline: fork(), child _exit(0), waitpid()
 *	fork+prepare     ... the child sets rlimits, drops privileges
 *	fork+lock        ... the child applies Landlock and seccomp
 *	clone+ns         clone() with the worker's pid and mount namespaces
 *	worker spawn     a zygote worker: namespaces, rlimits, uid drop
 *	session          spawn, Landlock, seccomp, dlopen of the plugin,
 *	                 one invoke, close and reap
 *
 * Usage: bench-session BUNDLE_DIR [ROUNDS]; prints p50/p99 in
 * microseconds and each figure as a ratio to the baseline's p50.
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
#include "sandbox/scratch.h"
#include "timing.h"
#include "sandbox/worker.h"

struct bench_ctx {
	struct zygote z;
	struct sandbox_config cfg;
	struct sandbox_policy policy;
	struct sandbox_limits lim;
	int bundle_fd, memfd;
	const char *bundle_path;
};

static void
bare_fork(struct bench_ctx *c)
{
	pid_t pid = fork();

	(void)c;
	if (pid == 0)
		_exit(0);
	waitpid(pid, NULL, 0);
}

static void
fork_prepare(struct bench_ctx *c)
{
	char err[256];
	pid_t pid = fork();

	if (pid == 0)
		_exit(sandbox_prepare(&c->cfg, &c->lim, c->cfg.worker_uid, err,
				      sizeof(err)) < 0);
	waitpid(pid, NULL, 0);
}

static void
fork_lock(struct bench_ctx *c)
{
	char err[256];
	pid_t pid = fork();

	if (pid == 0)
		_exit(sandbox_lock(&c->policy, c->z.features.landlock_abi,
				   c->bundle_fd, c->bundle_fd, err,
				   sizeof(err)) < 0);
	waitpid(pid, NULL, 0);
}

static void
clone_ns(struct bench_ctx *c)
{
	pid_t pid = (pid_t)syscall(SYS_clone,
				   CLONE_NEWPID | CLONE_NEWNS | SIGCHLD, NULL,
				   NULL, NULL, NULL);

	(void)c;
	if (pid == 0)
		_exit(0);
	waitpid(pid, NULL, 0);
}

static void
worker_spawn(struct bench_ctx *c)
{
	struct zygote_worker w;
	char err[256];

	if (zygote_spawn(&c->z, &c->lim, &w, err, sizeof(err)) < 0) {
		fprintf(stderr, "bench: %s\n", err);
		exit(1);
	}
	close(w.chan); /* the idle worker exits on EOF */
	waitid(P_PIDFD, (id_t)w.pidfd, NULL, WEXITED);
	close(w.pidfd);
}

static void
full_session(struct bench_ctx *c)
{
	char scratch[4096], err[4200];
	struct worker_params p = { 0 };
	struct worker_result r;
	struct worker *w;
	int sfd;

	if (scratch_create("/tmp", "fnhost-bench-", (uid_t)-1, (gid_t)-1,
			   scratch, sizeof(scratch), &sfd, err,
			   sizeof(err)) < 0)
		goto fail;
	chmod(scratch, 0777);
	p.limits = &c->lim;
	p.bundle_fd = c->bundle_fd;
	p.bundle_path = c->bundle_path;
	p.scratch_fd = sfd;
	p.scratch_path = scratch;
	p.plugin_fd = c->memfd;
	p.max_input = p.max_output = 1 << 20;
	p.load_timeout_ms = 5000;
	if (worker_open(&c->z, &p, &w, err, sizeof(err)) < 0)
		goto fail;
	if (worker_invoke(w, "ping", 4, 5000, &r) != WORKER_OK) {
		snprintf(err, sizeof(err), "invoke: %.4000s", r.error);
		goto fail;
	}
	free(r.output);
	worker_close(w, 1000);
	close(sfd);
	scratch_remove(scratch);
	return;
fail:
	fprintf(stderr, "bench: %s\n", err);
	exit(1);
}

static double
measure(const char *name, void (*fn)(struct bench_ctx *), struct bench_ctx *c,
	int rounds, double base)
{
	double *t = calloc((size_t)rounds, sizeof(*t)), p50, p99, start;
	int i;

	if (!t) {
		fprintf(stderr, "bench: out of memory\n");
		exit(1);
	}
	for (i = 0; i < rounds / 10 + 1; i++) /* warm up */
		fn(c);
	for (i = 0; i < rounds; i++) {
		start = now_us();
		fn(c);
		t[i] = now_us() - start;
	}
	percentiles(t, rounds, &p50, &p99);
	printf("%-14s p50 %8.1f us  p99 %8.1f us  ratio %5.2fx\n", name, p50,
	       p99, base > 0 ? p50 / base : 1.0);
	free(t);
	return p50;
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
	double base;
	int dirfd;

	if (argc < 2 || rounds < 10) {
		fprintf(stderr, "usage: bench-session BUNDLE_DIR [ROUNDS]\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	c.cfg.worker_uid = c.cfg.worker_gid = 65534;
	c.cfg.scratch_root = "/tmp";
	c.cfg.relaxed = getenv("FNHOST_SANDBOX_RELAXED") != NULL;
	c.bundle_path = argv[1];
	dirfd = open(argv[1], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	c.bundle_fd = open(argv[1], O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0 || c.bundle_fd < 0 ||
	    bundle_find_plugin(dirfd, plugin, sizeof(plugin), err,
			       sizeof(err)) < 0 ||
	    worker_seal_plugin(dirfd, plugin, NULL, NULL, &c.memfd, err,
			       sizeof(err)) < 0 ||
	    sandbox_policy_compile(&c.policy, c.cfg.relaxed, err, sizeof(err)) <
		    0 ||
	    zygote_start(&c.z, &c.cfg, err, sizeof(err)) < 0) {
		fprintf(stderr, "bench: %s\n", err);
		return 1;
	}
	printf("sessions: %d rounds each; Landlock ABI %d, seccomp %s\n",
	       rounds, c.z.features.landlock_abi,
	       c.z.features.seccomp ? "on" : "off");
	base = measure("fork+wait", bare_fork, &c, rounds, 0);
	measure("fork+prepare", fork_prepare, &c, rounds, base);
	measure("fork+lock", fork_lock, &c, rounds, base);
	measure("clone+ns", clone_ns, &c, rounds, base);
	measure("worker spawn", worker_spawn, &c, rounds, base);
	measure("session", full_session, &c, rounds, base);
	zygote_stop(&c.z);
	sandbox_policy_free(&c.policy);
	return 0;
}
