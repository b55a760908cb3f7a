/*
 * bench/http.c: what a session costs over fnhostd's HTTP API, against two
 * baselines measured in the same run on the same machine:
 *
 *	fork+wait        fork(), the child _exit(0)s, waitpid()
 *	mhd hello        one keep-alive GET to a plain libmicrohttpd server
 *	                 (a thread per connection; fnhostd runs epoll),
 *	                 through libcurl as the fnhost client does it
 *	echo session     POST .../sessions, two invokes, DELETE: a real
 *	                 fnhostd with a real signed bundle (the echo test
 *	                 plugin) and the full sandbox
 *	echo run         POST .../run: a one-shot session in one request
 *	echo+hostile     the echo session again with 1,000 hostile
 *	                 connections open beside it (500 idle, 500 sending
 *	                 a request head a byte a second, from 20 addresses
 *	                 of 127.0.2.0/24), each opened again as soon as
 *	                 fnhostd cuts it: sessions/s and p99 as ratios to
 *	                 the unloaded figures
 *	seek session     the same with the hide_and_seek seed plugin (hide,
 *	                 then seek), whose libproj costs milliseconds to load
 *
 * Each fnhostd figure is measured twice: with a plain zygote, and with
 * worker_preload naming the seed plugins' libraries (as make run does).
 *
 *	echo memory      the proportional set size an open session adds
 *	                 (its worker), against a forked child of the bench
 *	fnhostd          the daemon's own size before and after more rounds
 *
 * Usage: bench-http BUILD_DIR [ROUNDS].  Prints p50/p99 in microseconds
 * and each p50 as a ratio to fork+wait and to the hello round trip.
 */
#define _GNU_SOURCE
#include <curl/curl.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define BENCH_NAME "bench-http"
#include "harness.h"
#include "timing.h"

struct function {
	char id[64];
	char token[1024];
};

struct bench {
	const char *build;
	char tmp[64];
	char shm[64]; /* for scratch: a tmpfs, where the default puts it */
	char url[32];
	char admin[128];
	struct function echo, seek;
	double step[4]; /* session(): open, invoke, invoke, close */
	long steps;
	pid_t fnhostd;
	unsigned short port;
	double p99, rate; /* of the last measure() */
	CURL *curl;
	struct reply r;
	unsigned short hello_port;
};

/* ---- HTTP through libcurl ------------------------------------------------ */

/* One request on the bench's keep-alive handle; returns the status.  body
 * NULL with method POST sends an empty body; mime overrides body. */
static long
request(struct bench *b, const char *method, const char *url, const char *token,
	const char *body, curl_mime *mime)
{
	struct curl_slist *h = NULL;
	char auth[1200];
	long status = 0;

	curl_easy_reset(b->curl);
	b->r.len = 0;
	b->r.buf[0] = '\0';
	curl_easy_setopt(b->curl, CURLOPT_URL, url);
	curl_easy_setopt(b->curl, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(b->curl, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(b->curl, CURLOPT_WRITEDATA, &b->r);
	if (token) {
		snprintf(auth, sizeof(auth), "Authorization: Bearer %s", token);
		h = curl_slist_append(h, auth);
	}
	h = curl_slist_append(h, "Expect:");
	curl_easy_setopt(b->curl, CURLOPT_HTTPHEADER, h);
	if (mime)
		curl_easy_setopt(b->curl, CURLOPT_MIMEPOST, mime);
	else if (!strcmp(method, "POST"))
		curl_easy_setopt(b->curl, CURLOPT_POSTFIELDS, body ? body : "");
	if (curl_easy_perform(b->curl) == CURLE_OK)
		curl_easy_getinfo(b->curl, CURLINFO_RESPONSE_CODE, &status);
	curl_slist_free_all(h);
	return status;
}

/* A string member of the JSON object in the last reply, into out. */
static void
reply_member(struct bench *b, const char *key, char *out, size_t len)
{
	json_object *o = json_tokener_parse(b->r.buf), *v;

	if (!o || !json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_string) ||
	    (size_t)snprintf(out, len, "%s", json_object_get_string(v)) >=
		    len) {
		fprintf(stderr, "bench-http: no '%s' in %s\n", key, b->r.buf);
		exit(1);
	}
	json_object_put(o);
}

/* ---- the plain libmicrohttpd server -------------------------------------- */

static enum MHD_Result
hello(void *cls, struct MHD_Connection *c, const char *url, const char *method,
      const char *version, const char *data, size_t *len, void **ctx)
{
	static const char text[] = "hello";
	struct MHD_Response *r;
	enum MHD_Result ret;

	(void)cls, (void)url, (void)method, (void)version, (void)data;
	(void)len, (void)ctx;
	r = MHD_create_response_from_buffer(sizeof(text) - 1, (void *)text,
					    MHD_RESPMEM_PERSISTENT);
	ret = MHD_queue_response(c, MHD_HTTP_OK, r);
	MHD_destroy_response(r);
	return ret;
}

/* ---- fnhostd ------------------------------------------------------------- */

static void
run_or_die(char *const argv[])
{
	int status;
	pid_t pid = fork();

	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);

		dup2(null, 1);
		execv(argv[0], argv);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0) {
		fprintf(stderr, "bench-http: %s failed\n", argv[0]);
		exit(1);
	}
}

