/*
 * test_attest.c: host attestations with the RFC 8032 section 7.1 TEST 1
 * key, against a known-answer signature, and refused for any change of a
 * digest, the signature or the key, and for malformed digests or text.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "base/b64.h"
#include "formats/attest.h"

/* RFC 8032 section 7.1, TEST 1. */
static const char rfc8032_sk[] =
	"9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";
static const char rfc8032_pk[] =
	"d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";

/* SHA-256 of "", "abc" (FIPS 180-2) and "Congrats you found the
 * treasure!". */
static const char fn_hex[] =
	"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
static const char in_hex[] =
	"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
static const char out_hex[] =
	"ec232d2236927a489242275e6c282e85447a13235b2bf21898f5096747f1e7ce";

/* The signature by the TEST 1 key over "fnhost-attest-v1\n" fn "\n" in
 * "\n" out, computed independently with Python's cryptography package
 * (Ed25519PrivateKey.from_private_bytes(sk).sign(message)). */
static const char want_sig_hex[] =
	"f49f17bf7572553cd48aebec3eda1927c4f2ed64ab1454ae3e00512447030de0"
	"cdb42d262e9ef4b6866944942f9f107b7c70d54876750f158b35ee172fe14f06";
static const char want_sig_b64[] =
	"9J8Xv3VyVTzUiuvsPtoZJ8Ty7WSrFFSuPgBRJEcDDeDNtC0mLp70toZpRJQvnxB7"
	"fHDVSHZ1DxWLNe4XL+FPBg==";

static void
hex_decode(const char *hex, unsigned char *out, size_t n)
{
	size_t i;
	unsigned v;

	assert_int_equal(strlen(hex), 2 * n);
	for (i = 0; i < n; i++) {
		assert_int_equal(sscanf(hex + 2 * i, "%2x", &v), 1);
		out[i] = (unsigned char)v;
	}
}

static void
assert_err(const char *err, const char *want)
{
	if (strstr(err, want) == NULL)
		fail_msg("error '%s' does not mention '%s'", err, want);
}

static void
test_rfc8032_key(void **state)
{
	unsigned char sk[32], pk[32], want[32];

	(void)state;
	hex_decode(rfc8032_sk, sk, 32);
	hex_decode(rfc8032_pk, want, 32);
	assert_int_equal(attest_public_key(sk, pk, NULL, 0), 0);
	assert_memory_equal(pk, want, 32);
}

static void
test_sha256_hex(void **state)
{
	char hex[ATTEST_HEX_LEN + 1];

	(void)state;
	assert_int_equal(attest_sha256_hex("", 0, hex, NULL, 0), 0);
	assert_string_equal(hex, fn_hex);
	assert_int_equal(attest_sha256_hex("abc", 3, hex, NULL, 0), 0);
	assert_string_equal(hex, in_hex);
	assert_int_equal(attest_sha256_hex("Congrats you found the treasure!",
					   32, hex, NULL, 0),
			 0);
	assert_string_equal(hex, out_hex);
}

static void
test_known_answer(void **state)
{
	unsigned char sk[32], pk[32], sig[64], want[64];
	char b64[ATTEST_SIG_B64_LEN + 1];
	struct attest_signer *signer;

	(void)state;
	hex_decode(rfc8032_sk, sk, 32);
	hex_decode(rfc8032_pk, pk, 32);
	hex_decode(want_sig_hex, want, 64);
	assert_int_equal(attest_sign(sk, fn_hex, in_hex, out_hex, sig, NULL, 0),
			 0);
	assert_memory_equal(sig, want, 64);
	signer = attest_signer_new(sk, NULL, 0);
	assert_non_null(signer);
	assert_int_equal(attest_signer_sign_b64(signer, fn_hex, in_hex, out_hex,
						b64, NULL, 0),
			 0);
	assert_string_equal(b64, want_sig_b64);
	attest_signer_free(signer);
	assert_int_equal(attest_verify(pk, fn_hex, in_hex, out_hex, want, NULL,
				       0),
			 0);
	assert_int_equal(attest_verify_b64(pk, fn_hex, in_hex, out_hex,
					   want_sig_b64, strlen(want_sig_b64),
					   NULL, 0),
			 0);
}

