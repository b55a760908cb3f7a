/*
 * test_pysort.c: pysort against answers made by Python 3.11.2
 * (/usr/bin/python3): the exact sequence of "<" calls list.sort() makes,
 * Python's "<" and "==" between json values, and list.sort()'s failures.
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

#include "pyjson.h"
#include "pysort.h"
#include "pyvalue.h"

/* ---- the comparison trace of listsort ------------------------------------ */

/*
 * A list of floats made by a 64-bit LCG (Knuth's MMIX constants), its
 * sort traced through a "<" that folds every (left, right) pair of
 * original indices into a hash, and the final order folded likewise.
 * Python made the answers with the same LCG and a class whose __lt__ does
 * the folding:
 *
 *	h = ((h * 1000003) ^ (left * 65536 + right)) % 2**64
 *
 * With NaN in the list and long ascending runs (block > 0), the order
 * depends on every detail of the algorithm, galloping included.
 */
struct trace_case {
	uint64_t seed;
	size_t n;
	unsigned range;	    /* values are integers below range ... */
	unsigned nan_every; /* ... or NaN when the draw divides by this */
	unsigned block;	    /* > 0: ascending runs of this length */
	size_t compares;
	uint64_t trace_hash;
	uint64_t order_hash;
};

static const struct trace_case trace_cases[] = {
	{ 1, 5, 10, 0, 0, 8, 0x8dbff644f8d05031ull, 0x1bc17cdd708b39eeull },
	{ 2, 40, 1000, 7, 0, 161, 0x98b7cc9142e8fe96ull,
	  0x353917734ccff1ceull },
	{ 3, 64, 3, 0, 0, 269, 0x26e1cb6fb4a10debull, 0x679b913af33debb8ull },
	{ 4, 100, 8, 11, 0, 481, 0x9a5fe13b139d4719ull, 0x1d1dae4d8a449b0eull },
	{ 5, 300, 1000, 0, 50, 2076, 0xc53fd3d3b13fcaedull,
	  0x634768f20e881b14ull },
	{ 6, 300, 20, 13, 37, 1362, 0x11e1409a7eb586f0ull,
	  0xe2e7747f1bf111d6ull },
	{ 7, 1000, 5, 17, 100, 1511, 0x9c8f29c8d3aec8abull,
	  0xd87ae131567e7e4cull },
	{ 8, 777, 1000000, 0, 0, 6425, 0xcaa61af9d49fa01eull,
	  0x8c7d2ce90ba43c74ull },
	{ 9, 2000, 2, 5, 0, 9180, 0xad3922e7ea42d652ull,
	  0x97b3708ed8ee7c56ull },
};

struct trace {
	struct pyv **orig;
	size_t n;
	size_t compares;
	uint64_t hash;
};

static size_t
trace_index(const struct trace *t, const struct pyv *v)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		if (t->orig[i] == v)
			return i;
	fail_msg("sort handed over an item that is not in the list");
	return 0;
}

static int
trace_lt(void *ctx, const struct pyv *a, const struct pyv *b)
{
	struct trace *t = ctx;
	uint64_t pair = trace_index(t, a) * 65536 + trace_index(t, b);

	t->hash = (t->hash * 1000003) ^ pair;
	t->compares++;
	return a->u.f < b->u.f;
}

static void
make_values(const struct trace_case *c, struct pyv **v)
{
	uint64_t s = c->seed;
	size_t i;

	for (i = 0; i < c->n; i++) {
		uint64_t r;
		double x;

		s = s * 6364136223846793005ull + 1442695040888963407ull;
		r = s >> 33;
		if (c->nan_every && r % c->nan_every == 0)
			x = NAN;
		else if (c->block)
			x = (double)((i % c->block) * 4 + (r >> 4) % c->range);
		else
			x = (double)((r >> 4) % c->range);
		v[i] = pyv_new_float(x);
		assert_non_null(v[i]);
	}
}

