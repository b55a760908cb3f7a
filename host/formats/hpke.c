/*
 * hpke.c: RFC 9180 base mode for DHKEM(X25519, HKDF-SHA256), HKDF-SHA256,
 * ChaCha20-Poly1305 on OpenSSL 3.0 primitives, and fnhost's fnh1 text and
 * encrypted-invoke envelopes on top (see hpke.h).
 *
 * The section numbers in comments are RFC 9180's unless they say
 * otherwise.  Every buffer that held key material or a Diffie-Hellman
 * value is wiped with OPENSSL_cleanse() before it goes out of scope.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include "base/b64.h"
#include "formats/hpke.h"
#include "formats/rawkey.h"

#define VERSION_LABEL "HPKE-v1"
#define VERSION_LEN (sizeof(VERSION_LABEL) - 1)
#define LABEL_MAX 32 /* longest label passed below */

/* suite_id for the KEM's own derivations (section 4.1) and for the rest
 * of HPKE (section 5.1). */
static const unsigned char kem_suite[] = {
	'K', 'E', 'M', HPKE_KEM_ID >> 8, HPKE_KEM_ID & 0xff,
};
/* clang-format off */
static const unsigned char hpke_suite[] = {
	'H', 'P', 'K', 'E', HPKE_KEM_ID >> 8, HPKE_KEM_ID & 0xff,
	HPKE_KDF_ID >> 8, HPKE_KDF_ID & 0xff,
	HPKE_AEAD_ID >> 8, HPKE_AEAD_ID & 0xff,
};
/* clang-format on */
#define SUITE_MAX sizeof(hpke_suite)

/* ---- HKDF-SHA256 (RFC 5869) through EVP_KDF ------------------------------ */

/*
 * One HKDF step: mode is EVP_KDF_HKDF_MODE_EXTRACT_ONLY (key = ikm, salt)
 * or EVP_KDF_HKDF_MODE_EXPAND_ONLY (key = prk, info).  Returns 0 or -1.
 */
static int
hkdf(int mode, const void *key, size_t keylen, const void *salt, size_t saltlen,
     const void *info, size_t infolen, unsigned char *out, size_t outlen)
{
	OSSL_PARAM params[6], *p = params;
	EVP_KDF *kdf;
	EVP_KDF_CTX *kctx = NULL;
	int rc = -1;

	kdf = EVP_KDF_fetch(NULL, OSSL_KDF_NAME_HKDF, NULL);
	if (kdf == NULL)
		goto out;
	kctx = EVP_KDF_CTX_new(kdf);
	if (kctx == NULL)
		goto out;
	*p++ = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST,
						(char *)"SHA256", 0);
	*p++ = OSSL_PARAM_construct_int(OSSL_KDF_PARAM_MODE, &mode);
	*p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY,
						 (void *)key, keylen);
	/* An empty salt is HashLen zero bytes (RFC 5869 section 2.2),
	 * which is what HKDF does when no salt is given at all. */
	if (saltlen > 0)
		*p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT,
							 (void *)salt, saltlen);
	if (infolen > 0)
		*p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO,
							 (void *)info, infolen);
	*p = OSSL_PARAM_construct_end();
	if (EVP_KDF_derive(kctx, out, outlen, params) <= 0)
		goto out;
	rc = 0;
out:
	EVP_KDF_CTX_free(kctx);
	EVP_KDF_free(kdf);
	return rc;
}

static int
extract(const void *salt, size_t saltlen, const void *ikm, size_t ikmlen,
	unsigned char prk[HPKE_NH])
{
	return hkdf(EVP_KDF_HKDF_MODE_EXTRACT_ONLY, ikm, ikmlen, salt, saltlen,
		    NULL, 0, prk, HPKE_NH);
}

static int
expand(const unsigned char prk[HPKE_NH], const void *info, size_t infolen,
       unsigned char *out, size_t L)
{
	return hkdf(EVP_KDF_HKDF_MODE_EXPAND_ONLY, prk, HPKE_NH, NULL, 0, info,
		    infolen, out, L);
}

/* LabeledExtract(salt, label, ikm) (section 4); ikm at most
 * HPKE_INFO_MAX bytes. */
static int
labeled_extract(const unsigned char *suite, size_t suitelen, const void *salt,
		size_t saltlen, const char *label, const void *ikm,
		size_t ikmlen, unsigned char prk[HPKE_NH])
{
	unsigned char buf[VERSION_LEN + SUITE_MAX + LABEL_MAX + HPKE_INFO_MAX];
	size_t labellen = strlen(label), n = 0;
	int rc;

	if (suitelen > SUITE_MAX || labellen > LABEL_MAX ||
	    ikmlen > HPKE_INFO_MAX)
		return -1;
	memcpy(buf, VERSION_LABEL, VERSION_LEN);
	n += VERSION_LEN;
	memcpy(buf + n, suite, suitelen);
	n += suitelen;
	memcpy(buf + n, label, labellen);
	n += labellen;
	if (ikmlen > 0)
		memcpy(buf + n, ikm, ikmlen);
	n += ikmlen;
	rc = extract(salt, saltlen, buf, n, prk);
	OPENSSL_cleanse(buf, n);
	return rc;
}

/* LabeledExpand(prk, label, info, L) (section 4); info at most
 * HPKE_EXPORT_CONTEXT_MAX bytes. */
static int
labeled_expand(const unsigned char *suite, size_t suitelen,
	       const unsigned char prk[HPKE_NH], const char *label,
	       const void *info, size_t infolen, unsigned char *out, size_t L)
{
	unsigned char buf[2 + VERSION_LEN + SUITE_MAX + LABEL_MAX +
			  HPKE_EXPORT_CONTEXT_MAX];
	size_t labellen = strlen(label), n = 0;
	int rc;

	if (suitelen > SUITE_MAX || labellen > LABEL_MAX ||
	    infolen > HPKE_EXPORT_CONTEXT_MAX || L == 0 || L > 255 * HPKE_NH)
		return -1;
	buf[n++] = (unsigned char)(L >> 8);
	buf[n++] = (unsigned char)L;
	memcpy(buf + n, VERSION_LABEL, VERSION_LEN);
	n += VERSION_LEN;
	memcpy(buf + n, suite, suitelen);
	n += suitelen;
	memcpy(buf + n, label, labellen);
	n += labellen;
	if (infolen > 0)
		memcpy(buf + n, info, infolen);
	n += infolen;
	rc = expand(prk, buf, n, out, L);
	OPENSSL_cleanse(buf, n);
	return rc;
}

