/*
 * test_token.c: function tokens.  A round trip, then every refusal:
 * tampered payload and signature, the wrong secret, expiry and a future
 * iat, "alg":"none", HS512 and RS256 headers, garbage, over-long input,
 * missing claims and claims of the wrong type, each by token_verify()
 * and by a cache of verified tokens.  Tokens with chosen
 * headers and claims are made here with OpenSSL's HMAC, so each refusal
 * is of a correctly signed token unless the test is about the signature.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <jwt.h>

#include "base/b64.h"
#include "daemon/token.h"

#define NOW 1700000000LL
#define CHECKSUM                                                               \
	"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define JTI "00112233445566778899aabbccddeeff"
/* 93 characters: "hs@" and these are one over a sub's 95. */
#define SUB_OVER                                                               \
	"abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz"       \
	"0123456789abcdefghijklmnopqrstu"

static const unsigned char secret[32] = {
	1,  2,	3,  4,	5,  6,	7,  8,	9,  10, 11, 12, 13, 14, 15, 16,
	17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32,
};

/* base64url(header) "." base64url(payload) "." base64url(HMAC) with md
 * over the first two, keyed with key; md NULL leaves the signature
 * empty.  Returns a static buffer. */
static const char *
craft(const char *header, const char *payload, const EVP_MD *md,
      const unsigned char *key)
{
	static char tok[8192];
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int maclen = 0;
	long n, m;

	n = b64url_encode(tok, sizeof(tok), header, strlen(header));
	assert_true(n >= 0);
	tok[n++] = '.';
	m = b64url_encode(tok + n, sizeof(tok) - (size_t)n, payload,
			  strlen(payload));
	assert_true(m >= 0);
	n += m;
	tok[n++] = '.';
	tok[n] = '\0';
	if (md == NULL)
		return tok;
	assert_non_null(HMAC(md, key, 32, (unsigned char *)tok, (size_t)n - 1,
			     mac, &maclen));
	m = b64url_encode(tok + n, sizeof(tok) - (size_t)n, mac, maclen);
	assert_true(m >= 0);
	return tok;
}

/* Claims with the usual values, iat = NOW and exp = NOW + 3600. */
static const char *
claims(void)
{
	return "{\"sub\":\"fn1\",\"iat\":1700000000,\"exp\":1700003600,"
	       "\"jti\":\"" JTI "\"}";
}

static const char hs256[] = "{\"alg\":\"HS256\",\"typ\":\"JWT\"}";

/* token must be refused with exactly want, by token_verify() and twice
 * by a cache (a refusal is never remembered). */
static void
expect_refused(const char *token, const char *want)
{
	struct token_cache *c = token_cache_new(secret);
	struct store_token rec;
	char err[256] = "";
	int i;

	if (token_verify(secret, token, NOW, &rec, err, sizeof(err)) != -1)
		fail_msg("accepted: %s", token);
	assert_string_equal(err, want);
	assert_non_null(c);
	for (i = 0; i < 2; i++) {
		err[0] = '\0';
		if (token_cache_verify(c, token, NOW, &rec, err, sizeof(err)) !=
		    -1)
			fail_msg("accepted through the cache: %s", token);
		assert_string_equal(err, want);
	}
	token_cache_free(c);
}

