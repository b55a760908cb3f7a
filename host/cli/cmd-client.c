/*
 * cmd-client.c: the fnhost subcommands that talk to fnhostd over HTTP:
 * deploy, list, show, delete, token, run, trust and key.
 *
 * Each parses the options every one of them shares (-u, -t, -o, --timeout,
 * --insecure, -h) plus its own, makes its calls through client.h, prints
 * human text or, with -o json, the host's JSON on one line, and fails with
 * one line "fnhost <cmd>: <reason>" (status 1; 2 for usage errors).
 * Text that comes from the host is printed with control bytes replaced,
 * except a function's own output and error text, which are its result.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <json-c/json.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "formats/attest.h"
#include "base/b64.h"
#include "base/hex.h"
#include "formats/bundle.h"
#include "cli/cli.h"
#include "cli/client.h"
#include "formats/hpke.h"
#include "formats/minisign.h"

#define COMMON_HELP \
	"  -u URL           the host (else $FNHOST_URL, the config file,\n" \
	"                   http://127.0.0.1:8080)\n" \
	"  -t TOKEN|@FILE   bearer token (else $FNHOST_TOKEN, the config)\n" \
	"  -o text|json     output format (default text)\n" \
	"  --timeout S      limit for each request, in seconds\n" \
	"  --insecure       allow a token over http to a non-loopback host\n" \
	"  config file: ${XDG_CONFIG_HOME:-~/.config}/fnhost/config, lines\n" \
	"  'url = URL' and 'token = TOKEN|@FILE'\n"

/* Per-request limits: deploys move up to BUNDLE_MAX_BYTES. */
#define TIMEOUT_DEFAULT_MS 60000L
#define TIMEOUT_DEPLOY_MS 600000L
/* Longest input line `run -` reads from standard input. */
#define RUN_MAX_LINE CLIENT_MAX_RESPONSE
/* Room for a function's error text (the host bounds it far below). */
#define RUN_ERROR_MAX 16384

enum {
	OPT_TIMEOUT = 256,
	OPT_INSECURE,
	OPT_TTL,
	OPT_PIN,
	OPT_ENCRYPT,
	OPT_VERIFY,
	OPT_KEEP,
};

/* Options beyond the shared ones that a subcommand takes. */
#define TAKES_CHECKSUM 1u /* -c CHECKSUM, --checksum (run) */
#define TAKES_TTL 2u	  /* --ttl S (token create) */
#define TAKES_PIN 4u	  /* --pin CHECKSUM (token create) */
#define TAKES_KEYFILE 8u  /* -k KEYFILE, the host's keys (encrypt, run) */
#define TAKES_SEAL 16u	  /* --encrypt, --verify (run) */
#define TAKES_KEEP 32u	  /* --keep DURATION (key rotate) */

struct spec {
	const char *name;  /* in messages: "token create" */
	const char *usage; /* after "usage: fnhost " */
	int min_args;	   /* positional arguments */
	int max_args;	   /* -1: no limit */
	unsigned takes;
	long timeout_ms;   /* default per-request limit */
};

/* One subcommand's invocation: its options, arguments and client. */
struct ctx {
	const struct spec *sp;
	struct client_options co;
	int json;
	char checksum[65]; /* -c or --pin, lower-case; "" when not given */
	long ttl;	   /* --ttl; -1 when not given */
	const char *keyfile; /* -k: the host's keys, else GET /v1/key */
	int encrypt;	   /* --encrypt: encrypted invokes */
	int verify;	   /* --verify: check every attestation */
	long keep;	   /* --keep, in seconds; -1 when not given */
	char **args;
	int nargs;
	struct client c;
	int have_client;
	char err[1024];
};

/* ---- options ------------------------------------------------------------- */

static int
seconds_parse(const char *s, double max, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !(v > 0) || v > max)
		return -1;
	*out = v;
	return 0;
}

/* "90", "90s", "15m", "12h" or "7d": whole seconds, at most 365 days;
 * -1 when malformed. */
static long
duration_parse(const char *s)
{
	static const struct {
		char unit;
		long secs;
	} units[] = {{'s', 1}, {'m', 60}, {'h', 3600}, {'d', 86400}};
	long mul = 1, v;
	char *end;
	size_t i;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || v < 0 || *s == '-' || *s == '+')
		return -1;
	if (*end) {
		for (i = 0; i < sizeof(units) / sizeof(units[0]); i++)
			if (*end == units[i].unit && !end[1])
				mul = units[i].secs;
		if (mul == 1 && *end != 's')
			return -1;
		if (end[1])
			return -1;
	}
	if (v > 365L * 86400 / mul)
		return -1;
	return v * mul;
}

/* A function checksum: 64 hex digits, kept in lower case. */
static int
checksum_parse(const char *s, char out[65])
{
	size_t i;

	if (strlen(s) != 64 || strspn(s, "0123456789abcdefABCDEF") != 64)
		return -1;
	for (i = 0; i < 64; i++)
		out[i] = (char)tolower((unsigned char)s[i]);
	out[64] = '\0';
	return 0;
}

/* cli_fail() for helpers that return -1 on failure. */
#define FAIL(x, ...) (cli_fail((x)->sp->name, __VA_ARGS__), -1)

static int
usage_error(const struct spec *sp, const char *fmt, const char *arg)
{
	fprintf(stderr, "fnhost %s: ", sp->name);
	fprintf(stderr, fmt, arg);
	fputc('\n', stderr);
	return cli_usage(stderr, sp->usage);
}

static int
help(const struct spec *sp)
{
	cli_usage(stdout, sp->usage);
	fputs(COMMON_HELP, stdout);
	return CLI_OK;
}

/* One option of ctx's subcommand; returns -1 to go on, else the exit
 * status. */
static int
option_take(struct ctx *x, int c, const char *arg)
{
	const struct spec *sp = x->sp;
	double v;

	switch (c) {
	case 'h':
		return help(sp);
	case 'u':
		x->co.url = arg;
		return -1;
	case 't':
		x->co.token = arg;
		return -1;
	case 'o':
		if (strcmp(arg, "json") && strcmp(arg, "text"))
			return usage_error(sp, "bad output format '%s' (text "
					   "or json)", arg);
		x->json = !strcmp(arg, "json");
		return -1;
	case OPT_TIMEOUT:
		if (seconds_parse(arg, 86400, &v) < 0)
			return usage_error(sp, "bad timeout '%s' (seconds, "
					   "at most a day)", arg);
		x->co.timeout_ms = (long)(v * 1000) > 0 ? (long)(v * 1000) : 1;
		return -1;
	case OPT_INSECURE:
		x->co.insecure = 1;
		return -1;
	case 'c':
	case OPT_PIN:
		if (!(sp->takes & (c == 'c' ? TAKES_CHECKSUM : TAKES_PIN)))
			return usage_error(sp, "%s does not apply here",
					   c == 'c' ? "-c" : "--pin");
		if (checksum_parse(arg, x->checksum) < 0)
			return usage_error(sp, "bad checksum '%s' (64 hex "
					   "digits)", arg);
		return -1;
	case OPT_TTL:
		if (!(sp->takes & TAKES_TTL))
			return usage_error(sp, "%s does not apply here",
					   "--ttl");
		if (seconds_parse(arg, 10 * 366 * 86400.0, &v) < 0 ||
		    v != (double)(long)v)
			return usage_error(sp, "bad ttl '%s' (whole seconds)",
					   arg);
		x->ttl = (long)v;
		return -1;
	case 'k':
		if (!(sp->takes & TAKES_KEYFILE))
			return usage_error(sp, "%s does not apply here", "-k");
		x->keyfile = arg;
		return -1;
	case OPT_ENCRYPT:
	case OPT_VERIFY:
		if (!(sp->takes & TAKES_SEAL))
			return usage_error(sp, "%s does not apply here",
					   c == OPT_ENCRYPT ? "--encrypt"
							    : "--verify");
		if (c == OPT_ENCRYPT)
			x->encrypt = 1;
		else
			x->verify = 1;
		return -1;
	case OPT_KEEP:
		if (!(sp->takes & TAKES_KEEP))
			return usage_error(sp, "%s does not apply here",
					   "--keep");
		if ((x->keep = duration_parse(arg)) < 0)
			return usage_error(sp, "bad duration '%s' (seconds, "
					   "or a number with s, m, h or d, at "
					   "most 365d)", arg);
		return -1;
	default:
		return cli_usage(stderr, sp->usage);
	}
}