/* ---- X25519 -------------------------------------------------------------- */

_Static_assert(HPKE_NSK == RAWKEY_BYTES && HPKE_NPK == RAWKEY_BYTES,
	       "X25519 halves are raw 32-byte keys");

int
hpke_keygen(unsigned char sk[HPKE_NSK], unsigned char pk[HPKE_NPK], char *err,
	    size_t errlen)
{
	return rawkey_generate("X25519", "X25519", sk, pk, err, errlen);
}

int
hpke_public_key(const unsigned char sk[HPKE_NSK], unsigned char pk[HPKE_NPK],
		char *err, size_t errlen)
{
	return rawkey_public("X25519", "X25519", sk, pk, err, errlen);
}

/* DH(sk, pk) into out.  OpenSSL refuses an all-zero result (a low-order
 * pk), which section 7.1.4 requires us to refuse. */
static int
x25519(const unsigned char sk[HPKE_NSK], const unsigned char pk[HPKE_NPK],
       unsigned char out[32])
{
	EVP_PKEY *priv = NULL, *peer = NULL;
	EVP_PKEY_CTX *pctx = NULL;
	size_t len = 32;
	int rc = -1;

	priv = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL, sk,
					    HPKE_NSK);
	peer = EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, NULL, pk, HPKE_NPK);
	if (priv == NULL || peer == NULL)
		goto out;
	pctx = EVP_PKEY_CTX_new_from_pkey(NULL, priv, NULL);
	if (pctx == NULL || EVP_PKEY_derive_init(pctx) != 1 ||
	    EVP_PKEY_derive_set_peer(pctx, peer) != 1 ||
	    EVP_PKEY_derive(pctx, out, &len) != 1 || len != 32) {
		OPENSSL_cleanse(out, 32);
		goto out;
	}
	rc = 0;
out:
	EVP_PKEY_CTX_free(pctx);
	EVP_PKEY_free(peer);
	EVP_PKEY_free(priv);
	return rc;
}

int
hpke_derive_keypair(const void *ikm, size_t ikmlen, unsigned char sk[HPKE_NSK],
		    unsigned char pk[HPKE_NPK], char *err, size_t errlen)
{
	unsigned char prk[HPKE_NH];
	int rc = -1;

	if (ikmlen < HPKE_NSK || ikmlen > HPKE_INFO_MAX)
		return err_set(err, errlen, ERR_INVALID,
			       "DeriveKeyPair: ikm must be %d to %d "
			       "bytes, not %zu",
			       HPKE_NSK, HPKE_INFO_MAX, ikmlen);
	/* Section 7.1.3: X25519 takes any 32 bytes as a private key. */
	if (labeled_extract(kem_suite, sizeof(kem_suite), NULL, 0, "dkp_prk",
			    ikm, ikmlen, prk) < 0 ||
	    labeled_expand(kem_suite, sizeof(kem_suite), prk, "sk", NULL, 0, sk,
			   HPKE_NSK) < 0) {
		rc = err_set(err, errlen, ERR_INTERNAL,
			     "DeriveKeyPair: HKDF failed");
		goto out;
	}
	rc = hpke_public_key(sk, pk, err, errlen);
out:
	if (rc < 0)
		OPENSSL_cleanse(sk, HPKE_NSK);
	OPENSSL_cleanse(prk, sizeof(prk));
	return rc;
}

/* ---- DHKEM (section 4.1) ------------------------------------------------- */

/* ExtractAndExpand(dh, enc || pkR) into shared_secret. */
static int
extract_and_expand(const unsigned char dh[32],
		   const unsigned char enc[HPKE_NENC],
		   const unsigned char pkR[HPKE_NPK],
		   unsigned char shared_secret[HPKE_NSECRET])
{
	unsigned char kem_context[HPKE_NENC + HPKE_NPK], prk[HPKE_NH];
	int rc;

	memcpy(kem_context, enc, HPKE_NENC);
	memcpy(kem_context + HPKE_NENC, pkR, HPKE_NPK);
	rc = labeled_extract(kem_suite, sizeof(kem_suite), NULL, 0, "eae_prk",
			     dh, 32, prk);
	if (rc == 0)
		rc = labeled_expand(kem_suite, sizeof(kem_suite), prk,
				    "shared_secret", kem_context,
				    sizeof(kem_context), shared_secret,
				    HPKE_NSECRET);
	OPENSSL_cleanse(prk, sizeof(prk));
	return rc;
}

int
hpke_encap(const unsigned char pkR[HPKE_NPK], const unsigned char *skE,
	   unsigned char enc[HPKE_NENC],
	   unsigned char shared_secret[HPKE_NSECRET], char *err, size_t errlen)
{
	unsigned char sk[HPKE_NSK], dh[32];
	int rc = -1;

	if (skE != NULL) {
		memcpy(sk, skE, HPKE_NSK);
		rc = hpke_public_key(sk, enc, err, errlen);
		if (rc < 0)
			goto out;
	} else if ((rc = hpke_keygen(sk, enc, err, errlen)) < 0) {
		goto out;
	}
	if (x25519(sk, pkR, dh) < 0) {
		rc = err_set(err, errlen, ERR_INVALID,
			     "Encap: the recipient's public key is "
			     "not a usable X25519 key");
		goto out;
	}
	if (extract_and_expand(dh, enc, pkR, shared_secret) < 0) {
		rc = err_set(err, errlen, ERR_INTERNAL, "Encap: HKDF failed");
		goto out;
	}
	rc = 0;
out:
	OPENSSL_cleanse(sk, sizeof(sk));
	OPENSSL_cleanse(dh, sizeof(dh));
	return rc;
}

