/* minisign.c: minisign-compatible keys and signatures (see minisign.h). */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include "base/b64.h"
#include "formats/minisign.h"

#define COMMENT_PREFIX "untrusted comment: "
#define TRUSTED_PREFIX "trusted comment: "
#define SIG_COMMENT "signature from fnhost secret key"
#define SECKEY_COMMENT "minisign encrypted secret key"
#define SECKEY_COMMENT_PLAIN "minisign unencrypted secret key"

/* Sizes of the binary blobs behind the base64 lines. */
#define PUBKEY_BLOB (2 + MINISIGN_KEYID_BYTES + MINISIGN_PK_BYTES)
#define SIG_BLOB (2 + MINISIGN_KEYID_BYTES + MINISIGN_SIG_BYTES)
#define CHK_BYTES 32
#define SALT_BYTES 32
#define KEYNUM_SK                                                              \
	(MINISIGN_KEYID_BYTES + MINISIGN_SEED_BYTES + MINISIGN_PK_BYTES +      \
	 CHK_BYTES)
#define SECKEY_HEAD (2 + 2 + 2 + SALT_BYTES + 8 + 8)
#define SECKEY_BLOB (SECKEY_HEAD + KEYNUM_SK)

static const unsigned char alg_ed[2] = { 'E', 'd' };
static const unsigned char alg_prehashed[2] = { 'E', 'D' };
static const unsigned char kdf_scrypt[2] = { 'S', 'c' };
static const unsigned char kdf_none[2] = { 0, 0 };
static const unsigned char chk_b2[2] = { 'B', '2' };

/* ---- BLAKE2b (RFC 7693, section 3) --------------------------------------- */

/* The initial chaining values are SHA-512's (RFC 7693, section 2.6). */
/* clang-format off */
static const uint64_t b2_iv[8] = {
	0x6a09e667f3bcc908ULL, 0xbb67ae8584caa73bULL,
	0x3c6ef372fe94f82bULL, 0xa54ff53a5f1d36f1ULL,
	0x510e527fade682d1ULL, 0x9b05688c2b3e6c1fULL,
	0x1f83d9abfb41bd6bULL, 0x5be0cd19137e2179ULL,
};
/* clang-format on */

/* Message word schedule (RFC 7693, section 2.7); rounds 10 and 11 reuse
 * rows 0 and 1. */
static const uint8_t b2_sigma[12][16] = {
	{ 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15 },
	{ 14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3 },
	{ 11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4 },
	{ 7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8 },
	{ 9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13 },
	{ 2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9 },
	{ 12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11 },
	{ 13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10 },
	{ 6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5 },
	{ 10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0 },
	{ 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15 },
	{ 14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3 },
};

static uint64_t
rotr64(uint64_t x, unsigned n)
{
	return (x >> n) | (x << (64 - n));
}

