/*
 * follows.h: the followers of function logs (GET .../logs?follow=1)
 * whose connections are parked, suspended in libmicrohttpd, until their
 * name logs a line (fnlog.h) or their deadline passes, so that an idle
 * follower holds no event thread and costs no wake-up.
 *
 * A follower is added when its answer is made and removed by the
 * answer's free callback, before its memory goes.  Its content callback,
 * finding nothing new in the ring, calls follows_park(): either the
 * connection is suspended (the callback then returns 0) or the caller
 * is told to read again or to end the answer.  A parked connection is
 * resumed exactly once, by follows_wake() for its name, follows_expire()
 * past its deadline, or follows_stop(); never after its removal.  At most
 * FOLLOWS_PER_NAME followers per name and FOLLOWS_MAX in all.  The set is
 * the process's one; every call is thread-safe.
 */
#ifndef FNHOST_FOLLOWS_H
#define FNHOST_FOLLOWS_H

#include <microhttpd.h>
#include <stdbool.h>
#include <stdint.h>

#include "formats/bundle.h"

#define FOLLOWS_PER_NAME 16
#define FOLLOWS_MAX 256

/* One follower; its fields are the set's, under its lock. */
struct follower {
	char name[BUNDLE_LABEL_MAX + 1];
	struct MHD_Connection *conn;
	int64_t deadline_ms;
	bool parked; /* conn is suspended, for this set to resume */
	struct follower *prev, *next;
};

enum follow_park {
	FOLLOW_PARKED, /* suspended: return 0 from the content callback */
	FOLLOW_READ,   /* the ring has a line after the seq: read it */
	FOLLOW_END,    /* past the deadline, or the host stops: end */
};

/* Add f, whose name, conn and deadline_ms are set.  Returns 0, -ERR_LIMIT
 * past a bound, or -ERR_DRAINING once follows_stop() has run. */
int follows_add(struct follower *f);
/* Remove f (the answer's free callback, on the event thread). */
void follows_remove(struct follower *f);

/* On f's event thread, in its content callback, after a read of the
 * ring found nothing after seq after: park f, or say why not. */
enum follow_park follows_park(struct follower *f, uint64_t after);

/* name has a new line: resume its parked followers. */
void follows_wake(const char *name);
/* Resume every parked follower past its deadline (a periodic thread). */
void follows_expire(void);
/* Resume every parked follower and park none from now on, so that
 * libmicrohttpd can stop: before MHD_stop_daemon(). */
void follows_stop(void);

#endif
