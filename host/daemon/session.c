/*
 * session.c: the live session table (see session.h).
 *
 * Locking: the table lock guards the array of sessions and every
 * session's refs, busy and gone fields; it is never held across a worker
 * call.  Each session's own lock serializes its invokes and its close.
 * A session leaves the array the moment it is marked gone, and is freed
 * when the last reference is dropped.
 *
 * Ready sessions: once a session of a function opens, a thread of the
 * table makes the next one for that function ahead of time (a worker
 * with the plugin loaded, its init run, and an empty scratch dir), so
 * that the next open only hands it over.  The ready lock guards them and
 * the queue of functions waiting for one; at most cfg->warm_sessions
 * exist, one per function, and one unused past session_idle is dropped.
 *
 * Burials: a closed session leaves the table at once, but its worker may
 * take a while to end (fini() has up to a second, then the kernel tears
 * down its namespaces) and its scratch dir to be wiped.  Another thread
 * of the table does that, so a close answers as soon as the session is
 * unreachable.  At most GRAVES_MAX wait; past that, the closing request
 * ends the worker itself, so a flood of closes can not pile up workers.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "sandbox/channel.h"
#include "daemon/log.h"
#include "daemon/pool.h"
#include "sandbox/scratch.h"
#include "daemon/session.h"

struct session {
	char id[33];
	char function_id[32];
	char checksum[65];
	pthread_mutex_t lock; /* serializes invokes and the close */
	struct worker *w;
	char scratch[PATH_MAX];
	int scratch_fd;
	int64_t created_ms, last_used_ms; /* CLOCK_MONOTONIC */
	/* guarded by the table lock: */
	int refs;
	bool busy;
	bool gone;
	struct session *next; /* in the graves, once gone and unreferenced */
};

/* A session's worker and scratch dir, made ahead for a function. */
struct ready {
	char function_id[32];
	unsigned char plugin_sha256[32];
	struct worker *w;
	char scratch[PATH_MAX];
	int scratch_fd;
	int64_t made_ms;
};

/* A function waiting for a ready session. */
struct ready_job {
	struct store_function f;
	int bundle_fd; /* a dup, owned by the job */
	char bundle_path[PATH_MAX];
};

struct sessions {
	const struct config *cfg;
	struct zygote *z;
	struct metrics *m;
	struct sandbox_limits lim; /* every worker's, from cfg */
	struct pool *pool;	   /* the only way to the zygote */
	pthread_mutex_t lock;
	struct session **v;
	size_t n;
	bool draining;

	pthread_mutex_t ready_lock; /* guards ready, jobs, ready_stop */
	pthread_cond_t ready_work;  /* a job, or ready_stop */
	struct ready *ready;	    /* cfg->warm_sessions of each */
	struct ready_job *jobs;
	size_t nready, njobs;
	char making[32]; /* the function the readier works for, or "" */
	bool ready_stop;
	bool renice; /* root: may lower a ready worker's nice value again */
	pthread_t readier;

	pthread_mutex_t bury_lock; /* guards graves, ngraves, bury_stop */
	pthread_cond_t bury_work;  /* a grave, or bury_stop */
	struct session *graves;	   /* unlinked, unreferenced; through ->next */
	size_t ngraves;
	bool bury_stop;
	pthread_t burier;
};

/* Closed sessions whose workers may end off the request path. */
#define GRAVES_MAX 16

/* The nice value of a worker while it is made ahead of its session. */
#define AHEAD_NICE 10

static void *readier_main(void *arg);
static void *burier_main(void *arg);

static void
set_error(struct session_error *e, int status, const char *code,
	  const char *fmt, ...)
{
	va_list ap;

	e->status = status;
	snprintf(e->code, sizeof(e->code), "%s", code);
	va_start(ap, fmt);
	vsnprintf(e->message, sizeof(e->message), fmt, ap);
	va_end(ap);
}