static uint64_t
load64_le(const unsigned char *p)
{
	uint64_t v = 0;
	int i;

	for (i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

static void
store64_le(unsigned char *p, uint64_t v)
{
	int i;

	for (i = 0; i < 8; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

/* The mixing function G (RFC 7693, section 3.1). */
static void
b2_mix(uint64_t v[16], int a, int b, int c, int d, uint64_t x, uint64_t y)
{
	v[a] = v[a] + v[b] + x;
	v[d] = rotr64(v[d] ^ v[a], 32);
	v[c] = v[c] + v[d];
	v[b] = rotr64(v[b] ^ v[c], 24);
	v[a] = v[a] + v[b] + y;
	v[d] = rotr64(v[d] ^ v[a], 16);
	v[c] = v[c] + v[d];
	v[b] = rotr64(v[b] ^ v[c], 63);
}

/* The compression function F (RFC 7693, section 3.2). */
static void
b2_compress(struct minisign_blake2b *s, const unsigned char block[128],
	    int last)
{
	uint64_t v[16], m[16];
	int i;

	for (i = 0; i < 16; i++)
		m[i] = load64_le(block + 8 * i);
	for (i = 0; i < 8; i++) {
		v[i] = s->h[i];
		v[i + 8] = b2_iv[i];
	}
	v[12] ^= s->t[0];
	v[13] ^= s->t[1];
	if (last)
		v[14] = ~v[14];
	for (i = 0; i < 12; i++) {
		const uint8_t *z = b2_sigma[i];

		b2_mix(v, 0, 4, 8, 12, m[z[0]], m[z[1]]);
		b2_mix(v, 1, 5, 9, 13, m[z[2]], m[z[3]]);
		b2_mix(v, 2, 6, 10, 14, m[z[4]], m[z[5]]);
		b2_mix(v, 3, 7, 11, 15, m[z[6]], m[z[7]]);
		b2_mix(v, 0, 5, 10, 15, m[z[8]], m[z[9]]);
		b2_mix(v, 1, 6, 11, 12, m[z[10]], m[z[11]]);
		b2_mix(v, 2, 7, 8, 13, m[z[12]], m[z[13]]);
		b2_mix(v, 3, 4, 9, 14, m[z[14]], m[z[15]]);
	}
	for (i = 0; i < 8; i++)
		s->h[i] ^= v[i] ^ v[i + 8];
	OPENSSL_cleanse(v, sizeof(v));
	OPENSSL_cleanse(m, sizeof(m));
}

static void
b2_count(struct minisign_blake2b *s, size_t n)
{
	s->t[0] += n;
	if (s->t[0] < n)
		s->t[1]++;
}

int
minisign_blake2b_init(struct minisign_blake2b *s, size_t outlen)
{
	int i;

	if (outlen == 0 || outlen > 64)
		return -1;
	memset(s, 0, sizeof(*s));
	for (i = 0; i < 8; i++)
		s->h[i] = b2_iv[i];
	/* Parameter block: digest length, no key, fanout 1, depth 1. */
	s->h[0] ^= 0x01010000ULL ^ outlen;
	s->outlen = outlen;
	return 0;
}

void
minisign_blake2b_update(struct minisign_blake2b *s, const void *in, size_t len)
{
	const unsigned char *p = in;
	size_t n;

	while (len > 0) {
		/* The last block must go through the final compression, so
		 * a full buffer is only compressed once more input comes. */
		if (s->buflen == sizeof(s->buf)) {
			b2_count(s, sizeof(s->buf));
			b2_compress(s, s->buf, 0);
			s->buflen = 0;
		}
		n = sizeof(s->buf) - s->buflen;
		if (n > len)
			n = len;
		memcpy(s->buf + s->buflen, p, n);
		s->buflen += n;
		p += n;
		len -= n;
	}
}

void
minisign_blake2b_final(struct minisign_blake2b *s, unsigned char *out)
{
	unsigned char digest[64];
	int i;

	b2_count(s, s->buflen);
	memset(s->buf + s->buflen, 0, sizeof(s->buf) - s->buflen);
	b2_compress(s, s->buf, 1);
	for (i = 0; i < 8; i++)
		store64_le(digest + 8 * i, s->h[i]);
	memcpy(out, digest, s->outlen);
	OPENSSL_cleanse(digest, sizeof(digest));
	OPENSSL_cleanse(s, sizeof(*s));
}

int
minisign_blake2b(unsigned char *out, size_t outlen, const void *in, size_t len)
{
	struct minisign_blake2b s;

	if (minisign_blake2b_init(&s, outlen) < 0)
		return -1;
	minisign_blake2b_update(&s, in, len);
	minisign_blake2b_final(&s, out);
	return 0;
}

/* ---- base64 -------------------------------------------------------------- */

/* minisign's blobs have fixed sizes: a text is good only if it is the
 * canonical base64 of exactly outlen bytes. */
int
minisign_b64_encode(char *out, size_t outlen, const unsigned char *in,
		    size_t len)
{
	return (int)b64_encode(out, outlen, in, len);
}

int
minisign_b64_decode(unsigned char *out, size_t outlen, const char *in,
		    size_t len)
{
	size_t n;

	if (outlen == 0 || b64_decode(out, outlen, in, len, &n) < 0 ||
	    n != outlen)
		return -1;
	return 0;
}

/* ---- line reading -------------------------------------------------------- */

/* A cursor over a (buf, len) text that hands out one line at a time. */
struct lines {
	const char *p;
	size_t left;
	int n; /* number of the last line handed out */
};

/*
 * Hand out the next line in *line and *linelen without its "\n" or "\r\n".
 * The last line of the text may lack its newline.  Returns 0, or -1 with
 * err set if there is no line, a line is longer than MINISIGN_LINE_MAX or
 * holds a NUL byte.
 */
static int
lines_next(struct lines *l, const char *what, const char **line,
	   size_t *linelen, char *err, size_t errlen)
{
	const char *nl;
	size_t n, skip;

	l->n++;
	if (l->left == 0)
		return err_set(err, errlen, ERR_INVALID,
			       "%s: line %d is missing", what, l->n);
	nl = memchr(l->p, '\n', l->left);
	n = nl != NULL ? (size_t)(nl - l->p) : l->left;
	skip = nl != NULL ? n + 1 : n;
	if (n > 0 && l->p[n - 1] == '\r')
		n--;
	if (n >= MINISIGN_LINE_MAX)
		return err_set(err, errlen, ERR_INVALID,
			       "%s: line %d is too long", what, l->n);
	if (memchr(l->p, '\0', n) != NULL)
		return err_set(err, errlen, ERR_INVALID,
			       "%s: line %d holds a NUL byte", what, l->n);
	*line = l->p;
	*linelen = n;
	l->p += skip;
	l->left -= skip;
	return 0;
}

static int
lines_end(const struct lines *l, const char *what, char *err, size_t errlen)
{
	if (l->left != 0)
		return err_set(err, errlen, ERR_INVALID,
			       "%s: unexpected data after line %d", what, l->n);
	return 0;
}

static int
has_prefix(const char *line, size_t len, const char *prefix)
{
	size_t n = strlen(prefix);

	return len >= n && memcmp(line, prefix, n) == 0;
}

/* Read the untrusted comment line that starts every minisign file. */
static int
lines_comment(struct lines *l, const char *what, char *err, size_t errlen)
{
	const char *line;
	size_t len;
	int rc;

	rc = lines_next(l, what, &line, &len, err, errlen);
	if (rc < 0)
		return rc;
	if (!has_prefix(line, len, COMMENT_PREFIX))
		return err_set(err, errlen, ERR_INVALID,
			       "%s: line 1 does not start with '" COMMENT_PREFIX
			       "'",
			       what);
	return 0;
}

/* Read one base64 line that must decode to exactly outlen bytes. */
static int
lines_b64(struct lines *l, const char *what, unsigned char *out, size_t outlen,
	  char *err, size_t errlen)
{
	const char *line;
	size_t len;
	int rc;

	rc = lines_next(l, what, &line, &len, err, errlen);
	if (rc < 0)
		return rc;
	if (minisign_b64_decode(out, outlen, line, len) < 0)
		return err_set(err, errlen, ERR_INVALID,
			       "%s: line %d is not base64 of %zu bytes", what,
			       l->n, outlen);
	return 0;
}

/* ---- Ed25519 through OpenSSL --------------------------------------------- */

static int
ed25519_sign(const unsigned char seed[MINISIGN_SEED_BYTES], const void *msg,
	     size_t len, unsigned char sig[MINISIGN_SIG_BYTES])
{
	EVP_PKEY *key;
	EVP_MD_CTX *ctx = NULL;
	size_t siglen = MINISIGN_SIG_BYTES;
	int ret = -1;

	key = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, seed,
					   MINISIGN_SEED_BYTES);
	if (key == NULL || (ctx = EVP_MD_CTX_new()) == NULL)
		goto out;
	if (EVP_DigestSignInit(ctx, NULL, NULL, NULL, key) != 1 ||
	    EVP_DigestSign(ctx, sig, &siglen, msg, len) != 1 ||
	    siglen != MINISIGN_SIG_BYTES)
		goto out;
	ret = 0;
out:
	EVP_MD_CTX_free(ctx);
	EVP_PKEY_free(key);
	return ret;
}

/* 1 if sig is a valid signature of msg by pk, else 0. */
static int
ed25519_verify(const unsigned char pk[MINISIGN_PK_BYTES], const void *msg,
	       size_t len, const unsigned char sig[MINISIGN_SIG_BYTES])
{
	EVP_PKEY *key;
	EVP_MD_CTX *ctx = NULL;
	int ok = 0;

	key = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, pk,
					  MINISIGN_PK_BYTES);
	if (key == NULL || (ctx = EVP_MD_CTX_new()) == NULL)
		goto out;
	if (EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, key) != 1)
		goto out;
	ok = EVP_DigestVerify(ctx, sig, MINISIGN_SIG_BYTES, msg, len) == 1;
out:
	EVP_MD_CTX_free(ctx);
	EVP_PKEY_free(key);
	return ok;
}

static int
ed25519_public(const unsigned char seed[MINISIGN_SEED_BYTES],
	       unsigned char pk[MINISIGN_PK_BYTES])
{
	EVP_PKEY *key;
	size_t pklen = MINISIGN_PK_BYTES;
	int ret = -1;

	key = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, seed,
					   MINISIGN_SEED_BYTES);
	if (key != NULL && EVP_PKEY_get_raw_public_key(key, pk, &pklen) == 1 &&
	    pklen == MINISIGN_PK_BYTES)
		ret = 0;
	EVP_PKEY_free(key);
	return ret;
}