static void
test_round_trip(void **state)
{
	struct store_token issued, got;
	char err[256], *jwt = NULL, *jwt2 = NULL;

	(void)state;
	assert_int_equal(token_issue(secret, "hideAndSeek1", CHECKSUM, NOW, 600,
				     &issued, &jwt, err, sizeof(err)),
			 0);
	assert_non_null(jwt);
	assert_string_equal(issued.function_id, "hideAndSeek1");
	assert_string_equal(issued.checksum, CHECKSUM);
	assert_int_equal(issued.iat, NOW);
	assert_int_equal(issued.exp, NOW + 600);
	assert_int_equal(strlen(issued.jti), 32);
	assert_int_equal(strspn(issued.jti, "0123456789abcdef"), 32);
	assert_false(issued.revoked);

	memset(&got, 0x5a, sizeof(got));
	assert_int_equal(token_verify(secret, jwt, NOW + 599, &got, err,
				      sizeof(err)),
			 0);
	assert_string_equal(got.jti, issued.jti);
	assert_string_equal(got.function_id, "hideAndSeek1");
	assert_string_equal(got.checksum, CHECKSUM);
	assert_int_equal(got.iat, NOW);
	assert_int_equal(got.exp, NOW + 600);
	assert_false(got.revoked);

	/* At exp it is over. */
	assert_int_equal(token_verify(secret, jwt, NOW + 600, &got, err,
				      sizeof(err)),
			 -1);
	assert_string_equal(err, "token expired");

	/* No pin: no fch claim, an empty checksum; a fresh jti each time. */
	assert_int_equal(token_issue(secret, "f", "", NOW, 1, &issued, &jwt2,
				     err, sizeof(err)),
			 0);
	assert_string_equal(issued.checksum, "");
	assert_int_equal(token_verify(secret, jwt2, NOW, &got, err,
				      sizeof(err)),
			 0);
	assert_string_equal(got.checksum, "");
	assert_string_equal(got.function_id, "f");
	assert_string_not_equal(got.jti, JTI);
	assert_string_not_equal(strrchr(jwt, '.'), strrchr(jwt2, '.'));
	free(jwt2);
	jwt2 = NULL;
	assert_int_equal(token_issue(secret, "f", NULL, NOW, 1, &issued, &jwt2,
				     err, sizeof(err)),
			 0);
	assert_string_equal(issued.checksum, "");
	free(jwt2);
	free(jwt);
}

static void
test_issue_refusals(void **state)
{
	struct store_token rec;
	char err[256], *jwt = (char *)1;

	(void)state;
	assert_int_equal(token_issue(secret, "", NULL, NOW, 60, &rec, &jwt, err,
				     sizeof(err)),
			 -1);
	assert_null(jwt);
	assert_string_equal(err, "bad function id");
	assert_int_equal(token_issue(secret, "a-b", NULL, NOW, 60, &rec, &jwt,
				     err, sizeof(err)),
			 -1);
	assert_int_equal(token_issue(secret, "hs@" SUB_OVER, NULL, NOW, 60,
				     &rec, &jwt, err, sizeof(err)),
			 -1);
	assert_int_equal(token_issue(secret, "f", "ABCDEF", NOW, 60, &rec, &jwt,
				     err, sizeof(err)),
			 -1);
	assert_string_equal(err, "bad checksum pin (want 64 lower-case hex "
				 "characters)");
	assert_int_equal(token_issue(secret, "f", NULL, NOW, 0, &rec, &jwt, err,
				     sizeof(err)),
			 -1);
	assert_int_equal(token_issue(secret, "f", NULL, NOW, -5, &rec, &jwt,
				     err, sizeof(err)),
			 -1);
	assert_int_equal(token_issue(secret, "f", NULL, NOW, INT64_MAX, &rec,
				     &jwt, err, sizeof(err)),
			 -1);
	assert_int_equal(token_issue(secret, "f", NULL, INT64_MAX, 60, &rec,
				     &jwt, err, sizeof(err)),
			 -1);
	assert_string_equal(err, "bad clock");
	assert_null(jwt);
}

/* The crafting helper agrees with libjwt: its token verifies. */
static void
test_crafted_ok(void **state)
{
	struct store_token rec;
	char err[256];

	(void)state;
	assert_int_equal(token_verify(secret,
				      craft(hs256, claims(), EVP_sha256(),
					    secret),
				      NOW, &rec, err, sizeof(err)),
			 0);
	assert_string_equal(rec.jti, JTI);
	assert_int_equal(token_verify(secret,
				      craft("{\"alg\":\"HS256\"}", claims(),
					    EVP_sha256(), secret),
				      NOW, &rec, err, sizeof(err)),
			 0);
}

