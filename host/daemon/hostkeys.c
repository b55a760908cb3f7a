/*
 * hostkeys.c: the host's encryption and attestation keys (see hostkeys.h).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "daemon/hostkeys.h"

#define ENCRYPT_KEY "encrypt.key"
#define ENCRYPT_OLD "encrypt.old"
#define ATTEST_KEY "attest.key"

/* encrypt.old: the key, then its deadline as 8 big-endian bytes. */
#define OLD_LEN (HPKE_NSK + 8)

/* Read keys/<name> (len bytes), or make it from fresh random bytes. */
static int
key_load(struct store *s, const char *name, unsigned char *key, size_t len,
	 char *err, size_t errlen)
{
	if (store_key_get(s, name, key, len, err, errlen) == 0)
		return 0;
	if (errno != ENOENT)
		return -1;
	if (RAND_priv_bytes(key, (int)len) != 1) {
		snprintf(err, errlen, "the random generator failed");
		return -1;
	}
	return store_key_put(s, name, key, len, err, errlen);
}

static void
old_decode(const unsigned char buf[OLD_LEN], unsigned char sk[HPKE_NSK],
	   int64_t *until)
{
	uint64_t t = 0;
	int i;

	memcpy(sk, buf, HPKE_NSK);
	for (i = 0; i < 8; i++)
		t = t << 8 | buf[HPKE_NSK + i];
	*until = (int64_t)t;
}

static void
old_encode(unsigned char buf[OLD_LEN], const unsigned char sk[HPKE_NSK],
	   int64_t until)
{
	uint64_t t = (uint64_t)until;
	int i;

	memcpy(buf, sk, HPKE_NSK);
	for (i = 7; i >= 0; i--, t >>= 8)
		buf[HPKE_NSK + i] = (unsigned char)t;
}

int
hostkeys_load(struct hostkeys *k, struct store *s, char *err, size_t errlen)
{
	unsigned char old[OLD_LEN];
	int ret = -1;

	memset(k, 0, sizeof(*k));
	pthread_rwlock_init(&k->lock, NULL);
	if (key_load(s, ENCRYPT_KEY, k->enc_sk, sizeof(k->enc_sk), err,
		     errlen) < 0 ||
	    hpke_public_key(k->enc_sk, k->enc_pk, err, errlen) < 0 ||
	    key_load(s, ATTEST_KEY, k->att_sk, sizeof(k->att_sk), err, errlen) <
		    0 ||
	    attest_public_key(k->att_sk, k->att_pk, err, errlen) < 0 ||
	    (k->signer = attest_signer_new(k->att_sk, err, errlen)) == NULL)
		goto out;
	if (store_key_get(s, ENCRYPT_OLD, old, sizeof(old), err, errlen) == 0) {
		old_decode(old, k->old_sk, &k->old_until);
		k->old_held = true;
	} else if (errno != ENOENT) {
		goto out;
	}
	ret = 0;
out:
	OPENSSL_cleanse(old, sizeof(old));
	if (ret < 0) {
		attest_signer_free(k->signer);
		k->signer = NULL;
	}
	return ret;
}

/*
 * The keys as the files now hold them, all or none: a missing or
 * malformed file leaves k as it was.  Nothing is made: on a reload a
 * missing key is the operator's copy gone wrong, and a key made here
 * would split the cluster.
 */
