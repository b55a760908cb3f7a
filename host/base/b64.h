/*
 * b64.h: base64 (RFC 4648 section 4, standard alphabet, '=' padding) and
 * base64url (section 5, URL-safe alphabet, no padding), encode and strict
 * decode.
 *
 * Decoding accepts only the one canonical text for each byte string: no
 * whitespace, no character outside the alphabet, padding exactly where
 * the standard form needs it (and never in base64url), and the unused low
 * bits of the last character zero.  So two different texts never decode
 * to the same bytes, and a text that decodes re-encodes to itself.
 * Every length is checked against the caller's buffer and against
 * B64_INPUT_MAX before anything is written; nothing here allocates.
 */
#ifndef FNHOST_B64_H
#define FNHOST_B64_H

#include <stddef.h>

/* Largest byte string either encoder takes (and so, about 4/3 of it, the
 * longest text the decoders read): far above any input fnhost accepts,
 * low enough that no length computation here can overflow. */
#define B64_INPUT_MAX ((size_t)1 << 40)

/* Length of the text (without NUL) that encoding n bytes gives, or 0 if
 * n is over B64_INPUT_MAX. */
size_t b64_encoded_len(size_t n);
size_t b64url_encoded_len(size_t n);

/* Largest number of bytes a text of len characters can decode to. */
size_t b64_decoded_max(size_t len);

/* Encode len bytes of in as text plus a NUL into out.  Returns the text's
 * length, or -1 (out untouched) if outlen can not hold text and NUL or len
 * is over B64_INPUT_MAX. */
long b64_encode(char *out, size_t outlen, const void *in, size_t len);
long b64url_encode(char *out, size_t outlen, const void *in, size_t len);

/* Decode len characters of in (no NUL needed) into out, which holds
 * outlen bytes; the decoded length goes to *n.  Returns 0, or -1 if the
 * text is not canonical (see above) or decodes to more than outlen bytes;
 * on -1, out holds nothing promised. */
int b64_decode(unsigned char *out, size_t outlen, const char *in, size_t len,
	       size_t *n);
int b64url_decode(unsigned char *out, size_t outlen, const char *in, size_t len,
		  size_t *n);

#endif
