/*
 * minisign.h: minisign-compatible keys and signatures, with OpenSSL only.
 *
 * The formats are those of jedisct1's minisign (documented in its README
 * and man page), so `minisign -Vm FILE -p KEY.pub` verifies what
 * minisign_sign() writes and minisign_sig_parse() reads what
 * `minisign -SHm FILE` writes:
 *
 *   public key:  "untrusted comment: <text>\n" base64("Ed" key_id[8] pk[32])
 *   secret key:  "untrusted comment: <text>\n" base64("Ed" kdf[2] "B2"
 *                salt[32] opslimit[8 LE] memlimit[8 LE]
 *                key_id[8] seed_and_pk[64] chk[32]), where kdf is "Sc"
 *                (scrypt; the last 104 bytes are XORed with the scrypt
 *                output) or two zero bytes (unencrypted, `minisign -W`),
 *                and chk = BLAKE2b-256("Ed" key_id sk)
 *   signature:   "untrusted comment: <text>\n" base64("ED" key_id[8]
 *                sig[64]) "\ntrusted comment: <tc>\n" base64(global[64])
 *                where sig = Ed25519(BLAKE2b-512(file)) and
 *                global = Ed25519(sig || tc).
 *
 * Only prehashed ("ED") signatures are made and accepted; legacy "Ed"
 * signatures over the whole file are refused by name.  Every parser takes
 * (buf, len), never trusts either, and on failure returns -ERR_INVALID
 * with a one-line reason in err.  Functions with err return 0 or a
 * negated kind (base/err.h): -ERR_INVALID for what the caller passed
 * (malformed text, a wrong password, a file that can not be read),
 * -ERR_INTERNAL when OpenSSL or memory fails, and for minisign_verify()
 * -ERR_UNTRUSTED; each says which.  Those without err return -1.  Secret material is wiped before it is freed;
 * callers wipe their struct minisign_seckey with minisign_seckey_clear().
 */
#ifndef FNHOST_MINISIGN_H
#define FNHOST_MINISIGN_H

#include "base/err.h"
#include <stddef.h>
#include <stdint.h>

#define MINISIGN_KEYID_BYTES 8
#define MINISIGN_PK_BYTES 32
#define MINISIGN_SEED_BYTES 32
#define MINISIGN_SIG_BYTES 64
#define MINISIGN_KEYID_HEX 17 /* 16 upper-case hex digits and NUL */

/* Longest line we read or write in any of the three files, prefix
 * included; minisign itself uses 1024 for untrusted comments. */
#define MINISIGN_LINE_MAX 1024
/* Longest trusted comment accepted or written. */
#define MINISIGN_TRUSTED_COMMENT_MAX 1000
/* Largest key or signature file read; anything longer is refused. */
#define MINISIGN_FILE_MAX 4096
/* Longest password accepted (minisign's PASSWORDMAXBYTES). */
#define MINISIGN_PASSWORD_MAX 1024

/* scrypt limits minisign writes (libsodium's scryptsalsa208sha256
 * OPSLIMIT_SENSITIVE and MEMLIMIT_SENSITIVE: N = 2^20, r = 8, p = 1), and
 * the largest we accept from a key file, so a hostile key can not make us
 * spend more than about 1 GiB and a few seconds. */
#define MINISIGN_OPSLIMIT_DEFAULT 33554432ULL
#define MINISIGN_MEMLIMIT_DEFAULT 1073741824ULL
#define MINISIGN_OPSLIMIT_MAX (2 * MINISIGN_OPSLIMIT_DEFAULT)
#define MINISIGN_MEMLIMIT_MAX MINISIGN_MEMLIMIT_DEFAULT

struct minisign_pubkey {
	unsigned char key_id[MINISIGN_KEYID_BYTES];
	unsigned char pk[MINISIGN_PK_BYTES];
};

struct minisign_seckey {
	unsigned char key_id[MINISIGN_KEYID_BYTES];
	unsigned char seed[MINISIGN_SEED_BYTES];
	unsigned char pk[MINISIGN_PK_BYTES];
};

struct minisign_sig {
	unsigned char key_id[MINISIGN_KEYID_BYTES];
	unsigned char sig[MINISIGN_SIG_BYTES]; /* over BLAKE2b-512(file) */
	char trusted_comment[MINISIGN_TRUSTED_COMMENT_MAX + 1];
	unsigned char global_sig[MINISIGN_SIG_BYTES];
};

/*
 * BLAKE2b (RFC 7693), unkeyed, any output length from 1 to 64 bytes.
 * OpenSSL 3.0 only offers a fixed 64-byte unkeyed BLAKE2b (its output
 * length parameter came in 3.2, and BLAKE2BMAC needs a non-empty key),
 * but minisign's secret key checksum is BLAKE2b-256, so we carry our own.
 */
struct minisign_blake2b {
	uint64_t h[8];
	uint64_t t[2];
	unsigned char buf[128];
	size_t buflen;
	size_t outlen;
};

/* Start a hash of outlen bytes; returns -1 if outlen is not in 1..64. */
int minisign_blake2b_init(struct minisign_blake2b *s, size_t outlen);
void minisign_blake2b_update(struct minisign_blake2b *s, const void *in,
			     size_t len);
