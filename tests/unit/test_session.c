/*
 * test_session.c: the session table (host/daemon/session.c) on a fake
 * launcher (daemon/session-int.h) instead of ready.c, pool.c and a
 * zygote.  Every worker the fake hands out is worker_adopt() over a
 * socketpair, and a thread of the test plays the worker's end of the
 * channel: it reads INVOKE frames and answers "echo:INPUT" as OUTPUT then
 * DONE, as runtime.c does; an input "slow:N..." is answered after N ms,
 * "fail" is the function's error, and "crash" closes the channel as a
 * dying worker would.
 *
 * Covered: the shares (per token, per function, total, the reserve rule)
 * with the limit named and a retry time; draining; invokes of one
 * session one at a time; a close waiting for the invoke running; idle
 * and lifetime expiry closing only the expired sessions; a crashed
 * worker's session gone; a session out of reach under another function
 * id; sessions made ahead taken, and dropped by drain and forget.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "base/clock.h"
#include "base/err.h"
#include "daemon/session-int.h"
#include "daemon/session.h"
#include "sandbox/channel.h"
#include "sandbox/launch.h"

#define MAX_IO 4096
/* Long enough for any wait of this test on a loaded machine; a wait that
 * takes this long has failed. */
#define WAIT_MS 5000

/* ---- the fake worker ---------------------------------------------------- */

struct fake;

struct fake_worker {
	struct fake *fake;
	int fd; /* the worker's end of the channel */
	pthread_t thread;
	char function_id[32];
	/* guarded by fake->lock: */
	int started;   /* INVOKE frames read */
	int answered;  /* invokes answered (counted before DONE is sent) */
	bool overlap;  /* an INVOKE came while another was being served */
	bool hung_up;  /* the host closed its end */
	bool is_ready; /* made ahead, not taken yet */
	int64_t made_ms;
	struct fake_worker *next; /* every worker made, newest first */
};

/* A session made ahead: one per function at most, as ready.c keeps. */
struct ahead {
	struct fake_worker *fw; /* NULL: a free slot */
	struct launched run;
};
#define AHEAD_MAX 8

struct fake {
	pthread_mutex_t lock;
	pthread_cond_t changed; /* any counter above, or a worker made */
	struct fake_worker *all;
	bool make_ahead; /* want() makes a session ahead */
	struct ahead aheads[AHEAD_MAX];
	int launched, taken, wanted;
	bool freed;
};

static void
fake_note(struct fake_worker *fw, int *counter, bool *flag)
{
	pthread_mutex_lock(&fw->fake->lock);
	if (counter)
		(*counter)++;
	if (flag)
		*flag = true;
	pthread_cond_broadcast(&fw->fake->changed);
	pthread_mutex_unlock(&fw->fake->lock);
}

/* Whether more bytes wait on fd right now. */
static bool
pending(int fd)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };

	return poll(&pfd, 1, 0) == 1 && (pfd.revents & POLLIN);
}

static int
answer(int fd, const char *in, size_t len, struct fake_worker *fw)
{
	char out[MAX_IO + 8], done[64];
	int32_t status = 0;
	size_t dlen = sizeof(status);
	int n;

	if (len == 4 && !memcmp(in, "fail", 4)) {
		status = 1;
		memcpy(done + sizeof(status), "it failed", 9);
		dlen += 9;
	} else {
		n = snprintf(out, sizeof(out), "echo:%.*s", (int)len, in);
		if (chan_send(fd, CHAN_OUTPUT, out, (size_t)n, 0) < 0)
			return -1;
	}
	memcpy(done, &status, sizeof(status));
	fake_note(fw, &fw->answered, NULL);
	return chan_send(fd, CHAN_DONE, done, dlen, 0);
}

/* The worker's side of the channel, as runtime.c serves it. */
static void *
fake_worker_main(void *arg)
{
	struct fake_worker *fw = arg;
	char in[MAX_IO + 1];
	struct chan_hdr hdr;

	for (;;) {
		if (chan_read_full(fw->fd, &hdr, sizeof(hdr), 0) < 0)
			break; /* the host hung up */
		if (hdr.type != CHAN_INVOKE || hdr.len > MAX_IO ||
		    chan_read_full(fw->fd, in, hdr.len, 0) < 0)
			break;
		in[hdr.len] = '\0';
		fake_note(fw, &fw->started, NULL);
		if (!strcmp(in, "crash")) {
			close(fw->fd); /* as the kernel does for a dead worker */
			fw->fd = -1;
			return NULL;
		}
		if (!strncmp(in, "slow:", 5)) {
			struct timespec ts = { 0, strtol(in + 5, NULL, 10) *
							  1000000L };

			nanosleep(&ts, NULL);
			/* The host sends an invoke only after the last one's
			 * DONE: anything here now is a second one at once. */
			if (pending(fw->fd))
				fake_note(fw, NULL, &fw->overlap);
		}
		if (answer(fw->fd, in, hdr.len, fw) < 0)
			break;
	}
	fake_note(fw, NULL, &fw->hung_up);
	close(fw->fd);
	fw->fd = -1;
	return NULL;
}

