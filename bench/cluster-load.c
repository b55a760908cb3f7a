/*
 * bench/cluster-load.c: the client of bench/cluster.py, on raw
 * keep-alive sockets (rawhttp.h: request bytes built beforehand, each
 * response read by its Content-Length; no libcurl on the clock).  The
 * script sets up the hosts and HAProxy (tests/cluster/cluster.py) and
 * runs this against HAProxy or a host directly.
 *
 *	cluster-load rate ADDR PORT SECONDS FUNCTION TOKEN...
 *		one thread per token, each on its own connection, running
 *		whole sessions (open, one 60-byte invoke, close) for
 *		SECONDS; prints "sessions/s R errors E by-node a=N b=N"
 *	cluster-load open ADDR PORT N FUNCTION TOKEN
 *		N session opens, each timed (its close is not); prints
 *		"open p50 P p90 Q us"
 *
 * A session's node is its id's label (before the '.').  An answer that
 * is not the one expected is counted as an error and its connection
 * made again: the bench reports, it never asserts a time.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rawhttp.h"
#include "timing.h"

#define MAX_THREADS 16
#define MAX_NODES 8
#define NODE_MAX 17 /* a node label (at most 16) and its NUL */
#define SID_MAX 64

static _Noreturn void
die(const char *what)
{
	fprintf(stderr, "bench-cluster-load: %s\n", what);
	exit(1);
}

struct target {
	in_addr_t addr;
	unsigned short port;
	const char *function;
};

struct worker {
	const struct target *t;
	const char *token;
	double until_us;
	long sessions, errors;
	char nodes[MAX_NODES][NODE_MAX];
	long per_node[MAX_NODES];
	pthread_t tid;
};

/* Connect c to t, dying when it can not: the set-up is the script's. */
static void
connect_to(struct raw_conn *c, const struct target *t)
{
	if (raw_connect_addr(c, t->addr, t->port) < 0)
		die("cannot connect");
}

/* The session id of an open's answer body into sid; 0 or -1. */
static int
session_id(const char *body, char sid[SID_MAX])
{
	const char *p = strstr(body, "\"session\":\"");
	size_t n;

	if (!p)
		return -1;
	p += strlen("\"session\":\"");
	n = strcspn(p, "\"");
	if (n == 0 || n >= SID_MAX || p[n] != '"')
		return -1;
	memcpy(sid, p, n);
	sid[n] = '\0';
	return 0;
}

/* Open a session of t's function on c; its id in sid, or -1. */
static int
session_open(struct raw_conn *c, const struct target *t, const char *token,
	     char sid[SID_MAX])
{
	char path[256], req[2048];
	size_t len;

	snprintf(path, sizeof(path), "/v1/functions/%s/sessions", t->function);
	len = raw_build(req, sizeof(req), "POST", path, token, NULL, NULL, 0);
	if (len == 0 || raw_round_trip(c, req, len) != 201)
		return -1;
	return session_id(c->body, sid);
}

/* Invoke session sid with 60 bytes (when invoke) and close it; 0 or -1. */
static int
session_finish(struct raw_conn *c, const char *token, const char *sid,
	       bool invoke)
{
	static const char input[61] =
		"0123456789abcdef0123456789abcdef0123456789abcdef0123456789ab";
	char path[256], req[2048];
	size_t len;

	if (invoke) {
		snprintf(path, sizeof(path), "/v1/sessions/%s/invoke", sid);
		len = raw_build(req, sizeof(req), "POST", path, token, NULL,
				input, 60);
		if (len == 0 || raw_round_trip(c, req, len) != 200)
			return -1;
	}
	snprintf(path, sizeof(path), "/v1/sessions/%s", sid);
	len = raw_build(req, sizeof(req), "DELETE", path, token, NULL, NULL, 0);
	if (len == 0 || raw_round_trip(c, req, len) != 204)
		return -1;
	return 0;
}

/* Count one session of sid's node in w. */
static void
count_node(struct worker *w, const char *sid)
{
	size_t n = strcspn(sid, ".");
	int i;

	if (n >= NODE_MAX)
		n = NODE_MAX - 1;
	for (i = 0; i < MAX_NODES && w->nodes[i][0]; i++)
		if (strlen(w->nodes[i]) == n && !strncmp(w->nodes[i], sid, n))
			break;
	if (i == MAX_NODES)
		return;
	if (!w->nodes[i][0]) {
		memcpy(w->nodes[i], sid, n);
		w->nodes[i][n] = '\0';
	}
	w->per_node[i]++;
}

