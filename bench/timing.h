/*
 * timing.h: what the benches share: a monotonic clock in microseconds,
 * and the p50 and p99 of a set of timings.
 */
#ifndef FNHOST_BENCH_TIMING_H
#define FNHOST_BENCH_TIMING_H

#include <stdlib.h>
#include <time.h>

/* Microseconds on CLOCK_MONOTONIC. */
static inline double
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static inline int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Sort the n (> 0) timings t and give their p50 and p99. */
static inline void
percentiles(double *t, int n, double *p50, double *p99)
{
	qsort(t, (size_t)n, sizeof(*t), cmp_double);
	*p50 = t[n / 2];
	*p99 = t[n * 99 / 100];
}

#endif
