/*
 * test_pyfloat.c: pyfloat against answers from Debian's Python 3.11:
 * repr(float) on hand-picked values and on tests/kat/pyfloat_repr.table
 * (tests/kat/gen_pyfloat_table.py), float(str) with its ValueError texts,
 * float(int) and float() of every json value type.  Run from the top of
 * the source tree.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "pyfloat.h"
#include "pyvalue.h"

#define REPR_TABLE "tests/kat/pyfloat_repr.table"

static void
check_repr(double x, const char *want)
{
	char buf[PYFLOAT_REPR_MAX];
	int n = pyfloat_repr(x, buf, sizeof(buf));

	assert_int_equal(n, (int)strlen(want));
	assert_string_equal(buf, want);
}

static void
test_repr_known(void **state)
{
	(void)state;
	check_repr(0.1, "0.1");
	check_repr(1e16, "1e+16");
	check_repr(1e15, "1000000000000000.0");
	check_repr(9999999999999998.0, "9999999999999998.0");
	check_repr(1e-7, "1e-07");
	check_repr(5e-324, "5e-324");
	check_repr(1.7976931348623157e308, "1.7976931348623157e+308");
	check_repr(-0.0, "-0.0");
	check_repr(0.0, "0.0");
	check_repr(123456789012345678.0, "1.2345678901234568e+17");
	check_repr(1e22, "1e+22");
	check_repr(0.0001, "0.0001");
	check_repr(0.00001, "1e-05");
	check_repr(0.00012345, "0.00012345");
	check_repr(9007199254740993.0, "9007199254740992.0");
	check_repr(100.0, "100.0");
	check_repr(-1.5, "-1.5");
	check_repr(1.0 / 3, "0.3333333333333333");
	check_repr(2.2250738585072014e-308, "2.2250738585072014e-308");
	check_repr(343923.1200909892, "343923.1200909892");
	check_repr(INFINITY, "inf");
	check_repr(-INFINITY, "-inf");
	check_repr(NAN, "nan");
	check_repr(-NAN, "nan");
}

static void
test_repr_short_buffer(void **state)
{
	char buf[8];

	(void)state;
	assert_int_equal(pyfloat_repr(0.1, buf, 4), 3);
	assert_int_equal(pyfloat_repr(0.1, buf, 3), -1);
	assert_string_equal(buf, "");
	assert_int_equal(pyfloat_repr(1.0 / 3, buf, sizeof(buf)), -1);
	assert_int_equal(pyfloat_repr(-INFINITY, buf, 4), -1);
	assert_int_equal(pyfloat_repr(-INFINITY, buf, 5), 4);
}

static void
test_repr_table(void **state)
{
	char line[128], want[64], buf[PYFLOAT_REPR_MAX];
	unsigned long long bits;
	size_t n = 0, bad = 0;
	double x;
	FILE *f;

	(void)state;
	if ((f = fopen(REPR_TABLE, "r")) == NULL)
		fail_msg("cannot open %s (run from the source tree)",
			 REPR_TABLE);
	while (fgets(line, sizeof(line), f) != NULL) {
		if (sscanf(line, "%llx %63s", &bits, want) != 2)
			fail_msg("bad line in %s: %s", REPR_TABLE, line);
		memcpy(&x, &bits, sizeof(x));
		pyfloat_repr(x, buf, sizeof(buf));
		if (strcmp(buf, want) != 0 && bad++ < 5)
			print_error("%016llx: want %s got %s\n", bits, want,
				    buf);
		n++;
	}
	fclose(f);
	assert_true(n > 10000);
	assert_int_equal(bad, 0);
}

struct str_case {
	uint32_t s[24];
	size_t n;
	int ok;
	const char *want; /* repr(float(s)) or the ValueError text */
};

