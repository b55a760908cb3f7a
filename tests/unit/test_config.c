/*
 * test_config.c: fnhost.conf parsing: the defaults, every key with its
 * units, each error message with its line number, the ranges and the
 * rules between keys, comments and blank lines, config_load's file
 * checks, and hostile bytes (NUL, overlong lines, mutated files).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "formats/config.h"

/* Parse text (a C string) over the defaults as "t.conf". */
static int
parse(struct config *c, const char *text, char *err, size_t errlen)
{
	config_defaults(c);
	err[0] = '\0';
	return config_parse(c, text, strlen(text), "t.conf", err, errlen);
}

/* text must fail with exactly the message want. */
static void
expect_error(const char *text, const char *want)
{
	struct config c;
	char err[512];

	assert_int_equal(parse(&c, text, err, sizeof(err)), -ERR_INVALID);
	assert_string_equal(err, want);
}

/* text must parse. */
static void
expect_ok(struct config *c, const char *text)
{
	char err[512];

	if (parse(c, text, err, sizeof(err)) != 0)
		fail_msg("'%s' refused: %s", text, err);
}

static void
test_defaults(void **state)
{
	struct config c;

	(void)state;
	memset(&c, 0xa5, sizeof(c));
	config_defaults(&c);
	assert_string_equal(c.listen, "127.0.0.1:8080");
	assert_string_equal(c.data_dir, "/var/lib/fnhost");
	assert_string_equal(c.scratch_root, "");
	assert_int_equal(c.invoke_timeout_ms, 10000);
	assert_int_equal(c.session_idle_ms, 300000);
	assert_int_equal(c.session_lifetime_ms, 3600000);
	assert_int_equal(c.shutdown_grace_ms, 10000);
	assert_int_equal(c.max_input, 1048576);
	assert_int_equal(c.max_output, 1048576);
	assert_int_equal(c.max_bundle, 64 * 1048576ULL);
	assert_int_equal(c.worker_memory, 512 * 1048576ULL);
	assert_int_equal(c.worker_file_size, 64 * 1048576ULL);
	assert_int_equal(c.worker_open_files, 64);
	assert_int_equal(c.sessions_per_function, 16);
	assert_int_equal(c.sessions_total, 64);
	assert_int_equal(c.sessions_per_token, 4);
	assert_int_equal(c.max_connections, 4096);
	assert_int_equal(c.connections_per_ip, 64);
	assert_int_equal(c.request_head_timeout_ms, 10000);
	assert_int_equal(c.request_body_timeout_ms, 120000);
	assert_int_equal(c.http_threads, 2);
	assert_int_equal(c.handler_threads, 32);
	assert_int_equal(c.token_max_ttl_s, 30 * 86400);
	assert_int_equal(c.token_default_ttl_s, 3600);
	assert_string_equal(c.worker_user, "nobody");
	assert_true(c.require_sandbox);
	assert_false(c.sandbox_relaxed);
}

