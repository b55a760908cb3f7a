/*
 * bench/api.c: what fnhostd's API costs, each figure against the
 * baseline it is to be compared with, all measured in one run from a
 * client on raw keep-alive sockets (rawhttp.h: pre-built request bytes,
 * the response read by Content-Length; no libcurl on the clock).
 *
 * Baselines (baseline.h), in this process:
 *	fork+wait	fork(), the child _exit(0)s, waitpid()
 *	plain GET	a plain libmicrohttpd server threaded as fnhostd is
 *	plain POST 60	... answering a 60 byte body back
 *	bare invoke	a bare server's forked child, one socketpair round
 *			trip of 60 bytes (as fnhostd does with a worker)
 *	bare session	its open (fork), two invokes, close (reap)
 *	ed25519		one attestation signature (OpenSSL, as fnhostd
 *			signs) and sha256 x2, the hashes of 60 bytes;
 *			and the signature alone, digests made beforehand
 * fnhostd, a real one with the echo test plugin and the full sandbox:
 *	healthz		GET /healthz
 *	invoke missing	POST /v1/sessions/NONE/invoke: the token check, 404
 *	warm invoke	60 bytes to an open session, attested
 *	open pinned	POST .../sessions with Fnhost-Function-Checksum
 *			(its close is not timed)
 *	echo session	open, two invokes, close
 *	one-shot run	POST .../run
 * and sustained whole sessions per second from 2 client threads, each on
 * its own connection, fnhostd against bare in alternating windows.
 *
 * Every figure is measured once per round, the figures interleaved round
 * by round in a shuffled order, so that what the machine does meanwhile
 * falls on all of them alike.  p50 and p90 in microseconds.  Nothing here asserts a
 * time: a figure is for a reader, and a shared machine is noisy.
 *
 * Then the requests a client makes now and then, each after a pause of
 * QUIET_US with nothing running (plain GET, healthz, open pinned): what
 * is cold then (caches, a CPU gone idle, a thread that slept) the
 * interleaved rounds, one request hard on another, never show.
 *
 * Last, with SESSIONS, that many sessions open at once (each invoked
 * once, then all closed), fnhostd's RSS and its workers' mean PSS.
 *
 * Usage: bench-api BUILD_DIR [ROUNDS [SECONDS [SESSIONS]]].  With
 * FNHOST_TEST_NO_MOUNTNS=1 in the environment fnhostd's workers have no
 * private root nor scratch tmpfs (zygote.h): a run with and one without
 * it give what those cost through the warm pool, over HTTP.
 */
#define _GNU_SOURCE
#include <curl/curl.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <openssl/rand.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#define BENCH_NAME "bench-api"
#include "harness.h"
#include "base/hex.h"
#include "formats/attest.h"
#include "sandbox/zygote.h"
#include "baseline.h"
#include "rawhttp.h"
#include "timing.h"

/* fnhostd's default http_threads (fnhost.conf(5)): the baselines run
 * with as many. */
#define HTTP_THREADS 2
#define INPUT_60 "012345678901234567890123456789012345678901234567890123456789"

enum fig {
	F_FORK,
	F_GET,
	F_POST,
	F_SIGN,
	F_ED,
	F_BARE_INVOKE,
	F_BARE_SESSION,
	F_BARE_RUN,
	F_HEALTHZ,
	F_MISSING,
	F_INVOKE,
	F_OPEN,
	F_SESSION,
	F_RUN,
	F_COUNT
};

static const char *const fig_name[F_COUNT] = {
	"fork+wait",	 "plain GET",	 "plain POST 60",  "ed25519+sha x2",
	"ed25519 alone", "bare invoke",	 "bare session",   "bare run",
	"healthz",	 "invoke none",	 "warm invoke 60", "open pinned",
	"echo session",	 "one-shot run",
};

struct bench {
	const char *build;
	char tmp[64], shm[64];
	unsigned short fn_port, plain_port, bare_port;
	char admin[128], id[64], checksum[65], token[1024];
	pid_t fnhostd;
	struct raw_conn fn, plain, bare;
	/* pre-built requests */
	char rq_get[256], rq_post[256], rq_healthz[256], rq_missing[2048],
		rq_open[2048], rq_run[2048], rq_bare_open[256],
		rq_bare_run[256];
	size_t n_get, n_post, n_healthz, n_missing, n_open, n_run, n_bare_open,
		n_bare_run;
	char rq_warm[2048], rq_bare_warm[256];
	size_t n_warm, n_bare_warm;
	struct attest_signer *signer;
	double *t[F_COUNT];
	unsigned limit; /* fnhostd's sessions_total, per function, per token */
};

/* ---- the machine --------------------------------------------------------- */

static void
print_machine(void)
{
	char line[512], model[256] = "unknown";
	struct utsname u;
	FILE *f = fopen("/proc/cpuinfo", "r");

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "model name : %255[^\n]", model) == 1)
			break;
	if (f)
		fclose(f);
	uname(&u);
	printf("machine: %ld CPUs online, %s, %s %s %s\n",
	       sysconf(_SC_NPROCESSORS_ONLN), model, u.sysname, u.release,
	       u.machine);
}

/* ---- fnhostd: set up through libcurl (not timed) ------------------------- */

/* A string member of the JSON object text into out. */
static void
json_member(const char *text, const char *key, char *out, size_t len)
{
	json_object *o = json_tokener_parse(text), *v;

	if (!o || !json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_string) ||
	    (size_t)snprintf(out, len, "%s", json_object_get_string(v)) >=
		    len) {
		fprintf(stderr, "bench-api: no '%s' in %s\n", key, text);
		exit(1);
	}
	json_object_put(o);
}