/* A worker of function_id, its session in out as launch_session() would
 * leave it, with no scratch dir and no log context. */
static struct fake_worker *
fake_make(struct fake *fk, const char *function_id, bool ahead,
	  struct launched *out)
{
	struct fake_worker *fw = calloc(1, sizeof(*fw));
	struct worker *w;
	int sv[2];

	assert_non_null(fw);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv),
			 0);
	w = worker_adopt(sv[0], MAX_IO, MAX_IO);
	assert_non_null(w);
	fw->fake = fk;
	fw->fd = sv[1];
	snprintf(fw->function_id, sizeof(fw->function_id), "%s", function_id);
	fw->is_ready = ahead;
	fw->made_ms = clock_now_ms();
	memset(out, 0, sizeof(*out));
	out->w = w;
	out->scratch_fd = -1;
	assert_int_equal(pthread_create(&fw->thread, NULL, fake_worker_main,
					fw),
			 0);
	pthread_mutex_lock(&fk->lock);
	fw->next = fk->all;
	fk->all = fw;
	pthread_cond_broadcast(&fk->changed);
	pthread_mutex_unlock(&fk->lock);
	return fw;
}

static int
fk_launch(void *ctx, const struct store_function *f, int bundle_fd,
	  const char *bundle_path, struct launched *out, char *err,
	  size_t errlen)
{
	struct fake *fk = ctx;

	(void)bundle_fd;
	(void)bundle_path;
	if (!strcmp(f->name, "refused"))
		return err_set(err, errlen, ERR_REFUSED, "init() failed");
	pthread_mutex_lock(&fk->lock);
	fk->launched++;
	pthread_mutex_unlock(&fk->lock);
	fake_make(fk, f->id, false, out);
	return 0;
}

/* Call with fk->lock held. */
static struct ahead *
ahead_of(struct fake *fk, const char *function_id)
{
	size_t i;

	for (i = 0; i < AHEAD_MAX; i++)
		if (fk->aheads[i].fw &&
		    !strcmp(fk->aheads[i].fw->function_id, function_id))
			return &fk->aheads[i];
	return NULL;
}

static bool
fk_take(void *ctx, const struct store_function *f, struct launched *out)
{
	struct fake *fk = ctx;
	struct ahead *a;
	bool ok = false;

	pthread_mutex_lock(&fk->lock);
	a = ahead_of(fk, f->id);
	if (a) {
		*out = a->run;
		a->fw->is_ready = false;
		a->fw = NULL;
		fk->taken++;
		ok = true;
	}
	pthread_mutex_unlock(&fk->lock);
	return ok;
}

static bool
fk_ready(void *ctx, const struct store_function *f)
{
	struct fake *fk = ctx;
	bool has;

	pthread_mutex_lock(&fk->lock);
	has = ahead_of(fk, f->id) != NULL;
	pthread_mutex_unlock(&fk->lock);
	return has;
}

static void
fk_want(void *ctx, const struct store_function *f, int bundle_fd,
	const char *bundle_path)
{
	struct fake *fk = ctx;
	struct fake_worker *fw;
	struct launched run;
	bool needed;
	size_t i;

	(void)bundle_fd;
	(void)bundle_path;
	pthread_mutex_lock(&fk->lock);
	fk->wanted++;
	needed = fk->make_ahead && !ahead_of(fk, f->id);
	pthread_mutex_unlock(&fk->lock);
	if (!needed)
		return;
	fw = fake_make(fk, f->id, true, &run);
	pthread_mutex_lock(&fk->lock);
	for (i = 0; i < AHEAD_MAX; i++)
		if (!fk->aheads[i].fw) {
			fk->aheads[i].fw = fw;
			fk->aheads[i].run = run;
			break;
		}
	pthread_mutex_unlock(&fk->lock);
	assert_true(i < AHEAD_MAX);
}

