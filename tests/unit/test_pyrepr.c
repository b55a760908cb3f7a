/*
 * test_pyrepr.c: pyrepr against answers made by Python 3.11.2
 * (/usr/bin/python3): str(json.loads(IN)), json.dumps(json.loads(IN)) for
 * strings, json.loads(IN).encode("utf-8") with its UnicodeEncodeError
 * texts, the int string-conversion limit, and unicode_printable() against
 * a few code points of every kind.
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
#include "pyrepr.h"
#include "pyvalue.h"
#include "unicode_printable.h"

static struct pyv *
json(const char *text)
{
	char err[256];
	struct pyv *v = pyjson_loads(text, strlen(text), err, sizeof(err));

	if (v == NULL)
		fail_msg("json %s: %s", text, err);
	return v;
}

/*
 * Code points as UTF-8, lone surrogates encoded like any other code point
 * (Python's "surrogatepass"), so that answers can be C strings.
 */
static char *
wtf8(const struct pyrepr_buf *b)
{
	char *out = malloc(b->len * 4 + 1), *q = out;
	size_t i;

	assert_non_null(out);
	for (i = 0; i < b->len; i++) {
		uint32_t c = b->cp[i];

		if (c < 0x80) {
			*q++ = (char)c;
		} else if (c < 0x800) {
			*q++ = (char)(0xc0 | (c >> 6));
			*q++ = (char)(0x80 | (c & 0x3f));
		} else if (c < 0x10000) {
			*q++ = (char)(0xe0 | (c >> 12));
			*q++ = (char)(0x80 | ((c >> 6) & 0x3f));
			*q++ = (char)(0x80 | (c & 0x3f));
		} else {
			*q++ = (char)(0xf0 | (c >> 18));
			*q++ = (char)(0x80 | ((c >> 12) & 0x3f));
			*q++ = (char)(0x80 | ((c >> 6) & 0x3f));
			*q++ = (char)(0x80 | (c & 0x3f));
		}
	}
	*q = '\0';
	return out;
}

/* { json text, Python's str(json.loads(text)) encoded with surrogatepass } */
static const char *const str_cases[][2] = {
	{ "5001", "5001" },
	{ "2.5", "2.5" },
	{ "\"node-b\"", "node-b" },
	{ "[1, \"a\", null]", "[1, 'a', None]" },
	{ "{\"a\": 1, \"b\": [2]}", "{'a': 1, 'b': [2]}" },
	{ "true", "True" },
	{ "false", "False" },
	{ "null", "None" },
	{ "-0.0", "-0.0" },
	{ "1e16", "1e+16" },
	{ "1e400", "inf" },
	{ "NaN", "nan" },
	{ "-Infinity", "-inf" },
	{ "1e-7", "1e-07" },
	{ "123456789012345678901234567890", "123456789012345678901234567890" },
	{ "-5", "-5" },
	{ "0", "0" },
	{ "[]", "[]" },
	{ "{}", "{}" },
	{ "[[]]", "[[]]" },
	{ "[\"it's\"]", "[\"it's\"]" },
	{ "[\"say \\\"hi\\\"\"]", "['say \"hi\"']" },
	{ "[\"both ' and \\\"\"]", "['both \\' and \"']" },
	{ "[\"back\\\\slash\"]", "['back\\\\slash']" },
	{ "[\"\\t\\n\\r\\b\\f\"]", "['\\t\\n\\r\\x08\\x0c']" },
	{ "[\"\\u0000\\u001f\\u007f\\u0080\\u009f"
	  "\\u00a0\\u00ad\\u00e9\\u00ff\"]",
	  "['\\x00\\x1f\\x7f\\x80\\x9f\\xa0\\xad\303\251\303\277']" },
	{ "[\"\\u0378\\u2028\\u3000\\ue000\\ufeff\\uffff\"]",
	  "['\\u0378\\u2028\\u3000\\ue000\\ufeff\\uffff']" },
	{ "[\"\\ud800\\udfff\"]", "['\\U000103ff']" },
	{ "[\"\\ud800\", \"x\\udfff\"]", "['\\ud800', 'x\\udfff']" },
	{ "[\"\\ud83d\\ude00\\udb40\\udc01\\udbbf\\udffd\\udbff\\udfff\"]",
	  "['\360\237\230\200\\U000e0001\\U000ffffd\\U0010ffff']" },
	{ "{\"k'\": \"v\\\"\", \"x\": [1.5, true, null]}",
	  "{\"k'\": 'v\"', 'x': [1.5, True, None]}" },
	{ "\"\\ud800x\"", "\355\240\200x" },
	{ "\"plain \\u00e9 \\ud83d\\ude00 ' \\\" \\\\ \\n\"",
	  "plain \303\251 \360\237\230\200 ' \" \\ \012" },
	{ "[1e22, 5e-324, 0.1, 100.0, 1e-5]",
	  "[1e+22, 5e-324, 0.1, 100.0, 1e-05]" },
	{ "{\"a\": {\"b\": {\"c\": []}}}", "{'a': {'b': {'c': []}}}" },
	{ "[{\"a\": 1, \"a\": 2}]", "[{'a': 2}]" },
	{ "[[\"\\u0085\\u061c\\u200b\\u00a0 \"]]",
	  "[['\\x85\\u061c\\u200b\\xa0 ']]" },
};