static void
test_tampered(void **state)
{
	unsigned char other[32];
	char err[256], *jwt, *forged, *dot;
	struct store_token rec;
	const char *evil;
	size_t n;

	(void)state;
	assert_int_equal(token_issue(secret, "fn1", NULL, NOW, 600, &rec, &jwt,
				     err, sizeof(err)),
			 0);

	/* Another payload under the original header and signature. */
	evil = craft(hs256,
		     "{\"sub\":\"admin\",\"iat\":1700000000,"
		     "\"exp\":1900000000,\"jti\":\"" JTI "\"}",
		     NULL, NULL);
	n = strlen(evil);
	forged = malloc(n + strlen(jwt) + 1);
	assert_non_null(forged);
	memcpy(forged, evil, n);
	strcpy(forged + n, strrchr(jwt, '.') + 1);
	expect_refused(forged, "bad token signature");

	/* One signature character changed. */
	strcpy(forged, jwt);
	dot = strrchr(forged, '.');
	dot[1] = dot[1] == 'A' ? 'B' : 'A';
	expect_refused(forged, "bad token signature");

	/* Signature cut off, or dropped. */
	strcpy(forged, jwt);
	dot = strrchr(forged, '.');
	dot[5] = '\0';
	expect_refused(forged, "bad token signature");
	dot[1] = '\0';
	expect_refused(forged, "malformed token");
	free(forged);

	/* The wrong secret. */
	memcpy(other, secret, sizeof(other));
	other[31] ^= 1;
	assert_int_equal(token_verify(other, jwt, NOW, &rec, err, sizeof(err)),
			 -1);
	assert_string_equal(err, "bad token signature");
	free(jwt);
}

static void
test_times(void **state)
{
	struct store_token rec;
	char err[256], *jwt;

	(void)state;
	assert_int_equal(token_issue(secret, "fn1", NULL, NOW, 10, &rec, &jwt,
				     err, sizeof(err)),
			 0);
	assert_int_equal(token_verify(secret, jwt, NOW + 11, &rec, err,
				      sizeof(err)),
			 -1);
	assert_string_equal(err, "token expired");
	/* iat up to 60 s ahead of our clock is skew; more is refused. */
	assert_int_equal(token_verify(secret, jwt, NOW - 60, &rec, err,
				      sizeof(err)),
			 0);
	assert_int_equal(token_verify(secret, jwt, NOW - 61, &rec, err,
				      sizeof(err)),
			 -1);
	assert_string_equal(err, "token issued in the future");
	free(jwt);

	expect_refused(craft(hs256,
			     "{\"sub\":\"fn1\",\"iat\":1700000000,"
			     "\"exp\":1700000000,\"jti\":\"" JTI "\"}",
			     EVP_sha256(), secret),
		       "token expires before it was issued");
	expect_refused(craft(hs256,
			     "{\"sub\":\"fn1\",\"iat\":1600000000,"
			     "\"exp\":1600003600,\"jti\":\"" JTI "\"}",
			     EVP_sha256(), secret),
		       "token expired");
}

