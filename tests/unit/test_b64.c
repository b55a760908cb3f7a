/*
 * test_b64.c: base64 and base64url against RFC 4648's test vectors
 * (section 10), both ways, and the strict decoder's refusals: padding in
 * the wrong place or missing, whitespace, characters of the other
 * alphabet, non-zero unused bits, and buffers too small.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "base/b64.h"

/* RFC 4648 section 10: BASE64("") = "", ... BASE64("foobar"). */
static const struct {
	const char *in, *std, *url;
} rfc4648[] = {
	{ "", "", "" },
	{ "f", "Zg==", "Zg" },
	{ "fo", "Zm8=", "Zm8" },
	{ "foo", "Zm9v", "Zm9v" },
	{ "foob", "Zm9vYg==", "Zm9vYg" },
	{ "fooba", "Zm9vYmE=", "Zm9vYmE" },
	{ "foobar", "Zm9vYmFy", "Zm9vYmFy" },
};

static void
test_rfc4648(void **state)
{
	unsigned char out[16];
	char text[16];
	size_t i, n, len;

	(void)state;
	for (i = 0; i < sizeof(rfc4648) / sizeof(rfc4648[0]); i++) {
		len = strlen(rfc4648[i].in);
		assert_int_equal(b64_encoded_len(len), strlen(rfc4648[i].std));
		assert_int_equal(b64url_encoded_len(len),
				 strlen(rfc4648[i].url));
		assert_int_equal(b64_encode(text, sizeof(text), rfc4648[i].in,
					    len),
				 strlen(rfc4648[i].std));
		assert_string_equal(text, rfc4648[i].std);
		assert_int_equal(b64url_encode(text, sizeof(text),
					       rfc4648[i].in, len),
				 strlen(rfc4648[i].url));
		assert_string_equal(text, rfc4648[i].url);

		assert_int_equal(b64_decode(out, sizeof(out), rfc4648[i].std,
					    strlen(rfc4648[i].std), &n),
				 0);
		assert_int_equal(n, len);
		assert_memory_equal(out, rfc4648[i].in, len);
		assert_int_equal(b64url_decode(out, sizeof(out), rfc4648[i].url,
					       strlen(rfc4648[i].url), &n),
				 0);
		assert_int_equal(n, len);
		assert_memory_equal(out, rfc4648[i].in, len);
	}
}

/* The two alphabets differ in exactly the last two characters. */
static void
test_alphabets(void **state)
{
	static const unsigned char in[] = { 0xfb, 0xff, 0xbf };
	unsigned char out[4];
	char text[8];
	size_t n;

	(void)state;
	assert_int_equal(b64_encode(text, sizeof(text), in, 3), 4);
	assert_string_equal(text, "+/+/");
	assert_int_equal(b64url_encode(text, sizeof(text), in, 3), 4);
	assert_string_equal(text, "-_-_");
	assert_int_equal(b64_decode(out, sizeof(out), "-_-_", 4, &n), -1);
	assert_int_equal(b64url_decode(out, sizeof(out), "+/+/", 4, &n), -1);
	assert_int_equal(b64url_decode(out, sizeof(out), "-_-_", 4, &n), 0);
	assert_int_equal(n, 3);
	assert_memory_equal(out, in, 3);
}

/* Every byte string of length 0..300 (a counting pattern) survives both
 * round trips, and the decoded maximum is never exceeded. */
static void
test_roundtrip(void **state)
{
	unsigned char in[300], out[300];
	char text[512];
	size_t len, i, n;
	long t;

	(void)state;
	for (i = 0; i < sizeof(in); i++)
		in[i] = (unsigned char)(i * 37 + 11);
	for (len = 0; len <= sizeof(in); len++) {
		t = b64_encode(text, sizeof(text), in, len);
		assert_true(t >= 0);
		assert_true(b64_decoded_max((size_t)t) >= len);
		assert_int_equal(b64_decode(out, len, text, (size_t)t, &n), 0);
		assert_int_equal(n, len);
		assert_memory_equal(out, in, len);
		t = b64url_encode(text, sizeof(text), in, len);
		assert_true(t >= 0);
		assert_true(b64_decoded_max((size_t)t) >= len);
		assert_int_equal(b64url_decode(out, len, text, (size_t)t, &n),
				 0);
		assert_int_equal(n, len);
		assert_memory_equal(out, in, len);
	}
}

