/*
 * test_routes.c: the route table and route_find().
 *
 * The table below restates the HTTP API's "who" column and the body each
 * route reads, independently of routes.c, so a route given the wrong
 * caller kind or body kind fails here and not in production.  Then every
 * entry is found for its method and a concrete path with its argument
 * extracted, and wrong methods and malformed paths ("//", a trailing
 * "/", extra or missing segments, an argument longer than the buffer)
 * find nothing.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "daemon/api.h"

#define ID "AAAAAAAAAAAAAAAAAAAAA1"

struct expect {
	const char *method;
	const char *pattern; /* as in routes.c */
	const char *path;    /* a concrete path for it */
	const char *arg;     /* what route_find() extracts */
	enum caller who;
	enum body_kind body;
};

/* clang-format off */
static const struct expect api[] = {
	{ "GET",    "/healthz",                  "/healthz",                        "",    CALLER_ANYONE,   BODY_NONE },
	{ "GET",    "/metrics",                  "/metrics",                        "",    CALLER_ADMIN,    BODY_NONE },
	{ "GET",    "/v1/key",                   "/v1/key",                         "",    CALLER_ANYONE,   BODY_NONE },
	{ "GET",    "/v1/openapi.json",          "/v1/openapi.json",                "",    CALLER_ANYONE,   BODY_NONE },
	{ "POST",   "/v1/key/rotate",            "/v1/key/rotate",                  "",    CALLER_ADMIN,    BODY_SMALL },
	{ "POST",   "/v1/functions",             "/v1/functions",                   "",    CALLER_ADMIN,    BODY_DEPLOY },
	{ "GET",    "/v1/functions",             "/v1/functions",                   "",    CALLER_ADMIN,    BODY_NONE },
	{ "GET",    "/v1/functions/{}",          "/v1/functions/" ID,               ID,    CALLER_ADMIN,    BODY_NONE },
	{ "DELETE", "/v1/functions/{}",          "/v1/functions/" ID,               ID,    CALLER_ADMIN,    BODY_NONE },
	{ "POST",   "/v1/functions/{}/tokens",   "/v1/functions/" ID "/tokens",     ID,    CALLER_ADMIN,    BODY_SMALL },
	{ "GET",    "/v1/functions/{}/versions", "/v1/functions/hs/versions",       "hs",  CALLER_ADMIN,    BODY_NONE },
	{ "PUT",    "/v1/functions/{}/alias",    "/v1/functions/hs@stable/alias",   "hs@stable", CALLER_ADMIN, BODY_SMALL },
	{ "DELETE", "/v1/functions/{}/alias",    "/v1/functions/hs@stable/alias",   "hs@stable", CALLER_ADMIN, BODY_NONE },
	{ "POST",   "/v1/functions/{}/rollback", "/v1/functions/hs@stable/rollback", "hs@stable", CALLER_ADMIN, BODY_NONE },
	{ "PUT",    "/v1/functions/{}/secrets",  "/v1/functions/hs/secrets",        "hs",  CALLER_ADMIN,    BODY_SMALL },
	{ "GET",    "/v1/functions/{}/secrets",  "/v1/functions/hs/secrets",        "hs",  CALLER_ADMIN,    BODY_NONE },
	{ "DELETE", "/v1/functions/{}/secrets",  "/v1/functions/hs/secrets",        "hs",  CALLER_ADMIN,    BODY_NONE },
	{ "GET",    "/v1/functions/{}/logs",     "/v1/functions/hs@stable/logs",    "hs@stable", CALLER_ADMIN, BODY_NONE },
	{ "GET",    "/v1/tokens",                "/v1/tokens",                      "",    CALLER_ADMIN,    BODY_NONE },
	{ "DELETE", "/v1/tokens/{}",             "/v1/tokens/00ff",                 "00ff", CALLER_ADMIN,   BODY_NONE },
	{ "POST",   "/v1/functions/{}/sessions", "/v1/functions/" ID "/sessions",   ID,    CALLER_TOKEN_ID, BODY_NONE },
	{ "POST",   "/v1/functions/{}/run",      "/v1/functions/" ID "/run",        ID,    CALLER_TOKEN_ID, BODY_INPUT },
	{ "POST",   "/v1/sessions/{}/invoke",    "/v1/sessions/s1/invoke",          "s1",  CALLER_TOKEN,    BODY_INPUT },
	{ "DELETE", "/v1/sessions/{}",           "/v1/sessions/s1",                 "s1",  CALLER_TOKEN,    BODY_NONE },
	{ "POST",   "/v1/trust",                 "/v1/trust",                       "",    CALLER_ADMIN,    BODY_SMALL },
	{ "GET",    "/v1/trust",                 "/v1/trust",                       "",    CALLER_ADMIN,    BODY_NONE },
	{ "DELETE", "/v1/trust/{}",              "/v1/trust/ABCD",                  "ABCD", CALLER_ADMIN,   BODY_NONE },
	{ "GET",    "/app/*",                    "/app/hide-and-seek/app.js",       "hide-and-seek/app.js", CALLER_ANYONE, BODY_NONE },
};
/* clang-format on */
#define API_COUNT (sizeof(api) / sizeof(api[0]))

static const struct expect *
expected(const struct route *r)
{
	size_t i;

	for (i = 0; i < API_COUNT; i++)
		if (!strcmp(api[i].method, r->method) &&
		    !strcmp(api[i].pattern, r->path))
			return &api[i];
	return NULL;
}

/* Every entry is one the API promises, with its caller and body; and
 * every promised route is in the table (no route missing, none extra). */
