/*
 * test_pyjson.c: pyjson_loads() and pyjson_dump() against answers from
 * Debian's Python 3.11: json.loads(bytes), then json.dump(indent=4,
 * ensure_ascii=False) into a UTF-8 text file, or the exception's text.
 * Covers encoding detection (BOM, UTF-16, UTF-32), decode errors, the
 * scanner's error positions, numbers, escapes and surrogates, duplicate
 * keys, and the limits (int digits, nesting).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "pyjson.h"

enum { LOAD_FAILS, DUMPS, DUMP_FAILS };

struct json_case {
	const char *in;
	size_t len;
	int what;
	const char *want; /* the dumped text, or the exception's text */
};

/* Generated with /usr/bin/python3 (json.loads, then json.dump into
 * io.TextIOWrapper(io.BytesIO(), encoding="utf-8")). */
/* clang-format off */
static const struct json_case cases[] = {
	{ "{\"latitude\": 1.5, \"longitude\": -2}", 34, DUMPS,
	  "{\n    \"latitude\": 1.5,\n    \"longitude\": -2\n}" },
	{ "{\"a\":1,\"b\":[true,false,null],\"a\":2}", 35, DUMPS,
	  "{\n    \"a\": 2,\n    \"b\": [\n        true,\n        false,\n        null\n    ]\n}" },
	{ "[]", 2, DUMPS,
	  "[]" },
	{ "{}", 2, DUMPS,
	  "{}" },
	{ "[[],{}]", 7, DUMPS,
	  "[\n    [],\n    {}\n]" },
	{ "\"abc\"", 5, DUMPS,
	  "\"abc\"" },
	{ "NaN", 3, DUMPS,
	  "NaN" },
	{ "[NaN, Infinity, -Infinity, -0.0, 1e400, 1E-400]", 47, DUMPS,
	  "[\n    NaN,\n    Infinity,\n    -Infinity,\n    -0.0,\n    Infinity,\n    0.0\n]" },
	{ "123456789012345678901234567890", 30, DUMPS,
	  "123456789012345678901234567890" },
	{ "-0", 2, DUMPS,
	  "0" },
	{ "0.1", 3, DUMPS,
	  "0.1" },
	{ "1e16", 4, DUMPS,
	  "1e+16" },
	{ "\"\\t\\n\\r\\b\\f\\/\\\\\\\"\x7f\xc2\x80\xe2\x80\xa8\\u0001\\u001f\"", 36, DUMPS,
	  "\"\\t\\n\\r\\b\\f/\\\\\\\"\x7f\xc2\x80\xe2\x80\xa8\\u0001\\u001f\"" },
	{ "\"\\ud83d\\ude00\\u00e9\"", 20, DUMPS,
	  "\"\xf0\x9f\x98\x80\xc3\xa9\"" },
	{ "\"\\ud800\\u0041\"", 14, DUMP_FAILS,
	  "'utf-8' codec can't encode character '\\ud800' in position 1: surrogates not allowed" },
	{ "{\"a\": }", 7, LOAD_FAILS,
	  "Expecting value: line 1 column 7 (char 6)" },
	{ "[1,]", 4, LOAD_FAILS,
	  "Expecting value: line 1 column 4 (char 3)" },
	{ "{\"a\":1,}", 8, LOAD_FAILS,
	  "Expecting property name enclosed in double quotes: line 1 column 8 (char 7)" },
	{ "[", 1, LOAD_FAILS,
	  "Expecting value: line 1 column 2 (char 1)" },
	{ "{", 1, LOAD_FAILS,
	  "Expecting property name enclosed in double quotes: line 1 column 2 (char 1)" },
	{ "", 0, LOAD_FAILS,
	  "Expecting value: line 1 column 1 (char 0)" },
	{ " \n ", 3, LOAD_FAILS,
	  "Expecting value: line 2 column 2 (char 3)" },
	{ "\"abc", 4, LOAD_FAILS,
	  "Unterminated string starting at: line 1 column 1 (char 0)" },
	{ "\"\\", 2, LOAD_FAILS,
	  "Unterminated string starting at: line 1 column 1 (char 0)" },
	{ "\"\\u12", 5, LOAD_FAILS,
	  "Invalid \\uXXXX escape: line 1 column 3 (char 2)" },
	{ "\"\\uZZZZ\"", 8, LOAD_FAILS,
	  "Invalid \\uXXXX escape: line 1 column 3 (char 2)" },
	{ "\"\\ud800\\uZZZZ\"", 14, LOAD_FAILS,
	  "Invalid \\uXXXX escape: line 1 column 9 (char 8)" },
	{ "\"\\x\"", 4, LOAD_FAILS,
	  "Invalid \\escape: line 1 column 2 (char 1)" },
	{ "\"a\x01\"", 4, LOAD_FAILS,
	  "Invalid control character at: line 1 column 3 (char 2)" },
	{ "\"a\nb\"", 5, LOAD_FAILS,
	  "Invalid control character at: line 1 column 3 (char 2)" },
	{ "1 2", 3, LOAD_FAILS,
	  "Extra data: line 1 column 3 (char 2)" },
	{ "[1 2]", 5, LOAD_FAILS,
	  "Expecting ',' delimiter: line 1 column 4 (char 3)" },
	{ "{\"a\" 1}", 7, LOAD_FAILS,
	  "Expecting ':' delimiter: line 1 column 6 (char 5)" },
	{ "{1:2}", 5, LOAD_FAILS,
	  "Expecting property name enclosed in double quotes: line 1 column 2 (char 1)" },
	{ "tru", 3, LOAD_FAILS,
	  "Expecting value: line 1 column 1 (char 0)" },
	{ "-", 1, LOAD_FAILS,
	  "Expecting value: line 1 column 1 (char 0)" },
	{ "01", 2, LOAD_FAILS,
	  "Extra data: line 1 column 2 (char 1)" },
	{ "1.", 2, LOAD_FAILS,
	  "Extra data: line 1 column 2 (char 1)" },
	{ "1e", 2, LOAD_FAILS,
	  "Extra data: line 1 column 2 (char 1)" },
	{ ".5", 2, LOAD_FAILS,
	  "Expecting value: line 1 column 1 (char 0)" },
	{ "[1,\n 2,\n x]", 11, LOAD_FAILS,
	  "Expecting value: line 3 column 2 (char 9)" },
	{ "\x0b\x31", 2, LOAD_FAILS,
	  "Expecting value: line 1 column 1 (char 0)" },
	{ "\xef\xbb\xbf{\"a\":1}", 10, DUMPS,
	  "{\n    \"a\": 1\n}" },
	{ "\xff", 1, LOAD_FAILS,
	  "'utf-8' codec can't decode byte 0xff in position 0: invalid start byte" },
	{ "\xc3", 1, LOAD_FAILS,
	  "'utf-8' codec can't decode byte 0xc3 in position 0: unexpected end of data" },
	{ "\xc3(", 2, LOAD_FAILS,
	  "'utf-8' codec can't decode byte 0xc3 in position 0: invalid continuation byte" },
	{ "\xe2\x82", 2, LOAD_FAILS,
	  "'utf-8' codec can't decode bytes in position 0-1: unexpected end of data" },
	{ "\xed\xa0", 2, LOAD_FAILS,
	  "'utf-8' codec can't decode byte 0xed in position 0: invalid continuation byte" },
	{ "\xf0\x9f\x98", 3, LOAD_FAILS,
	  "'utf-8' codec can't decode bytes in position 0-2: unexpected end of data" },
	{ "\xf4\x90\x80\x80", 4, LOAD_FAILS,
	  "'utf-8' codec can't decode byte 0xf4 in position 0: invalid continuation byte" },
	{ "\xe0\x80", 2, LOAD_FAILS,
	  "'utf-8' codec can't decode byte 0xe0 in position 0: invalid continuation byte" },
	{ "\xef\xbb\xbf\xff", 4, LOAD_FAILS,
	  "'utf-8' codec can't decode byte 0xff in position 0: invalid start byte" },
	{ "\xf1\x80\x41", 3, LOAD_FAILS,
	  "'utf-8' codec can't decode bytes in position 0-1: invalid continuation byte" },
	{ "\xff\xfe{\x00\"\x00\x61\x00\"\x00:\x00[\x00\x31\x00,\x00\x32\x00]\x00}\x00", 24, DUMPS,
	  "{\n    \"a\": [\n        1,\n        2\n    ]\n}" },
	{ "{\x00\"\x00\x61\x00\"\x00:\x00[\x00\x31\x00,\x00\x32\x00]\x00}\x00", 22, DUMPS,
	  "{\n    \"a\": [\n        1,\n        2\n    ]\n}" },
	{ "\x00{\x00\"\x00\x61\x00\"\x00:\x00[\x00\x31\x00,\x00\x32\x00]\x00}", 22, DUMPS,
	  "{\n    \"a\": [\n        1,\n        2\n    ]\n}" },
	{ "\xff\xfe\x00\x00[\x00\x00\x00\x31\x00\x00\x00]\x00\x00\x00", 16, DUMPS,
	  "[\n    1\n]" },
	{ "[\x00\x00\x00\x31\x00\x00\x00]\x00\x00\x00", 12, DUMPS,
	  "[\n    1\n]" },
	{ "\x00\x00\x00[\x00\x00\x00\x31\x00\x00\x00]", 12, DUMPS,
	  "[\n    1\n]" },
	{ "\xff\xfe{\x00\"\x00\x61\x00\"\x00:\x00\x31\x00}\x00x", 17, LOAD_FAILS,
	  "'utf-16-le' codec can't decode byte 0x78 in position 16: truncated data" },
	{ "\xff\xfe\x00\xd8\"\x00", 6, LOAD_FAILS,
	  "Expecting value: line 1 column 1 (char 0)" },
	{ "1\x00\x00\x00\x00\x00\x11\x00", 8, LOAD_FAILS,
	  "'utf-32-le' codec can't decode bytes in position 4-7: code point not in range(0x110000)" },
	{ "1\x00\x00\x00\x31", 5, LOAD_FAILS,
	  "'utf-32-le' codec can't decode byte 0x31 in position 4: truncated data" },
	{ "\x00\x00", 2, LOAD_FAILS,
	  "Expecting value: line 1 column 1 (char 0)" },
	{ "1e5000", 6, DUMPS,
	  "Infinity" },
	{ "[\"\xed\xa0\x80\"]", 7, DUMP_FAILS,
	  "'utf-8' codec can't encode character '\\ud800' in position 7: surrogates not allowed" },
	{ "{\"k\":\"x\\n\xed\xa0\x80\xed\xb0\x80\"}", 17, DUMP_FAILS,
	  "'utf-8' codec can't encode characters in position 4-5: surrogates not allowed" },
	{ "\"\xed\xa0\x80\"", 5, DUMP_FAILS,
	  "'utf-8' codec can't encode character '\\ud800' in position 1: surrogates not allowed" },
	{ "{\"a\":[\"b\",\"\\udfff\"]}", 20, DUMP_FAILS,
	  "'utf-8' codec can't encode character '\\udfff' in position 11: surrogates not allowed" },
	{ "{\"\\ud800\":1}", 12, DUMP_FAILS,
	  "'utf-8' codec can't encode character '\\ud800' in position 1: surrogates not allowed" },
	{ "{\"k\": \"\xc3\xa9\xf0\x9f\x98\x80\\u2028\"}", 21, DUMPS,
	  "{\n    \"k\": \"\xc3\xa9\xf0\x9f\x98\x80\xe2\x80\xa8\"\n}" },
	{ "[1, [2, [3, {\"x\": []}]], {}]", 28, DUMPS,
	  "[\n    1,\n    [\n        2,\n        [\n            3,\n            {\n                \"x\": []\n            }\n        ]\n    ],\n    {}\n]" },
};
/* clang-format on */

