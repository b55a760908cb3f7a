/* log.c: one line per event, every value escaped (see log.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

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

/* v's digits in base (10 or 16, lower case), with a '-' if neg, at the
 * end of buf[32]; returns where they start. */
static char *
digits(char buf[32], unsigned long long v, unsigned base, bool neg)
{
	char *p = buf + 32;

	do {
		*--p = "0123456789abcdef"[v % base];
		v /= base;
	} while (v);
	if (neg)
		*--p = '-';
	return p;
}

/* One integer conversion: conv with length (0, 'l', 'L' for ll, 'z'),
 * as printf writes it; by hand, since a line per request made snprintf
 * a visible cost. */
static void
put_integer(struct line *l, char conv, char length, va_list *ap)
{
	char buf[32], *p;
	bool sign = conv == 'd' || conv == 'i';
	unsigned long long u;
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
	/* The magnitude in unsigned arithmetic: -LLONG_MIN overflows. */
	u = sign && v < 0 ? 0 - (unsigned long long)v : (unsigned long long)v;
	p = digits(buf, u, conv == 'x' ? 16 : 10, sign && v < 0);
	put(l, p, (size_t)(buf + 32 - p));
}

/* %s, %.Ns and %.*s: the string, quoted; bare (outside the format's
 * quotes) with its spaces escaped too, so that it stays one field. */
static void
put_string(struct line *l, int precision, bool bare, va_list *ap)
{
	const char *(*q_of)(char *, size_t, const void *,
			    size_t) = bare ? quote_field : quote_bytes;
	const char *s = va_arg(*ap, const char *);
	char q[4 * VALUE_MAX + QUOTE_MIN];
	size_t n;

	if (!s)
		s = "(null)";
	n = precision >= 0 ? strnlen(s, (size_t)precision) : strlen(s);
	if (n > VALUE_MAX)
		n = VALUE_MAX;
	/* Straight into the line when even all-escapes fit (an escape is
	 * 4 bytes): the same text as through q, one copy fewer. */
	if (l->cap - l->len >= 4 * n + QUOTE_MIN) {
		q_of(l->out + l->len, l->cap - l->len, s, n);
		l->len += strlen(l->out + l->len);
		return;
	}
	q_of(q, sizeof(q), s, n);
	put(l, q, strlen(q));
}

void
log_format(char *out, size_t outlen, const char *fmt, va_list ap)
{
	struct line l = { .out = out, .cap = outlen };
	const char *p = fmt, *pct, *dq;
	bool quoted = false; /* inside the format's own quotes */
	int precision;
	char length, c;
	va_list aq;

	if (!outlen)
		return;
	out[0] = '\0';
	va_copy(aq, ap);
	while ((pct = strchr(p, '%')) != NULL) {
		put(&l, p, (size_t)(pct - p));
		for (dq = p; (dq = memchr(dq, '"', (size_t)(pct - dq))); dq++)
			quoted = !quoted;
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
			put_string(&l, precision, !quoted, &aq);
		else if (c == 'd' || c == 'i' || c == 'u' || c == 'x')
			put_integer(&l, c, length, &aq);
		else if (c == 'c') {
			char ch = (char)va_arg(aq, int), q[8];

			(quoted ? quote_bytes : quote_field)(q, sizeof(q), &ch,
							     1);
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

/* "YYYY-MM-DDTHH:MM:SS" of sec in UTC, into ts[20]: gmtime_r() and
 * strftime() once a second per thread, not once a line. */
static void
timestamp(time_t sec, char ts[20])
{
	static __thread time_t cached = -1;
	static __thread char text[20];
	struct tm tm;

	if (sec != cached) {
		gmtime_r(&sec, &tm);
		if (strftime(text, sizeof(text), "%Y-%m-%dT%H:%M:%S", &tm) !=
		    19)
			snprintf(text, sizeof(text), "%019lld", (long long)sec);
		cached = sec;
	}
	memcpy(ts, text, 20);
}

void
log_msg(enum log_level level, const char *fmt, ...)
{
	static const char *const names[] = { "error", "warn", "info" };
	static const int prio[] = { LOG_ERR, LOG_WARNING, LOG_INFO };
	/* "fnhostd: ts=" 19 ".mmmZ level=" "error" " " */
	char out[64 + 4096], ts[20];
	struct line l = { .out = out, .cap = sizeof(out) - 1 };
	struct timespec now;
	long ms;
	va_list ap;
	size_t head, n;
	ssize_t w;

	if (atomic_load(&to_syslog)) {
		va_start(ap, fmt);
		log_format(out, sizeof(out), fmt, ap);
		va_end(ap);
		syslog(prio[level], "level=%s %s", names[level], out);
		return;
	}
	clock_gettime(CLOCK_REALTIME, &now);
	timestamp(now.tv_sec, ts);
	ms = now.tv_nsec / 1000000;
	put(&l, "fnhostd: ts=", 12);
	put(&l, ts, 19);
	put(&l,
	    (char[]){ '.', (char)('0' + ms / 100), (char)('0' + ms / 10 % 10),
		      (char)('0' + ms % 10), 'Z' },
	    5);
	put(&l, " level=", 7);
	put(&l, names[level], strlen(names[level]));
	put(&l, " ", 1);
	head = l.len;
	/* The message as log_format() writes it, at most 4095 bytes as
	 * through its buffer before. */
	va_start(ap, fmt);
	log_format(out + head, 4096, fmt, ap);
	va_end(ap);
	n = head + strlen(out + head);
	out[n++] = '\n';
	/* One write(2) per line, so lines of several threads never mix;
	 * stderr is unbuffered, and nothing else writes to it meanwhile. */
	for (size_t off = 0; off < n; off += (size_t)w) {
		w = write(STDERR_FILENO, out + off, n - off);
		if (w < 0 && errno == EINTR) {
			w = 0;
			continue;
		}
		if (w <= 0)
			break;
	}
}