/* One request through the raw connection, built now; dies unless the
 * status is want. */
static void
fn_request(struct bench *b, const char *method, const char *path,
	   const char *token, const char *body, int want)
{
	static char req[8192];
	size_t n = raw_build(req, sizeof(req), method, path, token, NULL, body,
			     body ? strlen(body) : 0);
	int st;

	if (!n)
		die("request too long");
	st = raw_round_trip(&b->fn, req, n);
	if (st != want) {
		fprintf(stderr, "bench-api: %s %s: %d %s\n", method, path, st,
			st < 0 ? "" : b->fn.body);
		exit(1);
	}
}

static void
start_fnhostd(struct bench *b)
{
	char conf[128], data[128], listen[64], path[4096 + 128];
	FILE *f;
	int i;

	b->fn_port = free_port();
	snprintf(conf, sizeof(conf), "%s/fnhost.conf", b->tmp);
	snprintf(data, sizeof(data), "%s/data", b->tmp);
	snprintf(listen, sizeof(listen), "127.0.0.1:%u", b->fn_port);
	f = fopen(conf, "w");
	if (!f)
		die("cannot write fnhost.conf");
	fprintf(f, "scratch_root = %s\n", b->shm);
	/* Room for the held session, the timed ones, 2 sustained clients
	 * and the many sessions at once; the defaults (4 a token) are a
	 * policy, not a cost. */
	fprintf(f,
		"sessions_per_token = %u\nsessions_per_function = %u\n"
		"sessions_total = %u\n",
		b->limit, b->limit, b->limit);
	if (getenv("FNHOST_SANDBOX_RELAXED"))
		fprintf(f, "sandbox_relaxed = yes\n");
	/* fnhostd inherits the switch that takes the private root and the
	 * scratch tmpfs away (zygote.h), so that their cost over HTTP can be
	 * read off two runs; it refuses to start then unless told not to. */
	if (getenv(ZYGOTE_ENV_NO_MOUNTNS))
		fprintf(f, "require_sandbox = no\n");
	fclose(f);
	snprintf(path, sizeof(path), "%s/bin/fnhostd", b->build);
	b->fnhostd = fork();
	if (b->fnhostd == 0) {
		int null = open("/dev/null", O_WRONLY);

		prctl(PR_SET_PDEATHSIG, SIGTERM);
		dup2(null, 1);
		dup2(null, 2); /* a log line per request: not the bench's */
		execl(path, path, "-f", "-c", conf, "-d", data, "-l", listen,
		      (char *)NULL);
		_exit(127);
	}
	for (i = 0; i < 400; i++) {
		if (raw_connect(&b->fn, b->fn_port) == 0)
			break;
		usleep(25000);
	}
	if (i == 400)
		die("fnhostd did not start");
	fn_request(b, "GET", "/healthz", NULL, NULL, 200);
	snprintf(path, sizeof(path), "%s/keys/admin.token", data);
	read_text(path, b->admin, sizeof(b->admin));
}

/* Sign the echo test plugin as a publisher would, trust the key, deploy
 * it (multipart, through libcurl) and mint a token pinned to it. */
static void
deploy_echo(struct bench *b)
{
	char dir[128], cmd[2400], path[4096], pub[1024], body[256], url[128],
		auth[256];
	struct reply r = { .len = 0 };
	struct curl_slist *h = NULL;
	struct dirent *de;
	curl_mime *mime;
	long status = 0;
	CURL *curl;
	DIR *d;

	snprintf(dir, sizeof(dir), "%s/echo", b->tmp);
	snprintf(cmd, sizeof(cmd),
		 "mkdir -p '%s' && cp '%s/tests/plugins/echo/plugin.so' "
		 "'%s/echo.so' && '%s/bin/fnhost' sign -s "
		 "'%s/dev-publisher.key' -n echo '%s' >/dev/null",
		 dir, b->build, dir, b->build, b->build, dir);
	if (system(cmd) != 0)
		die("cannot sign the echo plugin");
	snprintf(path, sizeof(path), "%s/dev-publisher.pub", b->build);
	read_text(path, pub, sizeof(pub));
	fn_request(b, "POST", "/v1/trust", b->admin, pub, 201);

	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK ||
	    !(curl = curl_easy_init()))
		die("cannot start libcurl");
	mime = curl_mime_init(curl);
	d = opendir(dir);
	while (d && (de = readdir(d)) != NULL) {
		curl_mimepart *part;

		if (de->d_name[0] == '.')
			continue;
		part = curl_mime_addpart(mime);
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		curl_mime_name(part, de->d_name);
		curl_mime_filedata(part, path);
		curl_mime_filename(part, de->d_name);
	}
	if (d)
		closedir(d);
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/v1/functions",
		 b->fn_port);
	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", b->admin);
	h = curl_slist_append(h, auth);
	h = curl_slist_append(h, "Expect:");
	curl_easy_setopt(curl, CURLOPT_URL, url);
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(curl, CURLOPT_MIMEPOST, mime);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, &r);
	if (curl_easy_perform(curl) == CURLE_OK)
		curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
	if (status != 201)
		die(r.buf);
	curl_mime_free(mime);
	curl_slist_free_all(h);
	curl_easy_cleanup(curl);
	curl_global_cleanup();
	json_member(r.buf, "id", b->id, sizeof(b->id));
	json_member(r.buf, "checksum", b->checksum, sizeof(b->checksum));

	snprintf(path, sizeof(path), "/v1/functions/%s/tokens", b->id);
	snprintf(body, sizeof(body), "{\"ttl\": 3600, \"checksum\": \"%s\"}",
		 b->checksum);
	fn_request(b, "POST", path, b->admin, body, 201);
	json_member(b->fn.body, "token", b->token, sizeof(b->token));
}

