/*
 * config.c: fnhost.conf, parsed into struct config.
 *
 * Every key is a row of one table: its name, how its value is read
 * (duration, size, count, boolean, path, address, user name), where it goes
 * in struct config and the range it must fall in.  The parser is pure and
 * takes any bytes, so it can be fuzzed; it works on a copy of the config
 * and writes back only when the whole text is good.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/duration.h"
#include "base/err.h"
#include "formats/bundle.h"
#include "formats/config.h"
#include "sandbox/sandbox.h"

/* clang-format off */
#define LINE_MAX_BYTES	4096		/* one line, without its newline */
#define FILE_MAX_BYTES	(1024 * 1024)	/* config_load's limit */
#define QUOTE_MAX	64		/* bytes of a value shown in errors */

#define MS_PER_S	1000ULL
#define KIB		1024ULL
#define MIB		(1024ULL * KIB)
#define GIB		(1024ULL * MIB)
#define TIB		(1024ULL * GIB)

enum kind {
	K_DURATION_MS,	/* uint32_t, milliseconds */
	K_DURATION_S,	/* uint32_t, whole seconds */
	K_SIZE32,	/* uint32_t, bytes */
	K_SIZE64,	/* uint64_t, bytes */
	K_COUNT,	/* uint32_t, a plain number */
	K_BOOL,
	K_PATH,		/* char[PATH_MAX], absolute */
	K_LISTEN,	/* char[128], ADDR:PORT */
	K_USER,		/* char[64], a portable user name */
	K_LIBS,		/* char[1024], sonames or absolute paths, or none */
	K_ORIGINS,	/* char[1024], http(s)://host[:port] ... */
	/* A cluster's settings. */
	K_NODE,		/* char[CONFIG_NODE_MAX + 1], a node label */
	K_STORE,	/* char[16], "file" or "postgres" */
	K_DSN,		/* char[1024], a libpq connection string */
};
/* clang-format on */
/* clang-format off */

struct key {
	const char *name;
	enum kind kind;
	size_t off;		/* offsetof(struct config, ...) */
	size_t size;		/* sizeof that member */
	uint64_t min, max;	/* in the member's unit */
	const char *range;	/* min and max as the user writes them */
};

#define F(m) offsetof(struct config, m), sizeof(((struct config *)0)->m)

/* The ranges: wide enough for any real host, narrow enough that no value
 * can starve the daemon or overflow what is computed from it. */