/* ---- keys ---------------------------------------------------------------- */

void
minisign_keyid_hex(const unsigned char id[MINISIGN_KEYID_BYTES],
		   char out[MINISIGN_KEYID_HEX])
{
	snprintf(out, MINISIGN_KEYID_HEX, "%016" PRIX64, load64_le(id));
}

int
minisign_keygen(struct minisign_seckey *sk, char *err, size_t errlen)
{
	if (RAND_bytes(sk->key_id, sizeof(sk->key_id)) != 1 ||
	    RAND_priv_bytes(sk->seed, sizeof(sk->seed)) != 1 ||
	    ed25519_public(sk->seed, sk->pk) < 0) {
		minisign_seckey_clear(sk);
		return err_set(err, errlen, ERR_INTERNAL,
			       "cannot generate a key: OpenSSL failed");
	}
	return 0;
}

void
minisign_seckey_public(const struct minisign_seckey *sk,
		       struct minisign_pubkey *pk)
{
	memcpy(pk->key_id, sk->key_id, sizeof(pk->key_id));
	memcpy(pk->pk, sk->pk, sizeof(pk->pk));
}

void
minisign_seckey_clear(struct minisign_seckey *sk)
{
	OPENSSL_cleanse(sk, sizeof(*sk));
}

int
minisign_pubkey_parse(const char *buf, size_t len, struct minisign_pubkey *pk,
		      char *err, size_t errlen)
{
	struct lines l = { buf, len, 0 };
	unsigned char blob[PUBKEY_BLOB];
	int rc;

	if ((rc = lines_comment(&l, "public key", err, errlen)) < 0 ||
	    (rc = lines_b64(&l, "public key", blob, sizeof(blob), err,
			    errlen)) < 0 ||
	    (rc = lines_end(&l, "public key", err, errlen)) < 0)
		return rc;
	if (memcmp(blob, alg_ed, 2) != 0)
		return err_set(err, errlen, ERR_INVALID,
			       "public key: unsupported signature "
			       "algorithm (not Ed25519)");
	memcpy(pk->key_id, blob + 2, MINISIGN_KEYID_BYTES);
	memcpy(pk->pk, blob + 2 + MINISIGN_KEYID_BYTES, MINISIGN_PK_BYTES);
	return 0;
}