static void
test_resolve(void **state)
{
	struct config c;
	char err[256];

	(void)state;
	config_defaults(&c);
	assert_int_equal(config_resolve(&c, err, sizeof(err)), 0);
	/* Never the system's /dev/shm, tmpfs or not. */
	assert_string_equal(c.scratch_root, "/var/lib/fnhost/scratch");

	/* A data dir in a tree others can not pass (a checkout under /root)
	 * gets a root of its own under /var/tmp, the same each time, and
	 * another data dir another. */
	{
		char closed[] = "/tmp/fnhost-config-XXXXXX";
		char first[sizeof(c.scratch_root)];

		assert_non_null(mkdtemp(closed)); /* mode 0700 */
		config_defaults(&c);
		snprintf(c.data_dir, sizeof(c.data_dir), "%s/a/var", closed);
		assert_int_equal(config_resolve(&c, err, sizeof(err)), 0);
		assert_int_equal(strlen(c.scratch_root),
				 strlen("/var/tmp/fnhost-") + 16);
		assert_memory_equal(c.scratch_root, "/var/tmp/fnhost-", 16);
		snprintf(first, sizeof(first), "%s", c.scratch_root);
		config_defaults(&c);
		snprintf(c.data_dir, sizeof(c.data_dir), "%s/a/var", closed);
		assert_int_equal(config_resolve(&c, err, sizeof(err)), 0);
		assert_string_equal(c.scratch_root, first);
		config_defaults(&c);
		snprintf(c.data_dir, sizeof(c.data_dir), "%s/b/var", closed);
		assert_int_equal(config_resolve(&c, err, sizeof(err)), 0);
		assert_string_not_equal(c.scratch_root, first);
		/* Opened to others, the same data dir keeps its root inside. */
		assert_int_equal(chmod(closed, 0711), 0);
		config_defaults(&c);
		snprintf(c.data_dir, sizeof(c.data_dir), "%s/a/var", closed);
		assert_int_equal(config_resolve(&c, err, sizeof(err)), 0);
		assert_int_equal(strncmp(c.scratch_root, closed,
					 strlen(closed)),
				 0);
		rmdir(closed);
	}

	/* A value given is kept. */
	config_defaults(&c);
	snprintf(c.scratch_root, sizeof(c.scratch_root), "/srv/scratch");
	assert_int_equal(config_resolve(&c, err, sizeof(err)), 0);
	assert_string_equal(c.scratch_root, "/srv/scratch");

	/* data_dir + "/scratch" that does not fit is refused, not cut. */
	config_defaults(&c);
	memset(c.data_dir, 'a', sizeof(c.data_dir) - 1);
	c.data_dir[0] = '/';
	c.data_dir[sizeof(c.data_dir) - 1] = '\0';
	assert_int_equal(config_resolve(&c, err, sizeof(err)), -ERR_INVALID);
	assert_string_equal(c.scratch_root, "");
}

static void
test_every_key(void **state)
{
	struct config c;

	(void)state;
	expect_ok(&c, "listen = [::1]:9090\n"
		      "data_dir = /srv/fnhost\n"
		      "scratch_root = /run/fnhost-scratch\n"
		      "invoke_timeout = 250ms\n"
		      "session_idle = 2m\n"
		      "session_lifetime = 2h\n"
		      "shutdown_grace = 0s\n"
		      "max_input = 64K\n"
		      "max_output = 3M\n"
		      "max_bundle = 200M\n"
		      "worker_memory = 1G\n"
		      "worker_file_size = 12345\n"
		      "worker_open_files = 128\n"
		      "sessions_per_function = 100\n"
		      "sessions_total = 1000\n"
		      "max_connections = 5000\n"
		      "token_max_ttl = 365d\n"
		      "token_default_ttl = 90m\n"
		      "worker_user = fnhost-worker\n"
		      "require_sandbox = no\n"
		      "sandbox_relaxed = on\n");
	assert_string_equal(c.listen, "[::1]:9090");
	assert_string_equal(c.data_dir, "/srv/fnhost");
	assert_string_equal(c.scratch_root, "/run/fnhost-scratch");
	assert_int_equal(c.invoke_timeout_ms, 250);
	assert_int_equal(c.session_idle_ms, 120000);
	assert_int_equal(c.session_lifetime_ms, 7200000);
	assert_int_equal(c.shutdown_grace_ms, 0);
	assert_int_equal(c.max_input, 65536);
	assert_int_equal(c.max_output, 3 * 1048576);
	assert_int_equal(c.max_bundle, 200ULL << 20);
	assert_int_equal(c.worker_memory, 1ULL << 30);
	assert_int_equal(c.worker_file_size, 12345);
	assert_int_equal(c.worker_open_files, 128);
	assert_int_equal(c.sessions_per_function, 100);
	assert_int_equal(c.sessions_total, 1000);
	assert_int_equal(c.max_connections, 5000);
	assert_int_equal(c.token_max_ttl_s, 365 * 86400);
	assert_int_equal(c.token_default_ttl_s, 5400);
	assert_string_equal(c.worker_user, "fnhost-worker");
	assert_false(c.require_sandbox);
	assert_true(c.sandbox_relaxed);
}