static void
run_case(const struct json_case *c)
{
	char err[512];
	struct pyv *v;
	size_t len;
	char *out;

	err[0] = '\0';
	v = pyjson_loads(c->in, c->len, err, sizeof(err));
	if (c->what == LOAD_FAILS) {
		if (v != NULL)
			fail_msg("%s: parsed, want error %s", c->in, c->want);
		assert_string_equal(err, c->want);
		return;
	}
	if (v == NULL)
		fail_msg("%s: %s", c->in, err);
	out = pyjson_dump(v, &len, err, sizeof(err));
	pyv_free(v);
	if (c->what == DUMP_FAILS) {
		assert_null(out);
		assert_string_equal(err, c->want);
		return;
	}
	assert_non_null(out);
	assert_int_equal(len, strlen(c->want));
	assert_memory_equal(out, c->want, len);
	free(out);
}

static void
test_cases(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(*cases); i++)
		run_case(&cases[i]);
}

/* A buffer of n copies of pattern p followed by tail. */
static char *
repeat(const char *p, size_t n, const char *tail, size_t *len)
{
	size_t pl = strlen(p), tl = strlen(tail), i;
	char *b = malloc(pl * n + tl + 1);

	assert_non_null(b);
	for (i = 0; i < n; i++)
		memcpy(b + i * pl, p, pl);
	memcpy(b + pl * n, tail, tl + 1);
	*len = pl * n + tl;
	return b;
}