int
hostkeys_reload(struct hostkeys *k, struct store *s, bool *changed, char *err,
		size_t errlen)
{
	unsigned char enc[HPKE_NSK], enc_pk[HPKE_NPK], att[ATTEST_SK_BYTES];
	unsigned char att_pk[ATTEST_PK_BYTES], old[OLD_LEN], old_sk[HPKE_NSK];
	struct attest_signer *signer = NULL, *was = NULL;
	int64_t old_until = 0;
	bool old_held = false;
	int ret = -1;

	*changed = false;
	memset(old_sk, 0, sizeof(old_sk));
	if (store_key_get(s, ENCRYPT_KEY, enc, sizeof(enc), err, errlen) < 0 ||
	    hpke_public_key(enc, enc_pk, err, errlen) < 0 ||
	    store_key_get(s, ATTEST_KEY, att, sizeof(att), err, errlen) < 0 ||
	    attest_public_key(att, att_pk, err, errlen) < 0)
		goto out;
	if (store_key_get(s, ENCRYPT_OLD, old, sizeof(old), err, errlen) == 0) {
		old_decode(old, old_sk, &old_until);
		old_held = true;
	} else if (errno != ENOENT) {
		goto out;
	}
	pthread_rwlock_wrlock(&k->lock);
	*changed = CRYPTO_memcmp(enc, k->enc_sk, sizeof(enc)) != 0 ||
		   CRYPTO_memcmp(att, k->att_sk, sizeof(att)) != 0 ||
		   CRYPTO_memcmp(old_sk, k->old_sk, sizeof(old_sk)) != 0 ||
		   old_until != k->old_until;
	if (CRYPTO_memcmp(att, k->att_sk, sizeof(att)) != 0) {
		signer = attest_signer_new(att, err, errlen);
		if (signer == NULL) {
			pthread_rwlock_unlock(&k->lock);
			goto out;
		}
		was = k->signer;
		k->signer = signer;
		memcpy(k->att_sk, att, sizeof(att));
		memcpy(k->att_pk, att_pk, sizeof(att_pk));
	}
	memcpy(k->enc_sk, enc, sizeof(enc));
	memcpy(k->enc_pk, enc_pk, sizeof(enc_pk));
	memcpy(k->old_sk, old_sk, sizeof(old_sk));
	k->old_until = old_until;
	k->old_held = old_held;
	pthread_rwlock_unlock(&k->lock);
	attest_signer_free(was);
	ret = 0;
out:
	OPENSSL_cleanse(enc, sizeof(enc));
	OPENSSL_cleanse(att, sizeof(att));
	OPENSSL_cleanse(old, sizeof(old));
	OPENSSL_cleanse(old_sk, sizeof(old_sk));
	return ret;
}

void
hostkeys_clear(struct hostkeys *k)
{
	pthread_rwlock_destroy(&k->lock);
	attest_signer_free(k->signer);
	OPENSSL_cleanse(k, sizeof(*k));
}

void
hostkeys_public(struct hostkeys *k, unsigned char enc_pk[HPKE_NPK],
		unsigned char att_pk[ATTEST_PK_BYTES], int64_t *old_until)
{
	pthread_rwlock_rdlock(&k->lock);
	memcpy(enc_pk, k->enc_pk, HPKE_NPK);
	memcpy(att_pk, k->att_pk, ATTEST_PK_BYTES);
	*old_until = k->old_until;
	pthread_rwlock_unlock(&k->lock);
}

/*
 * The previous key is written first: a crash between the two writes
 * leaves the current key also named the previous one, which is harmless,
 * never a key lost that clients still encrypt to or that a stored secret
 * is sealed to.  It is written whatever keep_s: the secrets need it
 * until they are resealed (hostkeys_forget_old() then drops it).
 */
int
hostkeys_rotate(struct hostkeys *k, struct store *s, uint32_t keep_s, char *err,
		size_t errlen)
{
	unsigned char sk[HPKE_NSK], pk[HPKE_NPK], old[OLD_LEN];
	int64_t until = keep_s ? (int64_t)time(NULL) + keep_s : 0;
	int ret = -1;

	pthread_rwlock_wrlock(&k->lock);
	if (RAND_priv_bytes(sk, sizeof(sk)) != 1) {
		snprintf(err, errlen, "the random generator failed");
		goto out;
	}
	if (hpke_public_key(sk, pk, err, errlen) < 0)
		goto out;
	old_encode(old, k->enc_sk, until);
	if (store_key_put(s, ENCRYPT_OLD, old, sizeof(old), err, errlen) < 0 ||
	    store_key_put(s, ENCRYPT_KEY, sk, sizeof(sk), err, errlen) < 0)
		goto out;
	memcpy(k->old_sk, k->enc_sk, HPKE_NSK);
	k->old_until = until;
	k->old_held = true;
	memcpy(k->enc_sk, sk, HPKE_NSK);
	memcpy(k->enc_pk, pk, HPKE_NPK);
	ret = 0;
out:
	pthread_rwlock_unlock(&k->lock);
	OPENSSL_cleanse(sk, sizeof(sk));
	OPENSSL_cleanse(old, sizeof(old));
	return ret;
}

/* Whether the previous key still decrypts; take the lock first. */
static bool
old_honoured(const struct hostkeys *k)
{
	return k->old_until != 0 && (int64_t)time(NULL) < k->old_until;
}

