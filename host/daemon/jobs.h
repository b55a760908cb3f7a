/*
 * jobs.h: a fixed set of threads for the handlers that wait on a worker
 * (an invoke, a one-shot run, a deploy, an open with no ready session, a
 * close while its invoke runs: routes.c), so that libmicrohttpd's few
 * event threads never block: the request's connection is suspended while
 * its job waits, and resumed when the answer is ready.  Jobs run in
 * arrival order; the queue is bounded only by the connections allowed,
 * each of which holds at most one job.
 */
#ifndef FNHOST_JOBS_H
#define FNHOST_JOBS_H

#include <stddef.h>

struct jobs;

/* nthreads threads waiting for jobs; NULL when out of memory or
 * threads. */
struct jobs *jobs_new(unsigned nthreads);

/* Run fn(arg) on one of the threads (in the caller when out of memory
 * or once jobs_free() has begun).  fn owns arg from now on. */
void jobs_add(struct jobs *j, void (*fn)(void *arg), void *arg);

/* Wait until every job queued has run, then stop the threads and free
 * j.  NULL is a no-op. */
void jobs_free(struct jobs *j);

#endif