static void
test_int_digit_limit(void **state)
{
	char err[256], *b;
	struct pyv *v;
	size_t len;

	(void)state;
	/* 4300 digits are an int, 4301 a ValueError; a fraction lifts it. */
	b = repeat("1", 4300, "", &len);
	v = pyjson_loads(b, len, err, sizeof(err));
	assert_non_null(v);
	assert_int_equal(v->type, PYV_INT);
	assert_int_equal(v->u.integer.ndigits, 4300);
	pyv_free(v);
	free(b);
	/* The sign is not a digit. */
	b = repeat("1", 4301, "", &len);
	b[0] = '-';
	v = pyjson_loads(b, len, err, sizeof(err));
	assert_non_null(v);
	assert_true(v->u.integer.neg);
	pyv_free(v);
	free(b);
	b = repeat("1", 4302, "", &len);
	b[0] = '-';
	assert_null(pyjson_loads(b, len, err, sizeof(err)));
	assert_string_equal(err, "Exceeds the limit (4300 digits) for integer "
				 "string conversion: value has 4301 digits; "
				 "use sys.set_int_max_str_digits() to increase "
				 "the limit");
	free(b);
	b = repeat("1", 4301, "", &len);
	assert_null(pyjson_loads(b, len, err, sizeof(err)));
	assert_string_equal(err, "Exceeds the limit (4300 digits) for integer "
				 "string conversion: value has 4301 digits; "
				 "use sys.set_int_max_str_digits() to increase "
				 "the limit");
	free(b);
	b = repeat("1", 4301, ".5", &len);
	v = pyjson_loads(b, len, err, sizeof(err));
	assert_non_null(v);
	assert_int_equal(v->type, PYV_FLOAT);
	pyv_free(v);
	free(b);
}

