/*
 * err.h: what went wrong, as a kind and a one-line reason.
 *
 * Below the HTTP layer a failing function returns a negated kind (so
 * every "rc < 0" test keeps working, kernel style) and writes a one-line
 * reason into the caller's err[errlen].  A plain -1 reads as
 * ERR_INTERNAL.  Only the HTTP layer turns a kind into a status and a
 * JSON error code (daemon/api.c); nothing below it speaks HTTP, and no
 * caller picks a kind by reading the reason's English text.
 */
#ifndef FNHOST_ERR_H
#define FNHOST_ERR_H

#include <stdarg.h>
#include <stddef.h>

enum err_kind {
	ERR_OK = 0,
	ERR_INTERNAL = 1, /* a bug, or out of memory: must stay 1 (= -1) */
	ERR_IO,		  /* storage or a system call failed */
	ERR_INVALID,	  /* a malformed request or value */
	ERR_BAD_BUNDLE,	  /* a bundle that does not verify */
	ERR_BAD_KEY,	  /* a publisher key that does not parse */
	ERR_UNTRUSTED,	  /* well-formed, signed by no trusted key */
	ERR_UNAUTHORIZED, /* no credential, or one that does not verify */
	ERR_FORBIDDEN,	  /* a valid credential that does not reach this */
	ERR_NOT_FOUND,	  /* no such function, token, key or route */
	ERR_NO_SESSION,	  /* no such session, or it has ended */
	ERR_CONFLICT,	  /* a checksum pin that does not match */
	ERR_TOO_LARGE,	  /* a body, input, output or bundle over its limit */
	ERR_LIMIT,	  /* over a concurrency limit: try again later */
	ERR_DRAINING,	  /* the host is shutting down */
	ERR_FUNCTION,	  /* the function reported an error (its text) */
	ERR_REFUSED,	  /* the plugin could not be loaded or initialised */
	ERR_CRASHED,	  /* the worker died; the session is gone */
	ERR_TIMEOUT,	  /* past a time limit; the worker was killed */
	/* A cluster's kinds. */
	ERR_MISDIRECTED, /* a session id naming another node of the cluster */
	ERR_UNAVAILABLE, /* the shared registry (PostgreSQL) cannot be reached */
	ERR_METHOD, /* a route's path, asked with a method it does not take */
};
#define ERR_KIND_LAST ERR_METHOD
#define ERR_KIND_COUNT (ERR_KIND_LAST + 1)

/* Format the reason into err[errlen] (truncated, always terminated; err
 * may be NULL when errlen is 0) and return -(int)kind, for
 * "return err_set(err, errlen, ERR_NOT_FOUND, "no function '%s'", id);". */
int err_set(char *err, size_t errlen, enum err_kind kind, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* err_set() over a va_list, for a layer's own variadic error helpers;
 * leaves ap to the caller's va_end(). */
int err_vset(char *err, size_t errlen, enum err_kind kind, const char *fmt,
	     va_list ap) __attribute__((format(printf, 4, 0)));

/* The kind a return value carries: ERR_OK for rc >= 0, ERR_INTERNAL for
 * a value that is no kind. */
enum err_kind err_kind_of(int rc);

/* A short stable name of a kind for logs and metrics ("not_found"). */
const char *err_kind_name(enum err_kind kind);

#endif