static void
fk_drop(void *ctx, const char *function_id, int64_t idle_ms)
{
	struct fake *fk = ctx;
	struct launched gone[AHEAD_MAX];
	size_t i, n = 0;

	pthread_mutex_lock(&fk->lock);
	for (i = 0; i < AHEAD_MAX; i++) {
		struct ahead *a = &fk->aheads[i];

		if (!a->fw ||
		    (function_id && strcmp(a->fw->function_id, function_id)) ||
		    (idle_ms >= 0 &&
		     clock_now_ms() - a->fw->made_ms <= idle_ms))
			continue;
		a->fw->is_ready = false;
		a->fw = NULL;
		gone[n++] = a->run;
	}
	pthread_mutex_unlock(&fk->lock);
	for (i = 0; i < n; i++)
		launch_discard(&gone[i], 0);
}

static void
fk_free(void *ctx)
{
	struct fake *fk = ctx;

	fk_drop(ctx, NULL, -1);
	pthread_mutex_lock(&fk->lock);
	fk->freed = true;
	pthread_mutex_unlock(&fk->lock);
}

static const struct session_launcher fake_ops = {
	.launch = fk_launch,
	.take = fk_take,
	.ready = fk_ready,
	.want = fk_want,
	.drop = fk_drop,
	.free = fk_free,
};

/* ---- fixture ------------------------------------------------------------ */

struct fx {
	struct config cfg;
	struct metrics m;
	struct fake fake;
	struct sessions *ss;
	struct store_function f[4];
};

static int
setup(void **state)
{
	struct fx *fx = calloc(1, sizeof(*fx));
	int i;

	/* A test that hangs is killed, and so fails. */
	alarm(60);
	if (!fx)
		return -1;
	config_defaults(&fx->cfg);
	fx->cfg.sessions_total = 64;
	fx->cfg.sessions_per_function = 64;
	fx->cfg.sessions_per_token = 64;
	fx->cfg.invoke_timeout_ms = WAIT_MS;
	fx->cfg.max_input = fx->cfg.max_output = MAX_IO;
	pthread_mutex_init(&fx->fake.lock, NULL);
	pthread_cond_init(&fx->fake.changed, NULL);
	for (i = 0; i < 4; i++) {
		snprintf(fx->f[i].id, sizeof(fx->f[i].id),
			 "function%dAAAAAAAAAAAAA", i);
		snprintf(fx->f[i].name, sizeof(fx->f[i].name), "fn%d", i);
		memset(fx->f[i].checksum, 'a' + i, 64);
	}
	*state = fx;
	return 0;
}

/* The table, after a test set fx->cfg. */
static void
start(struct fx *fx)
{
	fx->ss = sessions_new_launcher(&fx->cfg, &fx->m, &fake_ops, &fx->fake);
	assert_non_null(fx->ss);
}

static int
teardown(void **state)
{
	struct fx *fx = *state;
	struct fake_worker *fw, *next;

	sessions_free(fx->ss);
	/* Every worker's channel is closed now: every thread ends. */
	for (fw = fx->fake.all; fw; fw = next) {
		next = fw->next;
		pthread_join(fw->thread, NULL);
		free(fw);
	}
	pthread_cond_destroy(&fx->fake.changed);
	pthread_mutex_destroy(&fx->fake.lock);
	free(fx);
	alarm(0);
	return 0;
}

/* Wait until *v reaches want (under the fake's lock): whether it did
 * within WAIT_MS. */
static bool
wait_for(struct fake *fk, const int *v, int want)
{
	int64_t deadline = clock_now_ms() + WAIT_MS;
	struct timespec ts;
	bool ok;

	pthread_mutex_lock(&fk->lock);
	while (*v < want && clock_now_ms() < deadline) {
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 10 * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&fk->changed, &fk->lock, &ts);
	}
	ok = *v >= want;
	pthread_mutex_unlock(&fk->lock);
	return ok;
}

static bool
wait_hung_up(struct fake *fk, struct fake_worker *fw)
{
	int64_t deadline = clock_now_ms() + WAIT_MS;
	bool ok;

	for (;;) {
		pthread_mutex_lock(&fk->lock);
		ok = fw->hung_up;
		pthread_mutex_unlock(&fk->lock);
		if (ok || clock_now_ms() >= deadline)
			return ok;
		usleep(5000);
	}
}

/* A worker's counter or flag, read under the fake's lock. */
static int
get(struct fake *fk, const int *v)
{
	int n;

	pthread_mutex_lock(&fk->lock);
	n = *v;
	pthread_mutex_unlock(&fk->lock);
	return n;
}

static bool
get_flag(struct fake *fk, const bool *v)
{
	bool b;

	pthread_mutex_lock(&fk->lock);
	b = *v;
	pthread_mutex_unlock(&fk->lock);
	return b;
}

/* The worker made last: the one of the session opened last when nothing
 * is made ahead. */
static struct fake_worker *
newest(struct fx *fx)
{
	struct fake_worker *fw;

	pthread_mutex_lock(&fx->fake.lock);
	fw = fx->fake.all;
	pthread_mutex_unlock(&fx->fake.lock);
	assert_non_null(fw);
	return fw;
}