/* ---- requests, built before the clock runs ------------------------------- */

static void
build_requests(struct bench *b)
{
	char path[256], pin[128];

	b->n_get = raw_build(b->rq_get, sizeof(b->rq_get), "GET", "/", NULL,
			     NULL, NULL, 0);
	b->n_post = raw_build(b->rq_post, sizeof(b->rq_post), "POST", "/", NULL,
			      NULL, INPUT_60, 60);
	b->n_healthz = raw_build(b->rq_healthz, sizeof(b->rq_healthz), "GET",
				 "/healthz", NULL, NULL, NULL, 0);
	b->n_missing = raw_build(b->rq_missing, sizeof(b->rq_missing), "POST",
				 "/v1/sessions/AAAAAAAAAAAAAAAAAAAAAA/invoke",
				 b->token, NULL, INPUT_60, 60);
	snprintf(path, sizeof(path), "/v1/functions/%s/sessions", b->id);
	snprintf(pin, sizeof(pin), "Fnhost-Function-Checksum: %s", b->checksum);
	b->n_open = raw_build(b->rq_open, sizeof(b->rq_open), "POST", path,
			      b->token, pin, NULL, 0);
	snprintf(path, sizeof(path), "/v1/functions/%s/run", b->id);
	b->n_run = raw_build(b->rq_run, sizeof(b->rq_run), "POST", path,
			     b->token, NULL, INPUT_60, 60);
	b->n_bare_open = raw_build(b->rq_bare_open, sizeof(b->rq_bare_open),
				   "POST", "/s", NULL, NULL, NULL, 0);
	b->n_bare_run = raw_build(b->rq_bare_run, sizeof(b->rq_bare_run),
				  "POST", "/run", NULL, NULL, INPUT_60, 60);
	if (!b->n_get || !b->n_post || !b->n_healthz || !b->n_missing ||
	    !b->n_open || !b->n_run || !b->n_bare_open || !b->n_bare_run)
		die("a request does not fit");
}

static void
expect(struct raw_conn *c, const char *req, size_t len, int want)
{
	int st = raw_round_trip(c, req, len);

	if (st != want) {
		fprintf(stderr, "bench-api: %.*s: got %d, not %d: %.300s\n",
			(int)strcspn(req, "\r"), req, st, want,
			st < 0 ? "(no answer)" : c->body);
		exit(1);
	}
}

/* ---- sessions on either server ------------------------------------------- */

/* Open a session on fnhostd through c; its id into sid. */
static void
fn_open(struct bench *b, struct raw_conn *c, char sid[64])
{
	expect(c, b->rq_open, b->n_open, 201);
	json_member(c->body, "session", sid, 64);
}

static void
fn_close(struct bench *b, struct raw_conn *c, const char *sid)
{
	char req[2048], path[128];
	size_t n;

	snprintf(path, sizeof(path), "/v1/sessions/%s", sid);
	n = raw_build(req, sizeof(req), "DELETE", path, b->token, NULL, NULL,
		      0);
	expect(c, req, n, 204);
}

/* open, two 60 byte invokes, close */
static void
fn_session(struct bench *b, struct raw_conn *c)
{
	char sid[64], req[2048], path[128];
	size_t n;

	fn_open(b, c, sid);
	snprintf(path, sizeof(path), "/v1/sessions/%s/invoke", sid);
	n = raw_build(req, sizeof(req), "POST", path, b->token, NULL, INPUT_60,
		      60);
	expect(c, req, n, 200);
	expect(c, req, n, 200);
	fn_close(b, c, sid);
}

static void
bare_session(struct bench *b, struct raw_conn *c)
{
	char req[256], path[64];
	int i;
	size_t n;

	expect(c, b->rq_bare_open, b->n_bare_open, 201);
	i = atoi(c->body);
	snprintf(path, sizeof(path), "/s/%d/invoke", i);
	n = raw_build(req, sizeof(req), "POST", path, NULL, NULL, INPUT_60, 60);
	expect(c, req, n, 200);
	expect(c, req, n, 200);
	snprintf(path, sizeof(path), "/s/%d", i);
	n = raw_build(req, sizeof(req), "DELETE", path, NULL, NULL, NULL, 0);
	expect(c, req, n, 204);
}

/* ---- one round: every figure once ---------------------------------------- */

static void
sign_once(struct bench *b)
{
	char in_hex[65], out_hex[65], sig[ATTEST_SIG_B64_LEN + 1], err[256];

	if (hex_sha256(in_hex, INPUT_60, 60) < 0 ||
	    hex_sha256(out_hex, INPUT_60, 60) < 0 ||
	    attest_signer_sign_b64(b->signer, b->checksum, in_hex, out_hex, sig,
				   err, sizeof(err)) < 0)
		die(err);
}

/* The signature alone, over digests made once. */
static void
ed_once(struct bench *b)
{
	static char in_hex[65], out_hex[65];
	char sig[ATTEST_SIG_B64_LEN + 1], err[256];

	if (!in_hex[0] && (hex_sha256(in_hex, INPUT_60, 60) < 0 ||
			   hex_sha256(out_hex, INPUT_60, 60) < 0))
		die("sha256");
	if (attest_signer_sign_b64(b->signer, b->checksum, in_hex, out_hex, sig,
				   err, sizeof(err)) < 0)
		die(err);
}

