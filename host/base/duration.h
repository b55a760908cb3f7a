/*
 * duration.h: the one duration grammar, for fnhost.conf and every flag.
 *
 * A duration is one or more decimal digits and then a unit: "ms", "s",
 * "m", "h" or "d" (a day is 86400 s); bare digits are seconds, so
 * "--ttl 3600" is an hour.  Nothing else: no sign, space, fraction or
 * second unit.  duration_parse() reads exactly n bytes of s (no NUL
 * needed) and gives milliseconds; it refuses an empty text, junk, and a
 * value over DURATION_MAX_MS, returning -ERR_INVALID with a message
 * naming the text ("bad duration '10x' (use ms, s, m, h, d)" or
 * "duration '99999999999d' is too long").  DURATION_SYNTAX and
 * DURATION_OVERFLOW let a caller that words its own messages tell the
 * two apart.
 *
 * duration_format() prints ms in the largest unit that holds it exactly
 * ("90s", "1h", "1500ms", "0s"), which duration_parse() reads back.
 */
#ifndef FNHOST_DURATION_H
#define FNHOST_DURATION_H

#include <stddef.h>
#include <stdint.h>

/* Largest duration: fits an int64_t of milliseconds, so a deadline of
 * "now + duration" in int64_t stays far from overflow for any sane now. */
#define DURATION_MAX_MS ((uint64_t)INT64_MAX / 2)

/* Room for any formatted duration and its NUL. */
#define DURATION_TEXT_MAX 24

/* What is wrong with a text, for duration_check(). */
enum duration_fault {
	DURATION_OK = 0,
	DURATION_SYNTAX,   /* empty, junk or an unknown unit */
	DURATION_OVERFLOW, /* well-formed, over DURATION_MAX_MS */
};

/* The grammar alone, without a message: *ms set only on DURATION_OK. */
enum duration_fault duration_check(const char *s, size_t n, uint64_t *ms);

/* Returns 0, or -ERR_INVALID with the reason in err. */
int duration_parse(const char *s, size_t n, uint64_t *ms, char *err,
		   size_t errlen);

/* Returns the text's length, or -1 (out untouched) if outlen is too
 * small or ms is over DURATION_MAX_MS. */
int duration_format(char *out, size_t outlen, uint64_t ms);

#endif