static void
sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static int
open_one(struct fx *fx, int fn, const char *owner, char sid[33], char *err,
	 unsigned *retry)
{
	struct session_opened o;
	int rc;

	memset(&o, 0, sizeof(o));
	rc = sessions_open(fx->ss, &fx->f[fn], -1, "/bundle", owner,
			   fx->f[fn].id, &o, err, SESSION_ERR_MAX);
	if (rc == 0 && sid)
		memcpy(sid, o.id, 33);
	if (retry)
		*retry = o.retry_after_s;
	return rc;
}

static void
open_ok(struct fx *fx, int fn, const char *owner, char sid[33])
{
	char err[SESSION_ERR_MAX] = "";

	if (open_one(fx, fn, owner, sid, err, NULL) != 0)
		fail_msg("open of fn%d for %s: %s", fn, owner, err);
}

/* Open one more over a limit: refused, naming want, with a retry time. */
static void
open_refused(struct fx *fx, int fn, const char *owner, const char *want)
{
	char err[SESSION_ERR_MAX] = "";
	unsigned retry = 0;

	assert_int_equal(open_one(fx, fn, owner, NULL, err, &retry),
			 -ERR_LIMIT);
	if (!strstr(err, want))
		fail_msg("'%s' does not name '%s'", err, want);
	assert_true(retry > 0);
}

/* Invoke sid of function fn with input, as tokenA (which opens the
 * sessions invoked here): the return code; the output into out (out_len
 * bytes) when it is 0, else the reason. */
static int
invoke(struct fx *fx, const char *sid, int fn, const char *input, char *out,
       size_t out_len)
{
	char err[SESSION_ERR_MAX] = "", sum[65];
	struct worker_result r;
	int rc;

	rc = sessions_invoke(fx->ss, sid, fx->f[fn].id, "tokenA", input,
			     strlen(input), NULL, &r, sum, err, sizeof(err));
	if (out)
		snprintf(out, out_len, "%s",
			 rc == 0 ? (r.output ? r.output : "") : err);
	if (rc == 0)
		assert_memory_equal(sum, fx->f[fn].checksum, 65);
	worker_result_free(&r);
	return rc;
}

static void
invoke_ok(struct fx *fx, const char *sid, int fn, const char *input)
{
	char out[MAX_IO + 64], want[MAX_IO + 8];

	if (invoke(fx, sid, fn, input, out, sizeof(out)) != 0)
		fail_msg("invoke '%s': %s", input, out);
	snprintf(want, sizeof(want), "echo:%s", input);
	assert_string_equal(out, want);
}

/* ---- the shares --------------------------------------------------------- */

static void
test_per_token(void **state)
{
	struct fx *fx = *state;

	fx->cfg.sessions_per_token = 2;
	start(fx);
	open_ok(fx, 0, "tokenA", NULL);
	open_ok(fx, 1, "tokenA", NULL);
	open_refused(fx, 2, "tokenA", "sessions_per_token");
	open_ok(fx, 2, "tokenB", NULL);
	assert_int_equal(sessions_count(fx->ss), 3);
	assert_int_equal(atomic_load(&fx->m.sessions_refused), 1);
}

static void
test_per_function(void **state)
{
	struct fx *fx = *state;

	fx->cfg.sessions_per_function = 2;
	start(fx);
	open_ok(fx, 0, "tokenA", NULL);
	open_ok(fx, 0, "tokenB", NULL);
	open_refused(fx, 0, "tokenC", "sessions_per_function");
	open_ok(fx, 1, "tokenC", NULL);
	assert_int_equal(sessions_count(fx->ss), 3);
}

static void
test_total(void **state)
{
	struct fx *fx = *state;
	char sid[33];

	/* The reserve of 3 is one place, free to functions holding none. */
	fx->cfg.sessions_total = 3;
	start(fx);
	open_ok(fx, 0, "tokenA", sid);
	open_ok(fx, 1, "tokenB", NULL);
	open_ok(fx, 2, "tokenC", NULL);
	open_refused(fx, 3, "tokenD", "sessions_total");
	/* A close frees its place at once. */
	assert_int_equal(sessions_close(fx->ss, sid, fx->f[0].id, true, NULL,
					0),
			 0);
	open_ok(fx, 3, "tokenD", NULL);
	assert_int_equal(sessions_count(fx->ss), 3);
}