int
minisign_pubkey_format(const struct minisign_pubkey *pk, char *out,
		       size_t outlen)
{
	unsigned char blob[PUBKEY_BLOB];
	char b64[4 * ((PUBKEY_BLOB + 2) / 3) + 1];
	int n;

	memcpy(blob, alg_ed, 2);
	memcpy(blob + 2, pk->key_id, MINISIGN_KEYID_BYTES);
	memcpy(blob + 2 + MINISIGN_KEYID_BYTES, pk->pk, MINISIGN_PK_BYTES);
	if (minisign_b64_encode(b64, sizeof(b64), blob, sizeof(blob)) < 0)
		return -1;
	/* minisign prints the id without leading zeros here. */
	n = snprintf(out, outlen,
		     COMMENT_PREFIX "minisign public key %" PRIX64 "\n%s\n",
		     load64_le(pk->key_id), b64);
	if (n < 0 || (size_t)n >= outlen)
		return -1;
	return n;
}

/*
 * libsodium's mapping from (opslimit, memlimit) to scrypt's N, r, p, which
 * minisign's key files depend on (crypto_pwhash_scryptsalsa208sha256's
 * pickparams(), restated from its documented behaviour).
 */
static void
scrypt_params(uint64_t opslimit, uint64_t memlimit, uint64_t *n, uint32_t *r,
	      uint32_t *p)
{
	uint64_t maxn, maxrp;
	unsigned log2;

	if (opslimit < 32768)
		opslimit = 32768;
	*r = 8;
	if (opslimit < memlimit / 32) {
		*p = 1;
		maxn = opslimit / (*r * 4);
	} else {
		maxn = memlimit / (*r * 128);
	}
	for (log2 = 1; log2 < 63; log2++)
		if ((1ULL << log2) > maxn / 2)
			break;
	*n = 1ULL << log2;
	if (!(opslimit < memlimit / 32)) {
		maxrp = (opslimit / 4) / *n;
		if (maxrp > 0x3fffffff)
			maxrp = 0x3fffffff;
		*p = (uint32_t)maxrp / *r;
	}
}