/* Write the s->outlen byte digest to out and wipe the state. */
void minisign_blake2b_final(struct minisign_blake2b *s, unsigned char *out);
/* One-shot form of the three above. */
int minisign_blake2b(unsigned char *out, size_t outlen, const void *in,
		     size_t len);

/* Base64 with the standard alphabet and '=' padding, as minisign writes
 * it: base/b64.h's codec, with minisign's fixed-size rule.  encode writes the text and a NUL into out (outlen must be at least
 * 4 * ((len + 2) / 3) + 1) and returns its length, or -1 if out is too
 * small.  decode accepts only canonical text (padding present, unused
 * bits zero, no whitespace) that decodes to exactly outlen bytes; it
 * returns 0, or -1 with nothing promised about out. */
int minisign_b64_encode(char *out, size_t outlen, const unsigned char *in,
			size_t len);
int minisign_b64_decode(unsigned char *out, size_t outlen, const char *in,
			size_t len);

/* The key id as minisign prints it in messages: 16 upper-case hex digits
 * of the id read as a little-endian 64-bit number. */
void minisign_keyid_hex(const unsigned char id[MINISIGN_KEYID_BYTES],
			char out[MINISIGN_KEYID_HEX]);

/* A fresh key pair: a random key id and Ed25519 key from OpenSSL's
 * generator.  Returns 0, or -ERR_INTERNAL with err set. */
int minisign_keygen(struct minisign_seckey *sk, char *err, size_t errlen);
/* The public half of sk. */
void minisign_seckey_public(const struct minisign_seckey *sk,
			    struct minisign_pubkey *pk);
/* Wipe sk. */
void minisign_seckey_clear(struct minisign_seckey *sk);

/* Parse a public key file (two lines; the last newline optional): 0 or
 * -ERR_INVALID. */
int minisign_pubkey_parse(const char *buf, size_t len,
			  struct minisign_pubkey *pk, char *err, size_t errlen);
/* Write the public key file text, as minisign writes it, into out
 * (NUL-terminated).  Returns its length, or -1 if outlen is too small. */
int minisign_pubkey_format(const struct minisign_pubkey *pk, char *out,
			   size_t outlen);

/*
 * Parse a secret key file.  password (NUL-terminated) is needed only if
 * the key is encrypted; NULL for an encrypted key is an error that says
 * so.  The checksum must match, except that an unencrypted key may carry
 * an all-zero checksum (minisign 0.11 -W writes one).  The Ed25519 public
 * half is recomputed from the seed and must match the stored one.
 * 0, -ERR_INVALID (malformed, no or a wrong password), or -ERR_INTERNAL
 * (scrypt failed).
 */
int minisign_seckey_parse(const char *buf, size_t len, const char *password,
			  struct minisign_seckey *sk, char *err, size_t errlen);
/*
 * Write the secret key file text into a malloc()ed, NUL-terminated *out
 * (caller wipes and frees it).  With password NULL the key is stored
 * unencrypted, as `minisign -G -W` does (but with its checksum set);
 * otherwise it is encrypted with scrypt at the given limits (use the
 * MINISIGN_*LIMIT_DEFAULT values; tests pass small ones).  0,
 * -ERR_INVALID for limits scrypt refuses, or -ERR_INTERNAL.
 */
int minisign_seckey_format(const struct minisign_seckey *sk,
			   const char *password, uint64_t opslimit,
			   uint64_t memlimit, char **out, size_t *outlen,
			   char *err, size_t errlen);

/* Load a public or secret key file from path (at most MINISIGN_FILE_MAX
 * bytes) and parse it as above; err names the file.  The parser's
 * kinds, and -ERR_INVALID for a file that can not be read. */
int minisign_pubkey_load(const char *path, struct minisign_pubkey *pk,
			 char *err, size_t errlen);
int minisign_seckey_load(const char *path, const char *password,
			 struct minisign_seckey *sk, char *err, size_t errlen);

/*
 * Sign msg: a prehashed ("ED") signature with trusted comment tc (one
 * line, no control bytes but tab, at most MINISIGN_TRUSTED_COMMENT_MAX
 * bytes).  The signature file text goes to a malloc()ed, NUL-terminated
 * *out that the caller frees.  0, -ERR_INVALID for a bad tc, or
 * -ERR_INTERNAL.
 */
int minisign_sign(const struct minisign_seckey *sk, const void *msg, size_t len,
		  const char *tc, char **out, size_t *outlen, char *err,
		  size_t errlen);

/* Parse a signature file (four lines; the last newline optional): 0 or
 * -ERR_INVALID. */
int minisign_sig_parse(const char *buf, size_t len, struct minisign_sig *sig,
		       char *err, size_t errlen);

/*
 * Check sig over msg: the signature's key id must be one of keys[0..n-1]
 * (else the message names the key id), the signature over BLAKE2b-512(msg)
 * and the global signature over sig || trusted comment must both verify.
 * On success returns 0 and, if which is not NULL, the index of the key;
 * -ERR_UNTRUSTED when no key of keys made sig, -ERR_INVALID when the
 * signature does not verify, -ERR_INTERNAL when OpenSSL fails.
 */
int minisign_verify(const struct minisign_pubkey *keys, size_t nkeys,
		    const struct minisign_sig *sig, const void *msg, size_t len,
		    size_t *which, char *err, size_t errlen);

#endif
