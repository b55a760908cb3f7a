/* log.c: one line per event (see log.h). */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <syslog.h>
#include <time.h>

#include "daemon/log.h"

/* Set when fnhostd detaches, which may be after the zygote and threads
 * exist: atomic, so no reader races the one writer. */
static atomic_bool to_syslog;

void
log_use_syslog(void)
{
	openlog("fnhostd", LOG_PID | LOG_NDELAY, LOG_DAEMON);
	atomic_store(&to_syslog, true);
}

void
log_msg(enum log_level level, const char *fmt, ...)
{
	static const char *const names[] = { "error", "warn", "info" };
	static const int prio[] = { LOG_ERR, LOG_WARNING, LOG_INFO };
	char line[2048], ts[32];
	struct timespec now;
	struct tm tm;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (atomic_load(&to_syslog)) {
		syslog(prio[level], "level=%s %s", names[level], line);
		return;
	}
	clock_gettime(CLOCK_REALTIME, &now);
	gmtime_r(&now.tv_sec, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
	fprintf(stderr, "fnhostd: ts=%s.%03ldZ level=%s %s\n", ts,
		now.tv_nsec / 1000000, names[level], line);
}