static void
test_reserve(void **state)
{
	struct fx *fx = *state;
	char owner[16];
	int i;

	/* 16 places: the last 2 only for functions holding fewer than 2. */
	fx->cfg.sessions_total = 16;
	fx->cfg.sessions_per_function = 16;
	start(fx);
	for (i = 0; i < 14; i++) {
		snprintf(owner, sizeof(owner), "token%d", i);
		open_ok(fx, 0, owner, NULL);
	}
	open_refused(fx, 0, "tokenX", "kept for smaller functions");
	open_ok(fx, 1, "tokenX", NULL);
	open_ok(fx, 1, "tokenY", NULL);
	open_refused(fx, 2, "tokenZ", "sessions_total");
	assert_int_equal(sessions_count(fx->ss), 16);
}

static void
test_draining(void **state)
{
	struct fx *fx = *state;
	struct fake_worker *ahead;
	char err[SESSION_ERR_MAX] = "", sid[33], sid2[33];

	fx->fake.make_ahead = true;
	start(fx);
	open_ok(fx, 0, "tokenA", sid);
	/* The open asked for the next one, and the next open takes it. */
	assert_int_equal(get(&fx->fake, &fx->fake.wanted), 1);
	open_ok(fx, 0, "tokenA", sid2);
	assert_int_equal(get(&fx->fake, &fx->fake.taken), 1);
	assert_int_equal(get(&fx->fake, &fx->fake.launched), 1);
	ahead = newest(fx); /* made ahead after the second open */
	assert_true(get_flag(&fx->fake, &ahead->is_ready));

	sessions_drain(fx->ss);
	assert_int_equal(open_one(fx, 1, "tokenB", NULL, err, NULL),
			 -ERR_DRAINING);
	assert_non_null(strstr(err, "shutting down"));
	/* What was made ahead is gone; open sessions go on. */
	assert_true(wait_hung_up(&fx->fake, ahead));
	invoke_ok(fx, sid, 0, "still here");
	invoke_ok(fx, sid2, 0, "me too");
}

static void
test_forget(void **state)
{
	struct fx *fx = *state;
	struct fake_worker *ahead0, *ahead1;
	char sid[33];

	fx->fake.make_ahead = true;
	start(fx);
	open_ok(fx, 0, "tokenA", sid);
	ahead0 = newest(fx);
	open_ok(fx, 1, "tokenA", NULL);
	ahead1 = newest(fx);
	assert_true(get_flag(&fx->fake, &ahead0->is_ready));
	assert_true(get_flag(&fx->fake, &ahead1->is_ready));
	sessions_forget(fx->ss, fx->f[0].id);
	assert_true(wait_hung_up(&fx->fake, ahead0));
	assert_false(get_flag(&fx->fake, &ahead1->hung_up));
	invoke_ok(fx, sid, 0, "open sessions go on");
}

/* sessions_open_ready() of fn for owner: its return code, sid filled on
 * success. */
static int
open_ready(struct fx *fx, int fn, const char *owner, char sid[33])
{
	struct session_opened o;
	char err[SESSION_ERR_MAX] = "";
	int rc;

	memset(&o, 0, sizeof(o));
	rc = sessions_open_ready(fx->ss, &fx->f[fn], owner, fx->f[fn].id, &o,
				 err, sizeof(err));
	if (rc == 0)
		memcpy(sid, o.id, 33);
	return rc;
}

static void
test_open_ready(void **state)
{
	struct fx *fx = *state;
	char sid[33], sid2[33];

	fx->cfg.sessions_per_token = 2;
	fx->fake.make_ahead = true;
	start(fx);
	/* None ready: nothing reserved, counted, refused or asked for. */
	assert_int_equal(open_ready(fx, 0, "tokenA", sid), SESSIONS_NOT_READY);
	assert_int_equal(sessions_count(fx->ss), 0);
	assert_int_equal(atomic_load(&fx->m.sessions_open), 0);
	assert_int_equal(atomic_load(&fx->m.sessions_refused), 0);
	assert_int_equal(get(&fx->fake, &fx->fake.wanted), 0);
	open_ok(fx, 0, "tokenA", sid);
	/* The one made ahead is handed over; the next one is asked for by
	 * sessions_want_ready() alone, without a bundle. */
	assert_int_equal(open_ready(fx, 0, "tokenA", sid2), 0);
	assert_string_not_equal(sid, sid2);
	assert_int_equal(get(&fx->fake, &fx->fake.taken), 1);
	assert_int_equal(get(&fx->fake, &fx->fake.launched), 1);
	assert_int_equal(get(&fx->fake, &fx->fake.wanted), 1);
	sessions_want_ready(fx->ss, &fx->f[0]);
	assert_int_equal(get(&fx->fake, &fx->fake.wanted), 2);
	assert_int_equal(atomic_load(&fx->m.sessions_total), 2);
	invoke_ok(fx, sid2, 0, "ready");
	/* Over a limit with one ready: the refusal sessions_open() gives. */
	assert_int_equal(open_ready(fx, 0, "tokenA", sid2), -ERR_LIMIT);
	assert_int_equal(atomic_load(&fx->m.sessions_refused), 1);
	assert_int_equal(sessions_count(fx->ss), 2);
	/* Another function has none ready. */
	assert_int_equal(open_ready(fx, 1, "tokenB", sid2), SESSIONS_NOT_READY);
	assert_int_equal(sessions_count(fx->ss), 2);
}