int
hpke_decap(const unsigned char enc[HPKE_NENC],
	   const unsigned char skR[HPKE_NSK],
	   unsigned char shared_secret[HPKE_NSECRET], char *err, size_t errlen)
{
	unsigned char pkR[HPKE_NPK], dh[32];
	int rc = -1;

	rc = hpke_public_key(skR, pkR, err, errlen);
	if (rc < 0)
		goto out;
	if (x25519(skR, enc, dh) < 0) {
		rc = err_set(err, errlen, ERR_INVALID,
			     "Decap: the encapsulated key is not a "
			     "usable X25519 key");
		goto out;
	}
	if (extract_and_expand(dh, enc, pkR, shared_secret) < 0) {
		rc = err_set(err, errlen, ERR_INTERNAL, "Decap: HKDF failed");
		goto out;
	}
	rc = 0;
out:
	OPENSSL_cleanse(dh, sizeof(dh));
	return rc;
}

/* ---- key schedule and contexts (sections 5.1 to 5.3) --------------------- */

int
hpke_key_schedule(struct hpke_ctx *ctx,
		  const unsigned char shared_secret[HPKE_NSECRET],
		  const void *info, size_t infolen, unsigned char *ks_context,
		  unsigned char *secret, char *err, size_t errlen)
{
	unsigned char ksc[HPKE_KS_CONTEXT_LEN], sec[HPKE_NH];
	int rc = -1;

	memset(ctx, 0, sizeof(*ctx));
	if (infolen > HPKE_INFO_MAX)
		return err_set(err, errlen, ERR_INVALID,
			       "HPKE info is %zu bytes, more than %d", infolen,
			       HPKE_INFO_MAX);
	/* Base mode: psk and psk_id are empty. */
	ksc[0] = 0x00;
	if (labeled_extract(hpke_suite, sizeof(hpke_suite), NULL, 0,
			    "psk_id_hash", NULL, 0, ksc + 1) < 0 ||
	    labeled_extract(hpke_suite, sizeof(hpke_suite), NULL, 0,
			    "info_hash", info, infolen,
			    ksc + 1 + HPKE_NH) < 0 ||
	    labeled_extract(hpke_suite, sizeof(hpke_suite), shared_secret,
			    HPKE_NSECRET, "secret", NULL, 0, sec) < 0 ||
	    labeled_expand(hpke_suite, sizeof(hpke_suite), sec, "key", ksc,
			   sizeof(ksc), ctx->key, HPKE_NK) < 0 ||
	    labeled_expand(hpke_suite, sizeof(hpke_suite), sec, "base_nonce",
			   ksc, sizeof(ksc), ctx->base_nonce, HPKE_NN) < 0 ||
	    labeled_expand(hpke_suite, sizeof(hpke_suite), sec, "exp", ksc,
			   sizeof(ksc), ctx->exporter_secret, HPKE_NH) < 0) {
		err_set(err, errlen, ERR_INTERNAL,
			"HPKE key schedule: HKDF failed");
		hpke_ctx_clear(ctx);
		goto out;
	}
	if (ks_context != NULL)
		memcpy(ks_context, ksc, sizeof(ksc));
	if (secret != NULL)
		memcpy(secret, sec, sizeof(sec));
	ctx->seq = 0;
	ctx->ready = true;
	rc = 0;
out:
	OPENSSL_cleanse(sec, sizeof(sec));
	return rc;
}

int
hpke_setup_base_s(struct hpke_ctx *ctx, unsigned char enc[HPKE_NENC],
		  const unsigned char pkR[HPKE_NPK], const void *info,
		  size_t infolen, const unsigned char *skE, char *err,
		  size_t errlen)
{
	unsigned char ss[HPKE_NSECRET];
	int rc;

	memset(ctx, 0, sizeof(*ctx));
	rc = hpke_encap(pkR, skE, enc, ss, err, errlen);
	if (rc == 0)
		rc = hpke_key_schedule(ctx, ss, info, infolen, NULL, NULL, err,
				       errlen);
	OPENSSL_cleanse(ss, sizeof(ss));
	return rc;
}

int
hpke_setup_base_r(struct hpke_ctx *ctx, const unsigned char enc[HPKE_NENC],
		  const unsigned char skR[HPKE_NSK], const void *info,
		  size_t infolen, char *err, size_t errlen)
{
	unsigned char ss[HPKE_NSECRET];
	int rc;

	memset(ctx, 0, sizeof(*ctx));
	rc = hpke_decap(enc, skR, ss, err, errlen);
	if (rc == 0)
		rc = hpke_key_schedule(ctx, ss, info, infolen, NULL, NULL, err,
				       errlen);
	OPENSSL_cleanse(ss, sizeof(ss));
	return rc;
}

/* ComputeNonce(seq) (section 5.2): base_nonce XOR I2OSP(seq, Nn). */
static void
compute_nonce(const struct hpke_ctx *ctx, unsigned char nonce[HPKE_NN])
{
	uint64_t seq = ctx->seq;
	int i;

	memcpy(nonce, ctx->base_nonce, HPKE_NN);
	for (i = HPKE_NN - 1; i >= HPKE_NN - 8; i--) {
		nonce[i] ^= (unsigned char)seq;
		seq >>= 8;
	}
}

/* ChaCha20-Poly1305 (RFC 8439) encryption of len bytes: ct gets the
 * ciphertext and then the 16-byte tag. */