struct sessions *
sessions_new(const struct config *cfg, struct zygote *z, struct metrics *m)
{
	struct sessions *ss = calloc(1, sizeof(*ss));

	if (!ss)
		return NULL;
	ss->cfg = cfg;
	ss->z = z;
	ss->m = m;
	ss->lim = (struct sandbox_limits){
		.memory = cfg->worker_memory,
		.file_size = cfg->worker_file_size,
		.cpu_seconds = cfg->session_lifetime_ms / 1000 + 1,
		.open_files = cfg->worker_open_files,
		.threads = cfg->worker_threads,
	};
	ss->v = calloc(cfg->sessions_total, sizeof(*ss->v));
	ss->ready = calloc(cfg->warm_sessions + 1, sizeof(*ss->ready));
	ss->jobs = calloc(cfg->warm_sessions + 1, sizeof(*ss->jobs));
	if (!ss->v || !ss->ready || !ss->jobs)
		goto fail;
	ss->pool = pool_new(z, &ss->lim, cfg->warm_workers);
	if (!ss->pool)
		goto fail;
	pthread_mutex_init(&ss->lock, NULL);
	ss->renice = geteuid() == 0;
	pthread_mutex_init(&ss->ready_lock, NULL);
	pthread_cond_init(&ss->ready_work, NULL);
	pthread_mutex_init(&ss->bury_lock, NULL);
	pthread_cond_init(&ss->bury_work, NULL);
	/* sessions_free() joins only the threads whose stop flag is clear */
	if (pthread_create(&ss->readier, NULL, readier_main, ss) != 0) {
		ss->ready_stop = ss->bury_stop = true;
		sessions_free(ss);
		return NULL;
	}
	if (pthread_create(&ss->burier, NULL, burier_main, ss) != 0) {
		ss->bury_stop = true;
		sessions_free(ss);
		return NULL;
	}
	return ss;
fail:
	pool_free(ss->pool);
	free(ss->jobs);
	free(ss->ready);
	free(ss->v);
	free(ss);
	return NULL;
}

/* ---- references ---------------------------------------------------------- */

/* End a worker (it runs fini() for up to a second) and wipe its scratch
 * dir; id names it in the log. */
static void
discard(const char *id, struct worker *w, const char *scratch,
	int scratch_fd)
{
	worker_close(w, 1000);
	if (scratch_fd >= 0)
		close(scratch_fd);
	if (scratch[0] && scratch_remove(scratch) < 0)
		log_msg(LOG_LEVEL_WARN, "session=%s msg=\"cannot remove %s\"",
			id, scratch);
}

