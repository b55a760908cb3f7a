/*
 * session.c: the live session table (see session.h).
 *
 * Locking: the table lock guards the array of sessions and every
 * session's refs, busy, gone, turn and waiters fields; it is never held
 * across a worker call.  A session's invokes run one at a time: busy is
 * its turn, held by the running invoke, and the invokes that arrive
 * meanwhile queue as waiters, holding no thread (a client that sends
 * many at once must not take the handler threads every other client
 * needs); the turn passes to the first of them when the invoke ends.
 * A session leaves the array the moment it is marked gone, and is freed
 * when the last reference is dropped.
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
#include <malloc.h>
#include <openssl/evp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/err.h"
#include "daemon/fnlog.h"
#include "daemon/log.h"
#include "daemon/plugin-log.h"
#include "daemon/pool.h"
#include "daemon/ready.h"
#include "daemon/session-int.h"
#include "daemon/session.h"
#include "sandbox/channel.h"
#include "sandbox/launch.h"

struct session {
	char id[SESSION_ID_MAX + 1];
	char function_id[32];
	char name[BUNDLE_LABEL_MAX + 1]; /* its function's, for fnlog.h */
	char target[STORE_TARGET_MAX];	 /* what its token names (sub) */
	char owner[33]; /* the jti of the token that opened it */
	char checksum[65];
	struct launched run;		  /* its worker and scratch dir */
	int64_t created_ms, last_used_ms; /* CLOCK_MONOTONIC */
	/* guarded by the table lock: */
	int refs;
	size_t slot; /* its place in the array, while not gone */
	bool busy;   /* an invoke (or the open) has the turn */
	bool gone;
	/* The invokes waiting for the turn, first to last; the one woken
	 * for it is turn until it comes back (busy stays set meanwhile). */
	struct session_waiter *waiters, *waiters_last, *turn;
	struct session *next; /* in the graves, once gone and unreferenced */
	bool grave_kept;      /* a place in the graves is kept for it */
};

/* Open sessions with one key (a function id or a token's jti); an entry
 * with n 0 is empty. */
struct count {
	char key[34];
	size_t n;
};

struct sessions {
	const struct config *cfg;
	struct metrics *m;
	/* makes every worker: ready.c's in fnhostd, a test's fake */
	const struct session_launcher *mk;
	void *mk_ctx;
	pthread_mutex_t lock;
	pthread_cond_t turn_free; /* some session's busy was cleared */
	struct session **v;
	size_t n;
	/* The same sessions by id, open addressing with linear probing, at
	 * most half full: an invoke finds its session in O(1), not in a scan
	 * of every open one. */
	struct session **by_id;
	size_t id_mask;
	/* How many places are held per function and per token, and in all
	 * (held), so that admitting one is no scan either; the same size and
	 * probing as by_id.  A session holds its place until its last
	 * reference goes, not when it is unlinked: one closed while its
	 * invoke runs still has a worker at work, and closing and reopening
	 * must not give a token more of them than its share. */
	struct count *per_function, *per_owner;
	size_t held;
	bool draining;

	pthread_mutex_t bury_lock; /* guards graves, ngraves, kept, bury_stop */
	pthread_cond_t bury_work;  /* a grave, or bury_stop */
	struct session *graves;	   /* unlinked, unreferenced; through ->next */
	size_t ngraves;
	size_t kept; /* places kept for closes that may not wait */
	bool bury_stop;
	pthread_t burier;
};

/* Closed sessions whose workers may end off the request path. */
#define GRAVES_MAX 16

/* Burials after which, the graves empty, freed memory goes back to the
 * system (malloc_trim()): a few hundred KiB of sessions' structs. */
#define TRIM_EVERY 64

static void *burier_main(void *arg);

/* ---- the real launcher: ready sessions over the warm pool ---------------- */

struct ready_launcher {
	struct sandbox_limits lim; /* every worker's */
	struct pool *pool;	   /* the only way to the zygote */
	struct ready_set *ready;   /* sessions made ahead; makes them all */
};

static int
rl_launch(void *ctx, const struct store_function *f, int bundle_fd,
	  const char *bundle_path, struct launched *out, char *err,
	  size_t errlen)
{
	struct ready_launcher *rl = ctx;

	return ready_launch(rl->ready, f, bundle_fd, bundle_path, out, err,
			    errlen);
}

static bool
rl_take(void *ctx, const struct store_function *f, struct launched *out)
{
	struct ready_launcher *rl = ctx;

	return ready_take(rl->ready, f, out);
}

static bool
rl_ready(void *ctx, const struct store_function *f)
{
	struct ready_launcher *rl = ctx;

	return ready_has(rl->ready, f);
}

static void
rl_want(void *ctx, const struct store_function *f, int bundle_fd,
	const char *bundle_path)
{
	struct ready_launcher *rl = ctx;

	ready_want(rl->ready, f, bundle_fd, bundle_path);
}

static void
rl_drop(void *ctx, const char *function_id, int64_t idle_ms)
{
	struct ready_launcher *rl = ctx;

	ready_drop(rl->ready, function_id, idle_ms);
}