static void
test_units(void **state)
{
	static const struct {
		const char *text;
		uint32_t ms;
	} durations[] = {
		{ "invoke_timeout = 1ms", 1 },
		{ "invoke_timeout = 1s", 1000 },
		{ "invoke_timeout = 3m", 180000 },
		{ "invoke_timeout = 1h", 3600000 },
		{ "invoke_timeout = 3600000ms", 3600000 },
		{ "invoke_timeout = 0010s", 10000 },
		/* Bare digits are seconds. */
		{ "invoke_timeout = 10", 10000 },
	};
	static const struct {
		const char *text;
		uint64_t bytes;
	} sizes[] = {
		{ "max_bundle = 1024", 1024 },
		{ "max_bundle = 1K", 1024 },
		{ "max_bundle = 5M", 5 * 1048576ULL },
		{ "max_bundle = 256M", 256ULL << 20 },
		{ "max_bundle = 262144K", 256ULL << 20 },
	};
	static const struct {
		const char *text;
		bool value;
	} bools[] = {
		{ "sandbox_relaxed = yes", true },
		{ "sandbox_relaxed = true", true },
		{ "sandbox_relaxed = on", true },
		{ "sandbox_relaxed = no", false },
		{ "sandbox_relaxed = false", false },
		{ "sandbox_relaxed = off", false },
	};
	struct config c;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(durations) / sizeof(durations[0]); i++) {
		expect_ok(&c, durations[i].text);
		assert_int_equal(c.invoke_timeout_ms, durations[i].ms);
	}
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		expect_ok(&c, sizes[i].text);
		assert_int_equal(c.max_bundle, sizes[i].bytes);
	}
	for (i = 0; i < sizeof(bools) / sizeof(bools[0]); i++) {
		expect_ok(&c, bools[i].text);
		assert_int_equal(c.sandbox_relaxed, bools[i].value);
	}
	/* Days, and seconds-valued keys given in ms or m. */
	expect_ok(&c, "session_lifetime = 7d\ntoken_max_ttl = 7200000ms\n");
	assert_int_equal(c.session_lifetime_ms, 7 * 86400000U);
	assert_int_equal(c.token_max_ttl_s, 7200);
	expect_ok(&c, "token_max_ttl = 1m\ntoken_default_ttl = 1s\n");
	assert_int_equal(c.token_max_ttl_s, 60);
	assert_int_equal(c.token_default_ttl_s, 1);
	expect_error("token_max_ttl = 1500ms",
		     "t.conf:1: token_max_ttl must be whole seconds, not "
		     "'1500ms'");
}

/* store is file or postgres, and postgres needs a DSN. */
static void
test_store(void **state)
{
	struct config c;
	char err[512];

	(void)state;
	config_defaults(&c);
	assert_string_equal(c.store, "file");
	expect_ok(&c, "store = postgres\n"
		      "postgres_dsn = host=/run/pg dbname=fnhost user=fnhost");
	assert_string_equal(c.store, "postgres");
	assert_string_equal(c.postgres_dsn,
			    "host=/run/pg dbname=fnhost user=fnhost");
	assert_int_equal(config_resolve(&c, err, sizeof(err)), 0);
	expect_ok(&c, "store = postgres");
	assert_int_equal(config_resolve(&c, err, sizeof(err)), -ERR_INVALID);
	assert_string_equal(err, "store = postgres needs postgres_dsn");
	expect_ok(&c, "store = file");
	assert_int_equal(config_resolve(&c, err, sizeof(err)), 0);
	expect_error("store = sqlite",
		     "t.conf:1: store 'sqlite' is neither file nor postgres");
	expect_error("store = postgresql",
		     "t.conf:1: store 'postgresql' is neither file nor "
		     "postgres");
	if (parse(&c, "postgres_dsn = a\x01b", err, sizeof(err)) >= 0)
		fail_msg("a control character in postgres_dsn accepted");
}