static const struct key keys[] = {
	{ "listen", K_LISTEN, F(listen), 0, 0, NULL },
	{ "data_dir", K_PATH, F(data_dir), 0, 0, NULL },
	{ "scratch_root", K_PATH, F(scratch_root), 0, 0, NULL },
	{ "invoke_timeout", K_DURATION_MS, F(invoke_timeout_ms),
	  1, 3600 * MS_PER_S, "1ms and 1h" },
	{ "invoke_cpu", K_DURATION_MS, F(invoke_cpu_ms),
	  MS_PER_S, 3600 * MS_PER_S, "1s and 1h" },
	{ "session_idle", K_DURATION_MS, F(session_idle_ms),
	  MS_PER_S, 86400 * MS_PER_S, "1s and 1d" },
	{ "session_lifetime", K_DURATION_MS, F(session_lifetime_ms),
	  MS_PER_S, 7 * 86400 * MS_PER_S, "1s and 7d" },
	{ "shutdown_grace", K_DURATION_MS, F(shutdown_grace_ms),
	  0, 600 * MS_PER_S, "0ms and 10m" },
	{ "max_input", K_SIZE32, F(max_input), 1, GIB, "1 and 1G" },
	{ "max_output", K_SIZE32, F(max_output), 1, GIB, "1 and 1G" },
	/* No more than a bundle may hold (bundle.h): a larger limit would
	 * take in a body that bundle_verify() then refuses as malformed,
	 * after writing all of it to tmp/. */
	{ "max_bundle", K_SIZE64, F(max_bundle), KIB, BUNDLE_MAX_BYTES,
	  "1K and 256M" },
	{ "worker_memory", K_SIZE64, F(worker_memory), 16 * MIB, TIB,
	  "16M and 1024G" },
	{ "worker_file_size", K_SIZE64, F(worker_file_size), KIB, TIB,
	  "1K and 1024G" },
	{ "scratch_size", K_SIZE64, F(scratch_size), 64 * KIB, TIB,
	  "64K and 1024G" },
	{ "scratch_inodes", K_COUNT, F(scratch_inodes), 16, 1u << 24,
	  "16 and 16777216" },
	{ "worker_open_files", K_COUNT, F(worker_open_files), 16, 65536,
	  "16 and 65536" },
	{ "sessions_per_function", K_COUNT, F(sessions_per_function), 1,
	  65536, "1 and 65536" },
	{ "sessions_total", K_COUNT, F(sessions_total), 1, 65536,
	  "1 and 65536" },
	{ "sessions_per_token", K_COUNT, F(sessions_per_token), 1, 65536,
	  "1 and 65536" },
	{ "max_connections", K_COUNT, F(max_connections), 1, 65536,
	  "1 and 65536" },
	{ "client_timeout", K_DURATION_S, F(client_timeout_s), 1, 3600,
	  "1s and 1h" },
	{ "connections_per_ip", K_COUNT, F(connections_per_ip), 1, 65536,
	  "1 and 65536" },
	{ "request_head_timeout", K_DURATION_MS, F(request_head_timeout_ms),
	  100, 3600 * MS_PER_S, "100ms and 1h" },
	{ "request_body_timeout", K_DURATION_MS, F(request_body_timeout_ms),
	  100, 86400 * MS_PER_S, "100ms and 1d" },
	{ "http_threads", K_COUNT, F(http_threads), 1, 64, "1 and 64" },
	{ "handler_threads", K_COUNT, F(handler_threads), 1, 4096,
	  "1 and 4096" },
	{ "warm_workers", K_COUNT, F(warm_workers), 0, 64, "0 and 64" },
	{ "warm_sessions", K_COUNT, F(warm_sessions), 0, 1024, "0 and 1024" },
	{ "function_log_lines", K_COUNT, F(function_log_lines), 0, 100000,
	  "0 and 100000" },
	{ "token_max_ttl", K_DURATION_S, F(token_max_ttl_s), 60,
	  3650 * 86400ULL, "1m and 3650d" },
	{ "token_default_ttl", K_DURATION_S, F(token_default_ttl_s), 1,
	  3650 * 86400ULL, "1s and 3650d" },
	{ "worker_user", K_USER, F(worker_user), 0, 0, NULL },
	{ "worker_uid_base", K_COUNT, F(worker_uid_base), 0, 0xfb000000u,
	  "0 and 4211081216" },
	{ "worker_threads", K_COUNT, F(worker_threads), 1, 65536,
	  "1 and 65536" },
	{ "worker_preload", K_LIBS, F(worker_preload), 0, 0, NULL },
	{ "require_sandbox", K_BOOL, F(require_sandbox), 0, 0, NULL },
	{ "sandbox_relaxed", K_BOOL, F(sandbox_relaxed), 0, 0, NULL },
	{ "cors_origins", K_ORIGINS, F(cors_origins), 0, 0, NULL },
	{ "app_dir", K_PATH, F(app_dir), 0, 0, NULL },
	/* A cluster's settings. */
	{ "node", K_NODE, F(node), 0, 0, NULL },
	{ "store", K_STORE, F(store), 0, 0, NULL },
	{ "postgres_dsn", K_DSN, F(postgres_dsn), 0, 0, NULL },
};
/* clang-format on */

#define NKEYS (sizeof(keys) / sizeof(keys[0]))

/* Where the parser is, for messages. */
struct pos {
	const char *name;
	size_t line;
	char *err;
	size_t errlen;
};

/* ---- errors -------------------------------------------------------------- */

