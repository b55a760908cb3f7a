/* log.c: one line per event, every value escaped (see log.h). */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "base/quote.h"
#include "daemon/log.h"

/* Set when fnhostd detaches, which may be after the zygote and threads
 * exist: atomic, so no reader races the one writer. */
static atomic_bool to_syslog;

/* The longest value written: a request path or a plugin's line. */
#define VALUE_MAX 1024

void
log_use_syslog(void)
{
	openlog("fnhostd", LOG_PID | LOG_NDELAY, LOG_DAEMON);
	atomic_store(&to_syslog, true);
}

/* A line being written: out[len], never past cap - 1. */
struct line {
	char *out;
	size_t len, cap;
};

static void
put(struct line *l, const char *s, size_t n)
{
	size_t room = l->cap - 1 - l->len;

	if (n > room)
		n = room;
	memcpy(l->out + l->len, s, n);
	l->len += n;
	l->out[l->len] = '\0';
}

/* One integer conversion: conv with length (0, 'l', 'L' for ll, 'z'). */
static void
put_integer(struct line *l, char conv, char length, va_list *ap)
{
	char buf[32];
	bool sign = conv == 'd' || conv == 'i';
	const char *f = conv == 'x' ? "%llx" : sign ? "%lld" : "%llu";
	long long v;

	switch (length) {
	case 'l':
		v = sign ? va_arg(*ap, long)
			 : (long long)va_arg(*ap, unsigned long);
		break;
	case 'L':
		v = va_arg(*ap, long long);
		break;
	case 'z':
		v = (long long)va_arg(*ap, size_t);
		break;
	default:
		v = sign ? va_arg(*ap, int) : (long long)va_arg(*ap, unsigned);
		break;
	}
	snprintf(buf, sizeof(buf), f, v);
	put(l, buf, strlen(buf));
}

/* %s, %.Ns and %.*s: the string, quoted. */
static void
put_string(struct line *l, int precision, va_list *ap)
{
	const char *s = va_arg(*ap, const char *);
	char q[4 * VALUE_MAX + QUOTE_MIN];
	size_t n;

	if (!s)
		s = "(null)";
	n = precision >= 0 ? strnlen(s, (size_t)precision) : strlen(s);
	if (n > VALUE_MAX)
		n = VALUE_MAX;
	quote_bytes(q, sizeof(q), s, n);
	put(l, q, strlen(q));
}

void
log_format(char *out, size_t outlen, const char *fmt, va_list ap)
{
	struct line l = { .out = out, .cap = outlen };
	const char *p = fmt, *pct;
	int precision;
	char length, c;
	va_list aq;

	if (!outlen)
		return;
	out[0] = '\0';
	va_copy(aq, ap);
	while ((pct = strchr(p, '%')) != NULL) {
		put(&l, p, (size_t)(pct - p));
		p = pct + 1;
		precision = -1;
		length = 0;
		if (*p == '.') {
			p++;
			if (*p == '*') {
				precision = va_arg(aq, int);
				p++;
			} else {
				for (precision = 0; *p >= '0' && *p <= '9'; p++)
					precision = precision * 10 + (*p - '0');
			}
		}
		if (*p == 'l' && p[1] == 'l') {
			length = 'L';
			p += 2;
		} else if (*p == 'l' || *p == 'z') {
			length = *p++;
		}
		c = *p ? *p++ : '\0';
		if (c == 's')
			put_string(&l, precision, &aq);
		else if (c == 'd' || c == 'i' || c == 'u' || c == 'x')
			put_integer(&l, c, length, &aq);
		else if (c == 'c') {
			char ch = (char)va_arg(aq, int), q[8];

			quote_bytes(q, sizeof(q), &ch, 1);
			put(&l, q, strlen(q));
		} else if (c == '%')
			put(&l, "%", 1);
		else
			put(&l, "?", 1); /* a conversion log.h does not name */
		if (!c)
			break;
	}
	put(&l, p, strlen(p));
	va_end(aq);
}

void
log_msg(enum log_level level, const char *fmt, ...)
{
	static const char *const names[] = { "error", "warn", "info" };
	static const int prio[] = { LOG_ERR, LOG_WARNING, LOG_INFO };
	char line[4096], ts[32];
	struct timespec now;
	struct tm tm;
	va_list ap;

	va_start(ap, fmt);
	log_format(line, sizeof(line), fmt, ap);
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