static void
destroy(struct session *s)
{
	discard(s->id, s->w, s->scratch, s->scratch_fd);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

/* Take the table lock before calling. */
static void
unlink_locked(struct sessions *ss, struct session *s)
{
	size_t i;

	if (s->gone)
		return;
	s->gone = true;
	for (i = 0; i < ss->n; i++)
		if (ss->v[i] == s) {
			ss->v[i] = ss->v[--ss->n];
			break;
		}
	atomic_fetch_sub(&ss->m->sessions_open, 1);
}

/* Hand s, gone and unreferenced, to the burier, its worker already told
 * to end; or end it here when the graves are full or the burier has
 * stopped. */
static void
bury(struct sessions *ss, struct session *s)
{
	bool queued = false;

	worker_hangup(s->w);
	pthread_mutex_lock(&ss->bury_lock);
	if (!ss->bury_stop && ss->ngraves < GRAVES_MAX) {
		s->next = ss->graves;
		ss->graves = s;
		ss->ngraves++;
		queued = true;
		pthread_cond_signal(&ss->bury_work);
	}
	pthread_mutex_unlock(&ss->bury_lock);
	if (!queued)
		destroy(s);
}

/* The burier: ends the workers of closed sessions and wipes their scratch
 * dirs until told to stop, then buries what is left and returns. */
static void *
burier_main(void *arg)
{
	struct sessions *ss = arg;
	struct session *s;

	pthread_mutex_lock(&ss->bury_lock);
	for (;;) {
		while (!ss->graves && !ss->bury_stop)
			pthread_cond_wait(&ss->bury_work, &ss->bury_lock);
		s = ss->graves;
		if (!s)
			break; /* told to stop, and no grave is left */
		ss->graves = s->next;
		pthread_mutex_unlock(&ss->bury_lock);
		destroy(s);
		pthread_mutex_lock(&ss->bury_lock);
		ss->ngraves--; /* only now: it counts workers still ending */
	}
	pthread_mutex_unlock(&ss->bury_lock);
	return NULL;
}

static void
release(struct sessions *ss, struct session *s)
{
	bool last;

	pthread_mutex_lock(&ss->lock);
	last = --s->refs == 0 && s->gone;
	pthread_mutex_unlock(&ss->lock);
	if (last)
		bury(ss, s);
}

/* Find a live session of function_id and take a reference. */
static struct session *
acquire(struct sessions *ss, const char *sid, const char *function_id)
{
	struct session *s = NULL;
	size_t i;

	pthread_mutex_lock(&ss->lock);
	for (i = 0; i < ss->n; i++)
		if (!strcmp(ss->v[i]->id, sid) &&
		    !strcmp(ss->v[i]->function_id, function_id)) {
			s = ss->v[i];
			s->refs++;
			break;
		}
	pthread_mutex_unlock(&ss->lock);
	return s;
}

/* ---- opening ------------------------------------------------------------- */

static int
new_id(char id[33])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char raw[16];
	int i;

	if (RAND_bytes(raw, sizeof(raw)) != 1)
		return -1;
	for (i = 0; i < 16; i++) {
		id[2 * i] = hex[raw[i] >> 4];
		id[2 * i + 1] = hex[raw[i] & 15];
	}
	id[32] = '\0';
	return 0;
}

/* Reserve a slot for a new session of function_id, or say why not. */
static struct session *
reserve(struct sessions *ss, const struct store_function *f,
	struct session_error *e)
{
	struct session *s;
	size_t i, same = 0;

	s = calloc(1, sizeof(*s));
	if (!s || new_id(s->id) < 0) {
		free(s);
		set_error(e, 500, "internal", "out of memory");
		return NULL;
	}
	snprintf(s->function_id, sizeof(s->function_id), "%s", f->id);
	memcpy(s->checksum, f->checksum, sizeof(s->checksum));
	s->scratch_fd = -1;
	s->refs = 1;
	s->busy = true; /* until it is open */
	pthread_mutex_init(&s->lock, NULL);

	pthread_mutex_lock(&ss->lock);
	for (i = 0; i < ss->n; i++)
		same += !strcmp(ss->v[i]->function_id, f->id);
	if (ss->draining)
		set_error(e, 503, "shutting_down", "the host is shutting down");
	else if (ss->n >= ss->cfg->sessions_total)
		set_error(e, 429, "too_many_sessions",
			  "the host has %u sessions open, its limit",
			  ss->cfg->sessions_total);
	else if (same >= ss->cfg->sessions_per_function)
		set_error(e, 429, "too_many_sessions",
			  "function %s has %u sessions open, its limit", f->id,
			  ss->cfg->sessions_per_function);
	else {
		ss->v[ss->n++] = s;
		atomic_fetch_add(&ss->m->sessions_open, 1);
		pthread_mutex_unlock(&ss->lock);
		return s;
	}
	pthread_mutex_unlock(&ss->lock);
	atomic_fetch_add(&ss->m->sessions_refused, 1);
	pthread_mutex_destroy(&s->lock);
	free(s);
	return NULL;
}

static int64_t
mono_ms(void)
{
	return clock_now_ms();
}

/*
 * The part of opening a session that a ready session does ahead: the
 * plugin sealed, a fresh scratch dir, a worker from the pool handed both
 * and loaded.  Fills *w, scratch and *scratch_fd, or says why not in e
 * (and leaves nothing behind).
 */
static int
start_worker(struct sessions *ss, const struct store_function *f,
	     int bundle_fd, const char *bundle_path, bool ahead,
	     struct worker **w, char scratch[PATH_MAX], int *scratch_fd,
	     struct session_error *e)
{
	const struct config *cfg = ss->cfg;
	struct worker_params p = {0};
	struct zygote_worker zw;
	char err[4200];
	int memfd = -1;

