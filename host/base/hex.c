/* hex.c: lower-case hexadecimal (see hex.h). */
#include <openssl/evp.h>

#include "base/err.h"
#include "base/hex.h"

void
hex_encode(char *out, const void *in, size_t n)
{
	static const char digits[] = "0123456789abcdef";
	const unsigned char *p = in;
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 15];
	}
	out[2 * n] = '\0';
}

/* The value of one lower-case digit, or -1. */
static int
digit_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

int
hex_decode(void *out, size_t n, const char *in, size_t len)
{
	unsigned char *p = out;
	size_t i;
	int hi, lo;

	/* n > len / 2 first: 2 * n could wrap. */
	if (n > len / 2 || len != 2 * n)
		return -ERR_INVALID;
	for (i = 0; i < n; i++) {
		hi = digit_value(in[2 * i]);
		lo = digit_value(in[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return -ERR_INVALID;
		p[i] = (unsigned char)(hi << 4 | lo);
	}
	return 0;
}

int
hex_sha256(char out[HEX_SHA256_LEN + 1], const void *buf, size_t len)
{
	unsigned char md[32];
	unsigned int n = sizeof(md);

	if (EVP_Digest(buf, len, md, &n, EVP_sha256(), NULL) != 1 ||
	    n != sizeof(md))
		return -ERR_INTERNAL;
	hex_encode(out, md, sizeof(md));
	return 0;
}