/* Fill stream[len] from scrypt(password, salt) at minisign's limits. */
static int
scrypt_stream(const char *password, const unsigned char salt[SALT_BYTES],
	      uint64_t opslimit, uint64_t memlimit, unsigned char *stream,
	      size_t len, char *err, size_t errlen)
{
	EVP_KDF *kdf = NULL;
	EVP_KDF_CTX *ctx = NULL;
	OSSL_PARAM params[7], *q = params;
	uint64_t n, maxmem;
	uint32_t r, p;
	int ret = -1;

	if (opslimit > MINISIGN_OPSLIMIT_MAX ||
	    memlimit > MINISIGN_MEMLIMIT_MAX)
		return err_set(err, errlen, ERR_INVALID,
			       "secret key: scrypt limits %" PRIu64 "/%" PRIu64
			       " are beyond what fnhost accepts",
			       opslimit, memlimit);
	scrypt_params(opslimit, memlimit, &n, &r, &p);
	/* scrypt's own need (V and B arrays) plus slack for OpenSSL. */
	maxmem = 128ULL * r * (n + 2) + 128ULL * r * p + (1ULL << 20);
	*q++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_PASSWORD,
						 (void *)password,
						 strlen(password));
	*q++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT,
						 (void *)salt, SALT_BYTES);
	*q++ = OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_N, &n);
	*q++ = OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_R, &r);
	*q++ = OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_P, &p);
	*q++ = OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_MAXMEM,
					   &maxmem);
	*q = OSSL_PARAM_construct_end();
	if ((kdf = EVP_KDF_fetch(NULL, "SCRYPT", NULL)) == NULL ||
	    (ctx = EVP_KDF_CTX_new(kdf)) == NULL ||
	    EVP_KDF_derive(ctx, stream, len, params) != 1) {
		ret = err_set(err, errlen, ERR_INTERNAL,
			      "secret key: scrypt failed (N=%" PRIu64
			      " r=%" PRIu32 " p=%" PRIu32 ")",
			      n, r, p);
		goto out;
	}
	ret = 0;
out:
	EVP_KDF_CTX_free(ctx);
	EVP_KDF_free(kdf);
	return ret;
}

/* chk = BLAKE2b-256(sig_alg || key_id || seed || pk), as minisign has it. */
static void
seckey_chk(const unsigned char *keynum_sk, unsigned char chk[CHK_BYTES])
{
	struct minisign_blake2b s;

	minisign_blake2b_init(&s, CHK_BYTES);
	minisign_blake2b_update(&s, alg_ed, 2);
	minisign_blake2b_update(&s, keynum_sk, KEYNUM_SK - CHK_BYTES);
	minisign_blake2b_final(&s, chk);
}

static int
all_zero(const unsigned char *p, size_t n)
{
	unsigned char acc = 0;

	while (n-- > 0)
		acc |= *p++;
	return acc == 0;
}

/* Decrypt (if needed) and check the key material of a decoded blob. */
static int
seckey_unwrap(unsigned char *blob, const char *password,
	      struct minisign_seckey *sk, char *err, size_t errlen)
{
	unsigned char *keynum = blob + SECKEY_HEAD, stream[KEYNUM_SK];
	unsigned char chk[CHK_BYTES], pk[MINISIGN_PK_BYTES];
	int encrypted = memcmp(blob + 2, kdf_scrypt, 2) == 0;
	size_t i;
	int ret = -1;

	if (encrypted) {
		if (password == NULL) {
			ret = err_set(err, errlen, ERR_INVALID,
				      "secret key is encrypted; give "
				      "its password file with -P");
			goto out;
		}
		ret = scrypt_stream(password, blob + 6, load64_le(blob + 38),
				    load64_le(blob + 46), stream,
				    sizeof(stream), err, errlen);
		if (ret < 0)
			goto out;
		for (i = 0; i < KEYNUM_SK; i++)
			keynum[i] ^= stream[i];
	}
	seckey_chk(keynum, chk);
	if (CRYPTO_memcmp(chk, keynum + KEYNUM_SK - CHK_BYTES, CHK_BYTES) &&
	    (encrypted ||
	     !all_zero(keynum + KEYNUM_SK - CHK_BYTES, CHK_BYTES))) {
		ret = err_set(err, errlen, ERR_INVALID,
			      encrypted
				      ? "wrong password for that secret key"
				      : "secret key: checksum does not match");
		goto out;
	}
	memcpy(sk->key_id, keynum, MINISIGN_KEYID_BYTES);
	memcpy(sk->seed, keynum + 8, MINISIGN_SEED_BYTES);
	memcpy(sk->pk, keynum + 8 + MINISIGN_SEED_BYTES, MINISIGN_PK_BYTES);
	if (ed25519_public(sk->seed, pk) < 0 ||
	    CRYPTO_memcmp(pk, sk->pk, MINISIGN_PK_BYTES) != 0) {
		ret = err_set(err, errlen, ERR_INVALID,
			      "secret key: its public half does not "
			      "match its seed");
		minisign_seckey_clear(sk);
		goto out;
	}
	ret = 0;
out:
	OPENSSL_cleanse(stream, sizeof(stream));
	OPENSSL_cleanse(chk, sizeof(chk));
	return ret;
}