static void
test_trace(void **state)
{
	size_t k, i;

	(void)state;
	for (k = 0; k < sizeof(trace_cases) / sizeof(trace_cases[0]); k++) {
		const struct trace_case *c = &trace_cases[k];
		struct pyv **items = calloc(c->n, sizeof(*items));
		struct pyv **orig = calloc(c->n, sizeof(*orig));
		struct trace t = { orig, c->n, 0, 0 };
		uint64_t order = 0;

		assert_non_null(items);
		assert_non_null(orig);
		make_values(c, items);
		memcpy(orig, items, c->n * sizeof(*items));
		assert_int_equal(pysort_run(items, c->n, trace_lt, &t), 0);
		for (i = 0; i < c->n; i++)
			order = (order * 1000003) ^ trace_index(&t, items[i]);
		if (t.compares != c->compares || t.hash != c->trace_hash ||
		    order != c->order_hash)
			fail_msg("case %zu (n=%zu): %zu compares, trace "
				 "%016llx, order %016llx",
				 k, c->n, t.compares,
				 (unsigned long long)t.hash,
				 (unsigned long long)order);
		for (i = 0; i < c->n; i++)
			pyv_free(orig[i]);
		free(orig);
		free(items);
	}
}

/* A failing "<" stops the sort at once and loses no item. */
struct fail_after {
	size_t left;
};

static int
fail_lt(void *ctx, const struct pyv *a, const struct pyv *b)
{
	struct fail_after *f = ctx;

	if (f->left-- == 0)
		return -1;
	return a->u.f < b->u.f;
}

static void
test_failure_keeps_items(void **state)
{
	const struct trace_case c = { 7, 500, 50, 0, 40, 0, 0, 0 };
	struct pyv *items[500], *orig[500];
	size_t stop, i, j;

	(void)state;
	make_values(&c, orig);
	for (stop = 0; stop < 3000; stop += 97) {
		struct fail_after f = { stop };

		memcpy(items, orig, sizeof(items));
		assert_int_equal(pysort_run(items, 500, fail_lt, &f), -1);
		/* Every item still there exactly once. */
		for (i = 0; i < 500; i++) {
			for (j = 0; j < 500 && items[j] != orig[i]; j++)
				;
			assert_true(j < 500);
		}
	}
	for (i = 0; i < 500; i++)
		pyv_free(orig[i]);
}

/* ---- comparisons --------------------------------------------------------- */

static struct pyv *
json(const char *text)
{
	char err[256];
	struct pyv *v = pyjson_loads(text, strlen(text), err, sizeof(err));

	if (v == NULL)
		fail_msg("json %s: %s", text, err);
	return v;
}

/* Python's answers for a < b, b < a and a == b, or the TypeError texts. */
struct cmp_case {
	const char *a, *b;
	int lt, gt, eq;
	const char *lt_err, *gt_err;
};

#define NS "'<' not supported between instances of "