/* The ready set first: its thread is the pool's only user. */
static void
rl_free(void *ctx)
{
	struct ready_launcher *rl = ctx;

	ready_free(rl->ready);
	pool_free(rl->pool);
	free(rl);
}

static const struct session_launcher ready_launcher_ops = {
	.launch = rl_launch,
	.take = rl_take,
	.ready = rl_ready,
	.want = rl_want,
	.drop = rl_drop,
	.free = rl_free,
};

struct sessions *
sessions_new(const struct config *cfg, struct zygote *z,
	     const struct sandbox_limits *lim, struct metrics *m,
	     struct secrets *sec, struct store *store)
{
	struct ready_launcher *rl = calloc(1, sizeof(*rl));

	if (!rl)
		return NULL;
	rl->lim = *lim;
	rl->pool = pool_new(z, &rl->lim, cfg->warm_workers);
	if (!rl->pool)
		goto fail;
	rl->ready = ready_new(cfg, m, rl->pool, sec, store);
	if (!rl->ready)
		goto fail;
	return sessions_new_launcher(cfg, m, &ready_launcher_ops, rl);
fail:
	rl_free(rl);
	return NULL;
}

/* ---- the table ----------------------------------------------------------- */

struct sessions *
sessions_new_launcher(const struct config *cfg, struct metrics *m,
		      const struct session_launcher *ops, void *ctx)
{
	struct sessions *ss = calloc(1, sizeof(*ss));

	if (!ss)
		goto fail;
	ss->cfg = cfg;
	ss->m = m;
	ss->mk = ops;
	ss->mk_ctx = ctx;
	ss->v = calloc(cfg->sessions_total, sizeof(*ss->v));
	for (ss->id_mask = 1; ss->id_mask < 2 * (size_t)cfg->sessions_total;)
		ss->id_mask <<= 1;
	ss->per_function = calloc(ss->id_mask, sizeof(*ss->per_function));
	ss->per_owner = calloc(ss->id_mask, sizeof(*ss->per_owner));
	ss->by_id = calloc(ss->id_mask--, sizeof(*ss->by_id));
	if (!ss->v || !ss->by_id || !ss->per_function || !ss->per_owner)
		goto fail;
	pthread_mutex_init(&ss->lock, NULL);
	pthread_cond_init(&ss->turn_free, NULL);
	pthread_mutex_init(&ss->bury_lock, NULL);
	pthread_cond_init(&ss->bury_work, NULL);
	if (pthread_create(&ss->burier, NULL, burier_main, ss) != 0) {
		ss->bury_stop = true; /* sessions_free() joins no burier */
		sessions_free(ss);
		return NULL;
	}
	return ss;
fail:
	if (ss) {
		free(ss->per_function);
		free(ss->per_owner);
		free(ss->by_id);
		free(ss->v);
	}
	free(ss);
	ops->free(ctx);
	return NULL;
}

/* ---- the index by id ----------------------------------------------------- */

/* FNV-1a of a session id: ids are random, but may carry a prefix. */
static size_t
id_hash(const char *id)
{
	uint64_t h = 14695981039346656037ULL;

	while (*id)
		h = (h ^ (unsigned char)*id++) * 1099511628211ULL;
	return (size_t)h;
}

/* The slot of session id, or of the empty one where it would go.  Call
 * with the table lock held. */
static size_t
id_slot(const struct sessions *ss, const char *id)
{
	size_t i = id_hash(id) & ss->id_mask;

	while (ss->by_id[i] && strcmp(ss->by_id[i]->id, id))
		i = (i + 1) & ss->id_mask;
	return i;
}

static void
id_add(struct sessions *ss, struct session *s)
{
	ss->by_id[id_slot(ss, s->id)] = s;
}

/*
 * Removing from a table probed linearly (by_id and the counts) leaves a
 * hole that would stop a later probe early: each later entry of the run
 * whose key hashes to home moves back into the hole when its probe from
 * home passes the hole, and the hole moves to where it was.
 */
static bool
moves_back(const struct sessions *ss, const char *key, size_t j, size_t hole)
{
	size_t home = id_hash(key) & ss->id_mask;

	return ((j - home) & ss->id_mask) >= ((j - hole) & ss->id_mask);
}

/* Take s out (see moves_back()). */
static void
id_remove(struct sessions *ss, const struct session *s)
{
	size_t hole = id_slot(ss, s->id), j = hole;

	if (ss->by_id[hole] != s)
		return;
	for (;;) {
		j = (j + 1) & ss->id_mask;
		if (!ss->by_id[j])
			break;
		if (moves_back(ss, ss->by_id[j]->id, j, hole)) {
			ss->by_id[hole] = ss->by_id[j];
			hole = j;
		}
	}
	ss->by_id[hole] = NULL;
}

/* The entry of key in the count table t, or the empty one where it
 * would go.  Call with the table lock held. */