static int
aead_seal(const unsigned char key[HPKE_NK], const unsigned char nonce[HPKE_NN],
	  const void *aad, size_t aadlen, const void *pt, size_t len,
	  unsigned char *ct)
{
	EVP_CIPHER_CTX *c;
	int n, rc = -1;

	if (aadlen > HPKE_MSG_MAX || len > HPKE_MSG_MAX)
		return -1;
	c = EVP_CIPHER_CTX_new();
	if (c == NULL || EVP_EncryptInit_ex2(c, EVP_chacha20_poly1305(), key,
					     nonce, NULL) != 1)
		goto out;
	if (aadlen > 0 && EVP_EncryptUpdate(c, NULL, &n, aad, (int)aadlen) != 1)
		goto out;
	if (len > 0 && EVP_EncryptUpdate(c, ct, &n, pt, (int)len) != 1)
		goto out;
	if (EVP_EncryptFinal_ex(c, ct + len, &n) != 1 ||
	    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_GET_TAG, HPKE_NT, ct + len) !=
		    1)
		goto out;
	rc = 0;
out:
	EVP_CIPHER_CTX_free(c);
	return rc;
}

/* The inverse of aead_seal(): ctlen includes the tag.  On failure pt is
 * zeroed, so no unauthenticated plaintext ever leaves. */
static int
aead_open(const unsigned char key[HPKE_NK], const unsigned char nonce[HPKE_NN],
	  const void *aad, size_t aadlen, const unsigned char *ct, size_t ctlen,
	  unsigned char *pt)
{
	EVP_CIPHER_CTX *c;
	unsigned char tag[HPKE_NT];
	size_t len;
	int n, rc = -1;

	if (ctlen < HPKE_NT || aadlen > HPKE_MSG_MAX ||
	    ctlen > HPKE_MSG_MAX + HPKE_NT)
		return -1;
	len = ctlen - HPKE_NT;
	memcpy(tag, ct + len, HPKE_NT);
	c = EVP_CIPHER_CTX_new();
	if (c == NULL || EVP_DecryptInit_ex2(c, EVP_chacha20_poly1305(), key,
					     nonce, NULL) != 1)
		goto out;
	if (aadlen > 0 && EVP_DecryptUpdate(c, NULL, &n, aad, (int)aadlen) != 1)
		goto out;
	if (len > 0 && EVP_DecryptUpdate(c, pt, &n, ct, (int)len) != 1)
		goto out;
	if (EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_SET_TAG, HPKE_NT, tag) != 1 ||
	    EVP_DecryptFinal_ex(c, pt + len, &n) != 1)
		goto out;
	rc = 0;
out:
	if (rc < 0 && len > 0)
		OPENSSL_cleanse(pt, len);
	EVP_CIPHER_CTX_free(c);
	return rc;
}

/* Common checks of hpke_seal() and hpke_open(). */
static int
ctx_usable(const struct hpke_ctx *ctx, char *err, size_t errlen)
{
	if (ctx == NULL || !ctx->ready)
		return err_set(err, errlen, ERR_INVALID,
			       "HPKE context is not set up");
	/* Section 5.2 stops at 2^96 - 1; a 64-bit count stops earlier,
	 * which no real use reaches either. */
	if (ctx->seq == UINT64_MAX)
		return err_set(err, errlen, ERR_INVALID,
			       "HPKE message limit reached: the "
			       "sequence number would overflow");
	return 0;
}

int
hpke_seal(struct hpke_ctx *ctx, const void *aad, size_t aadlen, const void *pt,
	  size_t ptlen, unsigned char *ct, char *err, size_t errlen)
{
	unsigned char nonce[HPKE_NN];
	int rc;

	rc = ctx_usable(ctx, err, errlen);
	if (rc < 0)
		return rc;
	if (ptlen > HPKE_MSG_MAX || aadlen > HPKE_MSG_MAX)
		return err_set(err, errlen, ERR_INVALID,
			       "HPKE seal: message or aad over %zu bytes",
			       HPKE_MSG_MAX);
	compute_nonce(ctx, nonce);
	if (aead_seal(ctx->key, nonce, aad, aadlen, pt, ptlen, ct) < 0)
		return err_set(err, errlen, ERR_INTERNAL,
			       "HPKE seal: ChaCha20-Poly1305 failed");
	ctx->seq++;
	return 0;
}

int
hpke_open(struct hpke_ctx *ctx, const void *aad, size_t aadlen, const void *ct,
	  size_t ctlen, unsigned char *pt, char *err, size_t errlen)
{
	unsigned char nonce[HPKE_NN];
	int rc;

	rc = ctx_usable(ctx, err, errlen);
	if (rc < 0)
		return rc;
	if (ctlen < HPKE_NT || ctlen > HPKE_MSG_MAX + HPKE_NT ||
	    aadlen > HPKE_MSG_MAX)
		return err_set(err, errlen, ERR_INVALID,
			       "HPKE open: ciphertext of %zu bytes is "
			       "out of bounds",
			       ctlen);
	compute_nonce(ctx, nonce);
	if (aead_open(ctx->key, nonce, aad, aadlen, ct, ctlen, pt) < 0)
		return err_set(err, errlen, ERR_INVALID,
			       "HPKE open: wrong key or altered "
			       "ciphertext");
	ctx->seq++;
	return 0;
}

int
hpke_export(const struct hpke_ctx *ctx, const void *exctx, size_t exctxlen,
	    unsigned char *out, size_t L, char *err, size_t errlen)
{
	if (ctx == NULL || !ctx->ready)
		return err_set(err, errlen, ERR_INVALID,
			       "HPKE context is not set up");
	if (exctxlen > HPKE_EXPORT_CONTEXT_MAX || L == 0 || L > HPKE_EXPORT_MAX)
		return err_set(err, errlen, ERR_INVALID,
			       "HPKE export: context of %zu bytes or "
			       "length %zu out of bounds",
			       exctxlen, L);
	if (labeled_expand(hpke_suite, sizeof(hpke_suite), ctx->exporter_secret,
			   "sec", exctx, exctxlen, out, L) < 0)
		return err_set(err, errlen, ERR_INTERNAL,
			       "HPKE export: HKDF failed");
	return 0;
}

void
hpke_ctx_clear(struct hpke_ctx *ctx)
{
	if (ctx != NULL)
		OPENSSL_cleanse(ctx, sizeof(*ctx));
}

