/*
 * rawkey.h: 32-byte raw key pairs through OpenSSL's EVP, the one way
 * attest.c (Ed25519) and hpke.c (X25519) make and check their keys:
 * both algorithms have a 32-byte private and a 32-byte public half.
 *
 * alg is OpenSSL's key type name ("ED25519", "X25519"); shown names the
 * algorithm in messages ("Ed25519").
 *
 * rawkey_generate() makes a fresh pair from OpenSSL's generator:
 * 0, or -ERR_INTERNAL with sk wiped.
 * rawkey_public() derives the public half of sk: 0, or -ERR_INVALID
 * ("not an <shown> private key") when OpenSSL refuses sk.
 */
#ifndef FNHOST_RAWKEY_H
#define FNHOST_RAWKEY_H

#include <stddef.h>

#define RAWKEY_BYTES 32

int rawkey_generate(const char *alg, const char *shown,
		    unsigned char sk[RAWKEY_BYTES],
		    unsigned char pk[RAWKEY_BYTES], char *err, size_t errlen);

int rawkey_public(const char *alg, const char *shown,
		  const unsigned char sk[RAWKEY_BYTES],
		  unsigned char pk[RAWKEY_BYTES], char *err, size_t errlen);

#endif
