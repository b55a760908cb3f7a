/*
 * cmd-test.c: fnhost test, one local session in the real sandbox.
 *
 * The same zygote, worker and runtime as fnhostd, without a server: the
 * session is made by launch_session(), as fnhostd makes each of its own,
 * under the limits of fnhost.conf's defaults.  The bundle's files are
 * staged into a private read-only copy, so that the worker's unprivileged
 * uid can read them whatever their owner and mode, and the plugin can not
 * touch the author's originals.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <json-c/json.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fnhost/plugin.h"
#include "formats/bundle.h"
#include "cli/cli.h"
#include "cli/output.h"
#include "formats/config.h"
#include "sandbox/launch.h"
#include "sandbox/scratch.h"
#include "sandbox/worker.h"

#define TEST_USAGE                                                             \
	"test [--timeout S] [--cpu S] [-o text|json] DIR [INPUT ...]\n"        \
	"  INPUT '-' reads one input per line from standard input"

/* The most a staged bundle may hold. */
#define TEST_MAX_STAGED (256u << 20)

struct test_opts {
	int timeout_ms;
	int cpu_ms; /* 0: as much as timeout_ms */
	int json;
};

struct staging {
	char root[PATH_MAX - 16]; /* private dir: the bundle, the scratch */
	char bundle[PATH_MAX];	  /* read-only copy of the bundle's files */
	int bundle_fd;
};

/* fnhost.conf's defaults, with the session's scratch dir in root and the
 * time limit asked for. */
static void
test_config(struct config *cfg, const struct test_opts *o, const char *root)
{
	const char *relaxed = getenv("FNHOST_SANDBOX_RELAXED");

	config_defaults(cfg);
	snprintf(cfg->scratch_root, sizeof(cfg->scratch_root), "%s", root);
	cfg->invoke_timeout_ms = (uint32_t)o->timeout_ms;
	/* invoke_cpu is at least a second (RLIMIT_CPU's unit). */
	cfg->invoke_cpu_ms = (uint32_t)(o->cpu_ms ? o->cpu_ms : o->timeout_ms);
	if (cfg->invoke_cpu_ms < 1000)
		cfg->invoke_cpu_ms = 1000;
	/* Sanitizer runtimes need the documented relaxed mode. */
	cfg->sandbox_relaxed = relaxed && !strcmp(relaxed, "1");
}