/* clang-format off */
static const struct cmp_case cmp_cases[] = {
	/* ints and floats compare exactly, never rounding the int */
	/* ints long enough to need the binary comparison (Python's answers) */
	{ "10000000000000000525047602552044202487044685811081"
	  "59154915854115511802457988908195786371375080447864"
	  "04370444383288387817694252323536043057564479218478"
	  "67069828483872009265758037378302337947880900593689"
	  "53234970799945081119038967640880074652742780142494"
	  "57925878882005684283811566947219638686545940054016"
	  "0",
	  "1e300", 0, 0, 1, NULL, NULL },
	{ "10000000000000000525047602552044202487044685811081"
	  "59154915854115511802457988908195786371375080447864"
	  "04370444383288387817694252323536043057564479218478"
	  "67069828483872009265758037378302337947880900593689"
	  "53234970799945081119038967640880074652742780142494"
	  "57925878882005684283811566947219638686545940054016"
	  "1",
	  "1e300", 0, 1, 0, NULL, NULL },
	{ "10000000000000000525047602552044202487044685811081"
	  "59154915854115511802457988908195786371375080447864"
	  "04370444383288387817694252323536043057564479218478"
	  "67069828483872009265758037378302337947880900593689"
	  "53234970799945081119038967640880074652742780142494"
	  "57925878882005684283811566947219638686545940054015"
	  "9",
	  "1e300", 1, 0, 0, NULL, NULL },
	{ "12345678901234567",
	  "1e300", 1, 0, 0, NULL, NULL },
	{ "-12345678901234567",
	  "-1e300", 0, 1, 0, NULL, NULL },
	{ "17976931348623157081452742373170435679807056752584"
	  "49965989174768031572607800285387605895586327668781"
	  "71540458953514382464234321326889464182768467546703"
	  "53751698604991057655128207624549009038932894407586"
	  "85084551339423045832369032229481658085593321233482"
	  "74797826204144723168738177180919299881250404026184"
	  "124858368",
	  "1.7976931348623157e308", 0, 0, 1, NULL, NULL },
	{ "10000000000000000000000000000000000000000000000000"
	  "00000000000000000000000000000000000000000000000000"
	  "00000000000000000000000000000000000000000000000000"
	  "00000000000000000000000000000000000000000000000000"
	  "00000000000000000000000000000000000000000000000000"
	  "00000000000000000000000000000000000000000000000000"
	  "0000000000",
	  "1.7976931348623157e308", 0, 1, 0, NULL, NULL },
	{ "90071992547409930",
	  "9.007199254740993e16", 1, 0, 0, NULL, NULL },
	{ "4503599627370497",
	  "4503599627370496.5", 0, 1, 0, NULL, NULL },
	{ "4503599627370496",
	  "4503599627370496.5", 0, 0, 1, NULL, NULL },
	{ "9007199254740993", "9007199254740992.0", 0, 1, 0, NULL, NULL },
	{ "9007199254740992", "9007199254740992.0", 0, 0, 1, NULL, NULL },
	{ "-9007199254740993", "-9007199254740992.0", 1, 0, 0, NULL, NULL },
	{ "10000000000000001", "1e16", 0, 1, 0, NULL, NULL },
	{ "1000000000000000", "1000000000000000.5", 1, 0, 0, NULL, NULL },
	{ "-1000000000000000", "-1000000000000000.5", 0, 1, 0, NULL, NULL },
	{ "123456789012345678", "1.2345678901234568e17", 1, 0, 0, NULL,
	  NULL },
	{ "1" "0000000000" "0000000000" "0000000000" "0000000000"
	  "0000000000" "0000000000" "0000000000" "0000000000" "0000000000"
	  "0000000000" "0000000000" "0000000000" "0000000000" "0000000000"
	  "0000000000" "0000000000" "0000000000" "0000000000" "0000000000"
	  "0000000000" "0000000000" "0000000000" "0000000000" "0000000000"
	  "0000000000" "0000000000" "0000000000" "0000000000" "0000000000"
	  "0000000000" "0000000000", "1.7976931348623157e308", 0, 1, 0,
	  NULL, NULL },
	{ "1" "0000000000" "0000000000" "0000000000" "0000000000"
	  "0000000000" "0000000000" "0000000000" "0000000000" "0000000000"
	  "0000000000" "0000000000" "0000000000" "0000000000" "0000000000"
	  "0000000000" "0000000000" "0000000000" "0000000000" "0000000000"
	  "0000000000" "0000000000" "0000000000" "0000000000" "0000000000"
	  "0000000000" "0000000000" "0000000000" "0000000000" "0000000000"
	  "0000000000" "0000000000" "0000000000" "0000000000" "0000000000"
	  "0000000000" "0000000000" "0000000000" "0000000000" "0000000000"
	  "0000000000", "Infinity", 1, 0, 0, NULL, NULL },
	{ "-1" "0000000000" "0000000000" "0000000000" "0000000000"
	  "0000000000" "0000000000" "0000000000" "0000000000" "0000000000"
	  "0000000000" "0000000000" "0000000000" "0000000000" "0000000000"
	  "0000000000" "0000000000" "0000000000" "0000000000" "0000000000"
	  "0000000000" "0000000000" "0000000000" "0000000000" "0000000000"
	  "0000000000" "0000000000" "0000000000" "0000000000" "0000000000"
	  "0000000000" "0000000000" "0000000000" "0000000000" "0000000000"
	  "0000000000" "0000000000" "0000000000" "0000000000" "0000000000"
	  "0000000000", "-Infinity", 0, 1, 0, NULL, NULL },
	{ "18446744073709551616", "18446744073709551615", 0, 1, 0, NULL,
	  NULL },
	{ "-18446744073709551616", "-18446744073709551615", 1, 0, 0, NULL,
	  NULL },
	{ "0", "-0.0", 0, 0, 1, NULL, NULL },
	{ "-0", "0", 0, 0, 1, NULL, NULL },
	{ "1e400", "Infinity", 0, 0, 1, NULL, NULL },
	{ "NaN", "1", 0, 0, 0, NULL, NULL },
	{ "NaN", "Infinity", 0, 0, 0, NULL, NULL },
	{ "NaN", "NaN", 0, 0, 1, NULL, NULL }, /* one shared NaN object */
	{ "true", "2", 1, 0, 0, NULL, NULL },
	{ "false", "true", 1, 0, 0, NULL, NULL },
	{ "true", "1.0", 0, 0, 1, NULL, NULL },
	{ "false", "-0.0", 0, 0, 1, NULL, NULL },
	{ "true", "0.5", 0, 1, 0, NULL, NULL },
	/* str by code point, surrogates included */
	{ "\"a\"", "\"b\"", 1, 0, 0, NULL, NULL },
	{ "\"\"", "\"a\"", 1, 0, 0, NULL, NULL },
	{ "\"ab\"", "\"a\"", 0, 1, 0, NULL, NULL },
	{ "\"\\uffff\"", "\"\\ud83d\\ude00\"", 1, 0, 0, NULL, NULL },
	{ "\"\\ud800\"", "\"\\ue000\"", 1, 0, 0, NULL, NULL },
	{ "\"\\udfff\"", "\"\\ud800\\udc00\"", 1, 0, 0, NULL, NULL },
	{ "\"Z\"", "\"a\"", 1, 0, 0, NULL, NULL },
	/* lists: first unequal item decides, else the length */
	{ "[1, 2]", "[1, 3]", 1, 0, 0, NULL, NULL },
	{ "[1]", "[1, 0]", 1, 0, 0, NULL, NULL },
	{ "[]", "[[]]", 1, 0, 0, NULL, NULL },
	{ "[NaN]", "[NaN]", 0, 0, 1, NULL, NULL },
	{ "[NaN, 1]", "[NaN, 2]", 1, 0, 0, NULL, NULL },
	{ "[1, NaN]", "[1.0, NaN, 0]", 1, 0, 0, NULL, NULL },
	{ "[{}]", "[{}, 1]", 1, 0, 0, NULL, NULL },
	{ "[{\"a\": 1, \"b\": [2]}]", "[{\"b\": [2.0], \"a\": true}]", 0, 0, 1,
	  NULL, NULL },
	{ "[null, 1]", "[null, 2]", 1, 0, 0, NULL, NULL },
	{ "[\"a\"]", "[1]", -1, -1, 0, NS "'str' and 'int'",
	  NS "'int' and 'str'" },
	{ "[{\"a\": 1}]", "[{\"a\": 2}]", -1, -1, 0, NS "'dict' and 'dict'",
	  NS "'dict' and 'dict'" },
	{ "[{\"a\": 1}]", "[{\"b\": 1}]", -1, -1, 0, NS "'dict' and 'dict'",
	  NS "'dict' and 'dict'" },
	{ "[[1, null]]", "[[1, true]]", -1, -1, 0,
	  NS "'NoneType' and 'bool'", NS "'bool' and 'NoneType'" },
	/* unorderable pairs */
	{ "null", "null", -1, -1, 1, NS "'NoneType' and 'NoneType'",
	  NS "'NoneType' and 'NoneType'" },
	{ "{}", "{}", -1, -1, 1, NS "'dict' and 'dict'",
	  NS "'dict' and 'dict'" },
	/* dict == dict looks keys up by hash in any order (Python: True,
	 * False, False) */
	{ "{\"a\": 1, \"b\": [2, {\"c\": 3, \"d\": 4}]}",
	  "{\"b\": [2, {\"d\": 4, \"c\": 3}], \"a\": 1}", -1, -1, 1,
	  NS "'dict' and 'dict'", NS "'dict' and 'dict'" },
	{ "{\"a\": 1, \"b\": 2}", "{\"b\": 2, \"a\": 1.5}", -1, -1, 0,
	  NS "'dict' and 'dict'", NS "'dict' and 'dict'" },
	{ "{\"a\": 1, \"b\": 2}", "{\"b\": 2, \"c\": 1}", -1, -1, 0,
	  NS "'dict' and 'dict'", NS "'dict' and 'dict'" },
	{ "1", "\"a\"", -1, -1, 0, NS "'int' and 'str'",
	  NS "'str' and 'int'" },
	{ "1.5", "[1]", -1, -1, 0, NS "'float' and 'list'",
	  NS "'list' and 'float'" },
	{ "true", "null", -1, -1, 0, NS "'bool' and 'NoneType'",
	  NS "'NoneType' and 'bool'" },
	{ "\"1\"", "[\"1\"]", -1, -1, 0, NS "'str' and 'list'",
	  NS "'list' and 'str'" },
	{ "{}", "[]", -1, -1, 0, NS "'dict' and 'list'",
	  NS "'list' and 'dict'" },
};
/* clang-format on */

