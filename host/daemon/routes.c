/*
 * routes.c: every route of fnhostd, who may call it and what body it
 * reads, in one table (see api.h).
 *
 * http.c authenticates a caller from its route's entry before it reads
 * any byte of the body, and sizes the body by the entry's kind, so this
 * table is the whole answer to "who can make the host do what".  A path
 * is matched segment by segment; "{}" matches one segment, which the
 * handler gets as its argument, and a last "*" the rest of the path,
 * slashes and all (the static files under /app/, see static.h).  A
 * handler that waits on a worker or on the disk (fsync, a directory
 * listing) runs on a handler thread while its connection is suspended,
 * so that no event thread ever blocks.  A route that waits only some of
 * the time (RUNS_TRY_INLINE) has a second handler, its try, that answers
 * on the event thread when it can from memory alone and otherwise
 * declines, having changed nothing, to the handler thread: the try may
 * not block (no disk, no worker, no wait on a lock held across I/O).
 */
#include <stdio.h>
#include <string.h>

#include "daemon/api.h"

/* clang-format off */
const struct route route_table[] = {
	/* method   path                         caller           body
	 *          runs          handler, its try on the event thread */
	{ "GET",    "/healthz",                  CALLER_ANYONE,   BODY_NONE,
		    RUNS_INLINE,  api_healthz, NULL },
	{ "GET",    "/metrics",                  CALLER_ADMIN,    BODY_NONE,
		    RUNS_INLINE,  api_metrics, NULL },
	{ "GET",    "/v1/key",                   CALLER_ANYONE,   BODY_NONE,
		    RUNS_INLINE,  api_key, NULL },
	{ "GET",    "/v1/openapi.json",          CALLER_ANYONE,   BODY_NONE,
		    RUNS_INLINE,  api_openapi, NULL },
	{ "POST",   "/v1/key/rotate",            CALLER_ADMIN,    BODY_SMALL,
		    RUNS_WAITING, api_key_rotate, NULL },

	{ "POST",   "/v1/functions",             CALLER_ADMIN,    BODY_DEPLOY,
		    RUNS_WAITING, api_deploy, NULL },
	{ "GET",    "/v1/functions",             CALLER_ADMIN,    BODY_NONE,
		    RUNS_WAITING, api_function_list, NULL },
	{ "GET",    "/v1/functions/{}",          CALLER_ADMIN,    BODY_NONE,
		    RUNS_WAITING, api_function_show, NULL },
	{ "DELETE", "/v1/functions/{}",          CALLER_ADMIN,    BODY_NONE,
		    RUNS_WAITING, api_function_delete, NULL },
	{ "POST",   "/v1/functions/{}/tokens",   CALLER_ADMIN,    BODY_SMALL,
		    RUNS_WAITING, api_token_create, NULL },
	{ "GET",    "/v1/functions/{}/versions", CALLER_ADMIN,    BODY_NONE,
		    RUNS_WAITING, api_version_list, NULL },
	{ "PUT",    "/v1/functions/{}/alias",    CALLER_ADMIN,    BODY_SMALL,
		    RUNS_WAITING, api_alias_set, NULL },
	{ "DELETE", "/v1/functions/{}/alias",    CALLER_ADMIN,    BODY_NONE,
		    RUNS_WAITING, api_alias_delete, NULL },
	{ "POST",   "/v1/functions/{}/rollback", CALLER_ADMIN,    BODY_NONE,
		    RUNS_WAITING, api_rollback, NULL },
	{ "PUT",    "/v1/functions/{}/secrets",  CALLER_ADMIN,    BODY_SMALL,
		    RUNS_WAITING, api_secret_set, NULL },
	{ "GET",    "/v1/functions/{}/secrets",  CALLER_ADMIN,    BODY_NONE,
		    RUNS_WAITING, api_secret_list, NULL },
	{ "DELETE", "/v1/functions/{}/secrets",  CALLER_ADMIN,    BODY_NONE,
		    RUNS_WAITING, api_secret_delete, NULL },
	{ "GET",    "/v1/functions/{}/logs",     CALLER_ADMIN,    BODY_NONE,
		    RUNS_WAITING, api_function_logs, NULL },
	{ "GET",    "/v1/tokens",                CALLER_ADMIN,    BODY_NONE,
		    RUNS_WAITING, api_token_list, NULL },
	{ "DELETE", "/v1/tokens/{}",             CALLER_ADMIN,    BODY_NONE,
		    RUNS_WAITING, api_token_revoke, NULL },

	{ "POST",   "/v1/functions/{}/sessions", CALLER_TOKEN_ID, BODY_NONE,
		    RUNS_TRY_INLINE, api_session_open,
		    api_session_open_try },
	{ "POST",   "/v1/functions/{}/run",      CALLER_TOKEN_ID, BODY_INPUT,
		    RUNS_WAITING, api_run, NULL },
	{ "POST",   "/v1/sessions/{}/invoke",    CALLER_TOKEN,    BODY_INPUT,
		    RUNS_WAITING, api_session_invoke, NULL },
	{ "DELETE", "/v1/sessions/{}",           CALLER_TOKEN,    BODY_NONE,
		    RUNS_TRY_INLINE, api_session_close,
		    api_session_close_try },

	{ "POST",   "/v1/trust",                 CALLER_ADMIN,    BODY_SMALL,
		    RUNS_WAITING, api_trust_add, NULL },
	{ "GET",    "/v1/trust",                 CALLER_ADMIN,    BODY_NONE,
		    RUNS_INLINE,  api_trust_list, NULL },
	{ "DELETE", "/v1/trust/{}",              CALLER_ADMIN,    BODY_NONE,
		    RUNS_WAITING, api_trust_remove, NULL },

	{ "GET",    "/app/*",                    CALLER_ANYONE,   BODY_NONE,
		    RUNS_WAITING, api_static, NULL },
};
/* clang-format on */
const size_t route_count = sizeof(route_table) / sizeof(route_table[0]);