static void
test_depth_limit(void **state)
{
	char err[256], *b;
	struct pyv *v;
	size_t len, i;

	(void)state;
	b = repeat("[", 990, "", &len);
	b = realloc(b, 2 * len);
	assert_non_null(b);
	for (i = 0; i < 990; i++)
		b[len + i] = ']';
	v = pyjson_loads(b, 2 * len, err, sizeof(err));
	assert_non_null(v);
	pyv_free(v);
	free(b);
	b = repeat("[", 991, "", &len);
	assert_null(pyjson_loads(b, len, err, sizeof(err)));
	assert_string_equal(err, "maximum recursion depth exceeded while "
				 "decoding a JSON array from a unicode string");
	free(b);
	b = repeat("{\"a\":", 100000, "", &len);
	assert_null(pyjson_loads(b, len, err, sizeof(err)));
	assert_string_equal(err,
			    "maximum recursion depth exceeded while "
			    "decoding a JSON object from a unicode string");
	free(b);
}

/* The innermost level holds a NaN, Infinity or -Infinity only below the
 * limit: CPython calls parse_constant for them, one level more. */
static void
test_depth_constants(void **state)
{
	static const char *const words[] = { "NaN", "Infinity", "-Infinity",
					     "1" };
	char err[256], b[2 * PYJSON_MAX_DEPTH + 16];
	struct pyv *v;
	size_t i, w, n, len;

	(void)state;
	for (w = 0; w < sizeof(words) / sizeof(*words); w++) {
		for (n = PYJSON_MAX_DEPTH - 1; n <= PYJSON_MAX_DEPTH; n++) {
			memset(b, '[', n);
			len = strlen(words[w]);
			memcpy(b + n, words[w], len);
			for (i = 0; i < n; i++)
				b[n + len + i] = ']';
			len += 2 * n;
			v = pyjson_loads(b, len, err, sizeof(err));
			if (n < PYJSON_MAX_DEPTH || w == 3) {
				assert_non_null(v);
				pyv_free(v);
				continue;
			}
			assert_null(v);
			assert_string_equal(err,
					    "maximum recursion depth exceeded "
					    "while calling a Python object");
		}
	}
	/* A caller's own limit: "[[[1]]]" within 3 levels, not within 2. */
	v = pyjson_loads_depth("[[[1]]]", 7, 3, err, sizeof(err));
	assert_non_null(v);
	pyv_free(v);
	assert_null(pyjson_loads_depth("[[[1]]]", 7, 2, err, sizeof(err)));
	assert_null(pyjson_loads_depth("[[NaN]]", 7, 2, err, sizeof(err)));
	assert_string_equal(err, "maximum recursion depth exceeded while "
				 "calling a Python object");
}