static void
check_lt(const struct pyv *a, const struct pyv *b, int want,
	 const char *want_err, const char *what)
{
	char err[256] = "";
	int got = pysort_lt(a, b, err, sizeof(err));

	if (got != want)
		fail_msg("%s: got %d, want %d", what, got, want);
	if (want < 0 && strcmp(err, want_err) != 0)
		fail_msg("%s: error \"%s\", want \"%s\"", what, err, want_err);
}

static void
test_compare(void **state)
{
	size_t k;

	(void)state;
	for (k = 0; k < sizeof(cmp_cases) / sizeof(cmp_cases[0]); k++) {
		const struct cmp_case *c = &cmp_cases[k];
		struct pyv *a = json(c->a), *b = json(c->b);
		char what[128];

		snprintf(what, sizeof(what), "case %zu (%.30s vs %.30s)", k,
			 c->a, c->b);
		check_lt(a, b, c->lt, c->lt_err, what);
		check_lt(b, a, c->gt, c->gt_err, what);
		if (pysort_eq(a, b) != c->eq || pysort_eq(b, a) != c->eq)
			fail_msg("%s: == is not %d", what, c->eq);
		pyv_free(a);
		pyv_free(b);
	}
}

/* ---- list.sort() --------------------------------------------------------- */

/* json.loads(in).sort() in Python: the list it leaves (compared item by
 * item and type by type, NaN matching NaN), or the exception's text. */
