/*
 * attest.c: Ed25519 attestations of invoke results (see attest.h).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "formats/attest.h"
#include "formats/rawkey.h"
#include "base/b64.h"
#include "base/hex.h"

#define PREFIX_LEN (sizeof(ATTEST_PREFIX) - 1)
/* prefix, three digests, two newlines between them */
#define MESSAGE_LEN (PREFIX_LEN + 3 * ATTEST_HEX_LEN + 2)

/* The attestation key is Ed25519; rawkey.c makes and checks it. */
_Static_assert(ATTEST_SK_BYTES == RAWKEY_BYTES &&
		       ATTEST_PK_BYTES == RAWKEY_BYTES,
	       "Ed25519 halves are raw 32-byte keys");

int
attest_keygen(unsigned char sk[ATTEST_SK_BYTES],
	      unsigned char pk[ATTEST_PK_BYTES], char *err, size_t errlen)
{
	return rawkey_generate("ED25519", "Ed25519", sk, pk, err, errlen);
}

int
attest_public_key(const unsigned char sk[ATTEST_SK_BYTES],
		  unsigned char pk[ATTEST_PK_BYTES], char *err, size_t errlen)
{
	return rawkey_public("ED25519", "Ed25519", sk, pk, err, errlen);
}

int
attest_sha256_hex(const void *buf, size_t len, char hex[ATTEST_HEX_LEN + 1],
		  char *err, size_t errlen)
{
	if (hex_sha256(hex, buf, len) < 0)
		return err_set(err, errlen, ERR_INTERNAL, "SHA-256 failed");
	return 0;
}