	scratch[0] = '\0';
	*scratch_fd = -1;
	if (worker_seal_plugin(bundle_fd, f->plugin, f->plugin_sha256, NULL,
			       &memfd, err, sizeof(err)) < 0) {
		set_error(e, 500, "bad_bundle", "%s", err);
		return -1;
	}
	if (pool_take(ss->pool, &zw, err, sizeof(err)) < 0) {
		set_error(e, 502, "plugin_refused", "%s", err);
		goto fail;
	}
	/* A session made ahead yields the CPU to those in use. */
	if (ahead && ss->renice)
		setpriority(PRIO_PROCESS, (id_t)zw.pid, AHEAD_NICE);
	/* The scratch dir is the worker's own: its uid is the worker's. */
	if (scratch_create(cfg->scratch_root, "session-", zw.uid, zw.gid,
			   scratch, PATH_MAX, scratch_fd, err,
			   sizeof(err)) < 0) {
		scratch[0] = '\0';
		set_error(e, 500, "internal", "%s", err);
		pool_release(ss->pool, &zw);
		goto fail;
	}
	p.limits = &ss->lim;
	p.bundle_fd = bundle_fd;
	p.bundle_path = bundle_path;
	p.scratch_fd = *scratch_fd;
	p.scratch_path = scratch;
	p.plugin_fd = memfd;
	p.max_input = cfg->max_input;
	p.max_output = cfg->max_output;
	p.load_timeout_ms = (int)cfg->invoke_timeout_ms;
	if (worker_start(&zw, &p, w, err, sizeof(err)) < 0) {
		set_error(e, 502, "plugin_refused", "%s", err);
		goto fail;
	}
	close(memfd);
	return 0;
fail:
	close(memfd);
	discard(f->id, NULL, scratch, *scratch_fd);
	scratch[0] = '\0';
	*scratch_fd = -1;
	return -1;
}

/* ---- ready sessions ------------------------------------------------------ */

/* Move a ready session of f into s.  Returns whether there was one. */
static bool
take_ready(struct sessions *ss, const struct store_function *f,
	   struct session *s)
{
	struct ready r;
	size_t i;

	pthread_mutex_lock(&ss->ready_lock);
	for (i = 0; i < ss->nready; i++)
		if (!strcmp(ss->ready[i].function_id, f->id) &&
		    !memcmp(ss->ready[i].plugin_sha256, f->plugin_sha256, 32))
			break;
	if (i == ss->nready) {
		pthread_mutex_unlock(&ss->ready_lock);
		return false;
	}
	r = ss->ready[i];
	ss->ready[i] = ss->ready[--ss->nready];
	pthread_mutex_unlock(&ss->ready_lock);
	atomic_fetch_sub(&ss->m->sessions_ready, 1);
	atomic_fetch_add(&ss->m->sessions_ready_taken, 1);
	if (ss->renice)
		setpriority(PRIO_PROCESS, (id_t)worker_pid(r.w), 0);
	s->w = r.w;
	memcpy(s->scratch, r.scratch, sizeof(s->scratch));
	s->scratch_fd = r.scratch_fd;
	return true;
}

/* Ask for a ready session of f, unless it has one or one is coming. */
static void
want_ready(struct sessions *ss, const struct store_function *f,
	   int bundle_fd, const char *bundle_path)
{
	struct ready_job *j;
	size_t i;

	if (!ss->cfg->warm_sessions)
		return;
	pthread_mutex_lock(&ss->ready_lock);
	for (i = 0; i < ss->nready; i++)
		if (!strcmp(ss->ready[i].function_id, f->id))
			goto out;
	for (i = 0; i < ss->njobs; i++)
		if (!strcmp(ss->jobs[i].f.id, f->id))
			goto out;
	if (!strcmp(ss->making, f->id) || ss->ready_stop ||
	    ss->njobs == ss->cfg->warm_sessions)
		goto out;
	j = &ss->jobs[ss->njobs];
	j->bundle_fd = fcntl(bundle_fd, F_DUPFD_CLOEXEC, 0);
	if (j->bundle_fd < 0 ||
	    snprintf(j->bundle_path, sizeof(j->bundle_path), "%s",
		     bundle_path) >= (int)sizeof(j->bundle_path)) {
		if (j->bundle_fd >= 0)
			close(j->bundle_fd);
		goto out;
	}
	j->f = *f;
	ss->njobs++;
	pthread_cond_signal(&ss->ready_work);
out:
	pthread_mutex_unlock(&ss->ready_lock);
}