static void
test_listen(void **state)
{
	static const char *const good[] = {
		"0.0.0.0:80",
		"127.0.0.1:65535",
		"[::]:8080",
		"[::1]:1",
		"[fe80::1]:443",
		"localhost:9000",
		"fn-host.example.org:8080",
		"a:1",
	};
	static const char *const bad[] = {
		"1.2.3.256:80", "1.2.3:80",    "[::1:80",    "::1:80",
		"[::g]:80",	"host:0",      "host:65536", "host:",
		"host",		":80",	       "-host:80",   "host-:80",
		"a..b:80",	"a_b:80",      "host:8o",    "host:+80",
		"[]:80",	"host:000080",
	};
	struct config c;
	char text[256], err[512];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		snprintf(text, sizeof(text), "listen = %s", good[i]);
		expect_ok(&c, text);
		assert_string_equal(c.listen, good[i]);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(text, sizeof(text), "listen = %s", bad[i]);
		if (parse(&c, text, err, sizeof(err)) >= 0)
			fail_msg("'%s' accepted", bad[i]);
		assert_non_null(strstr(err, "t.conf:1: listen '"));
	}
	expect_error("listen = 10.0.0.1:99999",
		     "t.conf:1: listen '10.0.0.1:99999' has a bad port "
		     "(use 1 to 65535)");
	expect_error("listen = ::1:80",
		     "t.conf:1: listen '::1:80' needs an IPv6 address in "
		     "brackets");
}

