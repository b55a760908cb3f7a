/*
 * bench/hostile.c: the plugins' JSON and sort on hostile inputs, against
 * CPython doing the same to the same bytes in the same run.
 *
 *	collide    100,000 object keys whose FNV-1a hashes agree in their low
 *	           18 bits (code points differing only above bit 17)
 *	dicts      node_list [[D1, 1], [D2, 0]], D1 and D2 the same 80,000
 *	           keys in opposite orders: sort() compares D1 == D2
 *	intfloat   node_list of 20,000 17-digit ints and floats near 1e300
 *
 * Each is json.loads(bytes) then node_list.sort(), as leader_election
 * does (collide has no node_list to sort).  Usage: bench-hostile [ROUNDS];
 * prints the best of ROUNDS in milliseconds for C and for /usr/bin/python3
 * and their ratio.  No assertion: a bench reports, tests decide.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../plugins/common/pyjson.h"
#include "../plugins/common/pysort.h"
#include "timing.h"

struct text {
	char *s;
	size_t n, cap;
};

static void put(struct text *t, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void
put(struct text *t, const char *fmt, ...)
{
	va_list ap;
	int n;

	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(t->s + t->n, t->cap - t->n, fmt, ap);
		va_end(ap);
		if (n >= 0 && (size_t)n < t->cap - t->n)
			break;
		t->cap = t->cap * 2 + 4096;
		if ((t->s = realloc(t->s, t->cap)) == NULL) {
			perror("bench-hostile");
			exit(1);
		}
	}
	t->n += (size_t)n;
}

/* A key of 8 code points 0x41 + 2^18 * d, d in 0..4, from i's digits. */
static void
put_collide_key(struct text *t, unsigned i)
{
	int k;

	put(t, "\"");
	for (k = 0; k < 8; k++) {
		unsigned cp = 0x41 + (i % 5) * (1u << 18);

		i /= 5;
		if (cp < 0x10000) {
			put(t, "A");
		} else {
			cp -= 0x10000;
			put(t, "\\u%04x\\u%04x", 0xd800 + (cp >> 10),
			    0xdc00 + (cp & 0x3ff));
		}
	}
	put(t, "\"");
}

static void
make_input(const char *name, struct text *t)
{
	unsigned i;

	t->n = 0;
	if (strcmp(name, "collide") == 0) {
		put(t, "{");
		for (i = 0; i < 100000; i++) {
			put_collide_key(t, i);
			put(t, ": %u, ", i);
		}
		put(t, "\"node_list\": [1]}");
	} else if (strcmp(name, "dicts") == 0) {
		put(t, "{\"node_list\": [[{");
		for (i = 0; i < 80000; i++)
			put(t, "%s\"k%u\": %u", i ? ", " : "", i, i);
		put(t, "}, 1], [{");
		for (i = 80000; i-- > 0;)
			put(t, "\"k%u\": %u%s", i, i, i ? ", " : "");
		put(t, "}, 0]]}");
	} else {
		put(t, "{\"node_list\": [");
		for (i = 0; i < 20000; i++)
			put(t, "%s%s", i ? ", " : "",
			    i % 2 ? "12345678901234567" : "1e300");
		/* vary them so the sort merges instead of finding one run */
		put(t, ", 98765432109876543, 1.5e300, 3e299]}");
	}
}

static double
c_run(const struct text *t)
{
	char err[256];
	struct pyv *v, *nodes;
	double t0 = now_us(), t1;

	v = pyjson_loads(t->s, t->n, err, sizeof(err));
	if (v == NULL) {
		fprintf(stderr, "bench-hostile: %s\n", err);
		exit(1);
	}
	nodes = pyv_dict_get(v, "node_list");
	if (nodes != NULL && nodes->type == PYV_LIST && nodes->u.list.len > 1 &&
	    pysort_list(nodes, err, sizeof(err)) != 0) {
		fprintf(stderr, "bench-hostile: %s\n", err);
		exit(1);
	}
	t1 = now_us();
	pyv_free(v);
	return t1 - t0;
}

/* The best of rounds, in microseconds, of CPython on the file path. */
static double
py_run(const char *path, int rounds)
{
	char cmd[512];
	double best = -1;
	FILE *p;

	snprintf(cmd, sizeof(cmd),
		 "/usr/bin/python3 -c 'import json, sys, time\n"
		 "d = open(sys.argv[1], \"rb\").read()\n"
		 "b = None\n"
		 "for _ in range(%d):\n"
		 "    t0 = time.perf_counter()\n"
		 "    v = json.loads(d)\n"
		 "    n = v[\"node_list\"]\n"
		 "    n.sort() if len(n) > 1 else None\n"
		 "    t = time.perf_counter() - t0\n"
		 "    b = t if b is None or t < b else b\n"
		 "print(b * 1e6)' %s",
		 rounds, path);
	if ((p = popen(cmd, "r")) == NULL || fscanf(p, "%lf", &best) != 1) {
		fprintf(stderr, "bench-hostile: python3 failed\n");
		exit(1);
	}
	pclose(p);
	return best;
}

int
main(int argc, char **argv)
{
	static const char *const names[] = { "collide", "dicts", "intfloat" };
	int rounds = argc > 1 ? atoi(argv[1]) : 5, r;
	char path[] = "/tmp/bench-hostile-XXXXXX";
	static const unsigned char key[16] = "bench-hostile-k";
	struct text t = { NULL, 0, 0 };
	size_t k;
	int fd;

	if (rounds < 1)
		rounds = 1;
	pyv_hash_setkey(key);
	printf("%-10s %10s %10s %8s\n", "input", "C ms", "CPython ms", "C/Py");
	for (k = 0; k < sizeof(names) / sizeof(names[0]); k++) {
		double best = -1, py, us;

		make_input(names[k], &t);
		if ((fd = mkstemp(path)) < 0 ||
		    write(fd, t.s, t.n) != (ssize_t)t.n || close(fd) != 0) {
			perror("bench-hostile");
			return 1;
		}
		for (r = 0; r < rounds; r++) {
			us = c_run(&t);
			if (best < 0 || us < best)
				best = us;
		}
		py = py_run(path, rounds);
		unlink(path);
		strcpy(path, "/tmp/bench-hostile-XXXXXX");
		printf("%-10s %10.1f %10.1f %8.2f\n", names[k], best / 1e3,
		       py / 1e3, best / py);
	}
	free(t.s);
	return 0;
}