/* From /usr/bin/python3: repr(float(s)) or str(the exception). */
/* clang-format off */
static const struct str_case str_cases[] = {
	{ { 0x20, 0x31, 0x2e, 0x35, 0x20 }, 5, 1, "1.5" },
	{ { 0x31, 0x5f, 0x30 }, 3, 1, "10.0" },
	{ { 0x69, 0x6e, 0x66 }, 3, 1, "inf" },
	{ { 0x2d, 0x6e, 0x61, 0x6e }, 4, 1, "nan" },
	{ { 0x661, 0x662 }, 2, 1, "12.0" },
	{ { 0x20, 0x20, 0x2d, 0x49, 0x6e, 0x66, 0x69, 0x6e, 0x69, 0x74, 0x79,
	    0xa }, 12, 1, "-inf" },
	{ { 0x31, 0x5f, 0x5f, 0x30 }, 4, 0,
	  "could not convert string to float: '1__0'" },
	{ { 0x5f, 0x31 }, 2, 0, "could not convert string to float: '_1'" },
	{ { 0x31, 0x5f }, 2, 0, "could not convert string to float: '1_'" },
	{ { 0x31, 0x5f, 0x2e, 0x35 }, 4, 0,
	  "could not convert string to float: '1_.5'" },
	{ { 0x31, 0x65, 0x35, 0x5f, 0x30 }, 5, 1, "1e+50" },
	{ { 0x30, 0x78, 0x31, 0x30 }, 4, 0,
	  "could not convert string to float: '0x10'" },
	{ { 0x31, 0x65 }, 2, 0, "could not convert string to float: '1e'" },
	{ { 0x2e }, 1, 0, "could not convert string to float: '.'" },
	{ { 0x2d, 0x2e, 0x35 }, 3, 1, "-0.5" },
	{ { 0x2b, 0x2e, 0x35, 0x65, 0x2d, 0x33 }, 6, 1, "0.0005" },
	{ { 0x31, 0x2e }, 2, 1, "1.0" },
	{ { 0x6e, 0x61, 0x6e, 0x28, 0x31, 0x29 }, 6, 0,
	  "could not convert string to float: 'nan(1)'" },
	{ { 0x69, 0x6e, 0x66, 0x69, 0x6e, 0x69, 0x74 }, 7, 0,
	  "could not convert string to float: 'infinit'" },
	{ { 0x69, 0x4e, 0x66, 0x49, 0x6e, 0x49, 0x74, 0x59 }, 8, 1, "inf" },
	{ { 0xa0, 0x31, 0x3000 }, 3, 1, "1.0" },
	{ { 0x31, 0x0 }, 2, 0, "could not convert string to float: '1\\x00'" },
	{ { 0x1c, 0x31 }, 2, 0,
	  "could not convert string to float: '\\x1c1'" },
	{ { 0x31, 0x20, 0x32 }, 3, 0,
	  "could not convert string to float: '1 2'" },
	{ { 0 }, 0, 0, "could not convert string to float: ''" },
	{ { 0x69, 0x74, 0x27, 0x73 }, 4, 0,
	  "could not convert string to float: \"it's\"" },
	{ { 0x61, 0x22, 0x62, 0x27, 0x63 }, 5, 0,
	  "could not convert string to float: 'a\"b\\'c'" },
	{ { 0x1f600 }, 1, 0,
	  "could not convert string to float: '\xf0\x9f\x98\x80'" },
	{ { 0xd800, 0x78 }, 2, 0,
	  "could not convert string to float: '\\ud800x'" },
	{ { 0x7f }, 1, 0, "could not convert string to float: '\\x7f'" },
	{ { 0x85, 0x2028, 0x31, 0x2e, 0x32, 0x35, 0x2029 }, 7, 1, "1.25" },
	{ { 0x1d7d9, 0x967 }, 2, 1, "11.0" },
	{ { 0x31, 0x65, 0x34, 0x30, 0x30 }, 5, 1, "inf" },
	{ { 0x2d, 0x31, 0x65, 0x2d, 0x34, 0x30, 0x30 }, 7, 1, "-0.0" },
	{ { 0x34, 0x2e, 0x39, 0x34, 0x30, 0x36, 0x35, 0x36, 0x34, 0x35, 0x38,
	    0x34, 0x31, 0x32, 0x34, 0x36, 0x35, 0x34, 0x65, 0x2d, 0x33, 0x32,
	    0x34 }, 23, 1, "5e-324" },
	{ { 0xe9, 0x200b, 0xa, 0x9, 0x5c }, 5, 0,
	  "could not convert string to float: '\xc3\xa9\\u200b\\n\\t\\\\'" },
};
/* clang-format on */

static void
test_from_str(void **state)
{
	char err[256], buf[PYFLOAT_REPR_MAX];
	size_t i;
	double x;
	int rc;

	(void)state;
	for (i = 0; i < sizeof(str_cases) / sizeof(*str_cases); i++) {
		const struct str_case *c = &str_cases[i];

		err[0] = '\0';
		rc = pyfloat_from_str(c->s, c->n, &x, err, sizeof(err));
		if (c->ok) {
			assert_int_equal(rc, 0);
			pyfloat_repr(x, buf, sizeof(buf));
			assert_string_equal(buf, c->want);
		} else {
			assert_int_equal(rc, -1);
			assert_string_equal(err, c->want);
		}
	}
}

