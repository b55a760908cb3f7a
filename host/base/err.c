/* err.c: error kinds and reasons (see err.h). */
#include <stdarg.h>
#include <stdio.h>

#include "base/err.h"

int
err_vset(char *err, size_t errlen, enum err_kind kind, const char *fmt,
	 va_list ap)
{
	if (err != NULL && errlen > 0)
		vsnprintf(err, errlen, fmt, ap);
	return -(int)kind;
}

int
err_set(char *err, size_t errlen, enum err_kind kind, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = err_vset(err, errlen, kind, fmt, ap);
	va_end(ap);
	return rc;
}

enum err_kind
err_kind_of(int rc)
{
	if (rc >= 0)
		return ERR_OK;
	if (rc < -(int)ERR_KIND_LAST)
		return ERR_INTERNAL;
	return (enum err_kind)(-rc);
}

const char *
err_kind_name(enum err_kind kind)
{
	static const char *const names[ERR_KIND_COUNT] = {
		[ERR_OK] = "ok",
		[ERR_INTERNAL] = "internal",
		[ERR_IO] = "io",
		[ERR_INVALID] = "invalid",
		[ERR_BAD_BUNDLE] = "bad_bundle",
		[ERR_BAD_KEY] = "bad_key",
		[ERR_UNTRUSTED] = "untrusted",
		[ERR_UNAUTHORIZED] = "unauthorized",
		[ERR_FORBIDDEN] = "forbidden",
		[ERR_NOT_FOUND] = "not_found",
		[ERR_NO_SESSION] = "no_session",
		[ERR_CONFLICT] = "conflict",
		[ERR_TOO_LARGE] = "too_large",
		[ERR_LIMIT] = "limit",
		[ERR_DRAINING] = "draining",
		[ERR_FUNCTION] = "function_error",
		[ERR_REFUSED] = "refused",
		[ERR_CRASHED] = "crashed",
		[ERR_TIMEOUT] = "timeout",
		[ERR_MISDIRECTED] = "misdirected",
		[ERR_UNAVAILABLE] = "unavailable",
		[ERR_METHOD] = "method",
	};

	return (unsigned)kind < ERR_KIND_COUNT ? names[kind] : "internal";
}
