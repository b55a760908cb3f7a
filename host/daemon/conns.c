/*
 * conns.c: connection deadlines (see conns.h).
 *
 * The lock guards the list and every deadline.  A connection leaves the
 * list at conns_close(), which libmicrohttpd calls before it closes the
 * socket, so the sweeper never shuts down a descriptor that has been
 * reused.
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>

#include "base/clock.h"
#include "daemon/conns.h"

#define NO_DEADLINE INT64_MAX
#define SWEEP_MS 500

struct conn {
	int fd;
	int64_t deadline_ms;
	struct conn *prev, *next;
};

struct conns {
	uint32_t head_ms, body_ms;
	void (*tick)(void);
	pthread_mutex_t lock;
	pthread_cond_t stop_cond;
	struct conn *list;
	uint64_t expired;
	bool stop;
	pthread_t sweeper;
};

/* Shut down every connection past its deadline. */
static void
sweep_locked(struct conns *cs)
{
	int64_t now = clock_now_ms();
	struct conn *c;

	for (c = cs->list; c; c = c->next) {
		if (c->deadline_ms > now)
			continue;
		shutdown(c->fd, SHUT_RDWR);
		c->deadline_ms = NO_DEADLINE; /* once is enough */
		cs->expired++;
	}
}

static void *
sweeper_main(void *arg)
{
	struct conns *cs = arg;
	struct timespec until;

	pthread_mutex_lock(&cs->lock);
	while (!cs->stop) {
		clock_gettime(CLOCK_MONOTONIC, &until);
		until.tv_nsec += SWEEP_MS * 1000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&cs->stop_cond, &cs->lock, &until);
		sweep_locked(cs);
		if (!cs->tick)
			continue;
		/* Unlocked: the tick may take locks under which conns_*()
		 * are called. */
		pthread_mutex_unlock(&cs->lock);
		cs->tick();
		pthread_mutex_lock(&cs->lock);
	}
	pthread_mutex_unlock(&cs->lock);
	return NULL;
}

struct conns *
conns_new(uint32_t head_ms, uint32_t body_ms, void (*tick)(void))
{
	struct conns *cs = calloc(1, sizeof(*cs));
	pthread_condattr_t ca;

	if (!cs)
		return NULL;
	cs->head_ms = head_ms;
	cs->body_ms = body_ms;
	cs->tick = tick;
	pthread_mutex_init(&cs->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&cs->stop_cond, &ca);
	pthread_condattr_destroy(&ca);
	if (pthread_create(&cs->sweeper, NULL, sweeper_main, cs) != 0) {
		pthread_cond_destroy(&cs->stop_cond);
		pthread_mutex_destroy(&cs->lock);
		free(cs);
		return NULL;
	}
	return cs;
}

void
conns_free(struct conns *cs)
{
	if (!cs)
		return;
	pthread_mutex_lock(&cs->lock);
	cs->stop = true;
	pthread_cond_signal(&cs->stop_cond);
	pthread_mutex_unlock(&cs->lock);
	pthread_join(cs->sweeper, NULL);
	pthread_cond_destroy(&cs->stop_cond);
	pthread_mutex_destroy(&cs->lock);
	free(cs);
}

static void
set_deadline(struct conns *cs, struct conn *c, int64_t deadline_ms)
{
	if (!c)
		return;
	pthread_mutex_lock(&cs->lock);
	c->deadline_ms = deadline_ms;
	pthread_mutex_unlock(&cs->lock);
}

struct conn *
conns_open(struct conns *cs, int fd)
{
	struct conn *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->fd = fd;
	pthread_mutex_lock(&cs->lock);
	c->deadline_ms = clock_now_ms() + cs->head_ms;
	c->next = cs->list;
	if (cs->list)
		cs->list->prev = c;
	cs->list = c;
	pthread_mutex_unlock(&cs->lock);
	return c;
}

void
conns_close(struct conns *cs, struct conn *c)
{
	if (!c)
		return;
	pthread_mutex_lock(&cs->lock);
	if (c->prev)
		c->prev->next = c->next;
	else
		cs->list = c->next;
	if (c->next)
		c->next->prev = c->prev;
	pthread_mutex_unlock(&cs->lock);
	free(c);
}

void
conns_reading_body(struct conns *cs, struct conn *c)
{
	set_deadline(cs, c, clock_now_ms() + cs->body_ms);
}

void
conns_waiting(struct conns *cs, struct conn *c)
{
	set_deadline(cs, c, NO_DEADLINE);
}

void
conns_answered(struct conns *cs, struct conn *c)
{
	set_deadline(cs, c, clock_now_ms() + cs->head_ms);
}

uint64_t
conns_expired(struct conns *cs)
{
	uint64_t n;

	pthread_mutex_lock(&cs->lock);
	n = cs->expired;
	pthread_mutex_unlock(&cs->lock);
	return n;
}