void
hpke_free(void *p, size_t len)
{
	if (p == NULL)
		return;
	OPENSSL_cleanse(p, len);
	free(p);
}

/* ---- fnh2 text ----------------------------------------------------------- */

#define TEXT_PREFIX_LEN (sizeof(HPKE_TEXT_PREFIX) - 1)
#define TEXT_LABEL_LEN (sizeof(HPKE_TEXT_INFO) - 1)
#define TEXT_INFO_LEN (TEXT_LABEL_LEN + 1 + HPKE_CHECKSUM_LEN)

bool
hpke_checksum_ok(const char *checksum)
{
	size_t i;

	if (checksum == NULL)
		return false;
	for (i = 0; i < HPKE_CHECKSUM_LEN; i++)
		if (!((checksum[i] >= '0' && checksum[i] <= '9') ||
		      (checksum[i] >= 'a' && checksum[i] <= 'f')))
			return false;
	return checksum[HPKE_CHECKSUM_LEN] == '\0';
}

static bool
has_prefix(const void *buf, size_t len, const char *prefix)
{
	size_t n = strlen(prefix);

	return len >= n && memcmp(buf, prefix, n) == 0;
}

bool
hpke_is_text(const void *buf, size_t len)
{
	return has_prefix(buf, len, HPKE_TEXT_PREFIX) ||
	       has_prefix(buf, len, HPKE_TEXT_V1_PREFIX);
}

/* info = "fnhost encrypt v2" || 0x00 || checksum: the function is part of
 * the key schedule, so a text made for one function does not open for
 * another, whatever the host's key. */
static int
text_info(const char *checksum, unsigned char info[TEXT_INFO_LEN], char *err,
	  size_t errlen)
{
	if (!hpke_checksum_ok(checksum))
		return err_set(err, errlen, ERR_INVALID,
			       "not a function checksum (64 lower-case hex)");
	memcpy(info, HPKE_TEXT_INFO, TEXT_LABEL_LEN);
	info[TEXT_LABEL_LEN] = 0x00;
	memcpy(info + TEXT_LABEL_LEN + 1, checksum, HPKE_CHECKSUM_LEN);
	return 0;
}

int
hpke_encrypt_text(const unsigned char pk[HPKE_NPK], const char *checksum,
		  const unsigned char *skE, const void *pt, size_t ptlen,
		  char **text, size_t *textlen, char *err, size_t errlen)
{
	unsigned char info[TEXT_INFO_LEN], *raw = NULL;
	struct hpke_ctx ctx;
	size_t rawlen, b64len;
	char *t = NULL;
	int rc;

	*text = NULL;
	rc = text_info(checksum, info, err, errlen);
	if (rc < 0)
		return rc;
	if (ptlen > HPKE_MSG_MAX)
		return err_set(err, errlen, ERR_INVALID,
			       "plaintext of %zu bytes is over %zu", ptlen,
			       HPKE_MSG_MAX);
	rawlen = HPKE_NENC + ptlen + HPKE_NT;
	b64len = b64url_encoded_len(rawlen);
	raw = malloc(rawlen);
	t = malloc(TEXT_PREFIX_LEN + b64len + 1);
	if (raw == NULL || t == NULL) {
		rc = err_set(err, errlen, ERR_INTERNAL, "out of memory");
		goto out;
	}
	rc = hpke_setup_base_s(&ctx, raw, pk, info, sizeof(info), skE, err,
			       errlen);
	if (rc < 0)
		goto out;
	rc = hpke_seal(&ctx, NULL, 0, pt, ptlen, raw + HPKE_NENC, err, errlen);
	hpke_ctx_clear(&ctx);
	if (rc < 0)
		goto out;
	memcpy(t, HPKE_TEXT_PREFIX, TEXT_PREFIX_LEN);
	if (b64url_encode(t + TEXT_PREFIX_LEN, b64len + 1, raw, rawlen) < 0) {
		rc = err_set(err, errlen, ERR_INTERNAL,
			     "base64url encoding failed");
		goto out;
	}
	*text = t;
	*textlen = TEXT_PREFIX_LEN + b64len;
	t = NULL;
out:
	free(raw);
	free(t);
	return rc;
}

int
hpke_decrypt_text(const unsigned char sk[HPKE_NSK], const char *checksum,
		  const char *text, size_t textlen, unsigned char **pt,
		  size_t *ptlen, char *err, size_t errlen)
{
	unsigned char info[TEXT_INFO_LEN], *raw = NULL, *p = NULL;
	struct hpke_ctx ctx;
	size_t b64len, rawlen, len = 0;
	int rc;

	*pt = NULL;
	*ptlen = 0;
	rc = text_info(checksum, info, err, errlen);
	if (rc < 0)
		return rc;
	/* fnh1 named no function: any function on the host could read it,
	 * which is the leak fnh2 closes, so it is refused rather than kept
	 * readable for a release. */
	if (has_prefix(text, textlen, HPKE_TEXT_V1_PREFIX))
		return err_set(err, errlen, ERR_INVALID,
			       "fnh1: texts name no function and are no longer "
			       "accepted; re-encrypt for this function with "
			       "`fnhost encrypt -f ID` or `fnhost encrypt -c "
			       "CHECKSUM`");
	if (!has_prefix(text, textlen, HPKE_TEXT_PREFIX))
		return err_set(err, errlen, ERR_INVALID, "not an fnh2: text");
	b64len = textlen - TEXT_PREFIX_LEN;
	if (b64len > b64url_encoded_len(HPKE_NENC + HPKE_MSG_MAX + HPKE_NT))
		return err_set(err, errlen, ERR_INVALID, "fnh2: text too long");
	raw = malloc(b64_decoded_max(b64len) + 1);
	if (raw == NULL)
		return err_set(err, errlen, ERR_INTERNAL, "out of memory");
	if (b64url_decode(raw, b64_decoded_max(b64len), text + TEXT_PREFIX_LEN,
			  b64len, &rawlen) < 0) {
		rc = err_set(err, errlen, ERR_INVALID, "bad base64url");
		goto out;
	}
	if (rawlen < HPKE_NENC + HPKE_NT) {
		rc = err_set(err, errlen, ERR_INVALID, "too short");
		goto out;
	}
	len = rawlen - HPKE_NENC - HPKE_NT;
	p = malloc(len + 1);
	if (p == NULL) {
		rc = err_set(err, errlen, ERR_INTERNAL, "out of memory");
		goto out;
	}
	/* Which of the three it is can not be told apart: that is what an
	 * AEAD gives, so the message names all of them. */
	if (hpke_setup_base_r(&ctx, raw, sk, info, sizeof(info), NULL, 0) < 0 ||
	    hpke_open(&ctx, NULL, 0, raw + HPKE_NENC, rawlen - HPKE_NENC, p,
		      NULL, 0) < 0) {
		hpke_ctx_clear(&ctx);
		rc = err_set(err, errlen, ERR_INVALID,
			     "not made for function %.64s on this host, or "
			     "altered",
			     checksum);
		goto out;
	}
	hpke_ctx_clear(&ctx);
	p[len] = '\0';
	*pt = p;
	*ptlen = len;
	p = NULL;
	rc = 0;
out:
	hpke_free(p, len + 1);
	free(raw);
	return rc;
}

