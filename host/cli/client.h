/*
 * client.h: the fnhost command's HTTP client for fnhostd's /v1 API.
 *
 * A struct client holds where the host is and the token to present; each
 * client_call() is one request on its own libcurl easy handle, so nothing
 * (connections, cookies, redirects) carries over between calls.  Only
 * http and https are spoken, redirects are never followed, the connect
 * takes at most CLIENT_CONNECT_TIMEOUT_MS, the whole call at most the
 * configured timeout, and a response body beyond CLIENT_MAX_RESPONSE
 * bytes aborts the call.  Error statuses are answers, not failures: the
 * caller reads the status and the {"error":{"code","message"}} body.
 * A bearer token is never sent over plain http to a host that is not a
 * loopback address unless the user said --insecure.
 */
#ifndef FNHOST_CLIENT_H
#define FNHOST_CLIENT_H

#include <json-c/json.h>
#include <stddef.h>
#include <stdint.h>

#define CLIENT_DEFAULT_URL "http://127.0.0.1:8080"
#define CLIENT_MAX_URL 2048
#define CLIENT_MAX_TOKEN 8192
#define CLIENT_MAX_RESPONSE (64u << 20)
#define CLIENT_CONNECT_TIMEOUT_MS 10000L
/* Response headers kept: the Fnhost-* ones, each at most this long. */
#define CLIENT_MAX_HEADERS 16
#define CLIENT_HEADER_NAME_MAX 64
#define CLIENT_HEADER_VALUE_MAX 512

/* What the user gave on the command line; NULL or 0 when not given. */
struct client_options {
	const char *url;   /* -u URL */
	const char *token; /* -t TOKEN or -t @FILE */
	long timeout_ms;   /* whole-call limit; 0: no limit */
	int insecure;	   /* allow a token over http to a remote host */
};

struct client {
	char url[CLIENT_MAX_URL + 1];	  /* base URL, no trailing '/' */
	char token[CLIENT_MAX_TOKEN + 1]; /* "" when there is none */
	long timeout_ms;
	int insecure;
	int remote_http; /* plain http to a non-loopback host */
};

/* One multipart/form-data part whose bytes are read from an open fd
 * (from offset 0, size bytes); name is both the part name and filename. */
struct client_part {
	const char *name;
	int fd;
	uint64_t size;
};

struct client_request {
	const char *method;	  /* "GET", "POST" or "DELETE" */
	const char *path;	  /* "/v1/...", segments already safe */
	int auth;		  /* present the token (if there is one) */
	const char *content_type; /* of body; NULL for none */
	const void *body;	  /* POST body, body_len bytes */
	size_t body_len;
	const struct client_part *parts; /* multipart instead of body */
	size_t nparts;
	const char *checksum; /* Fnhost-Function-Checksum, or NULL */
	/* When set, a 200 answer's body goes to on_body piece by piece as
	 * it arrives (a followed log) and is not kept in the response;
	 * another status's body is kept as always, for its error. */
	void (*on_body)(void *ctx, const char *data, size_t len);
	void *on_body_ctx;
};

struct client_header {
	char name[CLIENT_HEADER_NAME_MAX];
	char value[CLIENT_HEADER_VALUE_MAX];
};

struct client_response {
	long status;
	char *body; /* len bytes and a NUL; not NULL after a call */
	size_t len;
	size_t nheaders;
	struct client_header headers[CLIENT_MAX_HEADERS];
};

/* Resolve the URL and token: each from o, else the environment
 * (FNHOST_URL, FNHOST_TOKEN; empty counts as unset), else the config file
 * ($XDG_CONFIG_HOME or ~/.config, then fnhost/config: "url = ...",
 * "token = ..." lines, '#' comments), else CLIENT_DEFAULT_URL and no
 * token.  A token "@FILE" is read from FILE (its first line; relative to
 * the config file's directory when it comes from there).  Checks the URL
 * (http or https, a host, no query or fragment) and the token (visible
 * ASCII).  Also sets up libcurl; call client_free() at the end.  Returns
 * 0, or -1 with a one-line reason in err. */
int client_init(struct client *c, const struct client_options *o, char *err,
		size_t errlen);
/* Wipe the token and release libcurl. */
void client_free(struct client *c);

/* Make one request.  Returns 0 when an answer came back (any status; fill
 * rs, free it with client_response_free()), or -1 with a one-line reason
 * when none did: refused token, unreachable host, timeout, oversized or
 * malformed response.  rs is always safe to free afterwards. */
int client_call(const struct client *c, const struct client_request *rq,
		struct client_response *rs, char *err, size_t errlen);
void client_response_free(struct client_response *rs);

/* The value of response header name (case-insensitive; Fnhost-* only), or
 * NULL. */
const char *client_header(const struct client_response *rs, const char *name);

/* The body as JSON (at most 64 levels deep, nothing but white space after
 * it), or NULL with a reason in err.  Free with json_object_put(). */
json_object *client_json(const struct client_response *rs, char *err,
			 size_t errlen);

/* The error an answer carries: message and code from its
 * {"error":{"code","message"}} body, copied exactly (truncated to fit);
 * when the body has none, message says "the host answered HTTP <status>"
 * and code is "".  */
void client_error(const struct client_response *rs, char *code, size_t codelen,
		  char *message, size_t msglen);

/* The same message made fit for one line of a terminal: control bytes
 * become spaces, at most 300 bytes. */
void client_error_line(const struct client_response *rs, char *buf, size_t len);

/* Replace control bytes in s (NUL-terminated) with '?', so text from the
 * host can not move the cursor or forge lines; returns s. */
char *client_sanitize(char *s);

/* Check an id that becomes a path segment (function id, session id, jti,
 * key id, NAME@ALIAS): 1 to 128 bytes of [A-Za-z0-9._~+@-], not "." or
 * "..".  Returns 0 or -1. */
int client_id_check(const char *id);

#endif