static void
test_algorithms(void **state)
{
	struct store_token rec;
	char err[256], *s;
	jwt_t *j;

	(void)state;
	/* Unsigned, with and without a signature part. */
	expect_refused("eyJhbGciOiJub25lIn0.eyJzdWIiOiJmbjEiLCJpYXQiOjE3MDAwM"
		       "DAwMDAsImV4cCI6MTcwMDAwMzYwMCwianRpIjoiMDAxMTIyMzM0NDU"
		       "1NjY3Nzg4OTlhYWJiY2NkZGVlZmYifQ.",
		       "malformed token");
	expect_refused(craft("{\"alg\":\"none\"}", claims(), EVP_sha256(),
			     secret),
		       "token algorithm must be HS256");
	expect_refused(craft("{\"alg\":\"none\",\"typ\":\"JWT\"}", claims(),
			     EVP_sha256(), secret),
		       "token algorithm must be HS256");
	/* libjwt alone would accept this one: same secret, HS512. */
	expect_refused(craft("{\"alg\":\"HS512\",\"typ\":\"JWT\"}", claims(),
			     EVP_sha512(), secret),
		       "token algorithm must be HS256");
	expect_refused(craft("{\"alg\":\"HS384\"}", claims(), EVP_sha384(),
			     secret),
		       "token algorithm must be HS256");
	expect_refused(craft("{\"alg\":\"RS256\"}", claims(), EVP_sha256(),
			     secret),
		       "token algorithm must be HS256");
	expect_refused(craft("{\"alg\":\"hs256\"}", claims(), EVP_sha256(),
			     secret),
		       "token algorithm must be HS256");
	expect_refused(craft("{\"alg\":\"HS256\\u0000\"}", claims(),
			     EVP_sha256(), secret),
		       "token algorithm must be HS256");
	expect_refused(craft("{\"typ\":\"JWT\"}", claims(), EVP_sha256(),
			     secret),
		       "token algorithm must be HS256");
	expect_refused(craft("{\"alg\":[\"HS256\"]}", claims(), EVP_sha256(),
			     secret),
		       "token algorithm must be HS256");
	/* Header members we do not honour are not taken. */
	expect_refused(craft("{\"alg\":\"HS256\",\"crit\":[\"x\"]}", claims(),
			     EVP_sha256(), secret),
		       "unexpected field in token header");
	expect_refused(craft("{\"alg\":\"HS256\",\"kid\":\"1\"}", claims(),
			     EVP_sha256(), secret),
		       "unexpected field in token header");
	expect_refused(craft("{\"alg\":\"HS256\",\"typ\":\"JOSE\"}", claims(),
			     EVP_sha256(), secret),
		       "token type must be JWT");
	/* An HS512 token made by libjwt itself with our secret. */
	assert_int_equal(jwt_new(&j), 0);
	assert_int_equal(jwt_set_alg(j, JWT_ALG_HS512, secret, 32), 0);
	assert_int_equal(jwt_add_grants_json(j, claims()), 0);
	s = jwt_encode_str(j);
	assert_non_null(s);
	assert_int_equal(token_verify(secret, s, NOW, &rec, err, sizeof(err)),
			 -1);
	assert_string_equal(err, "token algorithm must be HS256");
	free(s);
	jwt_free(j);
}

static void
test_garbage(void **state)
{
	static const char *const junk[] = {
		"x",
		".",
		"..",
		"...",
		"a.b",
		"a.b.c.d",
		"a..c",
		".b.c",
		"abc.def.ghi",
		"eyJhbGciOiJIUzI1NiJ9.e30.",
		"Bearer abc.def.ghi",
		"eyJhbGciOiJIUzI1NiJ9 .e30.abc",
		"e30.e30.abc",
		"eyJhbGciOiJIUzI1NiJ9.e30=.abc",
		"\xff\xfe.\x01.\x02",
	};
	struct store_token rec;
	char *big, err[256];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(junk) / sizeof(junk[0]); i++) {
		if (token_verify(secret, junk[i], NOW, &rec, err,
				 sizeof(err)) != -1)
			fail_msg("accepted '%s'", junk[i]);
		assert_true(strncmp(err, "malformed token", 15) == 0 ||
			    strcmp(err, "token algorithm must be HS256") == 0);
	}
	expect_refused("", "missing token");
	assert_int_equal(token_verify(secret, NULL, NOW, &rec, err,
				      sizeof(err)),
			 -1);
	assert_string_equal(err, "missing token");
	/* Header and claims that are not JSON objects. */
	expect_refused(craft("[\"HS256\"]", claims(), EVP_sha256(), secret),
		       "malformed token header");
	expect_refused(craft("{\"alg\":\"HS256\"} x", claims(), EVP_sha256(),
			     secret),
		       "malformed token header");
	expect_refused(craft(hs256, "[1,2]", EVP_sha256(), secret),
		       "malformed token claims");
	expect_refused(craft(hs256, "{\"sub\":", EVP_sha256(), secret),
		       "malformed token claims");

	/* Over 4096 bytes, with no NUL in reach: refused before parsing. */
	big = malloc(8192);
	assert_non_null(big);
	memset(big, 'A', 8192);
	big[100] = '.';
	big[200] = '.';
	assert_int_equal(token_verify(secret, big, NOW, &rec, err,
				      sizeof(err) - 1),
			 -1);
	assert_string_equal(err, "token too long (over 4096 bytes)");
	big[4097] = '\0';
	expect_refused(big, "token too long (over 4096 bytes)");
	free(big);
}