/* "name:line: reason"; returns -ERR_INVALID. */
static int __attribute__((format(printf, 2, 3)))
fail_at(const struct pos *p, const char *fmt, ...)
{
	char reason[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	return err_set(p->err, p->errlen, ERR_INVALID, "%s:%zu: %s", p->name,
		       p->line, reason);
}

/* Copy at most QUOTE_MAX bytes of s (n bytes) into out for a message,
 * unprintable bytes as '?', so a hostile file can not write to the log. */
static const char *
quote(char out[QUOTE_MAX + 4], const char *s, size_t n)
{
	size_t i, m = n > QUOTE_MAX ? QUOTE_MAX : n;

	for (i = 0; i < m; i++)
		out[i] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
	if (m < n) {
		memcpy(out + m, "...", 3);
		m += 3;
	}
	out[m] = '\0';
	return out;
}

/* ---- values -------------------------------------------------------------- */

/* How many decimal digits s (n bytes) starts with. */
static size_t
count_digits(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n && s[i] >= '0' && s[i] <= '9'; i++)
		;
	return i;
}

/* The value of the d digits at s.  Returns 0, or -1 on overflow. */
static int
digits_value(const char *s, size_t d, uint64_t *v)
{
	size_t i;

	*v = 0;
	for (i = 0; i < d; i++) {
		if (*v > (UINT64_MAX - (uint64_t)(s[i] - '0')) / 10)
			return -1;
		*v = *v * 10 + (uint64_t)(s[i] - '0');
	}
	return 0;
}

/* digits * by, overflow checked.  Returns 0, or -2 on overflow. */
static int
scaled(const char *s, size_t d, uint64_t by, uint64_t *out)
{
	uint64_t v;

	if (digits_value(s, d, &v) != 0 || (by != 0 && v > UINT64_MAX / by))
		return -2;
	*out = v * by;
	return 0;
}

/* A duration in milliseconds, in base/duration.h's grammar (bare digits
 * are seconds).  Returns 0, -1 for bad syntax or -2 for overflow. */
static int
parse_duration(const char *s, size_t n, uint64_t *ms)
{
	switch (duration_check(s, n, ms)) {
	case DURATION_OK:
		return 0;
	case DURATION_OVERFLOW:
		return -2;
	default:
		return -1;
	}
}

/* A size in bytes: digits then an optional K, M or G.
 * Returns 0, -1 for bad syntax or -2 for overflow. */
static int
parse_size(const char *s, size_t n, uint64_t *bytes)
{
	size_t d = count_digits(s, n);

	if (d == 0)
		return -1;
	if (d == n)
		return scaled(s, d, 1, bytes);
	if (d + 1 != n)
		return -1;
	if (s[d] == 'K')
		return scaled(s, d, KIB, bytes);
	if (s[d] == 'M')
		return scaled(s, d, MIB, bytes);
	if (s[d] == 'G')
		return scaled(s, d, GIB, bytes);
	return -1;
}

/* A plain count.  Returns 0, -1 for bad syntax or -2 for overflow. */
static int
parse_count(const char *s, size_t n, uint64_t *v)
{
	size_t d = count_digits(s, n);

	if (d == 0 || d != n)
		return -1;
	return scaled(s, d, 1, v);
}

static int
parse_bool(const char *s, size_t n, bool *b)
{
	static const char *const yes[] = { "yes", "true", "on" };
	static const char *const no[] = { "no", "false", "off" };
	size_t i;

	for (i = 0; i < 3; i++) {
		if (strlen(yes[i]) == n && memcmp(s, yes[i], n) == 0) {
			*b = true;
			return 0;
		}
		if (strlen(no[i]) == n && memcmp(s, no[i], n) == 0) {
			*b = false;
			return 0;
		}
	}
	return -1;
}

/* RFC 1123 host name: dot-separated labels of letters, digits and
 * hyphens, 1 to 63 each, not starting or ending with a hyphen. */
static bool
valid_hostname(const char *s, size_t n)
{
	size_t i, label = 0;

	if (n == 0 || n > 253)
		return false;
	for (i = 0; i < n; i++) {
		char ch = s[i];

		if (ch == '.') {
			if (label == 0 || s[i - 1] == '-')
				return false;
			label = 0;
			continue;
		}
		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || ch == '-'))
			return false;
		if (ch == '-' && label == 0)
			return false;
		if (++label > 63)
			return false;
	}
	return label > 0 && s[n - 1] != '-';
}