/* ---- encrypted invokes (RFC 9458 sections 4.3 and 4.4, our labels) ------- */

#define REQ_LABEL_LEN (sizeof(HPKE_OHTTP_REQ_LABEL) - 1)
#define RESP_LABEL_LEN (sizeof(HPKE_OHTTP_RESP_LABEL) - 1)
#define REQ_INFO_LEN                                                           \
	(REQ_LABEL_LEN + 1 + HPKE_OHTTP_HDR_LEN + HPKE_CHECKSUM_LEN)

/* hdr = key_id || kem_id || kdf_id || aead_id, and the request's info =
 * label || 0x00 || hdr || checksum: as for texts, the function is in the
 * key schedule, so a request opens only in a session of that function. */
static void
ohttp_header(uint8_t key_id, unsigned char hdr[HPKE_OHTTP_HDR_LEN])
{
	hdr[0] = key_id;
	hdr[1] = HPKE_KEM_ID >> 8;
	hdr[2] = HPKE_KEM_ID & 0xff;
	hdr[3] = HPKE_KDF_ID >> 8;
	hdr[4] = HPKE_KDF_ID & 0xff;
	hdr[5] = HPKE_AEAD_ID >> 8;
	hdr[6] = HPKE_AEAD_ID & 0xff;
}

static int
ohttp_info(const unsigned char hdr[HPKE_OHTTP_HDR_LEN], const char *checksum,
	   unsigned char info[REQ_INFO_LEN], char *err, size_t errlen)
{
	if (!hpke_checksum_ok(checksum))
		return err_set(err, errlen, ERR_INVALID,
			       "not a function checksum (64 lower-case hex)");
	memcpy(info, HPKE_OHTTP_REQ_LABEL, REQ_LABEL_LEN);
	info[REQ_LABEL_LEN] = 0x00;
	memcpy(info + REQ_LABEL_LEN + 1, hdr, HPKE_OHTTP_HDR_LEN);
	memcpy(info + REQ_LABEL_LEN + 1 + HPKE_OHTTP_HDR_LEN, checksum,
	       HPKE_CHECKSUM_LEN);
	return 0;
}

/* Keep what the response needs: enc and Export("fnhost response", Nk). */
static int
ohttp_keep(struct hpke_ohttp *st, const struct hpke_ctx *ctx,
	   const unsigned char enc[HPKE_NENC], char *err, size_t errlen)
{
	int rc;

	rc = hpke_export(ctx, HPKE_OHTTP_RESP_LABEL, RESP_LABEL_LEN, st->secret,
			 HPKE_NK, err, errlen);
	if (rc < 0)
		return rc;
	memcpy(st->enc, enc, HPKE_NENC);
	st->ready = true;
	return 0;
}

/* The response's AEAD key and nonce from st and response_nonce. */
static int
ohttp_response_keys(const struct hpke_ohttp *st,
		    const unsigned char nonce[HPKE_OHTTP_RESP_NONCE],
		    unsigned char key[HPKE_NK], unsigned char iv[HPKE_NN])
{
	unsigned char salt[HPKE_NENC + HPKE_OHTTP_RESP_NONCE], prk[HPKE_NH];
	int rc;

	memcpy(salt, st->enc, HPKE_NENC);
	memcpy(salt + HPKE_NENC, nonce, HPKE_OHTTP_RESP_NONCE);
	rc = extract(salt, sizeof(salt), st->secret, HPKE_NK, prk);
	if (rc == 0)
		rc = expand(prk, "key", 3, key, HPKE_NK);
	if (rc == 0)
		rc = expand(prk, "nonce", 5, iv, HPKE_NN);
	OPENSSL_cleanse(prk, sizeof(prk));
	return rc;
}

int
hpke_ohttp_seal_request(struct hpke_ohttp *st, uint8_t key_id,
			const unsigned char pk[HPKE_NPK], const char *checksum,
			const void *in, size_t len, unsigned char **req,
			size_t *reqlen, char *err, size_t errlen)
{
	unsigned char hdr[HPKE_OHTTP_HDR_LEN], info[REQ_INFO_LEN], *r = NULL;
	struct hpke_ctx ctx;
	size_t rlen;
	int rc = -1;

	memset(st, 0, sizeof(*st));
	memset(&ctx, 0, sizeof(ctx));
	*req = NULL;
	if (len > HPKE_MSG_MAX)
		return err_set(err, errlen, ERR_INVALID,
			       "request of %zu bytes is over %zu", len,
			       HPKE_MSG_MAX);
	rlen = HPKE_OHTTP_REQ_MIN + len;
	r = malloc(rlen);
	if (r == NULL)
		return err_set(err, errlen, ERR_INTERNAL, "out of memory");
	ohttp_header(key_id, hdr);
	if (ohttp_info(hdr, checksum, info, err, errlen) < 0)
		goto out;
	memcpy(r, hdr, sizeof(hdr));
	if ((rc = hpke_setup_base_s(&ctx, r + sizeof(hdr), pk, info,
				    sizeof(info), NULL, err, errlen)) < 0 ||
	    (rc = hpke_seal(&ctx, NULL, 0, in, len, r + sizeof(hdr) + HPKE_NENC,
			    err, errlen)) < 0 ||
	    (rc = ohttp_keep(st, &ctx, r + sizeof(hdr), err, errlen)) < 0)
		goto out;
	*req = r;
	*reqlen = rlen;
	r = NULL;
	rc = 0;
out:
	hpke_ctx_clear(&ctx);
	if (rc < 0)
		hpke_ohttp_clear(st);
	free(r);
	return rc;
}