/*
 * Parse argv for sp and set up the client.  Returns -1 when the command
 * should go on, else the exit status to return at once (help, usage
 * error, bad configuration).
 */
static int
ctx_init(struct ctx *x, const struct spec *sp, int argc, char **argv)
{
	static const struct option longopts[] = {
		{"url", required_argument, NULL, 'u'},
		{"token", required_argument, NULL, 't'},
		{"output", required_argument, NULL, 'o'},
		{"checksum", required_argument, NULL, 'c'},
		{"timeout", required_argument, NULL, OPT_TIMEOUT},
		{"insecure", no_argument, NULL, OPT_INSECURE},
		{"ttl", required_argument, NULL, OPT_TTL},
		{"pin", required_argument, NULL, OPT_PIN},
		{"key", required_argument, NULL, 'k'},
		{"encrypt", no_argument, NULL, OPT_ENCRYPT},
		{"verify", no_argument, NULL, OPT_VERIFY},
		{"keep", required_argument, NULL, OPT_KEEP},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int c, st;

	memset(x, 0, sizeof(*x));
	x->sp = sp;
	x->ttl = -1;
	x->keep = -1;
	x->co.timeout_ms = sp->timeout_ms;
	optind = 1;
	while ((c = getopt_long(argc, argv, "hu:t:o:c:k:", longopts, NULL)) !=
	       -1)
		if ((st = option_take(x, c, optarg)) >= 0)
			return st;
	x->args = argv + optind;
	x->nargs = argc - optind;
	if (x->nargs < sp->min_args ||
	    (sp->max_args >= 0 && x->nargs > sp->max_args))
		return cli_usage(stderr, sp->usage);
	if (client_init(&x->c, &x->co, x->err, sizeof(x->err)) < 0)
		return cli_fail(sp->name, "%s", x->err);
	x->have_client = 1;
	/* A reader that goes away must not kill us before the cleanup. */
	signal(SIGPIPE, SIG_IGN);
	return -1;
}

static void
ctx_free(struct ctx *x)
{
	if (x->have_client)
		client_free(&x->c);
	x->have_client = 0;
}

/* Check an id from the command line before it becomes a path segment. */
static int
id_arg(const struct ctx *x, const char *what, const char *id)
{
	char shown[80];

	if (client_id_check(id) == 0)
		return 0;
	snprintf(shown, sizeof(shown), "%s", id);
	cli_fail(x->sp->name, "bad %s '%s'", what, client_sanitize(shown));
	return -1;
}

/* ---- calls --------------------------------------------------------------- */

/*
 * Make rq and accept the answer when its status is want or want2 (0: no
 * second); with json, the body must be JSON and *json gets it (free it
 * with json_object_put()).  Returns 0, or -1 after printing the reason
 * (the host's error message for another status).
 */
static int
call(struct ctx *x, const struct client_request *rq, long want, long want2,
     json_object **json)
{
	struct client_response rs;
	char msg[512];
	int ret = -1;

	if (json)
		*json = NULL;
	if (client_call(&x->c, rq, &rs, x->err, sizeof(x->err)) < 0) {
		cli_fail(x->sp->name, "%s", x->err);
		goto out;
	}
	if (rs.status != want && (want2 == 0 || rs.status != want2)) {
		client_error_line(&rs, msg, sizeof(msg));
		cli_fail(x->sp->name, "%s", msg);
		goto out;
	}
	if (json && (*json = client_json(&rs, x->err, sizeof(x->err))) ==
			    NULL) {
		cli_fail(x->sp->name, "%s", x->err);
		goto out;
	}
	ret = 0;
out:
	client_response_free(&rs);
	return ret;
}

static void
json_print(json_object *obj)
{
	puts(json_object_to_json_string_ext(
		obj, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
}

/* Print s with control bytes as '?'. */
static void
text_print(const char *s)
{
	for (; *s; s++)
		putchar((unsigned char)*s < 0x20 || *s == 0x7f ? '?' : *s);
}

static int
is_time_key(const char *key)
{
	return !strcmp(key, "created") || !strcmp(key, "expires") ||
	       !strcmp(key, "exp") || !strcmp(key, "iat") ||
	       !strcmp(key, "issued");
}

/* A JSON value as one human word: strings as they are, Unix times as
 * UTC ISO 8601, missing, null and "" as "-", true as the key's name
 * ("revoked") and false as "-", others as JSON. */
static void
value_print(const char *key, json_object *v)
{
	char buf[32];
	struct tm tm;
	time_t t;

	if (!v || (json_object_is_type(v, json_type_string) &&
		   json_object_get_string_len(v) == 0) ||
	    (json_object_is_type(v, json_type_boolean) &&
	     !json_object_get_boolean(v))) {
		fputs("-", stdout);
	} else if (json_object_is_type(v, json_type_boolean)) {
		text_print(key);
	} else if (json_object_is_type(v, json_type_string)) {
		text_print(json_object_get_string(v));
	} else if (json_object_is_type(v, json_type_int) && is_time_key(key)) {
		t = (time_t)json_object_get_int64(v);
		if (gmtime_r(&t, &tm) &&
		    strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm))
			fputs(buf, stdout);
		else
			printf("%lld", (long long)json_object_get_int64(v));
	} else {
		text_print(json_object_to_json_string_ext(
			v, JSON_C_TO_STRING_PLAIN |
				   JSON_C_TO_STRING_NOSLASHESCAPE));
	}
}

/* The first of the member names (NULL-terminated list) obj has. */
static json_object *
member(json_object *obj, const char *const *names)
{
	json_object *v;

	if (!json_object_is_type(obj, json_type_object))
		return NULL;
	for (; *names; names++)
		if (json_object_object_get_ex(obj, *names, &v) &&
		    !json_object_is_type(v, json_type_null))
			return v;
	return NULL;
}

/* "key value" lines for every member, nested objects as "outer.inner". */
static void
object_print(const char *prefix, json_object *obj)
{
	char key[256];

	json_object_object_foreach(obj, k, v)
	{
		snprintf(key, sizeof(key), "%s%s%s", prefix, *prefix ? "." : "",
			 k);
		if (json_object_is_type(v, json_type_object)) {
			object_print(key, v);
			continue;
		}
		text_print(key);
		putchar(' ');
		if (json_object_is_type(v, json_type_boolean))
			fputs(json_object_get_boolean(v) ? "true" : "false",
			      stdout);
		else
			value_print(k, v);
		putchar('\n');
	}
}

/* The array a list answer holds: the body itself, or its member key. */
static json_object *
list_items(struct ctx *x, json_object *root, const char *key)
{
	json_object *v;

	if (json_object_is_type(root, json_type_array))
		return root;
	if (json_object_object_get_ex(root, key, &v) &&
	    json_object_is_type(v, json_type_array))
		return v;
	cli_fail(x->sp->name, "the host's answer holds no '%s' list", key);
	return NULL;
}

/* Print one row: the named fields of each column, separated by spaces. */
static void
row_print(json_object *item, const char *const *const *cols, size_t ncols)
{
	size_t i;

	for (i = 0; i < ncols; i++) {
		if (i)
			putchar(' ');
		value_print(cols[i][0], member(item, cols[i]));
	}
	putchar('\n');
}

/* ---- deploy -------------------------------------------------------------- */

struct upload {
	int dirfd;
	size_t n;
	struct client_part parts[BUNDLE_MAX_FILES + 2];
	char manifest_sha256[65];
};

static void
upload_free(struct upload *u)
{
	size_t i;

	for (i = 0; i < u->n; i++) {
		close(u->parts[i].fd);
		free((char *)u->parts[i].name);
	}
	u->n = 0;
	if (u->dirfd >= 0)
		close(u->dirfd);
	u->dirfd = -1;
}

static int
part_cmp(const void *a, const void *b)
{
	return strcmp(((const struct client_part *)a)->name,
		      ((const struct client_part *)b)->name);
}

/* Open one file of the bundle as the next part. */
static int
upload_add(struct ctx *x, struct upload *u, const char *dir, const char *name,
	   uint64_t *total)
{
	struct client_part *p = &u->parts[u->n];
	struct stat st;
	int fd;

	if (u->n == sizeof(u->parts) / sizeof(u->parts[0]))
		return FAIL(x, "%s holds more than %d files", dir,
			    BUNDLE_MAX_FILES);
	if (bundle_name_check(name, strlen(name), x->err, sizeof(x->err)) < 0)
		return FAIL(x, "%s: %s", dir, x->err);
	fd = openat(u->dirfd, name,
		    O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		if (fd >= 0 || errno == ELOOP)
			cli_fail(x->sp->name, "%s/%s is not a regular file "
				 "(a bundle is flat)", dir, name);
		else
			cli_fail(x->sp->name, "%s/%s: %s", dir, name,
				 strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	*total += (uint64_t)st.st_size;
	if (*total > BUNDLE_MAX_BYTES) {
		close(fd);
		return FAIL(x, "%s is larger than %llu MiB", dir,
			    BUNDLE_MAX_BYTES >> 20);
	}
	if ((p->name = strdup(name)) == NULL) {
		close(fd);
		return FAIL(x, "out of memory");
	}
	p->fd = fd;
	p->size = (uint64_t)st.st_size;
	u->n++;
	return 0;
}

/* The hash of MANIFEST: what the host must report as the checksum. */
static int
upload_checksum(struct ctx *x, struct upload *u, const char *dir)
{
	int have_sig = 0, idx = -1;
	unsigned char d[32];
	size_t i;

	for (i = 0; i < u->n; i++) {
		if (!strcmp(u->parts[i].name, BUNDLE_MANIFEST))
			idx = (int)i;
		if (!strcmp(u->parts[i].name, BUNDLE_SIGNATURE))
			have_sig = 1;
	}
	if (idx < 0 || !have_sig)
		return FAIL(x, "%s is not signed (no %s): run fnhost sign "
			    "first", dir,
			    idx < 0 ? BUNDLE_MANIFEST : BUNDLE_SIGNATURE);
	if (lseek(u->parts[idx].fd, 0, SEEK_SET) < 0 ||
	    bundle_sha256_fd(u->parts[idx].fd, BUNDLE_MANIFEST_MAX, d, NULL,
			     x->err, sizeof(x->err)) < 0)
		return FAIL(x, "%s/%s: %s", dir, BUNDLE_MANIFEST, x->err);
	hex_encode(u->manifest_sha256, d, 32);
	return 0;
}

/* Open every file of dir, sorted by name.  Names starting with '.' are
 * left out, as fnhost test leaves them out: sign never puts one in
 * MANIFEST, so one there (an editor's, a desktop's) came after signing. */
static int
upload_prepare(struct ctx *x, struct upload *u, const char *dir)
{
	uint64_t total = 0;
	struct dirent *de;
	DIR *d = NULL;
	int fd, ret = -1;

	u->n = 0;
	u->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	fd = u->dirfd >= 0 ? dup(u->dirfd) : -1;
	if (fd < 0 || (d = fdopendir(fd)) == NULL) {
		cli_fail(x->sp->name, "%s: %s", dir, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.' &&
		    upload_add(x, u, dir, de->d_name, &total) < 0)
			goto out;
	qsort(u->parts, u->n, sizeof(u->parts[0]), part_cmp);
	ret = upload_checksum(x, u, dir);
out:
	closedir(d);
	return ret;
}

/* "label value", the value as text_print() shows it, "-" for NULL. */
static void
line_print(const char *label, const char *value)
{
	printf("%s ", label);
	text_print(value ? value : "-");
	putchar('\n');
}

static const char *
str_member(json_object *obj, const char *name)
{
	json_object *v;

	if (json_object_object_get_ex(obj, name, &v) &&
	    json_object_is_type(v, json_type_string))
		return json_object_get_string(v);
	return NULL;
}

int
cmd_deploy(int argc, char **argv)
{
	static const struct spec sp = {"deploy", "deploy [options] DIR", 1, 1,
				       0, TIMEOUT_DEPLOY_MS};
	struct client_request rq = {.method = "POST", .path = "/v1/functions",
				    .auth = 1};
	struct upload *u = NULL;
	json_object *obj = NULL;
	const char *id, *sum;
	char shown[80];
	struct ctx x;
	int ret;

	if ((ret = ctx_init(&x, &sp, argc, argv)) >= 0)
		return ret;
	ret = CLI_FAIL;
	if ((u = calloc(1, sizeof(*u))) == NULL) {
		cli_fail(sp.name, "out of memory");
		goto out;
	}
	u->dirfd = -1;
	if (upload_prepare(&x, u, x.args[0]) < 0)
		goto out;
	rq.parts = u->parts;
	rq.nparts = u->n;
	if (call(&x, &rq, 201, 200, &obj) < 0)
		goto out;
	id = str_member(obj, "id");
	sum = str_member(obj, "checksum");
	if (!id || !sum) {
		cli_fail(sp.name, "the host's answer has no id or checksum");
		goto out;
	}
	/* The host hashed what it received: it must be what we hold. */
	if (strcmp(sum, u->manifest_sha256)) {
		snprintf(shown, sizeof(shown), "%s", sum);
		cli_fail(sp.name, "the host reports checksum %s, but %s/%s "
			 "hashes to %s", client_sanitize(shown), x.args[0],
			 BUNDLE_MANIFEST, u->manifest_sha256);
		goto out;
	}
	if (x.json) {
		json_print(obj);
	} else {
		line_print("id", id);
		line_print("checksum", sum);
		line_print("name", str_member(obj, "name"));
		line_print("version", str_member(obj, "version"));
	}
	ret = CLI_OK;
out:
	json_object_put(obj);
	if (u)
		upload_free(u);
	free(u);
	ctx_free(&x);
	return ret;
}

/* ---- list, show, delete -------------------------------------------------- */

/* GET path, whose answer holds an array under key: -o json prints the
 * answer as it is, text a row of cols for each item. */
static int
list_table(int argc, char **argv, const struct spec *sp, const char *path,
	   const char *key, const char *const *const *cols, size_t ncols)
{
	struct client_request rq = {.method = "GET", .path = path, .auth = 1};
	json_object *obj = NULL, *items;
	struct ctx x;
	size_t i;
	int ret;

	if ((ret = ctx_init(&x, sp, argc, argv)) >= 0)
		return ret;
	ret = CLI_FAIL;
	if (call(&x, &rq, 200, 0, &obj) < 0 ||
	    (items = list_items(&x, obj, key)) == NULL)
		goto out;
	if (x.json)
		json_print(obj);
	else
		for (i = 0; i < json_object_array_length(items); i++)
			row_print(json_object_array_get_idx(items, i), cols,
				  ncols);
	ret = CLI_OK;
out:
	json_object_put(obj);
	ctx_free(&x);
	return ret;
}

int
cmd_list(int argc, char **argv)
{
	static const struct spec sp = {"list", "list [options]", 0, 0, 0,
				       TIMEOUT_DEFAULT_MS};
	static const char *const c_id[] = {"id", NULL};
	static const char *const c_name[] = {"name", NULL};
	static const char *const c_version[] = {"version", NULL};
	static const char *const c_sum[] = {"checksum", NULL};
	static const char *const c_created[] = {"created", NULL};
	static const char *const *const cols[] = {c_id, c_name, c_version,
						  c_sum, c_created};

	return list_table(argc, argv, &sp, "/v1/functions", "functions", cols,
			  sizeof(cols) / sizeof(cols[0]));
}

int
cmd_show(int argc, char **argv)
{
	static const struct spec sp = {"show", "show [options] ID", 1, 1, 0,
				       TIMEOUT_DEFAULT_MS};
	struct client_request rq = {.method = "GET", .auth = 1};
	json_object *obj = NULL;
	char path[256];
	struct ctx x;
	int ret;

	if ((ret = ctx_init(&x, &sp, argc, argv)) >= 0)
		return ret;
	ret = CLI_FAIL;
	if (id_arg(&x, "function id", x.args[0]) < 0)
		goto out;
	snprintf(path, sizeof(path), "/v1/functions/%s", x.args[0]);
	rq.path = path;
	if (call(&x, &rq, 200, 0, &obj) < 0)
		goto out;
	if (x.json)
		json_print(obj);
	else if (json_object_is_type(obj, json_type_object))
		object_print("", obj);
	else {
		value_print("", obj);
		putchar('\n');
	}
	ret = CLI_OK;
out:
	json_object_put(obj);
	ctx_free(&x);
	return ret;
}

/*
 * Make rq, whose answer must be want or want2, and report it: in text
 * "<verb> <id>"; with -o json the host's JSON answer, or {"<key>":id,
 * "<verb>":true} when the answer has no JSON body (a 204).
 */
static int
report_run(struct ctx *x, const struct client_request *rq, long want,
	   long want2, const char *id, const char *key, const char *verb)
{
	struct client_response rs;
	json_object *obj = NULL;
	char msg[512];
	int ret = CLI_FAIL;

	if (client_call(&x->c, rq, &rs, x->err, sizeof(x->err)) < 0) {
		cli_fail(x->sp->name, "%s", x->err);
		goto out;
	}
	if (rs.status != want && rs.status != want2) {
		client_error_line(&rs, msg, sizeof(msg));
		cli_fail(x->sp->name, "%s", msg);
		goto out;
	}
	if (x->json) {
		if (rs.len > 0)
			obj = client_json(&rs, x->err, sizeof(x->err));
		if (!obj) {
			obj = json_object_new_object();
			json_object_object_add(obj, key,
					       json_object_new_string(id));
			json_object_object_add(obj, verb,
					       json_object_new_boolean(1));
		}
		json_print(obj);
	} else {
		printf("%s %s\n", verb, id);
	}
	ret = CLI_OK;
out:
	json_object_put(obj);
	client_response_free(&rs);
	return ret;
}

static int
delete_run(struct ctx *x, const char *path, const char *id, const char *key,
	   const char *verb)
{
	struct client_request rq = {.method = "DELETE", .path = path,
				    .auth = 1};

	return report_run(x, &rq, 200, 204, id, key, verb);
}

int
cmd_delete(int argc, char **argv)
{
	static const struct spec sp = {"delete", "delete [options] ID", 1, 1,
				       0, TIMEOUT_DEFAULT_MS};
	char path[256];
	struct ctx x;
	int ret;

	if ((ret = ctx_init(&x, &sp, argc, argv)) >= 0)
		return ret;
	ret = CLI_FAIL;
	if (id_arg(&x, "function id", x.args[0]) == 0) {
		snprintf(path, sizeof(path), "/v1/functions/%s", x.args[0]);
		ret = delete_run(&x, path, x.args[0], "id", "deleted");
	}
	ctx_free(&x);
	return ret;
}

/* ---- token --------------------------------------------------------------- */

static int
token_create(int argc, char **argv)
{
	static const struct spec sp = {
		"token create",
		"token create [options] [--ttl S] [--pin CHECKSUM] ID", 1, 1,
		TAKES_TTL | TAKES_PIN, TIMEOUT_DEFAULT_MS};
	struct client_request rq = {.method = "POST", .auth = 1,
				    .content_type = "application/json"};
	json_object *obj = NULL, *body = NULL;
	const char *token;
	char path[256];
	struct ctx x;
	int ret;

	if ((ret = ctx_init(&x, &sp, argc, argv)) >= 0)
		return ret;
	ret = CLI_FAIL;
	if (id_arg(&x, "function id", x.args[0]) < 0)
		goto out;
	snprintf(path, sizeof(path), "/v1/functions/%s/tokens", x.args[0]);
	body = json_object_new_object();
	if (x.ttl >= 0)
		json_object_object_add(body, "ttl",
				       json_object_new_int64(x.ttl));
	if (x.checksum[0])
		json_object_object_add(body, "checksum",
				       json_object_new_string(x.checksum));
	rq.path = path;
	rq.body = json_object_to_json_string_ext(body, JSON_C_TO_STRING_PLAIN);
	rq.body_len = strlen(rq.body);
	if (call(&x, &rq, 201, 200, &obj) < 0)
		goto out;
	if ((token = str_member(obj, "token")) == NULL) {
		cli_fail(sp.name, "the host's answer holds no token");
		goto out;
	}
	if (x.json)
		json_print(obj);
	else {
		text_print(token);
		putchar('\n');
	}
	ret = CLI_OK;
out:
	json_object_put(body);
	json_object_put(obj);
	ctx_free(&x);
	return ret;
}

static int
token_list(int argc, char **argv)
{
	static const struct spec sp = {"token list", "token list [options]",
				       0, 0, 0, TIMEOUT_DEFAULT_MS};
	static const char *const c_jti[] = {"jti", NULL};
	static const char *const c_fn[] = {"function", "function_id", "sub",
					   NULL};
	static const char *const c_sum[] = {"checksum", "fch", NULL};
	static const char *const c_exp[] = {"expires", "exp", NULL};
	static const char *const c_rev[] = {"revoked", NULL};
	static const char *const *const cols[] = {c_jti, c_fn, c_sum, c_exp,
						  c_rev};

	return list_table(argc, argv, &sp, "/v1/tokens", "tokens", cols,
			  sizeof(cols) / sizeof(cols[0]));
}

static int
token_delete(int argc, char **argv)
{
	static const struct spec sp = {"token delete",
				       "token delete [options] JTI", 1, 1, 0,
				       TIMEOUT_DEFAULT_MS};
	char path[256];
	struct ctx x;
	int ret;

	if ((ret = ctx_init(&x, &sp, argc, argv)) >= 0)
		return ret;
	ret = CLI_FAIL;
	if (id_arg(&x, "token id", x.args[0]) == 0) {
		snprintf(path, sizeof(path), "/v1/tokens/%s", x.args[0]);
		ret = delete_run(&x, path, x.args[0], "jti", "revoked");
	}
	ctx_free(&x);
	return ret;
}

/* "token" and "trust" dispatch to their verbs; argv[1] is the verb. */
struct verb {
	const char *name;
	int (*run)(int argc, char **argv);
};

static int
verb_dispatch(const char *cmd, const char *usage, const struct verb *verbs,
	      size_t n, int argc, char **argv)
{
	size_t i;

	if (argc >= 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")))
		return cli_usage(stdout, usage);
	for (i = 0; argc >= 2 && i < n; i++)
		if (!strcmp(argv[1], verbs[i].name))
			return verbs[i].run(argc - 1, argv + 1);
	if (argc >= 2)
		fprintf(stderr, "fnhost %s: unknown verb '%s'\n", cmd,
			client_sanitize(argv[1]));
	return cli_usage(stderr, usage);
}

int
cmd_token(int argc, char **argv)
{
	static const struct verb verbs[] = {
		{"create", token_create},
		{"list", token_list},
		{"delete", token_delete},
	};

	return verb_dispatch("token",
			     "token create [--ttl S] [--pin CHECKSUM] ID | "
			     "list | delete JTI\n"
			     "  (fnhost token VERB -h for its options)",
			     verbs, sizeof(verbs) / sizeof(verbs[0]), argc,
			     argv);
}

/* ---- trust --------------------------------------------------------------- */

static int
trust_add(int argc, char **argv)
{
	static const struct spec sp = {"trust add", "trust add [options] "
				       "KEY.pub", 1, 1, 0, TIMEOUT_DEFAULT_MS};
	struct client_request rq = {.method = "POST", .path = "/v1/trust",
				    .auth = 1, .content_type = "text/plain"};
	char text[MINISIGN_FILE_MAX + 1], id[MINISIGN_KEYID_HEX];
	struct minisign_pubkey pk;
	struct ctx x;
	ssize_t n;
	size_t len = 0;
	int fd = -1, ret;

	if ((ret = ctx_init(&x, &sp, argc, argv)) >= 0)
		return ret;
	ret = CLI_FAIL;
	/* Parse it here first, so a wrong file fails with a local reason. */
	if ((fd = open(x.args[0], O_RDONLY | O_CLOEXEC | O_NOCTTY)) < 0) {
		cli_fail(sp.name, "%s: %s", x.args[0], strerror(errno));
		goto out;
	}
	while (len < sizeof(text)) {
		n = read(fd, text + len, sizeof(text) - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			cli_fail(sp.name, "%s: %s", x.args[0],
				 strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (len == sizeof(text)) {
		cli_fail(sp.name, "%s: larger than %d bytes", x.args[0],
			 MINISIGN_FILE_MAX);
		goto out;
	}
	if (minisign_pubkey_parse(text, len, &pk, x.err, sizeof(x.err)) < 0) {
		cli_fail(sp.name, "%s: %s", x.args[0], x.err);
		goto out;
	}
	minisign_keyid_hex(pk.key_id, id);
	rq.body = text;
	rq.body_len = len;
	ret = report_run(&x, &rq, 201, 200, id, "keyid", "trusted");
out:
	if (fd >= 0)
		close(fd);
	ctx_free(&x);
	return ret;
}

static int
trust_list(int argc, char **argv)
{
	static const struct spec sp = {"trust list", "trust list [options]",
				       0, 0, 0, TIMEOUT_DEFAULT_MS};
	static const char *const c_id[] = {"keyid", "key_id", "id", NULL};
	static const char *const c_comment[] = {"comment", NULL};
	static const char *const *const cols[] = {c_id, c_comment};
	struct client_request rq = {.method = "GET", .path = "/v1/trust",
				    .auth = 1};
	json_object *obj = NULL, *items, *it;
	struct ctx x;
	size_t i;
	int ret;

	if ((ret = ctx_init(&x, &sp, argc, argv)) >= 0)
		return ret;
	ret = CLI_FAIL;
	if (call(&x, &rq, 200, 0, &obj) < 0 ||
	    (items = list_items(&x, obj, "keys")) == NULL)
		goto out;
	if (x.json)
		json_print(obj);
	for (i = 0; !x.json && i < json_object_array_length(items); i++) {
		it = json_object_array_get_idx(items, i);
		if (json_object_is_type(it, json_type_object)) {
			row_print(it, cols, member(it, c_comment) ? 2 : 1);
		} else {
			value_print("", it);
			putchar('\n');
		}
	}
	ret = CLI_OK;
out:
	json_object_put(obj);
	ctx_free(&x);
	return ret;
}

/* A key id, or the key id of a .pub file (DESIGN's "trust remove
 * KEY.pub"), upper-case as minisign prints it. */
static int
keyid_arg(struct ctx *x, const char *arg, char id[MINISIGN_KEYID_HEX])
{
	struct minisign_pubkey pk;
	char shown[80];
	size_t i;

	if (strlen(arg) == 16 && strspn(arg, "0123456789abcdefABCDEF") == 16) {
		for (i = 0; i < 16; i++)
			id[i] = (char)toupper((unsigned char)arg[i]);
		id[16] = '\0';
		return 0;
	}
	if (minisign_pubkey_load(arg, &pk, x->err, sizeof(x->err)) < 0) {
		snprintf(shown, sizeof(shown), "%s", arg);
		cli_fail(x->sp->name, "'%s' is neither a key id (16 hex "
			 "digits) nor a public key file: %s",
			 client_sanitize(shown), x->err);
		return -1;
	}
	minisign_keyid_hex(pk.key_id, id);
	return 0;
}

static int
trust_remove(int argc, char **argv)
{
	static const struct spec sp = {"trust remove",
				       "trust remove [options] KEYID|KEY.pub",
				       1, 1, 0, TIMEOUT_DEFAULT_MS};
	char path[64], id[MINISIGN_KEYID_HEX];
	struct ctx x;
	int ret;

	if ((ret = ctx_init(&x, &sp, argc, argv)) >= 0)
		return ret;
	ret = CLI_FAIL;
	if (keyid_arg(&x, x.args[0], id) == 0) {
		snprintf(path, sizeof(path), "/v1/trust/%s", id);
		ret = delete_run(&x, path, id, "keyid", "removed");
	}
	ctx_free(&x);
	return ret;
}

int
cmd_trust(int argc, char **argv)
{
	static const struct verb verbs[] = {
		{"add", trust_add},
		{"list", trust_list},
		{"remove", trust_remove},
	};

	return verb_dispatch("trust",
			     "trust add KEY.pub | list | remove KEYID|KEY.pub\n"
			     "  (fnhost trust VERB -h for its options)",
			     verbs, sizeof(verbs) / sizeof(verbs[0]), argc,
			     argv);
}

/* ---- the host's keys ----------------------------------------------------- */

/* The host's public keys; have_att says whether the attestation key is
 * known (a key file may hold the encryption key alone). */
struct host_keys {
	unsigned char enc[HPKE_NPK];
	unsigned char att[ATTEST_PK_BYTES];
	int have_att;
};

/* One 32-byte key, base64url, from obj.member.public_key. */
static int
key_member(json_object *obj, const char *member, unsigned char key[32])
{
	json_object *m, *pk;
	const char *text;
	size_t n;

	if (!json_object_object_get_ex(obj, member, &m) ||
	    !json_object_object_get_ex(m, "public_key", &pk) ||
	    !json_object_is_type(pk, json_type_string))
		return -1;
	text = json_object_get_string(pk);
	return b64url_decode(key, 32, text, strlen(text), &n) == 0 && n == 32
		       ? 0
		       : -1;
}

/* The keys from GET /v1/key's JSON. */
static int
keys_from_json(json_object *obj, struct host_keys *k)
{
	if (key_member(obj, "encryption", k->enc) < 0)
		return -1;
	k->have_att = key_member(obj, "attestation", k->att) == 0;
	return 0;
}

/*
 * The host's keys from -k KEYFILE (what `fnhost key -o json` printed, or
 * the encryption key alone as base64url), else from GET /v1/key.  Taking
 * them from the host itself trusts it on first use; a key file kept from
 * before pins them.
 */
static int
host_keys_get(struct ctx *x, struct host_keys *k)
{
	struct client_request rq = {.method = "GET", .path = "/v1/key"};
	char buf[8192], *p;
	json_object *obj = NULL;
	size_t n;
	FILE *f;
	int ret = -1;

	memset(k, 0, sizeof(*k));
	if (!x->keyfile) {
		if (call(x, &rq, 200, 0, &obj) < 0)
			return -1;
		if (keys_from_json(obj, k) < 0)
			cli_fail(x->sp->name,
				 "the host's /v1/key answer has no usable key");
		else
			ret = 0;
		json_object_put(obj);
		return ret;
	}
	if ((f = fopen(x->keyfile, "r")) == NULL)
		return FAIL(x, "cannot read %s: %s", x->keyfile,
			    strerror(errno));
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	if ((obj = json_tokener_parse(buf)) != NULL) {
		ret = keys_from_json(obj, k);
		json_object_put(obj);
	} else {
		p = buf + strlen(buf);
		while (p > buf && isspace((unsigned char)p[-1]))
			*--p = '\0';
		for (p = buf; isspace((unsigned char)*p); p++)
			;
		ret = b64url_decode(k->enc, sizeof(k->enc), p, strlen(p),
				    &n) == 0 && n == sizeof(k->enc)
			      ? 0
			      : -1;
	}
	if (ret < 0)
		cli_fail(x->sp->name,
			 "%s holds neither the JSON of `fnhost key -o json` "
			 "nor a base64url X25519 key",
			 x->keyfile);
	return ret;
}

/* ---- encrypt ------------------------------------------------------------- */

int
cmd_encrypt(int argc, char **argv)
{
	static const struct spec sp = {
		"encrypt",
		"encrypt [options] [-k KEYFILE] TEXT\n"
		"  prints TEXT encrypted to the host as an fnh1: text, for\n"
		"  any invoke of that host; the key comes from KEYFILE\n"
		"  (fnhost key -o json) or from the host",
		1, 1, TAKES_KEYFILE, TIMEOUT_DEFAULT_MS};
	struct host_keys k;
	json_object *obj;
	char *text = NULL;
	size_t len;
	struct ctx x;
	int ret;

	if ((ret = ctx_init(&x, &sp, argc, argv)) >= 0)
		return ret;
	ret = CLI_FAIL;
	if (host_keys_get(&x, &k) < 0)
		goto out;
	if (hpke_encrypt_text(k.enc, x.args[0], strlen(x.args[0]), &text,
			      &len, x.err, sizeof(x.err)) < 0) {
		cli_fail(sp.name, "%s", x.err);
		goto out;
	}
	if (x.json) {
		obj = json_object_new_object();
		json_object_object_add(obj, "text",
				       json_object_new_string(text));
		json_print(obj);
		json_object_put(obj);
	} else {
		printf("%s\n", text);
	}
	ret = CLI_OK;
out:
	free(text);
	ctx_free(&x);
	return ret;
}

/* ---- key ----------------------------------------------------------------- */

/* key rotate [--keep DURATION] */
static int
key_rotate(int argc, char **argv)
{
	static const struct spec sp = {
		"key rotate",
		"key rotate [options] [--keep DURATION]\n"
		"  a new encryption key for the host (admin); texts and\n"
		"  invokes made for the old one are still decrypted for\n"
		"  DURATION (90, 90s, 15m, 12h, 7d; default 0: not at all)",
		0, 0, TAKES_KEEP, TIMEOUT_DEFAULT_MS};
	struct client_request rq = {.method = "POST", .auth = 1,
				    .path = "/v1/key/rotate",
				    .content_type = "application/json"};
	json_object *obj = NULL;
	char body[64];
	struct ctx x;
	int ret;

	if ((ret = ctx_init(&x, &sp, argc, argv)) >= 0)
		return ret;
	ret = CLI_FAIL;
	snprintf(body, sizeof(body), "{\"keep\": %ld}",
		 x.keep < 0 ? 0 : x.keep);
	rq.body = body;
	rq.body_len = strlen(body);
	if (call(&x, &rq, 200, 0, &obj) < 0)
		goto out;
	if (x.json)
		json_print(obj);
	else
		object_print("", obj);
	ret = CLI_OK;
out:
	json_object_put(obj);
	ctx_free(&x);
	return ret;
}

int
cmd_key(int argc, char **argv)
{
	static const struct spec sp = {"key",
				       "key [options] | key rotate [options] "
				       "[--keep DURATION]",
				       0, 0, 0, TIMEOUT_DEFAULT_MS};
	struct client_request rq = {.method = "GET", .path = "/v1/key"};
	json_object *obj = NULL;
	struct ctx x;
	int ret;

	if (argc > 1 && !strcmp(argv[1], "rotate"))
		return key_rotate(argc - 1, argv + 1);
	if ((ret = ctx_init(&x, &sp, argc, argv)) >= 0)
		return ret;
	ret = CLI_FAIL;
	if (call(&x, &rq, 200, 0, &obj) < 0)
		goto out;
	if (!json_object_is_type(obj, json_type_object)) {
		cli_fail(sp.name, "the host's answer is not a JSON object");
		goto out;
	}
	if (x.json)
		json_print(obj);
	else
		object_print("", obj);
	ret = CLI_OK;
out:
	json_object_put(obj);
	ctx_free(&x);
	return ret;
}

/* ---- run ----------------------------------------------------------------- */

/*
 * How `fnhost run` treats its invokes: --encrypt seals each input to the
 * host's key in invoke_one() and opens the answer, --verify checks each
 * answer's attestation in attest_check(), after the checksum check.
 */
struct run_opts {
	const char *function; /* the function id */
	const char *pin;      /* -c: the checksum it must have, or NULL */
	int json;
	int encrypt;	      /* --encrypt */
	int verify;	      /* --verify */
	struct host_keys keys; /* for either */
};

struct run_state {
	struct ctx *x;
	const struct run_opts *o;
	char sid[129];	    /* the session id */
	const char *ended;  /* why no more invokes go out, or NULL */
	int failed;	    /* some invoke did not succeed */
};

/* One result line: the output, or the error text. */
static void
result_print(const struct run_state *st, int ok, const char *text, size_t len)
{
	json_object *obj;

	if (!st->o->json) {
		if (!ok)
			fputs("error: ", stdout);
		fwrite(text, 1, len, stdout);
		putchar('\n');
	} else {
		obj = json_object_new_object();
		json_object_object_add(obj, "ok", json_object_new_boolean(ok));
		json_object_object_add(obj, ok ? "output" : "error",
				       json_object_new_string_len(text,
								  (int)len));
		json_print(obj);
		json_object_put(obj);
	}
	fflush(stdout);
}

static void
result_error(struct run_state *st, const char *text)
{
	st->failed = 1;
	result_print(st, 0, text, strlen(text));
}

/* The checksum the host put on an answer must be the pinned one; anything
 * else means another function may have seen the input. */
static int
invoke_check(struct run_state *st, const struct client_response *rs)
{
	const char *got = client_header(rs, "Fnhost-Function-Checksum");
	char shown[80];

	if (!st->o->pin || (got && !strcmp(got, st->o->pin)))
		return 0;
	snprintf(shown, sizeof(shown), "%s", got ? got : "none");
	cli_fail(st->x->sp->name, "the answer came from function checksum "
		 "%s, not the pinned %s", client_sanitize(shown), st->o->pin);
	result_error(st, "checksum mismatch: the answer is not from the "
			 "pinned function");
	st->ended = "not sent: the host ran a function other than the "
		    "pinned one";
	return -1;
}

/*
 * --verify: the host's signature must hold over the checksum, the input
 * and the output it names, and those must be the pinned checksum, the
 * input sent and the output received.  An fnh1: input was encrypted by
 * someone else: its plaintext digest is taken as signed.
 */
static int
attest_check(struct run_state *st, const char *in, size_t len,
	     const struct client_response *rs)
{
	const char *fn = client_header(rs, "Fnhost-Function-Checksum");
	const char *ih = client_header(rs, "Fnhost-Input-Sha256");
	const char *oh = client_header(rs, "Fnhost-Output-Sha256");
	const char *sig = client_header(rs, "Fnhost-Attestation");
	char in_hex[ATTEST_HEX_LEN + 1], out_hex[ATTEST_HEX_LEN + 1];
	char why[256] = "";

	if (!st->o->verify)
		return 0;
	if (!fn || !ih || !oh || !sig)
		snprintf(why, sizeof(why), "the answer carries no attestation");
	else if (attest_sha256_hex(rs->body, rs->len, out_hex, why,
				   sizeof(why)) < 0 ||
		 attest_sha256_hex(in, len, in_hex, why, sizeof(why)) < 0)
		;
	else if (strcmp(oh, out_hex))
		snprintf(why, sizeof(why), "the output received is not the "
					   "one attested");
	else if (!hpke_is_text(in, len) && strcmp(ih, in_hex))
		snprintf(why, sizeof(why), "the input attested is not the one "
					   "sent");
	else if (attest_verify_b64(st->o->keys.att, fn, ih, oh, sig,
				   strlen(sig), why, sizeof(why)) < 0)
		;
	else
		return 0;
	cli_fail(st->x->sp->name, "the attestation does not hold: %s", why);
	result_error(st, "the attestation does not hold");
	st->ended = "not sent: an answer failed its attestation";
	return -1;
}

/* --encrypt: an encapsulated answer opened in place. */
static int
answer_open(struct run_state *st, struct hpke_ohttp *hs,
	    struct client_response *rs)
{
	const char *type = client_header(rs, "Content-Type");
	unsigned char *out;
	size_t len;
	char *body;

	if (!type || strcasecmp(type, "application/fnhost-hpke"))
		return rs->status == 200 ? -1 : 0; /* a plain refusal */
	if (hpke_ohttp_open_response(hs, rs->body, rs->len, &out, &len,
				     st->x->err, sizeof(st->x->err)) < 0)
		return -1;
	body = malloc(len + 1);
	if (body) {
		memcpy(body, out, len);
		body[len] = '\0';
		free(rs->body);
		rs->body = body;
		rs->len = len;
	}
	hpke_free(out, len);
	return body ? 0 : -1;
}

static void
invoke_one(struct run_state *st, const char *in, size_t len)
{
	struct client_request rq = {.method = "POST", .auth = 1,
				    .content_type = "application/octet-stream",
				    .body = in, .body_len = len};
	struct client_response rs = {0};
	char path[256], code[64], *msg = NULL;
	struct hpke_ohttp hs = {0};
	unsigned char *req = NULL;
	size_t reqlen;

	if (st->ended) {
		result_error(st, st->ended);
		return;
	}
	snprintf(path, sizeof(path), "/v1/sessions/%s/invoke", st->sid);
	rq.path = path;
	if (st->o->encrypt) {
		if (hpke_ohttp_seal_request(&hs, 0, st->o->keys.enc, in, len,
					    &req, &reqlen, st->x->err,
					    sizeof(st->x->err)) < 0) {
			result_error(st, st->x->err);
			goto out;
		}
		rq.body = req;
		rq.body_len = reqlen;
		rq.content_type = "application/fnhost-hpke";
	}
	if (client_call(&st->x->c, &rq, &rs, st->x->err,
			sizeof(st->x->err)) < 0) {
		result_error(st, st->x->err);
		st->ended = "not sent after the failure above";
		goto out;
	}
	if (st->o->encrypt && answer_open(st, &hs, &rs) < 0) {
		result_error(st, "the host's encrypted answer can not be "
				 "opened");
		st->ended = "not sent after the failure above";
		goto out;
	}
	if (rs.status == 200) {
		if (invoke_check(st, &rs) == 0 &&
		    attest_check(st, in, len, &rs) == 0)
			result_print(st, 1, rs.body, rs.len);
		goto out;
	}
	if ((msg = malloc(RUN_ERROR_MAX)) == NULL) {
		result_error(st, "out of memory");
		goto out;
	}
	client_error(&rs, code, sizeof(code), msg, RUN_ERROR_MAX);
	result_error(st, msg);
	/* The host drops the session when its worker crashed (502) or ran
	 * out of time (504); 404 says it is gone already, 503 that the host
	 * is shutting down. */
	if (rs.status == 502 || rs.status == 504 || rs.status == 404 ||
	    rs.status == 503)
		st->ended = "the session has ended";
out:
	free(msg);
	free(req);
	hpke_ohttp_clear(&hs);
	client_response_free(&rs);
}

/* Read one line of f (without its newline) into *buf: its length, -1 at
 * the end of input, -2 when it is longer than max (the rest of it is
 * read and dropped). */
static ssize_t
line_read(FILE *f, char **buf, size_t *cap, size_t max)
{
	size_t n = 0, want;
	int ch, over = 0;
	char *p;

	while ((ch = getc_unlocked(f)) != EOF && ch != '\n') {
		if (n == max) {
			over = 1;
			continue;
		}
		if (n + 1 >= *cap) {
			want = *cap ? *cap * 2 : 4096;
			if (want > max + 1)
				want = max + 1;
			if ((p = realloc(*buf, want)) == NULL)
				return -3;
			*buf = p;
			*cap = want;
		}
		(*buf)[n++] = (char)ch;
	}
	if (ch == EOF && n == 0 && !over)
		return -1;
	if (over)
		return -2;
	return (ssize_t)n;
}

static void
invoke_stdin(struct run_state *st)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;

	while ((n = line_read(stdin, &line, &cap, RUN_MAX_LINE)) != -1) {
		if (n == -3) {
			result_error(st, "out of memory reading standard "
					 "input");
			break;
		}
		if (n == -2)
			result_error(st, "not sent: the input line is longer "
					 "than 64 MiB");
		else
			invoke_one(st, line ? line : "", (size_t)n);
	}
	free(line);
}

/* The first run of exactly 64 hex digits in msg other than not, into
 * out[65]; "" when there is none. */
static void
checksum_find(const char *msg, const char *not, char out[65])
{
	const char *p = msg;
	size_t n;

	out[0] = '\0';
	while (*p) {
		n = strspn(p, "0123456789abcdef");
		if (n == 64 && (!not || strncmp(p, not, 64))) {
			memcpy(out, p, 64);
			out[64] = '\0';
			return;
		}
		p += n ? n : 1;
	}
}

/* The 409 answer: say which checksum the function has, when the host
 * tells: in its error object ("checksum"), in the checksum header, or,
 * failing both, as the one other checksum its message names. */
static void
mismatch_report(struct run_state *st, const struct client_response *rs)
{
	const char *names[] = {"checksum", "function_checksum", NULL};
	json_object *obj, *e, *v = NULL;
	char actual[65] = "", msg[512];
	const char *hdr;

	obj = client_json(rs, st->x->err, sizeof(st->x->err));
	if (obj && json_object_object_get_ex(obj, "error", &e))
		v = member(e, names);
	if (v && json_object_is_type(v, json_type_string))
		checksum_parse(json_object_get_string(v), actual);
	hdr = client_header(rs, "Fnhost-Function-Checksum");
	if (!actual[0] && hdr)
		checksum_parse(hdr, actual);
	json_object_put(obj);
	client_error_line(rs, msg, sizeof(msg));
	if (!actual[0])
		checksum_find(msg, st->o->pin, actual);
	if (st->o->pin && actual[0])
		cli_fail(st->x->sp->name, "checksum mismatch: the function is "
			 "%s, not %s", actual, st->o->pin);
	else if (st->o->pin)
		cli_fail(st->x->sp->name, "checksum mismatch: the function is "
			 "not %s (%s)", st->o->pin, msg);
	else
		cli_fail(st->x->sp->name, "checksum mismatch: %s", msg);
}

/* The session's answer must name a usable session id and, under a pin,
 * the pinned checksum. */
static int
session_accept(struct run_state *st, json_object *obj)
{
	const char *sid = str_member(obj, "session");
	const char *sum = str_member(obj, "function_checksum");
	char shown[80];

	if (!sid || client_id_check(sid) < 0 ||
	    strlen(sid) >= sizeof(st->sid)) {
		cli_fail(st->x->sp->name, "the host's answer holds no valid "
			 "session id");
		return -1;
	}
	memcpy(st->sid, sid, strlen(sid) + 1);
	if (st->o->pin && (!sum || strcmp(sum, st->o->pin))) {
		snprintf(shown, sizeof(shown), "%s", sum ? sum : "none");
		cli_fail(st->x->sp->name, "the host opened a session of "
			 "function checksum %s, not the pinned %s",
			 client_sanitize(shown), st->o->pin);
		return -1;
	}
	return 0;
}

/* POST /v1/functions/ID/sessions; st->sid is set when a session exists
 * (even if it is refused afterwards, so it gets closed). */
static int
session_open(struct run_state *st)
{
	struct client_request rq = {.method = "POST", .auth = 1,
				    .checksum = st->o->pin};
	struct client_response rs;
	json_object *obj = NULL;
	char path[256], msg[512];
	int ret = -1;

	snprintf(path, sizeof(path), "/v1/functions/%s/sessions",
		 st->o->function);
	rq.path = path;
	if (client_call(&st->x->c, &rq, &rs, st->x->err,
			sizeof(st->x->err)) < 0) {
		cli_fail(st->x->sp->name, "%s", st->x->err);
		goto out;
	}
	if (rs.status == 409) {
		mismatch_report(st, &rs);
		goto out;
	}
	if (rs.status != 201 && rs.status != 200) {
		client_error_line(&rs, msg, sizeof(msg));
		cli_fail(st->x->sp->name, "%s", msg);
		goto out;
	}
	if ((obj = client_json(&rs, st->x->err, sizeof(st->x->err))) == NULL) {
		cli_fail(st->x->sp->name, "%s", st->x->err);
		goto out;
	}
	ret = session_accept(st, obj);
out:
	json_object_put(obj);
	client_response_free(&rs);
	return ret;
}

/* DELETE the session; a failure is reported but does not change what the
 * invokes returned (the host reaps idle sessions anyway). */
static void
session_close(struct run_state *st)
{
	struct client_request rq = {.method = "DELETE", .auth = 1};
	struct client_response rs;
	char path[256], msg[512];

	snprintf(path, sizeof(path), "/v1/sessions/%s", st->sid);
	rq.path = path;
	if (client_call(&st->x->c, &rq, &rs, st->x->err,
			sizeof(st->x->err)) < 0) {
		fprintf(stderr, "fnhost %s: warning: cannot close the "
			"session: %s\n", st->x->sp->name, st->x->err);
	} else if (rs.status != 200 && rs.status != 204 &&
		   !(st->ended && rs.status == 404)) {
		client_error_line(&rs, msg, sizeof(msg));
		fprintf(stderr, "fnhost %s: warning: cannot close the "
			"session: %s\n", st->x->sp->name, msg);
	}
	client_response_free(&rs);
}

int
cmd_run(int argc, char **argv)
{
	static const struct spec sp = {
		"run",
		"run [options] [-c CHECKSUM] [--encrypt] [--verify] "
		"[-k KEYFILE] ID INPUT...\n"
		"  one session, one invoke per INPUT; '-' reads one input "
		"per line\n  from standard input; -c pins the function's "
		"checksum; '--' ends\n  the options, for inputs that start "
		"with '-'; --encrypt seals\n  each invoke to the host's key, "
		"--verify checks each answer's\n  attestation; the keys come "
		"from KEYFILE or from the host",
		2, -1, TAKES_CHECKSUM | TAKES_KEYFILE | TAKES_SEAL,
		TIMEOUT_DEFAULT_MS};
	struct run_opts o = {0};
	struct run_state st = {0};
	struct ctx x;
	int i, ret;

	if ((ret = ctx_init(&x, &sp, argc, argv)) >= 0)
		return ret;
	ret = CLI_FAIL;
	if (id_arg(&x, "function id", x.args[0]) < 0)
		goto out;
	o.function = x.args[0];
	o.pin = x.checksum[0] ? x.checksum : NULL;
	o.json = x.json;
	o.encrypt = x.encrypt;
	o.verify = x.verify;
	if ((o.encrypt || o.verify) && host_keys_get(&x, &o.keys) < 0)
		goto out;
	if (o.verify && !o.keys.have_att) {
		cli_fail(sp.name, "--verify needs the host's attestation key, "
				  "which %s does not hold",
			 x.keyfile);
		goto out;
	}
	st.x = &x;
	st.o = &o;
	if (session_open(&st) == 0) {
		for (i = 1; i < x.nargs; i++) {
			if (!strcmp(x.args[i], "-"))
				invoke_stdin(&st);
			else
				invoke_one(&st, x.args[i], strlen(x.args[i]));
		}
		ret = st.failed ? CLI_FAIL : CLI_OK;
	}
	if (st.sid[0])
		session_close(&st);
out:
	ctx_free(&x);
	return ret;
}