/* ---- invokes ------------------------------------------------------------ */

struct invoker {
	struct fx *fx;
	const char *sid;
	const char *input;
	int rc;
	char out[MAX_IO + 64];
};

static void *
invoker_main(void *arg)
{
	struct invoker *iv = arg;

	iv->rc = invoke(iv->fx, iv->sid, 0, iv->input, iv->out,
			sizeof(iv->out));
	return NULL;
}

/* Open a session of function 0 for tokenA into sid and run a's invoke on
 * it in thread *t: the session's worker, once the invoke has reached it
 * (the test fails when it does not within a second). */
static struct fake_worker *
open_busy(struct fx *fx, char sid[33], struct invoker *a, pthread_t *t)
{
	struct fake_worker *fw;

	open_ok(fx, 0, "tokenA", sid);
	fw = newest(fx);
	a->fx = fx;
	a->sid = sid;
	assert_int_equal(pthread_create(t, NULL, invoker_main, a), 0);
	assert_true(wait_for(&fx->fake, &fw->started, 1));
	return fw;
}

static void
test_invokes_in_order(void **state)
{
	struct fx *fx = *state;
	struct invoker a = { .input = "slow:200:first" };
	struct invoker b = { .input = "slow:200:second" };
	struct fake_worker *fw;
	pthread_t ta, tb;
	char sid[33];

	start(fx);
	open_ok(fx, 0, "tokenA", sid);
	fw = newest(fx);
	a.fx = b.fx = fx;
	a.sid = b.sid = sid;
	assert_int_equal(pthread_create(&ta, NULL, invoker_main, &a), 0);
	assert_int_equal(pthread_create(&tb, NULL, invoker_main, &b), 0);
	pthread_join(ta, NULL);
	pthread_join(tb, NULL);
	assert_int_equal(a.rc, 0);
	assert_int_equal(b.rc, 0);
	assert_string_equal(a.out, "echo:slow:200:first");
	assert_string_equal(b.out, "echo:slow:200:second");
	assert_int_equal(get(&fx->fake, &fw->started), 2);
	assert_false(get_flag(&fx->fake, &fw->overlap));
}

static void
test_function_error(void **state)
{
	struct fx *fx = *state;
	char out[SESSION_ERR_MAX], sid[33];

	start(fx);
	open_ok(fx, 0, "tokenA", sid);
	assert_int_equal(invoke(fx, sid, 0, "fail", out, sizeof(out)),
			 -ERR_FUNCTION);
	assert_string_equal(out, "it failed");
	/* The function's own error leaves the session open. */
	invoke_ok(fx, sid, 0, "again");
}

static void
test_close_waits_for_invoke(void **state)
{
	struct fx *fx = *state;
	struct invoker a = { .input = "slow:300" };
	struct fake_worker *fw;
	int close_rc, answered, later_rc;
	pthread_t ta;
	char sid[33], out[SESSION_ERR_MAX];

	start(fx);
	fw = open_busy(fx, sid, &a, &ta);

	close_rc = sessions_close(fx->ss, sid, fx->f[0].id, true, NULL, 0);
	answered = get(&fx->fake, &fw->answered);
	later_rc = invoke(fx, sid, 0, "later", out, sizeof(out));
	/* Joined before any assertion, which would leave it running. */
	pthread_join(ta, NULL);
	assert_int_equal(close_rc, 0);
	/* Not before the invoke running had its answer. */
	assert_int_equal(answered, 1);
	assert_int_equal(later_rc, -ERR_NO_SESSION);
	assert_int_equal(sessions_close(fx->ss, sid, fx->f[0].id, true, NULL,
					0),
			 -ERR_NO_SESSION);
	assert_int_equal(a.rc, 0);
	assert_string_equal(a.out, "echo:slow:300");
	assert_int_equal(get(&fx->fake, &fw->started), 1);
	assert_true(wait_hung_up(&fx->fake, fw));
	assert_int_equal(sessions_count(fx->ss), 0);
}

/* A close that may not wait (the event thread's) closes an idle session
 * at once, and leaves one whose invoke runs as it was. */
