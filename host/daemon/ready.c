/*
 * ready.c: sessions made ahead (see ready.h).
 *
 * The lock guards the ready sessions, the queue of functions waiting for
 * one and the name of the function the readier works for; it is never
 * held while a worker is made or ended.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/err.h"
#include "daemon/log.h"
#include "daemon/plugin-log.h"
#include "daemon/ready.h"
#include "daemon/sealed.h"
#include "sandbox/channel.h"

/* The nice value of a worker while it is made ahead of its session. */
#define AHEAD_NICE 10

/* Ready sessions per function, at most: with one, a second client opening
 * while the first's replacement is being made waits for a whole launch
 * on its request; two let two clients of a function open at once while
 * the readier catches up. */
#define READY_DEPTH 2

/* Functions whose plugin's sealed memfd is kept (sealed.h): those in use
 * on a busy host; one more past it costs a copy and a hash per miss. */
#define SEALED_MAX 64

/* A session's worker and scratch dir, made ahead for a function. */
struct ready {
	char function_id[32];
	unsigned char plugin_sha256[32];
	struct launched s;
	int64_t made_ms;
};

/* A function waiting for a ready session. */
struct ready_job {
	struct store_function f;
	int bundle_fd; /* a dup, owned by the job; -1: open it from store */
	char bundle_path[PATH_MAX];
};

struct ready_set {
	const struct config *cfg;
	struct metrics *m;
	struct pool *pool;
	struct secrets *sec;
	struct store *store;	   /* the bundles of jobs wanted without one */
	struct sealed_set *sealed; /* every function's plugin, sealed once */
	bool renice;  /* root: may raise a worker's priority again */
	size_t depth; /* ready sessions kept per function */

	pthread_mutex_t lock;
	pthread_cond_t work; /* a job, or stop */
	struct ready *ready; /* cfg->warm_sessions of each */
	struct ready_job *jobs;
	size_t nready, njobs;
	char making[32]; /* the function the readier works for, or "" */
	bool stop;
	pthread_t readier;
};

static void *readier_main(void *arg);

struct ready_set *
ready_new(const struct config *cfg, struct metrics *m, struct pool *pool,
	  struct secrets *sec, struct store *store)
{
	struct ready_set *rs = calloc(1, sizeof(*rs));

	if (!rs)
		return NULL;
	rs->cfg = cfg;
	rs->m = m;
	rs->pool = pool;
	rs->sec = sec;
	rs->store = store;
	rs->renice = geteuid() == 0;
	rs->depth = cfg->warm_sessions < READY_DEPTH ? cfg->warm_sessions
						     : READY_DEPTH;
	rs->ready = calloc(cfg->warm_sessions + 1, sizeof(*rs->ready));
	rs->jobs = calloc(cfg->warm_sessions + 1, sizeof(*rs->jobs));
	rs->sealed = sealed_new(SEALED_MAX);
	if (!rs->ready || !rs->jobs || !rs->sealed)
		goto fail;
	pthread_mutex_init(&rs->lock, NULL);
	pthread_cond_init(&rs->work, NULL);
	if (pthread_create(&rs->readier, NULL, readier_main, rs) != 0) {
		pthread_cond_destroy(&rs->work);
		pthread_mutex_destroy(&rs->lock);
		goto fail;
	}
	return rs;
fail:
	sealed_free(rs->sealed);
	free(rs->jobs);
	free(rs->ready);
	free(rs);
	return NULL;
}

static int
launch_for(struct ready_set *rs, const struct store_function *f, int bundle_fd,
	   const char *bundle_path, bool ahead, struct launched *out, char *err,
	   size_t errlen)
{
	struct launch l = {
		.bundle_fd = bundle_fd,
		.bundle_path = bundle_path,
		.plugin = f->plugin,
		.plugin_sha256 = f->plugin_sha256,
		.sealed = true,
		.log = plugin_log_line,
		.log_free = plugin_log_free,
	};
	unsigned char *secrets;
	size_t secrets_len;
	int rc;

	l.plugin_memfd = sealed_get(rs->sealed, f->id, f->plugin_sha256,
				    bundle_fd, f->plugin, err, errlen);
	if (l.plugin_memfd < 0)
		return -ERR_BAD_BUNDLE; /* as launch_session() says it */
	/* Opened for this worker alone, and wiped once it holds them. */
	rc = secrets_open_all(rs->sec, f->name, &secrets, &secrets_len, err,
			      errlen);
	if (rc < 0) {
		close(l.plugin_memfd);
		return rc;
	}
	l.secrets = secrets;
	l.secrets_len = secrets_len;
	l.log_ctx = plugin_log_new(f->id, f->name);
	if (!l.log_ctx) {
		rc = err_set(err, errlen, ERR_INTERNAL, "out of memory");
		goto out;
	}
	if (ahead)
		rc = pool_launch_ahead(rs->pool, rs->cfg, &l,
				       rs->renice ? AHEAD_NICE : 0, out, err,
				       errlen);
	else
		rc = pool_launch(rs->pool, rs->cfg, &l, out, err, errlen);
out:
	secrets_wipe(secrets, secrets_len);
	close(l.plugin_memfd);
	return rc;
}