static void
test_claims(void **state)
{
	static const struct {
		const char *payload, *want;
		/* clang-format off */
	} bad[] = {
		{ "{\"iat\":1700000000,\"exp\":1700003600,\"jti\":\"" JTI "\"}",
		  "bad or missing token claim 'sub'" },
		{ "{\"sub\":\"fn1\",\"exp\":1700003600,\"jti\":\"" JTI "\"}",
		  "bad or missing token claim 'iat'" },
		{ "{\"sub\":\"fn1\",\"iat\":1700000000,\"jti\":\"" JTI "\"}",
		  "bad or missing token claim 'exp'" },
		{ "{\"sub\":\"fn1\",\"iat\":1700000000,\"exp\":1700003600}",
		  "bad or missing token claim 'jti'" },
		{ "{}", "bad or missing token claim 'sub'" },
		/* Wrong types. */
		{ "{\"sub\":7,\"iat\":1700000000,\"exp\":1700003600,"
		  "\"jti\":\"" JTI "\"}", "bad or missing token claim 'sub'" },
		{ "{\"sub\":\"fn1\",\"iat\":\"1700000000\",\"exp\":1700003600,"
		  "\"jti\":\"" JTI "\"}", "bad or missing token claim 'iat'" },
		{ "{\"sub\":\"fn1\",\"iat\":1700000000,\"exp\":1700003600.5,"
		  "\"jti\":\"" JTI "\"}", "bad or missing token claim 'exp'" },
		{ "{\"sub\":\"fn1\",\"iat\":1700000000,\"exp\":true,"
		  "\"jti\":\"" JTI "\"}", "bad or missing token claim 'exp'" },
		{ "{\"sub\":\"fn1\",\"iat\":1700000000,\"exp\":1700003600,"
		  "\"jti\":12}", "bad or missing token claim 'jti'" },
		{ "{\"sub\":\"fn1\",\"iat\":1700000000,\"exp\":1700003600,"
		  "\"jti\":\"" JTI "\",\"fch\":null}",
		  "bad token claim 'fch'" },
		/* Wrong forms. */
		{ "{\"sub\":\"\",\"iat\":1700000000,\"exp\":1700003600,"
		  "\"jti\":\"" JTI "\"}", "bad or missing token claim 'sub'" },
		{ "{\"sub\":\"../x\",\"iat\":1700000000,\"exp\":1700003600,"
		  "\"jti\":\"" JTI "\"}", "bad or missing token claim 'sub'" },
		{ "{\"sub\":\"hs@" SUB_OVER "\","
		  "\"iat\":1700000000,\"exp\":1700003600,\"jti\":\"" JTI "\"}",
		  "bad or missing token claim 'sub'" },
		{ "{\"sub\":\"fn1\",\"iat\":1700000000,\"exp\":1700003600,"
		  "\"jti\":\"00112233445566778899AABBCCDDEEFF\"}",
		  "bad or missing token claim 'jti'" },
		{ "{\"sub\":\"fn1\",\"iat\":1700000000,\"exp\":1700003600,"
		  "\"jti\":\"00112233445566778899aabbccddeef\"}",
		  "bad or missing token claim 'jti'" },
		{ "{\"sub\":\"fn1\",\"iat\":1700000000,\"exp\":1700003600,"
		  "\"jti\":\"" JTI "\",\"fch\":\"abc\"}",
		  "bad token claim 'fch'" },
		{ "{\"sub\":\"fn1\",\"iat\":-1,\"exp\":1700003600,"
		  "\"jti\":\"" JTI "\"}", "bad or missing token claim 'iat'" },
		{ "{\"sub\":\"fn1\",\"iat\":1700000000,"
		  "\"exp\":99999999999999,\"jti\":\"" JTI "\"}",
		  "bad or missing token claim 'exp'" },
	};
	/* clang-format on */
	struct store_token rec;
	char err[256];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (token_verify(secret,
				 craft(hs256, bad[i].payload, EVP_sha256(),
				       secret),
				 NOW, &rec, err, sizeof(err)) != -1)
			fail_msg("accepted %s", bad[i].payload);
		if (strcmp(err, bad[i].want) != 0)
			fail_msg("%s: '%s', want '%s'", bad[i].payload, err,
				 bad[i].want);
	}
	/* A NUL inside a claim: libjwt's JSON parser refuses the whole
	 * payload (so the message is its "bad token signature"); were it
	 * let through, check_claims would refuse the 'sub'. */
	assert_int_equal(
		token_verify(secret,
			     craft(hs256,
				   "{\"sub\":\"fn1\\u0000x\",\"iat\":1700000000,"
				   "\"exp\":1700003600,\"jti\":\"" JTI "\"}",
				   EVP_sha256(), secret),
			     NOW, &rec, err, sizeof(err)),
		-1);

	/* A pinned token from elsewhere: fch read back. */
	assert_int_equal(
		token_verify(
			secret,
			craft(hs256,
			      "{\"sub\":\"fn1\",\"iat\":1700000000,\"exp\":1700003600,"
			      "\"jti\":\"" JTI "\",\"fch\":\"" CHECKSUM "\"}",
			      EVP_sha256(), secret),
			NOW, &rec, err, sizeof(err)),
		0);
	assert_string_equal(rec.checksum, CHECKSUM);
}