static void
test_close_no_wait(void **state)
{
	struct fx *fx = *state;
	struct invoker a = { .input = "slow:300" };
	struct fake_worker *fw;
	int busy_rc, count_then;
	pthread_t ta;
	char sid[33];

	start(fx);
	fw = open_busy(fx, sid, &a, &ta);
	busy_rc = sessions_close(fx->ss, sid, fx->f[0].id, false, NULL, 0);
	count_then = (int)sessions_count(fx->ss);
	pthread_join(ta, NULL);
	assert_int_equal(busy_rc, SESSIONS_BUSY);
	assert_int_equal(count_then, 1);
	assert_int_equal(a.rc, 0);
	/* Nothing of the try stayed: the session serves and closes. */
	invoke_ok(fx, sid, 0, "still open");
	assert_int_equal(sessions_close(fx->ss, sid, fx->f[0].id, false, NULL,
					0),
			 0);
	assert_true(wait_hung_up(&fx->fake, fw));
	assert_int_equal(sessions_count(fx->ss), 0);
	assert_int_equal(sessions_close(fx->ss, sid, fx->f[0].id, false, NULL,
					0),
			 -ERR_NO_SESSION);
}

static void
test_crash(void **state)
{
	struct fx *fx = *state;
	char sid[33], other[33], out[SESSION_ERR_MAX], sum[65];

	start(fx);
	open_ok(fx, 0, "tokenA", sid);
	open_ok(fx, 0, "tokenA", other);
	assert_int_equal(invoke(fx, sid, 0, "crash", out, sizeof(out)),
			 -ERR_CRASHED);
	assert_non_null(strstr(out, "the session is gone"));
	/* Gone from the table, not only failing at its worker. */
	assert_int_equal(sessions_count(fx->ss), 1);
	assert_int_equal(sessions_checksum(fx->ss, sid, fx->f[0].id, "tokenA",
					   sum, NULL, 0),
			 -ERR_NO_SESSION);
	assert_int_equal(invoke(fx, sid, 0, "after", out, sizeof(out)),
			 -ERR_NO_SESSION);
	invoke_ok(fx, other, 0, "the other one");
}

static void
test_other_function(void **state)
{
	struct fx *fx = *state;
	char sid[33], out[SESSION_ERR_MAX], sum[65];

	start(fx);
	open_ok(fx, 0, "tokenA", sid);
	assert_int_equal(invoke(fx, sid, 1, "hello", out, sizeof(out)),
			 -ERR_NO_SESSION);
	assert_int_equal(sessions_checksum(fx->ss, sid, fx->f[1].id, "tokenA",
					   sum, NULL, 0),
			 -ERR_NO_SESSION);
	assert_int_equal(sessions_close(fx->ss, sid, fx->f[1].id, true, NULL,
					0),
			 -ERR_NO_SESSION);
	assert_int_equal(get(&fx->fake, &newest(fx)->started), 0);
	/* Still there for its own function. */
	invoke_ok(fx, sid, 0, "hello");
	assert_int_equal(sessions_checksum(fx->ss, sid, fx->f[0].id, "tokenA",
					   sum, NULL, 0),
			 0);
	assert_memory_equal(sum, fx->f[0].checksum, 65);
}

/* Another token of the same function reaches a session no more than a
 * token of another function does. */
static void *
closer_main(void *arg)
{
	struct invoker *iv = arg;

	iv->rc = sessions_close(iv->fx->ss, iv->sid, iv->fx->f[0].id, true,
				NULL, 0);
	return NULL;
}

/* A session closed while its invoke runs keeps its place until the
 * invoke ends: closing and reopening gives a token no more workers than
 * its share. */
static void
test_close_keeps_place(void **state)
{
	struct fx *fx = *state;
	struct invoker a = { .input = "slow:300" }, c = { 0 };
	struct fake_worker *fw;
	int refused, answered, i;
	char sid[33], err[SESSION_ERR_MAX];
	pthread_t ta, tc;

	fx->cfg.sessions_per_token = 1;
	start(fx);
	fw = open_busy(fx, sid, &a, &ta);
	c.fx = fx;
	c.sid = sid;
	assert_int_equal(pthread_create(&tc, NULL, closer_main, &c), 0);
	for (i = 0; i < 1000 && sessions_count(fx->ss) > 0; i++)
		sleep_ms(1);
	refused = open_one(fx, 0, "tokenA", NULL, err, NULL);
	answered = get(&fx->fake, &fw->answered);
	/* Joined before any assertion, which would leave them running. */
	pthread_join(ta, NULL);
	pthread_join(tc, NULL);
	assert_int_equal(answered, 0); /* the invoke still ran */
	assert_int_equal(refused, -ERR_LIMIT);
	assert_int_equal(a.rc, 0);
	assert_int_equal(c.rc, 0);
	open_ok(fx, 0, "tokenA", sid);
}