/* Copy the echo test plugin into a bundle dir and sign it with the
 * development key, as a publisher would. */
static void
make_bundle(struct bench *b, char *dir, size_t len)
{
	char so[1024], dst[256], key[1024], fnhost[1024], cmd[2400];

	snprintf(dir, len, "%s/echo", b->tmp);
	snprintf(so, sizeof(so), "%s/tests/plugins/echo/plugin.so", b->build);
	snprintf(dst, sizeof(dst), "%s/echo.so", dir);
	snprintf(key, sizeof(key), "%s/dev-publisher.key", b->build);
	snprintf(fnhost, sizeof(fnhost), "%s/bin/fnhost", b->build);
	snprintf(cmd, sizeof(cmd), "mkdir -p '%s' && cp '%s' '%s'", dir, so,
		 dst);
	if (system(cmd) != 0)
		die("cannot copy the echo plugin");
	run_or_die((char *const[]){ fnhost, "sign", "-s", key, "-n", "echo",
				    dir, NULL });
}

/* The libraries the seed plugins name in DT_NEEDED, but libc. */
static void
seed_libraries(struct bench *b, char *out, size_t len)
{
	char cmd[1024], line[256];
	size_t used = 0;
	FILE *p;

	snprintf(cmd, sizeof(cmd),
		 "objdump -p %s/plugins/*/*.so | awk '$1 == \"NEEDED\" && "
		 "$2 !~ /^libc[.]/ { print $2 }' | sort -u",
		 b->build);
	out[0] = '\0';
	p = popen(cmd, "r");
	while (p && fgets(line, sizeof(line), p)) {
		line[strcspn(line, "\n")] = '\0';
		used += (size_t)snprintf(out + used, len - used, "%s%s",
					 used ? " " : "", line);
		if (used >= len)
			die("too many libraries to preload");
	}
	if (!p || pclose(p) != 0 || !out[0])
		die("cannot list the seed plugins' libraries (objdump)");
}