static void
discard_ready(struct sessions *ss, struct ready *r)
{
	atomic_fetch_sub(&ss->m->sessions_ready, 1);
	discard(r->function_id, r->w, r->scratch, r->scratch_fd);
}

/* Keep r, making room by dropping the oldest ready session if need be. */
static void
keep_ready(struct sessions *ss, const struct ready *r)
{
	struct ready old = {.w = NULL};
	size_t i, oldest = 0;

	atomic_fetch_add(&ss->m->sessions_ready, 1);
	pthread_mutex_lock(&ss->ready_lock);
	if (ss->ready_stop) {
		old = *r;
	} else {
		if (ss->nready == ss->cfg->warm_sessions) {
			for (i = 1; i < ss->nready; i++)
				if (ss->ready[i].made_ms <
				    ss->ready[oldest].made_ms)
					oldest = i;
			old = ss->ready[oldest];
			ss->ready[oldest] = ss->ready[--ss->nready];
		}
		ss->ready[ss->nready++] = *r;
	}
	pthread_mutex_unlock(&ss->ready_lock);
	if (old.w)
		discard_ready(ss, &old);
}

static void *
readier_main(void *arg)
{
	struct sessions *ss = arg;
	struct session_error e;
	struct ready_job j;
	struct ready r;

	pthread_mutex_lock(&ss->ready_lock);
	for (;;) {
		while (!ss->ready_stop && ss->njobs == 0)
			pthread_cond_wait(&ss->ready_work, &ss->ready_lock);
		if (ss->ready_stop)
			break;
		j = ss->jobs[0];
		ss->jobs[0] = ss->jobs[--ss->njobs];
		memcpy(ss->making, j.f.id, sizeof(ss->making));
		pthread_mutex_unlock(&ss->ready_lock);

		memset(&r, 0, sizeof(r));
		memcpy(r.function_id, j.f.id, sizeof(r.function_id));
		memcpy(r.plugin_sha256, j.f.plugin_sha256, 32);
		if (start_worker(ss, &j.f, j.bundle_fd, j.bundle_path, true,
				 &r.w, r.scratch, &r.scratch_fd, &e) == 0) {
			r.made_ms = clock_now_ms();
			keep_ready(ss, &r);
		} else {
			log_msg(LOG_LEVEL_WARN,
				"function=%s event=ready_failed msg=\"%s\"",
				j.f.id, e.message);
		}
		close(j.bundle_fd);
		pthread_mutex_lock(&ss->ready_lock);
		ss->making[0] = '\0';
	}
	pthread_mutex_unlock(&ss->ready_lock);
	return NULL;
}

/* Drop the ready sessions of function_id (NULL: all), and those unused
 * for longer than idle_ms (-1: any age). */
static void
drop_ready(struct sessions *ss, const char *function_id, int64_t idle_ms)
{
	struct ready gone[64];
	const int64_t now = clock_now_ms();
	size_t i = 0, n = 0;

	pthread_mutex_lock(&ss->ready_lock);
	while (i < ss->nready && n < 64) {
		struct ready *r = &ss->ready[i];

		if ((!function_id || !strcmp(r->function_id, function_id)) &&
		    (idle_ms < 0 || now - r->made_ms > idle_ms)) {
			gone[n++] = *r;
			*r = ss->ready[--ss->nready];
		} else {
			i++;
		}
	}
	pthread_mutex_unlock(&ss->ready_lock);
	for (i = 0; i < n; i++)
		discard_ready(ss, &gone[i]);
}