static size_t
count_slot(const struct sessions *ss, const struct count *t, const char *key)
{
	size_t i = id_hash(key) & ss->id_mask;

	while (t[i].n && strcmp(t[i].key, key))
		i = (i + 1) & ss->id_mask;
	return i;
}

static size_t
count_get(const struct sessions *ss, const struct count *t, const char *key)
{
	return t[count_slot(ss, t, key)].n;
}

static void
count_add(struct sessions *ss, struct count *t, const char *key)
{
	struct count *c = &t[count_slot(ss, t, key)];

	if (!c->n++)
		snprintf(c->key, sizeof(c->key), "%s", key);
}

/* One fewer of key; the entry goes at 0, as id_remove() takes one. */
static void
count_sub(struct sessions *ss, struct count *t, const char *key)
{
	size_t hole = count_slot(ss, t, key), j = hole;

	if (!t[hole].n || --t[hole].n)
		return;
	for (;;) {
		j = (j + 1) & ss->id_mask;
		if (!t[j].n)
			break;
		if (moves_back(ss, t[j].key, j, hole)) {
			t[hole] = t[j];
			hole = j;
		}
	}
	t[hole].n = 0;
}

/* ---- references ---------------------------------------------------------- */

/* End s's worker (it runs fini() for up to a second), wipe its scratch
 * dir and free it. */
static void
destroy(struct session *s)
{
	if (launch_discard(&s->run, 1000) < 0)
		log_msg(LOG_LEVEL_WARN,
			"session=%s msg=\"cannot remove its scratch dir\"",
			s->id);
	free(s);
}

/* Take the table lock before calling. */
static void
unlink_locked(struct sessions *ss, struct session *s)
{
	if (s->gone)
		return;
	s->gone = true;
	id_remove(ss, s);
	ss->v[s->slot] = ss->v[--ss->n];
	ss->v[s->slot]->slot = s->slot;
	atomic_fetch_sub(&ss->m->sessions_open, 1);
}

/* Hand s, gone and unreferenced, to the burier, its worker already told
 * to end; or end it here when the graves are full (none was kept for it)
 * or the burier has stopped. */