static void
start_fnhostd(struct bench *b, const char *name, const char *preload)
{
	char conf[128], data[128], listen[64], path[4096 + 128];
	unsigned short port = free_port();
	FILE *f;
	int i;

	snprintf(conf, sizeof(conf), "%s/%s.conf", b->tmp, name);
	snprintf(data, sizeof(data), "%s/%s", b->tmp, name);
	snprintf(listen, sizeof(listen), "127.0.0.1:%u", port);
	snprintf(b->url, sizeof(b->url), "http://127.0.0.1:%u", port);
	b->port = port;
	f = fopen(conf, "w");
	if (!f)
		die("cannot write fnhost.conf");
	fprintf(f, "scratch_root = %s/%s\n", b->shm, name);
	/* The memory figure holds many sessions of one token at once: the
	 * bench measures what they cost, not the share that refuses them. */
	fprintf(f, "sessions_per_token = 1024\n");
	if (preload)
		fprintf(f, "worker_preload = %s\n", preload);
	if (getenv("FNHOST_SANDBOX_RELAXED"))
		fprintf(f, "sandbox_relaxed = yes\n");
	fclose(f);
	snprintf(path, sizeof(path), "%s/bin/fnhostd", b->build);
	b->fnhostd = fork();
	if (b->fnhostd == 0) {
		int null = open("/dev/null", O_WRONLY);

		prctl(PR_SET_PDEATHSIG, SIGTERM); /* if the bench is killed */
		dup2(null, 1);
		dup2(null, 2); /* a log line per request: not the bench's */
		execl(path, path, "-f", "-c", conf, "-d", data, "-l", listen,
		      (char *)NULL);
		_exit(127);
	}
	for (i = 0; i < 200; i++) {
		snprintf(path, sizeof(path), "%s/healthz", b->url);
		if (request(b, "GET", path, NULL, NULL, NULL) == 200)
			break;
		usleep(25000);
	}
	if (i == 200)
		die("fnhostd did not start");
	snprintf(path, sizeof(path), "%s/keys/admin.token", data);
	read_text(path, b->admin, sizeof(b->admin));
}

static void
trust_dev_key(struct bench *b)
{
	char url[256], path[4096], pub[1024];

	snprintf(path, sizeof(path), "%s/dev-publisher.pub", b->build);
	read_text(path, pub, sizeof(pub));
	snprintf(url, sizeof(url), "%s/v1/trust", b->url);
	if (request(b, "POST", url, b->admin, pub, NULL) / 100 != 2)
		die(b->r.buf);
}

/* Deploy the signed bundle in dir, one part per file, and mint a token
 * for it. */
static void
deploy(struct bench *b, const char *dir, struct function *fn)
{
	char url[256], path[4096];
	curl_mime *mime;
	struct dirent *de;
	DIR *d;

	mime = curl_mime_init(b->curl);
	d = opendir(dir);
	if (!d)
		die(dir);
	while ((de = readdir(d)) != NULL) {
		curl_mimepart *part;

		if (de->d_name[0] == '.')
			continue;
		part = curl_mime_addpart(mime);
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		curl_mime_name(part, de->d_name);
		curl_mime_filedata(part, path);
		curl_mime_filename(part, de->d_name);
	}
	closedir(d);
	snprintf(url, sizeof(url), "%s/v1/functions", b->url);
	if (request(b, "POST", url, b->admin, NULL, mime) != 201)
		die(b->r.buf);
	curl_mime_free(mime);
	reply_member(b, "id", fn->id, sizeof(fn->id));
	snprintf(url, sizeof(url), "%s/v1/functions/%s/tokens", b->url, fn->id);
	if (request(b, "POST", url, b->admin, "{\"ttl\": 3600}", NULL) != 201)
		die(b->r.buf);
	reply_member(b, "token", fn->token, sizeof(fn->token));
}

static void
stop_fnhostd(struct bench *b)
{
	kill(b->fnhostd, SIGTERM);
	waitpid(b->fnhostd, NULL, 0);
	b->fnhostd = -1;
}

/* ---- what is measured ---------------------------------------------------- */

static void
bare_fork(struct bench *b)
{
	pid_t pid = fork();

	(void)b;
	if (pid == 0)
		_exit(0);
	waitpid(pid, NULL, 0);
}

static void
hello_round_trip(struct bench *b)
{
	char url[32];

	snprintf(url, sizeof(url), "http://127.0.0.1:%u/", b->hello_port);
	if (request(b, "GET", url, NULL, NULL, NULL) != 200)
		die("the hello server did not answer");
}

/* Open a session of fn, invoke it with a and then b, close it; add the
 * time of each step to b->step. */