static double
timed(struct bench *b, enum fig f)
{
	double start = now_us();
	char sid[64];
	pid_t pid;

	switch (f) {
	case F_FORK:
		pid = fork();
		if (pid == 0)
			_exit(0);
		waitpid(pid, NULL, 0);
		break;
	case F_GET:
		expect(&b->plain, b->rq_get, b->n_get, 200);
		break;
	case F_POST:
		expect(&b->plain, b->rq_post, b->n_post, 200);
		break;
	case F_SIGN:
		sign_once(b);
		break;
	case F_ED:
		ed_once(b);
		break;
	case F_BARE_INVOKE:
		expect(&b->bare, b->rq_bare_warm, b->n_bare_warm, 200);
		break;
	case F_BARE_SESSION:
		bare_session(b, &b->bare);
		break;
	case F_BARE_RUN:
		expect(&b->bare, b->rq_bare_run, b->n_bare_run, 200);
		break;
	case F_HEALTHZ:
		expect(&b->fn, b->rq_healthz, b->n_healthz, 200);
		break;
	case F_MISSING:
		expect(&b->fn, b->rq_missing, b->n_missing, 404);
		break;
	case F_INVOKE:
		expect(&b->fn, b->rq_warm, b->n_warm, 200);
		break;
	case F_OPEN:
		fn_open(b, &b->fn, sid);
		start = now_us() - start;
		fn_close(b, &b->fn, sid); /* not timed */
		return start;
	case F_SESSION:
		fn_session(b, &b->fn);
		break;
	case F_RUN:
		expect(&b->fn, b->rq_run, b->n_run, 200);
		break;
	case F_COUNT:
		break;
	}
	return now_us() - start;
}

/* ---- sustained sessions/s from 2 client threads -------------------------- */

struct load {
	struct bench *b;
	bool fnhost;
	atomic_bool *stop;
	long sessions;
};

static void *
load_thread(void *arg)
{
	struct load *l = arg;
	struct raw_conn *c = malloc(sizeof(*c));

	if (!c ||
	    raw_connect(c, l->fnhost ? l->b->fn_port : l->b->bare_port) < 0)
		die("load: cannot connect");
	while (!atomic_load(l->stop)) {
		if (l->fnhost)
			fn_session(l->b, c);
		else
			bare_session(l->b, c);
		l->sessions++;
	}
	raw_close(c);
	free(c);
	return NULL;
}

/* Whole sessions per second from 2 clients at once for ms. */
static double
sustained(struct bench *b, bool fnhost, int ms)
{
	struct load l[2] = { { b, fnhost, NULL, 0 }, { b, fnhost, NULL, 0 } };
	atomic_bool stop = false;
	pthread_t th[2];
	double start = now_us();

	for (int i = 0; i < 2; i++) {
		l[i].stop = &stop;
		if (pthread_create(&th[i], NULL, load_thread, &l[i]) != 0)
			die("pthread_create");
	}
	usleep((useconds_t)ms * 1000);
	atomic_store(&stop, true);
	for (int i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	return (l[0].sessions + l[1].sessions) / ((now_us() - start) / 1e6);
}

static void pct(double *t, int n, double *p50, double *p90);

/* ---- many sessions at once ---------------------------------------------- */

/* How many pid namespaces deep pid is (the fields of NSpid), or 0. */
static int
pidns_depth(pid_t pid)
{
	char path[64], line[256], *p;
	int depth = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "r");
	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, "NSpid:", 6)) {
			for (p = line + 6; *p;) {
				while (*p == ' ' || *p == '\t')
					p++;
				if (*p < '0' || *p > '9')
					break;
				depth++;
				while (*p >= '0' && *p <= '9')
					p++;
			}
			break;
		}
	if (f)
		fclose(f);
	return depth;
}

/* fnhostd's workers: its children (CLONE_PARENT makes every worker one)
 * but the zygote, which alone is not in a pid namespace of its own.  Up
 * to cap of their pids into pids; returns how many. */
static size_t
workers_of(pid_t parent, pid_t *pids, int *depth, size_t cap)
{
	char path[64], line[512], *p;
	struct dirent *de;
	size_t n = 0, i, k = 0;
	int top = 0;
	DIR *d = opendir("/proc");

	while (d && (de = readdir(d)) != NULL && n < cap) {
		pid_t pid = (pid_t)atoi(de->d_name);
		FILE *f;
		int ppid = 0;

		if (pid <= 0)
			continue;
		snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
		f = fopen(path, "r");
		if (!f)
			continue;
		/* pid (comm) state ppid: comm may hold anything but ')' ends it
		 * last */
		if (fgets(line, sizeof(line), f) && (p = strrchr(line, ')')))
			sscanf(p + 1, " %*c %d", &ppid);
		fclose(f);
		if (ppid == parent) {
			pids[n] = pid;
			depth[n] = pidns_depth(pid);
			if (!n || depth[n] < top)
				top = depth[n];
			n++;
		}
	}
	if (d)
		closedir(d);
	for (i = 0; i < n; i++)
		if (depth[i] > top)
			pids[k++] = pids[i];
	return k;
}

struct many {
	struct bench *b;
	char (*sid)[64]; /* every session's id, "" when its open failed */
	double *open_us; /* each open's time, by its place in the share */
	size_t from, to; /* this thread's share of them */
	long errors;
	char first_error[256];
};