/* Changing any one hex digit of any digest, or swapping two digests,
 * breaks the signature. */
/* A signer reuses its contexts: signature after signature, from several
 * threads at once, with a malformed digest between, each is the one
 * attest_sign() makes for its message. */
struct signing {
	struct attest_signer *signer;
	const unsigned char *sk;
	int bad;
};

static void *
sign_many(void *arg)
{
	struct signing *sg = arg;
	char b64[ATTEST_SIG_B64_LEN + 1], want_b64[ATTEST_SIG_B64_LEN + 1],
		in[65], err[256];
	unsigned char sig[64];
	int i;

	for (i = 0; i < 200; i++) {
		snprintf(in, sizeof(in), "%064x", i);
		if (attest_signer_sign_b64(sg->signer, fn_hex, in, out_hex, b64,
					   NULL, 0) != 0 ||
		    attest_sign(sg->sk, fn_hex, in, out_hex, sig, NULL, 0) !=
			    0 ||
		    b64_encode(want_b64, sizeof(want_b64), sig, 64) !=
			    ATTEST_SIG_B64_LEN ||
		    strcmp(b64, want_b64) != 0)
			sg->bad++;
		if (i % 50 == 0 &&
		    attest_signer_sign_b64(sg->signer, "nothex", in, out_hex,
					   b64, err,
					   sizeof(err)) != -ERR_INVALID)
			sg->bad++;
	}
	return NULL;
}

static void
test_signer_reused(void **state)
{
	unsigned char sk[32];
	struct signing sg[4];
	pthread_t th[4];
	struct attest_signer *signer;
	int i;

	(void)state;
	hex_decode(rfc8032_sk, sk, 32);
	signer = attest_signer_new(sk, NULL, 0);
	assert_non_null(signer);
	for (i = 0; i < 4; i++) {
		sg[i] = (struct signing){ signer, sk, 0 };
		assert_int_equal(pthread_create(&th[i], NULL, sign_many,
						&sg[i]),
				 0);
	}
	for (i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
		assert_int_equal(sg[i].bad, 0);
	}
	attest_signer_free(signer);
}

static void
test_changed_digest(void **state)
{
	unsigned char pk[32], sig[64];
	char d[3][ATTEST_HEX_LEN + 1], err[128];
	size_t k, i;

	(void)state;
	hex_decode(rfc8032_pk, pk, 32);
	hex_decode(want_sig_hex, sig, 64);
	for (k = 0; k < 3; k++) {
		for (i = 0; i < ATTEST_HEX_LEN; i++) {
			strcpy(d[0], fn_hex);
			strcpy(d[1], in_hex);
			strcpy(d[2], out_hex);
			d[k][i] = d[k][i] == '0' ? '1' : '0';
			err[0] = '\0';
			assert_int_equal(attest_verify(pk, d[0], d[1], d[2],
						       sig, err, sizeof(err)),
					 -ERR_INVALID);
			assert_err(err, "does not verify");
		}
	}
	assert_int_equal(attest_verify(pk, in_hex, fn_hex, out_hex, sig, err,
				       sizeof(err)),
			 -ERR_INVALID);
	assert_int_equal(attest_verify(pk, fn_hex, out_hex, in_hex, sig, err,
				       sizeof(err)),
			 -ERR_INVALID);
}