static void
test_from_str_truncated_error(void **state)
{
	static const uint32_t s[] = { 0xe9, 0xe9, 0xe9, 0xe9 };
	char err[40];
	double x;

	(void)state;
	/* The message is cut at a character boundary, never mid-UTF-8. */
	assert_int_equal(pyfloat_from_str(s, 4, &x, err, sizeof(err)), -1);
	assert_string_equal(err,
			    "could not convert string to float: '\xc3\xa9");
	assert_int_equal(pyfloat_from_str(s, 4, &x, err, 38), -1);
	assert_string_equal(err, "could not convert string to float: '");
	assert_int_equal(pyfloat_from_str(s, 4, &x, err, 36), -1);
	assert_string_equal(err, "could not convert string to float: ");
}

static void
check_int(const char *digits, int neg, const char *want)
{
	char err[128], buf[PYFLOAT_REPR_MAX];
	struct pyv *v = pyv_new_int(neg, digits, strlen(digits));
	double x;

	assert_non_null(v);
	if (strncmp(want, "int ", 4) == 0) {
		assert_int_equal(pyfloat_from_int(v, &x, err, sizeof(err)), -1);
		assert_string_equal(err, want);
	} else {
		assert_int_equal(pyfloat_from_int(v, &x, err, sizeof(err)), 0);
		pyfloat_repr(x, buf, sizeof(buf));
		assert_string_equal(buf, want);
	}
	pyv_free(v);
}

static void
test_from_int(void **state)
{
	(void)state;
	check_int("0", 0, "0.0");
	check_int("0", 1, "0.0"); /* an int zero has no sign */
	check_int("9007199254740993", 0, "9007199254740992.0");
	check_int("9007199254740995", 1, "-9007199254740996.0");
	check_int("123456789012345678901234567890", 0,
		  "1.2345678901234568e+29");
	/* 2**1024 - 2**970 - 1 rounds down to DBL_MAX; 2**1024 - 2**970,
	 * the halfway point, rounds to even: 2**1024, too large. */
	check_int("1797693134862315807937289714053034150799341327100378"
		  "2693617377898044496829276475094664901797758720709633"
		  "0286416692887910946555547851940402630657488671505820"
		  "6819089020007083836762738548458177115317644757302700"
		  "6985557136695962284291481986083493647529271907416844"
		  "4365510704342711559699508093042880177904174497792",
		  0, "int too large to convert to float");
	check_int("1797693134862315807937289714053034150799341327100378"
		  "2693617377898044496829276475094664901797758720709633"
		  "0286416692887910946555547851940402630657488671505820"
		  "6819089020007083836762738548458177115317644757302700"
		  "6985557136695962284291481986083493647529271907416844"
		  "4365510704342711559699508093042880177904174497791",
		  1, "-1.7976931348623157e+308");
	check_int("1000000000000000000000000000000000000000000000000000"
		  "0000000000000000000000000000000000000000000000000000"
		  "0000000000000000000000000000000000000000000000000000"
		  "0000000000000000000000000000000000000000000000000000"
		  "0000000000000000000000000000000000000000000000000000"
		  "000000000000000000000000000000000000000000000000000",
		  1, "int too large to convert to float");
}

static void
test_from_pyv(void **state)
{
	static const uint32_t s[] = { '2', '.', '5' };
	struct pyv *v;
	char err[128];
	double x;

	(void)state;
	v = pyv_new_bool(1);
	assert_int_equal(pyfloat_from_pyv(v, &x, err, sizeof(err)), 0);
	assert_true(x == 1.0);
	pyv_free(v);
	v = pyv_new_float(-0.0);
	assert_int_equal(pyfloat_from_pyv(v, &x, err, sizeof(err)), 0);
	assert_true(x == 0 && signbit(x));
	pyv_free(v);
	v = pyv_new_str(s, 3);
	assert_int_equal(pyfloat_from_pyv(v, &x, err, sizeof(err)), 0);
	assert_true(x == 2.5);
	pyv_free(v);
	v = pyv_new_none();
	assert_int_equal(pyfloat_from_pyv(v, &x, err, sizeof(err)), -1);
	assert_string_equal(err, "float() argument must be a string or a "
				 "real number, not 'NoneType'");
	pyv_free(v);
	v = pyv_new_list();
	assert_int_equal(pyfloat_from_pyv(v, &x, err, sizeof(err)), -1);
	assert_string_equal(err, "float() argument must be a string or a "
				 "real number, not 'list'");
	pyv_free(v);
	v = pyv_new_dict();
	assert_int_equal(pyfloat_from_pyv(v, &x, err, sizeof(err)), -1);
	assert_string_equal(err, "float() argument must be a string or a "
				 "real number, not 'dict'");
	pyv_free(v);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_repr_known),
		cmocka_unit_test(test_repr_short_buffer),
		cmocka_unit_test(test_repr_table),
		cmocka_unit_test(test_from_str),
		cmocka_unit_test(test_from_str_truncated_error),
		cmocka_unit_test(test_from_int),
		cmocka_unit_test(test_from_pyv),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