void
sessions_forget(struct sessions *ss, const char *function_id)
{
	drop_ready(ss, function_id, -1);
}

/* ---- opening, for clients ------------------------------------------------ */

int
sessions_open(struct sessions *ss, const struct store_function *f,
	      int bundle_fd, const char *bundle_path,
	      struct session_opened *out, struct session_error *e)
{
	struct session *s;

	s = reserve(ss, f, e);
	if (!s)
		return e->status;
	if (!take_ready(ss, f, s) &&
	    start_worker(ss, f, bundle_fd, bundle_path, false, &s->w,
			 s->scratch, &s->scratch_fd, e) < 0)
		goto fail;
	s->created_ms = s->last_used_ms = mono_ms();
	pthread_mutex_lock(&ss->lock);
	s->busy = false;
	pthread_mutex_unlock(&ss->lock);
	atomic_fetch_add(&ss->m->sessions_total, 1);
	memcpy(out->id, s->id, sizeof(out->id));
	out->expires = time(NULL) + ss->cfg->session_lifetime_ms / 1000;
	release(ss, s);
	want_ready(ss, f, bundle_fd, bundle_path);
	return 201;
fail:
	pthread_mutex_lock(&ss->lock);
	unlink_locked(ss, s);
	pthread_mutex_unlock(&ss->lock);
	release(ss, s);
	return e->status;
}

/* ---- invoking and closing ------------------------------------------------ */

static int
invoke_status(struct sessions *ss, const struct worker_result *r,
	      uint64_t micros, struct session_error *e)
{
	switch (r->status) {
	case WORKER_OK:
		metrics_invoke(ss->m, METRICS_INVOKE_OK, micros);
		return 200;
	case WORKER_FAILED:
		metrics_invoke(ss->m, METRICS_INVOKE_ERROR, micros);
		set_error(e, 422, "function_error", "%s", r->error);
		return 422;
	case WORKER_CRASHED:
		metrics_invoke(ss->m, METRICS_INVOKE_CRASH, micros);
		set_error(e, 502, "worker_crashed", "%s; the session is gone",
			  r->error);
		return 502;
	case WORKER_TIMEOUT:
		metrics_invoke(ss->m, METRICS_INVOKE_TIMEOUT, micros);
		set_error(e, 504, "timeout", "%s; the session is gone",
			  r->error);
		return 504;
	case WORKER_TOO_LARGE:
		metrics_invoke(ss->m, METRICS_INVOKE_REFUSED, micros);
		set_error(e, 413, "too_large", "%s", r->error);
		return 413;
	case WORKER_GONE:
	default:
		metrics_invoke(ss->m, METRICS_INVOKE_REFUSED, micros);
		set_error(e, 404, "no_session", "%s", r->error);
		return 404;
	}
}

int
sessions_invoke(struct sessions *ss, const char *sid, const char *function_id,
		const void *input, size_t len, struct worker_result *r,
		char checksum[65], struct session_error *e)
{
	struct session *s;
	int64_t start;
	int status;

	memset(r, 0, sizeof(*r));
	s = acquire(ss, sid, function_id);
	if (!s) {
		set_error(e, 404, "no_session", "no session '%.40s'", sid);
		return 404;
	}
	memcpy(checksum, s->checksum, 65);
	pthread_mutex_lock(&s->lock);
	pthread_mutex_lock(&ss->lock);
	if (s->gone) {
		pthread_mutex_unlock(&ss->lock);
		pthread_mutex_unlock(&s->lock);
		release(ss, s);
		set_error(e, 404, "no_session", "session '%s' has ended", sid);
		return 404;
	}
	s->busy = true;
	pthread_mutex_unlock(&ss->lock);

	start = mono_ms();
	worker_invoke(s->w, input, len, (int)ss->cfg->invoke_timeout_ms, r);
	status = invoke_status(ss, r, (uint64_t)(mono_ms() - start) * 1000, e);

	pthread_mutex_lock(&ss->lock);
	s->busy = false;
	s->last_used_ms = mono_ms();
	if (!worker_alive(s->w))
		unlink_locked(ss, s); /* crashed or timed out */
	pthread_mutex_unlock(&ss->lock);
	pthread_mutex_unlock(&s->lock);
	release(ss, s);
	return status;
}

