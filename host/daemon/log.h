/*
 * log.h: the daemon's log, one line per event on stderr (or syslog when
 * fnhostd runs detached), as "fnhostd: level=... key=value ...".
 *
 * Callers never pass input or output bytes, tokens or keys: only sizes,
 * ids, statuses and times.  Safe from any thread: each line is one write.
 */
#ifndef FNHOST_LOG_H
#define FNHOST_LOG_H

enum log_level { LOG_LEVEL_ERROR, LOG_LEVEL_WARN, LOG_LEVEL_INFO };

/* Send lines to syslog(3) instead of stderr (after detaching). */
void log_use_syslog(void);

void log_msg(enum log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
