/*
 * remote.h: one invocation of a client subcommand, the kind that talks to
 * fnhostd: its options, its client, its calls and how it reports them.
 *
 * A subcommand is a struct remote_spec whose run() gets a struct remote
 * with every option parsed and the client set up (the URL and token from
 * -u/-t, the environment or the config file: client_init()).  Every one of
 * them takes -u, -t, -o text|json, --timeout S, --insecure and -h; spec's
 * takes names the other options it accepts, and any other is a usage
 * error.  run() returns the exit status (cli.h) and fails through
 * remote_fail(), one line "fnhost <name>: <reason>".  Helpers here that
 * return -1 have printed that line already.
 */
#ifndef FNHOST_REMOTE_H
#define FNHOST_REMOTE_H

#include <json-c/json.h>
#include <stddef.h>

#include "cli/client.h"

/* Per-request limits: deploys move up to BUNDLE_MAX_BYTES. */
#define REMOTE_TIMEOUT_MS 60000L
#define REMOTE_TIMEOUT_DEPLOY_MS 600000L

/* Options beyond the shared ones that a subcommand takes. */
#define TAKES_CHECKSUM 1u  /* -c CHECKSUM, --checksum (run) */
#define TAKES_TTL 2u	   /* --ttl S (token create) */
#define TAKES_PIN 4u	   /* --pin CHECKSUM (token create) */
#define TAKES_KEYFILE 8u   /* -k KEYFILE, the host's keys (encrypt, run) */
#define TAKES_SEAL 16u	   /* --encrypt, --verify (run) */
#define TAKES_KEEP 32u	   /* --keep DURATION (key rotate) */
#define TAKES_FUNCTION 64u /* -f ID, --function (encrypt) */
#define TAKES_FOLLOW 128u  /* -f, --follow without a value (logs) */

struct remote;

struct remote_spec {
	const char *name;  /* in messages: "token create" */
	const char *usage; /* after "usage: fnhost " */
	int min_args;	   /* positional arguments */
	int max_args;	   /* -1: no limit */
	unsigned takes;
	long timeout_ms;	      /* default per-request limit */
	int (*run)(struct remote *x); /* NULL: it only has verbs */
	/* Verbs ("token create"), named by the last word of their name:
	 * argv[1] picks one; else run(), or with no run() a usage error
	 * ("-h": the usage on stdout). */
	const struct remote_spec *verbs;
	size_t nverbs;
};

struct remote {
	const struct remote_spec *sp;
	struct client_options co;
	int json;	      /* -o json */
	char checksum[65];    /* -c or --pin, lower-case; "" when not given */
	long ttl;	      /* --ttl, in seconds; -1 when not given */
	const char *keyfile;  /* -k: the host's keys, else GET /v1/key */
	int encrypt;	      /* --encrypt: encrypted invokes */
	int verify;	      /* --verify: check every attestation */
	long keep;	      /* --keep, in seconds; -1 when not given */
	const char *function; /* -f: a function id; NULL when not given */
	int follow;	      /* -f, --follow of logs */
	char **args;	      /* the positional arguments */
	int nargs;
	struct client c;
	int have_client;
	char err[1024]; /* scratch room for reasons */
};

/* The client subcommands, for fnhost.c to dispatch: deploy, list, show
 * and delete in cmd-functions.c, token in cmd-tokens.c, run in cmd-run.c,
 * key and encrypt in cmd-keys.c, trust in cmd-trust.c. */
extern const struct remote_spec deploy_cmd, list_cmd, show_cmd, delete_cmd;
extern const struct remote_spec token_cmd, run_cmd, key_cmd, encrypt_cmd;
extern const struct remote_spec trust_cmd;
/* versions, alias and rollback in cmd-versions.c */
extern const struct remote_spec versions_cmd, alias_cmd, rollback_cmd;
/* secret in cmd-secrets.c, logs in cmd-logs.c */
extern const struct remote_spec secret_cmd, logs_cmd;

/* Run sp with its own argv (argv[0] is its name): pick its verb, parse
 * the options, set up the client, call sp->run() and clean up.  Returns
 * the exit status. */
int remote_main(const struct remote_spec *sp, int argc, char **argv);

/* Print "fnhost <name>: <message>" to stderr; returns -1. */
int remote_fail(const struct remote *x, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* A function checksum: 64 hex digits, kept in lower case.  Returns 0 or
 * -1 (nothing printed). */
int remote_checksum_parse(const char *s, char out[65]);

/* Check an id from the command line (what: "function id") before it
 * becomes a path segment (client_id_check()). */
int remote_id_check(const struct remote *x, const char *what, const char *id);

/* Make rq; an answer whose status is neither want nor want2 (0: no
 * second) fails with the host's error message.  rs is always safe to
 * free afterwards. */
int remote_exchange(struct remote *x, const struct client_request *rq,
		    long want, long want2, struct client_response *rs);
/* The answer's status, checked as remote_exchange() does. */
int remote_status(const struct remote *x, const struct client_response *rs,
		  long want, long want2);
/* remote_exchange() whose answer must be JSON, into *json (free it with
 * json_object_put()). */
int remote_call(struct remote *x, const struct client_request *rq, long want,
		long want2, json_object **json);

/* The first of the members names (NULL-terminated) that obj has, not
 * null; NULL when obj is no object or has none of them. */
json_object *remote_member(json_object *obj, const char *const *names);
/* obj's member name when it is a string, else NULL. */
const char *remote_string(json_object *obj, const char *name);

/* Make rq, whose answer must be want or want2, and report it: in text
 * "<verb> <id>"; with -o json the host's JSON answer, or {"<key>":id,
 * "<verb>":true} when it has no JSON body (a 204).  Returns the exit
 * status. */
int remote_report(struct remote *x, const struct client_request *rq, long want,
		  long want2, const char *id, const char *key,
		  const char *verb);
/* DELETE prefix + id (an id already checked) and remote_report() it. */
int remote_delete(struct remote *x, const char *prefix, const char *id,
		  const char *key, const char *verb);

/* Make rq, whose answer must be 200 and JSON, and print it as
 * output_answer() does; with need_object, an answer that is no JSON
 * object fails.  Returns the exit status. */
int remote_show(struct remote *x, const struct client_request *rq,
		int need_object);

/* Print item's columns on one line, separated by spaces, "-" for those it
 * lacks.  A column is the member names that may hold it (remote_member()),
 * the first also naming it for output_value(). */
void remote_row(json_object *item, const char *const *const *cols,
		size_t ncols);

/* GET path, whose answer is an array or holds one under key: -o json
 * prints the answer as it is, text calls row() for each item.  Returns
 * the exit status. */
int remote_list(struct remote *x, const char *path, const char *key,
		void (*row)(json_object *item));

#endif
