/*
 * b64.c: RFC 4648 base64 and base64url, canonical forms only.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/b64.h"

static const char std_alphabet[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const char url_alphabet[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

size_t
b64_encoded_len(size_t n)
{
	if (n > B64_INPUT_MAX)
		return 0;
	return (n + 2) / 3 * 4;
}

size_t
b64url_encoded_len(size_t n)
{
	if (n > B64_INPUT_MAX)
		return 0;
	/* Full groups, then 2 characters for 1 byte left, 3 for 2. */
	return n / 3 * 4 + (n % 3 == 0 ? 0 : n % 3 + 1);
}

size_t
b64_decoded_max(size_t len)
{
	return len / 4 * 3 + (len % 4 == 0 ? 0 : len % 4 - (len % 4 > 1));
}

/* Shared encoder: pad says whether to fill the last group with '='. */
static long
encode(const char *alphabet, bool pad, char *out, size_t outlen, const void *in,
       size_t len)
{
	const unsigned char *p = in;
	size_t need, i, o = 0;
	uint32_t v;

	if (len > B64_INPUT_MAX)
		return -1;
	need = pad ? b64_encoded_len(len) : b64url_encoded_len(len);
	if (out == NULL || outlen < need + 1)
		return -1;
	for (i = 0; i + 3 <= len; i += 3) {
		v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
		out[o++] = alphabet[v >> 18 & 63];
		out[o++] = alphabet[v >> 12 & 63];
		out[o++] = alphabet[v >> 6 & 63];
		out[o++] = alphabet[v & 63];
	}
	if (len - i == 1) {
		v = (uint32_t)p[i] << 16;
		out[o++] = alphabet[v >> 18 & 63];
		out[o++] = alphabet[v >> 12 & 63];
		if (pad) {
			out[o++] = '=';
			out[o++] = '=';
		}
	} else if (len - i == 2) {
		v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8;
		out[o++] = alphabet[v >> 18 & 63];
		out[o++] = alphabet[v >> 12 & 63];
		out[o++] = alphabet[v >> 6 & 63];
		if (pad)
			out[o++] = '=';
	}
	out[o] = '\0';
	return (long)o;
}

long
b64_encode(char *out, size_t outlen, const void *in, size_t len)
{
	return encode(std_alphabet, true, out, outlen, in, len);
}

long
b64url_encode(char *out, size_t outlen, const void *in, size_t len)
{
	return encode(url_alphabet, false, out, outlen, in, len);
}

/* The 6-bit value of c in the given alphabet, or -1. */
static int
sextet(bool url, char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == (url ? '-' : '+'))
		return 62;
	if (c == (url ? '_' : '/'))
		return 63;
	return -1;
}

/*
 * Shared decoder over text whose padding, if any, was already removed:
 * len % 4 must not be 1, and the bits of the last character past the
 * final whole byte must be zero.
 */
static int
decode(bool url, unsigned char *out, size_t outlen, const char *in, size_t len,
       size_t *n)
{
	size_t i, o = 0, rest = len % 4;
	uint32_t v = 0;
	int s;

	if (rest == 1 || b64_decoded_max(len) > outlen)
		return -1;
	for (i = 0; i < len; i++) {
		s = sextet(url, in[i]);
		if (s < 0)
			return -1;
		v = v << 6 | (uint32_t)s;
		if (i % 4 == 3) {
			out[o++] = (unsigned char)(v >> 16);
			out[o++] = (unsigned char)(v >> 8);
			out[o++] = (unsigned char)v;
			v = 0;
		}
	}
	if (rest == 2) {
		if (v & 0xf) /* 12 bits read, 8 used */
			return -1;
		out[o++] = (unsigned char)(v >> 4);
	} else if (rest == 3) {
		if (v & 0x3) /* 18 bits read, 16 used */
			return -1;
		out[o++] = (unsigned char)(v >> 10);
		out[o++] = (unsigned char)(v >> 2);
	}
	*n = o;
	return 0;
}

int
b64_decode(unsigned char *out, size_t outlen, const char *in, size_t len,
	   size_t *n)
{
	size_t pad = 0;

	if (in == NULL || n == NULL || len > B64_INPUT_MAX || len % 4 != 0)
		return -1;
	/* Padding only as the last one or two characters of the text. */
	if (len > 0 && in[len - 1] == '=') {
		pad = 1;
		if (in[len - 2] == '=')
			pad = 2;
	}
	return decode(false, out, outlen, in, len - pad, n);
}

int
b64url_decode(unsigned char *out, size_t outlen, const char *in, size_t len,
	      size_t *n)
{
	if (in == NULL || n == NULL || len > B64_INPUT_MAX)
		return -1;
	return decode(true, out, outlen, in, len, n);
}