static void
test_str(void **state)
{
	size_t k;

	(void)state;
	for (k = 0; k < sizeof(str_cases) / sizeof(str_cases[0]); k++) {
		struct pyv *v = json(str_cases[k][0]);
		struct pyrepr_buf b = { 0 };
		char err[256] = "", *got;

		if (pyrepr_str(v, &b, err, sizeof(err)) != 0)
			fail_msg("%s: %s", str_cases[k][0], err);
		got = wtf8(&b);
		if (strcmp(got, str_cases[k][1]) != 0)
			fail_msg("str(%s) = %s, want %s", str_cases[k][0], got,
				 str_cases[k][1]);
		free(got);
		pyrepr_buf_free(&b);
		pyv_free(v);
	}
}

/* repr() differs from str() only for a str at the top. */
static void
test_repr_top_str(void **state)
{
	struct pyv *v = json("\"it's \\u00e9\\n\"");
	struct pyrepr_buf b = { 0 };
	char err[64];
	char *got;

	(void)state;
	assert_int_equal(pyrepr_repr(v, &b, err, sizeof(err)), 0);
	got = wtf8(&b);
	assert_string_equal(got, "\"it's \303\251\\n\"");
	free(got);
	pyrepr_buf_free(&b);
	pyv_free(v);
}

/* str() of an int past 4300 digits fails as Python's default limit does. */
static void
test_int_limit(void **state)
{
	char digits[4302];
	struct pyv *v;
	struct pyrepr_buf b = { 0 };
	char err[256] = "";

	(void)state;
	memset(digits, '7', sizeof(digits));
	v = pyv_new_int(1, digits, 4300);
	assert_non_null(v);
	assert_int_equal(pyrepr_str(v, &b, err, sizeof(err)), 0);
	assert_int_equal(b.len, 4301);
	assert_int_equal(b.cp[0], '-');
	pyv_free(v);
	pyrepr_buf_free(&b);

	v = pyv_new_int(0, digits, 4301);
	assert_non_null(v);
	assert_int_equal(pyrepr_str(v, &b, err, sizeof(err)), -1);
	assert_string_equal(err, "Exceeds the limit (4300 digits) for integer "
				 "string conversion; use "
				 "sys.set_int_max_str_digits() to increase the "
				 "limit");
	pyv_free(v);
	pyrepr_buf_free(&b);
}

/* { json string, json.dumps(json.loads(it)) } */
static const char *const dumps_cases[][2] = {
	{ "\"abc\"", "\"abc\"" },
	{ "\"\\\"\\\\\\b\\f\\n\\r\\t\"", "\"\\\"\\\\\\b\\f\\n\\r\\t\"" },
	{ "\"\\u0000\\u001f\\u007f\\u0080\"",
	  "\"\\u0000\\u001f\\u007f\\u0080\"" },
	{ "\"\\u00e9\\u2028\\uffff\"", "\"\\u00e9\\u2028\\uffff\"" },
	{ "\"\\ud83d\\ude00\\udbff\\udfff\"",
	  "\"\\ud83d\\ude00\\udbff\\udfff\"" },
	{ "\"\\ud800\\udc00x\\udfff\"", "\"\\ud800\\udc00x\\udfff\"" },
	{ "\"/ <>&'\"", "\"/ <>&'\"" },
	{ "\"\"", "\"\"" },
};

