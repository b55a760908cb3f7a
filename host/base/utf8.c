/* utf8.c: bytes made valid UTF-8 (see utf8.h). */
#include <string.h>

#include "base/utf8.h"

/* The length of the well-formed character at p[0..n-1], or 0 when p[0]
 * starts none (RFC 3629's table: no overlong form, no surrogate, nothing
 * past U+10FFFF). */
static size_t
char_len(const unsigned char *p, size_t n)
{
	unsigned char lo = 0x80, hi = 0xbf;
	size_t len, i;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		len = 2;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		len = 3;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		len = 4;
	else
		return 0;
	/* The second byte's range is narrower after these leads. */
	if (p[0] == 0xe0)
		lo = 0xa0;
	else if (p[0] == 0xed)
		hi = 0x9f;
	else if (p[0] == 0xf0)
		lo = 0x90;
	else if (p[0] == 0xf4)
		hi = 0x8f;
	if (n < len || p[1] < lo || p[1] > hi)
		return 0;
	for (i = 2; i < len; i++)
		if (p[i] < 0x80 || p[i] > 0xbf)
			return 0;
	return len;
}

size_t
utf8_clean(char *out, size_t outlen, const char *s, size_t n)
{
	static const char replacement[] = "\xef\xbf\xbd";
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, o = 0, k, len;
	const char *piece;

	if (outlen == 0)
		return 0;
	while (i < n && p[i]) {
		k = char_len(p + i, n - i);
		piece = k ? s + i : replacement;
		len = k ? k : 3;
		if (o + len > outlen - 1)
			break;
		memcpy(out + o, piece, len);
		o += len;
		i += k ? k : 1;
	}
	out[o] = '\0';
	return o;
}
