/*
 * cors.c: preflights and CORS headers (see cors.h).
 */
#include <string.h>

#include "daemon/api.h"
#include "daemon/cors.h"

/* What the API reads from a request besides its body. */
#define CORS_ALLOW_HEADERS                                                     \
	"Authorization, Content-Type, Fnhost-Function-Checksum"
/* What a page needs to check an answer's attestation itself. */
#define CORS_EXPOSE_HEADERS                                                    \
	"Fnhost-Function-Checksum, Fnhost-Input-Sha256, "                      \
	"Fnhost-Output-Sha256, Fnhost-Attestation"
/* A preflight's answer may be reused this long (seconds). */
#define CORS_MAX_AGE "600"

bool
cors_origin_allowed(const struct config *cfg, const char *origin)
{
	const char *p = cfg->cors_origins, *end;
	size_t n;

	if (!origin || !*origin)
		return false;
	n = strlen(origin);
	while (*p) {
		while (*p == ' ' || *p == '\t')
			p++;
		end = p + strcspn(p, " \t");
		if ((size_t)(end - p) == n && !memcmp(p, origin, n))
			return true;
		p = end;
	}
	return false;
}

static const char *
origin_of(struct MHD_Connection *c)
{
	return MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Origin");
}

bool
cors_preflight(const struct config *cfg, struct MHD_Connection *c,
	       const char *method, const char *url, struct reply *rep)
{
	const char *origin = origin_of(c);
	char methods[128];

	if (strcmp(method, "OPTIONS") != 0)
		return false;
	if (route_methods(url, methods, sizeof(methods)) == 0) {
		reply_error(rep, ERR_NOT_FOUND, "no route OPTIONS %.200s", url);
		return true;
	}
	if (!cors_origin_allowed(cfg, origin)) {
		reply_error(rep, ERR_FORBIDDEN,
			    "origin %.200s is not in cors_origins",
			    origin ? origin : "(none)");
		return true;
	}
	reply_empty(rep, 204);
	if (!rep->resp)
		return true;
	MHD_add_response_header(rep->resp, "Access-Control-Allow-Methods",
				methods);
	MHD_add_response_header(rep->resp, "Access-Control-Allow-Headers",
				CORS_ALLOW_HEADERS);
	MHD_add_response_header(rep->resp, "Access-Control-Max-Age",
				CORS_MAX_AGE);
	return true;
}

void
cors_decorate(const struct config *cfg, struct MHD_Connection *c,
	      struct MHD_Response *resp)
{
	const char *origin = origin_of(c);

	/* Caches must not hand one origin's answer to another. */
	MHD_add_response_header(resp, "Vary", "Origin");
	if (!cors_origin_allowed(cfg, origin))
		return;
	MHD_add_response_header(resp, "Access-Control-Allow-Origin", origin);
	MHD_add_response_header(resp, "Access-Control-Expose-Headers",
				CORS_EXPOSE_HEADERS);
}