/* Copy one regular file into the staging dir, read-only. */
static int
stage_file(int src_dir, int dst_dir, const char *name, uint64_t *total,
	   char *err, size_t errlen)
{
	char buf[65536];
	int in, out = -1, ret = -1;
	struct stat st;
	ssize_t n;

	in = openat(src_dir, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (in < 0 || fstat(in, &st) < 0) {
		snprintf(err, errlen, "cannot read '%s': %s", name,
			 strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		ret = 0; /* only regular files belong to a bundle */
		goto out;
	}
	*total += (uint64_t)st.st_size;
	if (*total > TEST_MAX_STAGED) {
		snprintf(err, errlen, "bundle is larger than %u MiB",
			 TEST_MAX_STAGED >> 20);
		goto out;
	}
	out = openat(dst_dir, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
		     0444);
	if (out < 0)
		goto write_error;
	while ((n = read(in, buf, sizeof(buf))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 || write(out, buf, (size_t)n) != n)
			goto write_error;
	}
	ret = 0;
	goto out;
write_error:
	snprintf(err, errlen, "cannot stage '%s': %s", name, strerror(errno));
out:
	if (in >= 0)
		close(in);
	if (out >= 0)
		close(out);
	return ret;
}

static int
stage_bundle(int src_dir, int dst_dir, char *err, size_t errlen)
{
	uint64_t total = 0;
	struct dirent *de;
	int fd, ret = 0;
	DIR *d;

	fd = dup(src_dir);
	d = fd >= 0 ? fdopendir(fd) : NULL;
	if (!d) {
		snprintf(err, errlen, "cannot list the bundle: %s",
			 strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	rewinddir(d);
	while (ret == 0 && (de = readdir(d)) != NULL)
		if (!bundle_dir_skips(de->d_name))
			ret = stage_file(src_dir, dst_dir, de->d_name, &total,
					 err, errlen);
	closedir(d);
	return ret;
}

static int
staging_create(struct staging *s, int src_dir, char *err, size_t errlen)
{
	const char *tmp = getenv("TMPDIR");
	int dst;

	s->bundle_fd = -1;
	if (!tmp || !*tmp)
		tmp = "/tmp";
	if (scratch_create(tmp, "fnhost-test-", (uid_t)-1, (gid_t)-1, s->root,
			   sizeof(s->root), NULL, err, errlen) < 0)
		return -1;
	/* The worker's uid must be able to pass through, not to list. */
	chmod(s->root, 0711);
	snprintf(s->bundle, sizeof(s->bundle), "%s/bundle", s->root);
	if (mkdir(s->bundle, 0755) < 0) {
		snprintf(err, errlen, "cannot prepare %s: %s", s->root,
			 strerror(errno));
		return -1;
	}
	dst = open(s->bundle, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dst < 0 || stage_bundle(src_dir, dst, err, errlen) < 0) {
		if (dst < 0)
			snprintf(err, errlen, "cannot open %s: %s", s->bundle,
				 strerror(errno));
		else
			close(dst);
		return -1;
	}
	close(dst);
	chmod(s->bundle, 0555);
	s->bundle_fd = open(s->bundle, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (s->bundle_fd < 0) {
		snprintf(err, errlen, "cannot open %s: %s", s->bundle,
			 strerror(errno));
		return -1;
	}
	return 0;
}

static void
staging_remove(struct staging *s)
{
	if (s->bundle_fd >= 0)
		close(s->bundle_fd);
	if (s->root[0]) {
		chmod(s->bundle, 0755);
		scratch_remove(s->root);
	}
}

/* ---- running ------------------------------------------------------------- */

static void
print_result(const struct test_opts *o, const struct worker_result *r)
{
	json_object *obj;

	if (!o->json) {
		if (r->status == WORKER_OK) {
			fwrite(r->output ? r->output : "", 1, r->output_len,
			       stdout);
			putchar('\n');
		} else {
			printf("error: %s\n",
			       r->error_text ? r->error_text : r->error);
		}
		fflush(stdout);
		return;
	}
	obj = json_object_new_object();
	json_object_object_add(obj, "ok",
			       json_object_new_boolean(r->status == WORKER_OK));
	if (r->status == WORKER_OK)
		json_object_object_add(
			obj, "output",
			json_object_new_string_len(r->output ? r->output : "",
						   (int)r->output_len));
	else
		json_object_object_add(obj, "error",
				       json_object_new_string(
					       r->error_text ? r->error_text
							     : r->error));
	puts(json_object_to_json_string_ext(
		obj, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	fflush(stdout);
	json_object_put(obj);
}

/* One invoke; returns 0 when it succeeded. */
static int
invoke_one(struct worker *w, const struct test_opts *o, const char *in,
	   size_t len)
{
	struct worker_result r;
	int ok;

	worker_invoke(w, in, len, o->timeout_ms, &r);
	print_result(o, &r);
	ok = r.status == WORKER_OK;
	worker_result_free(&r);
	return ok ? 0 : -1;
}

static int
invoke_stdin(struct worker *w, const struct test_opts *o)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	int failed = 0;

	while ((n = getline(&line, &cap, stdin)) >= 0) {
		if (n > 0 && line[n - 1] == '\n')
			n--;
		if (invoke_one(w, o, line, (size_t)n) < 0)
			failed = 1;
	}
	free(line);
	return failed ? -1 : 0;
}

/* Plugin log levels by name, as syslog(3) names them. */
static const char *
level_name(int level)
{
	switch (level) {
	case FNH_LOG_ERROR:
		return "error";
	case FNH_LOG_WARNING:
		return "warning";
	case FNH_LOG_INFO:
		return "info";
	case FNH_LOG_DEBUG:
		return "debug";
	}
	return "log";
}

/* As each line arrives, between the outputs of the invokes it came
 * from: stdout is flushed after each output, stderr is unbuffered. */
static void
log_to_stderr(void *ctx, int level, const char *msg)
{
	(void)ctx;
	/* The plugin's text, on the tester's terminal: no control byte of
	 * it may move the cursor or start a line of its own. */
	fprintf(stderr, "plugin %s: ", level_name(level));
	output_text_to(stderr, msg);
	putc('\n', stderr);
}

/* One local session: the staged bundle, its zygote and its worker. */
struct local_session {
	struct staging st;
	struct zygote z;
	struct launched run;
};

static void
local_close(struct local_session *ls)
{
	launch_discard(&ls->run, 1000);
	zygote_stop(&ls->z);
	staging_remove(&ls->st);
}

/* Stage dir and launch its plugin under o's limits.  On failure the
 * reason is in err, and local_close() still follows. */
static int
local_open(struct local_session *ls, const char *dir, const struct test_opts *o,
	   char *err, size_t errlen)
{
	struct sandbox_config sc;
	struct sandbox_limits lim;
	struct zygote_worker zw;
	struct launch l = { 0 };
	struct config cfg;
	char plugin[256];
	int src, ret = -1;

	*ls = (struct local_session){ .st = { .bundle_fd = -1 },
				      .z = { .pid = 0, .sock = -1 },
				      .run = { .scratch_fd = -1 } };
	src = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (src < 0) {
		snprintf(err, errlen, "cannot open %s: %s", dir,
			 strerror(errno));
		return -1;
	}
	if (bundle_find_plugin(src, plugin, sizeof(plugin), err, errlen) < 0 ||
	    staging_create(&ls->st, src, err, errlen) < 0)
		goto out;
	test_config(&cfg, o, ls->st.root);
	if (launch_config(&cfg, &sc, &lim, err, errlen) < 0 ||
	    zygote_start(&ls->z, &sc, err, errlen) < 0 ||
	    zygote_spawn(&ls->z, &lim, &zw, err, errlen) < 0)
		goto out;
	l.bundle_fd = ls->st.bundle_fd;
	l.bundle_path = ls->st.bundle;
	l.plugin = plugin;
	l.log = log_to_stderr;
	if (launch_session(&zw, &cfg, &l, &ls->run, err, errlen) < 0)
		goto out;
	ret = 0;
out:
	close(src);
	return ret;
}

int
cli_plugin_descriptor(const char *dir, char name[101], char version[101],
		      char *err, size_t errlen)
{
	struct test_opts o = { .timeout_ms = 10000 };
	struct local_session ls;
	int ret = -1;

	if (local_open(&ls, dir, &o, err, errlen) == 0) {
		snprintf(name, 101, "%s", worker_plugin_name(ls.run.w));
		snprintf(version, 101, "%s", worker_plugin_version(ls.run.w));
		ret = 0;
	}
	local_close(&ls);
	return ret;
}

static int
run_session(const char *dir, char **inputs, int ninputs,
	    const struct test_opts *o)
{
	struct local_session ls;
	char err[4200];
	int i, failed = 0, ret = CLI_FAIL;

	if (local_open(&ls, dir, o, err, sizeof(err)) < 0) {
		cli_fail("test", "%s", err);
		goto out;
	}
	for (i = 0; i < ninputs; i++) {
		int r = strcmp(inputs[i], "-")
				? invoke_one(ls.run.w, o, inputs[i],
					     strlen(inputs[i]))
				: invoke_stdin(ls.run.w, o);
		if (r < 0)
			failed = 1;
	}
	ret = failed ? CLI_FAIL : CLI_OK;
out:
	local_close(&ls);
	return ret;
}

int
cmd_test(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "timeout", required_argument, NULL, 't' },
		{ "cpu", required_argument, NULL, 'c' },
		{ "output", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct test_opts o = { .timeout_ms = 10000 };
	uint64_t ms;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "+t:c:o:h", longopts, NULL)) !=
	       -1) {
		switch (c) {
		case 't':
			if (cli_duration(optarg, 1, 86400ull * 1000, false,
					 &ms) < 0) {
				cli_fail("test",
					 "bad timeout '%s' (a "
					 "duration: 500ms, 30s, 1m)",
					 optarg);
				return CLI_USAGE;
			}
			o.timeout_ms = (int)ms;
			break;
		case 'c':
			if (cli_duration(optarg, 1000, 3600ull * 1000, false,
					 &ms) < 0) {
				cli_fail("test",
					 "bad CPU budget '%s' (a "
					 "duration from 1s to 1h)",
					 optarg);
				return CLI_USAGE;
			}
			o.cpu_ms = (int)ms;
			break;
		case 'o':
			if (strcmp(optarg, "json") && strcmp(optarg, "text")) {
				cli_fail("test",
					 "bad output format '%s' "
					 "(text or json)",
					 optarg);
				return CLI_USAGE;
			}
			o.json = !strcmp(optarg, "json");
			break;
		case 'h':
			return cli_usage(stdout, TEST_USAGE);
		default:
			return cli_usage(stderr, TEST_USAGE);
		}
	}
	if (argc - optind < 1)
		return cli_usage(stderr, TEST_USAGE);
	signal(SIGPIPE, SIG_IGN);
	return run_session(argv[optind], argv + optind + 1, argc - optind - 1,
			   &o);
}