int
hpke_ohttp_open_request(struct hpke_ohttp *st, uint8_t key_id,
			const unsigned char sk[HPKE_NSK], const char *checksum,
			const void *req, size_t reqlen, unsigned char **in,
			size_t *inlen, char *err, size_t errlen)
{
	const unsigned char *r = req;
	unsigned char hdr[HPKE_OHTTP_HDR_LEN], info[REQ_INFO_LEN], *p = NULL;
	struct hpke_ctx ctx;
	size_t len = 0;
	int rc = -1;

	memset(st, 0, sizeof(*st));
	memset(&ctx, 0, sizeof(ctx));
	*in = NULL;
	*inlen = 0;
	if (reqlen < HPKE_OHTTP_REQ_MIN)
		return err_set(err, errlen, ERR_INVALID,
			       "request too short: %zu bytes, at least "
			       "%d needed",
			       reqlen, HPKE_OHTTP_REQ_MIN);
	if (reqlen > HPKE_OHTTP_REQ_MIN + HPKE_MSG_MAX)
		return err_set(err, errlen, ERR_INVALID,
			       "request too long: %zu bytes", reqlen);
	if (r[0] != key_id)
		return err_set(err, errlen, ERR_INVALID,
			       "unknown key id %u (this host's is %u)", r[0],
			       key_id);
	ohttp_header(key_id, hdr);
	if (memcmp(r, hdr, sizeof(hdr)) != 0)
		return err_set(err, errlen, ERR_INVALID,
			       "unsupported HPKE suite kem 0x%04x kdf "
			       "0x%04x aead 0x%04x (this host has 0x%04x "
			       "0x%04x 0x%04x)",
			       r[1] << 8 | r[2], r[3] << 8 | r[4],
			       r[5] << 8 | r[6], HPKE_KEM_ID, HPKE_KDF_ID,
			       HPKE_AEAD_ID);
	if (ohttp_info(hdr, checksum, info, err, errlen) < 0)
		return -1;
	len = reqlen - HPKE_OHTTP_REQ_MIN;
	p = malloc(len + 1);
	if (p == NULL)
		return err_set(err, errlen, ERR_INTERNAL, "out of memory");
	if (hpke_setup_base_r(&ctx, r + sizeof(hdr), sk, info, sizeof(info),
			      NULL, 0) < 0) {
		rc = err_set(err, errlen, ERR_INVALID,
			     "cannot decrypt request: bad "
			     "encapsulated key");
		goto out;
	}
	if (hpke_open(&ctx, NULL, 0, r + sizeof(hdr) + HPKE_NENC, len + HPKE_NT,
		      p, NULL, 0) < 0) {
		rc = err_set(err, errlen, ERR_INVALID,
			     "cannot decrypt request: not made for function "
			     "%.64s with this host's key, or altered",
			     checksum);
		goto out;
	}
	rc = ohttp_keep(st, &ctx, r + sizeof(hdr), err, errlen);
	if (rc < 0)
		goto out;
	p[len] = '\0';
	*in = p;
	*inlen = len;
	p = NULL;
	rc = 0;
out:
	hpke_ctx_clear(&ctx);
	if (rc < 0)
		hpke_ohttp_clear(st);
	hpke_free(p, len + 1);
	return rc;
}

int
hpke_ohttp_seal_response(struct hpke_ohttp *st, const void *out, size_t len,
			 unsigned char **resp, size_t *resplen, char *err,
			 size_t errlen)
{
	unsigned char key[HPKE_NK], iv[HPKE_NN], *r = NULL;
	int rc = -1;

	*resp = NULL;
	if (st == NULL || !st->ready)
		return err_set(err, errlen, ERR_INVALID,
			       "no request to respond to");
	if (len > HPKE_MSG_MAX) {
		rc = err_set(err, errlen, ERR_INVALID,
			     "response of %zu bytes is over %zu", len,
			     HPKE_MSG_MAX);
		goto out;
	}
	r = malloc(HPKE_OHTTP_RESP_MIN + len);
	if (r == NULL) {
		rc = err_set(err, errlen, ERR_INTERNAL, "out of memory");
		goto out;
	}
	if (RAND_bytes(r, HPKE_OHTTP_RESP_NONCE) != 1) {
		rc = err_set(err, errlen, ERR_INTERNAL,
			     "no random bytes for the response nonce");
		goto out;
	}
	if (ohttp_response_keys(st, r, key, iv) < 0 ||
	    aead_seal(key, iv, NULL, 0, out, len, r + HPKE_OHTTP_RESP_NONCE) <
		    0) {
		rc = err_set(err, errlen, ERR_INTERNAL,
			     "cannot encrypt response: OpenSSL failed");
		goto out;
	}
	*resp = r;
	*resplen = HPKE_OHTTP_RESP_MIN + len;
	r = NULL;
	rc = 0;
out:
	OPENSSL_cleanse(key, sizeof(key));
	OPENSSL_cleanse(iv, sizeof(iv));
	hpke_ohttp_clear(st);
	free(r);
	return rc;
}