/* ADDR:PORT.  Returns NULL if good, else what is wrong. */
static const char *
check_listen(const char *s, size_t n)
{
	char host[256];
	unsigned char addr[16];
	const char *colon = NULL;
	size_t hlen, i;
	uint64_t port;
	size_t plen;

	for (i = n; i > 0; i--) {
		if (s[i - 1] == ':') {
			colon = s + i - 1;
			break;
		}
	}
	if (colon == NULL)
		return "has no ':PORT'";
	plen = (size_t)(s + n - colon - 1);
	if (plen == 0 || plen > 5 || parse_count(colon + 1, plen, &port) != 0 ||
	    port == 0 || port > 65535)
		return "has a bad port (use 1 to 65535)";
	hlen = (size_t)(colon - s);
	if (hlen >= 2 && s[0] == '[' && s[hlen - 1] == ']') {
		if (hlen - 2 >= sizeof(host))
			return "has a bad IPv6 address";
		memcpy(host, s + 1, hlen - 2);
		host[hlen - 2] = '\0';
		if (inet_pton(AF_INET6, host, addr) != 1)
			return "has a bad IPv6 address";
		return NULL;
	}
	if (hlen == 0 || hlen >= sizeof(host))
		return "has a bad address";
	memcpy(host, s, hlen);
	host[hlen] = '\0';
	if (strchr(host, ':') != NULL)
		return "needs an IPv6 address in brackets";
	/* All digits and dots: it must be an IPv4 address, not a name. */
	if (strspn(host, "0123456789.") == hlen)
		return inet_pton(AF_INET, host, addr) == 1
			       ? NULL
			       : "has a bad IPv4 address";
	return valid_hostname(host, hlen) ? NULL : "has a bad host name";
}

/* A user name as useradd takes it: [A-Za-z0-9._-], not starting with
 * '-', 1 to 32 bytes. */
static bool
valid_user(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || n > 32 || s[0] == '-')
		return false;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		      (s[i] >= 'A' && s[i] <= 'Z') ||
		      (s[i] >= '0' && s[i] <= '9') || s[i] == '.' ||
		      s[i] == '_' || s[i] == '-'))
			return false;
	return true;
}

/* Store v into the member k describes (after the range check). */
static void
store_number(struct config *c, const struct key *k, uint64_t v)
{
	char *dst = (char *)c + k->off;

	if (k->size == sizeof(uint64_t)) {
		uint64_t v64 = v;

		memcpy(dst, &v64, sizeof(v64));
	} else {
		uint32_t v32 = (uint32_t)v;

		memcpy(dst, &v32, sizeof(v32));
	}
}

static int
set_number(struct config *c, const struct key *k, const char *v, size_t n,
	   const struct pos *p)
{
	char q[QUOTE_MAX + 4];
	uint64_t x;
	int r;

	if (k->kind == K_DURATION_MS || k->kind == K_DURATION_S) {
		r = parse_duration(v, n, &x);
		if (r == -1)
			return fail_at(p,
				       "bad duration '%s' for %s "
				       "(use ms, s, m, h, d)",
				       quote(q, v, n), k->name);
		if (r == 0 && k->kind == K_DURATION_S) {
			if (x % MS_PER_S != 0)
				return fail_at(p,
					       "%s must be whole seconds, "
					       "not '%s'",
					       k->name, quote(q, v, n));
			x /= MS_PER_S;
		}
	} else if (k->kind == K_SIZE32 || k->kind == K_SIZE64) {
		r = parse_size(v, n, &x);
		if (r == -1)
			return fail_at(p,
				       "bad size '%s' for %s (use bytes "
				       "or K, M, G)",
				       quote(q, v, n), k->name);
	} else {
		r = parse_count(v, n, &x);
		if (r == -1)
			return fail_at(p, "bad number '%s' for %s",
				       quote(q, v, n), k->name);
	}
	if (r == -2 || x < k->min || x > k->max)
		return fail_at(p, "%s must be between %s, not '%s'", k->name,
			       k->range, quote(q, v, n));
	store_number(c, k, x);
	return 0;
}

static bool is_blank(char ch);

/* A list of libraries, blank-separated: each a soname such as
 * libproj.so.25 (no '/') or an absolute path, of [A-Za-z0-9._+/-]. */
