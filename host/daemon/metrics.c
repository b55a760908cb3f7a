/* metrics.c: Prometheus text for GET /metrics (see metrics.h). */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>

#include "daemon/metrics.h"

/* clang-format off */
static const double bucket_bounds[METRICS_BUCKETS] = {
	0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
	0.05,	0.1,   0.25,   0.5,   1,    5,
};
/* clang-format on */

static const char *const invoke_names[METRICS_INVOKE_N] = {
	"ok", "error", "crash", "timeout", "refused",
};

void
metrics_invoke(struct metrics *m, enum metrics_invoke what, uint64_t micros)
{
	int i;

	atomic_fetch_add(&m->invokes[what], 1);
	if (what == METRICS_INVOKE_REFUSED)
		return;
	for (i = 0; i < METRICS_BUCKETS; i++)
		if ((double)micros / 1e6 <= bucket_bounds[i]) {
			atomic_fetch_add(&m->latency_bucket[i], 1);
			break;
		}
	atomic_fetch_add(&m->latency_count, 1);
	atomic_fetch_add(&m->latency_sum_us, micros);
}

char *
metrics_render(const struct metrics *m, size_t *len)
{
	unsigned long cumulative = 0;
	char *buf = NULL;
	size_t size = 0;
	FILE *f;
	int i;

	f = open_memstream(&buf, &size);
	if (!f)
		return NULL;
	fprintf(f,
		"# HELP fnhost_sessions_open Sessions open now.\n"
		"# TYPE fnhost_sessions_open gauge\n"
		"fnhost_sessions_open %ld\n"
		"# HELP fnhost_sessions_total Sessions opened.\n"
		"# TYPE fnhost_sessions_total counter\n"
		"fnhost_sessions_total %lu\n"
		"# HELP fnhost_sessions_refused_total Sessions refused at a "
		"concurrency limit.\n"
		"# TYPE fnhost_sessions_refused_total counter\n"
		"fnhost_sessions_refused_total %lu\n"
		"# HELP fnhost_sessions_ready Sessions made ahead for a "
		"function, not yet taken.\n"
		"# TYPE fnhost_sessions_ready gauge\n"
		"fnhost_sessions_ready %ld\n"
		"# HELP fnhost_sessions_ready_taken_total Sessions opened "
		"from a ready one.\n"
		"# TYPE fnhost_sessions_ready_taken_total counter\n"
		"fnhost_sessions_ready_taken_total %lu\n",
		atomic_load(&m->sessions_open), atomic_load(&m->sessions_total),
		atomic_load(&m->sessions_refused),
		atomic_load(&m->sessions_ready),
		atomic_load(&m->sessions_ready_taken));
	fprintf(f, "# HELP fnhost_invokes_total Invokes by result.\n"
		   "# TYPE fnhost_invokes_total counter\n");
	for (i = 0; i < METRICS_INVOKE_N; i++)
		fprintf(f, "fnhost_invokes_total{result=\"%s\"} %lu\n",
			invoke_names[i], atomic_load(&m->invokes[i]));
	fprintf(f,
		"# HELP fnhost_worker_crashes_total Workers that died.\n"
		"# TYPE fnhost_worker_crashes_total counter\n"
		"fnhost_worker_crashes_total %lu\n"
		"# HELP fnhost_worker_timeouts_total Workers killed at the "
		"time limit.\n"
		"# TYPE fnhost_worker_timeouts_total counter\n"
		"fnhost_worker_timeouts_total %lu\n",
		atomic_load(&m->invokes[METRICS_INVOKE_CRASH]),
		atomic_load(&m->invokes[METRICS_INVOKE_TIMEOUT]));
	fprintf(f, "# HELP fnhost_invoke_seconds Invoke latency.\n"
		   "# TYPE fnhost_invoke_seconds histogram\n");
	for (i = 0; i < METRICS_BUCKETS; i++) {
		cumulative += atomic_load(&m->latency_bucket[i]);
		fprintf(f, "fnhost_invoke_seconds_bucket{le=\"%g\"} %lu\n",
			bucket_bounds[i], cumulative);
	}
	fprintf(f,
		"fnhost_invoke_seconds_bucket{le=\"+Inf\"} %lu\n"
		"fnhost_invoke_seconds_sum %.6f\n"
		"fnhost_invoke_seconds_count %lu\n",
		atomic_load(&m->latency_count),
		atomic_load(&m->latency_sum_us) / 1e6,
		atomic_load(&m->latency_count));
	fprintf(f,
		"# HELP fnhost_deploys_total Deploys by result.\n"
		"# TYPE fnhost_deploys_total counter\n"
		"fnhost_deploys_total{result=\"ok\"} %lu\n"
		"fnhost_deploys_total{result=\"refused\"} %lu\n"
		"# HELP fnhost_http_requests_total HTTP requests answered.\n"
		"# TYPE fnhost_http_requests_total counter\n"
		"fnhost_http_requests_total %lu\n",
		atomic_load(&m->deploys_ok), atomic_load(&m->deploys_refused),
		atomic_load(&m->requests));
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	*len = size;
	return buf;
}