static void
test_messages(void **state)
{
	(void)state;
	expect_error("listen = 127.0.0.1:80\n\n# note\nfoo = 1\n",
		     "t.conf:4: unknown key 'foo'");
	expect_error("listen = 127.0.0.1:80\ndata_dir = /x\n"
		     "listen = 127.0.0.1:81\n",
		     "t.conf:3: key 'listen' is set twice (first on line 1)");
	expect_error("invoke_timeout = 10x",
		     "t.conf:1: bad duration '10x' for invoke_timeout "
		     "(use ms, s, m, h, d)");
	expect_error("invoke_timeout = 10 s",
		     "t.conf:1: bad duration '10 s' for invoke_timeout "
		     "(use ms, s, m, h, d)");
	expect_error("invoke_timeout = -1s",
		     "t.conf:1: bad duration '-1s' for invoke_timeout "
		     "(use ms, s, m, h, d)");
	expect_error("invoke_timeout = 99999999999999999999x",
		     "t.conf:1: bad duration '99999999999999999999x' for "
		     "invoke_timeout (use ms, s, m, h, d)");
	expect_error("invoke_timeout = 2h",
		     "t.conf:1: invoke_timeout must be between 1ms and 1h, "
		     "not '2h'");
	expect_error("invoke_timeout = 0ms",
		     "t.conf:1: invoke_timeout must be between 1ms and 1h, "
		     "not '0ms'");
	expect_error("invoke_timeout = 99999999999999999999d",
		     "t.conf:1: invoke_timeout must be between 1ms and 1h, "
		     "not '99999999999999999999d'");
	/* 2^64 / 1000 + 1 seconds: the digits fit, the product does not. */
	expect_error("invoke_timeout = 18446744073709552s",
		     "t.conf:1: invoke_timeout must be between 1ms and 1h, "
		     "not '18446744073709552s'");
	expect_error("max_input = 99999999999999999999G",
		     "t.conf:1: max_input must be between 1 and 1G, not "
		     "'99999999999999999999G'");
	expect_error("max_input = 17179869184G",
		     "t.conf:1: max_input must be between 1 and 1G, not "
		     "'17179869184G'");
	expect_error("max_input = 1025M",
		     "t.conf:1: max_input must be between 1 and 1G, not "
		     "'1025M'");
	/* A bundle holds at most 256M: a larger limit could never deploy. */
	expect_error("max_bundle = 257M",
		     "t.conf:1: max_bundle must be between 1K and 256M, not "
		     "'257M'");
	expect_error("max_input = 1T",
		     "t.conf:1: bad size '1T' for max_input (use bytes or K, "
		     "M, G)");
	expect_error("max_input = 1k",
		     "t.conf:1: bad size '1k' for max_input (use bytes or K, "
		     "M, G)");
	expect_error("max_input = 1KB",
		     "t.conf:1: bad size '1KB' for max_input (use bytes or K, "
		     "M, G)");
	expect_error("sessions_total = 0",
		     "t.conf:1: sessions_total must be between 1 and 65536, "
		     "not '0'");
	expect_error("sessions_total = 99999999999999999999999",
		     "t.conf:1: sessions_total must be between 1 and 65536, "
		     "not '99999999999999999999999'");
	expect_error("sessions_total = 1e3",
		     "t.conf:1: bad number '1e3' for sessions_total");
	expect_error("worker_open_files = 8",
		     "t.conf:1: worker_open_files must be between 16 and "
		     "65536, not '8'");
	expect_error("listen",
		     "t.conf:1: expected 'key = value', got 'listen'");
	expect_error("\n\nlisten 127.0.0.1:80\n",
		     "t.conf:3: expected 'key = value', got 'listen "
		     "127.0.0.1:80'");
	expect_error("listen =", "t.conf:1: missing value for 'listen'");
	expect_error("= 5", "t.conf:1: bad key '' (use a-z, 0-9 and '_')");
	expect_error("Listen = 127.0.0.1:80",
		     "t.conf:1: bad key 'Listen' (use a-z, 0-9 and '_')");
	expect_error("require_sandbox = maybe",
		     "t.conf:1: bad boolean 'maybe' for require_sandbox "
		     "(use yes or no)");
	expect_error("data_dir = var/lib",
		     "t.conf:1: data_dir 'var/lib' must be an absolute path");
	expect_error("scratch_root = /",
		     "t.conf:1: scratch_root '/' must not be the root "
		     "directory");
	expect_error("worker_user = -x",
		     "t.conf:1: worker_user '-x' is not a valid user name");
	expect_error("worker_user = a b",
		     "t.conf:1: worker_user 'a b' is not a valid user name");
	expect_error("data_dir = /a\x01z",
		     "t.conf:1: control character in data_dir");
	/* Hostile bytes are not echoed. */
	expect_error("max_input = 1\x1b[2J",
		     "t.conf:1: bad size '1?[2J' for max_input (use bytes or "
		     "K, M, G)");
}

static void
test_cross_rules(void **state)
{
	struct config c;

	(void)state;
	expect_error("sessions_per_function = 65\n",
		     "t.conf: sessions_per_function (65) is over "
		     "sessions_total (64)");
	expect_ok(&c, "sessions_per_function = 65\nsessions_total = 65\n");
	expect_error("token_default_ttl = 31d\n",
		     "t.conf: token_default_ttl (2678400s) is over "
		     "token_max_ttl (2592000s)");
	expect_error("session_idle = 2h\n",
		     "t.conf: session_idle (7200000ms) is over "
		     "session_lifetime (3600000ms)");
}

static void
test_comments(void **state)
{
	struct config c;

	(void)state;
	expect_ok(&c, "");
	expect_ok(&c, "\n\n   \n\t\n# only a comment\n   # indented\n");
	expect_ok(&c, "# fnhost.conf\r\n"
		      "\r\n"
		      "listen\t=\t0.0.0.0:8081   # the public port\r\n"
		      "data_dir = /srv/fn#1  # '#' inside a path is kept\n"
		      "max_input=2K\t# a tab starts the comment too\n");
	assert_string_equal(c.listen, "0.0.0.0:8081");
	assert_string_equal(c.data_dir, "/srv/fn#1");
	assert_int_equal(c.max_input, 2048);
	/* A last line without a newline counts. */
	expect_ok(&c, "max_output = 7K");
	assert_int_equal(c.max_output, 7168);
}