static void
many_error(struct many *m, const char *what, int st, const struct raw_conn *c)
{
	if (!m->errors++)
		snprintf(m->first_error, sizeof(m->first_error),
			 "%s: %d %.200s", what, st,
			 st < 0 ? "(no answer)" : c->body);
}

/* Open this share's sessions (op 0), invoke each once (1) or close it
 * (2), on one connection of its own; counts what fails. */
struct many_op {
	struct many *m;
	int op;
};

static void *
many_thread(void *arg)
{
	struct many_op *o = arg;
	struct many *m = o->m;
	struct bench *b = m->b;
	struct raw_conn *c = malloc(sizeof(*c));
	char req[2048], path[128];
	size_t i, n;
	int st;

	if (!c || raw_connect(c, b->fn_port) < 0)
		die("many: cannot connect");
	for (i = m->from; i < m->to; i++) {
		if (o->op == 0) {
			double t0 = now_us();

			st = raw_round_trip(c, b->rq_open, b->n_open);
			m->open_us[i] = now_us() - t0;
			m->sid[i][0] = '\0';
			if (st == 201)
				json_member(c->body, "session", m->sid[i], 64);
			else
				many_error(m, "open", st, c);
			continue;
		}
		if (!m->sid[i][0])
			continue;
		if (o->op == 1) {
			snprintf(path, sizeof(path), "/v1/sessions/%s/invoke",
				 m->sid[i]);
			n = raw_build(req, sizeof(req), "POST", path, b->token,
				      NULL, INPUT_60, 60);
			st = raw_round_trip(c, req, n);
			if (st != 200 || c->body_len != 60)
				many_error(m, "invoke", st, c);
		} else {
			snprintf(path, sizeof(path), "/v1/sessions/%s",
				 m->sid[i]);
			n = raw_build(req, sizeof(req), "DELETE", path,
				      b->token, NULL, NULL, 0);
			st = raw_round_trip(c, req, n);
			if (st != 204)
				many_error(m, "close", st, c);
		}
	}
	raw_close(c);
	free(c);
	return NULL;
}