static const char *
check_libs(const char *v, size_t n)
{
	size_t i = 0, start;

	while (i < n) {
		while (i < n && is_blank(v[i]))
			i++;
		start = i;
		for (; i < n && !is_blank(v[i]); i++)
			if (!isalnum((unsigned char)v[i]) &&
			    !strchr("._+/-", v[i]))
				return "holds a character no library name has";
		if (i > start && memchr(v + start, '/', i - start) &&
		    v[start] != '/')
			return "names a library by a relative path (use a "
			       "soname or an absolute path)";
		if (i > start && (memmem(v + start, i - start, "..", 2)))
			return "names a path with '..'";
	}
	return NULL;
}

/* One origin as a browser sends it: "http://" or "https://", a host of
 * letters, digits, '.' and '-' (or a [bracketed] IPv6 address), an
 * optional :port, and nothing after it (no path, no trailing '/'). */
static bool
valid_origin(const char *s, size_t n)
{
	size_t i = 0, host;

	if (n > 8 && !memcmp(s, "https://", 8))
		i = 8;
	else if (n > 7 && !memcmp(s, "http://", 7))
		i = 7;
	else
		return false;
	host = i;
	if (s[i] == '[') {
		while (i < n && s[i] != ']')
			if (!strchr("0123456789abcdefABCDEF:.[", s[i++]))
				return false;
		if (i++ >= n)
			return false;
	} else {
		while (i < n && (isalnum((unsigned char)s[i]) || s[i] == '.' ||
				 s[i] == '-'))
			i++;
	}
	if (i == host)
		return false;
	if (i < n && s[i] == ':') {
		if (++i == n || n - i > 5)
			return false;
		while (i < n && isdigit((unsigned char)s[i]))
			i++;
	}
	return i == n;
}

/* Blank-separated origins.  Returns NULL if good, else what is wrong. */
static const char *
check_origins(const char *v, size_t n)
{
	size_t i = 0, start;

	while (i < n) {
		while (i < n && (v[i] == ' ' || v[i] == '\t'))
			i++;
		start = i;
		while (i < n && v[i] != ' ' && v[i] != '\t')
			i++;
		if (i > start && !valid_origin(v + start, i - start))
			return "holds an origin that is not "
			       "http(s)://host[:port] (no path, no '*')";
	}
	return NULL;
}

/* A node label goes into every session id the host gives and into the
 * HAProxy rule that routes them back: lower case, digits and '-', so
 * that it needs no quoting anywhere and never holds the '.' that ends it. */
static const char *
check_node(const char *v, size_t n)
{
	size_t i;

	if (n == 0)
		return "is empty";
	if (v[0] == '-')
		return "starts with '-'";
	for (i = 0; i < n; i++)
		if (!((v[i] >= 'a' && v[i] <= 'z') ||
		      (v[i] >= '0' && v[i] <= '9') || v[i] == '-'))
			return "holds a character other than a-z, 0-9 and "
			       "'-'";
	return NULL;
}

static int
set_string(struct config *c, const struct key *k, const char *v, size_t n,
	   const struct pos *p)
{
	char q[QUOTE_MAX + 4];
	const char *why = NULL;
	size_t i;

	for (i = 0; i < n; i++)
		if ((unsigned char)v[i] < 0x20 || v[i] == 0x7f)
			return fail_at(p, "control character in %s", k->name);
	if (n >= k->size)
		return fail_at(p, "%s is too long (at most %zu bytes)", k->name,
			       k->size - 1);
	if (k->kind == K_PATH) {
		if (v[0] != '/')
			why = "must be an absolute path";
		else if (n == 1)
			why = "must not be the root directory";
	} else if (k->kind == K_LISTEN) {
		why = check_listen(v, n);
	} else if (k->kind == K_LIBS) {
		/* "none": an empty value is refused, as for every key */
		if (n == 4 && !memcmp(v, "none", 4))
			n = 0;
		why = check_libs(v, n);
	} else if (k->kind == K_ORIGINS) {
		why = check_origins(v, n);
	} else if (k->kind == K_NODE) {
		why = check_node(v, n);
	} else if (k->kind == K_STORE) {
		if (!(n == 4 && !memcmp(v, "file", 4)) &&
		    !(n == 8 && !memcmp(v, "postgres", 8)))
			why = "is neither file nor postgres";
	} else if (k->kind == K_DSN) {
		if (n == 0)
			why = "is empty";
	} else if (!valid_user(v, n)) {
		why = "is not a valid user name";
	}
	if (why != NULL)
		return fail_at(p, "%s '%s' %s", k->name, quote(q, v, n), why);
	memcpy((char *)c + k->off, v, n);
	((char *)c + k->off)[n] = '\0';
	return 0;
}

