/*
 * remote.c: the invocation of a client subcommand (see remote.h): shared
 * options, the client, calls to the host and the reports made of them.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <getopt.h>
#include <json-c/json.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/client.h"
#include "cli/output.h"
#include "cli/remote.h"

#define DAY_MS (86400ull * 1000)

#define COMMON_HELP                                                            \
	"  -u URL           the host (else $FNHOST_URL, the config file,\n"    \
	"                   http://127.0.0.1:8080)\n"                          \
	"  -t TOKEN|@FILE   bearer token (else $FNHOST_TOKEN, the config)\n"   \
	"  -o text|json     output format (default text)\n"                    \
	"  --timeout S      limit for each request, in seconds\n"              \
	"  --insecure       allow a token over http to a non-loopback host\n"  \
	"  config file: ${XDG_CONFIG_HOME:-~/.config}/fnhost/config, lines\n"  \
	"  'url = URL' and 'token = TOKEN|@FILE'\n"

enum {
	OPT_TIMEOUT = 256,
	OPT_INSECURE,
	OPT_TTL,
	OPT_PIN,
	OPT_ENCRYPT,
	OPT_VERIFY,
	OPT_KEEP,
	OPT_FOLLOW,
};

/* ---- options ------------------------------------------------------------- */

int
remote_fail(const struct remote *x, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "fnhost %s: ", x->sp->name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return -1;
}

int
remote_checksum_parse(const char *s, char out[65])
{
	size_t i;

	if (strlen(s) != 64 || strspn(s, "0123456789abcdefABCDEF") != 64)
		return -1;
	for (i = 0; i < 64; i++)
		out[i] = (char)tolower((unsigned char)s[i]);
	out[64] = '\0';
	return 0;
}

static int
usage_error(const struct remote_spec *sp, const char *fmt, const char *arg)
{
	fprintf(stderr, "fnhost %s: ", sp->name);
	fprintf(stderr, fmt, arg);
	fputc('\n', stderr);
	return cli_usage(stderr, sp->usage);
}

static int
help(const struct remote_spec *sp)
{
	cli_usage(stdout, sp->usage);
	fputs(COMMON_HELP, stdout);
	return CLI_OK;
}

/* The option c, when sp does not take it: its usage error, else -1. */
static int
option_refuse(const struct remote_spec *sp, int c)
{
	static const struct {
		int c;
		unsigned takes;
		const char *name;
	} own[] = {
		{ 'c', TAKES_CHECKSUM, "-c" },
		{ OPT_PIN, TAKES_PIN, "--pin" },
		{ OPT_TTL, TAKES_TTL, "--ttl" },
		{ 'k', TAKES_KEYFILE, "-k" },
		{ OPT_ENCRYPT, TAKES_SEAL, "--encrypt" },
		{ OPT_VERIFY, TAKES_SEAL, "--verify" },
		{ OPT_KEEP, TAKES_KEEP, "--keep" },
		{ 'f', TAKES_FUNCTION | TAKES_FOLLOW, "-f" },
		{ OPT_FOLLOW, TAKES_FOLLOW, "--follow" },
	};
	size_t i;

	for (i = 0; i < sizeof(own) / sizeof(own[0]); i++)
		if (own[i].c == c && !(sp->takes & own[i].takes))
			return usage_error(sp, "%s does not apply here",
					   own[i].name);
	return -1;
}

/* One option of x's subcommand; returns -1 to go on, else the exit
 * status. */