/* Unlink s (already referenced by the caller) and wait for its running
 * invoke, if any; the last release() buries it. */
static void
end(struct sessions *ss, struct session *s)
{
	pthread_mutex_lock(&ss->lock);
	unlink_locked(ss, s);
	pthread_mutex_unlock(&ss->lock);
	pthread_mutex_lock(&s->lock);
	pthread_mutex_unlock(&s->lock);
	release(ss, s);
}

int
sessions_close(struct sessions *ss, const char *sid, const char *function_id,
	       struct session_error *e)
{
	struct session *s = acquire(ss, sid, function_id);

	if (!s) {
		set_error(e, 404, "no_session", "no session '%.40s'", sid);
		return 404;
	}
	end(ss, s);
	return 204;
}

void
sessions_reap(struct sessions *ss)
{
	const int64_t now = mono_ms();
	struct session *expired[64];
	size_t i, n = 0;

	pthread_mutex_lock(&ss->lock);
	for (i = 0; i < ss->n && n < 64; i++) {
		struct session *s = ss->v[i];

		if (s->busy)
			continue; /* its invoke has a time limit of its own */
		if (now - s->last_used_ms > ss->cfg->session_idle_ms ||
		    now - s->created_ms > ss->cfg->session_lifetime_ms) {
			s->refs++;
			expired[n++] = s;
		}
	}
	pthread_mutex_unlock(&ss->lock);
	for (i = 0; i < n; i++) {
		log_msg(LOG_LEVEL_INFO, "session=%s event=expired",
			expired[i]->id);
		end(ss, expired[i]);
	}
	drop_ready(ss, NULL, ss->cfg->session_idle_ms);
}

void
sessions_drain(struct sessions *ss)
{
	pthread_mutex_lock(&ss->lock);
	ss->draining = true;
	pthread_mutex_unlock(&ss->lock);
	drop_ready(ss, NULL, -1);
}

size_t
sessions_count(struct sessions *ss)
{
	size_t n;

	pthread_mutex_lock(&ss->lock);
	n = ss->n;
	pthread_mutex_unlock(&ss->lock);
	return n;
}

/* Tell the thread t waiting on work under lock to stop, and join it;
 * a stop flag already set means t was never started. */
static void
stop_thread(pthread_mutex_t *lock, pthread_cond_t *work, bool *stop,
	    pthread_t t)
{
	bool joinable;

	pthread_mutex_lock(lock);
	joinable = !*stop;
	*stop = true;
	pthread_cond_signal(work);
	pthread_mutex_unlock(lock);
	if (joinable)
		pthread_join(t, NULL);
}

void
sessions_free(struct sessions *ss)
{
	struct session *s;

	if (!ss)
		return;
	stop_thread(&ss->ready_lock, &ss->ready_work, &ss->ready_stop,
		    ss->readier);
	while (ss->njobs > 0)
		close(ss->jobs[--ss->njobs].bundle_fd);
	drop_ready(ss, NULL, -1);
	for (;;) {
		pthread_mutex_lock(&ss->lock);
		s = ss->n ? ss->v[0] : NULL;
		if (s)
			s->refs++;
		pthread_mutex_unlock(&ss->lock);
		if (!s)
			break;
		end(ss, s);
	}
	stop_thread(&ss->bury_lock, &ss->bury_work, &ss->bury_stop,
		    ss->burier);
	pool_free(ss->pool);
	pthread_cond_destroy(&ss->bury_work);
	pthread_mutex_destroy(&ss->bury_lock);
	pthread_cond_destroy(&ss->ready_work);
	pthread_mutex_destroy(&ss->ready_lock);
	pthread_mutex_destroy(&ss->lock);
	free(ss->jobs);
	free(ss->ready);
	free(ss->v);
	free(ss);
}