static void
test_changed_signature_or_key(void **state)
{
	unsigned char pk[32], sig[64], sk2[32], pk2[32];
	char err[128];
	size_t i;

	(void)state;
	hex_decode(rfc8032_pk, pk, 32);
	for (i = 0; i < 64 * 8; i++) {
		hex_decode(want_sig_hex, sig, 64);
		sig[i / 8] ^= (unsigned char)(1 << (i % 8));
		assert_int_equal(attest_verify(pk, fn_hex, in_hex, out_hex, sig,
					       err, sizeof(err)),
				 -ERR_INVALID);
	}
	hex_decode(want_sig_hex, sig, 64);
	assert_int_equal(attest_keygen(sk2, pk2, NULL, 0), 0);
	assert_int_equal(attest_verify(pk2, fn_hex, in_hex, out_hex, sig, err,
				       sizeof(err)),
			 -ERR_INVALID);
	assert_err(err, "does not verify");
	/* A fresh key signs and verifies its own. */
	assert_int_equal(attest_sign(sk2, fn_hex, in_hex, out_hex, sig, NULL,
				     0),
			 0);
	assert_int_equal(attest_verify(pk2, fn_hex, in_hex, out_hex, sig, NULL,
				       0),
			 0);
	assert_int_equal(attest_verify(pk, fn_hex, in_hex, out_hex, sig, err,
				       sizeof(err)),
			 -ERR_INVALID);
}

static void
test_malformed(void **state)
{
	static const char upper[] = "E3B0C44298FC1C149AFBF4C8996FB924"
				    "27AE41E4649B934CA495991B7852B855";
	unsigned char sk[32], pk[32], sig[64];
	char err[128], b64[ATTEST_SIG_B64_LEN + 2], longer[ATTEST_HEX_LEN + 2];

	(void)state;
	hex_decode(rfc8032_sk, sk, 32);
	hex_decode(rfc8032_pk, pk, 32);
	hex_decode(want_sig_hex, sig, 64);
	snprintf(longer, sizeof(longer), "%s0", fn_hex);

	assert_int_equal(attest_sign(sk, upper, in_hex, out_hex, sig, err,
				     sizeof(err)),
			 -ERR_INVALID);
	assert_err(err, "function digest is not 64 lower-case hex digits");
	assert_int_equal(attest_sign(sk, fn_hex, "abc", out_hex, sig, err,
				     sizeof(err)),
			 -ERR_INVALID);
	assert_err(err, "input digest");
	assert_int_equal(attest_sign(sk, fn_hex, in_hex, longer, sig, err,
				     sizeof(err)),
			 -ERR_INVALID);
	assert_err(err, "output digest");
	assert_int_equal(attest_sign(sk, fn_hex, in_hex, NULL, sig, err,
				     sizeof(err)),
			 -ERR_INVALID);
	assert_int_equal(attest_verify(pk, fn_hex, in_hex, "", sig, err,
				       sizeof(err)),
			 -ERR_INVALID);
	assert_err(err, "output digest");

	/* The header's text: exact base64 of 64 bytes. */
	snprintf(b64, sizeof(b64), "%s", want_sig_b64);
	b64[0] = '*';
	assert_int_equal(attest_verify_b64(pk, fn_hex, in_hex, out_hex, b64,
					   strlen(b64), err, sizeof(err)),
			 -ERR_INVALID);
	assert_err(err, "not base64 of a 64-byte signature");
	assert_int_equal(attest_verify_b64(pk, fn_hex, in_hex, out_hex,
					   want_sig_b64, 86, err, sizeof(err)),
			 -ERR_INVALID);
	snprintf(b64, sizeof(b64), "%s\n", want_sig_b64);
	assert_int_equal(attest_verify_b64(pk, fn_hex, in_hex, out_hex, b64,
					   strlen(b64), err, sizeof(err)),
			 -ERR_INVALID);
	/* 'Bg==' is canonical; 'Bh==' decodes to the same byte, refused. */
	snprintf(b64, sizeof(b64), "%s", want_sig_b64);
	b64[85] = 'h';
	assert_int_equal(attest_verify_b64(pk, fn_hex, in_hex, out_hex, b64,
					   strlen(b64), err, sizeof(err)),
			 -ERR_INVALID);
	assert_err(err, "not base64");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc8032_key),
		cmocka_unit_test(test_sha256_hex),
		cmocka_unit_test(test_known_answer),
		cmocka_unit_test(test_signer_reused),
		cmocka_unit_test(test_changed_digest),
		cmocka_unit_test(test_changed_signature_or_key),
		cmocka_unit_test(test_malformed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
