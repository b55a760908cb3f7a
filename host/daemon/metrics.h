/*
 * metrics.h: counters for GET /metrics, in the Prometheus text format.
 *
 * Every counter is an atomic, updated from any thread without locks.
 */
#ifndef FNHOST_METRICS_H
#define FNHOST_METRICS_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

enum metrics_invoke {
	METRICS_INVOKE_OK,
	METRICS_INVOKE_ERROR,	/* the function reported an error */
	METRICS_INVOKE_CRASH,	/* the worker died or broke the protocol */
	METRICS_INVOKE_TIMEOUT, /* killed at the time limit */
	METRICS_INVOKE_REFUSED, /* bad input, too large, session gone */
	METRICS_INVOKE_N
};

/* Upper bounds of the invoke latency histogram, in seconds. */
#define METRICS_BUCKETS 12

struct metrics {
	atomic_long sessions_open;
	atomic_long sessions_ready; /* made ahead, not yet taken */
	atomic_ulong sessions_ready_taken;
	atomic_ulong sessions_total;
	atomic_ulong sessions_refused; /* over a concurrency limit */
	atomic_ulong invokes[METRICS_INVOKE_N];
	atomic_ulong latency_bucket[METRICS_BUCKETS]; /* cumulative on output */
	atomic_ulong latency_count;
	atomic_ulong latency_sum_us;
	atomic_ulong deploys_ok, deploys_refused;
	atomic_ulong requests;
};

/* Count one finished invoke and its duration. */
void metrics_invoke(struct metrics *m, enum metrics_invoke what,
		    uint64_t micros);

/* The exposition text, malloc()ed (free it), *len bytes. */
char *metrics_render(const struct metrics *m, size_t *len);

#endif
