/*
 * follows.c: parked log followers (see follows.h).
 *
 * One lock guards the list, every follower's parked flag and the stop.
 * Two races are closed by it:
 *
 * - A line added between a follower's empty read and its parking is
 *   not missed: follows_park() checks the ring again under this lock
 *   before it suspends, and fnlog_add() calls follows_wake(), which
 *   takes this lock, only once the line is in the ring.  Either the
 *   check sees the line, or the wake comes after the parking and
 *   resumes it.
 * - A resume never touches a freed connection: every resume is made
 *   under this lock on a follower still in the list, and libmicrohttpd
 *   frees a connection only after its answer's free callback, which
 *   removes the follower under this lock.  libmicrohttpd calls no
 *   callback of ours with its own locks held, so taking theirs (in
 *   MHD_suspend_connection() and MHD_resume_connection()) under ours
 *   cannot deadlock.
 *
 * The names are few and so are the followers (FOLLOWS_MAX): a list
 * scanned in full costs less than an index would in code.
 */
#include <pthread.h>
#include <string.h>

#include "base/clock.h"
#include "base/err.h"
#include "daemon/fnlog.h"
#include "daemon/follows.h"

static struct {
	pthread_mutex_t lock;
	struct follower *list;
	unsigned int n;
	bool stopped;
} set = { .lock = PTHREAD_MUTEX_INITIALIZER };

int
follows_add(struct follower *f)
{
	struct follower *o;
	unsigned int same = 0;
	int ret = 0;

	pthread_mutex_lock(&set.lock);
	if (set.stopped) {
		ret = -ERR_DRAINING;
		goto out;
	}
	for (o = set.list; o; o = o->next)
		if (!strcmp(o->name, f->name))
			same++;
	if (same >= FOLLOWS_PER_NAME || set.n >= FOLLOWS_MAX) {
		ret = -ERR_LIMIT;
		goto out;
	}
	f->parked = false;
	f->prev = NULL;
	f->next = set.list;
	if (set.list)
		set.list->prev = f;
	set.list = f;
	set.n++;
out:
	pthread_mutex_unlock(&set.lock);
	return ret;
}

void
follows_remove(struct follower *f)
{
	pthread_mutex_lock(&set.lock);
	if (f->prev)
		f->prev->next = f->next;
	else
		set.list = f->next;
	if (f->next)
		f->next->prev = f->prev;
	set.n--;
	pthread_mutex_unlock(&set.lock);
}

enum follow_park
follows_park(struct follower *f, uint64_t after)
{
	enum follow_park ret;

	pthread_mutex_lock(&set.lock);
	if (set.stopped || clock_now_ms() >= f->deadline_ms)
		ret = FOLLOW_END;
	else if (fnlog_has_after(f->name, after))
		ret = FOLLOW_READ; /* added since the caller's read */
	else
		ret = FOLLOW_PARKED;
	if (ret == FOLLOW_PARKED) {
		f->parked = true;
		MHD_suspend_connection(f->conn);
	}
	pthread_mutex_unlock(&set.lock);
	return ret;
}

/* Under the lock. */
static void
resume_locked(struct follower *f)
{
	if (!f->parked)
		return;
	f->parked = false;
	MHD_resume_connection(f->conn);
}

void
follows_wake(const char *name)
{
	struct follower *f;

	pthread_mutex_lock(&set.lock);
	for (f = set.list; f; f = f->next)
		if (!strcmp(f->name, name))
			resume_locked(f);
	pthread_mutex_unlock(&set.lock);
}

void
follows_expire(void)
{
	int64_t now = clock_now_ms();
	struct follower *f;

	pthread_mutex_lock(&set.lock);
	for (f = set.list; f; f = f->next)
		if (f->deadline_ms <= now)
			resume_locked(f); /* its callback ends the answer */
	pthread_mutex_unlock(&set.lock);
}

void
follows_stop(void)
{
	struct follower *f;

	pthread_mutex_lock(&set.lock);
	set.stopped = true;
	for (f = set.list; f; f = f->next)
		resume_locked(f);
	pthread_mutex_unlock(&set.lock);
}
