/*
 * log.h: the daemon's log, one line per event on stderr (or syslog when
 * fnhostd runs detached), as "fnhostd: level=... key=value ...".
 *
 * Lines can not be forged: the format is the caller's own text, and every
 * %s argument, whatever it came from (a request path, a plugin's text, a
 * file name), is written through quote_bytes(), so no value carries a
 * control byte, a quote or a backslash into the line; and a value
 * outside the format's own quotes (path=%s, not msg="%s") through
 * quote_field(), so that its spaces can not add a "key=value" field.  The conversions
 * are printf's %s (with a precision, %.Ns), %c, %d, %i, %u, %x with no,
 * l, ll or z length, and %%; any other writes "?".  Callers never pass
 * input or output bytes, tokens or keys: only sizes, ids, statuses and
 * times.  Safe from any thread: each line is one write.
 */
#ifndef FNHOST_LOG_H
#define FNHOST_LOG_H

#include <stdarg.h>
#include <stddef.h>

enum log_level { LOG_LEVEL_ERROR, LOG_LEVEL_WARN, LOG_LEVEL_INFO };

/* Send lines to syslog(3) instead of stderr (after detaching). */
void log_use_syslog(void);

void log_msg(enum log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* The line log_msg() writes for fmt and ap, without the timestamp and
 * level, into out[outlen] (truncated, always terminated); for tests. */
void log_format(char *out, size_t outlen, const char *fmt, va_list ap);

#endif