int
minisign_seckey_parse(const char *buf, size_t len, const char *password,
		      struct minisign_seckey *sk, char *err, size_t errlen)
{
	struct lines l = { buf, len, 0 };
	unsigned char blob[SECKEY_BLOB];
	int ret = -1;

	if ((ret = lines_comment(&l, "secret key", err, errlen)) < 0 ||
	    (ret = lines_b64(&l, "secret key", blob, sizeof(blob), err,
			     errlen)) < 0 ||
	    (ret = lines_end(&l, "secret key", err, errlen)) < 0)
		goto out;
	if (memcmp(blob, alg_ed, 2) != 0) {
		ret = err_set(err, errlen, ERR_INVALID,
			      "secret key: unsupported signature "
			      "algorithm (not Ed25519)");
		goto out;
	}
	if (memcmp(blob + 2, kdf_scrypt, 2) != 0 &&
	    memcmp(blob + 2, kdf_none, 2) != 0) {
		ret = err_set(err, errlen, ERR_INVALID,
			      "secret key: unsupported key derivation "
			      "function");
		goto out;
	}
	if (memcmp(blob + 4, chk_b2, 2) != 0) {
		ret = err_set(err, errlen, ERR_INVALID,
			      "secret key: unsupported checksum "
			      "function");
		goto out;
	}
	ret = seckey_unwrap(blob, password, sk, err, errlen);
out:
	OPENSSL_cleanse(blob, sizeof(blob));
	return ret;
}

int
minisign_seckey_format(const struct minisign_seckey *sk, const char *password,
		       uint64_t opslimit, uint64_t memlimit, char **out,
		       size_t *outlen, char *err, size_t errlen)
{
	unsigned char blob[SECKEY_BLOB], stream[KEYNUM_SK];
	unsigned char *keynum = blob + SECKEY_HEAD;
	char b64[4 * ((SECKEY_BLOB + 2) / 3) + 1];
	const char *comment = password != NULL ? SECKEY_COMMENT
					       : SECKEY_COMMENT_PLAIN;
	size_t i, n = sizeof(COMMENT_PREFIX SECKEY_COMMENT_PLAIN "\n") +
		      sizeof(b64);
	int ret = -1, k;

	*out = NULL;
	memset(blob, 0, sizeof(blob));
	memcpy(blob, alg_ed, 2);
	memcpy(blob + 2, password != NULL ? kdf_scrypt : kdf_none, 2);
	memcpy(blob + 4, chk_b2, 2);
	memcpy(keynum, sk->key_id, MINISIGN_KEYID_BYTES);
	memcpy(keynum + 8, sk->seed, MINISIGN_SEED_BYTES);
	memcpy(keynum + 8 + MINISIGN_SEED_BYTES, sk->pk, MINISIGN_PK_BYTES);
	seckey_chk(keynum, keynum + KEYNUM_SK - CHK_BYTES);
	if (password != NULL) {
		store64_le(blob + 38, opslimit);
		store64_le(blob + 46, memlimit);
		if (RAND_bytes(blob + 6, SALT_BYTES) != 1) {
			ret = err_set(err, errlen, ERR_INTERNAL,
				      "cannot make a salt: OpenSSL "
				      "failed");
			goto out;
		}
		ret = scrypt_stream(password, blob + 6, opslimit, memlimit,
				    stream, sizeof(stream), err, errlen);
		if (ret < 0)
			goto out;
		for (i = 0; i < KEYNUM_SK; i++)
			keynum[i] ^= stream[i];
	}
	if (minisign_b64_encode(b64, sizeof(b64), blob, sizeof(blob)) < 0 ||
	    (*out = malloc(n)) == NULL) {
		ret = err_set(err, errlen, ERR_INTERNAL, "out of memory");
		goto out;
	}
	k = snprintf(*out, n, COMMENT_PREFIX "%s\n%s\n", comment, b64);
	*outlen = (size_t)k;
	ret = 0;
out:
	OPENSSL_cleanse(blob, sizeof(blob));
	OPENSSL_cleanse(stream, sizeof(stream));
	OPENSSL_cleanse(b64, sizeof(b64));
	return ret;
}

/* Read all of path, at most MINISIGN_FILE_MAX bytes, into buf. */
static int
file_read(const char *path, char *buf, size_t *len, char *err, size_t errlen)
{
	size_t got = 0;
	ssize_t n;
	int fd, ret = -1;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) < 0)
		return err_set(err, errlen, ERR_INVALID, "%s: %s", path,
			       strerror(errno));
	for (;;) {
		n = read(fd, buf + got, MINISIGN_FILE_MAX + 1 - got);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			ret = err_set(err, errlen, ERR_INVALID, "%s: %s", path,
				      strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		got += (size_t)n;
		if (got > MINISIGN_FILE_MAX) {
			ret = err_set(err, errlen, ERR_INVALID,
				      "%s: longer than %d bytes", path,
				      MINISIGN_FILE_MAX);
			goto out;
		}
	}
	*len = got;
	ret = 0;
out:
	close(fd);
	return ret;
}

