/* quote.c: bytes made safe for a message (see quote.h). */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "base/quote.h"

/* Write the escape of c into piece (at least 5 bytes); returns its
 * length.  space: a space is escaped too. */
static size_t
escape(unsigned char c, bool space, char piece[5])
{
	if (c == '"' || c == '\\') {
		piece[0] = '\\';
		piece[1] = (char)c;
		return 2;
	}
	if ((c > 0x20 && c < 0x7f) || (c == ' ' && !space)) {
		piece[0] = (char)c;
		return 1;
	}
	snprintf(piece, 5, "\\x%02x", c);
	return 4;
}

/* quote_bytes(), and quote_field() when space. */
static const char *
quote(char *out, size_t outlen, const void *s, size_t n, bool space)
{
	const unsigned char *p = s;
	size_t i, o = 0, total = 0, room, k;
	char piece[5];

	if (outlen == 0)
		return out;
	if (outlen < QUOTE_MIN || p == NULL) {
		out[0] = '\0';
		return out;
	}
	for (i = 0; i < n && total < outlen; i++)
		total += escape(p[i], space, piece);
	/* Everything fits, or leave room for "..." after the last escape. */
	room = total < outlen ? outlen - 1 : outlen - 1 - 3;
	for (i = 0; i < n; i++) {
		k = escape(p[i], space, piece);
		if (o + k > room)
			break;
		memcpy(out + o, piece, k);
		o += k;
	}
	if (i < n) {
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o] = '\0';
	return out;
}

const char *
quote_bytes(char *out, size_t outlen, const void *s, size_t n)
{
	return quote(out, outlen, s, n, false);
}

const char *
quote_field(char *out, size_t outlen, const void *s, size_t n)
{
	return quote(out, outlen, s, n, true);
}

const char *
quote_str(char *out, size_t outlen, const char *s)
{
	return quote_bytes(out, outlen, s, s != NULL ? strlen(s) : 0);
}