static int
set_value(struct config *c, const struct key *k, const char *v, size_t n,
	  const struct pos *p)
{
	char q[QUOTE_MAX + 4];
	bool b;

	switch (k->kind) {
	case K_BOOL:
		if (parse_bool(v, n, &b) != 0)
			return fail_at(p,
				       "bad boolean '%s' for %s (use yes "
				       "or no)",
				       quote(q, v, n), k->name);
		*(bool *)((char *)c + k->off) = b;
		return 0;
	case K_PATH:
	case K_LISTEN:
	case K_USER:
	case K_LIBS:
	case K_ORIGINS:
	case K_NODE:
	case K_STORE:
	case K_DSN:
		return set_string(c, k, v, n, p);
	default:
		return set_number(c, k, v, n, p);
	}
}

/* ---- lines --------------------------------------------------------------- */

static bool
is_blank(char ch)
{
	return ch == ' ' || ch == '\t';
}

/* Trim blanks from both ends of [*s, *s + *n). */
static void
trim(const char **s, size_t *n)
{
	while (*n > 0 && is_blank(**s)) {
		(*s)++;
		(*n)--;
	}
	while (*n > 0 && is_blank((*s)[*n - 1]))
		(*n)--;
}

/* Cut a comment: '#' at the start or after a blank, so a path may still
 * hold a '#'. */
static size_t
strip_comment(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i] == '#' && (i == 0 || is_blank(s[i - 1])))
			return i;
	return n;
}

static bool
valid_key_name(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || n > 32)
		return false;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || s[i] == '_' ||
		      (s[i] >= '0' && s[i] <= '9')))
			return false;
	return true;
}

/* One line (no newline), with seen[] the line each key was first set on
 * (0: not yet). */
static int
parse_line(struct config *c, const char *s, size_t n, size_t seen[NKEYS],
	   const struct pos *p)
{
	char q[QUOTE_MAX + 4];
	const char *eq, *key, *val;
	size_t klen, vlen, i;

	if (n > 0 && s[n - 1] == '\r')
		n--;
	n = strip_comment(s, n);
	trim(&s, &n);
	if (n == 0)
		return 0;
	eq = memchr(s, '=', n);
	if (eq == NULL)
		return fail_at(p, "expected 'key = value', got '%s'",
			       quote(q, s, n));
	key = s;
	klen = (size_t)(eq - s);
	val = eq + 1;
	vlen = n - klen - 1;
	trim(&key, &klen);
	trim(&val, &vlen);
	if (!valid_key_name(key, klen))
		return fail_at(p, "bad key '%s' (use a-z, 0-9 and '_')",
			       quote(q, key, klen));
	for (i = 0; i < NKEYS; i++)
		if (strlen(keys[i].name) == klen &&
		    memcmp(keys[i].name, key, klen) == 0)
			break;
	if (i == NKEYS)
		return fail_at(p, "unknown key '%.*s'", (int)klen, key);
	if (seen[i] != 0)
		return fail_at(p, "key '%s' is set twice (first on line %zu)",
			       keys[i].name, seen[i]);
	seen[i] = p->line;
	if (vlen == 0)
		return fail_at(p, "missing value for '%s'", keys[i].name);
	return set_value(c, &keys[i], val, vlen, p);
}

/* The rules between keys, on the finished config. */
static int
check_cross(const struct config *c, const char *name, char *err, size_t errlen)
{
	if (c->sessions_per_function > c->sessions_total)
		return err_set(err, errlen, ERR_INVALID,
			       "%s: sessions_per_function (%u) is "
			       "over sessions_total (%u)",
			       name, c->sessions_per_function,
			       c->sessions_total);
	if (c->token_default_ttl_s > c->token_max_ttl_s)
		return err_set(err, errlen, ERR_INVALID,
			       "%s: token_default_ttl (%us) is over "
			       "token_max_ttl (%us)",
			       name, c->token_default_ttl_s,
			       c->token_max_ttl_s);
	if (c->session_idle_ms > c->session_lifetime_ms)
		return err_set(err, errlen, ERR_INVALID,
			       "%s: session_idle (%ums) is over "
			       "session_lifetime (%ums)",
			       name, c->session_idle_ms,
			       c->session_lifetime_ms);
	return 0;
}