static void *
rate_main(void *arg)
{
	struct worker *w = arg;
	struct raw_conn *c = malloc(sizeof(*c));
	char sid[SID_MAX];

	if (!c)
		die("out of memory");
	connect_to(c, w->t);
	while (now_us() < w->until_us) {
		if (session_open(c, w->t, w->token, sid) < 0 ||
		    session_finish(c, w->token, sid, true) < 0) {
			/* What is left on the connection is unknown. */
			w->errors++;
			raw_close(c);
			connect_to(c, w->t);
			continue;
		}
		w->sessions++;
		count_node(w, sid);
	}
	raw_close(c);
	free(c);
	return NULL;
}

static void
rate(const struct target *t, double seconds, char **tokens, int n)
{
	static struct worker w[MAX_THREADS];
	char nodes[MAX_NODES][NODE_MAX] = { { 0 } };
	long per_node[MAX_NODES] = { 0 }, sessions = 0, errors = 0;
	double start = now_us();
	int i, j, k;

	for (i = 0; i < n; i++) {
		w[i] = (struct worker){ .t = t,
					.token = tokens[i],
					.until_us = start + seconds * 1e6 };
		if (pthread_create(&w[i].tid, NULL, rate_main, &w[i]) != 0)
			die("cannot start a thread");
	}
	for (i = 0; i < n; i++) {
		pthread_join(w[i].tid, NULL);
		sessions += w[i].sessions;
		errors += w[i].errors;
		for (j = 0; j < MAX_NODES && w[i].nodes[j][0]; j++) {
			for (k = 0; k < MAX_NODES && nodes[k][0]; k++)
				if (!strcmp(nodes[k], w[i].nodes[j]))
					break;
			if (k == MAX_NODES)
				continue;
			memcpy(nodes[k], w[i].nodes[j], NODE_MAX);
			per_node[k] += w[i].per_node[j];
		}
	}
	printf("sessions/s %.0f errors %ld by-node",
	       sessions / ((now_us() - start) / 1e6), errors);
	for (k = 0; k < MAX_NODES && nodes[k][0]; k++)
		printf(" %s=%ld", nodes[k], per_node[k]);
	printf("\n");
}

static void
opens(const struct target *t, int n, const char *token)
{
	struct raw_conn *c = malloc(sizeof(*c));
	double *us = calloc((size_t)n, sizeof(*us)), t0;
	char sid[SID_MAX];
	int i;

	if (!c || !us)
		die("out of memory");
	connect_to(c, t);
	for (i = 0; i < n; i++) {
		t0 = now_us();
		if (session_open(c, t, token, sid) < 0)
			die("a session open failed");
		us[i] = now_us() - t0;
		if (session_finish(c, token, sid, false) < 0)
			die("a session close failed");
	}
	qsort(us, (size_t)n, sizeof(*us), cmp_double);
	printf("open p50 %.0f p90 %.0f us\n", us[n / 2], us[n * 9 / 10]);
	raw_close(c);
	free(us);
	free(c);
}

int
main(int argc, char **argv)
{
	struct target t;
	struct in_addr a;
	long port;

	if (argc < 7 || inet_pton(AF_INET, argv[2], &a) != 1)
		die("usage: cluster-load rate|open ADDR PORT SECONDS|N "
		    "FUNCTION TOKEN...");
	port = strtol(argv[3], NULL, 10);
	if (port <= 0 || port > 65535)
		die("bad port");
	t = (struct target){ .addr = a.s_addr,
			     .port = (unsigned short)port,
			     .function = argv[5] };
	if (!strcmp(argv[1], "rate")) {
		double s = strtod(argv[4], NULL);

		if (s <= 0 || s > 600 || argc - 6 > MAX_THREADS)
			die("rate: SECONDS in (0, 600], at most 16 tokens");
		rate(&t, s, argv + 6, argc - 6);
	} else if (!strcmp(argv[1], "open")) {
		long n = strtol(argv[4], NULL, 10);

		if (n < 1 || n > 1000000)
			die("open: N in [1, 1000000]");
		opens(&t, (int)n, argv[6]);
	} else {
		die("the mode is rate or open");
	}
	return 0;
}