int
ready_launch(struct ready_set *rs, const struct store_function *f,
	     int bundle_fd, const char *bundle_path, struct launched *out,
	     char *err, size_t errlen)
{
	return launch_for(rs, f, bundle_fd, bundle_path, false, out, err,
			  errlen);
}

static void
discard(struct ready_set *rs, struct ready *r)
{
	atomic_fetch_sub(&rs->m->sessions_ready, 1);
	if (launch_discard(&r->s, 1000) < 0)
		log_msg(LOG_LEVEL_WARN,
			"function=%s msg=\"cannot remove a scratch dir\"",
			r->function_id);
}

/* The index of a ready session of f, or rs->nready for none.  Call with
 * the lock held. */
static size_t
find_locked(const struct ready_set *rs, const struct store_function *f)
{
	size_t i;

	for (i = 0; i < rs->nready; i++)
		if (!strcmp(rs->ready[i].function_id, f->id) &&
		    !memcmp(rs->ready[i].plugin_sha256, f->plugin_sha256, 32))
			break;
	return i;
}

bool
ready_has(struct ready_set *rs, const struct store_function *f)
{
	bool has;

	pthread_mutex_lock(&rs->lock);
	has = find_locked(rs, f) < rs->nready;
	pthread_mutex_unlock(&rs->lock);
	return has;
}

bool
ready_take(struct ready_set *rs, const struct store_function *f,
	   struct launched *out)
{
	size_t i;

	pthread_mutex_lock(&rs->lock);
	i = find_locked(rs, f);
	if (i == rs->nready) {
		pthread_mutex_unlock(&rs->lock);
		return false;
	}
	*out = rs->ready[i].s;
	rs->ready[i] = rs->ready[--rs->nready];
	pthread_mutex_unlock(&rs->lock);
	atomic_fetch_sub(&rs->m->sessions_ready, 1);
	atomic_fetch_add(&rs->m->sessions_ready_taken, 1);
	if (rs->renice)
		setpriority(PRIO_PROCESS, (id_t)worker_pid(out->w), 0);
	return true;
}

/* How many ready sessions f has, queued and being made included.  Call
 * with the lock held. */
static size_t
count_locked(const struct ready_set *rs, const char *function_id)
{
	size_t i, n = 0;

	for (i = 0; i < rs->nready; i++)
		n += !strcmp(rs->ready[i].function_id, function_id);
	for (i = 0; i < rs->njobs; i++)
		n += !strcmp(rs->jobs[i].f.id, function_id);
	return n + !strcmp(rs->making, function_id);
}

void
ready_want(struct ready_set *rs, const struct store_function *f, int bundle_fd,
	   const char *bundle_path)
{
	struct ready_job *j;
	bool queued = false;

	if (!rs->cfg->warm_sessions)
		return;
	pthread_mutex_lock(&rs->lock);
	if (rs->stop || rs->njobs == rs->cfg->warm_sessions ||
	    count_locked(rs, f->id) >= rs->depth)
		goto out;
	j = &rs->jobs[rs->njobs];
	j->bundle_fd = -1;
	j->bundle_path[0] = '\0';
	if (bundle_fd >= 0) {
		if (snprintf(j->bundle_path, sizeof(j->bundle_path), "%s",
			     bundle_path) >= (int)sizeof(j->bundle_path))
			goto out;
		j->bundle_fd = fcntl(bundle_fd, F_DUPFD_CLOEXEC, 0);
		if (j->bundle_fd < 0)
			goto out;
	}
	j->f = *f;
	rs->njobs++;
	queued = true;
out:
	pthread_mutex_unlock(&rs->lock);
	/* After the unlock: a readier woken under it would only wait for
	 * the lock, and the caller be woken again to hand it over. */
	if (queued)
		pthread_cond_signal(&rs->work);
}

/* Keep r, making room by dropping the oldest ready session if need be. */
static void
keep(struct ready_set *rs, const struct ready *r)
{
	struct ready old = { .s.w = NULL };
	size_t i, oldest = 0;

	atomic_fetch_add(&rs->m->sessions_ready, 1);
	pthread_mutex_lock(&rs->lock);
	if (rs->stop) {
		old = *r;
	} else {
		if (rs->nready == rs->cfg->warm_sessions) {
			for (i = 1; i < rs->nready; i++)
				if (rs->ready[i].made_ms <
				    rs->ready[oldest].made_ms)
					oldest = i;
			old = rs->ready[oldest];
			rs->ready[oldest] = rs->ready[--rs->nready];
		}
		rs->ready[rs->nready++] = *r;
	}
	pthread_mutex_unlock(&rs->lock);
	if (old.s.w)
		discard(rs, &old);
}