/* ---- API ----------------------------------------------------------------- */

#define DEFAULT_DATA_DIR "/var/lib/fnhost"

/* FNV-1a: a short, stable name for a data dir's scratch root.  Not a
 * defence: fnhostd locks the root and checks its owner, so a collision
 * is refused, never shared. */
static uint64_t
fnv1a64(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
	return h;
}

/* Whether every directory above path (path itself left out: fnhostd
 * makes the data dir 0711) lets other users pass: o+x, or a directory
 * that does not exist yet (fnhostd makes it so). */
static bool
passable_above(const char *path)
{
	char dir[PATH_MAX];
	struct stat st;
	char *slash;

	if (snprintf(dir, sizeof(dir), "%s", path) >= (int)sizeof(dir))
		return false;
	while ((slash = strrchr(dir, '/')) != NULL) {
		*slash = '\0';
		if (!dir[0])
			break; /* "/" itself */
		if (stat(dir, &st) == 0 && !(st.st_mode & S_IXOTH))
			return false;
	}
	return true;
}

void
config_defaults(struct config *c)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->listen, sizeof(c->listen), "127.0.0.1:8080");
	snprintf(c->data_dir, sizeof(c->data_dir), DEFAULT_DATA_DIR);
	c->scratch_root[0] = '\0';
	c->invoke_timeout_ms = 10 * MS_PER_S;
	c->invoke_cpu_ms = 10 * MS_PER_S;
	c->session_idle_ms = 5 * 60 * MS_PER_S;
	c->session_lifetime_ms = 3600 * MS_PER_S;
	c->shutdown_grace_ms = 10 * MS_PER_S;
	c->max_input = MIB;
	c->max_output = MIB;
	c->max_bundle = 64 * MIB;
	c->worker_memory = 512 * MIB;
	/* The zygote maps none of the host's libraries (zygote.h): the
	 * OpenSSL the host links, which the seed's leader election uses,
	 * would otherwise cost each of its sessions a load of over a ms. */
	snprintf(c->worker_preload, sizeof(c->worker_preload),
		 "libcrypto.so.3");
	c->worker_file_size = 64 * MIB;
	c->scratch_size = 64 * MIB;
	c->scratch_inodes = 4096;
	c->worker_open_files = 64;
	c->sessions_per_function = 16;
	c->sessions_total = 64;
	c->sessions_per_token = 4;
	c->warm_workers = 2;
	c->warm_sessions = 4;
	c->function_log_lines = 1000;
	c->worker_uid_base = SANDBOX_UID_BASE_DEFAULT;
	c->worker_threads = 64;
	c->max_connections = 4096;
	c->client_timeout_s = 30;
	c->connections_per_ip = 64;
	c->request_head_timeout_ms = 10 * MS_PER_S;
	c->request_body_timeout_ms = 120 * MS_PER_S;
	c->http_threads = 2;
	c->handler_threads = 32;
	c->token_max_ttl_s = 30 * 86400;
	c->token_default_ttl_s = 3600;
	snprintf(c->worker_user, sizeof(c->worker_user), "nobody");
	snprintf(c->store, sizeof(c->store), "file");
	c->require_sandbox = true;
	c->sandbox_relaxed = false;
}

