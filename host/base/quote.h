/*
 * quote.h: any bytes made safe for a one-line message or a log value.
 *
 * quote_bytes() copies s[0..n-1] (any bytes, NULs included) into
 * out[outlen]: printable ASCII (0x20 to 0x7e) as itself, except '"' and
 * '\\', which become \" and \\; every other byte (control bytes, newline,
 * DEL, 0x80 and above) becomes \xhh with two lower-case digits.  So the
 * output never holds a control byte, a raw quote or a lone backslash.
 * When the whole text does not fit in outlen - 1 characters, as many
 * whole escapes as leave room follow by "..." (an escape is never cut).
 * out is always NUL-terminated when outlen > 0; outlen below QUOTE_MIN
 * gives "".  s may be NULL when n is 0.  Returns out, for use in printf.
 *
 * quote_field() is quote_bytes() that writes a space as \x20 too: for a
 * value written outside quotes, which must stay one field of a
 * "key=value key=value" line whatever it holds.
 *
 * quote_str() is quote_bytes() over a NUL-terminated s, which may be
 * NULL (quoted as "").
 */
#ifndef FNHOST_QUOTE_H
#define FNHOST_QUOTE_H

#include <stddef.h>

/* Smallest useful outlen: "..." and its NUL. */
#define QUOTE_MIN 4

const char *quote_bytes(char *out, size_t outlen, const void *s, size_t n);
const char *quote_field(char *out, size_t outlen, const void *s, size_t n);
const char *quote_str(char *out, size_t outlen, const char *s);

#endif