int
hpke_ohttp_open_response(struct hpke_ohttp *st, const void *resp,
			 size_t resplen, unsigned char **out, size_t *outlen,
			 char *err, size_t errlen)
{
	const unsigned char *r = resp;
	unsigned char key[HPKE_NK], iv[HPKE_NN], *p = NULL;
	size_t len = 0;
	int rc = -1;

	*out = NULL;
	*outlen = 0;
	if (st == NULL || !st->ready)
		return err_set(err, errlen, ERR_INVALID,
			       "no request this response answers");
	if (resplen < HPKE_OHTTP_RESP_MIN ||
	    resplen > HPKE_OHTTP_RESP_MIN + HPKE_MSG_MAX) {
		rc = err_set(err, errlen, ERR_INVALID,
			     "response of %zu bytes: too %s", resplen,
			     resplen < HPKE_OHTTP_RESP_MIN ? "short" : "long");
		goto out;
	}
	len = resplen - HPKE_OHTTP_RESP_MIN;
	p = malloc(len + 1);
	if (p == NULL) {
		rc = err_set(err, errlen, ERR_INTERNAL, "out of memory");
		goto out;
	}
	if (ohttp_response_keys(st, r, key, iv) < 0 ||
	    aead_open(key, iv, NULL, 0, r + HPKE_OHTTP_RESP_NONCE,
		      len + HPKE_NT, p) < 0) {
		rc = err_set(err, errlen, ERR_INVALID,
			     "cannot decrypt response: wrong key or "
			     "altered ciphertext");
		goto out;
	}
	p[len] = '\0';
	*out = p;
	*outlen = len;
	p = NULL;
	rc = 0;
out:
	OPENSSL_cleanse(key, sizeof(key));
	OPENSSL_cleanse(iv, sizeof(iv));
	hpke_ohttp_clear(st);
	hpke_free(p, len + 1);
	return rc;
}

void
hpke_ohttp_clear(struct hpke_ohttp *st)
{
	if (st != NULL)
		OPENSSL_cleanse(st, sizeof(*st));
}

/* ---- secrets ------------------------------------------------------------- */

/* "fnhost secret v1" || 0x00 || name || 0x00 || key into info (at least
 * HPKE_INFO_MAX bytes); its length in *len. */
static int
secret_info(const char *name, const char *key, unsigned char *info, size_t *len,
	    char *err, size_t errlen)
{
	size_t l = sizeof(HPKE_SECRET_INFO), nl, kl;

	if (!name || !key)
		return err_set(err, errlen, ERR_INVALID, "no name or key");
	nl = strlen(name);
	kl = strlen(key);
	if (nl > HPKE_INFO_MAX || kl > HPKE_INFO_MAX - nl ||
	    l + nl + 1 + kl > HPKE_INFO_MAX)
		return err_set(err, errlen, ERR_INVALID,
			       "name and key too long");
	memcpy(info, HPKE_SECRET_INFO, l); /* with its NUL: the 0x00 */
	memcpy(info + l, name, nl);
	info[l + nl] = 0;
	memcpy(info + l + nl + 1, key, kl);
	*len = l + nl + 1 + kl;
	return 0;
}

int
hpke_seal_secret(const unsigned char pk[HPKE_NPK], const char *name,
		 const char *key, const unsigned char *skE, const void *pt,
		 size_t ptlen, unsigned char **sealed, size_t *sealedlen,
		 char *err, size_t errlen)
{
	unsigned char info[HPKE_INFO_MAX], *raw;
	struct hpke_ctx ctx;
	size_t infolen;
	int rc;

	*sealed = NULL;
	rc = secret_info(name, key, info, &infolen, err, errlen);
	if (rc < 0)
		return rc;
	if (ptlen > HPKE_SECRET_MAX)
		return err_set(err, errlen, ERR_INVALID,
			       "a secret is at most %d bytes", HPKE_SECRET_MAX);
	raw = malloc(HPKE_NENC + ptlen + HPKE_NT);
	if (!raw)
		return err_set(err, errlen, ERR_INTERNAL, "out of memory");
	rc = hpke_setup_base_s(&ctx, raw, pk, info, infolen, skE, err, errlen);
	if (rc == 0)
		rc = hpke_seal(&ctx, NULL, 0, pt, ptlen, raw + HPKE_NENC, err,
			       errlen);
	hpke_ctx_clear(&ctx);
	if (rc < 0) {
		free(raw);
		return rc;
	}
	*sealed = raw;
	*sealedlen = HPKE_NENC + ptlen + HPKE_NT;
	return 0;
}

int
hpke_open_secret(const unsigned char sk[HPKE_NSK], const char *name,
		 const char *key, const void *sealed, size_t sealedlen,
		 unsigned char **pt, size_t *ptlen, char *err, size_t errlen)
{
	const unsigned char *raw = sealed;
	unsigned char info[HPKE_INFO_MAX], *p;
	struct hpke_ctx ctx;
	size_t infolen, len;
	int rc;

	*pt = NULL;
	*ptlen = 0;
	rc = secret_info(name, key, info, &infolen, err, errlen);
	if (rc < 0)
		return rc;
	if (sealedlen < HPKE_NENC + HPKE_NT)
		return err_set(err, errlen, ERR_INVALID, "too short");
	if (sealedlen > HPKE_SECRET_SEALED_MAX)
		return err_set(err, errlen, ERR_INVALID, "too long");
	len = sealedlen - HPKE_NENC - HPKE_NT;
	p = malloc(len + 1);
	if (!p)
		return err_set(err, errlen, ERR_INTERNAL, "out of memory");
	if (hpke_setup_base_r(&ctx, raw, sk, info, infolen, NULL, 0) < 0 ||
	    hpke_open(&ctx, NULL, 0, raw + HPKE_NENC, sealedlen - HPKE_NENC, p,
		      NULL, 0) < 0) {
		hpke_ctx_clear(&ctx);
		hpke_free(p, len + 1);
		return err_set(err, errlen, ERR_INVALID,
			       "not sealed for %.64s %.64s on this host, or "
			       "altered",
			       name, key);
	}
	hpke_ctx_clear(&ctx);
	p[len] = '\0';
	*pt = p;
	*ptlen = len;
	return 0;
}