static void
test_table_is_the_api(void **state)
{
	const struct expect *e;
	size_t i, j;

	(void)state;
	assert_int_equal(route_count, API_COUNT);
	for (i = 0; i < route_count; i++) {
		e = expected(&route_table[i]);
		if (e == NULL)
			fail_msg("%s %s is no route of the API",
				 route_table[i].method, route_table[i].path);
		if (route_table[i].who != e->who)
			fail_msg("%s %s: caller %d, the API says %d", e->method,
				 e->pattern, route_table[i].who, e->who);
		if (route_table[i].body != e->body)
			fail_msg("%s %s: body %d, the API says %d", e->method,
				 e->pattern, route_table[i].body, e->body);
		assert_non_null(route_table[i].handle);
		/* One entry per method and pattern. */
		for (j = i + 1; j < route_count; j++)
			assert_false(!strcmp(route_table[i].method,
					     route_table[j].method) &&
				     !strcmp(route_table[i].path,
					     route_table[j].path));
	}
}

/* Each concrete path finds its own entry, and the argument. */
static void
test_find_each(void **state)
{
	const struct route *r;
	char arg[64];
	size_t i;

	(void)state;
	for (i = 0; i < API_COUNT; i++) {
		memset(arg, 'x', sizeof(arg));
		r = route_find(api[i].method, api[i].path, arg, sizeof(arg));
		if (r == NULL)
			fail_msg("%s %s found nothing", api[i].method,
				 api[i].path);
		assert_string_equal(r->method, api[i].method);
		assert_string_equal(r->path, api[i].pattern);
		assert_string_equal(arg, api[i].arg);
	}
}

/* A method no entry has for that path finds nothing. */
static void
test_wrong_method(void **state)
{
	static const char *const methods[] = { "GET", "POST",	 "DELETE",
					       "PUT", "PATCH",	 "HEAD",
					       "get", "OPTIONS", "" };
	const struct route *r;
	char arg[64];
	size_t i, m, k;
	int listed;

	(void)state;
	for (i = 0; i < API_COUNT; i++) {
		for (m = 0; m < sizeof(methods) / sizeof(methods[0]); m++) {
			listed = 0;
			for (k = 0; k < API_COUNT; k++)
				if (!strcmp(api[k].method, methods[m]) &&
				    !strcmp(api[k].path, api[i].path))
					listed = 1;
			r = route_find(methods[m], api[i].path, arg,
				       sizeof(arg));
			if (listed) {
				assert_non_null(r);
				continue;
			}
			if (r != NULL)
				fail_msg("%s %s found %s %s", methods[m],
					 api[i].path, r->method, r->path);
			assert_string_equal(arg, "");
		}
	}
}

static void
assert_nothing(const char *method, const char *url, size_t arglen)
{
	const struct route *r;
	char arg[64];

	assert_true(arglen <= sizeof(arg));
	memset(arg, 'x', sizeof(arg));
	r = route_find(method, url, arg, arglen);
	if (r != NULL)
		fail_msg("%s '%s' found %s %s", method, url, r->method,
			 r->path);
	assert_string_equal(arg, "");
}

/* Malformed paths: each one is a real path with one thing wrong. */
static void
test_malformed(void **state)
{
	(void)state;
	assert_nothing("GET", "", 64);
	assert_nothing("GET", "/", 64);
	assert_nothing("GET", "healthz", 64);
	assert_nothing("GET", "//healthz", 64);
	assert_nothing("GET", "/healthz/", 64);
	assert_nothing("GET", "/healthz/x", 64);
	assert_nothing("GET", "/v1//key", 64);
	assert_nothing("GET", "/v1/key/", 64);
	assert_nothing("GET", "/v1/functions/", 64);
	assert_nothing("GET", "/v1/functions//", 64);
	assert_nothing("GET", "/v1/functions/" ID "/", 64);
	assert_nothing("GET", "/v1/functions/" ID "/x", 64);
	assert_nothing("DELETE", "/v1/functions/" ID "//", 64);
	assert_nothing("POST", "/v1/functions//sessions", 64);
	assert_nothing("POST", "/v1/functions/" ID "/sessions/", 64);
	assert_nothing("POST", "/v1/functions/" ID "/sessions/x", 64);
	assert_nothing("POST", "/v1/functions/" ID "/tokens/x", 64);
	assert_nothing("POST", "/v1/sessions/s1", 64);
	assert_nothing("POST", "/v1/sessions//invoke", 64);
	assert_nothing("POST", "/v1/sessions/s1/invoke/", 64);
	assert_nothing("POST", "/v1/sessions/s1/invoke/x", 64);
	assert_nothing("DELETE", "/v1/sessions/s1/", 64);
	assert_nothing("DELETE", "/v1/sessions", 64);
	assert_nothing("DELETE", "/v1/trust", 64);
	assert_nothing("GET", "/v1/trust/ABCD", 64);
	assert_nothing("GET", "/v2/key", 64);
	assert_nothing("GET", "/V1/key", 64);
	assert_nothing("GET", "/v1/keys", 64);
	assert_nothing("GET", "/v1/ke", 64);
}

/* An argument must fit arglen with its NUL: one that fills it exactly
 * finds nothing, one a byte shorter is found whole. */
static void
test_argument_bound(void **state)
{
	const struct route *r;
	char arg[8];

	(void)state;
	assert_nothing("DELETE", "/v1/sessions/12345678", sizeof(arg));
	assert_nothing("POST", "/v1/sessions/12345678/invoke", sizeof(arg));
	assert_nothing("GET", "/v1/functions/" ID, sizeof(arg));
	r = route_find("DELETE", "/v1/sessions/1234567", arg, sizeof(arg));
	assert_non_null(r);
	assert_string_equal(r->path, "/v1/sessions/{}");
	assert_string_equal(arg, "1234567");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table_is_the_api),
		cmocka_unit_test(test_find_each),
		cmocka_unit_test(test_wrong_method),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_argument_bound),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
