/*
 * attest.h: the host's signature over what an invoke computed.
 *
 * An attestation is an Ed25519 (RFC 8032, pure) signature by the host's
 * key over exactly
 *	"fnhost-attest-v1\n" + function + "\n" + input + "\n" + output
 * (no trailing newline), where the three are the lower-case hex SHA-256
 * of the function's MANIFEST (its checksum), of the input bytes and of
 * the output bytes.  It travels base64-encoded (standard alphabet,
 * padded) in the Fnhost-Attestation header.  It proves which host key
 * computed what from what; it is not hardware attestation.
 *
 * Keys are raw 32-byte strings: the private key is the RFC 8032 seed.
 * Every function returns 0, or a negated kind (base/err.h) with a
 * one-line reason in err (which may be NULL): -ERR_INVALID for what the
 * caller passed (a digest that is not 64 lower-case hex digits, refused
 * by name; a key OpenSSL refuses; a signature that does not verify),
 * -ERR_INTERNAL when OpenSSL itself fails or memory runs out.  Each
 * function below says which it returns.  No global state; safe from any thread.
 */
#ifndef FNHOST_ATTEST_H
#define FNHOST_ATTEST_H

#include "base/err.h"
#include <stddef.h>

#define ATTEST_SK_BYTES 32
#define ATTEST_PK_BYTES 32
#define ATTEST_SIG_BYTES 64
#define ATTEST_SIG_B64_LEN 88 /* base64 of 64 bytes, padded */
#define ATTEST_HEX_LEN 64     /* a SHA-256 digest in hex */
#define ATTEST_PREFIX "fnhost-attest-v1\n"

/* A fresh Ed25519 key pair from OpenSSL's generator: 0 or
 * -ERR_INTERNAL. */
int attest_keygen(unsigned char sk[ATTEST_SK_BYTES],
		  unsigned char pk[ATTEST_PK_BYTES], char *err, size_t errlen);
/* The public key of sk: 0 or -ERR_INVALID. */
int attest_public_key(const unsigned char sk[ATTEST_SK_BYTES],
		      unsigned char pk[ATTEST_PK_BYTES], char *err,
		      size_t errlen);

/* The lower-case hex SHA-256 of len bytes, NUL-terminated: 0 or
 * -ERR_INTERNAL. */
int attest_sha256_hex(const void *buf, size_t len, char hex[ATTEST_HEX_LEN + 1],
		      char *err, size_t errlen);

/* Sign the three hex digests (NUL-terminated) with sk: 0, -ERR_INVALID
 * for a malformed digest, -ERR_INTERNAL. */
int attest_sign(const unsigned char sk[ATTEST_SK_BYTES],
		const char *function_hex, const char *input_hex,
		const char *output_hex, unsigned char sig[ATTEST_SIG_BYTES],
		char *err, size_t errlen);

/* A key made ready to sign once, for a host that signs every result:
 * making the key from its seed costs as much as a signature, and the
 * signer keeps the OpenSSL contexts it signs with for the next
 * signatures (a few, one per thread signing at once).  Several threads
 * may sign with one signer at once. */
struct attest_signer;
/* NULL, with err, when OpenSSL can not make the key. */
struct attest_signer *attest_signer_new(const unsigned char sk[ATTEST_SK_BYTES],
					char *err, size_t errlen);
void attest_signer_free(struct attest_signer *s);
/* attest_sign() with s's key, as the header's base64 text
 * (NUL-terminated); the same kinds. */
int attest_signer_sign_b64(struct attest_signer *s, const char *function_hex,
			   const char *input_hex, const char *output_hex,
			   char b64[ATTEST_SIG_B64_LEN + 1], char *err,
			   size_t errlen);

/* 0 if sig is pk's signature over the three digests, else -ERR_INVALID
 * with err saying why ("signature does not verify", or what was
 * malformed), or -ERR_INTERNAL when OpenSSL fails. */
int attest_verify(const unsigned char pk[ATTEST_PK_BYTES],
		  const char *function_hex, const char *input_hex,
		  const char *output_hex,
		  const unsigned char sig[ATTEST_SIG_BYTES], char *err,
		  size_t errlen);
/* The same with the header's text, which must be canonical base64 of 64
 * bytes; len is its length (no NUL needed).  The same kinds. */
int attest_verify_b64(const unsigned char pk[ATTEST_PK_BYTES],
		      const char *function_hex, const char *input_hex,
		      const char *output_hex, const char *b64, size_t len,
		      char *err, size_t errlen);

#endif
