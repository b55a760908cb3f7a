/*
 * hex.h: lower-case hexadecimal, and SHA-256 as hex.
 *
 * hex_encode() writes 2 * n lower-case digits and a NUL, so out must hold
 * 2 * n + 1 bytes.  hex_decode() is strict: the text must be exactly
 * 2 * n characters of [0-9a-f] (no upper case, sign, space or prefix),
 * so one byte string has one text; it reads only len bytes of in, which
 * needs no NUL.  hex_sha256() hashes through OpenSSL's EVP.
 */
#ifndef FNHOST_HEX_H
#define FNHOST_HEX_H

#include <stddef.h>

/* Digits of a SHA-256 digest (without the NUL). */
#define HEX_SHA256_LEN 64

void hex_encode(char *out, const void *in, size_t n);

/* Returns 0, or -ERR_INVALID (out holds nothing promised) if len is not
 * 2 * n or a character is not a lower-case hex digit. */
int hex_decode(void *out, size_t n, const char *in, size_t len);

/* SHA-256 of buf[len] as 64 digits and a NUL.  Returns 0, or
 * -ERR_INTERNAL if OpenSSL fails. */
int hex_sha256(char out[HEX_SHA256_LEN + 1], const void *buf, size_t len);

#endif