/* The next segment of *p (which starts after a '/'), its length in *len;
 * *p moves past it and its '/'.  Returns NULL at the end. */
static const char *
next_segment(const char **p, size_t *len)
{
	const char *s = *p, *slash;

	if (!*s)
		return NULL;
	slash = strchr(s, '/');
	*len = slash ? (size_t)(slash - s) : strlen(s);
	*p = slash ? slash + 1 : s + *len;
	return s;
}

/* Whether url matches pattern; the "{}" segment goes to arg.  A url
 * whose segments are empty ("//", a trailing "/") matches nothing. */
static int
path_match(const char *pattern, const char *url, char *arg, size_t arglen)
{
	const char *ps, *us;
	size_t pl, ul;

	if (*pattern++ != '/' || *url++ != '/')
		return 0;
	for (;;) {
		ps = next_segment(&pattern, &pl);
		us = next_segment(&url, &ul);
		if (ps && pl == 1 && *ps == '*' && !ps[1]) {
			/* the rest, with its slashes; the handler checks it */
			ul = strlen(us ? us : "");
			if (!us || ul == 0 || ul >= arglen)
				return 0;
			memcpy(arg, us, ul + 1);
			return 1;
		}
		if (!ps || !us)
			return !ps && !us;
		if (ul == 0 || (us[ul] == '/' && us[ul + 1] == '\0'))
			return 0;
		if (pl == 2 && !memcmp(ps, "{}", 2)) {
			if (ul >= arglen)
				return 0;
			memcpy(arg, us, ul);
			arg[ul] = '\0';
		} else if (pl != ul || memcmp(ps, us, ul) != 0) {
			return 0;
		}
	}
}

size_t
route_methods(const char *url, char *buf, size_t len)
{
	char arg[256];
	size_t i, n = 0, used = 0;
	int w;

	buf[0] = '\0';
	for (i = 0; i < route_count; i++) {
		if (!path_match(route_table[i].path, url, arg, sizeof(arg)))
			continue;
		w = snprintf(buf + used, len - used, "%s%s", n ? ", " : "",
			     route_table[i].method);
		if (w < 0 || (size_t)w >= len - used)
			break;
		used += (size_t)w;
		n++;
	}
	return n;
}

const struct route *
route_find(const char *method, const char *url, char *arg, size_t arglen)
{
	size_t i;

	for (i = 0; i < route_count; i++) {
		arg[0] = '\0';
		if (!strcmp(route_table[i].method, method) &&
		    path_match(route_table[i].path, url, arg, arglen))
			return &route_table[i];
	}
	arg[0] = '\0';
	return NULL;
}
