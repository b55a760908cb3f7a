/*
 * fnlog.c: each function name's last log lines (see fnlog.h).
 *
 * One lock over every ring: a line is added under it in the time of
 * making its JSON text, and the names are few (those deployed), so a scan
 * of them costs less than a hash table would in code.  A new line wakes
 * its name's parked followers (follows.h) once it is in the ring and the
 * lock is let go: follows.c takes this lock under its own, never the
 * other way round.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "base/clock.h"
#include "base/utf8.h"
#include "daemon/fnlog.h"
#include "daemon/follows.h"
#include "formats/bundle.h"

struct ring {
	char name[BUNDLE_LABEL_MAX + 1];
	char **lines; /* cap slots; lines[(first + i) % cap] is seq first_seq+i */
	size_t first, n;
	uint64_t next_seq; /* of the next line added; from 1 */
};

static struct {
	pthread_mutex_t lock;
	bool on;
	unsigned int cap;
	struct ring *rings;
	size_t nrings;
} set = { .lock = PTHREAD_MUTEX_INITIALIZER };

int
fnlog_init(unsigned int lines)
{
	if (lines == 0)
		return 0;
	set.rings = calloc(FNLOG_NAMES_MAX, sizeof(*set.rings));
	if (!set.rings)
		return -1;
	set.cap = lines;
	set.on = true;
	return 0;
}

void
fnlog_free(void)
{
	size_t i, j;

	pthread_mutex_lock(&set.lock);
	for (i = 0; i < set.nrings; i++) {
		for (j = 0; j < set.rings[i].n; j++)
			free(set.rings[i].lines[(set.rings[i].first + j) %
						set.cap]);
		free(set.rings[i].lines);
	}
	free(set.rings);
	set.rings = NULL;
	set.nrings = 0;
	set.on = false;
	pthread_mutex_unlock(&set.lock);
}

/* name's ring, made when missing (NULL: out of room or memory).  Under
 * the lock. */
static struct ring *
ring_of(const char *name, bool make)
{
	struct ring *r;
	size_t i;

	for (i = 0; i < set.nrings; i++)
		if (!strcmp(set.rings[i].name, name))
			return &set.rings[i];
	if (!make || set.nrings == FNLOG_NAMES_MAX)
		return NULL;
	r = &set.rings[set.nrings];
	r->lines = calloc(set.cap, sizeof(*r->lines));
	if (!r->lines)
		return NULL;
	snprintf(r->name, sizeof(r->name), "%s", name);
	r->next_seq = 1;
	set.nrings++;
	return r;
}

/* The line's JSON text, made outside the lock. */
static char *
line_text(uint64_t seq, const char *function_id, const char *session,
	  const char *event, int level, const char *cause, const char *msg)
{
	json_object *o = json_object_new_object();
	struct timespec ts;
	char cut[FNLOG_MSG_MAX + 1];
	char *text;

	clock_gettime(CLOCK_REALTIME, &ts);
	/* Cut between characters, and valid UTF-8 whatever the caller
	 * passed: the line is JSON (utf8.h). */
	utf8_clean(cut, sizeof(cut), msg, msg ? strlen(msg) : 0);
	json_object_object_add(o, "seq", json_object_new_int64((int64_t)seq));
	json_object_object_add(o, "time",
			       json_object_new_int64((int64_t)ts.tv_sec * 1000 +
						     ts.tv_nsec / 1000000));
	json_object_object_add(o, "function",
			       json_object_new_string(function_id));
	json_object_object_add(o, "session", json_object_new_string(session));
	json_object_object_add(o, "event", json_object_new_string(event));
	if (!strcmp(event, "log"))
		json_object_object_add(o, "level", json_object_new_int(level));
	if (cause)
		json_object_object_add(o, "cause",
				       json_object_new_string(cause));
	json_object_object_add(o, "msg", json_object_new_string(cut));
	/* PLAIN: one line; json-c escapes control bytes and quotes. */
	text = strdup(json_object_to_json_string_ext(
		o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
	return text;
}

void
fnlog_add(const char *name, const char *function_id, const char *session,
	  const char *event, int level, const char *cause, const char *msg)
{
	struct ring *r;
	uint64_t seq;
	char *text, *old = NULL;

	if (!set.on || !name || !*name)
		return;
	pthread_mutex_lock(&set.lock);
	r = ring_of(name, true);
	if (!r) {
		pthread_mutex_unlock(&set.lock);
		return;
	}
	/* The text is made under the lock so that the ring's order is seq's
	 * order, which a follower's "after" relies on; it costs a few
	 * microseconds. */
	seq = r->next_seq;
	text = line_text(seq, function_id ? function_id : "",
			 session ? session : "", event, level, cause, msg);
	if (!text) {
		pthread_mutex_unlock(&set.lock);
		return;
	}
	r->next_seq++;
	if (r->n == set.cap) {
		old = r->lines[r->first];
		r->lines[r->first] = text;
		r->first = (r->first + 1) % set.cap;
	} else {
		r->lines[(r->first + r->n) % set.cap] = text;
		r->n++;
	}
	pthread_mutex_unlock(&set.lock);
	free(old);
	follows_wake(name);
}

/* The seq a kept line starts with: "{"seq":N," as line_text() wrote. */
static uint64_t
seq_of(const char *line)
{
	return line ? strtoull(line + 7, NULL, 10) : 0;
}

size_t
fnlog_read(const char *name, uint64_t *after, struct buf *out)
{
	struct ring *r;
	size_t i, got = 0;
	uint64_t seq;
	const char *l;

	if (!set.on)
		return 0;
	pthread_mutex_lock(&set.lock);
	r = ring_of(name, false);
	for (i = 0; r && i < r->n; i++) {
		l = r->lines[(r->first + i) % set.cap];
		seq = seq_of(l);
		if (!l || seq <= *after)
			continue;
		if (buf_append(out, l, strlen(l)) < 0 ||
		    buf_append(out, "\n", 1) < 0)
			break;
		*after = seq;
		got++;
	}
	pthread_mutex_unlock(&set.lock);
	return got;
}

bool
fnlog_has_after(const char *name, uint64_t after)
{
	struct ring *r;
	bool yes;

	if (!set.on)
		return false;
	pthread_mutex_lock(&set.lock);
	r = ring_of(name, false);
	yes = r && r->n &&
	      seq_of(r->lines[(r->first + r->n - 1) % set.cap]) > after;
	pthread_mutex_unlock(&set.lock);
	return yes;
}