static void
test_strict_std(void **state)
{
	/* clang-format off */
	static const char *bad[] = {
		"Zg",		/* padding missing */
		"Zg=",		/* padding short */
		"Zg===",	/* padding long */
		"Z===",		/* too much padding */
		"Zh==",		/* unused bits set: canonical is Zg== */
		"Zm9=",		/* unused bits set: canonical is Zm8= */
		"Zm=v",		/* padding inside */
		"=Zm9",		/* padding first */
		"Zm9v\n",	/* trailing newline */
		" Zm9v",	/* leading space */
		"Zm 9v",	/* space inside */
		"Zm9v====",	/* a group of padding */
		"Zm9*",		/* not in the alphabet */
		"Zm9\x80",	/* not ASCII */
	};
	/* clang-format on */
	unsigned char out[16];
	size_t i, n;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (b64_decode(out, sizeof(out), bad[i], strlen(bad[i]), &n) !=
		    -1)
			fail_msg("b64_decode accepted '%s'", bad[i]);
	/* An embedded NUL is not text. */
	assert_int_equal(b64_decode(out, sizeof(out), "Zm\0v", 4, &n), -1);
}

static void
test_strict_url(void **state)
{
	/* clang-format off */
	static const char *bad[] = {
		"Zg==",		/* padding is never written */
		"Zm8=",
		"Z",		/* one character is no byte */
		"Zm9vY",	/* nor are 4n + 1 */
		"Zh",		/* unused bits set: canonical is Zg */
		"Zm9",		/* unused bits set: canonical is Zm8 */
		"Zm9v\n",
		"Zm9v ",
		"Zm+v",		/* the standard alphabet's characters */
		"Zm/v",
		"Zm.v",
	};
	/* clang-format on */
	unsigned char out[16];
	size_t i, n;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (b64url_decode(out, sizeof(out), bad[i], strlen(bad[i]),
				  &n) != -1)
			fail_msg("b64url_decode accepted '%s'", bad[i]);
}

static void
test_bounds(void **state)
{
	unsigned char out[6];
	char text[9];
	size_t n;

	(void)state;
	/* Encoders need room for the text and its NUL, else write nothing. */
	memset(text, 'x', sizeof(text));
	assert_int_equal(b64_encode(text, 8, "foobar", 6), -1);
	assert_int_equal(text[0], 'x');
	assert_int_equal(b64_encode(text, 9, "foobar", 6), 8);
	assert_int_equal(b64url_encode(text, 8, "foobar", 6), -1);
	assert_int_equal(b64url_encode(text, 9, "foobar", 6), 8);
	assert_int_equal(b64url_encode(NULL, 0, "", 0), -1);
	assert_int_equal(b64_encode(text, sizeof(text), "", B64_INPUT_MAX + 1),
			 -1);
	assert_int_equal(b64_encoded_len(B64_INPUT_MAX + 1), 0);
	assert_int_equal(b64url_encoded_len(B64_INPUT_MAX + 1), 0);

	/* Decoders refuse a text that could overflow out. */
	assert_int_equal(b64_decode(out, 5, "Zm9vYmFy", 8, &n), -1);
	assert_int_equal(b64_decode(out, 6, "Zm9vYmFy", 8, &n), 0);
	assert_int_equal(b64url_decode(out, 4, "Zm9vYmE", 7, &n), -1);
	assert_int_equal(b64url_decode(out, 5, "Zm9vYmE", 7, &n), 0);
	assert_int_equal(n, 5);
	assert_int_equal(b64_decode(out, 6, "Zm9v", B64_INPUT_MAX + 4, &n), -1);
	assert_int_equal(b64_decode(out, 6, NULL, 0, &n), -1);
	assert_int_equal(b64_decoded_max(0), 0);
	assert_int_equal(b64_decoded_max(2), 1);
	assert_int_equal(b64_decoded_max(3), 2);
	assert_int_equal(b64_decoded_max(8), 6);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc4648),
		cmocka_unit_test(test_alphabets),
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_strict_std),
		cmocka_unit_test(test_strict_url),
		cmocka_unit_test(test_bounds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