/* Run op over all sessions from 2 client threads; the seconds it took. */
static double
many_run(struct many m[2], int op)
{
	struct many_op o[2] = { { &m[0], op }, { &m[1], op } };
	double start = now_us();
	pthread_t th[2];
	int i;

	for (i = 0; i < 2; i++)
		if (pthread_create(&th[i], NULL, many_thread, &o[i]) != 0)
			die("pthread_create");
	for (i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	return (now_us() - start) / 1e6;
}

/* The mean PSS of fnhostd's workers in KiB and how many there are. */
static double
mean_pss(pid_t fnhostd, size_t cap, size_t *count)
{
	pid_t *pids = calloc(cap, sizeof(*pids));
	int *depth = calloc(cap, sizeof(*depth));
	double sum = 0;
	size_t i, n, got = 0;
	long kib;

	if (!pids || !depth)
		die("out of memory");
	n = workers_of(fnhostd, pids, depth, cap);
	for (i = 0; i < n; i++)
		if ((kib = pss_kib(pids[i])) >= 0) {
			sum += (double)kib;
			got++;
		}
	free(pids);
	free(depth);
	*count = got;
	return got ? sum / (double)got : 0;
}

/* Workers of fnhostd now. */
static size_t
count_workers(pid_t fnhostd, size_t cap)
{
	pid_t *pids = calloc(cap, sizeof(*pids));
	int *depth = calloc(cap, sizeof(*depth));
	size_t n;

	if (!pids || !depth)
		die("out of memory");
	n = workers_of(fnhostd, pids, depth, cap);
	free(pids);
	free(depth);
	return n;
}

/* warm_workers and warm_sessions by default */
#define IDLE_WORKERS (2 + 4)

/*
 * n sessions open at once: opened from 2 clients, each invoked once, then
 * all closed; fnhostd's RSS idle, with all open and after, the workers'
 * mean PSS, the errors (any is a failure of the host, not a figure) and
 * how long each step took.
 */
static void
many_sessions(struct bench *b, size_t n)
{
	struct many m[2] = { { .b = b }, { .b = b } };
	size_t cap = n + 1024, workers, idle_workers, left;
	long rss_idle, rss_open, rss_after, pss_fnhostd;
	double t_open, t_invoke, t_close, t_gone, start, pss;
	char(*sid)[64] = calloc(n, sizeof(*sid));
	double *open_us = calloc(n, sizeof(*open_us)), *first, *last;
	double f50, f90, l50, l90;
	size_t tenth;
	int i;

	if (!sid || !open_us)
		die("out of memory");
	idle_workers = count_workers(b->fnhostd, cap);
	rss_idle = proc_kib(b->fnhostd, "status", "VmRSS:");
	for (i = 0; i < 2; i++) {
		m[i].sid = sid;
		m[i].open_us = open_us;
		m[i].from = n * (size_t)i / 2;
		m[i].to = n * (size_t)(i + 1) / 2;
	}
	t_open = many_run(m, 0);
	t_invoke = many_run(m, 1);
	rss_open = proc_kib(b->fnhostd, "status", "VmRSS:");
	pss_fnhostd = pss_kib(b->fnhostd);
	pss = mean_pss(b->fnhostd, cap, &workers);
	t_close = many_run(m, 2);
	/* The workers end off the request path (session.c's burier): wait
	 * for them, up to a minute, down to what an idle fnhostd keeps (its
	 * default warm pool and ready sessions, fnhost.conf(5)), some of
	 * which may have been in the making when it was counted idle. */
	if (idle_workers < IDLE_WORKERS)
		idle_workers = IDLE_WORKERS;
	start = now_us();
	do {
		left = count_workers(b->fnhostd, cap);
		if (left <= idle_workers)
			break;
		usleep(100000);
	} while (now_us() - start < 60e6);
	t_gone = (now_us() - start) / 1e6;
	rss_after = proc_kib(b->fnhostd, "status", "VmRSS:");

	printf("%zu sessions open at once (2 client threads; fnhostd's "
	       "sessions_total %u):\n",
	       n, b->limit);
	printf("  errors             %ld%s%s\n", m[0].errors + m[1].errors,
	       m[0].errors || m[1].errors ? ", the first: " : "",
	       m[0].errors ? m[0].first_error : m[1].first_error);
	printf("  open all           %.1f s (%.0f/s)\n", t_open,
	       (double)n / t_open);
	/* The first tenth of each client's opens, with few sessions open,
	 * against the last, with nearly all: what the host's size costs. */
	tenth = (n / 2) / 10;
	if (tenth) {
		first = calloc(2 * tenth, sizeof(*first));
		last = calloc(2 * tenth, sizeof(*last));
		if (!first || !last)
			die("out of memory");
		for (i = 0; i < 2; i++) {
			memcpy(first + (size_t)i * tenth, open_us + m[i].from,
			       tenth * sizeof(*first));
			memcpy(last + (size_t)i * tenth,
			       open_us + m[i].to - tenth,
			       tenth * sizeof(*last));
		}
		pct(first, (int)(2 * tenth), &f50, &f90);
		pct(last, (int)(2 * tenth), &l50, &l90);
		printf("  one open, p50 (p90) us: %.0f (%.0f) with the first "
		       "tenth open, %.0f (%.0f) with the last: %.2fx\n",
		       f50, f90, l50, l90, l50 / f50);
		free(first);
		free(last);
	}
	printf("  invoke each once   %.1f s (%.0f/s)\n", t_invoke,
	       (double)n / t_invoke);
	printf("  close all          %.1f s, workers gone %.1f s later "
	       "(%zu left over the %zu an idle host keeps)\n",
	       t_close, t_gone, left > idle_workers ? left - idle_workers : 0,
	       idle_workers);
	printf("  worker PSS         %.2f MiB mean over %zu workers\n",
	       pss / 1024, workers);
	printf("  fnhostd RSS        %.1f MiB idle, %.1f MiB with all open "
	       "(PSS %.1f MiB), %.1f MiB after\n",
	       rss_idle / 1024.0, rss_open / 1024.0, pss_fnhostd / 1024.0,
	       rss_after / 1024.0);
	free(open_us);
	free(sid);
}

/* ---- report -------------------------------------------------------------- */

static void
pct(double *t, int n, double *p50, double *p90)
{
	qsort(t, (size_t)n, sizeof(*t), cmp_double);
	*p50 = t[n / 2];
	*p90 = t[n * 9 / 10];
}

/* A target's ratio of p50s (and of p90s: of the slowest windows for a
 * rate), against its limit. */
static void
target(const char *what, double got, double got90, const char *of, double base,
       double base90, double limit, bool at_least)
{
	double r = got / base;

	printf("  %-22s %6.2fx (p90 %5.2fx) %-28s target %s %.1fx: %s\n", what,
	       r, got90 / base90, of, at_least ? ">=" : "<=", limit,
	       (at_least ? r >= limit : r <= limit) ? "met" : "not met");
}

/* Another ratio, of p50s and of p90s. */
static void
ratio(const char *what, const double *p50, const double *p90, enum fig f,
      enum fig of)
{
	printf("  %-22s %6.2fx (p90 %5.2fx) %s\n", what, p50[f] / p50[of],
	       p90[f] / p90[of], fig_name[of]);
}

/* ---- requests after a pause --------------------------------------------- */

/* The pause before each: long enough for every refill and reap the last
 * request set going to end, and for the CPUs to go idle. */
#define QUIET_US 3000

static const enum fig quiet_figs[] = { F_GET, F_HEALTHZ, F_OPEN };
#define QUIET_N (sizeof(quiet_figs) / sizeof(quiet_figs[0]))

/* n rounds of each of quiet_figs after a pause, in turn; their p50 and
 * p90, and the ratios to the plain GET's. */
static void
quiet(struct bench *b, int n)
{
	double *t[QUIET_N], p50[QUIET_N], p90[QUIET_N];
	size_t f;
	int r;

	for (f = 0; f < QUIET_N; f++)
		if (!(t[f] = calloc((size_t)n, sizeof(double))))
			die("out of memory");
	for (r = 0; r < n; r++)
		for (f = 0; f < QUIET_N; f++) {
			usleep(QUIET_US);
			t[f][r] = timed(b, quiet_figs[f]);
		}
	printf("after a %d ms pause each, %d rounds (what a client that calls "
	       "now and then sees):\n",
	       QUIET_US / 1000, n);
	printf("  %-16s %9s %9s\n", "figure", "p50 us", "p90 us");
	for (f = 0; f < QUIET_N; f++) {
		pct(t[f], n, &p50[f], &p90[f]);
		printf("  %-16s %9.1f %9.1f", fig_name[quiet_figs[f]], p50[f],
		       p90[f]);
		if (f)
			printf("  %5.2fx (p90 %5.2fx) plain GET",
			       p50[f] / p50[0], p90[f] / p90[0]);
		printf("\n");
		free(t[f]);
	}
}

/* Descriptors fnhostd holds per open session: its worker's channel
 * (worker.c holds the pidfd and launch.c the scratch dir's only while the
 * worker is made). */
#define FDS_PER_SESSION 1
/* ... and besides them, in this bench: its few connections, listeners,
 * logs, the store, the warm workers and those being made or ended. */
#define FDS_OTHER 512

/*
 * What n sessions at once need of this machine, which fnhostd inherits
 * from the bench: descriptors (the soft limit raised to the hard one, the
 * hard one too when the bench may), pids and, when workers share a uid,
 * processes per uid.  Says what it sets and what it would need; returns
 * the sessions that fit.
 */
static size_t
many_fit(size_t n)
{
	struct rlimit rl;
	rlim_t want = (rlim_t)(n * FDS_PER_SESSION + FDS_OTHER), was;
	size_t fit = n, pids = 0;
	long pid_max = 0;
	FILE *f;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		was = rl.rlim_cur;
		if (rl.rlim_max < want) {
			struct rlimit up = { want, want };

			if (setrlimit(RLIMIT_NOFILE, &up) == 0)
				rl = up;
		}
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
		getrlimit(RLIMIT_NOFILE, &rl);
		printf("open files: soft limit %llu -> %llu (hard %llu); %zu "
		       "sessions need %llu\n",
		       (unsigned long long)was, (unsigned long long)rl.rlim_cur,
		       (unsigned long long)rl.rlim_max, n,
		       (unsigned long long)want);
		if (rl.rlim_cur < want) {
			fit = rl.rlim_cur > FDS_OTHER
				      ? (rl.rlim_cur - FDS_OTHER) /
						FDS_PER_SESSION
				      : 0;
			printf("  too few: `ulimit -Hn %llu` (as root) for %zu; "
			       "%zu fit\n",
			       (unsigned long long)want, n, fit);
		}
	}
	f = fopen("/proc/sys/kernel/pid_max", "r");
	if (f && fscanf(f, "%ld", &pid_max) != 1)
		pid_max = 0;
	if (f)
		fclose(f);
	f = fopen("/proc/loadavg", "r"); /* ... running/threads last_pid */
	if (f && fscanf(f, "%*s %*s %*s %*d/%zu", &pids) != 1)
		pids = 0;
	if (f)
		fclose(f);
	/* every session a worker; fnhostd's threads, the warm ones and
	 * what else runs besides */
	if (pid_max > 0 && (size_t)pid_max < pids + fit + 1024) {
		size_t room = (size_t)pid_max > pids + 1024
				      ? (size_t)pid_max - pids - 1024
				      : 0;

		printf("pids: kernel.pid_max %ld, %zu in use: %zu sessions "
		       "need it at %zu (sysctl -w kernel.pid_max=%zu); %zu "
		       "fit\n",
		       pid_max, pids, fit, pids + fit + 1024, pids + fit + 1024,
		       room);
		fit = room;
	}
	if (geteuid() != 0 && getrlimit(RLIMIT_NPROC, &rl) == 0 &&
	    rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < pids + fit + 64) {
		/* not root: every worker is the bench user's */
		printf("processes: RLIMIT_NPROC %llu; %zu sessions need "
		       "`ulimit -u %zu`\n",
		       (unsigned long long)rl.rlim_cur, fit, pids + fit + 64);
		fit = rl.rlim_cur > pids + 64 ? rl.rlim_cur - pids - 64 : 0;
	}
	return fit;
}

