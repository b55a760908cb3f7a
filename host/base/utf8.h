/*
 * utf8.h: any bytes made valid UTF-8, for text that ends up in JSON.
 *
 * JSON text is UTF-8, and json-c copies bytes of 0x80 and above as they
 * are: a string that is no UTF-8 makes an answer, a log ring line or a
 * `fnhost test -o json` line that a strict reader refuses whole.  Text
 * from a worker (a plugin's log() lines, its fail() text) is whatever the
 * plugin wrote, so it is cleaned where it enters the host, and a text cut
 * to fit a buffer is cut between characters, never inside one.
 *
 * utf8_clean() copies s[0..n-1] into out[outlen], up to the first NUL in
 * s: each well-formed UTF-8 character (shortest form, no surrogate, at
 * most U+10FFFF) as it is, and each byte that starts none as U+FFFD.
 * What does not fit in outlen - 1 bytes is left off at a character's
 * end.  out is always NUL-terminated when outlen > 0.  Returns the
 * length written.
 */
#ifndef FNHOST_UTF8_H
#define FNHOST_UTF8_H

#include <stddef.h>

size_t utf8_clean(char *out, size_t outlen, const char *s, size_t n);

#endif