static void
test_json_string(void **state)
{
	size_t k;

	(void)state;
	for (k = 0; k < sizeof(dumps_cases) / sizeof(dumps_cases[0]); k++) {
		struct pyv *v = json(dumps_cases[k][0]);
		char *out = NULL;
		size_t len = 0;

		assert_int_equal(v->type, PYV_STR);
		assert_int_equal(pyrepr_json_string(v->u.str.cp, v->u.str.len,
						    &out, &len),
				 0);
		assert_string_equal(out, dumps_cases[k][1]);
		assert_int_equal(len, strlen(dumps_cases[k][1]));
		free(out);
		pyv_free(v);
	}
}

/* { json string, 0 and its UTF-8, or -1 and the UnicodeEncodeError text } */
struct utf8_case {
	const char *in;
	int ret;
	const char *out;
};

/* clang-format off */
static const struct utf8_case utf8_cases[] = {
	{ "\"\\ud800\"", -1, "'utf-8' codec can't encode character '\\ud800' "
			     "in position 0: surrogates not allowed" },
	{ "\"ab\\udfff\"", -1, "'utf-8' codec can't encode character "
			       "'\\udfff' in position 2: surrogates not "
			       "allowed" },
	{ "\"\\ud800\\udbff\"", -1, "'utf-8' codec can't encode characters in "
				    "position 0-1: surrogates not allowed" },
	{ "\"x\\udc00\\ud800\\udfffy\\ud800\"", -1,
	  "'utf-8' codec can't encode character '\\udc00' in position 1: "
	  "surrogates not allowed" },
	{ "\"\\ud83d\\ude00\\ud800\"", -1,
	  "'utf-8' codec can't encode character '\\ud800' in position 1: "
	  "surrogates not allowed" },
	{ "\"ok \\u00e9\"", 0, "ok \303\251" },
	{ "\"\\u07ff\\u0800\\uffff\\ud800\\udc00\\udbff\\udfff\"", 0,
	  "\337\277\340\240\200\357\277\277\360\220\200\200\364\217\277\277" },
};
/* clang-format on */

static void
test_utf8(void **state)
{
	size_t k;

	(void)state;
	for (k = 0; k < sizeof(utf8_cases) / sizeof(utf8_cases[0]); k++) {
		const struct utf8_case *c = &utf8_cases[k];
		struct pyv *v = json(c->in);
		char err[256] = "", *out = NULL;
		size_t len = 0;
		int r = pyrepr_utf8(v->u.str.cp, v->u.str.len, &out, &len, err,
				    sizeof(err));

		assert_int_equal(r, c->ret);
		if (r == 0) {
			assert_int_equal(len, strlen(c->out));
			assert_memory_equal(out, c->out, len);
		} else {
			assert_null(out);
			assert_string_equal(err, c->out);
		}
		free(out);
		pyv_free(v);
	}
}

/* chr(cp).isprintable() in Python 3.11 for code points of every kind. */
static void
test_printable(void **state)
{
	static const struct {
		uint32_t cp;
		int printable;
		/* clang-format off */
	} cases[] = {
		{ 0x0000, 0 }, { 0x001f, 0 }, { 0x0020, 1 }, { 0x007e, 1 },
		{ 0x007f, 0 }, { 0x0085, 0 }, { 0x00a0, 0 }, { 0x00a1, 1 },
		{ 0x00ad, 0 }, { 0x00e9, 1 }, { 0x0378, 0 }, { 0x061c, 0 },
		{ 0x1680, 0 }, { 0x200b, 0 }, { 0x2028, 0 }, { 0x2029, 0 },
		{ 0x3000, 0 }, { 0x4e2d, 1 }, { 0xd800, 0 }, { 0xdfff, 0 },
		{ 0xe000, 0 }, { 0xfeff, 0 }, { 0xfffd, 1 }, { 0xffff, 0 },
		{ 0x1f600, 1 }, { 0x1fae8, 0 }, { 0x1faf0, 1 }, { 0xe0001, 0 },
		{ 0xe0100, 1 }, { 0x10ffff, 0 }, { 0x110000, 0 },
	};
	/* clang-format on */
	size_t k;

	(void)state;
	for (k = 0; k < sizeof(cases) / sizeof(cases[0]); k++)
		if (unicode_printable(cases[k].cp) != cases[k].printable)
			fail_msg("U+%04X: printable is not %d",
				 (unsigned)cases[k].cp, cases[k].printable);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_str),
		cmocka_unit_test(test_repr_top_str),
		cmocka_unit_test(test_int_limit),
		cmocka_unit_test(test_json_string),
		cmocka_unit_test(test_utf8),
		cmocka_unit_test(test_printable),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