static void
session(struct bench *b, const struct function *fn, const char *in1,
	const char *in2)
{
	char url[256], sid[64];
	double t[5];

	t[0] = now_us();
	snprintf(url, sizeof(url), "%s/v1/functions/%s/sessions", b->url,
		 fn->id);
	if (request(b, "POST", url, fn->token, NULL, NULL) != 201)
		die(b->r.buf);
	reply_member(b, "session", sid, sizeof(sid));
	t[1] = now_us();
	snprintf(url, sizeof(url), "%s/v1/sessions/%s/invoke", b->url, sid);
	if (request(b, "POST", url, fn->token, in1, NULL) != 200)
		die(b->r.buf);
	t[2] = now_us();
	if (request(b, "POST", url, fn->token, in2, NULL) != 200)
		die(b->r.buf);
	t[3] = now_us();
	snprintf(url, sizeof(url), "%s/v1/sessions/%s", b->url, sid);
	if (request(b, "DELETE", url, fn->token, NULL, NULL) != 204)
		die(b->r.buf);
	t[4] = now_us();
	for (int i = 0; i < 4; i++)
		b->step[i] += t[i + 1] - t[i];
	b->steps++;
}

/* The mean of each step since the last call, then start again. */
static void
print_steps(struct bench *b)
{
	printf("%-13s open %.0f, invoke %.0f, invoke %.0f, close %.0f "
	       "(means, us)\n",
	       "  its steps", b->step[0] / b->steps, b->step[1] / b->steps,
	       b->step[2] / b->steps, b->step[3] / b->steps);
	memset(b->step, 0, sizeof(b->step));
	b->steps = 0;
}

static void
echo_session(struct bench *b)
{
	session(b, &b->echo, "one", "two");
}

static void
seek_session(struct bench *b)
{
	session(b, &b->seek, "{\"latitude\": 48.8584, \"longitude\": 2.2945}",
		"{\"latitude\": 48.8606, \"longitude\": 2.3376}");
}

static void
echo_run(struct bench *b)
{
	char url[256];

	snprintf(url, sizeof(url), "%s/v1/functions/%s/run", b->url,
		 b->echo.id);
	if (request(b, "POST", url, b->echo.token, "one", NULL) != 200)
		die(b->r.buf);
}

/* ---- hostile connections ------------------------------------------------- */

#define HOSTILE_CONNS 1000
#define HOSTILE_PER_ADDR 50 /* under connections_per_ip's 64 */

struct hostile {
	struct bench *b;
	int fd[HOSTILE_CONNS];
	unsigned sent[HOSTILE_CONNS];
	unsigned long reopened;
	atomic_bool stop;
	pthread_t thread;
};

/* Connection i, from 127.0.2.(1 + i / HOSTILE_PER_ADDR); -1 if refused. */
static int
hostile_connect(struct hostile *h, int i)
{
	struct sockaddr_in src = { .sin_family = AF_INET };
	struct sockaddr_in dst = { .sin_family = AF_INET,
				   .sin_port = htons(h->b->port),
				   .sin_addr.s_addr = htonl(0x7f000001) };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	src.sin_addr.s_addr = htonl(0x7f000201u +
				    (uint32_t)(i / HOSTILE_PER_ADDR));
	if (fd < 0)
		return -1;
	if (bind(fd, (struct sockaddr *)&src, sizeof(src)) < 0 ||
	    connect(fd, (struct sockaddr *)&dst, sizeof(dst)) < 0) {
		close(fd);
		return -1;
	}
	fcntl(fd, F_SETFL, O_NONBLOCK);
	h->sent[i] = 0;
	return fd;
}

/* Hold the connections open: the odd ones send their head's next byte
 * each second, the even ones nothing; a connection fnhostd cut (its
 * head deadline) is opened again, as an attacker would. */
static void *
hostile_main(void *arg)
{
	static const char head[] = "GET /healthz HTTP/1.1\r\nX-Slow: "
				   "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
				   "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
	struct hostile *h = arg;
	double last = now_us();
	char buf[512];
	int i;

	while (!atomic_load(&h->stop)) {
		bool tick = now_us() - last >= 1e6;

		if (tick)
			last = now_us();
		for (i = 0; i < HOSTILE_CONNS; i++) {
			struct pollfd pfd = { .fd = h->fd[i],
					      .events = POLLIN };

			if (h->fd[i] >= 0 && poll(&pfd, 1, 0) > 0 &&
			    read(h->fd[i], buf, sizeof(buf)) <= 0) {
				close(h->fd[i]);
				h->fd[i] = -1;
			}
			if (h->fd[i] < 0) {
				h->fd[i] = hostile_connect(h, i);
				h->reopened++;
				continue;
			}
			if (tick && (i & 1) && h->sent[i] < sizeof(head) - 1 &&
			    write(h->fd[i], head + h->sent[i], 1) == 1)
				h->sent[i]++;
		}
		usleep(100000);
	}
	return NULL;
}

