/* plugin-log.c: plugins' log lines, tagged and rate-limited (see
 * plugin-log.h). */
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "daemon/fnlog.h"
#include "daemon/log.h"
#include "formats/bundle.h"
#include "daemon/plugin-log.h"
#include "daemon/session.h"

/*
 * A function's lines, all its sessions' together: a bucket per session
 * would let a client multiply the rate by opening sessions side by side,
 * and start each new one with a full burst.  A bucket outlives its last
 * context until it has filled up again, so that closing and reopening
 * sessions does not refill it either; then the next plugin_log_new()
 * frees it.
 */
struct bucket {
	char function_id[32];
	double tokens;	 /* lines the function may log now */
	int64_t last_ms; /* when tokens was last topped up */
	unsigned long dropped;
	unsigned refs; /* contexts using it */
	struct bucket *next;
};

static struct {
	pthread_mutex_t lock; /* guards the list and every bucket */
	struct bucket *list;
} buckets = { .lock = PTHREAD_MUTEX_INITIALIZER };

struct plugin_log {
	char function_id[32];
	char name[BUNDLE_LABEL_MAX + 1];
	char session_id[SESSION_ID_MAX + 1]; /* "" while made ahead */
	struct bucket *b;
};

/* Top b up for the time gone by.  Under the lock. */
static void
refill(struct bucket *b, int64_t now)
{
	b->tokens += (double)(now - b->last_ms) * PLUGIN_LOG_RATE / 1000.0;
	if (b->tokens > PLUGIN_LOG_BURST)
		b->tokens = PLUGIN_LOG_BURST;
	b->last_ms = now;
}

/* function_id's bucket, made when missing; frees the unused ones that
 * are full again on the way.  Under the lock. */
static struct bucket *
bucket_get(const char *function_id)
{
	struct bucket **pp = &buckets.list, *b, *found = NULL;
	int64_t now = clock_now_ms();

	while ((b = *pp)) {
		if (!strcmp(b->function_id, function_id)) {
			found = b;
		} else if (!b->refs) {
			refill(b, now);
			if (b->tokens >= PLUGIN_LOG_BURST && !b->dropped) {
				*pp = b->next;
				free(b);
				continue;
			}
		}
		pp = &b->next;
	}
	if (found)
		return found;
	b = calloc(1, sizeof(*b));
	if (!b)
		return NULL;
	snprintf(b->function_id, sizeof(b->function_id), "%s", function_id);
	b->tokens = PLUGIN_LOG_BURST;
	b->last_ms = now;
	b->next = buckets.list;
	buckets.list = b;
	return b;
}

struct plugin_log *
plugin_log_new(const char *function_id, const char *name)
{
	struct plugin_log *pl = calloc(1, sizeof(*pl));

	if (!pl)
		return NULL;
	snprintf(pl->function_id, sizeof(pl->function_id), "%s", function_id);
	snprintf(pl->name, sizeof(pl->name), "%s", name);
	pthread_mutex_lock(&buckets.lock);
	pl->b = bucket_get(pl->function_id);
	if (pl->b)
		pl->b->refs++;
	pthread_mutex_unlock(&buckets.lock);
	if (!pl->b) {
		free(pl);
		return NULL;
	}
	return pl;
}

void
plugin_log_attach(struct plugin_log *pl, const char *session_id)
{
	if (pl)
		snprintf(pl->session_id, sizeof(pl->session_id), "%s",
			 session_id);
}

/* Whether one more line may be logged now, and in *dropped how many were
 * not since the last one that was. */
static bool
allowed(struct plugin_log *pl, unsigned long *dropped)
{
	struct bucket *b = pl->b;
	bool ok = false;

	pthread_mutex_lock(&buckets.lock);
	refill(b, clock_now_ms());
	if (b->tokens < 1) {
		b->dropped++;
	} else {
		b->tokens -= 1;
		*dropped = b->dropped;
		b->dropped = 0;
		ok = true;
	}
	pthread_mutex_unlock(&buckets.lock);
	return ok;
}

void
plugin_log_line(void *ctx, int level, const char *msg)
{
	struct plugin_log *pl = ctx;
	unsigned long dropped = 0;

	if (!allowed(pl, &dropped))
		return;
	if (dropped)
		log_msg(LOG_LEVEL_WARN,
			"event=plugin_log_dropped function=%s session=%s "
			"lines=%lu",
			pl->function_id, pl->session_id, dropped);
	log_msg(LOG_LEVEL_INFO,
		"event=plugin_log function=%s session=%s plugin_level=%d "
		"msg=\"%s\"",
		pl->function_id, pl->session_id, level, msg);
	fnlog_add(pl->name, pl->function_id, pl->session_id, "log", level, NULL,
		  msg);
}

void
plugin_log_free(void *ctx)
{
	struct plugin_log *pl = ctx;

	if (!pl)
		return;
	pthread_mutex_lock(&buckets.lock);
	pl->b->refs--;
	pthread_mutex_unlock(&buckets.lock);
	free(pl);
}