static void
test_hostile_lines(void **state)
{
	static const char nul[] = "listen = 127.0.0.1:80\nmax_input = 1\0K\n";
	struct config c, before;
	char err[512], *buf;
	size_t n;

	(void)state;
	config_defaults(&c);
	assert_int_equal(config_parse(&c, nul, sizeof(nul) - 1, "t.conf", err,
				      sizeof(err)),
			 -ERR_INVALID);
	assert_string_equal(err, "t.conf:2: NUL byte in line");

	/* A line of exactly 4096 bytes is taken, one more is not. */
	buf = malloc(8192);
	assert_non_null(buf);
	n = (size_t)snprintf(buf, 8192, "max_output = 5K #");
	memset(buf + n, 'x', 4096 - n);
	buf[4096] = '\n';
	config_defaults(&c);
	assert_int_equal(config_parse(&c, buf, 4097, "t.conf", err,
				      sizeof(err)),
			 0);
	assert_int_equal(c.max_output, 5120);
	buf[4096] = 'x';
	buf[4097] = '\n';
	memcpy(buf + 4098, "max_input = 1\n", 14);
	config_defaults(&c);
	assert_int_equal(config_parse(&c, buf, 4112, "t.conf", err,
				      sizeof(err)),
			 -ERR_INVALID);
	assert_string_equal(err, "t.conf:1: line too long (over 4096 bytes)");
	free(buf);

	/* A failed parse leaves the config as it was. */
	config_defaults(&before);
	memcpy(&c, &before, sizeof(c));
	assert_int_equal(config_parse(&c, "max_input = 5\nbogus = 1\n", 24,
				      "t.conf", err, sizeof(err)),
			 -ERR_INVALID);
	assert_memory_equal(&c, &before, sizeof(c));

	/* An overlong string value is refused, not cut; a long path that
	 * fits on its line is taken. */
	buf = malloc(4200);
	assert_non_null(buf);
	n = (size_t)snprintf(buf, 32, "listen = ");
	memset(buf + n, 'h', 200);
	config_defaults(&c);
	assert_int_equal(config_parse(&c, buf, n + 200, "t.conf", err,
				      sizeof(err)),
			 -ERR_INVALID);
	assert_string_equal(err, "t.conf:1: listen is too long (at most "
				 "127 bytes)");
	n = (size_t)snprintf(buf, 32, "data_dir = /");
	memset(buf + n, 'd', 4000);
	config_defaults(&c);
	assert_int_equal(config_parse(&c, buf, n + 4000, "t.conf", err,
				      sizeof(err)),
			 0);
	assert_int_equal(strlen(c.data_dir), 4001);
	free(buf);
}

/* Mutated good files: whatever the bytes, the parser answers 0, or -1
 * with a message naming the file; it never reads out of bounds (run it
 * under ASan). */
static void
test_mutations(void **state)
{
	static const char good[] =
		"listen = [::1]:8080\ninvoke_timeout = 5s # x\n"
		"max_input = 2M\nrequire_sandbox = yes\nworker_user = nobody\n";
	char buf[sizeof(good)], err[512];
	struct config c;
	unsigned int seed = 12345;
	size_t len, pos;
	int i, j, r;

	(void)state;
	for (i = 0; i < 20000; i++) {
		memcpy(buf, good, sizeof(good) - 1);
		len = sizeof(good) - 1;
		for (j = 0; j < 1 + i % 4; j++) {
			seed = seed * 1103515245 + 12345;
			pos = (seed >> 8) % len;
			buf[pos] = (char)(seed >> 20);
		}
		len = (seed >> 4) % (len + 1);
		config_defaults(&c);
		err[0] = '\0';
		r = config_parse(&c, buf, len, "m.conf", err, sizeof(err));
		if (r != 0) {
			assert_int_equal(r, -ERR_INVALID);
			assert_memory_equal(err, "m.conf:", 7);
		}
	}
}