/* Prefix err (already "what: reason") with the path it came from. */
static void
err_name_file(const char *path, char *err, size_t errlen)
{
	char tmp[256];

	if (err == NULL || errlen == 0)
		return;
	snprintf(tmp, sizeof(tmp), "%s", err);
	err_set(err, errlen, ERR_INVALID, "%s: %s", path, tmp);
}

int
minisign_pubkey_load(const char *path, struct minisign_pubkey *pk, char *err,
		     size_t errlen)
{
	char buf[MINISIGN_FILE_MAX + 1];
	size_t len;
	int rc;

	rc = file_read(path, buf, &len, err, errlen);
	if (rc < 0)
		return rc;
	rc = minisign_pubkey_parse(buf, len, pk, err, errlen);
	if (rc < 0)
		err_name_file(path, err, errlen);
	return rc;
}

int
minisign_seckey_load(const char *path, const char *password,
		     struct minisign_seckey *sk, char *err, size_t errlen)
{
	char buf[MINISIGN_FILE_MAX + 1];
	size_t len = 0;
	int ret = -1;

	ret = file_read(path, buf, &len, err, errlen);
	if (ret < 0)
		goto out;
	ret = minisign_seckey_parse(buf, len, password, sk, err, errlen);
	if (ret < 0)
		err_name_file(path, err, errlen);
out:
	OPENSSL_cleanse(buf, sizeof(buf));
	return ret;
}

/* ---- signatures ---------------------------------------------------------- */

/* A trusted comment is one line of printable bytes (tab allowed, as in
 * minisign's default "timestamp:...\tfile:..."). */
static int
tc_check(const char *tc, size_t len, char *err, size_t errlen)
{
	size_t i;

	if (len > MINISIGN_TRUSTED_COMMENT_MAX)
		return err_set(err, errlen, ERR_INVALID,
			       "trusted comment is longer than %d bytes",
			       MINISIGN_TRUSTED_COMMENT_MAX);
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)tc[i];

		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return err_set(err, errlen, ERR_INVALID,
				       "trusted comment holds control "
				       "byte 0x%02x",
				       c);
	}
	return 0;
}

/* The prehash minisign's "ED" signatures sign: BLAKE2b-512 of msg. */
static int
prehash(const void *msg, size_t len, unsigned char out[64])
{
	unsigned int n = 64;

	/* OpenSSL's BLAKE2B-512 is the same function as ours at 64 bytes
	 * (the unit tests check they agree); use the vetted one here. */
	if (EVP_Digest(msg, len, out, &n, EVP_blake2b512(), NULL) != 1 ||
	    n != 64)
		return -1;
	return 0;
}

int
minisign_sign(const struct minisign_seckey *sk, const void *msg, size_t len,
	      const char *tc, char **out, size_t *outlen, char *err,
	      size_t errlen)
{
	unsigned char hash[64], blob[SIG_BLOB], global[MINISIGN_SIG_BYTES];
	unsigned char
		signed_tc[MINISIGN_SIG_BYTES + MINISIGN_TRUSTED_COMMENT_MAX];
	char b64sig[4 * ((SIG_BLOB + 2) / 3) + 1];
	char b64global[4 * ((MINISIGN_SIG_BYTES + 2) / 3) + 1];
	size_t tclen = strlen(tc), n;
	int k;

	*out = NULL;
	k = tc_check(tc, tclen, err, errlen);
	if (k < 0)
		return k;
	memcpy(blob, alg_prehashed, 2);
	memcpy(blob + 2, sk->key_id, MINISIGN_KEYID_BYTES);
	if (prehash(msg, len, hash) < 0 ||
	    ed25519_sign(sk->seed, hash, sizeof(hash), blob + 10) < 0)
		return err_set(err, errlen, ERR_INTERNAL,
			       "cannot sign: OpenSSL failed");
	memcpy(signed_tc, blob + 10, MINISIGN_SIG_BYTES);
	memcpy(signed_tc + MINISIGN_SIG_BYTES, tc, tclen);
	if (ed25519_sign(sk->seed, signed_tc, MINISIGN_SIG_BYTES + tclen,
			 global) < 0)
		return err_set(err, errlen, ERR_INTERNAL,
			       "cannot sign: OpenSSL failed");
	minisign_b64_encode(b64sig, sizeof(b64sig), blob, sizeof(blob));
	minisign_b64_encode(b64global, sizeof(b64global), global,
			    sizeof(global));
	n = sizeof(COMMENT_PREFIX SIG_COMMENT TRUSTED_PREFIX) + tclen +
	    sizeof(b64sig) + sizeof(b64global) + 4;
	if ((*out = malloc(n)) == NULL)
		return err_set(err, errlen, ERR_INTERNAL, "out of memory");
	k = snprintf(*out, n,
		     COMMENT_PREFIX SIG_COMMENT "\n%s\n" TRUSTED_PREFIX
						"%s\n%s\n",
		     b64sig, tc, b64global);
	*outlen = (size_t)k;
	return 0;
}