int
config_resolve(struct config *c, char *err, size_t errlen)
{
	int n;

	if (!strcmp(c->store, "postgres") && c->postgres_dsn[0] == '\0')
		return err_set(err, errlen, ERR_INVALID,
			       "store = postgres needs postgres_dsn");
	if (c->scratch_root[0] != '\0')
		return 0;
	/*
	 * Each session's scratch is a tmpfs of its own, mounted over this
	 * root in its worker's view; the host's copy holds only empty
	 * directories, so it need not be in memory and is never the
	 * system's /dev/shm.  Workers reach it by path under their own
	 * uids: data_dir/scratch when every directory above data_dir lets
	 * them pass, else (a checkout under /root, mode 0700) a root of its
	 * own under /var/tmp, named by a hash of data_dir so that two
	 * instances never meet there.
	 */
	if (passable_above(c->data_dir))
		n = snprintf(c->scratch_root, sizeof(c->scratch_root),
			     "%s/scratch", c->data_dir);
	else
		n = snprintf(c->scratch_root, sizeof(c->scratch_root),
			     "/var/tmp/fnhost-%016" PRIx64,
			     fnv1a64(c->data_dir));
	if (n < 0 || (size_t)n >= sizeof(c->scratch_root)) {
		c->scratch_root[0] = '\0';
		return err_set(err, errlen, ERR_INVALID,
			       "scratch_root: data_dir is too long "
			       "to hold scratch/");
	}
	return 0;
}

int
config_parse(struct config *c, const char *buf, size_t len, const char *name,
	     char *err, size_t errlen)
{
	struct config tmp;
	size_t seen[NKEYS] = { 0 };
	struct pos p = { name, 0, err, errlen };
	const char *line, *end, *nl;
	size_t n;
	int rc;

	memcpy(&tmp, c, sizeof(tmp));
	line = buf;
	end = buf + len;
	while (line < end) {
		p.line++;
		nl = memchr(line, '\n', (size_t)(end - line));
		n = (size_t)((nl != NULL ? nl : end) - line);
		if (n > LINE_MAX_BYTES)
			return fail_at(&p, "line too long (over %d bytes)",
				       LINE_MAX_BYTES);
		if (memchr(line, '\0', n) != NULL)
			return fail_at(&p, "NUL byte in line");
		if ((rc = parse_line(&tmp, line, n, seen, &p)) < 0)
			return rc;
		if (nl == NULL)
			break;
		line = nl + 1;
	}
	if ((rc = check_cross(&tmp, name, err, errlen)) < 0)
		return rc;
	memcpy(c, &tmp, sizeof(*c));
	return 0;
}

/* Read all of fd into a malloc()ed buffer of at most FILE_MAX_BYTES; one
 * byte more is read so a file that grew past the limit is caught too. */
static int
read_all(int fd, const char *path, char **out, size_t *len, char *err,
	 size_t errlen)
{
	char *buf;
	size_t n = 0;
	ssize_t r;
	int rc;

	buf = malloc(FILE_MAX_BYTES + 1);
	if (buf == NULL)
		return err_set(err, errlen, ERR_INTERNAL, "%s: out of memory",
			       path);
	for (;;) {
		r = read(fd, buf + n, FILE_MAX_BYTES + 1 - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			rc = err_set(err, errlen, ERR_IO, "%s: %s", path,
				     strerror(errno));
			goto bad;
		}
		if (r == 0)
			break;
		n += (size_t)r;
		if (n > FILE_MAX_BYTES) {
			rc = err_set(err, errlen, ERR_TOO_LARGE,
				     "%s: file is over 1 MiB", path);
			goto bad;
		}
	}
	*out = buf;
	*len = n;
	return 0;
bad:
	free(buf);
	return rc;
}

int
config_load(struct config *c, const char *path, char *err, size_t errlen)
{
	struct stat st;
	char *buf = NULL;
	size_t len = 0;
	int fd, ret = -1;

	/* O_NONBLOCK: a FIFO put where the file should be must not hang
	 * the daemon before fstat refuses it. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return err_set(err, errlen, ERR_IO, "%s: %s", path,
			       strerror(errno));
	if (fstat(fd, &st) != 0) {
		ret = err_set(err, errlen, ERR_IO, "%s: %s", path,
			      strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		ret = err_set(err, errlen, ERR_IO, "%s: not a regular file",
			      path);
		goto out;
	}
	if (st.st_size > FILE_MAX_BYTES) {
		ret = err_set(err, errlen, ERR_TOO_LARGE,
			      "%s: file is over 1 MiB", path);
		goto out;
	}
	if ((ret = read_all(fd, path, &buf, &len, err, errlen)) < 0)
		goto out;
	ret = config_parse(c, buf, len, path, err, errlen);
out:
	free(buf);
	close(fd);
	return ret;
}