int
hostkeys_reseal_secret(struct hostkeys *k, const char *name, const char *key,
		       const void *sealed, size_t len, unsigned char **out,
		       size_t *outlen, char *err, size_t errlen)
{
	unsigned char *pt = NULL;
	size_t ptlen = 0;
	int ret;

	*out = NULL;
	*outlen = 0;
	pthread_rwlock_rdlock(&k->lock);
	ret = hpke_open_secret(k->enc_sk, name, key, sealed, len, &pt, &ptlen,
			       err, errlen);
	if (ret == 0)
		goto out; /* the current key's already */
	if (!k->old_held)
		goto out;
	ret = hpke_open_secret(k->old_sk, name, key, sealed, len, &pt, &ptlen,
			       err, errlen);
	if (ret == 0)
		ret = hpke_seal_secret(k->enc_pk, name, key, NULL, pt, ptlen,
				       out, outlen, err, errlen);
out:
	pthread_rwlock_unlock(&k->lock);
	if (pt)
		hpke_free(pt, ptlen);
	return ret;
}

bool
hostkeys_hold_old(struct hostkeys *k)
{
	bool held;

	pthread_rwlock_rdlock(&k->lock);
	held = k->old_held;
	pthread_rwlock_unlock(&k->lock);
	return held;
}

int
hostkeys_forget_old(struct hostkeys *k, struct store *s, char *err,
		    size_t errlen)
{
	int ret = 0;

	pthread_rwlock_wrlock(&k->lock);
	if (!k->old_held || old_honoured(k))
		goto out;
	ret = store_key_remove(s, ENCRYPT_OLD, err, errlen);
	if (ret < 0)
		goto out;
	OPENSSL_cleanse(k->old_sk, sizeof(k->old_sk));
	k->old_until = 0;
	k->old_held = false;
out:
	pthread_rwlock_unlock(&k->lock);
	return ret;
}

int
hostkeys_decrypt_text(struct hostkeys *k, const char *checksum,
		      const char *text, size_t len, unsigned char **pt,
		      size_t *ptlen, char *err, size_t errlen)
{
	int ret;

	pthread_rwlock_rdlock(&k->lock);
	ret = hpke_decrypt_text(k->enc_sk, checksum, text, len, pt, ptlen, err,
				errlen);
	if (ret < 0 && old_honoured(k) &&
	    hpke_decrypt_text(k->old_sk, checksum, text, len, pt, ptlen, NULL,
			      0) == 0)
		ret = 0;
	pthread_rwlock_unlock(&k->lock);
	return ret;
}

int
hostkeys_open_request(struct hostkeys *k, struct hpke_ohttp *st,
		      const char *checksum, const void *req, size_t len,
		      unsigned char **in, size_t *inlen, char *err,
		      size_t errlen)
{
	int ret;

	pthread_rwlock_rdlock(&k->lock);
	ret = hpke_ohttp_open_request(st, HOSTKEYS_KEY_ID, k->enc_sk, checksum,
				      req, len, in, inlen, err, errlen);
	if (ret < 0 && old_honoured(k) &&
	    hpke_ohttp_open_request(st, HOSTKEYS_KEY_ID, k->old_sk, checksum,
				    req, len, in, inlen, NULL, 0) == 0)
		ret = 0;
	pthread_rwlock_unlock(&k->lock);
	return ret;
}

int
hostkeys_open_secret(struct hostkeys *k, const char *name, const char *key,
		     const void *sealed, size_t len, unsigned char **pt,
		     size_t *ptlen, char *err, size_t errlen)
{
	int ret;

	pthread_rwlock_rdlock(&k->lock);
	ret = hpke_open_secret(k->enc_sk, name, key, sealed, len, pt, ptlen,
			       err, errlen);
	/* Not old_honoured(): a secret not yet resealed since a rotation
	 * is the host's own, not a client's late text. */
	if (ret < 0 && k->old_held &&
	    hpke_open_secret(k->old_sk, name, key, sealed, len, pt, ptlen, NULL,
			     0) == 0)
		ret = 0;
	pthread_rwlock_unlock(&k->lock);
	return ret;
}

int
hostkeys_attest(struct hostkeys *k, const char *function_hex,
		const char *input_hex, const char *output_hex,
		char b64[ATTEST_SIG_B64_LEN + 1], char *err, size_t errlen)
{
	int ret;

	/* Read-locked: a reload may replace the signer. */
	pthread_rwlock_rdlock(&k->lock);
	ret = attest_signer_sign_b64(k->signer, function_hex, input_hex,
				     output_hex, b64, err, errlen);
	pthread_rwlock_unlock(&k->lock);
	return ret;
}
