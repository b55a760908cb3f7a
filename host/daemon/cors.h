/*
 * cors.h: Cross-Origin Resource Sharing for browser apps hosted elsewhere.
 *
 * Only the origins that fnhost.conf's cors_origins lists (exact,
 * scheme://host[:port]; none by default) are let in; a request from any
 * other origin gets no CORS header, so a browser keeps its answer from
 * the page.  The two hooks are all the transport (http.c) calls:
 *
 *  - cors_preflight() answers an OPTIONS request from its head alone,
 *    from the route table (routes.c): Allow-Methods names only the
 *    methods the path has, Allow-Headers only what the API reads
 *    (Authorization, Content-Type, Fnhost-Function-Checksum).  A path
 *    with no route is 404; an origin not listed 403.
 *  - cors_decorate() adds Access-Control-Allow-Origin (the request's own
 *    origin, never "*", since requests carry a bearer token) and exposes
 *    the Fnhost-* attestation headers to every answer to a listed origin.
 *
 * Both only read the configuration, so they are safe from any thread.
 */
#ifndef FNHOST_CORS_H
#define FNHOST_CORS_H

#include <microhttpd.h>
#include <stdbool.h>

#include "formats/config.h"

struct reply;

/* Whether origin (NULL: none) is one of cfg's cors_origins. */
bool cors_origin_allowed(const struct config *cfg, const char *origin);

/* When method is OPTIONS, answer the preflight for url into rep and
 * return true; else return false and leave rep alone. */
bool cors_preflight(const struct config *cfg, struct MHD_Connection *c,
		    const char *method, const char *url, struct reply *rep);

/* Add the CORS headers to resp when c's Origin is allowed. */
void cors_decorate(const struct config *cfg, struct MHD_Connection *c,
		   struct MHD_Response *resp);

#endif