static int
option_take(struct remote *x, int c, const char *arg)
{
	const struct remote_spec *sp = x->sp;
	uint64_t ms;
	int st;

	if ((st = option_refuse(sp, c)) >= 0)
		return st;
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
			return usage_error(sp,
					   "bad output format '%s' (text "
					   "or json)",
					   arg);
		x->json = !strcmp(arg, "json");
		return -1;
	case OPT_TIMEOUT:
		if (cli_duration(arg, 1, DAY_MS, false, &ms) < 0)
			return usage_error(sp,
					   "bad timeout '%s' (a duration: "
					   "500ms, 30s, 1m; at most 1d)",
					   arg);
		x->co.timeout_ms = (long)ms;
		return -1;
	case OPT_INSECURE:
		x->co.insecure = 1;
		return -1;
	case 'c':
	case OPT_PIN:
		if (remote_checksum_parse(arg, x->checksum) < 0)
			return usage_error(sp,
					   "bad checksum '%s' (64 hex "
					   "digits)",
					   arg);
		return -1;
	case OPT_TTL:
		if (cli_duration(arg, 1000, 3660 * DAY_MS, true, &ms) < 0)
			return usage_error(sp,
					   "bad ttl '%s' (whole seconds, "
					   "or 90s, 15m, 12h, 7d)",
					   arg);
		x->ttl = (long)(ms / 1000);
		return -1;
	case 'k':
		x->keyfile = arg;
		return -1;
	case 'f':
		if (sp->takes & TAKES_FOLLOW)
			x->follow = 1;
		else
			x->function = arg;
		return -1;
	case OPT_FOLLOW:
		x->follow = 1;
		return -1;
	case OPT_ENCRYPT:
		x->encrypt = 1;
		return -1;
	case OPT_VERIFY:
		x->verify = 1;
		return -1;
	case OPT_KEEP:
		if (cli_duration(arg, 0, 365 * DAY_MS, true, &ms) < 0)
			return usage_error(sp,
					   "bad duration '%s' (seconds, "
					   "or a number with s, m, h or d, at "
					   "most 365d)",
					   arg);
		x->keep = (long)(ms / 1000);
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
remote_init(struct remote *x, const struct remote_spec *sp, int argc,
	    char **argv)
{
	static const struct option longopts[] = {
		{ "url", required_argument, NULL, 'u' },
		{ "token", required_argument, NULL, 't' },
		{ "output", required_argument, NULL, 'o' },
		{ "checksum", required_argument, NULL, 'c' },
		{ "timeout", required_argument, NULL, OPT_TIMEOUT },
		{ "insecure", no_argument, NULL, OPT_INSECURE },
		{ "ttl", required_argument, NULL, OPT_TTL },
		{ "pin", required_argument, NULL, OPT_PIN },
		{ "key", required_argument, NULL, 'k' },
		{ "encrypt", no_argument, NULL, OPT_ENCRYPT },
		{ "verify", no_argument, NULL, OPT_VERIFY },
		{ "keep", required_argument, NULL, OPT_KEEP },
		{ "function", required_argument, NULL, 'f' },
		{ "follow", no_argument, NULL, OPT_FOLLOW },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c, st;

	memset(x, 0, sizeof(*x));
	x->sp = sp;
	x->ttl = -1;
	x->keep = -1;
	x->co.timeout_ms = sp->timeout_ms;
	optind = 1;
	/* -f is --follow for logs, which has no --function. */
	while ((c = getopt_long(argc, argv,
				sp->takes & TAKES_FOLLOW ? "hu:t:o:c:k:f"
							 : "hu:t:o:c:k:f:",
				longopts, NULL)) != -1)
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

/* sp's verb that argv[1] names, or NULL. */
static const struct remote_spec *
verb_find(const struct remote_spec *sp, int argc, char **argv)
{
	const char *word;
	size_t i;

	for (i = 0; argc >= 2 && i < sp->nverbs; i++) {
		word = strrchr(sp->verbs[i].name, ' ');
		if (word && !strcmp(argv[1], word + 1))
			return &sp->verbs[i];
	}
	return NULL;
}

int
remote_main(const struct remote_spec *sp, int argc, char **argv)
{
	const struct remote_spec *verb = verb_find(sp, argc, argv);
	struct remote x;
	int ret;

	if (verb)
		return remote_main(verb, argc - 1, argv + 1);
	if (!sp->run) {
		if (argc >= 2 &&
		    (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")))
			return cli_usage(stdout, sp->usage);
		if (argc >= 2)
			fprintf(stderr, "fnhost %s: unknown verb '%s'\n",
				sp->name, client_sanitize(argv[1]));
		return cli_usage(stderr, sp->usage);
	}
	if ((ret = remote_init(&x, sp, argc, argv)) < 0)
		ret = sp->run(&x);
	if (x.have_client)
		client_free(&x.c);
	return ret;
}

int
remote_id_check(const struct remote *x, const char *what, const char *id)
{
	char shown[80];

	if (client_id_check(id) == 0)
		return 0;
	snprintf(shown, sizeof(shown), "%s", id);
	return remote_fail(x, "bad %s '%s'", what, client_sanitize(shown));
}

/* ---- calls --------------------------------------------------------------- */

int
remote_status(const struct remote *x, const struct client_response *rs,
	      long want, long want2)
{
	char msg[512];

	if (rs->status == want || (want2 != 0 && rs->status == want2))
		return 0;
	client_error_line(rs, msg, sizeof(msg));
	return remote_fail(x, "%s", msg);
}

int
remote_exchange(struct remote *x, const struct client_request *rq, long want,
		long want2, struct client_response *rs)
{
	if (client_call(&x->c, rq, rs, x->err, sizeof(x->err)) < 0)
		return remote_fail(x, "%s", x->err);
	return remote_status(x, rs, want, want2);
}

int
remote_call(struct remote *x, const struct client_request *rq, long want,
	    long want2, json_object **json)
{
	struct client_response rs;
	int ret = -1;

	*json = NULL;
	if (remote_exchange(x, rq, want, want2, &rs) < 0)
		goto out;
	if ((*json = client_json(&rs, x->err, sizeof(x->err))) == NULL) {
		remote_fail(x, "%s", x->err);
		goto out;
	}
	ret = 0;
out:
	client_response_free(&rs);
	return ret;
}

json_object *
remote_member(json_object *obj, const char *const *names)
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

const char *
remote_string(json_object *obj, const char *name)
{
	json_object *v;

	if (json_object_object_get_ex(obj, name, &v) &&
	    json_object_is_type(v, json_type_string))
		return json_object_get_string(v);
	return NULL;
}

/* ---- reports ------------------------------------------------------------- */

int
remote_report(struct remote *x, const struct client_request *rq, long want,
	      long want2, const char *id, const char *key, const char *verb)
{
	struct client_response rs;
	json_object *obj = NULL;
	int ret = CLI_FAIL;

	if (remote_exchange(x, rq, want, want2, &rs) < 0)
		goto out;
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
		output_json(obj);
	} else {
		printf("%s %s\n", verb, id);
	}
	ret = CLI_OK;
out:
	json_object_put(obj);
	client_response_free(&rs);
	return ret;
}

int
remote_delete(struct remote *x, const char *prefix, const char *id,
	      const char *key, const char *verb)
{
	struct client_request rq = { .method = "DELETE", .auth = 1 };
	char path[256];

	snprintf(path, sizeof(path), "%s%s", prefix, id);
	rq.path = path;
	return remote_report(x, &rq, 200, 204, id, key, verb);
}

int
remote_show(struct remote *x, const struct client_request *rq, int need_object)
{
	json_object *obj = NULL;
	int ret = CLI_FAIL;

	if (remote_call(x, rq, 200, 0, &obj) < 0)
		goto out;
	if (need_object && !json_object_is_type(obj, json_type_object)) {
		remote_fail(x, "the host's answer is not a JSON object");
		goto out;
	}
	output_answer(x->json, obj);
	ret = CLI_OK;
out:
	json_object_put(obj);
	return ret;
}

void
remote_row(json_object *item, const char *const *const *cols, size_t ncols)
{
	size_t i;

	for (i = 0; i < ncols; i++) {
		if (i)
			putchar(' ');
		output_value(cols[i][0], remote_member(item, cols[i]));
	}
	putchar('\n');
}

int
remote_list(struct remote *x, const char *path, const char *key,
	    void (*row)(json_object *item))
{
	struct client_request rq = { .method = "GET", .path = path, .auth = 1 };
	json_object *obj = NULL, *items = NULL;
	int ret = CLI_FAIL;
	size_t i;

	if (remote_call(x, &rq, 200, 0, &obj) < 0)
		goto out;
	if (json_object_is_type(obj, json_type_array))
		items = obj;
	else if (!json_object_object_get_ex(obj, key, &items) ||
		 !json_object_is_type(items, json_type_array)) {
		remote_fail(x, "the host's answer holds no '%s' list", key);
		goto out;
	}
	if (x->json)
		output_json(obj);
	else
		for (i = 0; i < json_object_array_length(items); i++)
			row(json_object_array_get_idx(items, i));
	ret = CLI_OK;
out:
	json_object_put(obj);
	return ret;
}