static struct hostile *
hostile_start(struct bench *b)
{
	struct hostile *h = calloc(1, sizeof(*h));
	int i;

	if (!h)
		die("out of memory");
	h->b = b;
	for (i = 0; i < HOSTILE_CONNS; i++) {
		h->fd[i] = hostile_connect(h, i);
		if (h->fd[i] < 0)
			die("cannot open the hostile connections");
	}
	if (pthread_create(&h->thread, NULL, hostile_main, h) != 0)
		die("cannot start the hostile thread");
	return h;
}

static void
hostile_stop(struct hostile *h)
{
	int i;

	atomic_store(&h->stop, true);
	pthread_join(h->thread, NULL);
	for (i = 0; i < HOSTILE_CONNS; i++)
		if (h->fd[i] >= 0)
			close(h->fd[i]);
	printf("%-13s %lu connections opened again after fnhostd cut them\n",
	       "  hostile", h->reopened);
	free(h);
}

/* ---- memory -------------------------------------------------------------- */

/* The summed PSS of parent's children (zygote, warm and busy workers). */
static long
children_pss_kb(pid_t parent)
{
	char path[300], buf[512], *p;
	struct dirent *de;
	long sum = 0, kb;
	int ppid;
	DIR *d = opendir("/proc");
	FILE *f;

	while (d && (de = readdir(d)) != NULL) {
		if (de->d_name[0] < '1' || de->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/stat", de->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		p = fgets(buf, sizeof(buf), f) ? strrchr(buf, ')') : NULL;
		fclose(f);
		if (p && sscanf(p, ") %*c %d", &ppid) == 1 && ppid == parent &&
		    (kb = pss_kib(atoi(de->d_name))) > 0)
			sum += kb;
	}
	if (d)
		closedir(d);
	return sum;
}

/* What an open session costs in memory, against a forked child of this
 * process; and whether fnhostd grows over rounds of sessions. */
static void
measure_memory(struct bench *b, int rounds)
{
	enum { OPEN = 16 };
	char url[1200], sids[OPEN][64];
	long base, before, during, rss0, rss1;
	int i, n;
	pid_t child = fork();

	if (child == 0) {
		pause();
		_exit(0);
	}
	usleep(50000);
	base = pss_kib(child);
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);

	before = children_pss_kb(b->fnhostd);
	for (n = 0; n < OPEN; n++) {
		snprintf(url, sizeof(url), "%s/v1/functions/%s/sessions",
			 b->url, b->echo.id);
		if (request(b, "POST", url, b->echo.token, NULL, NULL) != 201)
			die(b->r.buf);
		reply_member(b, "session", sids[n], sizeof(sids[n]));
	}
	usleep(200000); /* let the pool refill, so it counts in both */
	during = children_pss_kb(b->fnhostd);
	for (i = 0; i < n; i++) {
		snprintf(url, sizeof(url), "%s/v1/sessions/%s", b->url,
			 sids[i]);
		request(b, "DELETE", url, b->echo.token, NULL, NULL);
	}
	printf("%-13s pss %6ld KiB per open session   %6.2fx a forked "
	       "child (%ld KiB)\n",
	       "echo memory", (during - before) / OPEN,
	       base > 0 ? (double)(during - before) / OPEN / base : 0.0, base);

	rss0 = pss_kib(b->fnhostd);
	for (i = 0; i < rounds; i++)
		echo_session(b);
	rss1 = pss_kib(b->fnhostd);
	printf("%-13s pss %6ld KiB -> %ld KiB over %d more sessions\n",
	       "fnhostd", rss0, rss1, rounds);
}