struct sort_case {
	const char *in;
	const char *err; /* NULL: sorts, and out is the sorted list */
	const char *out;
};

static const struct sort_case sort_cases[] = {
	{ "[5001, 5000, 4999]", NULL, "[4999, 5000, 5001]" },
	{ "[3, NaN, 1, 2]", NULL, "[3, NaN, 1, 2]" },
	{ "[NaN, 3, 2, 1]", NULL, "[NaN, 1, 2, 3]" },
	{ "[2, 1, NaN, 0, -1]", NULL, "[-1, 0, 1, 2, NaN]" },
	{ "[1, 2, NaN, 0, -1]", NULL, "[1, 2, NaN, -1, 0]" },
	{ "[true, 1, 1.0, false, 0]", NULL, "[false, 0, true, 1, 1.0]" },
	{ "[[1, \"a\"], [0], [1, \"b\"]]", NULL,
	  "[[0], [1, \"a\"], [1, \"b\"]]" },
	{ "[null]", NULL, "[null]" },
	{ "[{}]", NULL, "[{}]" },
	{ "[]", NULL, "[]" },
	{ "[1, \"a\"]", NS "'str' and 'int'", NULL },
	{ "[\"a\", 1]", NS "'int' and 'str'", NULL },
	{ "[1, 2, 3, \"x\", 4]", NS "'str' and 'int'", NULL },
	{ "[null, null]", NS "'NoneType' and 'NoneType'", NULL },
	{ "[{}, 1]", NS "'int' and 'dict'", NULL },
	{ "{}", "'dict' object has no attribute 'sort'", NULL },
	{ "null", "'NoneType' object has no attribute 'sort'", NULL },
	{ "\"ab\"", "'str' object has no attribute 'sort'", NULL },
	{ "7", "'int' object has no attribute 'sort'", NULL },
	{ "7.5", "'float' object has no attribute 'sort'", NULL },
	{ "true", "'bool' object has no attribute 'sort'", NULL },
};

/* Items equal and in the same places, NaN matching NaN. */
static int
same_list(const struct pyv *a, const struct pyv *b)
{
	size_t i;

	if (a->u.list.len != b->u.list.len)
		return 0;
	for (i = 0; i < a->u.list.len; i++) {
		const struct pyv *x = a->u.list.items[i];
		const struct pyv *y = b->u.list.items[i];

		if (x->type != y->type || !pysort_eq(x, y))
			return 0;
	}
	return 1;
}

static void
test_sort_list(void **state)
{
	size_t k;

	(void)state;
	for (k = 0; k < sizeof(sort_cases) / sizeof(sort_cases[0]); k++) {
		const struct sort_case *c = &sort_cases[k];
		struct pyv *v = json(c->in);
		char err[256] = "";
		int r = pysort_list(v, err, sizeof(err));

		if (c->err != NULL) {
			if (r != -1 || strcmp(err, c->err) != 0)
				fail_msg("%s: got %d \"%s\", want \"%s\"",
					 c->in, r, err, c->err);
		} else {
			struct pyv *want = json(c->out);

			if (r != 0)
				fail_msg("%s: failed: %s", c->in, err);
			if (!same_list(v, want))
				fail_msg("%s: not sorted as %s", c->in, c->out);
			pyv_free(want);
		}
		pyv_free(v);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_trace),
		cmocka_unit_test(test_failure_keeps_items),
		cmocka_unit_test(test_compare),
		cmocka_unit_test(test_sort_list),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
