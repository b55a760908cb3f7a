/*
 * session.c: the live session table (see session.h).
 *
 * Locking: the table lock guards the array of sessions and every
 * session's refs, busy and gone fields; it is never held across a worker
 * call.  Each session's own lock serializes its invokes and its close.
 * A session leaves the array the moment it is marked gone, and is freed
 * when the last reference is dropped.
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
#include <time.h>
#include <unistd.h>

#include "channel.h"
#include "log.h"
#include "pool.h"
#include "scratch.h"
#include "session.h"

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
};

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
	};
	ss->v = calloc(cfg->sessions_total, sizeof(*ss->v));
	ss->pool = ss->v ? pool_new(z, &ss->lim, cfg->warm_workers) : NULL;
	if (!ss->pool) {
		free(ss->v);
		free(ss);
		return NULL;
	}
	pthread_mutex_init(&ss->lock, NULL);
	return ss;
}

/* ---- references ------------------------------------------------------------ */

static void
destroy(struct session *s)
{
	worker_close(s->w, 1000);
	if (s->scratch_fd >= 0)
		close(s->scratch_fd);
	if (s->scratch[0] && scratch_remove(s->scratch) < 0)
		log_msg(LOG_LEVEL_WARN, "session=%s msg=\"cannot remove %s\"",
			s->id, s->scratch);
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

static void
release(struct sessions *ss, struct session *s)
{
	bool last;

	pthread_mutex_lock(&ss->lock);
	last = --s->refs == 0 && s->gone;
	pthread_mutex_unlock(&ss->lock);
	if (last)
		destroy(s);
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
	return chan_now_ms();
}

int
sessions_open(struct sessions *ss, const struct store_function *f,
	      int bundle_fd, const char *bundle_path,
	      struct session_opened *out, struct session_error *e)
{
	const struct config *cfg = ss->cfg;
	struct worker_params p = {0};
	struct zygote_worker zw;
	char err[4200];
	int memfd = -1, rc;
	struct session *s;

	s = reserve(ss, f, e);
	if (!s)
		return e->status;
	if (worker_seal_plugin(bundle_fd, f->plugin, f->plugin_sha256, NULL,
			       &memfd, err, sizeof(err)) < 0) {
		set_error(e, 500, "bad_bundle", "%s", err);
		goto fail;
	}
	if (scratch_create(cfg->scratch_root, "session-", ss->z->worker_uid,
			   ss->z->worker_gid, s->scratch, sizeof(s->scratch),
			   &s->scratch_fd, err, sizeof(err)) < 0) {
		s->scratch[0] = '\0';
		set_error(e, 500, "internal", "%s", err);
		goto fail;
	}
	p.limits = &ss->lim;
	p.bundle_fd = bundle_fd;
	p.bundle_path = bundle_path;
	p.scratch_fd = s->scratch_fd;
	p.scratch_path = s->scratch;
	p.plugin_fd = memfd;
	p.max_input = cfg->max_input;
	p.max_output = cfg->max_output;
	p.load_timeout_ms = (int)cfg->invoke_timeout_ms;
	rc = pool_take(ss->pool, &zw, err, sizeof(err));
	if (rc == 0)
		rc = worker_start(&zw, &p, &s->w, err, sizeof(err));
	close(memfd);
	memfd = -1;
	if (rc < 0) {
		set_error(e, 502, "plugin_refused", "%s", err);
		goto fail;
	}
	s->created_ms = s->last_used_ms = mono_ms();
	pthread_mutex_lock(&ss->lock);
	s->busy = false;
	pthread_mutex_unlock(&ss->lock);
	atomic_fetch_add(&ss->m->sessions_total, 1);
	memcpy(out->id, s->id, sizeof(out->id));
	out->expires = time(NULL) + cfg->session_lifetime_ms / 1000;
	release(ss, s);
	return 201;
fail:
	if (memfd >= 0)
		close(memfd);
	pthread_mutex_lock(&ss->lock);
	unlink_locked(ss, s);
	pthread_mutex_unlock(&ss->lock);
	release(ss, s);
	return e->status;
}

/* ---- invoking and closing --------------------------------------------------- */

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
 * invoke, if any; the last release() destroys it. */
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
}

void
sessions_drain(struct sessions *ss)
{
	pthread_mutex_lock(&ss->lock);
	ss->draining = true;
	pthread_mutex_unlock(&ss->lock);
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

void
sessions_free(struct sessions *ss)
{
	struct session *s;

	if (!ss)
		return;
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
	pool_free(ss->pool);
	pthread_mutex_destroy(&ss->lock);
	free(ss->v);
	free(ss);
}