static double
measure(const char *name, void (*fn)(struct bench *), struct bench *b,
	int rounds, const double base[2])
{
	double *t = calloc((size_t)rounds, sizeof(*t)), p50, p99, start, all;
	int i;

	if (!t)
		die("out of memory");
	for (i = 0; i < rounds / 10 + 1; i++) /* warm up */
		fn(b);
	all = now_us();
	for (i = 0; i < rounds; i++) {
		start = now_us();
		fn(b);
		t[i] = now_us() - start;
	}
	b->rate = rounds * 1e6 / (now_us() - all);
	percentiles(t, rounds, &p50, &p99);
	b->p99 = p99;
	printf("%-13s p50 %8.1f us  p99 %8.1f us", name, p50, p99);
	if (base)
		printf("  %6.2fx fork+wait  %6.2fx hello", p50 / base[0],
		       p50 / base[1]);
	printf("\n");
	free(t);
	return p50;
}

int
main(int argc, char **argv)
{
	struct bench b = { .fnhostd = -1 };
	int rounds = argc > 2 ? atoi(argv[2]) : 300;
	char cmd[256], preload[1024], bundle[4096], echo_dir[128];
	struct MHD_Daemon *mhd;
	double base[2];
	int i;

	if (argc < 2 || rounds < 10) {
		fprintf(stderr, "usage: bench-http BUILD_DIR [ROUNDS]\n");
		return 2;
	}
	b.build = argv[1];
	signal(SIGPIPE, SIG_IGN);
	temp_dirs(b.tmp, sizeof(b.tmp), b.shm, sizeof(b.shm));
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK ||
	    !(b.curl = curl_easy_init()))
		die("cannot start libcurl");
	b.hello_port = free_port();
	mhd = MHD_start_daemon(MHD_USE_THREAD_PER_CONNECTION |
				       MHD_USE_INTERNAL_POLLING_THREAD |
				       MHD_USE_POLL,
			       b.hello_port, NULL, NULL, hello, NULL,
			       MHD_OPTION_END);
	if (!mhd)
		die("cannot start the hello server");
	printf("HTTP sessions: %d rounds each, one keep-alive connection\n",
	       rounds);
	base[0] = measure("fork+wait", bare_fork, &b, rounds, NULL);
	base[1] = measure("mhd hello", hello_round_trip, &b, rounds, NULL);
	seed_libraries(&b, preload, sizeof(preload));
	for (i = 0; i < 2; i++) {
		start_fnhostd(&b, i ? "preloaded" : "plain",
			      i ? preload : NULL);
		printf("fnhostd, %s\n",
		       i ? "worker_preload = the seed plugins' libraries"
			 : "no worker_preload");
		trust_dev_key(&b);
		make_bundle(&b, echo_dir, sizeof(echo_dir));
		deploy(&b, echo_dir, &b.echo);
		snprintf(bundle, sizeof(bundle), "%s/plugins/hide_and_seek",
			 b.build);
		deploy(&b, bundle, &b.seek);
		measure("echo session", echo_session, &b, rounds, base);
		print_steps(&b);
		if (i == 0) {
			double rate = b.rate, p99 = b.p99;
			struct hostile *h = hostile_start(&b);

			measure("echo+hostile", echo_session, &b, rounds, base);
			printf("%-13s %.0f sessions/s against %.0f unloaded "
			       "(%.2fx), p99 %.2fx unloaded's\n",
			       "  beside 1000", b.rate, rate, b.rate / rate,
			       b.p99 / p99);
			hostile_stop(h);
			print_steps(&b);
		}
		measure("echo run", echo_run, &b, rounds, base);
		measure("seek session", seek_session, &b, rounds, base);
		print_steps(&b);
		measure_memory(&b, rounds);
		stop_fnhostd(&b);
	}

	MHD_stop_daemon(mhd);
	curl_easy_cleanup(b.curl);
	curl_global_cleanup();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s' '%s'", b.tmp, b.shm);
	return system(cmd) != 0;
}