static void
test_load(void **state)
{
	char dir[] = "/tmp/test_config.XXXXXX", path[64], err[512];
	struct config c;
	FILE *f;
	int i;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/fnhost.conf", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("# test\nlisten = 127.0.0.1:9999\nsessions_total = 3\n"
	      "sessions_per_function = 2\nfoo = 1\n",
	      f);
	fclose(f);
	config_defaults(&c);
	assert_int_equal(config_load(&c, path, err, sizeof(err)), -ERR_INVALID);
	assert_non_null(strstr(err, "/fnhost.conf:5: unknown key 'foo'"));
	assert_memory_equal(err, path, strlen(path));

	f = fopen(path, "w");
	assert_non_null(f);
	fputs("listen = 127.0.0.1:9999\n", f);
	fclose(f);
	config_defaults(&c);
	assert_int_equal(config_load(&c, path, err, sizeof(err)), 0);
	assert_string_equal(c.listen, "127.0.0.1:9999");

	/* Over 1 MiB: refused even when every line is a comment. */
	f = fopen(path, "w");
	assert_non_null(f);
	for (i = 0; i < 16 * 1024 + 1; i++)
		fprintf(f, "#%062d\n", i);
	fclose(f);
	assert_int_equal(config_load(&c, path, err, sizeof(err)),
			 -ERR_TOO_LARGE);
	assert_non_null(strstr(err, "file is over 1 MiB"));

	/* Not a regular file; missing. */
	assert_int_equal(config_load(&c, dir, err, sizeof(err)), -ERR_IO);
	assert_non_null(strstr(err, "not a regular file"));
	assert_int_equal(config_load(&c, "/dev/null", err, sizeof(err)),
			 -ERR_IO);
	assert_non_null(strstr(err, "not a regular file"));
	unlink(path);
	assert_int_equal(config_load(&c, path, err, sizeof(err)), -ERR_IO);
	assert_non_null(strstr(err, "No such file"));
	rmdir(dir);
}

/* worker_preload: sonames and absolute paths, nothing that walks. */
static void
test_preload(void **state)
{
	struct config c;

	(void)state;
	config_defaults(&c);
	assert_string_equal(c.worker_preload, "libcrypto.so.3");
	expect_ok(&c, "worker_preload = none\n");
	assert_string_equal(c.worker_preload, "");
	expect_ok(&c, "worker_preload = libproj.so.25  libcrypto.so.3\n");
	assert_string_equal(c.worker_preload, "libproj.so.25  libcrypto.so.3");
	expect_ok(&c, "worker_preload = /usr/lib/x86_64-linux-gnu/libm.so.6");
	assert_string_equal(c.worker_preload,
			    "/usr/lib/x86_64-linux-gnu/libm.so.6");
	expect_error("worker_preload = lib/x.so\n",
		     "t.conf:1: worker_preload 'lib/x.so' names a library "
		     "by a relative path (use a soname or an absolute path)");
	expect_error("worker_preload = /usr/lib/../x.so\n",
		     "t.conf:1: worker_preload '/usr/lib/../x.so' names a "
		     "path with '..'");
	expect_error("worker_preload = libx.so;rm\n",
		     "t.conf:1: worker_preload 'libx.so;rm' holds a "
		     "character no library name has");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_resolve),
		cmocka_unit_test(test_every_key),
		cmocka_unit_test(test_units),
		cmocka_unit_test(test_listen),
		cmocka_unit_test(test_store),
		cmocka_unit_test(test_messages),
		cmocka_unit_test(test_cross_rules),
		cmocka_unit_test(test_comments),
		cmocka_unit_test(test_hostile_lines),
		cmocka_unit_test(test_mutations),
		cmocka_unit_test(test_load),
		cmocka_unit_test(test_preload),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