static void
bury(struct sessions *ss, struct session *s)
{
	bool queued = false;

	worker_hangup(s->run.w);
	pthread_mutex_lock(&ss->bury_lock);
	if (s->grave_kept)
		ss->kept--;
	if (!ss->bury_stop &&
	    (s->grave_kept || ss->ngraves + ss->kept < GRAVES_MAX)) {
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

/* Keep a place in the graves for s, so that its close, whichever thread
 * drops the last reference, never ends the worker itself: false when
 * they are full.  (Only a burier stopped at shutdown ignores it.) */
static bool
keep_grave(struct sessions *ss, struct session *s)
{
	bool ok;

	pthread_mutex_lock(&ss->bury_lock);
	ok = !ss->bury_stop && ss->ngraves + ss->kept < GRAVES_MAX;
	if (ok)
		ss->kept++;
	pthread_mutex_unlock(&ss->bury_lock);
	s->grave_kept = ok;
	return ok;
}

static void
unkeep_grave(struct sessions *ss, struct session *s)
{
	pthread_mutex_lock(&ss->bury_lock);
	ss->kept--;
	pthread_mutex_unlock(&ss->bury_lock);
	s->grave_kept = false;
}

/* The burier: ends the workers of closed sessions and wipes their scratch
 * dirs until told to stop, then buries what is left and returns. */
static void *
burier_main(void *arg)
{
	struct sessions *ss = arg;
	struct session *s;
	size_t buried = 0;

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
		if (++buried >= TRIM_EVERY && !ss->graves) {
			/* Sessions are freed by other threads than made them,
			 * into arenas glibc returns to the system only when
			 * asked: after a burst of closes, ask. */
			pthread_mutex_unlock(&ss->bury_lock);
			malloc_trim(0);
			pthread_mutex_lock(&ss->bury_lock);
			buried = 0;
		}
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
	if (last) {
		/* Its place is free only now (see held). */
		count_sub(ss, ss->per_function, s->function_id);
		count_sub(ss, ss->per_owner, s->owner);
		ss->held--;
	}
	pthread_mutex_unlock(&ss->lock);
	if (last)
		bury(ss, s);
}

/* Find a live session of function_id and take a reference; with owner,
 * only one that token opened. */
static struct session *
acquire(struct sessions *ss, const char *sid, const char *function_id,
	const char *owner)
{
	struct session *s;

	pthread_mutex_lock(&ss->lock);
	s = ss->by_id[id_slot(ss, sid)];
	if (s && (strcmp(s->target, function_id) ||
		  (owner && strcmp(s->owner, owner))))
		s = NULL;
	if (s)
		s->refs++;
	pthread_mutex_unlock(&ss->lock);
	return s;
}

/* ---- opening ------------------------------------------------------------- */

/* "NODE." (node: the host's label, "" for none) and 32 random hex. */
static int
new_id(char id[SESSION_ID_MAX + 1], const char *node)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char raw[16];
	size_t n = 0;
	int i;

	/* The kernel's generator, not OpenSSL's DRBG: with its locks and
	 * AES-CTR it was nearly half of an open answered from a ready
	 * session (perf, bench/PROFILE.md); getrandom(2) answers a request
	 * this small in full, never interrupted, once the pool is ready. */
	if (getrandom(raw, sizeof(raw), 0) != (ssize_t)sizeof(raw))
		return -1;
	if (node[0]) {
		n = strnlen(node, CONFIG_NODE_MAX);
		memcpy(id, node, n);
		id[n++] = '.';
	}
	for (i = 0; i < 16; i++) {
		id[n + 2 * i] = hex[raw[i] >> 4];
		id[n + 2 * i + 1] = hex[raw[i] & 15];
	}
	id[n + 32] = '\0';
	return 0;
}

/* Who a limit counts. */
enum scope { SCOPE_HOST, SCOPE_FUNCTION, SCOPE_TOKEN };

static bool
in_scope(const struct session *s, enum scope sc, const char *function_id,
	 const char *owner)
{
	return sc == SCOPE_HOST ||
	       (sc == SCOPE_FUNCTION && !strcmp(s->function_id, function_id)) ||
	       (sc == SCOPE_TOKEN && !strcmp(s->owner, owner));
}

/* Seconds until the first session in scope reaches its idle or lifetime
 * limit: when a place frees at the latest if nobody closes one.  Call
 * with the table lock held. */
static unsigned
retry_locked(struct sessions *ss, enum scope sc, const char *function_id,
	     const char *owner)
{
	const struct config *cfg = ss->cfg;
	int64_t now = clock_now_ms(), soonest = INT64_MAX, end;
	size_t i;

	for (i = 0; i < ss->n; i++) {
		const struct session *s = ss->v[i];

		if (!in_scope(s, sc, function_id, owner))
			continue;
		end = s->last_used_ms + cfg->session_idle_ms;
		if (s->created_ms + cfg->session_lifetime_ms < end)
			end = s->created_ms + cfg->session_lifetime_ms;
		if (end < soonest)
			soonest = end;
	}
	if (soonest == INT64_MAX || soonest <= now)
		return 1;
	return (unsigned)((soonest - now + 999) / 1000);
}

/*
 * Whether a session of f for the token owner may open now, or which
 * limit says no (and *retry_s, when to try again).  The shares: a token
 * holds at most sessions_per_token, a function sessions_per_function,
 * the host sessions_total; and the host's last eighth (at least one
 * place) goes only to functions holding fewer sessions than that eighth,
 * so that functions already large can not take the host from the others.
 * Call with the table lock held.
 */
static int
admit_locked(struct sessions *ss, const struct store_function *f,
	     const char *owner, unsigned *retry_s, char *err, size_t errlen)
{
	const struct config *cfg = ss->cfg;
	size_t same = count_get(ss, ss->per_function, f->id);
	size_t mine = count_get(ss, ss->per_owner, owner);
	size_t reserve = cfg->sessions_total / 8 ? cfg->sessions_total / 8 : 1;

	if (ss->draining)
		return err_set(err, errlen, ERR_DRAINING,
			       "the host is shutting down");
	if (ss->held >= cfg->sessions_total) {
		*retry_s = retry_locked(ss, SCOPE_HOST, f->id, owner);
		return err_set(err, errlen, ERR_LIMIT,
			       "the host has %u sessions open, its limit "
			       "(sessions_total)",
			       cfg->sessions_total);
	}
	if (same >= cfg->sessions_per_function) {
		*retry_s = retry_locked(ss, SCOPE_FUNCTION, f->id, owner);
		return err_set(err, errlen, ERR_LIMIT,
			       "function %s has %u sessions open, its limit "
			       "(sessions_per_function)",
			       f->id, cfg->sessions_per_function);
	}
	if (mine >= cfg->sessions_per_token) {
		*retry_s = retry_locked(ss, SCOPE_TOKEN, f->id, owner);
		return err_set(err, errlen, ERR_LIMIT,
			       "token %s has %u sessions open, its limit "
			       "(sessions_per_token)",
			       owner, cfg->sessions_per_token);
	}
	if (cfg->sessions_total - ss->held <= reserve && same >= reserve) {
		*retry_s = retry_locked(ss, SCOPE_FUNCTION, f->id, owner);
		return err_set(err, errlen, ERR_LIMIT,
			       "the host is nearly full and function %s holds "
			       "%zu of its %u sessions; its last %zu are kept "
			       "for smaller functions",
			       f->id, same, cfg->sessions_total, reserve);
	}
	return 0;
}

/* Reserve a place for a new session of f for the token owner, or say why
 * not. */
static int
reserve(struct sessions *ss, const struct store_function *f, const char *owner,
	struct session **out, unsigned *retry_s, char *err, size_t errlen)
{
	struct session *s;
	int rc;

	s = calloc(1, sizeof(*s));
	if (!s || new_id(s->id, ss->cfg->node) < 0) {
		free(s);
		return err_set(err, errlen, ERR_INTERNAL, "out of memory");
	}
	snprintf(s->function_id, sizeof(s->function_id), "%s", f->id);
	snprintf(s->name, sizeof(s->name), "%s", f->name);
	snprintf(s->owner, sizeof(s->owner), "%s", owner);
	memcpy(s->checksum, f->checksum, sizeof(s->checksum));
	s->run.scratch_fd = -1;
	s->refs = 1;
	s->busy = true; /* until it is open */
	s->created_ms = s->last_used_ms = clock_now_ms();

	pthread_mutex_lock(&ss->lock);
	rc = admit_locked(ss, f, owner, retry_s, err, errlen);
	if (rc == 0) {
		s->slot = ss->n;
		ss->v[ss->n++] = s;
		id_add(ss, s);
		count_add(ss, ss->per_function, s->function_id);
		count_add(ss, ss->per_owner, s->owner);
		ss->held++;
		atomic_fetch_add(&ss->m->sessions_open, 1);
		pthread_mutex_unlock(&ss->lock);
		*out = s;
		return 0;
	}
	pthread_mutex_unlock(&ss->lock);
	atomic_fetch_add(&ss->m->sessions_refused, 1);
	free(s);
	return rc;
}

static int64_t
mono_ms(void)
{
	return clock_now_ms();
}

/* ---- opening, for clients ------------------------------------------------ */

void
sessions_forget(struct sessions *ss, const char *function_id)
{
	ss->mk->drop(ss->mk_ctx, function_id, -1);
}

/* s, reserved and holding its worker, is open: make it reachable, count
 * it and fill out. */
static void
finish_open(struct sessions *ss, struct session *s, struct session_opened *out)
{
	plugin_log_attach(s->run.log_ctx, s->id);
	s->created_ms = s->last_used_ms = mono_ms();
	pthread_mutex_lock(&ss->lock);
	s->busy = false; /* no invoke can have queued: the id is not out */
	pthread_cond_broadcast(&ss->turn_free);
	pthread_mutex_unlock(&ss->lock);
	atomic_fetch_add(&ss->m->sessions_total, 1);
	fnlog_add(s->name, s->function_id, s->id, "open", 0, NULL, "");
	memcpy(out->id, s->id, sizeof(out->id));
	out->expires = time(NULL) + ss->cfg->session_lifetime_ms / 1000;
	release(ss, s);
}

/* Give back the place s reserved, which never got a worker: no refusal
 * is counted, the place was had. */
static void
abandon(struct sessions *ss, struct session *s)
{
	pthread_mutex_lock(&ss->lock);
	unlink_locked(ss, s);
	s->busy = false;
	pthread_cond_broadcast(&ss->turn_free);
	pthread_mutex_unlock(&ss->lock);
	release(ss, s);
}

int
sessions_open(struct sessions *ss, const struct store_function *f,
	      int bundle_fd, const char *bundle_path, const char *owner,
	      const char *target, struct session_opened *out, char *err,
	      size_t errlen)
{
	struct session *s = NULL;
	int rc;

	out->retry_after_s = 0;
	rc = reserve(ss, f, owner, &s, &out->retry_after_s, err, errlen);
	if (rc < 0)
		return rc;
	/* Unreachable until busy is cleared below, so no lock is needed. */
	snprintf(s->target, sizeof(s->target), "%s", target);
	if (!ss->mk->take(ss->mk_ctx, f, &s->run)) {
		rc = ss->mk->launch(ss->mk_ctx, f, bundle_fd, bundle_path,
				    &s->run, err, errlen);
		if (rc < 0) {
			abandon(ss, s);
			return rc;
		}
	}
	finish_open(ss, s, out);
	ss->mk->want(ss->mk_ctx, f, bundle_fd, bundle_path);
	return 0;
}

/* No ready session: nothing is reserved, counted or refused.  One seen
 * is reserved for before the take, as sessions_open() does, so that two
 * opens racing for it both pass the limits the same way; the one that
 * finds it gone gives its place back and opens the slow way. */
int
sessions_open_ready(struct sessions *ss, const struct store_function *f,
		    const char *owner, const char *target,
		    struct session_opened *out, char *err, size_t errlen)
{
	struct session *s = NULL;
	int rc;

	out->retry_after_s = 0;
	if (!ss->mk->ready(ss->mk_ctx, f))
		return SESSIONS_NOT_READY;
	rc = reserve(ss, f, owner, &s, &out->retry_after_s, err, errlen);
	if (rc < 0)
		return rc;
	snprintf(s->target, sizeof(s->target), "%s", target);
	if (!ss->mk->take(ss->mk_ctx, f, &s->run)) {
		abandon(ss, s);
		return SESSIONS_NOT_READY;
	}
	finish_open(ss, s, out);
	return 0;
}

void
sessions_want_ready(struct sessions *ss, const struct store_function *f)
{
	ss->mk->want(ss->mk_ctx, f, -1, NULL);
}

int
sessions_descriptor(struct sessions *ss, const struct store_function *f,
		    int bundle_fd, const char *bundle_path, char name[101],
		    char version[101], char *err, size_t errlen)
{
	struct launched run;
	int rc;

	/* The launcher, not take(): a ready session is one of an existing
	 * record's, and a deploy's probe must load this bundle's plugin. */
	rc = ss->mk->launch(ss->mk_ctx, f, bundle_fd, bundle_path, &run, err,
			    errlen);
	if (rc < 0)
		return rc;
	snprintf(name, 101, "%s", worker_plugin_name(run.w));
	snprintf(version, 101, "%s", worker_plugin_version(run.w));
	launch_discard(&run, 1000);
	return 0;
}

/* ---- invoking and closing ------------------------------------------------ */

/* What an invoke's result means, counted in the metrics. */
static int
invoke_result(struct sessions *ss, const struct worker_result *r,
	      uint64_t micros, char *err, size_t errlen)
{
	switch (r->status) {
	case WORKER_OK:
		metrics_invoke(ss->m, METRICS_INVOKE_OK, micros);
		return 0;
	case WORKER_FAILED:
		metrics_invoke(ss->m, METRICS_INVOKE_ERROR, micros);
		return err_set(err, errlen, ERR_FUNCTION, "%s", r->error);
	case WORKER_CRASHED:
		metrics_invoke(ss->m, METRICS_INVOKE_CRASH, micros);
		return err_set(err, errlen, ERR_CRASHED,
			       "%s; the session is gone", r->error);
	case WORKER_TIMEOUT:
		metrics_invoke(ss->m, METRICS_INVOKE_TIMEOUT, micros);
		return err_set(err, errlen, ERR_TIMEOUT,
			       "%s; the session is gone", r->error);
	case WORKER_TOO_LARGE:
		metrics_invoke(ss->m, METRICS_INVOKE_REFUSED, micros);
		return err_set(err, errlen, ERR_TOO_LARGE, "%s", r->error);
	case WORKER_GONE:
	default:
		metrics_invoke(ss->m, METRICS_INVOKE_REFUSED, micros);
		return err_set(err, errlen, ERR_NO_SESSION, "%s", r->error);
	}
}

/*
 * The operator's line for a worker that died under an invoke: what the
 * host knows of why (worker.h, enum worker_cause), with the signal by
 * name, the exit status, the limit it ran past, and the pid, which the
 * kernel's audit record of a seccomp kill also names (with the call).
 * The client's 502/504 says as much; this line is where the operator
 * sees it beside the session and function.
 */
static void
log_worker_died(struct sessions *ss, const struct session *s,
		const struct worker_result *r)
{
	const struct worker *w = s->run.w;
	enum worker_cause cause;
	const char *key = NULL; /* of the field that says more */
	char val[64];
	const char *name;
	int signo, status;

	cause = worker_cause(w, &signo, &status);
	if (signo) {
		name = sigabbrev_np(signo);
		key = "signal";
		snprintf(val, sizeof(val), "SIG%s", name ? name : "?");
	} else if (cause == WORKER_CAUSE_EXIT) {
		key = "exit_status";
		snprintf(val, sizeof(val), "%d", status);
	} else if (cause == WORKER_CAUSE_WALL || cause == WORKER_CAUSE_CPU) {
		key = "limit_ms";
		snprintf(val, sizeof(val), "%u",
			 cause == WORKER_CAUSE_WALL ? ss->cfg->invoke_timeout_ms
						    : ss->cfg->invoke_cpu_ms);
	}
	/* Two formats, not a field built into a value: a %s outside quotes
	 * is one field, its spaces escaped (log.h). */
	if (key)
		log_msg(LOG_LEVEL_WARN,
			"event=worker_died session=%s function=%s pid=%d "
			"cause=%s %s=%s reason=\"%s\"",
			s->id, s->function_id, (int)worker_pid(w),
			worker_cause_name(cause), key, val, r->error);
	else
		log_msg(LOG_LEVEL_WARN,
			"event=worker_died session=%s function=%s pid=%d "
			"cause=%s reason=\"%s\"",
			s->id, s->function_id, (int)worker_pid(w),
			worker_cause_name(cause), r->error);
	/* The same for the function's admin; r->error is the host's text
	 * of how the worker ended, never the function's output. */
	fnlog_add(s->name, s->function_id, s->id,
		  cause == WORKER_CAUSE_WALL || cause == WORKER_CAUSE_CPU
			  ? "timeout"
			  : "crash",
		  0, worker_cause_name(cause), r->error);
}

/*
 * A session id this host never gave because it names another node (or
 * any node, on a host without one): the request was routed to the wrong
 * host, which is told apart from a session that ended here.
 */
static int
misdirected(const struct sessions *ss, const char *sid, char *err,
	    size_t errlen)
{
	const char *dot = strchr(sid, '.');
	const char *node = ss->cfg->node;
	size_t n = dot ? (size_t)(dot - sid) : 0;

	if (!dot || (node[0] && strlen(node) == n && !memcmp(sid, node, n)))
		return 0;
	return err_set(err, errlen, ERR_MISDIRECTED,
		       "session '%.60s' is held by node '%.*s', and this "
		       "host is %s%s%s: route /v1/sessions/%.*s.* to that "
		       "node",
		       sid, (int)(n > CONFIG_NODE_MAX ? CONFIG_NODE_MAX : n),
		       sid, node[0] ? "node '" : "no node", node,
		       node[0] ? "'" : "",
		       (int)(n > CONFIG_NODE_MAX ? CONFIG_NODE_MAX : n), sid);
}

/* An invoke of a session that is not there, counted as refused. */
static int
no_session(struct sessions *ss, const char *sid, bool ended, char *err,
	   size_t errlen)
{
	int rc;

	metrics_invoke(ss->m, METRICS_INVOKE_REFUSED, 0);
	if (!ended && (rc = misdirected(ss, sid, err, errlen)) < 0)
		return rc;
	return err_set(err, errlen, ERR_NO_SESSION,
		       ended ? "session '%.60s' has ended"
			     : "no session '%.60s'",
		       sid);
}

/* Wake each waiter of list; none may be touched after its wake. */
static void
wake_all(struct session_waiter *list)
{
	struct session_waiter *w, *next;

	for (w = list; w; w = next) {
		next = w->next;
		w->wake(w->arg);
	}
}

/*
 * The running invoke of s is done (or, for a gone s, will never run):
 * pass the turn to the first waiter, or free it.  A gone session's
 * waiters are all handed back, to find it ended.  Returns the waiters to
 * wake once the table lock is dropped.  Call with the table lock held.
 */
static struct session_waiter *
pass_turn_locked(struct sessions *ss, struct session *s)
{
	struct session_waiter *w = s->waiters;

	if (s->gone) {
		s->waiters = s->waiters_last = s->turn = NULL;
		s->busy = false;
		pthread_cond_broadcast(&ss->turn_free);
		return w;
	}
	if (w) {
		s->waiters = w->next;
		if (!s->waiters)
			s->waiters_last = NULL;
		w->next = NULL;
		s->turn = w; /* busy stays set: the turn is kept for w */
		return w;
	}
	s->busy = false;
	pthread_cond_broadcast(&ss->turn_free);
	return NULL;
}

/* Take s's turn for an invoke, or queue wt for it: 0 (the turn is the
 * caller's), SESSIONS_QUEUED, or -ERR_NO_SESSION when s has ended.  Call
 * with the table lock held. */
static int
take_turn_locked(struct sessions *ss, struct session *s,
		 struct session_waiter *wt)
{
	if (wt && s->turn == wt) {
		s->turn = NULL; /* woken for it: busy was kept set */
		return s->gone ? -ERR_NO_SESSION : 0;
	}
	if (wt && !s->gone && s->busy) {
		wt->next = NULL;
		if (s->waiters_last)
			s->waiters_last->next = wt;
		else
			s->waiters = wt;
		s->waiters_last = wt;
		return SESSIONS_QUEUED;
	}
	while (s->busy && !s->gone)
		pthread_cond_wait(&ss->turn_free, &ss->lock);
	if (s->gone)
		return -ERR_NO_SESSION;
	s->busy = true;
	return 0;
}

int
sessions_invoke(struct sessions *ss, const char *sid, const char *function_id,
		const char *owner, const void *input, size_t len,
		struct session_waiter *wt, struct worker_result *r,
		char checksum[65], char *err, size_t errlen)
{
	struct session_waiter *woken;
	struct session *s;
	int64_t start;
	int rc;

	memset(r, 0, sizeof(*r));
	s = acquire(ss, sid, function_id, owner);
	if (!s)
		return no_session(ss, sid, false, err, errlen);
	memcpy(checksum, s->checksum, 65);
	pthread_mutex_lock(&ss->lock);
	rc = take_turn_locked(ss, s, wt);
	if (rc == 0 &&
	    mono_ms() - s->created_ms > (int64_t)ss->cfg->session_lifetime_ms) {
		/* The reaper passes a busy session by, and one whose turn
		 * goes from invoke to invoke is never idle: its lifetime is
		 * kept here, before another invoke starts. */
		unlink_locked(ss, s);
		woken = pass_turn_locked(ss, s);
		pthread_mutex_unlock(&ss->lock);
		wake_all(woken);
		log_msg(LOG_LEVEL_INFO, "session=%s event=expired", s->id);
		fnlog_add(s->name, s->function_id, s->id, "expired", 0, NULL,
			  "");
		release(ss, s);
		return no_session(ss, sid, true, err, errlen);
	}
	pthread_mutex_unlock(&ss->lock);
	if (rc != 0) {
		/* Queued: wt may be woken, and its request answered and
		 * freed, from here on; only s is still ours. */
		release(ss, s);
		return rc == SESSIONS_QUEUED
			       ? rc
			       : no_session(ss, sid, true, err, errlen);
	}

	start = mono_ms();
	worker_invoke(s->run.w, input, len, (int)ss->cfg->invoke_timeout_ms, r);
	rc = invoke_result(ss, r, (uint64_t)(mono_ms() - start) * 1000, err,
			   errlen);
	if (!worker_alive(s->run.w))
		log_worker_died(ss, s, r);

	pthread_mutex_lock(&ss->lock);
	s->last_used_ms = mono_ms();
	if (!worker_alive(s->run.w))
		unlink_locked(ss, s); /* crashed or timed out */
	woken = pass_turn_locked(ss, s);
	pthread_mutex_unlock(&ss->lock);
	wake_all(woken);
	release(ss, s);
	return rc;
}

void
sessions_invoke_cancel(struct sessions *ss, const char *sid,
		       const char *function_id, const char *owner,
		       struct session_waiter *wt)
{
	struct session_waiter *woken = NULL;
	struct session *s = acquire(ss, sid, function_id, owner);

	if (!s)
		return; /* gone: no turn is kept for anyone */
	pthread_mutex_lock(&ss->lock);
	if (s->turn == wt) {
		s->turn = NULL;
		woken = pass_turn_locked(ss, s);
	}
	pthread_mutex_unlock(&ss->lock);
	wake_all(woken);
	release(ss, s);
}

int
sessions_checksum(struct sessions *ss, const char *sid, const char *function_id,
		  const char *owner, char checksum[65], char *err,
		  size_t errlen)
{
	struct session *s = acquire(ss, sid, function_id, owner);

	if (!s)
		return no_session(ss, sid, false, err, errlen);
	memcpy(checksum, s->checksum, 65);
	release(ss, s);
	return 0;
}

/* Unlink s (already referenced by the caller) and wait for its running
 * invoke, if any; the last release() buries it.  Its waiters are woken
 * to find it ended: now, when no invoke runs (a turn kept for one is
 * void), or by the running invoke as it ends. */
static void
end(struct sessions *ss, struct session *s)
{
	struct session_waiter *woken = NULL;

	pthread_mutex_lock(&ss->lock);
	unlink_locked(ss, s);
	if (s->turn || !s->busy)
		woken = pass_turn_locked(ss, s);
	while (s->busy)
		pthread_cond_wait(&ss->turn_free, &ss->lock);
	pthread_mutex_unlock(&ss->lock);
	wake_all(woken);
	release(ss, s);
}

/* end() for a session whose invokes are all done: false, with nothing
 * changed, when one runs or has the turn, or when no grave is free for
 * it (its worker would be ended here). */
static bool
end_idle(struct sessions *ss, struct session *s)
{
	struct session_waiter *woken;

	if (!keep_grave(ss, s))
		return false;
	pthread_mutex_lock(&ss->lock);
	if (s->busy || s->gone) {
		pthread_mutex_unlock(&ss->lock);
		unkeep_grave(ss, s);
		return false;
	}
	unlink_locked(ss, s);
	woken = pass_turn_locked(ss, s);
	pthread_mutex_unlock(&ss->lock);
	fnlog_add(s->name, s->function_id, s->id, "close", 0, NULL, "");
	wake_all(woken);
	release(ss, s);
	return true;
}

int
sessions_close(struct sessions *ss, const char *sid, const char *function_id,
	       bool may_wait, char *err, size_t errlen)
{
	struct session *s = acquire(ss, sid, function_id, NULL);
	int rc;

	if (!s && (rc = misdirected(ss, sid, err, errlen)) < 0)
		return rc;
	if (!s)
		return err_set(err, errlen, ERR_NO_SESSION,
			       "no session '%.60s'", sid);
	if (!may_wait) {
		if (end_idle(ss, s))
			return 0;
		release(ss, s);
		return SESSIONS_BUSY;
	}
	fnlog_add(s->name, s->function_id, s->id, "close", 0, NULL, "");
	end(ss, s);
	return 0;
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
		fnlog_add(expired[i]->name, expired[i]->function_id,
			  expired[i]->id, "expired", 0, NULL, "");
		end(ss, expired[i]);
	}
	ss->mk->drop(ss->mk_ctx, NULL, ss->cfg->session_idle_ms);
}

void
sessions_drain(struct sessions *ss)
{
	pthread_mutex_lock(&ss->lock);
	ss->draining = true;
	pthread_mutex_unlock(&ss->lock);
	ss->mk->drop(ss->mk_ctx, NULL, -1);
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
sessions_close_all(struct sessions *ss)
{
	struct session *s;

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
}

void
sessions_free(struct sessions *ss)
{
	if (!ss)
		return;
	/* Nothing is made ahead from now on; what was is dropped. */
	ss->mk->free(ss->mk_ctx);
	sessions_close_all(ss);
	stop_thread(&ss->bury_lock, &ss->bury_work, &ss->bury_stop, ss->burier);
	pthread_cond_destroy(&ss->bury_work);
	pthread_mutex_destroy(&ss->bury_lock);
	pthread_cond_destroy(&ss->turn_free);
	pthread_mutex_destroy(&ss->lock);
	free(ss->per_function);
	free(ss->per_owner);
	free(ss->by_id);
	free(ss->v);
	free(ss);
}