int
minisign_sig_parse(const char *buf, size_t len, struct minisign_sig *sig,
		   char *err, size_t errlen)
{
	struct lines l = { buf, len, 0 };
	unsigned char blob[SIG_BLOB];
	const char *line;
	size_t n, prefix = strlen(TRUSTED_PREFIX);
	int rc;

	if ((rc = lines_comment(&l, "signature", err, errlen)) < 0 ||
	    (rc = lines_b64(&l, "signature", blob, sizeof(blob), err, errlen)) <
		    0)
		return rc;
	if (memcmp(blob, alg_ed, 2) == 0)
		return err_set(err, errlen, ERR_INVALID,
			       "signature: legacy non-prehashed "
			       "signature (\"Ed\"); sign with minisign -H or "
			       "fnhost sign");
	if (memcmp(blob, alg_prehashed, 2) != 0)
		return err_set(err, errlen, ERR_INVALID,
			       "signature: unsupported signature "
			       "algorithm");
	rc = lines_next(&l, "signature", &line, &n, err, errlen);
	if (rc < 0)
		return rc;
	if (!has_prefix(line, n, TRUSTED_PREFIX))
		return err_set(
			err, errlen, ERR_INVALID,
			"signature: line 3 does not start with '" TRUSTED_PREFIX
			"'");
	rc = tc_check(line + prefix, n - prefix, err, errlen);
	if (rc < 0)
		return rc;
	memcpy(sig->trusted_comment, line + prefix, n - prefix);
	sig->trusted_comment[n - prefix] = '\0';
	if ((rc = lines_b64(&l, "signature", sig->global_sig,
			    MINISIGN_SIG_BYTES, err, errlen)) < 0 ||
	    (rc = lines_end(&l, "signature", err, errlen)) < 0)
		return rc;
	memcpy(sig->key_id, blob + 2, MINISIGN_KEYID_BYTES);
	memcpy(sig->sig, blob + 10, MINISIGN_SIG_BYTES);
	return 0;
}

int
minisign_verify(const struct minisign_pubkey *keys, size_t nkeys,
		const struct minisign_sig *sig, const void *msg, size_t len,
		size_t *which, char *err, size_t errlen)
{
	unsigned char hash[64];
	unsigned char
		signed_tc[MINISIGN_SIG_BYTES + MINISIGN_TRUSTED_COMMENT_MAX];
	size_t i, tclen = strlen(sig->trusted_comment);
	char id[MINISIGN_KEYID_HEX];

	for (i = 0; i < nkeys; i++)
		if (memcmp(keys[i].key_id, sig->key_id, MINISIGN_KEYID_BYTES) ==
		    0)
			break;
	if (i == nkeys) {
		minisign_keyid_hex(sig->key_id, id);
		return err_set(err, errlen, ERR_UNTRUSTED,
			       "signature was made by key %s, not a "
			       "trusted key",
			       id);
	}
	if (prehash(msg, len, hash) < 0)
		return err_set(err, errlen, ERR_INTERNAL,
			       "cannot hash: OpenSSL failed");
	if (!ed25519_verify(keys[i].pk, hash, sizeof(hash), sig->sig))
		return err_set(err, errlen, ERR_INVALID,
			       "signature verification failed");
	if (tclen > MINISIGN_TRUSTED_COMMENT_MAX)
		return err_set(err, errlen, ERR_INVALID,
			       "trusted comment is too long");
	memcpy(signed_tc, sig->sig, MINISIGN_SIG_BYTES);
	memcpy(signed_tc + MINISIGN_SIG_BYTES, sig->trusted_comment, tclen);
	if (!ed25519_verify(keys[i].pk, signed_tc, MINISIGN_SIG_BYTES + tclen,
			    sig->global_sig))
		return err_set(err, errlen, ERR_INVALID,
			       "trusted comment signature verification "
			       "failed");
	if (which != NULL)
		*which = i;
	return 0;
}