static void
test_duplicate_keys(void **state)
{
	static const char in[] = "{\"b\":1,\"a\":2,\"b\":3,\"c\":4,\"a\":5}";
	char err[128];
	struct pyv *v;

	(void)state;
	v = pyjson_loads(in, sizeof(in) - 1, err, sizeof(err));
	assert_non_null(v);
	assert_int_equal(v->u.dict.len, 3);
	assert_string_equal(pyv_dict_get(v, "b")->u.integer.digits, "3");
	assert_string_equal(pyv_dict_get(v, "a")->u.integer.digits, "5");
	assert_int_equal(v->u.dict.keys[0]->u.str.cp[0], 'b');
	assert_int_equal(v->u.dict.keys[1]->u.str.cp[0], 'a');
	assert_int_equal(v->u.dict.keys[2]->u.str.cp[0], 'c');
	pyv_free(v);
}

static void
test_many_keys(void **state)
{
	char err[128], *b, *p;
	struct pyv *v;
	size_t i, n = 50000;

	(void)state;
	/* Distinct keys then all of them again: the index keeps this
	 * linear, and every key keeps its first position. */
	b = malloc(2 * n * 16 + 2);
	assert_non_null(b);
	p = b;
	*p++ = '{';
	for (i = 0; i < 2 * n; i++)
		p += sprintf(p, "%s\"k%zu\":%zu", i ? "," : "", i % n, i);
	*p++ = '}';
	v = pyjson_loads(b, (size_t)(p - b), err, sizeof(err));
	assert_non_null(v);
	assert_int_equal(v->u.dict.len, n);
	assert_string_equal(pyv_dict_get(v, "k7")->u.integer.digits, "50007");
	assert_int_equal(v->u.dict.keys[7]->u.str.cp[1], '7');
	pyv_free(v);
	free(b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cases),
		cmocka_unit_test(test_int_digit_limit),
		cmocka_unit_test(test_depth_limit),
		cmocka_unit_test(test_depth_constants),
		cmocka_unit_test(test_duplicate_keys),
		cmocka_unit_test(test_many_keys),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