/* Whether s is exactly 64 lower-case hex digits. */
static int
is_digest(const char *s)
{
	size_t i;

	if (s == NULL)
		return 0;
	for (i = 0; i < ATTEST_HEX_LEN; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
		      (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return s[ATTEST_HEX_LEN] == '\0';
}

/* The signed message, after checking each digest. */
static int
message(const char *f, const char *i, const char *o,
	unsigned char msg[MESSAGE_LEN], char *err, size_t errlen)
{
	const char *names[3] = { "function", "input", "output" };
	const char *d[3] = { f, i, o };
	size_t n = PREFIX_LEN;
	int k;

	for (k = 0; k < 3; k++)
		if (!is_digest(d[k]))
			return err_set(err, errlen, ERR_INVALID,
				       "attestation: %s digest is not "
				       "64 lower-case hex digits",
				       names[k]);
	memcpy(msg, ATTEST_PREFIX, PREFIX_LEN);
	for (k = 0; k < 3; k++) {
		if (k > 0)
			msg[n++] = '\n';
		memcpy(msg + n, d[k], ATTEST_HEX_LEN);
		n += ATTEST_HEX_LEN;
	}
	return 0;
}

/* Sign the message over the three digests with key. */
static int
sign_with(EVP_PKEY *key, const char *function_hex, const char *input_hex,
	  const char *output_hex, unsigned char sig[ATTEST_SIG_BYTES],
	  char *err, size_t errlen)
{
	unsigned char msg[MESSAGE_LEN];
	size_t siglen = ATTEST_SIG_BYTES;
	EVP_MD_CTX *md;
	int rc;

	rc = message(function_hex, input_hex, output_hex, msg, err, errlen);
	if (rc < 0)
		return rc;
	md = EVP_MD_CTX_new();
	/* Ed25519 is one-shot: no digest, EVP_DigestSign only. */
	if (md == NULL ||
	    EVP_DigestSignInit_ex(md, NULL, NULL, NULL, NULL, key, NULL) != 1 ||
	    EVP_DigestSign(md, sig, &siglen, msg, sizeof(msg)) != 1 ||
	    siglen != ATTEST_SIG_BYTES) {
		rc = err_set(err, errlen, ERR_INTERNAL,
			     "attestation: Ed25519 signing failed");
		goto out;
	}
	rc = 0;
out:
	EVP_MD_CTX_free(md);
	return rc;
}

static EVP_PKEY *
private_key(const unsigned char sk[ATTEST_SK_BYTES], char *err, size_t errlen)
{
	EVP_PKEY *key = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, sk,
						     ATTEST_SK_BYTES);

	if (key == NULL)
		err_set(err, errlen, ERR_INVALID,
			"attestation: cannot load the Ed25519 "
			"key");
	return key;
}

int
attest_sign(const unsigned char sk[ATTEST_SK_BYTES], const char *function_hex,
	    const char *input_hex, const char *output_hex,
	    unsigned char sig[ATTEST_SIG_BYTES], char *err, size_t errlen)
{
	EVP_PKEY *key = private_key(sk, err, errlen);
	int rc;

	if (key == NULL)
		return -1;
	rc = sign_with(key, function_hex, input_hex, output_hex, sig, err,
		       errlen);
	EVP_PKEY_free(key);
	return rc;
}

/*
 * An EVP_PKEY is safe to sign with from several threads as long as none
 * changes it (openssl-threads(7)); nothing here does.
 *
 * Ed25519 is one-shot, so each message needs EVP_DigestSignInit again;
 * but made afresh, a context costs a fetch of the algorithm and a new
 * provider context each time (about 2 us, some 4% of a signature).
 * Called with a NULL key on a context already set up for one, it only
 * re-arms the provider's context with the same key (OpenSSL 3.0's
 * EVP_DigestInit_ex() relies on this too), a few tens of nanoseconds.
 * So a signer keeps the contexts it made, each used by one thread at a
 * time: up to CTX_MAX idle ones, as many as handler threads sign at once
 * on a busy host; past that a context is made and freed per signature.
 */
#define CTX_MAX 16

struct attest_signer {
	EVP_PKEY *key;
	pthread_mutex_t lock; /* guards idle, nidle */
	EVP_MD_CTX *idle[CTX_MAX];
	size_t nidle;
};

struct attest_signer *
attest_signer_new(const unsigned char sk[ATTEST_SK_BYTES], char *err,
		  size_t errlen)
{
	struct attest_signer *s = calloc(1, sizeof(*s));

	if (s == NULL) {
		err_set(err, errlen, ERR_INTERNAL,
			"attestation: out of memory");
		return NULL;
	}
	s->key = private_key(sk, err, errlen);
	if (s->key == NULL) {
		free(s);
		return NULL;
	}
	pthread_mutex_init(&s->lock, NULL);
	return s;
}

void
attest_signer_free(struct attest_signer *s)
{
	if (s == NULL)
		return;
	while (s->nidle > 0)
		EVP_MD_CTX_free(s->idle[--s->nidle]);
	pthread_mutex_destroy(&s->lock);
	EVP_PKEY_free(s->key);
	free(s);
}

/* A context set up to sign with s's key, re-armed for one message, or
 * NULL. */
static EVP_MD_CTX *
ctx_take(struct attest_signer *s)
{
	EVP_MD_CTX *md = NULL;

	pthread_mutex_lock(&s->lock);
	if (s->nidle > 0)
		md = s->idle[--s->nidle];
	pthread_mutex_unlock(&s->lock);
	if (md != NULL &&
	    EVP_DigestSignInit_ex(md, NULL, NULL, NULL, NULL, NULL, NULL) == 1)
		return md;
	/* None idle, or one that could not be re-armed: a fresh one. */
	EVP_MD_CTX_free(md);
	md = EVP_MD_CTX_new();
	if (md != NULL && EVP_DigestSignInit_ex(md, NULL, NULL, NULL, NULL,
						s->key, NULL) != 1) {
		EVP_MD_CTX_free(md);
		md = NULL;
	}
	return md;
}

/* Give md back after a signature that succeeded (one that failed may
 * have left it in any state, and is freed). */
static void
ctx_give(struct attest_signer *s, EVP_MD_CTX *md, int ok)
{
	if (ok) {
		pthread_mutex_lock(&s->lock);
		if (s->nidle < CTX_MAX) {
			s->idle[s->nidle++] = md;
			md = NULL;
		}
		pthread_mutex_unlock(&s->lock);
	}
	EVP_MD_CTX_free(md);
}

int
attest_signer_sign_b64(struct attest_signer *s, const char *function_hex,
		       const char *input_hex, const char *output_hex,
		       char b64[ATTEST_SIG_B64_LEN + 1], char *err,
		       size_t errlen)
{
	unsigned char msg[MESSAGE_LEN], sig[ATTEST_SIG_BYTES];
	size_t siglen = ATTEST_SIG_BYTES;
	EVP_MD_CTX *md;
	int rc, ok;

	rc = message(function_hex, input_hex, output_hex, msg, err, errlen);
	if (rc < 0)
		return rc;
	md = ctx_take(s);
	if (md == NULL)
		return err_set(err, errlen, ERR_INTERNAL,
			       "attestation: Ed25519 signing failed");
	ok = EVP_DigestSign(md, sig, &siglen, msg, sizeof(msg)) == 1 &&
	     siglen == ATTEST_SIG_BYTES;
	ctx_give(s, md, ok);
	if (!ok)
		return err_set(err, errlen, ERR_INTERNAL,
			       "attestation: Ed25519 signing failed");
	if (b64_encode(b64, ATTEST_SIG_B64_LEN + 1, sig, sizeof(sig)) !=
	    ATTEST_SIG_B64_LEN)
		return err_set(err, errlen, ERR_INTERNAL,
			       "attestation: base64 encoding failed");
	return 0;
}

int
attest_verify(const unsigned char pk[ATTEST_PK_BYTES], const char *function_hex,
	      const char *input_hex, const char *output_hex,
	      const unsigned char sig[ATTEST_SIG_BYTES], char *err,
	      size_t errlen)
{
	unsigned char msg[MESSAGE_LEN];
	EVP_PKEY *key = NULL;
	EVP_MD_CTX *md = NULL;
	int rc;

	rc = message(function_hex, input_hex, output_hex, msg, err, errlen);
	if (rc < 0)
		return rc;
	key = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, pk,
					  ATTEST_PK_BYTES);
	if (key == NULL) {
		rc = err_set(err, errlen, ERR_INVALID,
			     "attestation: not an Ed25519 public key");
		goto out;
	}
	md = EVP_MD_CTX_new();
	if (md == NULL || EVP_DigestVerifyInit_ex(md, NULL, NULL, NULL, NULL,
						  key, NULL) != 1) {
		rc = err_set(err, errlen, ERR_INTERNAL,
			     "attestation: OpenSSL failed");
		goto out;
	}
	if (EVP_DigestVerify(md, sig, ATTEST_SIG_BYTES, msg, sizeof(msg)) !=
	    1) {
		rc = err_set(err, errlen, ERR_INVALID,
			     "attestation: signature does not verify");
		goto out;
	}
	rc = 0;
out:
	EVP_MD_CTX_free(md);
	EVP_PKEY_free(key);
	return rc;
}

int
attest_verify_b64(const unsigned char pk[ATTEST_PK_BYTES],
		  const char *function_hex, const char *input_hex,
		  const char *output_hex, const char *b64, size_t len,
		  char *err, size_t errlen)
{
	unsigned char sig[ATTEST_SIG_BYTES];
	size_t n;

	if (len != ATTEST_SIG_B64_LEN ||
	    b64_decode(sig, sizeof(sig), b64, len, &n) < 0 ||
	    n != ATTEST_SIG_BYTES)
		return err_set(err, errlen, ERR_INVALID,
			       "attestation: not base64 of a 64-byte "
			       "signature");
	return attest_verify(pk, function_hex, input_hex, output_hex, sig, err,
			     errlen);
}