static void
assert_same_claims(const struct store_token *a, const struct store_token *b)
{
	assert_string_equal(a->jti, b->jti);
	assert_string_equal(a->function_id, b->function_id);
	assert_string_equal(a->checksum, b->checksum);
	assert_int_equal(a->iat, b->iat);
	assert_int_equal(a->exp, b->exp);
	assert_int_equal(a->revoked, b->revoked);
}

/* A cache answers as token_verify() does: the same claims, and the
 * time checks made again at every use. */
static void
test_cache(void **state)
{
	struct token_cache *c = token_cache_new(secret), *wrong;
	unsigned char other[32];
	struct store_token issued, want, got;
	char err[256], *jwt, *many[200];
	int i;

	(void)state;
	assert_non_null(c);
	assert_int_equal(token_issue(secret, "fn1", CHECKSUM, NOW, 600, &issued,
				     &jwt, err, sizeof(err)),
			 0);
	assert_int_equal(token_verify(secret, jwt, NOW, &want, err,
				      sizeof(err)),
			 0);
	for (i = 0; i < 2; i++) { /* a miss, then a hit */
		memset(&got, 0x5a, sizeof(got));
		assert_int_equal(token_cache_verify(c, jwt, NOW, &got, err,
						    sizeof(err)),
				 0);
		assert_same_claims(&got, &want);
	}
	assert_int_equal(token_cache_verify(c, jwt, NOW + 600, &got, err,
					    sizeof(err)),
			 -1);
	assert_string_equal(err, "token expired");
	assert_int_equal(token_cache_verify(c, jwt, NOW - 61, &got, err,
					    sizeof(err)),
			 -1);
	assert_string_equal(err, "token issued in the future");
	assert_int_equal(token_cache_verify(c, jwt, -1, &got, err, sizeof(err)),
			 -1);
	assert_string_equal(err, "bad clock");
	assert_int_equal(token_cache_verify(c, jwt, NOW + 599, &got, err,
					    sizeof(err)),
			 0);

	/* A cache of another secret does not take it. */
	memcpy(other, secret, sizeof(other));
	other[0] ^= 1;
	wrong = token_cache_new(other);
	assert_non_null(wrong);
	assert_int_equal(token_cache_verify(wrong, jwt, NOW, &got, err,
					    sizeof(err)),
			 -1);
	assert_string_equal(err, "bad token signature");
	token_cache_free(wrong);

	/* More tokens than slots: each still verifies as itself. */
	for (i = 0; i < 200; i++)
		assert_int_equal(token_issue(secret, "many", NULL, NOW, 60,
					     &issued, &many[i], err,
					     sizeof(err)),
				 0);
	for (i = 0; i < 400; i++) {
		assert_int_equal(token_cache_verify(c, many[i % 200], NOW, &got,
						    err, sizeof(err)),
				 0);
		assert_int_equal(token_verify(secret, many[i % 200], NOW, &want,
					      err, sizeof(err)),
				 0);
		assert_same_claims(&got, &want);
	}
	for (i = 0; i < 200; i++)
		free(many[i]);
	free(jwt);
	token_cache_free(c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_issue_refusals),
		cmocka_unit_test(test_crafted_ok),
		cmocka_unit_test(test_tampered),
		cmocka_unit_test(test_times),
		cmocka_unit_test(test_algorithms),
		cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_claims),
		cmocka_unit_test(test_cache),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