int
main(int argc, char **argv)
{
	struct bench b = { .fnhostd = -1 };
	int rounds = argc > 2 ? atoi(argv[2]) : 400;
	int secs = argc > 3 ? atoi(argv[3]) : 3;
	long many = argc > 4 ? atol(argv[4]) : 0;
	double p50[F_COUNT], p90[F_COUNT], fn_rate[8], bare_rate[8];
	unsigned char sk[ATTEST_SK_BYTES];
	struct MHD_Daemon *plain_d, *bare_d;
	char sid[64], path[128], cmd[256], err[256];
	int i, r, f, windows;

	if (argc < 2 || rounds < 10 || secs < 1 || many < 0 || many > 50000) {
		fprintf(stderr, "usage: bench-api BUILD_DIR [ROUNDS [SECONDS "
				"[SESSIONS]]]\n");
		return 2;
	}
	b.build = argv[1];
	signal(SIGPIPE, SIG_IGN);
	temp_dirs(b.tmp, sizeof(b.tmp), b.shm, sizeof(b.shm));
	print_machine();
	if (many)
		many = (long)many_fit((size_t)many);
	/* The host's last eighth is kept for smaller functions (fnhost.conf
	 * (5)): room for many sessions of one function and the others. */
	b.limit = (unsigned)((many + 256) * 8 / 7 + 1);

	b.plain_port = free_port();
	b.bare_port = free_port();
	plain_d = base_start(plain_handler, b.plain_port, HTTP_THREADS);
	bare_d = base_start(bare_handler, b.bare_port, HTTP_THREADS);
	if (!plain_d || !bare_d || raw_connect(&b.plain, b.plain_port) < 0 ||
	    raw_connect(&b.bare, b.bare_port) < 0)
		die("cannot start the baseline servers");
	start_fnhostd(&b);
	deploy_echo(&b);
	build_requests(&b);
	if (RAND_bytes(sk, sizeof(sk)) != 1 ||
	    !(b.signer = attest_signer_new(sk, err, sizeof(err))))
		die("cannot make an Ed25519 key");

	/* The held sessions the warm invokes go to. */
	fn_open(&b, &b.fn, sid);
	snprintf(path, sizeof(path), "/v1/sessions/%s/invoke", sid);
	b.n_warm = raw_build(b.rq_warm, sizeof(b.rq_warm), "POST", path,
			     b.token, NULL, INPUT_60, 60);
	expect(&b.bare, b.rq_bare_open, b.n_bare_open, 201);
	snprintf(path, sizeof(path), "/s/%d/invoke", atoi(b.bare.body));
	b.n_bare_warm = raw_build(b.rq_bare_warm, sizeof(b.rq_bare_warm),
				  "POST", path, NULL, NULL, INPUT_60, 60);

	for (f = 0; f < F_COUNT; f++)
		if (!(b.t[f] = calloc((size_t)rounds, sizeof(double))))
			die("out of memory");
	for (r = 0; r < rounds / 10 + 1; r++) /* warm up */
		for (f = 0; f < F_COUNT; f++)
			timed(&b, (enum fig)f);
	/* Each round in a fresh order: a figure that follows a fork (or
	 * any other) would otherwise always pay for what that left behind. */
	srand(1);
	for (r = 0; r < rounds; r++) {
		int order[F_COUNT];

		for (f = 0; f < F_COUNT; f++)
			order[f] = f;
		for (f = F_COUNT - 1; f > 0; f--) {
			int j = rand() % (f + 1), x = order[f];

			order[f] = order[j];
			order[j] = x;
		}
		for (f = 0; f < F_COUNT; f++)
			b.t[order[f]][r] = timed(&b, (enum fig)order[f]);
	}
	fn_close(&b, &b.fn, sid);

	printf("fnhostd API: %d rounds, every figure once a round, "
	       "interleaved in a shuffled order; one keep-alive connection, raw sockets; "
	       "baselines with %d epoll threads as fnhostd\n",
	       rounds, HTTP_THREADS);
	printf("  %-16s %9s %9s\n", "figure", "p50 us", "p90 us");
	for (f = 0; f < F_COUNT; f++) {
		pct(b.t[f], rounds, &p50[f], &p90[f]);
		printf("  %-16s %9.1f %9.1f\n", fig_name[f], p50[f], p90[f]);
	}

	/* Alternate 1 s windows, so that noise falls on both alike. */
	windows = secs < 8 ? secs : 8;
	for (i = 0; i < windows; i++) {
		bare_rate[i] = sustained(&b, false, 1000);
		fn_rate[i] = sustained(&b, true, 1000);
	}
	qsort(fn_rate, (size_t)windows, sizeof(double), cmp_double);
	qsort(bare_rate, (size_t)windows, sizeof(double), cmp_double);
	printf("sustained whole echo sessions/s, 2 client threads, %d x 1 s "
	       "windows alternating, median (min-max):\n",
	       windows);
	printf("  %-16s %9.0f (%.0f-%.0f)\n", "bare", bare_rate[windows / 2],
	       bare_rate[0], bare_rate[windows - 1]);
	printf("  %-16s %9.0f (%.0f-%.0f)\n", "fnhostd", fn_rate[windows / 2],
	       fn_rate[0], fn_rate[windows - 1]);

	printf("ratios of p50s (and p90s), issue 19's targets:\n");
	target("warm invoke 60", p50[F_INVOKE], p90[F_INVOKE],
	       "/ (plain POST 60 + ed25519)", p50[F_POST] + p50[F_SIGN],
	       p90[F_POST] + p90[F_SIGN], 2.5, false);
	target("open pinned", p50[F_OPEN], p90[F_OPEN], "/ plain GET",
	       p50[F_GET], p90[F_GET], 2.0, false);
	target("echo session", p50[F_SESSION], p90[F_SESSION], "/ fork+wait",
	       p50[F_FORK], p90[F_FORK], 2.0, false);
	target("sustained sessions/s", fn_rate[windows / 2], fn_rate[0],
	       "/ bare", bare_rate[windows / 2], bare_rate[0], 0.5, true);
	printf("other ratios:\n");
	ratio("healthz", p50, p90, F_HEALTHZ, F_GET);
	ratio("invoke none", p50, p90, F_MISSING, F_POST);
	ratio("warm invoke 60", p50, p90, F_INVOKE, F_BARE_INVOKE);
	ratio("echo session", p50, p90, F_SESSION, F_BARE_SESSION);
	ratio("one-shot run", p50, p90, F_RUN, F_BARE_RUN);
	ratio("one-shot run", p50, p90, F_RUN, F_FORK);
	ratio("open pinned", p50, p90, F_OPEN, F_FORK);
	printf("  %-22s %6.0f forks/s in this process (1e6 / fork+wait "
	       "p50), sustained bare %.0f, fnhostd %.0f sessions/s\n",
	       "forks/s", 1e6 / p50[F_FORK], bare_rate[windows / 2],
	       fn_rate[windows / 2]);

	quiet(&b, rounds / 4);
	if (many)
		many_sessions(&b, (size_t)many);

	raw_close(&b.fn);
	raw_close(&b.plain);
	raw_close(&b.bare);
	kill(b.fnhostd, SIGTERM);
	waitpid(b.fnhostd, NULL, 0);
	MHD_stop_daemon(plain_d);
	MHD_stop_daemon(bare_d);
	attest_signer_free(b.signer);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s' '%s'", b.tmp, b.shm);
	return system(cmd) != 0;
}