static void
test_other_owner(void **state)
{
	struct fx *fx = *state;
	char sid[33], err[SESSION_ERR_MAX], sum[65];
	struct worker_result r;

	start(fx);
	open_ok(fx, 0, "tokenA", sid);
	assert_int_equal(sessions_invoke(fx->ss, sid, fx->f[0].id, "tokenB",
					 "x", 1, NULL, &r, sum, err,
					 sizeof(err)),
			 -ERR_NO_SESSION);
	worker_result_free(&r);
	assert_int_equal(sessions_checksum(fx->ss, sid, fx->f[0].id, "tokenB",
					   sum, NULL, 0),
			 -ERR_NO_SESSION);
	invoke_ok(fx, sid, 0, "still the opener's");
}

static void
test_refused_launch(void **state)
{
	struct fx *fx = *state;
	char err[SESSION_ERR_MAX] = "";

	fx->cfg.sessions_total = 1;
	start(fx);
	snprintf(fx->f[0].name, sizeof(fx->f[0].name), "refused");
	assert_int_equal(open_one(fx, 0, "tokenA", NULL, err, NULL),
			 -ERR_REFUSED);
	assert_string_equal(err, "init() failed");
	/* Its place was given back. */
	assert_int_equal(sessions_count(fx->ss), 0);
	open_ok(fx, 1, "tokenA", NULL);
}

/* ---- expiry ------------------------------------------------------------- */

static void
test_idle_expiry(void **state)
{
	struct fx *fx = *state;
	struct fake_worker *wa, *wb;
	char a[33], b[33], out[SESSION_ERR_MAX];

	/* Sleeps of 400 ms against a limit of 600: a margin of 200 ms each
	 * way for a loaded machine. */
	fx->cfg.session_idle_ms = 600;
	fx->cfg.session_lifetime_ms = 60000;
	start(fx);
	open_ok(fx, 0, "tokenA", a);
	wa = newest(fx);
	open_ok(fx, 0, "tokenA", b);
	wb = newest(fx);
	sleep_ms(400);
	invoke_ok(fx, b, 0, "keep me");
	sessions_reap(fx->ss);
	assert_int_equal(sessions_count(fx->ss), 2);
	sleep_ms(400);
	sessions_reap(fx->ss);
	assert_int_equal(sessions_count(fx->ss), 1);
	assert_int_equal(invoke(fx, a, 0, "x", out, sizeof(out)),
			 -ERR_NO_SESSION);
	assert_true(wait_hung_up(&fx->fake, wa));
	assert_false(get_flag(&fx->fake, &wb->hung_up));
	invoke_ok(fx, b, 0, "still open");
}

static void
test_lifetime_expiry(void **state)
{
	struct fx *fx = *state;
	struct fake_worker *wa, *wb;
	char a[33], b[33], out[SESSION_ERR_MAX];

	fx->cfg.session_idle_ms = 60000;
	fx->cfg.session_lifetime_ms = 600;
	start(fx);
	open_ok(fx, 0, "tokenA", a);
	wa = newest(fx);
	sleep_ms(400);
	open_ok(fx, 0, "tokenA", b);
	wb = newest(fx);
	sleep_ms(400);
	/* Past its lifetime, not yet reaped: no invoke starts any more (one
	 * kept busy is never reaped), and the session ends. */
	assert_int_equal(invoke(fx, a, 0, "x", out, sizeof(out)),
			 -ERR_NO_SESSION);
	assert_int_equal(sessions_count(fx->ss), 1);
	assert_true(wait_hung_up(&fx->fake, wa));
	assert_false(get_flag(&fx->fake, &wb->hung_up));
	invoke_ok(fx, b, 0, "still open");
	sleep_ms(300);
	/* In use until now, and past its lifetime: reaped. */
	sessions_reap(fx->ss);
	assert_int_equal(sessions_count(fx->ss), 0);
	assert_true(wait_hung_up(&fx->fake, wb));
}

int
main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_per_token),	 T(test_per_function),
		T(test_total),		 T(test_reserve),
		T(test_draining),	 T(test_forget),
		T(test_open_ready),	 T(test_invokes_in_order),
		T(test_function_error),	 T(test_close_waits_for_invoke),
		T(test_crash),		 T(test_other_function),
		T(test_other_owner),	 T(test_close_keeps_place),
		T(test_refused_launch),	 T(test_idle_expiry),
		T(test_lifetime_expiry), T(test_close_no_wait),
	};
#undef T
	return cmocka_run_group_tests(tests, NULL, NULL);
}