/* Make the session job j asks for, and keep it; a job wanted without a
 * bundle has it opened here, on the readier's thread. */
static void
make(struct ready_set *rs, struct ready_job *j)
{
	struct ready r;
	char err[4200];

	if (j->bundle_fd < 0 &&
	    store_bundle_open(rs->store, j->f.checksum, &j->bundle_fd,
			      j->bundle_path, sizeof(j->bundle_path), err,
			      sizeof(err)) < 0) {
		j->bundle_fd = -1;
		log_msg(LOG_LEVEL_WARN,
			"function=%s event=ready_failed msg=\"%s\"", j->f.id,
			err);
		return;
	}
	memset(&r, 0, sizeof(r));
	memcpy(r.function_id, j->f.id, sizeof(r.function_id));
	memcpy(r.plugin_sha256, j->f.plugin_sha256, 32);
	if (launch_for(rs, &j->f, j->bundle_fd, j->bundle_path, true, &r.s, err,
		       sizeof(err)) < 0) {
		log_msg(LOG_LEVEL_WARN,
			"function=%s event=ready_failed msg=\"%s\"", j->f.id,
			err);
		return;
	}
	r.made_ms = clock_now_ms();
	keep(rs, &r);
}

/*
 * The readier's work is made ahead, for no one waiting: it takes only CPU
 * that nothing else wants.  A request-path thread woken on its CPU takes
 * it at once, and the scheduler places woken threads on a CPU that runs
 * only this one as on an idle CPU.  Without it the readier, which slept
 * since the last open, was woken by each open and took the event
 * thread's CPU for the 150-200 us of making the next session, before
 * that open's answer had been sent (bench/PROFILE.md).  The locks it
 * shares with requests are held for a few instructions, but for two: the
 * secrets' (shared, while a function's are read for its worker: only a
 * change of a secret waits on it) and the zygote's, which the pool spares
 * it (pool_launch_ahead()).  Any thread may lower its own priority so; a
 * failure only leaves it as it was.
 */
static void
idle_priority(void)
{
	const struct sched_param none = { .sched_priority = 0 };

	if (sched_setscheduler(0, SCHED_IDLE, &none) < 0)
		log_msg(LOG_LEVEL_WARN,
			"event=ready msg=\"cannot make the readier idle: %s\"",
			strerror(errno));
}

static void *
readier_main(void *arg)
{
	struct ready_set *rs = arg;
	struct ready_job j;

	idle_priority();
	pthread_mutex_lock(&rs->lock);
	for (;;) {
		while (!rs->stop && rs->njobs == 0)
			pthread_cond_wait(&rs->work, &rs->lock);
		if (rs->stop)
			break;
		j = rs->jobs[0];
		rs->jobs[0] = rs->jobs[--rs->njobs];
		memcpy(rs->making, j.f.id, sizeof(rs->making));
		pthread_mutex_unlock(&rs->lock);
		make(rs, &j);
		if (j.bundle_fd >= 0)
			close(j.bundle_fd);
		pthread_mutex_lock(&rs->lock);
		rs->making[0] = '\0';
	}
	pthread_mutex_unlock(&rs->lock);
	return NULL;
}

void
ready_drop(struct ready_set *rs, const char *function_id, int64_t idle_ms)
{
	struct ready gone[64];
	const int64_t now = clock_now_ms();
	size_t i = 0, n = 0;

	pthread_mutex_lock(&rs->lock);
	while (i < rs->nready && n < 64) {
		struct ready *r = &rs->ready[i];

		if ((!function_id || !strcmp(r->function_id, function_id)) &&
		    (idle_ms < 0 || now - r->made_ms > idle_ms)) {
			gone[n++] = *r;
			*r = rs->ready[--rs->nready];
		} else {
			i++;
		}
	}
	pthread_mutex_unlock(&rs->lock);
	for (i = 0; i < n; i++)
		discard(rs, &gone[i]);
	/* Whatever its age, a function's ready sessions go when it does (or
	 * the host drains): so does its plugin's memfd. */
	if (idle_ms < 0)
		sealed_drop(rs->sealed, function_id);
}

void
ready_free(struct ready_set *rs)
{
	if (!rs)
		return;
	pthread_mutex_lock(&rs->lock);
	rs->stop = true;
	pthread_cond_signal(&rs->work);
	pthread_mutex_unlock(&rs->lock);
	pthread_join(rs->readier, NULL);
	while (rs->njobs > 0)
		if (rs->jobs[--rs->njobs].bundle_fd >= 0)
			close(rs->jobs[rs->njobs].bundle_fd);
	while (rs->nready > 0)
		ready_drop(rs, NULL, -1);
	pthread_cond_destroy(&rs->work);
	pthread_mutex_destroy(&rs->lock);
	sealed_free(rs->sealed);
	free(rs->jobs);
	free(rs->ready);
	free(rs);
}
