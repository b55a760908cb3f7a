/*
 * conns.h: every open connection's deadline, so that a client that sends
 * its request slowly (a byte every few seconds, which no inactivity
 * timeout catches) holds a connection for a bounded time only.
 *
 * A connection must deliver a whole request head within head_ms of
 * connecting or of its previous answer, and the body within body_ms of
 * its head; while its request waits on a worker it has no deadline (the
 * invoke has its own).  A thread of the set shuts down (shutdown(2), the
 * descriptor stays libmicrohttpd's to close) every connection past its
 * deadline, about twice a second, and then calls the set's tick, for
 * other deadlines that need no thread of their own (follows.h).  All
 * calls are thread-safe.
 */
#ifndef FNHOST_CONNS_H
#define FNHOST_CONNS_H

#include <stdint.h>

struct conns;
struct conn;

/* A set with these limits whose thread calls tick (NULL: none) after
 * each sweep, without the set's lock; NULL when out of memory or
 * threads. */
struct conns *conns_new(uint32_t head_ms, uint32_t body_ms, void (*tick)(void));
/* Stop the thread and free the set; every connection must be closed.
 * NULL is a no-op. */
void conns_free(struct conns *cs);

/* A new connection on socket fd, waiting for its head; NULL when out of
 * memory (it then has no deadline but the inactivity timeout's). */
struct conn *conns_open(struct conns *cs, int fd);
void conns_close(struct conns *cs, struct conn *c);

/* The head has arrived: the body's deadline runs. */
void conns_reading_body(struct conns *cs, struct conn *c);
/* The request waits on a worker: no deadline. */
void conns_waiting(struct conns *cs, struct conn *c);
/* The answer went out: the next head's deadline runs. */
void conns_answered(struct conns *cs, struct conn *c);

/* Connections shut down for a deadline so far. */
uint64_t conns_expired(struct conns *cs);

#endif
