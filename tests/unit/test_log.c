/*
 * test_log.c: the daemon's log lines can not be forged (daemon/log.c):
 * every %s value is escaped whatever it holds, and the integer
 * conversions the daemon uses come out as printf writes them; log_msg()
 * writes whole lines, with the time and level.
 */
#include <ctype.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "daemon/log.h"

static char out[4096];

static const char *__attribute__((format(printf, 1, 2))) fmt(const char *f, ...)
{
	va_list ap;

	va_start(ap, f);
	log_format(out, sizeof(out), f, ap);
	va_end(ap);
	return out;
}

static void
test_values_escaped(void **state)
{
	(void)state;
	/* A request path with %0A and a forged event. */
	assert_string_equal(
		fmt("path=%s status=%d",
		    "/x\nfnhostd: level=info event=trust_add key=X", 404),
		"path=/x\\x0afnhostd:\\x20level=info\\x20event=trust_add"
		"\\x20key=X status=404");
	/* A path with %20: a forged field of the same line.  Inside the
	 * format's quotes a space stays one. */
	assert_string_equal(fmt("path=%s status=%d", "/x status=200", 404),
			    "path=/x\\x20status=200 status=404");
	assert_string_equal(fmt("msg=\"%s\" key=%s", "a b", "c d"),
			    "msg=\"a b\" key=c\\x20d");
	assert_string_equal(fmt("msg=\"x %s: %s\"", "a b", "c d"),
			    "msg=\"x a b: c d\"");
	assert_string_equal(fmt("%c|\"%c\"", ' ', ' '), "\\x20|\" \"");
	assert_string_equal(fmt("msg=\"%s\"", "a\" level=info b=\\"),
			    "msg=\"a\\\" level=info b=\\\\\"");
	assert_string_equal(fmt("%s", "\r\t\x7f\xff"), "\\x0d\\x09\\x7f\\xff");
	assert_string_equal(fmt("%c|%c", 'a', '\n'), "a|\\x0a");
	assert_null(strchr(fmt("%s", "one\ntwo\rthree"), '\n'));
}

static void
test_precision(void **state)
{
	(void)state;
	assert_string_equal(fmt("%.3s", "abcdef"), "abc");
	assert_string_equal(fmt("%.*s", 2, "abcdef"), "ab");
	assert_string_equal(fmt("%.4s", "a\nbcdef"), "a\\x0abc");
	assert_string_equal(fmt("%s", (const char *)NULL), "(null)");
}

static void
test_integers(void **state)
{
	(void)state;
	assert_string_equal(fmt("%d %i %u %x", -5, 7, 4000000000u, 255u),
			    "-5 7 4000000000 ff");
	assert_string_equal(fmt("%ld %lu", -9000000000L, 9000000000UL),
			    "-9000000000 9000000000");
	assert_string_equal(fmt("%lld %llu", -1LL, 18446744073709551615ULL),
			    "-1 18446744073709551615");
	assert_string_equal(fmt("%zu bytes", (size_t)123456789),
			    "123456789 bytes");
	assert_string_equal(fmt("100%% done"), "100% done");
	assert_string_equal(fmt("%lld %d %u %x %lx", LLONG_MIN, 0, 0u, 0u,
				0xdeadbeefcafeUL),
			    "-9223372036854775808 0 0 0 deadbeefcafe");
	assert_string_equal(fmt("%d %d", INT_MIN, INT_MAX),
			    "-2147483648 2147483647");
}

/* log_msg() writes each line whole, in one write, as
 * "fnhostd: ts=YYYY-MM-DDTHH:MM:SS.mmmZ level=L message\n", the time
 * being now in UTC. */
static void
test_whole_lines(void **state)
{
	char buf[16384], want[64], ts[32];
	int p[2], saved;
	time_t before, after;
	struct tm tm;
	ssize_t n;

	(void)state;
	assert_int_equal(pipe(p), 0);
	saved = dup(2);
	assert_true(saved >= 0);
	assert_int_equal(dup2(p[1], 2), 2);
	before = time(NULL);
	log_msg(LOG_LEVEL_INFO, "method=%s path=%.200s status=%d ms=%lld",
		"GET", "/x\ny", 200, 12LL);
	log_msg(LOG_LEVEL_WARN, "a=%s", "1");
	log_msg(LOG_LEVEL_ERROR, "b=%u", 2u);
	after = time(NULL);
	assert_int_equal(dup2(saved, 2), 2);
	close(saved);
	close(p[1]);
	n = read(p[0], buf, sizeof(buf) - 1);
	close(p[0]);
	assert_true(n > 0);
	buf[n] = '\0';

	/* One of the two seconds the calls ran in. */
	gmtime_r(&before, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(want, sizeof(want), "fnhostd: ts=%s.", ts);
	if (strncmp(buf, want, strlen(want)) != 0) {
		gmtime_r(&after, &tm);
		strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
		snprintf(want, sizeof(want), "fnhostd: ts=%s.", ts);
	}
	{
		const char *tails[3] = {
			"Z level=info method=GET path=/x\\x0ay status=200 ms=12",
			"Z level=warn a=1",
			"Z level=error b=2",
		};
		char *line = buf, *nl;
		int k;

		for (k = 0; k < 3; k++) {
			nl = strchr(line, '\n');
			assert_non_null(nl);
			*nl = '\0';
			assert_memory_equal(line, want, strlen(want));
			assert_true(isdigit((unsigned char)line[32]) &&
				    isdigit((unsigned char)line[33]) &&
				    isdigit((unsigned char)line[34]));
			assert_string_equal(line + 35, tails[k]);
			line = nl + 1;
		}
		assert_string_equal(line, "");
	}
}

/* log_format() into a buffer of outlen bytes. */
static const char *__attribute__((format(printf, 3, 4)))
fmt_in(char *buf, size_t outlen, const char *f, ...)
{
	va_list ap;

	va_start(ap, f);
	log_format(buf, outlen, f, ap);
	va_end(ap);
	return buf;
}

static void
test_bounded(void **state)
{
	static char big[8192];
	char small[8];

	(void)state;
	memset(big, 'a', sizeof(big) - 1);
	/* A value is cut at 1024 bytes, the line at its buffer. */
	assert_int_equal(strlen(fmt("%s", big)), 1024);
	assert_string_equal(fmt_in(small, sizeof(small), "%s=%d", "key", 12345),
			    "key=123");
	assert_string_equal(fmt_in(small, 1, "%s", "anything"), "");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_values_escaped),
		cmocka_unit_test(test_precision),
		cmocka_unit_test(test_integers),
		cmocka_unit_test(test_whole_lines),
		cmocka_unit_test(test_bounded),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
